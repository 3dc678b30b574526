/* join.c - see join.h. */
#include "analyzer/join.h"

#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "analyzer/strmap.h"
#include "common/util.h"

/* A pending exchange.  Entries live in a ring addressed by a sequence number (seq % cap); live
 * entries are seq head .. head+count-1.  Each hash slot chains entries newest to oldest. */
struct join_pend {
	uint64_t key;
	uint64_t older;          /* seq + 1 of the next older entry in the same slot, 0 = none */
	int64_t req_first_us, req_last_us, resp_first_us, resp_last_us, connect_us;
	uint64_t conn;
	uint64_t sni_h, addr_h;  /* TLS: hashes of the SNI (0 = none) and the server address */
	uint64_t resp_bytes;
	struct ratelimit rl;     /* the response's rate-limit headers (plain HTTP) */
	bool matched, tls;
};

void join_init(struct join *j, struct capture *cap)
{
	memset(j, 0, sizeof *j);
	j->cap = cap;
	j->cap_pend = 4096;
	j->pend = xcalloc(j->cap_pend, sizeof *j->pend);
	j->nslots = 2 * j->cap_pend;
	j->slots = xcalloc(j->nslots, sizeof *j->slots);
	j->label_ids = xcalloc(1, sizeof *j->label_ids);
	strmap_init(j->label_ids);
	j->thread_ids = xcalloc(1, sizeof *j->thread_ids);
	strmap_init(j->thread_ids);
}

/* The connection a thread's last matched exchange used (0 = none yet); *slot for updating. */
static uint64_t *thread_conn(struct join *j, struct strref thread)
{
	if (!thread.p || j->thread_ids->n >= JOIN_MAX_LABELS * 10)
		return NULL;
	int added;
	size_t id = strmap_intern(j->thread_ids, thread.p, thread.n, &added);
	if (added) {
		void *v = j->thread_conn;
		size_t cap = j->thread_cap;
		xgrow(&v, &cap, id + 1, sizeof *j->thread_conn);
		j->thread_conn = v;
		j->thread_cap = cap;
		j->thread_conn[id] = 0;
	}
	return &j->thread_conn[id];
}

/* host (lower-case, without port) + path-and-query (without fragment) + status */
static uint64_t key_of(struct strref host, struct strref path, int status)
{
	char buf[600];
	size_t o = 0, hn = host.n, pn = path.n;
	const char *colon = hn ? memchr(host.p, ':', hn) : NULL;
	if (colon && host.p[0] != '[')
		hn = (size_t)(colon - host.p);
	for (size_t i = 0; i < hn && o < 255; i++) {
		char c = host.p[i];
		buf[o++] = (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
	}
	buf[o++] = '\n';
	const char *hash = pn ? memchr(path.p, '#', pn) : NULL;
	if (hash)
		pn = (size_t)(hash - path.p);
	const char *pp = path.p;
	if (pn == 0) {
		pp = "/";
		pn = 1;
	}
	size_t take = pn < sizeof buf - o ? pn : sizeof buf - o;
	memcpy(buf + o, pp, take);
	o += take;
	return hash_bytes(buf, o) ^ ((uint64_t)(unsigned)status * 0x9e3779b97f4a7c15ULL);
}

/* Split "scheme://authority/path?q" into host (with port) and path. */
static bool url_parts(struct strref url, struct strref *host, struct strref *path)
{
	const char *p = url.p;
	size_t n = url.n;
	const char *sep = n >= 3 ? memchr(p, ':', n < 16 ? n : 16) : NULL;
	if (!sep || (size_t)(sep - p) + 3 > n || sep[1] != '/' || sep[2] != '/')
		return false;
	size_t a = (size_t)(sep - p) + 3, e = a;
	while (e < n && p[e] != '/' && p[e] != '?' && p[e] != '#')
		e++;
	const char *at = memchr(p + a, '@', e - a);
	if (at)
		a = (size_t)(at - p) + 1;
	*host = (struct strref){ p + a, e - a };
	*path = (struct strref){ p + e, n - e };
	return e > a;
}

static bool url_is_https(struct strref url)
{
	return (url.n >= 8 && strncasecmp(url.p, "https://", 8) == 0) ||
	       (url.n >= 6 && strncasecmp(url.p, "wss://", 6) == 0);
}

static inline struct join_pend *at_seq(struct join *j, uint64_t seq)
{
	return &j->pend[seq % j->cap_pend];
}

static void link_entry(struct join *j, uint64_t seq)
{
	struct join_pend *e = at_seq(j, seq);
	size_t slot = (size_t)(e->key & (j->nslots - 1));
	e->older = j->slots[slot];
	j->slots[slot] = seq + 1;
}

static void grow(struct join *j)
{
	size_t ncap = j->cap_pend * 2;
	struct join_pend *np = xcalloc(ncap, sizeof *np);
	for (uint64_t s = j->head; s < j->head + j->count; s++)
		np[s % ncap] = *at_seq(j, s);
	free(j->pend);
	j->pend = np;
	j->cap_pend = ncap;
	free(j->slots);
	j->nslots = ncap * 2;
	j->slots = xcalloc(j->nslots, sizeof *j->slots);
	for (uint64_t s = j->head; s < j->head + j->count; s++)
		link_entry(j, s);
}

static void evict_oldest(struct join *j)
{
	struct join_pend *e = at_seq(j, j->head);
	if (!e->matched)
		j->unmatched_exchanges++;
	j->head++;
	j->count--;
}

/* The sequence number of a new pending entry at the end of the window; when the window is at
 * JOIN_MAX_PENDING, the oldest entry is evicted to make room. */
static uint64_t push_slot(struct join *j)
{
	if (j->count == j->cap_pend) {
		if (j->cap_pend < JOIN_MAX_PENDING)
			grow(j);
		else
			evict_oldest(j);
	}
	uint64_t seq = j->head + j->count++;
	return seq;
}

static void push_exchange(struct join *j, const struct capture_http *h, uint64_t conn)
{
	uint64_t seq = push_slot(j);
	struct join_pend *e = at_seq(j, seq);
	struct strref host = h->host.p ? h->host : (struct strref){ "", 0 };
	struct strref path = h->target.p ? h->target : (struct strref){ "/", 1 };
	/* absolute-form targets (proxies) carry their own host */
	struct strref uh, up;
	if (path.n && path.p[0] != '/' && url_parts(path, &uh, &up)) {
		host = uh;
		path = up;
	}
	*e = (struct join_pend){
		.key = key_of(host, path, h->status),
		.req_first_us = h->req_first_ns / 1000,
		.req_last_us = h->req_last_ns / 1000,
		.resp_first_us = h->resp_first_ns / 1000,
		.resp_last_us = h->resp_last_ns / 1000,
		.connect_us = h->connect_ns / 1000,
		.conn = conn,
		.resp_bytes = h->resp_header_bytes + h->resp_body_bytes,
		.rl = h->rl,
	};
	link_entry(j, seq);
}

static uint64_t lower_hash(struct strref s)
{
	char buf[256];
	size_t n = s.n < sizeof buf ? s.n : sizeof buf;
	for (size_t i = 0; i < n; i++) {
		char c = s.p[i];
		buf[i] = (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
	}
	return hash_bytes(buf, n) | 1u;   /* never 0 */
}

/* Encrypted exchanges are keyed by server port only: no host, path or status is visible. */
static uint64_t tls_key(unsigned port)
{
	char buf[16];
	int n = snprintf(buf, sizeof buf, "tls:%u", port);
	return hash_bytes(buf, (size_t)n);
}

static void push_tls(struct join *j, const struct capture_event *ev)
{
	const struct capture_tls_exchange *x = &ev->u.tlsx;
	uint64_t seq = push_slot(j);
	struct join_pend *e = at_seq(j, seq);
	*e = (struct join_pend){
		.key = tls_key(ev->conn.server_port),
		.req_first_us = x->req_first_ns / 1000,
		.req_last_us = x->req_last_ns / 1000,
		.resp_first_us = x->resp_first_ns / 1000,
		.resp_last_us = x->resp_last_ns / 1000,
		.connect_us = x->connect_ns / 1000,
		.conn = ev->conn.id,
		.sni_h = x->sni.n ? lower_hash(x->sni) : 0,
		.addr_h = lower_hash(ev->conn.server),
		.resp_bytes = x->resp_bytes,
		.tls = true,
	};
	link_entry(j, seq);
	j->tls_exchanges++;
}

/* Read capture events until the capture is ahead of until_ms. */
static void read_ahead(struct join *j, int64_t until_ms)
{
	struct capture_event ev;
	while (!j->cap_done && j->cap_time_ms <= until_ms) {
		enum capture_status st = capture_next(j->cap, &ev);
		if (st != CAP_EVENT) {
			j->cap_done = true;
			if (st == CAP_FATAL)
				snprintf(j->err, sizeof j->err, "%s", capture_error(j->cap));
			break;
		}
		j->cap_time_ms = ev.ts_ns / 1000000;
		if (ev.kind == CAP_EV_HTTP && !(ev.u.http.flags & CAP_HTTP_NO_REQUEST))
			push_exchange(j, &ev.u.http, ev.conn.id);
		else if (ev.kind == CAP_EV_TLS_EXCHANGE && !ev.u.tlsx.h2)
			push_tls(j, &ev);
	}
}

static struct join_label *label_of(struct join *j, struct strref lb)
{
	if (!lb.p)
		lb = (struct strref){ "", 0 };
	int added;
	if (j->label_ids->n >= JOIN_MAX_LABELS && strmap_find(j->label_ids, lb.p, lb.n) == SIZE_MAX)
		lb = (struct strref){ "(other labels)", 14 };
	size_t id = strmap_intern(j->label_ids, lb.p, lb.n, &added);
	if (added) {
		j->labels = xrealloc(j->labels, (id + 1) * sizeof *j->labels);
		memset(&j->labels[id], 0, sizeof j->labels[id]);
		j->labels[id].label = xstrndup(lb.p, lb.n);
		j->nlabels = id + 1;
	}
	return &j->labels[id];
}

static int status_of(const struct sample *s)
{
	int st = sample_status(s);
	return st < 0 ? 0 : st; /* "Non HTTP response code: ..." = no response */
}

/* An https sample against the encrypted exchanges to its server port: timing (request start
 * vs the sample's start plus its connect time, response end vs the sample's end) and the
 * thread's keep-alive connection.  Returns seq + 1 of the exchange, 0 for none (*ambiguous). */
static uint64_t match_tls(struct join *j, const struct sample *s, struct strref host,
			  uint64_t *tc, bool *ambiguous)
{
	unsigned port = 443;
	struct strref h = host;
	const char *colon = h.n && h.p[0] != '[' ? memchr(h.p, ':', h.n) : NULL;
	if (h.n && h.p[0] == '[') {
		const char *rb = memchr(h.p, ']', h.n);
		if (rb && rb + 1 < h.p + h.n && rb[1] == ':')
			colon = rb + 1;
		if (rb)
			h = (struct strref){ h.p + 1, (size_t)(rb - h.p) - 1 };
	}
	if (colon) {
		int64_t pv;
		if (!parse_i64(colon + 1, (size_t)(host.p + host.n - colon - 1), 1, 65535, &pv))
			return 0;
		port = (unsigned)pv;
		if (host.p[0] != '[')
			h.n = (size_t)(colon - host.p);
	}
	uint64_t hh = lower_hash(h);
	uint64_t key = tls_key(port);
	int64_t el = (s->has & SH_ELAPSED) && s->elapsed_ms > 0 ? s->elapsed_ms : 0;
	int64_t conn_ms = (s->has & SH_CONNECT) && s->connect_ms > 0 ? s->connect_ms : 0;
	int64_t t0 = (s->ts_ms + conn_ms) * 1000, t1 = (s->ts_ms + el) * 1000;
	int64_t tol = (int64_t)JOIN_TOLERANCE_MS * 1000;
	uint64_t best = 0, own = 0;
	int64_t bd = INT64_MAX, sd = INT64_MAX, od = INT64_MAX;
	for (uint64_t q = j->slots[key & (j->nslots - 1)]; q; ) {
		uint64_t seq = q - 1;
		if (seq < j->head)
			break;
		struct join_pend *e = at_seq(j, seq);
		q = e->older;
		if (e->key != key || !e->tls || e->matched)
			continue;
		if (e->sni_h && e->sni_h != hh && e->addr_h != hh)
			continue;
		int64_t d0 = e->req_first_us - t0, d1 = e->resp_last_us ? e->resp_last_us - t1 : 0;
		d0 = d0 < 0 ? -d0 : d0;
		d1 = d1 < 0 ? -d1 : d1;
		if (d0 > tol || d1 > tol)
			continue;
		int64_t d = d0 + d1;
		if (tc && *tc && e->conn == *tc && d < od) {
			own = seq + 1;
			od = d;
		}
		if (d < bd) {
			sd = bd;
			best = seq + 1;
			bd = d;
		} else if (d < sd) {
			sd = d;
		}
	}
	/* the thread's own connection wins unless another is clearly closer in time */
	if (own && od <= bd + (int64_t)JOIN_TLS_SLACK_MS * 1000)
		return own;
	if (best && sd - bd <= (int64_t)JOIN_TIE_MS * 1000) {
		*ambiguous = true;
		return 0;
	}
	return best;
}

bool join_sample(struct join *j, const struct sample *s, struct join_match *m)
{
	j->samples++;
	struct strref host, path;
	if (!(s->has & SH_TS) || !s->url.p || !url_parts(s->url, &host, &path)) {
		j->unmatched_samples++;
		return false;
	}
	int64_t el = s->elapsed_ms > 0 ? s->elapsed_ms : 0;
	read_ahead(j, s->ts_ms + el + JOIN_AHEAD_MS);
	while (j->count && at_seq(j, j->head)->req_first_us / 1000 < s->ts_ms - JOIN_WINDOW_MS)
		evict_oldest(j);
	uint64_t key = key_of(host, path, status_of(s));
	int64_t t0_us = s->ts_ms * 1000;
	uint64_t best = 0, second = 0;
	int64_t bd = INT64_MAX, sd = INT64_MAX;
	for (uint64_t q = j->slots[key & (j->nslots - 1)]; q; ) {
		uint64_t seq = q - 1;
		if (seq < j->head)
			break; /* older entries were evicted */
		struct join_pend *e = at_seq(j, seq);
		q = e->older;
		if (e->key != key || e->matched || e->tls)
			continue;
		int64_t d = e->req_first_us - t0_us;
		if (d < 0)
			d = -d;
		if (d > (int64_t)JOIN_TOLERANCE_MS * 1000)
			continue;
		if (d < bd) {
			second = best;
			sd = bd;
			best = seq + 1;
			bd = d;
		} else if (d < sd) {
			second = seq + 1;
			sd = d;
		}
	}
	uint64_t *tc = thread_conn(j, s->thread);
	if (!best && j->tls_exchanges && url_is_https(s->url)) {
		bool amb = false;
		best = match_tls(j, s, host, tc, &amb);
		if (amb) {
			j->ambiguous++;
			return false;
		}
		second = 0;
		if (best)
			j->matched_tls++;
	}
	if (!best) {
		j->unmatched_samples++;
		return false;
	}
	if (second && sd - bd <= (int64_t)JOIN_TIE_MS * 1000) {
		/* a tie: the thread's own keep-alive connection decides, or nothing does */
		bool b_own = tc && *tc && at_seq(j, best - 1)->conn == *tc;
		bool s_own = tc && *tc && at_seq(j, second - 1)->conn == *tc;
		if (b_own == s_own) {
			j->ambiguous++;
			return false;
		}
		if (s_own)
			best = second;
	}
	struct join_pend *e = at_seq(j, best - 1);
	e->matched = true;
	j->matched++;
	if (tc)
		*tc = e->conn;
	struct join_label *L = label_of(j, s->label);
	L->matched++;
	int64_t connect = e->connect_us, send = e->req_last_us - e->req_first_us;
	hist_add(&L->part[JP_CONNECT], connect / 1000);
	hist_add(&L->part[JP_SEND], send / 1000);
	if (e->resp_first_us) {
		int64_t server = e->resp_first_us - e->req_last_us;
		int64_t transfer = e->resp_last_us - e->resp_first_us;
		int64_t client = el * 1000 - (connect + send + server + transfer);
		hist_add(&L->part[JP_SERVER], server / 1000);
		hist_add(&L->part[JP_TRANSFER], transfer / 1000);
		hist_add(&L->part[JP_CLIENT], client > 0 ? client / 1000 : 0);
	}
	m->conn = e->conn;
	m->rl = e->rl;
	m->resp_bytes = e->resp_bytes;
	m->tls = e->tls;
	m->start_ms = e->req_first_us / 1000;
	m->end_ms = (e->resp_last_us ? e->resp_last_us : e->req_last_us) / 1000;
	return true;
}

static int cmp_label(const void *x, const void *y)
{
	return strcmp(((const struct join_label *)x)->label, ((const struct join_label *)y)->label);
}

bool join_finish(struct join *j)
{
	read_ahead(j, INT64_MAX);
	while (j->count)
		evict_oldest(j);
	if (j->nlabels)
		qsort(j->labels, j->nlabels, sizeof *j->labels, cmp_label);
	return j->err[0] == '\0';
}

void join_free(struct join *j)
{
	for (size_t i = 0; i < j->nlabels; i++) {
		free(j->labels[i].label);
		for (int k = 0; k < JP__COUNT; k++)
			hist_free(&j->labels[i].part[k]);
	}
	free(j->labels);
	free(j->pend);
	free(j->slots);
	if (j->label_ids) {
		strmap_free(j->label_ids);
		free(j->label_ids);
	}
	if (j->thread_ids) {
		strmap_free(j->thread_ids);
		free(j->thread_ids);
	}
	free(j->thread_conn);
	memset(j, 0, sizeof *j);
}
