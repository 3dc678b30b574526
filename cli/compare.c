/* compare.c - `jtlscope compare` (compare.h): options, each side read into run_metrics,
 * then analyzer/compare.c and reports/compare_report.c. */
#include "cli/compare.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "analyzer/run_metrics.h"
#include "cli/gate.h"
#include "cli/options.h"
#include "cli/outfile.h"
#include "cli/summary_cmd.h"
#include "common/diag.h"
#include "common/exit_codes.h"
#include "common/util.h"
#include "parsers/input.h"
#include "reports/output.h"
#include "reports/report.h"
#include "reports/report_read.h"
#include "reports/run_file.h"

#ifndef JTLSCOPE_VERSION
#define JTLSCOPE_VERSION "0.0.0"
#endif

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
	      "then the throttle onset shift, the limit estimate change, whether the fitted limit\n"
	      "changed (its parameters' intervals do not overlap), regions newly throttled.\n"
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
	struct gate_opts gate;
	const struct output_format *fmt;
	const char *out;
};

/* The metrics of one side into m.  false on error (printed). */
static bool load_side(struct run_metrics *m, const char *path, const struct cmp_opts *o)
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
			return false;
		}
		fmt = input_sniff(in);
		input_close(in);
	}
	struct report_meta meta = { .version = JTLSCOPE_VERSION };
	if (fmt == INPUT_FMT_JSON) {
		bool ok = run_file_metrics(m, path, JTLSCOPE_VERSION, err, sizeof err);
		if (!ok)
			diag_error("%s", err);
		free(rj);
		return ok;
	}
	struct analysis *a = analysis_new(&o->c.cfg, err, sizeof err);
	if (!a) {
		diag_error("%s", err);
		free(rj);
		return false;
	}
	int r = sumcmd_read_input(a, path, &o->c.jtl, o->c.strict, o->c.quiet);
	free(rj);
	if (r != EXIT_OK) {
		analysis_free(a);
		return false;
	}
	analysis_finish(a);
	report_read_analysis(m, a, &meta);
	analysis_free(a);
	return true;
}

static int compare_opt(void *ctx, int id, const char *arg)
{
	struct cmp_opts *o = ctx;
	switch (id) {
	case 'f':
		o->fmt = output_find(OUTPUT_COMPARE, arg, strlen(arg));
		if (!o->fmt) {
			diag_error("--format: want text, md or json, not '%s'", arg);
			return -1;
		}
		return 0;
	case 'o': o->out = arg; return 0;
	case 'q': o->c.quiet = true; return 0;
	default: {
		int r = gate_opt(&o->gate, id, arg);
		return (r ? r : common_opt(&o->c, id, arg)) > 0 ? 0 : -1;
	}
	}
}

int cmd_compare(int argc, char **argv)
{
	struct cmp_opts o = { .fmt = output_find(OUTPUT_COMPARE, "text", 4) };
	common_opts_init(&o.c);
	static const struct option table[] = {
		BASIC_LONGOPTS,
		GATE_LONGOPTS,
		COMMON_LONGOPTS,
		{ NULL, 0, NULL, 0 },
	};
	static const struct opt_cmd cmd = { "compare", table, compare_usage, compare_opt };
	int rc = opts_parse(&cmd, argc, argv, &o);
	if (rc == OPTS_GO && argc - optind != 2) {
		diag_error("compare takes two inputs: BASELINE CANDIDATE (got %d)", argc - optind);
		compare_usage(stderr);
		rc = EXIT_USAGE;
	}
	if (rc == OPTS_GO && (rc = gate_opts_check(&o.gate)) == EXIT_OK)
		rc = OPTS_GO;
	if (rc != OPTS_GO) {
		gate_free(o.gate.gate);
		return rc;
	}
	o.c.jtl.keep_bodies = o.c.cfg.throttle.pattern != NULL;
	/* --tz: the zone the runs' windows are shown in, as in 'jtlscope report' */
	opt_tz_apply(o.c.jtl.tz_offset_min);
	struct run_metrics bm, cm;
	run_metrics_init(&bm);
	run_metrics_init(&cm);
	if (!load_side(&bm, argv[optind], &o) || !load_side(&cm, argv[optind + 1], &o)) {
		rc = EXIT_INPUT;
	} else {
		FILE *f = outfile_open(o.out);
		rc = f ? outfile_close(f, o.out, output_compare(f, o.fmt, &bm, &cm, argv[optind], argv[optind + 1]))
		       : EXIT_OUTPUT;
	}
	if (rc == EXIT_OK && gate_opts_any(&o.gate))
		rc = gate_finish(o.gate.gate, argv[optind + 1], &cm, o.gate.junit, false);
	run_metrics_release(&bm);
	run_metrics_release(&cm);
	gate_free(o.gate.gate);
	return rc;
}
