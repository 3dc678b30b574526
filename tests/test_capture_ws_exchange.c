/* test_capture_ws_exchange.c - WebSocket message exchanges: a client message and the server
 * message that answers it become one sample; server pushes are counted, not requests; in-band
 * retry hints (Genesys Web Messaging retryAfter, Slack/Discord retry_after) become the
 * sample's Retry-After.  Frames are shaped like the vendors' real ones. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <zlib.h>

#include "analyzer/throttle/throttle.h"
#include "tests/capture/pktbuild.h"

#define MAXEV 256

static const char upgrade_req[] =
	"GET /v1?deploymentId=2b9a7c1e-0c4d-4c8e-9d5f-1d2e3f4a5b6c HTTP/1.1\r\n"
	"Host: webmessaging.apse1.pure.cloud\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
	"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n";
static const char upgrade_resp[] =
	"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
	"Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n";

static const uint8_t key[4] = { 0x11, 0x22, 0x33, 0x44 };

/* A text frame, masked when from the client. */
static void text(struct pk_flow *f, int from, const char *msg)
{
	static uint8_t buf[8192];
	size_t len = strlen(msg), n = 0;
	buf[n++] = 0x81;
	uint8_t mbit = from == 0 ? 0x80 : 0;
	if (len < 126) {
		buf[n++] = (uint8_t)(mbit | len);
	} else {
		buf[n++] = mbit | 126;
		pk_put16(buf + n, (unsigned)len);
		n += 2;
	}
	if (from == 0) {
		memcpy(buf + n, key, 4);
		n += 4;
	}
	for (size_t i = 0; i < len; i++)
		buf[n + i] = from == 0 ? (uint8_t)(msg[i] ^ key[i & 3]) : (uint8_t)msg[i];
	pk_data(f, from, buf, n + len);
}

static struct capture *open_ws(struct pk_flow *f)
{
	struct capture *c = capture_open_raw(CAP_DLT_EN10MB, NULL);
	pk_flow_init(f, c, 1700000000LL * 1000000000LL);
	pk_handshake(f);
	pk_str(f, 0, upgrade_req);
	pk_str(f, 1, upgrade_resp);
	return c;
}

static void advance(struct pk_flow *f, int64_t ms)
{
	f->t += ms * PK_MS;
}

#define GEN_SEND(id)                                                                          \
	"{\"action\":\"onMessage\",\"token\":\"00a3c5c1-3d0b-4c1e-9f52-7d7f0c2d9d1e\","      \
	"\"message\":{\"type\":\"Text\",\"text\":\"hello\"},\"tracingId\":\"" id "\"}"
#define GEN_OK(id)                                                                            \
	"{\"type\":\"response\",\"class\":\"StructuredMessage\",\"code\":200,\"body\":{\"text\":" \
	"\"hello\",\"direction\":\"Inbound\",\"id\":\"5c3b\",\"channel\":{\"time\":"            \
	"\"2026-12-03T10:00:00.123Z\"},\"type\":\"Text\"},\"tracingId\":\"" id "\"}"
#define GEN_429(id)                                                                           \
	"{\"type\":\"response\",\"class\":\"TooManyRequestsErrorMessage\",\"code\":429,"        \
	"\"body\":{\"retryAfter\":3,\"errorCode\":4029,\"errorMessage\":\"Message rate too high " \
	"for this session\"},\"tracingId\":\"" id "\"}"
#define GEN_EVENT                                                                             \
	"{\"type\":\"message\",\"class\":\"StructuredMessage\",\"code\":200,\"body\":{\"text\":" \
	"\"Hi, how can I help?\",\"direction\":\"Outbound\",\"type\":\"Text\"}}"

/* Genesys Web Messaging: answers carry the request's tracingId; agent messages are pushes. */
static void test_genesys_exchanges(void **state)
{
	(void)state;
	struct pk_flow f;
	struct capture *c = open_ws(&f);
	advance(&f, 100);
	text(&f, 0, GEN_SEND("t-1"));
	advance(&f, 40);
	text(&f, 1, GEN_OK("t-1"));
	advance(&f, 500);
	text(&f, 1, GEN_EVENT);                 /* push: nothing waits */
	advance(&f, 1460);
	text(&f, 0, GEN_SEND("t-2"));
	advance(&f, 5);
	text(&f, 1, GEN_EVENT);                 /* push with a message waiting: no tracingId */
	advance(&f, 10);
	text(&f, 1, GEN_429("t-2"));
	advance(&f, 3000);
	text(&f, 0, GEN_SEND("t-3"));           /* never answered */
	pk_close(&f);
	struct pk_ev *e = calloc(MAXEV, sizeof *e);
	size_t m = pk_collect(c, e, MAXEV, NULL);
	assert_int_equal(pk_count(e, m, CAP_EV_WS_EXCHANGE), 3);
	const struct capture_counters *k = capture_counters(c);
	assert_int_equal(k->websocket_exchanges, 3);
	assert_int_equal(k->websocket_unanswered, 1);
	assert_int_equal(k->websocket_pushes, 2);
	assert_int_equal(k->websocket_messages, 7);
	/* no frame is a sample any more */
	for (size_t i = 0; i < m; i++)
		if (e[i].kind == CAP_EV_WS_FRAME)
			assert_false(e[i].has_sample);

	const struct pk_ev *a = pk_nth(e, m, CAP_EV_WS_EXCHANGE, 0);
	assert_true(a->has_sample);
	assert_true(a->fin);                    /* answered */
	assert_true(a->masked);                 /* by id */
	assert_int_equal(a->status, 200);
	assert_true(a->s.success);
	/* handshake and upgrade took 5 packets (1 ms each), then 100 ms */
	assert_int_equal(a->s.ts_ms, 1700000000000LL + 105);
	assert_int_equal(a->s.elapsed_ms, 41);  /* every packet also advances 1 ms */
	assert_string_equal(a->s_label, "WS webmessaging.apse1.pure.cloud/v1");
	assert_string_equal(a->s_code, "WS");
	assert_false(a->rl.flags & RL_RETRY_AFTER);

	const struct pk_ev *b = pk_nth(e, m, CAP_EV_WS_EXCHANGE, 1);
	assert_true(b->fin);
	assert_int_equal(b->status, 429);
	assert_false(b->s.success);
	assert_int_equal(b->s.elapsed_ms, 17);  /* to the 429 (1+5+1+10), not to the push */
	assert_non_null(strstr(b->message, "TooManyRequestsErrorMessage"));
	assert_true(b->has_sample);
	assert_true(b->rl.flags & RL_RETRY_AFTER);
	assert_true(b->rl.flags & RL_INBAND);
	assert_true(b->s.rl.flags & RL_RETRY_AFTER);
	assert_true(b->s.rl.retry_after_s == 3.0);

	const struct pk_ev *d = pk_nth(e, m, CAP_EV_WS_EXCHANGE, 2);
	assert_false(d->fin);
	assert_true(d->has_sample);
	assert_false(d->s.has & SH_ELAPSED);
	free(e);
	capture_close(c);
}

/* The sample of a throttled exchange is a throttle signal for the analysis (code WS, answer
 * text), and the OK one is not. */
static void test_exchange_signal(void **state)
{
	(void)state;
	struct pk_flow f;
	struct capture *c = open_ws(&f);
	text(&f, 0, GEN_SEND("a"));
	text(&f, 1, GEN_OK("a"));
	text(&f, 0, GEN_SEND("b"));
	text(&f, 1, GEN_429("b"));
	pk_close(&f);
	capture_finish(c);
	struct throttle_config tc;
	throttle_config_default(&tc);
	char err[256];
	struct throttle *t = throttle_new(&tc, err, sizeof err);
	assert_non_null(t);
	struct capture_event ev;
	struct sample s;
	int n = 0, thr = 0;
	while (capture_next(c, &ev) == CAP_EVENT) {
		if (!capture_event_to_sample(&ev, &s))
			continue;
		assert_true(strref_eq(s.code, "WS"));
		n++;
		if (throttle_is_signal(t, &s)) {
			thr++;
			assert_true(s.rl.flags & RL_RETRY_AFTER);
			assert_true(strref_eq(s.message, "TooManyRequestsErrorMessage"));
		} else {
			assert_true(strref_eq(s.message, "StructuredMessage"));
		}
	}
	assert_int_equal(n, 2);               /* the 101 upgrade is no sample */
	assert_int_equal(thr, 1);
	throttle_free(t);
	capture_close(c);
}

/* Answers out of order are paired by id (JSON-RPC "id"); Slack answers with "reply_to". */
static void test_ids_out_of_order(void **state)
{
	(void)state;
	struct pk_flow f;
	struct capture *c = open_ws(&f);
	text(&f, 0, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"slow\"}");
	advance(&f, 1);
	text(&f, 0, "{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"fast\"}");
	advance(&f, 10);
	text(&f, 1, "{\"jsonrpc\":\"2.0\",\"id\":2,\"result\":\"f\"}");
	advance(&f, 90);
	text(&f, 1, "{\"jsonrpc\":\"2.0\",\"id\":99,\"method\":\"note\",\"params\":{\"id\":1}}");
	advance(&f, 100);
	text(&f, 1, "{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":\"s\"}");
	text(&f, 0, "{\"id\":7,\"type\":\"message\",\"channel\":\"C024BE91L\",\"text\":\"hi\"}");
	advance(&f, 20);
	text(&f, 1, "{\"ok\":false,\"reply_to\":7,\"error\":{\"code\":429,\"msg\":\"ratelimited\"},"
		    "\"retry_after\":1.5}");
	pk_close(&f);
	struct pk_ev *e = calloc(MAXEV, sizeof *e);
	size_t m = pk_collect(c, e, MAXEV, NULL);
	assert_int_equal(pk_count(e, m, CAP_EV_WS_EXCHANGE), 3);
	const struct pk_ev *x2 = pk_nth(e, m, CAP_EV_WS_EXCHANGE, 0);
	assert_non_null(strstr(x2->payload, "\"id\":2"));
	assert_non_null(strstr(x2->message, "\"f\""));
	assert_int_equal(x2->s.elapsed_ms, 11);
	const struct pk_ev *x1 = pk_nth(e, m, CAP_EV_WS_EXCHANGE, 1);
	assert_non_null(strstr(x1->payload, "\"id\":1"));
	assert_non_null(strstr(x1->message, "\"s\""));
	assert_int_equal(x1->s.elapsed_ms, 205);
	assert_true(x1->masked);
	const struct pk_ev *x7 = pk_nth(e, m, CAP_EV_WS_EXCHANGE, 2);
	assert_true(x7->masked);
	assert_int_equal(x7->status, 0);        /* the 429 is nested: no top-level status */
	assert_true(x7->rl.flags & RL_RETRY_AFTER);
	assert_true(x7->rl.retry_after_s == 1.5);
	assert_int_equal(capture_counters(c)->websocket_pushes, 1);
	free(e);
	capture_close(c);
}

/* Plain text answers (no JSON) pair in order; pipelined client messages take answers in turn. */
static void test_fifo(void **state)
{
	(void)state;
	struct pk_flow f;
	struct capture *c = open_ws(&f);
	text(&f, 0, "ping 1");
	text(&f, 0, "ping 2");
	advance(&f, 7);
	text(&f, 1, "pong 1");
	advance(&f, 3);
	text(&f, 1, "pong 2");
	text(&f, 1, "tick");
	pk_close(&f);
	struct pk_ev *e = calloc(MAXEV, sizeof *e);
	size_t m = pk_collect(c, e, MAXEV, NULL);
	assert_int_equal(pk_count(e, m, CAP_EV_WS_EXCHANGE), 2);
	assert_string_equal(pk_nth(e, m, CAP_EV_WS_EXCHANGE, 0)->message, "pong 1");
	assert_string_equal(pk_nth(e, m, CAP_EV_WS_EXCHANGE, 1)->message, "pong 2");
	assert_int_equal(pk_nth(e, m, CAP_EV_WS_EXCHANGE, 1)->s.elapsed_ms, 12);
	assert_false(pk_nth(e, m, CAP_EV_WS_EXCHANGE, 1)->masked);
	assert_int_equal(capture_counters(c)->websocket_pushes, 1);
	free(e);
	capture_close(c);
}

/* More than CAPTURE_WS_MAX_PENDING unanswered messages: the oldest are given up, counted. */
static void test_pending_limit(void **state)
{
	(void)state;
	struct pk_flow f;
	struct capture *c = open_ws(&f);
	for (unsigned i = 0; i < CAPTURE_WS_MAX_PENDING + 5; i++)
		text(&f, 0, "x");
	pk_close(&f);
	capture_finish(c);
	struct capture_event ev;
	unsigned n = 0;
	while (capture_next(c, &ev) == CAP_EVENT)
		n += ev.kind == CAP_EV_WS_EXCHANGE;
	assert_int_equal(n, CAPTURE_WS_MAX_PENDING + 5);
	assert_int_equal(capture_counters(c)->limit[CAP_LIM_PENDING], 5);
	assert_int_equal(capture_counters(c)->websocket_unanswered, CAPTURE_WS_MAX_PENDING + 5);
	capture_close(c);
}

/* The JSON member scanner and in-band hints: depth, strings, escapes, malformed input. */
static void test_inband_parse(void **state)
{
	(void)state;
	struct json_value v;
	const char *j = "{\"a\":{\"code\":1},\"code\":429,\"s\":\"x\\\"y\",\"arr\":[{\"id\":3}]}";
	assert_true(json_member(j, strlen(j), "code", 1, &v));
	assert_true(strref_eq(v.v, "429"));
	assert_true(json_member(j, strlen(j), "code", 2, &v));
	assert_true(strref_eq(v.v, "1"));       /* first in document order */
	assert_true(json_member(j, strlen(j), "s", 1, &v));
	assert_true(v.string && strref_eq(v.v, "x\\\"y"));
	assert_false(json_member(j, strlen(j), "id", 1, &v));
	assert_true(json_member(j, strlen(j), "id", 3, &v));
	assert_false(json_member(j, strlen(j), "a", 1, &v));   /* objects are not values */
	assert_false(json_member("{\"code\":", 8, "code", 1, &v));
	assert_false(json_member("{\"code\"", 7, "code", 1, &v));
	assert_false(json_member("{\"co", 4, "code", 1, &v));
	/* text that only looks like a key inside a string value */
	const char *t = "{\"text\":\"\\\"code\\\":429\"}";
	assert_false(json_member(t, strlen(t), "code", 5, &v));

	struct ratelimit rl = { 0 };
	const char *g = GEN_429("z");
	assert_true(ratelimit_inband(&rl, g, strlen(g)));
	assert_true(rl.retry_after_s == 3.0);
	memset(&rl, 0, sizeof rl);
	const char *d = "{\"message\": \"You are being rate limited.\", \"retry_after\": 64.57, "
			"\"global\": false}";
	assert_true(ratelimit_inband(&rl, d, strlen(d)));
	assert_true(rl.retry_after_s > 64.56 && rl.retry_after_s < 64.58);
	memset(&rl, 0, sizeof rl);
	const char *ms = "{\"retryAfterMs\":1500}";
	assert_true(ratelimit_inband(&rl, ms, strlen(ms)));
	assert_true(rl.retry_after_s == 1.5);
	memset(&rl, 0, sizeof rl);
	assert_false(ratelimit_inband(&rl, "{\"retryAfter\":\"soon\"}", 21));
	assert_false(ratelimit_inband(&rl, "{\"retryAfter\":-1}", 17));
	assert_false(ratelimit_inband(&rl, "retryAfter: 3", 13));
	assert_int_equal(rl.flags, 0);
	/* Genesys Cloud Platform API */
	const char *pa = "{\"message\":\"Rate limit exceeded the maximum. Retry the request in [2] seconds\","
			 "\"code\":\"too.many.requests.retry.after\",\"status\":429,\"messageParams\":{},"
			 "\"contextId\":\"0c6b1b8e\",\"details\":[],\"errors\":[]}";
	assert_true(ratelimit_inband(&rl, pa, strlen(pa)));
	assert_true(rl.retry_after_s == 2.0);
	memset(&rl, 0, sizeof rl);
	assert_true(ratelimit_inband(&rl, "retry the request in 1.5 seconds", 32));
	assert_true(rl.retry_after_s == 1.5);
	memset(&rl, 0, sizeof rl);
	assert_false(ratelimit_inband(&rl, "Retry the request in [2 seconds", 31));
	assert_false(ratelimit_inband(&rl, "Retry the request in [] seconds", 31));
	assert_false(ratelimit_inband(&rl, "Retry the request in [5] minutes", 32));
	assert_int_equal(rl.flags, 0);
}

/* A captured HTTP 429 whose retry hint is only in the body (Genesys Platform API) gets it as
 * the sample's Retry-After; one with a Retry-After header keeps the header's value. */
static void test_http_body_hint(void **state)
{
	(void)state;
	struct pk_flow f;
	struct capture *c = capture_open_raw(CAP_DLT_EN10MB, NULL);
	pk_flow_init(&f, c, 0);
	pk_handshake(&f);
	const char *body = "{\"message\":\"Rate limit exceeded the maximum. Retry the request in [3] seconds\","
			   "\"code\":\"too.many.requests.retry.after\",\"status\":429}";
	char resp[600];
	for (int i = 0; i < 2; i++) {
		pk_str(&f, 0, "GET /api/v2/users/me HTTP/1.1\r\nHost: api.apse1.pure.cloud\r\n\r\n");
		snprintf(resp, sizeof resp,
			 "HTTP/1.1 429 Too Many Requests\r\nContent-Type: application/json\r\n%s"
			 "Content-Length: %zu\r\n\r\n%s", i ? "Retry-After: 7\r\n" : "", strlen(body), body);
		pk_str(&f, 1, resp);
	}
	pk_close(&f);
	struct pk_ev *e = calloc(MAXEV, sizeof *e);
	size_t m = pk_collect(c, e, MAXEV, NULL);
	const struct pk_ev *a = pk_nth(e, m, CAP_EV_HTTP, 0), *b = pk_nth(e, m, CAP_EV_HTTP, 1);
	assert_true(a->rl.flags & RL_RETRY_AFTER);
	assert_true(a->rl.flags & RL_INBAND);
	assert_true(a->rl.retry_after_s == 3.0);
	assert_true(a->s.rl.retry_after_s == 3.0);
	assert_false(b->rl.flags & RL_INBAND);
	assert_true(b->rl.retry_after_s == 7.0);
	free(e);
	capture_close(c);
}

/* ---- permessage-deflate (RFC 7692) ---- */

static const char upgrade_pmd[] =
	"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
	"Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n"
	"Sec-WebSocket-Extensions: permessage-deflate; client_no_context_takeover; server_max_window_bits=15\r\n\r\n";

/* Deflate msg as permessage-deflate does: a sync flush, the trailing 00 00 ff ff removed. */
static size_t pmd(z_stream *z, const void *msg, size_t n, uint8_t *out, size_t cap)
{
	z->next_in = (Bytef *)(uintptr_t)msg;
	z->avail_in = (uInt)n;
	z->next_out = out;
	z->avail_out = (uInt)cap;
	assert_int_equal(deflate(z, Z_SYNC_FLUSH), Z_OK);
	size_t got = cap - z->avail_out;
	assert_true(got >= 4 && memcmp(out + got - 4, "\x00\x00\xff\xff", 4) == 0);
	return got - 4;
}

/* One frame: RSV1 when rsv1; masked from the client. */
static void frame(struct pk_flow *f, int from, bool fin, bool rsv1, unsigned op, const uint8_t *p,
		  size_t len)
{
	uint8_t *buf = malloc(len + 14);
	size_t n = 0;
	buf[n++] = (uint8_t)((fin ? 0x80 : 0) | (rsv1 ? 0x40 : 0) | op);
	uint8_t mbit = from == 0 ? 0x80 : 0;
	if (len < 126) {
		buf[n++] = (uint8_t)(mbit | len);
	} else if (len < 65536) {
		buf[n++] = mbit | 126;
		pk_put16(buf + n, (unsigned)len);
		n += 2;
	} else {
		buf[n++] = mbit | 127;
		memset(buf + n, 0, 4);
		pk_put32(buf + n + 4, (uint32_t)len);
		n += 8;
	}
	if (from == 0) {
		memcpy(buf + n, key, 4);
		n += 4;
	}
	for (size_t i = 0; i < len; i++)
		buf[n + i] = from == 0 ? (uint8_t)(p[i] ^ key[i & 3]) : p[i];
	for (size_t off = 0; off < n + len; off += 1400)
		pk_data(f, from, buf + off, n + len - off < 1400 ? n + len - off : 1400);
	free(buf);
}

static void test_permessage_deflate(void **state)
{
	(void)state;
	struct pk_flow f;
	struct capture *c = capture_open_raw(CAP_DLT_EN10MB, NULL);
	pk_flow_init(&f, c, 0);
	pk_handshake(&f);
	pk_str(&f, 0, upgrade_req);
	pk_str(&f, 1, upgrade_pmd);
	z_stream cz, sz;   /* client: no context takeover (reset per message); server: takeover */
	memset(&cz, 0, sizeof cz);
	memset(&sz, 0, sizeof sz);
	assert_int_equal(deflateInit2(&cz, 6, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY), Z_OK);
	assert_int_equal(deflateInit2(&sz, 6, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY), Z_OK);
	static uint8_t out[1 << 16];
	for (int i = 0; i < 3; i++) {
		char m[200];
		snprintf(m, sizeof m, GEN_SEND("z-%d"), i);
		deflateReset(&cz);
		size_t n = pmd(&cz, m, strlen(m), out, sizeof out);
		frame(&f, 0, true, true, 1, out, n);
		const char *a = i < 2 ? GEN_OK("z-0") : GEN_429("z-2");
		char ans[400];
		snprintf(ans, sizeof ans, "%s", a);
		if (i == 1)
			memcpy(strstr(ans, "z-0"), "z-1", 3);
		n = pmd(&sz, ans, strlen(ans), out, sizeof out);
		if (i == 1) {   /* fragmented: RSV1 on the first frame only */
			frame(&f, 1, false, true, 1, out, n / 2);
			frame(&f, 1, true, false, 0, out + n / 2, n - n / 2);
		} else {
			frame(&f, 1, true, true, 1, out, n);
		}
	}
	/* a decompression bomb: 20 MB of zeros in one message */
	uint8_t *zeros = calloc(1, 20u << 20);
	deflateReset(&cz);
	cz.next_in = zeros;
	cz.avail_in = 20u << 20;
	uint8_t *bomb = malloc(1 << 20);
	cz.next_out = bomb;
	cz.avail_out = 1 << 20;
	assert_int_equal(deflate(&cz, Z_SYNC_FLUSH), Z_OK);
	size_t bn = (1u << 20) - cz.avail_out - 4;
	frame(&f, 0, true, true, 2, bomb, bn);
	free(zeros);
	free(bomb);
	/* garbage marked compressed */
	frame(&f, 0, true, true, 1, (const uint8_t *)"\xff\xff\xff\xff\xff", 5);
	pk_close(&f);
	deflateEnd(&cz);
	deflateEnd(&sz);
	struct pk_ev *e = calloc(MAXEV, sizeof *e);
	size_t m = pk_collect(c, e, MAXEV, NULL);
	const struct capture_counters *k = capture_counters(c);
	assert_int_equal(k->websocket_inflated, 6);
	assert_int_equal(k->websocket_inflate_failed, 2);
	assert_int_equal(k->limit[CAP_LIM_WS_INFLATE], 1);
	assert_int_equal(pk_count(e, m, CAP_EV_WS_EXCHANGE), 5);
	for (int i = 0; i < 3; i++) {
		const struct pk_ev *x = pk_nth(e, m, CAP_EV_WS_EXCHANGE, (size_t)i);
		char want[16];
		snprintf(want, sizeof want, "\"z-%d\"", i);
		assert_non_null(strstr(x->payload, "onMessage"));
		assert_non_null(strstr(x->message, want));
		assert_true(x->masked);            /* paired by tracingId: the text was inflated */
	}
	const struct pk_ev *t = pk_nth(e, m, CAP_EV_WS_EXCHANGE, 2);
	assert_int_equal(t->status, 429);
	assert_true(t->rl.flags & RL_RETRY_AFTER);
	free(e);
	capture_close(c);
}

/* RSV1 without a negotiated permessage-deflate: not inflated (counted), the raw bytes kept. */
static void test_rsv1_not_negotiated(void **state)
{
	(void)state;
	struct pk_flow f;
	struct capture *c = open_ws(&f);
	frame(&f, 0, true, true, 1, (const uint8_t *)"abc", 3);
	frame(&f, 1, true, false, 1, (const uint8_t *)"ok", 2);
	pk_close(&f);
	struct pk_ev *e = calloc(MAXEV, sizeof *e);
	size_t m = pk_collect(c, e, MAXEV, NULL);
	const struct pk_ev *x = pk_nth(e, m, CAP_EV_WS_EXCHANGE, 0);
	assert_non_null(x);
	assert_string_equal(x->payload, "abc");
	assert_string_equal(x->message, "ok");
	assert_int_equal(capture_counters(c)->websocket_inflate_failed, 1);
	assert_int_equal(capture_counters(c)->websocket_inflated, 0);
	free(e);
	capture_close(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_genesys_exchanges), cmocka_unit_test(test_exchange_signal),
		cmocka_unit_test(test_ids_out_of_order),  cmocka_unit_test(test_fifo),
		cmocka_unit_test(test_pending_limit),     cmocka_unit_test(test_inband_parse),
		cmocka_unit_test(test_permessage_deflate), cmocka_unit_test(test_http_body_hint),
		cmocka_unit_test(test_rsv1_not_negotiated),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
