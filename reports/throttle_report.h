/* throttle_report.h - rendering of the throttle analysis (verdict, tables) in text and JSON.
 *
 * Both read only throttle_result(t); t must have been finished (throttle_finish).  Every string
 * that came from input (group names) is escaped for the target: \xNN for control bytes in text
 * (reports/escape.h), valid UTF-8 in JSON.  Output is deterministic: groups sorted by name with
 * "other" last, fixed float formats, numbers rounded before they enter JSON. */
#ifndef JTLSCOPE_REPORTS_THROTTLE_REPORT_H
#define JTLSCOPE_REPORTS_THROTTLE_REPORT_H

#include <cjson/cJSON.h>
#include <stdio.h>
#include "analyzer/throttle/throttle.h"

/* VERDICT and WHAT TO DO paragraphs, then the tables backing them: per-group load and onset,
 * limiter fit with every model's score, scope evidence, Retry-After compliance. */
void throttle_report_text(FILE *f, const struct throttle *t);
/* Adds root.throttle (schema in docs/analysis.md). */
void throttle_report_json(cJSON *root, const struct throttle *t);
/* The same with what the report knows about its inputs (c may be NULL): the text starts with
 * the headline line, the JSON gets throttle.headline. */
struct verdict_context;
void throttle_report_text_ctx(FILE *f, const struct throttle *t, const struct verdict_context *c);
void throttle_report_json_ctx(cJSON *root, const struct throttle *t, const struct verdict_context *c);

/* A compact text timeline of the throttled share of requests to the verdict's group (the
 * primary group, else the whole run), for reports that must stand alone without images: a
 * sparkline of one character per bucket (at most THROTTLE_TIMELINE_COLS; height scaled to the
 * highest share, ' ' = no request, '▁' = none throttled) and one-second rows around the
 * onset. */
#define THROTTLE_TIMELINE_COLS 72
#define THROTTLE_TIMELINE_BEFORE 3   /* rows before the onset's second */
#define THROTTLE_TIMELINE_AFTER 5    /* rows from it on */
struct throttle_timeline_row {
	int64_t ts_ms;                /* start of the second */
	uint64_t sent, throttled;
	bool onset;                   /* the second holding the onset */
};
struct throttle_timeline {
	const char *group;            /* group name, NULL for the whole run */
	char *spark;                  /* UTF-8, owned; NULL: no timeline (nothing throttled) */
	int64_t t0_ms, width_ms;      /* first bucket, bucket width */
	size_t ncols;
	int64_t end_ms;               /* t0_ms + ncols * width_ms */
	char width[32], from[64];     /* width_ms as a duration, t0_ms as a time (report_time) */
	double max_pct;               /* highest throttled share of one bucket */
	size_t nrows;
	struct throttle_timeline_row rows[THROTTLE_TIMELINE_BEFORE + THROTTLE_TIMELINE_AFTER];
};
/* False (and nothing to free) when there is no timeline: nothing throttled, no series; true:
 * tl owns its spark line, freed with throttle_timeline_free. */
bool throttle_timeline_build(struct throttle_timeline *tl, const struct throttle_result *r);
void throttle_timeline_free(struct throttle_timeline *tl);

#endif
