/* test_capture_tcp.c - TCP connection tracking and reassembly through capture_feed: handshake
 * and RTT, out-of-order and retransmitted segments, overlaps, holes (which must mark only the
 * affected exchange), zero windows, FIN/RST, connections without a SYN, port reuse, eviction,
 * sequence wrap-around and the out-of-order buffer limit. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "tests/capture/pktbuild.h"

#define MAXEV 64

static const char req1[] = "GET /a HTTP/1.1\r\nHost: example.com\r\n\r\n";
static const char req2[] = "GET /b HTTP/1.1\r\nHost: example.com\r\n\r\n";
static const char resp_ok[] = "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello";

static struct pk_ev *evs_new(void)
{
	return calloc(MAXEV, sizeof(struct pk_ev));
}

static void test_handshake_rtt(void **state)
{
	(void)state;
	struct capture *c = capture_open_raw(CAP_DLT_EN10MB, NULL);
	struct pk_flow f;
	pk_flow_init(&f, c, 1000 * PK_MS);
	pk_handshake(&f);   /* SYN t=1000ms, SYN-ACK 1001, ACK 1002 */
	pk_str(&f, 0, req1);
	pk_str(&f, 1, resp_ok);
	pk_close(&f);
	struct pk_ev *e = evs_new();
	size_t n = pk_collect(c, e, MAXEV, NULL);
	const struct pk_ev *cl = pk_nth(e, n, CAP_EV_CONN_CLOSE, 0);
	assert_non_null(cl);
	assert_int_equal(cl->stats.syn_ns, 1000 * PK_MS);
	assert_int_equal(cl->stats.synack_ns, 1001 * PK_MS);
	assert_int_equal(cl->stats.established_ns, 1002 * PK_MS);
	assert_int_equal(cl->stats.rtt_ns, PK_MS);
	assert_int_equal(cl->stats.handshake_ns, 2 * PK_MS);
	assert_int_equal(cl->stats.close_reason, CAP_CLOSE_FIN);
	assert_int_equal(cl->stats.fin_by, CAP_BY_CLIENT | CAP_BY_SERVER);
	assert_string_equal(cl->conn_name, "c1 10.0.0.1:40000>10.0.0.2:80");
	assert_true(cl->saw_syn);
	const struct pk_ev *h = pk_nth(e, n, CAP_EV_HTTP, 0);
	assert_non_null(h);
	assert_int_equal(h->status, 200);
	assert_false(h->incomplete);
	/* the first exchange carries the connect time */
	assert_int_equal(h->s.connect_ms, 2);
	assert_int_equal(pk_nth(e, 0, CAP_EV_CONN_OPEN, 0) == NULL, 1);
	assert_int_equal(e[0].kind, CAP_EV_CONN_OPEN);
	free(e);
	capture_close(c);
}

/* Request split in three segments, captured 1, 3, 2: parsed as one request. */
static void test_out_of_order(void **state)
{
	(void)state;
	struct capture *c = capture_open_raw(CAP_DLT_EN10MB, NULL);
	struct pk_flow f;
	pk_flow_init(&f, c, 0);
	pk_handshake(&f);
	uint32_t s = f.seq[0];
	pk_send(&f, 0, s, f.seq[1], CAP_TH_ACK, req1, 10);
	pk_send(&f, 0, s + 20, f.seq[1], CAP_TH_ACK, req1 + 20, sizeof req1 - 1 - 20);
	pk_send(&f, 0, s + 10, f.seq[1], CAP_TH_ACK, req1 + 10, 10);
	f.seq[0] += sizeof req1 - 1;
	pk_str(&f, 1, resp_ok);
	pk_close(&f);
	struct pk_ev *e = evs_new();
	size_t n = pk_collect(c, e, MAXEV, NULL);
	const struct pk_ev *h = pk_nth(e, n, CAP_EV_HTTP, 0);
	assert_non_null(h);
	assert_string_equal(h->method, "GET");
	assert_string_equal(h->target, "/a");
	assert_string_equal(h->host, "example.com");
	assert_int_equal(h->status, 200);
	assert_false(h->incomplete);
	assert_int_equal(pk_count(e, n, CAP_EV_HTTP), 1);
	const struct capture_counters *k = capture_counters(c);
	assert_int_equal(k->out_of_order, 1);
	assert_int_equal(k->holes, 0);
	free(e);
	capture_close(c);
}

/* A retransmitted request and a partially overlapping segment: no duplicate exchange. */
static void test_retransmission_overlap(void **state)
{
	(void)state;
	struct capture *c = capture_open_raw(CAP_DLT_EN10MB, NULL);
	struct pk_flow f;
	pk_flow_init(&f, c, 0);
	pk_handshake(&f);
	uint32_t s = f.seq[0];
	pk_send(&f, 0, s, f.seq[1], CAP_TH_ACK, req1, 20);
	pk_send(&f, 0, s, f.seq[1], CAP_TH_ACK, req1, 20);          /* retransmission */
	pk_send(&f, 0, s + 10, f.seq[1], CAP_TH_ACK, req1 + 10,     /* overlaps 10 bytes */
		sizeof req1 - 1 - 10);
	f.seq[0] += sizeof req1 - 1;
	pk_str(&f, 1, resp_ok);
	pk_data(&f, 1, "", 0);
	pk_send(&f, 1, f.seq[1] - 5, f.seq[0], CAP_TH_ACK, "hello", 5); /* body again */
	pk_close(&f);
	struct pk_ev *e = evs_new();
	size_t n = pk_collect(c, e, MAXEV, NULL);
	assert_int_equal(pk_count(e, n, CAP_EV_HTTP), 1);
	const struct pk_ev *h = pk_nth(e, n, CAP_EV_HTTP, 0);
	assert_string_equal(h->target, "/a");
	assert_int_equal(h->status, 200);
	assert_false(h->incomplete);
	const struct capture_counters *k = capture_counters(c);
	assert_int_equal(k->retransmissions, 3);
	assert_int_equal(k->overlaps, 1);
	free(e);
	capture_close(c);
}

/* The body of response 1 loses a segment (the client's ACK reveals it): response 1 is
 * incomplete, response 2 on the same connection is intact. */
static void test_hole_in_body(void **state)
{
	(void)state;
	struct capture *c = capture_open_raw(CAP_DLT_EN10MB, NULL);
	struct pk_flow f;
	pk_flow_init(&f, c, 0);
	pk_handshake(&f);
	pk_str(&f, 0, req1);
	pk_str(&f, 1, "HTTP/1.1 200 OK\r\nContent-Length: 20\r\n\r\n0123456789");
	f.seq[1] += 10;                       /* 10 body bytes never captured */
	pk_ack(&f, 0, f.seq[1]);
	pk_str(&f, 0, req2);
	pk_str(&f, 1, "HTTP/1.1 404 Not Found\r\nContent-Length: 3\r\n\r\nnop");
	pk_close(&f);
	struct pk_ev *e = evs_new();
	size_t n = pk_collect(c, e, MAXEV, NULL);
	assert_int_equal(pk_count(e, n, CAP_EV_HTTP), 2);
	const struct pk_ev *a = pk_nth(e, n, CAP_EV_HTTP, 0), *b = pk_nth(e, n, CAP_EV_HTTP, 1);
	assert_int_equal(a->status, 200);
	assert_true(a->incomplete);
	assert_true(a->flags & CAP_HTTP_RESP_HOLE);
	assert_int_equal(a->resp_body, 20);
	assert_int_equal(b->status, 404);
	assert_string_equal(b->target, "/b");
	assert_false(b->incomplete);
	const struct capture_counters *k = capture_counters(c);
	assert_int_equal(k->holes, 1);
	assert_int_equal(k->hole_bytes, 10);
	free(e);
	capture_close(c);
}

/* Response 1 never captured at all; response 2 must pair with request 2, not request 1. */
static void test_lost_response_pairs_next(void **state)
{
	(void)state;
	struct capture *c = capture_open_raw(CAP_DLT_EN10MB, NULL);
	struct pk_flow f;
	pk_flow_init(&f, c, 0);
	pk_handshake(&f);
	pk_str(&f, 0, req1);
	f.seq[1] += sizeof resp_ok - 1;        /* the whole response is lost */
	pk_ack(&f, 0, f.seq[1]);
	pk_str(&f, 0, req2);
	pk_str(&f, 1, "HTTP/1.1 429 Too Many Requests\r\nRetry-After: 60\r\nContent-Length: 0\r\n\r\n");
	pk_close(&f);
	struct pk_ev *e = evs_new();
	size_t n = pk_collect(c, e, MAXEV, NULL);
	assert_int_equal(pk_count(e, n, CAP_EV_HTTP), 2);
	const struct pk_ev *a = pk_nth(e, n, CAP_EV_HTTP, 0), *b = pk_nth(e, n, CAP_EV_HTTP, 1);
	assert_string_equal(a->target, "/a");
	assert_int_equal(a->status, 0);
	assert_true(a->flags & CAP_HTTP_NO_RESPONSE);
	assert_string_equal(b->target, "/b");
	assert_int_equal(b->status, 429);
	assert_false(b->incomplete);
	assert_string_equal(b->retry_after, "60");
	free(e);
	capture_close(c);
}

/* A request lost in the capture: its response is reported without a request, and does not
 * steal the next request's answer. */
static void test_lost_request(void **state)
{
	(void)state;
	struct capture *c = capture_open_raw(CAP_DLT_EN10MB, NULL);
	struct pk_flow f;
	pk_flow_init(&f, c, 0);
	pk_handshake(&f);
	f.seq[0] += sizeof req1 - 1;          /* request 1 lost */
	pk_str(&f, 1, resp_ok);               /* acks the lost bytes */
	pk_str(&f, 0, req2);
	pk_str(&f, 1, "HTTP/1.1 204 No Content\r\n\r\n");
	pk_close(&f);
	struct pk_ev *e = evs_new();
	size_t n = pk_collect(c, e, MAXEV, NULL);
	assert_int_equal(pk_count(e, n, CAP_EV_HTTP), 2);
	const struct pk_ev *a = pk_nth(e, n, CAP_EV_HTTP, 0), *b = pk_nth(e, n, CAP_EV_HTTP, 1);
	assert_int_equal(a->status, 200);
	assert_true(a->flags & CAP_HTTP_NO_REQUEST);
	assert_true(a->incomplete);
	assert_string_equal(b->target, "/b");
	assert_int_equal(b->status, 204);
	assert_false(b->incomplete);
	free(e);
	capture_close(c);
}

static void test_zero_window_rst(void **state)
{
	(void)state;
	struct capture *c = capture_open_raw(CAP_DLT_EN10MB, NULL);
	capture_set_tcp_events(c, true);
	struct pk_flow f;
	pk_flow_init(&f, c, 0);
	pk_handshake(&f);
	uint8_t frame[128];
	size_t len = pk_build(&f, 0, f.seq[0], f.seq[1], CAP_TH_ACK, 0, NULL, 0, frame);
	capture_feed(c, f.t, frame, len, len);
	f.t += PK_MS;
	pk_send(&f, 1, f.seq[1], f.seq[0], CAP_TH_RST | CAP_TH_ACK, NULL, 0);
	pk_send(&f, 0, f.seq[0], f.seq[1], CAP_TH_ACK, NULL, 0);   /* stray after close */
	struct pk_ev *e = evs_new();
	size_t n = pk_collect(c, e, MAXEV, NULL);
	const struct pk_ev *cl = pk_nth(e, n, CAP_EV_CONN_CLOSE, 0);
	assert_int_equal(cl->stats.close_reason, CAP_CLOSE_RST);
	assert_int_equal(cl->stats.rst_by, CAP_BY_SERVER);
	assert_int_equal(cl->stats.zero_windows, 1);
	assert_int_equal(pk_count(e, n, CAP_EV_CONN_CLOSE), 1);
	bool syn = false, zw = false, rst = false;
	for (size_t i = 0; i < n; i++) {
		if (e[i].kind != CAP_EV_TCP)
			continue;
		syn |= e[i].note == CAP_TCP_SYN;
		zw |= e[i].note == CAP_TCP_ZERO_WINDOW;
		rst |= e[i].note == CAP_TCP_RST && e[i].dir == CAP_S2C;
	}
	assert_true(syn && zw && rst);
	assert_int_equal(capture_counters(c)->stray_packets, 1);
	free(e);
	capture_close(c);
}

/* No SYN, and the first packet seen is the server's response on a high port: the side that
 * sends the request line becomes the client. */
static void test_midstream_roles(void **state)
{
	(void)state;
	struct capture *c = capture_open_raw(CAP_DLT_EN10MB, NULL);
	struct pk_flow f;
	pk_flow_init(&f, c, 0);
	f.port[0] = 80;        /* the client happens to use a low port ... */
	f.port[1] = 34567;     /* ... so ports alone would guess the roles wrong */
	pk_str(&f, 0, req1);
	pk_str(&f, 1, resp_ok);
	pk_str(&f, 0, req2);
	pk_str(&f, 1, resp_ok);
	struct pk_ev *e = evs_new();
	size_t n = pk_collect(c, e, MAXEV, NULL);
	assert_int_equal(pk_count(e, n, CAP_EV_HTTP), 2);
	const struct pk_ev *a = pk_nth(e, n, CAP_EV_HTTP, 0);
	assert_string_equal(a->conn_name, "c1 10.0.0.1:80>10.0.0.2:34567");
	assert_false(a->saw_syn);
	assert_int_equal(a->status, 200);
	assert_string_equal(a->target, "/a");
	const struct pk_ev *cl = pk_nth(e, n, CAP_EV_CONN_CLOSE, 0);
	assert_int_equal(cl->stats.close_reason, CAP_CLOSE_END);
	assert_int_equal(capture_counters(c)->connections_no_syn, 1);
	free(e);
	capture_close(c);
}

/* Mid-stream, starting inside a response body: skipped up to the next message. */
static void test_midstream_inside_body(void **state)
{
	(void)state;
	struct capture *c = capture_open_raw(CAP_DLT_EN10MB, NULL);
	struct pk_flow f;
	pk_flow_init(&f, c, 0);
	pk_str(&f, 1, "tail of some earlier body\n");
	pk_str(&f, 0, req1);
	pk_str(&f, 1, resp_ok);
	struct pk_ev *e = evs_new();
	size_t n = pk_collect(c, e, MAXEV, NULL);
	assert_int_equal(pk_count(e, n, CAP_EV_HTTP), 1);
	assert_int_equal(pk_nth(e, n, CAP_EV_HTTP, 0)->status, 200);
	free(e);
	capture_close(c);
}

/* A new SYN on a used 4-tuple starts a new connection. */
static void test_port_reuse(void **state)
{
	(void)state;
	struct capture *c = capture_open_raw(CAP_DLT_EN10MB, NULL);
	struct pk_flow f;
	pk_flow_init(&f, c, 0);
	pk_handshake(&f);
	pk_str(&f, 0, req1);
	pk_str(&f, 1, resp_ok);
	f.seq[0] += 100000;
	f.seq[1] += 300000;
	pk_handshake(&f);
	pk_str(&f, 0, req2);
	pk_str(&f, 1, resp_ok);
	pk_close(&f);
	struct pk_ev *e = evs_new();
	size_t n = pk_collect(c, e, MAXEV, NULL);
	assert_int_equal(pk_count(e, n, CAP_EV_CONN_CLOSE), 2);
	assert_int_equal(pk_nth(e, n, CAP_EV_CONN_CLOSE, 0)->stats.close_reason, CAP_CLOSE_REUSED);
	assert_int_equal(pk_nth(e, n, CAP_EV_HTTP, 1)->conn_id, 2);
	assert_int_equal(capture_counters(c)->connections, 2);
	free(e);
	capture_close(c);
}

/* Silence longer than CAPTURE_IDLE_TIMEOUT_S evicts a connection (events still come out). */
static void test_idle_eviction(void **state)
{
	(void)state;
	struct capture *c = capture_open_raw(CAP_DLT_EN10MB, NULL);
	struct pk_flow a, b;
	pk_flow_init(&a, c, 0);
	pk_handshake(&a);
	pk_str(&a, 0, req1);
	pk_flow_init(&b, c, (CAPTURE_IDLE_TIMEOUT_S + 10) * 1000 * PK_MS);
	b.port[0] = 40001;
	pk_handshake(&b);
	struct pk_ev *e = evs_new();
	size_t n = pk_collect(c, e, MAXEV, NULL);
	const struct pk_ev *cl = pk_nth(e, n, CAP_EV_CONN_CLOSE, 0);
	assert_int_equal(cl->conn_id, 1);
	assert_int_equal(cl->stats.close_reason, CAP_CLOSE_IDLE);
	const struct pk_ev *h = pk_nth(e, n, CAP_EV_HTTP, 0);
	assert_true(h->flags & CAP_HTTP_NO_RESPONSE);
	assert_int_equal(capture_counters(c)->idle_evictions, 1);
	/* events are ordered by completion time */
	for (size_t i = 1; i < n; i++)
		assert_true(e[i].stats.first_ns >= 0);
	free(e);
	capture_close(c);
}

/* Sequence numbers wrapping through 2^32 inside a request. */
static void test_seq_wrap(void **state)
{
	(void)state;
	struct capture *c = capture_open_raw(CAP_DLT_EN10MB, NULL);
	struct pk_flow f;
	pk_flow_init(&f, c, 0);
	f.seq[0] = 0xfffffff0u;
	f.seq[1] = 0xffffffffu;
	pk_handshake(&f);
	pk_send(&f, 0, f.seq[0], f.seq[1], CAP_TH_ACK, req1, 20);
	pk_send(&f, 0, f.seq[0] + 20, f.seq[1], CAP_TH_ACK, req1 + 20, sizeof req1 - 1 - 20);
	f.seq[0] += sizeof req1 - 1;
	pk_str(&f, 1, resp_ok);
	pk_close(&f);
	struct pk_ev *e = evs_new();
	size_t n = pk_collect(c, e, MAXEV, NULL);
	assert_int_equal(pk_count(e, n, CAP_EV_HTTP), 1);
	assert_int_equal(pk_nth(e, n, CAP_EV_HTTP, 0)->status, 200);
	assert_false(pk_nth(e, n, CAP_EV_HTTP, 0)->incomplete);
	assert_int_equal(capture_counters(c)->holes, 0);
	free(e);
	capture_close(c);
}

/* Out-of-order data beyond CAPTURE_MAX_OOO_BYTES: the limit is counted and the missing bytes
 * become a hole instead of growing memory. */
static void test_ooo_limit(void **state)
{
	(void)state;
	struct capture *c = capture_open_raw(CAP_DLT_EN10MB, NULL);
	struct pk_flow f;
	pk_flow_init(&f, c, 0);
	pk_handshake(&f);
	pk_str(&f, 0, req1);
	pk_str(&f, 1, "HTTP/1.1 200 OK\r\nContent-Length: 3000000\r\n\r\n");
	static uint8_t chunk[60000];
	memset(chunk, 'x', sizeof chunk);
	uint32_t base = f.seq[1] + 1000;      /* 1000 bytes never arrive */
	for (uint32_t i = 0; i < 40; i++)
		pk_send(&f, 1, base + i * (uint32_t)sizeof chunk, f.seq[0], CAP_TH_ACK, chunk,
			sizeof chunk);
	const struct capture_counters *k = capture_counters(c);
	assert_true(k->limit[CAP_LIM_OOO] >= 1);
	assert_true(k->holes >= 1);
	capture_close(c);
}

/* A tuple used again after FIN without the new SYN captured (a ring-buffer file that starts
 * mid-connection): data beyond what the closed connection sent is a new connection; a
 * retransmission of the old data and the last ACK are strays of the old one. */
static void test_reuse_after_fin_no_syn(void **state)
{
	(void)state;
	struct capture *c = capture_open_raw(CAP_DLT_EN10MB, NULL);
	struct pk_flow f;
	pk_flow_init(&f, c, 0);
	pk_handshake(&f);
	uint32_t s0 = f.seq[0];
	pk_str(&f, 0, req1);
	pk_str(&f, 1, resp_ok);
	pk_close(&f);
	/* stray: the old request again */
	pk_send(&f, 0, s0, f.seq[1], CAP_TH_ACK | CAP_TH_PSH, req1, sizeof req1 - 1);
	f.seq[0] += 5000000;
	f.seq[1] += 7000000;
	pk_str(&f, 0, req2);
	pk_str(&f, 1, resp_ok);
	pk_close(&f);
	struct pk_ev *e = evs_new();
	size_t n = pk_collect(c, e, MAXEV, NULL);
	const struct capture_counters *k = capture_counters(c);
	assert_int_equal(k->connections, 2);
	assert_int_equal(k->connections_no_syn, 1);
	assert_int_equal(k->reused_tuples, 1);
	/* the last ACK of each, and the retransmitted request */
	assert_int_equal(k->stray_packets, 3);
	assert_int_equal(pk_count(e, n, CAP_EV_CONN_CLOSE), 2);
	assert_int_equal(pk_count(e, n, CAP_EV_HTTP), 2);
	const struct pk_ev *h = pk_nth(e, n, CAP_EV_HTTP, 1);
	assert_int_equal(h->conn_id, 2);
	assert_string_equal(h->target, "/b");
	assert_int_equal(h->status, 200);
	free(e);
	capture_close(c);
}

/* After RST, a new SYN on the same tuple: a new connection, counted as a reuse. */
static void test_reuse_after_rst(void **state)
{
	(void)state;
	struct capture *c = capture_open_raw(CAP_DLT_EN10MB, NULL);
	struct pk_flow f;
	pk_flow_init(&f, c, 0);
	pk_handshake(&f);
	pk_str(&f, 0, req1);
	pk_send(&f, 1, f.seq[1], f.seq[0], CAP_TH_RST | CAP_TH_ACK, NULL, 0);
	f.seq[0] += 123456;
	pk_handshake(&f);
	pk_str(&f, 0, req2);
	pk_str(&f, 1, resp_ok);
	pk_close(&f);
	struct pk_ev *e = evs_new();
	size_t n = pk_collect(c, e, MAXEV, NULL);
	const struct capture_counters *k = capture_counters(c);
	assert_int_equal(k->connections, 2);
	assert_int_equal(k->reused_tuples, 1);
	assert_int_equal(pk_nth(e, n, CAP_EV_CONN_CLOSE, 0)->stats.close_reason, CAP_CLOSE_RST);
	assert_int_equal(pk_nth(e, n, CAP_EV_CONN_CLOSE, 1)->stats.close_reason, CAP_CLOSE_FIN);
	assert_int_equal(pk_nth(e, n, CAP_EV_HTTP, 1)->status, 200);
	free(e);
	capture_close(c);
}

/* The same tuple after a silence longer than CAPTURE_IDLE_TIMEOUT_S, without a SYN: the old
 * connection was evicted idle, the new data is a new connection (not a hole of 300 s). */
static void test_reuse_after_idle_gap(void **state)
{
	(void)state;
	struct capture *c = capture_open_raw(CAP_DLT_EN10MB, NULL);
	struct pk_flow f;
	pk_flow_init(&f, c, 0);
	pk_handshake(&f);
	pk_str(&f, 0, req1);
	pk_str(&f, 1, resp_ok);
	f.t += (CAPTURE_IDLE_TIMEOUT_S + 5) * 1000 * PK_MS;
	f.seq[0] += 999;
	pk_str(&f, 0, req2);
	pk_str(&f, 1, resp_ok);
	pk_close(&f);
	struct pk_ev *e = evs_new();
	size_t n = pk_collect(c, e, MAXEV, NULL);
	const struct capture_counters *k = capture_counters(c);
	assert_int_equal(k->connections, 2);
	assert_int_equal(k->idle_evictions, 1);
	assert_int_equal(k->holes, 0);
	assert_int_equal(pk_nth(e, n, CAP_EV_CONN_CLOSE, 0)->stats.close_reason, CAP_CLOSE_IDLE);
	assert_int_equal(pk_count(e, n, CAP_EV_HTTP), 2);
	assert_false(pk_nth(e, n, CAP_EV_HTTP, 1)->incomplete);
	free(e);
	capture_close(c);
}

/* One run of 3 connections, then the same run again 1 h earlier (files concatenated out of
 * time order): 2 segments, 6 connections (not a storm of idle evictions), events of each
 * segment out before the next one starts, nothing waiting in between.  A small step back
 * (< CAPTURE_BACKSTEP_S, as interleaved interfaces give) is not a segment. */
static void run3(struct capture *c, int64_t t0)
{
	for (int i = 0; i < 3; i++) {
		struct pk_flow f;
		pk_flow_init(&f, c, t0 + i * 10 * PK_MS);
		f.port[0] = (uint16_t)(40000 + i);
		pk_handshake(&f);
		pk_str(&f, 0, req1);
		pk_str(&f, 1, resp_ok);
		if (i < 2)
			pk_close(&f);   /* the third stays open to the end of its segment */
	}
}

static void test_stamps_jump_back(void **state)
{
	(void)state;
	struct capture *c = capture_open_raw(CAP_DLT_EN10MB, NULL);
	int64_t hour = 3600LL * 1000 * PK_MS;
	run3(c, 2 * hour);
	/* the events of the first segment are out before the second one is fed */
	struct capture_event ev;
	size_t before = 0;
	while (capture_next(c, &ev) == CAP_EVENT)
		before++;
	run3(c, 1 * hour);
	const struct capture_counters *k = capture_counters(c);
	assert_int_equal(k->segments, 2);
	size_t mid = 0;
	while (capture_next(c, &ev) == CAP_EVENT) {
		if (ev.kind == CAP_EV_CONN_CLOSE && ev.conn.id == 3)
			assert_int_equal(ev.stats.close_reason, CAP_CLOSE_END);
		mid++;
	}
	assert_true(before + mid > 0);
	struct pk_ev *e = evs_new();
	size_t n = pk_collect(c, e, MAXEV, NULL);
	(void)n;
	assert_int_equal(k->connections, 6);
	assert_int_equal(k->idle_evictions, 0);
	assert_int_equal(k->reused_tuples, 0);
	assert_int_equal(k->exchanges, 6);
	free(e);
	capture_close(c);

	/* a step back of 1 s: same segment */
	c = capture_open_raw(CAP_DLT_EN10MB, NULL);
	run3(c, 10 * 1000 * PK_MS);
	run3(c, 9 * 1000 * PK_MS + 100 * PK_MS);
	e = evs_new();
	pk_collect(c, e, MAXEV, NULL);
	k = capture_counters(c);
	assert_int_equal(k->segments, 1);
	free(e);
	capture_close(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_handshake_rtt),
		cmocka_unit_test(test_out_of_order),
		cmocka_unit_test(test_retransmission_overlap),
		cmocka_unit_test(test_hole_in_body),
		cmocka_unit_test(test_lost_response_pairs_next),
		cmocka_unit_test(test_lost_request),
		cmocka_unit_test(test_zero_window_rst),
		cmocka_unit_test(test_midstream_roles),
		cmocka_unit_test(test_midstream_inside_body),
		cmocka_unit_test(test_port_reuse),
		cmocka_unit_test(test_idle_eviction),
		cmocka_unit_test(test_seq_wrap),
		cmocka_unit_test(test_ooo_limit),
		cmocka_unit_test(test_reuse_after_fin_no_syn),
		cmocka_unit_test(test_reuse_after_rst),
		cmocka_unit_test(test_reuse_after_idle_gap),
		cmocka_unit_test(test_stamps_jump_back),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
