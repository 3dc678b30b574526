/* throttle/containers.c - histograms, time axes, two-sided arrays and hash maps for the throttle
 * analysis (see internal.h). */
#include "analyzer/throttle/internal.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- histogram -------------------------------------------------------------------------- */

static size_t thist_bin(uint64_t v)
{
	if (v < THIST_SUB)
		return (size_t)v;
	if (v >= (1ull << (THIST_MAXLOG + 1)))
		v = (1ull << (THIST_MAXLOG + 1)) - 1;
	unsigned o = 63u - (unsigned)__builtin_clzll(v);
	uint64_t sub = (v >> (o - 3)) & (THIST_SUB - 1);
	return THIST_SUB + (size_t)(o - 3) * THIST_SUB + (size_t)sub;
}

static void thist_bounds(size_t b, double *lo, double *width)
{
	if (b < THIST_SUB) {
		*lo = (double)b;
		*width = 1;
		return;
	}
	size_t o = (b - THIST_SUB) / THIST_SUB + 3;
	size_t sub = (b - THIST_SUB) % THIST_SUB;
	*lo = ldexp((double)(THIST_SUB + sub), (int)o - 3);
	*width = ldexp(1.0, (int)o - 3);
}

void thist_add(struct thist *h, uint64_t v)
{
	h->c[thist_bin(v)]++;
	h->n++;
	h->sum += (double)v;
}

void thist_merge(struct thist *dst, const struct thist *src)
{
	for (size_t i = 0; i < THIST_BINS; i++)
		dst->c[i] += src->c[i];
	dst->n += src->n;
	dst->sum += src->sum;
}

double thist_quantile(const struct thist *h, double q)
{
	if (!h || h->n == 0)
		return NAN;
	if (q < 0)
		q = 0;
	if (q > 1)
		q = 1;
	double rank = q * (double)(h->n - 1);
	double cum = 0;
	for (size_t b = 0; b < THIST_BINS; b++) {
		if (!h->c[b])
			continue;
		if (cum + h->c[b] > rank) {
			double lo, w;
			thist_bounds(b, &lo, &w);
			if (b < THIST_SUB)
				return lo;
			return lo + w * ((rank - cum) + 0.5) / h->c[b];
		}
		cum += h->c[b];
	}
	return NAN;
}

/* ---- time axes -------------------------------------------------------------------------- */

static int64_t span_at(const struct taxis *ax, int64_t w, int64_t a_ms, int64_t b_ms)
{
	int64_t lo = a_ms / w, hi = b_ms / w;
	if (ax->any) {
		int64_t olo = (ax->lo * ax->w) / w, ohi = (ax->hi * ax->w) / w;
		if (olo < lo)
			lo = olo;
		if (ohi > hi)
			hi = ohi;
	}
	return hi - lo + 1;
}

int taxis_doublings(const struct taxis *ax, int64_t a_ms, int64_t b_ms)
{
	int k = 0;
	int64_t w = ax->w;
	while (span_at(ax, w, a_ms, b_ms) > ax->cap && k < 62) {
		w *= 2;
		k++;
	}
	return k;
}

void taxis_double(struct taxis *ax)
{
	ax->w *= 2;
	ax->lo /= 2;
	ax->hi /= 2;
}

void taxis_include(struct taxis *ax, int64_t a_ms, int64_t b_ms)
{
	int64_t lo = a_ms / ax->w, hi = b_ms / ax->w;
	if (!ax->any) {
		ax->lo = lo;
		ax->hi = hi;
		ax->any = true;
		return;
	}
	if (lo < ax->lo)
		ax->lo = lo;
	if (hi > ax->hi)
		ax->hi = hi;
}

/* ---- two-sided arrays ------------------------------------------------------------------- */

void tarr_init(struct tarr *a, size_t elem)
{
	memset(a, 0, sizeof *a);
	a->elem = elem;
}

void tarr_release(struct tarr *a)
{
	free(a->data);
	a->data = NULL;
	a->n = a->cap = a->off = 0;
}

static void tarr_regrow(struct tarr *a, size_t front, size_t back)
{
	size_t need = a->n + front + back, ncap, bytes;
	if (!size_mul(need, 2, &ncap) || !size_add(ncap, 16, &ncap) ||
	    !size_mul(ncap, a->elem, &bytes)) {
		fprintf(stderr, "jtlscope: out of memory (array size)\n");
		abort();
	}
	unsigned char *d = xcalloc(ncap, a->elem);
	size_t noff = (ncap - need) / 2 + front;
	if (a->n)
		memcpy(d + noff * a->elem, a->data + a->off * a->elem, a->n * a->elem);
	free(a->data);
	a->data = d;
	a->cap = ncap;
	a->off = noff;
}

void *tarr_at(struct tarr *a, int64_t idx)
{
	if (a->n == 0) {
		if (a->cap == 0)
			tarr_regrow(a, 0, 1);
		a->lo = idx;
		a->n = 1;
		memset(a->data + a->off * a->elem, 0, a->elem);
		return a->data + a->off * a->elem;
	}
	if (idx < a->lo) {
		size_t k = (size_t)(a->lo - idx);
		if (k > a->off)
			tarr_regrow(a, k, 0);
		a->off -= k;
		memset(a->data + a->off * a->elem, 0, k * a->elem);
		a->n += k;
		a->lo = idx;
	} else if (idx >= a->lo + (int64_t)a->n) {
		size_t k = (size_t)(idx - (a->lo + (int64_t)a->n)) + 1;
		if (a->off + a->n + k > a->cap)
			tarr_regrow(a, 0, k);
		memset(a->data + (a->off + a->n) * a->elem, 0, k * a->elem);
		a->n += k;
	}
	return a->data + (a->off + (size_t)(idx - a->lo)) * a->elem;
}

const void *tarr_get(const struct tarr *a, int64_t idx)
{
	if (a->n == 0 || idx < a->lo || idx >= a->lo + (int64_t)a->n)
		return NULL;
	return a->data + (a->off + (size_t)(idx - a->lo)) * a->elem;
}

void tarr_halve(struct tarr *a, void (*merge)(void *dst, const void *src))
{
	if (a->n == 0) {
		a->lo /= 2;
		return;
	}
	int64_t nlo = a->lo / 2;
	size_t nn = (size_t)((a->lo + (int64_t)a->n - 1) / 2 - nlo) + 1;
	unsigned char *base = a->data + a->off * a->elem;
	size_t prev_t = SIZE_MAX;
	for (size_t j = 0; j < a->n; j++) {
		size_t tj = (size_t)((a->lo + (int64_t)j) / 2 - nlo);
		if (tj != prev_t) {
			if (tj != j)
				memmove(base + tj * a->elem, base + j * a->elem, a->elem);
		} else {
			merge(base + tj * a->elem, base + j * a->elem);
		}
		prev_t = tj;
	}
	memset(base + nn * a->elem, 0, (a->n - nn) * a->elem);
	a->lo = nlo;
	a->n = nn;
}

/* ---- hash maps -------------------------------------------------------------------------- */

/* Keys are stored with their length in front (size_t), so they may hold any byte. */

static size_t key_len(const char *k)
{
	size_t n;
	memcpy(&n, k - sizeof(size_t), sizeof n);
	return n;
}

static char *key_dup(const char *k, size_t n)
{
	char *p = xmalloc(sizeof(size_t) + n + 1);
	memcpy(p, &n, sizeof n);
	if (n)
		memcpy(p + sizeof n, k, n);
	p[sizeof n + n] = '\0';
	return p + sizeof n;
}

void smap_release(struct smap *m)
{
	for (size_t i = 0; i < m->cap; i++) {
		if (m->keys[i])
			free(m->keys[i] - sizeof(size_t));
	}
	free(m->keys);
	free(m->vals);
	free(m->hashes);
	memset(m, 0, sizeof *m);
}

uint32_t *smap_get(const struct smap *m, const char *k, size_t n)
{
	if (!m->cap)
		return NULL;
	uint64_t h = hash_bytes(k, n);
	for (size_t i = (size_t)h & (m->cap - 1);; i = (i + 1) & (m->cap - 1)) {
		if (!m->keys[i])
			return NULL;
		if (m->hashes[i] == h && key_len(m->keys[i]) == n && memcmp(m->keys[i], k, n) == 0)
			return &m->vals[i];
	}
}

static void smap_insert_raw(struct smap *m, char *key, uint64_t h, uint32_t v)
{
	size_t i = (size_t)h & (m->cap - 1);
	while (m->keys[i])
		i = (i + 1) & (m->cap - 1);
	m->keys[i] = key;
	m->hashes[i] = h;
	m->vals[i] = v;
}

uint32_t *smap_put(struct smap *m, const char *k, size_t n, uint32_t v)
{
	if ((m->n + 1) * 2 > m->cap) {
		struct smap o = *m;
		m->cap = o.cap ? o.cap * 2 : 64;
		m->keys = xcalloc(m->cap, sizeof *m->keys);
		m->vals = xcalloc(m->cap, sizeof *m->vals);
		m->hashes = xcalloc(m->cap, sizeof *m->hashes);
		for (size_t i = 0; i < o.cap; i++) {
			if (o.keys[i])
				smap_insert_raw(m, o.keys[i], o.hashes[i], o.vals[i]);
		}
		free(o.keys);
		free(o.vals);
		free(o.hashes);
	}
	uint64_t h = hash_bytes(k, n);
	smap_insert_raw(m, key_dup(k, n), h, v);
	m->n++;
	return smap_get(m, k, n);
}

void imap_release(struct imap *m)
{
	free(m->keys);
	free(m->vals);
	memset(m, 0, sizeof *m);
}

static size_t imix(uint64_t k)
{
	k ^= k >> 33;
	k *= 0xff51afd7ed558ccdull;
	k ^= k >> 33;
	return (size_t)k;
}

uint64_t *imap_get(const struct imap *m, uint64_t k)
{
	if (!m->cap)
		return NULL;
	for (size_t i = imix(k) & (m->cap - 1);; i = (i + 1) & (m->cap - 1)) {
		if (m->keys[i] == 0)
			return NULL;
		if (m->keys[i] == k)
			return &m->vals[i];
	}
}

uint64_t *imap_put(struct imap *m, uint64_t k, uint64_t v)
{
	if ((m->n + 1) * 2 > m->cap) {
		struct imap o = *m;
		m->cap = o.cap ? o.cap * 2 : 64;
		m->keys = xcalloc(m->cap, sizeof *m->keys);
		m->vals = xcalloc(m->cap, sizeof *m->vals);
		m->n = 0;
		for (size_t i = 0; i < o.cap; i++) {
			if (o.keys[i])
				imap_put(m, o.keys[i], o.vals[i]);
		}
		free(o.keys);
		free(o.vals);
	}
	size_t i = imix(k) & (m->cap - 1);
	while (m->keys[i] && m->keys[i] != k)
		i = (i + 1) & (m->cap - 1);
	if (!m->keys[i]) {
		m->keys[i] = k;
		m->n++;
	}
	m->vals[i] = v;
	return &m->vals[i];
}

/* ---- small numeric helpers -------------------------------------------------------------- */

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	return (x > y) - (x < y);
}

static int cmp_d(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

double median_u32(uint32_t *v, size_t n)
{
	if (n == 0)
		return NAN;
	qsort(v, n, sizeof *v, cmp_u32);
	return n % 2 ? v[n / 2] : 0.5 * ((double)v[n / 2 - 1] + (double)v[n / 2]);
}

double quantile_d(double *v, size_t n, double q)
{
	if (n == 0)
		return NAN;
	qsort(v, n, sizeof *v, cmp_d);
	double r = q * (double)(n - 1);
	size_t i = (size_t)floor(r);
	if (i + 1 >= n)
		return v[n - 1];
	return v[i] + (r - (double)i) * (v[i + 1] - v[i]);
}

char *fmt_dup(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		return xstrdup("");
	char *p = xmalloc((size_t)n + 1);
	va_start(ap, fmt);
	vsnprintf(p, (size_t)n + 1, fmt, ap);
	va_end(ap);
	return p;
}

uint32_t smap_intern(struct smap *m, const char *k, size_t n)
{
	uint32_t *v = smap_get(m, k, n);
	if (v)
		return *v;
	uint32_t id = (uint32_t)m->n;
	smap_put(m, k, n, id);
	return id;
}
