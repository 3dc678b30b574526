/* index.h - the batch index: one typed row per run (built from its struct run_metrics), and the
 * four writers index.md (index_md.c), index.html (index_html.c), index.csv (index_csv.c) and
 * index.json (index_json.c, the only one that knows JSON).  The trend chart is index_chart.h.
 *
 *   struct index_row row;
 *   index_row_init(&row, path, "runs/NAME/", exit, error, caps, ncaps);
 *   index_row_metrics(&row, &metrics);       when the run's report.json was read
 *   ... index_mark_limit_changes(rows, n); index_write_md(f, &ix); ...
 *   index_row_release(&row);                 frees every string it owns
 *
 * Every string of a row is a valid-UTF-8 copy (esc_utf8_dup) and is escaped again per format by
 * the writers.  Numbers are rounded as index.json writes them (NAN when unknown, null in JSON),
 * and the md/html/csv cells print those rounded values, so all four formats agree. */
#ifndef JTLSCOPE_REPORTS_INDEX_H
#define JTLSCOPE_REPORTS_INDEX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include "analyzer/run_metrics.h"

#define INDEX_SCHEMA "jtlscope-batch-index/1"

struct index_row {
	char *path;              /* owned: the run's JTL */
	char *report;            /* owned: folder of its report, relative to the index ("runs/N/") */
	int exit;                /* worker exit code; -1 not run */
	char *error;             /* owned: first error line, or NULL */
	char **caps;             /* owned: paired captures */
	size_t ncaps;
	bool has_report;         /* its report.json was read */
	char *start;             /* owned: run start as UTC text, or NULL */
	double start_ms, duration_s, samples, error_pct, throttled_pct, p95_ms;
	bool throttle_analysis;  /* the report has a throttle section */
	double onset_offset_s, onset_threads;
	char *limiter_model;     /* owned or NULL */
	double rate_per_s, rate_low, rate_high;   /* admitted rate and its interval */
	char *scope;             /* owned or NULL */
	bool limit_changed;      /* set by index_mark_limit_changes */
	char **regions;          /* owned: regions with sustained throttling */
	size_t nregions;
	const char *gate;        /* static "pass", "fail", "n/a"; NULL without a gate */
};

/* The whole index as the writers see it (nothing owned). */
struct index {
	const struct index_row *rows;
	size_t nrows;
	bool gate;               /* show the gate column */
	const char *trend_svg;   /* the checked trend chart, or NULL (then trend_why says why) */
	const char *trend_why;
	char *const *unpaired;   /* captures not paired with a run */
	size_t nunpaired;
};

/* A row without metrics (NULL error: none); the strings are copied. */
void index_row_init(struct index_row *row, const char *path, const char *report, int exit,
		    const char *error, char *const *caps, size_t ncaps);
/* Fill the row's metric columns from a run's metrics. */
void index_row_metrics(struct index_row *row, const struct run_metrics *m);
void index_row_release(struct index_row *row);

/* In start-time order, a run whose admitted-rate interval does not overlap the one of the
 * previous run with an interval gets limit_changed (the limit moved between them). */
void index_mark_limit_changes(struct index_row *rows, size_t n);
/* The trend chart of the rows into outdir (index_trend_chart): its SVG text, which the caller
 * frees, or NULL with why set. */
char *index_rows_chart(const struct index_row *rows, size_t n, const char *outdir, char *why,
		       size_t whylen);

/* The writers: 0, or -1 when f reports an error. */
int index_write_md(FILE *f, const struct index *ix);
int index_write_html(FILE *f, const struct index *ix);
int index_write_csv(FILE *f, const struct index *ix);
int index_write_json(FILE *f, const struct index *ix);

/* --- for the writers: the table's cells as plain text -------------------------------------- */

enum { INDEX_C_PATH, INDEX_C_STATUS, INDEX_C_START, INDEX_C_DUR, INDEX_C_SAMPLES, INDEX_C_ERR,
       INDEX_C_THR, INDEX_C_ONSET, INDEX_C_OTHREADS, INDEX_C_MODEL, INDEX_C_RATE, INDEX_C_CHANGED,
       INDEX_C_SCOPE, INDEX_C_P95, INDEX_C_REGIONS, INDEX_C_CAPS, INDEX_C_GATE, INDEX_C_ERROR,
       INDEX_NCOLS };

/* Column heading i (the start column names the --tz zone; a static buffer for it). */
const char *index_col_name(size_t i);
/* The cells of a row (each owned; index_cells_free). */
void index_cells(const struct index_row *row, char *c[INDEX_NCOLS]);
void index_cells_free(char *c[INDEX_NCOLS]);
bool index_col_shown(const struct index *ix, size_t col);
/* Right-aligned (numeric) column? */
bool index_col_numeric(size_t col);
/* Runs analysed, failed, and with sustained throttling (an onset). */
void index_counts(const struct index *ix, size_t *ok, size_t *failed, size_t *throttled);

#endif
