/* fuzz_common.h - helpers shared by the fuzz targets (fuzz/fuzz_*.c).
 *
 * Every target defines LLVMFuzzerTestOneInput and is linked either with libFuzzer (clang,
 * `make fuzz`) or with fuzz/replay.c (any compiler, `make fuzz-replay`).  Targets must be
 * deterministic, must not leak, and must not write to stdout/stderr on valid runs.
 *
 * The touch helpers read every byte of each borrowed string a parser hands out, so that a
 * strref pointing past its buffer is caught by AddressSanitizer at the point of hand-out.
 */
#ifndef JTLSCOPE_FUZZ_COMMON_H
#define JTLSCOPE_FUZZ_COMMON_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "common/diag.h"
#include "common/util.h"
#include "parsers/sample.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Abort with a message: the property a target checks does not hold. */
#define FUZZ_ASSERT(cond)                                                                  \
	do {                                                                               \
		if (!(cond)) {                                                             \
			fprintf(stderr, "%s:%d: fuzz assertion failed: %s\n", __FILE__,      \
				__LINE__, #cond);                                          \
			abort();                                                           \
		}                                                                          \
	} while (0)

static volatile unsigned fuzz_sink;

static inline void fuzz_touch(const void *p, size_t n)
{
	const unsigned char *b = p;
	unsigned acc = 0;
	if (!p) {
		FUZZ_ASSERT(n == 0);
		return;
	}
	for (size_t i = 0; i < n; i++)
		acc += b[i];
	fuzz_sink += acc;
}

static inline void fuzz_touch_ref(struct strref r)
{
	fuzz_touch(r.p, r.n);
}

static inline void fuzz_touch_sample(const struct sample *s)
{
	fuzz_touch_ref(s->label);
	fuzz_touch_ref(s->code);
	fuzz_touch_ref(s->message);
	fuzz_touch_ref(s->thread);
	fuzz_touch_ref(s->data_type);
	fuzz_touch_ref(s->failure);
	fuzz_touch_ref(s->url);
	fuzz_touch_ref(s->hostname);
	fuzz_touch_ref(s->filename);
	fuzz_touch_ref(s->encoding);
	fuzz_touch_ref(s->body);
	fuzz_touch_ref(s->req_host);
	fuzz_sink += (unsigned)sample_status(s);
}

/* Diagnostics must not flood the fuzzer's output: send them to /dev/null, once. */
static inline void fuzz_quiet_diag(struct diag *d, const char *path)
{
	static FILE *null;
	if (!null) {
		null = fopen("/dev/null", "w");
		if (null)
			diag_stream = null;
	}
	diag_init(d, path);
	d->quiet = 1;
}

/* A 32-bit FNV-1a of the input: picks options deterministically without changing the bytes the
 * parser sees (so seed files stay plain, valid inputs). */
static inline uint32_t fuzz_hash(const uint8_t *data, size_t size)
{
	uint32_t h = 2166136261u;
	for (size_t i = 0; i < size && i < 64; i++)
		h = (h ^ data[i]) * 16777619u;
	return h ^ (uint32_t)size;
}

#endif
