/* fuzz_tcpstream.c - the protocol parsers above TCP (parsers/capture/conn.c detection, http1.c,
 * websocket.c, tls.c) and TCP reassembly (tcp.c), fed well-formed Ethernet/IP/TCP frames built
 * here around fuzzed payloads, so the fuzzer spends its effort on HTTP/1.x, WebSocket and TLS
 * bytes instead of on getting headers right.
 *
 * Input layout: byte 0 = setup bits
 *   bit 0 IPv6, bit 1 no handshake (connection began before the capture), bit 2 TCP notes,
 *   bits 3-4 server port (80, 443, 8080, 40000), bit 5 second connection on the next port
 * then segments, each  [ctl: 1 byte] [len: 1 byte] [len bytes of payload]  (len 0 = the rest)
 *   ctl bit 0 direction (0 client->server, 1 server->client), bit 1 FIN, bit 2 RST,
 *   bit 3 skip 100 sequence numbers first (a capture hole), bit 4 send the segment twice
 *   (retransmission), bit 5 clock jumps 400 s (idle eviction), bit 6 zero window,
 *   bit 7 use the second connection. */
#include "fuzz/fuzz_capture.h"

struct side {
	uint32_t seq[2];   /* next sequence number per direction */
};

static size_t put16(uint8_t *p, unsigned v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
	return 2;
}

static size_t put32(uint8_t *p, uint32_t v)
{
	put16(p, v >> 16);
	put16(p + 2, v & 0xffff);
	return 4;
}

/* Build one Ethernet frame; returns its length. */
static size_t frame(uint8_t *f, bool v6, int dir, uint16_t cport, uint16_t sport, uint32_t seq,
		    uint32_t ack, uint8_t flags, uint16_t win, const uint8_t *pl, size_t n)
{
	static const uint8_t mac[2][6] = { { 2, 0, 0, 0, 0, 1 }, { 2, 0, 0, 0, 0, 2 } };
	size_t o = 0;
	memcpy(f, mac[!dir], 6);
	memcpy(f + 6, mac[dir], 6);
	o = 12;
	o += put16(f + o, v6 ? 0x86dd : 0x0800);
	size_t tcplen = 20 + n;
	if (v6) {
		f[o] = 0x60;
		memset(f + o + 1, 0, 3);
		put16(f + o + 4, (unsigned)tcplen);
		f[o + 6] = 6;
		f[o + 7] = 64;
		memset(f + o + 8, 0, 32);
		f[o + 8 + 15] = (uint8_t)(1 + dir);   /* ::1 / ::2 */
		f[o + 24 + 15] = (uint8_t)(2 - dir);
		o += 40;
	} else {
		f[o] = 0x45;
		f[o + 1] = 0;
		put16(f + o + 2, (unsigned)(20 + tcplen));
		memset(f + o + 4, 0, 4);
		f[o + 8] = 64;
		f[o + 9] = 6;
		f[o + 10] = f[o + 11] = 0;
		static const uint8_t a[2][4] = { { 10, 0, 0, 1 }, { 10, 0, 0, 2 } };
		memcpy(f + o + 12, a[dir], 4);
		memcpy(f + o + 16, a[!dir], 4);
		o += 20;
	}
	o += put16(f + o, dir ? sport : cport);
	o += put16(f + o, dir ? cport : sport);
	o += put32(f + o, seq);
	o += put32(f + o, ack);
	f[o++] = 5 << 4;
	f[o++] = flags;
	o += put16(f + o, win);
	o += put16(f + o, 0);
	o += put16(f + o, 0);
	if (n)
		memcpy(f + o, pl, n);
	return o + n;
}

enum { FIN = 1, SYN = 2, RST = 4, PSH = 8, ACK = 16 };

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint16_t ports[] = { 80, 443, 8080, 40000 };
	static uint8_t f[14 + 40 + 20 + 256 + 65536];
	if (size < 1)
		return 0;
	uint8_t setup = data[0];
	bool v6 = setup & 1;
	uint16_t sport = ports[setup >> 3 & 3];
	struct side conn[2] = { { { 1000, 5000 } }, { { 7000, 9000 } } };
	uint16_t cport[2] = { 51000, 51001 };
	struct diag d;
	fuzz_quiet_diag(&d, "fuzz.tcp");
	struct capture *c = capture_open_raw(1 /* EN10MB */, &d);
	capture_set_tcp_events(c, setup & 4);
	int64_t ts = 1700000000000000000;
	int nconn = (setup & 32) ? 2 : 1;
	size_t n;
	if (!(setup & 2)) {
		for (int k = 0; k < nconn; k++) {
			struct side *s = &conn[k];
			n = frame(f, v6, 0, cport[k], (uint16_t)(sport + k), s->seq[0] - 1, 0, SYN, 65535, NULL, 0);
			capture_feed(c, ts += 1000000, f, n, n);
			n = frame(f, v6, 1, cport[k], (uint16_t)(sport + k), s->seq[1] - 1, s->seq[0], SYN | ACK, 65535, NULL, 0);
			capture_feed(c, ts += 1000000, f, n, n);
			n = frame(f, v6, 0, cport[k], (uint16_t)(sport + k), s->seq[0], s->seq[1], ACK, 65535, NULL, 0);
			capture_feed(c, ts += 1000000, f, n, n);
		}
	}
	size_t i = 1;
	while (i + 2 <= size) {
		uint8_t ctl = data[i];
		size_t len = data[i + 1];
		i += 2;
		if (len == 0 || len > size - i)
			len = size - i;
		if (len > 65536)
			len = 65536;
		int k = (ctl & 128) && nconn == 2 ? 1 : 0;
		struct side *s = &conn[k];
		int dir = ctl & 1;
		if (ctl & 8)
			s->seq[dir] += 100;
		if (ctl & 32)
			ts += 400 * (int64_t)1000000000;
		uint8_t flags = ACK | (len ? PSH : 0) | (ctl & 2 ? FIN : 0) | (ctl & 4 ? RST : 0);
		n = frame(f, v6, dir, cport[k], (uint16_t)(sport + k), s->seq[dir], s->seq[!dir], flags,
			  ctl & 64 ? 0 : 65535, data + i, len);
		capture_feed(c, ts += 1000000, f, n, n);
		if (ctl & 16)
			capture_feed(c, ts += 1000000, f, n, n);
		s->seq[dir] += (uint32_t)len + (ctl & 2 ? 1 : 0);
		i += len;
		struct capture_event ev;
		while (capture_next(c, &ev) == CAP_EVENT)
			fuzz_touch_event(&ev);
	}
	capture_finish(c);
	fuzz_drain_capture(c);
	capture_close(c);
	return 0;
}
