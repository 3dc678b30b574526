/* report.h - writing an analysis in each output format.  Reports only read struct analysis.
 * Output is deterministic: stable order, fixed float formats, no wall-clock stamp unless
 * meta->stamp is set. */
#ifndef JTLSCOPE_REPORTS_REPORT_H
#define JTLSCOPE_REPORTS_REPORT_H

#include <stdbool.h>
#include <stdio.h>
#include "analyzer/analysis.h"
#include "reports/throttle_report.h"

#define REPORT_SCHEMA "jtlscope-report/1"
#define REPORT_TOP_ERRORS 10   /* rows in the md/html "top errors" and "Errors" tables */
#define REPORT_TOP_ERROR_LABELS 50  /* label rows in "Top 5 errors by sampler" */

struct chart_set;              /* reports/charts.h */

struct report_meta {
	const char *version;
	const char *command_line;   /* as typed, for the HTML/MD footer; may be NULL */
	const char *stamp;          /* wall-clock stamp text, NULL unless --stamp */
	const char *charts_dir;     /* relative dir with chart images, NULL if none */
	const struct chart_set *charts; /* charts_render() result for md/html, NULL if none */
	/* A sentence about the whole report (merge: how its throttle analysis was made), or NULL:
	 * the text, md and html writers print it first, as is (it is our text, not input); JSON
	 * carries it in "merged". */
	const char *note;
	size_t merged_parts;        /* > 0: merged from that many summaries ("merged" in JSON) */
};

/* Each returns 0, or -1 if writing failed (errno set). */
int report_text(FILE *f, const struct analysis *a, const struct report_meta *m);
int report_json(FILE *f, const struct analysis *a, const struct report_meta *m);
/* Markdown (GitHub / Jira): verdict, key numbers, regions, labels, top errors, inputs, chart
 * links (m->charts entries with a path). */
int report_md(FILE *f, const struct analysis *a, const struct report_meta *m);
/* One self-contained HTML file (inline CSS, m->charts inlined as SVG, no scripts). */
int report_html(FILE *f, const struct analysis *a, const struct report_meta *m);
/* CSV (RFC 4180, CRLF): one row per time-series bucket; one row per label plus TOTAL. */
int report_csv_series(FILE *f, const struct analysis *a);
int report_csv_labels(FILE *f, const struct analysis *a);

/* The tables of the md and html reports, as plain-text cells (each writer escapes them). */
struct report_table {
	const char *title;
	size_t ncols, nrows, ncells; /* ncells == nrows * ncols once every row is complete */
	const char *const *head;    /* ncols header cells */
	const char *align;          /* ncols chars: 'l' or 'r' */
	char **cell;                /* nrows * ncols, row-major, owned */
	char *note;                 /* a sentence under the table, owned, or NULL */
	const char *empty;          /* what to print instead of a table without rows, or NULL */
};
enum report_table_id {
	REPORT_T_KEYS,              /* key numbers (metric, value) */
	REPORT_T_REGIONS,           /* throttle groups; 0 rows without throttle analysis */
	REPORT_T_LABELS,            /* JMeter's statistics columns, TOTAL last */
	REPORT_T_ERRORS,            /* top non-2xx/3xx response codes */
	REPORT_T_INPUTS,            /* input diagnostics */
	REPORT_T_JOIN,              /* JTL <-> capture time split; 0 rows without a join */
	REPORT_T_ERROR_TYPES,       /* JMeter's Errors table (analysis.errors) */
	REPORT_T_ERRORS_BY_LABEL,   /* JMeter's Top 5 errors by sampler; 0 rows without errors */
	REPORT_T_COUNT
};
/* Fill t (its cells and note owned by t) with table id; the caller frees it with
 * report_table_free. */
void report_table_build(struct report_table *t, enum report_table_id id, const struct analysis *a);
void report_table_free(struct report_table *t);
/* The "Throttled over time" block of the md and html reports, as plain text (each writer
 * escapes it): the sparkline tl.spark from tl.from to `to`, its caption, and the seconds around
 * the onset as a table without title (rows.nrows may be 0).  false (nothing to free) when there
 * is no timeline; else report_timeline_free. */
struct report_timeline {
	struct throttle_timeline tl;
	char to[64];
	char *caption;
	struct report_table rows;
	const char *head[5];
	char head0[160];
};
bool report_timeline_build(struct report_timeline *rt, const struct analysis *a);
void report_timeline_free(struct report_timeline *rt);
/* throttle_result(a->throttle), or NULL. */
const struct throttle_result *report_throttle(const struct analysis *a);

/* JMeter's Received / Sent KB/s of s (bytes / 1024 over the set's own window), or -1 when the
 * input had no bytes / sentBytes column ("n/a" in the reports, null in JSON). */
double report_kb_per_s(const struct analysis *a, const struct stats *s, bool sent);

/* Format a UTC time as "YYYY-MM-DD HH:MM:SS.mmm" into buf (>= 32 bytes). */
void report_utc(char *buf, size_t len, int64_t ms);
/* Format a duration in ms as "1h02m", "2m05s", "12.3 s", "850 ms". */
void report_duration(char *buf, size_t len, int64_t ms);

#endif
