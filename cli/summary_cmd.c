/* summary_cmd.c - `jtlscope summarize` and `jtlscope merge` (summary_cmd.h).
 *
 * summarize reads inputs exactly as `report` does (same options), but instead of finishing the
 * analysis it writes its mergeable state (reports/summary_json.h).  merge folds any number of such
 * files and writes the normal reports, the throttle section included: the summaries carry the
 * throttle analysis' state (analyzer/throttle/state.h).
 */
#include "cli/summary_cmd.h"

#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "reports/summary_json.h"
#include "analyzer/throttle/state.h"
#include "cli/gate.h"
#include "cli/options.h"
#include "cli/read_input.h"
#include "cli/report_cmd.h"
#include "common/diag.h"
#include "parsers/input.h"
#include "reports/charts.h"
#include "reports/escape.h"
#include "reports/json_file.h"
#include "reports/json_util.h"
#include "reports/report.h"
#include "reports/report_time.h"

#ifndef JTLSCOPE_VERSION
#define JTLSCOPE_VERSION "0.0.0"
#endif

/* --- reading inputs ------------------------------------------------------------------------- */

int sumcmd_read_input(struct analysis *a, const char *path, const struct jtl_options *jtl,
		      bool strict, bool quiet)
{
	struct read_opts ro = { .jtl = *jtl, .strict = strict, .quiet = quiet, .captures = false,
				.no_capture_why = "a capture: summaries hold JTL samples only" };
	return read_input(a, path, &ro);
}

cJSON *sumcmd_load_json(const char *path, char *err, size_t errlen)
{
	return json_file_load(path, err, errlen);
}

struct analysis *sumcmd_merge_trees(cJSON *const *parts, const char *const *paths, size_t n,
				    char *err, size_t errlen)
{
	char e[600];
	struct analysis *m = NULL;
	for (size_t i = 0; i < n; i++) {
		const cJSON *schema = cJSON_GetObjectItemCaseSensitive(parts[i], "schema");
		if (cJSON_IsString(schema) && strcmp(schema->valuestring, REPORT_SCHEMA) == 0) {
			snprintf(err, errlen, "'%s': a report, not a summary (make summaries with "
				 "'jtlscope summarize')", paths[i]);
			analysis_free(m);
			return NULL;
		}
		if (i > 0 && cJSON_IsString(schema) && !summary_compatible(parts[0], parts[i], e, sizeof e)) {
			snprintf(err, errlen, "'%s': %s than '%s'", paths[i], e, paths[0]);
			analysis_free(m);
			return NULL;
		}
		struct analysis *p = summary_from_json(parts[i], e, sizeof e);
		if (!p) {
			snprintf(err, errlen, "'%s': %s", paths[i], e);
			analysis_free(m);
			return NULL;
		}
		if (!m) {
			m = p;
			continue;
		}
		if (analysis_merge(m, p, e, sizeof e) != 0) {
			snprintf(err, errlen, "'%s': %s", paths[i], e);
			analysis_free(p);
			analysis_free(m);
			return NULL;
		}
		analysis_free(p);
	}
	return m;
}

/* --- options shared with report ------------------------------------------------------------- */

enum { O_STAMP = OPT_COMMON_END, O_FAIL_ON, O_JUNIT, O_CHARTS, O_SUMMARY };

/* --- summarize ------------------------------------------------------------------------------ */

void summarize_usage(FILE *f)
{
	fputs("usage: jtlscope summarize [options] INPUT... [-o PART.json]\n"
	      "\n"
	      "Read JMeter results (CSV or XML JTL, plain or gzip; '-' reads stdin) and write their\n"
	      "mergeable summary (schema jtlscope-summary/1: counters, sparse latency histograms, codes,\n"
	      "thread groups and thread spans, time series, inputs) for 'jtlscope merge'.  Summaries of\n"
	      "parts of a run (or of many runs) merge into exactly the counts and percentiles one pass\n"
	      "over all inputs gives; the throttle analysis' state (grids, keys, bounded replay store)\n"
	      "is part of it.\n"
	      "\n"
	      "  -o, --output FILE          write the summary to FILE (default stdout)\n"
	      "  -q, --quiet                no per-record warnings (still counted)\n"
	      "  -h, --help                 this text\n"
	      "analysis and input options as for 'jtlscope report': --bucket, --throttle-codes,\n"
	      "--no-503-retry-after, --throttle-pattern, --delimiter, --columns, --timestamp-format, --tz,\n"
	      "--sub-results, --strict.  Merge only summaries made with the same --bucket and throttle\n"
	      "options.\n"
	      "\n"
	      "Exit codes: 0 ok, 2 usage, 3 input error (the summary is still written, with the error\n"
	      "in its inputs), 4 --strict and a malformed record, 5 output error.\n", f);
}

static int write_json_file(const char *path, const cJSON *root, bool pretty)
{
	char *s = pretty ? cJSON_Print(root) : cJSON_PrintUnformatted(root);
	if (!s) {
		diag_error("cannot format the JSON output");
		return EXIT_OUTPUT;
	}
	FILE *f = path && strcmp(path, "-") != 0 ? fopen(path, "w") : stdout;
	if (!f) {
		diag_error("cannot write '%s': %s", path, strerror(errno));
		cJSON_free(s);
		return EXIT_OUTPUT;
	}
	fputs(s, f);
	fputc('\n', f);
	cJSON_free(s);
	int bad = ferror(f);
	bad |= f == stdout ? fflush(f) != 0 : fclose(f) != 0;
	if (bad) {
		diag_error("cannot write '%s': %s", path ? path : "<stdout>", strerror(errno));
		return EXIT_OUTPUT;
	}
	return EXIT_OK;
}

int cmd_summarize(int argc, char **argv)
{
	struct common_opts o;
	common_opts_init(&o);
	const char *out = NULL;
	static const struct option longopts[] = {
		{ "output", required_argument, NULL, 'o' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		COMMON_LONGOPTS,
		{ NULL, 0, NULL, 0 },
	};
	optind = 1;
	opterr = 0;
	int c;
	while ((c = getopt_long(argc, argv, ":o:qh", longopts, NULL)) != -1) {
		int r = common_opt(&o, c, optarg);
		if (r < 0)
			return EXIT_USAGE;
		if (r > 0)
			continue;
		switch (c) {
		case 'o': out = optarg; break;
		case 'q': o.quiet = true; break;
		case 'h': summarize_usage(stdout); return EXIT_OK;
		case ':':
			diag_error("option '%s' needs a value", argv[optind - 1]);
			return EXIT_USAGE;
		default:
			diag_error("unknown option '%s'", argv[optind - 1]);
			fputs("try 'jtlscope summarize --help' for the options\n", stderr);
			return EXIT_USAGE;
		}
	}
	if (optind >= argc) {
		diag_error("no input files (use '-' for stdin)");
		summarize_usage(stderr);
		return EXIT_USAGE;
	}
	o.jtl.keep_bodies = o.cfg.throttle.pattern != NULL;
	char err[600];
	struct analysis *a = analysis_new(&o.cfg, err, sizeof err);
	if (!a) {
		diag_error("%s", err);
		return EXIT_USAGE;
	}
	int rc = EXIT_OK;
	for (int i = optind; i < argc; i++) {
		int r = sumcmd_read_input(a, argv[i], &o.jtl, o.strict, o.quiet);
		if (r == EXIT_STRICT) {
			analysis_free(a);
			return EXIT_STRICT;
		}
		if (r != EXIT_OK && rc == EXIT_OK)
			rc = r;
	}
	cJSON *j = summary_to_json(a, JTLSCOPE_VERSION);
	analysis_free(a);
	int wrc = write_json_file(out, j, false);
	cJSON_Delete(j);
	if (wrc == EXIT_OK && out && !o.quiet)
		fprintf(stderr, "wrote %s\n", out);
	return rc != EXIT_OK ? rc : wrc;
}

/* --- merge ---------------------------------------------------------------------------------- */

enum { MF_TEXT = 1, MF_JSON = 2, MF_MD = 4, MF_HTML = 8, MF_CSV = 16 };

void merge_usage(FILE *f)
{
	fputs("usage: jtlscope merge [options] SUMMARY... \n"
	      "\n"
	      "Combine summaries written by 'jtlscope summarize' (plain or gzip; any number, any order)\n"
	      "into one analysis and write its reports, as 'jtlscope report' would for all the inputs at\n"
	      "once: counts exact, percentiles identical (histograms merge exactly), and the throttle\n"
	      "analysis of one pass over the inputs in the order the summaries are given (the reports\n"
	      "count requests a part's bounded replay store had dropped, if any).\n"
	      "\n"
	      "  -o, --output DIR           write every requested format into DIR\n"
	      "  -f, --format LIST          text,json,md,html,csv (default text; several, and csv, need -o)\n"
	      "      --summary FILE         also write the merged summary (to merge further)\n"
	      "      --charts KIND          svg (default), png or none: gnuplot charts for md/html\n"
	      "      --stamp                put the wall-clock time in the report\n"
	      "      --tz ZONE              the zone the reports show times in: UTC (default), +08:00,\n"
	      "                             -0530, or a zone name such as Asia/Singapore\n"
	      "      --fail-on EXPR         exit 6 when EXPR holds (repeatable; see jtlscope(1))\n"
	      "      --junit FILE           write the --fail-on results as JUnit XML\n"
	      "  -q, --quiet                no 'wrote' lines\n"
	      "  -h, --help                 this text\n"
	      "\n"
	      "Exit codes: 0 ok, 2 usage, 3 a summary is unreadable or does not fit the others,\n"
	      "5 output error, 6 a --fail-on criterion was met.\n", f);
}

static bool merge_formats(const char *s, unsigned *out)
{
	*out = 0;
	while (*s) {
		size_t n = strcspn(s, ",");
		if (n == 4 && strncmp(s, "text", 4) == 0) *out |= MF_TEXT;
		else if (n == 4 && strncmp(s, "json", 4) == 0) *out |= MF_JSON;
		else if (n == 2 && strncmp(s, "md", 2) == 0) *out |= MF_MD;
		else if (n == 4 && strncmp(s, "html", 4) == 0) *out |= MF_HTML;
		else if (n == 3 && strncmp(s, "csv", 3) == 0) *out |= MF_CSV;
		else return false;
		s += n;
		if (*s == ',')
			s++;
	}
	return *out != 0;
}

/* The JSON report of a merged analysis: the normal tree plus "merged". */
/* What the merged report says about its throttle analysis (static storage, one call at a time). */
static const char *merge_note(const struct analysis *a)
{
	static char buf[600];
	if (!a->throttle)
		return SUMMARY_NO_THROTTLE_NOTE;
	uint64_t lost = throttle_merge_dropped(a->throttle);
	if (!lost)
		return SUMMARY_THROTTLE_NOTE;
	snprintf(buf, sizeof buf, SUMMARY_THROTTLE_LOSS_NOTE, (unsigned long long)lost);
	return buf;
}

static cJSON *merged_tree(const struct analysis *a, const struct report_meta *m, size_t parts)
{
	cJSON *root = report_json_tree(a, m);
	cJSON *mg = cJSON_AddObjectToObject(root, "merged");
	cJSON_AddNumberToObject(mg, "parts", (double)parts);
	cJSON_AddBoolToObject(mg, "throttle_analysis", a->throttle != NULL);
	if (a->throttle)
		cJSON_AddNumberToObject(mg, "replay_dropped", (double)throttle_merge_dropped(a->throttle));
	cJSON_AddStringToObject(mg, "note", merge_note(a));
	return root;
}

/* Run a report writer into memory, then insert a note after the marker (or at the start). */
static int write_with_note(FILE *f, const struct analysis *a, const struct report_meta *m,
			   int (*fn)(FILE *, const struct analysis *, const struct report_meta *),
			   const char *marker, const char *note)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *mf = open_memstream(&buf, &len);
	if (!mf)
		return -1;
	int w = fn(mf, a, m);
	if (fclose(mf) != 0 || w != 0) {
		free(buf);
		return -1;
	}
	const char *at = marker ? strstr(buf, marker) : NULL;
	size_t cut = at ? (size_t)(at - buf) + strlen(marker) : 0;
	fwrite(buf, 1, cut, f);
	fputs(note, f);
	fwrite(buf + cut, 1, len - cut, f);
	free(buf);
	return ferror(f) ? -1 : 0;
}

static int merged_text(FILE *f, const struct analysis *a, const struct report_meta *m)
{
	char note[700];
	snprintf(note, sizeof note, "note: %s\n\n", merge_note(a));
	return write_with_note(f, a, m, report_text, NULL, note);
}

static int merged_md(FILE *f, const struct analysis *a, const struct report_meta *m)
{
	char note[700];
	snprintf(note, sizeof note, "> **Note:** %s\n\n", merge_note(a));
	return write_with_note(f, a, m, report_md, "\n\n", note);
}

static int merged_html(FILE *f, const struct analysis *a, const struct report_meta *m)
{
	char note[800];
	snprintf(note, sizeof note, "<p class=\"note\"><strong>Note:</strong> %s</p>\n", merge_note(a));
	return write_with_note(f, a, m, report_html, "<body>\n", note);
}

static int csv_series_fn(FILE *f, const struct analysis *a, const struct report_meta *m)
{
	(void)m;
	return report_csv_series(f, a);
}

static int csv_labels_fn(FILE *f, const struct analysis *a, const struct report_meta *m)
{
	(void)m;
	return report_csv_labels(f, a);
}

struct merge_ctx {
	size_t parts;
};
static struct merge_ctx g_merge;

static int merged_json(FILE *f, const struct analysis *a, const struct report_meta *m)
{
	cJSON *root = merged_tree(a, m, g_merge.parts);
	int rc = json_print(f, root);
	cJSON_Delete(root);
	return rc;
}

int cmd_merge(int argc, char **argv)
{
	const char *outdir = NULL, *junit = NULL, *summary_out = NULL;
	unsigned formats = 0;
	bool quiet = false, stamp = false;
	enum chart_format charts = CHART_SVG;
	struct gate *g = gate_new();
	char err[1200];
	int rc = EXIT_OK;
	static const struct option longopts[] = {
		{ "output", required_argument, NULL, 'o' },
		{ "format", required_argument, NULL, 'f' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ "stamp", no_argument, NULL, O_STAMP },
		{ "fail-on", required_argument, NULL, O_FAIL_ON },
		{ "junit", required_argument, NULL, O_JUNIT },
		{ "charts", required_argument, NULL, O_CHARTS },
		{ "summary", required_argument, NULL, O_SUMMARY },
		{ "tz", required_argument, NULL, OPT_TZ },
		{ NULL, 0, NULL, 0 },
	};
	optind = 1;
	opterr = 0;
	int c, tzm = 0;
	while ((c = getopt_long(argc, argv, ":o:f:qh", longopts, NULL)) != -1) {
		switch (c) {
		case 'o': outdir = optarg; break;
		case OPT_TZ:
			/* the summaries keep epoch ms: --tz only sets the zone the reports show times in */
			if (!opt_tz_offset(optarg, &tzm) && !opt_tz_name(optarg, &tzm)) {
				diag_error("--tz: '%s' is neither an offset (UTC, +08:00, -0530) nor a zone name in "
					   "/usr/share/zoneinfo (Asia/Singapore)", optarg);
				gate_free(g);
				return EXIT_USAGE;
			}
			break;
		case 'f':
			if (!merge_formats(optarg, &formats)) {
				diag_error("--format: unknown format in '%s' (want text, json, md, html, csv)", optarg);
				gate_free(g);
				return EXIT_USAGE;
			}
			break;
		case 'q': quiet = true; break;
		case 'h': merge_usage(stdout); gate_free(g); return EXIT_OK;
		case O_STAMP: stamp = true; break;
		case O_SUMMARY: summary_out = optarg; break;
		case O_FAIL_ON:
			if (gate_add(g, optarg, err, sizeof err) != 0) {
				diag_error("%s", err);
				gate_free(g);
				return EXIT_USAGE;
			}
			break;
		case O_JUNIT: junit = optarg; break;
		case O_CHARTS:
			if (!charts_parse_format(optarg, &charts)) {
				diag_error("--charts: want svg, png or none, not '%s'", optarg);
				gate_free(g);
				return EXIT_USAGE;
			}
			break;
		case ':':
			diag_error("option '%s' needs a value", argv[optind - 1]);
			gate_free(g);
			return EXIT_USAGE;
		default:
			diag_error("unknown option '%s'", argv[optind - 1]);
			fputs("try 'jtlscope merge --help' for the options\n", stderr);
			gate_free(g);
			return EXIT_USAGE;
		}
	}
	if (optind >= argc) {
		diag_error("no summaries to merge");
		merge_usage(stderr);
		gate_free(g);
		return EXIT_USAGE;
	}
	if (!formats)
		formats = MF_TEXT;
	if (!outdir && ((formats & (formats - 1)) || (formats & MF_CSV))) {
		diag_error("several formats, and csv, need -o DIR");
		gate_free(g);
		return EXIT_USAGE;
	}
	if (junit && gate_count(g) == 0) {
		diag_error("--junit needs at least one --fail-on");
		gate_free(g);
		return EXIT_USAGE;
	}
	size_t n = (size_t)(argc - optind);
	cJSON **trees = xcalloc(n, sizeof *trees);
	const char **paths = xcalloc(n, sizeof *paths);
	struct analysis *a = NULL;
	for (size_t i = 0; i < n; i++) {
		paths[i] = argv[optind + (int)i];
		trees[i] = sumcmd_load_json(paths[i], err, sizeof err);
		if (!trees[i]) {
			diag_error("%s", err);
			rc = EXIT_INPUT;
			goto out;
		}
	}
	a = sumcmd_merge_trees(trees, paths, n, err, sizeof err);
	if (!a) {
		diag_error("%s", err);
		rc = EXIT_INPUT;
		goto out;
	}
	if (summary_out) {
		cJSON *sj = summary_to_json(a, JTLSCOPE_VERSION);
		rc = write_json_file(summary_out, sj, false);
		cJSON_Delete(sj);
		if (rc != EXIT_OK)
			goto out;
	}
	analysis_finish(a);
	g_merge.parts = n;
	report_tz_set(tzm == JTL_TZ_LOCAL ? getenv("TZ") : NULL, tzm == JTL_TZ_LOCAL ? 0 : tzm);

	char stampbuf[64];
	struct report_meta m = { .version = JTLSCOPE_VERSION };
	if (stamp) {
		struct timespec ts;
		clock_gettime(CLOCK_REALTIME, &ts);
		report_utc(stampbuf, sizeof stampbuf - 5, (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000);
		strcat(stampbuf, " UTC");
		m.stamp = stampbuf;
	}
	if (outdir && mkdir(outdir, 0777) != 0 && errno != EEXIST) {
		diag_error("cannot create '%s': %s", outdir, strerror(errno));
		rc = EXIT_OUTPUT;
		goto out;
	}
	struct chart_set cs;
	memset(&cs, 0, sizeof cs);
	if ((formats & (MF_MD | MF_HTML)) && charts != CHART_NONE && (outdir || (formats & MF_HTML))) {
		if (charts_render(a, outdir, charts, &cs) != 0)
			rc = EXIT_OUTPUT;
		if (cs.warning && !quiet)
			diag_note("warning: %s", cs.warning);
		m.charts = &cs;
	}
	if (rc == EXIT_OK) {
		if (!outdir) {
			int (*fn)(FILE *, const struct analysis *, const struct report_meta *) =
				(formats & MF_JSON) ? merged_json : (formats & MF_MD) ? merged_md :
				(formats & MF_HTML) ? merged_html : merged_text;
			if (fn(stdout, a, &m) != 0 || fflush(stdout) != 0) {
				diag_error("cannot write the report to stdout: %s", strerror(errno));
				rc = EXIT_OUTPUT;
			}
		} else {
			static const struct {
				unsigned bit;
				const char *name;
				int (*fn)(FILE *, const struct analysis *, const struct report_meta *);
			} outs[] = {
				{ MF_TEXT, "report.txt", merged_text },
				{ MF_JSON, "report.json", merged_json },
				{ MF_MD, "report.md", merged_md },
				{ MF_HTML, "report.html", merged_html },
				{ MF_CSV, "series.csv", csv_series_fn },
				{ MF_CSV, "labels.csv", csv_labels_fn },
			};
			for (size_t i = 0; i < ARRAY_LEN(outs) && rc == EXIT_OK; i++)
				if (formats & outs[i].bit)
					rc = report_write_file(outdir, outs[i].name, a, &m, outs[i].fn, quiet);
		}
	}
	chart_set_free(&cs);
	if (rc == EXIT_OK && gate_count(g)) {
		cJSON *tree = merged_tree(a, &m, n);
		int met = gate_eval(g, tree, stderr);
		cJSON_Delete(tree);
		if (junit && gate_write_junit(g, junit, err, sizeof err) != 0) {
			diag_error("%s", err);
			rc = EXIT_OUTPUT;
		} else if (met > 0) {
			rc = EXIT_GATE;
		}
	}
out:
	for (size_t i = 0; i < n; i++)
		cJSON_Delete(trees[i]);
	free(trees);
	free(paths);
	analysis_free(a);
	gate_free(g);
	return rc;
}
