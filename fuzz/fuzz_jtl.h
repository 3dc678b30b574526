/* fuzz_jtl.h - the body shared by fuzz_csv.c and fuzz_xml.c: a JTL reader over an in-memory
 * input, drained to the end, every borrowed string touched.  Options vary with a hash of the
 * input (not with its bytes), so every seed is a plain JTL file. */
#ifndef JTLSCOPE_FUZZ_JTL_H
#define JTLSCOPE_FUZZ_JTL_H

#include "fuzz/fuzz_common.h"
#include "parsers/input.h"
#include "parsers/jtl.h"

static int fuzz_jtl(const uint8_t *data, size_t size, enum input_format fmt)
{
	static const char delims[] = { 0, 0, 0, ',', ';', '\t', '|', 0 };
	static const char *const ts_formats[] = {
		NULL, NULL, NULL, "ms", "yyyy/MM/dd HH:mm:ss.SSS", "yyyy-MM-dd'T'HH:mm:ss,SSS",
		"dd/MM/yy hh:mm:ss a", NULL,
	};
	uint32_t h = fuzz_hash(data, size);
	struct jtl_options o = {
		.delimiter = delims[h & 7],
		.columns = (h >> 3 & 15) == 0 ? "timeStamp,elapsed,label,responseCode,success" : NULL,
		.ts_format = ts_formats[h >> 7 & 7],
		.tz_offset_min = (h >> 10 & 1) ? -330 : 0,
		.sub_results = (h >> 11 & 1) != 0,
		.keep_bodies = (h >> 12 & 1) != 0,
	};
	struct diag d;
	fuzz_quiet_diag(&d, "fuzz.jtl");
	struct input *in = input_open_mem(data, size, "fuzz.jtl");
	char err[600];
	struct jtl_reader *r = jtl_open(in, fmt, &o, &d, err, sizeof err);
	if (r) {
		struct sample s;
		enum jtl_status st;
		/* Every record or skip consumes at least one byte of the (inflated) stream: more
		 * results than bytes delivered means a parser that stopped making progress. */
		uint64_t results = 0;
		while ((st = jtl_next(r, &s)) != JTL_END && st != JTL_FATAL) {
			if (st == JTL_RECORD)
				fuzz_touch_sample(&s);
			FUZZ_ASSERT(++results <= input_offset(in) + 64);
		}
		if (st == JTL_FATAL)
			fuzz_touch(jtl_error(r), strlen(jtl_error(r)));
		fuzz_sink += (unsigned)(jtl_records(r) + jtl_skipped(r) + jtl_headers_repeated(r));
		fuzz_sink += jtl_truncated_tail(r);
		jtl_close(r);
	} else {
		FUZZ_ASSERT(err[0] != '\0');
	}
	input_close(in);
	return 0;
}

#endif
