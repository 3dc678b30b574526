/* throttle_verdict.h - the headline, VERDICT and WHAT TO DO paragraphs of a throttle result,
 * in English, written from its numbers and enums (analyzer/throttle/ returns no sentences).
 * The verdict says what happened in short sentences; the statistics behind each claim
 * (model score, replay mismatches, dispersion, AUC, CV) are in the report's tables. */
#ifndef JTLSCOPE_REPORTS_THROTTLE_VERDICT_H
#define JTLSCOPE_REPORTS_THROTTLE_VERDICT_H

#include <stdbool.h>
#include <stdint.h>
#include "analyzer/throttle/throttle.h"

struct analysis;

/* What the verdict needs to know beyond the throttle result (from struct analysis). */
struct verdict_context {
	bool headers_unrecorded;      /* every input is a CSV: response headers were not saved */
	bool inband;                  /* the throttle signals were in WebSocket messages */
	const char *dominant_failure; /* the most frequent failure that is not throttling, or NULL */
	uint64_t dominant_count;      /* its failed samples */
	uint64_t failures;            /* failed samples that were not throttle signals */
	uint64_t samples;             /* all samples */
};
/* The context of an analysis (a may be NULL: everything unknown). */
void verdict_context_init(struct verdict_context *c, const struct analysis *a);

/* The headline (one line, no final stop), the verdict and the advice as plain text; headline
 * may be NULL when not wanted; c may be NULL (nothing known beyond r).  The caller frees
 * every string it asked for. */
void throttle_verdict_full(const struct throttle_result *r, const struct verdict_context *c,
			   char **headline, char **verdict, char **advice);
/* Both paragraphs without context (throttle_verdict_full(r, NULL, NULL, ...)); the caller
 * frees both. */
void throttle_verdict(const struct throttle_result *r, char **verdict, char **advice);

#endif
