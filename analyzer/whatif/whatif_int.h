/* whatif_int.h - what the files of the what-if module share (not for use outside
 * analyzer/whatif/).
 *
 * The module is three files: whatif_trace.c is the client model (the run's requests, its
 * users, their service times and spacing, the seeded random draws, and the parsing of client
 * policies); whatif_limiter.c is the limiter (the fitted model as struct whatif_limiter, and
 * its simulation per partition: struct lim, whatif_lim_*); whatif.c is the prediction (users
 * simulated against a struct lim, each scenario run at the point estimate and at both ends of
 * the intervals, the ranges and the safe-load search).  A simulation only reads the trace
 * (after whatif_trace_finish); the limiter's state lives in its struct lim.
 */
#ifndef JTLSCOPE_ANALYZER_WHATIF_INT_H
#define JTLSCOPE_ANALYZER_WHATIF_INT_H

#include "analyzer/strmap.h"
#include "analyzer/whatif/whatif.h"

enum { F_THROTTLED = 1, F_SUCCESS = 2, F_RA = 4 };

struct wreq {
	int64_t ts;       /* epoch ms */
	int32_t el;       /* elapsed ms */
	uint32_t user;
	float ra;         /* Retry-After, s (F_RA) */
	uint8_t fl;
};

struct reservoir {
	float v[WHATIF_RESERVOIR];
	size_t n;
	uint64_t seen;
};

struct whatif_trace {
	struct wreq *r;
	size_t n, cap;
	struct strmap users, groups, hosts;
	uint32_t *ugroup, *uhost;         /* per user */
	size_t ucap;
	/* per user, after finish */
	int64_t *ufirst, *ulast;          /* first and last start, epoch ms */
	uint32_t *ucount;
	double *umed_s2s, *umed_e2s;      /* each user's median spacing after an accepted answer */
	double med_spacing;               /* the median user's (start to start or end to start) */
	struct reservoir svc_ok, svc_rej, gap_ok, gap_rej;
	uint64_t rng;
	int64_t t0_ms, t1_ms;
	bool finished;
	struct whatif_recorded rec;
};

/* ---- random numbers (splitmix64: deterministic, seedable) ------------------------------- */

static inline uint64_t rnd_next(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static inline double rnd_unit(uint64_t *s)
{
	return (double)(rnd_next(s) >> 11) * (1.0 / 9007199254740992.0);
}

/* A random element of a reservoir, fallback when it is empty. */
static inline double res_draw(const struct reservoir *r, uint64_t *rng, double fallback)
{
	if (!r->n)
		return fallback;
	return r->v[rnd_next(rng) % r->n];
}

/* ---- the limiter's simulation (whatif_limiter.c) ------------------------------------------ */

struct part {          /* one limiter partition */
	double tokens, last;      /* token bucket */
	int64_t win;              /* fixed window index */
	uint32_t count;
	double *log;              /* sliding log ring (starts), or counter: prev/cur counts */
	size_t lhead, ln, lcap;
	double *ends;             /* concurrency: heap of accepted ends */
	size_t nends, ends_cap;
	bool init;
};

struct lim {
	const struct whatif_limiter *l;
	int ix;                   /* 0 point, 1 low, 2 high */
	int64_t t0_ms;
	struct part *parts;
	size_t nparts;
};

/* A limiter with one partition per key (at most WHATIF_MAX_KEYS) for nusers simulated users,
 * at the point estimate (ix 0) or an interval end (1 low, 2 high); free with whatif_lim_free. */
struct lim whatif_lim_make(const struct whatif_trace *t, const struct whatif_limiter *l, int ix,
			   size_t nusers);
/* Would the limiter admit a request of partition key starting at t (s from the run start)?
 * On refusal *wait is how long until it would (the Retry-After an exact limiter would send). */
bool whatif_lim_try(struct lim *L, size_t key, double t, double *wait);
/* An accepted request of partition key ends at end (the concurrency model counts it till then). */
void whatif_lim_accepted(struct lim *L, size_t key, double end);
void whatif_lim_free(struct lim *L);

#endif
