/* test_errors.c - JMeter's Errors table in the analysis (analysis.errors, labels' errs, the
 * dominant non-throttle failure): the type of a failed sample as JMeter's dashboard names it,
 * numbers folded, throttle signals kept apart, caps. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "analyzer/analysis.h"

static struct strref S(const char *s)
{
	return (struct strref){ s, strlen(s) };
}

static void add(struct analysis *a, int64_t ts, const char *label, const char *code, const char *msg,
		bool ok, const char *failure)
{
	struct sample s;
	sample_clear(&s);
	s.ts_ms = ts;
	s.elapsed_ms = 10;
	s.has = SH_TS | SH_ELAPSED | SH_SUCCESS;
	s.success = ok;
	s.label = S(label);
	if (code)
		s.code = S(code);
	if (msg)
		s.message = S(msg);
	if (failure)
		s.failure = S(failure);
	s.thread = S("T 1-1");
	analysis_add(a, &s);
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

static const struct error_type *find(const struct analysis *a, const char *type)
{
	for (size_t i = 0; i < a->nerrors; i++)
		if (strcmp(a->errors[i].type, type) == 0)
			return &a->errors[i];
	return NULL;
}

static void test_types(void **st)
{
	(void)st;
	struct analysis *a = new_analysis();
	int64_t t = 1700000000000;
	char msg[200];
	/* a duration assertion on 200s: the failure message, numbers folded (JMeter's grouping too) */
	for (int i = 0; i < 30; i++) {
		snprintf(msg, sizeof msg, "The operation lasted too long: It took %d,%03d milliseconds, but "
			 "should not have lasted longer than 1,000 milliseconds.", 1 + i / 10, 100 + i);
		add(a, t + i, i % 2 ? "Home" : "Search", "200", "OK", false, msg);
	}
	add(a, t + 40, "Home", "500", "Internal Server Error", false, NULL);
	add(a, t + 41, "Home", "500", "Internal Server Error", false, "ignored: the code is an error");
	add(a, t + 42, "Search", "429", "Too Many Requests", false, NULL);
	add(a, t + 43, "Search", "429", "Too Many Requests", false, NULL);
	add(a, t + 44, "Search", "429", "Too Many Requests", false, NULL);
	add(a, t + 45, "Search", "", NULL, false, "Test failed: text expected to contain /id/");
	add(a, t + 46, "Search", "302", "Found", false, NULL);  /* success code, no message */
	add(a, t + 47, "Search", "Non HTTP response code: java.net.SocketTimeoutException",
	    "Non HTTP response message: Read timed out", false, NULL);
	for (int i = 0; i < 60; i++)
		add(a, t + 100 + i, "Home", "200", "OK", true, NULL);
	analysis_finish(a);

	assert_int_equal(a->overall.errors, 38);
	assert_int_equal(a->nerrors, 6);
	const struct error_type *e = &a->errors[0];  /* most frequent first */
	assert_string_equal(e->type, "The operation lasted too long: It took N milliseconds, but should "
				     "not have lasted longer than N milliseconds.");
	assert_int_equal(e->count, 30);
	assert_int_equal(e->throttled, 0);
	assert_string_equal(e->example, "The operation lasted too long: It took 1,100 milliseconds, but "
					"should not have lasted longer than 1,000 milliseconds.");
	e = find(a, "429/Too Many Requests");
	assert_non_null(e);
	assert_int_equal(e->count, 3);
	assert_int_equal(e->throttled, 3);
	assert_non_null(find(a, "500/Internal Server Error"));
	assert_int_equal(find(a, "500/Internal Server Error")->count, 2);
	assert_non_null(find(a, "Test failed: text expected to contain /id/"));
	assert_non_null(find(a, "Assertion failed"));
	assert_non_null(find(a, "Non HTTP response code: java.net.SocketTimeoutException/Non HTTP response "
				"message: Read timed out"));
	/* the verdict's input: the assertion, not the 429s */
	assert_ptr_equal(a->dominant_failure, &a->errors[0]);
	assert_int_equal(a->dominant_failure_count, 30);
	assert_int_equal(a->nonthrottle_failures, 35);
	assert_true(a->dominant_failure_share > 0.857 && a->dominant_failure_share < 0.858);
	/* per label, most frequent first, indices into the sorted errors */
	const struct stats *home = NULL, *search = NULL;
	for (size_t i = 0; i < a->nlabels; i++) {
		if (strcmp(a->labels[i].name, "Home") == 0)
			home = &a->labels[i];
		if (strcmp(a->labels[i].name, "Search") == 0)
			search = &a->labels[i];
	}
	assert_non_null(home);
	assert_non_null(search);
	assert_int_equal(home->nerrs, 2);
	assert_int_equal(home->errs[0].type, 0);
	assert_int_equal(home->errs[0].count, 15);
	assert_string_equal(a->errors[home->errs[1].type].type, "500/Internal Server Error");
	assert_int_equal(search->nerrs, 5);
	assert_int_equal(search->errs[0].count, 15);
	assert_string_equal(a->errors[search->errs[1].type].type, "429/Too Many Requests");
	analysis_free(a);
}

/* Only throttle signals failed: no dominant non-throttle failure. */
static void test_only_throttled(void **st)
{
	(void)st;
	struct analysis *a = new_analysis();
	for (int i = 0; i < 5; i++)
		add(a, 1700000000000 + i, "x", "429", "Too Many Requests", false, NULL);
	add(a, 1700000000010, "x", "200", "OK", true, NULL);
	analysis_finish(a);
	assert_int_equal(a->nerrors, 1);
	assert_null(a->dominant_failure);
	assert_int_equal(a->nonthrottle_failures, 0);
	assert_true(a->dominant_failure_share == 0.0);
	analysis_free(a);
}

/* Past ANALYSIS_MAX_ERROR_TYPES distinct types the rest is folded into one row, counted. */
static void test_caps(void **st)
{
	(void)st;
	struct analysis *a = new_analysis();
	char code[32];
	size_t n = ANALYSIS_MAX_ERROR_TYPES + 50;
	for (size_t i = 0; i < n; i++) {
		snprintf(code, sizeof code, "E%zu", i);   /* codes are not folded: all distinct */
		add(a, 1700000000000 + (int64_t)i, "x", code, NULL, false, NULL);
	}
	/* a long message is cut at ANALYSIS_ERROR_TYPE_MAX bytes, on a character boundary */
	char longmsg[600];
	for (size_t i = 0; i + 2 < sizeof longmsg; i += 2)
		memcpy(longmsg + i, "\xc3\xa9", 2);   /* é */
	longmsg[sizeof longmsg - 2] = '\0';
	analysis_finish(a);
	assert_int_equal(a->nerrors, ANALYSIS_MAX_ERROR_TYPES);
	const struct error_type *o = find(a, ANALYSIS_OTHER_ERRORS);
	assert_non_null(o);
	assert_int_equal(o->count, 51);
	assert_int_equal(a->errors_folded, 51);
	assert_ptr_equal(o, &a->errors[0]);
	/* one label saw them all: its own list is capped too, the rest in its catch-all */
	assert_int_equal(a->nlabels, 1);
	assert_int_equal(a->labels[0].nerrs, ANALYSIS_MAX_LABEL_ERRORS);
	uint64_t sum = 0;
	for (size_t i = 0; i < a->labels[0].nerrs; i++)
		sum += a->labels[0].errs[i].count;
	assert_int_equal(sum, n);
	analysis_free(a);

	a = new_analysis();
	add(a, 1700000000000, "x", "200", "OK", false, longmsg);
	analysis_finish(a);
	assert_int_equal(a->nerrors, 1);
	size_t len = strlen(a->errors[0].type);
	assert_true(len <= ANALYSIS_ERROR_TYPE_MAX && len >= ANALYSIS_ERROR_TYPE_MAX - 1);
	assert_int_equal(len % 2, 0);   /* whole characters */
	analysis_free(a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_types),
		cmocka_unit_test(test_only_throttled),
		cmocka_unit_test(test_caps),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
