/* test_util.c - common/util.h: range-checked number parsing (parse_i64, parse_double: junk,
 * blanks, signs, overflow, limits) and the strbuf invariants its header states. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "common/util.h"

static bool i64(const char *s, int64_t min, int64_t max, int64_t *v)
{
	return parse_i64(s, strlen(s), min, max, v);
}

static void test_parse_i64(void **st)
{
	(void)st;
	int64_t v = 7;
	assert_true(i64("0", 0, 10, &v));
	assert_int_equal(v, 0);
	assert_true(i64("42", 0, 100, &v));
	assert_int_equal(v, 42);
	assert_true(i64("-5", -10, 10, &v));
	assert_int_equal(v, -5);
	assert_true(i64("+5", 0, 10, &v));
	assert_int_equal(v, 5);
	assert_true(i64("9223372036854775807", INT64_MIN, INT64_MAX, &v));
	assert_true(v == INT64_MAX);
	assert_true(i64("-9223372036854775808", INT64_MIN, INT64_MAX, &v));
	assert_true(v == INT64_MIN);
	v = 7;
	/* overflow, junk, blanks, empty, a lone sign, out of range: refused, *out untouched */
	assert_false(i64("9223372036854775808", INT64_MIN, INT64_MAX, &v));
	assert_false(i64("-9223372036854775809", INT64_MIN, INT64_MAX, &v));
	assert_false(i64("99999999999999999999999", INT64_MIN, INT64_MAX, &v));
	assert_false(i64("12x", 0, 100, &v));
	assert_false(i64(" 12", 0, 100, &v));
	assert_false(i64("12 ", 0, 100, &v));
	assert_false(i64("", 0, 100, &v));
	assert_false(i64("-", -10, 10, &v));
	assert_false(i64("+", 0, 10, &v));
	assert_false(i64("1.0", 0, 10, &v));
	assert_false(i64("0x10", 0, 100, &v));
	assert_false(i64("-1", 0, 10, &v));   /* min >= 0: no negative values */
	assert_false(i64("11", 0, 10, &v));
	assert_int_equal(v, 7);
	/* (ptr, len): the bytes after len are not read */
	assert_true(parse_i64("123456", 3, 0, 1000, &v));
	assert_int_equal(v, 123);
	assert_false(parse_i64(NULL, 0, 0, 10, &v));
}

static bool dbl(const char *s, double min, double max, double *v)
{
	return parse_double(s, strlen(s), min, max, v);
}

static void test_parse_double(void **st)
{
	(void)st;
	double v = -1;
	assert_true(dbl("12", 0, 100, &v));
	assert_true(v == 12.0);
	assert_true(dbl("0.5", 0, 1, &v));
	assert_true(v == 0.5);
	assert_true(dbl(".5", 0, 1, &v));
	assert_true(v == 0.5);
	assert_true(dbl("5.", 0, 10, &v));
	assert_true(v == 5.0);
	assert_true(dbl("-2.5", -10, 10, &v));
	assert_true(v == -2.5);
	v = -1;
	assert_false(dbl("1e3", 0, 1e9, &v));    /* no exponent */
	assert_false(dbl("inf", 0, INFINITY, &v));
	assert_false(dbl("nan", 0, 1, &v));
	assert_false(dbl("0x1p3", 0, 100, &v));
	assert_false(dbl("1.2.3", 0, 100, &v));
	assert_false(dbl(".", 0, 1, &v));
	assert_false(dbl("", 0, 1, &v));
	assert_false(dbl(" 1", 0, 10, &v));
	assert_false(dbl("1 ", 0, 10, &v));
	assert_false(dbl("-1", 0, 10, &v));      /* below min */
	assert_false(dbl("10.5", 0, 10, &v));    /* above max */
	char big[80];
	memset(big, '1', sizeof big - 1);
	big[sizeof big - 1] = '\0';
	assert_false(dbl(big, 0, INFINITY, &v));  /* longer than 64 bytes */
	assert_true(v == -1);
	assert_true(parse_double("2.75xyz", 4, 0, 10, &v));
	assert_true(v == 2.75);
}

static void test_strbuf(void **st)
{
	(void)st;
	struct strbuf sb = STRBUF_INIT;
	assert_null(sb.buf);                       /* NULL until the first add */
	assert_string_equal(strbuf_cstr(&sb), "");
	strbuf_addstr(&sb, "ab");
	strbuf_addch(&sb, 'c');
	strbuf_addf(&sb, "%d", 42);
	assert_int_equal(sb.len, 5);
	assert_int_equal(sb.buf[sb.len], '\0');    /* NUL-terminated once anything was added */
	assert_string_equal(strbuf_cstr(&sb), "abc42");
	strbuf_reset(&sb);
	assert_int_equal(sb.len, 0);
	assert_string_equal(strbuf_cstr(&sb), "");
	strbuf_add(&sb, "xyz", 2);
	char *s = strbuf_detach(&sb);
	assert_string_equal(s, "xy");
	assert_null(sb.buf);
	free(s);
	s = strbuf_detach(&sb);                    /* never NULL, even when empty */
	assert_non_null(s);
	assert_string_equal(s, "");
	free(s);
	strbuf_init(&sb);
	assert_null(sb.buf);
	strbuf_release(&sb);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_i64),
		cmocka_unit_test(test_parse_double),
		cmocka_unit_test(test_strbuf),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
