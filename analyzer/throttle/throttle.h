/* throttle.h - throttle analysis: signal, onset, load at onset, region split, limiter model,
 * scope and Retry-After compliance.  Fed one sample at a time, in any order; memory grows with
 * run duration / bucket width, groups and threads, never with the sample count.
 *
 *   struct throttle_config c;  throttle_config_default(&c);  ...set options...
 *   struct throttle *t = throttle_new(&c, err, sizeof err);      NULL: message in err
 *   for each sample:  throttle_add(t, &s);
 *   throttle_finish(t);
 *   const struct throttle_result *r = throttle_result(t);       read-only, owned by t
 *   throttle_free(t);                                           r and its strings die here
 *
 * The methods (and the reasons for every threshold) are described in docs/analysis.md.
 * OWNER: throttle analysis (issue 3).
 */
#ifndef JTLSCOPE_ANALYZER_THROTTLE_H
#define JTLSCOPE_ANALYZER_THROTTLE_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include "analyzer/region.h"
#include "parsers/sample.h"

/* Named limits (memory bounds).  Exceeding a time-axis cap doubles that axis' bucket width. */
#define THROTTLE_MAX_CODES 16
#define THROTTLE_FINE_MS 100          /* fine bucket width at start (onset, limiter fit) */
#define THROTTLE_FINE_MAX 32768       /* fine buckets per group */
#define THROTTLE_COARSE_MS 1000       /* per-key activity bucket width at start */
#define THROTTLE_COARSE_MAX 2048      /* per-key buckets */
#define THROTTLE_LAT_MS 1000          /* latency histogram bucket width at start */
#define THROTTLE_LAT_MAX 512          /* latency histogram buckets per group */
#define THROTTLE_MAX_KEYS 8192        /* (thread|connection, group) pairs followed one by one */
#define THROTTLE_MAX_SPAN_MS (8LL * 24 * 3600 * 1000) /* samples this far from the first are
								 dropped (and counted) */
#define THROTTLE_RA_VALUES 16         /* distinct Retry-After values listed */
#define THROTTLE_PATTERN_MATCH_LIMIT 100000u
/* In-band throttling in WebSocket messages (samples with code "WS", from captures), matched
 * caselessly on the message text: a JSON "status"/"code"/"statusCode"/"errorCode" of 429,
 * "Too Many Requests" (also too.many.requests), "rate limit exceeded", "rate_limited". */
#define THROTTLE_WS_PATTERN                                                              \
	"\"(?:status|statusCode|code|errorCode|error_code|httpStatus)\"\\s*:\\s*\"?429\\b" \
	"|\\btoo[ ._-]?many[ ._-]?requests\\b"                                             \
	"|\\brate[ ._-]?limit(?:ed|[ ._-]?exceeded)\\b"
#define THROTTLE_PATTERN_DEPTH_LIMIT 10000u

struct throttle_config {
	int codes[THROTTLE_MAX_CODES];  /* status codes that signal throttling; default {429} */
	size_t ncodes;
	bool code_503_with_retry_after; /* 503 counts when it carries Retry-After/RateLimit headers */
	const char *pattern;            /* PCRE2 pattern on message/failure/body text, or NULL */
	const char *region_map_path;    /* --region-map FILE, or NULL */
	enum region_by region_by;
	int64_t bucket_ms;              /* report bucket width (--bucket); not used for the analysis */
};

void throttle_config_default(struct throttle_config *c);

struct throttle;

/* NULL on a bad configuration (pattern that does not compile, unreadable region map); the
 * message goes into err. */
struct throttle *throttle_new(const struct throttle_config *c, char *err, size_t errlen);
/* Is this sample a throttle signal under the configuration? (also used by reports/series) */
bool throttle_is_signal(const struct throttle *t, const struct sample *s);
void throttle_add(struct throttle *t, const struct sample *s);
/* The same, for a caller that already called throttle_is_signal on s (saves a second PCRE2
 * match per sample when --throttle-pattern is set). */
void throttle_add_classified(struct throttle *t, const struct sample *s, bool is_signal);
void throttle_finish(struct throttle *t);
void throttle_free(struct throttle *t);

/* ---- results (valid after throttle_finish, owned by the struct throttle) ---------------- */

enum throttle_model {
	THROTTLE_MODEL_UNKNOWN = 0,
	THROTTLE_MODEL_TOKEN_BUCKET,
	THROTTLE_MODEL_FIXED_WINDOW,
	THROTTLE_MODEL_SLIDING_WINDOW,
	THROTTLE_MODEL_CONCURRENCY,
	THROTTLE_MODEL_COUNT
};

enum throttle_scope {
	THROTTLE_SCOPE_UNKNOWN = 0,
	THROTTLE_SCOPE_SHARED,          /* tenant / global: all keys together */
	THROTTLE_SCOPE_PER_CONNECTION,
	THROTTLE_SCOPE_PER_THREAD,
	THROTTLE_SCOPE_PER_CLIENT,      /* per generator host ("per-client-host") */
	THROTTLE_SCOPE_PER_TENANT,      /* per request header value (tenant, credential) or
					   thread group */
};

/* What the throttle analysis found, at the top level of a report. */
enum throttle_finding {
	THROTTLE_FINDING_NONE = 0,
	THROTTLE_FINDING_RATE_LIMIT,    /* throttle signals (429, 503 + headers, in-band) */
	THROTTLE_FINDING_PROBABLE,      /* no signal kept (503 without headers), but the answers
					   follow a limiter: probable throttling */
	THROTTLE_FINDING_OVERLOAD,      /* 503 shedding that tracks load and latency: an
					   overloaded service, not a rate limit */
};
const char *throttle_finding_name(enum throttle_finding f);

enum throttle_confidence { THROTTLE_CONF_LOW = 0, THROTTLE_CONF_MEDIUM, THROTTLE_CONF_HIGH };

/* "token-bucket", "fixed-window", "sliding-window", "concurrency", "unknown". */
const char *throttle_model_name(enum throttle_model m);
/* "shared", "per-connection", "per-thread", "per-client", "unknown". */
const char *throttle_scope_name(enum throttle_scope s);
const char *throttle_confidence_name(enum throttle_confidence c);
/* What a group is, by region_by: "region", "client host", "thread group", "label". */
const char *throttle_group_kind(enum region_by by);

/* Percentiles of successful samples' elapsed time (ms) in a window; valid when n > 0. */
struct throttle_latency {
	uint64_t n;
	double p50_ms, p95_ms;
	double mean_ms;
};

struct throttle_onset {
	bool detected;                /* sustained throttling found */
	int64_t ts_ms;                /* onset, epoch ms */
	double offset_s;              /* from the start of the test (first sample of the run) */
	int64_t end_ms;               /* end of the last sustained episode */
	uint32_t episodes;            /* sustained episodes (separated by clean stretches) */
	double window_s;              /* trailing window used for threads and rate */
	double key_window_s;          /* the same window snapped to whole per-key buckets */
	uint32_t threads;             /* distinct keys sending to this group in the window */
	uint32_t all_threads;         /* distinct keys sending anywhere in the window */
	int64_t jmeter_all_threads;   /* JMeter's allThreads column in the window (max); -1 n/a */
	double rate_per_s;            /* requests started to this group, trailing window */
	double all_rate_per_s;        /* requests started to any group, trailing window */
	uint32_t inflight;            /* samples of this group whose [ts, ts+elapsed] span onset */
	double latency_window_s;      /* before = [onset-L, onset), baseline = before that */
	double after_window_s;        /* after = [onset, onset+A) */
	struct throttle_latency baseline; /* successful samples from group start to onset-L */
	struct throttle_latency before, after;
	int latency_rising;           /* 1 rising, 0 not, -1 cannot tell */
	double throttled_frac_after;  /* throttled / all in [onset, onset+L) */
	double mean_all_before_ms, mean_all_after_ms; /* all samples (incl. throttled) */
	double mean_throttled_ms;     /* throttled responses after onset */
	bool coordinated_omission;    /* mean fell only because throttled answers are fast */
	uint64_t isolated;            /* throttled samples outside sustained episodes */
	int64_t first_isolated_ms;    /* 0 if none */
};

struct throttle_model_fit {
	bool scored;                  /* false: could not be evaluated (why_not says why) */
	double score;                 /* 0..1, skill over a constant-accept-fraction predictor */
	double rate_per_s;            /* token bucket / sliding window: long-run rate */
	double burst;                 /* token bucket */
	double limit;                 /* fixed / sliding window: requests per window */
	double window_s;              /* fixed / sliding window */
	int64_t phase_ms;             /* fixed window: a window boundary, epoch ms */
	double concurrency;           /* concurrency cap */
	const char *why_not;          /* static text or NULL */
};

struct throttle_limit {
	enum throttle_model model;    /* best model, or UNKNOWN */
	double rate_per_s;            /* per scope key when per_key */
	double burst;
	double limit;
	double window_s;
	double concurrency;
	double score;
	enum throttle_confidence confidence;
	double confidence_value;      /* 0..1 */
	const char *why;              /* why unknown / why low confidence (owned), or NULL */
	bool per_key;                 /* parameters are per scope key (thread, connection, host) */
	uint32_t keys_fitted;         /* when per_key: keys whose series were fitted */
	double plateau_per_s;         /* accepted rate while throttled (per key when per_key) */
	double offered_peak_per_s;    /* highest offered rate over 1 s windows (group) */
	double accepted_cv;           /* variation of the accepted rate across saturated windows */
	double inflight_at_reject_p50;/* accepted requests in flight when rejections happened */
	double inflight_at_reject_p90;
	double svc_median_ms;         /* accepted requests' median elapsed */
	/* from response headers (0 / false when absent) */
	int64_t declared_limit;       /* most common X-RateLimit-Limit / RateLimit limit */
	double declared_window_s;     /* RateLimit-Policy w= */
	bool countdown;               /* Retry-After / reset values count down to common instants */
	double countdown_window_s;    /* spacing of those instants */
	int64_t countdown_phase_ms;   /* one such instant */
	struct throttle_model_fit fits[THROTTLE_MODEL_COUNT]; /* index by model; [0] unused */
	/* intervals: the parameter values the replay finds consistent with the data (0 = n/a) */
	double rate_lo, rate_hi, burst_lo, burst_hi, limit_lo, limit_hi, window_lo, window_hi;
	double concurrency_lo, concurrency_hi;
	bool rate_identifiable;       /* false: arrivals hide the rate (e.g. lockstep) */
	bool replayed;                /* the fields below are set */
	uint64_t replay_requests, replay_rejected; /* requests replayed, rejected among them */
	uint64_t replay_miss;         /* decisions the best model gets wrong */
	uint64_t replay_null_miss;    /* ... a predictor of each second's majority outcome */
	double skill;                 /* 1 - replay_miss / replay_null_miss */
	double model_margin;          /* mismatches (with parameter penalty) of the best other
				     model class minus the best's; INFINITY when none */
	enum throttle_model runner_up;/* that other model */
	double refused_p50_ms;        /* median elapsed of the refused requests replayed, -1 n/a */
	double accepted_p50_ms;       /* ... of the accepted ones */
	double inflight_latency_ratio;/* accepted p50 elapsed at high / low in-flight, -1 n/a */
};

struct throttle_key_value {       /* one value of the partition key */
	const char *name;
	uint64_t requests, rejected;  /* in the replayed stretch */
	double offered_per_s, accepted_per_s;
	bool throttled;
};

struct throttle_scope_result {
	enum throttle_scope scope;
	enum throttle_confidence confidence;
	bool key_is_connection;       /* keys are capture connections, not JMeter threads */
	uint32_t keys;                /* keys active during sustained throttling */
	uint32_t keys_throttled;      /* ...of which received at least one throttle */
	uint32_t keys_eligible;       /* keys that sent enough to expect a throttle if shared */
	uint32_t keys_clean;          /* eligible keys never throttled */
	double dispersion;            /* sum (throttled - expected)^2 / sum variance over keys,
				     expected from the group's throttled share per second: about 1
				     when every request had the same chance whoever sent it (shared),
				     >> 1 when some keys are hit and others spared; -1 n/a */
	double dispersion_limit;      /* above this the keys were hit unevenly */
	double auc_own_rate;          /* P(a key throttled more than expected sends faster than
				     one throttled less); -1 n/a */
	double key_rate_throttled_p50;/* own offered rate, throttled keys (per s) */
	double key_rate_clean_p50;    /* own offered rate, clean keys (per s); -1 n/a */
	double key_rate_onset;        /* mean own rate of the keys sending before the onset:
				     onset rate / onset threads (per s) */
	double first_throttle_p50_s;  /* delay from group onset to a key's first throttle */
	double first_throttle_p90_s;
	uint32_t hosts;               /* distinct generator hosts among the keys */
	uint32_t hosts_throttled;
	double cv_aggregate;          /* accepted rate across windows with varying active keys */
	double cv_per_key;            /* accepted rate per active key across the same windows;
				     both -1 when the number of active keys hardly varied */
	double cv_key_accepted;       /* across throttled keys: own accepted rate... */
	double cv_key_accept_frac;    /* ...and own accepted share; -1 when own rates are alike */
	const char *evidence;         /* one sentence (owned) */
	const char *key;              /* partition key: "shared", "header:X-Tenant", "thread-group",
				     "client-host", "connection", "thread", "label"; NULL n/a */
	const char *key_equivalent;   /* keys that partition the requests the same way, comma
				     separated (e.g. "thread,connection"), or NULL */
	double key_margin;            /* mismatches of the best other key minus the best's */
	const char *runner_key;       /* that other key, or NULL */
	size_t nvalues;
	const struct throttle_key_value *values; /* by name */
};

struct throttle_retry {
	uint64_t seen;                /* throttled responses carrying Retry-After */
	uint64_t honoured;            /* the key's next request came after the wait */
	uint64_t violated;            /* ...came before it */
	uint64_t no_retry;            /* the key sent nothing later */
	uint64_t at_deadline;         /* honoured, and sent within max(1 s, 10 %) after the wait */
	double median_early_s;        /* violations: how early (median), -1 n/a */
	double median_wait_s;         /* violations: how long the key actually waited */
	size_t nvalues;
	struct { double value_s; uint64_t count; } values[THROTTLE_RA_VALUES]; /* by value */
	uint64_t values_other;        /* responses with a value beyond the listed ones */
};

/* Time series for charts: bucket i covers [t0_ms + i*width_ms, +width_ms). */
struct throttle_series {
	int64_t t0_ms, width_ms;
	size_t n;
	const uint32_t *sent;         /* requests started */
	const uint32_t *throttled;
	const uint32_t *ok;           /* successful (JMeter success flag) */
};
struct throttle_key_series {      /* coarse: active keys per bucket */
	int64_t t0_ms, width_ms;
	size_t n;
	const uint32_t *threads;      /* distinct keys that started a request in the bucket */
};
struct throttle_latency_series {  /* successful samples' elapsed per bucket; NaN when empty */
	int64_t t0_ms, width_ms;
	size_t n;
	const float *p50_ms, *p95_ms;
};

struct throttle_group {
	const char *name;             /* region name, host, thread group or label */
	enum throttle_finding finding;
	uint64_t samples, throttled, ok;
	uint64_t folded_keys;         /* "other": distinct group keys folded into it */
	bool detected;                /* sustained throttling in this group */
	int64_t first_ms, last_ms;    /* first start, last end */
	double offered_per_s;         /* samples / active span */
	double accepted_per_s;
	double connect_p50_ms;        /* median connect time of new connections (RTT proxy); -1 */
	struct throttle_latency latency; /* successful samples, whole run */
	struct throttle_onset onset;
	uint32_t threads_at_first_onset; /* senders of this group in the trailing window of the
				     earliest onset of any group (the load of a spared group then) */
	double rate_at_first_onset;   /* requests per second started to it then */
	struct throttle_limit limit;
	struct throttle_scope_result scope;
	struct throttle_retry retry;
	struct throttle_series fine;
	struct throttle_key_series keys;
	struct throttle_latency_series lat;
};

struct throttle_result {
	bool detected;                /* sustained throttling anywhere */
	uint64_t samples;             /* samples analysed (top level, with a timestamp) */
	uint64_t throttled;
	uint64_t skipped_no_ts, skipped_out_of_range, skipped_sub, skipped_transaction;
	uint64_t pattern_errors;      /* pattern matches that hit a PCRE2 limit */
	uint64_t plain_503;           /* 503 answers without rate-limit headers (not counted as
				     throttling unless 503 is in the configured codes) */
	uint64_t keys_over_limit;     /* samples of keys beyond THROTTLE_MAX_KEYS */
	bool transactions_as_requests;/* the input held only Transaction Controller parents (a CSV
				     of generate-parent mode): each parent is one request, with
				     its failing child's code */
	uint64_t encrypted;           /* samples from encrypted TLS exchanges (code "TLS"): their
				     status, so any throttle signal, is unknown */
	int64_t start_ms, end_ms;     /* test start (first sample start) and end (last end) */
	enum region_by region_by;
	struct throttle_group overall;/* the whole run as one group ("all") */
	const struct throttle_group *primary; /* the group the verdict is about: the one with the
				     earliest onset, else overall (points into groups/overall) */
	enum throttle_finding finding;
	uint64_t replay_seen, replay_kept; /* requests the replay saw / kept (bounded) */
	size_t ngroups;               /* groups, sorted by name; "other" last */
	const struct throttle_group *groups;
	/* The VERDICT and WHAT TO DO paragraphs are written from these numbers by reports/
	 * (throttle_verdict() in reports/throttle_verdict.h). */
};

/* NULL before throttle_finish. */
const struct throttle_result *throttle_result(const struct throttle *t);

#endif
