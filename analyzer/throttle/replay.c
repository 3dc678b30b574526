/* replay.c - see replay.h.
 *
 * Every model is replayed in one pass per value of its continuous parameter (rate, window,
 * window and phase; none for a concurrency cap).  A pass computes, for every request, the
 * integer state v the limiter would compare with its discrete parameter K (tokens in use,
 * requests counted in the window, requests in flight), with the state driven by the observed
 * accepts.  The limiter accepts iff v < K, so the mismatches of every K follow from two
 * histograms of v (accepted / rejected requests) in O(n + Kmax).
 */
#include "analyzer/throttle/replay_int.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "analyzer/region.h"

const char *replay_model_name(enum replay_model m)
{
	static const char *const n[RM_COUNT] = { "unknown", "token-bucket", "fixed-window",
						 "sliding-window", "sliding-window", "concurrency" };
	return (unsigned)m < RM_COUNT ? n[m] : "unknown";
}

enum replay_model replay_model_class(enum replay_model m)
{
	return m == RM_SLIDING_COUNTER ? RM_SLIDING_LOG : m;
}

struct replay *replay_new(void)
{
	struct replay *r = xcalloc(1, sizeof *r);
	for (size_t k = 0; k < RK_COUNT; k++)
		strmap_init(&r->vals[k]);
	strmap_init(&r->hdr_names);
	for (size_t i = 0; i < ARRAY_LEN(r->hdr_slot_of); i++)
		r->hdr_slot_of[i] = -1;
	strbuf_init(&r->tmp);
	return r;
}

void replay_free(struct replay *r)
{
	if (!r)
		return;
	free(r->pre);
	free(r->ev);
	for (size_t k = 0; k < RK_COUNT; k++)
		strmap_free(&r->vals[k]);
	strmap_free(&r->hdr_names);
	for (size_t i = 0; i < REPLAY_HDRS; i++)
		free(r->hdr_name[i]);
	strbuf_release(&r->tmp);
	free(r);
}

uint64_t replay_seen(const struct replay *r)
{
	return r->seen;
}

uint64_t replay_kept(const struct replay *r)
{
	return r->npre + r->nev;
}

/* ---- keys of a request ------------------------------------------------------------------ */

/* h: hash_bytes(p, n) when the caller knows it (and n <= REPLAY_NAME_MAX), else 0.  The
 * value a kind saw last is tried first: host and thread group rarely change from one
 * request to the next. */
static uint16_t value_id_h(struct replay *r, enum replay_key k, const char *p, size_t n, uint64_t h)
{
	if (r->overflow[k])
		return 0;
	if (n > REPLAY_NAME_MAX) {
		n = REPLAY_NAME_MAX;
		h = 0;
	}
	const struct strmap *m = &r->vals[k];
	uint32_t last = r->last_id[k];
	if (last && m->lens[last - 1] == n && memcmp(m->keys[last - 1], p, n) == 0)
		return (uint16_t)last;
	size_t id = strmap_find_h(m, p, n, h ? h : hash_bytes(p, n));
	if (id == SIZE_MAX) {
		if (r->vals[k].n >= REPLAY_VALUES) {
			r->overflow[k] = true;
			return 0;
		}
		int added;
		id = strmap_intern(&r->vals[k], p, n, &added);
	}
	r->last_id[k] = (uint32_t)(id + 1);
	return (uint16_t)(id + 1);
}

uint16_t replay_value_id(struct replay *r, enum replay_key k, const char *p, size_t n)
{
	return value_id_h(r, k, p, n, 0);
}

/* Decimal digits of v appended to b (what "%u" prints). */
static void add_uint(struct strbuf *b, unsigned v)
{
	char d[16];
	size_t i = sizeof d;
	do {
		d[--i] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	strbuf_add(b, d + i, sizeof d - i);
}

/* Request headers that identify a client, session or tenant are candidates; transport,
 * content and caching headers are not. */
static bool header_candidate(struct strref name)
{
	static const char *const skip[] = {
		"host", "content-length", "content-type", "content-encoding", "connection", "keep-alive",
		"user-agent", "accept", "accept-encoding", "accept-language", "accept-charset", "date",
		"cache-control", "pragma", "referer", "origin", "te", "upgrade", "expect", "cookie",
		"if-modified-since", "if-none-match", "if-match", "range", "transfer-encoding",
		"sec-websocket-key", "sec-websocket-version", "sec-websocket-extensions",
		"sec-websocket-protocol", "traceparent", "tracestate", "x-request-id",
		"x-correlation-id", "x-amzn-trace-id", "content-md5", "dnt",
	};
	for (size_t i = 0; i < ARRAY_LEN(skip); i++) {
		if (strref_ieq(name, skip[i]))
			return false;
	}
	return name.n > 0;
}

int replay_header_slot(struct replay *r, struct strref name)
{
	char low[64];
	if (name.n == 0 || name.n >= sizeof low)
		return -1;
	for (size_t i = 0; i < name.n; i++) {
		char c = name.p[i];
		low[i] = (char)(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
	}
	size_t id = strmap_find(&r->hdr_names, low, name.n);
	if (id == SIZE_MAX) {
		if (r->hdr_names.n >= ARRAY_LEN(r->hdr_slot_of))
			return -1;
		int added;
		id = strmap_intern(&r->hdr_names, low, name.n, &added);
		if (header_candidate(name) && r->nhdr < REPLAY_HDRS) {
			r->hdr_slot_of[id] = (int)r->nhdr;
			r->hdr_name[r->nhdr++] = xstrndup(name.p, name.n);
		}
	}
	return r->hdr_slot_of[id];
}

static void header_keys(struct replay *r, struct strref h, uint16_t *out)
{
	const char *p = h.p, *end = h.p ? h.p + h.n : NULL;
	while (p && p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *eol = nl ? nl : end;
		const char *colon = memchr(p, ':', (size_t)(eol - p));
		if (colon) {
			struct strref name = strref_trim((struct strref){ p, (size_t)(colon - p) });
			int slot = replay_header_slot(r, name);
			if (slot >= 0) {
				struct strref v = strref_trim((struct strref){ colon + 1,
									   (size_t)(eol - colon - 1) });
				while (v.n && (v.p[v.n - 1] == '\r'))
					v.n--;
				out[RK_HDR0 + (unsigned)slot] = replay_value_id(r, (enum replay_key)(RK_HDR0 + (unsigned)slot),
									 v.p ? v.p : "", v.n);
			}
		}
		p = nl ? nl + 1 : end;
	}
}

void replay_add(struct replay *r, const struct sample *s, uint32_t group, bool reject,
		bool plain_503)
{
	r->seen++;
	struct rev e;
	memset(&e, 0, sizeof e);
	e.ts = s->ts_ms;
	int64_t el = (s->has & SH_ELAPSED) ? s->elapsed_ms : 0;
	e.el = el < 0 ? 0 : el > (int64_t)UINT32_MAX ? UINT32_MAX : (uint32_t)el;
	e.group = group;
	e.seq = (uint32_t)(r->seq++ & 0xffffffffu);
	e.flags = (uint8_t)((reject ? RF_REJECT : 0u) | (plain_503 ? RF_P503 : 0u));
	e.key[RK_SHARED] = 1;
	header_keys(r, s->req_headers, e.key);
	struct strref th = s->thread.p && s->thread.n ? s->thread : (struct strref){ "", 0 };
	struct strref tg = region_thread_group(th);
	if (tg.n)
		e.key[RK_TGROUP] = replay_value_id(r, RK_TGROUP, tg.p, tg.n);
	struct strbuf *b = &r->tmp;
	strbuf_reset(b);
	add_uint(b, (unsigned)s->source);
	if (s->hostname.p && s->hostname.n) {
		strbuf_addch(b, ' ');
		strbuf_add(b, s->hostname.p, s->hostname.n);
	}
	e.key[RK_HOST] = replay_value_id(r, RK_HOST, b->buf, b->len);
	if (s->conn_id) {
		strbuf_reset(b);
		strbuf_addf(b, "connection %llu", (unsigned long long)s->conn_id);
		e.key[RK_CONN] = replay_value_id(r, RK_CONN, b->buf, b->len);
	}
	strbuf_reset(b);
	if (th.n) {
		if (s->source) {
			strbuf_addf(b, "%u:", (unsigned)s->source);
		}
		strbuf_add(b, th.p, th.n);
		/* without a source prefix the key is the thread name: its hash is the sample's */
		uint64_t h = !s->source && s->thread.p == th.p ? sample_field_hash(th, s->thread_hash)
							      : hash_bytes(b->buf, b->len);
		e.key[RK_THREAD] = value_id_h(r, RK_THREAD, b->buf, b->len, h);
		e.hash = (uint32_t)h;
	} else if (s->conn_id) {
		e.key[RK_THREAD] = e.key[RK_CONN];
		e.hash = (uint32_t)(s->conn_id * 2654435761u);
	}
	if (s->label.p && s->label.n)
		e.key[RK_LABEL] = value_id_h(r, RK_LABEL, s->label.p, s->label.n, s->label_hash);

	if (!r->frozen && (reject || plain_503)) {
		r->frozen = true;
	}
	if (!r->frozen) {
		if (!r->pre)
			r->pre = xmalloc(REPLAY_PRE_MAX * sizeof *r->pre);
		if (r->npre < REPLAY_PRE_MAX) {
			r->pre[r->npre++] = e;
		} else {
			r->pre[r->pre_head] = e;
			r->pre_head = (r->pre_head + 1) % REPLAY_PRE_MAX;
		}
		return;
	}
	if (r->nev >= REPLAY_MAX)
		return;
	xgrow((void **)&r->ev, &r->cap, r->nev + 1, sizeof *r->ev);
	r->ev[r->nev++] = e;
	r->sorted = false;
}

/* Once all requests are in: the ring before the first rejection joins the rest, in start
 * order (ties: thread hash, elapsed, outcome, arrival), sorted in place. */
void replay_prepare(struct replay *r)
{
	if (r->sorted)
		return;
	if (r->npre) {
		r->pre_full = r->npre == REPLAY_PRE_MAX;
		xgrow((void **)&r->ev, &r->cap, r->nev + r->npre, sizeof *r->ev);
		for (size_t i = 0; i < r->npre; i++)
			r->ev[r->nev + i] = r->pre[(r->pre_head + i) % r->npre];
		r->nev += r->npre;
		r->npre = 0;
		r->pre_head = 0;
		free(r->pre);
		r->pre = NULL;
	}
	qsort(r->ev, r->nev, sizeof *r->ev, replay_cmp_rev);
	r->sorted = true;
}

bool replay_active_senders(const struct replay *r, uint32_t group, int64_t from_ms, int64_t to_ms,
			   uint32_t *out)
{
	/* the kept stretch must reach back past from_ms: the oldest kept request is older */
	int64_t oldest = INT64_MAX;
	for (size_t i = 0; i < r->npre; i++)
		if (r->pre[i].ts < oldest)
			oldest = r->pre[i].ts;
	for (size_t i = 0; i < r->nev; i++)
		if (r->ev[i].ts < oldest)
			oldest = r->ev[i].ts;
	bool dropped_before = r->seen > r->npre + r->nev && (r->npre == REPLAY_PRE_MAX || r->pre_full);
	if (oldest == INT64_MAX || (dropped_before && oldest > from_ms) || r->overflow[RK_THREAD])
		return false;
	size_t nv = r->vals[RK_THREAD].n + 1;
	unsigned char *seen = xcalloc(nv, 1);
	uint32_t n = 0;
	for (int pass = 0; pass < 2; pass++) {
		const struct rev *ev = pass ? r->ev : r->pre;
		size_t cnt = pass ? r->nev : r->npre;
		for (size_t i = 0; i < cnt; i++) {
			const struct rev *e = &ev[i];
			if (e->ts <= from_ms || e->ts > to_ms)
				continue;
			if (group != UINT32_MAX && e->group != group)
				continue;
			uint16_t k = e->key[RK_THREAD];
			if (k && !seen[k]) {
				seen[k] = 1;
				n++;
			}
		}
	}
	free(seen);
	*out = n;
	return true;
}

bool replay_first_reject(const struct replay *r, uint32_t group, int64_t from_ms, int64_t to_ms,
			 bool use_503, int64_t *out)
{
	uint8_t flag = use_503 ? RF_P503 : RF_REJECT;
	int64_t best = INT64_MAX;
	for (int pass = 0; pass < 2; pass++) {
		const struct rev *ev = pass ? r->ev : r->pre;
		size_t cnt = pass ? r->nev : r->npre;
		for (size_t i = 0; i < cnt; i++) {
			const struct rev *e = &ev[i];
			if ((e->flags & flag) && e->ts >= from_ms && e->ts < to_ms && e->ts < best &&
			    (group == UINT32_MAX || e->group == group))
				best = e->ts;
		}
	}
	if (best == INT64_MAX)
		return false;
	*out = best;
	return true;
}

int replay_cmp_rev(const void *a, const void *b)
{
	const struct rev *x = a, *y = b;
	if (x->ts != y->ts)
		return x->ts < y->ts ? -1 : 1;
	if (x->hash != y->hash)
		return x->hash < y->hash ? -1 : 1;
	if (x->el != y->el)
		return x->el < y->el ? -1 : 1;
	if (x->flags != y->flags)
		return x->flags < y->flags ? -1 : 1;
	return (x->seq > y->seq) - (x->seq < y->seq);
}
