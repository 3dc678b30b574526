/* util.c - see util.h. */
#include "common/util.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static _Noreturn void util_oom(size_t n)
{
	fprintf(stderr, "jtlscope: out of memory (allocating %zu bytes)\n", n);
	abort();
}

void *xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);
	if (!p)
		util_oom(n);
	return p;
}

void *xcalloc(size_t count, size_t size)
{
	void *p = calloc(count ? count : 1, size ? size : 1);
	if (!p)
		util_oom(count * size);
	return p;
}

void *xrealloc(void *p, size_t n)
{
	void *q = realloc(p, n ? n : 1);
	if (!q)
		util_oom(n);
	return q;
}

void xgrow(void **p, size_t *cap, size_t need, size_t elem)
{
	if (need <= *cap)
		return;
	size_t ncap = *cap ? *cap : 8;
	while (ncap < need) {
		if (!size_mul(ncap, 2, &ncap))
			util_oom(SIZE_MAX);
	}
	size_t bytes;
	if (!size_mul(ncap, elem, &bytes))
		util_oom(SIZE_MAX);
	*p = xrealloc(*p, bytes);
	*cap = ncap;
}

char *xstrdup(const char *s)
{
	return xstrndup(s, strlen(s));
}

char *xstrndup(const char *s, size_t n)
{
	size_t sz;
	if (!size_add(n, 1, &sz))
		util_oom(SIZE_MAX);
	char *p = xmalloc(sz);
	if (n)
		memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

char *xasprintf(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		util_oom(0);
	char *p = xmalloc((size_t)n + 1);
	va_start(ap, fmt);
	vsnprintf(p, (size_t)n + 1, fmt, ap);
	va_end(ap);
	return p;
}

bool size_mul(size_t a, size_t b, size_t *out)
{
	if (b && a > SIZE_MAX / b)
		return false;
	*out = a * b;
	return true;
}

bool size_add(size_t a, size_t b, size_t *out)
{
	if (a > SIZE_MAX - b)
		return false;
	*out = a + b;
	return true;
}

bool strref_eq(struct strref a, const char *lit)
{
	size_t n = strlen(lit);
	return a.p && a.n == n && memcmp(a.p, lit, n) == 0;
}

bool strref_ieq(struct strref a, const char *lit)
{
	size_t n = strlen(lit);
	return a.p && a.n == n && strncasecmp(a.p, lit, n) == 0;
}

struct strref strref_trim(struct strref s)
{
	while (s.n && (s.p[0] == ' ' || s.p[0] == '\t')) {
		s.p++;
		s.n--;
	}
	while (s.n && (s.p[s.n - 1] == ' ' || s.p[s.n - 1] == '\t' || s.p[s.n - 1] == '\r'))
		s.n--;
	return s;
}

bool parse_i64(const char *p, size_t n, int64_t min, int64_t max, int64_t *out)
{
	if (!p || n == 0)
		return false;
	size_t i = 0;
	bool neg = false;
	if (p[0] == '-' || p[0] == '+') {
		neg = p[0] == '-';
		i = 1;
		if (n == 1)
			return false;
	}
	uint64_t v = 0;
	for (; i < n; i++) {
		unsigned d = (unsigned)(unsigned char)p[i] - '0';
		if (d > 9)
			return false;
		if (v > (UINT64_MAX - d) / 10)
			return false;
		v = v * 10 + d;
	}
	int64_t r;
	if (neg) {
		if (v > (uint64_t)INT64_MAX + 1)
			return false;
		r = v == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)v;
	} else {
		if (v > (uint64_t)INT64_MAX)
			return false;
		r = (int64_t)v;
	}
	if (r < min || r > max)
		return false;
	*out = r;
	return true;
}

bool parse_double(const char *p, size_t n, double min, double max, double *out)
{
	if (!p || n == 0 || n > 64)
		return false;
	char tmp[65];
	size_t i = 0;
	if (p[0] == '-' || p[0] == '+')
		i++;
	bool digits = false, dot = false;
	for (size_t j = i; j < n; j++) {
		if (p[j] >= '0' && p[j] <= '9')
			digits = true;
		else if (p[j] == '.' && !dot)
			dot = true;
		else
			return false;
	}
	if (!digits)
		return false;
	memcpy(tmp, p, n);
	tmp[n] = '\0';
	errno = 0;
	char *end;
	double v = strtod(tmp, &end);
	if (errno || end != tmp + n || v < min || v > max)
		return false;
	*out = v;
	return true;
}

/* 64-bit words at a time, multiply-xorshift mixing (not cryptographic: keys are hashed for
 * tables whose size the input cannot blow up, see the caps in analysis.h). */
uint64_t hash_bytes(const void *p, size_t n)
{
	const unsigned char *s = p;
	const uint64_t k = 0x9fb21c651e98df25ULL;
	uint64_t h = 0x6a09e667f3bcc909ULL ^ (n * k);
	while (n >= 8) {
		uint64_t w;
		memcpy(&w, s, 8);
		h = (h ^ w) * k;
		h ^= h >> 31;
		s += 8;
		n -= 8;
	}
	if (n) {
		uint64_t w = 0;
		memcpy(&w, s, n);
		h = (h ^ w) * k;
		h ^= h >> 31;
	}
	h *= 0xff51afd7ed558ccdULL;
	h ^= h >> 33;
	return h;
}

void strbuf_init(struct strbuf *sb)
{
	sb->buf = NULL;
	sb->len = 0;
	sb->cap = 0;
}

void strbuf_release(struct strbuf *sb)
{
	free(sb->buf);
	strbuf_init(sb);
}

char *strbuf_detach(struct strbuf *sb)
{
	char *p = sb->buf ? sb->buf : xstrdup("");
	strbuf_init(sb);
	return p;
}

void strbuf_add(struct strbuf *sb, const void *p, size_t n)
{
	size_t need;
	if (!size_add(sb->len, n, &need) || !size_add(need, 1, &need))
		util_oom(SIZE_MAX);
	if (need > sb->cap) {
		void *b = sb->buf;
		xgrow(&b, &sb->cap, need, 1);
		sb->buf = b;
	}
	if (n)
		memcpy(sb->buf + sb->len, p, n);
	sb->len += n;
	sb->buf[sb->len] = '\0';
}

void strbuf_addstr(struct strbuf *sb, const char *s)
{
	strbuf_add(sb, s, strlen(s));
}

void strbuf_addch(struct strbuf *sb, char c)
{
	strbuf_add(sb, &c, 1);
}

void strbuf_addf(struct strbuf *sb, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	size_t need;
	if (!size_add(sb->len, (size_t)n, &need) || !size_add(need, 1, &need))
		util_oom(SIZE_MAX);
	if (need > sb->cap) {
		void *b = sb->buf;
		xgrow(&b, &sb->cap, need, 1);
		sb->buf = b;
	}
	va_start(ap, fmt);
	vsnprintf(sb->buf + sb->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	sb->len += (size_t)n;
}

void strbuf_reset(struct strbuf *sb)
{
	sb->len = 0;
	if (sb->buf)
		sb->buf[0] = '\0';
}

const char *strbuf_cstr(struct strbuf *sb)
{
	return sb->buf ? sb->buf : "";
}

int util_hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

double util_now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}
