/* timeline.c - `jtlscope timeline` (timeline.h): options, the capture opened, its events
 * handed to analyzer/timeline.c, which hands each closed connection to
 * reports/timeline_report.c. */
#include "cli/timeline.h"
#include "cli/read_input.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analyzer/timeline.h"
#include "common/diag.h"
#include "common/exit_codes.h"
#include "cli/options.h"
#include "common/util.h"
#include "parsers/capture/capture.h"
#include "parsers/input.h"
#include "reports/report_time.h"
#include "reports/timeline_report.h"

void timeline_usage(FILE *f)
{
	fputs("usage: jtlscope timeline CAPTURE [--format text|json|csv] [--connection FILTER]\n"
	      "                                [--tls-keylog FILE] [--tz ZONE]\n"
	      "\n"
	      "Per-connection timelines of a packet capture (pcap, pcapng, gzipped): SYN, SYN-ACK,\n"
	      "established, requests and responses, WebSocket frames, TLS handshake and records,\n"
	      "retransmissions, holes, zero windows, FIN/RST; times relative to the first packet\n"
	      "(ms) and wall-clock (UTC, or the --tz zone).  Each connection is written when it\n"
	      "closes (or at the end of the capture), so the order is that of closing, not of name.\n"
	      "\n"
	      "  --format F         text (default), json or csv\n"
	      "  --connection F     only connections whose name contains F, or number F (3, c3)\n"
	      "  --tls-keylog FILE  NSS key log (SSLKEYLOGFILE): decrypt TLS, show the HTTP inside\n"
	      "  --tz ZONE          wall-clock times in ZONE: UTC (default), +08:00, -0530, or a\n"
	      "                     zone name such as Asia/Singapore (JSON and CSV keep UTC and add\n"
	      "                     the local time)\n"
	      "\n"
	      "Exit codes: 0 ok, 2 usage, 3 input error.\n", f);
}

int cmd_timeline(int argc, char **argv)
{
	struct timeline_writer t = { .out = stdout };
	struct timeline *tl = timeline_new(timeline_write_conn, &t);
	const char *path = NULL, *fmt = "text", *keylog_path = NULL;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		const char *val = NULL;
		if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
			timeline_usage(stdout);
			{ timeline_free(tl); return EXIT_OK; }
		}
		if (!strncmp(a, "--format", 8) || !strncmp(a, "--connection", 12) ||
		    !strncmp(a, "--tls-keylog", 12) || !strncmp(a, "--tz", 4)) {
			const char *eq = strchr(a, '=');
			size_t klen = eq ? (size_t)(eq - a) : strlen(a);
			if (eq)
				val = eq + 1;
			else if (i + 1 < argc)
				val = argv[++i];
			if (!val) {
				fprintf(stderr, "jtlscope: error: option '%s' needs a value\n", a);
				timeline_usage(stderr);
				{ timeline_free(tl); return EXIT_USAGE; }
			}
			if (klen == 8 && !strncmp(a, "--format", 8)) {
				fmt = val;
			} else if (klen == 4 && !strncmp(a, "--tz", 4)) {
				int tzm = 0;
				if (!opt_tz_offset(val, &tzm) && !opt_tz_name(val, &tzm)) {
					fprintf(stderr, "jtlscope: error: --tz: '%s' is neither an offset (UTC, "
						"+08:00, -0530) nor a zone name in /usr/share/zoneinfo "
						"(Asia/Singapore)\n", val);
					{ timeline_free(tl); return EXIT_USAGE; }
				}
				report_tz_set(tzm == JTL_TZ_LOCAL ? getenv("TZ") : NULL, tzm == JTL_TZ_LOCAL ? 0 : tzm);
			} else if (klen == 12 && !strncmp(a, "--tls-keylog", 12)) {
				keylog_path = val;
			} else if (klen == 12 && !strncmp(a, "--connection", 12)) {
				if (!timeline_set_filter(tl, val)) {
					fprintf(stderr, "jtlscope: error: empty --connection filter\n");
					{ timeline_free(tl); return EXIT_USAGE; }
				}
			} else {
				fprintf(stderr, "jtlscope: error: unknown option '%s'\n", a);
				fputs("try 'jtlscope timeline --help' for the options\n", stderr);
				{ timeline_free(tl); return EXIT_USAGE; }
			}
			continue;
		}
		if (a[0] == '-' && a[1]) {
			fprintf(stderr, "jtlscope: error: unknown option '%s'\n", a);
			fputs("try 'jtlscope timeline --help' for the options\n", stderr);
			{ timeline_free(tl); return EXIT_USAGE; }
		}
		if (path) {
			fprintf(stderr, "jtlscope: error: timeline takes one capture ('%s' and '%s')\n",
				path, a);
			{ timeline_free(tl); return EXIT_USAGE; }
		}
		path = a;
	}
	if (!path) {
		timeline_usage(stderr);
		{ timeline_free(tl); return EXIT_USAGE; }
	}
	if (!strcmp(fmt, "text"))
		t.fmt = TIMELINE_TEXT;
	else if (!strcmp(fmt, "json"))
		t.fmt = TIMELINE_JSON;
	else if (!strcmp(fmt, "csv"))
		t.fmt = TIMELINE_CSV;
	else {
		fprintf(stderr, "jtlscope: error: unknown --format '%s' (text, json or csv)\n", fmt);
		{ timeline_free(tl); return EXIT_USAGE; }
	}
	t.path = path;

	char err[512];
	struct input *in = input_open(path, err, sizeof err);
	if (!in) {
		fprintf(stderr, "jtlscope: error: %s\n", err);
		{ timeline_free(tl); return EXIT_INPUT; }
	}
	struct diag d;
	diag_init(&d, path);
	t.cap = capture_open(in, &d, err, sizeof err);
	if (!t.cap) {
		fprintf(stderr, "jtlscope: error: %s\n", err);
		input_close(in);
		{ timeline_free(tl); return EXIT_INPUT; }
	}
	capture_set_tcp_events(t.cap, true);
	struct capture_keylog *kl = NULL;
	if (keylog_path) {
		kl = capture_keylog_load(keylog_path, err, sizeof err);
		if (!kl) {
			fprintf(stderr, "jtlscope: error: %s\n", err);
			capture_close(t.cap);
			input_close(in);
			{ timeline_free(tl); return EXIT_INPUT; }
		}
		keylog_note(kl, keylog_path, false);
		capture_set_keylog(t.cap, kl);
	}
	timeline_write_begin(&t);
	struct capture_event ev;
	enum capture_status st;
	while ((st = capture_next(t.cap, &ev)) == CAP_EVENT)
		timeline_add(tl, &ev);
	int rc = EXIT_OK;
	if (st == CAP_FATAL) {
		fprintf(stderr, "jtlscope: error: %s\n", capture_error(t.cap));
		rc = EXIT_INPUT;
	}
	timeline_write_end(&t);
	timeline_free(tl);
	capture_close(t.cap);
	capture_keylog_free(kl);
	diag_summary(&d);
	input_close(in);
	if (fflush(t.out) != 0 && rc == EXIT_OK)
		rc = EXIT_OUTPUT;
	return rc;
}
