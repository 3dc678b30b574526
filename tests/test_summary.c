/* test_summary.c - summaries (reports/summary_json.h): N partial summaries, written as JSON, read
 * back and merged, give exactly the report of one pass over all samples (counts and
 * percentiles), also when the series had to be widened; hostile summaries are refused with
 * the JSON path of the fault. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "reports/summary_json.h"
#include "reports/json_util.h"
#include "tests/testlib.h"

static uint64_t rng;
static uint64_t next(void)
{
	return testlib_xorshift64(&rng);
}

/* Sample i of a synthetic run: labels, threads, codes, a few without timestamps, a gap of
 * `gap_ms` half way (to force the series to widen). */
static void make_sample(struct sample *s, size_t i, size_t n, int64_t gap_ms, char *lb, char *th, char *code)
{
	static const char *labels[] = { "Login", "Search", "Checkout", "Caf\xc3\xa9 \"menu\"", "" };
	static const char *codes[] = { "200", "200", "200", "429", "500", "Non HTTP response code: x" };
	memset(s, 0, sizeof *s);
	uint64_t r = next();
	strcpy(lb, labels[r % 5]);
	snprintf(th, 64, "Group %d 1-%d", (int)(r >> 8) % 3, (int)(r >> 16) % 40 + 1);
	strcpy(code, codes[(r >> 24) % 6]);
	s->label = (struct strref){ lb, strlen(lb) };
	s->thread = (struct strref){ th, strlen(th) };
	s->code = (struct strref){ code, strlen(code) };
	s->success = code[0] == '2';
	s->elapsed_ms = (int64_t)((r >> 32) % 5000) * (int64_t)((r >> 40) % 4 + 1);
	s->has = SH_ELAPSED | SH_SUCCESS | SH_BYTES | SH_LATENCY;
	s->bytes = (int64_t)(r % 10000);
	s->latency_ms = s->elapsed_ms / 2;
	if (i % 97 != 5) {
		s->has |= SH_TS;
		s->ts_ms = 1700000000000LL + (int64_t)i * 7 + (i > n / 2 ? gap_ms : 0);
	}
	if (i % 3 == 0) {
		s->has |= SH_ALL_THREADS | SH_CONNECT;
		s->all_threads = (int64_t)(r % 50);
		s->connect_ms = 3;
	}
}

static struct analysis *new_analysis(void)
{
	struct analysis_config c;
	analysis_config_default(&c);
	char err[256];
	struct analysis *a = analysis_new(&c, err, sizeof err);
	assert_non_null(a);
	return a;
}

static void add_input(struct analysis *a, const char *name, uint64_t records)
{
	struct input_info in = { .path = (char *)name, .format = (char *)"csv", .records = records,
				 .skipped = 1, .bytes = 1000 };
	analysis_add_input(a, &in);
}

/* The report tree as text; the series (large when widened) is compared bucket by bucket
 * in same_series instead. */
static char *tree_text(struct analysis *a)
{
	struct report_meta m = { .version = "test" };
	size_t n = a->series.n;
	a->series.n = 0;
	cJSON *t = report_json_tree(a, &m);
	a->series.n = n;
	/* the throttle section compares too: summaries carry its state */
	char *s = cJSON_Print(t);
	cJSON_Delete(t);
	return s;
}

static void same_series(const struct series *x, const struct series *y)
{
	assert_int_equal(x->n, y->n);
	assert_int_equal(x->base_ms, y->base_ms);
	assert_int_equal(x->width_ms, y->width_ms);
	for (size_t i = 0; i < x->n; i++) {
		const struct series_bucket *a = &x->b[i], *b = &y->b[i];
		assert_int_equal(a->count, b->count);
		assert_int_equal(a->throttled, b->throttled);
		assert_int_equal(a->errors, b->errors);
		assert_memory_equal(a->by_class, b->by_class, sizeof a->by_class);
		assert_int_equal(a->max_all_threads, b->max_all_threads);
		assert_int_equal(a->active_threads, b->active_threads);
		assert_int_equal(a->bytes, b->bytes);
		assert_int_equal(a->elapsed.count, b->elapsed.count);
		assert_int_equal(a->elapsed_ok.count, b->elapsed_ok.count);
		if (a->count == 0)
			continue;
		static const double q[] = { 0.5, 0.95, 0.99, 1.0 };
		for (size_t k = 0; k < 4; k++) {
			assert_int_equal(hist_quantile(&a->elapsed, q[k]), hist_quantile(&b->elapsed, q[k]));
			assert_int_equal(hist_quantile(&a->elapsed_ok, q[k]), hist_quantile(&b->elapsed_ok, q[k]));
		}
	}
}

/* One pass vs `parts` summaries round-tripped through JSON text and merged. */
static void check_split(size_t n, size_t parts, int64_t gap_ms)
{
	char lb[64], th[64], code[64];
	struct analysis *one = new_analysis();
	struct analysis **p = calloc(parts, sizeof *p);
	for (size_t k = 0; k < parts; k++)
		p[k] = new_analysis();
	rng = 0x853c49e6748fea9bULL;
	/* the parts split the samples in contiguous chunks (files) */
	for (size_t i = 0; i < n; i++) {
		struct sample s;
		make_sample(&s, i, n, gap_ms, lb, th, code);
		/* one pass numbers the inputs; each summary holds its input 0 */
		s.source = (uint32_t)(i * parts / n);
		analysis_add(one, &s);
		s.source = 0;
		analysis_add(p[i * parts / n], &s);
	}
	for (size_t k = 0; k < parts; k++) {
		char name[32];
		snprintf(name, sizeof name, "part%zu.csv", k);
		add_input(one, name, 1);
		add_input(p[k], name, 1);
	}
	struct analysis *m = NULL;
	for (size_t k = 0; k < parts; k++) {
		cJSON *j = summary_to_json(p[k], "test");
		assert_non_null(j);
		char *txt = cJSON_PrintUnformatted(j);
		cJSON_Delete(j);
		cJSON *back = cJSON_Parse(txt);
		free(txt);
		char err[512] = "";
		struct analysis *q = summary_from_json(back, err, sizeof err);
		if (!q)
			fail_msg("part %zu: %s", k, err);
		cJSON_Delete(back);
		if (!m) {
			m = q;
		} else {
			assert_int_equal(analysis_merge(m, q, err, sizeof err), 0);
			analysis_free(q);
		}
		analysis_free(p[k]);
	}
	free(p);
	analysis_finish(one);
	analysis_finish(m);
	assert_non_null(m->throttle); /* the throttle state merged: its report part compares too */
	same_series(&one->series, &m->series);
	char *a = tree_text(one), *b = tree_text(m);
	if (strcmp(a, b) != 0) {
		/* show where they part */
		size_t i = 0;
		while (a[i] && a[i] == b[i])
			i++;
		fail_msg("merged report differs at byte %zu: '%.80s' vs '%.80s'", i, a + (i > 40 ? i - 40 : 0),
			 b + (i > 40 ? i - 40 : 0));
	}
	assert_int_equal(one->overall.count, n);
	free(a);
	free(b);
	analysis_free(one);
	analysis_free(m);
}

static void test_merge_equals_single_pass(void **st)
{
	(void)st;
	check_split(20000, 1, 0);
	check_split(20000, 2, 0);
	check_split(20000, 7, 0);
}

static void test_merge_widened_series(void **st)
{
	(void)st;
	/* a 6-day gap: 200000 one-second buckets do not hold it, the width doubles */
	check_split(4000, 3, 6LL * 86400 * 1000);
}

static void test_finished_refused(void **st)
{
	(void)st;
	struct analysis *a = new_analysis();
	analysis_finish(a);
	assert_null(summary_to_json(a, "t"));
	analysis_free(a);
}

static void test_bucket_mismatch(void **st)
{
	(void)st;
	struct analysis *a = new_analysis();
	struct analysis_config c;
	analysis_config_default(&c);
	c.bucket_ms = 5000;
	char err[256];
	struct analysis *b = analysis_new(&c, err, sizeof err);
	assert_int_equal(analysis_merge(a, b, err, sizeof err), -1);
	assert_non_null(strstr(err, "bucket widths differ"));
	cJSON *ja = summary_to_json(a, "t"), *jb = summary_to_json(b, "t");
	assert_false(summary_compatible(ja, jb, err, sizeof err));
	assert_non_null(strstr(err, "--bucket"));
	cJSON_Delete(ja);
	cJSON_Delete(jb);
	analysis_free(a);
	analysis_free(b);
}

/* A valid one-label summary with `patch` replacing the label's "ok" histogram. */
static void expect_bad(const char *ok_hist, const char *msg)
{
	char buf[2048];
	snprintf(buf, sizeof buf,
		 "{\"schema\":\"jtlscope-summary/1\",\"config\":{\"bucket_ms\":1000},"
		 "\"counters\":{\"labels_folded\":0,\"no_timestamp\":0,\"max_all_threads\":-1},"
		 "\"labels\":[{\"name\":\"x\",\"count\":2,\"errors\":0,\"throttled\":0,\"first_ts\":1,"
		 "\"last_ts\":2,\"last_end\":3,\"bytes\":0,\"sent_bytes\":0,\"latency_sum\":0,\"latency_n\":0,"
		 "\"connect_sum\":0,\"connect_n\":0,\"ok\":%s,\"err\":{\"sub_bits\":7,\"count\":0}}],"
		 "\"codes\":[],\"thread_groups\":[],\"threads\":[],"
		 "\"series\":{\"base_ms\":0,\"width_ms\":1000,\"n\":0,\"buckets\":[]},\"inputs\":[]}",
		 ok_hist);
	cJSON *j = cJSON_Parse(buf);
	assert_non_null(j);
	char err[512] = "";
	struct analysis *a = summary_from_json(j, err, sizeof err);
	cJSON_Delete(j);
	if (msg == NULL) {
		if (!a)
			fail_msg("refused: %s", err);
		assert_int_equal(a->labels[0].elapsed_ok.count, 2);
		analysis_free(a);
		return;
	}
	assert_null(a);
	if (!strstr(err, msg))
		fail_msg("got '%s', want '%s'", err, msg);
}

static void test_hostile(void **st)
{
	(void)st;
	expect_bad("{\"sub_bits\":7,\"count\":2,\"min\":5,\"max\":6,\"sum\":11,\"buckets\":[5,1,6,1]}", NULL);
	expect_bad("{\"sub_bits\":5,\"count\":2,\"min\":5,\"max\":6,\"sum\":11,\"buckets\":[5,1,6,1]}",
		   "labels[0].ok.sub_bits: 5, want 7");
	expect_bad("{\"sub_bits\":7,\"count\":3,\"min\":5,\"max\":6,\"sum\":11,\"buckets\":[5,1,6,1]}",
		   "buckets hold 2 values, count says 3");
	expect_bad("{\"sub_bits\":7,\"count\":2,\"min\":5,\"max\":6,\"sum\":11,\"buckets\":[6,1,5,1]}",
		   "out of range or order");
	expect_bad("{\"sub_bits\":7,\"count\":2,\"min\":5,\"max\":6,\"sum\":11,\"buckets\":[5,1,99999999,1]}",
		   "out of range or order");
	expect_bad("{\"sub_bits\":7,\"count\":2,\"min\":5,\"max\":6,\"sum\":11,\"buckets\":[5,-1,6,3]}",
		   "want an integer from 0 to 2^53");
	expect_bad("{\"sub_bits\":7,\"count\":2,\"min\":5,\"max\":6,\"sum\":11,\"buckets\":[5,1,6]}",
		   "pairs");
	expect_bad("{\"sub_bits\":7,\"count\":2,\"min\":1,\"max\":6,\"sum\":11,\"buckets\":[5,1,6,1]}",
		   "min/max do not fall");
	expect_bad("{\"sub_bits\":7,\"count\":2,\"min\":5,\"max\":6,\"sum\":1e400,\"buckets\":[5,1,6,1]}",
		   "want a non-negative number");
	expect_bad("{\"sub_bits\":7,\"count\":1,\"min\":5,\"max\":5,\"sum\":5,\"buckets\":[5,1]}",
		   "count 2 does not match its histograms");
	expect_bad("7", "missing 'sub_bits'");

	char err[256];
	cJSON *j = cJSON_Parse("{\"schema\":\"jtlscope-report/1\"}");
	assert_null(summary_from_json(j, err, sizeof err));
	assert_non_null(strstr(err, "not a jtlscope summary"));
	cJSON_Delete(j);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_merge_equals_single_pass),
		cmocka_unit_test(test_merge_widened_series),
		cmocka_unit_test(test_finished_refused),
		cmocka_unit_test(test_bucket_mismatch),
		cmocka_unit_test(test_hostile),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
