/* summary_write.c - a struct analysis as a summary (summary_to_json, summary_json.h).
 *
 * This file owns the writing side of the summary schema (jtlscope-summary/1): it reads the
 * analysis' fields, the private maps and thread spans included (a summary IS that state), and
 * writes every counter, the per-label success and failure histograms (sparse: index, count),
 * the codes, thread groups and spans, the time series with its per-bucket histograms, the
 * inputs, and the throttle state through summary_state.c.  Loading it back is summary_json.c.
 */
#include "reports/summary_json.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/util.h"

static void add_u64(cJSON *o, const char *k, uint64_t v)
{
	cJSON_AddNumberToObject(o, k, (double)v);
}

static void add_ts(cJSON *o, const char *k, int64_t v, int64_t unset)
{
	if (v == unset)
		cJSON_AddNullToObject(o, k);
	else
		cJSON_AddNumberToObject(o, k, (double)v);
}

static cJSON *hist_json(const struct hist *h)
{
	cJSON *o = cJSON_CreateObject();
	add_u64(o, "sub_bits", h->sub_bits);
	add_u64(o, "count", h->count);
	if (h->count) {
		cJSON_AddNumberToObject(o, "min", (double)h->min);
		cJSON_AddNumberToObject(o, "max", (double)h->max);
		cJSON_AddNumberToObject(o, "sum", h->sum);
		/* sparse: [index, count, index, count, ...] */
		cJSON *b = cJSON_AddArrayToObject(o, "buckets");
		for (uint32_t i = 0; i < h->n; i++) {
			if (!h->c[i])
				continue;
			cJSON_AddItemToArray(b, cJSON_CreateNumber((double)i));
			cJSON_AddItemToArray(b, cJSON_CreateNumber((double)h->c[i]));
		}
	}
	return o;
}

static cJSON *str_count_pairs(const struct code_count *v, size_t n)
{
	cJSON *a = cJSON_CreateArray();
	for (size_t i = 0; i < n; i++) {
		cJSON *p = cJSON_CreateArray();
		cJSON_AddItemToArray(p, cJSON_CreateString(v[i].code));
		cJSON_AddItemToArray(p, cJSON_CreateNumber((double)v[i].count));
		cJSON_AddItemToArray(a, p);
	}
	return a;
}

cJSON *summary_to_json(const struct analysis *a, const char *generator)
{
	if (a->finished)
		return NULL;
	cJSON *root = cJSON_CreateObject();
	cJSON_AddStringToObject(root, "schema", SUMMARY_SCHEMA);
	cJSON_AddStringToObject(root, "generator", generator ? generator : "");

	/* Options that change what is counted: parts must agree on them to be merged. */
	cJSON *cfg = cJSON_AddObjectToObject(root, "config");
	cJSON_AddNumberToObject(cfg, "bucket_ms", (double)a->cfg.bucket_ms);
	cJSON *th = cJSON_AddObjectToObject(cfg, "throttle_signal");
	cJSON *codes = cJSON_AddArrayToObject(th, "codes");
	for (size_t i = 0; i < a->cfg.throttle.ncodes; i++)
		cJSON_AddItemToArray(codes, cJSON_CreateNumber(a->cfg.throttle.codes[i]));
	cJSON_AddBoolToObject(th, "code_503_with_retry_after", a->cfg.throttle.code_503_with_retry_after);
	if (a->cfg.throttle.pattern)
		cJSON_AddStringToObject(th, "pattern", a->cfg.throttle.pattern);
	else
		cJSON_AddNullToObject(th, "pattern");

	cJSON *c = cJSON_AddObjectToObject(root, "counters");
	add_u64(c, "labels_folded", a->labels_folded);
	add_u64(c, "no_timestamp", a->no_timestamp);
	cJSON_AddNumberToObject(c, "max_all_threads", (double)a->max_all_threads);

	cJSON *labels = cJSON_AddArrayToObject(root, "labels");
	for (size_t i = 0; i < a->nlabels; i++) {
		const struct stats *s = &a->labels[i];
		cJSON *o = cJSON_CreateObject();
		cJSON_AddStringToObject(o, "name", s->name);
		add_u64(o, "count", s->count);
		add_u64(o, "errors", s->errors);
		add_u64(o, "throttled", s->throttled);
		add_ts(o, "first_ts", s->first_ts, INT64_MAX);
		add_ts(o, "last_ts", s->last_ts, INT64_MIN);
		add_ts(o, "last_end", s->last_end, INT64_MIN);
		add_u64(o, "bytes", s->bytes);
		add_u64(o, "sent_bytes", s->sent_bytes);
		cJSON_AddNumberToObject(o, "latency_sum", s->latency_sum);
		add_u64(o, "latency_n", s->latency_n);
		cJSON_AddNumberToObject(o, "connect_sum", s->connect_sum);
		add_u64(o, "connect_n", s->connect_n);
		add_u64(o, "bytes_n", s->bytes_n);
		add_u64(o, "sent_n", s->sent_n);
		add_u64(o, "apdex_satisfied", s->apdex_satisfied);
		add_u64(o, "apdex_tolerated", s->apdex_tolerated);
		add_u64(o, "apdex_n", s->apdex_n);
		cJSON_AddItemToObject(o, "ok", hist_json(&s->elapsed_ok));
		cJSON_AddItemToObject(o, "err", hist_json(&s->elapsed_err));
		/* [error row, count] (row -1: the label's catch-all) */
		cJSON *errs = cJSON_AddArrayToObject(o, "errs");
		for (size_t k = 0; k < s->nerrs; k++) {
			cJSON *p = cJSON_CreateArray();
			cJSON_AddItemToArray(p, cJSON_CreateNumber(s->errs[k].type == SIZE_MAX ? -1.0 : (double)s->errs[k].type));
			cJSON_AddItemToArray(p, cJSON_CreateNumber((double)s->errs[k].count));
			cJSON_AddItemToArray(errs, p);
		}
		cJSON_AddItemToArray(labels, o);
	}
	/* error types (JMeter's Errors table), in row order: the labels' "errs" point here */
	add_u64(c, "errors_folded", a->errors_folded);
	cJSON *etypes = cJSON_AddArrayToObject(root, "error_types");
	for (size_t i = 0; i < a->nerrors; i++) {
		const struct error_type *e = &a->errors[i];
		cJSON *o = cJSON_CreateObject();
		cJSON_AddStringToObject(o, "type", e->type);
		cJSON_AddStringToObject(o, "example", e->example);
		add_u64(o, "count", e->count);
		add_u64(o, "throttled", e->throttled);
		cJSON_AddItemToArray(etypes, o);
	}
	cJSON_AddItemToObject(root, "codes", str_count_pairs(a->codes, a->ncodes));
	cJSON_AddItemToObject(root, "thread_groups", str_count_pairs(a->groups, a->ngroups));

	/* [name, first start, last end, index into thread_groups] */
	cJSON *threads = cJSON_AddArrayToObject(root, "threads");
	for (size_t t = 0; t < a->thread_map.n; t++) {
		cJSON *p = cJSON_CreateArray();
		cJSON_AddItemToArray(p, cJSON_CreateString(strmap_key(&a->thread_map, t)));
		if (a->thread_first[t] == INT64_MAX) {
			cJSON_AddItemToArray(p, cJSON_CreateNull());
			cJSON_AddItemToArray(p, cJSON_CreateNull());
		} else {
			cJSON_AddItemToArray(p, cJSON_CreateNumber((double)a->thread_first[t]));
			cJSON_AddItemToArray(p, cJSON_CreateNumber((double)a->thread_last[t]));
		}
		cJSON_AddItemToArray(p, cJSON_CreateNumber((double)a->thread_group[t]));
		cJSON_AddItemToArray(threads, p);
	}

	/* per-label series (label_series.h): [[bucket start ms, count, errors, elapsed sum], ...] */
	cJSON *lsj = cJSON_AddArrayToObject(root, "label_series");
	for (size_t k = 0; k < a->lseries.nlab; k++) {
		const struct lseries_label *L = &a->lseries.lab[k];
		cJSON *lo = cJSON_CreateObject();
		cJSON_AddStringToObject(lo, "name", L->name);
		cJSON *bj = cJSON_AddArrayToObject(lo, "b");
		for (size_t i = 0; i < a->lseries.n; i++) {
			if (!L->b[i].count)
				continue;
			cJSON *t = cJSON_CreateArray();
			cJSON_AddItemToArray(t, cJSON_CreateNumber((double)(a->lseries.base_ms + (int64_t)i * a->lseries.width_ms)));
			cJSON_AddItemToArray(t, cJSON_CreateNumber((double)L->b[i].count));
			cJSON_AddItemToArray(t, cJSON_CreateNumber((double)L->b[i].errors));
			cJSON_AddItemToArray(t, cJSON_CreateNumber(L->b[i].sum_ms));
			cJSON_AddItemToArray(bj, t);
		}
		cJSON_AddItemToArray(lsj, lo);
	}
	cJSON *se = cJSON_AddObjectToObject(root, "series");
	cJSON_AddNumberToObject(se, "base_ms", (double)a->series.base_ms);
	cJSON_AddNumberToObject(se, "width_ms", (double)a->series.width_ms);
	add_u64(se, "n", a->series.n);
	cJSON *bs = cJSON_AddArrayToObject(se, "buckets");   /* non-empty buckets only */
	for (size_t i = 0; i < a->series.n; i++) {
		const struct series_bucket *b = &a->series.b[i];
		if (!b->count)
			continue;
		cJSON *o = cJSON_CreateObject();
		add_u64(o, "i", i);
		add_u64(o, "count", b->count);
		add_u64(o, "throttled", b->throttled);
		add_u64(o, "errors", b->errors);
		cJSON *cls = cJSON_AddArrayToObject(o, "by_class");
		for (size_t k = 0; k < 6; k++)
			cJSON_AddItemToArray(cls, cJSON_CreateNumber((double)b->by_class[k]));
		cJSON_AddNumberToObject(o, "max_all_threads", (double)b->max_all_threads);
		add_u64(o, "bytes", b->bytes);
		cJSON_AddItemToObject(o, "ok", hist_json(&b->elapsed_ok));
		cJSON_AddItemToObject(o, "err", hist_json(&b->elapsed_err));
		cJSON_AddItemToArray(bs, o);
	}

	cJSON *inputs = cJSON_AddArrayToObject(root, "inputs");
	for (size_t i = 0; i < a->ninputs; i++) {
		const struct input_info *in = &a->inputs[i];
		cJSON *o = cJSON_CreateObject();
		cJSON_AddStringToObject(o, "path", in->path);
		cJSON_AddStringToObject(o, "format", in->format);
		cJSON_AddBoolToObject(o, "gzip", in->gzip);
		add_u64(o, "records", in->records);
		add_u64(o, "skipped", in->skipped);
		add_u64(o, "headers_repeated", in->headers_repeated);
		add_u64(o, "bytes", in->bytes);
		cJSON_AddBoolToObject(o, "truncated", in->truncated);
		if (in->error)
			cJSON_AddStringToObject(o, "error", in->error);
		else
			cJSON_AddNullToObject(o, "error");
		cJSON_AddItemToArray(inputs, o);
	}
	if (a->throttle) {
		cJSON *ts = summary_throttle_state_json(a->throttle);
		if (ts)
			cJSON_AddItemToObject(root, "throttle_state", ts);
	}
	return root;
}
