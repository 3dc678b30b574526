/* hist.h - log-linear histogram of non-negative integers (milliseconds), fixed memory per
 * magnitude, mergeable exactly.  A zero-initialised struct hist is valid (HIST_FINE).
 *
 * Values below 2^sub_bits are exact; above, each power of two is split into 2^(sub_bits-1)
 * equal buckets, so a reported percentile is within 1/2^sub_bits of the true value (sub_bits 7:
 * <= 0.8 %; sub_bits 5: <= 3.2 %).  Buckets are allocated up to the largest value seen.
 */
#ifndef JTLSCOPE_ANALYZER_HIST_H
#define JTLSCOPE_ANALYZER_HIST_H

#include <stdint.h>
#include <stddef.h>

#define HIST_FINE 7     /* per-label and overall: <= 1 % error */
#define HIST_COARSE 5   /* per time bucket */

struct hist {
	uint64_t *c;
	uint32_t n;          /* allocated buckets */
	uint8_t sub_bits;
	uint64_t count;
	int64_t min, max;
	double sum;
};

void hist_init(struct hist *h, unsigned sub_bits);
void hist_free(struct hist *h);
void hist_add(struct hist *h, int64_t v);
void hist_add_n(struct hist *h, int64_t v, uint64_t n);
/* Merge b into a (same sub_bits). */
void hist_merge(struct hist *a, const struct hist *b);
/* q in [0,1]; 0 for an empty histogram. */
int64_t hist_quantile(const struct hist *h, double q);
double hist_mean(const struct hist *h);

/* Bucket index <-> value range, exposed for summaries (merge files). */
uint32_t hist_index(unsigned sub_bits, int64_t v);
int64_t hist_bucket_low(unsigned sub_bits, uint32_t idx);
int64_t hist_bucket_high(unsigned sub_bits, uint32_t idx); /* inclusive */

#endif
