/* hist.c - see hist.h. */
#include "analyzer/hist.h"

#include <stdlib.h>
#include <string.h>

#include "common/util.h"

void hist_init(struct hist *h, unsigned sub_bits)
{
	memset(h, 0, sizeof *h);
	h->sub_bits = (uint8_t)sub_bits;
}

void hist_free(struct hist *h)
{
	free(h->c);
	h->c = NULL;
	h->n = 0;
}

uint32_t hist_index(unsigned sub_bits, int64_t v)
{
	uint64_t u = v < 0 ? 0 : (uint64_t)v;
	uint64_t sub = 1ULL << sub_bits;
	if (u < sub)
		return (uint32_t)u;
	unsigned e = 63u - (unsigned)__builtin_clzll(u);
	unsigned shift = e - sub_bits + 1;
	uint64_t half = sub >> 1;
	uint64_t m = u >> shift; /* in [half, sub) */
	return (uint32_t)(sub + (shift - 1) * half + (m - half));
}

/* Bucket idx holds [low, low + 2^*shift - 1]: below 2^sub_bits one value each (shift 0), then
 * half = 2^(sub_bits-1) buckets per power of two.  Returns low. */
static int64_t bucket_span(unsigned sub_bits, uint32_t idx, uint64_t *shift)
{
	uint64_t sub = 1ULL << sub_bits, half = sub >> 1;
	*shift = 0;
	if (idx < sub)
		return (int64_t)idx;
	uint64_t k = idx - sub;
	*shift = k / half + 1;
	uint64_t m = k % half + half;
	return (int64_t)(m << *shift);
}

int64_t hist_bucket_low(unsigned sub_bits, uint32_t idx)
{
	uint64_t shift;
	return bucket_span(sub_bits, idx, &shift);
}

int64_t hist_bucket_high(unsigned sub_bits, uint32_t idx)
{
	uint64_t shift;
	int64_t low = bucket_span(sub_bits, idx, &shift);
	return low + (int64_t)((1ULL << shift) - 1);
}

static void ensure(struct hist *h, uint32_t idx)
{
	if (idx < h->n)
		return;
	uint32_t n = h->n ? h->n : 64;
	while (n <= idx)
		n *= 2;
	h->c = xrealloc(h->c, (size_t)n * sizeof *h->c);
	memset(h->c + h->n, 0, (size_t)(n - h->n) * sizeof *h->c);
	h->n = n;
}

void hist_add_n(struct hist *h, int64_t v, uint64_t n)
{
	if (n == 0)
		return;
	if (h->sub_bits == 0) /* zero-initialised: the fine default */
		h->sub_bits = HIST_FINE;
	if (v < 0)
		v = 0;
	uint32_t idx = hist_index(h->sub_bits, v);
	ensure(h, idx);
	h->c[idx] += n;
	if (h->count == 0 || v < h->min)
		h->min = v;
	if (h->count == 0 || v > h->max)
		h->max = v;
	h->count += n;
	h->sum += (double)v * (double)n;
}

void hist_add(struct hist *h, int64_t v)
{
	hist_add_n(h, v, 1);
}

void hist_merge(struct hist *a, const struct hist *b)
{
	if (b->count == 0)
		return;
	if (a->sub_bits == 0)
		a->sub_bits = b->sub_bits;
	if (b->n)
		ensure(a, b->n - 1);
	for (uint32_t i = 0; i < b->n; i++)
		a->c[i] += b->c[i];
	if (a->count == 0 || b->min < a->min)
		a->min = b->min;
	if (a->count == 0 || b->max > a->max)
		a->max = b->max;
	a->count += b->count;
	a->sum += b->sum;
}

int64_t hist_quantile(const struct hist *h, double q)
{
	if (h->count == 0)
		return 0;
	if (q <= 0)
		return h->min;
	if (q >= 1)
		return h->max;
	/* rank of the q-quantile: ceil(q * count), at least 1 (nearest-rank, as JMeter) */
	double r = q * (double)h->count;
	uint64_t rank = (uint64_t)r;
	if ((double)rank < r)
		rank++;
	if (rank == 0)
		rank = 1;
	uint64_t acc = 0;
	for (uint32_t i = 0; i < h->n; i++) {
		acc += h->c[i];
		if (acc >= rank) {
			int64_t lo = hist_bucket_low(h->sub_bits, i), hi = hist_bucket_high(h->sub_bits, i);
			int64_t v = lo + (hi - lo) / 2;
			if (v < h->min)
				v = h->min;
			if (v > h->max)
				v = h->max;
			return v;
		}
	}
	return h->max;
}

double hist_mean(const struct hist *h)
{
	return h->count ? h->sum / (double)h->count : 0.0;
}
