/* compare_report.h - `jtlscope compare` output: the comparison of two runs' metrics as a
 * "jtlscope-compare/1" object (caller deletes it), rendered as text, Markdown or JSON.  Every
 * label and path from the inputs is escaped for the target format. */
#ifndef JTLSCOPE_REPORTS_COMPARE_REPORT_H
#define JTLSCOPE_REPORTS_COMPARE_REPORT_H

#include <cjson/cJSON.h>
#include <stdio.h>
#include "analyzer/run_metrics.h"

#define COMPARE_SCHEMA "jtlscope-compare/1"

cJSON *compare_report_tree(const struct run_metrics *base, const struct run_metrics *cand,
			   const char *base_name, const char *cand_name);
/* 0, or -1 when writing failed. */
int compare_report_text(FILE *f, const cJSON *cmp);
int compare_report_md(FILE *f, const cJSON *cmp);
int compare_report_json(FILE *f, const cJSON *cmp);

#endif
