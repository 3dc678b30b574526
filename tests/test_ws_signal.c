/* test_ws_signal.c - the built-in in-band throttle signal on WebSocket messages. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "analyzer/throttle/throttle.h"

static bool ws(struct throttle *t, const char *body)
{
	struct sample s;
	sample_clear(&s);
	s.code = (struct strref){ "WS", 2 };
	s.body = (struct strref){ body, strlen(body) };
	return throttle_is_signal(t, &s);
}

static void test_ws_in_band(void **st)
{
	(void)st;
	struct throttle_config c;
	throttle_config_default(&c);
	char err[256];
	struct throttle *t = throttle_new(&c, err, sizeof err);
	assert_non_null(t);
	assert_true(ws(t, "{\"code\":429,\"message\":\"slow down\"}"));
	assert_true(ws(t, "{\"type\":\"error\", \"status\" : \"429\"}"));
	assert_true(ws(t, "{\"statusCode\": 429}"));
	assert_true(ws(t, "{\"error\":\"Too Many Requests\"}"));
	assert_true(ws(t, "{\"errorCode\":\"too.many.requests\"}"));
	assert_true(ws(t, "rate limit exceeded, retry in 60 s"));
	assert_true(ws(t, "{\"reason\":\"RATE_LIMITED\"}"));
	/* ordinary chat text and other numbers are not throttling */
	assert_false(ws(t, "{\"text\":\"I got throttled at work today\"}"));
	assert_false(ws(t, "{\"code\":4290}"));
	assert_false(ws(t, "{\"count\":429}"));
	assert_false(ws(t, "{\"code\":200,\"text\":\"429 cats\"}"));
	/* the same text in an HTTP body is not matched by the built-in pattern */
	struct sample s;
	sample_clear(&s);
	s.code = (struct strref){ "200", 3 };
	s.body = (struct strref){ "{\"code\":429}", 12 };
	assert_false(throttle_is_signal(t, &s));
	throttle_free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ws_in_band),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
