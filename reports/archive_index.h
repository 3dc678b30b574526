/* archive_index.h - batch's runs read back into the index: each run's OUT/runs/NAME/report.json
 * becomes its struct run_metrics (reports/report_read.h) and is deleted at once, the gate is
 * evaluated on the metrics (one suite per run, named by its path), and one typed row kept
 * (reports/index.h); then the limit changes, the trend chart and OUT/index.{json,csv,md,html}.
 * So the batch holds one report tree at a time and a row per run.
 *
 *   struct archive_index_opts o = { .out = out, .gate = gate, .gate_lines = stderr,
 *                                   .unpaired = d.unpaired, .nunpaired = d.nunpaired };
 *   struct archive_index_counts k;
 *   if (archive_index_write(&o, runs, n, &k) != 0) ...   a file could not be written
 *
 * A run whose report.json exists but cannot be read although its worker exited 0 becomes a
 * failed run (exit 3, the reason as its error; the cache then records that).  Nothing in the
 * options is owned; the gate records one evaluation per run with a report (for JUnit). */
#ifndef JTLSCOPE_REPORTS_ARCHIVE_INDEX_H
#define JTLSCOPE_REPORTS_ARCHIVE_INDEX_H

#include <stddef.h>
#include <stdio.h>
#include "analyzer/gate.h"
#include "reports/archive_run.h"

struct archive_index_opts {
	const char *out;
	struct gate *gate;           /* NULL: no gate column */
	FILE *gate_lines;            /* the gate's result lines per run; NULL: none */
	char *const *unpaired;       /* captures not paired with a run */
	size_t nunpaired;
};

struct archive_index_counts {
	size_t failed;               /* runs with exit != 0 */
	size_t gated;                /* runs that met a --fail-on criterion */
};

/* 0, or -1 when an index file could not be written (diag_error names it). */
int archive_index_write(const struct archive_index_opts *o, struct archive_run *runs, size_t n,
			struct archive_index_counts *k);

#endif
