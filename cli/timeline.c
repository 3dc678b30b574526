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
#include "reports/output.h"
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

enum { OPT_FORMAT = OPT_OWN, OPT_CONNECTION, OPT_TL_KEYLOG };

struct timeline_opts {
	struct common_opts c;     /* --tz */
	struct timeline *tl;
	const char *fmt, *keylog;
};

static int timeline_opt(void *ctx, int id, const char *arg)
{
	struct timeline_opts *o = ctx;
	switch (id) {
	case OPT_FORMAT: o->fmt = arg; return 0;
	case OPT_TL_KEYLOG: o->keylog = arg; return 0;
	case OPT_CONNECTION:
		if (!timeline_set_filter(o->tl, arg)) {
			diag_error("empty --connection filter");
			return -1;
		}
		return 0;
	default: return common_opt(&o->c, id, arg) > 0 ? 0 : -1;
	}
}

int cmd_timeline(int argc, char **argv)
{
	struct timeline_writer t = { .out = stdout };
	struct timeline_opts o = { .tl = timeline_new(timeline_write_conn, &t), .fmt = "text" };
	common_opts_init(&o.c);
	struct timeline *tl = o.tl;
	static const struct option table[] = {
		{ "format", required_argument, NULL, OPT_FORMAT },
		{ "connection", required_argument, NULL, OPT_CONNECTION },
		{ "tls-keylog", required_argument, NULL, OPT_TL_KEYLOG },
		{ "tz", required_argument, NULL, OPT_TZ },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	static const struct opt_cmd cmd = { "timeline", table, timeline_usage, timeline_opt };
	int rc = opts_parse(&cmd, argc, argv, &o);
	if (rc == OPTS_GO && argc - optind > 1) {
		diag_error("timeline takes one capture ('%s' and '%s')", argv[optind], argv[optind + 1]);
		rc = EXIT_USAGE;
	} else if (rc == OPTS_GO && optind >= argc) {
		timeline_usage(stderr);
		rc = EXIT_USAGE;
	}
	const struct output_format *fmt = output_find(OUTPUT_TIMELINE, o.fmt, strlen(o.fmt));
	if (rc == OPTS_GO && !fmt) {
		diag_error("unknown --format '%s' (text, json or csv)", o.fmt);
		rc = EXIT_USAGE;
	}
	if (rc != OPTS_GO) {
		timeline_free(tl);
		return rc;
	}
	opt_tz_apply(o.c.jtl.tz_offset_min);
	const char *path = argv[optind], *keylog_path = o.keylog;
	t.fmt = fmt->timeline;
	t.path = path;

	char err[512];
	struct input *in = input_open(path, err, sizeof err);
	if (!in) {
		diag_error("%s", err);
		timeline_free(tl);
		return EXIT_INPUT;
	}
	struct diag d;
	diag_init(&d, path);
	t.cap = capture_open(in, &d, err, sizeof err);
	if (!t.cap) {
		diag_error("%s", err);
		input_close(in);
		timeline_free(tl);
		return EXIT_INPUT;
	}
	capture_set_tcp_events(t.cap, true);
	struct capture_keylog *kl = NULL;
	if (keylog_path) {
		kl = capture_keylog_load(keylog_path, err, sizeof err);
		if (!kl) {
			diag_error("%s", err);
			capture_close(t.cap);
			input_close(in);
			timeline_free(tl);
			return EXIT_INPUT;
		}
		keylog_note(kl, keylog_path, false);
		capture_set_keylog(t.cap, kl);
	}
	timeline_write_begin(&t);
	struct capture_event ev;
	enum capture_status st;
	while ((st = capture_next(t.cap, &ev)) == CAP_EVENT)
		timeline_add(tl, &ev);
	rc = EXIT_OK;
	if (st == CAP_FATAL) {
		diag_error("%s", capture_error(t.cap));
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
