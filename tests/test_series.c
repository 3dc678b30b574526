/* test_series.c - the time series container (analysis_series_at / _coarsen / _release in
 * analyzer/analysis.c): growth at either end re-allocates O(log n) times, not once per new
 * bucket (a 12-hour run took 55 s copying the series); coarsening merges bucket pairs in place
 * without re-allocating; every sample lands in the bucket a naive computation gives, at the
 * finest width whose span fits ANALYSIS_MAX_BUCKETS, whatever the arrival order. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "analyzer/analysis.h"
#include "tests/testlib.h"

static uint64_t rng;
static uint64_t next(void)
{
	return testlib_xorshift64(&rng);
}

/* The storage block of s: changes only when the series re-allocates. */
static const void *block(const struct series *s)
{
	return s->b ? (const void *)(s->b - s->front) : NULL;
}

struct counter {
	const void *last;
	size_t reallocs;
};

static struct series_bucket *at(struct series *s, int64_t ts, struct counter *c)
{
	struct series_bucket *b = analysis_series_at(s, ts);
	if (block(s) != c->last) {
		c->last = block(s);
		c->reallocs++;
	}
	return b;
}

static size_t log2_ceil(size_t n)
{
	size_t k = 0;
	while (((size_t)1 << k) < n)
		k++;
	return k;
}

/* Add one sample at ts (count, and its elapsed into the success histogram). */
static void add(struct series *s, int64_t ts, struct counter *c)
{
	struct series_bucket *b = at(s, ts, c);
	b->count++;
	hist_add(&b->elapsed_ok, (int64_t)(ts % 997));
}

static void grow_one_way(int64_t step)
{
	const size_t n = ANALYSIS_MAX_BUCKETS;
	struct series s = { .width_ms = 1000 };
	struct counter c = { 0 };
	for (size_t i = 0; i < n; i++) {
		int64_t ts = step > 0 ? (int64_t)i * 1000 : (int64_t)(n - 1 - i) * 1000;
		add(&s, 1700000000000LL + ts + 17, &c);
	}
	assert_int_equal(s.n, n);
	assert_int_equal(s.width_ms, 1000);
	assert_int_equal(s.base_ms, 1700000000000LL);
	for (size_t i = 0; i < n; i++) {
		assert_int_equal(s.b[i].count, 1);
		assert_int_equal(s.b[i].elapsed_ok.count, 1);
	}
	/* geometric growth: O(log n) re-allocations (the old code made one per new bucket).  The
	 * used part is centred in the new block, so growth at one end gets half the slack: a
	 * factor of about 1.5 a time, at most 2 log2(n) */
	assert_true(c.reallocs <= 2 * log2_ceil(n) + 4);
	analysis_series_release(&s);
	assert_null(s.b);
	assert_int_equal(s.n, 0);
}

static void test_grow_forward(void **st)
{
	(void)st;
	grow_one_way(1);
}

static void test_grow_backward(void **st)
{
	(void)st;
	grow_one_way(-1);
}

/* Random timestamps over `span_s` seconds from t0, in an order that goes back a little (JTL
 * completion order) or anywhere (files concatenated); then every bucket is checked against a
 * count made from the timestamps at the series' final width. */
static void check_against_naive(int64_t t0, int64_t span_s, size_t nsamples, bool any_order)
{
	const int64_t cap = ANALYSIS_MAX_BUCKETS;
	int64_t *ts = malloc(nsamples * sizeof *ts);
	assert_non_null(ts);
	int64_t lo = INT64_MAX, hi = INT64_MIN;
	for (size_t i = 0; i < nsamples; i++) {
		int64_t t;
		if (any_order)
			t = t0 + (int64_t)(next() % (uint64_t)(span_s * 1000));
		else /* rising, each start up to 3 s before the previous one ended */
			t = t0 + (int64_t)((double)i / (double)nsamples * (double)span_s * 1000.0) -
			    (int64_t)(next() % 3000);
		ts[i] = t;
		if (t < lo)
			lo = t;
		if (t > hi)
			hi = t;
	}
	struct series s = { .width_ms = 1000 };
	struct counter c = { 0 };
	for (size_t i = 0; i < nsamples; i++)
		add(&s, ts[i], &c);

	/* the finest width 1000 * 2^k whose aligned span fits the cap */
	int64_t w = 1000;
	while ((hi / w - lo / w + 1) > cap)
		w *= 2;
	assert_int_equal(s.width_ms, w);
	assert_int_equal(s.base_ms, lo / w * w);
	assert_int_equal(s.n, (size_t)(hi / w - lo / w + 1));
	uint64_t *want = calloc(s.n, sizeof *want);
	assert_non_null(want);
	for (size_t i = 0; i < nsamples; i++)
		want[(ts[i] - s.base_ms) / w]++;
	uint64_t total = 0;
	for (size_t i = 0; i < s.n; i++) {
		assert_int_equal(s.b[i].count, want[i]);
		assert_int_equal(s.b[i].elapsed_ok.count, want[i]); /* histograms moved and merged */
		total += s.b[i].count;
	}
	assert_int_equal(total, nsamples);
	/* coarsening happens in place: re-allocations stay logarithmic */
	assert_true(c.reallocs <= 2 * log2_ceil((size_t)cap) + 4);
	free(want);
	free(ts);
	analysis_series_release(&s);
}

static void test_completion_order_week(void **st)
{
	(void)st;
	rng = 0x1234567u;
	/* 7 days: the width doubles 7 times (1 s -> 128 s) */
	check_against_naive(1700000000000LL, 7 * 86400, 200000, false);
}

static void test_any_order_odd_base(void **st)
{
	(void)st;
	rng = 0xfeedbeefu;
	/* an odd first bucket index: every coarsening has to shift by one */
	check_against_naive(1700000001000LL, 3 * ANALYSIS_MAX_BUCKETS + 5, 50000, true);
	rng = 0xabcdefu;
	check_against_naive(1700000003500LL, ANALYSIS_MAX_BUCKETS - 1, 30000, true);
}

static void test_coarsen_keeps_block(void **st)
{
	(void)st;
	struct series s = { .width_ms = 1000 };
	struct counter c = { 0 };
	for (int64_t i = 1; i <= 1001; i++)
		add(&s, i * 1000, &c);
	const void *before = block(&s);
	size_t n = s.n;
	analysis_series_coarsen(&s);
	assert_ptr_equal(block(&s), before);
	assert_int_equal(s.width_ms, 2000);
	assert_int_equal(s.base_ms, 0);
	assert_int_equal(s.n, n / 2 + 1); /* [0,2) holds bucket 1 only, [1000,1002) holds 1001 */
	assert_int_equal(s.b[0].count, 1);
	for (size_t i = 1; i < s.n; i++)
		assert_int_equal(s.b[i].count, 2);
	analysis_series_release(&s);
	/* an empty series only changes its width */
	struct series e = { .width_ms = 500 };
	analysis_series_coarsen(&e);
	assert_int_equal(e.width_ms, 1000);
	assert_int_equal(e.n, 0);
	analysis_series_release(&e);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_grow_forward),
		cmocka_unit_test(test_grow_backward),
		cmocka_unit_test(test_completion_order_week),
		cmocka_unit_test(test_any_order_odd_base),
		cmocka_unit_test(test_coarsen_keeps_block),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
