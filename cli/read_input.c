/* read_input.c - see read_input.h.  The source (a JTL reader or a capture) runs on the
 * pipeline thread; samples are analysed on this one. */
#include "cli/read_input.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli/pipeline.h"
#include "common/exit_codes.h"
#include "common/diag.h"
#include "parsers/capture/capture.h"
#include "parsers/input.h"

#define PROGRESS_MIN_BYTES (16u << 20)  /* inputs smaller than this show no progress line */

struct progress {
	bool on;
	double start, last;
	int printed;
};

/* "path: 512 MB of 2048 MB (25%), 800 MB/s, ETA 2 s" on stderr, twice a second at most. */
static void progress_tick(struct progress *p, const struct input *in, bool final)
{
	if (!p->on)
		return;
	double t = util_now_s();
	if (!final && t - p->last < 0.5)
		return;
	p->last = t;
	uint64_t done = input_raw_offset(in), size = input_raw_size(in);
	double rate = (double)done / (t - p->start > 1e-3 ? t - p->start : 1e-3);
	fprintf(stderr, "\r%s: %.0f MB", input_path(in), (double)done / 1e6);
	if (size) {
		double eta = rate > 0 ? (double)(size - (done < size ? done : size)) / rate : 0;
		fprintf(stderr, " of %.0f MB (%.0f%%), %.0f MB/s, ETA %.0f s   ", (double)size / 1e6,
			100.0 * (double)done / (double)size, rate / 1e6, eta);
	} else {
		fprintf(stderr, ", %.0f MB/s   ", rate / 1e6);
	}
	if (final)
		fputc('\n', stderr);
	p->printed = 1;
}

/* Run a source through the pipeline into the analysis. */
static enum jtl_status pump(struct analysis *a, pipeline_next_fn next, void *src, struct input *in,
			    const struct read_opts *o)
{
	struct progress pg = { .on = !o->quiet && isatty(2) && input_raw_size(in) >= PROGRESS_MIN_BYTES };
	pg.start = pg.last = util_now_s();
	struct pipeline *pl = pipeline_start(next, src, o->strict);
	struct sample_batch *b;
	while ((b = pipeline_next(pl))) {
		for (size_t i = 0; i < b->n; i++) {
			struct sample *s = &b->s[i];
			s->source = (uint32_t)a->ninputs; /* inputs are added as each one ends */
			struct join_match m;
			bool matched = o->join && join_sample(o->join, s, &m);
			/* the capture kept the response headers the JTL did not (CSV): Retry-After
			 * and the other rate-limit headers come from the matched exchange */
			if (matched && !s->rl.flags && m.rl.flags)
				s->rl = m.rl;
			/* the one classification of the sample (analysis_add): the segment is drawn
			 * with the outcome the statistics counted */
			bool thr = analysis_add(a, s);
			if (!matched || o->join_headers_only)
				continue;
			analysis_add_segment(a, m.conn, m.start_ms, m.end_ms,
					     thr ? SEG_THROTTLED : s->success ? SEG_OK : SEG_ERROR);
		}
		pipeline_done(pl, b);
		progress_tick(&pg, in, false);
	}
	if (pg.printed)
		progress_tick(&pg, in, true);
	return pipeline_finish(pl);
}

static enum jtl_status jtl_next_fn(void *r, struct sample *s)
{
	return jtl_next(r, s);
}

/* Captures: every HTTP exchange, WebSocket message exchange (one per client message) and
 * encrypted TLS exchange (record runs; not on h2 connections). */
static enum jtl_status capture_next_fn(void *c, struct sample *s)
{
	struct capture_event ev;
	for (;;) {
		enum capture_status st = capture_next(c, &ev);
		if (st == CAP_END)
			return JTL_END;
		if (st == CAP_FATAL)
			return JTL_FATAL;
		if (capture_event_to_sample(&ev, s))
			return JTL_RECORD;
	}
}

static void add_capture_totals(struct analysis *a, struct capture *c)
{
	const struct capture_counters *k = capture_counters(c);
	struct capture_totals t = {
		.inputs = 1,
		.packets = k->packets,
		.connections = k->connections,
		.exchanges = k->exchanges,
		.websocket_frames = k->websocket_frames,
		.tls_connections = k->tls_connections,
		.retransmissions = k->retransmissions,
		.incomplete = k->incomplete_exchanges,
		.websocket_exchanges = k->websocket_exchanges,
		.websocket_pushes = k->websocket_pushes,
		.tls_exchanges = k->tls_exchanges,
		.tls_encrypted = k->tls_encrypted,
		.tls_decrypted = k->tls_decrypted,
		.tls_no_keys = k->tls_no_keys,
		.tls_decrypt_failed = k->tls_decrypt_failed,
		.segments = k->segments, .reused_tuples = k->reused_tuples,
	};
	analysis_add_capture(a, &t);
	unsigned it = 0;
	int status;
	uint64_t n;
	while (capture_code_next(c, &it, &status, &n))
		analysis_add_capture_code(a, status, n);
	/* encrypted answers by size class: sizes only, never a status */
	uint64_t lo, hi;
	it = 0;
	while (capture_tls_size_next(c, &it, &lo, &hi, &n)) {
		char cls[64];
		if (lo == hi)
			snprintf(cls, sizeof cls, "%" PRIu64 " B", lo);
		else
			snprintf(cls, sizeof cls, "%" PRIu64 "-%" PRIu64 " B", lo, hi);
		analysis_add_capture_size(a, cls, n);
	}
}

/* The message for a failed input: it names the path once (readers often name it already). */
static void input_message(char *out, size_t len, const char *path, const char *err)
{
	size_t n = strlen(path);
	if (err[0] == '\'' && strncmp(err + 1, path, n) == 0 && strncmp(err + 1 + n, "': ", 3) == 0)
		snprintf(out, len, "%s", err);
	else if (strncmp(err, path, n) == 0 && strncmp(err + n, ": ", 2) == 0)
		snprintf(out, len, "'%s': %s", path, err + n + 2);
	else if (strstr(err, path))
		snprintf(out, len, "%s", err);
	else
		snprintf(out, len, "'%s': %s", path, err);
}

/* Why a JMeter file gave no sample, in one line: every record skipped (the first one's reason,
 * and what to do), only elements that are not samples, or nothing at all. */
static void no_samples(char *err, size_t len, const struct jtl_reader *r, const struct input_info *info,
		       const char *udesc)
{
	uint64_t line;
	const char *why = jtl_first_skip(r, &line);
	const char *hint = jtl_hint(r);
	if (info->skipped && why) {
		int w = snprintf(err, len, "no sample could be read: all %llu records were skipped (line %llu: %s)",
				 (unsigned long long)info->skipped, (unsigned long long)line, why);
		if (hint && w > 0 && (size_t)w < len)
			snprintf(err + w, len - (size_t)w, "; %s", hint);
	} else if (info->skipped) {
		snprintf(err, len, "no sample could be read: all %llu records were skipped",
			 (unsigned long long)info->skipped);
	} else if (info->unknown_elements) {
		snprintf(err, len, "no sample could be read: <testResults> holds %llu elements that are not "
			 "JMeter samples (%s)", (unsigned long long)info->unknown_elements, udesc);
	} else if (jtl_is_xml(r)) {
		snprintf(err, len, "no samples: the XML holds no <httpSample> or <sample>%s",
			 info->truncated ? " (it ends before the first one)" : "");
	} else {
		snprintf(err, len, "no samples: a JMeter CSV header and no records");
	}
}

int read_input(struct analysis *a, const char *path, const struct read_opts *o)
{
	char err[600], msg[700];
	struct input_info info = { .path = (char *)path, .format = (char *)"unknown" };
	struct input *in = input_open(path, err, sizeof err);
	if (!in) {
		diag_error("%s", err);
		info.error = err;
		analysis_add_input(a, &info);
		return EXIT_INPUT;
	}
	enum input_format fmt = input_sniff(in);
	info.gzip = input_is_gzip(in);
	info.format = (char *)input_format_name(fmt);
	struct diag d;
	diag_init(&d, path);
	d.quiet = o->quiet;
	int rc = EXIT_OK;
	enum jtl_status st = JTL_END;
	const char *srcerr = NULL;
	if (fmt == INPUT_FMT_EMPTY) {
		snprintf(err, sizeof err, "the file is empty: no JMeter samples");
		rc = EXIT_INPUT;
	} else if (fmt == INPUT_FMT_PCAP || fmt == INPUT_FMT_PCAPNG) {
		struct capture *c = o->captures ? capture_open(in, &d, err, sizeof err) : NULL;
		if (c && o->keylog)
			capture_set_keylog(c, o->keylog);
		if (!o->captures) {
			snprintf(err, sizeof err, "%s", o->no_capture_why ? o->no_capture_why : "captures are not read here");
			rc = EXIT_INPUT;
		} else if (!c) {
			rc = EXIT_INPUT;
		} else if (o->capture_totals_only) {
			struct capture_event ev;
			enum capture_status cs;
			while ((cs = capture_next(c, &ev)) == CAP_EVENT)
				;
			if (cs == CAP_FATAL) {
				st = JTL_FATAL;
				snprintf(err, sizeof err, "%s", capture_error(c));
			}
			add_capture_totals(a, c);
			info.truncated = capture_counters(c)->truncated_file;
			capture_close(c);
		} else {
			st = pump(a, capture_next_fn, c, in, o);
			if (st == JTL_FATAL)
				srcerr = capture_error(c);
			add_capture_totals(a, c);
			const struct capture_counters *k = capture_counters(c);
			info.records = k->exchanges + k->websocket_exchanges + k->tls_exchanges;
			info.truncated = k->truncated_file;
			if (st == JTL_FATAL)
				snprintf(err, sizeof err, "%s", srcerr);
			capture_close(c);
		}
	} else if (fmt == INPUT_FMT_CSV || fmt == INPUT_FMT_XML) {
		struct jtl_options jo = o->jtl;
		jo.tx_children = true; /* Transaction Controllers' requests reach the throttle analysis */
		struct jtl_reader *r = jtl_open(in, fmt, &jo, &d, err, sizeof err);
		if (!r) {
			rc = EXIT_INPUT;
		} else {
			st = pump(a, jtl_next_fn, r, in, o);
			if (st == JTL_FATAL)
				snprintf(err, sizeof err, "%s", jtl_error(r));
			info.records = jtl_records(r);
			info.skipped = jtl_skipped(r);
			info.headers_repeated = jtl_headers_repeated(r);
			info.truncated = jtl_truncated_tail(r);
			char udesc[300];
			info.unknown_elements = jtl_unknown_elements(r, udesc, sizeof udesc);
			if (st == JTL_END && info.records == 0) {
				no_samples(err, sizeof err, r, &info, udesc);
				rc = EXIT_INPUT;
			} else if (st == JTL_END && o->strict && info.truncated) {
				snprintf(err, sizeof err, "input ends inside an element (truncated file) and --strict given");
				rc = EXIT_STRICT;
			}
			jtl_close(r);
		}
	} else {
		enum input_content ct = fmt == INPUT_FMT_JSON ? input_identify(in, fmt, 0) : INPUT_CONTENT_JTL;
		snprintf(err, sizeof err, "%s",
			 ct == INPUT_CONTENT_K6_JSON ? "this is a k6 JSON output, not a JMeter JTL"
			 : fmt == INPUT_FMT_JSON ? "a JSON file, not a JMeter result file or capture"
			 : fmt == INPUT_FMT_UNKNOWN && input_error(in)[0] && strcmp(input_error(in), "unknown error")
				 ? input_error(in)
				 : "unknown format (not a JMeter CSV/XML result file or capture)");
		rc = EXIT_INPUT;
	}
	if (st == JTL_FATAL) {
		rc = EXIT_INPUT;
	} else if (st == JTL_SKIPPED) {
		snprintf(err, sizeof err, "malformed record and --strict given");
		rc = EXIT_STRICT;
	}
	if (rc != EXIT_OK) {
		input_message(msg, sizeof msg, path, err);
		diag_error("%s", msg);
		info.error = msg;
	}
	diag_summary(&d);
	info.bytes = input_offset(in);
	analysis_add_input(a, &info);
	input_close(in);
	return rc;
}

enum input_format read_sniff(const char *path)
{
	if (strcmp(path, "-") == 0)
		return INPUT_FMT_UNKNOWN;
	char err[600];
	struct input *in = input_open(path, err, sizeof err);
	if (!in)
		return INPUT_FMT_UNKNOWN;
	enum input_format f = input_sniff(in);
	input_close(in);
	return f;
}

void keylog_note(const struct capture_keylog *k, const char *path, bool quiet)
{
	const struct capture_keylog_stats *st = capture_keylog_stats(k);
	if (quiet && !st->bad)
		return;
	diag_note("key log '%s': %" PRIu64 " lines, %" PRIu64 " used, %" PRIu64 " other labels, %" PRIu64
		  " bad (skipped)%s, %" PRIu64 " TLS sessions with keys%s",
		  path, st->lines, st->used, st->other, st->bad,
		  st->dropped ? ", some beyond the entry limit" : "", st->randoms,
		  st->truncated ? "; the last line has no newline (truncated?)" : "");
}

bool join_source_open(struct join_source *js, const char *path, bool quiet,
		      const struct capture_keylog *keylog)
{
	char err[600];
	memset(js, 0, sizeof *js);
	js->path = path;
	js->in = input_open(path, err, sizeof err);
	if (!js->in) {
		diag_error("%s", err);
		return false;
	}
	js->fmt = input_sniff(js->in);
	diag_init(&js->d, path);
	js->d.quiet = quiet;
	js->cap = capture_open(js->in, &js->d, err, sizeof err);
	if (!js->cap) {
		char msg[700];
		input_message(msg, sizeof msg, path, err);
		diag_error("%s", msg);
		input_close(js->in);
		return false;
	}
	if (keylog)
		capture_set_keylog(js->cap, keylog);
	join_init(&js->join, js->cap);
	return true;
}

void join_source_discard(struct join_source *js)
{
	(void)join_finish(&js->join); /* the capture is read (and reported) once on its own */
	join_free(&js->join);
	capture_close(js->cap);
	input_close(js->in);
	js->cap = NULL;
	js->in = NULL;
}

int join_source_close(struct join_source *js, struct analysis *a)
{
	int rc = EXIT_OK;
	char msg[700];
	struct input_info info = { .path = (char *)js->path, .format = (char *)input_format_name(js->fmt),
				   .gzip = input_is_gzip(js->in) };
	if (!join_finish(&js->join)) {
		input_message(msg, sizeof msg, js->path, js->join.err);
		diag_error("%s", msg);
		info.error = msg;
		rc = EXIT_INPUT;
	}
	add_capture_totals(a, js->cap);
	const struct capture_counters *k = capture_counters(js->cap);
	info.records = k->exchanges + k->websocket_exchanges + k->tls_exchanges;
	info.truncated = k->truncated_file;
	info.bytes = input_offset(js->in);
	diag_summary(&js->d);
	analysis_add_input(a, &info);
	capture_close(js->cap);
	input_close(js->in);
	js->cap = NULL;
	js->in = NULL;
	return rc;
}
