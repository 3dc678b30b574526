/* test_capture_decode.c - link, IP and TCP header decoding on crafted byte arrays: every link
 * type, VLAN/QinQ, IPv6 extension headers, fragments, and truncation at every byte. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "parsers/capture/cap_int.h"
#include "tests/capture/pktbuild.h"

static const uint8_t tcp_hdr[20] = {
	0x9c, 0x40, 0x00, 0x50,             /* 40000 -> 80 */
	0x00, 0x00, 0x03, 0xe8,             /* seq 1000 */
	0x00, 0x00, 0x13, 0x88,             /* ack 5000 */
	0x50, 0x18, 0x72, 0x10,             /* off 5, ACK|PSH, win 29200 */
	0x00, 0x00, 0x00, 0x00,
};

static size_t ipv4_hdr(uint8_t *p, size_t l4len, uint16_t frag, uint8_t proto)
{
	memset(p, 0, 20);
	p[0] = 0x45;
	pk_put16(p + 2, (unsigned)(20 + l4len));
	pk_put16(p + 6, frag);
	p[8] = 64;
	p[9] = proto;
	p[12] = 10, p[15] = 1;
	p[16] = 10, p[19] = 2;
	return 20;
}

static size_t ipv6_hdr(uint8_t *p, size_t plen, uint8_t next)
{
	memset(p, 0, 40);
	p[0] = 0x60;
	pk_put16(p + 4, (unsigned)plen);
	p[6] = next;
	p[7] = 64;
	p[8] = 0xfd, p[23] = 1;
	p[24] = 0xfd, p[39] = 2;
	return 40;
}

/* Decode from an exactly-sized heap copy so ASan sees any over-read. */
static bool decode(int dlt, const uint8_t *frame, size_t caplen, size_t wirelen,
		   struct cap_pkt *pk, enum capture_skip *why)
{
	uint8_t *copy = malloc(caplen ? caplen : 1);
	memcpy(copy, frame, caplen);
	uint64_t frags = 0;
	bool ok = cap_decode(dlt, copy, caplen, wirelen, pk, why, &frags);
	/* pointers into the copy must not be used after this */
	pk->l4 = pk->pay = NULL;
	free(copy);
	return ok;
}

static size_t eth_ipv4_tcp(uint8_t *f, const char *payload)
{
	size_t n = 12, pl = strlen(payload);
	memset(f, 0, 12);
	pk_put16(f + n, 0x0800);
	n += 2;
	n += ipv4_hdr(f + n, 20 + pl, 0x4000, 6);
	memcpy(f + n, tcp_hdr, 20);
	n += 20;
	memcpy(f + n, payload, pl);
	return n + pl;
}

static void test_ethernet_ipv4(void **state)
{
	(void)state;
	uint8_t f[256];
	size_t n = eth_ipv4_tcp(f, "GET / HTTP/1.1\r\n");
	struct cap_pkt pk;
	enum capture_skip why;
	assert_true(decode(CAP_DLT_EN10MB, f, n, n, &pk, &why));
	assert_int_equal(pk.ipver, 4);
	assert_int_equal(pk.sport, 40000);
	assert_int_equal(pk.dport, 80);
	assert_int_equal(pk.seq, 1000);
	assert_int_equal(pk.ack, 5000);
	assert_int_equal(pk.flags, CAP_TH_ACK | CAP_TH_PSH);
	assert_int_equal(pk.win, 29200);
	assert_int_equal(pk.pay_wire, 16);
	assert_int_equal(pk.pay_cap, 16);
	assert_int_equal(pk.src.b[3], 1);
	assert_int_equal(pk.dst.b[3], 2);
}

/* Cut the frame at every length: a header cut short is "truncated", never an over-read; once
 * the TCP header is whole the payload is short (bytes missing) but usable. */
static void test_truncated_every_byte(void **state)
{
	(void)state;
	uint8_t f[256];
	size_t n = eth_ipv4_tcp(f, "GET / HTTP/1.1\r\n");
	for (size_t cap = 0; cap < n; cap++) {
		struct cap_pkt pk;
		enum capture_skip why = CAP_SKIP__COUNT;
		bool ok = decode(CAP_DLT_EN10MB, f, cap, n, &pk, &why);
		if (cap < 14 + 20 + 20) {
			assert_false(ok);
			assert_int_equal(why, CAP_SKIP_TRUNCATED);
		} else {
			assert_true(ok);
			assert_int_equal(pk.pay_wire, 16);
			assert_int_equal(pk.pay_cap, cap - 54);
		}
	}
}

/* Ethernet padding after a short IP packet is not payload. */
static void test_ethernet_padding(void **state)
{
	(void)state;
	uint8_t f[128];
	size_t n = eth_ipv4_tcp(f, "");
	memset(f + n, 0xee, 6);
	struct cap_pkt pk;
	enum capture_skip why;
	assert_true(decode(CAP_DLT_EN10MB, f, n + 6, n + 6, &pk, &why));
	assert_int_equal(pk.pay_wire, 0);
	assert_int_equal(pk.pay_cap, 0);
}

static size_t vlan_frame(uint8_t *f, const uint16_t *tags, size_t ntags)
{
	size_t n = 12;
	memset(f, 0, 12);
	for (size_t i = 0; i < ntags; i++) {
		pk_put16(f + n, tags[i]);
		pk_put16(f + n + 2, (unsigned)(100 + i));
		n += 4;
	}
	pk_put16(f + n, 0x0800);
	n += 2;
	n += ipv4_hdr(f + n, 20, 0, 6);
	memcpy(f + n, tcp_hdr, 20);
	return n + 20;
}

static void test_vlan_qinq(void **state)
{
	(void)state;
	uint8_t f[256];
	struct cap_pkt pk;
	enum capture_skip why;
	const uint16_t one[] = { 0x8100 };
	const uint16_t qinq[] = { 0x88a8, 0x8100 };
	const uint16_t old_qinq[] = { 0x8100, 0x8100 };
	const uint16_t many[] = { 0x8100, 0x8100, 0x8100, 0x8100, 0x8100 };
	size_t n = vlan_frame(f, one, 1);
	assert_true(decode(CAP_DLT_EN10MB, f, n, n, &pk, &why));
	assert_int_equal(pk.vlan_tags, 1);
	n = vlan_frame(f, qinq, 2);
	assert_true(decode(CAP_DLT_EN10MB, f, n, n, &pk, &why));
	assert_int_equal(pk.vlan_tags, 2);
	assert_int_equal(pk.dport, 80);
	n = vlan_frame(f, old_qinq, 2);
	assert_true(decode(CAP_DLT_EN10MB, f, n, n, &pk, &why));
	n = vlan_frame(f, many, 5);
	assert_false(decode(CAP_DLT_EN10MB, f, n, n, &pk, &why));
	assert_int_equal(why, CAP_SKIP_VLAN_LIMIT);
	/* cut inside the second tag */
	n = vlan_frame(f, qinq, 2);
	assert_false(decode(CAP_DLT_EN10MB, f, 19, n, &pk, &why));
	assert_int_equal(why, CAP_SKIP_TRUNCATED);
}

static void test_not_ip_not_tcp(void **state)
{
	(void)state;
	uint8_t f[128];
	struct cap_pkt pk;
	enum capture_skip why;
	memset(f, 0, sizeof f);
	pk_put16(f + 12, 0x0806);   /* ARP */
	assert_false(decode(CAP_DLT_EN10MB, f, 42, 42, &pk, &why));
	assert_int_equal(why, CAP_SKIP_NOT_IP);
	pk_put16(f + 12, 0x0800);
	ipv4_hdr(f + 14, 8, 0, 17);  /* UDP */
	assert_false(decode(CAP_DLT_EN10MB, f, 42, 42, &pk, &why));
	assert_int_equal(why, CAP_SKIP_NOT_TCP);
	ipv4_hdr(f + 14, 20, 0, 6);
	f[14] = 0x44;                /* IHL 4: invalid */
	assert_false(decode(CAP_DLT_EN10MB, f, 54, 54, &pk, &why));
	assert_int_equal(why, CAP_SKIP_BAD_HEADER);
	ipv4_hdr(f + 14, 20, 0, 6);
	memcpy(f + 34, tcp_hdr, 20);
	f[34 + 12] = 0x40;           /* TCP data offset 4: invalid */
	assert_false(decode(CAP_DLT_EN10MB, f, 54, 54, &pk, &why));
	assert_int_equal(why, CAP_SKIP_BAD_HEADER);
}

static void test_ipv4_fragments(void **state)
{
	(void)state;
	uint8_t f[128];
	struct cap_pkt pk;
	enum capture_skip why;
	uint64_t frags = 0;
	memset(f, 0, 12);
	pk_put16(f + 12, 0x0800);
	ipv4_hdr(f + 14, 20, 0x2000, 6);   /* MF */
	memcpy(f + 34, tcp_hdr, 20);
	assert_false(cap_decode(CAP_DLT_EN10MB, f, 54, 54, &pk, &why, &frags));
	assert_int_equal(why, CAP_SKIP_FRAGMENT);
	ipv4_hdr(f + 14, 20, 0x0010, 6);   /* offset 16*8 */
	assert_false(cap_decode(CAP_DLT_EN10MB, f, 54, 54, &pk, &why, &frags));
	assert_int_equal(frags, 2);
	ipv4_hdr(f + 14, 20, 0x4000, 6);   /* DF only: whole */
	assert_true(cap_decode(CAP_DLT_EN10MB, f, 54, 54, &pk, &why, &frags));
}

static void test_sll_sll2(void **state)
{
	(void)state;
	uint8_t f[128];
	struct cap_pkt pk;
	enum capture_skip why;
	/* SLL v1: pkttype, hatype, halen, addr[8], protocol */
	memset(f, 0, 16);
	pk_put16(f + 2, 772);
	pk_put16(f + 4, 6);
	pk_put16(f + 14, 0x0800);
	ipv4_hdr(f + 16, 20, 0, 6);
	memcpy(f + 36, tcp_hdr, 20);
	assert_true(decode(CAP_DLT_LINUX_SLL, f, 56, 56, &pk, &why));
	assert_int_equal(pk.dport, 80);
	assert_false(decode(CAP_DLT_LINUX_SLL, f, 15, 56, &pk, &why));
	assert_int_equal(why, CAP_SKIP_TRUNCATED);
	/* SLL2: protocol first, then reserved, ifindex, hatype, pkttype, halen, addr[8] */
	memset(f, 0, 20);
	pk_put16(f, 0x86dd);
	pk_put32(f + 4, 1);
	pk_put16(f + 8, 772);
	f[11] = 6;
	ipv6_hdr(f + 20, 20, 6);
	memcpy(f + 60, tcp_hdr, 20);
	assert_true(decode(CAP_DLT_LINUX_SLL2, f, 80, 80, &pk, &why));
	assert_int_equal(pk.ipver, 6);
	assert_int_equal(pk.sport, 40000);
	assert_false(decode(CAP_DLT_LINUX_SLL2, f, 19, 80, &pk, &why));
	assert_int_equal(why, CAP_SKIP_TRUNCATED);
	pk_put16(f, 0x0806);
	assert_false(decode(CAP_DLT_LINUX_SLL2, f, 80, 80, &pk, &why));
	assert_int_equal(why, CAP_SKIP_NOT_IP);
}

static void test_null_loop_raw(void **state)
{
	(void)state;
	uint8_t f[128];
	struct cap_pkt pk;
	enum capture_skip why;
	/* NULL, Darwin AF_INET6 (30) little-endian */
	memset(f, 0, 4);
	f[0] = 30;
	ipv6_hdr(f + 4, 20, 6);
	memcpy(f + 44, tcp_hdr, 20);
	assert_true(decode(CAP_DLT_NULL, f, 64, 64, &pk, &why));
	assert_int_equal(pk.ipver, 6);
	/* NULL written big-endian by the capturing host (AF_INET 2) */
	memset(f, 0, 4);
	f[3] = 2;
	ipv4_hdr(f + 4, 20, 0, 6);
	memcpy(f + 24, tcp_hdr, 20);
	assert_true(decode(CAP_DLT_NULL, f, 44, 44, &pk, &why));
	assert_int_equal(pk.ipver, 4);
	/* LOOP is always network order */
	assert_true(decode(CAP_DLT_LOOP, f, 44, 44, &pk, &why));
	f[3] = 99;
	assert_false(decode(CAP_DLT_LOOP, f, 44, 44, &pk, &why));
	assert_int_equal(why, CAP_SKIP_NOT_IP);
	/* RAW: version nibble decides */
	ipv4_hdr(f, 20, 0, 6);
	memcpy(f + 20, tcp_hdr, 20);
	assert_true(decode(CAP_DLT_RAW, f, 40, 40, &pk, &why));
	ipv6_hdr(f, 20, 6);
	memcpy(f + 40, tcp_hdr, 20);
	assert_true(decode(CAP_DLT_RAW, f, 60, 60, &pk, &why));
	assert_true(decode(CAP_DLT_IPV6, f, 60, 60, &pk, &why));
	assert_false(decode(CAP_DLT_RAW, f, 0, 60, &pk, &why));
	assert_int_equal(why, CAP_SKIP_TRUNCATED);
	f[0] = 0x50;
	assert_false(decode(CAP_DLT_RAW, f, 60, 60, &pk, &why));
	assert_int_equal(why, CAP_SKIP_NOT_IP);
	assert_false(cap_dlt_supported(147));
}

/* IPv6 with Hop-by-Hop, Destination Options and an atomic Fragment header before TCP. */
static void test_ipv6_ext_headers(void **state)
{
	(void)state;
	uint8_t f[512];
	struct cap_pkt pk;
	enum capture_skip why;
	size_t n = ipv6_hdr(f, 8 + 16 + 8 + 20 + 4, 0);
	f[n] = 60, f[n + 1] = 0;                 /* HBH, 8 bytes, next DestOpts */
	memset(f + n + 2, 0, 6);
	n += 8;
	f[n] = 44, f[n + 1] = 1;                 /* DestOpts, 16 bytes, next Fragment */
	memset(f + n + 2, 0, 14);
	n += 16;
	memset(f + n, 0, 8);
	f[n] = 6;                                /* Fragment: offset 0, M 0 (atomic) */
	n += 8;
	memcpy(f + n, tcp_hdr, 20);
	n += 20;
	memcpy(f + n, "ping", 4);
	n += 4;
	assert_true(decode(CAP_DLT_RAW, f, n, n, &pk, &why));
	assert_int_equal(pk.proto, 6);
	assert_int_equal(pk.pay_wire, 4);
	/* every truncation inside the extension headers is caught */
	for (size_t cap = 40; cap < 40 + 32 + 20; cap++) {
		assert_false(decode(CAP_DLT_RAW, f, cap, n, &pk, &why));
		assert_int_equal(why, CAP_SKIP_TRUNCATED);
	}
	/* a real fragment (offset != 0) is counted and skipped */
	f[40 + 24 + 3] = 0x08;                    /* offset 1 */
	uint64_t frags = 0;
	assert_false(cap_decode(CAP_DLT_RAW, f, n, n, &pk, &why, &frags));
	assert_int_equal(why, CAP_SKIP_FRAGMENT);
	assert_int_equal(frags, 1);
	/* more extension headers than CAPTURE_MAX_IPV6_EXT */
	size_t m = ipv6_hdr(f, 8 * (CAPTURE_MAX_IPV6_EXT + 1) + 20, 60);
	for (unsigned i = 0; i <= CAPTURE_MAX_IPV6_EXT; i++) {
		memset(f + m, 0, 8);
		f[m] = i == CAPTURE_MAX_IPV6_EXT ? 6 : 60;
		m += 8;
	}
	memcpy(f + m, tcp_hdr, 20);
	m += 20;
	assert_false(decode(CAP_DLT_RAW, f, m, m, &pk, &why));
	assert_int_equal(why, CAP_SKIP_EXT_LIMIT);
	/* payload length smaller than the extension headers: malformed */
	ipv6_hdr(f, 4, 60);
	memset(f + 40, 0, 8);
	f[40] = 6;
	memcpy(f + 48, tcp_hdr, 20);
	assert_false(decode(CAP_DLT_RAW, f, 68, 68, &pk, &why));
	assert_int_equal(why, CAP_SKIP_BAD_HEADER);
}

/* A raw capture counts what it skips and why. */
static void test_skip_counters(void **state)
{
	(void)state;
	struct capture *c = capture_open_raw(CAP_DLT_EN10MB, NULL);
	uint8_t f[128];
	memset(f, 0, sizeof f);
	pk_put16(f + 12, 0x0806);
	capture_feed(c, 1, f, 60, 60);
	capture_feed(c, 2, f, 10, 60);
	const struct capture_counters *k = capture_counters(c);
	assert_int_equal(k->packets, 2);
	assert_int_equal(k->skipped[CAP_SKIP_NOT_IP], 1);
	assert_int_equal(k->skipped[CAP_SKIP_TRUNCATED], 1);
	assert_int_equal(k->truncated_packets, 1);
	capture_close(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ethernet_ipv4),
		cmocka_unit_test(test_truncated_every_byte),
		cmocka_unit_test(test_ethernet_padding),
		cmocka_unit_test(test_vlan_qinq),
		cmocka_unit_test(test_not_ip_not_tcp),
		cmocka_unit_test(test_ipv4_fragments),
		cmocka_unit_test(test_sll_sll2),
		cmocka_unit_test(test_null_loop_raw),
		cmocka_unit_test(test_ipv6_ext_headers),
		cmocka_unit_test(test_skip_counters),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
