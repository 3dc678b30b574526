/* fuzz_pcap.c - capture files (pcap, pcapng, gzipped) through input_open_mem + capture_open:
 * libpcap's file reader, then every layer of parsers/capture/. */
#include "fuzz/fuzz_capture.h"
#include "parsers/input.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct diag d;
	fuzz_quiet_diag(&d, "fuzz.pcap");
	struct input *in = input_open_mem(data, size, "fuzz.pcap");
	char err[600] = "";
	struct capture *c = capture_open(in, &d, err, sizeof err);
	if (c) {
		capture_set_tcp_events(c, (fuzz_hash(data, size) & 1) != 0);
		fuzz_drain_capture(c);
		capture_close(c);
	} else {
		FUZZ_ASSERT(err[0] != '\0');
	}
	input_close(in);
	return 0;
}
