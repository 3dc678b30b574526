/* test_ratelimit.c - rate-limit header parsing (parsers/ratelimit.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <math.h>

#include "parsers/ratelimit.h"

/* 2023-11-14T22:13:20Z */
#define NOW_MS INT64_C(1700000000000)
#define EPS 1e-9

/* cmocka 1.1.5 (Debian 12) has no assert_double_equal. */
#define assert_near(a, b, eps) near_((a), (b), (eps), #a, __FILE__, __LINE__)
static void near_(double a, double b, double eps, const char *what, const char *file, int line)
{
	if (!(fabs(a - b) <= eps)) {
		print_error("%s = %.9g, expected %.9g\n", what, a, b);
		_fail(file, line);
	}
}

/* Feed one header from copies without a terminating NUL, so a read past either length is
 * caught by ASan in the sanitizer build. */
static bool hdr_now(struct ratelimit *rl, const char *name, const char *value, int64_t now_ms)
{
	size_t nl = strlen(name), vl = strlen(value);
	char *n = malloc(nl ? nl : 1), *v = malloc(vl ? vl : 1);
	memcpy(n, name, nl);
	memcpy(v, value, vl);
	bool r = ratelimit_header(rl, n, nl, v, vl, now_ms);
	free(n);
	free(v);
	return r;
}

static bool hdr(struct ratelimit *rl, const char *name, const char *value)
{
	return hdr_now(rl, name, value, NOW_MS);
}

static struct ratelimit one(const char *name, const char *value, int64_t now_ms)
{
	struct ratelimit rl;
	memset(&rl, 0, sizeof rl);
	assert_true(hdr_now(&rl, name, value, now_ms));
	return rl;
}

/* ---- HTTP-date ---- */

static void test_http_date_forms(void **state)
{
	(void)state;
	int64_t t = 0;
	assert_true(http_date_parse("Sun, 06 Nov 1994 08:49:37 GMT", 29, &t));
	assert_int_equal(t, 784111777);
	t = 0;
	assert_true(http_date_parse("Sunday, 06-Nov-94 08:49:37 GMT", 30, &t));
	assert_int_equal(t, 784111777);
	t = 0;
	assert_true(http_date_parse("Sun Nov  6 08:49:37 1994", 24, &t));
	assert_int_equal(t, 784111777);
	/* leniencies seen in the wild: one-digit day, lower case, UTC, surrounding blanks */
	assert_true(http_date_parse("Sun, 6 Nov 1994 08:49:37 GMT", 28, &t));
	assert_int_equal(t, 784111777);
	assert_true(http_date_parse(" sun, 06 nov 1994 08:49:37 utc ", 31, &t));
	assert_int_equal(t, 784111777);
	/* two-digit years pivot at 70 */
	assert_true(http_date_parse("Thursday, 01-Jan-05 00:00:00 GMT", 32, &t));
	assert_int_equal(t, 1104537600);
	assert_true(http_date_parse("Thu, 01 Jan 1970 00:00:00 GMT", 29, &t));
	assert_int_equal(t, 0);
	assert_true(http_date_parse("Thu, 29 Feb 2024 12:00:00 GMT", 29, &t));
	assert_int_equal(t, 1709208000);
}

static void test_http_date_bad(void **state)
{
	(void)state;
	static const char *const bad[] = {
		"",
		"Sun, 06 Nov 1994 08:49:37",          /* no zone */
		"Sun, 06 Nov 1994 08:49:37 CET",      /* not GMT */
		"Sun, 06 Nov 1994 08:49 GMT",          /* no seconds */
		"Sun, 31 Feb 1994 08:49:37 GMT",      /* no such day */
		"Wed, 29 Feb 2023 08:49:37 GMT",      /* not a leap year */
		"Sun, 06 Foo 1994 08:49:37 GMT",      /* month */
		"Xyz, 06 Nov 1994 08:49:37 GMT",      /* day name */
		"Sun, 06 Nov 1994 24:00:00 GMT",      /* hour */
		"Sun, 06 Nov 1994 08:60:00 GMT",      /* minute */
		"Sun, 06 Nov 94 08:49:37 GMT",        /* 2-digit year in IMF form */
		"Sunday, 06-Nov-1994 08:49:37 GMT",   /* 4-digit year in RFC 850 form */
		"Sun Nov  6 08:49:37 94",             /* asctime short year */
		"Sun, 06 Nov 1994 08:49:37 GMT junk",
		"1994-11-06T08:49:37Z",
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		int64_t t = 12345;
		if (http_date_parse(bad[i], strlen(bad[i]), &t))
			fail_msg("accepted '%s'", bad[i]);
		assert_int_equal(t, 12345);
	}
	assert_false(http_date_parse(NULL, 0, &(int64_t){ 0 }));
}

static void test_http_date_truncated(void **state)
{
	(void)state;
	/* every proper prefix of a valid date is rejected, and never read past its length */
	const char *full[] = { "Sun, 06 Nov 1994 08:49:37 GMT", "Sunday, 06-Nov-94 08:49:37 GMT",
			       "Sun Nov  6 08:49:37 1994" };
	for (size_t k = 0; k < 3; k++) {
		size_t n = strlen(full[k]);
		for (size_t i = 0; i < n; i++) {
			char *p = malloc(i ? i : 1);
			memcpy(p, full[k], i);
			int64_t t;
			if (http_date_parse(p, i, &t))
				fail_msg("accepted prefix %zu of '%s'", i, full[k]);
			free(p);
		}
	}
}

/* ---- Retry-After ---- */

static void test_retry_after_seconds(void **state)
{
	(void)state;
	struct ratelimit rl = one("Retry-After", "120", NOW_MS);
	assert_int_equal(rl.flags, RL_RETRY_AFTER);
	assert_near(rl.retry_after_s, 120.0, EPS);

	rl = one("Retry-After", "  1.5 \r", NOW_MS);
	assert_int_equal(rl.flags, RL_RETRY_AFTER);
	assert_near(rl.retry_after_s, 1.5, EPS);

	rl = one("Retry-After", "0", 0);  /* a delay needs no clock */
	assert_int_equal(rl.flags, RL_RETRY_AFTER);
	assert_near(rl.retry_after_s, 0.0, EPS);

	rl = one("Retry-After", "-5", NOW_MS);  /* clamped */
	assert_int_equal(rl.flags, RL_RETRY_AFTER);
	assert_near(rl.retry_after_s, 0.0, EPS);
}

static void test_retry_after_dates(void **state)
{
	(void)state;
	/* NOW_MS = Tue, 14 Nov 2023 22:13:20 GMT */
	struct ratelimit rl = one("Retry-After", "Tue, 14 Nov 2023 22:14:20 GMT", NOW_MS);
	assert_int_equal(rl.flags, RL_RETRY_AFTER);
	assert_near(rl.retry_after_s, 60.0, EPS);

	rl = one("Retry-After", "Tuesday, 14-Nov-23 22:13:50 GMT", NOW_MS);
	assert_near(rl.retry_after_s, 30.0, EPS);

	rl = one("Retry-After", "Tue Nov 14 22:13:21 2023", NOW_MS + 500);
	assert_near(rl.retry_after_s, 0.5, EPS);

	/* a date in the past is "now" */
	rl = one("Retry-After", "Sun, 06 Nov 1994 08:49:37 GMT", NOW_MS);
	assert_int_equal(rl.flags, RL_RETRY_AFTER);
	assert_near(rl.retry_after_s, 0.0, EPS);

	/* without the response time a date cannot become a delay */
	rl = one("Retry-After", "Tue, 14 Nov 2023 22:14:20 GMT", 0);
	assert_int_equal(rl.flags, 0);
}

static void test_retry_after_bad(void **state)
{
	(void)state;
	static const char *const bad[] = { "", "soon", "12s", "1e3", "0x10", "1,5", "Tue, 14 Nov 2023",
					   "Tue, 14 Nov 2023 22:14:20 GMT+1", "--1", "1..2" };
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		struct ratelimit rl = one("Retry-After", bad[i], NOW_MS);
		if (rl.flags)
			fail_msg("accepted Retry-After '%s'", bad[i]);
	}
}

/* ---- RateLimit-* / X-RateLimit-* ---- */

static void test_limit_remaining(void **state)
{
	(void)state;
	struct ratelimit rl;
	memset(&rl, 0, sizeof rl);
	assert_true(hdr(&rl, "RateLimit-Limit", "100"));
	assert_true(hdr(&rl, "RateLimit-Remaining", "7"));
	assert_int_equal(rl.flags, RL_LIMIT | RL_REMAINING);
	assert_int_equal(rl.limit, 100);
	assert_int_equal(rl.remaining, 7);

	memset(&rl, 0, sizeof rl);
	assert_true(hdr(&rl, "X-RateLimit-Limit", "100, 100;w=60"));
	assert_int_equal(rl.flags, RL_LIMIT | RL_WINDOW);
	assert_int_equal(rl.limit, 100);
	assert_near(rl.window_s, 60.0, EPS);

	memset(&rl, 0, sizeof rl);
	assert_true(hdr(&rl, "x-ratelimit-limit", "10, 10;w=1, 1000;w=3600"));
	assert_int_equal(rl.limit, 10);
	assert_near(rl.window_s, 1.0, EPS);  /* the first window */

	memset(&rl, 0, sizeof rl);
	assert_true(hdr(&rl, "X-RateLimit-Remaining", "0"));
	assert_int_equal(rl.flags, RL_REMAINING);
	assert_int_equal(rl.remaining, 0);

	/* Twitter-style X-Rate-Limit-*, GitHub X-RateLimit-Used */
	memset(&rl, 0, sizeof rl);
	assert_true(hdr(&rl, "X-Rate-Limit-Limit", "900"));
	assert_true(hdr(&rl, "X-Rate-Limit-Remaining", "899"));
	assert_true(hdr(&rl, "X-RateLimit-Used", "1"));
	assert_int_equal(rl.flags, RL_LIMIT | RL_REMAINING | RL_COUNT);
	assert_int_equal(rl.count, 1);

	/* a decimal count that is a whole number */
	rl = one("RateLimit-Limit", "100.0", NOW_MS);
	assert_int_equal(rl.limit, 100);
}

static void test_limit_bad(void **state)
{
	(void)state;
	static const char *const bad[] = { "", "abc", "-1", "1.5", "100x", "x, 100", ";w=60",
					   "99999999999999999999" };
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		struct ratelimit rl = one("X-RateLimit-Limit", bad[i], NOW_MS);
		if (rl.flags & RL_LIMIT)
			fail_msg("accepted limit '%s'", bad[i]);
		rl = one("X-RateLimit-Remaining", bad[i], NOW_MS);
		if (rl.flags)
			fail_msg("accepted remaining '%s'", bad[i]);
	}
	/* the limit is fine, the window is not */
	struct ratelimit rl = one("RateLimit-Limit", "100;w=", NOW_MS);
	assert_int_equal(rl.flags, RL_LIMIT);
	rl = one("RateLimit-Limit", "100;w=-5", NOW_MS);
	assert_int_equal(rl.flags, RL_LIMIT);
	/* ";w=60" alone: no limit, but the window is real */
	rl = one("RateLimit-Limit", ";w=60", NOW_MS);
	assert_int_equal(rl.flags, RL_WINDOW);
}

static void test_reset_classification(void **state)
{
	(void)state;
	struct ratelimit rl = one("RateLimit-Reset", "30", NOW_MS);
	assert_int_equal(rl.flags, RL_RESET);
	assert_near(rl.reset_s, 30.0, EPS);

	rl = one("X-RateLimit-Reset", "0.25", 0);
	assert_int_equal(rl.flags, RL_RESET);
	assert_near(rl.reset_s, 0.25, EPS);

	/* epoch seconds (> 1e9) */
	rl = one("X-RateLimit-Reset", "1700000060", NOW_MS);
	assert_int_equal(rl.flags, RL_RESET | RL_RESET_EPOCH);
	assert_near(rl.reset_s, 60.0, EPS);

	/* epoch milliseconds (> 1e12) */
	rl = one("X-RateLimit-Reset", "1700000001500", NOW_MS);
	assert_int_equal(rl.flags, RL_RESET | RL_RESET_EPOCH);
	assert_near(rl.reset_s, 1.5, EPS);

	/* epoch in the past clamps to 0 */
	rl = one("X-RateLimit-Reset", "1600000000", NOW_MS);
	assert_int_equal(rl.flags, RL_RESET | RL_RESET_EPOCH);
	assert_near(rl.reset_s, 0.0, EPS);

	/* epoch without a clock: unusable */
	rl = one("X-RateLimit-Reset", "1700000060", 0);
	assert_int_equal(rl.flags, 0);
	rl = one("X-RateLimit-Reset", "1700000001500", 0);
	assert_int_equal(rl.flags, 0);

	/* an HTTP-date reset */
	rl = one("X-RateLimit-Reset", "Tue, 14 Nov 2023 22:13:30 GMT", NOW_MS);
	assert_int_equal(rl.flags, RL_RESET | RL_RESET_EPOCH);
	assert_near(rl.reset_s, 10.0, EPS);

	/* boundary: exactly 1e9 is still a delay */
	rl = one("RateLimit-Reset", "1000000000", NOW_MS);
	assert_int_equal(rl.flags, RL_RESET);

	rl = one("RateLimit-Reset", "soon", NOW_MS);
	assert_int_equal(rl.flags, 0);
	rl = one("RateLimit-Reset", "-3", NOW_MS);
	assert_int_equal(rl.flags, RL_RESET);
	assert_near(rl.reset_s, 0.0, EPS);
}

/* ---- structured RateLimit / RateLimit-Policy ---- */

static void test_structured_dictionary(void **state)
{
	(void)state;
	struct ratelimit rl = one("RateLimit", "limit=100, remaining=50, reset=30", NOW_MS);
	assert_int_equal(rl.flags, RL_LIMIT | RL_REMAINING | RL_RESET);
	assert_int_equal(rl.limit, 100);
	assert_int_equal(rl.remaining, 50);
	assert_near(rl.reset_s, 30.0, EPS);

	rl = one("ratelimit", "REMAINING=0,reset=5", NOW_MS);
	assert_int_equal(rl.flags, RL_REMAINING | RL_RESET);
	assert_int_equal(rl.remaining, 0);

	rl = one("RateLimit", "limit=abc, remaining=50, reset=", NOW_MS);
	assert_int_equal(rl.flags, RL_REMAINING);
}

static void test_structured_items(void **state)
{
	(void)state;
	struct ratelimit rl = one("RateLimit", "\"default\";r=50;t=30", NOW_MS);
	assert_int_equal(rl.flags, RL_REMAINING | RL_RESET);
	assert_int_equal(rl.remaining, 50);
	assert_near(rl.reset_s, 30.0, EPS);

	/* only the first policy applies; quoted names may contain , ; = */
	rl = one("RateLimit", "\"a,b;c=d\";r=1;t=2, \"other\";r=99;t=99", NOW_MS);
	assert_int_equal(rl.remaining, 1);
	assert_near(rl.reset_s, 2.0, EPS);

	rl = one("RateLimit-Policy", "100;w=60", NOW_MS);
	assert_int_equal(rl.flags, RL_LIMIT | RL_WINDOW);
	assert_int_equal(rl.limit, 100);
	assert_near(rl.window_s, 60.0, EPS);

	rl = one("RateLimit-Policy", "\"default\";q=100;w=60", NOW_MS);
	assert_int_equal(rl.flags, RL_LIMIT | RL_WINDOW);
	assert_int_equal(rl.limit, 100);
	assert_near(rl.window_s, 60.0, EPS);

	rl = one("RateLimit-Policy", "10;w=1, 1000;w=3600", NOW_MS);
	assert_int_equal(rl.limit, 10);
	assert_near(rl.window_s, 1.0, EPS);

	/* truncated mid-parameter */
	rl = one("RateLimit", "\"default\";r=50;t", NOW_MS);
	assert_int_equal(rl.flags, RL_REMAINING);
	rl = one("RateLimit", "\"default\";r=", NOW_MS);
	assert_int_equal(rl.flags, 0);
	rl = one("RateLimit", "\"unterminated;r=5", NOW_MS);
	assert_int_equal(rl.flags, 0);
}

/* ---- inin, envoy, names ---- */

static void test_inin_envoy(void **state)
{
	(void)state;
	struct ratelimit rl;
	memset(&rl, 0, sizeof rl);
	assert_true(hdr(&rl, "inin-ratelimit-count", "42"));
	assert_true(hdr(&rl, "inin-ratelimit-allowed", "300"));
	assert_true(hdr(&rl, "inin-ratelimit-reset", "17"));
	assert_int_equal(rl.flags, RL_COUNT | RL_LIMIT | RL_RESET);
	assert_int_equal(rl.count, 42);
	assert_int_equal(rl.limit, 300);
	assert_near(rl.reset_s, 17.0, EPS);

	memset(&rl, 0, sizeof rl);
	assert_true(hdr(&rl, "inin-ratelimit-count", "many"));
	assert_int_equal(rl.flags, 0);

	rl = one("x-envoy-ratelimited", "true", NOW_MS);
	assert_int_equal(rl.flags, RL_ENVOY);
	rl = one("X-Envoy-RateLimited", "", NOW_MS);
	assert_int_equal(rl.flags, RL_ENVOY);
}

static void test_names(void **state)
{
	(void)state;
	struct ratelimit rl = one("RETRY-AFTER", "3", NOW_MS);
	assert_int_equal(rl.flags, RL_RETRY_AFTER);
	rl = one(" retry-after\t", "3", NOW_MS);
	assert_int_equal(rl.flags, RL_RETRY_AFTER);
	rl = one("x-RaTeLiMiT-rEsEt", "3", NOW_MS);
	assert_int_equal(rl.flags, RL_RESET);

	static const char *const other[] = { "Content-Type", "Retry", "Retry-After-Ms", "X-Retry-After",
					     "RateLimit-Limits", "xRateLimit-Limit", "", "x-", "Date",
					     "x-envoy-ratelimit" };
	for (size_t i = 0; i < sizeof other / sizeof other[0]; i++) {
		memset(&rl, 0, sizeof rl);
		if (hdr(&rl, other[i], "5"))
			fail_msg("recognised '%s'", other[i]);
		assert_int_equal(rl.flags, 0);
	}
}

static void test_truncated_values(void **state)
{
	(void)state;
	/* the lengths given are honoured even when the bytes go on */
	struct ratelimit rl;
	memset(&rl, 0, sizeof rl);
	assert_true(ratelimit_header(&rl, "Retry-After: junk", 11, "1209", 2, NOW_MS));
	assert_near(rl.retry_after_s, 12.0, EPS);

	memset(&rl, 0, sizeof rl);
	assert_true(ratelimit_header(&rl, "RateLimit-Limit", 15, "100, 100;w=60", 5, NOW_MS));
	assert_int_equal(rl.flags, RL_LIMIT);  /* "100, " */

	memset(&rl, 0, sizeof rl);
	const char *d = "Tue, 14 Nov 2023 22:14:20 GMT";
	assert_true(ratelimit_header(&rl, "Retry-After", 11, d, 16, NOW_MS));
	assert_int_equal(rl.flags, 0);

	/* a name cut before it is complete is not recognised */
	memset(&rl, 0, sizeof rl);
	assert_false(ratelimit_header(&rl, "Retry-After", 10, "5", 1, NOW_MS));
	assert_false(ratelimit_header(&rl, NULL, 0, "5", 1, NOW_MS));
	assert_true(ratelimit_header(&rl, "Retry-After", 11, NULL, 0, NOW_MS));
	assert_int_equal(rl.flags, 0);
}

/* ---- header blocks ---- */

static void block(struct ratelimit *rl, const char *text, size_t n, int64_t now_ms)
{
	char *p = malloc(n ? n : 1);
	memcpy(p, text, n);
	ratelimit_headers_block(rl, p, n, now_ms);
	free(p);
}

static void test_block(void **state)
{
	(void)state;
	const char *crlf = "HTTP/1.1 429 Too Many Requests\r\n"
			   "Content-Type: application/json\r\n"
			   "Retry-After: 60\r\n"
			   "X-RateLimit-Limit: 25\r\n"
			   "X-RateLimit-Remaining: 0\r\n"
			   "X-RateLimit-Reset: 1700000060\r\n"
			   "\r\n";
	struct ratelimit rl;
	memset(&rl, 0, sizeof rl);
	block(&rl, crlf, strlen(crlf), NOW_MS);
	assert_int_equal(rl.flags, RL_RETRY_AFTER | RL_LIMIT | RL_REMAINING | RL_RESET | RL_RESET_EPOCH);
	assert_near(rl.retry_after_s, 60.0, EPS);
	assert_int_equal(rl.limit, 25);
	assert_int_equal(rl.remaining, 0);
	assert_near(rl.reset_s, 60.0, EPS);

	/* LF only, no status line, junk lines, a folded continuation, no final newline */
	const char *lf = "garbage without colon\n"
			 "Server: x\n"
			 " folded: Retry-After: 5\n"
			 "ratelimit: limit=10, remaining=2, reset=4\n"
			 "x-envoy-ratelimited: true";
	memset(&rl, 0, sizeof rl);
	block(&rl, lf, strlen(lf), NOW_MS);
	assert_int_equal(rl.flags, RL_LIMIT | RL_REMAINING | RL_RESET | RL_ENVOY);
	assert_int_equal(rl.limit, 10);

	/* a status line with a colon in its reason is still a status line */
	const char *st = "HTTP/1.1 503 Service Unavailable: Retry-After: 9\nRetry-After: 7\n";
	memset(&rl, 0, sizeof rl);
	block(&rl, st, strlen(st), NOW_MS);
	assert_near(rl.retry_after_s, 7.0, EPS);

	/* the block ends where its length says, mid-value */
	memset(&rl, 0, sizeof rl);
	block(&rl, crlf, strlen("HTTP/1.1 429 Too Many Requests\r\nContent-Type: application/json\r\n"
				"Retry-After: 6"), NOW_MS);
	assert_int_equal(rl.flags, RL_RETRY_AFTER);
	assert_near(rl.retry_after_s, 6.0, EPS);

	/* every prefix of the block is safe */
	for (size_t i = 0; i <= strlen(crlf); i++) {
		memset(&rl, 0, sizeof rl);
		block(&rl, crlf, i, NOW_MS);
	}

	memset(&rl, 0, sizeof rl);
	ratelimit_headers_block(&rl, NULL, 0, NOW_MS);
	block(&rl, "", 0, NOW_MS);
	block(&rl, "\n\r\n:\n: 5\n", 9, NOW_MS);
	assert_int_equal(rl.flags, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_http_date_forms),
		cmocka_unit_test(test_http_date_bad),
		cmocka_unit_test(test_http_date_truncated),
		cmocka_unit_test(test_retry_after_seconds),
		cmocka_unit_test(test_retry_after_dates),
		cmocka_unit_test(test_retry_after_bad),
		cmocka_unit_test(test_limit_remaining),
		cmocka_unit_test(test_limit_bad),
		cmocka_unit_test(test_reset_classification),
		cmocka_unit_test(test_structured_dictionary),
		cmocka_unit_test(test_structured_items),
		cmocka_unit_test(test_inin_envoy),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_truncated_values),
		cmocka_unit_test(test_block),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
