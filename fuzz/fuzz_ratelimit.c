/* fuzz_ratelimit.c - rate-limit headers (parsers/ratelimit.c): a header block as JMeter stores
 * it, every line again through ratelimit_header, and the input as an HTTP-date. */
#include <string.h>

#include "fuzz/fuzz_common.h"
#include "parsers/ratelimit.h"

static void check(const struct ratelimit *rl)
{
	/* values are only meaningful with their flag, but must never be NaN when flagged */
	if (rl->flags & RL_RETRY_AFTER)
		FUZZ_ASSERT(rl->retry_after_s == rl->retry_after_s);
	if (rl->flags & RL_RESET)
		FUZZ_ASSERT(rl->reset_s == rl->reset_s);
	if (rl->flags & RL_WINDOW)
		FUZZ_ASSERT(rl->window_s == rl->window_s);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* exact-size heap copy: a read past the block is an ASan error, not a read of padding */
	char *p = xmalloc(size ? size : 1);
	memcpy(p, data, size);
	int64_t now = (fuzz_hash(data, size) & 1) ? 1700000000123 : 0;
	struct ratelimit rl;
	memset(&rl, 0, sizeof rl);
	ratelimit_headers_block(&rl, p, size, now);
	check(&rl);

	/* the body as an in-band message: retry hints and the JSON member scanner */
	memset(&rl, 0, sizeof rl);
	if (ratelimit_inband(&rl, p, size))
		FUZZ_ASSERT((rl.flags & RL_INBAND) && rl.retry_after_s >= 0);
	struct json_value jv;
	static const char *const keys[] = { "code", "id", "status", "retryAfter" };
	for (unsigned k = 0; k < 4; k++)
		if (json_member(p, size, keys[k], 1 + k, &jv)) {
			FUZZ_ASSERT(jv.v.p >= p && jv.v.p + jv.v.n <= p + size);
			fuzz_touch_ref(jv.v);
		}

	/* line by line through the single-header entry point, split at the first ':' */
	memset(&rl, 0, sizeof rl);
	size_t start = 0;
	for (size_t i = 0; i <= size; i++) {
		if (i < size && p[i] != '\n')
			continue;
		const char *line = p + start;
		size_t n = i - start;
		const char *colon = memchr(line, ':', n);
		if (colon) {
			size_t nlen = (size_t)(colon - line);
			ratelimit_header(&rl, line, nlen, colon + 1, n - nlen - 1, now);
		}
		start = i + 1;
	}
	check(&rl);

	int64_t epoch;
	if (http_date_parse(p, size, &epoch))
		fuzz_sink += (unsigned)epoch;
	free(p);
	return 0;
}
