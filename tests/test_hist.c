/* test_hist.c - histogram percentiles against exact sorting; merge equals a single pass. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <cmocka.h>

#include "analyzer/hist.h"
#include "tests/testlib.h"

static uint64_t rng = 88172645463325252ULL;
static uint64_t next(void)
{
	return testlib_xorshift64(&rng);
}

static int cmp64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return (x > y) - (x < y);
}

/* nearest-rank quantile of sorted values */
static int64_t exact(const int64_t *v, size_t n, double q)
{
	double r = q * (double)n;
	size_t rank = (size_t)r;
	if ((double)rank < r)
		rank++;
	if (rank == 0)
		rank = 1;
	return v[rank - 1];
}

static void check_dist(int kind)
{
	enum { N = 200000 };
	int64_t *v = malloc(N * sizeof *v);
	struct hist h;
	hist_init(&h, HIST_FINE);
	for (size_t i = 0; i < N; i++) {
		int64_t x;
		switch (kind) {
		case 0: x = (int64_t)(next() % 1000); break;                    /* uniform small */
		case 1: x = (int64_t)(1 + (next() % 100000) * (next() % 100)); break; /* wide */
		default: x = (int64_t)(1ULL << (next() % 40)) + (int64_t)(next() % 1000); break; /* log */
		}
		v[i] = x;
		hist_add(&h, x);
	}
	qsort(v, N, sizeof *v, cmp64);
	static const double qs[] = { 0.01, 0.5, 0.9, 0.95, 0.99, 0.999 };
	for (size_t k = 0; k < sizeof qs / sizeof qs[0]; k++) {
		int64_t e = exact(v, N, qs[k]);
		int64_t got = hist_quantile(&h, qs[k]);
		double err = e ? (double)llabs(got - e) / (double)e : (double)got;
		if (err > 0.01)
			fail_msg("kind %d q %.3f: exact %lld, histogram %lld (%.3f%%)", kind, qs[k],
				 (long long)e, (long long)got, err * 100);
	}
	assert_int_equal(h.min, v[0]);
	assert_int_equal(h.max, v[N - 1]);
	hist_free(&h);
	free(v);
}

static void test_uniform(void **st) { (void)st; check_dist(0); }
static void test_wide(void **st) { (void)st; check_dist(1); }
static void test_log(void **st) { (void)st; check_dist(2); }

static void test_merge(void **st)
{
	(void)st;
	struct hist a, b, all;
	hist_init(&a, HIST_FINE);
	hist_init(&b, HIST_FINE);
	hist_init(&all, HIST_FINE);
	for (int i = 0; i < 50000; i++) {
		int64_t x = (int64_t)(next() % 500000);
		hist_add(i % 3 ? &a : &b, x);
		hist_add(&all, x);
	}
	hist_merge(&a, &b);
	assert_int_equal(a.count, all.count);
	assert_int_equal(a.min, all.min);
	assert_int_equal(a.max, all.max);
	for (double q = 0.05; q < 1.0; q += 0.05)
		assert_int_equal(hist_quantile(&a, q), hist_quantile(&all, q));
	hist_free(&a);
	hist_free(&b);
	hist_free(&all);
}

static void test_small_exact(void **st)
{
	(void)st;
	struct hist h;
	hist_init(&h, HIST_FINE);
	assert_int_equal(hist_quantile(&h, 0.5), 0);
	for (int i = 1; i <= 100; i++)
		hist_add(&h, i);
	assert_int_equal(hist_quantile(&h, 0.5), 50);
	assert_int_equal(hist_quantile(&h, 0.9), 90);
	assert_int_equal(hist_quantile(&h, 0.99), 99);
	hist_add(&h, -5); /* negative elapsed (hostile input) counts as 0 */
	assert_int_equal(h.min, 0);
	hist_free(&h);
}

static void test_bucket_bounds(void **st)
{
	(void)st;
	for (unsigned bits = 4; bits <= 7; bits++) {
		for (int64_t v = 0; v < 5000000; v = v * 3 / 2 + 1) {
			uint32_t i = hist_index(bits, v);
			assert_true(hist_bucket_low(bits, i) <= v);
			assert_true(hist_bucket_high(bits, i) >= v);
		}
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_uniform),
		cmocka_unit_test(test_wide),
		cmocka_unit_test(test_log),
		cmocka_unit_test(test_merge),
		cmocka_unit_test(test_small_exact),
		cmocka_unit_test(test_bucket_bounds),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
