/* testlib.h - what the unit tests (tests/test_NAME.c) and the generators (tests/tools/NAME.c) share.
 * Header-only: every test and tool is its own program, linked alone. */
#ifndef TESTLIB_H
#define TESTLIB_H

#include <stdint.h>

/* The next value of Marsaglia's xorshift64 (shifts 13, 7, 17) from the state *s, which it
 * advances: deterministic synthetic data, the same sequence for the same seed on every
 * platform.  A zero state stays zero, so seed with anything else. */
static inline uint64_t testlib_xorshift64(uint64_t *s)
{
	uint64_t x = *s;
	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	*s = x;
	return x;
}

#endif
