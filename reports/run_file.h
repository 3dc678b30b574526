/* run_file.h - the files jtlscope wrote earlier, read back (through json_file_load,
 * reports/json_file.h), and summaries written out:
 *
 *   a report.json or a summary as run metrics      run_file_metrics      (compare)
 *   summary files merged into one analysis         run_file_merge        (merge)
 *   a summary written                              run_file_write_summary (summarize, merge)
 *
 * Errors come back as one message naming the file ("'x.json': not valid JSON (near byte 12)")
 * in a caller buffer; nothing here prints. */
#ifndef JTLSCOPE_REPORTS_RUN_FILE_H
#define JTLSCOPE_REPORTS_RUN_FILE_H

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include "analyzer/analysis.h"
#include "analyzer/run_metrics.h"

/* m (initialised here) from the JSON file path: a "jtlscope-report/1" report, or a summary
 * (finished here, as its report would be; version names the generator).  false with the
 * reason in err. */
bool run_file_metrics(struct run_metrics *m, const char *path, const char *version, char *err,
		      size_t errlen);

/* The summary files paths[0..n) merged into one unfinished analysis: all are loaded first,
 * then checked against the first (same options) and folded in order.  NULL with
 * "'path': reason" in err. */
struct analysis *run_file_merge(const char *const *paths, size_t n, char *err, size_t errlen);

/* The summary of an unfinished analysis, one line of JSON and a newline: 0, or -1 when it
 * cannot be formatted or written. */
int run_file_write_summary(FILE *f, const struct analysis *a, const char *generator);

#endif
