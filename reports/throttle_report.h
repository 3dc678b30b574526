/* throttle_report.h - rendering of the throttle analysis (verdict, tables) in text and JSON.
 *
 * Both read only throttle_result(t); t must have been finished (throttle_finish).  Every string
 * that came from input (group names) is escaped for the target: \xNN for control bytes in text
 * (reports/escape.h), valid UTF-8 in JSON.  Output is deterministic: groups sorted by name with
 * "other" last, fixed float formats, numbers rounded before they enter JSON. */
#ifndef JTLSCOPE_REPORTS_THROTTLE_REPORT_H
#define JTLSCOPE_REPORTS_THROTTLE_REPORT_H

#include <cjson/cJSON.h>
#include <stdio.h>
#include "analyzer/throttle/throttle.h"

/* VERDICT and WHAT TO DO paragraphs, then the tables backing them: per-group load and onset,
 * limiter fit with every model's score, scope evidence, Retry-After compliance. */
void throttle_report_text(FILE *f, const struct throttle *t);
/* Adds root.throttle (schema in docs/analysis.md). */
void throttle_report_json(cJSON *root, const struct throttle *t);
/* The same with what the report knows about its inputs (c may be NULL): the text starts with
 * the headline line, the JSON gets throttle.headline. */
struct verdict_context;
void throttle_report_text_ctx(FILE *f, const struct throttle *t, const struct verdict_context *c);
void throttle_report_json_ctx(cJSON *root, const struct throttle *t, const struct verdict_context *c);

#endif
