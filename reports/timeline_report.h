/* timeline_report.h - `jtlscope timeline` output: text blocks, JSON (one object, connections
 * as they close, a summary last) or CSV (one row per line), and the capture's summary. */
#ifndef JTLSCOPE_REPORTS_TIMELINE_REPORT_H
#define JTLSCOPE_REPORTS_TIMELINE_REPORT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include "analyzer/timeline.h"
#include "parsers/capture/capture.h"

enum timeline_format { TIMELINE_TEXT, TIMELINE_JSON, TIMELINE_CSV };

struct timeline_writer {
	enum timeline_format fmt;
	FILE *out;
	const char *path;        /* the capture's path, as shown */
	struct capture *cap;     /* for its start time, link type and counters */
	uint64_t printed;        /* connections written */
	bool json_open;
};

/* The CSV header (nothing for the other formats). */
void timeline_write_begin(struct timeline_writer *w);
/* One closed connection: a timeline_emit_fn, ctx is the writer. */
void timeline_write_conn(void *ctx, const struct timeline_conn *c, const struct capture_event *ev);
/* The capture summary (text, JSON; nothing for CSV) and the end of the JSON object. */
void timeline_write_end(struct timeline_writer *w);

#endif
