/* test_gate.c - --fail-on grammar (accepted forms, exact error messages), evaluation on a report
 * report read back into run_metrics (total, label, throttle group, n/a), JUnit XML escaping. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "analyzer/gate.h"
#include "reports/junit.h"
#include "reports/report_read.h"

/* the library path: a report tree read into run_metrics, then evaluated */
static int eval_tree(struct gate *g, const char *suite, const cJSON *tree)
{
	struct run_metrics m;
	report_read_metrics(&m, tree);
	int met = gate_eval_metrics(g, suite, &m);
	run_metrics_release(&m);
	return met;
}

static const char REPORT[] =
	"{\"schema\":\"jtlscope-report/1\","
	"\"samples\":{\"total\":1000,\"errors\":30,\"skipped\":2,\"throttled\":12},"
	"\"total\":{\"count\":1000,\"errors\":30,\"error_pct\":3.0,\"throttled\":12,\"p50_ms\":120,"
	"\"p90_ms\":400,\"p95_ms\":912,\"p99_ms\":2500,\"mean_ms\":210.5,\"min_ms\":3,\"max_ms\":9000,"
	"\"throughput_per_s\":8.5,\"success_only\":{\"count\":970,\"p50_ms\":125,\"p95_ms\":800,"
	"\"p99_ms\":2400,\"mean_ms\":220}},"
	"\"labels\":[{\"label\":\"Login\",\"count\":100,\"errors\":0,\"error_pct\":0,\"throttled\":0,"
	"\"p99_ms\":2100,\"p95_ms\":700,\"throughput_per_s\":1.5},"
	"{\"label\":\"GET http://h:8080/x\",\"count\":10,\"errors\":1,\"error_pct\":10,\"throttled\":0,"
	"\"p95_ms\":50,\"throughput_per_s\":0.1},"
	"{\"label\":\"<b>&amp\\\"'\",\"count\":5,\"errors\":0,\"error_pct\":0,\"throttled\":0,"
	"\"p95_ms\":5000,\"throughput_per_s\":0.1}],"
	"\"throttle\":{\"detected\":true,\"onset\":{\"offset_s\":33.4,\"threads\":43,\"ts_ms\":1000},"
	"\"limit\":{\"model\":\"unknown\",\"rate_per_s\":null},"
	"\"regions\":[{\"region\":\"ap-southeast-1\",\"detected\":true,\"onset\":{\"offset_s\":33.4,"
	"\"threads\":43,\"ts_ms\":1000},\"limit\":{\"model\":\"token-bucket\",\"rate_per_s\":19.9}},"
	"{\"region\":\"us-east-1\",\"detected\":false,\"onset\":null,\"limit\":null}]}}";

static cJSON *report(void)
{
	cJSON *r = cJSON_Parse(REPORT);
	assert_non_null(r);
	return r;
}

static void add_ok(struct gate *g, const char *e)
{
	char err[512] = "";
	if (gate_add(g, e, err, sizeof err) != 0)
		fail_msg("'%s' refused: %s", e, err);
}

static void expect_err(const char *e, const char *msg)
{
	struct gate *g = gate_new();
	char err[512] = "";
	assert_int_equal(gate_add(g, e, err, sizeof err), -1);
	if (!strstr(err, msg))
		fail_msg("'%s': got '%s', want '%s'", e, err, msg);
	gate_free(g);
}

static void test_parse_errors(void **st)
{
	(void)st;
	expect_err("p95>>8", "--fail-on 'p95>>8': expected a number after '>'");
	expect_err("p95", "--fail-on 'p95': expected an operator (>, >=, <, <=, ==, !=) after 'p95'");
	expect_err("p96>8", "unknown metric 'p96' (p50, p90, p95");
	expect_err(">8", "expected a metric");
	expect_err("p95>8kb", "unit 'kb' does not fit p95 (ms, s, m, h)");
	expect_err("errors>1%%", "unit '%%' does not fit errors");
	expect_err("errors>101%", "a share above 100%");
	expect_err("rate<10/d", "unit '/d' does not fit rate (/s, /m, /h)");
	expect_err("samples>10s", "unit 's' does not fit samples (none)");
	expect_err("p95>1.2.3", "--fail-on 'p95>1.2.3': '1.2.3' is not a number");
	expect_err("p95>-1", "expected a number after '>'");
	expect_err("label:Login", "expected 'label:NAME:METRIC OP VALUE'");
	expect_err("label::p95>1s", "empty label name");
	expect_err("label:Login:onset<3s", "'onset' is not a per-label metric (use region:NAME:)");
	expect_err("region:eu:p95>1s", "'p95' is not a per-region metric");
	expect_err("label:Login:p99", "expected an operator");
}

static void test_parse_ok(void **st)
{
	(void)st;
	struct gate *g = gate_new();
	static const char *ok[] = {
		"p95>800ms", "errors>1%", "throttled>0.5%", "onset<300s", "label:Login:p99>2s",
		"rate<10/s", "  p95 >= 1.5 s ", "errors>5", "limit<30/m", "mean==0", "samples!=1000",
		"label:GET http://h:8080/x:p95>1s", "region:ap-southeast-1:onset<1m", "onset_threads<50",
		"ok_p95>1h", "skipped>0",
	};
	for (size_t i = 0; i < sizeof ok / sizeof *ok; i++)
		add_ok(g, ok[i]);
	assert_int_equal(gate_count(g), sizeof ok / sizeof *ok);
	gate_free(g);
}

/* one criterion, evaluated: 1 met, 0 not met */
static int eval1(const char *e, size_t *na)
{
	struct gate *g = gate_new();
	add_ok(g, e);
	cJSON *r = report();
	int met = eval_tree(g, NULL, r);
	if (na)
		*na = gate_unavailable(g);
	cJSON_Delete(r);
	gate_free(g);
	return met;
}

static void test_eval(void **st)
{
	(void)st;
	assert_int_equal(eval1("p95>800ms", NULL), 1);
	assert_int_equal(eval1("p95>912ms", NULL), 0);
	assert_int_equal(eval1("p95>=912", NULL), 1);
	assert_int_equal(eval1("p95>0.9s", NULL), 1);
	assert_int_equal(eval1("p99<2.5s", NULL), 0);
	assert_int_equal(eval1("errors>1%", NULL), 1);
	assert_int_equal(eval1("errors>3%", NULL), 0);
	assert_int_equal(eval1("errors>29", NULL), 1);
	assert_int_equal(eval1("throttled>1%", NULL), 1);   /* 12 of 1000 = 1.2 % */
	assert_int_equal(eval1("throttled>1.2%", NULL), 0);
	assert_int_equal(eval1("rate<10/s", NULL), 1);
	assert_int_equal(eval1("rate<500/m", NULL), 0);      /* 8.33/s */
	assert_int_equal(eval1("ok_p95>800", NULL), 0);
	assert_int_equal(eval1("skipped>1", NULL), 1);
	assert_int_equal(eval1("label:Login:p99>2s", NULL), 1);
	assert_int_equal(eval1("label:Login:errors>0%", NULL), 0);
	assert_int_equal(eval1("label:GET http://h:8080/x:errors>=10%", NULL), 1);
	assert_int_equal(eval1("onset<300s", NULL), 1);
	assert_int_equal(eval1("onset<30s", NULL), 0);
	assert_int_equal(eval1("onset_threads>40", NULL), 1);
	/* the overall limit is unknown: the throttled region's estimate stands for the run */
	assert_int_equal(eval1("limit<20/s", NULL), 1);
	assert_int_equal(eval1("region:ap-southeast-1:onset<1m", NULL), 1);
	size_t na;
	/* a region that never throttled has no onset: not met, not n/a */
	assert_int_equal(eval1("region:us-east-1:onset<1h", &na), 0);
	assert_int_equal(na, 0);
	assert_int_equal(eval1("label:Logout:p95>1ms", &na), 0);
	assert_int_equal(na, 0);   /* no such label: a usage error (test_unknown_label), not n/a */
	assert_int_equal(eval1("region:eu-west-1:onset<1h", &na), 0);
	assert_int_equal(na, 1);
}

static void test_no_throttle_section(void **st)
{
	(void)st;
	struct gate *g = gate_new();
	add_ok(g, "onset<300s");
	add_ok(g, "p95>1ms");
	cJSON *r = report();
	cJSON_DeleteItemFromObject(r, "throttle");
	assert_int_equal(eval_tree(g, NULL, r), 1);
	assert_int_equal(gate_unavailable(g), 1);
	cJSON_Delete(r);
	gate_free(g);
}

static void test_rc_and_windows(void **st)
{
	(void)st;
	/* parsing */
	expect_err("rc6xx>0", "unknown metric 'rc6xx'");
	expect_err("rcx29>0", "unknown metric 'rcx29'");
	expect_err("rc4x9>0", "unknown metric 'rc4x9'");
	expect_err("label:Login:rc429>1%", "'rc429' is not a per-label metric");
	expect_err("rc429>1% for 10s", "'for' works on the whole run's time series");
	expect_err("p90>1s for 10s", "'for' works on the whole run's time series");
	expect_err("label:Login:p95>1s for 10s", "'for' works on the whole run's time series");
	expect_err("p95>1s for", "expected a duration with its unit after 'for'");
	expect_err("p95>1s for 10", "expected a duration with its unit after 'for'");
	expect_err("p95>1s for 10 parsecs", "expected a duration with its unit after 'for'");
	expect_err("rc429>5kb", "unit 'kb' does not fit rc");

	static const char doc[] =
		"{\"schema\":\"jtlscope-report/1\",\"samples\":{\"total\":100,\"errors\":10},"
		"\"total\":{\"count\":100,\"errors\":10,\"error_pct\":10,\"p95_ms\":700},\"labels\":[],"
		"\"codes\":{\"200\":90,\"429\":6,\"503\":3,\"Non HTTP response code: x\":1},"
		"\"bucket_ms\":1000,\"series\":["
		"{\"ts_ms\":0,\"count\":10,\"errors\":0,\"throttled\":0,\"by_class\":{\"2xx\":10},\"p95_ms\":100},"
		"{\"ts_ms\":1000,\"count\":3,\"errors\":3,\"throttled\":3,\"by_class\":{\"4xx\":3},\"p95_ms\":900},"
		"{\"ts_ms\":2000,\"count\":3,\"errors\":2,\"throttled\":2,\"by_class\":{\"4xx\":2,\"2xx\":1},\"p95_ms\":900},"
		"{\"ts_ms\":3000,\"count\":4,\"errors\":4,\"throttled\":1,\"by_class\":{\"5xx\":3,\"4xx\":1},\"p95_ms\":950},"
		"{\"ts_ms\":4000,\"count\":10,\"errors\":0,\"throttled\":0,\"by_class\":{\"2xx\":10},\"p95_ms\":100},"
		"{\"ts_ms\":5000,\"count\":0,\"errors\":0,\"throttled\":0,\"by_class\":{},\"p95_ms\":0},"
		"{\"ts_ms\":6000,\"count\":10,\"errors\":1,\"throttled\":0,\"by_class\":{\"2xx\":9,\"5xx\":1},\"p95_ms\":900},"
		"{\"ts_ms\":7000,\"count\":60,\"errors\":0,\"throttled\":0,\"by_class\":{\"2xx\":60},\"p95_ms\":900}]}";
	static const struct {
		const char *expr;
		int met;
	} cases[] = {
		{ "rc429>5%", 1 },      /* 6 % */
		{ "rc429>6%", 0 },
		{ "rc429==6", 1 },
		{ "rc5xx>2", 1 },       /* 503 only: "Non HTTP" is no status */
		{ "rc5xx>3", 0 },
		{ "rc50x>=3", 1 },
		{ "rc2xx<90%", 0 },
		{ "rc404>0", 0 },
		{ "p95>800ms for 3s", 1 },   /* buckets 1-3 */
		{ "p95>800ms for 4s", 0 },   /* the empty bucket 5 breaks 6-7 */
		{ "p95>800ms for 2s", 1 },
		{ "throttled>50% for 2s", 1 },  /* 100 %, 67 % */
		{ "throttled>50% for 3s", 0 },  /* then 25 % */
		{ "errors>=2 for 3s", 1 },
		{ "rc4xx>0 for 4s", 0 },        /* buckets 1-3 */
		{ "rc4xx>0 for 3s", 1 },
		{ "rate<5/s for 3s", 1 },       /* 3, 3, 4: buckets 1-3 */
		{ "rate<5/s for 4s", 0 },       /* the empty bucket alone: 1 s */
		{ "rate<1/s for 1s", 1 },       /* the empty bucket: an outage counts */
		{ "samples>50 for 1s", 1 },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct gate *g = gate_new();
		add_ok(g, cases[i].expr);
		cJSON *r = cJSON_Parse(doc);
		assert_non_null(r);
		int met = eval_tree(g, NULL, r);
		if (met != cases[i].met) {
			print_error("%s: met %d, want %d\n", cases[i].expr, met, cases[i].met);
			fail();
		}
		cJSON_Delete(r);
		gate_free(g);
	}
}

/* A label the run does not have is a usage error, not "n/a"; JUnit says <error>. */
static void test_unknown_label(void **st)
{
	(void)st;
	struct gate *g = gate_new();
	add_ok(g, "label:Nope:p95>1s");
	add_ok(g, "label:Login:p95>1s");
	add_ok(g, "region:eu-west-9:onset<1h");
	cJSON *r = report();
	assert_int_equal(eval_tree(g, NULL, r), 0);
	assert_int_equal(gate_unknown_labels(g), 1);
	assert_int_equal(gate_unavailable(g), 1);   /* the region: n/a as before */
	cJSON_Delete(r);
	char path[] = "/tmp/jtlscope-junit-XXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	close(fd);
	char err[256];
	assert_int_equal(junit_write(g, path, err, sizeof err), 0);
	FILE *f = fopen(path, "r");
	assert_non_null(f);
	char buf[8192];
	size_t n = fread(buf, 1, sizeof buf - 1, f);
	buf[n] = '\0';
	fclose(f);
	unlink(path);
	assert_non_null(strstr(buf, "tests=\"3\" failures=\"0\" skipped=\"1\" errors=\"1\""));
	assert_non_null(strstr(buf, "<error type=\"usage\" message=\"no label &#39;Nope&#39; in the report\">"));
	/* one testcase per criterion */
	size_t cases = 0;
	for (const char *p = buf; (p = strstr(p, "<testcase ")) != NULL; p++)
		cases++;
	assert_int_equal(cases, 3);
	gate_free(g);
}

/* No samples: every criterion fails, whatever it says (a CI must not go green on nothing). */
static void test_no_samples(void **st)
{
	(void)st;
	static const char empty[] = "{\"schema\":\"jtlscope-report/1\",\"samples\":{\"total\":0,"
				    "\"errors\":0,\"skipped\":5},\"total\":{\"count\":0,\"errors\":0,"
				    "\"error_pct\":0,\"p95_ms\":0},\"labels\":[]}";
	struct gate *g = gate_new();
	add_ok(g, "errors>1%");
	add_ok(g, "p95>800ms");
	add_ok(g, "samples<1");
	add_ok(g, "label:Login:p95>1s");
	cJSON *r = cJSON_Parse(empty);
	assert_non_null(r);
	assert_int_equal(eval_tree(g, NULL, r), 4);
	assert_int_equal(gate_unavailable(g), 0);
	cJSON_Delete(r);
	char path[] = "/tmp/jtlscope-junit-XXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	close(fd);
	char err[256];
	assert_int_equal(junit_write(g, path, err, sizeof err), 0);
	FILE *f = fopen(path, "r");
	assert_non_null(f);
	char buf[8192];
	size_t n = fread(buf, 1, sizeof buf - 1, f);
	buf[n] = '\0';
	fclose(f);
	unlink(path);
	assert_non_null(strstr(buf, "tests=\"4\" failures=\"4\""));
	assert_non_null(strstr(buf, "the run has no samples"));
	assert_non_null(strstr(buf, "met: actual none</failure>"));
	gate_free(g);
}

static void test_junit(void **st)
{
	(void)st;
	struct gate *g = gate_new();
	add_ok(g, "p95>800ms");
	add_ok(g, "label:<b>&amp\"':p95>1s");
	add_ok(g, "label:Nope:p95>1s");
	add_ok(g, "p50>1s");
	cJSON *r = report();
	assert_int_equal(eval_tree(g, "run <1> & \"x\"", r), 2);
	cJSON_Delete(r);
	char path[] = "/tmp/jtlscope-junit-XXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	close(fd);
	char err[256];
	assert_int_equal(junit_write(g, path, err, sizeof err), 0);
	FILE *f = fopen(path, "r");
	assert_non_null(f);
	char buf[8192];
	size_t n = fread(buf, 1, sizeof buf - 1, f);
	buf[n] = '\0';
	fclose(f);
	unlink(path);
	assert_non_null(strstr(buf, "<testsuites name=\"jtlscope gate\" tests=\"4\" failures=\"2\" skipped=\"0\" errors=\"1\">"));
	assert_non_null(strstr(buf, "<testsuite name=\"run &lt;1&gt; &amp; &quot;x&quot;\""));
	assert_non_null(strstr(buf, "name=\"label:&lt;b&gt;&amp;amp&quot;&#39;:p95&gt;1s\""));
	assert_non_null(strstr(buf, "<failure type=\"gate\" message=\"p95 = 912 ms\">criterion p95&gt;800ms met: actual 912 ms</failure>"));
	assert_non_null(strstr(buf, "<error type=\"usage\" message=\"no label &#39;Nope&#39; in the report\">"));
	assert_null(strstr(buf, "<b>"));
	gate_free(g);
}

static void test_too_many(void **st)
{
	(void)st;
	struct gate *g = gate_new();
	char err[256];
	for (int i = 0; i < GATE_MAX_CRITERIA; i++)
		assert_int_equal(gate_add(g, "p95>1s", err, sizeof err), 0);
	assert_int_equal(gate_add(g, "p95>1s", err, sizeof err), -1);
	assert_non_null(strstr(err, "too many criteria"));
	gate_free(g);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_errors),
		cmocka_unit_test(test_parse_ok),
		cmocka_unit_test(test_eval),
		cmocka_unit_test(test_no_throttle_section),
		cmocka_unit_test(test_no_samples),
		cmocka_unit_test(test_rc_and_windows),
		cmocka_unit_test(test_unknown_label),
		cmocka_unit_test(test_junit),
		cmocka_unit_test(test_too_many),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
