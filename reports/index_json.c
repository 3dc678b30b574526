/* index_json.c - index.json of the batch index (index.h), schema INDEX_SCHEMA
 * (docs/archives.md): totals, one object per run, the unpaired captures. */
#include <cjson/cJSON.h>
#include <math.h>

#include "common/util.h"
#include "reports/index.h"
#include "reports/json_util.h"

#ifndef JTLSCOPE_VERSION
#define JTLSCOPE_VERSION "0.0.0"
#endif

/* The row's numbers are rounded already (index_row_metrics); NAN is null. */
static void add_num(cJSON *o, const char *k, double v)
{
	if (isnan(v))
		cJSON_AddNullToObject(o, k);
	else
		cJSON_AddNumberToObject(o, k, v);
}

static void add_str_or_null(cJSON *o, const char *k, const char *s)
{
	if (s)
		json_add_str(o, k, s);
	else
		cJSON_AddNullToObject(o, k);
}

static void add_list(cJSON *o, const char *k, char *const *v, size_t n)
{
	cJSON *a = cJSON_AddArrayToObject(o, k);
	for (size_t i = 0; i < n; i++)
		cJSON_AddItemToArray(a, json_str(v[i]));
}

static cJSON *row_json(const struct index_row *r)
{
	cJSON *o = cJSON_CreateObject();
	json_add_str(o, "path", r->path);
	cJSON_AddStringToObject(o, "report", r->report);
	cJSON_AddStringToObject(o, "status", r->exit == 0 ? "ok" : "failed");
	cJSON_AddNumberToObject(o, "exit", r->exit);
	add_str_or_null(o, "error", r->error);
	add_list(o, "captures", r->caps, r->ncaps);
	add_str_or_null(o, "start", r->start);
	add_num(o, "start_ms", r->start_ms);
	add_num(o, "duration_s", r->duration_s);
	add_num(o, "samples", r->samples);
	add_num(o, "error_pct", r->error_pct);
	add_num(o, "throttled_pct", r->throttled_pct);
	add_num(o, "p95_ms", r->p95_ms);
	cJSON_AddBoolToObject(o, "throttle_analysis", r->throttle_analysis);
	add_num(o, "onset_offset_s", r->onset_offset_s);
	add_num(o, "onset_threads", r->onset_threads);
	add_str_or_null(o, "limiter_model", r->limiter_model);
	add_num(o, "limiter_rate_per_s", r->rate_per_s);
	add_num(o, "limiter_rate_low", r->rate_low);
	add_num(o, "limiter_rate_high", r->rate_high);
	add_str_or_null(o, "scope", r->scope);
	cJSON_AddBoolToObject(o, "limit_changed", r->limit_changed);
	add_list(o, "regions_throttled", r->regions, r->nregions);
	if (r->gate)
		cJSON_AddStringToObject(o, "gate", r->gate);
	return o;
}

int index_write_json(FILE *f, const struct index *ix)
{
	cJSON *root = cJSON_CreateObject();
	cJSON_AddStringToObject(root, "schema", INDEX_SCHEMA);
	cJSON_AddStringToObject(root, "generator", JTLSCOPE_VERSION);
	size_t ok, failed, thr;
	index_counts(ix, &ok, &failed, &thr);
	cJSON *t = cJSON_AddObjectToObject(root, "totals");
	cJSON_AddNumberToObject(t, "runs", (double)(ok + failed));
	cJSON_AddNumberToObject(t, "ok", (double)ok);
	cJSON_AddNumberToObject(t, "failed", (double)failed);
	cJSON_AddNumberToObject(t, "throttled", (double)thr);
	cJSON *runs = cJSON_AddArrayToObject(root, "runs");
	for (size_t i = 0; i < ix->nrows; i++)
		cJSON_AddItemToArray(runs, row_json(&ix->rows[i]));
	add_list(root, "unpaired_captures", ix->unpaired, ix->nunpaired);
	int rc = json_print(f, root);
	cJSON_Delete(root);
	return rc;
}
