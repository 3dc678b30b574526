/* test_index.c - the batch index's typed rows (reports/index.h): a report tree read into
 * run_metrics gives the row's columns (limiter chosen from the earliest throttled region when
 * the overall model is unknown, rounding as index.json writes it, regions throttled); the
 * limit-change flag in start-time order; every writer escapes hostile strings. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "reports/index.h"
#include "reports/report_read.h"

static const char REPORT[] =
	"{\"samples\":{\"total\":200,\"throttled\":50,\"first_ts_ms\":1704067200000,"
	"\"end_ms\":1704067230456},"
	"\"total\":{\"error_pct\":12.34567,\"p95_ms\":812.6},"
	"\"throttle\":{\"overall\":{\"detected\":true,\"scope\":\"per-tenant\",\"onset\":{\"offset_s\":"
	"7.46,\"threads\":12.4},\"limit\":{\"model\":\"unknown\"}},"
	"\"regions\":[{\"region\":\"eu<1>\",\"detected\":true,\"onset\":{\"ts_ms\":5000},"
	"\"limit\":{\"model\":\"fixed-window\",\"rate_per_s\":9.999,\"rate_per_s_low\":9.5,"
	"\"rate_per_s_high\":10.5}},"
	"{\"region\":\"us\",\"onset\":{\"detected\":true,\"ts_ms\":3000},"
	"\"limit\":{\"model\":\"token-bucket\",\"rate_per_s\":4.004,\"rate_per_s_low\":3.5,"
	"\"rate_per_s_high\":4.5}},"
	"{\"region\":\"ap\",\"detected\":false,\"limit\":{\"model\":\"token-bucket\"}}]}}";

static void row_of(struct index_row *row, const char *json, const char *path)
{
	char *caps[] = { "a.pcap" };
	index_row_init(row, path, "runs/x/", 0, NULL, caps, 1);
	cJSON *tree = cJSON_Parse(json);
	assert_non_null(tree);
	struct run_metrics m;
	report_read_metrics(&m, tree);
	cJSON_Delete(tree);
	index_row_metrics(row, &m);
	run_metrics_release(&m);
}

static void test_row_from_metrics(void **state)
{
	(void)state;
	struct index_row row;
	row_of(&row, REPORT, "r.jtl");
	assert_string_equal(row.start, "2024-01-01 00:00:00.000");
	assert_true(row.start_ms == 1704067200000.0);
	assert_true(row.duration_s == 30.456);
	assert_true(row.samples == 200);
	assert_true(row.error_pct == 12.346);
	assert_true(row.throttled_pct == 25);
	assert_true(row.p95_ms == 813);
	assert_true(row.throttle_analysis);
	assert_true(row.onset_offset_s == 7.5);
	assert_true(row.onset_threads == 12);
	/* overall model unknown: the detected region with the earliest onset ("us") */
	assert_string_equal(row.limiter_model, "token-bucket");
	assert_true(row.rate_per_s == 4.0);
	assert_true(row.rate_low == 3.5 && row.rate_high == 4.5);
	assert_string_equal(row.scope, "per-tenant");
	assert_int_equal(row.nregions, 2);
	assert_string_equal(row.regions[0], "eu<1>");
	assert_string_equal(row.regions[1], "us");

	char *c[INDEX_NCOLS];
	index_cells(&row, c);
	assert_string_equal(c[INDEX_C_RATE], "4.00 [3.50, 4.50]");
	assert_string_equal(c[INDEX_C_ERR], "12.35");
	assert_string_equal(c[INDEX_C_REGIONS], "eu<1> us");
	assert_string_equal(c[INDEX_C_ERROR], "");
	index_cells_free(c);
	index_row_release(&row);
}

static void test_row_without_throttling(void **state)
{
	(void)state;
	struct index_row row;
	row_of(&row, "{\"samples\":{\"total\":0},\"throttle\":{\"detected\":false}}", "e.jtl");
	assert_null(row.start);
	assert_true(isnan(row.start_ms) && isnan(row.error_pct) && isnan(row.onset_offset_s));
	assert_true(row.samples == 0);
	assert_true(row.throttle_analysis);
	assert_null(row.limiter_model);
	assert_null(row.scope);
	index_row_release(&row);

	/* a failed run without a report: only its path, exit and error */
	index_row_init(&row, "f.jtl", "runs/f/", 3, "bad \xff byte", NULL, 0);
	assert_string_equal(row.error, "bad \xef\xbf\xbd byte");   /* valid UTF-8 copy */
	char *c[INDEX_NCOLS];
	index_cells(&row, c);
	assert_string_equal(c[INDEX_C_STATUS], "failed");
	assert_string_equal(c[INDEX_C_ERROR], "exit 3: bad \xef\xbf\xbd byte");
	index_cells_free(c);
	index_row_release(&row);
}

static void test_limit_changes(void **state)
{
	(void)state;
	/* given out of start order; sorted: t=1 [9,11], t=2 [10,12] overlaps, t=3 [20,22] moved */
	struct index_row rows[4];
	const double st[] = { 3, 1, 2, 4 }, lo[] = { 20, 9, 10, NAN }, hi[] = { 22, 11, 12, NAN };
	for (int i = 0; i < 4; i++) {
		index_row_init(&rows[i], "p", "runs/p/", 0, NULL, NULL, 0);
		rows[i].start_ms = st[i];
		rows[i].rate_low = lo[i];
		rows[i].rate_high = hi[i];
	}
	index_mark_limit_changes(rows, 4);
	assert_true(rows[0].limit_changed);
	assert_false(rows[1].limit_changed);
	assert_false(rows[2].limit_changed);
	assert_false(rows[3].limit_changed);
	for (int i = 0; i < 4; i++)
		index_row_release(&rows[i]);
}

static char *written(int (*fn)(FILE *, const struct index *), const struct index *ix)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	assert_non_null(f);
	assert_int_equal(fn(f, ix), 0);
	fclose(f);
	return buf;
}

static void test_writers_escape(void **state)
{
	(void)state;
	struct index_row row;
	row_of(&row, REPORT, "<b>|x,\"y\".jtl");
	row.gate = "fail";
	char *unpaired[] = { "<u>|.pcap" };
	struct index ix = { .rows = &row, .nrows = 1, .gate = true, .trend_why = "no chart",
			    .unpaired = unpaired, .nunpaired = 1 };
	char *md = written(index_write_md, &ix);
	assert_non_null(strstr(md, "| gate |"));
	assert_null(strstr(md, "<b>|x"));
	assert_non_null(strstr(md, "](runs/x/report.md)"));
	char *html = written(index_write_html, &ix);
	assert_null(strstr(html, "<b>"));
	assert_null(strstr(html, "eu<1>"));
	assert_non_null(strstr(html, "&lt;b&gt;"));
	assert_non_null(strstr(html, "<tr class=\"thr\">"));
	char *csv = written(index_write_csv, &ix);
	assert_non_null(strstr(csv, "\"<b>|x,\"\"y\"\".jtl\""));
	assert_non_null(strstr(csv, ",fail,"));
	char *json = written(index_write_json, &ix);
	cJSON *j = cJSON_Parse(json);
	assert_non_null(j);
	const cJSON *r0 = cJSON_GetArrayItem(cJSON_GetObjectItem(j, "runs"), 0);
	assert_string_equal(cJSON_GetObjectItem(r0, "path")->valuestring, "<b>|x,\"y\".jtl");
	assert_true(cJSON_IsNull(cJSON_GetObjectItem(r0, "error")));
	assert_true(cJSON_GetObjectItem(r0, "limiter_rate_per_s")->valuedouble == 4.0);
	assert_int_equal(cJSON_GetObjectItem(cJSON_GetObjectItem(j, "totals"), "throttled")->valueint, 1);
	cJSON_Delete(j);
	free(md);
	free(html);
	free(csv);
	free(json);
	index_row_release(&row);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_row_from_metrics),
		cmocka_unit_test(test_row_without_throttling),
		cmocka_unit_test(test_limit_changes),
		cmocka_unit_test(test_writers_escape),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
