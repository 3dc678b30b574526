/* fuzz_input.c - the input layer (parsers/input.c): format sniffing and gzip inflation of
 * arbitrary bytes from memory.  When the bytes are gzip, they are inflated twice - once with the
 * default inflater (ISA-L when built with it) and once with zlib (JTLSCOPE_NO_ISAL) - and when
 * both succeed their outputs must be identical (a differential check). */
#include <string.h>

#include "fuzz/fuzz_common.h"
#include "parsers/input.h"

/* Inflate everything; returns a digest of the output, *ok = false on an input error. */
static uint64_t drain(const uint8_t *data, size_t size, size_t *total, int *ok)
{
	struct input *in = input_open_mem(data, size, "fuzz.gz");
	enum input_format f = input_sniff(in);
	fuzz_touch(input_format_name(f), strlen(input_format_name(f)));
	const unsigned char *pk;
	size_t pn = input_peek(in, &pk);
	FUZZ_ASSERT(pn <= INPUT_PEEK_MAX);
	fuzz_touch(pk, pn);
	static unsigned char buf[70000];
	/* read sizes vary (1 byte up to more than a ring block) to exercise the peek/stream seams */
	static const size_t caps[] = { 1, 7, 4096, 65536, 3, 70000 };
	uint64_t digest = 1469598103934665603u;
	size_t got = 0;
	unsigned k = 0;
	ptrdiff_t r;
	*ok = 1;
	while ((r = input_read(in, buf, caps[k++ % ARRAY_LEN(caps)])) > 0) {
		for (ptrdiff_t i = 0; i < r; i++)
			digest = (digest ^ buf[i]) * 1099511628211u;
		got += (size_t)r;
	}
	if (r < 0) {
		*ok = 0;
		const char *e = input_error(in);
		FUZZ_ASSERT(e && *e);
		fuzz_touch(e, strlen(e));
	}
	FUZZ_ASSERT(input_offset(in) == got);
	FUZZ_ASSERT(input_raw_offset(in) <= size);
	/* a second read after the end (or an error) must not change anything */
	FUZZ_ASSERT(input_read(in, buf, sizeof buf) == (r < 0 ? -1 : 0));
	input_close(in);
	*total = got;
	return digest;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t n1, n2;
	int ok1, ok2;
	unsetenv("JTLSCOPE_NO_ISAL");
	uint64_t d1 = drain(data, size, &n1, &ok1);
	if (size >= 2 && data[0] == 0x1f && data[1] == 0x8b) {
		setenv("JTLSCOPE_NO_ISAL", "1", 1);
		uint64_t d2 = drain(data, size, &n2, &ok2);
		unsetenv("JTLSCOPE_NO_ISAL");
		if (ok1 && ok2) {
			FUZZ_ASSERT(n1 == n2);
			FUZZ_ASSERT(d1 == d2);
		}
	}
	return 0;
}
