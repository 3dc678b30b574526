/* replay.c - see replay.h.
 *
 * Every model is replayed in one pass per value of its continuous parameter (rate, window,
 * window and phase; none for a concurrency cap).  A pass computes, for every request, the
 * integer state v the limiter would compare with its discrete parameter K (tokens in use,
 * requests counted in the window, requests in flight), with the state driven by the observed
 * accepts.  The limiter accepts iff v < K, so the mismatches of every K follow from two
 * histograms of v (accepted / rejected requests) in O(n + Kmax).
 */
#include "analyzer/throttle/replay.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "analyzer/region.h"
#include "analyzer/strmap.h"
#include "common/util.h"

#define RF_REJECT 1u
#define RF_P503 2u
#define VMAX 8192u                 /* state values above are one bin */
#define PEN_PER_PARAM 2.0          /* cost of a parameter, in mismatched decisions */
#define PEN_KEY PEN_PER_PARAM      /* choosing a partition key: one more parameter */
#define TB_STEPS 25                /* coarse rate grid, r0/4 .. 4 r0 */
#define TB_REFINE 21
#define FW_PHASES 12

struct rev {
	int64_t ts;
	uint32_t el;
	uint32_t group;
	uint32_t seq;
	uint32_t hash;        /* of the thread identity: an order-independent tie-break */
	uint16_t key[RK_COUNT];
	uint8_t flags;
};

struct replay {
	struct rev *pre;            /* ring before the first rejection */
	size_t npre, pre_head;
	struct rev *ev;             /* from the first rejection on */
	size_t nev, cap;
	bool frozen;
	bool sorted;                /* ev holds every kept request in start order (after a fit) */
	bool pre_full;              /* the ring had wrapped: older requests were dropped */
	uint64_t seen, seq;
	struct strmap vals[RK_COUNT];
	bool overflow[RK_COUNT];
	struct strmap hdr_names;    /* every header name seen -> slot or none */
	int hdr_slot_of[256];       /* by header-name id (first 256 names) -> slot, -1 none */
	char *hdr_name[REPLAY_HDRS];
	unsigned nhdr;
	struct strbuf tmp;
};

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

static uint16_t value_id(struct replay *r, enum replay_key k, const char *p, size_t n)
{
	if (r->overflow[k])
		return 0;
	if (n > REPLAY_NAME_MAX)
		n = REPLAY_NAME_MAX;
	size_t id = strmap_find(&r->vals[k], p, n);
	if (id == SIZE_MAX) {
		if (r->vals[k].n >= REPLAY_VALUES) {
			r->overflow[k] = true;
			return 0;
		}
		int added;
		id = strmap_intern(&r->vals[k], p, n, &added);
	}
	return (uint16_t)(id + 1);
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

static int header_slot(struct replay *r, struct strref name)
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
			int slot = header_slot(r, name);
			if (slot >= 0) {
				struct strref v = strref_trim((struct strref){ colon + 1,
									   (size_t)(eol - colon - 1) });
				while (v.n && (v.p[v.n - 1] == '\r'))
					v.n--;
				out[RK_HDR0 + (unsigned)slot] = value_id(r, (enum replay_key)(RK_HDR0 + (unsigned)slot),
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
		e.key[RK_TGROUP] = value_id(r, RK_TGROUP, tg.p, tg.n);
	struct strbuf *b = &r->tmp;
	strbuf_reset(b);
	strbuf_addf(b, "%u", (unsigned)s->source);
	if (s->hostname.p && s->hostname.n) {
		strbuf_addch(b, ' ');
		strbuf_add(b, s->hostname.p, s->hostname.n);
	}
	e.key[RK_HOST] = value_id(r, RK_HOST, b->buf, b->len);
	if (s->conn_id) {
		strbuf_reset(b);
		strbuf_addf(b, "connection %llu", (unsigned long long)s->conn_id);
		e.key[RK_CONN] = value_id(r, RK_CONN, b->buf, b->len);
	}
	strbuf_reset(b);
	if (th.n) {
		if (s->source) {
			strbuf_addf(b, "%u:", (unsigned)s->source);
		}
		strbuf_add(b, th.p, th.n);
		e.key[RK_THREAD] = value_id(r, RK_THREAD, b->buf, b->len);
		e.hash = (uint32_t)hash_bytes(b->buf, b->len);
	} else if (s->conn_id) {
		e.key[RK_THREAD] = e.key[RK_CONN];
		e.hash = (uint32_t)(s->conn_id * 2654435761u);
	}
	if (s->label.p && s->label.n)
		e.key[RK_LABEL] = value_id(r, RK_LABEL, s->label.p, s->label.n);

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
static int cmp_rev(const void *a, const void *b);

static void replay_prepare(struct replay *r)
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
	qsort(r->ev, r->nev, sizeof *r->ev, cmp_rev);
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

/* ---- the replayed window ---------------------------------------------------------------- */

struct win {
	size_t n;
	double *t;            /* start, s since the window start */
	double t0;            /* window start, epoch s */
	double *end;          /* t + elapsed */
	bool *rej;
	uint32_t *part;       /* partition of the key being fitted */
	uint32_t np;
	/* accepted requests' times per partition (CSR) for the sliding log */
	size_t *aoff;
	double *atime;
	/* scratch */
	uint32_t *v;          /* state per request */
	double *pd;           /* per partition */
	double *pd2;
	int64_t *pi;
	uint32_t *pu;
	size_t kmax;          /* highest state value + 1 (<= VMAX) */
	uint64_t *hacc, *hrej;
};

static int cmp_rev(const void *a, const void *b)
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

/* Mismatches of every K in 1..kmax from the states in w->v: into m[K] (m[0] unused). Returns
 * the best K (smallest on ties) and its count. */
static uint64_t scan_k(struct win *w, uint64_t *m, size_t *best_k)
{
	size_t km = w->kmax + 1;
	memset(w->hacc, 0, (km + 1) * sizeof *w->hacc);
	memset(w->hrej, 0, (km + 1) * sizeof *w->hrej);
	for (size_t i = 0; i < w->n; i++) {
		uint32_t v = w->v[i] > km ? (uint32_t)km : w->v[i];
		if (w->rej[i])
			w->hrej[v]++;
		else
			w->hacc[v]++;
	}
	/* m(K) = accepted with v >= K + rejected with v < K */
	uint64_t acc_ge = 0, rej_lt = 0;
	for (size_t v = 0; v <= km; v++)
		acc_ge += w->hacc[v];
	uint64_t best = UINT64_MAX;
	size_t bk = 1;
	for (size_t K = 1; K <= km; K++) {
		acc_ge -= w->hacc[K - 1];
		rej_lt += w->hrej[K - 1];
		uint64_t mk = acc_ge + rej_lt;
		if (m)
			m[K] = mk;
		if (mk < best) {
			best = mk;
			bk = K;
		}
	}
	*best_k = bk;
	return best;
}

static uint32_t clampv(double x)
{
	if (!(x > 0))
		return 0;
	if (x >= (double)VMAX)
		return VMAX;
	return (uint32_t)x;
}

/* Token bucket of rate r and capacity K, its state kept consistent with every observed
 * decision, with the smallest change that makes it so: an accepted request proves the bucket
 * had a token (the level is cut to K - 1 before it takes one), a rejected one proves it had
 * none (the level is raised to just above K - 1).  So a rate a little off costs a few decisions near where it
 * matters instead of a drift that grows with the run.  Returns the mismatches. */
static uint64_t pass_tb(struct win *w, double r, double K)
{
	double *lvl = w->pd, *last = w->pd2;
	for (uint32_t p = 0; p < w->np; p++) {
		lvl[p] = 0;
		last[p] = -1e300;
	}
	uint64_t m = 0;
	double full = K - 1.0;
	for (size_t i = 0; i < w->n; i++) {
		uint32_t p = w->part[i];
		double l = lvl[p] - r * (w->t[i] - last[p]);
		if (l < 0)
			l = 0;
		last[p] = w->t[i];
		bool pred = l <= full + 1e-9;
		if (pred == w->rej[i]) {
			m++;
		}
		if (!w->rej[i]) {
			if (l > full)
				l = full;
			l += 1.0;
		} else if (l <= full + 1e-6) {
			l = full + 1e-6;
		}
		lvl[p] = l;
	}
	return m;
}

/* fixed window W with boundaries at phase + k W (epoch s) */
static void pass_fw(struct win *w, double W, double phase)
{
	int64_t *win = w->pi;
	uint32_t *cnt = w->pu;
	for (uint32_t p = 0; p < w->np; p++) {
		win[p] = INT64_MIN;
		cnt[p] = 0;
	}
	for (size_t i = 0; i < w->n; i++) {
		uint32_t p = w->part[i];
		int64_t k = (int64_t)floor((w->t0 + w->t[i] - phase) / W);
		if (k != win[p]) {
			win[p] = k;
			cnt[p] = 0;
		}
		w->v[i] = cnt[p] > VMAX ? VMAX : cnt[p];
		if (!w->rej[i])
			cnt[p]++;
	}
}

/* sliding log W: accepted requests of the partition in (t - W, t) */
static void pass_sl(struct win *w, double W)
{
	size_t *lo = (size_t *)(void *)w->pi, *hi = (size_t *)(void *)w->pd2;
	for (uint32_t p = 0; p < w->np; p++) {
		lo[p] = w->aoff[p];
		hi[p] = w->aoff[p];
	}
	for (size_t i = 0; i < w->n; i++) {
		uint32_t p = w->part[i];
		while (lo[p] < hi[p] && w->atime[lo[p]] <= w->t[i] - W)
			lo[p]++;
		size_t c = hi[p] - lo[p];
		w->v[i] = c > VMAX ? VMAX : (uint32_t)c;
		if (!w->rej[i])
			hi[p]++;
	}
}

/* sliding counter W: previous window's count weighted by the part of it still inside the
 * trailing window, plus the current window's count (windows from the window start) */
static void pass_sc(struct win *w, double W)
{
	int64_t *win = w->pi;
	double *cur = w->pd, *prev = w->pd2;
	for (uint32_t p = 0; p < w->np; p++) {
		win[p] = INT64_MIN;
		cur[p] = prev[p] = 0;
	}
	for (size_t i = 0; i < w->n; i++) {
		uint32_t p = w->part[i];
		double x = (w->t0 + w->t[i]) / W;
		int64_t k = (int64_t)floor(x);
		if (k != win[p]) {
			prev[p] = k == win[p] + 1 ? cur[p] : 0;
			cur[p] = 0;
			win[p] = k;
		}
		double frac = x - (double)k;
		double est = prev[p] * (1.0 - frac) + cur[p];
		w->v[i] = clampv(floor(est + 1e-9));
		if (!w->rej[i])
			cur[p] += 1.0;
	}
}

struct heap_item {
	double end;
	uint32_t p;
};

static void heap_push(struct heap_item *h, size_t *n, struct heap_item x)
{
	size_t i = (*n)++;
	while (i > 0) {
		size_t up = (i - 1) / 2;
		if (h[up].end <= x.end)
			break;
		h[i] = h[up];
		i = up;
	}
	h[i] = x;
}

static struct heap_item heap_pop(struct heap_item *h, size_t *n)
{
	struct heap_item top = h[0], x = h[--(*n)];
	size_t i = 0;
	for (;;) {
		size_t c = 2 * i + 1;
		if (c >= *n)
			break;
		if (c + 1 < *n && h[c + 1].end < h[c].end)
			c++;
		if (x.end <= h[c].end)
			break;
		h[i] = h[c];
		i = c;
	}
	if (*n)
		h[i] = x;
	return top;
}

/* concurrency: accepted requests of the partition in flight at the start */
static void pass_cc(struct win *w)
{
	uint32_t *infl = w->pu;
	for (uint32_t p = 0; p < w->np; p++)
		infl[p] = 0;
	struct heap_item *h = xmalloc((w->n ? w->n : 1) * sizeof *h);
	size_t hn = 0;
	for (size_t i = 0; i < w->n; i++) {
		while (hn && h[0].end <= w->t[i]) {
			struct heap_item x = heap_pop(h, &hn);
			infl[x.p]--;
		}
		uint32_t p = w->part[i];
		w->v[i] = infl[p] > VMAX ? VMAX : infl[p];
		if (!w->rej[i]) {
			infl[p]++;
			heap_push(h, &hn, (struct heap_item){ w->end[i], p });
		}
	}
	free(h);
}

/* ---- search ------------------------------------------------------------------------------ */

/* One evaluated value of the continuous parameter(s): its profile over K. */
struct prof {
	double a, b;          /* rate or window; phase */
	uint64_t *m;          /* m[K], K = 1..kmax+1 */
	uint64_t best;
	size_t bk;
};

struct search {
	struct prof *p;
	size_t n, cap;
	size_t km;
};

static void search_add(struct search *s, struct win *w, double a, double b)
{
	xgrow((void **)&s->p, &s->cap, s->n + 1, sizeof *s->p);
	struct prof *pr = &s->p[s->n++];
	pr->a = a;
	pr->b = b;
	pr->m = xmalloc((s->km + 2) * sizeof *pr->m);
	pr->best = scan_k(w, pr->m, &pr->bk);
}

static void search_release(struct search *s)
{
	for (size_t i = 0; i < s->n; i++)
		free(s->p[i].m);
	free(s->p);
	memset(s, 0, sizeof *s);
}

static size_t search_best(const struct search *s)
{
	size_t bi = 0;
	for (size_t i = 1; i < s->n; i++) {
		if (s->p[i].best < s->p[bi].best)
			bi = i;
	}
	return bi;
}

/* Tolerance of an interval: how many more mismatches than the best a parameter value may
 * cost and still be called consistent with the data (timing noise: a request sent a few ms
 * before another may reach the limiter after it). */
static uint64_t tolerance(uint64_t best, size_t n)
{
	double t = 2.0 + 0.08 * (double)best + 0.002 * (double)n;
	return (uint64_t)t;
}

/* Interval of a and of K over the profiles within tolerance of the best. */
static void search_intervals(const struct search *s, uint64_t best, uint64_t tol, double *a_lo,
			     double *a_hi, double *k_lo, double *k_hi)
{
	*a_lo = INFINITY;
	*a_hi = -INFINITY;
	*k_lo = INFINITY;
	*k_hi = -INFINITY;
	for (size_t i = 0; i < s->n; i++) {
		const struct prof *pr = &s->p[i];
		if (pr->best > best + tol)
			continue;
		if (pr->a < *a_lo)
			*a_lo = pr->a;
		if (pr->a > *a_hi)
			*a_hi = pr->a;
		for (size_t K = 1; K <= s->km + 1; K++) {
			if (pr->m[K] <= best + tol) {
				if ((double)K < *k_lo)
					*k_lo = (double)K;
				if ((double)K > *k_hi)
					*k_hi = (double)K;
			}
		}
	}
}

struct tbpt {
	double r, K;
	uint64_t m;
};

static void tb_eval(struct win *w, struct tbpt **pts, size_t *n, size_t *cap, double r, double K)
{
	xgrow((void **)pts, cap, *n + 1, sizeof **pts);
	(*pts)[(*n)++] = (struct tbpt){ r, K, pass_tb(w, r, K) };
}

static size_t tb_best(const struct tbpt *p, size_t n, size_t from)
{
	size_t b = from;
	for (size_t i = from; i < n; i++)
		if (p[i].m < p[b].m || (p[i].m == p[b].m && p[i].K < p[b].K))
			b = i;
	return b;
}

static const double TB_K[] = { 1, 2, 3, 4, 5, 6, 7, 8, 10, 12, 14, 16, 20, 24, 28, 32, 40, 48, 56,
			       64, 80, 96, 128, 160, 200, 256, 320, 400, 512 };

static void fit_tb(struct win *w, double r0, struct replay_cand *c)
{
	struct tbpt *pts = NULL;
	size_t n = 0, cap = 0;
	double lr0 = log(r0), span = log(4.0);
	for (int i = 0; i < TB_STEPS; i++) {
		double r = exp(lr0 - span + 2 * span * i / (TB_STEPS - 1));
		for (size_t k = 0; k < ARRAY_LEN(TB_K) && TB_K[k] <= (double)w->kmax; k++)
			tb_eval(w, &pts, &n, &cap, r, TB_K[k]);
	}
	/* refine around the best cell: rate to 2 %, 0.2 %, 0.03 %, every capacity nearby */
	double steps[3] = { 2 * span / (TB_STEPS - 1), 0.02, 0.003 };
	for (int pass = 0; pass < 3; pass++) {
		size_t b = tb_best(pts, n, 0);
		double rb = pts[b].r, kb = pts[b].K;
		double kstep = kb <= 8 ? 1 : kb <= 32 ? 2 : 4 + floor(kb / 32);
		for (int i = 0; i < TB_REFINE; i++) {
			double r = exp(log(rb) - steps[pass] + 2 * steps[pass] * i / (TB_REFINE - 1));
			for (int dk = -3; dk <= 3; dk++) {
				double K = kb + dk * (pass ? 1 : kstep);
				if (K >= 1 && K <= (double)w->kmax + 1)
					tb_eval(w, &pts, &n, &cap, r, K);
			}
		}
	}
	/* limits are configured by people: the best rate rounded to 1-3 significant digits, per
	 * second and per minute, is tried too */
	{
		size_t b0 = tb_best(pts, n, 0);
		double rb = pts[b0].r, kb = pts[b0].K;
		for (int unit = 0; unit < 2; unit++) {
			double x = unit ? rb * 60 : rb;
			for (int d = 1; d <= 3; d++) {
				double mag = pow(10, floor(log10(x)) - (d - 1));
				double q = round(x / mag) * mag / (unit ? 60 : 1);
				if (q > 0 && fabs(q / rb - 1) < 0.05)
					for (int dk = -1; dk <= 1; dk++)
						if (kb + dk >= 1)
							tb_eval(w, &pts, &n, &cap, q, kb + dk);
			}
		}
	}
	size_t b = tb_best(pts, n, 0);
	c->fitted = true;
	c->miss = pts[b].m;
	c->cost = (double)pts[b].m + 2 * PEN_PER_PARAM;
	c->rate_per_s = pts[b].r;
	c->burst = pts[b].K;
	uint64_t tol = tolerance(pts[b].m, w->n);
	c->rate_lo = c->burst_lo = INFINITY;
	c->rate_hi = c->burst_hi = -INFINITY;
	for (size_t i = 0; i < n; i++) {
		if (pts[i].m > pts[b].m + tol)
			continue;
		c->rate_lo = fmin(c->rate_lo, pts[i].r);
		c->rate_hi = fmax(c->rate_hi, pts[i].r);
		c->burst_lo = fmin(c->burst_lo, pts[i].K);
		c->burst_hi = fmax(c->burst_hi, pts[i].K);
	}
	free(pts);
}

static const double WINDOWS[] = { 0.5, 1, 2, 3, 4, 5, 6, 8, 10, 12, 15, 20, 25, 30, 40, 45, 60,
				  90, 120 };

static size_t window_list(const struct win *w, double extra1, double extra2, double *out)
{
	double span = w->n ? w->t[w->n - 1] - w->t[0] : 0;
	size_t n = 0;
	for (size_t i = 0; i < ARRAY_LEN(WINDOWS); i++) {
		if (WINDOWS[i] <= span || i == 0)
			out[n++] = WINDOWS[i];
	}
	if (extra1 > 0.2 && extra1 <= 3600)
		out[n++] = extra1;
	if (extra2 > 0.2 && extra2 <= 3600)
		out[n++] = extra2;
	return n;
}

static void fill_window_cand(struct replay_cand *c, const struct search *s, size_t bi, size_t n,
			     double params)
{
	const struct prof *b = &s->p[bi];
	c->fitted = true;
	c->miss = b->best;
	c->cost = (double)b->best + params * PEN_PER_PARAM;
	c->window_s = b->a;
	c->phase_s = b->b;
	c->limit = (double)b->bk;
	c->rate_per_s = c->limit / c->window_s;
	search_intervals(s, b->best, tolerance(b->best, n), &c->window_lo, &c->window_hi,
			 &c->limit_lo, &c->limit_hi);
	c->rate_lo = c->limit_lo / c->window_hi;
	c->rate_hi = c->limit_hi / c->window_lo;
}

static void fit_sliding(struct win *w, bool log_variant, double x1, double x2,
			struct replay_cand *c)
{
	double ws[ARRAY_LEN(WINDOWS) + 2];
	size_t nw = window_list(w, x1, x2, ws);
	struct search s = { .km = w->kmax };
	for (size_t i = 0; i < nw; i++) {
		if (log_variant)
			pass_sl(w, ws[i]);
		else
			pass_sc(w, ws[i]);
		search_add(&s, w, ws[i], 0);
	}
	size_t bi = search_best(&s);
	double wb = s.p[bi].a;
	for (int i = 0; i < 15; i++) {
		double W = wb * (0.8 + 0.45 * i / 14.0);
		if (log_variant)
			pass_sl(w, W);
		else
			pass_sc(w, W);
		search_add(&s, w, W, 0);
	}
	bi = search_best(&s);
	fill_window_cand(c, &s, bi, w->n, 2);
	search_release(&s);
}

/* Where windows open: a rejected request of a partition followed by an accepted one. */
static double reopen_phase(const struct win *w, double W)
{
	double sx = 0, sy = 0;
	size_t n = 0;
	uint32_t *lastrej = xcalloc(w->np ? w->np : 1, sizeof *lastrej);
	for (size_t i = 0; i < w->n; i++) {
		uint32_t p = w->part[i];
		if (w->rej[i]) {
			lastrej[p] = 1;
		} else if (lastrej[p]) {
			lastrej[p] = 0;
			double ang = 2 * M_PI * fmod(w->t0 + w->t[i], W) / W;
			sx += cos(ang);
			sy += sin(ang);
			n++;
		}
	}
	free(lastrej);
	if (!n)
		return 0;
	double ang = atan2(sy, sx);
	if (ang < 0)
		ang += 2 * M_PI;
	double ph = ang / (2 * M_PI) * W;
	/* the reopening request comes just after the boundary */
	ph -= 0.02 * W;
	return ph < 0 ? ph + W : ph;
}

static void fit_fw(struct win *w, double x1, double x2, struct replay_cand *c)
{
	double ws[ARRAY_LEN(WINDOWS) + 2];
	size_t nw = window_list(w, x1, x2, ws);
	struct search s = { .km = w->kmax };
	for (size_t i = 0; i < nw; i++) {
		double W = ws[i];
		double rp = reopen_phase(w, W);
		for (int j = 0; j <= FW_PHASES; j++) {
			double ph = j == FW_PHASES ? rp : W * j / FW_PHASES;
			pass_fw(w, W, ph);
			search_add(&s, w, W, ph);
		}
	}
	size_t bi = search_best(&s);
	double wb = s.p[bi].a, pb = s.p[bi].b;
	for (int i = 0; i < 9; i++) {
		double W = wb * (0.9 + 0.2 * i / 8.0);
		for (int j = -3; j <= 3; j++) {
			double ph = fmod(pb + W * j / (4.0 * FW_PHASES) + W, W);
			pass_fw(w, W, ph);
			search_add(&s, w, W, ph);
		}
	}
	bi = search_best(&s);
	fill_window_cand(c, &s, bi, w->n, 3);
	search_release(&s);
}

static void fit_cc(struct win *w, struct replay_cand *c)
{
	struct search s = { .km = w->kmax };
	pass_cc(w);
	search_add(&s, w, 0, 0);
	const struct prof *b = &s.p[0];
	c->fitted = true;
	c->miss = b->best;
	c->cost = (double)b->best + PEN_PER_PARAM;
	c->limit = (double)b->bk;
	double alo, ahi;
	search_intervals(&s, b->best, tolerance(b->best, w->n), &alo, &ahi, &c->limit_lo,
			 &c->limit_hi);
	search_release(&s);
}

/* ---- partitions ------------------------------------------------------------------------ */

/* Dense partition ids of key k over the window; false when k does not partition it (one
 * value, absent on many requests, or too many values). */
static bool partition(const struct replay *r, const struct rev *ev, size_t n, enum replay_key k,
		      uint32_t *part, uint32_t *np)
{
	if (k == RK_SHARED) {
		memset(part, 0, n * sizeof *part);
		*np = 1;
		return true;
	}
	if (r->overflow[k] || r->vals[k].n < 2)
		return false;
	size_t nv = r->vals[k].n + 1;
	uint32_t *map = xmalloc(nv * sizeof *map);
	for (size_t i = 0; i < nv; i++)
		map[i] = UINT32_MAX;
	uint32_t cnt = 0;
	size_t absent = 0;
	for (size_t i = 0; i < n; i++) {
		uint16_t v = ev[i].key[k];
		if (v == 0)
			absent++;
		if (map[v] == UINT32_MAX)
			map[v] = cnt++;
		part[i] = map[v];
	}
	free(map);
	*np = cnt;
	return cnt >= 2 && absent * 10 <= n;
}

/* Same partition of the requests (a bijection between the values)? */
static bool same_partition(const uint32_t *a, uint32_t na, const uint32_t *b, uint32_t nb,
			   size_t n)
{
	if (na != nb)
		return false;
	uint32_t *ab = xmalloc(na * sizeof *ab);
	for (uint32_t i = 0; i < na; i++)
		ab[i] = UINT32_MAX;
	bool same = true;
	for (size_t i = 0; i < n && same; i++) {
		if (ab[a[i]] == UINT32_MAX)
			ab[a[i]] = b[i];
		else if (ab[a[i]] != b[i])
			same = false;
	}
	free(ab);
	return same;
}

static void build_accept_csr(struct win *w)
{
	free(w->aoff);
	free(w->atime);
	w->aoff = xcalloc((size_t)w->np + 1, sizeof *w->aoff);
	for (size_t i = 0; i < w->n; i++)
		if (!w->rej[i])
			w->aoff[w->part[i] + 1]++;
	for (uint32_t p = 0; p < w->np; p++)
		w->aoff[p + 1] += w->aoff[p];
	size_t tot = w->aoff[w->np];
	w->atime = xmalloc((tot ? tot : 1) * sizeof *w->atime);
	size_t *fill = xmalloc(((size_t)w->np + 1) * sizeof *fill);
	memcpy(fill, w->aoff, ((size_t)w->np + 1) * sizeof *fill);
	for (size_t i = 0; i < w->n; i++)
		if (!w->rej[i])
			w->atime[fill[w->part[i]]++] = w->t[i];
	free(fill);
}

/* Accepted rate of the partitions while they were being throttled: median over partitions
 * with at least two rejections of accepted / (last - first rejection). */
static double saturated_rate(const struct win *w)
{
	double *first = xmalloc(w->np * sizeof *first), *last = xmalloc(w->np * sizeof *last);
	uint32_t *nrej = xcalloc(w->np, sizeof *nrej), *nacc = xcalloc(w->np, sizeof *nacc);
	for (uint32_t p = 0; p < w->np; p++) {
		first[p] = INFINITY;
		last[p] = -INFINITY;
	}
	for (size_t i = 0; i < w->n; i++) {
		uint32_t p = w->part[i];
		if (w->rej[i]) {
			nrej[p]++;
			if (w->t[i] < first[p])
				first[p] = w->t[i];
			last[p] = w->t[i];
		}
	}
	for (size_t i = 0; i < w->n; i++) {
		uint32_t p = w->part[i];
		if (!w->rej[i] && w->t[i] >= first[p] && w->t[i] <= last[p])
			nacc[p]++;
	}
	double *rates = xmalloc(w->np * sizeof *rates);
	size_t nr = 0;
	for (uint32_t p = 0; p < w->np; p++) {
		if (nrej[p] >= 2 && last[p] - first[p] > 0.5)
			rates[nr++] = (double)nacc[p] / (last[p] - first[p]);
	}
	double r = 0;
	if (nr) {
		for (size_t i = 1; i < nr; i++)
			for (size_t j = i; j > 0 && rates[j - 1] > rates[j]; j--) {
				double x = rates[j];
				rates[j] = rates[j - 1];
				rates[j - 1] = x;
			}
		r = rates[nr / 2];
	}
	if (!(r > 0)) {
		size_t acc = 0;
		for (size_t i = 0; i < w->n; i++)
			acc += !w->rej[i];
		double span = w->n > 1 ? w->t[w->n - 1] - w->t[0] : 1;
		r = (double)acc / (span > 0.1 ? span : 0.1) / (w->np ? w->np : 1);
	}
	free(first);
	free(last);
	free(nrej);
	free(nacc);
	free(rates);
	return r > 0.001 ? r : 0.001;
}

static void key_name(const struct replay *r, enum replay_key k, struct strbuf *out)
{
	strbuf_reset(out);
	switch (k) {
	case RK_SHARED: strbuf_addstr(out, "shared"); break;
	case RK_TGROUP: strbuf_addstr(out, "thread-group"); break;
	case RK_HOST: strbuf_addstr(out, "client-host"); break;
	case RK_CONN: strbuf_addstr(out, "connection"); break;
	case RK_THREAD: strbuf_addstr(out, "thread"); break;
	case RK_LABEL: strbuf_addstr(out, "label"); break;
	default: {
		unsigned slot = (unsigned)k - RK_HDR0;
		strbuf_addstr(out, "header:");
		if (slot < r->nhdr)
			strbuf_addstr(out, r->hdr_name[slot]);
		break;
	}
	}
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

static double median_sorted(double *v, size_t n)
{
	if (!n)
		return -1;
	qsort(v, n, sizeof *v, cmp_double);
	return v[n / 2];
}

/* Accepted requests' latency at high vs low load (requests in flight at their start). */
static double inflight_latency_ratio(struct win *w)
{
	uint32_t np = w->np;
	uint32_t *save = w->part;
	uint32_t *zero = xcalloc(w->n ? w->n : 1, sizeof *zero);
	w->part = zero;
	w->np = 1;
	pass_cc(w);
	w->part = save;
	w->np = np;
	free(zero);
	size_t na = 0;
	double *lv = xmalloc((w->n ? w->n : 1) * sizeof *lv);
	for (size_t i = 0; i < w->n; i++)
		if (!w->rej[i])
			lv[na++] = (double)w->v[i];
	if (na < 40) {
		free(lv);
		return -1;
	}
	double q25, q75;
	qsort(lv, na, sizeof *lv, cmp_double);
	q25 = lv[na / 4];
	q75 = lv[(3 * na) / 4];
	size_t nlo = 0, nhi = 0;
	double *lo = xmalloc(na * sizeof *lo), *hi = xmalloc(na * sizeof *hi);
	for (size_t i = 0; i < w->n; i++) {
		if (w->rej[i])
			continue;
		double el = w->end[i] - w->t[i];
		if ((double)w->v[i] <= q25)
			lo[nlo++] = el;
		if ((double)w->v[i] >= q75 && q75 > q25)
			hi[nhi++] = el;
	}
	double ratio = -1;
	if (nlo >= 10 && nhi >= 10) {
		double a = median_sorted(lo, nlo), b = median_sorted(hi, nhi);
		if (a > 0.0005)
			ratio = b / a;
		else if (b > 0.002)
			ratio = b / 0.0005;
	}
	free(lo);
	free(hi);
	free(lv);
	return ratio;
}

void replay_fit_release(struct replay_fit *f)
{
	free(f->key_name);
	for (size_t k = 0; k < RK_COUNT; k++)
		free(f->key_names[k]);
	for (size_t i = 0; i < f->nvalues; i++)
		free(f->values[i].name);
	free(f->values);
	memset(f, 0, sizeof *f);
}

static int cmp_value(const void *a, const void *b)
{
	return strcmp(((const struct replay_value *)a)->name, ((const struct replay_value *)b)->name);
}

static size_t wider(size_t a, size_t b)
{
	return a > b ? a : b;
}

void replay_fit(struct replay *r, const struct replay_in *in, struct replay_fit *out)
{
	memset(out, 0, sizeof *out);
	out->runner_key = RK_COUNT;
	uint8_t rejflag = in->use_503 ? RF_P503 : RF_REJECT;
	/* the group's requests in start order, by index into the sorted store (no copy of the
	 * store: only the replayed stretch is copied, below) */
	replay_prepare(r);
	const struct rev *all = r->ev;
	size_t n = 0;
	uint32_t *sel = xmalloc((r->nev ? r->nev : 1) * sizeof *sel);
	for (size_t i = 0; i < r->nev; i++)
		if (in->group == UINT32_MAX || all[i].group == in->group)
			sel[n++] = (uint32_t)i;
#define EV(i) (all[sel[(i)]])
	size_t first = SIZE_MAX;
	for (size_t i = 0; i < n; i++) {
		if (EV(i).flags & rejflag) {
			first = i;
			break;
		}
	}
	if (first == SIZE_MAX) {
		out->why = "no throttled answers were kept";
		free(sel);
		return;
	}
	size_t lo = first;
	while (lo > 0 && EV(lo - 1).ts >= EV(first).ts - REPLAY_LEAD_MS)
		lo--;
	/* the stretch replayed: from lo on, at most REPLAY_FIT_ACCEPTS accepted requests within
	 * REPLAY_FIT_SPAN_MS.  When it holds more than REPLAY_FIT_MAX requests (a closed loop
	 * resending refused requests at once), refused ones are thinned evenly: the replayed
	 * state moves with the accepted requests, so every kept decision is still scored against
	 * the state the limiter had */
	size_t hi = lo, nacc_w = 0, nrej_w = 0;
	while (hi < n && nacc_w < REPLAY_FIT_ACCEPTS && EV(hi).ts - EV(lo).ts <= REPLAY_FIT_SPAN_MS) {
		if (EV(hi).flags & rejflag)
			nrej_w++;
		else
			nacc_w++;
		hi++;
	}
	size_t stride = 1;
	if (nacc_w + nrej_w > REPLAY_FIT_MAX) {
		size_t room = REPLAY_FIT_MAX > nacc_w ? REPLAY_FIT_MAX - nacc_w : 1;
		stride = (nrej_w + room - 1) / room;
	}
	size_t wn = 0;
	struct rev *ev = xmalloc((hi > lo ? hi - lo : 1) * sizeof *ev);
	{
		size_t rk = 0;
		for (size_t i = lo; i < hi; i++) {
			if ((EV(i).flags & rejflag) && (rk++ % stride) != 0)
				continue;
			ev[wn++] = EV(i);
		}
	}
#undef EV
	free(sel);
	lo = 0;
	hi = wn;
	out->thinned = stride;
	struct rev *wv = ev;
	struct win w;
	memset(&w, 0, sizeof w);
	w.n = hi - lo;
	w.t0 = (double)wv[0].ts / 1000.0;
	w.t = xmalloc(w.n * sizeof *w.t);
	w.end = xmalloc(w.n * sizeof *w.end);
	w.rej = xmalloc(w.n * sizeof *w.rej);
	w.v = xmalloc(w.n * sizeof *w.v);
	uint32_t *parts[RK_COUNT] = { 0 };
	uint32_t nps[RK_COUNT] = { 0 };
	size_t nrej = 0;
	double *rel = xmalloc(w.n * sizeof *rel), *ael = xmalloc(w.n * sizeof *ael);
	size_t nrel = 0, nael = 0;
	for (size_t i = 0; i < w.n; i++) {
		w.t[i] = (double)(wv[i].ts - wv[0].ts) / 1000.0;
		/* from integer ms, so an end and a later start at the same ms compare equal */
		w.end[i] = (double)(wv[i].ts + (int64_t)wv[i].el - wv[0].ts) / 1000.0;
		w.rej[i] = (wv[i].flags & rejflag) != 0;
		nrej += w.rej[i];
		if (w.rej[i])
			rel[nrel++] = (double)wv[i].el;
		else
			ael[nael++] = (double)wv[i].el;
	}
	out->span_s = w.n ? w.t[w.n - 1] : 0;
	out->reject_el_p50_ms = median_sorted(rel, nrel);
	out->accept_el_p50_ms = median_sorted(ael, nael);
	free(rel);
	free(ael);
	out->requests = w.n;
	out->rejected = nrej;
	/* a predictor that knows the majority outcome of every second */
	{
		uint64_t m0 = 0;
		size_t i = 0;
		while (i < w.n) {
			double b = floor(w.t[i]);
			uint64_t a = 0, j = 0;
			while (i < w.n && floor(w.t[i]) == b) {
				if (w.rej[i])
					j++;
				else
					a++;
				i++;
			}
			m0 += a < j ? a : j;
		}
		out->null_miss = m0;
	}
	if (nrej < REPLAY_MIN_REJECTS) {
		out->why = "too few throttled answers to tell the limiter";
		goto done;
	}
	size_t maxp = 1;
	for (size_t k = 0; k < RK_COUNT; k++) {
		parts[k] = xmalloc(w.n * sizeof *parts[k]);
		out->key_used[k] = partition(r, wv, w.n, (enum replay_key)k, parts[k], &nps[k]);
		if (out->key_used[k] && nps[k] > maxp)
			maxp = nps[k];
	}
	/* equivalent keys: only one of a set is fitted, named by the most structural key (a
	 * header that merely carries the thread name is reported as "thread") */
	static const unsigned pref[RK_COUNT] = { RK_SHARED, RK_CONN, RK_THREAD, RK_HOST, RK_TGROUP,
						 RK_HDR0, RK_HDR0 + 1, RK_HDR0 + 2, RK_HDR0 + 3,
						 RK_LABEL };
	unsigned alias_of[RK_COUNT];
	for (size_t k = 0; k < RK_COUNT; k++)
		alias_of[k] = (unsigned)k;
	for (size_t a = 0; a < RK_COUNT; a++) {
		unsigned k = pref[a];
		if (!out->key_used[k])
			continue;
		for (size_t b = 0; b < a; b++) {
			unsigned j = pref[b];
			if (out->key_used[j] && alias_of[j] == j &&
			    same_partition(parts[j], nps[j], parts[k], nps[k], w.n)) {
				alias_of[k] = j;
				break;
			}
		}
	}
	w.pd = xmalloc(maxp * sizeof *w.pd);
	/* pd2 and pi double as size_t arrays (pass_sl) */
	w.pd2 = xmalloc(maxp * wider(sizeof(double), sizeof(size_t)));
	w.pi = xmalloc(maxp * wider(sizeof(int64_t), sizeof(size_t)));
	w.pu = xmalloc(maxp * sizeof *w.pu);
	w.hacc = xmalloc((VMAX + 3) * sizeof *w.hacc);
	w.hrej = xmalloc((VMAX + 3) * sizeof *w.hrej);
	struct strbuf nb = STRBUF_INIT;
	for (size_t k = 0; k < RK_COUNT; k++) {
		if (!out->key_used[k])
			continue;
		key_name(r, (enum replay_key)k, &nb);
		out->key_names[k] = xstrdup(nb.buf ? nb.buf : "");
	}
	double best_cost = INFINITY;
	for (size_t k = 0; k < RK_COUNT; k++) {
		if (!out->key_used[k] || alias_of[k] != k)
			continue;
		w.part = parts[k];
		w.np = nps[k];
		/* the highest state any model can reach here: requests of one partition */
		uint32_t *cnt = xcalloc(w.np, sizeof *cnt);
		uint32_t mx = 0;
		for (size_t i = 0; i < w.n; i++)
			if (++cnt[w.part[i]] > mx)
				mx = cnt[w.part[i]];
		free(cnt);
		w.kmax = mx + 1 < VMAX ? mx + 1 : VMAX;
		build_accept_csr(&w);
		struct replay_cand *c = out->cands[k];
		double r0 = saturated_rate(&w);
		fit_tb(&w, r0, &c[RM_TOKEN_BUCKET]);
		fit_cc(&w, &c[RM_CONCURRENCY]);
		double cheap = c[RM_TOKEN_BUCKET].cost < c[RM_CONCURRENCY].cost ?
				       c[RM_TOKEN_BUCKET].cost : c[RM_CONCURRENCY].cost;
		if (cheap <= 1.5 * best_cost + 10 || !isfinite(best_cost)) {
			fit_fw(&w, in->countdown_window_s, in->declared_window_s, &c[RM_FIXED_WINDOW]);
			fit_sliding(&w, true, in->countdown_window_s, in->declared_window_s,
				    &c[RM_SLIDING_LOG]);
			fit_sliding(&w, false, in->countdown_window_s, in->declared_window_s,
				    &c[RM_SLIDING_COUNTER]);
		}
		/* a partition is a choice among keys: it costs like a parameter, so a shared
		 * limit wins unless a key explains the decisions clearly better */
		for (size_t m = 1; m < RM_COUNT; m++)
			if (c[m].fitted && k != RK_SHARED)
				c[m].cost += PEN_KEY;
		for (size_t m = 1; m < RM_COUNT; m++) {
			if (c[m].fitted && c[m].cost < best_cost)
				best_cost = c[m].cost;
		}
	}
	/* copy the fits of equivalent keys */
	for (size_t k = 0; k < RK_COUNT; k++) {
		if (out->key_used[k] && alias_of[k] != k)
			memcpy(out->cands[k], out->cands[alias_of[k]], sizeof out->cands[k]);
	}
	/* the best (key, model); ties go to the simpler key, then the model order */
	size_t bk = RK_COUNT, bm = RM_NONE;
	for (size_t k = 0; k < RK_COUNT; k++) {
		if (!out->key_used[k] || alias_of[k] != k)
			continue;
		for (size_t m = 1; m < RM_COUNT; m++) {
			const struct replay_cand *c = &out->cands[k][m];
			if (!c->fitted)
				continue;
			if (bk == RK_COUNT || c->cost < out->cands[bk][bm].cost - 1e-9) {
				bk = k;
				bm = m;
			}
		}
	}
	if (bk == RK_COUNT) {
		out->why = "no limiter model could be fitted";
		goto done_parts;
	}
	out->done = true;
	out->key = (enum replay_key)bk;
	out->model = (enum replay_model)bm;
	out->best = out->cands[bk][bm];
	out->key_name = xstrdup(out->key_names[bk]);
	for (size_t k = 0; k < RK_COUNT; k++)
		if (out->key_used[k] && alias_of[k] == alias_of[bk])
			out->equiv |= 1u << k;
	out->skill = out->null_miss ? 1.0 - (double)out->best.miss / (double)out->null_miss :
				      (out->best.miss ? 0.0 : 1.0);
	/* margins: the best other model class under any key, the best other key under any model */
	double om = INFINITY, ok = INFINITY;
	for (size_t k = 0; k < RK_COUNT; k++) {
		if (!out->key_used[k] || alias_of[k] != k)
			continue;
		for (size_t m = 1; m < RM_COUNT; m++) {
			const struct replay_cand *c = &out->cands[k][m];
			if (!c->fitted)
				continue;
			if (replay_model_class((enum replay_model)m) != replay_model_class(out->model) &&
			    c->cost < om) {
				om = c->cost;
				out->runner_model = (enum replay_model)m;
			}
			if (alias_of[k] != alias_of[bk] && c->cost < ok) {
				ok = c->cost;
				out->runner_key = (enum replay_key)k;
			}
		}
	}
	out->model_margin = isfinite(om) ? om - out->best.cost : INFINITY;
	out->key_margin = isfinite(ok) ? ok - out->best.cost : INFINITY;
	switch (out->model) {
	case RM_TOKEN_BUCKET:
		out->rate_identifiable = out->best.rate_hi <= 1.5 * out->best.rate_lo;
		break;
	case RM_FIXED_WINDOW:
	case RM_SLIDING_LOG:
	case RM_SLIDING_COUNTER:
		out->rate_identifiable = out->best.window_hi <= 1.6 * out->best.window_lo &&
					 out->best.limit_hi <= 1.6 * out->best.limit_lo + 1;
		break;
	default:
		out->rate_identifiable = out->best.limit_hi <= 1.3 * out->best.limit_lo + 1;
		break;
	}
	w.part = parts[RK_SHARED];
	w.np = 1;
	out->inflight_latency_ratio = inflight_latency_ratio(&w);
	out->latency_tracks_load = out->inflight_latency_ratio >= 1.5;
	/* the values of the best key */
	{
		uint32_t np = nps[bk];
		const uint32_t *pp = parts[bk];
		out->values = xcalloc(np, sizeof *out->values);
		out->nvalues = np;
		double *t_first = xmalloc(np * sizeof *t_first), *t_last = xmalloc(np * sizeof *t_last);
		for (uint32_t p = 0; p < np; p++) {
			t_first[p] = INFINITY;
			t_last[p] = -INFINITY;
		}
		for (size_t i = 0; i < w.n; i++) {
			struct replay_value *v = &out->values[pp[i]];
			if (!v->name) {
				if (bk == RK_SHARED) {
					v->name = xstrdup("all");
				} else {
					uint16_t id = wv[i].key[bk];
					v->name = id ? xstrndup(strmap_key(&r->vals[bk], (size_t)id - 1),
								strmap_len(&r->vals[bk], (size_t)id - 1)) :
						       xstrdup("(none)");
				}
			}
			v->requests++;
			v->rejected += w.rej[i];
			if (w.t[i] < t_first[pp[i]])
				t_first[pp[i]] = w.t[i];
			if (w.t[i] > t_last[pp[i]])
				t_last[pp[i]] = w.t[i];
		}
		for (uint32_t p = 0; p < np; p++) {
			struct replay_value *v = &out->values[p];
			double span = t_last[p] - t_first[p];
			if (span < 1)
				span = 1;
			v->offered_per_s = (double)v->requests / span;
			v->accepted_per_s = (double)(v->requests - v->rejected) / span;
			v->throttled = v->rejected >= 3 || (v->rejected && v->rejected * 20 >= v->requests);
		}
		free(t_first);
		free(t_last);
		qsort(out->values, out->nvalues, sizeof *out->values, cmp_value);
	}
done_parts:
	strbuf_release(&nb);
	free(w.pd);
	free(w.pd2);
	free(w.pi);
	free(w.pu);
	free(w.hacc);
	free(w.hrej);
	free(w.aoff);
	free(w.atime);
	for (size_t k = 0; k < RK_COUNT; k++)
		free(parts[k]);
done:
	free(w.t);
	free(w.end);
	free(w.rej);
	free(w.v);
	free(ev);
}
