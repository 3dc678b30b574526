/* whatif.c - the predictions of "what if" (whatif.h; the method is in docs/whatif.md).
 *
 * This file owns the simulation of a scenario and what it predicts: the recorded arrivals
 * replayed open loop (the model check), or simulated users (recorded or --users, ramp, pace or
 * the run's own spacing, a quota) against the limiter of whatif_limiter.c, drawing service
 * times and spacing from the client model of whatif_trace.c and reacting to throttles as the
 * policy says; each scenario run at the point estimate and with every parameter at the low and
 * the high end of its interval, giving each prediction its range; the time to as many
 * successes as recorded (up to WHATIF_HORIZON_X run lengths), and the search for the most
 * users that stay under the limit.
 */
#include "analyzer/whatif/whatif_int.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/util.h"

struct suser {
	double next;          /* next start, s */
	double stop;          /* no start at or after this */
	uint64_t quota;       /* requests left */
	uint32_t key;
	uint32_t streak;      /* consecutive throttles */
	uint32_t rec;         /* recorded user it stands for */
};

struct sim_out {
	uint64_t sent, accepted, throttled;
	double first_throttle;   /* -1 none */
	double last_end;
	double target_time;      /* -1 */
	bool truncated;
	uint32_t *series;        /* NULL: not wanted */
	size_t nseries;
	double series_w;
};

/* The user heap: indexes into users ordered by next start. */
struct uheap {
	uint32_t *h;
	size_t n;
	struct suser *u;
};

static bool uless(const struct uheap *H, uint32_t a, uint32_t b)
{
	if (H->u[a].next != H->u[b].next)
		return H->u[a].next < H->u[b].next;
	return a < b;
}

static void uh_push(struct uheap *H, uint32_t x)
{
	size_t i = H->n++;
	while (i > 0) {
		size_t up = (i - 1) / 2;
		if (!uless(H, x, H->h[up]))
			break;
		H->h[i] = H->h[up];
		i = up;
	}
	H->h[i] = x;
}

static uint32_t uh_pop(struct uheap *H)
{
	uint32_t top = H->h[0], v = H->h[--H->n];
	size_t i = 0;
	for (;;) {
		size_t c = 2 * i + 1;
		if (c >= H->n)
			break;
		if (c + 1 < H->n && uless(H, H->h[c + 1], H->h[c]))
			c++;
		if (!uless(H, H->h[c], v))
			break;
		H->h[i] = H->h[c];
		i = c;
	}
	if (H->n)
		H->h[i] = v;
	return top;
}

static size_t key_of(const struct whatif_trace *t, const struct whatif_limiter *l, uint32_t rec_user,
		     uint32_t sim_user)
{
	switch (l->key) {
	case WK_SHARED: return 0;
	case WK_USER: return sim_user;
	case WK_GROUP: return t->ugroup[rec_user];
	case WK_HOST: return t->uhost[rec_user];
	}
	return 0;
}

static void series_add(struct sim_out *o, double t)
{
	if (!o->series || t < 0)
		return;
	size_t b = (size_t)(t / o->series_w);
	if (b >= WHATIF_SERIES_MAX)
		return;
	while (o->nseries <= b)
		o->series[o->nseries++] = 0;
	o->series[b]++;
}

static void note_answer(struct sim_out *o, bool ok, double t, double end, uint64_t target)
{
	o->sent++;
	if (end > o->last_end)
		o->last_end = end;
	if (ok) {
		o->accepted++;
		series_add(o, t);
		if (target && o->accepted == target && o->target_time < 0)
			o->target_time = end;
	} else {
		o->throttled++;
		if (o->first_throttle < 0)
			o->first_throttle = t;
	}
}

/* The recorded arrivals, open loop. */
static void sim_replay(const struct whatif_trace *t, struct lim *L, const struct whatif_scenario *sc,
		       struct sim_out *o)
{
	double pacer = 0;
	uint64_t target = t->rec.accepted;
	for (size_t i = 0; i < t->n; i++) {
		const struct wreq *w = &t->r[i];
		double ts = (double)(w->ts - t->t0_ms) / 1000.0;
		if (sc->policy == WP_PACE) {
			if (ts < pacer)
				ts = pacer;
			pacer = ts + 1.0 / sc->pace_rate;
		}
		size_t k = key_of(t, L->l, w->user, w->user);
		double wait;
		bool ok = whatif_lim_try(L, k, ts, &wait);
		/* an accepted request takes the time the run's accepted ones took */
		double el = ok ? ((w->fl & F_THROTTLED) ? t->rec.svc_ok_p50_ms : w->el) / 1000.0
			       : ((w->fl & F_THROTTLED) ? w->el : t->rec.svc_rej_p50_ms) / 1000.0;
		if (el < 0)
			el = 0;
		if (ok)
			whatif_lim_accepted(L, k, ts + el);
		note_answer(o, ok, ts, ts + el, target);
	}
}

/* Closed-loop users (or open-loop streams when sc->open_loop). target > 0: stop once that many
 * were accepted (the time-to-target run, no quotas, long horizon). */
static void sim_users(const struct whatif_trace *t, struct lim *L, const struct whatif_scenario *sc,
		      uint64_t target, struct sim_out *o)
{
	const struct whatif_recorded *R = &t->rec;
	uint64_t rng = sc->seed ? sc->seed : 1;
	size_t nu = sc->users ? sc->users : R->users;
	double span = sc->duration_s > 0 ? sc->duration_s : R->span_s;
	double horizon = target ? span * WHATIF_HORIZON_X + 60 : span;
	struct suser *u = xcalloc(nu, sizeof *u);
	struct uheap H = { .h = xcalloc(nu, sizeof *H.h), .u = u };
	/* the recorded users in order of their first start */
	size_t nrec = t->users.n;
	for (size_t i = 0; i < nu; i++) {
		struct suser *x = &u[i];
		if (sc->users) {
			x->rec = (uint32_t)(nrec ? i % nrec : 0);
			x->next = sc->users > 1 ? sc->ramp_s * (double)i / (double)sc->users : 0;
			x->stop = horizon;
			/* a JMeter thread group's loop count: as many requests as the busiest
			 * recorded user sent (the duration bounds the rest) */
			x->quota = target || !sc->user_quota ? UINT64_MAX : sc->user_quota;
		} else {
			x->rec = (uint32_t)i;
			x->next = (double)(t->ufirst[i] - t->t0_ms) / 1000.0;
			/* a recorded user begins another iteration while its previous answer came
			 * before its recorded last start (JMeter checks the scheduler's end before the
			 * iteration's timers, so a long wait can carry the request past it), and sends
			 * at most as many requests as it did */
			x->stop = target ? horizon : (double)(t->ulast[i] - t->t0_ms + 1) / 1000.0;
			x->quota = target ? UINT64_MAX : t->ucount[i];
		}
		x->key = (uint32_t)key_of(t, L->l, x->rec, (uint32_t)i);
		if (x->quota && x->next < x->stop)
			uh_push(&H, (uint32_t)i);
	}
	double pacer = 0;
	(void)nrec;
	while (H.n) {
		if (o->sent >= WHATIF_MAX_SIM) {
			o->truncated = true;
			break;
		}
		uint32_t ui = uh_pop(&H);
		struct suser *x = &u[ui];
		double ts = x->next;
		if (sc->policy == WP_PACE) {
			if (ts < pacer)
				ts = pacer;
			pacer = ts + 1.0 / sc->pace_rate;
		}
		double wait;
		bool ok = whatif_lim_try(L, x->key, ts, &wait);
		double el = (ok ? res_draw(&t->svc_ok, &rng, R->svc_ok_p50_ms)
				: res_draw(&t->svc_rej, &rng, R->svc_ok_p50_ms)) / 1000.0;
		if (el < 0)
			el = 0;
		double end = ts + el;
		if (ok)
			whatif_lim_accepted(L, x->key, end);
		note_answer(o, ok, ts, end, target);
		if (target && o->accepted >= target)
			break;
		/* the user's spacing after an accepted answer: the run's own, or --pace with the
		 * run's relative jitter */
		double umed = R->pacing ? t->umed_s2s[x->rec] : t->umed_e2s[x->rec];
		double ratio = res_draw(&t->gap_ok, &rng, 1.0);
		double g = (sc->user_pace_s > 0 ? sc->user_pace_s : umed) * ratio;
		double next_ok = R->pacing || sc->user_pace_s > 0 ? fmax(ts + g, sc->open_loop ? ts : end) : end + g;
		double next = next_ok;
		if (!ok) {
			x->streak++;
			switch (sc->policy) {
			case WP_NONE:
			case WP_PACE:
			case WP_REPLAY:
				if (t->gap_rej.n && sc->user_pace_s <= 0) {
					double gr = umed * res_draw(&t->gap_rej, &rng, ratio);
					next = R->pacing ? fmax(ts + gr, end) : end + gr;
				}
				break;
			case WP_HONOUR_RA: {
				/* JMeter adds the Retry-After wait to the plan's other timers */
				double ra = sc->retry_after_s > 0 ? sc->retry_after_s
					    : R->retry_after_s > 0 ? R->retry_after_s : ceil(wait - 1e-9);
				if (ra < 0)
					ra = 0;
				next = next_ok + ra;
				break;
			}
			case WP_BACKOFF: {
				double b = sc->backoff_base_s * pow(2.0, (double)(x->streak - 1));
				if (b > sc->backoff_max_s || x->streak > 60)
					b = sc->backoff_max_s;
				if (sc->backoff_jitter)
					b *= rnd_unit(&rng);
				next = next_ok + b;
				break;
			}
			}
		} else {
			x->streak = 0;
		}
		if (sc->open_loop)
			next = next_ok;
		x->next = next;
		if (x->quota != UINT64_MAX)
			x->quota--;
		if (x->quota && end < x->stop)
			uh_push(&H, ui);
	}
	free(H.h);
	free(u);
}

static void run_once(const struct whatif_trace *t, const struct whatif_limiter *l, const struct whatif_scenario *sc,
		     int ix, uint64_t target, struct sim_out *o)
{
	size_t nu = sc->users ? sc->users : t->users.n;
	struct lim L = whatif_lim_make(t, l, ix, nu);
	o->first_throttle = -1;
	o->target_time = -1;
	if (sc->policy == WP_REPLAY || (sc->open_loop && !sc->users && sc->user_pace_s <= 0))
		sim_replay(t, &L, sc, o);
	else
		sim_users(t, &L, sc, target, o);
	whatif_lim_free(&L);
}

static void set_range(struct whatif_value *v, const double x[3])
{
	v->v = x[0];
	v->lo = fmin(x[0], fmin(x[1], x[2]));
	v->hi = fmax(x[0], fmax(x[1], x[2]));
}

/* -1 when any is -1 (no throttle / not reached) is kept apart: the range then covers the
 * values that exist, v stays the point's. */
static void set_range_opt(struct whatif_value *v, const double x[3])
{
	v->v = x[0];
	v->lo = INFINITY;
	v->hi = -INFINITY;
	for (int i = 0; i < 3; i++) {
		if (x[i] < 0)
			continue;
		v->lo = fmin(v->lo, x[i]);
		v->hi = fmax(v->hi, x[i]);
	}
	if (v->lo > v->hi)
		v->lo = v->hi = -1;
}

/* Highest user count at the pacing with no throttle, for one parameter set. */
static double search_users(const struct whatif_trace *t, const struct whatif_limiter *l,
			   const struct whatif_scenario *base, int ix, bool *trunc)
{
	struct whatif_scenario sc = *base;
	if (!base->users && base->ramp_s <= 0)
		sc.ramp_s = t->rec.ramp_s;
	uint32_t lo = 0, hi = 0;  /* lo: no throttle, hi: throttles */
	for (uint32_t n = 1; n <= WHATIF_SEARCH_USERS; n = n * 2 > WHATIF_SEARCH_USERS && n < WHATIF_SEARCH_USERS ? WHATIF_SEARCH_USERS : n * 2) {
		sc.users = n;
		struct sim_out o = { 0 };
		run_once(t, l, &sc, ix, 0, &o);
		*trunc |= o.truncated;
		if (o.throttled) {
			hi = n;
			break;
		}
		lo = n;
		if (n == WHATIF_SEARCH_USERS)
			break;
	}
	if (!hi)
		return (double)WHATIF_SEARCH_USERS;
	while (hi - lo > 1) {
		uint32_t mid = lo + (hi - lo) / 2;
		sc.users = mid;
		struct sim_out o = { 0 };
		run_once(t, l, &sc, ix, 0, &o);
		*trunc |= o.truncated;
		if (o.throttled)
			hi = mid;
		else
			lo = mid;
	}
	return (double)lo;
}

int whatif_run(const struct whatif_trace *t, const struct whatif_limiter *l, const struct whatif_scenario *sc,
	       bool search, struct whatif_prediction *p, char *err, size_t errlen)
{
	memset(p, 0, sizeof *p);
	const struct whatif_recorded *R = &t->rec;
	if (!t->finished || !t->n || (!sc->users && !R->users)) {
		snprintf(err, errlen, "the run holds no requests to replay");
		return -1;
	}
	if (sc->open_loop && (sc->policy == WP_HONOUR_RA || sc->policy == WP_BACKOFF)) {
		snprintf(err, errlen, "open-loop arrivals do not wait for answers: only the policies none "
			 "and pace apply");
		return -1;
	}
	double span = sc->duration_s > 0 ? sc->duration_s : R->span_s;
	double width = ceil(span / (double)WHATIF_SERIES_MAX);
	if (width < 1)
		width = 1;
	double req[3], acc[3], thr[3], share[3], rate[3], first[3], same[3], users[3];
	for (int ix = 0; ix < 3; ix++) {
		struct sim_out o = { 0 };
		if (ix == 0) {
			o.series = p->series;
			o.series_w = width;
		}
		run_once(t, l, sc, ix, 0, &o);
		p->truncated |= o.truncated;
		if (ix == 0) {
			p->nseries = o.nseries;
			p->series_width_s = width;
			p->sent = o.sent;
		}
		double len = sc->policy == WP_REPLAY ? R->span_s : fmax(o.last_end, span);
		req[ix] = (double)o.sent;
		acc[ix] = (double)o.accepted;
		thr[ix] = (double)o.throttled;
		share[ix] = o.sent ? (double)o.throttled / (double)o.sent : 0;
		rate[ix] = len > 0 ? (double)o.accepted / len : 0;
		first[ix] = o.first_throttle;
		/* time to as many accepted requests as the run had */
		if (o.accepted >= R->accepted && R->accepted) {
			struct sim_out q = { 0 };
			run_once(t, l, sc, ix, R->accepted, &q);
			same[ix] = q.target_time >= 0 ? q.target_time : -1;
		} else if (sc->policy == WP_REPLAY || sc->open_loop || !R->accepted) {
			same[ix] = -1;
		} else {
			struct sim_out q = { 0 };
			run_once(t, l, sc, ix, R->accepted, &q);
			same[ix] = q.target_time;
			p->truncated |= q.truncated;
		}
		users[ix] = -1;
		if (search && sc->policy != WP_REPLAY && !sc->open_loop)
			users[ix] = search_users(t, l, sc, ix, &p->truncated);
	}
	set_range(&p->requests, req);
	set_range(&p->accepted, acc);
	set_range(&p->throttled, thr);
	set_range(&p->share, share);
	set_range(&p->accepted_per_s, rate);
	set_range_opt(&p->first_throttle_s, first);
	set_range_opt(&p->same_success_s, same);
	set_range_opt(&p->max_users, users);
	p->max_users_pace_s = sc->user_pace_s > 0 ? sc->user_pace_s : R->interval_p50_s;
	return 0;
}
