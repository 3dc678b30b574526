/* throttle_verdict.h - the VERDICT and WHAT TO DO paragraphs of a throttle result, in
 * English, written from its numbers and enums (analyzer/throttle/ returns no sentences). */
#ifndef JTLSCOPE_REPORTS_THROTTLE_VERDICT_H
#define JTLSCOPE_REPORTS_THROTTLE_VERDICT_H

#include "analyzer/throttle/throttle.h"

/* Both paragraphs as plain text into *verdict and *advice, never NULL; the caller frees
 * both. */
void throttle_verdict(const struct throttle_result *r, char **verdict, char **advice);

#endif
