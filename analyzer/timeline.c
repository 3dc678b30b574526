/* timeline.c - per-connection timelines of a capture: events collected per connection until it
 * closes (timeline.h).  The lines mix fixed text with raw bytes from the capture; the writers
 * (reports/timeline_report.c) escape them for their format. */
#include "analyzer/timeline.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "common/util.h"

struct timeline {
	const char *filter;
	bool filter_id;
	uint64_t filter_num;
	struct timeline_conn *bucket[TIMELINE_BUCKETS];
	uint64_t emitted;
	timeline_emit_fn emit;
	void *ctx;
};

struct timeline *timeline_new(timeline_emit_fn emit, void *ctx)
{
	struct timeline *t = xcalloc(1, sizeof *t);
	t->emit = emit;
	t->ctx = ctx;
	return t;
}

uint64_t timeline_emitted(const struct timeline *t)
{
	return t->emitted;
}

bool timeline_set_filter(struct timeline *t, const char *f)
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

static bool filter_match(const struct timeline *t, const struct capture_event *ev)
{
	if (!t->filter)
		return true;
	if (t->filter_id)
		return ev->conn.id == t->filter_num;
	return strstr(ev->conn.name.p, t->filter) != NULL;
}

static struct timeline_conn *conn_get(struct timeline *t, uint64_t id, bool create)
{
	struct timeline_conn **pp = &t->bucket[id % TIMELINE_BUCKETS];
	for (; *pp; pp = &(*pp)->next)
		if ((*pp)->id == id)
			return *pp;
	if (!create)
		return NULL;
	struct timeline_conn *c = xcalloc(1, sizeof *c);
	c->id = id;
	*pp = c;
	return c;
}

static void conn_drop(struct timeline *t, struct timeline_conn *c)
{
	struct timeline_conn **pp = &t->bucket[c->id % TIMELINE_BUCKETS];
	while (*pp && *pp != c)
		pp = &(*pp)->next;
	if (*pp)
		*pp = c->next;
	for (size_t i = 0; i < c->n; i++)
		free(c->lines[i].detail);
	free(c->lines);
	free(c);
}

static void add_line(struct timeline_conn *c, int64_t t, const char *event, int dir, struct strbuf *detail)
{
	if (c->n >= TIMELINE_MAX_LINES) {
		c->dropped++;
		strbuf_reset(detail);
		return;
	}
	void *p = c->lines;
	xgrow(&p, &c->cap, c->n + 1, sizeof *c->lines);
	c->lines = p;
	struct timeline_line *l = &c->lines[c->n];
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

const char *timeline_duration(int64_t ns, char *buf, size_t size)
{
	if (ns >= 0 && ns < 1000000)
		snprintf(buf, size, "%" PRId64 " µs", (ns + 500) / 1000);
	else
		snprintf(buf, size, "%.3f ms", ms(ns));
	return buf;
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

static void collect_http(struct timeline_conn *c, const struct capture_http *h)
{
	char db[40];
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
		add_line(c, h->req_first_ns, "request sent", CAP_C2S, &sb);
		if (h->req_last_ns > h->req_first_ns) {
			strbuf_addf(&sb, "%" PRIu64 " body bytes", h->req_body_bytes);
			add_line(c, h->req_last_ns, "request complete", CAP_C2S, &sb);
		}
	}
	if (h->interim) {
		strbuf_addf(&sb, "%u interim (1xx) response%s", h->interim, h->interim > 1 ? "s" : "");
		add_line(c, h->interim_ns, "interim response", CAP_S2C, &sb);
	}
	if (h->status) {
		strbuf_addf(&sb, "%d ", h->status);
		add_s(&sb, h->reason);
		add_line(c, h->resp_first_ns, "response first byte", CAP_S2C, &sb);
		strbuf_addf(&sb, "%d, %" PRIu64 " body bytes", h->status, h->resp_body_bytes);
		if (h->req_first_ns && h->resp_last_ns >= h->req_first_ns)
			strbuf_addf(&sb, ", %s after the request", timeline_duration(h->resp_last_ns - h->req_first_ns, db, sizeof db));
		rate_limit(&sb, h);
		http_flags(&sb, h->flags);
		add_line(c, h->resp_last_ns, "response complete", CAP_S2C, &sb);
	} else {
		strbuf_addstr(&sb, "no response");
		http_flags(&sb, h->flags);
		add_line(c, h->req_last_ns ? h->req_last_ns : h->req_first_ns, "no response", -1, &sb);
	}
	strbuf_release(&sb);
}

static const char *ws_opcode_name(unsigned op)
{
	static const char *const n[] = { "continuation", "text", "binary", "?", "?", "?", "?", "?",
					 "close", "ping", "pong" };
	return op < ARRAY_LEN(n) ? n[op] : "?";
}

static void collect_ws(struct timeline_conn *c, const struct capture_ws *w)
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
		bool cut = p.n > TIMELINE_PAYLOAD_SHOWN;
		if (cut)
			p.n = TIMELINE_PAYLOAD_SHOWN;
		strbuf_addstr(&sb, " \"");
		add_s(&sb, p);
		strbuf_addstr(&sb, cut ? "\"..." : "\"");
	}
	if (w->incomplete)
		strbuf_addstr(&sb, " INCOMPLETE (bytes missing)");
	add_line(c, w->last_ns, "ws frame", w->dir, &sb);
	strbuf_release(&sb);
}

static void collect_tls(struct timeline_conn *c, const struct capture_tls *h)
{
	char db[40];
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
		add_line(c, h->client_hello_ns, "tls client hello", CAP_C2S, &sb);
	}
	if (h->server_hello_ns) {
		strbuf_addstr(&sb, tls_version_name(h->version));
		if (h->alpn_selected.p) {
			strbuf_addstr(&sb, " alpn=");
			add_s(&sb, h->alpn_selected);
		}
		add_line(c, h->server_hello_ns, "tls server hello", CAP_S2C, &sb);
	}
	if (h->complete) {
		int64_t t0 = h->client_hello_ns ? h->client_hello_ns : h->server_hello_ns;
		strbuf_addf(&sb, "%s after the client hello", timeline_duration(h->done_ns - t0, db, sizeof db));
		add_line(c, h->done_ns, "tls handshake done", -1, &sb);
	}
	strbuf_release(&sb);
}

static int line_cmp(const void *a, const void *b)
{
	const struct timeline_line *x = a, *y = b;
	if (x->t != y->t)
		return x->t < y->t ? -1 : 1;
	return x->order < y->order ? -1 : x->order > y->order;
}

void timeline_add(struct timeline *t, const struct capture_event *ev)
{
	if (!filter_match(t, ev))
		return;
	struct timeline_conn *c = conn_get(t, ev->conn.id, true);
	struct strbuf sb = STRBUF_INIT;
	char db[40];
	switch (ev->kind) {
	case CAP_EV_CONN_OPEN:
		break;
	case CAP_EV_TCP:
		if (ev->u.tcp.length && ev->u.tcp.note == CAP_TCP_HOLE)
			strbuf_addf(&sb, "%" PRIu64 " bytes never captured", ev->u.tcp.length);
		else if (ev->u.tcp.length)
			strbuf_addf(&sb, "%" PRIu64 " bytes", ev->u.tcp.length);
		add_line(c, ev->u.tcp.ns, capture_tcp_note_name(ev->u.tcp.note), ev->u.tcp.dir, &sb);
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
				    timeline_duration(x->resp_last_ns - x->req_first_ns, db, sizeof db),
				    x->by_id ? " (by id)" : "");
		else
			strbuf_addf(&sb, "message #%" PRIu64 " not answered", x->seq);
		if (x->status)
			strbuf_addf(&sb, ", in-band status %d", x->status);
		if (x->rl.flags & RL_RETRY_AFTER)
			strbuf_addf(&sb, ", retry after %g s", x->rl.retry_after_s);
		add_line(c, x->req_first_ns, "ws exchange", CAP_C2S, &sb);
		break;
	}
	case CAP_EV_TLS_EXCHANGE: {
		const struct capture_tls_exchange *x = &ev->u.tlsx;
		strbuf_addf(&sb, "encrypted exchange #%" PRIu64 ": request %u records %" PRIu64 " bytes", x->seq,
			    x->req_records, x->req_bytes);
		if (x->answered)
			strbuf_addf(&sb, ", response %u records %" PRIu64 " bytes in %s", x->resp_records,
				    x->resp_bytes, timeline_duration(x->resp_last_ns - x->req_first_ns, db, sizeof db));
		else
			strbuf_addstr(&sb, ", no response");
		if (x->h2)
			strbuf_addstr(&sb, " (h2: record runs, not requests)");
		add_line(c, x->req_first_ns, "tls exchange", CAP_C2S, &sb);
		break;
	}
	case CAP_EV_TLS_APPDATA:
		strbuf_addf(&sb, "application data, %u bytes", ev->u.rec.length);
		add_line(c, ev->u.rec.ns, "tls record", ev->u.rec.dir, &sb);
		break;
	case CAP_EV_CONN_CLOSE:
		strbuf_addstr(&sb, capture_close_reason_name(ev->stats.close_reason));
		add_line(c, ev->stats.last_ns, "closed", -1, &sb);
		qsort(c->lines, c->n, sizeof *c->lines, line_cmp);
		t->emit(t->ctx, c, ev);
		t->emitted++;
		conn_drop(t, c);
		break;
	default:
		break;
	}
	strbuf_release(&sb);
}

void timeline_free(struct timeline *t)
{
	if (!t)
		return;
	for (size_t b = 0; b < TIMELINE_BUCKETS; b++)
		while (t->bucket[b])
			conn_drop(t, t->bucket[b]);
	free(t);
}
