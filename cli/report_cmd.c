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
#include "cli/read_input.h"
#include "common/diag.h"
#include "parsers/input.h"
#include "parsers/jtl.h"
#include "reports/charts.h"
#include "reports/json_util.h"
#include "reports/report_read.h"
#include "reports/report.h"
#include "reports/report_time.h"

#ifndef JTLSCOPE_VERSION
#define JTLSCOPE_VERSION "0.0.0"
#endif


enum fmt_bit { F_TEXT = 1, F_JSON = 2, F_MD = 4, F_HTML = 8, F_CSV = 16 };

struct report_opts {
	struct common_opts c;     /* analysis and input options, strict, quiet */
	const char *outdir;
	unsigned formats;
	enum chart_format charts;
	bool stamp;
	struct gate *gate;
	const char *junit;
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

static bool parse_formats(const char *s, unsigned *out)
{
	*out = 0;
	while (*s) {
		const char *e = strchr(s, ',');
		size_t n = e ? (size_t)(e - s) : strlen(s);
		if (n == 4 && strncmp(s, "text", 4) == 0)
			*out |= F_TEXT;
		else if (n == 4 && strncmp(s, "json", 4) == 0)
			*out |= F_JSON;
		else if (n == 2 && strncmp(s, "md", 2) == 0)
			*out |= F_MD;
		else if (n == 4 && strncmp(s, "html", 4) == 0)
			*out |= F_HTML;
		else if (n == 3 && strncmp(s, "csv", 3) == 0)
			*out |= F_CSV;
		else
			return false;
		s += n;
		if (*s == ',')
			s++;
	}
	return *out != 0;
}

int report_write_file(const char *dir, const char *name, const struct analysis *a,
		      const struct report_meta *m,
		      int (*fn)(FILE *, const struct analysis *, const struct report_meta *), bool quiet)
{
	char *path = xasprintf("%s/%s", dir, name);
	FILE *f = fopen(path, "w");
	int rc = EXIT_OK;
	if (!f) {
		diag_error("cannot write '%s': %s", path, strerror(errno));
		rc = EXIT_OUTPUT;
	} else {
		int w = fn(f, a, m);
		if (fclose(f) != 0 || w != 0) {
			diag_error("cannot write '%s': %s", path, strerror(errno));
			rc = EXIT_OUTPUT;
		} else if (!quiet) {
			fprintf(stderr, "wrote %s\n", path);
		}
	}
	free(path);
	return rc;
}

static int csv_series(FILE *f, const struct analysis *a, const struct report_meta *m)
{
	(void)m;
	return report_csv_series(f, a);
}

static int csv_labels(FILE *f, const struct analysis *a, const struct report_meta *m)
{
	(void)m;
	return report_csv_labels(f, a);
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

/* Write the requested formats into o->outdir, or the single one to stdout. */
static int write_reports(const struct report_opts *o, const struct analysis *a, struct report_meta *m)
{
	int wrc = EXIT_OK;
	struct chart_set cs;
	memset(&cs, 0, sizeof cs);
	if ((o->formats & (F_MD | F_HTML)) && o->charts != CHART_NONE) {
		/* without -o only the HTML can carry charts (inline) */
		if (o->outdir || (o->formats & F_HTML)) {
			if (charts_render(a, o->outdir, o->charts, &cs) != 0)
				wrc = EXIT_OUTPUT;
			if (cs.warning && !o->c.quiet)
				diag_note("warning: %s", cs.warning);
			m->charts = &cs;
		}
	}
	if (!o->outdir) {
		int (*fn)(FILE *, const struct analysis *, const struct report_meta *) =
			(o->formats & F_JSON) ? report_json : (o->formats & F_MD) ? report_md :
			(o->formats & F_HTML) ? report_html : report_text;
		int w = fn(stdout, a, m);
		if (fflush(stdout) != 0 || w != 0) {
			diag_error("cannot write the report to stdout: %s", strerror(errno));
			wrc = EXIT_OUTPUT;
		}
		chart_set_free(&cs);
		return wrc;
	}
	static const struct {
		unsigned bit;
		const char *name;
		int (*fn)(FILE *, const struct analysis *, const struct report_meta *);
	} outs[] = {
		{ F_TEXT, "report.txt", report_text },
		{ F_JSON, "report.json", report_json },
		{ F_MD, "report.md", report_md },
		{ F_HTML, "report.html", report_html },
		{ F_CSV, "series.csv", csv_series },
		{ F_CSV, "labels.csv", csv_labels },
	};
	for (size_t i = 0; i < ARRAY_LEN(outs) && wrc == EXIT_OK; i++)
		if (o->formats & outs[i].bit)
			wrc = report_write_file(o->outdir, outs[i].name, a, m, outs[i].fn, o->c.quiet);
	chart_set_free(&cs);
	return wrc;
}

/* Checks of the whole command line once the options are read. */
static int check_usage(struct report_opts *o, int argc)
{
	if (optind >= argc) {
		diag_error("no input files (use '-' for stdin)");
		report_usage(stderr);
		return EXIT_USAGE;
	}
	if (!o->formats)
		o->formats = F_TEXT;
	if (!o->outdir && ((o->formats & (o->formats - 1)) || (o->formats & F_CSV))) {
		diag_error("several formats, and csv, need -o DIR");
		return EXIT_USAGE;
	}
	if (o->junit && !o->gate) {
		diag_error("--junit needs at least one --fail-on");
		return EXIT_USAGE;
	}
	return EXIT_OK;
}

/* --fail-on: evaluate the criteria on the JSON report; exit 6 when one is met. */
static int run_gate(const struct report_opts *o, const struct analysis *a, const struct report_meta *m)
{
	if (!o->gate || gate_count(o->gate) == 0)
		return EXIT_OK;
	struct run_metrics rm;
	report_read_analysis(&rm, a, m);
	int rc = gate_finish(o->gate, NULL, &rm, o->junit, false);
	run_metrics_release(&rm);
	if (rc == EXIT_OUTPUT)
		return rc;
	if (gate_unknown_labels(o->gate)) {
		/* a typo in a label must not pass as "n/a": say which labels there are */
		struct strbuf sb = STRBUF_INIT;
		for (size_t i = 0; i < a->nlabels && i < 10; i++)
			strbuf_addf(&sb, "%s'%s'", i ? ", " : "", a->labels[i].name);
		if (a->nlabels > 10)
			strbuf_addf(&sb, ", ... (%zu in all)", a->nlabels);
		diag_error("--fail-on: %zu criteria name a label the run does not have; its labels: %s",
			   gate_unknown_labels(o->gate), sb.len ? strbuf_cstr(&sb) : "none");
		strbuf_release(&sb);
		return EXIT_USAGE;
	}
	return rc;
}

enum { R_STAMP = OPT_COMMON_END, R_CHARTS, R_FAIL_ON, R_JUNIT, R_KEYLOG };

int cmd_report(int argc, char **argv)
{
	struct report_opts o;
	memset(&o, 0, sizeof o);
	common_opts_init(&o.c);
	o.formats = 0;
	o.charts = CHART_SVG;
	static const struct option longopts[] = {
		{ "output", required_argument, NULL, 'o' },
		{ "format", required_argument, NULL, 'f' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ "stamp", no_argument, NULL, R_STAMP },
		{ "charts", required_argument, NULL, R_CHARTS },
		{ "fail-on", required_argument, NULL, R_FAIL_ON },
		{ "junit", required_argument, NULL, R_JUNIT },
		{ "tls-keylog", required_argument, NULL, R_KEYLOG },
		COMMON_LONGOPTS,
		{ NULL, 0, NULL, 0 },
	};
	optind = 1;
	opterr = 0;
	int c;
	while ((c = getopt_long(argc, argv, ":o:f:qh", longopts, NULL)) != -1) {
		switch (c) {
		case 'o': o.outdir = optarg; break;
		case 'f':
			if (!parse_formats(optarg, &o.formats)) {
				diag_error("--format: unknown format in '%s' (want text, json, md, html, csv)", optarg);
				gate_free(o.gate);
				return EXIT_USAGE;
			}
			break;
		case 'q': o.c.quiet = true; break;
		case 'h':
			report_usage(stdout);
			gate_free(o.gate);
			return EXIT_OK;
		case R_STAMP: o.stamp = true; break;
		case R_CHARTS:
			if (!charts_parse_format(optarg, &o.charts)) {
				diag_error("--charts: want svg, png or none, not '%s'", optarg);
				gate_free(o.gate);
				return EXIT_USAGE;
			}
			break;
		case R_FAIL_ON: {
			char gerr[300];
			if (!o.gate)
				o.gate = gate_new();
			if (gate_add(o.gate, optarg, gerr, sizeof gerr) != 0) {
				diag_error("%s", gerr);
				gate_free(o.gate);
				return EXIT_USAGE;
			}
			break;
		}
		case R_JUNIT: o.junit = optarg; break;
		case R_KEYLOG: o.tls_keylog = optarg; break;
		case ':':
			diag_error("option '%s' needs a value", argv[optind - 1]);
			gate_free(o.gate);
			return EXIT_USAGE;
		default: {
			int r = common_opt(&o.c, c, optarg);
			if (r > 0)
				break;
			if (r == 0) {
				diag_error("unknown option '%s'", argv[optind - 1]);
				fputs("try 'jtlscope report --help' for the options\n", stderr);
			}
			gate_free(o.gate);
			return EXIT_USAGE;
		}
		}
	}
	int urc = check_usage(&o, argc);
	if (urc != EXIT_OK) {
		gate_free(o.gate);
		return urc;
	}
	o.c.jtl.keep_bodies = o.c.cfg.throttle.pattern != NULL;
	if (o.outdir && mkdir(o.outdir, 0777) != 0) {
		struct stat ost;
		int e = errno;
		if (e != EEXIST) {
			diag_error("cannot create '%s': %s", o.outdir, strerror(e));
			gate_free(o.gate);
			return EXIT_OUTPUT;
		}
		if (stat(o.outdir, &ost) != 0 || !S_ISDIR(ost.st_mode)) {
			diag_error("-o '%s': a file of that name exists; -o takes a directory to write the "
				   "reports into", o.outdir);
			gate_free(o.gate);
			return EXIT_OUTPUT;
		}
	}

	char err[600];
	struct analysis *a = analysis_new(&o.c.cfg, err, sizeof err);
	if (!a) {
		diag_error("%s", err);
		gate_free(o.gate);
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
			gate_free(o.gate);
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
			gate_free(o.gate);
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
	int tzm = o.c.jtl.tz_offset_min;
	report_tz_set(tzm == JTL_TZ_LOCAL ? getenv("TZ") : NULL, tzm == JTL_TZ_LOCAL ? 0 : tzm);

	char stamp[64];
	struct report_meta m = { .version = JTLSCOPE_VERSION };
	if (o.stamp) {
		struct timespec ts;
		clock_gettime(CLOCK_REALTIME, &ts);
		report_utc(stamp, sizeof stamp, (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000);
		strcat(stamp, " UTC");
		m.stamp = stamp;
	}
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
		wrc = write_reports(&o, a, &m);
	}
	int grc = run_gate(&o, a, &m);
	free(cmdline);
	gate_free(o.gate);
	if (rc == EXIT_OK && wrc == EXIT_OK)
		wrc = grc;
	analysis_free(a);
	if (joining)
		join_free(&js.join);
	capture_keylog_free(keylog);
	return rc != EXIT_OK ? rc : wrc;
}
