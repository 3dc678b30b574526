/* compare.h - `jtlscope compare BASELINE CANDIDATE`: per-label deltas with a significance note,
 * throttle onset shift, limit estimate change and whether the fitted limit changed, regions
 * newly throttled.
 *
 * Each side is a JTL (analysed here, with the throttle analysis), a report.json, a directory
 * holding one (a batch run folder), or a summary (no throttle analysis then); each becomes a
 * struct run_metrics.  The statistics are analyzer/compare.h, the writers
 * reports/compare_report.h. */
#ifndef JTLSCOPE_CLI_COMPARE_H
#define JTLSCOPE_CLI_COMPARE_H

#include <stdio.h>

int cmd_compare(int argc, char **argv);
void compare_usage(FILE *f);

#endif
