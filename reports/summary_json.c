/* summary_json.c - load a summary into an unfinished struct analysis (summary_json.h), and
 * tell whether two summaries can be merged.
 *
 * This file owns the reading side of the summary schema: every value is checked here (its
 * type, integers in 0..2^53, bucket indexes, series widths, the JSON path in each error),
 * then folded in by analysis.c (analysis_merge_*), which keeps its invariants and caps;
 * loading never writes the analysis' private fields itself.  Writing is summary_write.c, the
 * throttle state's envelope summary_state.c.
 */
#include "reports/summary_json.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/util.h"

#define MAX_EXACT 9007199254740992.0 /* 2^53: integers above this do not survive a double */

static int64_t floor_div(int64_t a, int64_t b)
{
	int64_t q = a / b;
	return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
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

/* The elements of a JSON array in order, each with its path for messages ("what[i]"):
 *   struct elems e;
 *   if (!elems_begin(l, &e, arr, "inputs"))  return false;     (not an array: l->err set)
 *   while (elems_next(&e))  ... e.o, its index e.i, its path e.w ...
 */
struct elems {
	const cJSON *o, *next;
	const char *what;
	size_t i, n;             /* index of o; elements in all */
	size_t yielded;
	char w[160];
};

static bool elems_begin(struct loader *l, struct elems *e, const cJSON *arr, const char *what)
{
	if (!cJSON_IsArray(arr))
		return fail(l, "%s: want an array", what);
	*e = (struct elems){ .next = arr->child, .what = what, .n = (size_t)cJSON_GetArraySize(arr) };
	return true;
}

static bool elems_next(struct elems *e)
{
	if (!e->next)
		return false;
	e->o = e->next;
	e->next = e->o->next;
	e->i = e->yielded++;
	snprintf(e->w, sizeof e->w, "%s[%zu]", e->what, e->i);
	return true;
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
static bool load_pairs(struct loader *l, const cJSON *arr, const char *where, struct analysis *a,
		       bool groups, size_t **ids)
{
	struct elems e;
	if (!elems_begin(l, &e, arr, where))
		return false;
	if (ids)
		*ids = xcalloc(e.n ? e.n : 1, sizeof **ids);
	while (elems_next(&e)) {
		uint64_t c;
		if (!cJSON_IsArray(e.o) || cJSON_GetArraySize(e.o) != 2 || !cJSON_IsString(e.o->child))
			return fail(l, "%s: want [name, count]", e.w);
		if (!num_u64(l, e.o->child->next, e.w, &c))
			return false;
		const char *name = e.o->child->valuestring;
		size_t id = groups ? analysis_merge_thread_group(a, name, c) : analysis_merge_code(a, name, c);
		if (ids)
			(*ids)[e.i] = id;
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
	struct elems e;
	if (!elems_begin(l, &e, arr, "error_types"))
		return false;
	*emap = xcalloc(e.n ? e.n : 1, sizeof **emap);
	while (elems_next(&e)) {
		const char *type = get_str(l, e.o, e.w, "type"), *ex = get_str(l, e.o, e.w, "example");
		uint64_t count, thr;
		if (!type || !ex || !get_u64(l, e.o, e.w, "count", &count) ||
		    !get_u64(l, e.o, e.w, "throttled", &thr))
			return false;
		if (thr > count)
			return fail(l, "%s: throttled %llu > count %llu", e.w, (unsigned long long)thr,
				    (unsigned long long)count);
		(*emap)[e.i] = analysis_merge_error_type(a, type, ex, count, thr);
	}
	*nemap = e.n;
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
		ok = load_label_errs(l, analysis_merge_label(a, &s), o, w, emap, nemap);
	}
	free(s.name);
	hist_free(&s.elapsed);
	hist_free(&s.elapsed_ok);
	hist_free(&s.elapsed_err);
	return ok;
}

static void bucket_free(struct series_bucket *b)
{
	hist_free(&b->elapsed);
	hist_free(&b->elapsed_ok);
	hist_free(&b->elapsed_err);
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
	analysis_merge_series_span(a, width, base, base + (int64_t)n * width - 1);
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
			analysis_merge_bucket(a, base + (int64_t)idx * width, b);
		bucket_free(b);
	}
	return ok;
}

static bool load_inputs(struct loader *l, struct analysis *a, const cJSON *arr)
{
	struct elems e;
	if (!elems_begin(l, &e, arr, "inputs"))
		return false;
	while (elems_next(&e)) {
		const cJSON *o = e.o;
		const char *w = e.w;
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
	struct elems e;
	if (!elems_begin(l, &e, arr, "threads"))
		return false;
	while (elems_next(&e)) {
		const cJSON *p = e.o;
		const char *w = e.w;
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
		analysis_merge_thread(a, p->child->valuestring, gids[gi], first, last);
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
		ok = load_pairs(&l, codesj, "codes", a, false, NULL) &&
		     load_pairs(&l, groups, "thread_groups", a, true, &gids) &&
		     load_threads(&l, a, threads, gids, (size_t)cJSON_GetArraySize(groups)) &&
		     load_series(&l, a, series) && load_inputs(&l, a, inputs);
	free(gids);
	if (!ok) {
		analysis_free(a);
		return NULL;
	}
	const cJSON *ts = cJSON_GetObjectItemCaseSensitive(root, "throttle_state");
	if (ts) {
		struct throttle *t = summary_throttle_state_load(ts, err, errlen);
		if (!t) {
			analysis_free(a);
			return NULL;
		}
		analysis_merge_throttle(a, t);
	}
	analysis_merge_counters(a, folded, efolded, nots, mat < -1 ? -1 : mat);
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
