/* sample.h - one JMeter sample, the record that crosses from parsers/ to analyzer/.
 *
 * All strref fields are borrowed from the reader and valid only until the next *_next() call on
 * it; a consumer that keeps a string must copy (intern) it.  A field absent from the input has
 * p == NULL; present-but-empty has p != NULL, n == 0.
 */
#ifndef JTLSCOPE_PARSERS_SAMPLE_H
#define JTLSCOPE_PARSERS_SAMPLE_H

#include <stdbool.h>
#include <stdint.h>
#include "common/util.h"
#include "parsers/ratelimit.h"

/* Which numeric fields were present (bit per field). */
enum sample_has {
	SH_ELAPSED = 1u << 0,
	SH_LATENCY = 1u << 1,
	SH_CONNECT = 1u << 2,
	SH_BYTES = 1u << 3,
	SH_SENT_BYTES = 1u << 4,
	SH_GRP_THREADS = 1u << 5,
	SH_ALL_THREADS = 1u << 6,
	SH_SAMPLE_COUNT = 1u << 7,
	SH_ERROR_COUNT = 1u << 8,
	SH_IDLE = 1u << 9,
	SH_SUCCESS = 1u << 10,
	SH_TS = 1u << 11,
};

struct sample {
	int64_t ts_ms;          /* sample start, epoch milliseconds (JMeter's timeStamp) */
	int64_t elapsed_ms;
	int64_t latency_ms;     /* time to first byte */
	int64_t connect_ms;
	int64_t idle_ms;
	int64_t bytes;
	int64_t sent_bytes;
	int64_t grp_threads;
	int64_t all_threads;
	int64_t sample_count;   /* >1 for aggregated samples (JMS etc.) */
	int64_t error_count;
	bool success;
	unsigned has;           /* enum sample_has */

	struct strref label;
	struct strref code;         /* responseCode, as text ("200", "Non HTTP response code: ...") */
	struct strref message;      /* responseMessage */
	struct strref thread;       /* threadName */
	struct strref data_type;
	struct strref failure;      /* failureMessage */
	struct strref url;
	struct strref hostname;     /* JMeter generator host */
	struct strref filename;
	struct strref encoding;
	struct strref body;         /* response body or WebSocket text, when the source has it
				       (bounded prefix; captures); used by --throttle-pattern */

	struct ratelimit rl;        /* parsed response rate-limit headers (XML JTL, captures) */
	struct strref req_host;     /* Host request header / SNI when known (captures, XML) */
	struct strref req_headers;  /* raw request header block ("Name: value" lines), XML JTL
				       with requestHeaders saved; bounded (JTL_MAX_HEADERS_TEXT) */

	uint32_t depth;             /* 0 = top-level sample; >0 = sub-result nesting level */
	bool in_transaction;        /* depth > 0 and the parent is a Transaction Controller's
				       parent sample: a real request, not an embedded resource */
	bool throttle_only;         /* for the throttle analysis only, not the statistics: such
				       a child when sub-results were not asked for */
	uint64_t line;              /* input line (1-based) where the record starts; 0 if n/a */
	uint64_t conn_id;           /* capture connection id (0 for JTL) */
	uint32_t source;            /* index of the input this came from among the run's inputs
				       (one JTL per load generator: the generator) */
	/* hash_bytes() of label and thread, computed by the reader on its own thread so that the
	 * analysis thread's table lookups need not hash them again; 0 = not computed (the
	 * consumer hashes).  Valid only while label / thread are unchanged: whoever rewrites
	 * one of them clears its hash (sample_hash). */
	uint64_t label_hash;
	uint64_t thread_hash;
};

void sample_clear(struct sample *s);

/* Fill label_hash and thread_hash from the current label and thread. */
void sample_hash(struct sample *s);
/* The hash of a field whose precomputed hash is h (0: compute it now). */
static inline uint64_t sample_field_hash(struct strref r, uint64_t h)
{
	return h ? h : hash_bytes(r.p ? r.p : "", r.n);
}

/* Numeric value of an HTTP status in s->code, or -1 if it is not a 3-digit code. */
int sample_status(const struct sample *s);

#endif
