/* report_cmd.c - `jtlscope report`: options, the read loop with progress, report writing. */
#include "cli/report_cmd.h"

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "analyzer/analysis.h"
#include "cli/gate.h"
#include "cli/options.h"
#include "cli/outfile.h"
#include "cli/read_input.h"
#include "cli/report_opts.h"
#include "common/diag.h"
#include "parsers/input.h"
#include "parsers/jtl.h"
#include "reports/charts.h"
#include "reports/output.h"
#include "reports/report_read.h"
#include "reports/report.h"
#include "reports/report_time.h"

#ifndef JTLSCOPE_VERSION
#define JTLSCOPE_VERSION "0.0.0"
#endif


struct report_opts {
	struct common_opts c;     /* analysis and input options, strict, quiet */
	struct report_out out;    /* -o, -f, --charts, --stamp, -q, --fail-on, --junit */
	const char *tls_keylog;
};

void report_usage(FILE *f)
{
	fputs("usage: jtlscope report [options] INPUT... \n"
	      "\n"
	      "Analyse JMeter results (CSV or XML JTL, plain or gzip; '-' reads stdin) and write a\n"
	      "report: text to stdout by default.\n"
	      "\n"
	      "output:\n"
	      "  -o, --output DIR           write every requested format into DIR (report.txt, report.json,\n"
	      "                             report.md, report.html, series.csv, labels.csv, charts/)\n"
	      "  -f, --format LIST          text,json,md,html,csv (default text; several, and csv, need -o)\n"
	      "      --charts KIND          svg (default), png or none: gnuplot charts for md/html\n"
	      "      --stamp                put the wall-clock time in the report (off: output is deterministic)\n"
	      "  -q, --quiet                no progress line, no per-record warnings (still counted)\n"
	      "analysis:\n"
	      "      --bucket DURATION      time-series bucket width (default 1s; e.g. 500ms, 10s, 1m)\n"
	      "      --throttle-codes LIST  status codes that mean throttling (default 429)\n"
	      "      --no-503-retry-after   do not count 503 responses that carry Retry-After as throttling\n"
	      "      --throttle-pattern RE  PCRE2 pattern on response message/body/WebSocket text\n"
	      "      --region-map FILE      lines 'PCRE2-PATTERN REGION' mapping hosts to regions\n"
	      "      --region-by KEY        url-host (default), hostname, thread-group or label\n"
	      "      --apdex-satisfied MS   APDEX satisfied threshold T (default 500, as JMeter)\n"
	      "      --apdex-tolerated MS   APDEX tolerated threshold F (default 1500, as JMeter)\n"
	      "input:\n"
	      "      --delimiter C          CSV delimiter: ',', tab, ';', '|' (default: detected)\n"
	      "      --columns LIST         column names for a header-less CSV (default: inferred)\n"
	      "      --timestamp-format F   SimpleDateFormat of formatted timestamps (default: epoch ms,\n"
	      "                             ISO-like forms, or a locale pattern such as dd.MM.yyyy HH:mm:ss\n"
	      "                             detected from the values when only one fits them)\n"
	      "      --tz ZONE              zone of formatted timestamps: UTC (default), +08:00, -0530,\n"
	      "                             or a zone name such as Asia/Singapore (daylight saving applied);\n"
	      "                             also the zone the reports show times in\n"
	      "      --sub-results          analyse XML sub-results as samples of their own\n"
	      "      --strict               fail (exit 4) at the first malformed record\n"
	      "      --tls-keylog FILE      NSS key log (SSLKEYLOGFILE) to decrypt TLS in captures\n"
	      "gate:\n"
	      GATE_USAGE
	      "  -h, --help                 this text\n"
	      "\n"
	      "Exit codes: 0 ok, 2 usage, 3 input error or no sample could be read,\n"
	      "4 --strict and a malformed record or a truncated XML,\n"
	      "5 output error, 6 a --fail-on criterion was met.\n", f);
}

void report_out_init(struct report_out *o)
{
	memset(o, 0, sizeof *o);
	o->charts = CHART_SVG;
}

int report_out_opt(struct report_out *o, int id, const char *arg)
{
	switch (id) {
	case 'o': o->outdir = arg; return 1;
	case 'f':
		if (!output_parse_set(OUTPUT_REPORT, arg, &o->formats)) {
			diag_error("--format: unknown format in '%s' (want text, json, md, html, csv)", arg);
			return -1;
		}
		return 1;
	case 'q': o->quiet = true; return 1;
	case OPT_STAMP: o->stamp = true; return 1;
	case OPT_CHARTS:
		if (!charts_parse_format(arg, &o->charts)) {
			diag_error("--charts: want svg, png or none, not '%s'", arg);
			return -1;
		}
		return 1;
	default: return gate_opt(&o->gate, id, arg);
	}
}

int report_out_common_opt(struct report_out *o, struct common_opts *c, int id, const char *arg)
{
	int r = report_out_opt(o, id, arg);
	return (r ? r : common_opt(c, id, arg)) > 0 ? 0 : -1;
}

int report_out_check(struct report_out *o)
{
	if (!o->formats)
		o->formats = output_find(OUTPUT_REPORT, "text", 4)->bit;
	bool csv = o->formats & output_find(OUTPUT_REPORT, "csv", 3)->bit;
	if (!o->outdir && ((o->formats & (o->formats - 1)) || csv)) {
		diag_error("several formats, and csv, need -o DIR");
		return EXIT_USAGE;
	}
	return gate_opts_check(&o->gate);
}

int report_out_mkdir(const struct report_out *o)
{
	if (!o->outdir || mkdir(o->outdir, 0777) == 0)
		return EXIT_OK;
	struct stat ost;
	int e = errno;
	if (e != EEXIST) {
		diag_error("cannot create '%s': %s", o->outdir, strerror(e));
		return EXIT_OUTPUT;
	}
	if (stat(o->outdir, &ost) != 0 || !S_ISDIR(ost.st_mode)) {
		diag_error("-o '%s': a file of that name exists; -o takes a directory to write the "
			   "reports into", o->outdir);
		return EXIT_OUTPUT;
	}
	return EXIT_OK;
}

const char *report_stamp(char *buf, size_t len)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	report_utc(buf, len - 5, (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000);
	strcat(buf, " UTC");
	return buf;
}

/* The command line as typed, for the report footer (escaped by the report writers). */
static char *join_args(int argc, char **argv)
{
	struct strbuf sb = STRBUF_INIT;
	strbuf_addstr(&sb, "jtlscope");
	for (int i = 0; i < argc; i++) {
		strbuf_addch(&sb, ' ');
		strbuf_addstr(&sb, argv[i]);
	}
	return strbuf_detach(&sb);
}

int report_out_write(const struct report_out *o, const struct analysis *a, struct report_meta *m)
{
	int wrc = EXIT_OK;
	struct chart_set cs;
	memset(&cs, 0, sizeof cs);
	unsigned md = output_find(OUTPUT_REPORT, "md", 2)->bit, html = output_find(OUTPUT_REPORT, "html", 4)->bit;
	/* without -o only the HTML can carry charts (inline) */
	if ((o->formats & (md | html)) && o->charts != CHART_NONE && (o->outdir || (o->formats & html))) {
		if (charts_render(a, o->outdir, o->charts, &cs) != 0)
			wrc = EXIT_OUTPUT;
		if (cs.warning && !o->quiet)
			diag_note("warning: %s", cs.warning);
		m->charts = &cs;
	}
	const struct output_format *p = output_next(OUTPUT_REPORT, o->formats, NULL);
	if (!o->outdir) {
		int w = p->report(stdout, a, m);
		if (fflush(stdout) != 0 || w != 0) {
			diag_error("cannot write the report to stdout: %s", strerror(errno));
			wrc = EXIT_OUTPUT;
		}
	}
	for (; o->outdir && p && wrc == EXIT_OK; p = output_next(OUTPUT_REPORT, o->formats, p)) {
		char *path = xasprintf("%s/%s", o->outdir, p->file);
		FILE *f = outfile_open(path);
		wrc = f ? outfile_close(f, path, p->report(f, a, m)) : EXIT_OUTPUT;
		if (wrc == EXIT_OK && !o->quiet)
			fprintf(stderr, "wrote %s\n", path);
		free(path);
	}
	m->charts = NULL;
	chart_set_free(&cs);
	return wrc;
}

/* Checks of the whole command line once the options are read; -o DIR created. */
static int check_usage(struct report_opts *o, int argc)
{
	if (optind >= argc) {
		diag_error("no input files (use '-' for stdin)");
		report_usage(stderr);
		return EXIT_USAGE;
	}
	int rc = report_out_check(&o->out);
	return rc != EXIT_OK ? rc : report_out_mkdir(&o->out);
}

/* --fail-on: evaluate the criteria on the JSON report; exit 6 when one is met. */
static int run_gate(const struct report_opts *o, const struct analysis *a, const struct report_meta *m)
{
	struct gate *g = o->out.gate.gate;
	if (!gate_opts_any(&o->out.gate))
		return EXIT_OK;
	struct run_metrics rm;
	report_read_analysis(&rm, a, m);
	int rc = gate_finish(g, NULL, &rm, o->out.gate.junit, false);
	run_metrics_release(&rm);
	if (rc == EXIT_OUTPUT)
		return rc;
	if (gate_unknown_labels(g)) {
		/* a typo in a label must not pass as "n/a": say which labels there are */
		struct strbuf sb = STRBUF_INIT;
		for (size_t i = 0; i < a->nlabels && i < 10; i++)
			strbuf_addf(&sb, "%s'%s'", i ? ", " : "", a->labels[i].name);
		if (a->nlabels > 10)
			strbuf_addf(&sb, ", ... (%zu in all)", a->nlabels);
		diag_error("--fail-on: %zu criteria name a label the run does not have; its labels: %s",
			   gate_unknown_labels(g), sb.len ? strbuf_cstr(&sb) : "none");
		strbuf_release(&sb);
		return EXIT_USAGE;
	}
	return rc;
}

static int report_opt(void *ctx, int id, const char *arg)
{
	struct report_opts *o = ctx;
	if (id != OPT_KEYLOG)
		return report_out_common_opt(&o->out, &o->c, id, arg);
	o->tls_keylog = arg;
	return 0;
}

int cmd_report(int argc, char **argv)
{
	struct report_opts o = { .tls_keylog = NULL };
	common_opts_init(&o.c);
	report_out_init(&o.out);
	static const struct opt_cmd cmd = { "report", report_options, report_usage, report_opt };
	int urc = opts_parse(&cmd, argc, argv, &o);
	o.c.quiet = o.out.quiet;
	if (urc == OPTS_GO && (urc = check_usage(&o, argc)) == EXIT_OK)
		urc = OPTS_GO;
	if (urc != OPTS_GO) {
		gate_free(o.out.gate.gate);
		return urc;
	}
	o.c.jtl.keep_bodies = o.c.cfg.throttle.pattern != NULL;

	char err[600];
	struct analysis *a = analysis_new(&o.c.cfg, err, sizeof err);
	if (!a) {
		diag_error("%s", err);
		gate_free(o.out.gate.gate);
		return EXIT_USAGE;
	}
	int rc = EXIT_OK;
	/* A capture beside exactly one JTL is joined with it; captures alone become the samples;
	 * with several JTLs, captures are only counted (a join needs one timeline of samples). */
	size_t njtl = 0, ncap = 0;
	enum input_format *fmts = xcalloc((size_t)(argc - optind), sizeof *fmts);
	for (int i = optind; i < argc; i++) {
		enum input_format f = read_sniff(argv[i]);
		fmts[i - optind] = f;
		if (f == INPUT_FMT_PCAP || f == INPUT_FMT_PCAPNG)
			ncap++;
		else
			njtl++;
	}
	struct capture_keylog *keylog = NULL;
	if (o.tls_keylog) {
		char kerr[600];
		keylog = capture_keylog_load(o.tls_keylog, kerr, sizeof kerr);
		if (!keylog) {
			diag_error("%s", kerr);
			free(fmts);
			analysis_free(a);
			gate_free(o.out.gate.gate);
			return EXIT_INPUT;
		}
		keylog_note(keylog, o.tls_keylog, o.c.quiet);
	}
	struct join_source js;
	bool joining = false;
	if (ncap && njtl == 1) {
		for (int i = optind; i < argc && !joining; i++) {
			enum input_format f = fmts[i - optind];
			if ((f == INPUT_FMT_PCAP || f == INPUT_FMT_PCAPNG) && join_source_open(&js, argv[i], o.c.quiet, keylog)) {
				joining = true;
				fmts[i - optind] = INPUT_FMT_EMPTY; /* read by the join */
			}
		}
	} else if (ncap && njtl > 1) {
		a->join_note = "each JTL was matched against the capture for the rate-limit headers its "
			       "records lack; the time split is shown only for exactly one JTL";
	}
	/* several JTLs (one per load generator) and one capture: each JTL is matched against a
	 * fresh read of the capture, only to take Retry-After and rate-limit headers from it */
	const char *enrich = NULL;
	if (ncap == 1 && njtl > 1)
		for (int i = optind; i < argc && !enrich; i++)
			if (fmts[i - optind] == INPUT_FMT_PCAP || fmts[i - optind] == INPUT_FMT_PCAPNG)
				enrich = argv[i];
	for (int i = optind; i < argc; i++) {
		enum input_format f = fmts[i - optind];
		if (joining && f == INPUT_FMT_EMPTY && strcmp(argv[i], js.path) == 0)
			continue;
		bool is_cap = f == INPUT_FMT_PCAP || f == INPUT_FMT_PCAPNG;
		struct join_source ejs;
		bool enriching = enrich && !is_cap && join_source_open(&ejs, enrich, true, keylog);
		struct read_opts ro = { .jtl = o.c.jtl, .strict = o.c.strict, .quiet = o.c.quiet, .captures = true,
					.capture_totals_only = is_cap && njtl > 0,
					.join = joining && !is_cap ? &js.join : enriching ? &ejs.join : NULL,
					.join_headers_only = enriching, .keylog = keylog };
		int r = read_input(a, argv[i], &ro);
		if (enriching)
			join_source_discard(&ejs);
		if (r == EXIT_STRICT) {
			if (joining)
				join_source_close(&js, a);
			capture_keylog_free(keylog);
			free(fmts);
			analysis_free(a);
			gate_free(o.out.gate.gate);
			return EXIT_STRICT;
		}
		if (r != EXIT_OK && rc == EXIT_OK)
			rc = r;
	}
	free(fmts);
	if (joining) {
		int r = join_source_close(&js, a);
		if (r != EXIT_OK && rc == EXIT_OK)
			rc = r;
		a->join = &js.join;
	}
	analysis_finish(a);
	/* --tz also sets the zone the reports show wall-clock times in (reports/report_time.h) */
	opt_tz_apply(o.c.jtl.tz_offset_min);

	char stamp[64];
	struct report_meta m = { .version = JTLSCOPE_VERSION };
	if (o.out.stamp)
		m.stamp = report_stamp(stamp, sizeof stamp);
	char *cmdline = join_args(argc, argv);
	m.command_line = cmdline;
	int wrc = EXIT_OK;
	if (a->overall.count == 0) {
		/* nothing to report on: the reason was printed per input; no empty report */
		if (rc == EXIT_OK && a->capture.inputs)
			diag_error("no samples: the capture%s hold%s no HTTP exchange or WebSocket frame (%llu "
				   "packets, %llu TCP connections): nothing to report", a->capture.inputs > 1 ? "s" : "",
				   a->capture.inputs > 1 ? "" : "s", (unsigned long long)a->capture.packets,
				   (unsigned long long)a->capture.connections);
		else if (rc == EXIT_OK)
			diag_error("no samples in the input%s: nothing to report", argc - optind > 1 ? "s" : "");
		rc = EXIT_INPUT;
	} else {
		wrc = report_out_write(&o.out, a, &m);
	}
	int grc = run_gate(&o, a, &m);
	free(cmdline);
	gate_free(o.out.gate.gate);
	if (rc == EXIT_OK && wrc == EXIT_OK)
		wrc = grc;
	analysis_free(a);
	if (joining)
		join_free(&js.join);
	capture_keylog_free(keylog);
	return rc != EXIT_OK ? rc : wrc;
}
