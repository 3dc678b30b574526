/* index_chart.h - the batch index's trend chart: onset, admitted rate, throttled % and p95 of
 * every run over time, drawn by gnuplot (spawn.h) as one SVG with four panels; runs flagged
 * "limit changed" are marked on the admitted-rate panel.
 *
 * Runs get typed points (no JSON here).  The data reach gnuplot as numbers in a file of a
 * private temp dir; no input text enters the script.  The SVG is checked with charts_svg_safe
 * before it is returned, so the html index can inline it. */
#ifndef JTLSCOPE_REPORTS_INDEX_CHART_H
#define JTLSCOPE_REPORTS_INDEX_CHART_H

#include <stdbool.h>
#include <stddef.h>

#define INDEX_CHART_FILE "index-trends.svg"   /* in the batch output folder */

struct index_trend_point {
	double start_ms;      /* run start (epoch ms); points without one are left out */
	double onset_s;       /* onset offset from the run start, NaN when none */
	double rate_per_s;    /* admitted rate, NaN when none */
	double throttled_pct, p95_ms;  /* NaN when unknown */
	bool limit_changed;
};

/* Draw the chart of p[0..n) into outdir/INDEX_CHART_FILE.  Returns the checked SVG text
 * (caller frees), or NULL with why set (gnuplot missing or failed, fewer than two points). */
char *index_trend_chart(const struct index_trend_point *p, size_t n, const char *outdir,
			char *why, size_t whylen);

#endif
