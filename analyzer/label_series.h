/* label_series.h - per-label time series for the dashboard charts (JMeter's "Response Time
 * Over Time" and "Transactions Per Second"): count, failures and elapsed sum per bucket.
 *
 * Memory is bounded whatever the run: at most LSERIES_MAX_LABELS labels are tracked (the first
 * ones seen; later labels are only counted in `untracked`), each with at most
 * LSERIES_MAX_BUCKETS buckets on one time grid shared by every tracked label (the width doubles
 * when a run needs more), so at most 64 * 1024 * 24 bytes = 1.5 MiB.  After lseries_finish the
 * tracked labels are sorted busiest first (count desc, then name) and reports chart the first
 * LSERIES_CHART_LABELS of them.
 *
 *   lseries_init(&s, bucket_ms);  lseries_add(&s, label_id, name, n, ts, elapsed, ok) per sample;
 *   lseries_finish(&s);  ... read s.lab[0 .. s.nlab) ...;  lseries_free(&s);
 *
 * label_id is any dense id of the caller's (analysis.c: its label map id), used only before
 * lseries_finish; names are copied.
 */
#ifndef JTLSCOPE_ANALYZER_LABEL_SERIES_H
#define JTLSCOPE_ANALYZER_LABEL_SERIES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define LSERIES_MAX_LABELS 64     /* labels tracked (the first seen) */
#define LSERIES_MAX_BUCKETS 1024  /* buckets per label; the width doubles past it */
#define LSERIES_CHART_LABELS 10   /* labels charted: the busiest tracked ones */

struct lseries_bucket {
	uint64_t count, errors;
	double sum_ms;            /* elapsed sum, for the mean */
};

struct lseries_label {
	char *name;
	uint64_t count;           /* samples of this label with a timestamp */
	struct lseries_bucket *b; /* cap buckets; [0 .. set.n) in use */
};

struct lseries_set {
	int64_t base_ms, width_ms; /* bucket i covers [base + i*width, base + (i+1)*width) */
	size_t n, cap;             /* buckets in use / allocated, the same for every label */
	struct lseries_label lab[LSERIES_MAX_LABELS];
	size_t nlab;
	uint64_t untracked;        /* samples of labels past LSERIES_MAX_LABELS */
	size_t untracked_labels;   /* how many such labels */
	/* private: caller's label id -> slot + 1 (0 = not seen, SIZE_MAX = not tracked) */
	size_t *slot_of;
	size_t slot_cap;
};

void lseries_init(struct lseries_set *s, int64_t width_ms);
void lseries_free(struct lseries_set *s);
/* One sample (ts = start, ms). */
void lseries_add(struct lseries_set *s, size_t label_id, const char *name, size_t name_n, int64_t ts,
		 int64_t elapsed_ms, bool success);
/* Merge b into a (finished or not), matching labels by name; bucket contents land in a's
 * bucket holding b's bucket start.  For analysis merges. */
void lseries_merge(struct lseries_set *a, const struct lseries_set *b);
/* Add one bucket's contents for a label by name (summaries): tracked when there is room. */
void lseries_add_bucket(struct lseries_set *s, const char *name, int64_t ts, uint64_t count,
			uint64_t errors, double sum_ms);
/* Sort the tracked labels busiest first; no lseries_add afterwards. */
void lseries_finish(struct lseries_set *s);

#endif
