/* batch.c - `jtlscope batch` (batch.h): argv -> options -> discovery (parsers/archive/), the
 * worker pool and its cache (reports/archive_pool.h, archive_cache.h), the index
 * (reports/archive_index.h) -> exit code. */
#include "cli/batch.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "analyzer/gate.h"
#include "cli/options.h"
#include "cli/report_opts.h"
#include "common/diag.h"
#include "common/exit_codes.h"
#include "common/util.h"
#include "parsers/archive/discover.h"
#include "reports/archive_cache.h"
#include "reports/archive_index.h"
#include "reports/archive_pool.h"
#include "reports/junit.h"
#include "reports/report_time.h"

#ifndef JTLSCOPE_VERSION
#define JTLSCOPE_VERSION "0.0.0"
#endif

#define SELF_EXE "/proc/self/exe"

/* batch's own options, as curl's tool_getparam.c aliases[]: a value follows as the next
 * argument, attached to the letter (-j4) or after '=' (--jobs=4).  Any other option is
 * report's, passed through to every worker (with its value when report_opt_takes_value). */
enum batch_opt { BO_OUTPUT, BO_JOBS, BO_FORMAT, BO_FORCE, BO_FAIL_ON, BO_JUNIT, BO_QUIET, BO_HELP };

static const struct batch_alias {
	char letter;           /* short form, 0: none */
	const char *lname;     /* long form without "--" */
	bool value;            /* takes a value */
	enum batch_opt id;
} batch_aliases[] = {
	{ 'o', "output", true, BO_OUTPUT },
	{ 'j', "jobs", true, BO_JOBS },
	{ 'f', "format", true, BO_FORMAT },
	{ 0, "force", false, BO_FORCE },
	{ 0, "fail-on", true, BO_FAIL_ON },
	{ 0, "junit", true, BO_JUNIT },
	{ 'q', "quiet", false, BO_QUIET },
	{ 'h', "help", false, BO_HELP },
};

/* The alias the option a names (NULL: a report option); *val its attached value, or NULL. */
static const struct batch_alias *batch_alias_of(const char *a, const char **val)
{
	bool lng = a[1] == '-';
	size_t n = lng ? strcspn(a + 2, "=") : 1;   /* the name's length */
	const char *rest = a + 2 + (lng ? n : 0);    /* "=value", attached value or "" */
	*val = *rest ? rest + lng : NULL;
	for (size_t i = 0; i < ARRAY_LEN(batch_aliases); i++) {
		const struct batch_alias *o = &batch_aliases[i];
		bool named = lng ? strlen(o->lname) == n && strncmp(a + 2, o->lname, n) == 0
				 : o->letter && a[1] == o->letter;
		if (named && (o->value || !*val))
			return o;
	}
	return NULL;
}

void batch_usage(FILE *f)
{
	fputs("usage: jtlscope batch [options] DIR|FILE... -o OUT [report options]\n"
	      "\n"
	      "Analyse an archive of runs.  DIRs are searched recursively; runs are recognised by\n"
	      "content (JMeter CSV/XML results, plain or gzip), not by name; a capture (pcap/pcapng,\n"
	      "plain or gzip) is analysed with the JTL of the same stem in its folder, or with the\n"
	      "folder's only JTL.  Each run is analysed by 'jtlscope report' in a worker process into\n"
	      "OUT/runs/NAME/ (report.json, plus md and html); OUT/index.md, index.html, index.csv and\n"
	      "index.json hold one row per run: start, duration, samples, error %, throttled %, onset\n"
	      "and threads at onset, limiter model, admitted rate with its interval, scope, p95,\n"
	      "regions throttled; a run whose rate interval does not overlap the previous run's (by\n"
	      "start time) is marked 'limit changed'.  A failed run is\n"
	      "listed with its exit code and error and does not stop the batch.  Runs whose inputs are\n"
	      "unchanged (size, mtime, content hash; OUT/.jtlscope-cache.json) are not analysed again.\n"
	      "\n"
	      "  -o, --output OUT           output folder (required)\n"
	      "  -j, --jobs N               analyse up to N runs at once (default: CPUs online)\n"
	      "  -f, --format LIST          formats of each run's report (json is always written;\n"
	      "                             default json,md,html)\n"
	      "      --force                analyse every run again (ignore the cache)\n"
	      "      --fail-on EXPR         exit 6 when EXPR holds for any run (repeatable)\n"
	      "      --junit FILE           --fail-on results as JUnit XML, one testsuite per run\n"
	      "  -q, --quiet                no progress lines\n"
	      "  -h, --help                 this text\n"
	      "Any other option is passed to every 'jtlscope report' run (e.g. --bucket 5s,\n"
	      "--throttle-codes 429,503, --region-map FILE, --charts svg; charts are off unless given);\n"
	      "--tz ZONE also sets the zone of the index's start column (index.json keeps UTC).\n"
	      "\n"
	      "Exit codes: 0 every run analysed, 2 usage, 3 some run failed (see the index), 5 output\n"
	      "error, 6 a --fail-on criterion was met by some run.\n", f);
}

struct batch_opts {
	const char **inputs;   /* borrowed from argv, like every string here but formats */
	size_t ninputs;
	struct archive_pool pool;
	const char **pass;     /* owned array: the options passed through to report */
	bool force;
	char *formats;         /* owned: json, then -f's list less json (or the defaults) */
	struct gate *gate;     /* owned */
	const char *junit;
};

/* argv into o: -1 to go on, else the exit code (help, or a usage error with its message). */
static int batch_parse(struct batch_opts *o, int argc, char **argv)
{
	const char *fmt_arg = NULL;
	bool charts_given = false, opts_done = false;
	char err[1200];
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *v;
		if (opts_done || a[0] != '-' || strcmp(a, "-") == 0) {
			o->inputs[o->ninputs++] = a;
			continue;
		}
		if (strcmp(a, "--") == 0) {
			opts_done = true;
			continue;
		}
		/* not ours: a report option, with its value when report's table says it takes one */
		const struct batch_alias *al = batch_alias_of(a, &v);
		if (!al)
			o->pass[o->pool.npass++] = a;
		if (al ? al->value && !v
		       : a[1] == '-' && !strchr(a, '=') && report_opt_takes_value(a + 2, strlen(a + 2))) {
			if (i + 1 >= argc) {
				diag_error("option '%s' needs a value", a);
				return EXIT_USAGE;
			}
			v = argv[++i];
			if (!al)
				o->pass[o->pool.npass++] = v;
		}
		if (!al) {
			charts_given |= strncmp(a, "--charts", 8) == 0;
			/* --tz also sets the zone of the index's start column */
			struct common_opts tz = { 0 };
			if (strcmp(a, "--tz") == 0 || strncmp(a, "--tz=", 5) == 0) {
				if (common_opt(&tz, OPT_TZ, a[4] ? a + 5 : v) < 0)
					return EXIT_USAGE;
				int m = tz.jtl.tz_offset_min;
				report_tz_set(m == JTL_TZ_LOCAL ? getenv("TZ") : NULL, m == JTL_TZ_LOCAL ? 0 : m);
			}
			continue;
		}
		int64_t n;
		switch (al->id) {
		case BO_HELP:
			batch_usage(stdout);
			return EXIT_OK;
		case BO_QUIET: o->pool.progress = NULL; break;
		case BO_FORCE: o->force = true; break;
		case BO_OUTPUT: o->pool.out = v; break;
		case BO_FORMAT: fmt_arg = v; break;
		case BO_JUNIT: o->junit = v; break;
		case BO_JOBS:
			if (!parse_i64(v, strlen(v), 1, ARCHIVE_POOL_MAX_JOBS, &n)) {
				diag_error("--jobs: want a number from 1 to %d, not '%s'", ARCHIVE_POOL_MAX_JOBS, v);
				return EXIT_USAGE;
			}
			o->pool.jobs = (int)n;
			break;
		case BO_FAIL_ON:
			if (!o->gate)
				o->gate = gate_new();
			if (gate_add(o->gate, v, err, sizeof err) != 0) {
				diag_error("%s", err);
				return EXIT_USAGE;
			}
			break;
		}
	}
	if (!o->pool.out || o->ninputs == 0) {
		diag_error(!o->pool.out ? "batch needs -o OUT (the folder for the run reports and the index)"
					: "no archive folders or files given");
		batch_usage(stderr);
		return EXIT_USAGE;
	}
	if (o->junit && !o->gate) {
		diag_error("--junit needs at least one --fail-on");
		return EXIT_USAGE;
	}
	/* json always (the index reads it), md and html by default */
	o->pool.formats = o->formats = archive_pool_formats(fmt_arg, REPORT_DEFAULT_EXTRA_FORMATS);
	if (!charts_given) {
		o->pass[o->pool.npass++] = "--charts";
		o->pass[o->pool.npass++] = "none";
	}
	return -1;
}

int cmd_batch(int argc, char **argv)
{
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	struct batch_opts o = {
		.inputs = xcalloc((size_t)argc, sizeof *o.inputs),
		.pass = xcalloc((size_t)argc + 4, sizeof *o.pass),
		.pool = { .exe = SELF_EXE, .progress = stderr,
			  .jobs = ncpu > 0 ? (int)(ncpu < ARCHIVE_POOL_MAX_JOBS ? ncpu : ARCHIVE_POOL_MAX_JOBS) : 1 },
	};
	o.pool.pass = o.pass;
	struct archive_discovery d = { 0 };
	struct archive_run *runs = NULL;
	size_t n = 0;
	int rc = batch_parse(&o, argc, argv);
	if (rc >= 0)
		goto out;
	rc = EXIT_USAGE;
	if (!archive_pool_check(&o.pool))
		goto out;
	uint64_t key = archive_cache_key(JTLSCOPE_VERSION, o.formats, o.pass, o.pool.npass);
	if (mkdir(o.pool.out, 0777) != 0 && errno != EEXIST) {
		diag_error("cannot create '%s': %s", o.pool.out, strerror(errno));
		rc = EXIT_OUTPUT;
		goto out;
	}
	rc = EXIT_INPUT;
	if (!(runs = archive_runs_find(&d, o.inputs, o.ninputs, o.pool.out, &n)))
		goto out;
	FILE *progress = o.pool.progress;
	if (progress)
		fprintf(progress, "jtlscope batch: %zu runs (%zu captures paired, %zu unpaired), %d at once\n",
			n, d.nf - n - d.nunpaired, d.nunpaired, o.pool.jobs);
	o.pool.cache = o.force ? NULL : archive_cache_load(o.pool.out, key);
	double t0 = util_now_s();
	archive_pool_run(&o.pool, runs, n);
	archive_cache_free(o.pool.cache);
	struct archive_index_counts k;
	struct archive_index_opts io = { .out = o.pool.out, .gate = o.gate, .gate_lines = progress,
					 .unpaired = d.unpaired, .nunpaired = d.nunpaired };
	int wr = archive_index_write(&io, runs, n, &k);
	wr |= archive_cache_save(o.pool.out, key, runs, n);
	char err[1200];
	if (o.junit && junit_write(o.gate, o.junit, err, sizeof err) != 0) {
		diag_error("%s", err);
		wr = -1;
	}
	if (progress)
		fprintf(progress, "jtlscope batch: %zu runs, %zu failed, %.1f s; index in %s/index.html\n",
			n, k.failed, util_now_s() - t0, o.pool.out);
	rc = wr ? EXIT_OUTPUT : k.gated ? EXIT_GATE : k.failed ? EXIT_INPUT : EXIT_OK;
out:
	archive_runs_release(runs, n);
	archive_discovery_release(&d);
	free(o.inputs);
	free(o.pass);
	free(o.formats);
	gate_free(o.gate);
	return rc;
}
