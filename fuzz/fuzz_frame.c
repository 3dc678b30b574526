/* fuzz_frame.c - single frames through the packet-injection interface (capture_open_raw +
 * capture_feed): link layer (parsers/capture/link.c), IPv4/IPv6 (ip.c), TCP (tcp.c) and, when
 * frames happen to form a connection, everything above.
 *
 * Input layout: byte 0 picks the link type, byte 1 bit 0 turns TCP notes on; then frames, each
 *   [len: 2 bytes big-endian] [t: 1 byte] [len bytes of frame]
 * t: 0xff steps the clock back one second (captures are not always ordered), otherwise the clock
 * advances t & 0x7f milliseconds; bit 7 marks the frame as cut by a snaplen (wire length =
 * captured length + 1000).  A short last frame takes what is left. */
#include "fuzz/fuzz_capture.h"

static const int dlts[] = { 1, 0, 12, 14, 108, 113, 228, 229, 276, 1 };

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 2)
		return 0;
	struct diag d;
	fuzz_quiet_diag(&d, "fuzz.frame");
	struct capture *c = capture_open_raw(dlts[data[0] % ARRAY_LEN(dlts)], &d);
	capture_set_tcp_events(c, data[1] & 1);
	size_t i = 2;
	int64_t ts = 1700000000000000000;
	while (i + 3 <= size) {
		size_t len = (size_t)data[i] << 8 | data[i + 1];
		unsigned t = data[i + 2];
		i += 3;
		if (len > size - i)
			len = size - i;
		if (t == 0xff)
			ts -= 1000000000;
		else
			ts += (int64_t)(t & 0x7f) * 1000000;
		capture_feed(c, ts, data + i, len, (t & 0x80) && t != 0xff ? len + 1000 : len);
		i += len;
		/* events may be pulled between frames, as the file reader does */
		struct capture_event ev;
		while (capture_next(c, &ev) == CAP_EVENT)
			fuzz_touch_event(&ev);
	}
	capture_finish(c);
	fuzz_drain_capture(c);
	capture_close(c);
	return 0;
}
