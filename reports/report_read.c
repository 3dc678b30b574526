/* report_read.c - report.json -> struct run_metrics (report_read.h).  The keys are those of
 * docs/report-schema.md; this file is the one place that follows them when reading back. */
#include "reports/report_read.h"

#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "common/util.h"
#include "reports/json_util.h"

static const cJSON *at_path(const cJSON *o, const char *path)
{
	char key[128];
	while (o && *path) {
		size_t n = strcspn(path, ".");
		if (n >= sizeof key)
			return NULL;
		memcpy(key, path, n);
		key[n] = '\0';
		o = cJSON_IsObject(o) ? cJSON_GetObjectItemCaseSensitive(o, key) : NULL;
		path += n;
		if (*path == '.')
			path++;
	}
	return o;
}

double report_read_num(const cJSON *o, const char *path)
{
	const cJSON *v = at_path(o, path);
	return cJSON_IsNumber(v) ? v->valuedouble : NAN;
}

const char *report_read_str(const cJSON *o, const char *path)
{
	const cJSON *v = at_path(o, path);
	return cJSON_IsString(v) ? v->valuestring : NULL;
}

static char *dup_or_null(const char *s)
{
	return s ? xstrdup(s) : NULL;
}

/* A number of the tree and the double it fills (offset into the record). */
struct num_key {
	const char *key;
	size_t off;
};
#define K(type, k, f) { k, offsetof(type, f) }

static void read_nums(void *dst, const struct num_key *keys, size_t n, const cJSON *o)
{
	for (size_t i = 0; i < n; i++)
		*(double *)(void *)((char *)dst + keys[i].off) = report_read_num(o, keys[i].key);
}

static void read_stats(struct rm_stats *s, const cJSON *o)
{
#define S(k, f) K(struct rm_stats, k, f)
	static const struct num_key keys[] = {
		S("count", count), S("errors", errors), S("error_pct", error_pct), S("throttled", throttled),
		S("p50_ms", p50_ms), S("p90_ms", p90_ms), S("p95_ms", p95_ms), S("p99_ms", p99_ms),
		S("mean_ms", mean_ms), S("min_ms", min_ms), S("max_ms", max_ms),
		S("throughput_per_s", throughput_per_s), S("success_only.p50_ms", ok_p50_ms),
		S("success_only.p95_ms", ok_p95_ms), S("success_only.p99_ms", ok_p99_ms),
		S("success_only.mean_ms", ok_mean_ms),
	};
#undef S
	read_nums(s, keys, ARRAY_LEN(keys), o);
}

static void read_bucket(struct rm_bucket *b, const cJSON *o)
{
#define B(k) K(struct rm_bucket, #k, k)
	static const struct num_key keys[] = {
		B(ts_ms), B(count), B(errors), B(throttled), B(p50_ms), B(p95_ms), B(p99_ms),
		B(ok_p50_ms), B(ok_p95_ms),
	};
#undef B
	read_nums(b, keys, ARRAY_LEN(keys), o);
	const cJSON *bc = cJSON_GetObjectItemCaseSensitive(o, "by_class");
	for (int c = 0; c < RM_MAX_CLASS; c++) {
		char key[16];
		snprintf(key, sizeof key, "%dxx", c);
		double v = report_read_num(bc, key);
		b->by_class[c] = isnan(v) ? 0 : v;   /* by_class lists only the classes present */
	}
}

static int detected_of(const cJSON *g)
{
	static const char *keys[] = { "detected", "onset.detected" };
	for (size_t k = 0; k < ARRAY_LEN(keys); k++) {
		const cJSON *v = at_path(g, keys[k]);
		if (cJSON_IsBool(v))
			return cJSON_IsTrue(v) ? 1 : 0;
	}
	return -1;
}

static void read_group(struct rm_group *g, enum rm_list list, const cJSON *o)
{
	g->list = list;
	if (list != RM_OVERALL) {
		const char *n = report_read_str(o, "name");
		g->name = dup_or_null(n ? n : report_read_str(o, "region"));
		g->region = dup_or_null(report_read_str(o, "region"));
	}
	g->detected = detected_of(o);
	g->scope = dup_or_null(report_read_str(o, "scope"));
	g->onset_offset_s = report_read_num(o, "onset.offset_s");
	g->onset_ts_ms = report_read_num(o, "onset.ts_ms");
	g->onset_threads = report_read_num(o, "onset.threads");
	g->limit.model = dup_or_null(report_read_str(o, "limit.model"));
	const cJSON *l = cJSON_GetObjectItemCaseSensitive(o, "limit");
	for (int p = 0; p < RM_NPARAMS; p++) {
		char key[48];
		const char *n = run_metrics_param_name((enum rm_param)p);
		g->limit.p[p].value = report_read_num(l, n);
		snprintf(key, sizeof key, "%s_low", n);
		g->limit.p[p].low = report_read_num(l, key);
		snprintf(key, sizeof key, "%s_high", n);
		g->limit.p[p].high = report_read_num(l, key);
	}
}

void report_read_metrics(struct run_metrics *m, const cJSON *r)
{
	run_metrics_init(m);
#define M(k, f) K(struct run_metrics, "samples." k, f)
	static const struct num_key keys[] = {
		M("total", samples_total), M("skipped", samples_skipped), M("errors", samples_errors),
		M("throttled", samples_throttled), M("first_ts_ms", first_ts_ms), M("end_ms", end_ms),
	};
#undef M
	read_nums(m, keys, ARRAY_LEN(keys), r);

	const cJSON *total = cJSON_GetObjectItemCaseSensitive(r, "total");
	m->has_total = total != NULL;
	read_stats(&m->total, total);

	const cJSON *labels = cJSON_GetObjectItemCaseSensitive(r, "labels"), *l;
	size_t cap = 0;
	cJSON_ArrayForEach(l, labels) {
		const char *n = report_read_str(l, "label");
		if (!n)
			continue;
		void *v = m->labels;
		xgrow(&v, &cap, m->nlabels + 1, sizeof *m->labels);
		m->labels = v;
		struct rm_stats *s = &m->labels[m->nlabels++];
		s->label = xstrdup(n);
		read_stats(s, l);
	}

	const cJSON *codes = cJSON_GetObjectItemCaseSensitive(r, "codes"), *k;
	m->has_codes = cJSON_IsObject(codes);
	cap = 0;
	if (m->has_codes)
		cJSON_ArrayForEach(k, codes) {
			if (!k->string || !cJSON_IsNumber(k))
				continue;
			void *v = m->codes;
			xgrow(&v, &cap, m->ncodes + 1, sizeof *m->codes);
			m->codes = v;
			m->codes[m->ncodes++] = (struct rm_code){ xstrdup(k->string), k->valuedouble };
		}

	const cJSON *series = cJSON_GetObjectItemCaseSensitive(r, "series"), *b;
	m->has_series = cJSON_IsArray(series);
	m->bucket_ms = report_read_num(r, "bucket_ms");
	cap = 0;
	if (m->has_series)
		cJSON_ArrayForEach(b, series) {
			void *v = m->series;
			xgrow(&v, &cap, m->nseries + 1, sizeof *m->series);
			m->series = v;
			read_bucket(&m->series[m->nseries++], b);
		}

	const cJSON *t = cJSON_GetObjectItemCaseSensitive(r, "throttle");
	m->has_throttle = cJSON_IsObject(t);
	if (!m->has_throttle)
		return;
	const cJSON *o = cJSON_GetObjectItemCaseSensitive(t, "overall");
	read_group(&m->overall, RM_OVERALL, cJSON_IsObject(o) ? o : t);
	static const char *lists[] = { "groups", "regions" };
	static const enum rm_list kinds[] = { RM_GROUPS, RM_REGIONS };
	cap = 0;
	for (size_t li = 0; li < ARRAY_LEN(lists); li++) {
		const cJSON *g;
		cJSON_ArrayForEach(g, cJSON_GetObjectItemCaseSensitive(t, lists[li])) {
			void *v = m->groups;
			xgrow(&v, &cap, m->ngroups + 1, sizeof *m->groups);
			m->groups = v;
			struct rm_group *dst = &m->groups[m->ngroups++];
			memset(dst, 0, sizeof *dst);
			read_group(dst, kinds[li], g);
		}
	}
}

void report_read_analysis(struct run_metrics *m, const struct analysis *a, const struct report_meta *meta)
{
	cJSON *tree = report_json_tree(a, meta);
	report_read_metrics(m, tree);
	cJSON_Delete(tree);
}
