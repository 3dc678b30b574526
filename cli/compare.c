/* compare.c - `jtlscope compare` (compare.h). */
#include "cli/compare.h"

#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "analyzer/summary.h"
#include "cli/gate.h"
#include "cli/options.h"
#include "cli/report_cmd.h"
#include "cli/summary_cmd.h"
#include "common/diag.h"
#include "common/util.h"
#include "parsers/input.h"
#include "reports/escape.h"
#include "reports/json_util.h"
#include "reports/report.h"

#ifndef JTLSCOPE_VERSION
#define JTLSCOPE_VERSION "0.0.0"
#endif

/* --- statistics ----------------------------------------------------------------------------- */

/* Two-proportion z-test of e1/n1 vs e2/n2 (pooled).  false when it cannot be computed. */
static bool z_test(double e1, double n1, double e2, double n2, double *z, double *p)
{
	if (!(n1 > 0 && n2 > 0))
		return false;
	double pp = (e1 + e2) / (n1 + n2);
	double se = sqrt(pp * (1 - pp) * (1 / n1 + 1 / n2));
	if (!(se > 0))
		return false;
	*z = (e2 / n2 - e1 / n1) / se;
	*p = erfc(fabs(*z) / sqrt(2.0));
	return true;
}

static double pct_change(double b, double c)
{
	if (isnan(b) || isnan(c))
		return NAN;
	if (b == 0)
		return c == 0 ? 0 : INFINITY;
	return 100.0 * (c - b) / b;
}

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
	add_num(o, "delta_pct", pct_change(b, c), 1);
	return o;
}

/* A latency or rate change: within histogram error / small / flagged. */
static const char *change_note(double b, double c, bool higher_is_worse, bool is_latency)
{
	double d = pct_change(b, c);
	if (isnan(d))
		return "n/a";
	if (fabs(d) < COMPARE_PCT_NOISE)
		return is_latency ? "within histogram error" : "unchanged";
	if (fabs(d) <= COMPARE_PCT_FLAG)
		return "small change";
	bool worse = higher_is_worse ? c > b : c < b;
	if (is_latency)
		return worse ? "SLOWER (>10 %)" : "faster (>10 %)";
	return worse ? "LOWER (>10 %)" : "higher (>10 %)";
}

static cJSON *stats_delta(const char *label, const cJSON *b, const cJSON *c)
{
	cJSON *o = cJSON_CreateObject();
	json_add_str(o, "label", label);
	cJSON_AddStringToObject(o, "in", b && c ? "both" : b ? "baseline" : "candidate");
	double nb = gate_num(b, "count"), nc = gate_num(c, "count");
	cJSON_AddItemToObject(o, "count", delta_obj(nb, nc, 0));

	double eb = gate_num(b, "errors"), ec = gate_num(c, "errors");
	cJSON *er = delta_obj(gate_num(b, "error_pct"), gate_num(c, "error_pct"), 3);
	double z, p;
	if (z_test(eb, nb, ec, nc, &z, &p)) {
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
	for (size_t i = 0; i < ARRAY_LEN(pk); i++) {
		double vb = gate_num(b, pk[i]), vc = gate_num(c, pk[i]);
		cJSON *d = delta_obj(vb, vc, 1);
		cJSON_AddStringToObject(d, "note", change_note(vb, vc, true, true));
		cJSON_AddItemToObject(o, pk[i], d);
	}
	double tb = gate_num(b, "throughput_per_s"), tc = gate_num(c, "throughput_per_s");
	cJSON *t = delta_obj(tb, tc, 3);
	cJSON_AddStringToObject(t, "note", change_note(tb, tc, false, false));
	cJSON_AddItemToObject(o, "throughput_per_s", t);
	return o;
}

static int cmp_str(const void *x, const void *y)
{
	return strcmp(*(const char *const *)x, *(const char *const *)y);
}

static cJSON *side_info(const cJSON *r, const char *name)
{
	cJSON *o = cJSON_CreateObject();
	json_add_str(o, "path", name);
	add_num(o, "samples", gate_num(r, "samples.total"), 0);
	add_num(o, "first_ts_ms", gate_num(r, "samples.first_ts_ms"), 0);
	double s = gate_num(r, "samples.first_ts_ms"), e = gate_num(r, "samples.end_ms");
	add_num(o, "duration_s", (e - s) / 1000.0, 3);
	cJSON_AddBoolToObject(o, "throttle_analysis",
			      cJSON_IsObject(cJSON_GetObjectItemCaseSensitive(r, "throttle")));
	return o;
}

static cJSON *throttle_delta(const cJSON *b, const cJSON *c)
{
	cJSON *o = cJSON_CreateObject();
	const cJSON *gb = gate_report_group(b, NULL), *gc = gate_report_group(c, NULL);
	if (!gb || !gc) {
		cJSON_AddBoolToObject(o, "available", false);
		cJSON_AddStringToObject(o, "note", !gb && !gc ? "neither side has a throttle analysis"
						   : !gb ? "the baseline has no throttle analysis"
							 : "the candidate has no throttle analysis");
		return o;
	}
	cJSON_AddBoolToObject(o, "available", true);
	int db = gate_group_detected(gb), dc = gate_group_detected(gc);
	cJSON_AddBoolToObject(o, "baseline_detected", db == 1);
	cJSON_AddBoolToObject(o, "candidate_detected", dc == 1);
	double ob = db == 1 ? gate_num(gb, "onset.offset_s") : NAN;
	double oc = dc == 1 ? gate_num(gc, "onset.offset_s") : NAN;
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
	const cJSON *lb = gate_report_limiter(b), *lc = gate_report_limiter(c);
	const char *mb = db == 1 ? gate_str(lb, "limit.model") : NULL;
	const char *mc = dc == 1 ? gate_str(lc, "limit.model") : NULL;
	double rb = db == 1 ? gate_num(lb, "limit.rate_per_s") : NAN;
	double rc = dc == 1 ? gate_num(lc, "limit.rate_per_s") : NAN;
	json_add_str(li, "baseline_model", mb ? mb : "none");
	json_add_str(li, "candidate_model", mc ? mc : "none");
	add_num(li, "baseline_rate_per_s", rb, 2);
	add_num(li, "candidate_rate_per_s", rc, 2);
	add_num(li, "change_pct", pct_change(rb, rc), 1);
	if (!isnan(rb) && !isnan(rc))
		snprintf(note, sizeof note, "limit estimate %.2f/s -> %.2f/s (%s)", rb, rc,
			 change_note(rb, rc, false, false));
	else if (!isnan(rc))
		snprintf(note, sizeof note, "limit estimate %.2f/s (none in the baseline)", rc);
	else if (!isnan(rb))
		snprintf(note, sizeof note, "the baseline's limit estimate %.2f/s; none in the candidate", rb);
	else
		snprintf(note, sizeof note, "no limit estimate on either side");
	cJSON_AddStringToObject(li, "note", note);

	/* regions detected in the candidate and not in the baseline (and the reverse) */
	cJSON *nw = cJSON_AddArrayToObject(o, "regions_newly_throttled");
	cJSON *gone = cJSON_AddArrayToObject(o, "regions_no_longer_throttled");
	const cJSON *rl = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(c, "throttle"), "regions");
	const cJSON *g;
	cJSON_ArrayForEach(g, rl) {
		const char *name = gate_str(g, "region");
		if (!name || gate_group_detected(g) != 1)
			continue;
		const cJSON *bg = gate_report_group(b, name);
		if (!bg || gate_group_detected(bg) != 1)
			cJSON_AddItemToArray(nw, json_str(name));
	}
	rl = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(b, "throttle"), "regions");
	cJSON_ArrayForEach(g, rl) {
		const char *name = gate_str(g, "region");
		if (!name || gate_group_detected(g) != 1)
			continue;
		const cJSON *cg = gate_report_group(c, name);
		if (!cg || gate_group_detected(cg) != 1)
			cJSON_AddItemToArray(gone, json_str(name));
	}
	return o;
}

cJSON *compare_trees(const cJSON *base, const cJSON *cand, const char *base_name, const char *cand_name)
{
	cJSON *root = cJSON_CreateObject();
	cJSON_AddStringToObject(root, "schema", COMPARE_SCHEMA);
	cJSON_AddItemToObject(root, "baseline", side_info(base, base_name));
	cJSON_AddItemToObject(root, "candidate", side_info(cand, cand_name));
	cJSON *labels = cJSON_AddArrayToObject(root, "labels");
	cJSON_AddItemToArray(labels, stats_delta("TOTAL", gate_report_stats(base, NULL),
						 gate_report_stats(cand, NULL)));
	/* union of label names, sorted */
	size_t n = 0, cap = 0;
	const char **names = NULL;
	const cJSON *sides[2] = { base, cand };
	for (size_t s = 0; s < 2; s++) {
		const cJSON *l;
		cJSON_ArrayForEach(l, cJSON_GetObjectItemCaseSensitive(sides[s], "labels")) {
			const char *nm = gate_str(l, "label");
			if (!nm)
				continue;
			void *v = names;
			xgrow(&v, &cap, n + 1, sizeof *names);
			names = v;
			names[n++] = nm;
		}
	}
	if (n)
		qsort(names, n, sizeof *names, cmp_str);
	for (size_t i = 0; i < n; i++) {
		if (i > 0 && strcmp(names[i], names[i - 1]) == 0)
			continue;
		cJSON_AddItemToArray(labels, stats_delta(names[i], gate_report_stats(base, names[i]),
							 gate_report_stats(cand, names[i])));
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
	double v = gate_num(d, "delta"), p = gate_num(d, "delta_pct");
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
	const char *s = gate_str(d, "note");
	return s ? s : "";
}

int compare_write_text(FILE *f, const cJSON *cmp)
{
	fputs("jtlscope compare\n  baseline:  ", f);
	esc_text_s(f, gate_str(cmp, "baseline.path"));
	fputs("\n  candidate: ", f);
	esc_text_s(f, gate_str(cmp, "candidate.path"));
	fputs("\n\n", f);
	const cJSON *l;
	cJSON_ArrayForEach(l, cJSON_GetObjectItemCaseSensitive(cmp, "labels")) {
		const char *in = gate_str(l, "in");
		esc_text_s(f, gate_str(l, "label"));
		if (in && strcmp(in, "both") != 0)
			fprintf(f, "  (only in the %s)", in);
		fputc('\n', f);
		fprintf(f, "  %-9s %14s %14s %22s  %s\n", "metric", "baseline", "candidate", "delta", "note");
		for (size_t i = 0; i < ARRAY_LEN(rows); i++) {
			const cJSON *d = cJSON_GetObjectItemCaseSensitive(l, rows[i].key);
			char b[32], c[32], dd[48];
			fmt_num(b, sizeof b, gate_num(d, "baseline"), rows[i].decimals);
			fmt_num(c, sizeof c, gate_num(d, "candidate"), rows[i].decimals);
			fmt_delta(dd, sizeof dd, d, rows[i].decimals, rows[i].pp);
			fprintf(f, "  %-9s %14s %14s %22s  %s\n", rows[i].metric, b, c, dd, delta_note(d));
		}
		fputc('\n', f);
	}
	const cJSON *t = cJSON_GetObjectItemCaseSensitive(cmp, "throttle");
	fputs("throttling\n", f);
	if (!cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(t, "available"))) {
		fprintf(f, "  %s\n", gate_str(t, "note") ? gate_str(t, "note") : "n/a");
		return ferror(f) ? -1 : 0;
	}
	fprintf(f, "  onset: %s\n", gate_str(t, "onset_offset_s.note"));
	fprintf(f, "  limit: %s\n", gate_str(t, "limit.note"));
	static const char *lists[] = { "regions_newly_throttled", "regions_no_longer_throttled" };
	static const char *titles[] = { "regions newly throttled", "regions no longer throttled" };
	for (size_t k = 0; k < 2; k++) {
		const cJSON *a = cJSON_GetObjectItemCaseSensitive(t, lists[k]), *x;
		fprintf(f, "  %s: ", titles[k]);
		if (cJSON_GetArraySize(a) == 0)
			fputs("none", f);
		int i = 0;
		cJSON_ArrayForEach(x, a) {
			if (i++)
				fputs(", ", f);
			esc_text_s(f, x->valuestring);
		}
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

int compare_write_md(FILE *f, const cJSON *cmp)
{
	fputs("# jtlscope compare\n\n| | path |\n|---|---|\n| baseline | ", f);
	md_cell(f, gate_str(cmp, "baseline.path"));
	fputs(" |\n| candidate | ", f);
	md_cell(f, gate_str(cmp, "candidate.path"));
	fputs(" |\n\n## Labels\n\n| label | metric | baseline | candidate | delta | note |\n"
	      "|---|---|--:|--:|--:|---|\n", f);
	const cJSON *l;
	cJSON_ArrayForEach(l, cJSON_GetObjectItemCaseSensitive(cmp, "labels")) {
		for (size_t i = 0; i < ARRAY_LEN(rows); i++) {
			const cJSON *d = cJSON_GetObjectItemCaseSensitive(l, rows[i].key);
			char b[32], c[32], dd[48];
			fmt_num(b, sizeof b, gate_num(d, "baseline"), rows[i].decimals);
			fmt_num(c, sizeof c, gate_num(d, "candidate"), rows[i].decimals);
			fmt_delta(dd, sizeof dd, d, rows[i].decimals, rows[i].pp);
			fputs("| ", f);
			if (i == 0)
				md_cell(f, gate_str(l, "label"));
			fprintf(f, " | %s | %s | %s | %s | ", rows[i].metric, b, c, dd);
			md_cell(f, delta_note(d));
			fputs(" |\n", f);
		}
	}
	const cJSON *t = cJSON_GetObjectItemCaseSensitive(cmp, "throttle");
	fputs("\n## Throttling\n\n", f);
	if (!cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(t, "available"))) {
		fputs("- ", f);
		md_cell(f, gate_str(t, "note"));
		fputs("\n", f);
		return ferror(f) ? -1 : 0;
	}
	fputs("- onset: ", f);
	md_cell(f, gate_str(t, "onset_offset_s.note"));
	fputs("\n- limit: ", f);
	md_cell(f, gate_str(t, "limit.note"));
	fputs("\n- regions newly throttled: ", f);
	const cJSON *a = cJSON_GetObjectItemCaseSensitive(t, "regions_newly_throttled"), *x;
	if (cJSON_GetArraySize(a) == 0)
		fputs("none", f);
	int i = 0;
	cJSON_ArrayForEach(x, a) {
		if (i++)
			fputs(", ", f);
		md_cell(f, x->valuestring);
	}
	fputs("\n", f);
	return ferror(f) ? -1 : 0;
}

/* --- command -------------------------------------------------------------------------------- */

void compare_usage(FILE *f)
{
	fputs("usage: jtlscope compare [options] BASELINE CANDIDATE\n"
	      "\n"
	      "Compare two runs.  Each is a JMeter result file (CSV/XML JTL, .gz; analysed now), a\n"
	      "report.json, a directory holding one (e.g. a 'jtlscope batch' run folder), or a summary\n"
	      "from 'jtlscope summarize' (no throttle analysis then).\n"
	      "Per label (TOTAL first): samples, error % with a two-proportion z-test, p50/p95/p99\n"
	      "(changes under 2 % are within histogram error; over 10 % are flagged) and throughput;\n"
	      "then the throttle onset shift, the limit estimate change, regions newly throttled.\n"
	      "\n"
	      "  -f, --format FMT           text (default), md or json\n"
	      "  -o, --output FILE          write to FILE instead of stdout\n"
	      "      --fail-on EXPR         exit 6 when EXPR holds for the CANDIDATE (repeatable)\n"
	      "      --junit FILE           write the --fail-on results as JUnit XML\n"
	      "  -q, --quiet                no per-record warnings\n"
	      "  -h, --help                 this text\n"
	      "analysis and input options for JTL inputs as for 'jtlscope report'.\n"
	      "\n"
	      "Exit codes: 0 ok, 2 usage, 3 an input cannot be read, 5 output error, 6 a --fail-on\n"
	      "criterion was met.\n", f);
}

struct cmp_opts {
	struct common_opts c;
};

/* A report tree for one side.  NULL on error (printed). */
static cJSON *load_side(const char *path, const struct cmp_opts *o)
{
	char err[1200];
	struct stat st;
	char *rj = NULL;
	if (strcmp(path, "-") != 0 && stat(path, &st) == 0 && S_ISDIR(st.st_mode)) {
		rj = xasprintf("%s/report.json", path);
		path = rj;
	}
	enum input_format fmt = INPUT_FMT_CSV;   /* stdin can be read once: a JTL */
	if (strcmp(path, "-") != 0) {
		struct input *in = input_open(path, err, sizeof err);
		if (!in) {
			diag_error("%s", err);
			free(rj);
			return NULL;
		}
		fmt = input_sniff(in);
		input_close(in);
	}
	cJSON *tree = NULL;
	if (fmt == INPUT_FMT_JSON) {
		cJSON *j = sumcmd_load_json(path, err, sizeof err);
		const cJSON *schema = j ? cJSON_GetObjectItemCaseSensitive(j, "schema") : NULL;
		if (!j) {
			diag_error("%s", err);
		} else if (cJSON_IsString(schema) && strcmp(schema->valuestring, REPORT_SCHEMA) == 0) {
			tree = j;
			j = NULL;
		} else if (cJSON_IsString(schema) && strcmp(schema->valuestring, SUMMARY_SCHEMA) == 0) {
			struct analysis *a = summary_from_json(j, err, sizeof err);
			if (!a) {
				diag_error("'%s': %s", path, err);
			} else {
				analysis_finish(a);
				struct report_meta m = { .version = JTLSCOPE_VERSION };
				tree = report_json_tree(a, &m);
				analysis_free(a);
			}
		} else {
			diag_error("'%s': not a jtlscope report or summary (no known \"schema\")", path);
		}
		cJSON_Delete(j);
		free(rj);
		return tree;
	}
	struct analysis *a = analysis_new(&o->c.cfg, err, sizeof err);
	if (!a) {
		diag_error("%s", err);
		free(rj);
		return NULL;
	}
	int r = sumcmd_read_input(a, path, &o->c.jtl, o->c.strict, o->c.quiet);
	free(rj);
	if (r != EXIT_OK) {
		analysis_free(a);
		return NULL;
	}
	analysis_finish(a);
	struct report_meta m = { .version = JTLSCOPE_VERSION };
	tree = report_json_tree(a, &m);
	analysis_free(a);
	return tree;
}

int cmd_compare(int argc, char **argv)
{
	struct cmp_opts o;
	common_opts_init(&o.c);
	const char *fmt = "text", *out = NULL, *junit = NULL;
	struct gate *g = gate_new();
	char err[1200];
	enum { C_FAIL = OPT_COMMON_END, C_JUNIT };
	static const struct option longopts[] = {
		{ "format", required_argument, NULL, 'f' },
		{ "output", required_argument, NULL, 'o' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ "fail-on", required_argument, NULL, C_FAIL },
		{ "junit", required_argument, NULL, C_JUNIT },
		COMMON_LONGOPTS,
		{ NULL, 0, NULL, 0 },
	};
	optind = 1;
	opterr = 0;
	int c, rc = EXIT_USAGE;
	while ((c = getopt_long(argc, argv, ":f:o:qh", longopts, NULL)) != -1) {
		switch (c) {
		case 'f':
			if (strcmp(optarg, "text") && strcmp(optarg, "md") && strcmp(optarg, "json")) {
				diag_error("--format: want text, md or json, not '%s'", optarg);
				goto done;
			}
			fmt = optarg;
			break;
		case 'o': out = optarg; break;
		case 'q': o.c.quiet = true; break;
		case 'h': compare_usage(stdout); rc = EXIT_OK; goto done;
		case C_FAIL:
			if (gate_add(g, optarg, err, sizeof err) != 0) {
				diag_error("%s", err);
				goto done;
			}
			break;
		case C_JUNIT: junit = optarg; break;
		case ':':
			diag_error("option '%s' needs a value", argv[optind - 1]);
			goto done;
		default: {
			int r = common_opt(&o.c, c, optarg);
			if (r > 0)
				break;
			if (r == 0) {
				diag_error("unknown option '%s'", argv[optind - 1]);
				fputs("try 'jtlscope compare --help' for the options\n", stderr);
			}
			goto done;
		}
		}
	}
	if (argc - optind != 2) {
		diag_error("compare takes two inputs: BASELINE CANDIDATE (got %d)", argc - optind);
		compare_usage(stderr);
		goto done;
	}
	if (junit && gate_count(g) == 0) {
		diag_error("--junit needs at least one --fail-on");
		goto done;
	}
	o.c.jtl.keep_bodies = o.c.cfg.throttle.pattern != NULL;
	cJSON *bt = load_side(argv[optind], &o);
	cJSON *ct = bt ? load_side(argv[optind + 1], &o) : NULL;
	if (!bt || !ct) {
		cJSON_Delete(bt);
		rc = EXIT_INPUT;
		goto done;
	}
	cJSON *cmp = compare_trees(bt, ct, argv[optind], argv[optind + 1]);
	FILE *f = out ? fopen(out, "w") : stdout;
	rc = EXIT_OK;
	if (!f) {
		diag_error("cannot write '%s': %s", out, strerror(errno));
		rc = EXIT_OUTPUT;
	} else {
		int w;
		if (strcmp(fmt, "json") == 0) {
			char *s = cJSON_Print(cmp);
			w = s && fputs(s, f) >= 0 && fputc('\n', f) != EOF ? 0 : -1;
			cJSON_free(s);
		} else if (strcmp(fmt, "md") == 0) {
			w = compare_write_md(f, cmp);
		} else {
			w = compare_write_text(f, cmp);
		}
		int cl = f == stdout ? fflush(f) : fclose(f);
		if (w != 0 || cl != 0) {
			diag_error("cannot write '%s': %s", out ? out : "<stdout>", strerror(errno));
			rc = EXIT_OUTPUT;
		}
	}
	if (rc == EXIT_OK && gate_count(g)) {
		int met = gate_eval_suite(g, argv[optind + 1], ct, stderr);
		if (junit && gate_write_junit(g, junit, err, sizeof err) != 0) {
			diag_error("%s", err);
			rc = EXIT_OUTPUT;
		} else if (met > 0) {
			rc = EXIT_GATE;
		}
	}
	cJSON_Delete(cmp);
	cJSON_Delete(bt);
	cJSON_Delete(ct);
done:
	gate_free(g);
	return rc;
}
