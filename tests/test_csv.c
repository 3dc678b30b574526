/* test_csv.c - CSV JTL reader: quoting, line endings, headers, inference, bad records. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>

#include "parsers/jtl.h"

struct run {
	struct input *in;
	struct jtl_reader *r;
	struct diag d;
	char err[512];
};

static struct run *open_str(const char *text, const struct jtl_options *o)
{
	struct run *x = calloc(1, sizeof *x);
	x->in = input_open_mem(text, strlen(text), "t.csv");
	diag_init(&x->d, "t.csv");
	x->d.quiet = 1;
	x->r = jtl_open(x->in, INPUT_FMT_CSV, o, &x->d, x->err, sizeof x->err);
	assert_non_null(x->r);
	return x;
}

static void close_run(struct run *x)
{
	jtl_close(x->r);
	input_close(x->in);
	free(x);
}

static bool eq(struct strref s, const char *want)
{
	return s.p && s.n == strlen(want) && memcmp(s.p, want, s.n) == 0;
}

#define HDR "timeStamp,elapsed,label,responseCode,responseMessage,threadName,dataType,success,failureMessage,bytes,sentBytes,grpThreads,allThreads,URL,Latency,IdleTime,Connect\n"

static void test_basic(void **st)
{
	(void)st;
	struct run *x = open_str(HDR
		"1700000000000,12,Login,200,OK,TG 1-1,text,true,,100,50,1,2,http://a.example/x,10,0,3\n"
		"1700000000100,30,Login,429,Too Many,TG 1-2,text,false,,10,50,2,2,http://a.example/x,29,0,0\n", NULL);
	struct sample s;
	assert_int_equal(jtl_next(x->r, &s), JTL_RECORD);
	assert_int_equal(s.ts_ms, 1700000000000LL);
	assert_int_equal(s.elapsed_ms, 12);
	assert_true(eq(s.label, "Login"));
	assert_true(eq(s.code, "200"));
	assert_true(s.success);
	assert_int_equal(s.bytes, 100);
	assert_int_equal(s.sent_bytes, 50);
	assert_int_equal(s.all_threads, 2);
	assert_int_equal(s.latency_ms, 10);
	assert_int_equal(s.connect_ms, 3);
	assert_true(eq(s.url, "http://a.example/x"));
	assert_int_equal(s.line, 2);
	assert_int_equal(jtl_next(x->r, &s), JTL_RECORD);
	assert_true(eq(s.code, "429"));
	assert_false(s.success);
	assert_int_equal(s.line, 3);
	assert_int_equal(jtl_next(x->r, &s), JTL_END);
	assert_int_equal(jtl_records(x->r), 2);
	close_run(x);
}

static void test_quoting(void **st)
{
	(void)st;
	struct run *x = open_str("timeStamp,elapsed,label,responseCode,responseMessage,success\r\n"
		"1,2,\"a,b\",200,\"say \"\"hi\"\"\",true\r\n"
		"3,4,\"multi\nline\nlabel\",500,\"\",false\r\n"
		"5,6,plain,200,OK,true\r\n", NULL);
	struct sample s;
	assert_int_equal(jtl_next(x->r, &s), JTL_RECORD);
	assert_true(eq(s.label, "a,b"));
	assert_true(eq(s.message, "say \"hi\""));
	assert_int_equal(jtl_next(x->r, &s), JTL_RECORD);
	assert_true(eq(s.label, "multi\nline\nlabel"));
	assert_true(eq(s.message, ""));
	assert_int_equal(s.line, 3);
	assert_int_equal(jtl_next(x->r, &s), JTL_RECORD);
	assert_true(eq(s.label, "plain"));
	assert_int_equal(s.line, 6); /* the quoted newlines counted */
	assert_int_equal(jtl_next(x->r, &s), JTL_END);
	close_run(x);
}

static void test_bom_and_delims(void **st)
{
	(void)st;
	static const char *const texts[] = {
		"\xef\xbb\xbftimeStamp,elapsed,label,success\n1,2,x,true\n",
		"timeStamp\telapsed\tlabel\tsuccess\n1\t2\tx\ttrue\n",
		"timeStamp;elapsed;label;success\n1;2;x;true\n",
		"timeStamp|elapsed|label|success\n1|2|x|true\n",
	};
	for (size_t i = 0; i < 4; i++) {
		struct run *x = open_str(texts[i], NULL);
		struct sample s;
		assert_int_equal(jtl_next(x->r, &s), JTL_RECORD);
		assert_int_equal(s.ts_ms, 1);
		assert_int_equal(s.elapsed_ms, 2);
		assert_true(eq(s.label, "x"));
		assert_int_equal(jtl_next(x->r, &s), JTL_END);
		close_run(x);
	}
}

static void test_repeated_header_and_blank(void **st)
{
	(void)st;
	struct run *x = open_str("timeStamp,elapsed,label,success\n1,2,x,true\n\n"
				 "timeStamp,elapsed,label,success\n3,4,y,false\n", NULL);
	struct sample s;
	assert_int_equal(jtl_next(x->r, &s), JTL_RECORD);
	assert_int_equal(jtl_next(x->r, &s), JTL_RECORD);
	assert_true(eq(s.label, "y"));
	assert_int_equal(s.line, 5);
	assert_int_equal(jtl_next(x->r, &s), JTL_END);
	assert_int_equal(jtl_headers_repeated(x->r), 1);
	assert_int_equal(jtl_skipped(x->r), 0);
	close_run(x);
}

static void test_bad_records(void **st)
{
	(void)st;
	struct run *x = open_str("timeStamp,elapsed,label,success\n"
				 "1,2,x,true\n"
				 "zz,2,x,true\n"      /* bad timestamp */
				 "1,2,x,maybe\n"      /* bad success */
				 "1,2,x\n"            /* short */
				 "1,2,x,true\n"
				 "1,2,\"unterminated,true\n", NULL);
	struct sample s;
	assert_int_equal(jtl_next(x->r, &s), JTL_RECORD);
	assert_int_equal(jtl_next(x->r, &s), JTL_SKIPPED);
	assert_int_equal(jtl_next(x->r, &s), JTL_SKIPPED);
	assert_int_equal(jtl_next(x->r, &s), JTL_SKIPPED);
	assert_int_equal(jtl_next(x->r, &s), JTL_RECORD);
	assert_int_equal(s.line, 6);
	assert_int_equal(jtl_next(x->r, &s), JTL_SKIPPED);
	assert_int_equal(jtl_next(x->r, &s), JTL_END);
	assert_int_equal(jtl_skipped(x->r), 4);
	assert_true(jtl_truncated_tail(x->r));
	assert_int_equal(x->d.warnings, 4);
	close_run(x);
}

static void test_truncated_last_line(void **st)
{
	(void)st;
	struct run *x = open_str("timeStamp,elapsed,label,success\n1,2,x,true\n3,4,y", NULL);
	struct sample s;
	assert_int_equal(jtl_next(x->r, &s), JTL_RECORD);
	assert_int_equal(jtl_next(x->r, &s), JTL_SKIPPED);
	assert_int_equal(jtl_next(x->r, &s), JTL_END);
	assert_true(jtl_truncated_tail(x->r));
	close_run(x);
	/* a complete last line without a newline is fine */
	x = open_str("timeStamp,elapsed,label,success\n1,2,x,true", NULL);
	assert_int_equal(jtl_next(x->r, &s), JTL_RECORD);
	assert_int_equal(jtl_next(x->r, &s), JTL_END);
	assert_false(jtl_truncated_tail(x->r));
	close_run(x);
}

static void test_headerless_inference(void **st)
{
	(void)st;
	/* JMeter 2.x default columns, no header (shape of a real JiniNormal_1.csv line) */
	struct run *x = open_str("1431837337144,2955,JiniSampler,200,OK,Thread Group 1-1,bin,true,2,20,20,778\n", NULL);
	struct sample s;
	assert_int_equal(jtl_next(x->r, &s), JTL_RECORD);
	assert_int_equal(s.ts_ms, 1431837337144LL);
	assert_int_equal(s.elapsed_ms, 2955);
	assert_true(eq(s.label, "JiniSampler"));
	assert_true(eq(s.code, "200"));
	assert_true(eq(s.thread, "Thread Group 1-1"));
	assert_int_equal(s.bytes, 2);
	assert_int_equal(s.all_threads, 20);
	assert_int_equal(s.latency_ms, 778);
	close_run(x);
	/* no timestamp column at all: label,code,thread,dataType,success */
	x = open_str("GET_NO_PARAMETERS,200,TG 1-1,text,true\n", NULL);
	assert_int_equal(jtl_next(x->r, &s), JTL_RECORD);
	assert_false(s.has & SH_TS);
	assert_true(eq(s.label, "GET_NO_PARAMETERS"));
	assert_true(eq(s.code, "200"));
	assert_true(s.success);
	close_run(x);
}

static void test_columns_option(void **st)
{
	(void)st;
	struct jtl_options o = { .columns = "timeStamp,elapsed,label,responseCode,success" };
	struct run *x = open_str("5,6,lbl,503,false\n", &o);
	struct sample s;
	assert_int_equal(jtl_next(x->r, &s), JTL_RECORD);
	assert_int_equal(s.ts_ms, 5);
	assert_true(eq(s.code, "503"));
	close_run(x);
}

static void test_timestamps(void **st)
{
	(void)st;
	int64_t ms;
	assert_true(jtl_parse_timestamp("1700000000123", 13, NULL, 0, &ms));
	assert_int_equal(ms, 1700000000123LL);
	assert_true(jtl_parse_timestamp("2023/11/14 22:13:20.123", 23, NULL, 0, &ms));
	assert_int_equal(ms, 1700000000123LL);
	assert_true(jtl_parse_timestamp("2023-11-14 22:13:20,123", 23, NULL, 0, &ms));
	assert_int_equal(ms, 1700000000123LL);
	assert_true(jtl_parse_timestamp("2023-11-15 06:13:20.123", 23, NULL, 8 * 60, &ms));
	assert_int_equal(ms, 1700000000123LL);
	assert_true(jtl_parse_timestamp("2023-11-14T22:13:20.123Z", 24, NULL, 120, &ms));
	assert_int_equal(ms, 1700000000123LL);
	assert_true(jtl_parse_timestamp("14.11.2023 22:13:20", 19, "dd.MM.yyyy HH:mm:ss", 0, &ms));
	assert_int_equal(ms, 1700000000000LL);
	assert_true(jtl_parse_timestamp("2023-11-14 at 10:13:20 PM", 25, "yyyy-MM-dd 'at' hh:mm:ss a", 0, &ms));
	assert_int_equal(ms, 1700000000000LL);
	assert_false(jtl_parse_timestamp("2011-21-21 14:15:25.321", 23, NULL, 0, &ms)); /* month 21 */
	assert_false(jtl_parse_timestamp("9999-99-99", 10, NULL, 0, &ms));
	assert_false(jtl_parse_timestamp("", 0, NULL, 0, &ms));
	assert_true(jtl_parse_timestamp("9999-12-31 23:59:59", 19, NULL, 0, &ms)); /* year 9999 ok */
}

static void test_tz_names(void **st)
{
	(void)st;
	int64_t ms;
	setenv("TZ", "America/New_York", 1);
	tzset();
	/* winter: UTC-5; summer: UTC-4 (daylight saving follows the zone's rules) */
	assert_true(jtl_parse_timestamp("2023-01-15 07:00:00", 19, NULL, JTL_TZ_LOCAL, &ms));
	assert_int_equal(ms, 1673784000000LL);
	assert_true(jtl_parse_timestamp("2023-07-15 08:00:00", 19, NULL, JTL_TZ_LOCAL, &ms));
	assert_int_equal(ms, 1689422400000LL);
	setenv("TZ", "Asia/Singapore", 1);
	tzset();
	assert_true(jtl_parse_timestamp("2023/11/15 06:13:20.123", 23, NULL, JTL_TZ_LOCAL, &ms));
	assert_int_equal(ms, 1700000000123LL);
	unsetenv("TZ");
	tzset();
}

static void test_cr_only(void **st)
{
	(void)st;
	struct run *x = open_str("timeStamp,elapsed,label,success\r1,2,x,true\r3,4,y,true\r", NULL);
	struct sample s;
	assert_int_equal(jtl_next(x->r, &s), JTL_RECORD);
	assert_int_equal(jtl_next(x->r, &s), JTL_RECORD);
	assert_true(eq(s.label, "y"));
	assert_int_equal(s.line, 3);
	assert_int_equal(jtl_next(x->r, &s), JTL_END);
	close_run(x);
}

static void test_large_record_across_buffers(void **st)
{
	(void)st;
	/* a 10 MB label forces the buffer to grow; the records around it stay intact */
	size_t big = 10u << 20;
	char *t = malloc(big + 200);
	size_t n = (size_t)sprintf(t, "timeStamp,elapsed,label,success\n1,2,a,true\n3,4,\"");
	memset(t + n, 'x', big);
	n += big;
	n += (size_t)sprintf(t + n, "\",true\n5,6,c,true\n");
	struct run *x = calloc(1, sizeof *x);
	x->in = input_open_mem(t, n, "big.csv");
	diag_init(&x->d, "big.csv");
	x->r = jtl_open(x->in, INPUT_FMT_CSV, NULL, &x->d, x->err, sizeof x->err);
	struct sample s;
	assert_int_equal(jtl_next(x->r, &s), JTL_RECORD);
	assert_int_equal(jtl_next(x->r, &s), JTL_RECORD);
	assert_int_equal(s.label.n, big);
	assert_int_equal(jtl_next(x->r, &s), JTL_RECORD);
	assert_true(eq(s.label, "c"));
	assert_int_equal(jtl_next(x->r, &s), JTL_END);
	close_run(x);
	free(t);
}

/* dd.MM.yyyy HH:mm:ss stamps (a German locale's timestamp_format): the pattern is found from
 * the values at the first stamp no built-in form reads, and used for every record. */
static void test_ts_detect(void **st)
{
	(void)st;
	struct jtl_options o = { 0 };
	struct run *x = open_str("timeStamp;elapsed;label;success\n"
				 "14.11.2023 22:13:20;5;a;true\n"
				 "14.11.2023 22:13:21;6;b;true\n"
				 "1700000002000;7;c;true\n", &o);
	struct sample s;
	assert_int_equal(jtl_next(x->r, &s), JTL_RECORD);
	assert_int_equal(s.ts_ms, 1700000000000LL);
	assert_int_equal(jtl_next(x->r, &s), JTL_RECORD);
	assert_int_equal(s.ts_ms, 1700000001000LL);
	assert_int_equal(jtl_next(x->r, &s), JTL_RECORD);  /* epoch ms still read */
	assert_int_equal(s.ts_ms, 1700000002000LL);
	assert_int_equal(jtl_next(x->r, &s), JTL_END);
	assert_null(jtl_hint(x->r));
	assert_int_equal(x->d.warnings, 1);   /* said once */
	close_run(x);

	/* a repeated header line (appended runs) does not spoil the detection */
	x = open_str("timeStamp;elapsed;label;success\n"
		     "14.11.2023 22:13:20;5;a;true\n"
		     "timeStamp;elapsed;label;success\n"
		     "14.11.2023 22:13:21;6;b;true\n", &o);
	assert_int_equal(jtl_next(x->r, &s), JTL_RECORD);
	assert_int_equal(s.ts_ms, 1700000000000LL);
	assert_int_equal(jtl_next(x->r, &s), JTL_RECORD);
	assert_int_equal(s.ts_ms, 1700000001000LL);
	assert_int_equal(jtl_next(x->r, &s), JTL_END);
	close_run(x);

	/* header-less: the locale stamp still marks the timeStamp column for the inference */
	x = open_str("14.11.2023 22:13:20;5;Home;200;OK;T 1-1;text;true;;100\n"
		     "14.11.2023 22:13:21;6;Home;200;OK;T 1-1;text;true;;100\n", &o);
	assert_int_equal(jtl_next(x->r, &s), JTL_RECORD);
	assert_int_equal(s.ts_ms, 1700000000000LL);
	assert_true(eq(s.label, "Home"));
	assert_int_equal(s.elapsed_ms, 5);
	close_run(x);

	/* a later day above 12 settles dd/MM against MM/dd */
	x = open_str("timeStamp,elapsed,label,success\n"
		     "01/03/2023 10:00:00,5,a,true\n"
		     "25/03/2023 10:00:00,5,a,true\n", &o);
	assert_int_equal(jtl_next(x->r, &s), JTL_RECORD);
	assert_int_equal(s.ts_ms, 1677664800000LL);   /* 2023-03-01 10:00 UTC */
	close_run(x);

	/* days and months all <= 12: nobody guesses; the hint names both and the option */
	x = open_str("timeStamp,elapsed,label,success\n"
		     "01/03/2023 10:00:00,5,a,true\n"
		     "02/03/2023 10:00:00,5,a,true\n", &o);
	assert_int_equal(jtl_next(x->r, &s), JTL_SKIPPED);
	assert_int_equal(jtl_next(x->r, &s), JTL_SKIPPED);
	assert_int_equal(jtl_next(x->r, &s), JTL_END);
	assert_non_null(jtl_hint(x->r));
	assert_non_null(strstr(jtl_hint(x->r), "'dd/MM/yyyy HH:mm:ss' or 'MM/dd/yyyy HH:mm:ss'"));
	assert_non_null(strstr(jtl_hint(x->r), "--timestamp-format"));
	uint64_t line;
	assert_string_equal(jtl_first_skip(x->r, &line), "bad timeStamp '01/03/2023 10:00:00'");
	assert_int_equal(line, 2);
	close_run(x);

	/* --timestamp-format given: no detection */
	o.ts_format = "MM/dd/yyyy HH:mm:ss";
	x = open_str("timeStamp,elapsed,label,success\n01/03/2023 10:00:00,5,a,true\n", &o);
	assert_int_equal(jtl_next(x->r, &s), JTL_RECORD);
	assert_int_equal(s.ts_ms, 1672740000000LL);   /* 2023-01-03 10:00 UTC */
	close_run(x);

	/* a value no pattern reads: the hint asks for --timestamp-format */
	x = open_str("timeStamp,elapsed,label,success\nyesterday noon,5,a,true\n", NULL);
	assert_int_equal(jtl_next(x->r, &s), JTL_SKIPPED);
	assert_non_null(strstr(jtl_hint(x->r), "give their pattern with --timestamp-format"));
	close_run(x);
}

/* A first line that is neither a JMeter header nor a record ends the file with one message. */
/* The reader hashes label and thread for the analysis (sample.label_hash / thread_hash): the
 * hash must be hash_bytes() of the very bytes, also for a quoted label with a doubled quote and
 * a line break, and 0 for a column the file does not have. */
static void test_field_hashes(void **st)
{
	(void)st;
	struct run *x = open_str(HDR
		"1700000000000,12,\"Log \"\"in\"\"\r\nnow\",200,OK,TG 1-1,text,true,,100,50,1,2,http://a.example/x,10,0,3\r\n"
		"1700000000100,30,,429,Too Many,TG 1-2,text,false,,10,50,2,2,http://a.example/x,29,0,0\n", NULL);
	struct sample s;
	assert_int_equal(jtl_next(x->r, &s), JTL_RECORD);
	assert_true(eq(s.label, "Log \"in\"\r\nnow"));
	assert_true(s.label_hash == hash_bytes(s.label.p, s.label.n));
	assert_true(s.thread_hash == hash_bytes("TG 1-1", 6));
	assert_int_equal(jtl_next(x->r, &s), JTL_RECORD);
	assert_non_null(s.label.p);
	assert_true(s.label_hash == hash_bytes("", 0));
	assert_true(s.thread_hash == hash_bytes("TG 1-2", 6));
	assert_int_equal(jtl_next(x->r, &s), JTL_END);
	close_run(x);
	x = open_str("timeStamp,elapsed,label\n1700000000000,12,L\n", NULL);
	assert_int_equal(jtl_next(x->r, &s), JTL_RECORD);
	assert_null(s.thread.p);
	assert_true(s.thread_hash == 0);
	assert_true(sample_field_hash(s.label, s.label_hash) == hash_bytes("L", 1));
	close_run(x);
}

static void test_not_jmeter(void **st)
{
	(void)st;
	struct sample s;
	struct run *x = open_str("name,value,unit\nusers,50,threads\n", NULL);
	assert_int_equal(jtl_next(x->r, &s), JTL_FATAL);
	assert_non_null(strstr(jtl_error(x->r), "this is a CSV file without JMeter columns, not a JMeter JTL"));
	close_run(x);
	x = open_str("Notes from the load test on Tuesday.\nIt went fine.\n", NULL);
	assert_int_equal(jtl_next(x->r, &s), JTL_FATAL);
	assert_non_null(strstr(jtl_error(x->r), "this is a plain text, not a JMeter JTL"));
	close_run(x);
	/* --columns: the user says what the columns are */
	struct jtl_options o = { .columns = "label,responseCode,threadName" };
	x = open_str("a,b,c\n", &o);
	assert_int_equal(jtl_next(x->r, &s), JTL_RECORD);
	close_run(x);
	/* other tools' files are refused at open, named */
	static const char k6[] = "metric_name,timestamp,metric_value\nvus,1700000000,1\n";
	struct input *in = input_open_mem(k6, sizeof k6 - 1, "k6.csv");
	struct diag d;
	diag_init(&d, "k6.csv");
	char err[300];
	assert_null(jtl_open(in, INPUT_FMT_CSV, NULL, &d, err, sizeof err));
	assert_string_equal(err, "'k6.csv': this is a k6 CSV, not a JMeter JTL");
	input_close(in);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_basic),
		cmocka_unit_test(test_quoting),
		cmocka_unit_test(test_bom_and_delims),
		cmocka_unit_test(test_repeated_header_and_blank),
		cmocka_unit_test(test_bad_records),
		cmocka_unit_test(test_truncated_last_line),
		cmocka_unit_test(test_headerless_inference),
		cmocka_unit_test(test_columns_option),
		cmocka_unit_test(test_timestamps),
		cmocka_unit_test(test_tz_names),
		cmocka_unit_test(test_cr_only),
		cmocka_unit_test(test_large_record_across_buffers),
		cmocka_unit_test(test_ts_detect),
		cmocka_unit_test(test_not_jmeter),
		cmocka_unit_test(test_field_hashes),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
