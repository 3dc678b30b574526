/* test_region.c - region mapping: built-in host table, cloud region tokens, map files (rules,
 * precedence, errors with line numbers), URL host parsing and grouping keys. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "analyzer/region.h"

static const char *lookup(struct region_map *m, const char *key, bool is_host,
			  struct strbuf *sb)
{
	if (!region_map_lookup(m, key, strlen(key), is_host, sb))
		return NULL;
	return strbuf_cstr(sb);
}

static void test_builtin_hosts(void **state)
{
	(void)state;
	static const struct {
		const char *host, *region;
	} cases[] = {
		{ "api.mypurecloud.com", "us-east-1" },
		{ "login.mypurecloud.com", "us-east-1" },
		{ "apps.mypurecloud.com", "us-east-1" },
		{ "api.use2.us-gov-pure.cloud", "us-east-2" },
		{ "api.usw2.pure.cloud", "us-west-2" },
		{ "api.cac1.pure.cloud", "ca-central-1" },
		{ "api.mypurecloud.ie", "eu-west-1" },
		{ "api.euw2.pure.cloud", "eu-west-2" },
		{ "api.mypurecloud.de", "eu-central-1" },
		{ "api.euc2.pure.cloud", "eu-central-2" },
		{ "api.apne2.pure.cloud", "ap-northeast-2" },
		{ "api.mypurecloud.jp", "ap-northeast-1" },
		{ "api.apne3.pure.cloud", "ap-northeast-3" },
		{ "api.apse1.pure.cloud", "ap-southeast-1" },
		{ "login.apse1.pure.cloud", "ap-southeast-1" },
		{ "api.mypurecloud.com.au", "ap-southeast-2" },
		{ "login.mypurecloud.com.au", "ap-southeast-2" },
		{ "api.aps1.pure.cloud", "ap-south-1" },
		{ "api.sae1.pure.cloud", "sa-east-1" },
		{ "api.mec1.pure.cloud", "me-central-1" },
		{ "api.mxc1.pure.cloud", "mx-central-1" },
		{ "API.MyPureCloud.COM", "us-east-1" },
		{ "api.mypurecloud.com.", "us-east-1" },
		{ "mypurecloud.com", "us-east-1" },
	};
	for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
		const char *r = region_builtin_host(cases[i].host, strlen(cases[i].host));
		if (!r || strcmp(r, cases[i].region) != 0)
			fail_msg("%s -> %s, want %s", cases[i].host, r ? r : "(none)",
				 cases[i].region);
	}
	/* suffixes must end at a label boundary */
	assert_null(region_builtin_host("api.mypurecloud.com.evil.example", 32));
	assert_null(region_builtin_host("notmypurecloud.com", 18));
	assert_null(region_builtin_host("api.example.com", 15));
}

static void test_cloud_tokens(void **state)
{
	(void)state;
	char buf[32];
	static const struct {
		const char *s, *tok;
	} yes[] = {
		{ "abc123.execute-api.ap-southeast-1.amazonaws.com", "ap-southeast-1" },
		{ "my-eu-west-2-service.internal", "eu-west-2" },
		{ "s3.us-gov-west-1.amazonaws.com", "us-gov-west-1" },
		{ "AP-NORTHEAST-3.example", "ap-northeast-3" },
		{ "run-europe-west4.example.dev", "europe-west4" },
		{ "ap-southeast-1", "ap-southeast-1" },
		{ "send message ap-south-1", "ap-south-1" },
	};
	for (size_t i = 0; i < ARRAY_LEN(yes); i++) {
		if (!region_cloud_token(yes[i].s, strlen(yes[i].s), buf, sizeof buf) ||
		    strcmp(buf, yes[i].tok) != 0)
			fail_msg("%s: no token %s", yes[i].s, yes[i].tok);
	}
	static const char *const no[] = {
		"ap-southeast-1a.example", /* an availability zone, not a region token */
		"xap-southeast-1.example", "ap-southeast.example", "eu-west-123.example",
		"api.example.com", "",
	};
	for (size_t i = 0; i < ARRAY_LEN(no); i++)
		assert_false(region_cloud_token(no[i], strlen(no[i]), buf, sizeof buf));
}

static void test_map_rules_and_precedence(void **state)
{
	(void)state;
	static const char map[] =
		"# comment\n"
		"\n"
		"   ^api\\.ap-southeast-1\\.jtlscope\\.test$   ap-southeast-1\r\n"
		"^127\\.0\\.0\\.2$ us-east-1\n"
		"^api\\.mypurecloud\\.com$ tenant-a-us\n"   /* overrides the built-in table */
		"Thread Group [AB] group-ab\n"              /* spaces inside a pattern */
		"\t# indented comment\n";
	struct region_map *m = region_map_new();
	char err[256];
	assert_true(region_map_load_mem(m, "map.txt", map, sizeof map - 1, err, sizeof err));
	assert_int_equal(region_map_rules(m), 4);
	struct strbuf sb = STRBUF_INIT;
	assert_string_equal(lookup(m, "api.ap-southeast-1.jtlscope.test", true, &sb),
			    "ap-southeast-1");
	assert_string_equal(lookup(m, "API.AP-SOUTHEAST-1.JTLSCOPE.TEST", true, &sb),
			    "ap-southeast-1"); /* caseless */
	assert_string_equal(lookup(m, "127.0.0.2", true, &sb), "us-east-1");
	assert_string_equal(lookup(m, "api.mypurecloud.com", true, &sb), "tenant-a-us");
	assert_string_equal(lookup(m, "login.mypurecloud.com", true, &sb), "us-east-1");
	assert_string_equal(lookup(m, "Thread Group B", false, &sb), "group-ab");
	/* the built-in host table is for hosts only; tokens apply to any key */
	assert_null(lookup(m, "api.mypurecloud.de", false, &sb));
	assert_string_equal(lookup(m, "users in eu-central-1", false, &sb), "eu-central-1");
	assert_null(lookup(m, "127.0.0.3", true, &sb));
	strbuf_release(&sb);
	region_map_free(m);
}

static void expect_error(const char *text, const char *want)
{
	struct region_map *m = region_map_new();
	char err[256] = "";
	assert_false(region_map_load_mem(m, "bad.map", text, strlen(text), err, sizeof err));
	if (!strstr(err, want))
		fail_msg("error '%s' lacks '%s'", err, want);
	region_map_free(m);
}

static void test_map_errors(void **state)
{
	(void)state;
	expect_error("# ok\nonlyoneword\n", "bad.map:2: error: expected 'PATTERN REGION'");
	expect_error("a b\n\n(unclosed region\n", "bad.map:3:");
	expect_error("a b\n\n(unclosed region\n", "error: bad pattern");
	expect_error("  x(?<bad region\n", "bad.map:1:");
	char longname[200];
	memset(longname, 'r', sizeof longname - 1);
	longname[sizeof longname - 1] = '\0';
	char line[300];
	snprintf(line, sizeof line, "^a$ %s\n", longname);
	expect_error(line, "bad.map:1: error: region name longer than");
	char *big = malloc(REGION_MAX_LINE + 100);
	memset(big, 'a', REGION_MAX_LINE + 50);
	memcpy(big + REGION_MAX_LINE + 50, " r\n", 4);
	expect_error(big, "bad.map:1: error: line longer than");
	free(big);
	static const char nul[] = "a b\nc\0d e\n";
	struct region_map *m = region_map_new();
	char err[256];
	assert_false(region_map_load_mem(m, "nul.map", nul, sizeof nul - 1, err, sizeof err));
	assert_non_null(strstr(err, "nul.map:2: error: NUL byte"));
	region_map_free(m);
}

static void test_map_file(void **state)
{
	(void)state;
	char path[] = "/tmp/jtlscope-region-XXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	static const char text[] = "^edge\\. eu-edge\n^core\\. core\n";
	assert_int_equal(write(fd, text, sizeof text - 1), (ssize_t)(sizeof text - 1));
	close(fd);
	struct region_map *m = region_map_new();
	char err[256];
	assert_true(region_map_load(m, path, err, sizeof err));
	struct strbuf sb = STRBUF_INIT;
	assert_string_equal(lookup(m, "edge.example", true, &sb), "eu-edge");
	strbuf_release(&sb);
	region_map_free(m);
	unlink(path);
	m = region_map_new();
	assert_false(region_map_load(m, path, err, sizeof err));
	assert_non_null(strstr(err, "cannot open"));
	region_map_free(m);
}

static void test_url_host(void **state)
{
	(void)state;
	static const struct {
		const char *url, *host;
	} cases[] = {
		{ "https://api.mypurecloud.com/api/v2/x", "api.mypurecloud.com" },
		{ "http://user:pw@host.example:8080/p?q=1", "host.example" },
		{ "wss://ws.example:443", "ws.example" },
		{ "http://[2001:db8::1]:8080/x", "2001:db8::1" },
		{ "http://127.0.0.1:18080/api", "127.0.0.1" },
		{ "https://h.example?x=@y", "h.example" },
	};
	for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
		struct strref h;
		assert_true(region_url_host(cases[i].url, strlen(cases[i].url), &h));
		if (h.n != strlen(cases[i].host) || memcmp(h.p, cases[i].host, h.n) != 0)
			fail_msg("%s -> %.*s", cases[i].url, (int)h.n, h.p);
	}
	struct strref h;
	assert_false(region_url_host("/relative/path", 14, &h));
	assert_false(region_url_host("http://", 7, &h));
	assert_false(region_url_host("http://[::1", 11, &h));
}

static void test_keys(void **state)
{
	(void)state;
	struct sample s;
	sample_clear(&s);
	s.url = (struct strref){ "https://API.Example.test:8443/x", 31 };
	s.req_host = (struct strref){ "other.test:80", 13 };
	s.hostname = (struct strref){ "loadgen-1", 9 };
	s.thread = (struct strref){ "ap-southeast-1 users 1-36", 25 };
	s.label = (struct strref){ "POST /api/v1/messages", 21 };
	struct strbuf k = STRBUF_INIT;
	region_key(REGION_BY_URL_HOST, &s, &k);
	assert_string_equal(strbuf_cstr(&k), "api.example.test");
	s.url = STRREF_NULL;
	region_key(REGION_BY_URL_HOST, &s, &k);
	assert_string_equal(strbuf_cstr(&k), "other.test");
	s.req_host = (struct strref){ "[::1]:80", 8 };
	region_key(REGION_BY_URL_HOST, &s, &k);
	assert_string_equal(strbuf_cstr(&k), "::1");
	s.req_host = STRREF_NULL;
	region_key(REGION_BY_URL_HOST, &s, &k);
	assert_int_equal(k.len, 0);
	region_key(REGION_BY_HOSTNAME, &s, &k);
	assert_string_equal(strbuf_cstr(&k), "loadgen-1");
	region_key(REGION_BY_THREAD_GROUP, &s, &k);
	assert_string_equal(strbuf_cstr(&k), "ap-southeast-1 users");
	region_key(REGION_BY_LABEL, &s, &k);
	assert_string_equal(strbuf_cstr(&k), "POST /api/v1/messages");
	strbuf_release(&k);

	struct strref g = region_thread_group((struct strref){ "Thread Group 1-12", 17 });
	assert_int_equal(g.n, 12);
	g = region_thread_group((struct strref){ "worker", 6 });
	assert_int_equal(g.n, 6);
	g = region_thread_group((struct strref){ "a 1-", 4 });
	assert_int_equal(g.n, 4);
	/* a name that is only " N-M" keeps its whole name (the one rule for analysis, replay,
	 * whatif and regions; a copy once gave the empty group here) */
	g = region_thread_group((struct strref){ " 1-2", 4 });
	assert_int_equal(g.n, 4);

	enum region_by by;
	assert_true(region_by_parse("thread-group", &by));
	assert_int_equal(by, REGION_BY_THREAD_GROUP);
	assert_false(region_by_parse("bogus", &by));
	assert_string_equal(region_by_name(REGION_BY_LABEL), "label");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_builtin_hosts),
		cmocka_unit_test(test_cloud_tokens),
		cmocka_unit_test(test_map_rules_and_precedence),
		cmocka_unit_test(test_map_errors),
		cmocka_unit_test(test_map_file),
		cmocka_unit_test(test_url_host),
		cmocka_unit_test(test_keys),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
