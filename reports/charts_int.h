/* charts_int.h - what the files of the chart module share (not for use outside charts*.c).
 *
 * The module draws the charts of charts.h in three steps, one file each: charts_data.c writes
 * the data files gnuplot reads (NAME.dat in the private temp dir, numbers only);
 * charts_script.c builds each chart's gnuplot commands (struct charts_job: every input string
 * through charts_gp_str, i.e. esc_gnuplot); charts.c runs gnuplot per job and collects what it
 * drew, checked by charts_svg.c.  Times on the x axis are shifted into the report's zone
 * (report_local_s) by the data writers and the axis alike.
 */
#ifndef JTLSCOPE_REPORTS_CHARTS_INT_H
#define JTLSCOPE_REPORTS_CHARTS_INT_H

#include <stdbool.h>
#include <stddef.h>
#include "analyzer/analysis.h"
#include "common/util.h"
#include "reports/charts.h"

#define CHART_W 960
#define CHART_H 420
#define REGION_PANEL_H 230

/* ---- data files (charts_data.c); each returns 0, or -1 with errno set ------------------- */

/* Which latency columns of series.dat have at least one value (a plot of nothing stops
 * gnuplot), and whether any bucket had threads. */
struct charts_have {
	bool all, ok, threads;
};

/* series.dat: t accepted acc+thr total threads thr% p50 p95 p99 okp50 okp95 okp99 */
int charts_write_series(const char *path, const struct series *s, struct charts_have *h);
/* regionN.dat from a group's fine series: t accepted/s throttled/s other/s */
int charts_write_region(const char *path, const struct throttle_series *s);
/* threads.dat: t senders throttled% per per-key bucket of the group (its fine series summed) */
int charts_write_group_threads(const char *path, const struct throttle_group *g);
/* connections.dat: row (connection order) start_s end_s outcome, one line per exchange;
 * *nconn = the connections numbered */
int charts_write_segments(const char *path, const struct analysis *a, size_t *nconn);
/* labels.dat: t, then per charted label (the first nl) mean elapsed and transactions/s */
int charts_write_label_series(const char *path, const struct lseries_set *ls, size_t nl);
/* codes.dat: t, then responses/s per status class (non-HTTP, 1xx .. 5xx); *seen: bit c set
 * when class c occurs */
int charts_write_codes(const char *path, const struct series *s, unsigned *seen);

/* ---- gnuplot scripts (charts_script.c) -------------------------------------------------- */

struct charts_job {
	const char *name;
	char *title;          /* plain text (input text possible) */
	int w, h;
	struct strbuf body;   /* gnuplot commands after terminal/output */
};

/* The throttle result of a, NULL without a throttle analysis. */
const struct throttle_result *charts_tresult(const struct analysis *a);
/* The group the verdict is about (its threads are the verdict's), or NULL without one that
 * has per-key and fine series. */
const struct throttle_group *charts_verdict_group(const struct analysis *a);

void charts_job_throughput(struct charts_job *j, const struct analysis *a);
void charts_job_group_threads(struct charts_job *j, const struct analysis *a,
			      const struct throttle_group *g);
void charts_job_threads(struct charts_job *j, const struct analysis *a);
void charts_job_latency(struct charts_job *j, const struct analysis *a, const struct charts_have *h);
void charts_job_scatter(struct charts_job *j, const struct charts_have *h);
void charts_job_regions(struct charts_job *j, const struct analysis *a, size_t ngroups);
void charts_job_connections(struct charts_job *j, const struct analysis *a, size_t nconn);
/* labels.dat drawn: kind 0 mean elapsed, 1 transactions per second, of the first nl labels */
void charts_job_labels(struct charts_job *j, const struct analysis *a, size_t nl, int kind);
/* codes.dat drawn: the classes set in seen */
void charts_job_codes(struct charts_job *j, const struct analysis *a, unsigned seen);
/* The whole script of a job for one terminal (svg or png) into sb. */
void charts_script_block(struct strbuf *sb, const struct charts_job *j, enum chart_format fmt);

#endif
