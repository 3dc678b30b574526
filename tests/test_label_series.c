/* test_label_series.c - the per-label time series (analyzer/label_series.c): bounded labels
 * and buckets, every sample counted once whatever the arrival order, the width doubling only
 * as far as the span needs, and a merge of two halves equal to one pass. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "analyzer/label_series.h"
#include "tests/testlib.h"

static uint64_t rng = 0x9e3779b97f4a7c15ULL;
static uint64_t next(void)
{
	return testlib_xorshift64(&rng);
}

static uint64_t total(const struct lseries_set *s, size_t l)
{
	uint64_t n = 0;
	for (size_t i = 0; i < s->n; i++)
		n += s->lab[l].b[i].count;
	return n;
}

static void test_labels_bounded(void **st)
{
	(void)st;
	struct lseries_set s;
	lseries_init(&s, 1000);
	char name[32];
	for (size_t id = 0; id < LSERIES_MAX_LABELS + 10; id++) {
		snprintf(name, sizeof name, "L%zu", id);
		for (size_t k = 0; k <= id % 5; k++)
			lseries_add(&s, id, name, strlen(name), 1700000000000 + (int64_t)k * 1000, 10, k != 0);
	}
	assert_int_equal(s.nlab, LSERIES_MAX_LABELS);
	assert_int_equal(s.untracked_labels, 10);
	lseries_finish(&s);
	for (size_t l = 1; l < s.nlab; l++)
		assert_true(s.lab[l - 1].count >= s.lab[l].count);
	assert_int_equal(s.lab[0].count, 5);
	assert_int_equal(total(&s, 0), 5);
	assert_int_equal(s.lab[0].b[0].errors, 1);
	lseries_free(&s);
}

static void test_span_any_order(void **st)
{
	(void)st;
	/* 3 hours at 1 s buckets, in random order: the width doubles to 16 s (10800 / 16 = 675) */
	struct lseries_set s;
	lseries_init(&s, 1000);
	const int64_t t0 = 1700000000000, span = 3 * 3600 * 1000;
	uint64_t n = 20000, errs = 0;
	double sum = 0;
	for (uint64_t i = 0; i < n; i++) {
		int64_t ts = t0 + (int64_t)(next() % (uint64_t)span);
		int64_t el = (int64_t)(next() % 1000);
		bool ok = next() % 4 != 0;
		errs += !ok;
		sum += (double)el;
		lseries_add(&s, 0, "x", 1, ts, el, ok);
	}
	assert_true(s.n <= LSERIES_MAX_BUCKETS);
	assert_int_equal(s.width_ms, 16000);
	assert_int_equal(total(&s, 0), n);
	uint64_t e = 0;
	double su = 0;
	for (size_t i = 0; i < s.n; i++)
		e += s.lab[0].b[i].errors, su += s.lab[0].b[i].sum_ms;
	assert_int_equal(e, errs);
	assert_true(su == sum);
	lseries_free(&s);
}

static void test_merge_equals_one_pass(void **st)
{
	(void)st;
	struct lseries_set one, a, b;
	lseries_init(&one, 1000);
	lseries_init(&a, 1000);
	lseries_init(&b, 1000);
	for (int64_t i = 0; i < 5000; i++) {
		int64_t ts = 1700000000000 + i * 997;
		const char *nm = i % 3 ? "GET /a" : "POST /b";
		size_t id = i % 3 ? 0 : 1;
		lseries_add(&one, id, nm, strlen(nm), ts, i % 700, i % 11 != 0);
		lseries_add(i < 2500 ? &a : &b, id, nm, strlen(nm), ts, i % 700, i % 11 != 0);
	}
	lseries_merge(&a, &b);
	lseries_finish(&one);
	lseries_finish(&a);
	assert_int_equal(one.n, a.n);
	assert_int_equal(one.base_ms, a.base_ms);
	assert_int_equal(one.width_ms, a.width_ms);
	assert_int_equal(one.nlab, a.nlab);
	for (size_t l = 0; l < one.nlab; l++) {
		assert_string_equal(one.lab[l].name, a.lab[l].name);
		assert_memory_equal(one.lab[l].b, a.lab[l].b, one.n * sizeof *one.lab[l].b);
	}
	lseries_free(&one);
	lseries_free(&a);
	lseries_free(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_labels_bounded),
		cmocka_unit_test(test_span_any_order),
		cmocka_unit_test(test_merge_equals_one_pass),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
