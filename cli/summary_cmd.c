/* summary_cmd.c - `jtlscope summarize` and `jtlscope merge` (summary_cmd.h).
 *
 * summarize reads inputs exactly as `report` does (same options), but instead of finishing the
 * analysis it writes its mergeable state (reports/summary_json.h).  merge folds any number of such
 * files and writes the normal reports, the throttle section included: the summaries carry the
 * throttle analysis' state (analyzer/throttle/state.h).
 */
#include "cli/summary_cmd.h"

#include <stdlib.h>
#include <string.h>

#include "analyzer/throttle/state.h"
#include "cli/gate.h"
#include "cli/options.h"
#include "cli/outfile.h"
#include "cli/read_input.h"
#include "cli/report_cmd.h"
#include "common/diag.h"
#include "reports/report.h"
#include "reports/report_read.h"
#include "reports/run_file.h"
#include "reports/summary_json.h"

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

/* The summary of a (unfinished) to path, or stdout for NULL or "-". */
static int write_summary(const char *path, const struct analysis *a)
{
	if (path && strcmp(path, "-") == 0)
		path = NULL;
	FILE *f = outfile_open(path);
	return f ? outfile_close(f, path, run_file_write_summary(f, a, JTLSCOPE_VERSION)) : EXIT_OUTPUT;
}

struct summarize_opts {
	struct common_opts c;
	const char *out;
};

static int summarize_opt(void *ctx, int id, const char *arg)
{
	struct summarize_opts *o = ctx;
	switch (id) {
	case 'o': o->out = arg; return 0;
	case 'q': o->c.quiet = true; return 0;
	default: return common_opt(&o->c, id, arg) > 0 ? 0 : -1;
	}
}

int cmd_summarize(int argc, char **argv)
{
	struct summarize_opts so = { .out = NULL };
	common_opts_init(&so.c);
	static const struct option table[] = {
		{ "output", required_argument, NULL, 'o' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		COMMON_LONGOPTS,
		{ NULL, 0, NULL, 0 },
	};
	static const struct opt_cmd cmd = { "summarize", table, summarize_usage, summarize_opt };
	int urc = opts_parse(&cmd, argc, argv, &so);
	if (urc != OPTS_GO)
		return urc;
	struct common_opts o = so.c;
	const char *out = so.out;
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
	int wrc = write_summary(out, a);
	analysis_free(a);
	if (wrc == EXIT_OK && out && !o.quiet)
		fprintf(stderr, "wrote %s\n", out);
	return rc != EXIT_OK ? rc : wrc;
}

/* --- merge ---------------------------------------------------------------------------------- */

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

/* What the merged report says about its throttle analysis, into buf. */
static const char *merge_note(const struct analysis *a, char *buf, size_t len)
{
	if (!a->throttle)
		return SUMMARY_NO_THROTTLE_NOTE;
	uint64_t lost = throttle_merge_dropped(a->throttle);
	if (!lost)
		return SUMMARY_THROTTLE_NOTE;
	snprintf(buf, len, SUMMARY_THROTTLE_LOSS_NOTE, (unsigned long long)lost);
	return buf;
}

enum { OPT_SUMMARY = OPT_OWN };

struct merge_opts {
	struct report_out out;
	struct common_opts c;     /* only --tz: the zone the reports show times in */
	const char *summary_out;
};

static int merge_opt(void *ctx, int id, const char *arg)
{
	struct merge_opts *o = ctx;
	/* the summaries keep epoch ms: --tz only sets the zone the reports show times in */
	if (id != OPT_SUMMARY)
		return report_out_common_opt(&o->out, &o->c, id, arg);
	o->summary_out = arg;
	return 0;
}

int cmd_merge(int argc, char **argv)
{
	struct merge_opts o = { .summary_out = NULL };
	report_out_init(&o.out);
	common_opts_init(&o.c);
	static const struct option table[] = {
		REPORT_OUT_LONGOPTS,
		{ "summary", required_argument, NULL, OPT_SUMMARY },
		{ "tz", required_argument, NULL, OPT_TZ },
		{ NULL, 0, NULL, 0 },
	};
	static const struct opt_cmd cmd = { "merge", table, merge_usage, merge_opt };
	int rc = opts_parse(&cmd, argc, argv, &o);
	if (rc == OPTS_GO && optind >= argc) {
		diag_error("no summaries to merge");
		merge_usage(stderr);
		rc = EXIT_USAGE;
	}
	if (rc == OPTS_GO && (rc = report_out_check(&o.out)) == EXIT_OK)
		rc = OPTS_GO;
	if (rc != OPTS_GO) {
		gate_free(o.out.gate.gate);
		return rc;
	}
	rc = EXIT_OK;
	char err[1200];
	size_t n = (size_t)(argc - optind);
	struct analysis *a = run_file_merge((const char *const *)(argv + optind), n, err, sizeof err);
	if (!a) {
		diag_error("%s", err);
		rc = EXIT_INPUT;
	}
	if (a && o.summary_out)
		rc = write_summary(o.summary_out, a);
	if (rc == EXIT_OK) {
		analysis_finish(a);
		opt_tz_apply(o.c.jtl.tz_offset_min);
		rc = report_out_mkdir(&o.out);
	}
	char stamp[64], note[600];
	struct report_meta m = { .version = JTLSCOPE_VERSION, .merged_parts = n };
	if (rc == EXIT_OK) {
		if (o.out.stamp)
			m.stamp = report_stamp(stamp, sizeof stamp);
		m.note = merge_note(a, note, sizeof note);
		rc = report_out_write(&o.out, a, &m);
	}
	if (rc == EXIT_OK && gate_opts_any(&o.out.gate)) {
		struct run_metrics rm;
		report_read_analysis(&rm, a, &m);
		rc = gate_finish(o.out.gate.gate, NULL, &rm, o.out.gate.junit, false);
		run_metrics_release(&rm);
	}
	analysis_free(a);
	gate_free(o.out.gate.gate);
	return rc;
}
