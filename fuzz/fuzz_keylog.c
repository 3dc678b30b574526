/* fuzz_keylog.c - the NSS key log parser (parsers/capture/tls_decrypt.c): any bytes as a key
 * log; the counts must add up and every line is either used, other, bad or blank/comment. */
#include <string.h>

#include "fuzz/fuzz_common.h"
#include "parsers/capture/capture.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* exact-size heap copy: a read past the buffer is an ASan error */
	char *p = xmalloc(size ? size : 1);
	memcpy(p, data, size);
	struct capture_keylog *k = capture_keylog_parse(p, size);
	const struct capture_keylog_stats *st = capture_keylog_stats(k);
	FUZZ_ASSERT(st->used + st->other + st->bad + st->dropped == st->lines);
	FUZZ_ASSERT(st->randoms <= st->used);
	FUZZ_ASSERT(st->truncated == (size > 0 && data[size - 1] != '\n'));
	capture_keylog_free(k);
	free(p);
	return 0;
}
