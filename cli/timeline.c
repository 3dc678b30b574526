/* timeline.c - `jtlscope timeline`: see timeline.h.
 *
 * Reads capture events (with TCP notes on), collects each connection's lines until the
 * connection closes, then prints the block sorted by each line's own time (ties keep arrival
 * order).  Every string that came from the capture is escaped for the output format by
 * reports/escape.h: \xNN for control bytes in text, valid UTF-8 in JSON, neutralised formula
 * cells in CSV.
 */
#include "cli/timeline.h"
#include "cli/read_input.h"

#include <cjson/cJSON.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/diag.h"
#include "common/util.h"
#include "parsers/capture/capture.h"
#include "parsers/input.h"
#include "reports/escape.h"

#define TL_EXIT_OK 0
#define TL_EXIT_USAGE 2
#define TL_EXIT_INPUT 3
#define TL_MAX_LINES 100000u      /* lines kept per connection; the rest are counted */
#define TL_PAYLOAD_SHOWN 80u      /* bytes of a WebSocket payload shown */
#define TL_BUCKETS 4096u

enum tl_format { TL_TEXT, TL_JSON, TL_CSV };

struct tl_line {
	int64_t t;
	uint32_t order;
	const char *event;   /* static */
	int dir;             /* -1 none, 0 c>s, 1 s>c */
	char *detail;        /* raw bytes from the capture mixed with fixed text; escaped on output */
	size_t detail_n;
};

struct tl_conn {
	struct tl_conn *next;
	uint64_t id;
	struct tl_line *lines;
	size_t n, cap;
	uint64_t dropped;
};

struct tl {
	enum tl_format fmt;
	const char *filter;
	bool filter_id;
	uint64_t filter_num;
	const char *path;
	struct capture *cap;
	struct tl_conn *bucket[TL_BUCKETS];
	uint64_t printed;
	bool json_open;
	FILE *out;
};

void timeline_usage(FILE *f)
{
	fputs("usage: jtlscope timeline CAPTURE [--format text|json|csv] [--connection FILTER]\n"
	      "                                [--tls-keylog FILE]\n"
	      "\n"
	      "Per-connection timelines of a packet capture (pcap, pcapng, gzipped): SYN, SYN-ACK,\n"
	      "established, requests and responses, WebSocket frames, TLS handshake and records,\n"
	      "retransmissions, holes, zero windows, FIN/RST; times relative to the first packet\n"
	      "(ms) and in UTC.\n"
	      "\n"
	      "  --format F         text (default), json or csv\n"
	      "  --connection F     only connections whose name contains F, or number F (3, c3)\n"
	      "  --tls-keylog FILE  NSS key log (SSLKEYLOGFILE): decrypt TLS, show the HTTP inside\n"
	      "\n"
	      "Exit codes: 0 ok, 2 usage, 3 input error.\n", f);
}

static bool filter_match(const struct tl *t, const struct capture_event *ev)
{
	if (!t->filter)
		return true;
	if (t->filter_id)
		return ev->conn.id == t->filter_num;
	return strstr(ev->conn.name.p, t->filter) != NULL;
}

static struct tl_conn *conn_get(struct tl *t, uint64_t id, bool create)
{
	struct tl_conn **pp = &t->bucket[id % TL_BUCKETS];
	for (; *pp; pp = &(*pp)->next)
		if ((*pp)->id == id)
			return *pp;
	if (!create)
		return NULL;
	struct tl_conn *c = xcalloc(1, sizeof *c);
	c->id = id;
	*pp = c;
	return c;
}

static void conn_drop(struct tl *t, struct tl_conn *c)
{
	struct tl_conn **pp = &t->bucket[c->id % TL_BUCKETS];
	while (*pp && *pp != c)
		pp = &(*pp)->next;
	if (*pp)
		*pp = c->next;
	for (size_t i = 0; i < c->n; i++)
		free(c->lines[i].detail);
	free(c->lines);
	free(c);
}

static void add(struct tl_conn *c, int64_t t, const char *event, int dir, struct strbuf *detail)
{
	if (c->n >= TL_MAX_LINES) {
		c->dropped++;
		strbuf_reset(detail);
		return;
	}
	void *p = c->lines;
	xgrow(&p, &c->cap, c->n + 1, sizeof *c->lines);
	c->lines = p;
	struct tl_line *l = &c->lines[c->n];
	l->t = t;
	l->order = (uint32_t)c->n;
	l->event = event;
	l->dir = dir;
	l->detail_n = detail->len;
	l->detail = strbuf_detach(detail);
	c->n++;
}

static void add_s(struct strbuf *sb, struct strref s)
{
	if (s.p)
		strbuf_add(sb, s.p, s.n);
}

static double ms(int64_t ns)
{
	return (double)ns / 1e6;
}

/* A duration for people: "850 µs" below 1 ms, else "12.345 ms" (a struct, so that
 * dur(x).s lives until the end of the full expression). */
struct dur_text {
	char s[40];
};
static struct dur_text dur(int64_t ns)
{
	struct dur_text d;
	if (ns >= 0 && ns < 1000000)
		snprintf(d.s, sizeof d.s, "%" PRId64 " µs", (ns + 500) / 1000);
	else
		snprintf(d.s, sizeof d.s, "%.3f ms", ms(ns));
	return d;
}

static const char *tls_version_name(unsigned v)
{
	switch (v) {
	case 0x0300: return "SSL 3.0";
	case 0x0301: return "TLS 1.0";
	case 0x0302: return "TLS 1.1";
	case 0x0303: return "TLS 1.2";
	case 0x0304: return "TLS 1.3";
	default: return v ? "unknown" : "-";
	}
}

static void http_flags(struct strbuf *sb, unsigned f)
{
	static const struct { unsigned bit; const char *name; } names[] = {
		{ CAP_HTTP_NO_REQUEST, "request not captured" },
		{ CAP_HTTP_NO_RESPONSE, "no response captured" },
		{ CAP_HTTP_REQ_HOLE, "request bytes missing" },
		{ CAP_HTTP_RESP_HOLE, "response bytes missing" },
		{ CAP_HTTP_UNFINISHED, "response unfinished" },
		{ CAP_HTTP_LIMIT, "limit exceeded" },
	};
	bool first = true;
	for (size_t i = 0; i < ARRAY_LEN(names); i++) {
		if (!(f & names[i].bit))
			continue;
		strbuf_addstr(sb, first ? " INCOMPLETE (" : ", ");
		strbuf_addstr(sb, names[i].name);
		first = false;
	}
	if (!first)
		strbuf_addch(sb, ')');
}

static void rate_limit(struct strbuf *sb, const struct capture_http *h)
{
	if (h->retry_after.p) {
		strbuf_addstr(sb, " Retry-After: ");
		add_s(sb, h->retry_after);
	}
	if (h->rl.flags & RL_LIMIT)
		strbuf_addf(sb, " limit=%" PRId64, h->rl.limit);
	if (h->rl.flags & RL_REMAINING)
		strbuf_addf(sb, " remaining=%" PRId64, h->rl.remaining);
	if (h->rl.flags & RL_RESET)
		strbuf_addf(sb, " reset=%.3gs", h->rl.reset_s);
}

static void collect_http(struct tl_conn *c, const struct capture_http *h)
{
	struct strbuf sb = STRBUF_INIT;
	if (h->method.p) {
		add_s(&sb, h->method);
		strbuf_addch(&sb, ' ');
		add_s(&sb, h->target);
		if (h->host.p) {
			strbuf_addstr(&sb, " Host: ");
			add_s(&sb, h->host);
		}
		if (h->flags & CAP_HTTP_PIPELINED)
			strbuf_addstr(&sb, " (pipelined)");
		add(c, h->req_first_ns, "request sent", CAP_C2S, &sb);
		if (h->req_last_ns > h->req_first_ns) {
			strbuf_addf(&sb, "%" PRIu64 " body bytes", h->req_body_bytes);
			add(c, h->req_last_ns, "request complete", CAP_C2S, &sb);
		}
	}
	if (h->interim) {
		strbuf_addf(&sb, "%u interim (1xx) response%s", h->interim, h->interim > 1 ? "s" : "");
		add(c, h->interim_ns, "interim response", CAP_S2C, &sb);
	}
	if (h->status) {
		strbuf_addf(&sb, "%d ", h->status);
		add_s(&sb, h->reason);
		add(c, h->resp_first_ns, "response first byte", CAP_S2C, &sb);
		strbuf_addf(&sb, "%d, %" PRIu64 " body bytes", h->status, h->resp_body_bytes);
		if (h->req_first_ns && h->resp_last_ns >= h->req_first_ns)
			strbuf_addf(&sb, ", %s after the request", dur(h->resp_last_ns - h->req_first_ns).s);
		rate_limit(&sb, h);
		http_flags(&sb, h->flags);
		add(c, h->resp_last_ns, "response complete", CAP_S2C, &sb);
	} else {
		strbuf_addstr(&sb, "no response");
		http_flags(&sb, h->flags);
		add(c, h->req_last_ns ? h->req_last_ns : h->req_first_ns, "no response", -1, &sb);
	}
	strbuf_release(&sb);
}

static const char *ws_opcode_name(unsigned op)
{
	static const char *const n[] = { "continuation", "text", "binary", "?", "?", "?", "?", "?",
					 "close", "ping", "pong" };
	return op < ARRAY_LEN(n) ? n[op] : "?";
}

static void collect_ws(struct tl_conn *c, const struct capture_ws *w)
{
	struct strbuf sb = STRBUF_INIT;
	strbuf_addf(&sb, "%s%s len=%" PRIu64 "%s%s", ws_opcode_name(w->opcode),
		    w->fin ? "" : " (more fragments)", w->length, w->masked ? " masked" : "",
		    w->compressed ? " compressed" : "");
	if (w->close_code >= 0) {
		strbuf_addf(&sb, " code=%d reason=\"", w->close_code);
		add_s(&sb, w->close_reason);
		strbuf_addch(&sb, '"');
	} else if (w->payload.n) {
		struct strref p = w->payload;
		bool cut = p.n > TL_PAYLOAD_SHOWN;
		if (cut)
			p.n = TL_PAYLOAD_SHOWN;
		strbuf_addstr(&sb, " \"");
		add_s(&sb, p);
		strbuf_addstr(&sb, cut ? "\"..." : "\"");
	}
	if (w->incomplete)
		strbuf_addstr(&sb, " INCOMPLETE (bytes missing)");
	add(c, w->last_ns, "ws frame", w->dir, &sb);
	strbuf_release(&sb);
}

static void collect_tls(struct tl_conn *c, const struct capture_tls *h)
{
	struct strbuf sb = STRBUF_INIT;
	if (h->client_hello_ns) {
		strbuf_addstr(&sb, "sni=");
		if (h->sni.p)
			add_s(&sb, h->sni);
		else
			strbuf_addch(&sb, '-');
		strbuf_addstr(&sb, " alpn=");
		if (h->alpn.p)
			add_s(&sb, h->alpn);
		else
			strbuf_addch(&sb, '-');
		strbuf_addf(&sb, " up to %s", tls_version_name(h->client_version));
		add(c, h->client_hello_ns, "tls client hello", CAP_C2S, &sb);
	}
	if (h->server_hello_ns) {
		strbuf_addstr(&sb, tls_version_name(h->version));
		if (h->alpn_selected.p) {
			strbuf_addstr(&sb, " alpn=");
			add_s(&sb, h->alpn_selected);
		}
		add(c, h->server_hello_ns, "tls server hello", CAP_S2C, &sb);
	}
	if (h->complete) {
		int64_t t0 = h->client_hello_ns ? h->client_hello_ns : h->server_hello_ns;
		strbuf_addf(&sb, "%s after the client hello", dur(h->done_ns - t0).s);
		add(c, h->done_ns, "tls handshake done", -1, &sb);
	}
	strbuf_release(&sb);
}

static void utc(char *out, size_t n, int64_t ns)
{
	time_t s = (time_t)(ns / 1000000000);
	long us = (long)((ns % 1000000000) / 1000);
	if (us < 0) {
		us += 1000000;
		s--;
	}
	struct tm tm;
	gmtime_r(&s, &tm);
	size_t k = strftime(out, n, "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(out + k, n - k, ".%06ldZ", us);
}

static int line_cmp(const void *a, const void *b)
{
	const struct tl_line *x = a, *y = b;
	if (x->t != y->t)
		return x->t < y->t ? -1 : 1;
	return x->order < y->order ? -1 : x->order > y->order;
}

static const char *dir_name(int dir)
{
	return dir == CAP_C2S ? "c>s" : dir == CAP_S2C ? "s>c" : "";
}

static void stats_text(struct strbuf *sb, const struct capture_event *ev)
{
	const struct capture_conn_stats *s = &ev->stats;
	strbuf_addf(sb, "  packets c>s %" PRIu64 " s>c %" PRIu64 ", payload bytes c>s %" PRIu64
		    " s>c %" PRIu64, s->packets[0], s->packets[1], s->bytes[0], s->bytes[1]);
	if (s->rtt_ns)
		strbuf_addf(sb, ", SYN->SYN-ACK %s", dur(s->rtt_ns).s);
	if (s->handshake_ns)
		strbuf_addf(sb, ", handshake %s", dur(s->handshake_ns).s);
	strbuf_addf(sb, "\n  retransmissions %" PRIu64 ", out of order %" PRIu64 ", holes %" PRIu64
		    " (%" PRIu64 " bytes), bytes cut by snaplen %" PRIu64 ", zero windows %" PRIu64
		    "\n  exchanges %" PRIu64 " (incomplete %" PRIu64 "), websocket frames %" PRIu64
		    ", tls records %" PRIu64 "\n  ended: %s", s->retransmissions, s->out_of_order,
		    s->holes, s->hole_bytes, s->bytes_missing, s->zero_windows, s->exchanges,
		    s->incomplete, s->ws_frames, s->tls_records,
		    capture_close_reason_name(s->close_reason));
	if (s->fin_by)
		strbuf_addf(sb, ", FIN from %s", s->fin_by == 3 ? "both" : s->fin_by == 1 ? "client" :
			    "server");
	if (s->rst_by)
		strbuf_addf(sb, ", RST from %s", s->rst_by == 3 ? "both" : s->rst_by == 1 ? "client" :
			    "server");
	strbuf_addch(sb, '\n');
}

static void print_text(struct tl *t, struct tl_conn *c, const struct capture_event *ev)
{
	struct strbuf sb = STRBUF_INIT;
	int64_t t0 = capture_start_ns(t->cap);
	esc_text_sb(&sb, ev->conn.name.p, ev->conn.name.n);
	strbuf_addf(&sb, "  %s%s\n", capture_proto_name(ev->conn.proto),
		    ev->conn.saw_syn ? "" : " (began before the capture; roles guessed)");
	for (size_t i = 0; i < c->n; i++) {
		const struct tl_line *l = &c->lines[i];
		char when[64];
		utc(when, sizeof when, l->t);
		strbuf_addf(&sb, "  %12.3f  %s  %-3s %-20s ", ms(l->t - t0), when, dir_name(l->dir),
			    l->event);
		esc_text_sb(&sb, l->detail, l->detail_n);
		strbuf_addch(&sb, '\n');
	}
	if (c->dropped)
		strbuf_addf(&sb, "  ... %" PRIu64 " more lines not shown (limit %u)\n", c->dropped,
			    TL_MAX_LINES);
	stats_text(&sb, ev);
	strbuf_addch(&sb, '\n');
	fwrite(sb.buf, 1, sb.len, t->out);
	strbuf_release(&sb);
}

static void json_str(cJSON *o, const char *key, const char *p, size_t n)
{
	char *s = esc_utf8_dup(p ? p : "", p ? n : 0);
	cJSON_AddStringToObject(o, key, s);
	free(s);
}

static void json_open(struct tl *t)
{
	if (t->json_open)
		return;
	t->json_open = true;
	cJSON *o = cJSON_CreateObject();
	json_str(o, "capture", t->path, strlen(t->path));
	cJSON_AddStringToObject(o, "linktype", capture_linktype_name(t->cap));
	char *s = cJSON_PrintUnformatted(o);
	/* reopen the object: print all but the closing brace */
	fprintf(t->out, "%.*s,\"connections\":[\n", (int)(strlen(s) - 1), s);
	cJSON_free(s);
	cJSON_Delete(o);
}

static void print_json(struct tl *t, struct tl_conn *c, const struct capture_event *ev)
{
	json_open(t);
	int64_t t0 = capture_start_ns(t->cap);
	const struct capture_conn_stats *st = &ev->stats;
	cJSON *o = cJSON_CreateObject();
	cJSON_AddNumberToObject(o, "id", (double)ev->conn.id);
	json_str(o, "name", ev->conn.name.p, ev->conn.name.n);
	json_str(o, "client", ev->conn.client.p, ev->conn.client.n);
	cJSON_AddNumberToObject(o, "client_port", ev->conn.client_port);
	json_str(o, "server", ev->conn.server.p, ev->conn.server.n);
	cJSON_AddNumberToObject(o, "server_port", ev->conn.server_port);
	cJSON_AddStringToObject(o, "protocol", capture_proto_name(ev->conn.proto));
	cJSON_AddBoolToObject(o, "saw_syn", ev->conn.saw_syn);
	cJSON_AddStringToObject(o, "ended", capture_close_reason_name(st->close_reason));
	cJSON *s = cJSON_AddObjectToObject(o, "stats");
	cJSON_AddNumberToObject(s, "packets_c2s", (double)st->packets[0]);
	cJSON_AddNumberToObject(s, "packets_s2c", (double)st->packets[1]);
	cJSON_AddNumberToObject(s, "bytes_c2s", (double)st->bytes[0]);
	cJSON_AddNumberToObject(s, "bytes_s2c", (double)st->bytes[1]);
	cJSON_AddNumberToObject(s, "syn_synack_ms", ms(st->rtt_ns));
	cJSON_AddNumberToObject(s, "handshake_ms", ms(st->handshake_ns));
	cJSON_AddNumberToObject(s, "retransmissions", (double)st->retransmissions);
	cJSON_AddNumberToObject(s, "out_of_order", (double)st->out_of_order);
	cJSON_AddNumberToObject(s, "holes", (double)st->holes);
	cJSON_AddNumberToObject(s, "hole_bytes", (double)st->hole_bytes);
	cJSON_AddNumberToObject(s, "bytes_missing", (double)st->bytes_missing);
	cJSON_AddNumberToObject(s, "zero_windows", (double)st->zero_windows);
	cJSON_AddNumberToObject(s, "exchanges", (double)st->exchanges);
	cJSON_AddNumberToObject(s, "incomplete", (double)st->incomplete);
	cJSON_AddNumberToObject(s, "ws_frames", (double)st->ws_frames);
	cJSON_AddNumberToObject(s, "tls_records", (double)st->tls_records);
	cJSON *arr = cJSON_AddArrayToObject(o, "events");
	for (size_t i = 0; i < c->n; i++) {
		const struct tl_line *l = &c->lines[i];
		char when[64];
		utc(when, sizeof when, l->t);
		cJSON *e = cJSON_CreateObject();
		cJSON_AddNumberToObject(e, "t_ms", (double)((l->t - t0) / 1000) / 1000.0);
		cJSON_AddStringToObject(e, "utc", when);
		cJSON_AddStringToObject(e, "event", l->event);
		cJSON_AddStringToObject(e, "dir", dir_name(l->dir));
		json_str(e, "detail", l->detail, l->detail_n);
		cJSON_AddItemToArray(arr, e);
	}
	if (c->dropped)
		cJSON_AddNumberToObject(o, "events_not_shown", (double)c->dropped);
	char *txt = cJSON_PrintUnformatted(o);
	fprintf(t->out, "%s%s", t->printed ? ",\n" : "", txt);
	cJSON_free(txt);
	cJSON_Delete(o);
}

/* Capture strings in CSV: control bytes as \xNN first (a cell must not carry terminal escapes),
 * then RFC 4180 quoting with leading = + - @ neutralised. */
static void csv_cell(struct strbuf *sb, const char *p, size_t n, bool last)
{
	struct strbuf t = STRBUF_INIT;
	esc_text_sb(&t, p ? p : "", p ? n : 0);
	esc_csv_cell(sb, t.buf ? t.buf : "", t.len);
	strbuf_release(&t);
	strbuf_addch(sb, last ? '\n' : ',');
}

static void print_csv(struct tl *t, struct tl_conn *c, const struct capture_event *ev)
{
	struct strbuf sb = STRBUF_INIT;
	int64_t t0 = capture_start_ns(t->cap);
	for (size_t i = 0; i < c->n; i++) {
		const struct tl_line *l = &c->lines[i];
		char when[64], rel[48];
		utc(when, sizeof when, l->t);
		snprintf(rel, sizeof rel, "%.3f", ms(l->t - t0));
		strbuf_addf(&sb, "%" PRIu64 ",", ev->conn.id);
		csv_cell(&sb, ev->conn.name.p, ev->conn.name.n, false);
		strbuf_addf(&sb, "%s,%s,", rel, when);
		csv_cell(&sb, l->event, strlen(l->event), false);
		csv_cell(&sb, dir_name(l->dir), strlen(dir_name(l->dir)), false);
		csv_cell(&sb, l->detail, l->detail_n, true);
	}
	fwrite(sb.buf ? sb.buf : "", 1, sb.len, t->out);
	strbuf_release(&sb);
}

static void on_event(struct tl *t, const struct capture_event *ev)
{
	if (!filter_match(t, ev))
		return;
	struct tl_conn *c = conn_get(t, ev->conn.id, true);
	struct strbuf sb = STRBUF_INIT;
	switch (ev->kind) {
	case CAP_EV_CONN_OPEN:
		break;
	case CAP_EV_TCP:
		if (ev->u.tcp.length && ev->u.tcp.note == CAP_TCP_HOLE)
			strbuf_addf(&sb, "%" PRIu64 " bytes never captured", ev->u.tcp.length);
		else if (ev->u.tcp.length)
			strbuf_addf(&sb, "%" PRIu64 " bytes", ev->u.tcp.length);
		add(c, ev->u.tcp.ns, capture_tcp_note_name(ev->u.tcp.note), ev->u.tcp.dir, &sb);
		break;
	case CAP_EV_HTTP:
		collect_http(c, &ev->u.http);
		break;
	case CAP_EV_WS_FRAME:
		collect_ws(c, &ev->u.ws);
		break;
	case CAP_EV_TLS_HANDSHAKE:
		collect_tls(c, &ev->u.tls);
		break;
	case CAP_EV_WS_EXCHANGE: {
		const struct capture_ws_exchange *x = &ev->u.wsx;
		if (x->answered)
			strbuf_addf(&sb, "message #%" PRIu64 " answered in %s%s", x->seq,
				    dur(x->resp_last_ns - x->req_first_ns).s, x->by_id ? " (by id)" : "");
		else
			strbuf_addf(&sb, "message #%" PRIu64 " not answered", x->seq);
		if (x->status)
			strbuf_addf(&sb, ", in-band status %d", x->status);
		if (x->rl.flags & RL_RETRY_AFTER)
			strbuf_addf(&sb, ", retry after %g s", x->rl.retry_after_s);
		add(c, x->req_first_ns, "ws exchange", CAP_C2S, &sb);
		break;
	}
	case CAP_EV_TLS_EXCHANGE: {
		const struct capture_tls_exchange *x = &ev->u.tlsx;
		strbuf_addf(&sb, "encrypted exchange #%" PRIu64 ": request %u records %" PRIu64 " bytes", x->seq,
			    x->req_records, x->req_bytes);
		if (x->answered)
			strbuf_addf(&sb, ", response %u records %" PRIu64 " bytes in %s", x->resp_records,
				    x->resp_bytes, dur(x->resp_last_ns - x->req_first_ns).s);
		else
			strbuf_addstr(&sb, ", no response");
		if (x->h2)
			strbuf_addstr(&sb, " (h2: record runs, not requests)");
		add(c, x->req_first_ns, "tls exchange", CAP_C2S, &sb);
		break;
	}
	case CAP_EV_TLS_APPDATA:
		strbuf_addf(&sb, "application data, %u bytes", ev->u.rec.length);
		add(c, ev->u.rec.ns, "tls record", ev->u.rec.dir, &sb);
		break;
	case CAP_EV_CONN_CLOSE:
		strbuf_addstr(&sb, capture_close_reason_name(ev->stats.close_reason));
		add(c, ev->stats.last_ns, "closed", -1, &sb);
		qsort(c->lines, c->n, sizeof *c->lines, line_cmp);
		if (t->fmt == TL_TEXT)
			print_text(t, c, ev);
		else if (t->fmt == TL_JSON)
			print_json(t, c, ev);
		else
			print_csv(t, c, ev);
		t->printed++;
		conn_drop(t, c);
		break;
	default:
		break;
	}
	strbuf_release(&sb);
}

static void summary_text(struct tl *t)
{
	const struct capture_counters *k = capture_counters(t->cap);
	FILE *f = t->out;
	fprintf(f, "capture: ");
	esc_text_s(f, t->path);
	fprintf(f, " (%s), %" PRIu64 " packets, %" PRIu64 " connections (%" PRIu64
		" began before the capture), %" PRIu64 " shown\n", capture_linktype_name(t->cap),
		k->packets, k->connections, k->connections_no_syn, t->printed);
	fprintf(f, "http: %" PRIu64 " exchanges (%" PRIu64 " incomplete), %" PRIu64 " requests, %"
		PRIu64 " responses, %" PRIu64 " interim; codes:", k->exchanges,
		k->incomplete_exchanges, k->requests, k->responses, k->interim_responses);
	unsigned it = 0;
	int st;
	uint64_t n;
	bool any = false;
	while (capture_code_next(t->cap, &it, &st, &n)) {
		fprintf(f, " %d x%" PRIu64, st, n);
		any = true;
	}
	fprintf(f, "%s\n", any ? "" : " none");
	fprintf(f, "websocket: %" PRIu64 " frames; tls: %" PRIu64 " connections, %" PRIu64
		" records\n", k->websocket_frames, k->tls_connections, k->tls_appdata_records);
	fprintf(f, "tcp: %" PRIu64 " retransmissions, %" PRIu64 " out of order, %" PRIu64
		" holes (%" PRIu64 " bytes), %" PRIu64 " bytes cut by snaplen, %" PRIu64
		" zero windows, %" PRIu64 " resets\n", k->retransmissions, k->out_of_order, k->holes,
		k->hole_bytes, k->bytes_missing, k->zero_windows, k->resets);
	for (int s = 0; s < CAP_SKIP__COUNT; s++)
		if (k->skipped[s])
			fprintf(f, "skipped: %" PRIu64 " packets (%s)\n", k->skipped[s],
				capture_skip_name((enum capture_skip)s));
	for (int l = 0; l < CAP_LIM__COUNT; l++)
		if (k->limit[l])
			fprintf(f, "limit: %s exceeded %" PRIu64 " times\n",
				capture_limit_name((enum capture_limit)l), k->limit[l]);
	if (k->truncated_file)
		fprintf(f, "note: the capture file ends inside a packet record\n");
}

static void summary_json(struct tl *t)
{
	json_open(t);
	const struct capture_counters *k = capture_counters(t->cap);
	cJSON *o = cJSON_CreateObject();
	cJSON_AddNumberToObject(o, "packets", (double)k->packets);
	cJSON_AddNumberToObject(o, "connections", (double)k->connections);
	cJSON_AddNumberToObject(o, "connections_no_syn", (double)k->connections_no_syn);
	cJSON_AddNumberToObject(o, "exchanges", (double)k->exchanges);
	cJSON_AddNumberToObject(o, "requests", (double)k->requests);
	cJSON_AddNumberToObject(o, "responses", (double)k->responses);
	cJSON_AddNumberToObject(o, "interim_responses", (double)k->interim_responses);
	cJSON_AddNumberToObject(o, "incomplete_exchanges", (double)k->incomplete_exchanges);
	cJSON *codes = cJSON_AddObjectToObject(o, "codes");
	unsigned it = 0;
	int st;
	uint64_t n;
	while (capture_code_next(t->cap, &it, &st, &n)) {
		char key[16];
		snprintf(key, sizeof key, "%d", st);
		cJSON_AddNumberToObject(codes, key, (double)n);
	}
	cJSON_AddNumberToObject(o, "websocket_frames", (double)k->websocket_frames);
	cJSON_AddNumberToObject(o, "tls_connections", (double)k->tls_connections);
	cJSON_AddNumberToObject(o, "tls_appdata_records", (double)k->tls_appdata_records);
	cJSON_AddNumberToObject(o, "retransmissions", (double)k->retransmissions);
	cJSON_AddNumberToObject(o, "out_of_order", (double)k->out_of_order);
	cJSON_AddNumberToObject(o, "holes", (double)k->holes);
	cJSON_AddNumberToObject(o, "zero_windows", (double)k->zero_windows);
	cJSON *sk = cJSON_AddObjectToObject(o, "skipped");
	for (int s = 0; s < CAP_SKIP__COUNT; s++)
		if (k->skipped[s])
			cJSON_AddNumberToObject(sk, capture_skip_name((enum capture_skip)s),
						(double)k->skipped[s]);
	cJSON *lim = cJSON_AddObjectToObject(o, "limits_exceeded");
	for (int l = 0; l < CAP_LIM__COUNT; l++)
		if (k->limit[l])
			cJSON_AddNumberToObject(lim, capture_limit_name((enum capture_limit)l),
						(double)k->limit[l]);
	cJSON_AddBoolToObject(o, "truncated_file", k->truncated_file);
	char *s = cJSON_PrintUnformatted(o);
	fprintf(t->out, "%s],\"summary\":%s}\n", t->printed ? "\n" : "", s);
	cJSON_free(s);
	cJSON_Delete(o);
}

static bool parse_filter(struct tl *t, const char *f)
{
	const char *d = f[0] == 'c' ? f + 1 : f;
	int64_t v;
	if (*d && parse_i64(d, strlen(d), 1, INT64_MAX, &v)) {
		t->filter_id = true;
		t->filter_num = (uint64_t)v;
	}
	t->filter = f;
	return *f != '\0';
}

int cmd_timeline(int argc, char **argv)
{
	struct tl t;
	memset(&t, 0, sizeof t);
	t.out = stdout;
	const char *path = NULL, *fmt = "text", *keylog_path = NULL;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		const char *val = NULL;
		if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
			timeline_usage(stdout);
			return TL_EXIT_OK;
		}
		if (!strncmp(a, "--format", 8) || !strncmp(a, "--connection", 12) ||
		    !strncmp(a, "--tls-keylog", 12)) {
			const char *eq = strchr(a, '=');
			size_t klen = eq ? (size_t)(eq - a) : strlen(a);
			if (eq)
				val = eq + 1;
			else if (i + 1 < argc)
				val = argv[++i];
			if (!val) {
				fprintf(stderr, "jtlscope: error: option '%s' needs a value\n", a);
				timeline_usage(stderr);
				return TL_EXIT_USAGE;
			}
			if (klen == 8 && !strncmp(a, "--format", 8)) {
				fmt = val;
			} else if (klen == 12 && !strncmp(a, "--tls-keylog", 12)) {
				keylog_path = val;
			} else if (klen == 12 && !strncmp(a, "--connection", 12)) {
				if (!parse_filter(&t, val)) {
					fprintf(stderr, "jtlscope: error: empty --connection filter\n");
					return TL_EXIT_USAGE;
				}
			} else {
				fprintf(stderr, "jtlscope: error: unknown option '%s'\n", a);
				fputs("try 'jtlscope timeline --help' for the options\n", stderr);
				return TL_EXIT_USAGE;
			}
			continue;
		}
		if (a[0] == '-' && a[1]) {
			fprintf(stderr, "jtlscope: error: unknown option '%s'\n", a);
			fputs("try 'jtlscope timeline --help' for the options\n", stderr);
			return TL_EXIT_USAGE;
		}
		if (path) {
			fprintf(stderr, "jtlscope: error: timeline takes one capture ('%s' and '%s')\n",
				path, a);
			return TL_EXIT_USAGE;
		}
		path = a;
	}
	if (!path) {
		timeline_usage(stderr);
		return TL_EXIT_USAGE;
	}
	if (!strcmp(fmt, "text"))
		t.fmt = TL_TEXT;
	else if (!strcmp(fmt, "json"))
		t.fmt = TL_JSON;
	else if (!strcmp(fmt, "csv"))
		t.fmt = TL_CSV;
	else {
		fprintf(stderr, "jtlscope: error: unknown --format '%s' (text, json or csv)\n", fmt);
		return TL_EXIT_USAGE;
	}
	t.path = path;

	char err[512];
	struct input *in = input_open(path, err, sizeof err);
	if (!in) {
		fprintf(stderr, "jtlscope: error: %s\n", err);
		return TL_EXIT_INPUT;
	}
	struct diag d;
	diag_init(&d, path);
	t.cap = capture_open(in, &d, err, sizeof err);
	if (!t.cap) {
		fprintf(stderr, "jtlscope: error: %s\n", err);
		input_close(in);
		return TL_EXIT_INPUT;
	}
	capture_set_tcp_events(t.cap, true);
	struct capture_keylog *kl = NULL;
	if (keylog_path) {
		kl = capture_keylog_load(keylog_path, err, sizeof err);
		if (!kl) {
			fprintf(stderr, "jtlscope: error: %s\n", err);
			capture_close(t.cap);
			input_close(in);
			return TL_EXIT_INPUT;
		}
		keylog_note(kl, keylog_path, false);
		capture_set_keylog(t.cap, kl);
	}
	if (t.fmt == TL_CSV)
		fputs("connection_id,connection,t_ms,utc,event,dir,detail\n", t.out);
	struct capture_event ev;
	enum capture_status st;
	while ((st = capture_next(t.cap, &ev)) == CAP_EVENT)
		on_event(&t, &ev);
	int rc = TL_EXIT_OK;
	if (st == CAP_FATAL) {
		fprintf(stderr, "jtlscope: error: %s\n", capture_error(t.cap));
		rc = TL_EXIT_INPUT;
	}
	if (t.fmt == TL_TEXT)
		summary_text(&t);
	else if (t.fmt == TL_JSON)
		summary_json(&t);
	for (size_t b = 0; b < TL_BUCKETS; b++)
		while (t.bucket[b])
			conn_drop(&t, t.bucket[b]);
	capture_close(t.cap);
	capture_keylog_free(kl);
	diag_summary(&d);
	input_close(in);
	if (fflush(t.out) != 0 && rc == TL_EXIT_OK)
		rc = 5;
	return rc;
}
