/* event.c - capture events: building them with owned strings, ordering them, and mapping them to
 * struct sample.
 *
 * Order: every event is stamped with the capture clock (the highest packet time seen) when it
 * completes.  Events wait in a pending list until the clock moves past their stamp; then they are
 * sorted by (stamp, connection id, creation order) and become ready.  No event can later be
 * created with an earlier stamp, so the output is totally ordered and deterministic however the
 * packets' own timestamps wander.
 *
 * Ownership: each event carries one string block; strrefs point into it and NUL-terminate, so
 * they can also be printed with %s.  The event returned by capture_next() is freed by the next
 * call.
 */
#include "parsers/capture/cap_int.h"

#include <stdlib.h>
#include <string.h>

#define EV_MAX_STRINGS 24

struct cap_qev {
	struct capture_event ev;
	struct strbuf sb;
	unsigned nfix;
	struct {
		struct strref *field;
		size_t off, n;
	} fix[EV_MAX_STRINGS];
};

struct capture_event *cap_ev_get(struct cap_qev *q)
{
	return &q->ev;
}

void cap_ev_str(struct cap_qev *q, struct strref *field, const void *p, size_t n)
{
	if (!p || q->nfix >= EV_MAX_STRINGS)
		return;
	q->fix[q->nfix].field = field;
	q->fix[q->nfix].off = q->sb.len;
	q->fix[q->nfix].n = n;
	q->nfix++;
	cap_sb_add(&q->sb, p, n, 512);
	strbuf_addch(&q->sb, '\0');
}

struct cap_qev *cap_ev_new(struct cap_conn *cn, enum capture_event_kind kind)
{
	struct capture *c = cn->cap;
	struct cap_qev *q = xcalloc(1, sizeof *q);
	struct capture_event *ev = &q->ev;
	ev->kind = kind;
	ev->ts_ns = c->clock;
	ev->seq = ++c->ev_serial;
	ev->conn.id = cn->id;
	ev->conn.client_port = cn->port[0];
	ev->conn.server_port = cn->port[1];
	ev->conn.ipv6 = cn->addr[0].len == 16;
	ev->conn.saw_syn = cn->saw_syn;
	ev->conn.proto = cn->proto;
	ev->stats = cn->st;
	cap_ev_str(q, &ev->conn.name, cn->name, strlen(cn->name));
	cap_ev_str(q, &ev->conn.client, cn->astr[0], strlen(cn->astr[0]));
	cap_ev_str(q, &ev->conn.server, cn->astr[1], strlen(cn->astr[1]));
	return q;
}

void cap_ev_push(struct capture *c, struct cap_qev *q)
{
	for (unsigned i = 0; i < q->nfix; i++) {
		q->fix[i].field->p = q->sb.buf + q->fix[i].off;
		q->fix[i].field->n = q->fix[i].n;
	}
	void *arr = c->q;
	xgrow(&arr, &c->qcap, c->qn + 1, sizeof *c->q);
	c->q = arr;
	c->q[c->qn++] = q;
}

void cap_ev_tcp(struct cap_conn *cn, enum capture_tcp_note note, int dir, uint64_t len,
		int64_t ts)
{
	if (!cn->cap->tcp_events)
		return;
	cap_conn_open_event(cn);
	struct cap_qev *q = cap_ev_new(cn, CAP_EV_TCP);
	q->ev.u.tcp.note = note;
	q->ev.u.tcp.dir = dir;
	q->ev.u.tcp.length = len;
	q->ev.u.tcp.ns = ts;
	cap_ev_push(cn->cap, q);
}

static int ev_cmp(const void *a, const void *b)
{
	const struct capture_event *x = &(*(struct cap_qev *const *)a)->ev;
	const struct capture_event *y = &(*(struct cap_qev *const *)b)->ev;
	if (x->ts_ns != y->ts_ns)
		return x->ts_ns < y->ts_ns ? -1 : 1;
	if (x->conn.id != y->conn.id)
		return x->conn.id < y->conn.id ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

void cap_ev_release(struct capture *c)
{
	if (c->qhead) {
		memmove(c->q, c->q + c->qhead, (c->qn - c->qhead) * sizeof *c->q);
		c->qn -= c->qhead;
		c->qready -= c->qhead;
		c->qhead = 0;
	}
	if (c->qn > c->qready)
		qsort(c->q + c->qready, c->qn - c->qready, sizeof *c->q, ev_cmp);
	c->qready = c->qn;
}

struct cap_qev *cap_ev_pop(struct capture *c)
{
	if (c->qhead >= c->qready)
		return NULL;
	struct cap_qev *q = c->q[c->qhead++];
	if (c->qhead == c->qn)
		c->qhead = c->qn = c->qready = 0;
	return q;
}

void cap_ev_free(struct cap_qev *q)
{
	if (!q)
		return;
	strbuf_release(&q->sb);
	free(q);
}

void cap_ev_free_all(struct capture *c)
{
	for (size_t i = c->qhead; i < c->qn; i++)
		cap_ev_free(c->q[i]);
	free(c->q);
	c->q = NULL;
	c->qn = c->qcap = c->qhead = c->qready = 0;
	cap_ev_free(c->cur);
	c->cur = NULL;
}

/* ---- mapping to struct sample ---- */

static int64_t ns_to_ms(int64_t ns)
{
	return ns / 1000000;
}

bool capture_event_to_sample(const struct capture_event *ev, struct sample *s)
{
	sample_clear(s);
	if (ev->kind == CAP_EV_HTTP && ev->u.http.status == 101 && (ev->u.http.flags & CAP_HTTP_UPGRADE)) {
		/* a WebSocket upgrade sets up the connection its message exchanges use: no request
		 * of its own (a refused upgrade, 4xx, stays a sample) */
		return false;
	} else if (ev->kind == CAP_EV_HTTP) {
		const struct capture_http *h = &ev->u.http;
		int64_t t0 = h->req_first_ns ? h->req_first_ns : h->resp_first_ns;
		s->ts_ms = ns_to_ms(t0);
		s->has |= SH_TS;
		if (h->req_first_ns && h->resp_last_ns >= h->req_first_ns) {
			s->elapsed_ms = ns_to_ms(h->resp_last_ns - h->req_first_ns);
			s->has |= SH_ELAPSED;
		}
		if (h->req_first_ns && h->resp_first_ns >= h->req_first_ns) {
			s->latency_ms = ns_to_ms(h->resp_first_ns - h->req_first_ns);
			s->has |= SH_LATENCY;
		}
		s->connect_ms = ns_to_ms(h->connect_ns);
		s->has |= SH_CONNECT;
		s->bytes = (int64_t)(h->resp_header_bytes + h->resp_body_bytes);
		s->sent_bytes = (int64_t)(h->req_header_bytes + h->req_body_bytes);
		s->has |= SH_BYTES | SH_SENT_BYTES | SH_SUCCESS;
		s->label = h->label;
		s->code = h->code;
		s->message = h->reason;
		s->success = h->status >= 100 && h->status < 400;
		s->url = h->url;
		s->req_host = h->host;
		s->rl = h->rl;
		s->body = h->body;
	} else if (ev->kind == CAP_EV_WS_EXCHANGE) {
		/* one sample per client message: timed from its first byte to the answer's last */
		const struct capture_ws_exchange *x = &ev->u.wsx;
		s->ts_ms = ns_to_ms(x->req_first_ns);
		s->has |= SH_TS | SH_BYTES | SH_SENT_BYTES | SH_SUCCESS;
		if (x->answered && x->resp_last_ns >= x->req_first_ns) {
			s->elapsed_ms = ns_to_ms(x->resp_last_ns - x->req_first_ns);
			s->latency_ms = ns_to_ms(x->resp_first_ns - x->req_first_ns);
			s->has |= SH_ELAPSED | SH_LATENCY;
		}
		s->bytes = (int64_t)x->resp_length;
		s->sent_bytes = (int64_t)x->req_length;
		s->label = x->label;
		s->code = x->code;
		s->data_type = x->resp_opcode == 2 ? (struct strref){ "bin", 3 } : (struct strref){ "text", 4 };
		s->success = x->answered && (x->status == 0 || x->status < 400);
		if (!x->answered)
			s->message = (struct strref){ "no answer captured", 18 };
		else if (x->inband_class.p)
			s->message = x->inband_class;   /* TooManyRequestsErrorMessage, ratelimited... */
		s->url = x->url;
		s->req_host = x->host;
		s->rl = x->rl;
		s->body = x->response;
	} else if (ev->kind == CAP_EV_TLS_EXCHANGE && !ev->u.tlsx.h2) {
		/* encrypted: timing and sizes only; the status is unknown */
		const struct capture_tls_exchange *x = &ev->u.tlsx;
		s->ts_ms = ns_to_ms(x->req_first_ns);
		s->has |= SH_TS | SH_BYTES | SH_SENT_BYTES | SH_SUCCESS | SH_CONNECT;
		if (x->answered && x->resp_last_ns >= x->req_first_ns) {
			s->elapsed_ms = ns_to_ms(x->resp_last_ns - x->req_first_ns);
			s->latency_ms = ns_to_ms(x->resp_first_ns - x->req_first_ns);
			s->has |= SH_ELAPSED | SH_LATENCY;
		}
		s->connect_ms = ns_to_ms(x->connect_ns);
		s->bytes = (int64_t)x->resp_bytes;
		s->sent_bytes = (int64_t)x->req_bytes;
		s->label = x->label;
		s->code = (struct strref){ "TLS", 3 };
		s->message = x->answered ? (struct strref){ "encrypted", 9 }
					 : (struct strref){ "encrypted, no answer captured", 29 };
		s->success = true;
		s->url = x->url;
		s->req_host = x->sni;
	} else {
		return false;
	}
	s->thread = ev->conn.name;
	s->conn_id = ev->conn.id;
	return true;
}
