/* whatif.c - see whatif.h.  The method is in docs/whatif.md. */
#include "analyzer/whatif/whatif.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analyzer/region.h"
#include "analyzer/strmap.h"
#include "common/util.h"

enum { F_THROTTLED = 1, F_SUCCESS = 2, F_RA = 4 };

struct wreq {
	int64_t ts;       /* epoch ms */
	int32_t el;       /* elapsed ms */
	uint32_t user;
	float ra;         /* Retry-After, s (F_RA) */
	uint8_t fl;
};

struct reservoir {
	float v[WHATIF_RESERVOIR];
	size_t n;
	uint64_t seen;
};

struct whatif_trace {
	struct wreq *r;
	size_t n, cap;
	struct strmap users, groups, hosts;
	uint32_t *ugroup, *uhost;         /* per user */
	size_t ucap;
	/* per user, after finish */
	int64_t *ufirst, *ulast;          /* first and last start, epoch ms */
	uint32_t *ucount;
	double *umed_s2s, *umed_e2s;      /* each user's median spacing after an accepted answer */
	double med_spacing;               /* the median user's (start to start or end to start) */
	struct reservoir svc_ok, svc_rej, gap_ok, gap_rej;
	uint64_t rng;
	int64_t t0_ms, t1_ms;
	bool finished;
	struct whatif_recorded rec;
};

/* ---- random numbers (splitmix64: deterministic, seedable) ------------------------------- */

static uint64_t rnd_next(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static double rnd_unit(uint64_t *s)
{
	return (double)(rnd_next(s) >> 11) * (1.0 / 9007199254740992.0);
}

static void res_add(struct reservoir *r, double v, uint64_t *rng)
{
	r->seen++;
	if (r->n < WHATIF_RESERVOIR) {
		r->v[r->n++] = (float)v;
		return;
	}
	uint64_t j = rnd_next(rng) % r->seen;
	if (j < WHATIF_RESERVOIR)
		r->v[j] = (float)v;
}

static int cmp_float(const void *a, const void *b)
{
	float x = *(const float *)a, y = *(const float *)b;
	return (x > y) - (x < y);
}

/* Sorted after finish: quantiles are direct reads. */
static double res_q(const struct reservoir *r, double q)
{
	if (!r->n)
		return -1;
	size_t i = (size_t)(q * (double)(r->n - 1) + 0.5);
	return r->v[i < r->n ? i : r->n - 1];
}

static double res_draw(const struct reservoir *r, uint64_t *rng, double fallback)
{
	if (!r->n)
		return fallback;
	return r->v[rnd_next(rng) % r->n];
}

/* ---- trace ------------------------------------------------------------------------------ */

struct whatif_trace *whatif_trace_new(void)
{
	struct whatif_trace *t = xcalloc(1, sizeof *t);
	strmap_init(&t->users);
	strmap_init(&t->groups);
	strmap_init(&t->hosts);
	t->rng = 0x16;
	return t;
}

void whatif_trace_free(struct whatif_trace *t)
{
	if (!t)
		return;
	free(t->r);
	strmap_free(&t->users);
	strmap_free(&t->groups);
	strmap_free(&t->hosts);
	free(t->ugroup);
	free(t->uhost);
	free(t->ufirst);
	free(t->ulast);
	free(t->ucount);
	free(t->umed_s2s);
	free(t->umed_e2s);
	free(t);
}

/* JMeter names threads "GROUP N-M": the group is the name without the trailing " N-M"
 * (region_thread_group, the one rule). */
static size_t group_len(const char *p, size_t n)
{
	return region_thread_group((struct strref){ p, n }).n;
}

void whatif_trace_add(struct whatif_trace *t, const struct sample *s, bool throttled)
{
	if (!(s->has & SH_TS) || s->depth > 0 || s->throttle_only)
		return;
	if (t->n >= WHATIF_MAX_REQUESTS) {
		t->rec.dropped++;
		return;
	}
	/* the user: thread name within its generator (input file x hostname) or connection */
	char key[512];
	const char *th = s->thread.p ? s->thread.p : "";
	size_t thn = s->thread.p ? s->thread.n : 0;
	if (thn > 300)
		thn = 300;
	int kn;
	if (thn == 0 && s->conn_id)
		kn = snprintf(key, sizeof key, "conn %llu", (unsigned long long)s->conn_id);
	else
		kn = snprintf(key, sizeof key, "%u|%.*s|%.*s", s->source,
			      (int)(s->hostname.p ? (s->hostname.n > 100 ? 100 : s->hostname.n) : 0),
			      s->hostname.p ? s->hostname.p : "", (int)thn, th);
	if (kn < 0)
		return;
	size_t klen = (size_t)kn < sizeof key ? (size_t)kn : sizeof key - 1;
	size_t uid = strmap_find(&t->users, key, klen);
	if (uid == SIZE_MAX) {
		if (t->users.n >= WHATIF_MAX_USERS) {
			t->rec.dropped++;
			return;
		}
		int added;
		uid = strmap_intern(&t->users, key, klen, &added);
		void *p = t->ugroup;
		size_t c = t->ucap;
		xgrow(&p, &c, uid + 1, sizeof *t->ugroup);
		t->ugroup = p;
		p = t->uhost;
		c = t->ucap;
		xgrow(&p, &c, uid + 1, sizeof *t->uhost);
		t->uhost = p;
		t->ucap = c;
		size_t gl = group_len(th, thn);
		t->ugroup[uid] = (uint32_t)strmap_intern(&t->groups, th, gl, &added);
		char hk[128];
		int hn = snprintf(hk, sizeof hk, "%u|%.*s", s->source,
				  (int)(s->hostname.p ? (s->hostname.n > 100 ? 100 : s->hostname.n) : 0),
				  s->hostname.p ? s->hostname.p : "");
		t->uhost[uid] = (uint32_t)strmap_intern(&t->hosts, hk, hn > 0 ? (size_t)hn : 0, &added);
	}
	void *p = t->r;
	xgrow(&p, &t->cap, t->n + 1, sizeof *t->r);
	t->r = p;
	struct wreq *w = &t->r[t->n++];
	w->ts = s->ts_ms;
	int64_t el = (s->has & SH_ELAPSED) && s->elapsed_ms > 0 ? s->elapsed_ms : 0;
	w->el = (int32_t)(el > INT32_MAX ? INT32_MAX : el);
	w->user = (uint32_t)uid;
	w->fl = (uint8_t)((throttled ? F_THROTTLED : 0) | (s->success ? F_SUCCESS : 0));
	w->ra = 0;
	if (throttled && (s->rl.flags & RL_RETRY_AFTER) && isfinite(s->rl.retry_after_s) &&
	    s->rl.retry_after_s >= 0 && s->rl.retry_after_s < 86400) {
		w->fl |= F_RA;
		w->ra = (float)s->rl.retry_after_s;
	}
}

static int cmp_user_ts(const void *a, const void *b)
{
	const struct wreq *x = a, *y = b;
	if (x->user != y->user)
		return x->user < y->user ? -1 : 1;
	return (x->ts > y->ts) - (x->ts < y->ts);
}

static int cmp_ts(const void *a, const void *b)
{
	const struct wreq *x = a, *y = b;
	if (x->ts != y->ts)
		return x->ts < y->ts ? -1 : 1;
	return (x->user > y->user) - (x->user < y->user);
}

/* Dispersion of a sorted reservoir: interquartile range over the median. */
static double res_spread(const struct reservoir *r)
{
	double m = res_q(r, 0.5);
	return m > 0 ? (res_q(r, 0.75) - res_q(r, 0.25)) / m : INFINITY;
}

void whatif_trace_finish(struct whatif_trace *t)
{
	if (t->finished)
		return;
	t->finished = true;
	struct whatif_recorded *R = &t->rec;
	size_t nu = t->users.n;
	R->users = (uint32_t)nu;
	t->ufirst = xcalloc(nu ? nu : 1, sizeof *t->ufirst);
	t->ulast = xcalloc(nu ? nu : 1, sizeof *t->ulast);
	t->ucount = xcalloc(nu ? nu : 1, sizeof *t->ucount);
	if (!t->n)
		return;
	qsort(t->r, t->n, sizeof *t->r, cmp_user_ts);
	/* each user's own median spacing after an accepted answer (start to start, end to
	 * start): users of one run can be paced differently (a heavy and a light thread group),
	 * so the pooled distributions hold each gap relative to its user's median */
	t->umed_s2s = xcalloc(nu ? nu : 1, sizeof *t->umed_s2s);
	t->umed_e2s = xcalloc(nu ? nu : 1, sizeof *t->umed_e2s);
	{
		float *b1 = NULL, *b2 = NULL;
		size_t cap1 = 0, cap2 = 0;
		for (size_t a = 0; a < t->n;) {
			size_t b = a + 1, k = 0;
			while (b < t->n && t->r[b].user == t->r[a].user)
				b++;
			void *p1 = b1, *p2 = b2;
			xgrow(&p1, &cap1, b - a, sizeof *b1);
			xgrow(&p2, &cap2, b - a, sizeof *b2);
			b1 = p1;
			b2 = p2;
			for (size_t i = a + 1; i < b; i++) {
				const struct wreq *pv = &t->r[i - 1];
				if (pv->fl & F_THROTTLED)
					continue;
				b1[k] = (float)(t->r[i].ts - pv->ts) / 1000.0f;
				b2[k] = (float)fmax(0.0, (double)(t->r[i].ts - pv->ts - pv->el) / 1000.0);
				k++;
			}
			if (k) {
				qsort(b1, k, sizeof *b1, cmp_float);
				qsort(b2, k, sizeof *b2, cmp_float);
				/* a floor of 1 ms: users without a timer have a zero median think
				 * time, and their gaps are kept relative to the floor */
				t->umed_s2s[t->r[a].user] = fmax(b1[k / 2], WHATIF_MIN_SPACING_S);
				t->umed_e2s[t->r[a].user] = fmax(b2[k / 2], WHATIF_MIN_SPACING_S);
			}
			a = b;
		}
		free(b1);
		free(b2);
	}
	struct reservoir *tmp = xcalloc(4, sizeof *tmp);
	struct reservoir *a_s2s_ok = &tmp[0], *a_e2s_ok = &tmp[1], *a_s2s_rej = &tmp[2], *a_e2s_rej = &tmp[3];
	double ra_first = -2;
	t->t0_ms = INT64_MAX;
	t->t1_ms = INT64_MIN;
	int64_t first_thr = INT64_MAX;
	for (size_t i = 0; i < t->n; i++) {
		const struct wreq *w = &t->r[i];
		if (w->ts < t->t0_ms)
			t->t0_ms = w->ts;
		if (w->ts + w->el > t->t1_ms)
			t->t1_ms = w->ts + w->el;
		R->requests++;
		if (w->fl & F_THROTTLED) {
			R->throttled++;
			if (w->ts < first_thr)
				first_thr = w->ts;
			res_add(&t->svc_rej, w->el, &t->rng);
			if (w->fl & F_RA) {
				R->retry_after_seen++;
				if (ra_first == -2)
					ra_first = w->ra;
				else if (ra_first >= 0 && fabs(ra_first - w->ra) > 0.5)
					ra_first = -1;
			}
		} else {
			res_add(&t->svc_ok, w->el, &t->rng);
		}
		bool same = i > 0 && t->r[i - 1].user == w->user;
		if (!same) {
			t->ufirst[w->user] = w->ts;
		} else {
			const struct wreq *pv = &t->r[i - 1];
			double s2s = (double)(w->ts - pv->ts) / 1000.0;
			double e2s = (double)(w->ts - pv->ts - pv->el) / 1000.0;
			if (e2s < 0)
				e2s = 0;
			double m1 = t->umed_s2s[w->user], m2 = t->umed_e2s[w->user];
			if (m1 > 0 && m2 > 0) {
				if (pv->fl & F_THROTTLED) {
					res_add(a_s2s_rej, s2s / m1, &t->rng);
					res_add(a_e2s_rej, e2s / m2, &t->rng);
				} else {
					res_add(a_s2s_ok, s2s / m1, &t->rng);
					res_add(a_e2s_ok, e2s / m2, &t->rng);
				}
			}
		}
		t->ulast[w->user] = w->ts;
		t->ucount[w->user]++;
	}
	R->accepted = R->requests - R->throttled;
	for (int k = 0; k < 4; k++)
		qsort(tmp[k].v, tmp[k].n, sizeof(float), cmp_float);
	qsort(t->svc_ok.v, t->svc_ok.n, sizeof(float), cmp_float);
	qsort(t->svc_rej.v, t->svc_rej.n, sizeof(float), cmp_float);
	/* pacing (start to start, a Constant Throughput Timer) or think time (end to start):
	 * whichever the run's users kept more regular */
	R->pacing = a_s2s_ok->n > 0 && res_spread(a_s2s_ok) <= res_spread(a_e2s_ok);
	t->gap_ok = R->pacing ? *a_s2s_ok : *a_e2s_ok;
	t->gap_rej = R->pacing ? *a_s2s_rej : *a_e2s_rej;
	free(tmp);
	/* the median user's spacing stands in for users with too few requests to have one */
	{
		float *m = xcalloc(nu ? nu : 1, sizeof *m);
		size_t k = 0;
		for (size_t u = 0; u < nu; u++) {
			double v = R->pacing ? t->umed_s2s[u] : t->umed_e2s[u];
			if (v > 0)
				m[k++] = (float)v;
		}
		qsort(m, k, sizeof *m, cmp_float);
		t->med_spacing = k ? m[k / 2] : 1.0;
		free(m);
		for (size_t u = 0; u < nu; u++) {
			double *v = R->pacing ? &t->umed_s2s[u] : &t->umed_e2s[u];
			if (!(*v > 0))
				*v = t->med_spacing;
		}
	}
	R->interval_p50_s = t->med_spacing;
	if (!R->pacing && R->interval_p50_s >= 0)
		R->interval_p50_s += res_q(&t->svc_ok, 0.5) / 1000.0;
	R->span_s = (double)(t->t1_ms - t->t0_ms) / 1000.0;
	R->accepted_per_s = R->span_s > 0 ? (double)R->accepted / R->span_s : 0;
	R->first_throttle_s = first_thr == INT64_MAX ? -1 : (double)(first_thr - t->t0_ms) / 1000.0;
	R->svc_ok_p50_ms = res_q(&t->svc_ok, 0.5);
	R->svc_rej_p50_ms = res_q(&t->svc_rej, 0.5);
	R->retry_after_s = ra_first == -2 ? 0 : ra_first;
	int64_t last_first = t->t0_ms;
	for (size_t u = 0; u < nu; u++) {
		if (t->ucount[u] && t->ufirst[u] > last_first)
			last_first = t->ufirst[u];
		if (t->ucount[u] > R->max_user_requests)
			R->max_user_requests = t->ucount[u];
	}
	R->ramp_s = (double)(last_first - t->t0_ms) / 1000.0;
	qsort(t->r, t->n, sizeof *t->r, cmp_ts);
}

const struct whatif_recorded *whatif_recorded(const struct whatif_trace *t)
{
	return &t->rec;
}

size_t whatif_recorded_series(const struct whatif_trace *t, double width_s, uint32_t *out, size_t max)
{
	size_t n = 0;
	if (width_s <= 0 || !t->n)
		return 0;
	for (size_t i = 0; i < t->n; i++) {
		if (t->r[i].fl & F_THROTTLED)
			continue;
		double x = (double)(t->r[i].ts - t->t0_ms) / 1000.0 / width_s;
		size_t b = (size_t)x;
		if (b >= max)
			continue;
		while (n <= b)
			out[n++] = 0;
		out[b]++;
	}
	return n;
}

/* ---- limiter ------------------------------------------------------------------------------ */

const char *whatif_model_name(enum whatif_model m)
{
	switch (m) {
	case WM_TOKEN_BUCKET: return "token-bucket";
	case WM_FIXED_WINDOW: return "fixed-window";
	case WM_SLIDING_WINDOW: return "sliding-window";
	case WM_CONCURRENCY: return "concurrency";
	}
	return "unknown";
}

/* point, low, high from a fitted value and its interval (0 = not given: the point). */
static void triple(double out[3], double v, double lo, double hi)
{
	out[0] = v;
	out[1] = lo > 0 && lo <= v ? lo : v;
	out[2] = hi > 0 && hi >= v ? hi : v;
}

bool whatif_limiter_from(struct whatif_limiter *l, const struct throttle_group *g, const char **why)
{
	memset(l, 0, sizeof *l);
	const struct throttle_limit *L = &g->limit;
	*why = NULL;
	if (g->throttled == 0 && !g->detected) {
		*why = "the run was not throttled: there is no limiter to replay";
		return false;
	}
	switch (L->model) {
	case THROTTLE_MODEL_TOKEN_BUCKET:
		l->model = WM_TOKEN_BUCKET;
		triple(l->rate, L->rate_per_s, L->rate_lo, L->rate_hi);
		triple(l->burst, L->burst > 0 ? L->burst : 1, L->burst_lo, L->burst_hi);
		if (!(l->rate[0] > 0))
			*why = "the token bucket's rate is not known";
		break;
	case THROTTLE_MODEL_FIXED_WINDOW:
	case THROTTLE_MODEL_SLIDING_WINDOW:
		l->model = L->model == THROTTLE_MODEL_FIXED_WINDOW ? WM_FIXED_WINDOW : WM_SLIDING_WINDOW;
		triple(l->limit, L->limit, L->limit_lo, L->limit_hi);
		/* the restrictive end pairs the low limit with the long window */
		l->window_s[0] = L->window_s;
		l->window_s[1] = L->window_hi >= L->window_s ? L->window_hi : L->window_s;
		l->window_s[2] = L->window_lo > 0 && L->window_lo <= L->window_s ? L->window_lo : L->window_s;
		l->phase_ms = L->fits[THROTTLE_MODEL_FIXED_WINDOW].phase_ms;
		if (!(l->limit[0] >= 1) || !(l->window_s[0] > 0))
			*why = "the window's limit or length is not known";
		break;
	case THROTTLE_MODEL_CONCURRENCY:
		l->model = WM_CONCURRENCY;
		triple(l->concurrency, L->concurrency, L->concurrency_lo, L->concurrency_hi);
		if (!(l->concurrency[0] >= 1))
			*why = "the concurrency cap is not known";
		break;
	default:
		*why = L->why ? L->why : "no limiter model explains the throttled answers";
		return false;
	}
	if (*why)
		return false;
	const char *k = g->scope.key;
	l->key_name = k ? k : "shared";
	if (!k || !L->per_key || strcmp(k, "shared") == 0)
		l->key = WK_SHARED;
	else if (strcmp(k, "thread") == 0 || strcmp(k, "connection") == 0)
		l->key = WK_USER;
	else if (strcmp(k, "client-host") == 0)
		l->key = WK_HOST;
	else if (strcmp(k, "thread-group") == 0 || strncmp(k, "header:", 7) == 0)
		l->key = WK_GROUP;   /* tenants: the lab and most plans send one per thread group */
	else
		l->key = WK_SHARED;
	return true;
}

/* ---- policies ---------------------------------------------------------------------------- */

static bool parse_secs(const char *p, size_t n, double *out)
{
	char buf[32];
	if (n == 0 || n >= sizeof buf)
		return false;
	memcpy(buf, p, n);
	buf[n] = 0;
	char *end;
	double v = strtod(buf, &end);
	double mul = 1;
	if (strcmp(end, "ms") == 0)
		mul = 0.001;
	else if (strcmp(end, "s") == 0 || *end == 0)
		mul = 1;
	else if (strcmp(end, "m") == 0)
		mul = 60;
	else
		return false;
	v *= mul;
	if (!isfinite(v) || v < 0 || v > 86400)
		return false;
	*out = v;
	return true;
}

bool whatif_policy_parse(struct whatif_scenario *sc, const char *text, char *err, size_t errlen)
{
	sc->backoff_base_s = 1;
	sc->backoff_max_s = 60;
	sc->backoff_jitter = false;
	if (strcmp(text, "none") == 0) {
		sc->policy = WP_NONE;
		snprintf(sc->name, sizeof sc->name, "none (as recorded)");
		return true;
	}
	if (strcmp(text, "honour-retry-after") == 0 || strcmp(text, "honor-retry-after") == 0) {
		sc->policy = WP_HONOUR_RA;
		snprintf(sc->name, sizeof sc->name, "honour-retry-after");
		return true;
	}
	if (strcmp(text, "replay") == 0) {
		sc->policy = WP_REPLAY;
		snprintf(sc->name, sizeof sc->name, "replay (recorded arrivals)");
		return true;
	}
	if (strncmp(text, "pace=", 5) == 0) {
		char *end;
		double r = strtod(text + 5, &end);
		if (end == text + 5 || (strcmp(end, "/s") != 0 && *end != 0) || !isfinite(r) || r <= 0 ||
		    r > 1e6) {
			snprintf(err, errlen, "--policy pace=R/s: want a rate like 18/s, not '%s'", text + 5);
			return false;
		}
		sc->policy = WP_PACE;
		sc->pace_rate = r;
		snprintf(sc->name, sizeof sc->name, "pace=%g/s", r);
		return true;
	}
	if (strncmp(text, "backoff=", 8) == 0) {
		const char *p = text + 8;
		if (strncmp(p, "exp", 3) != 0 || (p[3] != 0 && p[3] != ',')) {
			snprintf(err, errlen, "--policy backoff=exp[,base=1s][,max=60s][,jitter]: only 'exp' is known");
			return false;
		}
		p += 3;
		while (*p == ',') {
			p++;
			size_t n = strcspn(p, ",");
			if (n == 6 && strncmp(p, "jitter", 6) == 0) {
				sc->backoff_jitter = true;
			} else if (n > 5 && strncmp(p, "base=", 5) == 0) {
				if (!parse_secs(p + 5, n - 5, &sc->backoff_base_s) || sc->backoff_base_s <= 0) {
					snprintf(err, errlen, "--policy backoff: bad base '%.*s'", (int)(n - 5), p + 5);
					return false;
				}
			} else if (n > 4 && strncmp(p, "max=", 4) == 0) {
				if (!parse_secs(p + 4, n - 4, &sc->backoff_max_s) || sc->backoff_max_s <= 0) {
					snprintf(err, errlen, "--policy backoff: bad max '%.*s'", (int)(n - 4), p + 4);
					return false;
				}
			} else {
				snprintf(err, errlen, "--policy backoff: unknown part '%.*s'", (int)(n > 40 ? 40 : n), p);
				return false;
			}
			p += n;
		}
		if (*p) {
			snprintf(err, errlen, "--policy backoff: trailing '%.40s'", p);
			return false;
		}
		if (sc->backoff_max_s < sc->backoff_base_s)
			sc->backoff_max_s = sc->backoff_base_s;
		sc->policy = WP_BACKOFF;
		snprintf(sc->name, sizeof sc->name, "backoff=exp,base=%gs,max=%gs%s", sc->backoff_base_s,
			 sc->backoff_max_s, sc->backoff_jitter ? ",jitter" : "");
		return true;
	}
	snprintf(err, errlen, "--policy: want none, honour-retry-after, backoff=exp,base=1s,max=60s[,jitter] "
		 "or pace=R/s, not '%.60s'", text);
	return false;
}

/* ---- simulation -------------------------------------------------------------------------- */

struct part {          /* one limiter partition */
	double tokens, last;      /* token bucket */
	int64_t win;              /* fixed window index */
	uint32_t count;
	double *log;              /* sliding log ring (starts), or counter: prev/cur counts */
	size_t lhead, ln, lcap;
	double *ends;             /* concurrency: heap of accepted ends */
	size_t nends, ends_cap;
	bool init;
};

struct lim {
	const struct whatif_limiter *l;
	int ix;                   /* 0 point, 1 low, 2 high */
	int64_t t0_ms;
	struct part *parts;
	size_t nparts;
};

static void heap_push(struct part *p, double v)
{
	void *q = p->ends;
	xgrow(&q, &p->ends_cap, p->nends + 1, sizeof *p->ends);
	p->ends = q;
	size_t i = p->nends++;
	while (i > 0) {
		size_t up = (i - 1) / 2;
		if (p->ends[up] <= v)
			break;
		p->ends[i] = p->ends[up];
		i = up;
	}
	p->ends[i] = v;
}

static void heap_pop(struct part *p)
{
	double v = p->ends[--p->nends];
	size_t i = 0;
	for (;;) {
		size_t c = 2 * i + 1;
		if (c >= p->nends)
			break;
		if (c + 1 < p->nends && p->ends[c + 1] < p->ends[c])
			c++;
		if (p->ends[c] >= v)
			break;
		p->ends[i] = p->ends[c];
		i = c;
	}
	if (p->nends)
		p->ends[i] = v;
}

/* Would the limiter admit a request starting at t (s from the run start)?  On refusal *wait is
 * how long until it would (the Retry-After an exact limiter would send). */
static bool lim_try(struct lim *L, size_t key, double t, double *wait)
{
	const struct whatif_limiter *l = L->l;
	struct part *p = &L->parts[key < L->nparts ? key : L->nparts - 1];
	int ix = L->ix;
	*wait = 0;
	switch (l->model) {
	case WM_TOKEN_BUCKET: {
		double cap = l->burst[ix] >= 1 ? l->burst[ix] : 1, rate = l->rate[ix];
		if (!p->init) {
			p->init = true;
			p->tokens = cap;
			p->last = t;
		}
		p->tokens = fmin(cap, p->tokens + (t - p->last) * rate);
		p->last = t;
		if (p->tokens >= 1 - 1e-9) {
			p->tokens -= 1;
			return true;
		}
		*wait = (1 - p->tokens) / rate;
		return false;
	}
	case WM_FIXED_WINDOW: {
		double wms = l->window_s[ix] * 1000.0;
		double abs_ms = (double)L->t0_ms + t * 1000.0 - (double)l->phase_ms;
		int64_t w = (int64_t)floor(abs_ms / wms);
		if (!p->init || w != p->win) {
			p->init = true;
			p->win = w;
			p->count = 0;
		}
		double lim = floor(l->limit[ix] + 1e-9);
		if ((double)p->count < lim) {
			p->count++;
			return true;
		}
		*wait = ((double)(w + 1) * wms - abs_ms) / 1000.0;
		return false;
	}
	case WM_SLIDING_WINDOW: {
		double W = l->window_s[ix];
		double lim = floor(l->limit[ix] + 1e-9);
		size_t cap = lim > WHATIF_LOG_MAX ? WHATIF_LOG_MAX : (size_t)lim;
		double scale = lim / (double)cap;  /* > 1: each entry stands for several requests */
		if (!p->init) {
			p->init = true;
			p->lcap = cap;
			p->log = xcalloc(cap, sizeof *p->log);
		}
		while (p->ln && p->log[p->lhead] <= t - W) {
			p->lhead = (p->lhead + 1) % p->lcap;
			p->ln--;
		}
		if (scale > 1) {
			/* a limit beyond the log: count in units of scale requests */
			p->count++;
			if ((double)p->count < scale)
				return true;
			p->count = 0;
		}
		if (p->ln < p->lcap) {
			p->log[(p->lhead + p->ln) % p->lcap] = t;
			p->ln++;
			return true;
		}
		if (scale > 1)
			p->count = (uint32_t)scale;
		*wait = p->log[p->lhead] + W - t;
		return false;
	}
	case WM_CONCURRENCY: {
		while (p->nends && p->ends[0] <= t)
			heap_pop(p);
		double cap = floor(l->concurrency[ix] + 1e-9);
		if ((double)p->nends < cap)
			return true;   /* the caller registers the end with lim_accepted */
		*wait = p->ends[0] - t;
		return false;
	}
	}
	return true;
}

static void lim_accepted(struct lim *L, size_t key, double end)
{
	if (L->l->model != WM_CONCURRENCY)
		return;
	heap_push(&L->parts[key < L->nparts ? key : L->nparts - 1], end);
}

static void lim_free(struct lim *L)
{
	for (size_t i = 0; i < L->nparts; i++) {
		free(L->parts[i].log);
		free(L->parts[i].ends);
	}
	free(L->parts);
}

struct suser {
	double next;          /* next start, s */
	double stop;          /* no start at or after this */
	uint64_t quota;       /* requests left */
	uint32_t key;
	uint32_t streak;      /* consecutive throttles */
	uint32_t rec;         /* recorded user it stands for */
};

struct sim_out {
	uint64_t sent, accepted, throttled;
	double first_throttle;   /* -1 none */
	double last_end;
	double target_time;      /* -1 */
	bool truncated;
	uint32_t *series;        /* NULL: not wanted */
	size_t nseries;
	double series_w;
};

/* The user heap: indexes into users ordered by next start. */
struct uheap {
	uint32_t *h;
	size_t n;
	struct suser *u;
};

static bool uless(const struct uheap *H, uint32_t a, uint32_t b)
{
	if (H->u[a].next != H->u[b].next)
		return H->u[a].next < H->u[b].next;
	return a < b;
}

static void uh_push(struct uheap *H, uint32_t x)
{
	size_t i = H->n++;
	while (i > 0) {
		size_t up = (i - 1) / 2;
		if (!uless(H, x, H->h[up]))
			break;
		H->h[i] = H->h[up];
		i = up;
	}
	H->h[i] = x;
}

static uint32_t uh_pop(struct uheap *H)
{
	uint32_t top = H->h[0], v = H->h[--H->n];
	size_t i = 0;
	for (;;) {
		size_t c = 2 * i + 1;
		if (c >= H->n)
			break;
		if (c + 1 < H->n && uless(H, H->h[c + 1], H->h[c]))
			c++;
		if (!uless(H, H->h[c], v))
			break;
		H->h[i] = H->h[c];
		i = c;
	}
	if (H->n)
		H->h[i] = v;
	return top;
}

static size_t key_of(const struct whatif_trace *t, const struct whatif_limiter *l, uint32_t rec_user,
		     uint32_t sim_user)
{
	switch (l->key) {
	case WK_SHARED: return 0;
	case WK_USER: return sim_user;
	case WK_GROUP: return t->ugroup[rec_user];
	case WK_HOST: return t->uhost[rec_user];
	}
	return 0;
}

static void series_add(struct sim_out *o, double t)
{
	if (!o->series || t < 0)
		return;
	size_t b = (size_t)(t / o->series_w);
	if (b >= WHATIF_SERIES_MAX)
		return;
	while (o->nseries <= b)
		o->series[o->nseries++] = 0;
	o->series[b]++;
}

static void note_answer(struct sim_out *o, bool ok, double t, double end, uint64_t target)
{
	o->sent++;
	if (end > o->last_end)
		o->last_end = end;
	if (ok) {
		o->accepted++;
		series_add(o, t);
		if (target && o->accepted == target && o->target_time < 0)
			o->target_time = end;
	} else {
		o->throttled++;
		if (o->first_throttle < 0)
			o->first_throttle = t;
	}
}

static struct lim lim_make(const struct whatif_trace *t, const struct whatif_limiter *l, int ix, size_t nusers)
{
	struct lim L = { .l = l, .ix = ix, .t0_ms = t->t0_ms };
	size_t n = l->key == WK_SHARED ? 1 : l->key == WK_USER ? nusers : l->key == WK_GROUP ? t->groups.n : t->hosts.n;
	if (n < 1)
		n = 1;
	if (n > WHATIF_MAX_KEYS)
		n = WHATIF_MAX_KEYS;
	L.nparts = n;
	L.parts = xcalloc(n, sizeof *L.parts);
	return L;
}

/* The recorded arrivals, open loop. */
static void sim_replay(const struct whatif_trace *t, struct lim *L, const struct whatif_scenario *sc,
		       struct sim_out *o)
{
	double pacer = 0;
	uint64_t target = t->rec.accepted;
	for (size_t i = 0; i < t->n; i++) {
		const struct wreq *w = &t->r[i];
		double ts = (double)(w->ts - t->t0_ms) / 1000.0;
		if (sc->policy == WP_PACE) {
			if (ts < pacer)
				ts = pacer;
			pacer = ts + 1.0 / sc->pace_rate;
		}
		size_t k = key_of(t, L->l, w->user, w->user);
		double wait;
		bool ok = lim_try(L, k, ts, &wait);
		/* an accepted request takes the time the run's accepted ones took */
		double el = ok ? ((w->fl & F_THROTTLED) ? t->rec.svc_ok_p50_ms : w->el) / 1000.0
			       : ((w->fl & F_THROTTLED) ? w->el : t->rec.svc_rej_p50_ms) / 1000.0;
		if (el < 0)
			el = 0;
		if (ok)
			lim_accepted(L, k, ts + el);
		note_answer(o, ok, ts, ts + el, target);
	}
}

/* Closed-loop users (or open-loop streams when sc->open_loop). target > 0: stop once that many
 * were accepted (the time-to-target run, no quotas, long horizon). */
static void sim_users(const struct whatif_trace *t, struct lim *L, const struct whatif_scenario *sc,
		      uint64_t target, struct sim_out *o)
{
	const struct whatif_recorded *R = &t->rec;
	uint64_t rng = sc->seed ? sc->seed : 1;
	size_t nu = sc->users ? sc->users : R->users;
	double span = sc->duration_s > 0 ? sc->duration_s : R->span_s;
	double horizon = target ? span * WHATIF_HORIZON_X + 60 : span;
	struct suser *u = xcalloc(nu, sizeof *u);
	struct uheap H = { .h = xcalloc(nu, sizeof *H.h), .u = u };
	/* the recorded users in order of their first start */
	size_t nrec = t->users.n;
	for (size_t i = 0; i < nu; i++) {
		struct suser *x = &u[i];
		if (sc->users) {
			x->rec = (uint32_t)(nrec ? i % nrec : 0);
			x->next = sc->users > 1 ? sc->ramp_s * (double)i / (double)sc->users : 0;
			x->stop = horizon;
			/* a JMeter thread group's loop count: as many requests as the busiest
			 * recorded user sent (the duration bounds the rest) */
			x->quota = target || !sc->user_quota ? UINT64_MAX : sc->user_quota;
		} else {
			x->rec = (uint32_t)i;
			x->next = (double)(t->ufirst[i] - t->t0_ms) / 1000.0;
			/* a recorded user begins another iteration while its previous answer came
			 * before its recorded last start (JMeter checks the scheduler's end before the
			 * iteration's timers, so a long wait can carry the request past it), and sends
			 * at most as many requests as it did */
			x->stop = target ? horizon : (double)(t->ulast[i] - t->t0_ms + 1) / 1000.0;
			x->quota = target ? UINT64_MAX : t->ucount[i];
		}
		x->key = (uint32_t)key_of(t, L->l, x->rec, (uint32_t)i);
		if (x->quota && x->next < x->stop)
			uh_push(&H, (uint32_t)i);
	}
	double pacer = 0;
	(void)nrec;
	while (H.n) {
		if (o->sent >= WHATIF_MAX_SIM) {
			o->truncated = true;
			break;
		}
		uint32_t ui = uh_pop(&H);
		struct suser *x = &u[ui];
		double ts = x->next;
		if (sc->policy == WP_PACE) {
			if (ts < pacer)
				ts = pacer;
			pacer = ts + 1.0 / sc->pace_rate;
		}
		double wait;
		bool ok = lim_try(L, x->key, ts, &wait);
		double el = (ok ? res_draw(&t->svc_ok, &rng, R->svc_ok_p50_ms)
				: res_draw(&t->svc_rej, &rng, R->svc_ok_p50_ms)) / 1000.0;
		if (el < 0)
			el = 0;
		double end = ts + el;
		if (ok)
			lim_accepted(L, x->key, end);
		note_answer(o, ok, ts, end, target);
		if (target && o->accepted >= target)
			break;
		/* the user's spacing after an accepted answer: the run's own, or --pace with the
		 * run's relative jitter */
		double umed = R->pacing ? t->umed_s2s[x->rec] : t->umed_e2s[x->rec];
		double ratio = res_draw(&t->gap_ok, &rng, 1.0);
		double g = (sc->user_pace_s > 0 ? sc->user_pace_s : umed) * ratio;
		double next_ok = R->pacing || sc->user_pace_s > 0 ? fmax(ts + g, sc->open_loop ? ts : end) : end + g;
		double next = next_ok;
		if (!ok) {
			x->streak++;
			switch (sc->policy) {
			case WP_NONE:
			case WP_PACE:
			case WP_REPLAY:
				if (t->gap_rej.n && sc->user_pace_s <= 0) {
					double gr = umed * res_draw(&t->gap_rej, &rng, ratio);
					next = R->pacing ? fmax(ts + gr, end) : end + gr;
				}
				break;
			case WP_HONOUR_RA: {
				/* JMeter adds the Retry-After wait to the plan's other timers */
				double ra = sc->retry_after_s > 0 ? sc->retry_after_s
					    : R->retry_after_s > 0 ? R->retry_after_s : ceil(wait - 1e-9);
				if (ra < 0)
					ra = 0;
				next = next_ok + ra;
				break;
			}
			case WP_BACKOFF: {
				double b = sc->backoff_base_s * pow(2.0, (double)(x->streak - 1));
				if (b > sc->backoff_max_s || x->streak > 60)
					b = sc->backoff_max_s;
				if (sc->backoff_jitter)
					b *= rnd_unit(&rng);
				next = next_ok + b;
				break;
			}
			}
		} else {
			x->streak = 0;
		}
		if (sc->open_loop)
			next = next_ok;
		x->next = next;
		if (x->quota != UINT64_MAX)
			x->quota--;
		if (x->quota && end < x->stop)
			uh_push(&H, ui);
	}
	free(H.h);
	free(u);
}

static void run_once(const struct whatif_trace *t, const struct whatif_limiter *l, const struct whatif_scenario *sc,
		     int ix, uint64_t target, struct sim_out *o)
{
	size_t nu = sc->users ? sc->users : t->users.n;
	struct lim L = lim_make(t, l, ix, nu);
	o->first_throttle = -1;
	o->target_time = -1;
	if (sc->policy == WP_REPLAY || (sc->open_loop && !sc->users && sc->user_pace_s <= 0))
		sim_replay(t, &L, sc, o);
	else
		sim_users(t, &L, sc, target, o);
	lim_free(&L);
}

static void set_range(struct whatif_value *v, const double x[3])
{
	v->v = x[0];
	v->lo = fmin(x[0], fmin(x[1], x[2]));
	v->hi = fmax(x[0], fmax(x[1], x[2]));
}

/* -1 when any is -1 (no throttle / not reached) is kept apart: the range then covers the
 * values that exist, v stays the point's. */
static void set_range_opt(struct whatif_value *v, const double x[3])
{
	v->v = x[0];
	v->lo = INFINITY;
	v->hi = -INFINITY;
	for (int i = 0; i < 3; i++) {
		if (x[i] < 0)
			continue;
		v->lo = fmin(v->lo, x[i]);
		v->hi = fmax(v->hi, x[i]);
	}
	if (v->lo > v->hi)
		v->lo = v->hi = -1;
}

/* Highest user count at the pacing with no throttle, for one parameter set. */
static double search_users(const struct whatif_trace *t, const struct whatif_limiter *l,
			   const struct whatif_scenario *base, int ix, bool *trunc)
{
	struct whatif_scenario sc = *base;
	if (!base->users && base->ramp_s <= 0)
		sc.ramp_s = t->rec.ramp_s;
	uint32_t lo = 0, hi = 0;  /* lo: no throttle, hi: throttles */
	for (uint32_t n = 1; n <= WHATIF_SEARCH_USERS; n = n * 2 > WHATIF_SEARCH_USERS && n < WHATIF_SEARCH_USERS ? WHATIF_SEARCH_USERS : n * 2) {
		sc.users = n;
		struct sim_out o = { 0 };
		run_once(t, l, &sc, ix, 0, &o);
		*trunc |= o.truncated;
		if (o.throttled) {
			hi = n;
			break;
		}
		lo = n;
		if (n == WHATIF_SEARCH_USERS)
			break;
	}
	if (!hi)
		return (double)WHATIF_SEARCH_USERS;
	while (hi - lo > 1) {
		uint32_t mid = lo + (hi - lo) / 2;
		sc.users = mid;
		struct sim_out o = { 0 };
		run_once(t, l, &sc, ix, 0, &o);
		*trunc |= o.truncated;
		if (o.throttled)
			hi = mid;
		else
			lo = mid;
	}
	return (double)lo;
}

int whatif_run(const struct whatif_trace *t, const struct whatif_limiter *l, const struct whatif_scenario *sc,
	       bool search, struct whatif_prediction *p, char *err, size_t errlen)
{
	memset(p, 0, sizeof *p);
	const struct whatif_recorded *R = &t->rec;
	if (!t->finished || !t->n || (!sc->users && !R->users)) {
		snprintf(err, errlen, "the run holds no requests to replay");
		return -1;
	}
	if (sc->open_loop && (sc->policy == WP_HONOUR_RA || sc->policy == WP_BACKOFF)) {
		snprintf(err, errlen, "open-loop arrivals do not wait for answers: only the policies none "
			 "and pace apply");
		return -1;
	}
	double span = sc->duration_s > 0 ? sc->duration_s : R->span_s;
	double width = ceil(span / (double)WHATIF_SERIES_MAX);
	if (width < 1)
		width = 1;
	double req[3], acc[3], thr[3], share[3], rate[3], first[3], same[3], users[3];
	for (int ix = 0; ix < 3; ix++) {
		struct sim_out o = { 0 };
		if (ix == 0) {
			o.series = p->series;
			o.series_w = width;
		}
		run_once(t, l, sc, ix, 0, &o);
		p->truncated |= o.truncated;
		if (ix == 0) {
			p->nseries = o.nseries;
			p->series_width_s = width;
			p->sent = o.sent;
		}
		double len = sc->policy == WP_REPLAY ? R->span_s : fmax(o.last_end, span);
		req[ix] = (double)o.sent;
		acc[ix] = (double)o.accepted;
		thr[ix] = (double)o.throttled;
		share[ix] = o.sent ? (double)o.throttled / (double)o.sent : 0;
		rate[ix] = len > 0 ? (double)o.accepted / len : 0;
		first[ix] = o.first_throttle;
		/* time to as many accepted requests as the run had */
		if (o.accepted >= R->accepted && R->accepted) {
			struct sim_out q = { 0 };
			run_once(t, l, sc, ix, R->accepted, &q);
			same[ix] = q.target_time >= 0 ? q.target_time : -1;
		} else if (sc->policy == WP_REPLAY || sc->open_loop || !R->accepted) {
			same[ix] = -1;
		} else {
			struct sim_out q = { 0 };
			run_once(t, l, sc, ix, R->accepted, &q);
			same[ix] = q.target_time;
			p->truncated |= q.truncated;
		}
		users[ix] = -1;
		if (search && sc->policy != WP_REPLAY && !sc->open_loop)
			users[ix] = search_users(t, l, sc, ix, &p->truncated);
	}
	set_range(&p->requests, req);
	set_range(&p->accepted, acc);
	set_range(&p->throttled, thr);
	set_range(&p->share, share);
	set_range(&p->accepted_per_s, rate);
	set_range_opt(&p->first_throttle_s, first);
	set_range_opt(&p->same_success_s, same);
	set_range_opt(&p->max_users, users);
	p->max_users_pace_s = sc->user_pace_s > 0 ? sc->user_pace_s : R->interval_p50_s;
	return 0;
}

double whatif_limiter_rate(const struct whatif_trace *t, const struct whatif_limiter *l, int ix)
{
	double r = 0;
	switch (l->model) {
	case WM_TOKEN_BUCKET: r = l->rate[ix]; break;
	case WM_FIXED_WINDOW:
	case WM_SLIDING_WINDOW: r = l->window_s[ix] > 0 ? floor(l->limit[ix] + 1e-9) / l->window_s[ix] : 0; break;
	case WM_CONCURRENCY:
		r = t->rec.svc_ok_p50_ms > 0 ? floor(l->concurrency[ix] + 1e-9) / (t->rec.svc_ok_p50_ms / 1000.0) : 0;
		break;
	}
	size_t parts = l->key == WK_SHARED ? 1 : l->key == WK_USER ? t->users.n
		       : l->key == WK_GROUP ? t->groups.n : t->hosts.n;
	return r * (double)(parts ? parts : 1);
}
