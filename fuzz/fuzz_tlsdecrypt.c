/* fuzz_tlsdecrypt.c - TLS record decryption (parsers/capture/tls_decrypt.c, tls.c) and the
 * protocols found in the plaintext, on one connection to port 443 whose keys are in a key log.
 * The harness writes the ClientHello and ServerHello (fixed randoms) and the handshake records,
 * then the fuzzed segments; a segment can be sealed under the connection's real keys (libcrypto,
 * as a TLS stack would), so the fuzzer reaches the plaintext side (HTTP/1.x, WebSocket inside
 * TLS) as well as the failure paths (bad tags, wrong lengths, broken framing, holes).
 *
 * Input layout: byte 0 = suite (mod 5): TLS 1.3 AES-128-GCM, TLS 1.3 ChaCha20-Poly1305,
 *   TLS 1.2 ECDHE AES-128-GCM, TLS 1.2 ECDHE AES-256-GCM-SHA384, TLS 1.2 ECDHE ChaCha20;
 * then segments [ctl: 1 byte] [len: 1 byte] [len bytes] (len 0 = the rest):
 *   ctl bit 0 direction (0 client->server), bit 1 seal the bytes as one application_data
 *   record (else they are raw TCP payload), bit 2 flip a byte of the sealed record, bit 3 skip
 *   100 sequence numbers first (a capture hole), bit 4 (TLS 1.3) the first byte is the inner
 *   content type, bit 5 FIN. */
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>

#include "fuzz/fuzz_capture.h"

static const uint8_t client_random[32] = { 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88, 1, 2, 3, 4,
					   5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20,
					   21, 22, 23, 24 };
static const uint8_t server_random[32] = { 0x99, 0xaa, 0xbb, 0xcc, 31, 32, 33, 34, 35, 36, 37, 38,
					   39, 40, 41, 42, 43, 44, 45, 46, 47, 48, 49, 50, 51, 52, 53,
					   54, 55, 56, 57, 58 };

struct suite {
	unsigned id;
	bool tls13;
	const char *digest;
	size_t keylen;
	bool chacha;
};
static const struct suite suites[5] = {
	{ 0x1301, true, "SHA256", 16, false },  { 0x1303, true, "SHA256", 32, true },
	{ 0xc02f, false, "SHA256", 16, false }, { 0xc030, false, "SHA384", 32, false },
	{ 0xcca8, false, "SHA256", 32, true },
};

struct keys {
	uint8_t key[2][32], iv[2][12];
	uint8_t secret[2][32];   /* TLS 1.3 traffic secrets (KeyUpdate) */
	uint64_t seq[2];
};

static void hex(char *out, const uint8_t *p, size_t n)
{
	static const char d[] = "0123456789abcdef";
	for (size_t i = 0; i < n; i++) {
		out[2 * i] = d[p[i] >> 4];
		out[2 * i + 1] = d[p[i] & 15];
	}
	out[2 * n] = 0;
}

static bool kdf(const char *name, const char *digest, const uint8_t *secret, size_t slen,
		const char *p2, const uint8_t *v2, size_t l2, bool expand, uint8_t *out, size_t outlen)
{
	EVP_KDF *k = EVP_KDF_fetch(NULL, name, NULL);
	EVP_KDF_CTX *kc = k ? EVP_KDF_CTX_new(k) : NULL;
	EVP_KDF_free(k);
	if (!kc)
		return false;
	int mode = EVP_KDF_HKDF_MODE_EXPAND_ONLY;
	OSSL_PARAM ps[5], *pp = ps;
	*pp++ = OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, (char *)digest, 0);
	*pp++ = OSSL_PARAM_construct_octet_string(expand ? OSSL_KDF_PARAM_KEY : OSSL_KDF_PARAM_SECRET,
						  (void *)secret, slen);
	*pp++ = OSSL_PARAM_construct_octet_string(p2, (void *)v2, l2);
	if (expand)
		*pp++ = OSSL_PARAM_construct_int(OSSL_KDF_PARAM_MODE, &mode);
	*pp = OSSL_PARAM_construct_end();
	bool ok = EVP_KDF_derive(kc, out, outlen, ps) > 0;
	EVP_KDF_CTX_free(kc);
	return ok;
}

static bool label(const char *digest, const uint8_t *secret, size_t slen, const char *lb,
		  uint8_t *out, size_t len)
{
	uint8_t info[64];
	size_t ll = strlen(lb), n = 0;
	info[n++] = (uint8_t)(len >> 8);
	info[n++] = (uint8_t)len;
	info[n++] = (uint8_t)(6 + ll);
	memcpy(info + n, "tls13 ", 6);
	n += 6;
	memcpy(info + n, lb, ll);
	n += ll;
	info[n++] = 0;
	return kdf(OSSL_KDF_NAME_HKDF, digest, secret, slen, OSSL_KDF_PARAM_INFO, info, n, true, out, len);
}

static const uint8_t master[48] = { 7 };
static const uint8_t cts[32] = { 8 }, sts[32] = { 9 };

static void derive(const struct suite *s, struct keys *k)
{
	memset(k, 0, sizeof *k);
	if (s->tls13) {
		memcpy(k->secret[0], cts, 32);
		memcpy(k->secret[1], sts, 32);
		for (int d = 0; d < 2; d++) {
			FUZZ_ASSERT(label(s->digest, k->secret[d], 32, "key", k->key[d], s->keylen));
			FUZZ_ASSERT(label(s->digest, k->secret[d], 32, "iv", k->iv[d], 12));
		}
		return;
	}
	uint8_t seed[77], block[88];
	memcpy(seed, "key expansion", 13);
	memcpy(seed + 13, server_random, 32);
	memcpy(seed + 45, client_random, 32);
	size_t ivl = s->chacha ? 12 : 4;
	FUZZ_ASSERT(kdf(OSSL_KDF_NAME_TLS1_PRF, s->digest, master, 48, OSSL_KDF_PARAM_SEED, seed,
			sizeof seed, false, block, 2 * s->keylen + 2 * ivl));
	memcpy(k->key[0], block, s->keylen);
	memcpy(k->key[1], block + s->keylen, s->keylen);
	memcpy(k->iv[0], block + 2 * s->keylen, ivl);
	memcpy(k->iv[1], block + 2 * s->keylen + ivl, ivl);
}

/* Seal plaintext p (n bytes, content type `type`) as one record into out; returns its size. */
static size_t seal(const struct suite *s, struct keys *k, int dir, unsigned type, const uint8_t *p,
		   size_t n, uint8_t *out)
{
	uint64_t seq = k->seq[dir]++;
	uint8_t nonce[12], aad[13];
	size_t o = 5, ptlen = n + (s->tls13 ? 1 : 0);
	uint8_t *pt = xmalloc(ptlen ? ptlen : 1);
	if (n)
		memcpy(pt, p, n);
	if (s->tls13)
		pt[n] = (uint8_t)type;
	if (s->tls13 || s->chacha) {
		memcpy(nonce, k->iv[dir], 12);
		for (int i = 0; i < 8; i++)
			nonce[11 - i] ^= (uint8_t)(seq >> (8 * i));
	} else {
		memcpy(nonce, k->iv[dir], 4);
		for (int i = 0; i < 8; i++)
			nonce[11 - i] = out[5 + 7 - i] = (uint8_t)(seq >> (8 * i));
		o += 8;
	}
	size_t total = o - 5 + ptlen + 16;
	out[0] = s->tls13 ? 23 : (uint8_t)type;
	out[1] = 3;
	out[2] = 3;
	out[3] = (uint8_t)(total >> 8);
	out[4] = (uint8_t)total;
	const uint8_t *a = out;
	size_t alen = 5;
	if (!s->tls13) {
		for (int i = 0; i < 8; i++)
			aad[7 - i] = (uint8_t)(seq >> (8 * i));
		aad[8] = out[0];
		aad[9] = 3;
		aad[10] = 3;
		aad[11] = (uint8_t)(ptlen >> 8);
		aad[12] = (uint8_t)ptlen;
		a = aad;
		alen = 13;
	}
	EVP_CIPHER_CTX *x = EVP_CIPHER_CTX_new();
	const EVP_CIPHER *c = s->chacha ? EVP_chacha20_poly1305()
			      : s->keylen == 16 ? EVP_aes_128_gcm() : EVP_aes_256_gcm();
	int l = 0;
	FUZZ_ASSERT(EVP_EncryptInit_ex(x, c, NULL, NULL, NULL) == 1);
	FUZZ_ASSERT(EVP_CIPHER_CTX_ctrl(x, EVP_CTRL_AEAD_SET_IVLEN, 12, NULL) == 1);
	FUZZ_ASSERT(EVP_EncryptInit_ex(x, NULL, NULL, k->key[dir], nonce) == 1);
	FUZZ_ASSERT(EVP_EncryptUpdate(x, NULL, &l, a, (int)alen) == 1);
	FUZZ_ASSERT(EVP_EncryptUpdate(x, out + o, &l, pt, (int)ptlen) == 1);
	FUZZ_ASSERT(EVP_EncryptFinal_ex(x, out + o + l, &l) == 1);
	FUZZ_ASSERT(EVP_CIPHER_CTX_ctrl(x, EVP_CTRL_AEAD_GET_TAG, 16, out + o + ptlen) == 1);
	EVP_CIPHER_CTX_free(x);
	free(pt);
	return 5 + total;
}

static size_t put16(uint8_t *p, unsigned v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
	return 2;
}

/* One Ethernet/IPv4/TCP frame 10.0.0.1:51000 <-> 10.0.0.2:443. */
static size_t frame(uint8_t *f, int dir, uint32_t seq, uint32_t ack, uint8_t flags,
		    const uint8_t *pl, size_t n)
{
	memset(f, 0, 12);
	f[5] = (uint8_t)(1 + dir);
	f[11] = (uint8_t)(2 - dir);
	size_t o = 12;
	o += put16(f + o, 0x0800);
	f[o] = 0x45;
	f[o + 1] = 0;
	put16(f + o + 2, (unsigned)(40 + n));
	memset(f + o + 4, 0, 4);
	f[o + 8] = 64;
	f[o + 9] = 6;
	f[o + 10] = f[o + 11] = 0;
	static const uint8_t a[2][4] = { { 10, 0, 0, 1 }, { 10, 0, 0, 2 } };
	memcpy(f + o + 12, a[dir], 4);
	memcpy(f + o + 16, a[!dir], 4);
	o += 20;
	o += put16(f + o, dir ? 443 : 51000);
	o += put16(f + o, dir ? 51000 : 443);
	o += put16(f + o, seq >> 16);
	o += put16(f + o, seq & 0xffff);
	o += put16(f + o, ack >> 16);
	o += put16(f + o, ack & 0xffff);
	f[o++] = 5 << 4;
	f[o++] = flags;
	o += put16(f + o, 65535);
	o += put16(f + o, 0);
	o += put16(f + o, 0);
	if (n)
		memcpy(f + o, pl, n);
	return o + n;
}

static size_t hello(uint8_t *out, bool client, const struct suite *s)
{
	uint8_t *b = out + 9;   /* record header 5 + handshake header 4 */
	size_t n = 0;
	n += put16(b + n, 0x0303);
	memcpy(b + n, client ? client_random : server_random, 32);
	n += 32;
	b[n++] = 0;                              /* session id */
	if (client) {
		n += put16(b + n, 2);
		n += put16(b + n, s->id);
		b[n++] = 1;
		b[n++] = 0;
	} else {
		n += put16(b + n, s->id);
		b[n++] = 0;
	}
	if (s->tls13) {
		n += put16(b + n, client ? 7 : 6);  /* extensions */
		n += put16(b + n, 43);
		if (client) {
			n += put16(b + n, 3);
			b[n++] = 2;
		} else {
			n += put16(b + n, 2);
		}
		n += put16(b + n, 0x0304);
	}
	out[0] = 22;
	out[1] = 3;
	out[2] = 1;
	put16(out + 3, (unsigned)(n + 4));
	out[5] = client ? 1 : 2;
	out[6] = 0;
	put16(out + 7, (unsigned)n);
	return 9 + n;
}

enum { FIN = 1, PSH = 8, ACK = 16 };

struct conn {
	struct capture *c;
	uint32_t seq[2];
	int64_t ts;
	uint8_t f[14 + 20 + 20 + 65536 + 512];
};

static void send_bytes(struct conn *k, int dir, const uint8_t *p, size_t n, uint8_t extra)
{
	size_t len = frame(k->f, dir, k->seq[dir], k->seq[!dir], (uint8_t)(ACK | PSH | extra), p, n);
	capture_feed(k->c, k->ts += 1000000, k->f, len, len);
	k->seq[dir] += (uint32_t)n + (extra & FIN ? 1 : 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct capture_keylog *kl;
	static struct conn k;
	static uint8_t rec[65536 + 512];
	if (!kl) {
		char line[600], crh[65], mh[97], ch[65], sh[65];
		hex(crh, client_random, 32);
		hex(mh, master, 48);
		hex(ch, cts, 32);
		hex(sh, sts, 32);
		int n = snprintf(line, sizeof line,
				 "CLIENT_RANDOM %s %s\nCLIENT_TRAFFIC_SECRET_0 %s %s\nSERVER_TRAFFIC_SECRET_0 %s %s\n",
				 crh, mh, crh, ch, crh, sh);
		kl = capture_keylog_parse(line, (size_t)n);
	}
	if (size < 1)
		return 0;
	const struct suite *s = &suites[data[0] % 5];
	struct keys keys;
	derive(s, &keys);
	struct diag d;
	fuzz_quiet_diag(&d, "fuzz.tls");
	memset(k.seq, 0, sizeof k.seq);
	k.seq[0] = 1000;
	k.seq[1] = 5000;
	k.ts = 1700000000000000000;
	k.c = capture_open_raw(1 /* EN10MB */, &d);
	capture_set_keylog(k.c, kl);
	size_t n = frame(k.f, 0, k.seq[0] - 1, 0, 2 /* SYN */, NULL, 0);
	capture_feed(k.c, k.ts += 1000000, k.f, n, n);
	n = frame(k.f, 1, k.seq[1] - 1, k.seq[0], 2 | ACK, NULL, 0);
	capture_feed(k.c, k.ts += 1000000, k.f, n, n);
	send_bytes(&k, 0, NULL, 0, 0);
	send_bytes(&k, 0, rec, hello(rec, true, s), 0);
	n = hello(rec, false, s);
	static const uint8_t ccs[6] = { 20, 3, 3, 0, 1, 1 };
	static const uint8_t junk[40] = { 0x5a };
	if (s->tls13) {
		memcpy(rec + n, ccs, 6);
		n += 6;
		rec[n] = 23;                               /* encrypted handshake (handshake keys) */
		rec[n + 1] = 3;
		rec[n + 2] = 3;
		put16(rec + n + 3, sizeof junk);
		memcpy(rec + n + 5, junk, sizeof junk);
		n += 5 + sizeof junk;
		send_bytes(&k, 1, rec, n, 0);
		memcpy(rec, ccs, 6);
		rec[6] = 23;                               /* the client's Finished */
		rec[7] = 3;
		rec[8] = 3;
		put16(rec + 9, sizeof junk);
		memcpy(rec + 11, junk, sizeof junk);
		send_bytes(&k, 0, rec, 11 + sizeof junk, 0);
	} else {
		send_bytes(&k, 1, rec, n, 0);
		static const uint8_t fin[16] = { 20, 0, 0, 12 };
		for (int dir = 0; dir < 2; dir++) {
			memcpy(rec, ccs, 6);
			size_t r = seal(s, &keys, dir, 22, fin, sizeof fin, rec + 6);
			send_bytes(&k, dir, rec, 6 + r, 0);
		}
	}
	size_t i = 1;
	while (i + 2 <= size) {
		uint8_t ctl = data[i];
		size_t len = data[i + 1];
		i += 2;
		if (len == 0 || len > size - i)
			len = size - i;
		if (len > 16384)
			len = 16384;
		int dir = ctl & 1;
		if (ctl & 8)
			k.seq[dir] += 100;
		const uint8_t *p = data + i;
		size_t plen = len;
		if (ctl & 2) {
			unsigned type = 23;
			if (s->tls13 && (ctl & 16) && len) {
				type = p[0];
				p++;
				plen--;
			}
			bool key_update = s->tls13 && type == 22 && plen >= 4 && p[0] == 24;
			plen = seal(s, &keys, dir, type, p, plen, rec);
			if (key_update) {   /* the sender moves to its next traffic secret */
				uint8_t next[32];
				FUZZ_ASSERT(label(s->digest, keys.secret[dir], 32, "traffic upd", next, 32));
				memcpy(keys.secret[dir], next, 32);
				FUZZ_ASSERT(label(s->digest, next, 32, "key", keys.key[dir], s->keylen));
				FUZZ_ASSERT(label(s->digest, next, 32, "iv", keys.iv[dir], 12));
				keys.seq[dir] = 0;
			}
			if ((ctl & 4) && plen > 5)
				rec[5 + (data[i - 1] % (plen - 5))] ^= 0x20;
			p = rec;
		}
		send_bytes(&k, dir, p, plen, ctl & 32 ? FIN : 0);
		i += len;
		struct capture_event ev;
		while (capture_next(k.c, &ev) == CAP_EVENT)
			fuzz_touch_event(&ev);
	}
	capture_finish(k.c);
	fuzz_drain_capture(k.c);
	const struct capture_counters *cnt = capture_counters(k.c);
	FUZZ_ASSERT(cnt->tls_decrypted <= 1);
	capture_close(k.c);
	return 0;
}
