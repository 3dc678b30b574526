/* summary_json.h - the JSON codec of summaries: the mergeable state of a struct analysis as
 * JSON ("jtlscope-summary/1").  It lives at the edge (the analyzer holds no JSON); loading
 * folds every record in through analysis.c's analysis_merge_* functions, and two loaded
 * summaries are folded with analysis_merge (analyzer/analysis.h).
 *
 *   a = analysis_new(&cfg, ...);  analysis_add(a, &s)...      (do NOT call analysis_finish)
 *   cJSON *j = summary_to_json(a, version);                   caller deletes j
 *
 *   m = summary_from_json(j0, err, sizeof err);               an unfinished analysis
 *   p = summary_from_json(j1, ...);  analysis_merge(m, p, ...);  analysis_free(p);  ...
 *   analysis_finish(m);   then the normal reports read m as if one pass had seen every sample
 *
 * What is kept: every counter, per-label histograms of successful and failed samples (sparse:
 * bucket index -> count, with their sub_bits), response codes, thread groups, every thread's
 * first..last span and group (so distinct threads and active threads per bucket stay exact),
 * the time series with its per-bucket histograms, and the inputs.  Histograms merge exactly, so
 * a merged analysis reports the same counts AND the same percentiles as a single pass (given
 * the same label/code caps were not hit in a different order).
 *
 * The throttle analysis' state rides along as "throttle_state" (analyzer/throttle/state.h:
 * its grids, keys and bounded replay store, deflated and base64-encoded): a merged analysis has
 * a->throttle set, and analysis_finish runs the same throttle analysis a single pass runs
 * (throttle_merge_dropped() counts what the parts' bounded stores had lost before the merge).
 * A summary without it (an older version) merges into an analysis with a->throttle == NULL, and
 * the merged report says so (SUMMARY_NO_THROTTLE_NOTE).
 *
 * Hostile input: every number is range-checked (counts are integers in 0..2^53, bucket indexes
 * below the histogram's largest index, widths bucket_ms * 2^k); anything else is an error with
 * the JSON path, never a crash.  Limits: SUMMARY_MAX_SERIES buckets declared (folded into the
 * analysis' own ANALYSIS_MAX_BUCKETS as they load).
 */
#ifndef JTLSCOPE_REPORTS_SUMMARY_JSON_H
#define JTLSCOPE_REPORTS_SUMMARY_JSON_H

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stddef.h>
#include "analyzer/analysis.h"

#define SUMMARY_SCHEMA "jtlscope-summary/1"
#define SUMMARY_MAX_SERIES 200000 /* buckets a summary may declare (the cap of older versions);
				    loading folds them to ANALYSIS_MAX_BUCKETS */
#define SUMMARY_NO_THROTTLE_NOTE \
	"merged from partial summaries made by an older jtlscope without the throttle state: the " \
	"throttle analysis (onset, limiter model, scope, Retry-After compliance) is not in them; " \
	"run 'jtlscope report' on the inputs, or summarize them again.  Throttled counts are exact."

#define SUMMARY_THROTTLE_NOTE \
	"merged from partial summaries: the throttle analysis was run on the merged throttle " \
	"state (time grids, keys and the kept requests of every part), as one pass over the " \
	"inputs in the order given."
#define SUMMARY_THROTTLE_LOSS_NOTE \
	"merged from partial summaries: the throttle analysis was run on the merged throttle " \
	"state, but the parts' bounded request stores had dropped %llu requests before the merge, " \
	"so the limiter replay may differ from one pass over the inputs."

/* The state of an UNFINISHED analysis (analysis_finish not called yet: after it the separate
 * success/failure histograms of the series are gone).  Returns NULL if a is finished; the
 * tree is the caller's (cJSON_Delete). */
cJSON *summary_to_json(const struct analysis *a, const char *generator);

/* A new unfinished analysis (throttle disabled) holding one summary, freed by the caller with
 * analysis_free.  NULL on a malformed summary, with the reason (and JSON path) in err. */
struct analysis *summary_from_json(const cJSON *root, char *err, size_t errlen);

/* The throttle state of an unfinished analysis as the summary's "throttle_state" object
 * ({"version", "encoding": "zlib+base64", "bytes", "data"}), NULL if it cannot be deflated; and
 * back: a new unfinished struct throttle, NULL with the reason in err.  The caller owns either
 * result (cJSON_Delete, throttle_free). */
cJSON *summary_throttle_state_json(const struct throttle *t);
struct throttle *summary_throttle_state_load(const cJSON *o, char *err, size_t errlen);

/* Are two summaries made with the same analysis options (bucket width, throttle signal)?  If
 * not, err says which option differs. */
bool summary_compatible(const cJSON *a, const cJSON *b, char *err, size_t errlen);

/* Folding one loaded summary into another is analysis_merge (analysis.h). */

#endif
