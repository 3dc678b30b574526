/* test_capture_file.c - capture files through input + libpcap: pcap with µs and ns stamps,
 * pcapng (ns if_tsresol), gzip, and the one-line errors for a truncated header, garbage, an
 * unsupported link type and a file cut inside a packet record. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <stdio.h>
#include <zlib.h>

#include "parsers/input.h"
#include "tests/capture/pktbuild.h"

struct blob {
	uint8_t *p;
	size_t n, cap;
};

static void put(struct blob *b, const void *p, size_t n)
{
	if (b->n + n > b->cap) {
		b->cap = (b->n + n) * 2;
		b->p = realloc(b->p, b->cap);
	}
	memcpy(b->p + b->n, p, n);
	b->n += n;
}

static void le32(struct blob *b, uint32_t v)
{
	uint8_t x[4] = { (uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)(v >> 24) };
	put(b, x, 4);
}

static void le16(struct blob *b, unsigned v)
{
	uint8_t x[2] = { (uint8_t)v, (uint8_t)(v >> 8) };
	put(b, x, 2);
}

/* A small HTTP exchange as Ethernet frames. */
static size_t frames(uint8_t out[][256], size_t *len)
{
	struct pk_flow f;
	pk_flow_init(&f, NULL, 0);
	size_t n = 0;
	const char *req = "GET /f HTTP/1.1\r\nHost: file.test\r\n\r\n";
	const char *resp = "HTTP/1.1 503 Service Unavailable\r\nRetry-After: 5\r\nContent-Length: 0\r\n\r\n";
	len[n] = pk_build(&f, 0, 100, 0, CAP_TH_SYN, 1000, NULL, 0, out[n]), n++;
	len[n] = pk_build(&f, 1, 900, 101, CAP_TH_SYN | CAP_TH_ACK, 1000, NULL, 0, out[n]), n++;
	len[n] = pk_build(&f, 0, 101, 901, CAP_TH_ACK, 1000, req, strlen(req), out[n]), n++;
	len[n] = pk_build(&f, 1, 901, 101 + (uint32_t)strlen(req), CAP_TH_ACK, 1000, resp,
			  strlen(resp), out[n]), n++;
	return n;
}

static struct blob pcap_file(bool nano, int dlt)
{
	struct blob b = { NULL, 0, 0 };
	le32(&b, nano ? 0xa1b23c4du : 0xa1b2c3d4u);
	le16(&b, 2);
	le16(&b, 4);
	le32(&b, 0);
	le32(&b, 0);
	le32(&b, 65535);
	le32(&b, (uint32_t)dlt);
	uint8_t fr[8][256];
	size_t len[8];
	size_t n = frames(fr, len);
	for (size_t i = 0; i < n; i++) {
		le32(&b, 1700000000u);
		le32(&b, nano ? (uint32_t)(i * 1000000 + 7) : (uint32_t)(i * 1000));
		le32(&b, (uint32_t)len[i]);
		le32(&b, (uint32_t)len[i]);
		put(&b, fr[i], len[i]);
	}
	return b;
}

static void pad4(struct blob *b)
{
	while (b->n % 4)
		put(b, "", 1);
}

static struct blob pcapng_file(void)
{
	struct blob b = { NULL, 0, 0 };
	/* Section Header Block */
	le32(&b, 0x0a0d0d0a);
	le32(&b, 28);
	le32(&b, 0x1a2b3c4d);
	le16(&b, 1);
	le16(&b, 0);
	le32(&b, 0xffffffff);
	le32(&b, 0xffffffff);
	le32(&b, 28);
	/* Interface Description Block with if_tsresol = 9 (ns) */
	le32(&b, 1);
	le32(&b, 32);
	le16(&b, 1);
	le16(&b, 0);
	le32(&b, 0);
	le16(&b, 9);
	le16(&b, 1);
	put(&b, "\x09\0\0\0", 4);
	le32(&b, 0);
	le32(&b, 32);
	uint8_t fr[8][256];
	size_t len[8];
	size_t n = frames(fr, len);
	for (size_t i = 0; i < n; i++) {
		uint64_t ts = 1700000000ull * 1000000000ull + i * 1000000ull + 7;
		uint32_t total = (uint32_t)(32 + ((len[i] + 3) & ~(size_t)3));
		le32(&b, 6);
		le32(&b, total);
		le32(&b, 0);
		le32(&b, (uint32_t)(ts >> 32));
		le32(&b, (uint32_t)ts);
		le32(&b, (uint32_t)len[i]);
		le32(&b, (uint32_t)len[i]);
		put(&b, fr[i], len[i]);
		pad4(&b);
		le32(&b, total);
	}
	return b;
}

static struct blob gzip(const struct blob *in)
{
	struct blob out = { malloc(in->n + 1024), 0, in->n + 1024 };
	z_stream zs;
	memset(&zs, 0, sizeof zs);
	assert_int_equal(deflateInit2(&zs, 6, Z_DEFLATED, 31, 8, Z_DEFAULT_STRATEGY), Z_OK);
	zs.next_in = in->p;
	zs.avail_in = (uInt)in->n;
	zs.next_out = out.p;
	zs.avail_out = (uInt)out.cap;
	assert_int_equal(deflate(&zs, Z_FINISH), Z_STREAM_END);
	out.n = zs.total_out;
	deflateEnd(&zs);
	return out;
}

struct result {
	bool opened;
	char err[512];
	uint64_t exchanges, packets;
	int status;
	int64_t req_first;
	bool retry_after;
	bool truncated;
};

static struct result read_blob(const struct blob *b, const char *name)
{
	struct result r;
	memset(&r, 0, sizeof r);
	struct input *in = input_open_mem(b->p, b->n, name);
	struct diag d;
	diag_init(&d, name);
	d.quiet = 1;
	struct capture *c = capture_open(in, &d, r.err, sizeof r.err);
	if (c) {
		r.opened = true;
		struct capture_event ev;
		while (capture_next(c, &ev) == CAP_EVENT) {
			if (ev.kind == CAP_EV_HTTP) {
				r.status = ev.u.http.status;
				r.req_first = ev.u.http.req_first_ns;
				r.retry_after = ev.u.http.rl.flags & RL_RETRY_AFTER;
			}
		}
		r.exchanges = capture_counters(c)->exchanges;
		r.packets = capture_counters(c)->packets;
		r.truncated = capture_counters(c)->truncated_file;
		capture_close(c);
	}
	input_close(in);
	return r;
}

static void test_pcap_us_ns(void **state)
{
	(void)state;
	struct blob b = pcap_file(false, CAP_DLT_EN10MB);
	struct result r = read_blob(&b, "us.pcap");
	assert_true(r.opened);
	assert_int_equal(r.packets, 4);
	assert_int_equal(r.exchanges, 1);
	assert_int_equal(r.status, 503);
	assert_true(r.retry_after);
	assert_int_equal(r.req_first, 1700000000LL * 1000000000LL + 2000LL * 1000);
	free(b.p);
	b = pcap_file(true, CAP_DLT_EN10MB);
	r = read_blob(&b, "ns.pcap");
	assert_true(r.opened);
	assert_int_equal(r.req_first, 1700000000LL * 1000000000LL + 2000000LL + 7);
	free(b.p);
}

static void test_pcapng_and_gzip(void **state)
{
	(void)state;
	struct blob b = pcapng_file();
	struct result r = read_blob(&b, "x.pcapng");
	assert_true(r.opened);
	assert_int_equal(r.exchanges, 1);
	assert_int_equal(r.req_first, 1700000000LL * 1000000000LL + 2000000LL + 7);
	struct blob z = gzip(&b);
	r = read_blob(&z, "x.pcapng.gz");
	assert_true(r.opened);
	assert_int_equal(r.exchanges, 1);
	assert_int_equal(r.status, 503);
	free(z.p);
	free(b.p);
}

static void test_bad_files(void **state)
{
	(void)state;
	struct blob b = pcap_file(false, CAP_DLT_EN10MB);
	struct blob cut = { b.p, 10, 0 };
	struct result r = read_blob(&cut, "short.pcap");
	assert_false(r.opened);
	assert_non_null(strstr(r.err, "'short.pcap'"));
	assert_non_null(strstr(r.err, "truncated"));
	struct blob junk = { (uint8_t *)"this is not a capture file at all", 33, 0 };
	r = read_blob(&junk, "junk.pcap");
	assert_false(r.opened);
	assert_non_null(strstr(r.err, "cannot read capture 'junk.pcap'"));
	assert_null(strchr(r.err, '\n'));
	free(b.p);
	b = pcap_file(false, 147);
	r = read_blob(&b, "user0.pcap");
	assert_false(r.opened);
	assert_non_null(strstr(r.err, "unsupported link type 147"));
	free(b.p);
	/* a file cut inside the last packet: what was read is kept, the cut is reported */
	b = pcap_file(false, CAP_DLT_EN10MB);
	struct blob part = { b.p, b.n - 20, 0 };
	r = read_blob(&part, "cut.pcap");
	assert_true(r.opened);
	assert_true(r.truncated);
	assert_int_equal(r.packets, 3);
	assert_int_equal(r.exchanges, 1);      /* the request, unanswered */
	assert_int_equal(r.status, 0);
	free(b.p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pcap_us_ns),
		cmocka_unit_test(test_pcapng_and_gzip),
		cmocka_unit_test(test_bad_files),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
