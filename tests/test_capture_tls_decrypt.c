/* test_capture_tls_decrypt.c - TLS decryption with an NSS key log on the real capture in
 * tests/data/tls (keylog.pcap.gz + keylog.keys: Python's ssl over TLS 1.3 and TLS 1.2
 * ECDHE AES-128-GCM, AES-256-GCM, ChaCha20-Poly1305 against nginx; tshark's counts with the
 * same key log in keylog.tshark.txt: 120 requests, 200x85 429x35), the key log parser, and bad
 * input: wrong keys, a truncated key log, a corrupted record.  Run from the repository root
 * (or set JTLSCOPE_TLS_DATA). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <zlib.h>

#include "parsers/capture/capture.h"
#include "parsers/input.h"

static const char *dir(void)
{
	const char *d = getenv("JTLSCOPE_TLS_DATA");
	return d ? d : "tests/data/tls";
}

static char *slurp(const char *name, size_t *n, bool gunzip)
{
	char path[512];
	snprintf(path, sizeof path, "%s/%s", dir(), name);
	gzFile g = gunzip ? gzopen(path, "rb") : NULL;
	FILE *f = gunzip ? NULL : fopen(path, "rb");
	assert_true(g || f);
	size_t cap = 1 << 16, len = 0;
	char *buf = malloc(cap);
	for (;;) {
		if (len == cap)
			buf = realloc(buf, cap *= 2);
		long got = g ? gzread(g, buf + len, (unsigned)(cap - len)) : (long)fread(buf + len, 1, cap - len, f);
		if (got <= 0)
			break;
		len += (size_t)got;
	}
	if (g)
		gzclose(g);
	else
		fclose(f);
	*n = len;
	return buf;
}

struct counts {
	uint64_t http, tls, c200, c429, other, https_urls;
	struct capture_counters k;
};

static void run(const char *pcap, size_t pn, const struct capture_keylog *kl, struct counts *out)
{
	memset(out, 0, sizeof *out);
	struct input *in = input_open_mem(pcap, pn, "keylog.pcap");
	assert_non_null(in);
	char err[512];
	struct capture *c = capture_open(in, NULL, err, sizeof err);
	assert_non_null(c);
	if (kl)
		capture_set_keylog(c, kl);
	struct capture_event ev;
	while (capture_next(c, &ev) == CAP_EVENT) {
		if (ev.kind == CAP_EV_HTTP) {
			out->http++;
			if (ev.u.http.status == 200)
				out->c200++;
			else if (ev.u.http.status == 429)
				out->c429++;
			else
				out->other++;
			if (ev.u.http.url.n > 8 && memcmp(ev.u.http.url.p, "https://", 8) == 0)
				out->https_urls++;
		} else if (ev.kind == CAP_EV_TLS_EXCHANGE) {
			out->tls++;
		}
	}
	out->k = *capture_counters(c);
	capture_close(c);
	input_close(in);
}

static void test_decrypt_like_tshark(void **state)
{
	(void)state;
	size_t pn, kn;
	char *pcap = slurp("keylog.pcap.gz", &pn, true);
	char *keys = slurp("keylog.keys", &kn, false);
	struct capture_keylog *kl = capture_keylog_parse(keys, kn);
	const struct capture_keylog_stats *st = capture_keylog_stats(kl);
	assert_int_equal(st->randoms, 8);
	assert_int_equal(st->bad, 0);
	assert_false(st->truncated);
	struct counts r;
	run(pcap, pn, kl, &r);
	/* tshark -o tls.keylog_file:keylog.keys: 120 requests, 200x85 429x35 */
	assert_int_equal(r.http, 120);
	assert_int_equal(r.c200, 85);
	assert_int_equal(r.c429, 35);
	assert_int_equal(r.other, 0);
	assert_int_equal(r.https_urls, 120);
	assert_int_equal(r.tls, 0);
	assert_int_equal(r.k.tls_decrypted, 8);
	assert_int_equal(r.k.tls_encrypted, 0);
	assert_int_equal(r.k.tls_decrypt_failed, 0);
	assert_int_equal(r.k.incomplete_exchanges, 0);
	/* without the key log: the same 120 exchanges, encrypted */
	run(pcap, pn, NULL, &r);
	assert_int_equal(r.http, 0);
	assert_int_equal(r.tls, 120);
	assert_int_equal(r.k.tls_encrypted, 8);
	capture_keylog_free(kl);
	free(keys);
	free(pcap);
}

/* Every secret altered by one bit: nothing decrypts, failures are counted, and the
 * connections fall back to encrypted exchanges (still 120). */
static void test_wrong_keys(void **state)
{
	(void)state;
	size_t pn, kn;
	char *pcap = slurp("keylog.pcap.gz", &pn, true);
	char *keys = slurp("keylog.keys", &kn, false);
	for (char *line = keys; line && line < keys + kn; ) {
		char *nl = memchr(line, '\n', (size_t)(keys + kn - line));
		char *end = nl ? nl : keys + kn;
		if (end - line > 70 && line[0] != '#') {
			char *last = end - 1;
			*last = *last == '0' ? '1' : '0';
		}
		line = nl ? nl + 1 : NULL;
	}
	struct capture_keylog *kl = capture_keylog_parse(keys, kn);
	assert_int_equal(capture_keylog_stats(kl)->randoms, 8);
	struct counts r;
	run(pcap, pn, kl, &r);
	assert_int_equal(r.http, 0);
	assert_int_equal(r.k.tls_decrypted, 0);
	assert_true(r.k.tls_decrypt_failed > 0);
	assert_int_equal(r.tls, 120);
	assert_int_equal(r.k.tls_encrypted, 8);
	capture_keylog_free(kl);
	free(keys);
	free(pcap);
}

/* A key log cut in the middle of a line: the sessions before the cut decrypt, the others are
 * counted as without keys and stay encrypted; nothing is lost. */
static void test_truncated_keylog(void **state)
{
	(void)state;
	size_t pn, kn;
	char *pcap = slurp("keylog.pcap.gz", &pn, true);
	char *keys = slurp("keylog.keys", &kn, false);
	size_t cut = kn / 2;
	struct capture_keylog *kl = capture_keylog_parse(keys, cut);
	const struct capture_keylog_stats *st = capture_keylog_stats(kl);
	assert_true(st->truncated);
	assert_true(st->randoms > 0 && st->randoms < 8);
	struct counts r;
	run(pcap, pn, kl, &r);
	assert_true(r.k.tls_decrypted > 0 && r.k.tls_decrypted < 8);
	assert_int_equal(r.k.tls_decrypted + r.k.tls_encrypted, 8);
	assert_true(r.k.tls_no_keys > 0);
	assert_int_equal(r.http + r.tls, 120);
	assert_int_equal(r.http, r.k.tls_decrypted * 15);
	capture_keylog_free(kl);
	free(keys);
	free(pcap);
}

static uint32_t rd32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* One byte flipped in the last byte (the AEAD tag) of server records: those records fail
 * authentication (counted), their exchanges are reported incomplete, the rest decrypt. */
static void test_corrupt_records(void **state)
{
	(void)state;
	size_t pn, kn;
	uint8_t *pcap = (uint8_t *)slurp("keylog.pcap.gz", &pn, true);
	char *keys = slurp("keylog.keys", &kn, false);
	assert_int_equal(rd32(pcap), 0xa1b2c3d4u);   /* little-endian µs pcap */
	size_t off = 24, flipped = 0, big = 0;
	while (off + 16 <= pn) {
		uint32_t caplen = rd32(pcap + off + 8);
		uint8_t *pkt = pcap + off + 16;
		/* loopback (Ethernet header of zeros): IPv4 + TCP, payload; server port 18500 */
		if (caplen > 200 && off + 16 + caplen <= pn && pkt[12] == 0x08 && pkt[13] == 0x00) {
			unsigned ihl = (pkt[14] & 0xfu) * 4u;
			const uint8_t *tcp = pkt + 14 + ihl;
			unsigned sport = (unsigned)tcp[0] << 8 | tcp[1];
			unsigned thl = (tcp[12] >> 4) * 4u;
			size_t pay = caplen - 14 - ihl - thl;
			if (sport == 18500 && pay > 150 && pay < 1400 && pkt[caplen - pay] == 23 &&
			    (big++ % 10) == 3) {
				pkt[caplen - 1] ^= 0x5a;
				flipped++;
			}
		}
		off += 16 + caplen;
	}
	assert_true(flipped >= 3);
	struct capture_keylog *kl = capture_keylog_parse(keys, kn);
	struct counts r;
	run((const char *)pcap, pn, kl, &r);
	assert_true(r.k.tls_decrypt_failed >= 1);
	assert_true(r.k.tls_decrypt_failed <= flipped);
	assert_int_equal(r.k.tls_decrypted, 8);
	assert_true(r.http >= 120 - flipped);
	assert_true(r.k.incomplete_exchanges >= 1);
	capture_keylog_free(kl);
	free(keys);
	free(pcap);
}

/* WSS with permessage-deflate (tests/data/tls/wss.*: python3-websockets over TLS, Genesys
 * Web Messaging-shaped answers, a shared 20/s bucket): one exchange per client message, the
 * agent pushes apart, the in-band 429s with their retryAfter, all as the server decided
 * (wss.truth.json: 180 admitted, 148 rejected, 80 pushes) and as tshark saw (wss.tshark.txt:
 * 736 text frames, 40 close frames, 148 texts with "code": 429). */
static void test_wss_deflate(void **state)
{
	(void)state;
	size_t pn, kn;
	char *pcap = slurp("wss.pcap.gz", &pn, true);
	char *keys = slurp("wss.keys", &kn, false);
	struct capture_keylog *kl = capture_keylog_parse(keys, kn);
	struct input *in = input_open_mem(pcap, pn, "wss.pcap");
	char err[512];
	struct capture *c = capture_open(in, NULL, err, sizeof err);
	assert_non_null(c);
	capture_set_keylog(c, kl);
	struct capture_event ev;
	uint64_t x = 0, x429 = 0, x200 = 0, by_id = 0, hint1 = 0, wss_urls = 0;
	while (capture_next(c, &ev) == CAP_EVENT) {
		if (ev.kind != CAP_EV_WS_EXCHANGE)
			continue;
		x++;
		by_id += ev.u.wsx.by_id;
		x429 += ev.u.wsx.status == 429;
		x200 += ev.u.wsx.status == 200;
		if (ev.u.wsx.status == 429 && (ev.u.wsx.rl.flags & RL_RETRY_AFTER) && ev.u.wsx.rl.retry_after_s == 1.0)
			hint1++;
		struct sample s;
		assert_true(capture_event_to_sample(&ev, &s));
		wss_urls += s.url.n > 6 && memcmp(s.url.p, "wss://", 6) == 0;
	}
	const struct capture_counters *k = capture_counters(c);
	assert_int_equal(k->tls_decrypted, 20);
	assert_int_equal(k->websocket_frames, 736 + 40);
	assert_int_equal(k->websocket_inflated, 736);
	assert_int_equal(k->websocket_inflate_failed, 0);
	assert_int_equal(x, 180 + 148);
	assert_int_equal(by_id, x);
	assert_int_equal(x200, 180);
	assert_int_equal(x429, 148);
	assert_int_equal(hint1, 148);
	assert_int_equal(k->websocket_pushes, 80);
	assert_int_equal(wss_urls, x);
	capture_close(c);
	input_close(in);
	capture_keylog_free(kl);
	free(keys);
	free(pcap);
}

/* Issue 10 case 6 (tests/data/tls/wss-case6.*): 50 connections, one message every 2 s, a
 * shared 20/s bucket.  One sample per client message (the server decided on 431 + 95), the
 * 509 agent pushes and the 50 upgrades are no samples, so the offered rate is the clients'
 * (about 25/s), not twice it. */
static void test_wss_case6(void **state)
{
	(void)state;
	size_t pn, kn;
	char *pcap = slurp("wss-case6.pcap.gz", &pn, true);
	char *keys = slurp("wss-case6.keys", &kn, false);
	struct capture_keylog *kl = capture_keylog_parse(keys, kn);
	struct input *in = input_open_mem(pcap, pn, "wss6.pcap");
	char err[512];
	struct capture *c = capture_open(in, NULL, err, sizeof err);
	assert_non_null(c);
	capture_set_keylog(c, kl);
	struct capture_event ev;
	struct sample s;
	uint64_t samples = 0, thr = 0;
	int64_t first = INT64_MAX, last = 0;
	while (capture_next(c, &ev) == CAP_EVENT) {
		if (!capture_event_to_sample(&ev, &s))
			continue;
		samples++;
		assert_true(strref_eq(s.code, "WS"));
		thr += ev.u.wsx.status == 429;
		first = s.ts_ms < first ? s.ts_ms : first;
		last = s.ts_ms > last ? s.ts_ms : last;
	}
	assert_int_equal(samples, 431 + 95);
	assert_int_equal(thr, 95);
	assert_int_equal(capture_counters(c)->websocket_pushes, 509);
	double rate = (double)samples / ((double)(last - first) / 1000.0);
	assert_true(rate > 22 && rate < 30);
	capture_close(c);
	input_close(in);
	capture_keylog_free(kl);
	free(keys);
	free(pcap);
}

static void test_keylog_parser(void **state)
{
	(void)state;
	char cr[65], sec48[97], sec32[65];
	memset(cr, 'a', 64);
	cr[64] = 0;
	memset(sec48, '1', 96);
	sec48[96] = 0;
	memset(sec32, '2', 64);
	sec32[64] = 0;
	char buf[4096];
	int n = snprintf(buf, sizeof buf,
			 "# comment\n\n"
			 "CLIENT_RANDOM %s %s\r\n"              /* ok (CRLF) */
			 "CLIENT_RANDOM %s %.94s\n"             /* 47 bytes: bad */
			 "CLIENT_RANDOM %.62s %s\n"             /* short random: bad */
			 "CLIENT_RANDOM %s %s extra\n"          /* extra field: bad */
			 "CLIENT_RANDOM zz%.62s %s\n"           /* bad hex: bad */
			 "CLIENT_TRAFFIC_SECRET_0 %s %s\n"      /* ok (same random, TLS 1.3) */
			 "SERVER_HANDSHAKE_TRAFFIC_SECRET %s %s\n" /* other */
			 "CLIENT_RANDOM\n"                      /* bad */
			 "   \t\n",
			 cr, sec48, cr, sec48, cr, sec48, cr, sec48, cr, sec48, cr, sec32, cr, sec32);
	struct capture_keylog *k = capture_keylog_parse(buf, (size_t)n);
	const struct capture_keylog_stats *st = capture_keylog_stats(k);
	assert_int_equal(st->lines, 8);
	assert_int_equal(st->used, 2);
	assert_int_equal(st->other, 1);
	assert_int_equal(st->bad, 5);
	assert_int_equal(st->randoms, 1);
	assert_false(st->truncated);
	capture_keylog_free(k);
	/* an overlong line is one bad line */
	char *longl = malloc(5000);
	memset(longl, 'A', 4999);
	longl[4999] = '\n';
	k = capture_keylog_parse(longl, 5000);
	assert_int_equal(capture_keylog_stats(k)->bad, 1);
	capture_keylog_free(k);
	free(longl);
	/* empty, and a file that cannot be read */
	k = capture_keylog_parse("", 0);
	assert_int_equal(capture_keylog_stats(k)->lines, 0);
	capture_keylog_free(k);
	char err[300];
	assert_null(capture_keylog_load("/nonexistent/keys.log", err, sizeof err));
	assert_non_null(strstr(err, "/nonexistent/keys.log"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_decrypt_like_tshark), cmocka_unit_test(test_wrong_keys),
		cmocka_unit_test(test_truncated_keylog),    cmocka_unit_test(test_corrupt_records),
		cmocka_unit_test(test_wss_deflate),         cmocka_unit_test(test_wss_case6),
		cmocka_unit_test(test_keylog_parser),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
