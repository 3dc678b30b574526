/* charts.h - charts of an analysis drawn by gnuplot (an external program, spawned without a
 * shell; see spawn.h).
 *
 *   struct chart_set cs;
 *   charts_render(a, "out", CHART_SVG, &cs);   out/charts/NAME.svg, and cs.v[i].svg for HTML
 *   ... report_html(f, a, &(struct report_meta){ .charts = &cs, ... }) ...
 *   chart_set_free(&cs);                         frees every string in cs
 *
 * gnuplot gets a script and data files written into a private temp dir (mkdtemp, removed
 * afterwards); input text reaches the script only through esc_gnuplot.  Every SVG is parsed
 * (expat) and rejected unless it is well-formed and free of scripts, event handlers and
 * references outside the document, so it can be inlined into HTML as it is.  Without gnuplot
 * (or when it fails) there are no charts and cs.warning says why: the reports still get
 * written, with tables only.
 */
#ifndef JTLSCOPE_REPORTS_CHARTS_H
#define JTLSCOPE_REPORTS_CHARTS_H

#include <stdbool.h>
#include <stddef.h>
#include "analyzer/analysis.h"

#define CHARTS_TIMEOUT_MS 60000      /* one gnuplot run */
#define CHARTS_MAX_SVG (32u << 20)   /* bytes of one SVG read back */
#define CHARTS_MAX_POINTS 4000       /* points per line; longer series are merged into wider buckets */
#define CHARTS_MAX_REGIONS 8         /* panels in the per-region chart */
#define CHARTS_MAX_STRIP_CONNS 400   /* rows (connections) of the per-connection chart */
#define CHARTS_ENV_GNUPLOT "JTLSCOPE_GNUPLOT" /* program to run instead of "gnuplot" */

enum chart_format { CHART_NONE = 0, CHART_SVG, CHART_PNG };

struct chart {
	char *name;    /* file stem: "throughput", "threads", "latency", "latency-vs-threads", "regions" */
	char *title;   /* one line, may contain input text (escape it for the output) */
	char *path;    /* image file relative to outdir ("charts/NAME.svg"), NULL if not written */
	char *svg;     /* the SVG document, checked (see above), always set */
};

struct chart_set {
	size_t n;
	struct chart *v;
	char *warning; /* what went wrong or was left out (one paragraph), or NULL */
};

/* "svg", "png", "none" -> format; false for anything else. */
bool charts_parse_format(const char *s, enum chart_format *out);
/* File extension of a format ("svg", "png"); NULL for CHART_NONE. */
const char *charts_ext(enum chart_format fmt);

/* Draw the charts of a.  outdir: image files go into outdir/charts/ (created); NULL keeps the SVG
 * text only.  CHART_NONE draws nothing.  Returns 0 (also when gnuplot is missing or failed: see
 * out->warning), or -1 when an image could not be written into outdir (errno set; out still
 * holds what was drawn).  out is always initialised; free it with chart_set_free. */
int charts_render(const struct analysis *a, const char *outdir, enum chart_format fmt,
		  struct chart_set *out);
void chart_set_free(struct chart_set *cs);

/* Is this SVG text well-formed XML without scripts, event handlers, foreign objects or
 * references outside the document?  why gets the reason when not (may be NULL). */
bool charts_svg_safe(const char *svg, size_t n, char *why, size_t whylen);

#endif
