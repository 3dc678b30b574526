/* replay.h - the limiter's decisions replayed: which limiter model, with which parameters and
 * which partition key, explains the observed accept/reject sequence (issue 10).
 *
 * The throttle analysis keeps a bounded record of the requests around the throttling (start,
 * elapsed, outcome and the value of every candidate partition key), then replays that arrival
 * sequence through every candidate limiter — token bucket (GCRA and nginx limit_req are token
 * buckets), fixed window, sliding-window log, sliding-window counter, concurrency cap — under
 * every candidate partition key — shared, each request header whose value differs between
 * senders, thread group, client host, connection, thread, label.  The state of a replayed
 * limiter follows the *observed* decisions (an accepted request always takes its token, its
 * window slot, its concurrency slot), so one timing error costs one request, not the rest of
 * the run, and the discrete parameter (capacity, limit per window, cap) can be scored for every
 * value in one pass.  Every candidate is scored on the same requests by the number of decisions
 * it gets wrong; candidates are compared on that count plus a penalty per parameter, and each
 * parameter's interval is the set of values whose best count stays within a tolerance of the
 * best.  The methods and their limits are in docs/analysis.md ("Replay").
 *
 *   struct replay *r = replay_new();          never NULL (aborts on OOM)
 *   replay_add(r, &sample, group, reject)     per request, any order
 *   replay_fit(r, &in, &fit)                  after the last add, per group (fit owns strings
 *                                             until replay_fit_release)
 *   replay_free(r);
 * OWNER: throttle analysis.
 */
#ifndef JTLSCOPE_ANALYZER_THROTTLE_REPLAY_H
#define JTLSCOPE_ANALYZER_THROTTLE_REPLAY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "parsers/sample.h"

#define REPLAY_PRE_MAX 32768u      /* requests kept before the first rejection (a ring) */
#define REPLAY_MAX 262144u         /* requests kept from the first rejection on */
#define REPLAY_FIT_MAX 30000u      /* requests replayed per fit (refused ones thinned above) */
#define REPLAY_FIT_ACCEPTS 20000u  /* accepted requests replayed per fit at most */
#define REPLAY_FIT_SPAN_MS 600000  /* ... within this stretch */
#define REPLAY_LEAD_MS 30000       /* the window starts this long before the first rejection */
#define REPLAY_HDRS 4u             /* request headers followed as candidate keys */
#define REPLAY_VALUES 4096u        /* distinct values per key (more: not a partition key) */
#define REPLAY_MIN_REJECTS 8u      /* fewer rejections: nothing is identifiable */
#define REPLAY_NAME_MAX 160u       /* key value names are cut to this many bytes */

enum replay_key {
	RK_SHARED = 0,
	RK_HDR0,                    /* RK_HDR0 .. RK_HDR0 + REPLAY_HDRS - 1 */
	RK_TGROUP = RK_HDR0 + REPLAY_HDRS,
	RK_HOST,                    /* generator: input file x Hostname column */
	RK_CONN,                    /* captured TCP connection */
	RK_THREAD,
	RK_LABEL,
	RK_COUNT
};

enum replay_model {
	RM_NONE = 0,
	RM_TOKEN_BUCKET,
	RM_FIXED_WINDOW,
	RM_SLIDING_LOG,
	RM_SLIDING_COUNTER,
	RM_CONCURRENCY,
	RM_COUNT
};

struct replay;

struct replay *replay_new(void);
void replay_free(struct replay *r);
/* One request.  reject: the analysis counted it as a throttle signal; plain_503 marks a 503
 * without rate-limit headers (candidate signal when nothing else was throttled). */
void replay_add(struct replay *r, const struct sample *s, uint32_t group, bool reject,
		bool plain_503);
/* Requests seen / kept (the rest was outside the kept stretch). */
uint64_t replay_seen(const struct replay *r);
uint64_t replay_kept(const struct replay *r);

/* Distinct senders (threads, or connections in a capture) of a group (UINT32_MAX: any) with a
 * request started in (from_ms, to_ms]; false when the kept requests may not cover that
 * stretch (then the caller counts another way). */
bool replay_active_senders(const struct replay *r, uint32_t group, int64_t from_ms, int64_t to_ms,
			   uint32_t *out);

/* Start of the earliest rejected request of a group (UINT32_MAX: any) in [from_ms, to_ms)
 * (rejections = throttle signals, or the plain 503s when use_503); false if none was kept. */
bool replay_first_reject(const struct replay *r, uint32_t group, int64_t from_ms, int64_t to_ms,
			 bool use_503, int64_t *out);

struct replay_in {
	uint32_t group;             /* UINT32_MAX: every group */
	bool use_503;               /* rejections are the plain 503s (headerless probable case) */
	double countdown_window_s;  /* > 0: a window length announced by countdown Retry-After */
	double declared_window_s;   /* > 0: RateLimit-Policy w= */
};

struct replay_cand {              /* the best parameters of one model under one key */
	bool fitted;
	uint64_t miss;              /* decisions it gets wrong */
	double cost;                /* miss + parameter penalty */
	double rate_per_s, rate_lo, rate_hi;     /* token bucket; sliding: limit / window */
	double burst, burst_lo, burst_hi;        /* token bucket capacity */
	double limit, limit_lo, limit_hi;        /* windows: requests per window; concurrency cap */
	double window_s, window_lo, window_hi;
	double phase_s;                          /* fixed window: a boundary, epoch seconds mod window */
};

struct replay_value {             /* one value of the chosen key */
	char *name;
	uint64_t requests, rejected;
	double offered_per_s, accepted_per_s;
	bool throttled;
};

struct replay_fit {
	bool done;                  /* false: why says why */
	const char *why;            /* static text, or NULL */
	uint64_t requests, rejected;/* in the replayed window (after thinning) */
	size_t thinned;             /* 1 = every refused request replayed; k = one in k */
	double span_s;              /* length of the replayed stretch (from 30 s before the first
				       refusal) */
	uint64_t null_miss;         /* a predictor that knows each second's majority outcome */
	enum replay_model model;    /* best model (its class: see replay_model_class) */
	enum replay_key key;        /* best key */
	char *key_name;             /* "shared", "header:X-Tenant", "thread-group", ... (owned) */
	struct replay_cand best;
	double skill;               /* 1 - miss / null_miss */
	double model_margin;        /* cost of the best other model class - best cost */
	double key_margin;          /* cost of the best non-equivalent other key - best cost */
	enum replay_key runner_key; /* that other key (RK_COUNT: none) */
	enum replay_model runner_model;
	bool rate_identifiable;     /* the rate's interval is narrow enough to be reported */
	bool latency_tracks_load;   /* accepted latency grows with the requests in flight */
	bool lockstep;              /* the senders sent in rounds, together (see replay_fit.c) */
	uint32_t rounds;            /* ... how many rounds */
	double accepted_per_round;  /* ... median accepted requests per round */
	double inflight_latency_ratio; /* p50 elapsed at high / low in-flight, -1 n/a */
	unsigned equiv;             /* bit per key that partitions the requests as the best does */
	struct replay_cand cands[RK_COUNT][RM_COUNT];
	bool key_used[RK_COUNT];
	char *key_names[RK_COUNT];  /* owned */
	struct replay_value *values;/* of the best key, by name; owned */
	size_t nvalues;
	double reject_el_p50_ms, accept_el_p50_ms;
};

void replay_fit(struct replay *r, const struct replay_in *in, struct replay_fit *out);
void replay_fit_release(struct replay_fit *f);

const char *replay_model_name(enum replay_model m);  /* "token-bucket", ... */
/* Two sliding-window variants are one class. */
enum replay_model replay_model_class(enum replay_model m);

#endif
