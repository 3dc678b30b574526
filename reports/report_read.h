/* report_read.h - a report.json (written now or earlier) read back into struct run_metrics.
 *
 * The one place where a report's JSON becomes the typed record gate, compare and the batch
 * index read (analyzer/run_metrics.h); the dotted-path accessors are for what is not in the
 * record (batch's cache entries).  Nothing returned here borrows from the tree: the record owns
 * copies of its strings (run_metrics_release frees them). */
#ifndef JTLSCOPE_REPORTS_REPORT_READ_H
#define JTLSCOPE_REPORTS_REPORT_READ_H

#include <cjson/cJSON.h>
#include "analyzer/analysis.h"
#include "analyzer/run_metrics.h"
#include "reports/report.h"

/* Fill m (initialised here) from a "jtlscope-report/1" tree.  Keys the tree lacks stay NAN /
 * absent, so a report of an older version or a hostile file gives "n/a", never a crash.  The
 * strings and arrays of m are its own: the caller frees them with run_metrics_release. */
void report_read_metrics(struct run_metrics *m, const cJSON *report);
/* The run metrics of an analysis, exactly as its report.json would give them back (freed the
 * same way). */
void report_read_analysis(struct run_metrics *m, const struct analysis *a, const struct report_meta *meta);

/* Number at a dotted path ("onset.offset_s") below o; NAN when absent or not a number. */
double report_read_num(const cJSON *o, const char *path);
/* String at a dotted path, or NULL (borrowed from the tree). */
const char *report_read_str(const cJSON *o, const char *path);

#endif
