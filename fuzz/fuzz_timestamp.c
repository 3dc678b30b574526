/* fuzz_timestamp.c - timestamp parsing (jtl_parse_timestamp in parsers/jtl.c): epoch ms, the
 * auto-detected ISO-like forms, and the SimpleDateFormat subset of --timestamp-format.
 * Input: "FORMAT\0VALUE" uses FORMAT; without a NUL the whole input is a value (auto). */
#include <string.h>

#include "fuzz/fuzz_common.h"
#include "parsers/jtl.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *nul = memchr(data, 0, size);
	char *fmt = NULL;
	const uint8_t *v = data;
	size_t vn = size;
	if (nul) {
		fmt = xstrndup((const char *)data, (size_t)(nul - data));
		v = nul + 1;
		vn = size - (size_t)(nul - data) - 1;
	}
	/* exact-size copy of the value: reading past it is an ASan error */
	char *p = xmalloc(vn ? vn : 1);
	memcpy(p, v, vn);
	uint32_t h = fuzz_hash(data, size);
	int tz = (int)(h % 1681) - 840; /* -14:00 .. +14:00 */
	int64_t ms;
	if (jtl_parse_timestamp(p, vn, fmt, tz, &ms))
		fuzz_sink += (unsigned)ms;
	if (jtl_parse_timestamp(p, vn, NULL, 0, &ms))
		fuzz_sink += (unsigned)ms;
	free(p);
	free(fmt);
	return 0;
}
