/* state.h - the throttle analysis' state before throttle_finish, as bytes, and the merge of two
 * such states: what `jtlscope summarize` keeps per input and `jtlscope merge` folds, so that the
 * merged analysis reaches the same verdict, onset, limiter and scope as one pass.
 *
 *   struct strbuf b = STRBUF_INIT;  throttle_state_encode(t, &b);      t unfinished
 *   struct throttle *u = throttle_state_decode(b.buf, b.len, err, sizeof err);  NULL: err says why
 *   throttle_merge(dst, u, base, err, sizeof err);   u's inputs become dst's inputs base, base+1...
 *   throttle_free(u);   then throttle_finish(dst) as after a single pass
 *
 * The state is every time grid (sums: they merge exactly), every key's activity grid and its
 * pending Retry-After answers, the Retry-After accumulators, and the bounded replay store with
 * its value tables, of the analysis and of its shadow (headerless 503s) and Transaction
 * Controller analyses.  Merging applies the same bounds one pass applies (axis caps double the
 * bucket width; the replay keeps the ring before the first rejection and REPLAY_MAX requests
 * after it, in input order), so within the bounds the merged analysis is the one pass over the
 * same inputs in the same order.  Requests a summary's replay store had already dropped cannot
 * come back: throttle_merge_dropped() counts them (0: the merge is exact).
 *
 * The bytes are a versioned binary format (THROTTLE_STATE_VERSION, little-endian varints);
 * decoding checks every count, index and width against the analysis' named limits, so a hostile
 * or cut state is an error, never a crash.  OWNER: summaries (issue 12).
 */
#ifndef JTLSCOPE_ANALYZER_THROTTLE_STATE_H
#define JTLSCOPE_ANALYZER_THROTTLE_STATE_H

#include <stddef.h>
#include <stdint.h>
#include "analyzer/throttle/throttle.h"
#include "common/util.h"

#define THROTTLE_STATE_VERSION 1
#define THROTTLE_STATE_MAX_BYTES (256u << 20) /* decoded state larger than this is refused */

/* Append t's state (t not finished) to out. */
void throttle_state_encode(const struct throttle *t, struct strbuf *out);
/* A new unfinished analysis holding the state, which the caller frees with throttle_free;
 * NULL on a malformed state (reason in err). */
struct throttle *throttle_state_decode(const void *p, size_t n, char *err, size_t errlen);
/* Fold src into dst (both unfinished, same signal configuration and grouping, else -1 and err).
 * src's input i is dst's input base + i (one pass numbers inputs in order).  src is consumed
 * (its arrays may be coarsened); free it afterwards. */
int throttle_merge(struct throttle *dst, struct throttle *src, uint32_t base, char *err,
		   size_t errlen);
/* Requests the merged summaries' replay stores had dropped before the merge (0 = exact). */
uint64_t throttle_merge_dropped(const struct throttle *t);
/* The configuration a state was made with (codes, 503 rule, grouping). */
const struct throttle_config *throttle_state_config(const struct throttle *t);

#endif
