/* test_archive_pool.c - the worker pool's pure parts (reports/archive_pool.h): the formats the
 * workers write (json first, once) and the line that explains a worker's failure. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "reports/archive_pool.h"

static void formats_is(const char *list, const char *want)
{
	char *f = archive_pool_formats(list, "md,html");
	assert_string_equal(f, want);
	free(f);
}

static void test_formats(void **state)
{
	(void)state;
	formats_is(NULL, "json,md,html");
	formats_is("md", "json,md");
	formats_is("json", "json");
	formats_is("html,json,csv", "json,html,csv");
	formats_is("", "json");
	formats_is("md,", "json,md");
}

static void line_is(const char *text, const char *want)
{
	char *l = archive_pool_error_line(text);
	if (!want) {
		assert_null(l);
		return;
	}
	assert_non_null(l);
	assert_string_equal(l, want);
	free(l);
}

static void test_error_line(void **state)
{
	(void)state;
	line_is("", NULL);
	line_is("\n\n", NULL);
	line_is("jtlscope: error: 'a.jtl': the file is empty\n", "'a.jtl': the file is empty");
	line_is("\nwarning: 3 records skipped\njtlscope: error: bad\nmore\n", "bad");
	line_is("a.jtl:2:1: error: short record\n", "a.jtl:2:1: error: short record");
	line_is("\nSegmentation fault\nlast", "Segmentation fault");
	line_is("no newline at the end", "no newline at the end");
	char big[1000];
	memset(big, 'x', sizeof big - 1);
	big[sizeof big - 1] = '\0';
	char *l = archive_pool_error_line(big);
	assert_int_equal(strlen(l), ARCHIVE_POOL_ERRLINE_MAX);
	free(l);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_formats),
		cmocka_unit_test(test_error_line),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
