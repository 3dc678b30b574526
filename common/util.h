/* util.h - allocation that never returns NULL, overflow-checked sizes, small string helpers.
 *
 * The x* allocators never return NULL: out of memory, or a size that overflows, aborts in
 * util_oom (util.c), which also serves strbuf.  Five other abort() paths exist in the library
 * for sizes that cannot be allocated or PCRE2 objects that cannot be created: analysis.c
 * (series size), region.c, throttle/throttle.c (two), throttle/containers.c; tests/layering.sh
 * lists them, so a new one fails CI.  Nothing in the library calls exit().  Whatever an x*
 * function returns (and strbuf_detach's string) is the caller's, released with free().
 */
#ifndef JTLSCOPE_COMMON_UTIL_H
#define JTLSCOPE_COMMON_UTIL_H

#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

/* A borrowed, not necessarily NUL-terminated byte range. */
struct strref {
	const char *p;
	size_t n;
};

#define STRREF_NULL ((struct strref){ NULL, 0 })

void *xmalloc(size_t n);
void *xcalloc(size_t count, size_t size);
void *xrealloc(void *p, size_t n);
/* Grow *p (an array of elem-sized items with capacity *cap) so it holds at least need items. */
void xgrow(void **p, size_t *cap, size_t need, size_t elem);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* a * b and a + b into *out; false on overflow. */
bool size_mul(size_t a, size_t b, size_t *out);
bool size_add(size_t a, size_t b, size_t *out);

bool strref_eq(struct strref a, const char *lit);
bool strref_ieq(struct strref a, const char *lit);
struct strref strref_trim(struct strref s);

/* Parse a decimal integer from (p, n), an optional + or - first, within [min, max] (min >= 0
 * refuses negatives).  Blanks, junk, a lone sign and overflow are refused (false, *out
 * untouched).  tests/test_util.c. */
bool parse_i64(const char *p, size_t n, int64_t min, int64_t max, int64_t *out);
/* Parse a decimal number from (p, n): optional sign, digits with an optional fraction ("12",
 * "0.5", ".5"; no exponent, inf or nan), at most 64 bytes, within [min, max]. */
bool parse_double(const char *p, size_t n, double min, double max, double *out);

/* Fast 64-bit hash of a byte range (for hash tables). */
uint64_t hash_bytes(const void *p, size_t n);

/* The value of a hexadecimal digit (0-9, a-f, A-F), or -1. */
int util_hex_digit(char c);

/* Seconds on the monotonic clock, for elapsed times (never wall-clock time). */
double util_now_s(void);

/* Growable byte buffer; ownership visible in names (git's strbuf).  buf is NULL after
 * STRBUF_INIT, strbuf_init, strbuf_release and strbuf_detach, until the first add; from then
 * on it is NUL-terminated at buf[len] (strbuf_reset keeps the storage, emptied).  Read it as a
 * C string with strbuf_cstr ("" while buf is NULL); strbuf_detach hands over a NUL-terminated
 * string, never NULL, that the caller frees. */
struct strbuf {
	char *buf;   /* NULL until the first add; then NUL-terminated at buf[len] */
	size_t len;
	size_t cap;
};
#define STRBUF_INIT { NULL, 0, 0 }
void strbuf_init(struct strbuf *sb);
void strbuf_release(struct strbuf *sb);
char *strbuf_detach(struct strbuf *sb); /* caller frees; sb is reset */
void strbuf_add(struct strbuf *sb, const void *p, size_t n);
void strbuf_addstr(struct strbuf *sb, const char *s);
void strbuf_addch(struct strbuf *sb, char c);
void strbuf_addf(struct strbuf *sb, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void strbuf_reset(struct strbuf *sb);
const char *strbuf_cstr(struct strbuf *sb); /* never NULL */

#endif
