/* analysis.h - the read-only model reports are written from.
 *
 *   struct analysis *a = analysis_new(&cfg, err, sizeof err);
 *   analysis_add(a, &sample) ... for every sample of every input;
 *   analysis_finish(a);   then reports read the fields below;   analysis_free(a);
 *
 * Memory grows with distinct labels (capped at ANALYSIS_MAX_LABELS, the rest folded into one
 * "(other labels)" row), codes and threads - never with the number of samples, and not with the
 * run's duration past ANALYSIS_MAX_BUCKETS series buckets (the width doubles instead).
 */
#ifndef JTLSCOPE_ANALYZER_ANALYSIS_H
#define JTLSCOPE_ANALYZER_ANALYSIS_H

#include <stdbool.h>
#include <stdint.h>
#include "analyzer/hist.h"
#include "analyzer/join.h"
#include "analyzer/label_series.h"
#include "analyzer/strmap.h"
#include "analyzer/throttle/throttle.h"
#include "parsers/sample.h"

#define ANALYSIS_MAX_LABELS 10000
#define ANALYSIS_MAX_CODES 1000
#define ANALYSIS_MAX_GROUPS 1000
#define ANALYSIS_MAX_BUCKETS 8192     /* series width doubles when a run needs more */
#define ANALYSIS_OTHER_LABEL "(other labels)"
#define ANALYSIS_MAX_SEGMENTS 20000  /* captured exchanges kept for the per-connection chart */

#define ANALYSIS_MAX_ERROR_TYPES 1000  /* error rows kept, the last one folding later types */
#define ANALYSIS_MAX_LABEL_ERRORS 64   /* distinct error types counted per label */
#define ANALYSIS_ERROR_TYPE_MAX 200    /* bytes of a type (cut at a character boundary) */
#define ANALYSIS_OTHER_ERRORS "(other error types)"
#define ANALYSIS_TOP_LABEL_ERRORS 5    /* "Top 5 errors by sampler" */

struct analysis_config {
	int64_t bucket_ms;                 /* series bucket width, default 1000 */
	struct throttle_config throttle;
	bool no_throttle;                  /* skip throttle analysis (summaries of plain stats) */
	int64_t apdex_satisfied_ms;        /* APDEX T (JMeter's default 500) */
	int64_t apdex_tolerated_ms;        /* APDEX F (JMeter's default 1500) */
};

#define ANALYSIS_APDEX_SATISFIED_MS 500
#define ANALYSIS_APDEX_TOLERATED_MS 1500

void analysis_config_default(struct analysis_config *c);

/* Statistics of one set of samples (overall, a label). */
struct stats {
	char *name;
	uint64_t count;
	uint64_t errors;         /* success == false */
	uint64_t throttled;
	struct hist elapsed;     /* all samples (HIST_FINE); complete after analysis_finish */
	struct hist elapsed_ok;  /* successful samples only */
	struct hist elapsed_err; /* failed samples (private: elapsed = ok + err at finish) */
	int64_t first_ts, last_ts;   /* first and last sample start */
	int64_t last_end;            /* last sample end (ts + elapsed) */
	uint64_t bytes, sent_bytes;
	double latency_sum, connect_sum;
	uint64_t latency_n, connect_n;
	uint64_t bytes_n, sent_n;    /* samples that had the bytes / sentBytes column */
	/* APDEX as JMeter's ApdexSummaryConsumer: successful samples with elapsed <= T are
	 * satisfied, <= F tolerated; every other sample (slower, or failed) is frustrated;
	 * score = (satisfied + tolerated / 2) / apdex_n.  apdex_n != count (merged summaries,
	 * which keep no APDEX counts): not known. */
	uint64_t apdex_satisfied, apdex_tolerated, apdex_n;
	/* labels only, after analysis_finish: this label's error types, most frequent first
	 * (type = index into analysis.errors; SIZE_MAX = ANALYSIS_OTHER_ERRORS).  NULL in merged
	 * summaries, which keep no error types. */
	struct label_error *errs;
	size_t nerrs, errs_cap;
};

/* One of JMeter's dashboard error types (ErrorsSummaryConsumer.getErrorKey): "CODE/MESSAGE"
 * (responseCode, responseMessage), or, when the code is a success (2xx/3xx) or empty with a
 * failureMessage, that failure message (an assertion: "The operation lasted too long: ...";
 * "Assertion failed" without one).  Unlike JMeter, every number in the message is folded into
 * "N", so that "It took 1203 milliseconds" and "It took 1187 milliseconds" are one type;
 * example keeps the first message in full. */
struct error_type {
	char *type;
	char *example;         /* the first such sample's text, numbers kept */
	uint64_t count;        /* failed samples (success == false) of this type */
	uint64_t throttled;    /* of which throttle signals */
};

struct label_error {
	size_t type;
	uint64_t count;
};

struct code_count {
	char *code;
	uint64_t count;
};

struct series_bucket {
	uint64_t count, throttled, errors;
	uint64_t by_class[6];     /* 1xx..5xx, [0] = not an HTTP status */
	int64_t max_all_threads;  /* max allThreads seen in the bucket, -1 if none */
	uint32_t active_threads;  /* distinct threads active (from per-thread spans) */
	uint64_t bytes;
	struct hist elapsed;      /* HIST_COARSE; complete after analysis_finish */
	struct hist elapsed_ok;
	struct hist elapsed_err;  /* private, merged into elapsed at finish */
};

struct series {
	int64_t base_ms;          /* start of bucket 0 (multiple of width_ms) */
	int64_t width_ms;
	struct series_bucket *b;  /* b[0 .. n) */
	size_t n;
	/* private: b is bucket `front` of an allocation of `cap` buckets; the slack on either side
	 * lets the series grow at both ends by amortised O(1) (capacity doubles), and coarsening
	 * merges bucket pairs in place.  Release with analysis_series_release. */
	size_t front, cap;
};

struct input_info {
	char *path;
	char *format;             /* "csv", "xml", "pcap", ... */
	bool gzip;
	uint64_t records, skipped, headers_repeated;
	uint64_t bytes;           /* decompressed bytes read */
	uint64_t unknown_elements; /* XML: children of <testResults> that are not samples */
	bool truncated;
	char *error;              /* fatal error, or NULL */
};

/* What captures among the inputs showed (counters of parsers/capture, summed over inputs). */
struct capture_totals {
	uint64_t inputs, packets, connections, exchanges, websocket_frames, tls_connections;
	uint64_t retransmissions, incomplete;
	uint64_t websocket_exchanges, websocket_pushes;  /* client messages; unanswered server ones */
	uint64_t tls_exchanges, tls_encrypted;           /* record-run exchanges; conns not decrypted */
	uint64_t tls_decrypted;                          /* TLS connections decrypted with a key log */
	uint64_t tls_no_keys, tls_decrypt_failed;        /* handshakes not in the key log; bad records */
	uint64_t segments, reused_tuples;                /* time stretches; tuples reused after close */
	struct code_count *sizes;  /* TLS: response size class ("1.2-1.3 KB") -> exchanges */
	size_t nsizes;
	struct code_count *codes;  /* HTTP status -> responses, sorted after finish */
	size_t ncodes;
};

/* One captured exchange for the per-connection strip chart. */
enum segment_outcome { SEG_OK = 0, SEG_THROTTLED, SEG_ERROR };
struct conn_segment {
	uint64_t conn;            /* capture connection id (1, 2, ... in order of first packet) */
	int64_t start_ms, end_ms;
	uint8_t outcome;          /* enum segment_outcome */
};

struct analysis {
	struct analysis_config cfg;
	struct conn_segment *segments; /* the first ANALYSIS_MAX_SEGMENTS exchanges, by arrival */
	size_t nsegments, segments_cap;
	uint64_t segments_dropped;
	struct capture_totals capture;
	struct stats overall;     /* the sum of all labels, complete after analysis_finish */
	struct stats *labels;     /* sorted by name after finish */
	size_t nlabels;
	uint64_t labels_folded;   /* samples folded into ANALYSIS_OTHER_LABEL */
	struct code_count *codes; /* sorted by code after finish */
	size_t ncodes;
	struct code_count *groups; /* thread groups (thread name minus " N-M"), sorted */
	size_t ngroups;
	uint64_t threads;          /* distinct thread names */
	int64_t max_all_threads;   /* max allThreads, -1 if the column is absent */
	uint64_t no_timestamp;     /* samples without a timestamp (not in the series) */
	struct series series;
	struct lseries_set lseries; /* per-label time series (bounded: label_series.h) */
	struct input_info *inputs;
	size_t ninputs;
	uint64_t skipped;          /* all inputs */
	/* JMeter's Errors table, complete after analysis_finish: types most frequent first */
	struct error_type *errors;
	size_t nerrors;
	uint64_t errors_folded;    /* failed samples folded into ANALYSIS_OTHER_ERRORS (its row is
				      in errors too, type ANALYSIS_OTHER_ERRORS) */
	/* The dominant failure that is not throttling, for the verdict: the type with the most
	 * failed samples that were not throttle signals; NULL when every failure was one (or
	 * none failed).  count = its non-throttle failures; share = count / nonthrottle_failures. */
	const struct error_type *dominant_failure;
	uint64_t dominant_failure_count;
	double dominant_failure_share;
	uint64_t nonthrottle_failures;  /* failed samples that were not throttle signals */
	struct throttle *throttle; /* NULL when disabled */
	const struct join *join;   /* JTL <-> capture join, set by the caller (borrowed), or NULL */
	const char *join_note;     /* why captures were not joined, or NULL */

	/* private */
	struct strmap label_map, code_map, group_map, thread_map, error_map;
	struct strbuf error_key, error_raw; /* scratch: the current failed sample's type */
	size_t errors_cap;
	size_t labels_cap, codes_cap, groups_cap;
	int64_t *thread_first, *thread_last;
	size_t *thread_group;      /* thread id -> thread group id */
	size_t threads_cap;
	size_t last_code;          /* cache of the previous sample's code id */
	size_t last_label;         /* cache: consecutive samples often share a label */
	bool finished;
};

/* NULL with the message in err (Apdex thresholds the wrong way round, a throttle option
 * throttle_new refuses); the caller frees the analysis with analysis_free. */
struct analysis *analysis_new(const struct analysis_config *c, char *err, size_t errlen);
/* Add one sample.  Returns whether it is a throttle signal: the one classification
 * (throttle_is_signal, run once per sample; false without a throttle analysis) that the
 * statistics, the series and the throttle analysis all counted it with. */
bool analysis_add(struct analysis *a, const struct sample *s);
/* Record an input's diagnostics (copied). */
void analysis_add_input(struct analysis *a, const struct input_info *info);
/* Add a capture's counters (codes not included: analysis_add_capture_code). */
void analysis_add_capture(struct analysis *a, const struct capture_totals *t);
void analysis_add_capture_code(struct analysis *a, int status, uint64_t count);
/* TLS exchanges whose content stayed encrypted, by response size class (kept in input order). */
void analysis_add_capture_size(struct analysis *a, const char *size_class, uint64_t count);
/* Keep one captured exchange for the strip chart (bounded: later ones are only counted). */
void analysis_add_segment(struct analysis *a, uint64_t conn, int64_t start_ms, int64_t end_ms,
			  enum segment_outcome outcome);
void analysis_finish(struct analysis *a);
void analysis_free(struct analysis *a);

/* Building blocks of merging (analysis_merge below): a new empty stats set / bucket,
 * and folding b into a (counters, windows, the success and failure histograms; the "all"
 * histogram is rebuilt by analysis_finish). */
void analysis_stats_init(struct stats *s, const char *name, size_t n);
void analysis_stats_merge(struct stats *a, const struct stats *b);
void analysis_bucket_init(struct series_bucket *b);
void analysis_bucket_merge(struct series_bucket *a, const struct series_bucket *b);
/* The bucket of s holding time ts, created (empty) when outside the span; the width doubles
 * (bucket pairs merged in place) while the span would exceed ANALYSIS_MAX_BUCKETS. */
struct series_bucket *analysis_series_at(struct series *s, int64_t ts);
/* Double the width of s once, merging bucket pairs in place. */
void analysis_series_coarsen(struct series *s);
/* Free the buckets' histograms and the storage; s is empty (width kept) afterwards. */
void analysis_series_release(struct series *s);
/* Id of a thread name, with its span (empty) and group (0) slots grown when it is new (*added);
 * the caller sets thread_group[id] then. */
size_t analysis_thread_slot(struct analysis *a, const char *name, size_t n, bool *added);

/* Error rows: the row of type (created with count 0 when new; past
 * ANALYSIS_MAX_ERROR_TYPES the fold row, *folded set), and adding count failures of row type
 * (SIZE_MAX: the label's catch-all) to a label's list. */
size_t analysis_error_slot(struct analysis *a, const char *type, size_t n, const char *example,
			   size_t example_n, bool *folded);
void analysis_label_errors_add(struct stats *st, size_t type, uint64_t count);

/* Merging (summaries): analysis.c is the only writer of struct analysis, so a loaded summary
 * is folded in through these.  analysis_merge folds src (unfinished, same bucket_ms, else -1 and
 * err) into dst (unfinished): counters, labels, error rows, codes, thread groups and spans, the
 * series, the inputs, and the throttle state (src's inputs numbered after dst's; src->throttle
 * may be coarsened); when only one side has a throttle state, dst ends without one.  The
 * building blocks fold one record each, applying the same caps and folding analysis_add does:
 * an error row (its id), a label's stats (the merged label), a response code / thread group
 * with its count (its id), a thread's span and group, the counters a summary keeps, the span a
 * series must cover (width, first and last ms) and one bucket at ts; analysis_merge_throttle
 * hands a decoded throttle state to a (owned; NULL: none). */
int analysis_merge(struct analysis *dst, const struct analysis *src, char *err, size_t errlen);
size_t analysis_merge_error_type(struct analysis *a, const char *type, const char *example,
				 uint64_t count, uint64_t throttled);
struct stats *analysis_merge_label(struct analysis *a, const struct stats *s);
size_t analysis_merge_code(struct analysis *a, const char *code, uint64_t count);
size_t analysis_merge_thread_group(struct analysis *a, const char *name, uint64_t count);
void analysis_merge_thread(struct analysis *a, const char *name, size_t group, int64_t first,
			   int64_t last);
void analysis_merge_counters(struct analysis *a, uint64_t labels_folded, uint64_t errors_folded,
			     uint64_t no_timestamp, int64_t max_all_threads);
void analysis_merge_series_span(struct analysis *a, int64_t width_ms, int64_t lo_ms, int64_t hi_ms);
void analysis_merge_bucket(struct analysis *a, int64_t ts, const struct series_bucket *b);
void analysis_merge_throttle(struct analysis *a, struct throttle *t);

/* Test window: first sample start .. last sample end, in ms (0, 0 when empty). */
int64_t analysis_start_ms(const struct analysis *a);
int64_t analysis_end_ms(const struct analysis *a);
/* Throughput of a stats set per second over its own window (first start .. last end), as
 * JMeter's Aggregate Report computes it. */
double stats_throughput(const struct analysis *a, const struct stats *s);
/* APDEX score of s in [0, 1], or -1 when not known (no samples, or no APDEX counts). */
double stats_apdex(const struct stats *s);

#endif
