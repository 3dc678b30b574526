/* test_replay.c - the replay of accept/reject decisions (analyzer/throttle/replay.c): each
 * candidate limiter is simulated here, independently of the code under test, on arrivals
 * drawn at random from a seed, and the replay must name the model, its parameters (truth
 * inside the interval) and the partition key.  THROTTLE_TEST_SEED=n shifts every seed. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analyzer/throttle/replay.h"
#include "parsers/input.h"
#include "parsers/jtl_xml.h"
#include "common/diag.h"

static uint64_t rs;
static void seed(uint64_t s)
{
	const char *e = getenv("THROTTLE_TEST_SEED");
	rs = s * 0x9e3779b97f4a7c15ULL + (e ? strtoull(e, NULL, 10) : 0) + 1;
}
static double unit(void)
{
	rs ^= rs << 13;
	rs ^= rs >> 7;
	rs ^= rs << 17;
	return (double)(rs >> 11) / 9007199254740992.0;
}

enum lim { L_TB, L_FW, L_SW, L_CC };
#define MAXK 64

struct sim {
	enum lim kind;
	double r, b;            /* token bucket: rate, capacity */
	int L;                  /* windows: limit; cap */
	int64_t W;              /* window, ms */
	bool per_key;
	double tok[MAXK];
	int64_t last[MAXK];
	int64_t win[MAXK];
	int used[MAXK];
	int64_t acc[MAXK][512]; /* sliding log: accepted times (ring) */
	int nacc[MAXK];
	int64_t ends[MAXK][256];
	int nends[MAXK];
};

static bool decide(struct sim *m, int key, int64_t t, int64_t el)
{
	int k = m->per_key ? key : 0;
	switch (m->kind) {
	case L_TB:
		if (m->last[k] == INT64_MIN) {
			m->tok[k] = m->b;
			m->last[k] = t;
		}
		m->tok[k] = fmin(m->b, m->tok[k] + m->r * (double)(t - m->last[k]) / 1000.0);
		m->last[k] = t;
		if (m->tok[k] >= 1) {
			m->tok[k] -= 1;
			return true;
		}
		return false;
	case L_FW: {
		int64_t w = t / m->W;
		if (w != m->win[k]) {
			m->win[k] = w;
			m->used[k] = 0;
		}
		if (m->used[k] < m->L) {
			m->used[k]++;
			return true;
		}
		return false;
	}
	case L_SW: {
		int c = 0;
		for (int i = 0; i < m->nacc[k] && i < 512; i++)
			c += m->acc[k][i] > t - m->W;
		if (c < m->L) {
			m->acc[k][m->nacc[k]++ % 512] = t;
			return true;
		}
		return false;
	}
	case L_CC: {
		int n = 0;
		for (int i = 0; i < m->nends[k]; i++)
			if (m->ends[k][i] > t)
				m->ends[k][n++] = m->ends[k][i];
		m->nends[k] = n;
		if (n < m->L && n < 256) {
			m->ends[k][m->nends[k]++] = t + el;
			return true;
		}
		return false;
	}
	}
	return true;
}

/* Closed-loop threads: each sends, waits for the answer, thinks (pacing with jitter); the
 * first `heavy` threads think `fast` ms, the others `slow` ms. */
static struct replay *run(struct sim *m, int threads, int heavy, double fast, double slow,
			  int64_t dur_ms, double svc_ms, bool lockstep)
{
	struct replay *r = replay_new();
	for (int k = 0; k < MAXK; k++) {
		m->last[k] = INT64_MIN;
		m->win[k] = INT64_MIN;
	}
	int64_t next[MAXK];
	const int64_t base = 1800000000000LL;
	for (int i = 0; i < threads; i++)
		next[i] = base + (lockstep ? 0 : (int64_t)(unit() * 1000));
	char name[64], hdr[64];
	for (;;) {
		int b = -1;
		for (int i = 0; i < threads; i++)
			if (next[i] < base + dur_ms && (b < 0 || next[i] < next[b]))
				b = i;
		if (b < 0)
			break;
		int64_t t = next[b];
		int64_t el = (int64_t)(svc_ms * (0.7 + 0.6 * unit()));
		bool ok = decide(m, b, t, el);
		if (!ok) /* a refusal comes back in 1-3 ms */
			el = 1 + (int64_t)(unit() * 3);
		struct sample s;
		sample_clear(&s);
		s.ts_ms = t;
		s.elapsed_ms = el;
		s.has = SH_TS | SH_ELAPSED;
		snprintf(name, sizeof name, "%s 1-%d", b < heavy ? "Heavy" : "Light", b + 1);
		s.thread = (struct strref){ name, strlen(name) };
		snprintf(hdr, sizeof hdr, "X-Tenant: t%d\nUser-Agent: x\n", b % 2);
		s.req_headers = (struct strref){ hdr, strlen(hdr) };
		s.label = (struct strref){ "GET /x", 6 };
		replay_add(r, &s, 0, !ok, false);
		double think = b < heavy ? fast : slow;
		/* JMeter's own time per iteration: 1-2 ms */
		next[b] = t + el + (lockstep ? (int64_t)think :
				    1 + (int64_t)(unit() * 2) + (int64_t)(think * (0.8 + 0.4 * unit())));
	}
	return r;
}

static struct replay_fit fit_of(struct replay *r)
{
	struct replay_fit f;
	struct replay_in in = { .group = UINT32_MAX };
	replay_fit(r, &in, &f);
	return f;
}

static void test_token_bucket_shared(void **state)
{
	(void)state;
	for (int s = 0; s < 5; s++) {
		seed((uint64_t)s + 10);
		static struct sim m;
		memset(&m, 0, sizeof m);
		m.kind = L_TB;
		m.r = 5 + 30 * unit();
		m.b = 1 + floor(20 * unit());
		struct replay *r = run(&m, 40, 40, 1000.0 * 40 / (m.r * 1.6), 0, 60000, 20, false);
		struct replay_fit f = fit_of(r);
		assert_true(f.done);
		assert_int_equal(replay_model_class(f.model), RM_TOKEN_BUCKET);
		assert_int_equal(f.key, RK_SHARED);
		assert_true(f.best.rate_lo <= m.r * 1.01 && f.best.rate_hi >= m.r * 0.99);
		assert_true(f.best.burst_lo - 1 <= m.b && f.best.burst_hi + 1 >= m.b);
		replay_fit_release(&f);
		replay_free(r);
	}
}

static void test_fixed_window(void **state)
{
	(void)state;
	seed(3);
	static struct sim m;
	memset(&m, 0, sizeof m);
	m.kind = L_FW;
	m.L = 40;
	m.W = 10000;
	struct replay *r = run(&m, 30, 30, 2000, 0, 80000, 15, false);
	struct replay_fit f = fit_of(r);
	assert_true(f.done);
	assert_int_equal(f.model, RM_FIXED_WINDOW);
	assert_true(f.best.limit_lo <= 40 && f.best.limit_hi >= 40);
	assert_true(f.best.window_lo <= 10.0 && f.best.window_hi >= 10.0);
	replay_fit_release(&f);
	replay_free(r);
}

static void test_concurrency_cap(void **state)
{
	(void)state;
	seed(4);
	static struct sim m;
	memset(&m, 0, sizeof m);
	m.kind = L_CC;
	m.L = 8;
	/* closed loop without think time, service time 200 ms: a rate model must lose */
	struct replay *r = run(&m, 20, 20, 0, 0, 30000, 200, false);
	struct replay_fit f = fit_of(r);
	if (getenv("REPLAY_TEST_VERBOSE"))
		fprintf(stderr, "key=%d best C %.0f [%.0f..%.0f] n=%llu rej=%llu tb=%llu (r %.2f K %.0f) cc=%llu (C %.0f) fw=%llu sl=%llu\n",
			f.key, f.best.limit, f.best.limit_lo, f.best.limit_hi,
			(unsigned long long)f.requests, (unsigned long long)f.rejected,
			(unsigned long long)f.cands[0][RM_TOKEN_BUCKET].miss, f.cands[0][RM_TOKEN_BUCKET].rate_per_s,
			f.cands[0][RM_TOKEN_BUCKET].burst, (unsigned long long)f.cands[0][RM_CONCURRENCY].miss,
			f.cands[0][RM_CONCURRENCY].limit, (unsigned long long)f.cands[0][RM_FIXED_WINDOW].miss,
			(unsigned long long)f.cands[0][RM_SLIDING_LOG].miss);
	assert_true(f.done);
	if (getenv("REPLAY_TEST_VERBOSE"))
		fprintf(stderr, "per-tenant cc %llu\n", (unsigned long long)f.cands[RK_HDR0][RM_CONCURRENCY].miss);
	assert_int_equal(f.model, RM_CONCURRENCY);
	assert_true(f.best.limit_lo <= 8 && f.best.limit_hi >= 8);
	replay_fit_release(&f);
	replay_free(r);
}

static void test_per_thread_all_exceed(void **state)
{
	(void)state;
	/* every thread over its own limit: the aggregate says nothing, the per-key series do */
	seed(5);
	static struct sim m;
	memset(&m, 0, sizeof m);
	m.kind = L_TB;
	m.r = 0.7;
	m.b = 2;
	m.per_key = true;
	struct replay *r = run(&m, 12, 12, 600, 0, 60000, 20, false);
	struct replay_fit f = fit_of(r);
	assert_true(f.done);
	assert_int_equal(f.model, RM_TOKEN_BUCKET);
	assert_true(f.key == RK_THREAD || f.key == RK_CONN);
	assert_true(f.best.rate_lo <= 0.7 * 1.01 && f.best.rate_hi >= 0.7 * 0.99);
	assert_true(f.key_margin > 8);
	replay_fit_release(&f);
	replay_free(r);
}

static void test_per_tenant_header(void **state)
{
	(void)state;
	/* even threads are tenant t0, odd ones t1; only t0's threads are fast */
	seed(6);
	static struct sim m;
	memset(&m, 0, sizeof m);
	m.kind = L_TB;
	m.r = 6;
	m.b = 4;
	m.per_key = true;
	/* decide() keys by thread; fold to the tenant: thread parity */
	struct replay *r = replay_new();
	for (int k = 0; k < MAXK; k++)
		m.last[k] = INT64_MIN;
	const int64_t base = 1800000000000LL;
	int64_t next[20];
	for (int i = 0; i < 20; i++) /* the slow tenant's threads spread over their pacing */
		next[i] = base + (int64_t)(unit() * (i % 2 ? 8000 : 1000));
	char name[32], hdr[64];
	for (;;) {
		int b = -1;
		for (int i = 0; i < 20; i++)
			if (next[i] < base + 60000 && (b < 0 || next[i] < next[b]))
				b = i;
		if (b < 0)
			break;
		int64_t t = next[b];
		bool ok = decide(&m, b % 2, t, 20);
		struct sample s;
		sample_clear(&s);
		s.ts_ms = t;
		s.elapsed_ms = ok ? 20 : 1;
		s.has = SH_TS | SH_ELAPSED;
		snprintf(name, sizeof name, "Users 1-%d", b + 1);
		s.thread = (struct strref){ name, strlen(name) };
		snprintf(hdr, sizeof hdr, "X-Tenant: t%d\n", b % 2);
		s.req_headers = (struct strref){ hdr, strlen(hdr) };
		replay_add(r, &s, 0, !ok, false);
		next[b] = t + (b % 2 == 0 ? 1000 : 8000) + (int64_t)(unit() * 200);
	}
	struct replay_fit f = fit_of(r);
	if (getenv("REPLAY_TEST_VERBOSE"))
		for (size_t i = 0; i < f.nvalues; i++)
			fprintf(stderr, "value %s req %llu rej %llu key %d\n", f.values[i].name,
				(unsigned long long)f.values[i].requests,
				(unsigned long long)f.values[i].rejected, f.key);
	assert_true(f.done);
	assert_int_equal(f.key, RK_HDR0);
	assert_string_equal(f.key_name, "header:X-Tenant");
	assert_int_equal(f.nvalues, 2);
	assert_true(f.values[0].throttled);  /* t0 */
	assert_false(f.values[1].throttled); /* t1 */
	replay_fit_release(&f);
	replay_free(r);
}

static void test_lockstep_hides_rate(void **state)
{
	(void)state;
	/* every client sends at the same instant every 2 s: any rate that refills the bucket
	 * between rounds fits, only the burst is identifiable */
	seed(7);
	static struct sim m;
	memset(&m, 0, sizeof m);
	m.kind = L_TB;
	m.r = 8;
	m.b = 10;
	struct replay *r = run(&m, 30, 30, 2000, 0, 40000, 0, true);
	struct replay_fit f = fit_of(r);
	assert_true(f.done);
	assert_false(f.rate_identifiable);
	replay_fit_release(&f);
	replay_free(r);
}

static void test_too_few_rejections(void **state)
{
	(void)state;
	seed(8);
	static struct sim m;
	memset(&m, 0, sizeof m);
	m.kind = L_TB;
	m.r = 100;
	m.b = 50;
	struct replay *r = run(&m, 10, 10, 500, 0, 20000, 10, false);
	struct replay_fit f = fit_of(r);
	assert_false(f.done);
	assert_non_null(f.why);
	replay_fit_release(&f);
	replay_free(r);
}

/* The XML reader hands the children of a Transaction Controller's parent sample to the
 * throttle analysis when asked (tx_children), flagged throttle_only, and not by default. */
static void test_transaction_children(void **state)
{
	(void)state;
	static const char doc[] =
		"<testResults version=\"1.2\">\n"
		"<sample t=\"30\" ts=\"1800000000000\" s=\"false\" lb=\"TC\" rc=\"429\" "
		"rm=\"Number of samples in transaction : 2, number of failing samples : 1\" tn=\"U 1-1\">\n"
		"<httpSample t=\"10\" ts=\"1800000000000\" s=\"true\" lb=\"a\" rc=\"200\" tn=\"U 1-1\"/>\n"
		"<httpSample t=\"1\" ts=\"1800000000011\" s=\"false\" lb=\"b\" rc=\"429\" tn=\"U 1-1\"/>\n"
		"</sample>\n</testResults>\n";
	for (int opt = 0; opt < 2; opt++) {
		struct input *in = input_open_mem(doc, sizeof doc - 1, "tc.jtl");
		struct diag d;
		diag_init(&d, "tc.jtl");
		d.quiet = 1;
		struct jtl_options o;
		memset(&o, 0, sizeof o);
		o.tx_children = opt == 1;
		struct jtl_xml *x = jtl_xml_open(in, &o, &d);
		struct sample s;
		int n = 0, only = 0, in_tx = 0;
		while (jtl_xml_next(x, &s) == JTL_RECORD) {
			n++;
			only += s.throttle_only;
			in_tx += s.in_transaction;
		}
		assert_int_equal(n, opt ? 3 : 1);
		assert_int_equal(only, opt ? 2 : 0);
		assert_int_equal(in_tx, opt ? 2 : 0);
		jtl_xml_close(x);
		input_close(in);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_token_bucket_shared),
		cmocka_unit_test(test_fixed_window),
		cmocka_unit_test(test_concurrency_cap),
		cmocka_unit_test(test_per_thread_all_exceed),
		cmocka_unit_test(test_per_tenant_header),
		cmocka_unit_test(test_lockstep_hides_rate),
		cmocka_unit_test(test_too_few_rejections),
		cmocka_unit_test(test_transaction_children),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
