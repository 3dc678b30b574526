/* test_input.c - the input stream: gzip (zlib and ISA-L paths), members, truncation, sniffing. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>
#include <cmocka.h>

#include "parsers/input.h"

static unsigned char *gz(const void *data, size_t n, size_t *out_n)
{
	z_stream zs;
	memset(&zs, 0, sizeof zs);
	assert_int_equal(deflateInit2(&zs, 6, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY), Z_OK);
	size_t cap = deflateBound(&zs, (uLong)n) + 64;
	unsigned char *o = malloc(cap);
	zs.next_in = (Bytef *)(uintptr_t)data;
	zs.avail_in = (uInt)n;
	zs.next_out = o;
	zs.avail_out = (uInt)cap;
	assert_int_equal(deflate(&zs, Z_FINISH), Z_STREAM_END);
	*out_n = cap - zs.avail_out;
	deflateEnd(&zs);
	return o;
}

static char *tmpfile_with(const void *data, size_t n)
{
	char *path = strdup("/tmp/jtlscope-test-XXXXXX");
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, data, n), (ssize_t)n);
	close(fd);
	return path;
}

/* Read everything; returns length or -1 on error. */
static ptrdiff_t slurp(struct input *in, char *buf, size_t cap)
{
	size_t got = 0;
	for (;;) {
		ptrdiff_t r = input_read(in, buf + got, cap - got > 777 ? 777 : cap - got);
		if (r < 0)
			return -1;
		if (r == 0)
			return (ptrdiff_t)got;
		got += (size_t)r;
	}
}

static char *make_text(size_t n)
{
	char *t = malloc(n);
	for (size_t i = 0; i < n; i++)
		t[i] = (char)('a' + (i * 7 + i / 13) % 26);
	for (size_t i = 50; i < n; i += 97)
		t[i] = '\n';
	return t;
}

static void roundtrip(bool via_file, bool no_isal)
{
	if (no_isal)
		setenv("JTLSCOPE_NO_ISAL", "1", 1);
	else
		unsetenv("JTLSCOPE_NO_ISAL");
	size_t n = 3u << 20, zn;
	char *t = make_text(n);
	unsigned char *z = gz(t, n, &zn);
	char err[256];
	char *path = NULL;
	struct input *in;
	if (via_file) {
		path = tmpfile_with(z, zn);
		in = input_open(path, err, sizeof err);
	} else {
		in = input_open_mem(z, zn, "mem.gz");
	}
	assert_non_null(in);
	assert_true(input_is_gzip(in));
	assert_int_equal(input_sniff(in), INPUT_FMT_CSV);
	char *buf = malloc(n + 10);
	assert_int_equal(slurp(in, buf, n + 10), (ptrdiff_t)n);
	assert_memory_equal(buf, t, n);
	input_close(in);
	if (path) {
		unlink(path);
		free(path);
	}
	free(buf);
	free(z);
	free(t);
}

static void test_gzip_mem(void **st) { (void)st; roundtrip(false, false); }
static void test_gzip_file(void **st) { (void)st; roundtrip(true, false); }
static void test_gzip_file_zlib(void **st) { (void)st; roundtrip(true, true); unsetenv("JTLSCOPE_NO_ISAL"); }

static void test_members(void **st)
{
	(void)st;
	size_t a, b;
	unsigned char *z1 = gz("hello ", 6, &a), *z2 = gz("world\n", 6, &b);
	unsigned char *cat = malloc(a + b);
	memcpy(cat, z1, a);
	memcpy(cat + a, z2, b);
	for (int k = 0; k < 2; k++) {
		if (k)
			setenv("JTLSCOPE_NO_ISAL", "1", 1);
		struct input *in = input_open_mem(cat, a + b, "m.gz");
		char buf[64];
		assert_int_equal(slurp(in, buf, sizeof buf), 12);
		assert_memory_equal(buf, "hello world\n", 12);
		input_close(in);
	}
	unsetenv("JTLSCOPE_NO_ISAL");
	free(z1);
	free(z2);
	free(cat);
}

static void test_truncated_gzip(void **st)
{
	(void)st;
	size_t n = 1u << 20, zn;
	char *t = make_text(n);
	unsigned char *z = gz(t, n, &zn);
	for (int k = 0; k < 2; k++) {
		if (k)
			setenv("JTLSCOPE_NO_ISAL", "1", 1);
		char *path = tmpfile_with(z, zn / 2);
		char err[256];
		struct input *in = input_open(path, err, sizeof err);
		assert_non_null(in);
		char *buf = malloc(n);
		assert_int_equal(slurp(in, buf, n), -1);
		assert_non_null(strstr(input_error(in), "truncated"));
		input_close(in);
		unlink(path);
		free(path);
		free(buf);
	}
	unsetenv("JTLSCOPE_NO_ISAL");
	free(z);
	free(t);
}

static void test_corrupt_gzip(void **st)
{
	(void)st;
	size_t zn;
	char *t = make_text(100000);
	unsigned char *z = gz(t, 100000, &zn);
	z[zn - 5] ^= 0xff; /* length/CRC trailer */
	for (int k = 0; k < 2; k++) {
		if (k)
			setenv("JTLSCOPE_NO_ISAL", "1", 1);
		struct input *in = input_open_mem(z, zn, "c.gz");
		char *buf = malloc(200000);
		assert_int_equal(slurp(in, buf, 200000), -1);
		input_close(in);
		free(buf);
	}
	unsetenv("JTLSCOPE_NO_ISAL");
	free(z);
	free(t);
}

static void test_sniff(void **st)
{
	(void)st;
	static const struct {
		const char *data;
		size_t n;
		enum input_format f;
	} cases[] = {
		{ "", 0, INPUT_FMT_EMPTY },
		{ "<?xml version=\"1.0\"?><testResults/>", 35, INPUT_FMT_XML },
		{ "\xef\xbb\xbf  <testResults>", 18, INPUT_FMT_XML },
		{ "timeStamp,elapsed\n", 18, INPUT_FMT_CSV },
		{ "\xd4\xc3\xb2\xa1\x02\x00\x04\x00", 8, INPUT_FMT_PCAP },
		{ "\x0a\x0d\x0d\x0a\x1c\x00\x00\x00", 8, INPUT_FMT_PCAPNG },
		{ "\x01\x02\x03\x00\x05\x06\x07\x08", 8, INPUT_FMT_UNKNOWN },
		{ "{\"schema\":1}", 12, INPUT_FMT_JSON },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct input *in = input_open_mem(cases[i].data, cases[i].n, "s");
		assert_int_equal(input_sniff(in), cases[i].f);
		/* peeking does not consume */
		char buf[64];
		assert_int_equal(slurp(in, buf, sizeof buf), (ptrdiff_t)cases[i].n);
		input_close(in);
	}
}

/* Other tools' outputs are named from their first lines; JMeter files never are. */
static void test_identify(void **st)
{
	(void)st;
	static const struct {
		const char *data;
		enum input_format f;
		enum input_content c;
	} cases[] = {
		{ "metric_name,timestamp,metric_value,check,error,error_code,expected_response,group,method\n"
		  "http_reqs,1700000000,1.000000,,,,true,,GET\n", INPUT_FMT_CSV, INPUT_CONTENT_K6_CSV },
		{ "{\"type\":\"Point\",\"data\":{\"time\":\"2023-11-14T22:13:20Z\",\"value\":1},\"metric\":\"vus\"}\n",
		  INPUT_FMT_JSON, INPUT_CONTENT_K6_JSON },
		{ "{\"schema\":\"jtlscope-report/1\"}\n", INPUT_FMT_JSON, INPUT_CONTENT_JTL },
		{ "RUN\tsim.Basic\tbasic\t1700000000000\t \t3.9.5\nUSER\tUsers\t1\tSTART\t1\t1\n",
		  INPUT_FMT_CSV, INPUT_CONTENT_GATLING_LOG },
		{ "\"Type\",\"Name\",\"Request Count\",\"Failure Count\"\n\"GET\",\"/\",1,0\n", INPUT_FMT_CSV,
		  INPUT_CONTENT_LOCUST_CSV },
		{ "Timestamp,User Count,Type,Name,Requests/s\n1700000000,1,GET,/,2.0\n", INPUT_FMT_CSV,
		  INPUT_CONTENT_LOCUST_CSV },
		{ "Label,# Samples,Average,Median,90% Line\nLogin,1,2,2,2\n", INPUT_FMT_CSV, INPUT_CONTENT_JMETER_TABLE },
		{ "2023-11-14 22:13:18,412 INFO o.a.j.u.JMeterUtils: Setting Locale to en_EN\n"
		  "2023-11-14 22:13:18,431 INFO o.a.j.JMeter: Loading user properties\n", INPUT_FMT_CSV,
		  INPUT_CONTENT_JMETER_LOG },
		{ "2017/01/15 10:23:45 INFO  - jmeter.util.JMeterUtils: Setting Locale to en_EN\n", INPUT_FMT_CSV,
		  INPUT_CONTENT_JMETER_LOG },
		{ "2023-11-14 22:13:18.412 WARN com.example.App: started\n", INPUT_FMT_CSV, INPUT_CONTENT_LOG },
		{ "# Title\n\ntext\n", INPUT_FMT_CSV, INPUT_CONTENT_MARKDOWN },
		{ "Title\n=====\n\ntext\n", INPUT_FMT_CSV, INPUT_CONTENT_MARKDOWN },
		{ "<?xml version=\"1.0\"?>\n<jmeterTestPlan version=\"1.2\">\n", INPUT_FMT_XML, INPUT_CONTENT_JMETER_PLAN },
		{ "<!DOCTYPE html>\n<html>\n", INPUT_FMT_XML, INPUT_CONTENT_HTML },
		/* JMeter files, with and without a header, formatted stamps with a comma included */
		{ "timeStamp,elapsed,label,responseCode,success\n1700000000000,1,a,200,true\n", INPUT_FMT_CSV,
		  INPUT_CONTENT_JTL },
		{ "1700000000000,1,a,200,OK,T 1-1,text,true,,1\n", INPUT_FMT_CSV, INPUT_CONTENT_JTL },
		{ "\"2023-11-14 22:13:18,412\",1,a,200,OK,T 1-1,text,true,,1\n", INPUT_FMT_CSV, INPUT_CONTENT_JTL },
		{ "timeStamp\telapsed\tlabel\n1700000000000\t1\tRUN\n", INPUT_FMT_CSV, INPUT_CONTENT_JTL },
		{ "<?xml version=\"1.0\"?>\n<testResults version=\"1.2\">\n", INPUT_FMT_XML, INPUT_CONTENT_JTL },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct input *in = input_open_mem(cases[i].data, strlen(cases[i].data), "s");
		assert_int_equal(input_sniff(in), cases[i].f);
		enum input_content c = input_identify(in, cases[i].f, 0);
		if (c != cases[i].c) {
			print_error("case %zu: %s, want %s\n", i, input_content_name(c), input_content_name(cases[i].c));
			fail();
		}
		char buf[512];
		assert_int_equal(slurp(in, buf, sizeof buf), (ptrdiff_t)strlen(cases[i].data));
		input_close(in);
	}
}

static void test_open_errors(void **st)
{
	(void)st;
	char err[256];
	assert_null(input_open("/nonexistent/x.jtl", err, sizeof err));
	assert_non_null(strstr(err, "cannot open '/nonexistent/x.jtl'"));
	assert_null(input_open("/tmp", err, sizeof err));
	assert_non_null(strstr(err, "Is a directory"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_gzip_mem),
		cmocka_unit_test(test_gzip_file),
		cmocka_unit_test(test_gzip_file_zlib),
		cmocka_unit_test(test_members),
		cmocka_unit_test(test_truncated_gzip),
		cmocka_unit_test(test_corrupt_gzip),
		cmocka_unit_test(test_sniff),
		cmocka_unit_test(test_identify),
		cmocka_unit_test(test_open_errors),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
