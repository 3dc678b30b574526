/* test_throttle.c - throttle analysis on synthetic runs.
 *
 * A small closed-loop load simulator stands in for JMeter: threads start on a ramp, each sends a
 * request, waits for the answer, then sleeps so that it sends once per interval (JMeter's
 * Constant Throughput Timer) plus a uniform jitter; optionally it honours Retry-After.  The
 * server side is one of several limiters deciding at arrival time.  Everything is driven by a
 * fixed-seed xorshift generator, so the runs are deterministic.  Samples are fed in completion
 * order (as JMeter writes them) unless a test says otherwise. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "analyzer/throttle/throttle.h"
#include "reports/throttle_verdict.h"
#include "reports/throttle_report.h"

#define BASE_MS 1795000000000LL /* a multiple of 10 s */
#define MAXT 128
#define MAXU 4

/* ---- deterministic randomness --------------------------------------------------------- */

/* The verdict / advice paragraphs of a result (kept until the next call). */
static const char *verdict_of(const struct throttle_result *r)
{
	static char *v, *a;
	free(v);
	free(a);
	throttle_verdict(r, &v, &a);
	return v;
}
static const char *advice_of(const struct throttle_result *r)
{
	static char *v, *a;
	free(v);
	free(a);
	throttle_verdict(r, &v, &a);
	return a;
}

static uint64_t rng_state;

/* THROTTLE_TEST_SEED=n shifts every scenario's seed (robustness sweeps). */
static void rng_seed(uint64_t s)
{
	const char *e = getenv("THROTTLE_TEST_SEED");
	if (e)
		s += 1000003u * (uint64_t)strtoull(e, NULL, 10);
	rng_state = s ? s : 0x9e3779b97f4a7c15ull;
}

static double rng_unit(void)
{
	uint64_t x = rng_state;
	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	rng_state = x;
	return (double)((x * 0x2545f4914f6cdd1dull) >> 11) / 9007199254740992.0;
}

/* ---- server-side limiters -------------------------------------------------------------- */

enum lim_kind { LIM_NONE, LIM_TB, LIM_FW, LIM_CC, LIM_TB_PER_THREAD };
enum ra_mode { RA_NONE, RA_CONST, RA_COUNTDOWN };

struct limiter {
	enum lim_kind kind;
	double r, b;              /* token buckets */
	int64_t W;                /* fixed window, ms */
	int L;
	int C;                    /* concurrency */
	int code;                 /* 429 or 503 */
	enum ra_mode ra;
	double ra_const;
	/* state */
	double tok;
	int64_t last;
	int64_t win;
	int used;
	int64_t ends[4096];
	size_t nends;
	double ptok[MAXT];
	int64_t plast[MAXT];
};

static void lim_init(struct limiter *l)
{
	l->tok = l->b;
	l->last = BASE_MS;
	l->win = INT64_MIN;
	l->used = 0;
	l->nends = 0;
	for (int i = 0; i < MAXT; i++) {
		l->ptok[i] = l->b;
		l->plast[i] = INT64_MIN;
	}
	if (!l->code)
		l->code = 429;
}

/* true = accepted; *ra = Retry-After seconds or -1 */
static bool lim_decide(struct limiter *l, int thread, int64_t t, int64_t el, double *ra)
{
	*ra = -1;
	bool ok = true;
	switch (l->kind) {
	case LIM_NONE:
		break;
	case LIM_TB:
		l->tok = fmin(l->b, l->tok + l->r * (double)(t - l->last) / 1000.0);
		l->last = t;
		ok = l->tok >= 1;
		if (ok)
			l->tok -= 1;
		break;
	case LIM_TB_PER_THREAD:
		if (l->plast[thread] == INT64_MIN)
			l->plast[thread] = t;
		l->ptok[thread] = fmin(l->b, l->ptok[thread] +
						     l->r * (double)(t - l->plast[thread]) / 1000.0);
		l->plast[thread] = t;
		ok = l->ptok[thread] >= 1;
		if (ok)
			l->ptok[thread] -= 1;
		break;
	case LIM_FW: {
		int64_t w = t / l->W;
		if (w != l->win) {
			l->win = w;
			l->used = 0;
		}
		ok = l->used < l->L;
		if (ok)
			l->used++;
		else if (l->ra == RA_COUNTDOWN)
			*ra = ceil((double)((w + 1) * l->W - t) / 1000.0);
		break;
	}
	case LIM_CC: {
		size_t k = 0;
		for (size_t i = 0; i < l->nends; i++) {
			if (l->ends[i] > t)
				l->ends[k++] = l->ends[i];
		}
		l->nends = k;
		ok = (int)l->nends < l->C;
		if (ok && l->nends < ARRAY_LEN(l->ends))
			l->ends[l->nends++] = t + el;
		break;
	}
	}
	if (!ok && l->ra == RA_CONST)
		*ra = l->ra_const;
	return ok;
}

/* ---- the simulated run ----------------------------------------------------------------- */

struct rec {
	int64_t ts, el;
	int thread, url, code;
	double ra;
	bool reset;               /* carries X-RateLimit-Reset (fixed window) */
	int64_t reset_at;
};

struct tspec {
	int64_t start, stop;      /* ms from BASE */
	double interval_ms, jitter_ms;
	int url;
	bool honour;
	char host[24];            /* generator host */
};

struct run {
	struct rec *r;
	size_t n, cap;
	int nthreads;
	struct tspec th[MAXT];
	char names[MAXT][48];
	const char *urls[MAXU];
	struct limiter *lim[MAXU];
	int64_t force[8];         /* force a throttle on the first request at/after these ms */
	size_t nforce;
	int svc_kind;             /* 0: 20-30 ms; 1: 250 ms then 750 ms after half time */
	int64_t first_thr_ms;     /* first throttled start, -1 if none */
	int64_t duration;
};

static int64_t service_ms(const struct run *R, int64_t t)
{
	if (R->svc_kind == 1)
		return (t - BASE_MS < R->duration / 2 ? 250 : 750) + (int64_t)(rng_unit() * 50);
	return 20 + (int64_t)(rng_unit() * 10);
}

static void simulate(struct run *R)
{
	int64_t next[MAXT];
	for (int i = 0; i < R->nthreads; i++) {
		next[i] = BASE_MS + R->th[i].start;
		if (!R->names[i][0])
			snprintf(R->names[i], sizeof R->names[i], "Users 1-%d", i + 1);
	}
	for (int u = 0; u < MAXU; u++) {
		if (R->lim[u])
			lim_init(R->lim[u]);
	}
	R->first_thr_ms = -1;
	bool forced[8] = { false };
	for (;;) {
		int best = -1;
		for (int i = 0; i < R->nthreads; i++) {
			if (next[i] < BASE_MS + R->th[i].stop && (best < 0 || next[i] < next[best]))
				best = i;
		}
		if (best < 0)
			break;
		int64_t t = next[best];
		const struct tspec *sp = &R->th[best];
		int64_t el = service_ms(R, t);
		double ra = -1;
		struct limiter *l = R->lim[sp->url];
		bool ok = l ? lim_decide(l, best, t, el, &ra) : true;
		int code = ok ? 200 : l->code;
		for (size_t k = 0; k < R->nforce; k++) {
			if (!forced[k] && t >= BASE_MS + R->force[k]) {
				forced[k] = true;
				ok = false;
				code = 429;
			}
		}
		if (!ok)
			el = 1 + (int64_t)(rng_unit() * 3);
		if (R->n == R->cap) {
			R->cap = R->cap ? R->cap * 2 : 4096;
			R->r = realloc(R->r, R->cap * sizeof *R->r);
		}
		struct rec *rc = &R->r[R->n++];
		*rc = (struct rec){ .ts = t, .el = el, .thread = best, .url = sp->url, .code = code,
				    .ra = ra };
		if (l && l->kind == LIM_FW) {
			rc->reset = true;
			rc->reset_at = (t / l->W + 1) * l->W;
		}
		if (!ok && R->first_thr_ms < 0)
			R->first_thr_ms = t;
		int64_t nx = t + (int64_t)fmax((double)el, sp->interval_ms) +
			     (int64_t)(rng_unit() * sp->jitter_ms);
		if (!ok && sp->honour && ra > 0)
			nx = (int64_t)fmax((double)nx, (double)(t + el) + ra * 1000.0 + 5);
		next[best] = nx;
	}
}

static int cmp_end(const void *a, const void *b)
{
	const struct rec *x = a, *y = b;
	int64_t p = x->ts + x->el, q = y->ts + y->el;
	if (p != q)
		return (p > q) - (p < q);
	return (x->thread > y->thread) - (x->thread < y->thread);
}

static int cmp_start(const void *a, const void *b)
{
	const struct rec *x = a, *y = b;
	if (x->ts != y->ts)
		return (x->ts > y->ts) - (x->ts < y->ts);
	return (x->thread > y->thread) - (x->thread < y->thread);
}

enum order { ORDER_COMPLETION, ORDER_START, ORDER_SHUFFLED };

static void feed(struct throttle *t, struct run *R, enum order ord)
{
	qsort(R->r, R->n, sizeof *R->r, ord == ORDER_START ? cmp_start : cmp_end);
	if (ord == ORDER_SHUFFLED) { /* bounded disorder: reverse blocks of 37 */
		for (size_t i = 0; i + 37 <= R->n; i += 37) {
			for (size_t a = i, b = i + 36; a < b; a++, b--) {
				struct rec tmp = R->r[a];
				R->r[a] = R->r[b];
				R->r[b] = tmp;
			}
		}
	}
	static char codes[3][4] = { "200", "429", "503" };
	for (size_t i = 0; i < R->n; i++) {
		const struct rec *rc = &R->r[i];
		struct sample s;
		sample_clear(&s);
		s.ts_ms = rc->ts;
		s.elapsed_ms = rc->el;
		s.has = SH_TS | SH_ELAPSED;
		const char *c = rc->code == 200 ? codes[0] : rc->code == 429 ? codes[1] : codes[2];
		s.code = (struct strref){ c, 3 };
		s.success = rc->code == 200;
		s.thread = (struct strref){ R->names[rc->thread], strlen(R->names[rc->thread]) };
		const char *h = R->th[rc->thread].host[0] ? R->th[rc->thread].host : "loadgen";
		s.hostname = (struct strref){ h, strlen(h) };
		const char *u = R->urls[rc->url] ? R->urls[rc->url] : "http://api.example.test/x";
		s.url = (struct strref){ u, strlen(u) };
		s.label = (struct strref){ "GET /x", 6 };
		if (rc->ra >= 0) {
			s.rl.flags |= RL_RETRY_AFTER;
			s.rl.retry_after_s = rc->ra;
		}
		if (rc->reset) {
			s.rl.flags |= RL_RESET | RL_LIMIT;
			s.rl.reset_s = (double)(rc->reset_at - (rc->ts + rc->el)) / 1000.0;
			s.rl.limit = 50;
		}
		throttle_add(t, &s);
	}
}

static struct throttle *analyse(struct run *R, enum order ord)
{
	struct throttle_config c;
	throttle_config_default(&c);
	char err[256];
	struct throttle *t = throttle_new(&c, err, sizeof err);
	assert_non_null(t);
	feed(t, R, ord);
	throttle_finish(t);
	return t;
}

static void run_free(struct run *R)
{
	free(R->r);
	R->r = NULL;
	R->n = R->cap = 0;
}

static void ramp(struct run *R, int n, int64_t every_ms, int64_t stop_ms, double interval,
		 double jitter, int url)
{
	for (int i = 0; i < n; i++) {
		struct tspec *s = &R->th[R->nthreads++];
		memset(s, 0, sizeof *s);
		s->start = (int64_t)i * every_ms;
		s->stop = stop_ms;
		s->interval_ms = interval;
		s->jitter_ms = jitter;
		s->url = url;
	}
	R->duration = stop_ms;
}

static double rel_err(double got, double want)
{
	return fabs(got - want) / want;
}

/* threads started by (onset) - all of them keep sending */
static int threads_started(const struct run *R, int64_t ms)
{
	int n = 0;
	for (int i = 0; i < R->nthreads; i++)
		n += BASE_MS + R->th[i].start <= ms;
	return n;
}

static void print_result(const struct throttle *t)
{
	if (getenv("THROTTLE_TEST_VERBOSE"))
		throttle_report_text(stdout, t);
}

/* ---- scenarios ------------------------------------------------------------------------- */

static void test_token_bucket_ramp(void **state)
{
	(void)state;
	rng_seed(1);
	static struct run R;
	memset(&R, 0, sizeof R);
	static struct limiter L = { .kind = LIM_TB, .r = 20, .b = 10, .ra = RA_CONST,
				    .ra_const = 60 };
	R.lim[0] = &L;
	ramp(&R, 50, 2000, 140000, 2000, 200, 0); /* 1 -> 50 threads, 0.5 req/s each */
	simulate(&R);
	struct throttle *t = analyse(&R, ORDER_COMPLETION);
	const struct throttle_result *r = throttle_result(t);
	print_result(t);
	assert_true(r->detected);
	assert_int_equal(r->ngroups, 1);
	const struct throttle_group *g = &r->groups[0];
	assert_true(g->detected);
	/* onset: within 2 s of the first 429, at an offered rate just over the limit */
	assert_true(llabs(g->onset.ts_ms - R.first_thr_ms) <= 2000);
	assert_true(g->onset.rate_per_s >= 19 && g->onset.rate_per_s <= 27);
	int want = threads_started(&R, g->onset.ts_ms);
	assert_true(fabs((double)g->onset.threads - want) <= 0.1 * want + 1);
	assert_int_equal(g->limit.model, THROTTLE_MODEL_TOKEN_BUCKET);
	assert_true(rel_err(g->limit.rate_per_s, 20) <= 0.10);
	assert_false(g->limit.per_key);
	assert_int_equal(g->scope.scope, THROTTLE_SCOPE_SHARED);
	/* JMeter-like clients ignored Retry-After */
	assert_true(g->retry.seen > 0);
	assert_int_equal(g->retry.honoured, 0);
	assert_true(g->retry.violated > 0);
	assert_non_null(strstr(verdict_of(r), "token bucket"));
	throttle_free(t);
	run_free(&R);
}

static void test_fixed_window_503(void **state)
{
	(void)state;
	rng_seed(2);
	static struct run R;
	memset(&R, 0, sizeof R);
	static struct limiter L = { .kind = LIM_FW, .W = 10000, .L = 50, .code = 503,
				    .ra = RA_COUNTDOWN };
	R.lim[0] = &L;
	ramp(&R, 20, 1000, 70000, 1000, 300, 0);
	simulate(&R);
	struct throttle *t = analyse(&R, ORDER_COMPLETION);
	const struct throttle_result *r = throttle_result(t);
	print_result(t);
	const struct throttle_group *g = &r->groups[0];
	assert_true(g->detected);
	assert_true(llabs(g->onset.ts_ms - R.first_thr_ms) <= 2000);
	assert_int_equal(g->limit.model, THROTTLE_MODEL_FIXED_WINDOW);
	assert_true(fabs(g->limit.limit - 50) < 0.5);
	assert_true(fabs(g->limit.window_s - 10) < 0.01);
	assert_true(g->limit.countdown);
	assert_true(fabs(g->limit.countdown_window_s - 10) < 0.01);
	assert_int_equal(g->limit.fits[THROTTLE_MODEL_FIXED_WINDOW].phase_ms % 10000, 0);
	assert_int_equal(g->limit.declared_limit, 50);
	assert_true(g->retry.nvalues >= 5); /* countdown: many distinct waits */
	assert_int_equal(g->scope.scope, THROTTLE_SCOPE_SHARED);
	throttle_free(t);
	run_free(&R);
}

static void test_fixed_window_503_needs_headers(void **state)
{
	(void)state;
	/* the same 503s without headers are not throttling (and are counted as such) */
	struct sample s;
	sample_clear(&s);
	s.ts_ms = BASE_MS;
	s.code = (struct strref){ "503", 3 };
	struct throttle_config c;
	throttle_config_default(&c);
	char err[128];
	struct throttle *t = throttle_new(&c, err, sizeof err);
	assert_false(throttle_is_signal(t, &s));
	s.rl.flags = RL_RETRY_AFTER;
	s.rl.retry_after_s = 3;
	assert_true(throttle_is_signal(t, &s));
	s.rl.flags = RL_ENVOY;
	s.code = (struct strref){ "200", 3 };
	assert_true(throttle_is_signal(t, &s));
	throttle_free(t);
	c.code_503_with_retry_after = false;
	t = throttle_new(&c, err, sizeof err);
	s.code = (struct strref){ "503", 3 };
	s.rl.flags = RL_RETRY_AFTER;
	assert_false(throttle_is_signal(t, &s));
	throttle_free(t);
}

static void test_concurrency_cap(void **state)
{
	(void)state;
	rng_seed(3);
	static struct run R;
	memset(&R, 0, sizeof R);
	static struct limiter L = { .kind = LIM_CC, .C = 8 };
	R.lim[0] = &L;
	R.svc_kind = 1; /* 250 ms, then 750 ms: the accepted rate falls from 32/s to 11/s */
	ramp(&R, 40, 100, 100000, 1000, 300, 0);
	simulate(&R);
	struct throttle *t = analyse(&R, ORDER_COMPLETION);
	const struct throttle_result *r = throttle_result(t);
	print_result(t);
	const struct throttle_group *g = &r->groups[0];
	assert_true(g->detected);
	assert_int_equal(g->limit.model, THROTTLE_MODEL_CONCURRENCY);
	assert_true(fabs(g->limit.concurrency - 8) <= 1.5);
	throttle_free(t);
	run_free(&R);
}

static void test_per_thread_limit(void **state)
{
	(void)state;
	rng_seed(4);
	static struct run R;
	memset(&R, 0, sizeof R);
	static struct limiter L = { .kind = LIM_TB_PER_THREAD, .r = 2, .b = 2, .ra = RA_CONST,
				    .ra_const = 1 };
	R.lim[0] = &L;
	ramp(&R, 10, 500, 60000, 250, 30, 0);  /* heavy: 4 req/s each */
	ramp(&R, 10, 500, 60000, 1000, 100, 0); /* light: 1 req/s each */
	simulate(&R);
	struct throttle *t = analyse(&R, ORDER_COMPLETION);
	const struct throttle_result *r = throttle_result(t);
	print_result(t);
	const struct throttle_group *g = &r->groups[0];
	assert_true(g->detected);
	assert_int_equal(g->scope.scope, THROTTLE_SCOPE_PER_THREAD);
	assert_int_equal(g->scope.keys_throttled, 10);
	assert_true(g->limit.per_key);
	assert_int_equal(g->limit.model, THROTTLE_MODEL_TOKEN_BUCKET);
	assert_true(rel_err(g->limit.rate_per_s, 2) <= 0.10);
	throttle_free(t);
	run_free(&R);
}

static void test_shared_limit_steady(void **state)
{
	(void)state;
	rng_seed(5);
	static struct run R;
	memset(&R, 0, sizeof R);
	static struct limiter L = { .kind = LIM_TB, .r = 30, .b = 10 };
	R.lim[0] = &L;
	ramp(&R, 40, 0, 60000, 1000, 200, 0); /* 40 req/s from the start */
	for (int i = 0; i < 40; i++) /* two generator hosts */
		snprintf(R.th[i].host, sizeof R.th[i].host, "gen%d", i % 2);
	simulate(&R);
	struct throttle *t = analyse(&R, ORDER_COMPLETION);
	const struct throttle_result *r = throttle_result(t);
	print_result(t);
	const struct throttle_group *g = &r->groups[0];
	assert_true(g->detected);
	assert_int_equal(g->scope.scope, THROTTLE_SCOPE_SHARED);
	assert_int_equal(g->scope.hosts, 2);
	assert_int_equal(g->scope.hosts_throttled, 2);
	assert_true(rel_err(g->limit.rate_per_s, 30) <= 0.10);
	throttle_free(t);
	run_free(&R);
}

static void test_per_client_host(void **state)
{
	(void)state;
	rng_seed(6);
	static struct run R;
	memset(&R, 0, sizeof R);
	/* a limit per generator host: modelled as one bucket per host via two urls' limiters
	 * is not possible, so use per-thread state keyed by host: hosts gen0 and gen1 */
	static struct limiter L = { .kind = LIM_TB_PER_THREAD, .r = 6, .b = 5 };
	R.lim[0] = &L;
	ramp(&R, 12, 200, 60000, 1000, 200, 0);
	for (int i = 0; i < 12; i++) {
		snprintf(R.th[i].host, sizeof R.th[i].host, "gen%d", i < 8 ? 0 : 1);
		snprintf(R.names[i], sizeof R.names[i], "Users 1-%d", i + 1);
	}
	simulate(&R);
	/* re-decide with one bucket per host (the simulator's state is per thread) */
	double tok[2] = { 5, 5 };
	int64_t last[2] = { BASE_MS, BASE_MS };
	qsort(R.r, R.n, sizeof *R.r, cmp_start);
	for (size_t i = 0; i < R.n; i++) {
		int h = R.r[i].thread < 8 ? 0 : 1;
		tok[h] = fmin(5, tok[h] + 6 * (double)(R.r[i].ts - last[h]) / 1000.0);
		last[h] = R.r[i].ts;
		bool ok = tok[h] >= 1;
		if (ok)
			tok[h] -= 1;
		R.r[i].code = ok ? 200 : 429;
		R.r[i].ra = -1;
	}
	struct throttle *t = analyse(&R, ORDER_COMPLETION);
	const struct throttle_result *r = throttle_result(t);
	print_result(t);
	const struct throttle_group *g = &r->groups[0];
	assert_true(g->detected);
	assert_int_equal(g->scope.scope, THROTTLE_SCOPE_PER_CLIENT);
	assert_int_equal(g->scope.hosts, 2);
	assert_int_equal(g->scope.hosts_throttled, 1);
	throttle_free(t);
	run_free(&R);
}

static void test_isolated_not_onset(void **state)
{
	(void)state;
	rng_seed(7);
	static struct run R;
	memset(&R, 0, sizeof R);
	ramp(&R, 10, 0, 120000, 1000, 200, 0);
	R.force[R.nforce++] = 20000;
	simulate(&R);
	struct throttle *t = analyse(&R, ORDER_COMPLETION);
	const struct throttle_result *r = throttle_result(t);
	print_result(t);
	assert_false(r->detected);
	assert_int_equal(r->throttled, 1);
	assert_int_equal(r->overall.onset.isolated, 1);
	assert_true(llabs(r->overall.onset.first_isolated_ms - (BASE_MS + 20000)) <= 1100);
	assert_non_null(strstr(verdict_of(r), "isolated"));
	throttle_free(t);
	run_free(&R);
}

static void test_isolated_then_onset(void **state)
{
	(void)state;
	rng_seed(8);
	static struct run R;
	memset(&R, 0, sizeof R);
	static struct limiter L = { .kind = LIM_TB, .r = 8, .b = 5 };
	R.lim[0] = &L;
	ramp(&R, 16, 5000, 120000, 1000, 200, 0); /* crosses 8 req/s at ~40 s */
	R.force[R.nforce++] = 12000;
	simulate(&R);
	/* the limiter's own first throttle, not the stray one */
	int64_t first_real = INT64_MAX;
	for (size_t i = 0; i < R.n; i++) {
		if (R.r[i].code != 200 && R.r[i].ts > BASE_MS + 13000 && R.r[i].ts < first_real)
			first_real = R.r[i].ts;
	}
	struct throttle *t = analyse(&R, ORDER_COMPLETION);
	const struct throttle_result *r = throttle_result(t);
	print_result(t);
	const struct throttle_group *g = &r->groups[0];
	if (getenv("THROTTLE_TEST_VERBOSE")) {
		qsort(R.r, R.n, sizeof *R.r, cmp_start);
		for (size_t i = 0; i < R.n; i++)
			if (R.r[i].code != 200)
				fprintf(stderr, "thr at +%.1f\n", (double)(R.r[i].ts - BASE_MS) / 1000);
	}
	assert_true(g->detected);
	/* not the stray; the limiter's first throttle or, when that one stood alone while the
	 * load was barely over the limit, the point where throttling became steady */
	assert_true(g->onset.ts_ms >= first_real - 100 && g->onset.ts_ms <= first_real + 5000);
	assert_true(g->onset.rate_per_s >= 7 && g->onset.rate_per_s <= 10.5);
	assert_true(g->onset.isolated >= 1);
	throttle_free(t);
	run_free(&R);
}

static void test_no_throttling(void **state)
{
	(void)state;
	rng_seed(9);
	static struct run R;
	memset(&R, 0, sizeof R);
	ramp(&R, 10, 1000, 60000, 500, 100, 0);
	simulate(&R);
	struct throttle *t = analyse(&R, ORDER_COMPLETION);
	const struct throttle_result *r = throttle_result(t);
	assert_false(r->detected);
	assert_int_equal(r->throttled, 0);
	assert_int_equal(r->overall.onset.isolated, 0);
	assert_non_null(strstr(verdict_of(r), "No throttling"));
	assert_int_equal(r->groups[0].limit.model, THROTTLE_MODEL_UNKNOWN);
	throttle_free(t);
	run_free(&R);
}

static void retry_run(bool honour, struct throttle **out, struct run *R)
{
	rng_seed(10);
	memset(R, 0, sizeof *R);
	static struct limiter L;
	L = (struct limiter){ .kind = LIM_TB, .r = 10, .b = 5, .ra = RA_CONST, .ra_const = 2 };
	R->lim[0] = &L;
	ramp(R, 30, 0, 60000, 1000, 200, 0);
	for (int i = 0; i < 30; i++)
		R->th[i].honour = honour;
	simulate(R);
	*out = analyse(R, ORDER_COMPLETION);
}

static void test_retry_after_honoured(void **state)
{
	(void)state;
	static struct run R;
	struct throttle *t;
	retry_run(true, &t, &R);
	const struct throttle_result *r = throttle_result(t);
	print_result(t);
	const struct throttle_retry *ra = &r->groups[0].retry;
	assert_true(ra->seen > 0);
	assert_int_equal(ra->violated, 0);
	assert_true(ra->honoured > 0);
	assert_true(ra->at_deadline > 0);
	assert_int_equal(ra->nvalues, 1);
	assert_true(fabs(ra->values[0].value_s - 2) < 1e-9);
	throttle_free(t);
	run_free(&R);
}

static void test_retry_after_ignored(void **state)
{
	(void)state;
	static struct run R;
	struct throttle *t;
	retry_run(false, &t, &R);
	const struct throttle_result *r = throttle_result(t);
	const struct throttle_retry *ra = &r->groups[0].retry;
	assert_true(ra->seen > 0);
	assert_int_equal(ra->honoured, 0);
	assert_true(ra->violated > 0);
	assert_true(ra->median_early_s > 0.5 && ra->median_early_s < 2);
	assert_non_null(strstr(verdict_of(r), "ignored every time"));
	assert_non_null(strstr(advice_of(r), "Honour Retry-After"));
	throttle_free(t);
	run_free(&R);
}

static void test_unsorted_input(void **state)
{
	(void)state;
	rng_seed(1);
	static struct run R;
	memset(&R, 0, sizeof R);
	static struct limiter L = { .kind = LIM_TB, .r = 20, .b = 10, .ra = RA_CONST, .ra_const = 1 };
	R.lim[0] = &L;
	ramp(&R, 50, 2000, 140000, 2000, 200, 0);
	simulate(&R);
	struct throttle *a = analyse(&R, ORDER_START);
	struct throttle *b = analyse(&R, ORDER_COMPLETION);
	struct throttle *c = analyse(&R, ORDER_SHUFFLED);
	const struct throttle_group *ga = &throttle_result(a)->groups[0];
	const struct throttle_group *gs[2] = { &throttle_result(b)->groups[0],
					       &throttle_result(c)->groups[0] };
	for (int i = 0; i < 2; i++) {
		const struct throttle_group *g = gs[i];
		assert_int_equal(g->onset.ts_ms, ga->onset.ts_ms);
		assert_int_equal(g->onset.threads, ga->onset.threads);
		assert_int_equal(g->onset.inflight, ga->onset.inflight);
		assert_int_equal(g->limit.model, ga->limit.model);
		assert_true(g->limit.rate_per_s == ga->limit.rate_per_s);
		assert_int_equal(g->scope.scope, ga->scope.scope);
		assert_int_equal(g->retry.violated, ga->retry.violated);
		assert_int_equal(g->retry.honoured, ga->retry.honoured);
		char *va, *vb, *aa, *ab;
		throttle_verdict(throttle_result(a), &va, &aa);
		throttle_verdict(throttle_result(i ? c : b), &vb, &ab);
		if (strcmp(va, vb) != 0)
			fprintf(stderr, "start order:   %s\nother order:   %s\n", va, vb);
		assert_string_equal(vb, va);
		assert_string_equal(ab, aa);
		free(va);
		free(vb);
		free(aa);
		free(ab);
	}
	throttle_free(a);
	throttle_free(b);
	throttle_free(c);
	run_free(&R);
}

static void test_two_regions_one_throttled(void **state)
{
	(void)state;
	rng_seed(11);
	static struct run R;
	memset(&R, 0, sizeof R);
	static struct limiter L = { .kind = LIM_TB, .r = 10, .b = 5, .ra = RA_CONST, .ra_const = 60 };
	R.urls[0] = "https://api.apse1.pure.cloud/api/v2/conversations/messages";
	R.urls[1] = "https://api.mypurecloud.com/api/v2/conversations/messages";
	R.lim[0] = &L;
	ramp(&R, 20, 500, 60000, 1000, 200, 0);
	ramp(&R, 20, 500, 60000, 1000, 200, 1);
	simulate(&R);
	struct throttle *t = analyse(&R, ORDER_COMPLETION);
	const struct throttle_result *r = throttle_result(t);
	print_result(t);
	assert_int_equal(r->ngroups, 2);
	assert_string_equal(r->groups[0].name, "ap-southeast-1");
	assert_string_equal(r->groups[1].name, "us-east-1");
	assert_true(r->groups[0].detected);
	assert_false(r->groups[1].detected);
	assert_int_equal(r->groups[1].throttled, 0);
	assert_non_null(strstr(verdict_of(r), "ap-southeast-1 only"));
	assert_non_null(strstr(verdict_of(r), "us-east-1"));
	assert_non_null(strstr(verdict_of(r), "never throttled"));
	throttle_free(t);
	run_free(&R);
}

static void test_reports(void **state)
{
	(void)state;
	rng_seed(11);
	static struct run R;
	memset(&R, 0, sizeof R);
	static struct limiter L = { .kind = LIM_TB, .r = 10, .b = 5, .ra = RA_CONST, .ra_const = 60 };
	R.urls[0] = "https://evil\x1b[31m.example.test/x";
	R.lim[0] = &L;
	ramp(&R, 20, 500, 40000, 1000, 200, 0);
	simulate(&R);
	struct throttle *t = analyse(&R, ORDER_COMPLETION);
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	throttle_report_text(f, t);
	fclose(f);
	assert_non_null(strstr(buf, "VERDICT\n"));
	assert_non_null(strstr(buf, "WHAT TO DO\n"));
	assert_non_null(strstr(buf, "LIMITER FIT"));
	assert_non_null(strstr(buf, "RETRY-AFTER"));
	assert_null(memchr(buf, 0x1b, len));          /* escaped... */
	assert_non_null(strstr(buf, "evil\\x1b[31m")); /* ...as \x1b */
	free(buf);

	cJSON *root = cJSON_CreateObject();
	throttle_report_json(root, t);
	cJSON *j = cJSON_GetObjectItem(root, "throttle");
	assert_non_null(j);
	assert_true(cJSON_IsTrue(cJSON_GetObjectItem(j, "detected")));
	cJSON *on = cJSON_GetObjectItem(j, "onset");
	assert_true(cJSON_IsObject(on));
	assert_true(cJSON_IsNumber(cJSON_GetObjectItem(on, "ts_ms")));
	assert_true(cJSON_IsNumber(cJSON_GetObjectItem(on, "threads")));
	cJSON *regs = cJSON_GetObjectItem(j, "regions");
	assert_int_equal(cJSON_GetArraySize(regs), 1);
	cJSON *g = cJSON_GetArrayItem(regs, 0);
	cJSON *lim = cJSON_GetObjectItem(g, "limit");
	assert_string_equal(cJSON_GetObjectItem(lim, "model")->valuestring, "token-bucket");
	assert_string_equal(cJSON_GetObjectItem(g, "scope")->valuestring, "shared");
	cJSON *ra = cJSON_GetObjectItem(g, "retry_after");
	assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(ra, "values_s")), 1);
	assert_true(cJSON_IsString(cJSON_GetObjectItem(j, "verdict")));
	/* deterministic: a second rendering is byte-identical */
	char *s1 = cJSON_PrintUnformatted(root);
	cJSON *root2 = cJSON_CreateObject();
	throttle_report_json(root2, t);
	char *s2 = cJSON_PrintUnformatted(root2);
	assert_string_equal(s1, s2);
	free(s1);
	free(s2);
	cJSON_Delete(root);
	cJSON_Delete(root2);
	throttle_free(t);
	run_free(&R);
}

static void test_pattern_signal(void **state)
{
	(void)state;
	struct throttle_config c;
	throttle_config_default(&c);
	c.pattern = "\"code\"\\s*:\\s*429";
	char err[256];
	struct throttle *t = throttle_new(&c, err, sizeof err);
	assert_non_null(t);
	struct sample s;
	sample_clear(&s);
	s.ts_ms = BASE_MS;
	s.code = (struct strref){ "200", 3 };
	const char *body = "{\"type\":\"error\",\"code\": 429,\"message\":\"rate limited\"}";
	s.body = (struct strref){ body, strlen(body) };
	assert_true(throttle_is_signal(t, &s));
	s.body = (struct strref){ "{\"code\":200}", 12 };
	assert_false(throttle_is_signal(t, &s));
	s.failure = (struct strref){ "\"code\" : 429", 12 };
	assert_true(throttle_is_signal(t, &s));
	throttle_free(t);

	c.pattern = "(unclosed";
	t = throttle_new(&c, err, sizeof err);
	assert_null(t);
	assert_non_null(strstr(err, "bad throttle pattern"));

	/* catastrophic backtracking hits the match limit instead of hanging */
	c.pattern = "(a+)+$";
	t = throttle_new(&c, err, sizeof err);
	assert_non_null(t);
	char evil[64];
	memset(evil, 'a', 40);
	evil[40] = '!';
	s.failure = (struct strref){ evil, 41 };
	s.body = STRREF_NULL;
	(void)throttle_is_signal(t, &s);
	throttle_free(t);
}

static void test_long_run_bounded(void **state)
{
	(void)state;
	/* 5 hours: the fine axis must double its width to stay within its cap */
	struct throttle_config c;
	throttle_config_default(&c);
	char err[128];
	struct throttle *t = throttle_new(&c, err, sizeof err);
	char name[32];
	for (int64_t ms = 0; ms < 5 * 3600 * 1000LL; ms += 1000) {
		struct sample s;
		sample_clear(&s);
		s.ts_ms = BASE_MS + ms;
		s.elapsed_ms = 10;
		s.has = SH_TS | SH_ELAPSED;
		s.code = (struct strref){ "200", 3 };
		snprintf(name, sizeof name, "T 1-%d", (int)(ms / 1000 % 10));
		s.thread = (struct strref){ name, strlen(name) };
		throttle_add(t, &s);
	}
	throttle_finish(t);
	const struct throttle_result *r = throttle_result(t);
	assert_int_equal(r->samples, 5 * 3600);
	assert_true(r->overall.fine.n <= THROTTLE_FINE_MAX);
	assert_true(r->overall.fine.width_ms >= 800);
	assert_true(r->overall.keys.n <= THROTTLE_COARSE_MAX);
	assert_true(r->overall.lat.n <= THROTTLE_LAT_MAX);
	uint64_t sum = 0;
	for (size_t i = 0; i < r->overall.fine.n; i++)
		sum += r->overall.fine.sent[i];
	assert_int_equal(sum, 5 * 3600);
	throttle_free(t);
}

static void test_many_groups_fold(void **state)
{
	(void)state;
	struct throttle_config c;
	throttle_config_default(&c);
	char err[128], url[64];
	struct throttle *t = throttle_new(&c, err, sizeof err);
	for (int i = 0; i < 40; i++) {
		struct sample s;
		sample_clear(&s);
		s.ts_ms = BASE_MS + i * 10;
		s.code = (struct strref){ "200", 3 };
		snprintf(url, sizeof url, "http://host%02d.example/x", i);
		s.url = (struct strref){ url, strlen(url) };
		throttle_add(t, &s);
	}
	throttle_finish(t);
	const struct throttle_result *r = throttle_result(t);
	assert_int_equal(r->ngroups, REGION_MAX_GROUPS + 1);
	const struct throttle_group *o = &r->groups[r->ngroups - 1];
	assert_string_equal(o->name, "other");
	assert_int_equal(o->folded_keys, 40 - REGION_MAX_GROUPS);
	assert_int_equal(o->samples, 40 - REGION_MAX_GROUPS);
	throttle_free(t);
}

static void test_empty(void **state)
{
	(void)state;
	struct throttle_config c;
	throttle_config_default(&c);
	char err[128];
	struct throttle *t = throttle_new(&c, err, sizeof err);
	assert_null(throttle_result(t));
	throttle_finish(t);
	const struct throttle_result *r = throttle_result(t);
	assert_false(r->detected);
	assert_int_equal(r->samples, 0);
	assert_non_null(verdict_of(r));
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	throttle_report_text(f, t);
	fclose(f);
	free(buf);
	throttle_free(t);
	c.region_map_path = "/nonexistent/map.txt";
	assert_null(throttle_new(&c, err, sizeof err));
	assert_non_null(strstr(err, "/nonexistent/map.txt"));
}

/* A CSV of Transaction Controllers in generate-parent mode holds only the parents: they are
 * the requests then (not skipped into "no throttling" while the code table shows 429s); a
 * parent beside its children stays skipped. */
static void test_transaction_parents_only(void **state)
{
	(void)state;
	for (int with_children = 0; with_children < 2; with_children++) {
		struct throttle_config c;
		throttle_config_default(&c);
		char err[256];
		struct throttle *t = throttle_new(&c, err, sizeof err);
		assert_non_null(t);
		static const char msg[] = "Number of samples in transaction : 2, number of failing samples : 1";
		char name[32];
		for (int i = 0; i < 600; i++) {
			struct sample s;
			sample_clear(&s);
			s.ts_ms = BASE_MS + i * 100;
			s.elapsed_ms = 20;
			s.has = SH_TS | SH_ELAPSED;
			snprintf(name, sizeof name, "Users 1-%d", i % 20 + 1);
			s.thread = (struct strref){ name, strlen(name) };
			bool thr = i > 200 && i % 3 == 0;
			s.code = thr ? (struct strref){ "429", 3 } : (struct strref){ "200", 3 };
			s.label = (struct strref){ "TC", 2 };
			s.message = (struct strref){ msg, sizeof msg - 1 };
			throttle_add(t, &s);
			if (with_children) {
				s.message = (struct strref){ "OK", 2 };
				s.label = (struct strref){ "GET /a", 6 };
				throttle_add(t, &s);
			}
		}
		throttle_finish(t);
		const struct throttle_result *r = throttle_result(t);
		assert_true(r->detected);
		assert_int_equal(r->transactions_as_requests, !with_children);
		assert_int_equal(r->samples, 600);
		throttle_free(t);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_token_bucket_ramp),
		cmocka_unit_test(test_fixed_window_503),
		cmocka_unit_test(test_fixed_window_503_needs_headers),
		cmocka_unit_test(test_concurrency_cap),
		cmocka_unit_test(test_per_thread_limit),
		cmocka_unit_test(test_shared_limit_steady),
		cmocka_unit_test(test_per_client_host),
		cmocka_unit_test(test_isolated_not_onset),
		cmocka_unit_test(test_isolated_then_onset),
		cmocka_unit_test(test_no_throttling),
		cmocka_unit_test(test_retry_after_honoured),
		cmocka_unit_test(test_retry_after_ignored),
		cmocka_unit_test(test_unsorted_input),
		cmocka_unit_test(test_two_regions_one_throttled),
		cmocka_unit_test(test_reports),
		cmocka_unit_test(test_pattern_signal),
		cmocka_unit_test(test_long_run_bounded),
		cmocka_unit_test(test_many_groups_fold),
		cmocka_unit_test(test_transaction_parents_only),
		cmocka_unit_test(test_empty),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
