/* throttle.h - throttle analysis: signal, onset, load at onset, region split, limiter model,
 * scope and Retry-After compliance.  Fed one sample at a time; memory grows with run duration /
 * bucket width, groups and threads, never with the sample count.
 *
 * OWNER: throttle analysis (issue 3).  The API below is what analyzer/analysis.c and cli/ call;
 * the result structures are what reports/ read.
 */
#ifndef JTLSCOPE_ANALYZER_THROTTLE_H
#define JTLSCOPE_ANALYZER_THROTTLE_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include "parsers/sample.h"

enum region_by {
	REGION_BY_URL_HOST = 0,  /* host of the sample URL (then Host header / SNI) */
	REGION_BY_HOSTNAME,      /* JMeter generator host column */
	REGION_BY_THREAD_GROUP,  /* thread name up to the last " N-M" */
	REGION_BY_LABEL,
};

struct throttle_config {
	int codes[16];                 /* status codes that signal throttling; default {429} */
	size_t ncodes;
	bool code_503_with_retry_after; /* 503 counts when it carries Retry-After/RateLimit headers */
	const char *pattern;           /* PCRE2 pattern on message/body/frame text, or NULL */
	const char *region_map_path;   /* --region-map FILE, or NULL */
	enum region_by region_by;
	int64_t bucket_ms;             /* report bucket width (--bucket) */
};

void throttle_config_default(struct throttle_config *c);

struct throttle;

/* NULL on a bad configuration (pattern that does not compile, unreadable region map); the
 * message goes into err. */
struct throttle *throttle_new(const struct throttle_config *c, char *err, size_t errlen);
/* Is this sample a throttle signal under the configuration? (also used by reports/series) */
bool throttle_is_signal(const struct throttle *t, const struct sample *s);
void throttle_add(struct throttle *t, const struct sample *s);
void throttle_finish(struct throttle *t);
void throttle_free(struct throttle *t);

#endif
