/* summary.c - serialise and merge the mergeable state of struct analysis (see summary.h).
 *
 * This file works on the fields of struct analysis, including the ones analysis.h marks
 * private (maps, thread spans): a summary IS that state.  It keeps the invariants analysis.c
 * keeps while adding samples: labels[id] / codes[id] / groups[id] are indexed by their map id,
 * thread arrays by thread id, series buckets hold success/failure histograms apart (elapsed is
 * filled by analysis_finish), the series base is a multiple of its width.
 */
#include "analyzer/summary.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/util.h"

#define MAX_EXACT 9007199254740992.0 /* 2^53: integers above this do not survive a double */

/* --- writing ------------------------------------------------------------------------------- */

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
	return root;
}

/* --- merging (shared by loading: a loaded summary is merged into an empty analysis) ---------- */

static int64_t floor_div(int64_t a, int64_t b)
{
	int64_t q = a / b;
	return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

/* Label id for name in a, created empty when new; past ANALYSIS_MAX_LABELS the name is folded
 * into ANALYSIS_OTHER_LABEL (*folded set), as analysis_add does. */
static size_t label_slot(struct analysis *a, const char *name, bool *folded)
{
	size_t len = strlen(name);
	*folded = false;
	size_t id = strmap_find(&a->label_map, name, len);
	if (id != SIZE_MAX)
		return id;
	if (a->label_map.n >= ANALYSIS_MAX_LABELS) {
		name = ANALYSIS_OTHER_LABEL;
		len = strlen(name);
		*folded = true;
	}
	int added;
	id = strmap_intern(&a->label_map, name, len, &added);
	if (added) {
		void *v = a->labels;
		xgrow(&v, &a->labels_cap, id + 1, sizeof *a->labels);
		a->labels = v;
		analysis_stats_init(&a->labels[id], name, strlen(name));
		a->nlabels = id + 1;
	}
	return id;
}

/* Id of name in a counted table (codes, thread groups), created with count 0 when new; past
 * limit the name becomes "(other)", as analysis.c's count_in. */
static size_t count_slot(struct strmap *m, struct code_count **arr, size_t *n, size_t *cap,
			 size_t limit, const char *name)
{
	size_t len = strlen(name);
	size_t id = strmap_find(m, name, len);
	if (id != SIZE_MAX)
		return id;
	if (m->n >= limit) {
		name = "(other)";
		len = strlen(name);
	}
	int added;
	id = strmap_intern(m, name, len, &added);
	if (added) {
		void *v = *arr;
		xgrow(&v, cap, id + 1, sizeof **arr);
		*arr = v;
		(*arr)[id].code = xstrndup(name, len);
		(*arr)[id].count = 0;
		*n = id + 1;
	}
	return id;
}

static size_t thread_slot(struct analysis *a, const char *name, size_t group)
{
	bool added;
	size_t tid = analysis_thread_slot(a, name, strlen(name), &added);
	if (added)
		a->thread_group[tid] = group;
	return tid;
}

static void bucket_free(struct series_bucket *b)
{
	hist_free(&b->elapsed);
	hist_free(&b->elapsed_ok);
	hist_free(&b->elapsed_err);
}

/* Fold series src into dst: the wider width wins, then the span is widened (doubling the width
 * while it needs more than ANALYSIS_MAX_BUCKETS buckets, as the analysis does).  dst grows and
 * coarsens in place (analysis_series_at), so folding many summaries costs the buckets they
 * hold, not one copy of dst per summary. */
static void series_fold(struct series *dst, const struct series *src)
{
	if (src->n == 0)
		return;
	while (dst->width_ms < src->width_ms)
		analysis_series_coarsen(dst);
	/* src's whole span, as the one pass over its samples had it (both ends), then the buckets */
	int64_t lo = src->base_ms, hi = src->base_ms + (int64_t)src->n * src->width_ms;
	analysis_series_at(dst, lo);
	analysis_series_at(dst, hi - 1);
	for (size_t i = 0; i < src->n; i++) {
		if (!src->b[i].count)
			continue;
		int64_t t = src->base_ms + (int64_t)i * src->width_ms;
		analysis_bucket_merge(analysis_series_at(dst, t), &src->b[i]);
	}
}

int summary_merge(struct analysis *dst, const struct analysis *src, char *err, size_t errlen)
{
	if (dst->finished || src->finished) {
		snprintf(err, errlen, "cannot merge a finished analysis");
		return -1;
	}
	if (dst->cfg.bucket_ms != src->cfg.bucket_ms) {
		snprintf(err, errlen, "bucket widths differ (%lld ms and %lld ms): summarise every part "
			 "with the same --bucket", (long long)dst->cfg.bucket_ms, (long long)src->cfg.bucket_ms);
		return -1;
	}
	/* error rows: src row -> dst row */
	size_t *emap = xcalloc(src->nerrors ? src->nerrors : 1, sizeof *emap);
	for (size_t i = 0; i < src->nerrors; i++) {
		const struct error_type *e = &src->errors[i];
		bool efold;
		emap[i] = analysis_error_slot(dst, e->type, strlen(e->type), e->example, strlen(e->example), &efold);
		dst->errors[emap[i]].count += e->count;
		dst->errors[emap[i]].throttled += e->throttled;
		if (efold && strcmp(e->type, ANALYSIS_OTHER_ERRORS) != 0)
			dst->errors_folded += e->count;
	}
	dst->errors_folded += src->errors_folded;
	for (size_t i = 0; i < src->nlabels; i++) {
		bool folded;
		size_t id = label_slot(dst, src->labels[i].name, &folded);
		if (folded)
			dst->labels_folded += src->labels[i].count;
		analysis_stats_merge(&dst->labels[id], &src->labels[i]);
		const struct stats *sl = &src->labels[i];
		for (size_t k = 0; k < sl->nerrs; k++)
			analysis_label_errors_add(&dst->labels[id], sl->errs[k].type < src->nerrors ? emap[sl->errs[k].type] : SIZE_MAX,
						  sl->errs[k].count);
	}
	free(emap);
	lseries_merge(&dst->lseries, &src->lseries);
	dst->labels_folded += src->labels_folded;
	for (size_t i = 0; i < src->ncodes; i++) {
		size_t id = count_slot(&dst->code_map, &dst->codes, &dst->ncodes, &dst->codes_cap,
				       ANALYSIS_MAX_CODES, src->codes[i].code);
		dst->codes[id].count += src->codes[i].count;
	}
	/* thread groups: src group id -> dst group id */
	size_t *gmap = xcalloc(src->ngroups ? src->ngroups : 1, sizeof *gmap);
	for (size_t i = 0; i < src->ngroups; i++) {
		gmap[i] = count_slot(&dst->group_map, &dst->groups, &dst->ngroups, &dst->groups_cap,
				     ANALYSIS_MAX_GROUPS, src->groups[i].code);
		dst->groups[gmap[i]].count += src->groups[i].count;
	}
	for (size_t t = 0; t < src->thread_map.n; t++) {
		size_t g = src->thread_group[t] < src->ngroups ? gmap[src->thread_group[t]] : 0;
		size_t id = thread_slot(dst, strmap_key(&src->thread_map, t), g);
		if (src->thread_first[t] < dst->thread_first[id])
			dst->thread_first[id] = src->thread_first[t];
		if (src->thread_last[t] > dst->thread_last[id])
			dst->thread_last[id] = src->thread_last[t];
	}
	free(gmap);
	if (src->max_all_threads > dst->max_all_threads)
		dst->max_all_threads = src->max_all_threads;
	dst->no_timestamp += src->no_timestamp;
	series_fold(&dst->series, &src->series);
	for (size_t i = 0; i < src->ninputs; i++)
		analysis_add_input(dst, &src->inputs[i]);
	return 0;
}

/* --- loading -------------------------------------------------------------------------------- */

struct loader {
	char *err;
	size_t errlen;
	bool failed;
};

static bool fail(struct loader *l, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static bool fail(struct loader *l, const char *fmt, ...)
{
	if (!l->failed) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(l->err, l->errlen, fmt, ap);
		va_end(ap);
		l->failed = true;
	}
	return false;
}

static const cJSON *member(struct loader *l, const cJSON *o, const char *where, const char *k)
{
	const cJSON *v = cJSON_IsObject(o) ? cJSON_GetObjectItemCaseSensitive(o, k) : NULL;
	if (!v)
		fail(l, "%s: missing '%s'", where, k);
	return v;
}

static bool num_u64(struct loader *l, const cJSON *v, const char *where, uint64_t *out)
{
	if (!cJSON_IsNumber(v) || !(v->valuedouble >= 0) || v->valuedouble > MAX_EXACT ||
	    v->valuedouble != floor(v->valuedouble))
		return fail(l, "%s: want an integer from 0 to 2^53", where);
	*out = (uint64_t)v->valuedouble;
	return true;
}

static bool num_i64(struct loader *l, const cJSON *v, const char *where, int64_t *out)
{
	if (!cJSON_IsNumber(v) || !(fabs(v->valuedouble) <= MAX_EXACT) ||
	    v->valuedouble != floor(v->valuedouble))
		return fail(l, "%s: want an integer of at most 2^53", where);
	*out = (int64_t)v->valuedouble;
	return true;
}

static bool get_u64(struct loader *l, const cJSON *o, const char *where, const char *k, uint64_t *out)
{
	char w[160];
	snprintf(w, sizeof w, "%s.%s", where, k);
	const cJSON *v = member(l, o, where, k);
	return v && num_u64(l, v, w, out);
}

static bool get_i64(struct loader *l, const cJSON *o, const char *where, const char *k, int64_t *out)
{
	char w[160];
	snprintf(w, sizeof w, "%s.%s", where, k);
	const cJSON *v = member(l, o, where, k);
	return v && num_i64(l, v, w, out);
}

/* An integer or null (null -> unset). */
static bool get_ts(struct loader *l, const cJSON *o, const char *where, const char *k,
		   int64_t unset, int64_t *out)
{
	const cJSON *v = member(l, o, where, k);
	if (!v)
		return false;
	if (cJSON_IsNull(v)) {
		*out = unset;
		return true;
	}
	char w[160];
	snprintf(w, sizeof w, "%s.%s", where, k);
	return num_i64(l, v, w, out);
}

static bool get_double(struct loader *l, const cJSON *o, const char *where, const char *k, double *out)
{
	const cJSON *v = member(l, o, where, k);
	if (!v)
		return false;
	if (!cJSON_IsNumber(v) || !isfinite(v->valuedouble) || v->valuedouble < 0)
		return fail(l, "%s.%s: want a non-negative number", where, k);
	*out = v->valuedouble;
	return true;
}

static const char *get_str(struct loader *l, const cJSON *o, const char *where, const char *k)
{
	const cJSON *v = member(l, o, where, k);
	if (!v)
		return NULL;
	if (!cJSON_IsString(v)) {
		fail(l, "%s.%s: want a string", where, k);
		return NULL;
	}
	return v->valuestring;
}

/* Histogram: bucket counts must add up to count, min/max must lie in the first/last bucket. */
static bool load_hist(struct loader *l, const cJSON *o, const char *where, unsigned sub_bits,
		      struct hist *h)
{
	uint64_t sb, count;
	if (!get_u64(l, o, where, "sub_bits", &sb) || !get_u64(l, o, where, "count", &count))
		return false;
	if (sb != sub_bits)
		return fail(l, "%s.sub_bits: %llu, want %u", where, (unsigned long long)sb, sub_bits);
	if (count == 0)
		return true;
	int64_t mn, mx;
	double sum;
	if (!get_i64(l, o, where, "min", &mn) || !get_i64(l, o, where, "max", &mx) ||
	    !get_double(l, o, where, "sum", &sum))
		return false;
	if (mn < 0 || mx < mn)
		return fail(l, "%s: min %lld / max %lld out of order", where, (long long)mn, (long long)mx);
	const cJSON *b = member(l, o, where, "buckets");
	if (!b)
		return false;
	if (!cJSON_IsArray(b) || cJSON_GetArraySize(b) % 2 != 0)
		return fail(l, "%s.buckets: want [index, count, ...] pairs", where);
	uint32_t maxidx = hist_index(sub_bits, INT64_MAX);
	uint64_t total = 0;
	int64_t prev = -1;
	uint32_t lowest = UINT32_MAX, highest = 0;
	const cJSON *it = b->child;
	while (it) {
		uint64_t idx, c;
		char w[160];
		snprintf(w, sizeof w, "%s.buckets", where);
		if (!num_u64(l, it, w, &idx) || !num_u64(l, it->next, w, &c))
			return false;
		if (idx > maxidx || (int64_t)idx <= prev)
			return fail(l, "%s: bucket index %llu out of range or order", w, (unsigned long long)idx);
		prev = (int64_t)idx;
		if (c) {
			if (total + c < total || total + c > (uint64_t)MAX_EXACT)
				return fail(l, "%s: counts overflow", w);
			hist_add_n(h, hist_bucket_low(sub_bits, (uint32_t)idx), c);
			total += c;
			if (lowest == UINT32_MAX)
				lowest = (uint32_t)idx;
			highest = (uint32_t)idx;
		}
		it = it->next->next;
	}
	if (total != count)
		return fail(l, "%s: buckets hold %llu values, count says %llu", where,
			    (unsigned long long)total, (unsigned long long)count);
	if (hist_index(sub_bits, mn) != lowest || hist_index(sub_bits, mx) != highest)
		return fail(l, "%s: min/max do not fall in the first/last bucket", where);
	/* hist_add_n saw bucket lows; the exact min, max and sum are the summary's */
	h->min = mn;
	h->max = mx;
	h->sum = sum;
	return true;
}

/* [[string, count], ...] into a counted table. */
static bool load_pairs(struct loader *l, const cJSON *arr, const char *where, struct strmap *m,
		       struct code_count **v, size_t *n, size_t *cap, size_t limit, size_t **ids)
{
	if (!cJSON_IsArray(arr))
		return fail(l, "%s: want an array", where);
	size_t k = (size_t)cJSON_GetArraySize(arr), i = 0;
	if (ids)
		*ids = xcalloc(k ? k : 1, sizeof **ids);
	for (const cJSON *p = arr->child; p; p = p->next, i++) {
		char w[160];
		snprintf(w, sizeof w, "%s[%zu]", where, i);
		uint64_t c;
		if (!cJSON_IsArray(p) || cJSON_GetArraySize(p) != 2 || !cJSON_IsString(p->child))
			return fail(l, "%s: want [name, count]", w);
		if (!num_u64(l, p->child->next, w, &c))
			return false;
		size_t id = count_slot(m, v, n, cap, limit, p->child->valuestring);
		(*v)[id].count += c;
		if (ids)
			(*ids)[i] = id;
	}
	return true;
}

/* A label's "errs" pairs, rows mapped through emap (absent in summaries from before error types). */
static bool load_label_errs(struct loader *l, struct stats *st, const cJSON *o, const char *w,
			    const size_t *emap, size_t nemap)
{
	const cJSON *errs = cJSON_GetObjectItemCaseSensitive(o, "errs");
	if (!errs)
		return true;
	if (!cJSON_IsArray(errs))
		return fail(l, "%s.errs: want an array", w);
	for (const cJSON *p = errs->child; p; p = p->next) {
		int64_t row = 0;
		uint64_t n = 0;
		if (cJSON_GetArraySize(p) != 2 || !num_i64(l, cJSON_GetArrayItem(p, 0), w, &row) ||
		    !num_u64(l, cJSON_GetArrayItem(p, 1), w, &n))
			return fail(l, "%s.errs: want [row, count] pairs", w);
		if (row < -1 || (row >= 0 && (uint64_t)row >= nemap))
			return fail(l, "%s.errs: row %lld is not in error_types", w, (long long)row);
		analysis_label_errors_add(st, row < 0 ? SIZE_MAX : emap[row], n);
	}
	return true;
}

static bool load_error_types(struct loader *l, struct analysis *a, const cJSON *arr, size_t **emap,
			     size_t *nemap)
{
	*emap = NULL;
	*nemap = 0;
	if (!arr)
		return true;
	if (!cJSON_IsArray(arr))
		return fail(l, "error_types: want an array");
	size_t n = (size_t)cJSON_GetArraySize(arr), i = 0;
	*emap = xcalloc(n ? n : 1, sizeof **emap);
	for (const cJSON *o = arr->child; o; o = o->next, i++) {
		char w[48];
		snprintf(w, sizeof w, "error_types[%zu]", i);
		const char *type = get_str(l, o, w, "type"), *ex = get_str(l, o, w, "example");
		uint64_t count, thr;
		if (!type || !ex || !get_u64(l, o, w, "count", &count) || !get_u64(l, o, w, "throttled", &thr))
			return false;
		if (thr > count)
			return fail(l, "%s: throttled %llu > count %llu", w, (unsigned long long)thr,
				    (unsigned long long)count);
		bool folded;
		size_t id = analysis_error_slot(a, type, strlen(type), ex, strlen(ex), &folded);
		a->errors[id].count += count;
		a->errors[id].throttled += thr;
		if (folded && strcmp(type, ANALYSIS_OTHER_ERRORS) != 0)
			a->errors_folded += count;
		(*emap)[i] = id;
	}
	*nemap = n;
	return true;
}

static bool load_label(struct loader *l, struct analysis *a, const cJSON *o, size_t i,
		       const size_t *emap, size_t nemap)
{
	char w[64];
	snprintf(w, sizeof w, "labels[%zu]", i);
	struct stats s;
	const char *name = get_str(l, o, w, "name");
	if (!name)
		return false;
	analysis_stats_init(&s, name, strlen(name));
	char hw[80];
	bool ok = get_u64(l, o, w, "count", &s.count) && get_u64(l, o, w, "errors", &s.errors) &&
		  get_u64(l, o, w, "throttled", &s.throttled) &&
		  get_ts(l, o, w, "first_ts", INT64_MAX, &s.first_ts) &&
		  get_ts(l, o, w, "last_ts", INT64_MIN, &s.last_ts) &&
		  get_ts(l, o, w, "last_end", INT64_MIN, &s.last_end) &&
		  get_u64(l, o, w, "bytes", &s.bytes) && get_u64(l, o, w, "sent_bytes", &s.sent_bytes) &&
		  get_double(l, o, w, "latency_sum", &s.latency_sum) &&
		  get_u64(l, o, w, "latency_n", &s.latency_n) &&
		  get_double(l, o, w, "connect_sum", &s.connect_sum) &&
		  get_u64(l, o, w, "connect_n", &s.connect_n);
	/* optional (summaries written before APDEX): absent = unknown, reported n/a */
	static const char *const optk[] = { "bytes_n", "sent_n", "apdex_satisfied", "apdex_tolerated", "apdex_n" };
	uint64_t *optv[] = { &s.bytes_n, &s.sent_n, &s.apdex_satisfied, &s.apdex_tolerated, &s.apdex_n };
	for (size_t k = 0; ok && k < 5; k++)
		if (cJSON_GetObjectItemCaseSensitive(o, optk[k]))
			ok = get_u64(l, o, w, optk[k], optv[k]);
	if (ok && (s.apdex_satisfied + s.apdex_tolerated > s.apdex_n || s.apdex_n > s.count))
		ok = fail(l, "%s: APDEX counts exceed the samples", w);
	if (ok) {
		snprintf(hw, sizeof hw, "%s.ok", w);
		const cJSON *h = member(l, o, w, "ok");
		ok = h && load_hist(l, h, hw, HIST_FINE, &s.elapsed_ok);
	}
	if (ok) {
		snprintf(hw, sizeof hw, "%s.err", w);
		const cJSON *h = member(l, o, w, "err");
		ok = h && load_hist(l, h, hw, HIST_FINE, &s.elapsed_err);
	}
	if (ok && (s.errors > s.count || s.elapsed_ok.count + s.elapsed_err.count != s.count))
		ok = fail(l, "%s: count %llu does not match its histograms", w, (unsigned long long)s.count);
	if (ok) {
		bool folded;
		size_t id = label_slot(a, s.name, &folded);
		if (folded)
			a->labels_folded += s.count;
		analysis_stats_merge(&a->labels[id], &s);
		ok = load_label_errs(l, &a->labels[id], o, w, emap, nemap);
	}
	free(s.name);
	hist_free(&s.elapsed);
	hist_free(&s.elapsed_ok);
	hist_free(&s.elapsed_err);
	return ok;
}

static bool load_series(struct loader *l, struct analysis *a, const cJSON *se)
{
	int64_t base, width;
	uint64_t n;
	if (!get_i64(l, se, "series", "base_ms", &base) || !get_i64(l, se, "series", "width_ms", &width) ||
	    !get_u64(l, se, "series", "n", &n))
		return false;
	if (n == 0)
		return true;
	/* width = bucket_ms * 2^k, base aligned to it */
	int64_t w = a->cfg.bucket_ms;
	while (w < width && w <= INT64_MAX / 2)
		w *= 2;
	if (w != width || floor_div(base, width) * width != base)
		return fail(l, "series: width %lld ms is not the bucket width doubled, or base %lld "
			    "not aligned", (long long)width, (long long)base);
	if (n > SUMMARY_MAX_SERIES)
		return fail(l, "series.n: %llu buckets, at most %d", (unsigned long long)n, SUMMARY_MAX_SERIES);
	if (width > INT64_MAX / 4 / (int64_t)n)
		return fail(l, "series: %llu buckets of %lld ms is too long a span", (unsigned long long)n,
			    (long long)width);
	const cJSON *bs = member(l, se, "series", "buckets");
	if (!bs)
		return false;
	if (!cJSON_IsArray(bs))
		return fail(l, "series.buckets: want an array");
	/* Fold straight into a's series (as series_fold does: width, then the whole span, then
	 * each listed bucket), one bucket at a time: no dense copy of the summary's n buckets. */
	struct series *dst = &a->series;
	while (dst->width_ms < width)
		analysis_series_coarsen(dst);
	analysis_series_at(dst, base);
	analysis_series_at(dst, base + (int64_t)n * width - 1);
	size_t k = 0;
	int64_t prev = -1;
	bool ok = true;
	struct series_bucket tb;
	for (const cJSON *o = bs->child; o && ok; o = o->next, k++) {
		char w2[64], hw[80];
		snprintf(w2, sizeof w2, "series.buckets[%zu]", k);
		uint64_t idx;
		if (!get_u64(l, o, w2, "i", &idx))
			ok = false;
		else if (idx >= n || (int64_t)idx <= prev)
			ok = fail(l, "%s.i: %llu out of range or order", w2, (unsigned long long)idx);
		if (!ok)
			break;
		prev = (int64_t)idx;
		struct series_bucket *b = &tb;
		analysis_bucket_init(b);
		const cJSON *cls = member(l, o, w2, "by_class");
		ok = get_u64(l, o, w2, "count", &b->count) && get_u64(l, o, w2, "throttled", &b->throttled) &&
		     get_u64(l, o, w2, "errors", &b->errors) && get_i64(l, o, w2, "max_all_threads", &b->max_all_threads) &&
		     get_u64(l, o, w2, "bytes", &b->bytes) && cls;
		if (ok && (!cJSON_IsArray(cls) || cJSON_GetArraySize(cls) != 6))
			ok = fail(l, "%s.by_class: want 6 counts", w2);
		size_t c = 0;
		for (const cJSON *x = ok ? cls->child : NULL; x && ok; x = x->next, c++)
			ok = num_u64(l, x, w2, &b->by_class[c]);
		if (ok) {
			snprintf(hw, sizeof hw, "%s.ok", w2);
			const cJSON *h = member(l, o, w2, "ok");
			ok = h && load_hist(l, h, hw, HIST_COARSE, &b->elapsed_ok);
		}
		if (ok) {
			snprintf(hw, sizeof hw, "%s.err", w2);
			const cJSON *h = member(l, o, w2, "err");
			ok = h && load_hist(l, h, hw, HIST_COARSE, &b->elapsed_err);
		}
		if (ok && b->elapsed_ok.count + b->elapsed_err.count != b->count)
			ok = fail(l, "%s: count does not match its histograms", w2);
		if (ok && b->count)
			analysis_bucket_merge(analysis_series_at(dst, base + (int64_t)idx * width), b);
		bucket_free(b);
	}
	return ok;
}

static bool load_inputs(struct loader *l, struct analysis *a, const cJSON *arr)
{
	if (!cJSON_IsArray(arr))
		return fail(l, "inputs: want an array");
	size_t i = 0;
	for (const cJSON *o = arr->child; o; o = o->next, i++) {
		char w[64];
		snprintf(w, sizeof w, "inputs[%zu]", i);
		struct input_info in = { 0 };
		const cJSON *gz = member(l, o, w, "gzip"), *tr = member(l, o, w, "truncated");
		const cJSON *er = member(l, o, w, "error");
		in.path = (char *)get_str(l, o, w, "path");
		in.format = (char *)get_str(l, o, w, "format");
		if (!in.path || !in.format || !gz || !tr || !er ||
		    !get_u64(l, o, w, "records", &in.records) || !get_u64(l, o, w, "skipped", &in.skipped) ||
		    !get_u64(l, o, w, "headers_repeated", &in.headers_repeated) ||
		    !get_u64(l, o, w, "bytes", &in.bytes))
			return false;
		if (!cJSON_IsBool(gz) || !cJSON_IsBool(tr) || !(cJSON_IsNull(er) || cJSON_IsString(er)))
			return fail(l, "%s: gzip/truncated want true or false, error a string or null", w);
		in.gzip = cJSON_IsTrue(gz);
		in.truncated = cJSON_IsTrue(tr);
		in.error = cJSON_IsString(er) ? er->valuestring : NULL;
		analysis_add_input(a, &in);
	}
	return true;
}

static bool load_threads(struct loader *l, struct analysis *a, const cJSON *arr, const size_t *gids,
			 size_t ngids)
{
	if (!cJSON_IsArray(arr))
		return fail(l, "threads: want an array");
	size_t i = 0;
	for (const cJSON *p = arr->child; p; p = p->next, i++) {
		char w[64];
		snprintf(w, sizeof w, "threads[%zu]", i);
		if (!cJSON_IsArray(p) || cJSON_GetArraySize(p) != 4 || !cJSON_IsString(p->child))
			return fail(l, "%s: want [name, first, last, group]", w);
		const cJSON *f = p->child->next, *la = f->next, *g = la->next;
		int64_t first = INT64_MAX, last = INT64_MIN;
		uint64_t gi;
		if (!(cJSON_IsNull(f) && cJSON_IsNull(la)) &&
		    (!num_i64(l, f, w, &first) || !num_i64(l, la, w, &last)))
			return false;
		if (!num_u64(l, g, w, &gi))
			return false;
		if (gi >= ngids)
			return fail(l, "%s: group %llu out of range", w, (unsigned long long)gi);
		size_t id = thread_slot(a, p->child->valuestring, gids[gi]);
		if (first < a->thread_first[id])
			a->thread_first[id] = first;
		if (last > a->thread_last[id])
			a->thread_last[id] = last;
	}
	return true;
}

struct analysis *summary_from_json(const cJSON *root, char *err, size_t errlen)
{
	struct loader l = { .err = err, .errlen = errlen };
	const cJSON *schema = cJSON_GetObjectItemCaseSensitive(root, "schema");
	if (!cJSON_IsString(schema) || strcmp(schema->valuestring, SUMMARY_SCHEMA) != 0) {
		snprintf(err, errlen, "not a jtlscope summary (schema \"%s\" expected)", SUMMARY_SCHEMA);
		return NULL;
	}
	const cJSON *cfg = member(&l, root, "summary", "config");
	int64_t bucket;
	if (!cfg || !get_i64(&l, cfg, "config", "bucket_ms", &bucket))
		return NULL;
	if (bucket <= 0) {
		snprintf(err, errlen, "config.bucket_ms: want a positive width");
		return NULL;
	}
	struct analysis_config c;
	analysis_config_default(&c);
	c.bucket_ms = bucket;
	c.no_throttle = true;
	const cJSON *codes = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(cfg, "throttle_signal"), "codes");
	size_t nc = 0;
	for (const cJSON *x = cJSON_IsArray(codes) ? codes->child : NULL; x && nc < THROTTLE_MAX_CODES; x = x->next)
		if (cJSON_IsNumber(x) && x->valuedouble >= 100 && x->valuedouble <= 999)
			c.throttle.codes[nc++] = (int)x->valuedouble;
	if (nc)
		c.throttle.ncodes = nc;
	struct analysis *a = analysis_new(&c, err, errlen);
	if (!a)
		return NULL;
	const cJSON *ctr = member(&l, root, "summary", "counters");
	const cJSON *labels = member(&l, root, "summary", "labels");
	const cJSON *codesj = member(&l, root, "summary", "codes");
	const cJSON *groups = member(&l, root, "summary", "thread_groups");
	const cJSON *threads = member(&l, root, "summary", "threads");
	const cJSON *series = member(&l, root, "summary", "series");
	const cJSON *inputs = member(&l, root, "summary", "inputs");
	bool ok = !l.failed;
	uint64_t folded = 0, nots = 0;
	int64_t mat = -1;
	if (ok)
		ok = get_u64(&l, ctr, "counters", "labels_folded", &folded) &&
		     get_u64(&l, ctr, "counters", "no_timestamp", &nots) &&
		     get_i64(&l, ctr, "counters", "max_all_threads", &mat);
	if (ok && !cJSON_IsArray(labels))
		ok = fail(&l, "labels: want an array");
	size_t *emap = NULL, nemap = 0;
	uint64_t efolded = 0;
	const cJSON *efj = cJSON_GetObjectItemCaseSensitive(ctr, "errors_folded");
	if (ok && efj)
		ok = num_u64(&l, efj, "counters.errors_folded", &efolded);
	if (ok)
		ok = load_error_types(&l, a, cJSON_GetObjectItemCaseSensitive(root, "error_types"), &emap, &nemap);
	a->errors_folded += efolded;
	size_t i = 0;
	for (const cJSON *o = ok ? labels->child : NULL; o && ok; o = o->next, i++)
		ok = load_label(&l, a, o, i, emap, nemap);
	/* optional per-label series: [[ts, count, errors, sum], ...] per label */
	const cJSON *lsj = cJSON_GetObjectItemCaseSensitive(root, "label_series");
	for (const cJSON *o = ok && cJSON_IsArray(lsj) ? lsj->child : NULL; o && ok; o = o->next) {
		const cJSON *nm = cJSON_GetObjectItemCaseSensitive(o, "name"), *bj = cJSON_GetObjectItemCaseSensitive(o, "b");
		if (!cJSON_IsString(nm) || !cJSON_IsArray(bj)) {
			ok = fail(&l, "label_series: want {name, b}");
			break;
		}
		for (const cJSON *t = bj->child; t && ok; t = t->next) {
			int64_t ts = 0;
			uint64_t cnt = 0, er = 0;
			const cJSON *t0 = cJSON_GetArrayItem(t, 0), *t1 = cJSON_GetArrayItem(t, 1), *t2 = cJSON_GetArrayItem(t, 2),
				    *t3 = cJSON_GetArrayItem(t, 3);
			if (!t0 || !t1 || !t2 || !cJSON_IsNumber(t3) || !num_i64(&l, t0, "label_series.b", &ts) ||
			    !num_u64(&l, t1, "label_series.b", &cnt) || !num_u64(&l, t2, "label_series.b", &er)) {
				ok = l.failed ? false : fail(&l, "label_series.b: want [ts, count, errors, sum]");
				break;
			}
			lseries_add_bucket(&a->lseries, nm->valuestring, ts, cnt, er, t3->valuedouble < 0 ? 0 : t3->valuedouble);
		}
	}
	free(emap);
	size_t *gids = NULL;
	if (ok)
		ok = load_pairs(&l, codesj, "codes", &a->code_map, &a->codes, &a->ncodes, &a->codes_cap,
				ANALYSIS_MAX_CODES, NULL) &&
		     load_pairs(&l, groups, "thread_groups", &a->group_map, &a->groups, &a->ngroups,
				&a->groups_cap, ANALYSIS_MAX_GROUPS, &gids) &&
		     load_threads(&l, a, threads, gids, (size_t)cJSON_GetArraySize(groups)) &&
		     load_series(&l, a, series) && load_inputs(&l, a, inputs);
	free(gids);
	if (!ok) {
		analysis_free(a);
		return NULL;
	}
	a->labels_folded += folded;
	a->no_timestamp = nots;
	a->max_all_threads = mat < -1 ? -1 : mat;
	return a;
}

bool summary_compatible(const cJSON *a, const cJSON *b, char *err, size_t errlen)
{
	const cJSON *ca = cJSON_GetObjectItemCaseSensitive(a, "config");
	const cJSON *cb = cJSON_GetObjectItemCaseSensitive(b, "config");
	const cJSON *ba = cJSON_GetObjectItemCaseSensitive(ca, "bucket_ms");
	const cJSON *bb = cJSON_GetObjectItemCaseSensitive(cb, "bucket_ms");
	if (!cJSON_Compare(ba, bb, true)) {
		snprintf(err, errlen, "made with a different --bucket (%g ms vs %g ms)",
			 cJSON_IsNumber(ba) ? ba->valuedouble : 0.0, cJSON_IsNumber(bb) ? bb->valuedouble : 0.0);
		return false;
	}
	if (!cJSON_Compare(cJSON_GetObjectItemCaseSensitive(ca, "throttle_signal"),
			   cJSON_GetObjectItemCaseSensitive(cb, "throttle_signal"), true)) {
		snprintf(err, errlen, "made with different throttle options (--throttle-codes, "
			 "--no-503-retry-after, --throttle-pattern)");
		return false;
	}
	return true;
}
