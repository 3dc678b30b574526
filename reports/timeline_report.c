/* timeline_report.c - the three formats of `jtlscope timeline` (timeline_report.h).  Every
 * string from the capture is escaped by reports/escape.h: \\xNN for control bytes in text,
 * valid UTF-8 in JSON, neutralised formula cells in CSV. */
#include "reports/timeline_report.h"

#include <cjson/cJSON.h>
#include <inttypes.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/util.h"
#include "reports/escape.h"
#include "reports/report_time.h"

static double ms(int64_t ns)
{
	return (double)ns / 1e6;
}

/* ISO 8601 with µs: "...Z" in UTC; with zone_time, in the report zone (--tz) with its offset at
 * that instant ("2026-11-28T09:16:46.602123+08:00"; "Z" when the zone is UTC). */
static void iso_time(char *out, size_t n, int64_t ns, bool zone_time)
{
	time_t s = (time_t)(ns / 1000000000);
	long us = (long)((ns % 1000000000) / 1000);
	if (us < 0) {
		us += 1000000;
		s--;
	}
	long off = zone_time && !report_tz_is_utc() ? report_tz_offset_s((int64_t)s * 1000) : 0;
	time_t ls = s + (time_t)off;
	struct tm tm;
	gmtime_r(&ls, &tm);
	size_t k = strftime(out, n, "%Y-%m-%dT%H:%M:%S", &tm);
	if (zone_time && !report_tz_is_utc()) {
		long a = off < 0 ? -off : off;
		snprintf(out + k, n - k, ".%06ld%c%02ld:%02ld", us, off < 0 ? '-' : '+', a / 3600, a / 60 % 60);
	} else {
		snprintf(out + k, n - k, ".%06ldZ", us);
	}
}

static void utc(char *out, size_t n, int64_t ns)
{
	iso_time(out, n, ns, false);
}

static const char *dir_name(int dir)
{
	return dir == CAP_C2S ? "c>s" : dir == CAP_S2C ? "s>c" : "";
}

static void stats_text(struct strbuf *sb, const struct capture_event *ev)
{
	const struct capture_conn_stats *s = &ev->stats;
	char db[40];
	strbuf_addf(sb, "  packets c>s %" PRIu64 " s>c %" PRIu64 ", payload bytes c>s %" PRIu64
		    " s>c %" PRIu64, s->packets[0], s->packets[1], s->bytes[0], s->bytes[1]);
	if (s->rtt_ns)
		strbuf_addf(sb, ", SYN->SYN-ACK %s", timeline_duration(s->rtt_ns, db, sizeof db));
	if (s->handshake_ns)
		strbuf_addf(sb, ", handshake %s", timeline_duration(s->handshake_ns, db, sizeof db));
	strbuf_addf(sb, "\n  retransmissions %" PRIu64 ", out of order %" PRIu64 ", holes %" PRIu64
		    " (%" PRIu64 " bytes), bytes cut by snaplen %" PRIu64 ", zero windows %" PRIu64
		    "\n  exchanges %" PRIu64 " (incomplete %" PRIu64 "), websocket frames %" PRIu64
		    ", tls records %" PRIu64 "\n  ended: %s", s->retransmissions, s->out_of_order,
		    s->holes, s->hole_bytes, s->bytes_missing, s->zero_windows, s->exchanges,
		    s->incomplete, s->ws_frames, s->tls_records,
		    capture_close_reason_name(s->close_reason));
	if (s->fin_by)
		strbuf_addf(sb, ", FIN from %s", s->fin_by == 3 ? "both" : s->fin_by == 1 ? "client" :
			    "server");
	if (s->rst_by)
		strbuf_addf(sb, ", RST from %s", s->rst_by == 3 ? "both" : s->rst_by == 1 ? "client" :
			    "server");
	strbuf_addch(sb, '\n');
}

static void print_text(struct timeline_writer *t, const struct timeline_conn *c, const struct capture_event *ev)
{
	struct strbuf sb = STRBUF_INIT;
	int64_t t0 = capture_start_ns(t->cap);
	esc_text_sb(&sb, ev->conn.name.p, ev->conn.name.n);
	strbuf_addf(&sb, "  %s%s\n", capture_proto_name(ev->conn.proto),
		    ev->conn.saw_syn ? "" : " (began before the capture; roles guessed)");
	for (size_t i = 0; i < c->n; i++) {
		const struct timeline_line *l = &c->lines[i];
		char when[64];
		iso_time(when, sizeof when, l->t, true);
		strbuf_addf(&sb, "  %12.3f  %s  %-3s %-20s ", ms(l->t - t0), when, dir_name(l->dir),
			    l->event);
		esc_text_sb(&sb, l->detail, l->detail_n);
		strbuf_addch(&sb, '\n');
	}
	if (c->dropped)
		strbuf_addf(&sb, "  ... %" PRIu64 " more lines not shown (limit %u)\n", c->dropped,
			    TIMELINE_MAX_LINES);
	stats_text(&sb, ev);
	strbuf_addch(&sb, '\n');
	fwrite(sb.buf, 1, sb.len, t->out);
	strbuf_release(&sb);
}

static void json_str(cJSON *o, const char *key, const char *p, size_t n)
{
	char *s = esc_utf8_dup(p ? p : "", p ? n : 0);
	cJSON_AddStringToObject(o, key, s);
	free(s);
}

static void json_open(struct timeline_writer *t)
{
	if (t->json_open)
		return;
	t->json_open = true;
	cJSON *o = cJSON_CreateObject();
	json_str(o, "capture", t->path, strlen(t->path));
	cJSON_AddStringToObject(o, "linktype", capture_linktype_name(t->cap));
	/* the zone of the events' "local" times (--tz); "utc" is always UTC */
	cJSON_AddStringToObject(o, "time_zone", report_tz_name());
	char *s = cJSON_PrintUnformatted(o);
	/* reopen the object: print all but the closing brace */
	fprintf(t->out, "%.*s,\"connections\":[\n", (int)(strlen(s) - 1), s);
	cJSON_free(s);
	cJSON_Delete(o);
}

/* The counters the JSON writes as they are: key, and where the uint64_t sits in its struct. */
struct count_field {
	const char *key;
	size_t off;
};
#define CONN_FIELD(k, m) { k, offsetof(struct capture_conn_stats, m) }
#define CONN_COUNT(m) CONN_FIELD(#m, m)
#define CAPTURE_COUNT(m) { #m, offsetof(struct capture_counters, m) }

static const struct count_field CONN_DIR_COUNTS[] = {
	CONN_FIELD("packets_c2s", packets[0]), CONN_FIELD("packets_s2c", packets[1]),
	CONN_FIELD("bytes_c2s", bytes[0]), CONN_FIELD("bytes_s2c", bytes[1]),
};
static const struct count_field CONN_COUNTS[] = {
	CONN_COUNT(retransmissions), CONN_COUNT(out_of_order), CONN_COUNT(holes),
	CONN_COUNT(hole_bytes), CONN_COUNT(bytes_missing), CONN_COUNT(zero_windows),
	CONN_COUNT(exchanges), CONN_COUNT(incomplete), CONN_COUNT(ws_frames), CONN_COUNT(tls_records),
};
static const struct count_field CAPTURE_HTTP_COUNTS[] = {
	CAPTURE_COUNT(packets), CAPTURE_COUNT(connections), CAPTURE_COUNT(connections_no_syn),
	CAPTURE_COUNT(exchanges), CAPTURE_COUNT(requests), CAPTURE_COUNT(responses),
	CAPTURE_COUNT(interim_responses), CAPTURE_COUNT(incomplete_exchanges),
};
static const struct count_field CAPTURE_WIRE_COUNTS[] = {
	CAPTURE_COUNT(websocket_frames), CAPTURE_COUNT(tls_connections),
	CAPTURE_COUNT(tls_appdata_records), CAPTURE_COUNT(retransmissions),
	CAPTURE_COUNT(out_of_order), CAPTURE_COUNT(holes), CAPTURE_COUNT(zero_windows),
};

static void add_counts(cJSON *o, const void *base, const struct count_field *f, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		uint64_t v;
		memcpy(&v, (const char *)base + f[i].off, sizeof v);
		cJSON_AddNumberToObject(o, f[i].key, (double)v);
	}
}

static void print_json(struct timeline_writer *t, const struct timeline_conn *c, const struct capture_event *ev)
{
	json_open(t);
	int64_t t0 = capture_start_ns(t->cap);
	const struct capture_conn_stats *st = &ev->stats;
	cJSON *o = cJSON_CreateObject();
	cJSON_AddNumberToObject(o, "id", (double)ev->conn.id);
	json_str(o, "name", ev->conn.name.p, ev->conn.name.n);
	json_str(o, "client", ev->conn.client.p, ev->conn.client.n);
	cJSON_AddNumberToObject(o, "client_port", ev->conn.client_port);
	json_str(o, "server", ev->conn.server.p, ev->conn.server.n);
	cJSON_AddNumberToObject(o, "server_port", ev->conn.server_port);
	cJSON_AddStringToObject(o, "protocol", capture_proto_name(ev->conn.proto));
	cJSON_AddBoolToObject(o, "saw_syn", ev->conn.saw_syn);
	cJSON_AddStringToObject(o, "ended", capture_close_reason_name(st->close_reason));
	cJSON *s = cJSON_AddObjectToObject(o, "stats");
	add_counts(s, st, CONN_DIR_COUNTS, ARRAY_LEN(CONN_DIR_COUNTS));
	cJSON_AddNumberToObject(s, "syn_synack_ms", ms(st->rtt_ns));
	cJSON_AddNumberToObject(s, "handshake_ms", ms(st->handshake_ns));
	add_counts(s, st, CONN_COUNTS, ARRAY_LEN(CONN_COUNTS));
	cJSON *arr = cJSON_AddArrayToObject(o, "events");
	for (size_t i = 0; i < c->n; i++) {
		const struct timeline_line *l = &c->lines[i];
		char when[64];
		utc(when, sizeof when, l->t);
		cJSON *e = cJSON_CreateObject();
		cJSON_AddNumberToObject(e, "t_ms", (double)((l->t - t0) / 1000) / 1000.0);
		cJSON_AddStringToObject(e, "utc", when);
		if (!report_tz_is_utc()) {
			iso_time(when, sizeof when, l->t, true);
			cJSON_AddStringToObject(e, "local", when);
		}
		cJSON_AddStringToObject(e, "event", l->event);
		cJSON_AddStringToObject(e, "dir", dir_name(l->dir));
		json_str(e, "detail", l->detail, l->detail_n);
		cJSON_AddItemToArray(arr, e);
	}
	if (c->dropped)
		cJSON_AddNumberToObject(o, "events_not_shown", (double)c->dropped);
	char *txt = cJSON_PrintUnformatted(o);
	fprintf(t->out, "%s%s", t->printed ? ",\n" : "", txt);
	cJSON_free(txt);
	cJSON_Delete(o);
}

/* Capture strings in CSV: control bytes as \xNN first (a cell must not carry terminal escapes),
 * then RFC 4180 quoting with leading = + - @ neutralised. */
static void csv_cell(struct strbuf *sb, const char *p, size_t n, bool last)
{
	struct strbuf t = STRBUF_INIT;
	esc_text_sb(&t, p ? p : "", p ? n : 0);
	esc_csv_cell(sb, t.buf ? t.buf : "", t.len);
	strbuf_release(&t);
	strbuf_addch(sb, last ? '\n' : ',');
}

static void print_csv(struct timeline_writer *t, const struct timeline_conn *c, const struct capture_event *ev)
{
	struct strbuf sb = STRBUF_INIT;
	int64_t t0 = capture_start_ns(t->cap);
	for (size_t i = 0; i < c->n; i++) {
		const struct timeline_line *l = &c->lines[i];
		char when[64], rel[48];
		utc(when, sizeof when, l->t);
		snprintf(rel, sizeof rel, "%.3f", ms(l->t - t0));
		strbuf_addf(&sb, "%" PRIu64 ",", ev->conn.id);
		csv_cell(&sb, ev->conn.name.p, ev->conn.name.n, false);
		strbuf_addf(&sb, "%s,%s,", rel, when);
		csv_cell(&sb, l->event, strlen(l->event), false);
		csv_cell(&sb, dir_name(l->dir), strlen(dir_name(l->dir)), false);
		csv_cell(&sb, l->detail, l->detail_n, report_tz_is_utc());
		if (!report_tz_is_utc()) {
			iso_time(when, sizeof when, l->t, true);
			strbuf_addf(&sb, "%s\n", when);
		}
	}
	fwrite(sb.buf ? sb.buf : "", 1, sb.len, t->out);
	strbuf_release(&sb);
}

static void summary_text(struct timeline_writer *t)
{
	const struct capture_counters *k = capture_counters(t->cap);
	FILE *f = t->out;
	fprintf(f, "capture: ");
	esc_text_s(f, t->path);
	fprintf(f, " (%s), %" PRIu64 " packets, %" PRIu64 " connections (%" PRIu64
		" began before the capture), %" PRIu64 " shown\n", capture_linktype_name(t->cap),
		k->packets, k->connections, k->connections_no_syn, t->printed);
	fprintf(f, "http: %" PRIu64 " exchanges (%" PRIu64 " incomplete), %" PRIu64 " requests, %"
		PRIu64 " responses, %" PRIu64 " interim; codes:", k->exchanges,
		k->incomplete_exchanges, k->requests, k->responses, k->interim_responses);
	unsigned it = 0;
	int st;
	uint64_t n;
	bool any = false;
	while (capture_code_next(t->cap, &it, &st, &n)) {
		fprintf(f, " %d x%" PRIu64, st, n);
		any = true;
	}
	fprintf(f, "%s\n", any ? "" : " none");
	fprintf(f, "websocket: %" PRIu64 " frames; tls: %" PRIu64 " connections, %" PRIu64
		" records\n", k->websocket_frames, k->tls_connections, k->tls_appdata_records);
	fprintf(f, "tcp: %" PRIu64 " retransmissions, %" PRIu64 " out of order, %" PRIu64
		" holes (%" PRIu64 " bytes), %" PRIu64 " bytes cut by snaplen, %" PRIu64
		" zero windows, %" PRIu64 " resets\n", k->retransmissions, k->out_of_order, k->holes,
		k->hole_bytes, k->bytes_missing, k->zero_windows, k->resets);
	for (int s = 0; s < CAP_SKIP__COUNT; s++)
		if (k->skipped[s])
			fprintf(f, "skipped: %" PRIu64 " packets (%s)\n", k->skipped[s],
				capture_skip_name((enum capture_skip)s));
	for (int l = 0; l < CAP_LIM__COUNT; l++)
		if (k->limit[l])
			fprintf(f, "limit: %s exceeded %" PRIu64 " times\n",
				capture_limit_name((enum capture_limit)l), k->limit[l]);
	if (k->truncated_file)
		fprintf(f, "note: the capture file ends inside a packet record\n");
	if (!report_tz_is_utc() && t->printed)
		fprintf(f, "times: %s (--tz), with the offset after each\n", report_tz_name());
}

static void summary_json(struct timeline_writer *t)
{
	json_open(t);
	const struct capture_counters *k = capture_counters(t->cap);
	cJSON *o = cJSON_CreateObject();
	add_counts(o, k, CAPTURE_HTTP_COUNTS, ARRAY_LEN(CAPTURE_HTTP_COUNTS));
	cJSON *codes = cJSON_AddObjectToObject(o, "codes");
	unsigned it = 0;
	int st;
	uint64_t n;
	while (capture_code_next(t->cap, &it, &st, &n)) {
		char key[16];
		snprintf(key, sizeof key, "%d", st);
		cJSON_AddNumberToObject(codes, key, (double)n);
	}
	add_counts(o, k, CAPTURE_WIRE_COUNTS, ARRAY_LEN(CAPTURE_WIRE_COUNTS));
	cJSON *sk = cJSON_AddObjectToObject(o, "skipped");
	for (int s = 0; s < CAP_SKIP__COUNT; s++)
		if (k->skipped[s])
			cJSON_AddNumberToObject(sk, capture_skip_name((enum capture_skip)s),
						(double)k->skipped[s]);
	cJSON *lim = cJSON_AddObjectToObject(o, "limits_exceeded");
	for (int l = 0; l < CAP_LIM__COUNT; l++)
		if (k->limit[l])
			cJSON_AddNumberToObject(lim, capture_limit_name((enum capture_limit)l),
						(double)k->limit[l]);
	cJSON_AddBoolToObject(o, "truncated_file", k->truncated_file);
	char *s = cJSON_PrintUnformatted(o);
	fprintf(t->out, "%s],\"summary\":%s}\n", t->printed ? "\n" : "", s);
	cJSON_free(s);
	cJSON_Delete(o);
}


void timeline_write_begin(struct timeline_writer *t)
{
	/* with --tz a last column: the time in that zone (the header names it) */
	if (t->fmt == TIMELINE_CSV)
		fprintf(t->out, "connection_id,connection,t_ms,utc,event,dir,detail%s%s%s\n",
			report_tz_is_utc() ? "" : ",local (", report_tz_is_utc() ? "" : report_tz_name(), report_tz_is_utc() ? "" : ")");
}

void timeline_write_conn(void *ctx, const struct timeline_conn *c, const struct capture_event *ev)
{
	struct timeline_writer *t = ctx;
	if (t->fmt == TIMELINE_TEXT)
		print_text(t, c, ev);
	else if (t->fmt == TIMELINE_JSON)
		print_json(t, c, ev);
	else
		print_csv(t, c, ev);
	t->printed++;
}

void timeline_write_end(struct timeline_writer *t)
{
	if (t->fmt == TIMELINE_TEXT)
		summary_text(t);
	else if (t->fmt == TIMELINE_JSON)
		summary_json(t);
}
