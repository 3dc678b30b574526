/* compare.c - `jtlscope compare` (compare.h): options, each side read into run_metrics,
 * then analyzer/compare.c and reports/compare_report.c. */
#include "cli/compare.h"

#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "analyzer/run_metrics.h"
#include "reports/summary_json.h"
#include "cli/gate.h"
#include "cli/options.h"
#include "cli/summary_cmd.h"
#include "common/diag.h"
#include "common/exit_codes.h"
#include "common/util.h"
#include "parsers/input.h"
#include "reports/compare_report.h"
#include "reports/report.h"
#include "reports/report_read.h"
#include "reports/report_time.h"

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
	bool ok = false;
	struct report_meta meta = { .version = JTLSCOPE_VERSION };
	if (fmt == INPUT_FMT_JSON) {
		cJSON *j = sumcmd_load_json(path, err, sizeof err);
		const cJSON *schema = j ? cJSON_GetObjectItemCaseSensitive(j, "schema") : NULL;
		if (!j) {
			diag_error("%s", err);
		} else if (cJSON_IsString(schema) && strcmp(schema->valuestring, REPORT_SCHEMA) == 0) {
			report_read_metrics(m, j);
			ok = true;
		} else if (cJSON_IsString(schema) && strcmp(schema->valuestring, SUMMARY_SCHEMA) == 0) {
			struct analysis *a = summary_from_json(j, err, sizeof err);
			if (!a) {
				diag_error("'%s': %s", path, err);
			} else {
				analysis_finish(a);
				report_read_analysis(m, a, &meta);
				analysis_free(a);
				ok = true;
			}
		} else {
			diag_error("'%s': not a jtlscope report or summary (no known \"schema\")", path);
		}
		cJSON_Delete(j);
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
	/* --tz: the zone the runs' windows are shown in, as in 'jtlscope report' */
	int tzm = o.c.jtl.tz_offset_min;
	report_tz_set(tzm == JTL_TZ_LOCAL ? getenv("TZ") : NULL, tzm == JTL_TZ_LOCAL ? 0 : tzm);
	struct run_metrics bm, cm;
	run_metrics_init(&bm);
	run_metrics_init(&cm);
	if (!load_side(&bm, argv[optind], &o) || !load_side(&cm, argv[optind + 1], &o)) {
		run_metrics_release(&bm);
		run_metrics_release(&cm);
		rc = EXIT_INPUT;
		goto done;
	}
	cJSON *cmp = compare_report_tree(&bm, &cm, argv[optind], argv[optind + 1]);
	FILE *f = out ? fopen(out, "w") : stdout;
	rc = EXIT_OK;
	if (!f) {
		diag_error("cannot write '%s': %s", out, strerror(errno));
		rc = EXIT_OUTPUT;
	} else {
		int w = strcmp(fmt, "json") == 0 ? compare_report_json(f, cmp)
			: strcmp(fmt, "md") == 0 ? compare_report_md(f, cmp)
						 : compare_report_text(f, cmp);
		int cl = f == stdout ? fflush(f) : fclose(f);
		if (w != 0 || cl != 0) {
			diag_error("cannot write '%s': %s", out ? out : "<stdout>", strerror(errno));
			rc = EXIT_OUTPUT;
		}
	}
	if (rc == EXIT_OK && gate_count(g))
		rc = gate_finish(g, argv[optind + 1], &cm, junit, false);
	cJSON_Delete(cmp);
	run_metrics_release(&bm);
	run_metrics_release(&cm);
done:
	gate_free(g);
	return rc;
}
