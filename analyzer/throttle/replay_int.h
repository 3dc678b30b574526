/* replay_int.h - internals of the replay, shared by replay.c (the kept requests and their
 * keys), replay_models.c (one limiter model replayed and its parameters searched) and
 * replay_fit.c (keys, candidates, the choice).  Not for other modules. */
#ifndef JTLSCOPE_ANALYZER_THROTTLE_REPLAY_INT_H
#define JTLSCOPE_ANALYZER_THROTTLE_REPLAY_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "analyzer/strmap.h"
#include "analyzer/throttle/replay.h"
#include "common/util.h"

#define RF_REJECT 1u
#define RF_P503 2u
#define VMAX 8192u                 /* state values above are one bin */
#define PEN_PER_PARAM 2.0          /* cost of a parameter, in mismatched decisions */
#define PEN_KEY PEN_PER_PARAM      /* choosing a partition key: one more parameter */
#define TB_STEPS 25                /* coarse rate grid, r0/4 .. 4 r0 */
#define TB_REFINE 21
#define FW_PHASES 12

struct rev {
	int64_t ts;
	uint32_t el;
	uint32_t group;
	uint32_t seq;
	uint32_t hash;        /* of the thread identity: an order-independent tie-break */
	uint16_t key[RK_COUNT];
	uint8_t flags;
};

struct replay {
	struct rev *pre;            /* ring before the first rejection */
	size_t npre, pre_head;
	struct rev *ev;             /* from the first rejection on */
	size_t nev, cap;
	bool frozen;
	bool sorted;                /* ev holds every kept request in start order (after a fit) */
	bool pre_full;              /* the ring had wrapped: older requests were dropped */
	uint64_t seen, seq;
	struct strmap vals[RK_COUNT];
	bool overflow[RK_COUNT];
	uint32_t last_id[RK_COUNT]; /* the value each key kind saw last, id + 1 (0 = none) */
	struct strmap hdr_names;    /* every header name seen -> slot or none */
	int hdr_slot_of[256];       /* by header-name id (first 256 names) -> slot, -1 none */
	char *hdr_name[REPLAY_HDRS];
	unsigned nhdr;
	struct strbuf tmp;
	uint64_t merge_dropped;     /* requests merged summaries had dropped (throttle/state.c) */
};

/* The replayed stretch of one fit, and the scratch the passes share. */
struct win {
	size_t n;
	double *t;            /* start, s since the window start */
	double t0;            /* window start, epoch s */
	double *end;          /* t + elapsed */
	bool *rej;
	uint32_t *part;       /* partition of the key being fitted */
	uint32_t np;
	/* accepted requests' times per partition (CSR) for the sliding log */
	size_t *aoff;
	double *atime;
	/* scratch */
	uint32_t *v;          /* state per request */
	double *pd;           /* per partition */
	double *pd2;
	int64_t *pi;
	uint32_t *pu;
	size_t kmax;          /* highest state value + 1 (<= VMAX) */
	uint64_t *hacc, *hrej;
};

/* replay.c */
/* Slot of a request header name (as written) among the followed ones, -1 none (interned). */
int replay_header_slot(struct replay *r, struct strref name);
/* Id (1-based; 0: past REPLAY_VALUES) of value p of key kind k, interned; names longer than
 * REPLAY_NAME_MAX are cut there. */
uint16_t replay_value_id(struct replay *r, enum replay_key k, const char *p, size_t n);
/* Once all requests are in: one array in start order (sorted in place, once). */
void replay_prepare(struct replay *r);
int replay_cmp_rev(const void *a, const void *b);

/* replay_models.c: the best parameters of one model under the partition in w */
void replay_fit_tb(struct win *w, double r0, struct replay_cand *c);
void replay_fit_fw(struct win *w, double x1, double x2, struct replay_cand *c);
void replay_fit_sliding(struct win *w, bool log_variant, double x1, double x2,
			struct replay_cand *c);
void replay_fit_cc(struct win *w, struct replay_cand *c);
/* concurrency state: accepted requests of the partition in flight at each start, into w->v */
void replay_pass_cc(struct win *w);

#endif
