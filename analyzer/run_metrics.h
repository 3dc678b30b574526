/* run_metrics.h - the typed record of one finished run that gate, compare and the batch index
 * read: totals and per-label statistics, response codes, the time series, and the throttle
 * groups with their onset and fitted limiter.
 *
 * It is the one record crossing from a report (written now or read back from a report.json
 * written earlier) to the commands that judge runs.  reports/report_read.c fills it (the JSON
 * edge); nothing here knows JSON.  Every number a report may lack is NAN when absent, so "the
 * report has no such value" stays distinguishable from 0.
 *
 *   struct run_metrics m;
 *   if (report_read_metrics(&m, tree, err, sizeof err) != 0) ...   (reports/report_read.h)
 *   const struct rm_stats *s = run_metrics_stats(&m, "Login");
 *   run_metrics_release(&m);                       frees every string and array it owns
 */
#ifndef JTLSCOPE_ANALYZER_RUN_METRICS_H
#define JTLSCOPE_ANALYZER_RUN_METRICS_H

#include <stdbool.h>
#include <stddef.h>

#define RM_MAX_CLASS 6          /* by_class index: 1..5 = 1xx..5xx, 0 = no HTTP status */

/* Statistics of all samples ("total") or of one label. */
struct rm_stats {
	char *label;             /* owned; NULL for the total */
	double count, errors, error_pct, throttled;
	double p50_ms, p90_ms, p95_ms, p99_ms, mean_ms, min_ms, max_ms, throughput_per_s;
	double ok_p50_ms, ok_p95_ms, ok_p99_ms, ok_mean_ms;   /* successful samples only */
};

/* One bucket of the time series. */
struct rm_bucket {
	double ts_ms, count, errors, throttled;
	double p50_ms, p95_ms, p99_ms, ok_p50_ms, ok_p95_ms;
	double by_class[RM_MAX_CLASS];   /* responses per status class; 0 when none */
};

/* One response code ("429", "Non HTTP response code: ...") and its count. */
struct rm_code {
	char *code;              /* owned */
	double count;
};

/* The parameters of a fitted limiter; each with the interval the data are consistent with. */
enum rm_param { RM_RATE, RM_BURST, RM_LIMIT, RM_WINDOW, RM_CONCURRENCY, RM_NPARAMS };

struct rm_interval {
	double value, low, high; /* NAN when the report has none */
};

struct rm_limit {
	char *model;             /* owned: "token-bucket", ..., "unknown"; NULL when none */
	struct rm_interval p[RM_NPARAMS];
};

enum rm_list { RM_OVERALL, RM_GROUPS, RM_REGIONS };

/* The throttle analysis of the whole run or of one group/region. */
struct rm_group {
	enum rm_list list;
	char *name;              /* owned: lookup name ("name", else "region"); NULL for overall */
	char *region;            /* owned: the region, for RM_REGIONS entries that carry one */
	int detected;            /* sustained throttling: 1 yes, 0 no, -1 unknown */
	char *scope;             /* owned: "shared", "per-thread", ... as the report names it; or NULL */
	double onset_offset_s, onset_ts_ms, onset_threads;
	struct rm_limit limit;
};

struct run_metrics {
	/* "samples" of the report */
	double samples_total, samples_skipped, samples_errors, samples_throttled;
	double first_ts_ms, end_ms;
	bool has_total;
	struct rm_stats total;
	struct rm_stats *labels; /* in report order; only entries that name their label */
	size_t nlabels;
	bool has_codes;
	struct rm_code *codes;
	size_t ncodes;
	bool has_series;
	double bucket_ms;        /* NAN when absent */
	struct rm_bucket *series;
	size_t nseries;
	bool has_throttle;
	struct rm_group overall;
	struct rm_group *groups; /* "groups" then "regions", each in report order */
	size_t ngroups;
};

void run_metrics_init(struct run_metrics *m);
void run_metrics_release(struct run_metrics *m);

/* The statistics of a label, or the total when label is NULL; NULL when the run has none. */
const struct rm_stats *run_metrics_stats(const struct run_metrics *m, const char *label);
/* The throttle group of a group/region name (groups first, then regions), or the overall
 * group when name is NULL; NULL without a throttle analysis or without such a group. */
const struct rm_group *run_metrics_group(const struct run_metrics *m, const char *name);
/* The group whose limiter estimate stands for the run: the overall group when its model is
 * known, else the throttled region with the earliest onset that has one, else the overall
 * group.  NULL without a throttle analysis. */
const struct rm_group *run_metrics_limiter(const struct run_metrics *m);
/* Does the group carry a fitted model (not absent, not "unknown")? */
bool run_metrics_model_known(const struct rm_group *g);
/* Name of a limiter parameter as the report spells it ("rate_per_s", "burst", ...). */
const char *run_metrics_param_name(enum rm_param p);

#endif
