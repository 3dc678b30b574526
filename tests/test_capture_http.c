/* test_capture_http.c - HTTP/1.x over reassembled TCP: chunked bodies, pipelining, 100-continue,
 * HEAD/204/304, close-delimited bodies, rate-limit headers and the mapping to struct sample,
 * detection by content, snaplen-truncated messages and the named limits. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <stdio.h>

#include "tests/capture/pktbuild.h"

#define MAXEV 400

static struct pk_ev *run(struct capture *c, size_t *n)
{
	struct pk_ev *e = calloc(MAXEV, sizeof *e);
	*n = pk_collect(c, e, MAXEV, NULL);
	return e;
}

static struct capture *open_flow(struct pk_flow *f)
{
	struct capture *c = capture_open_raw(CAP_DLT_EN10MB, NULL);
	pk_flow_init(f, c, 1700000000LL * 1000 * PK_MS);
	pk_handshake(f);
	return c;
}

static void test_chunked(void **state)
{
	(void)state;
	struct pk_flow f;
	struct capture *c = open_flow(&f);
	pk_str(&f, 0, "POST /up HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n"
		      "3\r\nabc\r\n0\r\n\r\n");
	pk_str(&f, 1, "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n5;ext=1\r\nhel");
	pk_str(&f, 1, "lo\r\n6\r\n world\r\n0\r\nX-Trailer: 1\r\n\r\n");
	pk_str(&f, 0, "GET /next HTTP/1.1\r\nHost: h\r\n\r\n");
	pk_str(&f, 1, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
	pk_close(&f);
	size_t n;
	struct pk_ev *e = run(c, &n);
	assert_int_equal(pk_count(e, n, CAP_EV_HTTP), 2);
	const struct pk_ev *a = pk_nth(e, n, CAP_EV_HTTP, 0);
	assert_string_equal(a->method, "POST");
	assert_int_equal(a->req_body, 3);
	assert_int_equal(a->resp_body, 11);
	assert_true(a->flags & CAP_HTTP_CHUNKED);
	assert_false(a->incomplete);
	assert_int_equal(a->body_n, 11);
	assert_memory_equal(a->body, "hello world", 11);
	const struct pk_ev *b = pk_nth(e, n, CAP_EV_HTTP, 1);
	assert_string_equal(b->target, "/next");
	assert_false(b->incomplete);
	free(e);
	capture_close(c);
}

/* Two requests in one segment, both responses in one segment. */
static void test_pipelined(void **state)
{
	(void)state;
	struct pk_flow f;
	struct capture *c = open_flow(&f);
	pk_str(&f, 0, "GET /bar/ HTTP/1.1\r\nHost: h\r\n\r\nGET /foo/ HTTP/1.1\r\nHost: h\r\n\r\n");
	pk_str(&f, 1, "HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nbar"
		      "HTTP/1.1 404 Not Found\r\nContent-Length: 3\r\n\r\nfoo");
	pk_close(&f);
	size_t n;
	struct pk_ev *e = run(c, &n);
	assert_int_equal(pk_count(e, n, CAP_EV_HTTP), 2);
	const struct pk_ev *a = pk_nth(e, n, CAP_EV_HTTP, 0), *b = pk_nth(e, n, CAP_EV_HTTP, 1);
	assert_string_equal(a->target, "/bar/");
	assert_int_equal(a->status, 200);
	assert_false(a->flags & CAP_HTTP_PIPELINED);
	assert_string_equal(b->target, "/foo/");
	assert_int_equal(b->status, 404);
	assert_true(b->flags & CAP_HTTP_PIPELINED);
	assert_string_equal(b->s_code, "404");
	assert_false(b->s.success);
	free(e);
	capture_close(c);
}

static void test_100_continue(void **state)
{
	(void)state;
	struct pk_flow f;
	struct capture *c = open_flow(&f);
	pk_str(&f, 0, "POST /p HTTP/1.1\r\nHost: h\r\nExpect: 100-continue\r\nContent-Length: 4\r\n\r\n");
	pk_str(&f, 1, "HTTP/1.1 100 Continue\r\n\r\n");
	pk_str(&f, 0, "data");
	pk_str(&f, 1, "HTTP/1.1 201 Created\r\nContent-Length: 0\r\n\r\n");
	pk_close(&f);
	size_t n;
	struct pk_ev *e = run(c, &n);
	assert_int_equal(pk_count(e, n, CAP_EV_HTTP), 1);
	const struct pk_ev *a = pk_nth(e, n, CAP_EV_HTTP, 0);
	assert_int_equal(a->status, 201);
	assert_int_equal(a->interim, 1);
	assert_int_equal(a->req_body, 4);
	assert_false(a->incomplete);
	assert_true(a->req_last > a->req_first);
	assert_int_equal(capture_counters(c)->interim_responses, 1);
	free(e);
	capture_close(c);
}

/* HEAD answers carry Content-Length but no body; 204 and 304 have none either. */
static void test_head_204_304(void **state)
{
	(void)state;
	struct pk_flow f;
	struct capture *c = open_flow(&f);
	pk_str(&f, 0, "HEAD /h HTTP/1.1\r\nHost: h\r\n\r\n");
	pk_str(&f, 1, "HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n");
	pk_str(&f, 0, "DELETE /d HTTP/1.1\r\nHost: h\r\n\r\n");
	pk_str(&f, 1, "HTTP/1.1 204 No Content\r\nContent-Length: 7\r\n\r\n");
	pk_str(&f, 0, "GET /c HTTP/1.1\r\nHost: h\r\nIf-None-Match: x\r\n\r\n");
	pk_str(&f, 1, "HTTP/1.1 304 Not Modified\r\nContent-Length: 50\r\n\r\n");
	pk_str(&f, 0, "GET /last HTTP/1.1\r\nHost: h\r\n\r\n");
	pk_str(&f, 1, "HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nx");
	pk_close(&f);
	size_t n;
	struct pk_ev *e = run(c, &n);
	assert_int_equal(pk_count(e, n, CAP_EV_HTTP), 4);
	const int want[] = { 200, 204, 304, 200 };
	for (size_t i = 0; i < 4; i++) {
		const struct pk_ev *x = pk_nth(e, n, CAP_EV_HTTP, i);
		assert_int_equal(x->status, want[i]);
		assert_false(x->incomplete);
	}
	assert_int_equal(pk_nth(e, n, CAP_EV_HTTP, 3)->resp_body, 1);
	free(e);
	capture_close(c);
}

static void test_close_delimited(void **state)
{
	(void)state;
	struct pk_flow f;
	struct capture *c = open_flow(&f);
	pk_str(&f, 0, "GET /old HTTP/1.0\r\n\r\n");
	pk_str(&f, 1, "HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\nline 1\n");
	pk_str(&f, 1, "line 2\n");
	pk_fin(&f, 1);
	pk_fin(&f, 0);
	size_t n;
	struct pk_ev *e = run(c, &n);
	const struct pk_ev *a = pk_nth(e, n, CAP_EV_HTTP, 0);
	assert_int_equal(a->status, 200);
	assert_int_equal(a->resp_body, 14);
	assert_true(a->flags & CAP_HTTP_CLOSE_DELIMITED);
	assert_false(a->incomplete);
	/* label falls back to the server address without a Host header */
	assert_string_equal(a->label, "GET 10.0.0.2/old");
	free(e);
	capture_close(c);

	/* the same, cut by the end of the capture: unfinished */
	c = open_flow(&f);
	pk_str(&f, 0, "GET /old HTTP/1.0\r\n\r\n");
	pk_str(&f, 1, "HTTP/1.0 200 OK\r\n\r\npartial");
	e = run(c, &n);
	a = pk_nth(e, n, CAP_EV_HTTP, 0);
	assert_true(a->incomplete);
	assert_true(a->flags & CAP_HTTP_UNFINISHED);
	free(e);
	capture_close(c);
}

/* A 429 with rate-limit headers, through to struct sample. */
static void test_throttle_to_sample(void **state)
{
	(void)state;
	struct pk_flow f;
	struct capture *c = open_flow(&f);
	int64_t t0 = f.t;
	pk_str(&f, 0, "GET /v1/messages?id=7 HTTP/1.1\r\nHost: api.example.com\r\n\r\n");
	pk_str(&f, 1, "HTTP/1.1 429 Too Many Requests\r\nRetry-After: 60\r\n"
		      "X-RateLimit-Limit: 100\r\nX-RateLimit-Remaining: 0\r\n"
		      "Content-Length: 2\r\n\r\n");
	pk_str(&f, 1, "{}");
	pk_close(&f);
	size_t n;
	struct pk_ev *e = run(c, &n);
	const struct pk_ev *a = pk_nth(e, n, CAP_EV_HTTP, 0);
	assert_int_equal(a->status, 429);
	assert_string_equal(a->reason, "Too Many Requests");
	assert_string_equal(a->retry_after, "60");
	assert_true(a->rl.flags & RL_RETRY_AFTER);
	assert_true(a->rl.retry_after_s > 59.9 && a->rl.retry_after_s < 60.1);
	assert_true(a->rl.flags & RL_LIMIT);
	assert_int_equal(a->rl.limit, 100);
	assert_int_equal(a->rl.remaining, 0);
	assert_true(a->has_sample);
	assert_string_equal(a->s_label, "GET api.example.com/v1/messages");
	assert_string_equal(a->s_url, "http://api.example.com/v1/messages?id=7");
	assert_string_equal(a->s_code, "429");
	assert_false(a->s.success);
	assert_string_equal(a->s_thread, "c1 10.0.0.1:40000>10.0.0.2:80");
	assert_int_equal(a->s.conn_id, 1);
	assert_int_equal(a->s.ts_ms, t0 / PK_MS);
	assert_int_equal(a->s.latency_ms, 1);   /* response first byte one packet later */
	assert_int_equal(a->s.elapsed_ms, 2);   /* body in the packet after that */
	assert_true(a->s.rl.flags & RL_RETRY_AFTER);
	free(e);
	capture_close(c);
}

/* Odd request lines are HTTP when the server answers "HTTP/1.x". */
static void test_lenient_request_line(void **state)
{
	(void)state;
	struct pk_flow f;
	struct capture *c = open_flow(&f);
	pk_str(&f, 0, "OPTIONS\nHost: www.example.com\n\n");
	pk_str(&f, 1, "HTTP/1.0 400 Bad Request\r\nContent-Length: 0\r\n\r\n");
	pk_close(&f);
	size_t n;
	struct pk_ev *e = run(c, &n);
	const struct pk_ev *a = pk_nth(e, n, CAP_EV_HTTP, 0);
	assert_non_null(a);
	assert_string_equal(a->method, "OPTIONS");
	assert_string_equal(a->host, "www.example.com");
	assert_int_equal(a->status, 400);
	free(e);
	capture_close(c);
}

/* Content decides, not ports; other protocols stay out of the HTTP counters. */
static void test_detection_by_content(void **state)
{
	(void)state;
	struct pk_flow f;
	struct capture *c = capture_open_raw(CAP_DLT_EN10MB, NULL);
	pk_flow_init(&f, c, 0);
	f.port[1] = 5555;
	pk_handshake(&f);
	pk_str(&f, 0, "GET / HTTP/1.1\r\nHost: h:5555\r\n\r\n");
	pk_str(&f, 1, "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");
	pk_close(&f);
	struct pk_flow g;
	pk_flow_init(&g, c, 100 * PK_MS);
	g.port[0] = 40001;
	pk_handshake(&g);
	pk_str(&g, 1, "SSH-2.0-OpenSSH_9.2\r\n");
	pk_str(&g, 0, "SSH-2.0-OpenSSH_9.2\r\n");
	pk_data(&g, 0, "\x00\x00\x01\x2c\x0a\x14", 6);
	pk_close(&g);
	size_t n;
	struct pk_ev *e = run(c, &n);
	assert_int_equal(pk_count(e, n, CAP_EV_HTTP), 1);
	assert_string_equal(pk_nth(e, n, CAP_EV_HTTP, 0)->url, "http://h:5555/");
	const struct pk_ev *c2 = pk_nth(e, n, CAP_EV_CONN_CLOSE, 1);
	assert_int_equal(c2->proto, CAP_PROTO_OTHER);
	free(e);
	capture_close(c);
}

/* Snaplen 80: the request and status lines are cut; what was seen is reported, flagged. */
static void test_snaplen(void **state)
{
	(void)state;
	struct pk_flow f;
	struct capture *c = open_flow(&f);
	f.snap = 14 + 20 + 20 + 30;
	pk_str(&f, 0, "GET /images/sf.net_box.gif HTTP/1.1\r\nHost: images.sourceforge.net\r\n\r\n");
	pk_str(&f, 1, "HTTP/1.1 200 OK\r\nContent-Length: 2000\r\nContent-Type: image/gif\r\n\r\n");
	pk_close(&f);
	size_t n;
	struct pk_ev *e = run(c, &n);
	assert_int_equal(pk_count(e, n, CAP_EV_HTTP), 1);
	const struct pk_ev *a = pk_nth(e, n, CAP_EV_HTTP, 0);
	assert_string_equal(a->method, "GET");
	assert_string_equal(a->target, "/images/sf.net_box.gif");
	assert_int_equal(a->status, 200);
	assert_true(a->incomplete);
	assert_true(a->flags & (CAP_HTTP_REQ_HOLE | CAP_HTTP_RESP_HOLE));
	assert_true(capture_counters(c)->bytes_missing > 0);
	free(e);
	capture_close(c);
}

/* More unanswered requests than CAPTURE_MAX_PENDING: the oldest are given up, counted. */
static void test_pending_limit(void **state)
{
	(void)state;
	struct pk_flow f;
	struct capture *c = open_flow(&f);
	for (unsigned i = 0; i < CAPTURE_MAX_PENDING + 10; i++)
		pk_str(&f, 0, "GET /x HTTP/1.1\r\nHost: h\r\n\r\n");
	pk_close(&f);
	size_t n, total = 0;
	struct pk_ev *e = calloc(MAXEV, sizeof *e);
	n = pk_collect(c, e, MAXEV, &total);
	(void)n;
	const struct capture_counters *k = capture_counters(c);
	assert_int_equal(k->limit[CAP_LIM_PENDING], 10);
	assert_int_equal(k->exchanges, CAPTURE_MAX_PENDING + 10);
	assert_int_equal(k->incomplete_exchanges, CAPTURE_MAX_PENDING + 10);
	free(e);
	capture_close(c);
}

/* A header block over CAPTURE_MAX_HEADER is counted; parsing goes on afterwards. */
static void test_header_limit(void **state)
{
	(void)state;
	struct pk_flow f;
	struct capture *c = open_flow(&f);
	pk_str(&f, 0, "GET /big HTTP/1.1\r\nHost: h\r\n\r\n");
	pk_str(&f, 1, "HTTP/1.1 200 OK\r\n");
	static char line[1100];
	memset(line, 'a', sizeof line - 3);
	memcpy(line, "X-Big: ", 7);
	line[sizeof line - 3] = '\r';
	line[sizeof line - 2] = '\n';
	line[sizeof line - 1] = '\0';
	for (int i = 0; i < 70; i++)
		pk_str(&f, 1, line);
	pk_str(&f, 1, "\r\n");
	pk_str(&f, 0, "GET /after HTTP/1.1\r\nHost: h\r\n\r\n");
	pk_str(&f, 1, "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");
	pk_close(&f);
	size_t n;
	struct pk_ev *e = run(c, &n);
	assert_true(capture_counters(c)->limit[CAP_LIM_HEADER] >= 1);
	const struct pk_ev *last = pk_nth(e, n, CAP_EV_HTTP, 1);
	assert_non_null(last);
	assert_string_equal(last->target, "/after");
	assert_int_equal(last->status, 200);
	free(e);
	capture_close(c);
}

/* Absolute-form target and a long query: label without the query, url as sent. */
static void test_label_forms(void **state)
{
	(void)state;
	struct pk_flow f;
	struct capture *c = open_flow(&f);
	pk_str(&f, 0, "GET http://proxy.example/x/y?q=1 HTTP/1.1\r\n\r\n");
	pk_str(&f, 1, "HTTP/1.1 302 Found\r\nContent-Length: 0\r\n\r\n");
	pk_str(&f, 0, "OPTIONS * HTTP/1.1\r\nHost: h\r\n\r\n");
	pk_str(&f, 1, "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");
	pk_close(&f);
	size_t n;
	struct pk_ev *e = run(c, &n);
	const struct pk_ev *a = pk_nth(e, n, CAP_EV_HTTP, 0);
	assert_string_equal(a->label, "GET proxy.example/x/y");
	assert_string_equal(a->url, "http://proxy.example/x/y?q=1");
	assert_true(a->s.success);
	const struct pk_ev *b = pk_nth(e, n, CAP_EV_HTTP, 1);
	assert_string_equal(b->label, "OPTIONS h/*");
	assert_string_equal(b->url, "http://h/");
	free(e);
	capture_close(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_chunked),
		cmocka_unit_test(test_pipelined),
		cmocka_unit_test(test_100_continue),
		cmocka_unit_test(test_head_204_304),
		cmocka_unit_test(test_close_delimited),
		cmocka_unit_test(test_throttle_to_sample),
		cmocka_unit_test(test_lenient_request_line),
		cmocka_unit_test(test_detection_by_content),
		cmocka_unit_test(test_snaplen),
		cmocka_unit_test(test_pending_limit),
		cmocka_unit_test(test_header_limit),
		cmocka_unit_test(test_label_forms),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
