/* whatif_trace.c - the client model of "what if" (whatif.h): the run's requests and what
 * they say about its users, and the client policies a scenario may put in their place.
 *
 * This file owns the trace (requests bounded by WHATIF_MAX_REQUESTS, users by
 * WHATIF_MAX_USERS, each with its thread group and generator host), what finishing derives
 * from it (each user's first and last start and request count, the service times of accepted
 * and refused answers and the spacing after each, as sorted reservoirs; whether users paced
 * start-to-start or thought after each answer; the Retry-After the throttles carried; the
 * recorded summary, struct whatif_recorded, and its accepted-per-bucket series), the seeded
 * reservoir sampling, and the grammar of --policy.
 */
#include "analyzer/whatif/whatif_int.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analyzer/region.h"
#include "common/util.h"

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
