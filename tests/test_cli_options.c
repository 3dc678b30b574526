/* test_cli_options.c - cli/options.c (linked explicitly: cli/ is not in libjtlscope.a): option
 * values (durations, zones, delimiters, code lists) and the common option parser. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "cli/options.h"

static void test_duration(void **st)
{
	(void)st;
	int64_t ms = 0;
	assert_true(opt_duration_ms("250ms", &ms));
	assert_int_equal(ms, 250);
	assert_true(opt_duration_ms("1.5s", &ms));
	assert_int_equal(ms, 1500);
	assert_true(opt_duration_ms("2", &ms));    /* bare: seconds */
	assert_int_equal(ms, 2000);
	assert_true(opt_duration_ms("2m", &ms));
	assert_int_equal(ms, 120000);
	assert_true(opt_duration_ms("1min", &ms));
	assert_int_equal(ms, 60000);
	assert_true(opt_duration_ms("1h", &ms));
	assert_int_equal(ms, 3600000);
	ms = 7;
	assert_false(opt_duration_ms("0.1ms", &ms));   /* under 1 ms */
	assert_false(opt_duration_ms("5d", &ms));
	assert_false(opt_duration_ms("s", &ms));
	assert_false(opt_duration_ms("", &ms));
	assert_false(opt_duration_ms("-1s", &ms));
	assert_false(opt_duration_ms("1 s", &ms));
	assert_int_equal(ms, 7);
}

static void test_tz_delim_codes(void **st)
{
	(void)st;
	int m = 99;
	assert_true(opt_tz_offset("UTC", &m));
	assert_int_equal(m, 0);
	assert_true(opt_tz_offset("+08:00", &m));
	assert_int_equal(m, 480);
	assert_true(opt_tz_offset("-0530", &m));
	assert_int_equal(m, -330);
	assert_true(opt_tz_offset("+8", &m));
	assert_int_equal(m, 480);
	assert_false(opt_tz_offset("+25:00", &m));
	assert_false(opt_tz_offset("08:00", &m));
	assert_false(opt_tz_offset("+08:60", &m));
	char d = 0;
	assert_true(opt_delimiter(",", &d));
	assert_int_equal(d, ',');
	assert_true(opt_delimiter("tab", &d));
	assert_int_equal(d, '\t');
	assert_true(opt_delimiter("semicolon", &d));
	assert_int_equal(d, ';');
	assert_false(opt_delimiter("ab", &d));
	int codes[4];
	size_t n = 0;
	assert_true(opt_codes("429,503", codes, 4, &n));
	assert_int_equal(n, 2);
	assert_int_equal(codes[0], 429);
	assert_int_equal(codes[1], 503);
	assert_false(opt_codes("429,abc", codes, 4, &n));
	assert_false(opt_codes("", codes, 4, &n));
	assert_false(opt_codes("1,2,3,4,5", codes, 4, &n));   /* more than fit */
}

static void test_common_opt(void **st)
{
	(void)st;
	struct common_opts o;
	common_opts_init(&o);
	assert_int_equal(common_opt(&o, OPT_BUCKET, "500ms"), 1);
	assert_int_equal(o.cfg.bucket_ms, 500);
	assert_int_equal(common_opt(&o, OPT_STRICT, NULL), 1);
	assert_true(o.strict);
	assert_int_equal(common_opt(&o, OPT_SUB, NULL), 1);
	assert_true(o.jtl.sub_results);
	assert_true(o.cfg.throttle.code_503_with_retry_after);
	assert_int_equal(common_opt(&o, OPT_NO503, NULL), 1);
	assert_false(o.cfg.throttle.code_503_with_retry_after);
	assert_int_equal(common_opt(&o, OPT_CODES, "429,420"), 1);
	assert_int_equal(o.cfg.throttle.ncodes, 2);
	assert_int_equal(o.cfg.throttle.codes[1], 420);
	assert_int_equal(common_opt(&o, 'q', NULL), 0);          /* not a common option */
	assert_int_equal(common_opt(&o, OPT_COMMON_END, "x"), 0);
	/* bad values: -1 (message on stderr), the previous value kept */
	assert_int_equal(common_opt(&o, OPT_BUCKET, "fast"), -1);
	assert_int_equal(o.cfg.bucket_ms, 500);
	assert_int_equal(common_opt(&o, OPT_CODES, "x"), -1);
	assert_int_equal(common_opt(&o, OPT_DELIM, "ab"), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_duration),
		cmocka_unit_test(test_tz_delim_codes),
		cmocka_unit_test(test_common_opt),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
