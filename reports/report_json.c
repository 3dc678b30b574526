/* report_json.c - the machine-readable report (schema in docs/report-schema.md). */
#include "reports/report.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "analyzer/throttle/state.h"
#include "reports/escape.h"
#include "reports/json_util.h"
#include "reports/report_time.h"
#include "reports/throttle_report.h"
#include "reports/throttle_verdict.h"

double json_round(double v, int decimals)
{
	if (!isfinite(v))
		return 0.0;
	double p = pow(10.0, decimals);
	return round(v * p) / p;
}

cJSON *json_add_str(cJSON *obj, const char *key, const char *s)
{
	char *u = esc_utf8_dup(s ? s : "", s ? strlen(s) : 0);
	cJSON *r = cJSON_AddStringToObject(obj, key, u);
	free(u);
	return r;
}

cJSON *json_str(const char *s)
{
	char *u = esc_utf8_dup(s ? s : "", s ? strlen(s) : 0);
	cJSON *r = cJSON_CreateString(u);
	free(u);
	return r;
}

void json_add_u64(cJSON *obj, const char *key, uint64_t v)
{
	cJSON_AddNumberToObject(obj, key, (double)v);
}

static cJSON *stats_json(const struct analysis *a, const struct stats *s, bool with_label)
{
	cJSON *o = cJSON_CreateObject();
	if (with_label)
		json_add_str(o, "label", s->name);
	json_add_u64(o, "count", s->count);
	json_add_u64(o, "errors", s->errors);
	cJSON_AddNumberToObject(o, "error_pct", json_round(s->count ? 100.0 * (double)s->errors / (double)s->count : 0, 3));
	json_add_u64(o, "throttled", s->throttled);
	cJSON_AddNumberToObject(o, "min_ms", (double)(s->elapsed.count ? s->elapsed.min : 0));
	cJSON_AddNumberToObject(o, "mean_ms", json_round(hist_mean(&s->elapsed), 1));
	cJSON_AddNumberToObject(o, "p50_ms", (double)hist_quantile(&s->elapsed, 0.50));
	cJSON_AddNumberToObject(o, "p90_ms", (double)hist_quantile(&s->elapsed, 0.90));
	cJSON_AddNumberToObject(o, "p95_ms", (double)hist_quantile(&s->elapsed, 0.95));
	cJSON_AddNumberToObject(o, "p99_ms", (double)hist_quantile(&s->elapsed, 0.99));
	cJSON_AddNumberToObject(o, "max_ms", (double)(s->elapsed.count ? s->elapsed.max : 0));
	cJSON_AddNumberToObject(o, "throughput_per_s", json_round(stats_throughput(a, s), 3));
	cJSON *ok = cJSON_AddObjectToObject(o, "success_only");
	json_add_u64(ok, "count", s->elapsed_ok.count);
	cJSON_AddNumberToObject(ok, "mean_ms", json_round(hist_mean(&s->elapsed_ok), 1));
	cJSON_AddNumberToObject(ok, "p50_ms", (double)hist_quantile(&s->elapsed_ok, 0.50));
	cJSON_AddNumberToObject(ok, "p95_ms", (double)hist_quantile(&s->elapsed_ok, 0.95));
	cJSON_AddNumberToObject(ok, "p99_ms", (double)hist_quantile(&s->elapsed_ok, 0.99));
	json_add_u64(o, "bytes", s->bytes);
	json_add_u64(o, "sent_bytes", s->sent_bytes);
	double rkb = report_kb_per_s(a, s, false), skb = report_kb_per_s(a, s, true);
	if (rkb < 0)
		cJSON_AddNullToObject(o, "received_kb_per_s");
	else
		cJSON_AddNumberToObject(o, "received_kb_per_s", json_round(rkb, 3));
	if (skb < 0)
		cJSON_AddNullToObject(o, "sent_kb_per_s");
	else
		cJSON_AddNumberToObject(o, "sent_kb_per_s", json_round(skb, 3));
	double ap = stats_apdex(s);
	if (ap < 0) {
		cJSON_AddNullToObject(o, "apdex");
	} else {
		cJSON *ao = cJSON_AddObjectToObject(o, "apdex");
		cJSON_AddNumberToObject(ao, "score", json_round(ap, 3));
		json_add_u64(ao, "satisfied", s->apdex_satisfied);
		json_add_u64(ao, "tolerated", s->apdex_tolerated);
		json_add_u64(ao, "frustrated", s->apdex_n - s->apdex_satisfied - s->apdex_tolerated);
	}
	cJSON_AddNumberToObject(o, "latency_mean_ms",
				json_round(s->latency_n ? s->latency_sum / (double)s->latency_n : 0, 1));
	cJSON_AddNumberToObject(o, "connect_mean_ms",
				json_round(s->connect_n ? s->connect_sum / (double)s->connect_n : 0, 1));
	return o;
}

/* Per-label time series (analysis.lseries): one array per quantity, aligned to base/width. */
static void label_series_json(cJSON *root, const struct analysis *a)
{
	const struct lseries_set *ls = &a->lseries;
	cJSON *o = cJSON_AddObjectToObject(root, "label_series");
	cJSON_AddNumberToObject(o, "base_ms", (double)ls->base_ms);
	cJSON_AddNumberToObject(o, "width_ms", (double)ls->width_ms);
	cJSON_AddNumberToObject(o, "buckets", (double)ls->n);
	cJSON_AddNumberToObject(o, "max_labels", LSERIES_MAX_LABELS);
	cJSON_AddNumberToObject(o, "charted_labels", LSERIES_CHART_LABELS);
	json_add_u64(o, "untracked_samples", ls->untracked);
	json_add_u64(o, "untracked_labels", (uint64_t)ls->untracked_labels);
	cJSON *arr = cJSON_AddArrayToObject(o, "labels");
	for (size_t l = 0; l < ls->nlab; l++) {
		const struct lseries_label *L = &ls->lab[l];
		cJSON *lo = cJSON_CreateObject();
		json_add_str(lo, "label", L->name);
		json_add_u64(lo, "count", L->count);
		cJSON *c = cJSON_AddArrayToObject(lo, "count_per_bucket");
		cJSON *e = cJSON_AddArrayToObject(lo, "errors_per_bucket");
		cJSON *m = cJSON_AddArrayToObject(lo, "mean_ms");
		for (size_t i = 0; i < ls->n; i++) {
			const struct lseries_bucket *b = &L->b[i];
			cJSON_AddItemToArray(c, cJSON_CreateNumber((double)b->count));
			cJSON_AddItemToArray(e, cJSON_CreateNumber((double)b->errors));
			cJSON_AddItemToArray(m, b->count ? cJSON_CreateNumber(json_round(b->sum_ms / (double)b->count, 1))
							 : cJSON_CreateNull());
		}
		cJSON_AddItemToArray(arr, lo);
	}
}

/* JMeter's Errors table and Top 5 errors by sampler (docs/report-schema.md, "errors"). */
static void errors_json(cJSON *root, const struct analysis *a)
{
	cJSON *eo = cJSON_AddObjectToObject(root, "errors");
	json_add_u64(eo, "total", a->overall.errors);
	json_add_u64(eo, "nonthrottle", a->nonthrottle_failures);
	json_add_u64(eo, "folded", a->errors_folded);
	cJSON *types = cJSON_AddArrayToObject(eo, "types");
	for (size_t i = 0; i < a->nerrors; i++) {
		const struct error_type *e = &a->errors[i];
		cJSON *o = cJSON_CreateObject();
		json_add_str(o, "type", e->type);
		json_add_str(o, "example", e->example);
		json_add_u64(o, "count", e->count);
		cJSON_AddNumberToObject(o, "pct_of_errors", json_round(a->overall.errors ? 100.0 * (double)e->count / (double)a->overall.errors : 0, 3));
		cJSON_AddNumberToObject(o, "pct_of_samples", json_round(a->overall.count ? 100.0 * (double)e->count / (double)a->overall.count : 0, 3));
		json_add_u64(o, "throttled", e->throttled);
		cJSON_AddItemToArray(types, o);
	}
	if (a->dominant_failure) {
		cJSON *d = cJSON_AddObjectToObject(eo, "dominant_failure");
		json_add_str(d, "type", a->dominant_failure->type);
		json_add_u64(d, "count", a->dominant_failure_count);
		cJSON_AddNumberToObject(d, "share", json_round(a->dominant_failure_share, 4));
		cJSON_AddNumberToObject(d, "pct_of_samples",
					json_round(a->overall.count ? 100.0 * (double)a->dominant_failure_count / (double)a->overall.count : 0, 3));
	} else {
		cJSON_AddNullToObject(eo, "dominant_failure");
	}
	cJSON *bl = cJSON_AddArrayToObject(eo, "by_label");
	for (size_t l = 0; l < a->nlabels; l++) {
		const struct stats *st = &a->labels[l];
		if (!st->errors || !st->nerrs)
			continue;
		cJSON *o = cJSON_CreateObject();
		json_add_str(o, "label", st->name);
		json_add_u64(o, "samples", st->count);
		json_add_u64(o, "errors", st->errors);
		cJSON *top = cJSON_AddArrayToObject(o, "top");
		for (size_t i = 0; i < st->nerrs && i < ANALYSIS_TOP_LABEL_ERRORS; i++) {
			cJSON *t = cJSON_CreateObject();
			json_add_str(t, "type", st->errs[i].type == SIZE_MAX ? ANALYSIS_OTHER_ERRORS : a->errors[st->errs[i].type].type);
			json_add_u64(t, "count", st->errs[i].count);
			cJSON_AddItemToArray(top, t);
		}
		cJSON_AddItemToArray(bl, o);
	}
}

cJSON *report_json_tree(const struct analysis *a, const struct report_meta *m)
{
	cJSON *root = cJSON_CreateObject();
	cJSON_AddStringToObject(root, "schema", REPORT_SCHEMA);
	json_add_str(root, "generator", m && m->version ? m->version : "");
	if (m && m->stamp)
		json_add_str(root, "generated", m->stamp);
	/* the zone of the wall-clock times in the verdict text (--tz); times here are epoch ms */
	json_add_str(root, "time_zone", report_tz_name());

	cJSON *sm = cJSON_AddObjectToObject(root, "samples");
	json_add_u64(sm, "total", a->overall.count);
	json_add_u64(sm, "errors", a->overall.errors);
	json_add_u64(sm, "skipped", a->skipped);
	json_add_u64(sm, "throttled", a->overall.throttled);
	cJSON_AddNumberToObject(sm, "first_ts_ms", (double)analysis_start_ms(a));
	cJSON_AddNumberToObject(sm, "last_ts_ms", (double)(a->overall.last_ts == INT64_MIN ? 0 : a->overall.last_ts));
	cJSON_AddNumberToObject(sm, "end_ms", (double)analysis_end_ms(a));
	json_add_u64(sm, "threads", a->threads);
	cJSON_AddNumberToObject(sm, "max_all_threads", (double)a->max_all_threads);
	json_add_u64(sm, "no_timestamp", a->no_timestamp);
	json_add_u64(sm, "labels_folded", a->labels_folded);

	cJSON_AddItemToObject(root, "total", stats_json(a, &a->overall, false));

	cJSON *codes = cJSON_AddObjectToObject(root, "codes");
	for (size_t i = 0; i < a->ncodes; i++) {
		char *k = esc_utf8_dup(a->codes[i].code, strlen(a->codes[i].code));
		cJSON_AddNumberToObject(codes, k, (double)a->codes[i].count);
		free(k);
	}
	cJSON *labels = cJSON_AddArrayToObject(root, "labels");
	for (size_t i = 0; i < a->nlabels; i++)
		cJSON_AddItemToArray(labels, stats_json(a, &a->labels[i], true));

	errors_json(root, a);

	cJSON *apdex = cJSON_AddObjectToObject(root, "apdex_thresholds");
	cJSON_AddNumberToObject(apdex, "satisfied_ms", (double)a->cfg.apdex_satisfied_ms);
	cJSON_AddNumberToObject(apdex, "tolerated_ms", (double)a->cfg.apdex_tolerated_ms);
	label_series_json(root, a);

	cJSON *groups = cJSON_AddArrayToObject(root, "thread_groups");
	for (size_t i = 0; i < a->ngroups; i++) {
		cJSON *g = cJSON_CreateObject();
		json_add_str(g, "name", a->groups[i].code);
		json_add_u64(g, "count", a->groups[i].count);
		cJSON_AddItemToArray(groups, g);
	}

	cJSON *series = cJSON_AddArrayToObject(root, "series");
	cJSON_AddNumberToObject(root, "bucket_ms", (double)a->series.width_ms);
	if (a->series.width_ms != a->cfg.bucket_ms) /* widened: at most ANALYSIS_MAX_BUCKETS */
		cJSON_AddNumberToObject(root, "bucket_requested_ms", (double)a->cfg.bucket_ms);
	for (size_t i = 0; i < a->series.n; i++) {
		const struct series_bucket *b = &a->series.b[i];
		cJSON *o = cJSON_CreateObject();
		cJSON_AddNumberToObject(o, "ts_ms", (double)(a->series.base_ms + (int64_t)i * a->series.width_ms));
		json_add_u64(o, "count", b->count);
		json_add_u64(o, "throttled", b->throttled);
		json_add_u64(o, "errors", b->errors);
		cJSON *cls = cJSON_AddObjectToObject(o, "by_class");
		static const char *names[6] = { "other", "1xx", "2xx", "3xx", "4xx", "5xx" };
		for (size_t k = 0; k < 6; k++)
			if (b->by_class[k])
				json_add_u64(cls, names[k], b->by_class[k]);
		cJSON_AddNumberToObject(o, "threads", (double)(b->max_all_threads >= 0 ? (uint64_t)b->max_all_threads : b->active_threads));
		json_add_u64(o, "active_threads", b->active_threads);
		cJSON_AddNumberToObject(o, "p50_ms", (double)hist_quantile(&b->elapsed, 0.50));
		cJSON_AddNumberToObject(o, "p95_ms", (double)hist_quantile(&b->elapsed, 0.95));
		cJSON_AddNumberToObject(o, "p99_ms", (double)hist_quantile(&b->elapsed, 0.99));
		cJSON_AddNumberToObject(o, "ok_p50_ms", (double)hist_quantile(&b->elapsed_ok, 0.50));
		cJSON_AddNumberToObject(o, "ok_p95_ms", (double)hist_quantile(&b->elapsed_ok, 0.95));
		cJSON_AddItemToArray(series, o);
	}

	cJSON *inputs = cJSON_AddArrayToObject(root, "inputs");
	for (size_t i = 0; i < a->ninputs; i++) {
		const struct input_info *in = &a->inputs[i];
		cJSON *o = cJSON_CreateObject();
		json_add_str(o, "path", in->path);
		json_add_str(o, "format", in->format);
		cJSON_AddBoolToObject(o, "gzip", in->gzip);
		json_add_u64(o, "records", in->records);
		json_add_u64(o, "skipped", in->skipped);
		json_add_u64(o, "headers_repeated", in->headers_repeated);
		json_add_u64(o, "bytes", in->bytes);
		json_add_u64(o, "unknown_elements", in->unknown_elements);
		cJSON_AddBoolToObject(o, "truncated", in->truncated);
		if (in->error)
			json_add_str(o, "error", in->error);
		else
			cJSON_AddNullToObject(o, "error");
		cJSON_AddItemToArray(inputs, o);
	}
	if (a->capture.inputs) {
		const struct capture_totals *c = &a->capture;
		cJSON *co = cJSON_AddObjectToObject(root, "capture");
		json_add_u64(co, "inputs", c->inputs);
		json_add_u64(co, "packets", c->packets);
		json_add_u64(co, "connections", c->connections);
		json_add_u64(co, "exchanges", c->exchanges);
		cJSON *cc = cJSON_AddObjectToObject(co, "codes");
		for (size_t i = 0; i < c->ncodes; i++)
			json_add_u64(cc, c->codes[i].code, c->codes[i].count);
		json_add_u64(co, "websocket_frames", c->websocket_frames);
		json_add_u64(co, "websocket_exchanges", c->websocket_exchanges);
		json_add_u64(co, "websocket_pushes", c->websocket_pushes);
		json_add_u64(co, "tls_connections", c->tls_connections);
		json_add_u64(co, "tls_encrypted", c->tls_encrypted);
		json_add_u64(co, "tls_decrypted", c->tls_decrypted);
		json_add_u64(co, "tls_no_keys", c->tls_no_keys);
		json_add_u64(co, "tls_decrypt_failed", c->tls_decrypt_failed);
		json_add_u64(co, "tls_exchanges", c->tls_exchanges);
		json_add_u64(co, "segments", c->segments), json_add_u64(co, "reused_tuples", c->reused_tuples);
		cJSON_AddBoolToObject(co, "encrypted", c->tls_encrypted > 0);
		cJSON *sz = cJSON_AddArrayToObject(co, "encrypted_response_sizes");
		for (size_t i = 0; i < c->nsizes; i++) {
			cJSON *o = cJSON_CreateObject();
			json_add_str(o, "bytes", c->sizes[i].code);
			json_add_u64(o, "exchanges", c->sizes[i].count);
			cJSON_AddItemToArray(sz, o);
		}
		json_add_u64(co, "retransmissions", c->retransmissions);
		json_add_u64(co, "incomplete", c->incomplete);
	}
	if (a->join) {
		const struct join *j = a->join;
		static const char *const parts[JP__COUNT] = { "connect_ms", "send_ms", "server_ms",
							      "transfer_ms", "client_ms" };
		cJSON *jo = cJSON_AddObjectToObject(root, "join");
		json_add_u64(jo, "samples", j->samples);
		json_add_u64(jo, "matched", j->matched);
		json_add_u64(jo, "matched_encrypted", j->matched_tls);
		json_add_u64(jo, "unmatched_samples", j->unmatched_samples);
		json_add_u64(jo, "ambiguous", j->ambiguous);
		json_add_u64(jo, "unmatched_exchanges", j->unmatched_exchanges);
		cJSON_AddNumberToObject(jo, "match_rate",
					json_round(j->samples ? (double)j->matched / (double)j->samples : 0, 4));
		cJSON *jl = cJSON_AddArrayToObject(jo, "labels");
		for (size_t i = 0; i < j->nlabels; i++) {
			const struct join_label *L = &j->labels[i];
			cJSON *o = cJSON_CreateObject();
			json_add_str(o, "label", L->label);
			json_add_u64(o, "matched", L->matched);
			for (int k = 0; k < JP__COUNT; k++) {
				cJSON *p = cJSON_AddObjectToObject(o, parts[k]);
				cJSON_AddNumberToObject(p, "mean", json_round(hist_mean(&L->part[k]), 1));
				cJSON_AddNumberToObject(p, "p95", (double)hist_quantile(&L->part[k], 0.95));
			}
			cJSON_AddItemToArray(jl, o);
		}
	} else if (a->join_note) {
		cJSON *jo = cJSON_AddObjectToObject(root, "join");
		json_add_str(jo, "note", a->join_note);
	}
	if (a->throttle) {
		struct verdict_context vc;
		verdict_context_init(&vc, a);
		throttle_report_json_ctx(root, a->throttle, &vc);
	}
	if (m && m->merged_parts) {
		cJSON *mg = cJSON_AddObjectToObject(root, "merged");
		cJSON_AddNumberToObject(mg, "parts", (double)m->merged_parts);
		cJSON_AddBoolToObject(mg, "throttle_analysis", a->throttle != NULL);
		if (a->throttle)
			cJSON_AddNumberToObject(mg, "replay_dropped", (double)throttle_merge_dropped(a->throttle));
		cJSON_AddStringToObject(mg, "note", m->note ? m->note : "");
	}
	return root;
}

static int json_write(FILE *f, const cJSON *root, bool pretty)
{
	char *s = pretty ? cJSON_Print(root) : cJSON_PrintUnformatted(root);
	if (!s)
		return -1;
	fputs(s, f);
	fputc('\n', f);
	cJSON_free(s);
	return ferror(f) ? -1 : 0;
}

int json_print(FILE *f, const cJSON *root)
{
	return json_write(f, root, true);
}

int json_print_compact(FILE *f, const cJSON *root)
{
	return json_write(f, root, false);
}

int report_json(FILE *f, const struct analysis *a, const struct report_meta *m)
{
	cJSON *root = report_json_tree(a, m);
	int rc = json_print(f, root);
	cJSON_Delete(root);
	return rc;
}
