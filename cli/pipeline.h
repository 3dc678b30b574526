/* pipeline.h - run a sample source (a JTL reader, a capture) on its own thread and hand its
 * samples over in batches, so parsing and analysis use both cores.
 *
 *   struct pipeline *p = pipeline_start(next, src, stop_on_skip);
 *   while ((b = pipeline_next(p))) { for each b->s[i]: analyse; pipeline_done(p, b); }
 *   st = pipeline_finish(p);   // the status that ended the source: JTL_END, JTL_FATAL, ...
 *
 * The source's next() runs only on the pipeline thread (inline in pipeline_next when the thread
 * cannot be created).  A batch from pipeline_next belongs to the pipeline and is valid until
 * pipeline_done; pipeline_finish frees the pipeline.  With stop_on_skip (--strict) the source
 * ends at its first JTL_SKIPPED record, which pipeline_finish then returns; there is no other
 * way to stop it early. */
#ifndef JTLSCOPE_CLI_PIPELINE_H
#define JTLSCOPE_CLI_PIPELINE_H

#include <stdbool.h>
#include "parsers/batch.h"
#include "parsers/jtl.h"

/* Returns JTL_RECORD (s filled), JTL_SKIPPED, JTL_END or JTL_FATAL. */
typedef enum jtl_status (*pipeline_next_fn)(void *src, struct sample *s);

struct pipeline;

/* stop_on_skip: end the source at the first JTL_SKIPPED (--strict). */
struct pipeline *pipeline_start(pipeline_next_fn next, void *src, bool stop_on_skip);
struct sample_batch *pipeline_next(struct pipeline *p);
void pipeline_done(struct pipeline *p, struct sample_batch *b);
/* Joins the thread, frees p; returns the status that ended the source. */
enum jtl_status pipeline_finish(struct pipeline *p);

#endif
