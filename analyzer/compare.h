/* compare.h - the statistics of `jtlscope compare` on two runs' metrics (run_metrics.h):
 * relative changes and their notes, the two-proportion z-test of error shares, and whether the
 * fitted limiter changed between the runs.  Writers: reports/compare_report.h. */
#ifndef JTLSCOPE_ANALYZER_COMPARE_H
#define JTLSCOPE_ANALYZER_COMPARE_H

#include <stdbool.h>
#include "analyzer/run_metrics.h"

#define COMPARE_PCT_NOISE 2.0     /* |delta| below this % of the baseline: histogram error */
#define COMPARE_PCT_FLAG 10.0     /* |delta| above this %: flagged as a change */
#define COMPARE_Z_SIGNIFICANT 1.96 /* two-proportion z-test, two-sided p < 0.05 */

/* Two-proportion z-test of e1/n1 vs e2/n2 (pooled).  false when it cannot be computed. */
bool compare_z_test(double e1, double n1, double e2, double n2, double *z, double *p);
/* 100 * (c - b) / b; NAN when either is NAN, INFINITY from 0 to non-zero. */
double compare_pct_change(double b, double c);
/* A latency or rate change: "within histogram error" / "small change" / "SLOWER (>10 %)"... */
const char *compare_change_note(double b, double c, bool higher_is_worse, bool is_latency);

/* Did the limit change?  Decided on the intervals the data are consistent with. */
enum compare_limit_verdict {
	COMPARE_LIMIT_CANNOT_TELL,  /* a side has no fitted model, or no interval to compare */
	COMPARE_LIMIT_UNCHANGED,    /* every parameter both sides bound: the intervals overlap */
	COMPARE_LIMIT_CHANGED,      /* some parameter's intervals do not overlap */
};

struct compare_limit {
	enum compare_limit_verdict verdict;
	bool compared[RM_NPARAMS];  /* both sides give this parameter's interval */
	bool disjoint[RM_NPARAMS];  /* ...and the intervals do not overlap */
	const struct rm_group *base, *cand;   /* the limiter groups (run_metrics_limiter), or NULL */
	char why[200];              /* one sentence: the verdict and its reason */
};

/* Compare the limiter of the two runs (run_metrics_limiter of each, only where sustained
 * throttling was found).  The rate is compared whatever the models; the other parameters
 * (burst, limit, window, concurrency) only when both sides fitted the same model, since a
 * fixed window's "limit" and a sliding window's are different quantities. */
void compare_limits(const struct run_metrics *base, const struct run_metrics *cand, struct compare_limit *out);
/* "changed", "unchanged", "cannot tell". */
const char *compare_limit_verdict_name(enum compare_limit_verdict v);

#endif
