/* tls_decrypt.c - TLS record decryption with an NSS key log (SSLKEYLOGFILE), using OpenSSL's
 * libcrypto for every primitive (EVP AEAD ciphers, the HKDF and TLS1-PRF KDFs): no crypto here.
 *
 * Key log (NSS format, as curl, browsers, Node --tls-keylog, Python keylog_filename, Go and the
 * Java agents write it): "LABEL <client random, 64 hex> <secret, hex>".  Used:
 *   CLIENT_RANDOM                                    TLS 1.2 master secret (48 bytes)
 *   CLIENT_TRAFFIC_SECRET_0, SERVER_TRAFFIC_SECRET_0 TLS 1.3 application traffic secrets
 * Other labels (handshake and exporter secrets, early traffic) are counted and not kept.
 *
 * TLS 1.2 (RFC 5246 6.3, RFC 5288, RFC 7905): key_block = PRF(master, "key expansion",
 * server_random + client_random) = client key, server key, client IV, server IV (AEAD: no MAC
 * keys).  AES-GCM: nonce = 4-byte IV + the record's 8-byte explicit nonce; ChaCha20-Poly1305:
 * nonce = 12-byte IV XOR sequence number.  AAD = seq(8) + type + version + plaintext length.
 * Sequence numbers start at 0 with the first record after ChangeCipherSpec (the Finished).
 * TLS 1.3 (RFC 8446 5.2-5.3, 7.1-7.3): key/iv = HKDF-Expand-Label(traffic secret, "key"/"iv");
 * nonce = iv XOR seq; AAD = the record header; the plaintext ends with its content type and
 * zero padding.  The first records under the traffic secrets are found by trial (the
 * encrypted handshake before them is under handshake keys): until one decrypts, a record that
 * fails is counted as handshake.  KeyUpdate (handshake type 24) moves to the next secret
 * ("traffic upd").
 *
 * Suites: TLS 1.3 AES-128-GCM-SHA256, AES-256-GCM-SHA384, CHACHA20-POLY1305-SHA256; TLS 1.2
 * (EC)DHE/RSA with AES-128/256-GCM (SHA256/SHA384 PRF) and ChaCha20-Poly1305.  CBC suites are
 * counted as unsupported.
 */
#include "parsers/capture/cap_int.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>

/* ---- key log ---- */

struct kl_entry {
	uint8_t cr[32];
	bool used, has_master, has_c13, has_s13;
	uint8_t master[48];
	uint8_t c13[64], s13[64];
	uint8_t c13_len, s13_len;
};

struct capture_keylog {
	struct kl_entry *tab;
	size_t cap, n;
	struct capture_keylog_stats st;
};

/* Hex (p, n) into out (max bytes); the byte count, or 0 on odd length or a bad digit. */
static size_t unhex(const char *p, size_t n, uint8_t *out, size_t max)
{
	if (n == 0 || n % 2 || n / 2 > max)
		return 0;
	for (size_t i = 0; i < n / 2; i++) {
		int hi = util_hex_digit(p[2 * i]), lo = util_hex_digit(p[2 * i + 1]);
		if (hi < 0 || lo < 0)
			return 0;
		out[i] = (uint8_t)(hi << 4 | lo);
	}
	return n / 2;
}

static uint64_t cr_hash(const uint8_t *cr)
{
	uint64_t h;
	memcpy(&h, cr, sizeof h);   /* client randoms are random */
	return h;
}

static struct kl_entry *kl_find(const struct capture_keylog *k, const uint8_t *cr)
{
	if (!k->cap)
		return NULL;
	for (size_t i = (size_t)(cr_hash(cr) & (k->cap - 1));; i = (i + 1) & (k->cap - 1)) {
		struct kl_entry *e = &k->tab[i];
		if (!e->used)
			return NULL;
		if (memcmp(e->cr, cr, 32) == 0)
			return e;
	}
}

static struct kl_entry *kl_insert(struct capture_keylog *k, const uint8_t *cr)
{
	struct kl_entry *e = kl_find(k, cr);
	if (e)
		return e;
	if (k->n >= CAPTURE_KEYLOG_MAX_ENTRIES)
		return NULL;
	if ((k->n + 1) * 2 > k->cap) {
		size_t ncap = k->cap ? k->cap * 2 : 64;
		struct kl_entry *old = k->tab;
		size_t ocap = k->cap;
		k->tab = xcalloc(ncap, sizeof *k->tab);
		k->cap = ncap;
		for (size_t i = 0; i < ocap; i++) {
			if (!old[i].used)
				continue;
			size_t j = (size_t)(cr_hash(old[i].cr) & (ncap - 1));
			while (k->tab[j].used)
				j = (j + 1) & (ncap - 1);
			k->tab[j] = old[i];
		}
		free(old);
	}
	size_t i = (size_t)(cr_hash(cr) & (k->cap - 1));
	while (k->tab[i].used)
		i = (i + 1) & (k->cap - 1);
	e = &k->tab[i];
	memset(e, 0, sizeof *e);
	e->used = true;
	memcpy(e->cr, cr, 32);
	k->n++;
	return e;
}

static struct strref next_field(const char **p, const char *end)
{
	while (*p < end && (**p == ' ' || **p == '\t'))
		(*p)++;
	const char *s = *p;
	while (*p < end && **p != ' ' && **p != '\t')
		(*p)++;
	return (struct strref){ s, (size_t)(*p - s) };
}

static void kl_line(struct capture_keylog *k, const char *p, size_t n)
{
	while (n && (p[n - 1] == '\r' || p[n - 1] == ' ' || p[n - 1] == '\t'))
		n--;
	size_t i = 0;
	while (i < n && (p[i] == ' ' || p[i] == '\t'))
		i++;
	if (i == n || p[i] == '#')
		return;
	k->st.lines++;
	const char *q = p + i, *end = p + n;
	struct strref label = next_field(&q, end), crs = next_field(&q, end), sec = next_field(&q, end);
	struct strref extra = next_field(&q, end);
	uint8_t cr[32], secret[64];
	size_t slen;
	if (!label.n || extra.n || unhex(crs.p, crs.n, cr, sizeof cr) != 32 ||
	    (slen = unhex(sec.p, sec.n, secret, sizeof secret)) == 0) {
		k->st.bad++;
		return;
	}
	int which = strref_eq(label, "CLIENT_RANDOM")             ? 1
		    : strref_eq(label, "CLIENT_TRAFFIC_SECRET_0") ? 2
		    : strref_eq(label, "SERVER_TRAFFIC_SECRET_0") ? 3
								  : 0;
	if (!which) {
		k->st.other++;
		return;
	}
	if ((which == 1 && slen != 48) || (which > 1 && slen != 32 && slen != 48)) {
		k->st.bad++;
		return;
	}
	struct kl_entry *e = kl_insert(k, cr);
	if (!e) {
		k->st.dropped++;
		return;
	}
	k->st.used++;
	if (which == 1) {
		memcpy(e->master, secret, 48);
		e->has_master = true;
	} else if (which == 2) {
		memcpy(e->c13, secret, slen);
		e->c13_len = (uint8_t)slen;
		e->has_c13 = true;
	} else {
		memcpy(e->s13, secret, slen);
		e->s13_len = (uint8_t)slen;
		e->has_s13 = true;
	}
}

struct capture_keylog *capture_keylog_parse(const char *buf, size_t n)
{
	struct capture_keylog *k = xcalloc(1, sizeof *k);
	size_t i = 0;
	while (i < n) {
		const char *nl = memchr(buf + i, '\n', n - i);
		size_t len = nl ? (size_t)(nl - (buf + i)) : n - i;
		if (!nl)
			k->st.truncated = true;
		if (len > CAPTURE_KEYLOG_MAX_LINE) {
			k->st.lines++;
			k->st.bad++;
		} else {
			kl_line(k, buf + i, len);
		}
		i += len + (nl ? 1 : 0);
	}
	for (size_t j = 0; j < k->cap; j++)
		if (k->tab[j].used && (k->tab[j].has_master || (k->tab[j].has_c13 && k->tab[j].has_s13)))
			k->st.randoms++;
	return k;
}

#define KEYLOG_MAX_FILE (256u << 20)

struct capture_keylog *capture_keylog_load(const char *path, char *err, size_t errlen)
{
	FILE *f = fopen(path, "rb");
	if (!f) {
		snprintf(err, errlen, "cannot read key log '%s': %s", path, strerror(errno));
		return NULL;
	}
	struct strbuf sb = STRBUF_INIT;
	char chunk[65536];
	size_t got;
	bool big = false;
	while ((got = fread(chunk, 1, sizeof chunk, f)) > 0) {
		if (sb.len + got > KEYLOG_MAX_FILE) {
			big = true;
			break;
		}
		strbuf_add(&sb, chunk, got);
	}
	bool bad = ferror(f) != 0;
	fclose(f);
	if (bad || big) {
		snprintf(err, errlen, "cannot read key log '%s': %s", path,
			 big ? "larger than 256 MB" : "read error");
		strbuf_release(&sb);
		return NULL;
	}
	struct capture_keylog *k = capture_keylog_parse(sb.buf ? sb.buf : "", sb.len);
	strbuf_release(&sb);
	return k;
}

const struct capture_keylog_stats *capture_keylog_stats(const struct capture_keylog *k)
{
	return &k->st;
}

void capture_keylog_free(struct capture_keylog *k)
{
	if (!k)
		return;
	free(k->tab);
	free(k);
}

void capture_set_keylog(struct capture *c, const struct capture_keylog *k)
{
	c->keylog = k;
}

/* ---- key schedule (libcrypto KDFs) ---- */

static bool kdf_derive(const char *name, const char *digest, const uint8_t *secret, size_t slen,
		       const char *pname2, const uint8_t *v2, size_t l2, bool expand_only,
		       uint8_t *out, size_t outlen)
{
	EVP_KDF *kdf = EVP_KDF_fetch(NULL, name, NULL);
	if (!kdf)
		return false;
	EVP_KDF_CTX *kc = EVP_KDF_CTX_new(kdf);
	EVP_KDF_free(kdf);
	if (!kc)
		return false;
	int mode = EVP_KDF_HKDF_MODE_EXPAND_ONLY;
	OSSL_PARAM params[5], *pp = params;
	*pp++ = OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, (char *)digest, 0);
	*pp++ = OSSL_PARAM_construct_octet_string(expand_only ? OSSL_KDF_PARAM_KEY : OSSL_KDF_PARAM_SECRET,
						  (void *)secret, slen);
	*pp++ = OSSL_PARAM_construct_octet_string(pname2, (void *)v2, l2);
	if (expand_only)
		*pp++ = OSSL_PARAM_construct_int(OSSL_KDF_PARAM_MODE, &mode);
	*pp = OSSL_PARAM_construct_end();
	bool ok = EVP_KDF_derive(kc, out, outlen, params) > 0;
	EVP_KDF_CTX_free(kc);
	return ok;
}

/* HKDF-Expand-Label(secret, label, "", len) (RFC 8446 7.1). */
static bool expand_label(const char *digest, const uint8_t *secret, size_t slen, const char *label,
			 uint8_t *out, size_t len)
{
	uint8_t info[64];
	size_t ll = strlen(label), n = 0;
	info[n++] = (uint8_t)(len >> 8);
	info[n++] = (uint8_t)len;
	info[n++] = (uint8_t)(6 + ll);
	memcpy(info + n, "tls13 ", 6);
	n += 6;
	memcpy(info + n, label, ll);
	n += ll;
	info[n++] = 0;   /* empty context */
	return kdf_derive(OSSL_KDF_NAME_HKDF, digest, secret, slen, OSSL_KDF_PARAM_INFO, info, n, true,
			  out, len);
}

enum aead { AEAD_AES128_GCM, AEAD_AES256_GCM, AEAD_CHACHA };

struct suite {
	unsigned id;
	bool tls13;
	enum aead aead;
	const char *digest;
};

static const struct suite suites[] = {
	{ 0x1301, true, AEAD_AES128_GCM, "SHA256" },  { 0x1302, true, AEAD_AES256_GCM, "SHA384" },
	{ 0x1303, true, AEAD_CHACHA, "SHA256" },
	{ 0xc02f, false, AEAD_AES128_GCM, "SHA256" }, { 0xc030, false, AEAD_AES256_GCM, "SHA384" },
	{ 0xc02b, false, AEAD_AES128_GCM, "SHA256" }, { 0xc02c, false, AEAD_AES256_GCM, "SHA384" },
	{ 0x009c, false, AEAD_AES128_GCM, "SHA256" }, { 0x009d, false, AEAD_AES256_GCM, "SHA384" },
	{ 0x009e, false, AEAD_AES128_GCM, "SHA256" }, { 0x009f, false, AEAD_AES256_GCM, "SHA384" },
	{ 0xcca8, false, AEAD_CHACHA, "SHA256" },     { 0xcca9, false, AEAD_CHACHA, "SHA256" },
	{ 0xccaa, false, AEAD_CHACHA, "SHA256" },
};

static size_t key_len(enum aead a)
{
	return a == AEAD_AES128_GCM ? 16 : 32;
}

static const EVP_CIPHER *cipher_of(enum aead a)
{
	return a == AEAD_AES128_GCM ? EVP_aes_128_gcm() : a == AEAD_AES256_GCM ? EVP_aes_256_gcm()
										: EVP_chacha20_poly1305();
}

/* ---- per-direction state ---- */

#define TLS_PLAIN_MAX (16384u + 2048u)
#define TLS13_TRIALS 16u    /* records tried as handshake before giving a direction up */

#define TLS13_SEQ_AHEAD 4u  /* before the first success: records that may have been lost */

struct dkey {
	bool ready, lost, ok_once;
	unsigned unsure;         /* records skipped or failed before the first success */
	uint8_t key[32], iv[12];
	uint8_t secret[48];      /* TLS 1.3 current traffic secret */
	size_t slen;
	uint64_t seq;
	unsigned trials;
};

struct cap_tls_keys {
	const struct suite *s;
	struct dkey d[2];
	EVP_CIPHER_CTX *ctx;
	uint8_t *plain;          /* the capture's shared plaintext buffer (TLS_PLAIN_MAX) */
};

static bool tls13_keys(struct cap_tls_keys *k, struct dkey *d)
{
	size_t kl = key_len(k->s->aead);
	return expand_label(k->s->digest, d->secret, d->slen, "key", d->key, kl) &&
	       expand_label(k->s->digest, d->secret, d->slen, "iv", d->iv, 12);
}

bool cap_tls_keys_setup(struct cap_conn *cn)
{
	struct capture *c = cn->cap;
	struct cap_tls_conn *t = &cn->tls;
	if (!c->keylog || t->keys || !t->has_client_random || !t->has_server_random)
		return false;
	const struct kl_entry *e = kl_find(c->keylog, t->client_random);
	bool tls13 = t->version == 0x0304;
	if (!e || (tls13 ? !(e->has_c13 && e->has_s13) : !e->has_master)) {
		c->cnt.tls_no_keys++;
		return false;
	}
	const struct suite *s = NULL;
	for (size_t i = 0; i < ARRAY_LEN(suites); i++)
		if (suites[i].id == t->cipher && suites[i].tls13 == tls13)
			s = &suites[i];
	if (!s) {
		c->cnt.tls_unsupported++;
		return false;
	}
	struct cap_tls_keys *k = xcalloc(1, sizeof *k);
	k->s = s;
	bool ok;
	size_t kl = key_len(s->aead);
	if (tls13) {
		memcpy(k->d[CAP_C2S].secret, e->c13, e->c13_len);
		k->d[CAP_C2S].slen = e->c13_len;
		memcpy(k->d[CAP_S2C].secret, e->s13, e->s13_len);
		k->d[CAP_S2C].slen = e->s13_len;
		ok = tls13_keys(k, &k->d[CAP_C2S]) && tls13_keys(k, &k->d[CAP_S2C]);
	} else {
		uint8_t seed[13 + 64], block[2 * 32 + 2 * 12];
		memcpy(seed, "key expansion", 13);
		memcpy(seed + 13, t->server_random, 32);
		memcpy(seed + 45, t->client_random, 32);
		size_t ivl = s->aead == AEAD_CHACHA ? 12 : 4;
		ok = kdf_derive(OSSL_KDF_NAME_TLS1_PRF, s->digest, e->master, 48, OSSL_KDF_PARAM_SEED,
				seed, sizeof seed, false, block, 2 * kl + 2 * ivl);
		memcpy(k->d[CAP_C2S].key, block, kl);
		memcpy(k->d[CAP_S2C].key, block + kl, kl);
		memcpy(k->d[CAP_C2S].iv, block + 2 * kl, ivl);
		memcpy(k->d[CAP_S2C].iv, block + 2 * kl + ivl, ivl);
	}
	k->ctx = EVP_CIPHER_CTX_new();
	if (!ok || !k->ctx) {
		EVP_CIPHER_CTX_free(k->ctx);
		free(k);
		c->cnt.tls_unsupported++;
		return false;
	}
	if (!c->tls_plain)
		c->tls_plain = xmalloc(TLS_PLAIN_MAX);
	k->plain = c->tls_plain;
	k->d[0].ready = k->d[1].ready = true;
	t->keys = k;
	cap_conn_plain_start(cn);
	return true;
}

bool cap_tls_keys_active(const struct cap_conn *cn, int dir)
{
	return cn->tls.keys && cn->tls.keys->d[dir].ready && !cn->tls.keys->d[dir].lost;
}

/* Plaintext lost with a record: the inner parser is told it is a hole. */
static void plain_gap(struct cap_conn *cn, int dir, size_t n, int64_t ts)
{
	struct cap_dir *d = &cn->d[dir];
	size_t over = cn->tls.keys->s->tls13 ? 17 : cn->tls.keys->s->aead == AEAD_CHACHA ? 16 : 24;
	if (n <= over)
		return;
	struct cap_seginfo si = { ts, d->plain_off, 0, false };
	d->plain_off += n - over;
	cap_app_gap(cn, dir, n - over, &si);
}

void cap_tls_skip_record(struct cap_conn *cn, int dir, size_t n, int64_t ts)
{
	struct cap_tls_keys *k = cn->tls.keys;
	if (!k || !k->d[dir].ready || k->d[dir].lost)
		return;
	if (k->d[dir].ok_once || !k->s->tls13) {
		k->d[dir].seq++;
		if (k->d[dir].ok_once)
			plain_gap(cn, dir, n, ts);
	} else {
		k->d[dir].unsure++;
	}
}

/* AEAD open: out gets ctlen bytes; false when the tag does not verify. */
static bool aead_open(struct cap_tls_keys *k, const uint8_t *key, const uint8_t *nonce,
		      const uint8_t *aad, size_t aadlen, const uint8_t *ct, size_t ctlen,
		      const uint8_t *tag, uint8_t *out)
{
	EVP_CIPHER_CTX *x = k->ctx;
	int outl = 0, fl = 0;
	if (ctlen > TLS_PLAIN_MAX || aadlen > INT32_MAX)
		return false;
	if (EVP_DecryptInit_ex(x, cipher_of(k->s->aead), NULL, NULL, NULL) != 1 ||
	    EVP_CIPHER_CTX_ctrl(x, EVP_CTRL_AEAD_SET_IVLEN, 12, NULL) != 1 ||
	    EVP_DecryptInit_ex(x, NULL, NULL, key, nonce) != 1 ||
	    EVP_DecryptUpdate(x, NULL, &outl, aad, (int)aadlen) != 1 ||
	    EVP_DecryptUpdate(x, out, &outl, ct, (int)ctlen) != 1 ||
	    EVP_CIPHER_CTX_ctrl(x, EVP_CTRL_AEAD_SET_TAG, 16, (void *)tag) != 1)
		return false;
	return EVP_DecryptFinal_ex(x, out + outl, &fl) == 1;
}

static void seq_nonce(const uint8_t *iv, uint64_t seq, uint8_t *nonce)
{
	memcpy(nonce, iv, 12);
	for (int i = 0; i < 8; i++)
		nonce[11 - i] ^= (uint8_t)(seq >> (8 * i));
}

static void deliver_plain(struct cap_conn *cn, int dir, const uint8_t *p, size_t n, int64_t ts)
{
	if (!n)
		return;
	struct cap_dir *d = &cn->d[dir];
	struct cap_seginfo si = { ts, d->plain_off, 0, false };
	d->plain_off += n;
	cap_app_data(cn, dir, p, n, &si);
}

/* Before the first success, records that failed or were cut may have been application
 * records (a damaged first record, a hole): the next sequence numbers are tried too. */
static bool open13(struct cap_tls_keys *k, struct dkey *d, const uint8_t *hdr, const uint8_t *p,
		   size_t n, size_t *plen)
{
	if (n < 17)
		return false;
	unsigned ahead = d->ok_once ? 0 : (d->unsure < TLS13_SEQ_AHEAD ? d->unsure : TLS13_SEQ_AHEAD);
	for (unsigned a = 0; a <= ahead; a++) {
		uint8_t nonce[12];
		seq_nonce(d->iv, d->seq + a, nonce);
		if (aead_open(k, d->key, nonce, hdr, 5, p, n - 16, p + n - 16, k->plain)) {
			d->seq += a;
			*plen = n - 16;
			return true;
		}
	}
	return false;
}

bool cap_tls_decrypt_record(struct cap_conn *cn, int dir, const uint8_t *hdr, const uint8_t *p,
			    size_t n, int64_t ts)
{
	struct cap_tls_keys *k = cn->tls.keys;
	if (!k || !k->d[dir].ready || k->d[dir].lost)
		return false;
	struct dkey *d = &k->d[dir];
	struct capture *c = cn->cap;
	size_t plen = 0;
	if (k->s->tls13) {
		if (!open13(k, d, hdr, p, n, &plen)) {
			if (!d->ok_once) {
				/* still the encrypted handshake (handshake keys), or damaged */
				d->unsure++;
				if (++d->trials >= TLS13_TRIALS) {
					d->lost = true;
					c->cnt.tls_decrypt_failed++;
				}
				return false;
			}
			c->cnt.tls_decrypt_failed++;
			d->seq++;
			plain_gap(cn, dir, n, ts);
			return false;
		}
		d->seq++;
		d->ok_once = true;
		/* inner plaintext: content, then the real type, then zero padding */
		while (plen && k->plain[plen - 1] == 0)
			plen--;
		if (!plen)
			return true;
		unsigned type = k->plain[--plen];
		if (type == 23) {
			deliver_plain(cn, dir, k->plain, plen, ts);
		} else if (type == 22 && plen >= 4 && k->plain[0] == 24) {
			/* KeyUpdate: next traffic secret, sequence numbers restart */
			uint8_t next[48];
			if (expand_label(k->s->digest, d->secret, d->slen, "traffic upd", next, d->slen)) {
				memcpy(d->secret, next, d->slen);
				if (tls13_keys(k, d))
					d->seq = 0;
				else
					d->lost = true;
			}
		}
	} else {
		uint64_t seq = d->seq++;
		uint8_t nonce[12], aad[13];
		const uint8_t *ct = p;
		size_t ctlen;
		if (k->s->aead == AEAD_CHACHA) {
			if (n < 16)
				goto fail;
			seq_nonce(d->iv, seq, nonce);
			ctlen = n - 16;
		} else {
			if (n < 24)
				goto fail;
			memcpy(nonce, d->iv, 4);
			memcpy(nonce + 4, p, 8);
			ct = p + 8;
			ctlen = n - 24;
		}
		for (int i = 0; i < 8; i++)
			aad[7 - i] = (uint8_t)(seq >> (8 * i));
		aad[8] = hdr[0];
		aad[9] = hdr[1];
		aad[10] = hdr[2];
		aad[11] = (uint8_t)(ctlen >> 8);
		aad[12] = (uint8_t)ctlen;
		if (!aead_open(k, d->key, nonce, aad, 13, ct, ctlen, p + n - 16, k->plain))
			goto fail;
		d->ok_once = true;
		plen = ctlen;
		if (hdr[0] == 23)
			deliver_plain(cn, dir, k->plain, plen, ts);
	}
	if (!cn->tls.decrypted) {
		cn->tls.decrypted = true;
		memset(&cn->tls.run, 0, sizeof cn->tls.run);
		c->cnt.tls_decrypted++;
	}
	return true;
fail:
	c->cnt.tls_decrypt_failed++;
	if (d->ok_once && hdr[0] == 23)
		plain_gap(cn, dir, n, ts);
	return false;
}

void cap_tls_keys_free(struct cap_conn *cn)
{
	struct cap_tls_keys *k = cn->tls.keys;
	if (!k)
		return;
	EVP_CIPHER_CTX_free(k->ctx);
	OPENSSL_cleanse(k->d, sizeof k->d);
	free(k);
	cn->tls.keys = NULL;
}
