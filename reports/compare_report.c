/* compare_report.c - the comparison of two runs as a "jtlscope-compare/1" object, and its text,
 * Markdown and JSON renderings (compare_report.h).  The statistics are analyzer/compare.c. */
#include "reports/compare_report.h"

#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "analyzer/compare.h"
#include "common/util.h"
#include "reports/escape.h"
#include "reports/json_util.h"
#include "reports/report_read.h"
#include "reports/report_time.h"

static void add_num(cJSON *o, const char *k, double v, int decimals)
{
	if (isnan(v) || isinf(v))
		cJSON_AddNullToObject(o, k);
	else
		cJSON_AddNumberToObject(o, k, json_round(v, decimals));
}

/* {baseline, candidate, delta, delta_pct} of one metric. */
static cJSON *delta_obj(double b, double c, int decimals)
{
	cJSON *o = cJSON_CreateObject();
	add_num(o, "baseline", b, decimals);
	add_num(o, "candidate", c, decimals);
	add_num(o, "delta", c - b, decimals);
	add_num(o, "delta_pct", compare_pct_change(b, c), 1);
	return o;
}

#define SV(s, f) ((s) ? (s)->f : NAN)

static cJSON *stats_delta(const char *label, const struct rm_stats *b, const struct rm_stats *c)
{
	cJSON *o = cJSON_CreateObject();
	json_add_str(o, "label", label);
	cJSON_AddStringToObject(o, "in", b && c ? "both" : b ? "baseline" : "candidate");
	double nb = SV(b, count), nc = SV(c, count);
	cJSON_AddItemToObject(o, "count", delta_obj(nb, nc, 0));

	double eb = SV(b, errors), ec = SV(c, errors);
	cJSON *er = delta_obj(SV(b, error_pct), SV(c, error_pct), 3);
	double z, p;
	if (compare_z_test(eb, nb, ec, nc, &z, &p)) {
		add_num(er, "z", z, 2);
		add_num(er, "p_value", p, 4);
		bool sig = fabs(z) >= COMPARE_Z_SIGNIFICANT;
		cJSON_AddBoolToObject(er, "significant", sig);
		char note[96];
		snprintf(note, sizeof note, "%s (two-proportion z = %.2f, p = %.3g)",
			 sig ? (z > 0 ? "MORE errors, significant" : "fewer errors, significant")
			     : "not significant", z, p);
		cJSON_AddStringToObject(er, "note", note);
	} else {
		cJSON_AddNullToObject(er, "z");
		cJSON_AddNullToObject(er, "p_value");
		cJSON_AddBoolToObject(er, "significant", false);
		cJSON_AddStringToObject(er, "note", b && c ? "no errors on either side" : "n/a");
	}
	cJSON_AddItemToObject(o, "error_pct", er);

	static const char *pk[] = { "p50_ms", "p95_ms", "p99_ms" };
	const double vb[] = { SV(b, p50_ms), SV(b, p95_ms), SV(b, p99_ms) };
	const double vc[] = { SV(c, p50_ms), SV(c, p95_ms), SV(c, p99_ms) };
	for (size_t i = 0; i < ARRAY_LEN(pk); i++) {
		cJSON *d = delta_obj(vb[i], vc[i], 1);
		cJSON_AddStringToObject(d, "note", compare_change_note(vb[i], vc[i], true, true));
		cJSON_AddItemToObject(o, pk[i], d);
	}
	double tb = SV(b, throughput_per_s), tc = SV(c, throughput_per_s);
	cJSON *t = delta_obj(tb, tc, 3);
	cJSON_AddStringToObject(t, "note", compare_change_note(tb, tc, false, false));
	cJSON_AddItemToObject(o, "throughput_per_s", t);
	return o;
}

static int cmp_str(const void *x, const void *y)
{
	return strcmp(*(const char *const *)x, *(const char *const *)y);
}

static cJSON *side_info(const struct run_metrics *r, const char *name)
{
	cJSON *o = cJSON_CreateObject();
	json_add_str(o, "path", name);
	add_num(o, "samples", r->samples_total, 0);
	add_num(o, "first_ts_ms", r->first_ts_ms, 0);
	add_num(o, "duration_s", (r->end_ms - r->first_ts_ms) / 1000.0, 3);
	cJSON_AddBoolToObject(o, "throttle_analysis", r->has_throttle);
	return o;
}

/* The limit-change verdict with the intervals it was decided on. */
static void limit_change(cJSON *li, const struct run_metrics *b, const struct run_metrics *c)
{
	struct compare_limit cl;
	compare_limits(b, c, &cl);
	cJSON_AddStringToObject(li, "change", compare_limit_verdict_name(cl.verdict));
	json_add_str(li, "change_note", cl.why);
	cJSON *iv = cJSON_AddObjectToObject(li, "intervals");
	const struct rm_group *sides[2] = { cl.base, cl.cand };
	static const char *names[2] = { "baseline", "candidate" };
	for (int s = 0; s < 2; s++) {
		if (!sides[s]) {
			cJSON_AddNullToObject(iv, names[s]);
			continue;
		}
		cJSON *o = cJSON_AddObjectToObject(iv, names[s]);
		for (int p = 0; p < RM_NPARAMS; p++) {
			const struct rm_interval *x = &sides[s]->limit.p[p];
			if (isnan(x->low) || isnan(x->high))
				continue;
			cJSON *a = cJSON_AddArrayToObject(o, run_metrics_param_name((enum rm_param)p));
			cJSON_AddItemToArray(a, cJSON_CreateNumber(x->low));
			cJSON_AddItemToArray(a, cJSON_CreateNumber(x->high));
		}
	}
	cJSON *dis = cJSON_AddArrayToObject(li, "disjoint");
	for (int p = 0; p < RM_NPARAMS; p++)
		if (cl.disjoint[p])
			cJSON_AddItemToArray(dis, cJSON_CreateString(run_metrics_param_name((enum rm_param)p)));
}

/* The regions throttled in run x and not in run y, into the array out. */
static void throttled_only_in(cJSON *out, const struct run_metrics *x, const struct run_metrics *y)
{
	for (size_t i = 0; i < x->ngroups; i++) {
		const struct rm_group *g = &x->groups[i];
		if (g->list != RM_REGIONS || !g->region || g->detected != 1)
			continue;
		const struct rm_group *yg = run_metrics_group(y, g->region);
		if (!yg || yg->detected != 1)
			cJSON_AddItemToArray(out, json_str(g->region));
	}
}


static cJSON *throttle_delta(const struct run_metrics *b, const struct run_metrics *c)
{
	cJSON *o = cJSON_CreateObject();
	const struct rm_group *gb = run_metrics_group(b, NULL), *gc = run_metrics_group(c, NULL);
	if (!gb || !gc) {
		cJSON_AddBoolToObject(o, "available", false);
		cJSON_AddStringToObject(o, "note", !gb && !gc ? "neither side has a throttle analysis"
						   : !gb ? "the baseline has no throttle analysis"
							 : "the candidate has no throttle analysis");
		return o;
	}
	cJSON_AddBoolToObject(o, "available", true);
	int db = gb->detected, dc = gc->detected;
	cJSON_AddBoolToObject(o, "baseline_detected", db == 1);
	cJSON_AddBoolToObject(o, "candidate_detected", dc == 1);
	double ob = db == 1 ? gb->onset_offset_s : NAN;
	double oc = dc == 1 ? gc->onset_offset_s : NAN;
	cJSON *on = cJSON_AddObjectToObject(o, "onset_offset_s");
	add_num(on, "baseline", ob, 1);
	add_num(on, "candidate", oc, 1);
	add_num(on, "shift_s", oc - ob, 1);
	char note[160];
	if (db == 1 && dc == 1)
		snprintf(note, sizeof note, "throttling began %.1f s %s", fabs(oc - ob),
			 oc < ob ? "EARLIER" : oc > ob ? "later" : "at the same offset");
	else if (dc == 1)
		snprintf(note, sizeof note, "NEW: the candidate is throttled from +%.1f s; the baseline was not", oc);
	else if (db == 1)
		snprintf(note, sizeof note, "the baseline was throttled from +%.1f s; the candidate is not", ob);
	else
		snprintf(note, sizeof note, "no sustained throttling on either side");
	cJSON_AddStringToObject(on, "note", note);

	cJSON *li = cJSON_AddObjectToObject(o, "limit");
	const struct rm_group *lb = run_metrics_limiter(b), *lc = run_metrics_limiter(c);
	const char *mb = db == 1 ? lb->limit.model : NULL;
	const char *mc = dc == 1 ? lc->limit.model : NULL;
	double rb = db == 1 ? lb->limit.p[RM_RATE].value : NAN;
	double rc = dc == 1 ? lc->limit.p[RM_RATE].value : NAN;
	json_add_str(li, "baseline_model", mb ? mb : "none");
	json_add_str(li, "candidate_model", mc ? mc : "none");
	add_num(li, "baseline_rate_per_s", rb, 2);
	add_num(li, "candidate_rate_per_s", rc, 2);
	add_num(li, "change_pct", compare_pct_change(rb, rc), 1);
	if (!isnan(rb) && !isnan(rc))
		snprintf(note, sizeof note, "limit estimate %.2f/s -> %.2f/s (%s)", rb, rc,
			 compare_change_note(rb, rc, false, false));
	else if (!isnan(rc))
		snprintf(note, sizeof note, "limit estimate %.2f/s (none in the baseline)", rc);
	else if (!isnan(rb))
		snprintf(note, sizeof note, "the baseline's limit estimate %.2f/s; none in the candidate", rb);
	else
		snprintf(note, sizeof note, "no limit estimate on either side");
	cJSON_AddStringToObject(li, "note", note);
	limit_change(li, b, c);

	/* regions detected in the candidate and not in the baseline (and the reverse) */
	throttled_only_in(cJSON_AddArrayToObject(o, "regions_newly_throttled"), c, b);
	throttled_only_in(cJSON_AddArrayToObject(o, "regions_no_longer_throttled"), b, c);
	return o;
}

cJSON *compare_report_tree(const struct run_metrics *base, const struct run_metrics *cand, const char *base_name,
			   const char *cand_name)
{
	cJSON *root = cJSON_CreateObject();
	cJSON_AddStringToObject(root, "schema", COMPARE_SCHEMA);
	/* the zone the text and Markdown show the runs' windows in (--tz); times here are epoch ms */
	json_add_str(root, "time_zone", report_tz_name());
	cJSON_AddItemToObject(root, "baseline", side_info(base, base_name));
	cJSON_AddItemToObject(root, "candidate", side_info(cand, cand_name));
	cJSON *labels = cJSON_AddArrayToObject(root, "labels");
	cJSON_AddItemToArray(labels, stats_delta("TOTAL", run_metrics_stats(base, NULL), run_metrics_stats(cand, NULL)));
	/* union of label names, sorted */
	size_t n = 0, cap = 0;
	const char **names = NULL;
	const struct run_metrics *sides[2] = { base, cand };
	for (size_t s = 0; s < 2; s++)
		for (size_t i = 0; i < sides[s]->nlabels; i++) {
			void *v = names;
			xgrow(&v, &cap, n + 1, sizeof *names);
			names = v;
			names[n++] = sides[s]->labels[i].label;
		}
	if (n)
		qsort(names, n, sizeof *names, cmp_str);
	for (size_t i = 0; i < n; i++) {
		if (i > 0 && strcmp(names[i], names[i - 1]) == 0)
			continue;
		cJSON_AddItemToArray(labels, stats_delta(names[i], run_metrics_stats(base, names[i]),
							 run_metrics_stats(cand, names[i])));
	}
	free(names);
	cJSON_AddItemToObject(root, "throttle", throttle_delta(base, cand));
	return root;
}

/* --- rendering ------------------------------------------------------------------------------ */

static void fmt_num(char *buf, size_t len, double v, int decimals)
{
	if (isnan(v))
		snprintf(buf, len, "-");
	else
		snprintf(buf, len, "%.*f", decimals, v);
}

static void fmt_delta(char *buf, size_t len, const cJSON *d, int decimals, bool pp)
{
	double v = report_read_num(d, "delta"), p = report_read_num(d, "delta_pct");
	if (isnan(v)) {
		snprintf(buf, len, "-");
		return;
	}
	if (pp)
		snprintf(buf, len, "%+.*f pp", decimals, v);
	else if (isnan(p))
		snprintf(buf, len, "%+.*f (new)", decimals, v);
	else
		snprintf(buf, len, "%+.*f (%+.1f %%)", decimals, v, p);
}

struct row {
	const char *metric, *key;
	int decimals;
	bool pp;
};
static const struct row rows[] = {
	{ "samples", "count", 0, false },
	{ "error %", "error_pct", 3, true },
	{ "p50 ms", "p50_ms", 0, false },
	{ "p95 ms", "p95_ms", 0, false },
	{ "p99 ms", "p99_ms", 0, false },
	{ "req/s", "throughput_per_s", 2, false },
};

static const char *delta_note(const cJSON *d)
{
	const char *s = report_read_str(d, "note");
	return s ? s : "";
}

/* A side's test window "A -> B ZONE" in the report zone (--tz) into buf, or false when the side
 * has no samples (no window). */
static bool side_window(char *buf, size_t len, const cJSON *cmp, const char *side, const char *arrow)
{
	const cJSON *o = cJSON_GetObjectItemCaseSensitive(cmp, side);
	double t0 = report_read_num(o, "first_ts_ms"), d = report_read_num(o, "duration_s");
	if (isnan(t0) || isnan(d) || d < 0 || fabs(t0) > 1e15 || d > 1e12)
		return false;
	int64_t a = (int64_t)t0;
	report_time_range(buf, len, a, a + (int64_t)llround(d * 1000.0), arrow);
	return true;
}

/* The strings of the array a through esc, comma-separated, or "none". */
static void list_out(FILE *f, const cJSON *a, void (*esc)(FILE *, const char *))
{
	if (cJSON_GetArraySize(a) == 0)
		fputs("none", f);
	int i = 0;
	const cJSON *x;
	cJSON_ArrayForEach(x, a) {
		if (i++)
			fputs(", ", f);
		esc(f, x->valuestring);
	}
}

/* One metric of one label (rows[i]) as both writers show it. */
struct metric_row {
	char base[32], cand[32], delta[48];
	const char *note;
};

static void metric_row_of(struct metric_row *m, const cJSON *label, size_t i)
{
	const cJSON *d = cJSON_GetObjectItemCaseSensitive(label, rows[i].key);
	fmt_num(m->base, sizeof m->base, report_read_num(d, "baseline"), rows[i].decimals);
	fmt_num(m->cand, sizeof m->cand, report_read_num(d, "candidate"), rows[i].decimals);
	fmt_delta(m->delta, sizeof m->delta, d, rows[i].decimals, rows[i].pp);
	m->note = delta_note(d);
}

int compare_report_text(FILE *f, const cJSON *cmp)
{
	char win[160];
	fputs("jtlscope compare\n  baseline:  ", f);
	esc_text_s(f, report_read_str(cmp, "baseline.path"));
	if (side_window(win, sizeof win, cmp, "baseline", "->"))
		fprintf(f, "\n             %s", win);
	fputs("\n  candidate: ", f);
	esc_text_s(f, report_read_str(cmp, "candidate.path"));
	if (side_window(win, sizeof win, cmp, "candidate", "->"))
		fprintf(f, "\n             %s", win);
	fputs("\n\n", f);
	const cJSON *l;
	cJSON_ArrayForEach(l, cJSON_GetObjectItemCaseSensitive(cmp, "labels")) {
		const char *in = report_read_str(l, "in");
		esc_text_s(f, report_read_str(l, "label"));
		if (in && strcmp(in, "both") != 0)
			fprintf(f, "  (only in the %s)", in);
		fputc('\n', f);
		fprintf(f, "  %-9s %14s %14s %22s  %s\n", "metric", "baseline", "candidate", "delta", "note");
		for (size_t i = 0; i < ARRAY_LEN(rows); i++) {
			struct metric_row m;
			metric_row_of(&m, l, i);
			fprintf(f, "  %-9s %14s %14s %22s  %s\n", rows[i].metric, m.base, m.cand, m.delta, m.note);
		}
		fputc('\n', f);
	}
	const cJSON *t = cJSON_GetObjectItemCaseSensitive(cmp, "throttle");
	fputs("throttling\n", f);
	if (!cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(t, "available"))) {
		fprintf(f, "  %s\n", report_read_str(t, "note") ? report_read_str(t, "note") : "n/a");
		return ferror(f) ? -1 : 0;
	}
	fprintf(f, "  onset: %s\n", report_read_str(t, "onset_offset_s.note"));
	fprintf(f, "  limit: %s\n", report_read_str(t, "limit.note"));
	fprintf(f, "  limit change: %s\n", report_read_str(t, "limit.change_note"));
	static const char *lists[] = { "regions_newly_throttled", "regions_no_longer_throttled" };
	static const char *titles[] = { "regions newly throttled", "regions no longer throttled" };
	for (size_t k = 0; k < 2; k++) {
		fprintf(f, "  %s: ", titles[k]);
		list_out(f, cJSON_GetObjectItemCaseSensitive(t, lists[k]), esc_text_s);
		fputc('\n', f);
	}
	return ferror(f) ? -1 : 0;
}

static void md_cell(FILE *f, const char *s)
{
	struct strbuf sb = STRBUF_INIT;
	esc_md_cell(&sb, s ? s : "", s ? strlen(s) : 0);
	fputs(strbuf_cstr(&sb), f);
	strbuf_release(&sb);
}

int compare_report_md(FILE *f, const cJSON *cmp)
{
	char win[160];
	fputs("# jtlscope compare\n\n| | path | test window |\n|---|---|---|\n| baseline | ", f);
	md_cell(f, report_read_str(cmp, "baseline.path"));
	fprintf(f, " | %s", side_window(win, sizeof win, cmp, "baseline", "→") ? win : "n/a");
	fputs(" |\n| candidate | ", f);
	md_cell(f, report_read_str(cmp, "candidate.path"));
	fprintf(f, " | %s", side_window(win, sizeof win, cmp, "candidate", "→") ? win : "n/a");
	fputs(" |\n\n## Labels\n\n| label | metric | baseline | candidate | delta | note |\n"
	      "|---|---|--:|--:|--:|---|\n", f);
	const cJSON *l;
	cJSON_ArrayForEach(l, cJSON_GetObjectItemCaseSensitive(cmp, "labels")) {
		for (size_t i = 0; i < ARRAY_LEN(rows); i++) {
			struct metric_row m;
			metric_row_of(&m, l, i);
			fputs("| ", f);
			if (i == 0)
				md_cell(f, report_read_str(l, "label"));
			fprintf(f, " | %s | %s | %s | %s | ", rows[i].metric, m.base, m.cand, m.delta);
			md_cell(f, m.note);
			fputs(" |\n", f);
		}
	}
	const cJSON *t = cJSON_GetObjectItemCaseSensitive(cmp, "throttle");
	fputs("\n## Throttling\n\n", f);
	if (!cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(t, "available"))) {
		fputs("- ", f);
		md_cell(f, report_read_str(t, "note"));
		fputs("\n", f);
		return ferror(f) ? -1 : 0;
	}
	fputs("- onset: ", f);
	md_cell(f, report_read_str(t, "onset_offset_s.note"));
	fputs("\n- limit: ", f);
	md_cell(f, report_read_str(t, "limit.note"));
	fputs("\n- limit change: ", f);
	md_cell(f, report_read_str(t, "limit.change_note"));
	fputs("\n- regions newly throttled: ", f);
	list_out(f, cJSON_GetObjectItemCaseSensitive(t, "regions_newly_throttled"), md_cell);
	fputs("\n", f);
	return ferror(f) ? -1 : 0;
}

int compare_report_json(FILE *f, const cJSON *cmp)
{
	return json_print(f, cmp);
}
