/* test_whatif.c - the "what if" simulation (analyzer/whatif): limiters at known parameters fed
 * known offered loads give the analytically known accepted counts. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "analyzer/whatif/whatif.h"

#define T0 1700000000000LL

/* users threads, each sending n requests every gap_ms (start to start), elapsed el_ms; the
 * first throttled_from requests of every user are answered 200, later ones 429 when mark. */
static struct whatif_trace *trace(unsigned users, unsigned n, int64_t gap_ms, int64_t el_ms, int64_t stagger_ms)
{
	struct whatif_trace *t = whatif_trace_new();
	for (unsigned u = 0; u < users; u++) {
		char name[32];
		snprintf(name, sizeof name, "users 1-%u", u + 1);
		for (unsigned i = 0; i < n; i++) {
			struct sample s;
			memset(&s, 0, sizeof s);
			s.ts_ms = T0 + (int64_t)u * stagger_ms + (int64_t)i * gap_ms;
			s.elapsed_ms = el_ms;
			s.success = true;
			s.has = SH_TS | SH_ELAPSED | SH_SUCCESS;
			s.thread.p = name;
			s.thread.n = strlen(name);
			s.code.p = "200";
			s.code.n = 3;
			whatif_trace_add(t, &s, false);
		}
	}
	whatif_trace_finish(t);
	return t;
}

static void tb(struct whatif_limiter *l, double rate, double burst)
{
	memset(l, 0, sizeof *l);
	l->model = WM_TOKEN_BUCKET;
	l->key = WK_SHARED;
	l->key_name = "shared";
	for (int i = 0; i < 3; i++) {
		l->rate[i] = rate;
		l->burst[i] = burst;
	}
}

static struct whatif_scenario scen(const char *policy)
{
	struct whatif_scenario sc;
	memset(&sc, 0, sizeof sc);
	char err[200];
	assert_true(whatif_policy_parse(&sc, policy, err, sizeof err));
	sc.seed = 7;
	return sc;
}

/* Open loop, 20 req/s for 10 s into a 10/s bucket of 5: 5 + 10 * 9.95 = 104.5 accepted. */
static void test_token_bucket_replay_count(void **state)
{
	(void)state;
	struct whatif_trace *t = trace(1, 200, 50, 5, 0);
	struct whatif_limiter l;
	tb(&l, 10, 5);
	struct whatif_scenario sc = scen("replay");
	struct whatif_prediction p;
	char err[200];
	assert_int_equal(whatif_run(t, &l, &sc, false, &p, err, sizeof err), 0);
	assert_true(p.accepted.v >= 104 && p.accepted.v <= 105);
	assert_int_equal((int)(p.accepted.v + p.throttled.v), 200);
	/* the first throttle: after the 5 tokens and what 0.05 s steps refill */
	assert_true(p.first_throttle_s.v > 0.2 && p.first_throttle_s.v < 0.6);
	whatif_trace_free(t);
}

/* Client-side pacing under the limiter's rate: no throttle at all. */
static void test_pace_below_limit(void **state)
{
	(void)state;
	struct whatif_trace *t = trace(10, 60, 500, 20, 50);   /* 20 req/s offered */
	struct whatif_limiter l;
	tb(&l, 10, 1);
	struct whatif_scenario none = scen("none"), pace = scen("pace=9/s");
	struct whatif_prediction pn, pp;
	char err[200];
	assert_int_equal(whatif_run(t, &l, &none, false, &pn, err, sizeof err), 0);
	assert_int_equal(whatif_run(t, &l, &pace, false, &pp, err, sizeof err), 0);
	assert_true(pn.throttled.v > 100);
	assert_true(pp.throttled.v == 0);
	assert_true(pp.accepted_per_s.v <= 9.05);
	whatif_trace_free(t);
}

/* A fixed window of 20 per second under 100 req/s: about 20 accepted per second whatever the
 * policy; honouring the limiter's wait cuts the throttled answers. */
static void test_fixed_window_honour(void **state)
{
	(void)state;
	struct whatif_trace *t = trace(10, 200, 100, 5, 10);
	struct whatif_limiter l;
	memset(&l, 0, sizeof l);
	l.model = WM_FIXED_WINDOW;
	l.key_name = "shared";
	for (int i = 0; i < 3; i++) {
		l.limit[i] = 20;
		l.window_s[i] = 1;
	}
	l.phase_ms = 0;
	struct whatif_scenario none = scen("none"), ra = scen("honour-retry-after");
	struct whatif_prediction pn, pr;
	char err[200];
	assert_int_equal(whatif_run(t, &l, &none, false, &pn, err, sizeof err), 0);
	assert_int_equal(whatif_run(t, &l, &ra, false, &pr, err, sizeof err), 0);
	/* 20 s of 100 req/s: 20 windows (21 touched) of 20 */
	assert_true(pn.accepted.v >= 400 && pn.accepted.v <= 420);
	assert_true(pn.throttled.v > 1500);
	assert_true(pr.throttled.v < pn.throttled.v / 4);
	whatif_trace_free(t);
}

/* A concurrency cap of 3 with users that never pause and 100 ms answers: 30 accepted/s. */
static void test_concurrency_cap_rate(void **state)
{
	(void)state;
	struct whatif_trace *t = trace(10, 100, 100, 100, 0);
	struct whatif_limiter l;
	memset(&l, 0, sizeof l);
	l.model = WM_CONCURRENCY;
	l.key_name = "shared";
	for (int i = 0; i < 3; i++)
		l.concurrency[i] = 3;
	struct whatif_scenario sc = scen("none");
	struct whatif_prediction p;
	char err[200];
	assert_int_equal(whatif_run(t, &l, &sc, false, &p, err, sizeof err), 0);
	assert_true(p.accepted_per_s.v > 27 && p.accepted_per_s.v < 31);
	whatif_trace_free(t);
}

/* Users paced at 2 s, spread evenly over 2 s, into a 10/s bucket of 1: 20 users fit. */
static void test_max_users(void **state)
{
	(void)state;
	struct whatif_trace *t = trace(4, 15, 2000, 10, 500);
	struct whatif_limiter l;
	tb(&l, 10, 1);
	struct whatif_scenario sc = scen("none");
	sc.user_pace_s = 2;
	sc.ramp_s = 2;
	struct whatif_prediction p;
	char err[200];
	assert_int_equal(whatif_run(t, &l, &sc, true, &p, err, sizeof err), 0);
	assert_true(p.max_users.v >= 19 && p.max_users.v <= 20);
	/* a per-user limiter never runs out however many users */
	l.key = WK_USER;
	l.rate[0] = l.rate[1] = l.rate[2] = 1;
	assert_int_equal(whatif_run(t, &l, &sc, true, &p, err, sizeof err), 0);
	assert_true(p.max_users.v >= WHATIF_SEARCH_USERS);
	whatif_trace_free(t);
}

/* The interval ends give the range; the same seed gives the same answer. */
static void test_range_and_determinism(void **state)
{
	(void)state;
	struct whatif_trace *t = trace(8, 100, 250, 30, 30);
	struct whatif_limiter l;
	tb(&l, 10, 5);
	l.rate[1] = 9;
	l.rate[2] = 11;
	struct whatif_scenario sc = scen("none");
	struct whatif_prediction a, b;
	char err[200];
	assert_int_equal(whatif_run(t, &l, &sc, false, &a, err, sizeof err), 0);
	assert_int_equal(whatif_run(t, &l, &sc, false, &b, err, sizeof err), 0);
	assert_true(a.accepted.v == b.accepted.v && a.throttled.v == b.throttled.v);
	assert_true(a.accepted_per_s.lo < a.accepted_per_s.v && a.accepted_per_s.v < a.accepted_per_s.hi);
	/* with jittered back-off, too */
	sc = scen("backoff=exp,base=1s,max=8s,jitter");
	assert_int_equal(whatif_run(t, &l, &sc, false, &a, err, sizeof err), 0);
	assert_int_equal(whatif_run(t, &l, &sc, false, &b, err, sizeof err), 0);
	assert_true(a.accepted.v == b.accepted.v && a.throttled.v == b.throttled.v);
	assert_true(a.throttled.lo <= a.throttled.v && a.throttled.v <= a.throttled.hi);
	whatif_trace_free(t);
}

static void test_policy_parse(void **state)
{
	(void)state;
	struct whatif_scenario sc;
	char err[200];
	memset(&sc, 0, sizeof sc);
	assert_true(whatif_policy_parse(&sc, "backoff=exp,base=500ms,max=30s,jitter", err, sizeof err));
	assert_int_equal(sc.policy, WP_BACKOFF);
	assert_true(fabs(sc.backoff_base_s - 0.5) < 1e-9 && fabs(sc.backoff_max_s - 30) < 1e-9 && sc.backoff_jitter);
	assert_true(whatif_policy_parse(&sc, "pace=18/s", err, sizeof err));
	assert_true(sc.policy == WP_PACE && fabs(sc.pace_rate - 18) < 1e-9);
	assert_true(whatif_policy_parse(&sc, "honor-retry-after", err, sizeof err));
	assert_false(whatif_policy_parse(&sc, "pace=0/s", err, sizeof err));
	assert_false(whatif_policy_parse(&sc, "pace=fast", err, sizeof err));
	assert_false(whatif_policy_parse(&sc, "backoff=linear", err, sizeof err));
	assert_false(whatif_policy_parse(&sc, "backoff=exp,base=-1s", err, sizeof err));
	assert_false(whatif_policy_parse(&sc, "backoff=exp,foo", err, sizeof err));
	assert_false(whatif_policy_parse(&sc, "retry-forever", err, sizeof err));
}

/* No throttling: nothing to replay. */
static void test_unknown_limiter(void **state)
{
	(void)state;
	struct throttle_group g;
	memset(&g, 0, sizeof g);
	struct whatif_limiter l;
	const char *why = NULL;
	assert_false(whatif_limiter_from(&l, &g, &why));
	assert_non_null(why);
	g.throttled = 50;
	g.detected = true;
	g.limit.model = THROTTLE_MODEL_UNKNOWN;
	assert_false(whatif_limiter_from(&l, &g, &why));
	g.limit.model = THROTTLE_MODEL_TOKEN_BUCKET;
	g.limit.rate_per_s = 5;
	g.limit.rate_lo = 4;
	g.limit.rate_hi = 6;
	g.limit.burst = 3;
	assert_true(whatif_limiter_from(&l, &g, &why));
	assert_true(l.rate[0] == 5 && l.rate[1] == 4 && l.rate[2] == 6 && l.burst[1] == 3);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_token_bucket_replay_count),
		cmocka_unit_test(test_pace_below_limit),
		cmocka_unit_test(test_fixed_window_honour),
		cmocka_unit_test(test_concurrency_cap_rate),
		cmocka_unit_test(test_max_users),
		cmocka_unit_test(test_range_and_determinism),
		cmocka_unit_test(test_policy_parse),
		cmocka_unit_test(test_unknown_limiter),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
