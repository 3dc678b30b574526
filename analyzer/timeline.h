/* timeline.h - per-connection timelines of a capture: each connection's events (SYN..FIN/RST,
 * requests and responses, WebSocket frames, TLS handshake and records, holes, zero windows)
 * collected as lines until the connection closes, then handed, sorted by time (ties keep
 * arrival order), to an emit function (reports/timeline_report.h writes them).  Memory follows
 * the open connections, not the capture length.
 *
 *   struct timeline *tl = timeline_new(emit, ctx);
 *   timeline_set_filter(tl, "c3");                 optional
 *   while (capture_next(cap, &ev) == CAP_EVENT) timeline_add(tl, &ev);
 *   timeline_free(tl);                              drops connections still open
 */
#ifndef JTLSCOPE_ANALYZER_TIMELINE_H
#define JTLSCOPE_ANALYZER_TIMELINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "parsers/capture/capture.h"

#define TIMELINE_MAX_LINES 100000u      /* lines kept per connection; the rest are counted */
#define TIMELINE_PAYLOAD_SHOWN 80u      /* bytes of a WebSocket payload shown */
#define TIMELINE_BUCKETS 4096u          /* hash buckets of open connections */

struct timeline_line {
	int64_t t;           /* ns */
	uint32_t order;      /* arrival order, for stable sorting */
	const char *event;   /* static */
	int dir;             /* -1 none, CAP_C2S, CAP_S2C */
	char *detail;        /* raw bytes from the capture mixed with fixed text: escape on output */
	size_t detail_n;
};

struct timeline_conn {
	struct timeline_conn *next;
	uint64_t id;
	struct timeline_line *lines;
	size_t n, cap;
	uint64_t dropped;    /* lines beyond TIMELINE_MAX_LINES */
};

/* Called once per closed connection with its lines and the close event (its stats); c is
 * freed after the call. */
typedef void (*timeline_emit_fn)(void *ctx, const struct timeline_conn *c, const struct capture_event *close);

struct timeline;

struct timeline *timeline_new(timeline_emit_fn emit, void *ctx);
void timeline_free(struct timeline *t);
/* Keep connections whose name contains f, or whose number it is ("3" or "c3").  f is borrowed
 * for the timeline's life.  false when f is empty. */
bool timeline_set_filter(struct timeline *t, const char *f);
/* A duration for people: "850 µs" below 1 ms, else "12.345 ms"; written into buf, returned. */
const char *timeline_duration(int64_t ns, char *buf, size_t size);
void timeline_add(struct timeline *t, const struct capture_event *ev);
/* Connections emitted so far. */
uint64_t timeline_emitted(const struct timeline *t);

#endif
