/* whatif.h - "what if": the run's offered load replayed through the fitted limiter under other
 * client policies and loads (issue 16).
 *
 * A trace keeps the run's requests (start, elapsed, user, outcome, Retry-After; bounded by
 * WHATIF_MAX_REQUESTS) and derives the client model from them: the users and when each one
 * started and stopped, the service time of accepted and refused answers (the run's own
 * distributions, sampled), and how a user spaced its requests (start-to-start pacing, as
 * JMeter's Constant Throughput Timer does, or a think time after each answer, whichever varies
 * less in the run).  A scenario is a client policy and a load; whatif_run simulates it through
 * the limiter the throttle analysis fitted (model, parameters, scope) three times: with the
 * point estimate and with every parameter at the low and at the high end of its interval, so
 * each prediction comes with the range the data leave open.  Deterministic: the random draws
 * (service times, jitter) come from a seeded generator.
 *
 *   struct whatif_trace *t = whatif_trace_new();
 *   whatif_trace_add(t, &sample, throttled)       per request (top-level samples), any order
 *   whatif_trace_finish(t);
 *   struct whatif_limiter l;  if (whatif_limiter_from(&l, group)) ...  (false: unknown)
 *   whatif_run(t, &l, &scenario, &prediction);
 *   whatif_trace_free(t);
 *
 * The method and its limits: docs/whatif.md.  OWNER: whatif (issue 16).
 */
#ifndef JTLSCOPE_ANALYZER_WHATIF_H
#define JTLSCOPE_ANALYZER_WHATIF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "analyzer/throttle/throttle.h"
#include "parsers/sample.h"

#define WHATIF_MAX_REQUESTS 1000000u  /* requests kept (later ones counted, not replayed) */
#define WHATIF_MAX_USERS 20000u       /* distinct users (threads) followed; --users at most */
#define WHATIF_MAX_KEYS 20000u        /* limiter partitions simulated (the rest share one) */
#define WHATIF_RESERVOIR 4096u        /* samples kept of each distribution (service, gaps) */
#define WHATIF_MAX_SIM 2000000u       /* requests one simulation issues at most */
#define WHATIF_HORIZON_X 20           /* time-to-target search: up to this many run lengths */
#define WHATIF_LOG_MAX 65536u         /* sliding-log entries per partition (larger limits:
					 the sliding counter approximation) */
#define WHATIF_SERIES_MAX 600u        /* accepted-rate buckets per scenario (width doubles) */
#define WHATIF_MAX_SCENARIOS 16
#define WHATIF_SEARCH_USERS 10000u    /* highest user count the safe-load search tries */
#define WHATIF_MIN_SPACING_S 0.001    /* a user's median spacing at least (the clock's tick) */

/* ---- the run's requests ---------------------------------------------------------------- */

struct whatif_trace;

struct whatif_trace *whatif_trace_new(void);
void whatif_trace_free(struct whatif_trace *t);
/* One request: its start, elapsed, user (thread name, generator), success flag, Retry-After;
 * throttled = the throttle analysis counts it as a throttle signal. */
void whatif_trace_add(struct whatif_trace *t, const struct sample *s, bool throttled);
void whatif_trace_finish(struct whatif_trace *t);

/* What the trace holds (after finish). */
struct whatif_recorded {
	uint64_t requests, throttled, accepted;  /* accepted = not throttled */
	uint64_t dropped;                        /* beyond WHATIF_MAX_REQUESTS or users */
	uint32_t users;
	double span_s;                           /* first start to last end */
	double accepted_per_s;                   /* accepted / span */
	double first_throttle_s;                 /* from the first start; -1 none */
	double svc_ok_p50_ms, svc_rej_p50_ms;    /* elapsed of accepted / throttled answers */
	bool pacing;                             /* users paced start-to-start (else think time) */
	double interval_p50_s;                   /* median start-to-start after an accepted answer */
	double ramp_s;                           /* first start of the last user to start */
	uint32_t max_user_requests;              /* the busiest user's request count */
	double retry_after_s;                    /* the Retry-After the run's throttles carried:
						    the common value when fixed, -1 varying
						    (countdown), 0 none */
	uint64_t retry_after_seen;
};
const struct whatif_recorded *whatif_recorded(const struct whatif_trace *t);

/* ---- the limiter ------------------------------------------------------------------------- */

enum whatif_model { WM_TOKEN_BUCKET = 1, WM_FIXED_WINDOW, WM_SLIDING_WINDOW, WM_CONCURRENCY };
enum whatif_key { WK_SHARED = 0, WK_USER, WK_GROUP, WK_HOST };

struct whatif_limiter {
	enum whatif_model model;
	enum whatif_key key;          /* partition: shared, per user (thread / connection), per
					 thread group (tenants), per generator host */
	const char *key_name;         /* the analysis' key ("shared", "thread", ...); static or
					 owned by the analysis */
	/* point estimate, low end, high end: [0], [1], [2] */
	double rate[3], burst[3];     /* token bucket */
	double limit[3], window_s[3]; /* windows */
	int64_t phase_ms;             /* fixed window: one boundary (epoch ms) */
	double concurrency[3];
};

/* The limiter the analysis fitted for a group; false (why set) when there is none to replay:
 * no throttling, or the model is unknown. */
bool whatif_limiter_from(struct whatif_limiter *l, const struct throttle_group *g, const char **why);
const char *whatif_model_name(enum whatif_model m);

/* ---- scenarios --------------------------------------------------------------------------- */

enum whatif_policy {
	WP_NONE = 0,            /* as recorded: after a throttle, the user waits as it did */
	WP_HONOUR_RA,           /* waits Retry-After (or the limiter's own wait) after a throttle */
	WP_BACKOFF,             /* exponential back-off after consecutive throttles */
	WP_PACE,                /* all users together at most pace_rate requests per second */
	WP_REPLAY,              /* the recorded start times, open loop (the model check) */
};

struct whatif_scenario {
	char name[96];
	enum whatif_policy policy;
	double backoff_base_s, backoff_max_s;
	bool backoff_jitter;
	double pace_rate;       /* WP_PACE: requests per second, all users */
	/* load: users == 0 keeps the recorded users (their start times and request counts) */
	uint32_t users;
	double user_pace_s;     /* start-to-start per user; 0: the run's own spacing */
	double ramp_s;
	double duration_s;      /* 0: the recorded span */
	double retry_after_s;   /* honour-retry-after: the server's fixed Retry-After when the
				   run does not show it (CSV JTLs keep no headers); 0: the run's
				   own value, else the limiter's exact wait rounded up to seconds */
	uint64_t user_quota;    /* --users: requests per user at most (a loop count); 0 none */
	bool open_loop;         /* arrivals ignore the answers (recorded starts, or users/pace
				   as a steady stream) */
	uint64_t seed;
};

/* Parse "none", "honour-retry-after" (also honor-), "backoff=exp,base=1s,max=60s[,jitter]",
 * "pace=18/s" into sc (name set); false with a message in err. */
bool whatif_policy_parse(struct whatif_scenario *sc, const char *text, char *err, size_t errlen);

struct whatif_value {   /* one prediction: point estimate and the range over the interval */
	double v, lo, hi;
};

struct whatif_prediction {
	uint64_t sent;                 /* point estimate (counts at the interval ends in the ranges) */
	struct whatif_value requests, accepted, throttled, share, accepted_per_s;
	struct whatif_value first_throttle_s;   /* -1: no throttle */
	struct whatif_value same_success_s;     /* time to as many accepted requests as recorded;
						   -1 not reached within the horizon */
	struct whatif_value max_users;          /* highest --users at the pacing with no throttle;
						   -1 not searched, WHATIF_SEARCH_USERS+: no limit
						   found */
	double max_users_pace_s;                /* the pacing searched */
	bool truncated;                         /* a simulation hit WHATIF_MAX_SIM */
	/* accepted per bucket, point estimate (chart); series_t0 = run start */
	double series_width_s;
	size_t nseries;
	uint32_t series[WHATIF_SERIES_MAX];
};

/* Simulate a scenario.  0 ok, -1 (err) when the scenario cannot run on this trace (no users). */
int whatif_run(const struct whatif_trace *t, const struct whatif_limiter *l,
	       const struct whatif_scenario *sc, bool search_users, struct whatif_prediction *p,
	       char *err, size_t errlen);
/* The sustained rate the limiter admits over all the recorded partitions (req/s), for the
 * default pace; 0 when it cannot be told (concurrency without a service time). */
double whatif_limiter_rate(const struct whatif_trace *t, const struct whatif_limiter *l, int ix);

/* The recorded accepted requests per bucket of the same width as a prediction's series. */
size_t whatif_recorded_series(const struct whatif_trace *t, double width_s, uint32_t *out, size_t max);

#endif
