/* test_capture_tls_real.c - exchanges rebuilt from encrypted TLS records on a real JMeter 2.13
 * HTTPS run (tests/data/tls/jmeter-https.*, made by tests/capture/tls/make_fixtures.sh against
 * nginx on loopback; counts in jmeter-https.tshark.txt), and the join of its JTL to them by
 * timing and connection.  Run from the repository root (or set JTLSCOPE_TLS_DATA). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "analyzer/join.h"
#include "common/diag.h"
#include "parsers/capture/capture.h"
#include "parsers/input.h"
#include "parsers/jtl.h"

static const char *dir(void)
{
	const char *d = getenv("JTLSCOPE_TLS_DATA");
	return d ? d : "tests/data/tls";
}

static struct capture *open_cap(const char *name, struct input **in)
{
	char path[512], err[512];
	snprintf(path, sizeof path, "%s/%s", dir(), name);
	*in = input_open(path, err, sizeof err);
	assert_non_null(*in);
	struct capture *c = capture_open(*in, NULL, err, sizeof err);
	assert_non_null(c);
	return c;
}

/* One exchange per JMeter sample (400, as in the JTL and nginx's log), all answered, none on
 * h2; the Finished and close_notify records are not requests. */
static void test_record_runs(void **state)
{
	(void)state;
	struct input *in;
	struct capture *c = open_cap("jmeter-https.pcap.gz", &in);
	struct capture_event ev;
	struct sample s;
	uint64_t n = 0, answered = 0, samples = 0, conns_first = 0;
	while (capture_next(c, &ev) == CAP_EVENT) {
		if (ev.kind != CAP_EV_TLS_EXCHANGE)
			continue;
		n++;
		answered += ev.u.tlsx.answered;
		assert_false(ev.u.tlsx.h2);
		assert_int_equal(ev.u.tlsx.version, 0x0304);
		assert_true(ev.u.tlsx.req_first_ns <= ev.u.tlsx.req_last_ns);
		assert_true(ev.u.tlsx.req_last_ns <= ev.u.tlsx.resp_first_ns);
		assert_true(ev.u.tlsx.resp_first_ns <= ev.u.tlsx.resp_last_ns);
		if (ev.u.tlsx.seq == 1) {
			conns_first++;
			assert_true(ev.u.tlsx.connect_ns > 0);
		}
		assert_true(capture_event_to_sample(&ev, &s));
		samples++;
		assert_true(strref_eq(s.code, "TLS"));
		assert_true(strref_eq(s.url, "https://127.0.0.1:18500/"));
	}
	const struct capture_counters *k = capture_counters(c);
	assert_int_equal(n, 400);
	assert_int_equal(answered, 400);
	assert_int_equal(samples, 400);
	assert_int_equal(conns_first, 10);
	assert_int_equal(k->tls_exchanges, 400);
	assert_int_equal(k->tls_encrypted, 10);
	assert_int_equal(k->tls_close_alerts, 10);
	/* tshark: 420 type-23 records to the server = 400 requests + 10 Finished + 10 alerts */
	assert_int_equal(k->tls_appdata_records, 830);
	/* two size classes: the 200 page and the 429 page */
	unsigned it = 0, classes = 0;
	uint64_t lo, hi, cnt, total = 0;
	while (capture_tls_size_next(c, &it, &lo, &hi, &cnt)) {
		classes++;
		total += cnt;
	}
	assert_int_equal(classes, 2);
	assert_int_equal(total, 400);
	capture_close(c);
	input_close(in);
}

/* The JTL joined to the encrypted exchanges: every sample matched, and each status code maps
 * to one response size (so the matches are the right exchanges, not merely close ones). */
static void test_join(void **state)
{
	(void)state;
	struct input *cin;
	struct capture *c = open_cap("jmeter-https.pcap.gz", &cin);
	char path[512], err[512];
	snprintf(path, sizeof path, "%s/jmeter-https.csv.gz", dir());
	struct input *jin = input_open(path, err, sizeof err);
	assert_non_null(jin);
	struct jtl_options o = { 0 };
	struct jtl_reader *r = jtl_open(jin, input_sniff(jin), &o, NULL, err, sizeof err);
	assert_non_null(r);
	struct join j;
	join_init(&j, c);
	struct sample s;
	uint64_t size200 = 0, size429 = 0, bad = 0, n = 0;
	while (jtl_next(r, &s) == JTL_RECORD) {
		struct join_match m;
		n++;
		if (!join_sample(&j, &s, &m))
			continue;
		assert_true(m.tls);
		uint64_t *slot = strref_eq(s.code, "200") ? &size200 : strref_eq(s.code, "429") ? &size429 : NULL;
		assert_non_null(slot);
		if (!*slot)
			*slot = m.resp_bytes;
		else if (*slot != m.resp_bytes)
			bad++;
	}
	assert_true(join_finish(&j));
	assert_int_equal(n, 400);
	assert_true(j.matched * 100 >= 95 * n);
	assert_int_equal(j.matched, 400);
	assert_int_equal(j.matched_tls, j.matched);
	assert_int_equal(bad, 0);
	assert_true(size200 != size429 && size200 && size429);
	join_free(&j);
	jtl_close(r);
	input_close(jin);
	capture_close(c);
	input_close(cin);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_record_runs),
		cmocka_unit_test(test_join),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
