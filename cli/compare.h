/* compare.h - `jtlscope compare BASELINE CANDIDATE`: per-label deltas with a significance note,
 * throttle onset shift, limit estimate change, regions newly throttled.
 *
 * Each side is a JTL (analysed here, with the throttle analysis), a report.json, a directory
 * holding one (a batch run folder), or a summary (no throttle analysis then).  The comparison
 * itself works on two JSON report trees (compare_trees), so tests and other commands can use it
 * on reports they already have. */
#ifndef JTLSCOPE_CLI_COMPARE_H
#define JTLSCOPE_CLI_COMPARE_H

#include <cjson/cJSON.h>
#include <stdio.h>

#define COMPARE_SCHEMA "jtlscope-compare/1"
#define COMPARE_PCT_NOISE 2.0     /* |delta| below this % of the baseline: histogram error */
#define COMPARE_PCT_FLAG 10.0     /* |delta| above this %: flagged as a change */
#define COMPARE_Z_SIGNIFICANT 1.96 /* two-proportion z-test, two-sided p < 0.05 */

int cmd_compare(int argc, char **argv);
void compare_usage(FILE *f);

/* The comparison of two report trees as a "jtlscope-compare/1" object (caller deletes). */
cJSON *compare_trees(const cJSON *base, const cJSON *cand, const char *base_name,
		     const char *cand_name);
/* Render a comparison object. */
int compare_write_text(FILE *f, const cJSON *cmp);
int compare_write_md(FILE *f, const cJSON *cmp);

#endif
