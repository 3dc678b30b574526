/* report.h - writing an analysis in each output format.  Reports only read struct analysis.
 * Output is deterministic: stable order, fixed float formats, no wall-clock stamp unless
 * meta->stamp is set. */
#ifndef JTLSCOPE_REPORTS_REPORT_H
#define JTLSCOPE_REPORTS_REPORT_H

#include <stdbool.h>
#include <stdio.h>
#include "analyzer/analysis.h"

#define REPORT_SCHEMA "jtlscope-report/1"

struct report_meta {
	const char *version;
	const char *command_line;   /* as typed, for the HTML/MD footer; may be NULL */
	const char *stamp;          /* wall-clock stamp text, NULL unless --stamp */
	const char *charts_dir;     /* relative dir with chart images, NULL if none */
};

/* Each returns 0, or -1 if writing failed (errno set). */
int report_text(FILE *f, const struct analysis *a, const struct report_meta *m);
int report_json(FILE *f, const struct analysis *a, const struct report_meta *m);

/* Format a UTC time as "YYYY-MM-DD HH:MM:SS.mmm" into buf (>= 32 bytes). */
void report_utc(char *buf, size_t len, int64_t ms);
/* Format a duration in ms as "1h02m", "2m05s", "12.3 s", "850 ms". */
void report_duration(char *buf, size_t len, int64_t ms);

#endif
