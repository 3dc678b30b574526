/* internal.h - internals shared by the files of analyzer/throttle/ (not for other modules).
 *
 * Three time axes, each a grid of buckets aligned to multiples of its width in epoch ms:
 *   fine    (100 ms)  per group: started / throttled / ok / ended counts  -> onset, limiter fit
 *   coarse  (1 s)     per (key, group): started / throttled              -> threads, scope
 *   lat     (1 s)     per group: latency histograms of successful samples -> before/after
 * An axis whose span (highest - lowest bucket seen) would exceed its cap doubles its width and
 * every array on it merges bucket pairs, so memory is bounded by the caps, never by the sample
 * count.  Arrays grow at either end (JTL samples arrive in completion order, not start order).
 */
#ifndef JTLSCOPE_ANALYZER_THROTTLE_INT_H
#define JTLSCOPE_ANALYZER_THROTTLE_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "analyzer/hist.h"
#include "analyzer/throttle/throttle.h"
#include "analyzer/throttle/replay.h"
#include "common/util.h"

/* ---- log histogram: 8 sub-bins per power of two, relative error <= 6.25 % ---------------- */
#define THIST_SUB 8
#define THIST_MAXLOG 27                       /* values up to 2^28 - 1 (ms: 3.1 days) */
#define THIST_BINS (THIST_SUB + (THIST_MAXLOG - 2) * THIST_SUB)
struct thist {
	uint64_t n;
	double sum;
	uint32_t c[THIST_BINS];
};
void thist_add(struct thist *h, uint64_t v);
void thist_merge(struct thist *dst, const struct thist *src);
/* q in [0,1]; NAN when empty. */
double thist_quantile(const struct thist *h, double q);

/* ---- time axis and two-sided growable arrays ---------------------------------------------- */
struct taxis {
	int64_t w;          /* current bucket width, ms */
	int64_t lo, hi;     /* lowest / highest bucket index seen */
	bool any;
	int64_t cap;        /* max buckets in span */
};
/* Width the axis needs so that [lo, hi] stays within cap after including [a_ms, b_ms]: returns
 * how many times the width must double (0 if none).  Does not change the axis. */
int taxis_doublings(const struct taxis *ax, int64_t a_ms, int64_t b_ms);
void taxis_double(struct taxis *ax);
void taxis_include(struct taxis *ax, int64_t a_ms, int64_t b_ms);
static inline int64_t taxis_idx(const struct taxis *ax, int64_t ms)
{
	return ms / ax->w;
}

struct tarr {
	unsigned char *data;
	size_t elem;
	int64_t lo;         /* bucket index of element 0 of the used part */
	size_t off, n, cap; /* used elements are data[off .. off+n) */
};
void tarr_init(struct tarr *a, size_t elem);
void tarr_release(struct tarr *a);
/* Element at bucket idx, created zeroed if needed. */
void *tarr_at(struct tarr *a, int64_t idx);
/* Element at bucket idx or NULL if outside the stored range. */
const void *tarr_get(const struct tarr *a, int64_t idx);
/* Merge bucket pairs after the axis width doubled: new index = old index / 2. */
void tarr_halve(struct tarr *a, void (*merge)(void *dst, const void *src));

/* ---- small hash maps -------------------------------------------------------------------- */
struct smap {            /* string -> uint32 */
	char **keys;
	uint32_t *vals;
	uint64_t *hashes;
	size_t n, cap;
};
void smap_release(struct smap *m);
/* Pointer to the value of key, or NULL. */
uint32_t *smap_get(const struct smap *m, const char *k, size_t n);
/* Insert (key must be absent); returns the value slot. */
uint32_t *smap_put(struct smap *m, const char *k, size_t n, uint32_t v);
/* The value of k, or the next dense id (m->n) put for it when k is new. */
uint32_t smap_intern(struct smap *m, const char *k, size_t n);

struct imap {            /* uint64 -> uint64, key 0 not allowed */
	uint64_t *keys;
	uint64_t *vals;
	size_t n, cap;
};
void imap_release(struct imap *m);
uint64_t *imap_get(const struct imap *m, uint64_t k);
uint64_t *imap_put(struct imap *m, uint64_t k, uint64_t v);

/* ---- per-bucket records ----------------------------------------------------------------- */
struct tfine {
	uint32_t sent, thr, ok;
	uint32_t end_all, end_acc;  /* samples ending in this bucket (all / not throttled) */
	float svc_acc_s;            /* elapsed sum of not-throttled samples started here, s */
};
struct tlat {
	uint32_t all, thr;
	double el_all_ms, el_thr_ms;
	int64_t max_all_threads;    /* JMeter allThreads column, max; 0 if absent */
	struct thist *ok;           /* successful samples' elapsed, allocated on first use */
};
struct tkc {
	uint16_t sent, thr;         /* saturating */
};

/* Bucket merges (dst += src), shared by the axis halving (throttle.c) and the merge of two
 * analyses (state_merge.c).  tkc counts saturate at UINT16_MAX. */
void tfine_add(void *dst, const void *src);
void tkc_add(void *dst, const void *src);
void tlat_add_counts(struct tlat *d, const struct tlat *s);

/* ---- Retry-After: per key pending answers, per group totals ----------------------------- */
#define RETRY_PENDING 8
#define RETRY_TOLERANCE_MS 20
struct retry_pending {
	int64_t arrival;    /* ts + elapsed of the throttled answer */
	int64_t deadline;   /* arrival + Retry-After */
	int64_t next;       /* earliest later start of the same key, INT64_MAX if none yet */
};

#define RESET_MAP_MAX 8192
struct retry_acc {
	uint64_t seen, honoured, violated, no_retry, at_deadline;
	struct hist early, waited;            /* ms (fine: medians reported to 1 %) */
	size_t nvalues;
	struct { double value_s; uint64_t count; } values[THROTTLE_RA_VALUES];
	uint64_t values_other;
	/* countdown evidence: instants (s) at which announced waits end / windows reset */
	struct imap reset_sec;                /* second -> count */
	struct imap arrival_sec;              /* second -> count */
	uint64_t reset_n;
	bool reset_overflow;
	double ra_min, ra_max;
	/* declared limits */
	struct { int64_t v; uint64_t count; } limits[8];
	struct { double v; uint64_t count; } windows[8];
};

/* ---- keys (thread or connection, within one group) -------------------------------------- */
struct tkey {
	uint32_t id;          /* key identity (same thread across groups) */
	uint32_t group;
	uint32_t host;        /* generator host id */
	bool is_conn;
	uint64_t sent, thr;
	int64_t first_ts, last_ts;
	struct tarr c;        /* struct tkc on the coarse axis */
	struct retry_pending pend[RETRY_PENDING];
	unsigned npend;
};

/* ---- groups ----------------------------------------------------------------------------- */
struct tgroup {
	char *name;
	uint64_t samples, thr, ok, folded_keys;
	int64_t first_ms, last_ms;
	struct tarr fine;     /* struct tfine */
	struct tarr lat;      /* struct tlat */
	struct thist gaps;    /* per-key mean interval between starts, ms (one per key) */
	struct thist connect; /* connect time > 0, ms */
	struct thist ok_el;   /* successful samples' elapsed, ms */
	struct thist acc_el;  /* not-throttled samples' elapsed, ms */
	struct retry_acc ra;
	/* filled by throttle_finish */
	uint32_t *keys;       /* indexes into t->keys of this group's keys */
	size_t nkeys;
	struct throttle_group res;
	/* dense arrays over the fine axis, [0, nf) from t0 */
	size_t nf;
	uint32_t *f_sent, *f_thr, *f_ok, *f_acc, *f_end_acc, *f_end_all;
	float *f_svc;
	/* coarse: active keys per bucket */
	uint32_t *c_threads;
	/* latency series */
	float *l_p50, *l_p95;
	/* episodes (fine bucket indexes, inclusive) */
	size_t nep;
	size_t *ep_b0, *ep_b1;
	struct replay_fit fit;/* the replay of this group's decisions (throttle/decide.c) */
	struct throttle_key_value *kv;
	char *key_equiv_buf;
	char *why_buf;        /* owned strings referenced from res */
	char *evidence_buf;
	char *scope_buf;
};

struct throttle {
	struct throttle_config cfg;
	int codes[THROTTLE_MAX_CODES];
	char *pattern_src;
	void *re;             /* pcre2_code * */
	void *md;             /* pcre2_match_data * */
	void *mctx;           /* pcre2_match_context * */
	void *ws_re;          /* built-in in-band pattern for WebSocket messages (pcre2_code *) */
	void *ws_md;
	struct region_map *regions;

	struct taxis fine, coarse, lat;
	int64_t ref_ms;       /* first timestamp seen (range guard) */
	bool have_ref;
	int64_t start_ms, end_ms;

	struct tgroup *groups;    /* named groups; index REGION_MAX_GROUPS is "other" */
	size_t ngroups, gcap;
	int other;                /* index of "other" or -1 */
	struct tgroup all;
	struct smap group_by_name;
	struct smap group_cache;  /* grouping key -> group index */
	struct strbuf keybuf, regbuf, namebuf, lastkey, hostbuf;
	uint32_t last_group;      /* group of lastkey, UINT32_MAX if none */
	struct strbuf lastauth;   /* scheme://authority of the last URL grouped by url-host */
	uint32_t lastauth_group;  /* its group, UINT32_MAX if none */

	struct smap key_ids;      /* key identity -> id */
	struct smap host_ids;     /* generator host -> id */
	uint32_t nhosts;
	struct tkey *keys;
	size_t nkeys, kcap;
	struct smap key_index;    /* group byte + key identity -> key index */

	uint64_t samples, thr;
	uint64_t skipped_no_ts, skipped_range, skipped_sub, skipped_tx;
	uint64_t pattern_errors, keys_over, plain_503, encrypted;

	struct replay *replay;    /* bounded record of the requests around the throttling */
	struct throttle *shadow;  /* the same analysis with plain 503 as a signal (headerless
				     probable throttling), or NULL */
	bool is_shadow;
	bool adopted;             /* throttle_result() is the shadow's */
	struct throttle *tx;      /* Transaction Controller parents as requests, or NULL */
	bool is_tx;               /* this is such an analysis */
	bool adopted_tx;          /* throttle_result() is tx's: the input held only parents */
	struct throttle_config orig_cfg; /* as given (region map path, pattern) */
	bool finished;
	struct throttle_group *res_groups;
	struct throttle_result res;
};

/* throttle/retry.c */
void retry_on_sample(struct throttle *t, struct tkey *k, struct tgroup *g,
		     const struct sample *s, bool thr, int64_t el);
void retry_finalize_key(struct tkey *k, struct tgroup *g);
void retry_acc_merge(struct retry_acc *dst, const struct retry_acc *src);
void retry_acc_release(struct retry_acc *a);
void retry_result(const struct retry_acc *a, struct throttle_retry *out);
/* Countdown evidence from reset instants; false if none. */
bool retry_countdown(const struct retry_acc *a, double *window_s, int64_t *phase_ms);
int64_t retry_declared_limit(const struct retry_acc *a);
double retry_declared_window(const struct retry_acc *a);

/* throttle/onset.c */
/* Episodes of sustained throttling in (sent, thr) fine buckets; fills g->ep_*, g->nep and
 * onset.isolated / first_isolated. */
void onset_episodes(struct throttle *t, struct tgroup *g);
/* Load, latency and coordinated omission at the onset (g->res.onset.detected set). */
void onset_load(struct throttle *t, struct tgroup *g, bool overall);
/* Distinct keys of g active in [from_ms, to_ms) (coarse resolution), and requests started per
 * second in it (fine resolution). */
uint32_t onset_active_keys(const struct throttle *t, const struct tgroup *g, int64_t from_ms,
			   int64_t to_ms);
double onset_rate(const struct throttle *t, const struct tgroup *g, int64_t from_ms,
		  int64_t to_ms);

/* throttle/limiter.c */
struct lf_series {
	size_t n;
	const uint32_t *off;      /* requests started per bucket */
	const uint32_t *acc;      /* of which not throttled */
	const uint32_t *end_acc;  /* not-throttled requests ending per bucket, or NULL */
	const float *svc_s;       /* mean elapsed of not-throttled requests started per bucket, s,
				     or NULL */
	size_t lo, hi;            /* evaluation range */
};
struct lf_in {
	int64_t t0_ms, w_ms;
	const struct lf_series *s;
	size_t ns;
	bool per_key;
};
/* Peak, plateau, accepted-rate CV and in-flight at rejections into out (model unknown: the
 * replay decides it). */
void limiter_stats(const struct lf_in *in, struct throttle_limit *out);

/* throttle/scope.c */
void scope_analyse(struct throttle *t, struct tgroup *g, bool overall);
/* Fit the limiter for a group, at the level its scope says (group, per key, per host). */
void scope_fit_limit(struct throttle *t, struct tgroup *g, bool overall);

/* throttle/decide.c: replay the group's decisions; set its model, parameters with intervals,
 * confidence and scope from the best candidate. */
void decide_group(struct throttle *t, struct tgroup *g, bool overall);


/* throttle/state.c: a map's keys in id order (values are dense ids 0..n-1), and their lengths
 * in *lens; both arrays are the caller's to free, the keys are borrowed from m. */
const char **smap_by_id(const struct smap *m, size_t **lens);

/* shared helpers (throttle.c) */
/* Key coarse record at absolute coarse index, or NULL. */
const struct tkc *key_coarse(const struct tkey *k, int64_t cidx);
/* Group index of a key (for overall: every key). */
bool key_in(const struct tkey *k, const struct tgroup *g, const struct throttle *t);
double median_u32(uint32_t *v, size_t n);     /* sorts v */
double quantile_d(double *v, size_t n, double q); /* sorts v; NAN if n == 0 */
char *fmt_dup(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
