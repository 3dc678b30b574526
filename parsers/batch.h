/* batch.h - samples with their strings copied into one arena, so a batch can cross threads
 * (the parser fills it, the analyzer reads it) while the reader's buffers move on.
 *
 * Ownership: the batch owns every string its samples point at, until batch_reset or
 * batch_free. */
#ifndef JTLSCOPE_PARSERS_BATCH_H
#define JTLSCOPE_PARSERS_BATCH_H

#include <stddef.h>
#include "parsers/sample.h"

#define BATCH_SAMPLES 2048

struct sample_batch {
	struct sample s[BATCH_SAMPLES];
	size_t n;
	char *arena;
	size_t used, cap;
};

void batch_init(struct sample_batch *b);
void batch_free(struct sample_batch *b);
void batch_reset(struct sample_batch *b);
static inline int batch_full(const struct sample_batch *b) { return b->n == BATCH_SAMPLES; }
/* Append a deep copy of s (strings into the arena). */
void batch_push(struct sample_batch *b, const struct sample *s);

#endif
