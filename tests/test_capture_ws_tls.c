/* test_capture_ws_tls.c - WebSocket frames after an HTTP upgrade (7/16/64-bit lengths, masking,
 * fragmentation with interleaved control frames, close codes, holes, split headers) and TLS
 * hellos (SNI, ALPN, supported_versions), handshake end and application-data records. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "tests/capture/pktbuild.h"

#define MAXEV 128

static const char upgrade_req[] =
	"GET /chat?room=1 HTTP/1.1\r\nHost: ws.example.com\r\nUpgrade: websocket\r\n"
	"Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
	"Sec-WebSocket-Version: 13\r\n\r\n";
static const char upgrade_resp[] =
	"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
	"Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n";

/* One frame; mask NULL for server frames.  Returns its length. */
static size_t ws_frame(uint8_t *out, bool fin, unsigned op, const uint8_t *mask, const void *pay,
		       size_t len)
{
	size_t n = 0;
	out[n++] = (uint8_t)((fin ? 0x80 : 0) | op);
	uint8_t mbit = mask ? 0x80 : 0;
	if (len < 126) {
		out[n++] = (uint8_t)(mbit | len);
	} else if (len < 65536) {
		out[n++] = mbit | 126;
		pk_put16(out + n, (unsigned)len);
		n += 2;
	} else {
		out[n++] = mbit | 127;
		memset(out + n, 0, 4);
		pk_put32(out + n + 4, (uint32_t)len);
		n += 8;
	}
	if (mask) {
		memcpy(out + n, mask, 4);
		n += 4;
	}
	const uint8_t *p = pay;
	for (size_t i = 0; i < len; i++)
		out[n + i] = mask ? (uint8_t)(p[i] ^ mask[i & 3]) : p[i];
	return n + len;
}

static struct capture *ws_open(struct pk_flow *f)
{
	struct capture *c = capture_open_raw(CAP_DLT_EN10MB, NULL);
	pk_flow_init(f, c, 0);
	pk_handshake(f);
	pk_str(f, 0, upgrade_req);
	pk_str(f, 1, upgrade_resp);
	return c;
}

static void test_ws_lengths_masking(void **state)
{
	(void)state;
	struct pk_flow f;
	struct capture *c = ws_open(&f);
	static uint8_t buf[80000], big[70000];
	const uint8_t key[4] = { 0x37, 0xfa, 0x21, 0x3d };
	size_t n = ws_frame(buf, true, 1, NULL, "hi", 2);
	pk_data(&f, 1, buf, n);
	n = ws_frame(buf, true, 1, key, "{\"code\":429,\"msg\":\"slow down\"}", 30);
	pk_data(&f, 0, buf, n);
	for (size_t i = 0; i < 300; i++)
		big[i] = (uint8_t)('a' + i % 26);
	n = ws_frame(buf, true, 2, NULL, big, 300);            /* 16-bit length */
	pk_data(&f, 1, buf, n);
	memset(big, 'z', sizeof big);
	n = ws_frame(buf, true, 1, key, big, sizeof big);      /* 64-bit length, masked */
	for (size_t off = 0; off < n; off += 1400)
		pk_data(&f, 0, buf + off, n - off < 1400 ? n - off : 1400);
	pk_close(&f);
	struct pk_ev *e = calloc(MAXEV, sizeof *e);
	size_t m = pk_collect(c, e, MAXEV, NULL);
	assert_int_equal(pk_count(e, m, CAP_EV_WS_FRAME), 4);
	const struct pk_ev *a = pk_nth(e, m, CAP_EV_WS_FRAME, 0);
	assert_int_equal(a->dir, CAP_S2C);
	assert_false(a->masked);
	assert_string_equal(a->payload, "hi");
	assert_string_equal(a->label, "WS ws.example.com/chat");
	const struct pk_ev *b = pk_nth(e, m, CAP_EV_WS_FRAME, 1);
	assert_true(b->masked);
	assert_string_equal(b->payload, "{\"code\":429,\"msg\":\"slow down\"}");
	assert_false(b->has_sample);           /* frames are not samples; exchanges are */
	/* "hi" came before any client message: a push.  The 300-byte binary answers the first
	 * client message; the 70000-byte one waits, unanswered at close. */
	assert_int_equal(pk_count(e, m, CAP_EV_WS_EXCHANGE), 2);
	const struct pk_ev *x = pk_nth(e, m, CAP_EV_WS_EXCHANGE, 0);
	assert_true(x->has_sample);
	assert_true(x->fin);
	assert_string_equal(x->s_label, "WS ws.example.com/chat");
	assert_string_equal(x->s_code, "WS");
	assert_string_equal(x->s_url, "ws://ws.example.com/chat?room=1");
	assert_int_equal(x->resp_body, 300);
	assert_false(pk_nth(e, m, CAP_EV_WS_EXCHANGE, 1)->fin);
	assert_int_equal(capture_counters(c)->websocket_pushes, 1);
	assert_int_equal(capture_counters(c)->websocket_unanswered, 1);
	const struct pk_ev *d = pk_nth(e, m, CAP_EV_WS_FRAME, 2);
	assert_int_equal(d->length, 300);
	assert_int_equal(d->opcode, 2);
	assert_false(d->has_sample);           /* binary frames are not samples */
	assert_memory_equal(d->payload, big + 0, 0);
	const struct pk_ev *g = pk_nth(e, m, CAP_EV_WS_FRAME, 3);
	assert_int_equal(g->length, sizeof big);
	assert_int_equal(g->payload_n, CAPTURE_WS_PAYLOAD_KEEP);
	assert_int_equal(g->payload[0], 'z');
	assert_int_equal(g->payload[CAPTURE_WS_PAYLOAD_KEEP - 1], 'z');
	assert_false(g->incomplete);
	assert_int_equal(capture_counters(c)->limit[CAP_LIM_WS_PAYLOAD], 1);
	assert_int_equal(pk_nth(e, m, CAP_EV_CONN_CLOSE, 0)->proto, CAP_PROTO_WEBSOCKET);
	free(e);
	capture_close(c);
}

/* Text message in two fragments with a ping between them; headers split one byte per segment;
 * then a close frame with code and reason. */
static void test_ws_fragments_close(void **state)
{
	(void)state;
	struct pk_flow f;
	struct capture *c = ws_open(&f);
	uint8_t buf[256];
	const uint8_t key[4] = { 1, 2, 3, 4 };
	size_t n = ws_frame(buf, false, 1, NULL, "Hel", 3);
	for (size_t i = 0; i < n; i++)
		pk_data(&f, 1, buf + i, 1);
	n = ws_frame(buf, true, 9, NULL, "p", 1);
	pk_data(&f, 1, buf, n);
	n = ws_frame(buf, true, 0, NULL, "lo", 2);
	pk_data(&f, 1, buf, n);
	n = ws_frame(buf, true, 8, key, "\x03\xf0policy", 8);   /* 1008 */
	pk_data(&f, 0, buf, n);
	pk_close(&f);
	struct pk_ev *e = calloc(MAXEV, sizeof *e);
	size_t m = pk_collect(c, e, MAXEV, NULL);
	assert_int_equal(pk_count(e, m, CAP_EV_WS_FRAME), 4);
	const struct pk_ev *a = pk_nth(e, m, CAP_EV_WS_FRAME, 0);
	assert_false(a->fin);
	assert_false(a->has_sample);
	const struct pk_ev *p = pk_nth(e, m, CAP_EV_WS_FRAME, 1);
	assert_int_equal(p->opcode, 9);
	const struct pk_ev *b = pk_nth(e, m, CAP_EV_WS_FRAME, 2);
	assert_int_equal(b->opcode, 0);
	assert_int_equal(b->msg_opcode, 1);
	assert_string_equal(b->message, "Hello");
	assert_false(b->has_sample);   /* a server message with nothing to answer: a push */
	assert_int_equal(pk_count(e, m, CAP_EV_WS_EXCHANGE), 0);
	assert_int_equal(capture_counters(c)->websocket_pushes, 1);
	const struct pk_ev *cl = pk_nth(e, m, CAP_EV_WS_FRAME, 3);
	assert_int_equal(cl->close_code, 1008);
	assert_string_equal(cl->close_reason, "policy");
	assert_int_equal(capture_counters(c)->websocket_messages, 1);
	free(e);
	capture_close(c);
}

/* A hole in a payload makes that frame incomplete; the next frame is intact. */
static void test_ws_hole(void **state)
{
	(void)state;
	struct pk_flow f;
	struct capture *c = ws_open(&f);
	uint8_t buf[256];
	size_t n = ws_frame(buf, true, 1, NULL, "0123456789", 10);
	pk_data(&f, 1, buf, n - 6);
	f.seq[1] += 6;                                 /* 6 payload bytes lost */
	pk_ack(&f, 0, f.seq[1]);
	n = ws_frame(buf, true, 1, NULL, "next", 4);
	pk_data(&f, 1, buf, n);
	pk_close(&f);
	struct pk_ev *e = calloc(MAXEV, sizeof *e);
	size_t m = pk_collect(c, e, MAXEV, NULL);
	assert_int_equal(pk_count(e, m, CAP_EV_WS_FRAME), 2);
	assert_true(pk_nth(e, m, CAP_EV_WS_FRAME, 0)->incomplete);
	assert_string_equal(pk_nth(e, m, CAP_EV_WS_FRAME, 0)->payload, "0123");
	assert_false(pk_nth(e, m, CAP_EV_WS_FRAME, 1)->incomplete);
	assert_string_equal(pk_nth(e, m, CAP_EV_WS_FRAME, 1)->payload, "next");
	free(e);
	capture_close(c);
}

/* The client's first frame right behind the upgrade request (before the 101) is held, then
 * parsed as WebSocket; a refused upgrade keeps the connection HTTP. */
static void test_ws_early_frame_and_refusal(void **state)
{
	(void)state;
	struct capture *c = capture_open_raw(CAP_DLT_EN10MB, NULL);
	struct pk_flow f;
	pk_flow_init(&f, c, 0);
	pk_handshake(&f);
	uint8_t buf[512];
	const uint8_t key[4] = { 9, 9, 9, 9 };
	size_t n = strlen(upgrade_req);
	memcpy(buf, upgrade_req, n);
	n += ws_frame(buf + n, true, 1, key, "early", 5);
	pk_data(&f, 0, buf, n);
	pk_str(&f, 1, upgrade_resp);
	pk_close(&f);
	struct pk_flow g;
	pk_flow_init(&g, c, 50 * PK_MS);
	g.port[0] = 40001;
	pk_handshake(&g);
	pk_str(&g, 0, upgrade_req);
	pk_str(&g, 1, "HTTP/1.1 426 Upgrade Required\r\nContent-Length: 0\r\n\r\n");
	pk_str(&g, 0, "GET /plain HTTP/1.1\r\nHost: h\r\n\r\n");
	pk_str(&g, 1, "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");
	pk_close(&g);
	struct pk_ev *e = calloc(MAXEV, sizeof *e);
	size_t m = pk_collect(c, e, MAXEV, NULL);
	const struct pk_ev *w = pk_nth(e, m, CAP_EV_WS_FRAME, 0);
	assert_non_null(w);
	assert_string_equal(w->payload, "early");
	assert_int_equal(pk_count(e, m, CAP_EV_HTTP), 3);
	assert_true(pk_nth(e, m, CAP_EV_HTTP, 0)->flags & CAP_HTTP_UPGRADE);
	assert_int_equal(pk_nth(e, m, CAP_EV_HTTP, 1)->status, 426);
	assert_string_equal(pk_nth(e, m, CAP_EV_HTTP, 2)->target, "/plain");
	free(e);
	capture_close(c);
}

/* ---- TLS ---- */

static size_t put_ext(uint8_t *p, unsigned type, const uint8_t *body, size_t len)
{
	pk_put16(p, type);
	pk_put16(p + 2, (unsigned)len);
	memcpy(p + 4, body, len);
	return 4 + len;
}

/* A ClientHello handshake message (type + 24-bit length + body). */
static size_t client_hello(uint8_t *out, const char *sni)
{
	uint8_t *p = out + 4;
	size_t n = 0;
	pk_put16(p, 0x0303);
	n += 2;
	memset(p + n, 0x11, 32);
	n += 32;
	p[n++] = 0;                          /* session id */
	pk_put16(p + n, 4);
	pk_put16(p + n + 2, 0x1301);
	pk_put16(p + n + 4, 0xc02f);
	n += 6;
	p[n++] = 1;
	p[n++] = 0;                          /* null compression */
	uint8_t ext[512];
	size_t e = 0;
	uint8_t b[300];
	size_t sl = strlen(sni);
	pk_put16(b, (unsigned)(sl + 3));
	b[2] = 0;
	pk_put16(b + 3, (unsigned)sl);
	memcpy(b + 5, sni, sl);
	e += put_ext(ext + e, 0, b, sl + 5);
	const uint8_t alpn[] = { 0, 12, 2, 'h', '2', 8, 'h', 't', 't', 'p', '/', '1', '.', '1' };
	e += put_ext(ext + e, 16, alpn, sizeof alpn);
	const uint8_t sv[] = { 6, 0x3a, 0x3a, 0x03, 0x04, 0x03, 0x03 };   /* GREASE, 1.3, 1.2 */
	e += put_ext(ext + e, 43, sv, sizeof sv);
	pk_put16(p + n, (unsigned)e);
	n += 2;
	memcpy(p + n, ext, e);
	n += e;
	out[0] = 1;
	out[1] = (uint8_t)(n >> 16);
	out[2] = (uint8_t)(n >> 8);
	out[3] = (uint8_t)n;
	return n + 4;
}

static size_t server_hello(uint8_t *out, unsigned version, const char *alpn)
{
	uint8_t *p = out + 4;
	size_t n = 0;
	pk_put16(p, 0x0303);
	n += 2;
	memset(p + n, 0x22, 32);
	n += 32;
	p[n++] = 0;
	pk_put16(p + n, 0x1301);
	n += 2;
	p[n++] = 0;
	if (version == 0x0304 || alpn) {
		const uint8_t sv[] = { 0x03, 0x04 };
		uint8_t ext[64], al[40];
		size_t e = version == 0x0304 ? put_ext(ext, 43, sv, 2) : 0;
		if (alpn) {
			size_t l = strlen(alpn);
			pk_put16(al, (unsigned)(l + 1));
			al[2] = (uint8_t)l;
			memcpy(al + 3, alpn, l);
			e += put_ext(ext + e, 16, al, l + 3);
		}
		pk_put16(p + n, (unsigned)e);
		n += 2;
		memcpy(p + n, ext, e);
		n += e;
	}
	out[0] = 2;
	out[1] = (uint8_t)(n >> 16);
	out[2] = (uint8_t)(n >> 8);
	out[3] = (uint8_t)n;
	return n + 4;
}

static size_t record(uint8_t *out, unsigned type, const void *body, size_t len)
{
	out[0] = (uint8_t)type;
	out[1] = 3;
	out[2] = 3;
	pk_put16(out + 3, (unsigned)len);
	if (body)
		memcpy(out + 5, body, len);
	else
		memset(out + 5, 0xab, len);
	return 5 + len;
}

static void test_tls_parse_hello(void **state)
{
	(void)state;
	uint8_t ch[600];
	size_t n = client_hello(ch, "api.example.com");
	struct cap_tls_conn t;
	memset(&t, 0, sizeof t);
	assert_true(cap_tls_parse_hello(&t, 1, ch + 4, n - 4));
	assert_string_equal(t.sni, "api.example.com");
	assert_string_equal(t.alpn, "h2,http/1.1");
	assert_int_equal(t.client_version, 0x0304);
	/* every truncation parses safely (fails or stops short), never over-reads */
	for (size_t cut = 0; cut < n - 4; cut++) {
		uint8_t *copy = malloc(cut ? cut : 1);
		memcpy(copy, ch + 4, cut);
		memset(&t, 0, sizeof t);
		(void)cap_tls_parse_hello(&t, 1, copy, cut);
		free(copy);
	}
	uint8_t sh[100];
	n = server_hello(sh, 0x0304, NULL);
	memset(&t, 0, sizeof t);
	assert_true(cap_tls_parse_hello(&t, 2, sh + 4, n - 4));
	assert_int_equal(t.version, 0x0304);
}

static void test_tls13_flow(void **state)
{
	(void)state;
	struct capture *c = capture_open_raw(CAP_DLT_EN10MB, NULL);
	struct pk_flow f;
	pk_flow_init(&f, c, 0);
	f.port[1] = 443;
	pk_handshake(&f);
	uint8_t hs[600], rec[700];
	size_t hn = client_hello(hs, "zeek.org");
	/* the ClientHello split over two records and three segments */
	size_t r = record(rec, 22, hs, 40);
	r += record(rec + r, 22, hs + 40, hn - 40);
	pk_data(&f, 0, rec, 7);
	pk_data(&f, 0, rec + 7, 50);
	pk_data(&f, 0, rec + 57, r - 57);
	hn = server_hello(hs, 0x0304, NULL);
	r = record(rec, 22, hs, hn);
	r += record(rec + r, 20, "\x01", 1);
	r += record(rec + r, 23, NULL, 300);   /* encrypted handshake */
	pk_data(&f, 1, rec, r);
	r = record(rec, 20, "\x01", 1);
	r += record(rec + r, 23, NULL, 53);    /* client Finished */
	pk_data(&f, 0, rec, r);
	r = record(rec, 23, NULL, 100);
	pk_data(&f, 0, rec, r);
	r = record(rec, 23, NULL, 200);
	pk_data(&f, 1, rec, r);
	pk_close(&f);
	struct pk_ev *e = calloc(MAXEV, sizeof *e);
	size_t m = pk_collect(c, e, MAXEV, NULL);
	const struct pk_ev *h = pk_nth(e, m, CAP_EV_TLS_HANDSHAKE, 0);
	assert_non_null(h);
	assert_string_equal(h->sni, "zeek.org");
	assert_int_equal(h->version, 0x0304);
	assert_true(h->complete);
	assert_int_equal(pk_count(e, m, CAP_EV_TLS_APPDATA), 2);
	assert_int_equal(pk_nth(e, m, CAP_EV_TLS_APPDATA, 0)->length, 100);
	assert_int_equal(pk_nth(e, m, CAP_EV_TLS_APPDATA, 1)->dir, CAP_S2C);
	assert_int_equal(capture_counters(c)->tls_connections, 1);
	free(e);
	capture_close(c);
}

static void test_tls12_flow_and_unfinished(void **state)
{
	(void)state;
	struct capture *c = capture_open_raw(CAP_DLT_EN10MB, NULL);
	struct pk_flow f;
	pk_flow_init(&f, c, 0);
	f.port[1] = 8443;
	pk_handshake(&f);
	uint8_t hs[600], rec[800];
	size_t hn = client_hello(hs, "a.example");
	size_t r = record(rec, 22, hs, hn);
	pk_data(&f, 0, rec, r);
	hn = server_hello(hs, 0x0303, NULL);
	r = record(rec, 22, hs, hn);
	r += record(rec + r, 22, NULL, 200);   /* Certificate ... */
	pk_data(&f, 1, rec, r);
	r = record(rec, 22, NULL, 70);         /* ClientKeyExchange */
	r += record(rec + r, 20, "\x01", 1);
	r += record(rec + r, 22, NULL, 40);    /* Finished */
	pk_data(&f, 0, rec, r);
	r = record(rec, 20, "\x01", 1);
	r += record(rec + r, 22, NULL, 40);
	pk_data(&f, 1, rec, r);
	r = record(rec, 23, NULL, 31);
	pk_data(&f, 0, rec, r);
	pk_close(&f);
	/* a second connection that stops after the ClientHello */
	struct pk_flow g;
	pk_flow_init(&g, c, 500 * PK_MS);
	g.port[0] = 40001;
	g.port[1] = 443;
	pk_handshake(&g);
	hn = client_hello(hs, "b.example");
	r = record(rec, 22, hs, hn);
	pk_data(&g, 0, rec, r);
	struct pk_ev *e = calloc(MAXEV, sizeof *e);
	size_t m = pk_collect(c, e, MAXEV, NULL);
	assert_int_equal(pk_count(e, m, CAP_EV_TLS_HANDSHAKE), 2);
	const struct pk_ev *a = pk_nth(e, m, CAP_EV_TLS_HANDSHAKE, 0);
	assert_string_equal(a->sni, "a.example");
	assert_int_equal(a->version, 0x0303);
	assert_true(a->complete);
	const struct pk_ev *b = pk_nth(e, m, CAP_EV_TLS_HANDSHAKE, 1);
	assert_string_equal(b->sni, "b.example");
	assert_false(b->complete);
	assert_int_equal(pk_count(e, m, CAP_EV_TLS_APPDATA), 1);
	free(e);
	capture_close(c);
}

/* TLS 1.3 handshake on f (ALPN selected: alpn or none), up to the client's Finished. */
static void tls13_open(struct pk_flow *f, const char *alpn)
{
	uint8_t hs[600], rec[800];
	pk_handshake(f);
	size_t hn = client_hello(hs, "api.example.com");
	size_t r = record(rec, 22, hs, hn);
	pk_data(f, 0, rec, r);
	hn = server_hello(hs, 0x0304, alpn);
	r = record(rec, 22, hs, hn);
	r += record(rec + r, 20, "\x01", 1);
	r += record(rec + r, 23, NULL, 300);   /* encrypted handshake */
	pk_data(f, 1, rec, r);
	r = record(rec, 20, "\x01", 1);
	r += record(rec + r, 23, NULL, 53);    /* client Finished */
	pk_data(f, 0, rec, r);
}

static void appdata(struct pk_flow *f, int from, size_t len)
{
	uint8_t rec[2100];
	size_t r = record(rec, 23, NULL, len);
	pk_data(f, from, rec, r);
}

/* Exchanges from encrypted record runs: tickets that land in the first answer are left out, an
 * answer is complete after CAPTURE_TLS_RUN_QUIET_MS of silence (not only at the next request,
 * so a long think time does not hold it back), a close_notify is no request, h2 is flagged and
 * gives no samples. */
static void test_tls_exchanges(void **state)
{
	(void)state;
	struct capture *c = capture_open_raw(CAP_DLT_EN10MB, NULL);
	struct pk_flow f, g;
	pk_flow_init(&f, c, 1000 * PK_MS);
	f.port[1] = 443;
	tls13_open(&f, NULL);
	appdata(&f, 0, 180);                   /* request 1 */
	appdata(&f, 1, 74);                    /* two NewSessionTickets after it */
	appdata(&f, 1, 74);
	appdata(&f, 1, 1200);                  /* response 1: two records */
	appdata(&f, 1, 40);
	int64_t resp1_end = f.t - PK_MS;
	f.t += 3000 * PK_MS;
	pk_ack(&f, 0, f.seq[1]);               /* a keep-alive ACK moves the clock */
	f.t += 7000 * PK_MS;
	int64_t req2 = f.t;
	appdata(&f, 0, 181);                   /* request 2, 10 s later */
	appdata(&f, 1, 300);
	appdata(&f, 0, 19);                    /* close_notify */
	pk_close(&f);
	pk_flow_init(&g, c, 30000 * PK_MS);
	g.port[0] = 40002;
	g.port[1] = 443;
	tls13_open(&g, "h2");
	appdata(&g, 0, 100);
	appdata(&g, 1, 100);
	appdata(&g, 0, 100);
	pk_close(&g);
	capture_finish(c);
	struct capture_event ev;
	unsigned n = 0, h2 = 0, samples = 0;
	while (capture_next(c, &ev) == CAP_EVENT) {
		if (ev.kind != CAP_EV_TLS_EXCHANGE)
			continue;
		const struct capture_tls_exchange *x = &ev.u.tlsx;
		struct sample s;
		samples += capture_event_to_sample(&ev, &s);
		if (x->h2) {
			h2++;
			continue;
		}
		n++;
		if (n == 1) {
			assert_int_equal(x->resp_records, 2);
			assert_int_equal(x->resp_bytes, 1240);
			assert_int_equal(x->req_bytes, 180);
			assert_true(x->connect_ns > 0);
			assert_true(ev.ts_ns < req2);          /* emitted before request 2 */
			assert_true(ev.ts_ns >= resp1_end + (int64_t)CAPTURE_TLS_RUN_QUIET_MS * PK_MS);
			assert_true(strref_eq(s.code, "TLS"));
			assert_true(strref_eq(s.url, "https://api.example.com:443/"));
			assert_true(strref_eq(s.label, "TLS api.example.com:443"));
		} else {
			assert_int_equal(x->resp_bytes, 300);
			assert_int_equal(x->connect_ns, 0);
		}
	}
	const struct capture_counters *k = capture_counters(c);
	assert_int_equal(n, 2);
	assert_int_equal(h2, 2);
	assert_int_equal(samples, 2);           /* h2 runs are not samples */
	assert_int_equal(k->tls_tickets, 2);
	assert_int_equal(k->tls_close_alerts, 1);
	assert_int_equal(k->tls_encrypted, 2);
	unsigned it = 0, classes = 0;
	uint64_t lo, hi, cnt;
	while (capture_tls_size_next(c, &it, &lo, &hi, &cnt))
		classes++;
	assert_int_equal(classes, 2);           /* 300 and 1240 (h2 not classed) */
	capture_close(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ws_lengths_masking),
		cmocka_unit_test(test_ws_fragments_close),
		cmocka_unit_test(test_ws_hole),
		cmocka_unit_test(test_ws_early_frame_and_refusal),
		cmocka_unit_test(test_tls_parse_hello),
		cmocka_unit_test(test_tls13_flow),
		cmocka_unit_test(test_tls12_flow_and_unfinished),
		cmocka_unit_test(test_tls_exchanges),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
