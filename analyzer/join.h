/* join.h - match JTL samples to the HTTP exchanges a capture of the same run saw, and split
 * each matched sample's elapsed time into TCP connect, request send, server time (request last
 * byte -> response first byte), transfer and the client-side remainder.
 *
 * Streaming and bounded: the capture is read ahead of the JTL samples (both come roughly in
 * completion order) into a window of pending exchanges (JOIN_MAX_PENDING, JOIN_WINDOW_MS);
 * an exchange that leaves the window unmatched is counted, not kept.  A sample matches the
 * unmatched exchange with the same host, path and status whose request began closest to the
 * sample's start, within JOIN_TOLERANCE_MS.  When two candidates are equally close
 * (JOIN_TIE_MS), the one on the connection this JMeter thread used last wins (JMeter keeps a
 * thread's keep-alive connection); if that does not decide, the sample is counted as ambiguous
 * and left unmatched rather than guessed.
 *
 * Encrypted exchanges (TLS without a key log: CAP_EV_TLS_EXCHANGE) show no host, path or
 * status.  An https sample that found no HTTP exchange is matched to one on its server port
 * (and SNI or server address) by timing: request start vs the sample's start plus its connect
 * time, response end vs the sample's end, both within JOIN_TOLERANCE_MS; the connection this
 * thread used last wins unless another exchange is JOIN_TLS_SLACK_MS closer. */
#ifndef JTLSCOPE_ANALYZER_JOIN_H
#define JTLSCOPE_ANALYZER_JOIN_H

#include <stdbool.h>
#include <stdint.h>
#include "analyzer/hist.h"
#include "parsers/capture/capture.h"
#include "parsers/sample.h"

#define JOIN_MAX_PENDING 200000   /* exchanges waiting for their sample */
#define JOIN_WINDOW_MS 60000      /* how far behind the samples an exchange may wait */
#define JOIN_AHEAD_MS 5000        /* how far the capture is read ahead of the samples */
#define JOIN_TOLERANCE_MS 2000    /* request start vs sample start */
#define JOIN_TIE_MS 1             /* two candidates this close are ambiguous */
#define JOIN_TLS_SLACK_MS 50      /* encrypted: the thread's own connection wins within this */
#define JOIN_MAX_LABELS 10000

enum join_part { JP_CONNECT, JP_SEND, JP_SERVER, JP_TRANSFER, JP_CLIENT, JP__COUNT };

struct join_label {
	char *label;
	uint64_t matched;
	struct hist part[JP__COUNT];   /* ms */
};

struct join {
	struct capture *cap;           /* borrowed */
	bool cap_done;
	int64_t cap_time_ms;           /* completion time of the last event read */
	uint64_t matched, unmatched_samples, unmatched_exchanges, ambiguous, samples;
	uint64_t matched_tls;          /* of matched: to encrypted exchanges (timing + connection) */
	uint64_t tls_exchanges;        /* encrypted exchanges read from the capture */
	struct join_label *labels;     /* sorted by label after join_finish */
	size_t nlabels;
	/* private */
	struct join_pend *pend;        /* ring of pending exchanges */
	size_t head, count, cap_pend;
	uint64_t *slots;               /* hash slot -> seq + 1 of the newest entry in its chain */
	size_t nslots;
	struct strmap *label_ids;
	struct strmap *thread_ids;     /* JMeter thread -> index into thread_conn */
	uint64_t *thread_conn;         /* connection id of the thread's last matched exchange */
	size_t thread_cap;
	char err[300];
};

void join_init(struct join *j, struct capture *cap);
/* The exchange a sample was matched to. */
struct join_match {
	uint64_t conn;
	int64_t start_ms, end_ms;      /* request first byte .. response last byte */
	uint64_t resp_bytes;           /* response bytes (encrypted: record payload bytes) */
	bool tls;                      /* matched to an encrypted exchange */
	struct ratelimit rl;           /* the captured response's rate-limit headers (Retry-After
					  ...): a CSV keeps none, the capture does */
};

/* Feed one JTL sample (any order close to completion order); true and *m when it matched. */
bool join_sample(struct join *j, const struct sample *s, struct join_match *m);
/* Read the rest of the capture; every exchange still pending is unmatched. Returns false if the
 * capture failed (message in j->err). */
bool join_finish(struct join *j);
void join_free(struct join *j);

#endif
