/* whatif_limiter.c - the limiter of "what if" (whatif.h, whatif_int.h): the model the
 * throttle analysis fitted, and its simulation.
 *
 * This file owns how a fitted throttle group becomes a struct whatif_limiter (model, key,
 * each parameter as point estimate, low and high end of its interval; false when there is
 * nothing to replay) and how that limiter answers: one partition per key, a token bucket,
 * a fixed window on the fitted phase, a sliding log (or the sliding counter beyond
 * WHATIF_LOG_MAX entries), or a concurrency limit over a heap of accepted ends, each telling
 * on refusal how long until it would admit.  Also the sustained rate it admits over all the
 * recorded partitions (the default pace).
 */
#include "analyzer/whatif/whatif_int.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/util.h"

const char *whatif_model_name(enum whatif_model m)
{
	switch (m) {
	case WM_TOKEN_BUCKET: return "token-bucket";
	case WM_FIXED_WINDOW: return "fixed-window";
	case WM_SLIDING_WINDOW: return "sliding-window";
	case WM_CONCURRENCY: return "concurrency";
	}
	return "unknown";
}

/* point, low, high from a fitted value and its interval (0 = not given: the point). */
static void triple(double out[3], double v, double lo, double hi)
{
	out[0] = v;
	out[1] = lo > 0 && lo <= v ? lo : v;
	out[2] = hi > 0 && hi >= v ? hi : v;
}

bool whatif_limiter_from(struct whatif_limiter *l, const struct throttle_group *g, const char **why)
{
	memset(l, 0, sizeof *l);
	const struct throttle_limit *L = &g->limit;
	*why = NULL;
	if (g->throttled == 0 && !g->detected) {
		*why = "the run was not throttled: there is no limiter to replay";
		return false;
	}
	switch (L->model) {
	case THROTTLE_MODEL_TOKEN_BUCKET:
		l->model = WM_TOKEN_BUCKET;
		triple(l->rate, L->rate_per_s, L->rate_lo, L->rate_hi);
		triple(l->burst, L->burst > 0 ? L->burst : 1, L->burst_lo, L->burst_hi);
		if (!(l->rate[0] > 0))
			*why = "the token bucket's rate is not known";
		break;
	case THROTTLE_MODEL_FIXED_WINDOW:
	case THROTTLE_MODEL_SLIDING_WINDOW:
		l->model = L->model == THROTTLE_MODEL_FIXED_WINDOW ? WM_FIXED_WINDOW : WM_SLIDING_WINDOW;
		triple(l->limit, L->limit, L->limit_lo, L->limit_hi);
		/* the restrictive end pairs the low limit with the long window */
		l->window_s[0] = L->window_s;
		l->window_s[1] = L->window_hi >= L->window_s ? L->window_hi : L->window_s;
		l->window_s[2] = L->window_lo > 0 && L->window_lo <= L->window_s ? L->window_lo : L->window_s;
		l->phase_ms = L->fits[THROTTLE_MODEL_FIXED_WINDOW].phase_ms;
		if (!(l->limit[0] >= 1) || !(l->window_s[0] > 0))
			*why = "the window's limit or length is not known";
		break;
	case THROTTLE_MODEL_CONCURRENCY:
		l->model = WM_CONCURRENCY;
		triple(l->concurrency, L->concurrency, L->concurrency_lo, L->concurrency_hi);
		if (!(l->concurrency[0] >= 1))
			*why = "the concurrency cap is not known";
		break;
	default:
		*why = L->why ? L->why : "no limiter model explains the throttled answers";
		return false;
	}
	if (*why)
		return false;
	const char *k = g->scope.key;
	l->key_name = k ? k : "shared";
	if (!k || !L->per_key || strcmp(k, "shared") == 0)
		l->key = WK_SHARED;
	else if (strcmp(k, "thread") == 0 || strcmp(k, "connection") == 0)
		l->key = WK_USER;
	else if (strcmp(k, "client-host") == 0)
		l->key = WK_HOST;
	else if (strcmp(k, "thread-group") == 0 || strncmp(k, "header:", 7) == 0)
		l->key = WK_GROUP;   /* tenants: the lab and most plans send one per thread group */
	else
		l->key = WK_SHARED;
	return true;
}

static void heap_push(struct part *p, double v)
{
	void *q = p->ends;
	xgrow(&q, &p->ends_cap, p->nends + 1, sizeof *p->ends);
	p->ends = q;
	size_t i = p->nends++;
	while (i > 0) {
		size_t up = (i - 1) / 2;
		if (p->ends[up] <= v)
			break;
		p->ends[i] = p->ends[up];
		i = up;
	}
	p->ends[i] = v;
}

static void heap_pop(struct part *p)
{
	double v = p->ends[--p->nends];
	size_t i = 0;
	for (;;) {
		size_t c = 2 * i + 1;
		if (c >= p->nends)
			break;
		if (c + 1 < p->nends && p->ends[c + 1] < p->ends[c])
			c++;
		if (p->ends[c] >= v)
			break;
		p->ends[i] = p->ends[c];
		i = c;
	}
	if (p->nends)
		p->ends[i] = v;
}

/* Would the limiter admit a request starting at t (s from the run start)?  On refusal *wait is
 * how long until it would (the Retry-After an exact limiter would send). */
bool whatif_lim_try(struct lim *L, size_t key, double t, double *wait)
{
	const struct whatif_limiter *l = L->l;
	struct part *p = &L->parts[key < L->nparts ? key : L->nparts - 1];
	int ix = L->ix;
	*wait = 0;
	switch (l->model) {
	case WM_TOKEN_BUCKET: {
		double cap = l->burst[ix] >= 1 ? l->burst[ix] : 1, rate = l->rate[ix];
		if (!p->init) {
			p->init = true;
			p->tokens = cap;
			p->last = t;
		}
		p->tokens = fmin(cap, p->tokens + (t - p->last) * rate);
		p->last = t;
		if (p->tokens >= 1 - 1e-9) {
			p->tokens -= 1;
			return true;
		}
		*wait = (1 - p->tokens) / rate;
		return false;
	}
	case WM_FIXED_WINDOW: {
		double wms = l->window_s[ix] * 1000.0;
		double abs_ms = (double)L->t0_ms + t * 1000.0 - (double)l->phase_ms;
		int64_t w = (int64_t)floor(abs_ms / wms);
		if (!p->init || w != p->win) {
			p->init = true;
			p->win = w;
			p->count = 0;
		}
		double lim = floor(l->limit[ix] + 1e-9);
		if ((double)p->count < lim) {
			p->count++;
			return true;
		}
		*wait = ((double)(w + 1) * wms - abs_ms) / 1000.0;
		return false;
	}
	case WM_SLIDING_WINDOW: {
		double W = l->window_s[ix];
		double lim = floor(l->limit[ix] + 1e-9);
		size_t cap = lim > WHATIF_LOG_MAX ? WHATIF_LOG_MAX : (size_t)lim;
		double scale = lim / (double)cap;  /* > 1: each entry stands for several requests */
		if (!p->init) {
			p->init = true;
			p->lcap = cap;
			p->log = xcalloc(cap, sizeof *p->log);
		}
		while (p->ln && p->log[p->lhead] <= t - W) {
			p->lhead = (p->lhead + 1) % p->lcap;
			p->ln--;
		}
		if (scale > 1) {
			/* a limit beyond the log: count in units of scale requests */
			p->count++;
			if ((double)p->count < scale)
				return true;
			p->count = 0;
		}
		if (p->ln < p->lcap) {
			p->log[(p->lhead + p->ln) % p->lcap] = t;
			p->ln++;
			return true;
		}
		if (scale > 1)
			p->count = (uint32_t)scale;
		*wait = p->log[p->lhead] + W - t;
		return false;
	}
	case WM_CONCURRENCY: {
		while (p->nends && p->ends[0] <= t)
			heap_pop(p);
		double cap = floor(l->concurrency[ix] + 1e-9);
		if ((double)p->nends < cap)
			return true;   /* the caller registers the end with whatif_lim_accepted */
		*wait = p->ends[0] - t;
		return false;
	}
	}
	return true;
}

void whatif_lim_accepted(struct lim *L, size_t key, double end)
{
	if (L->l->model != WM_CONCURRENCY)
		return;
	heap_push(&L->parts[key < L->nparts ? key : L->nparts - 1], end);
}

void whatif_lim_free(struct lim *L)
{
	for (size_t i = 0; i < L->nparts; i++) {
		free(L->parts[i].log);
		free(L->parts[i].ends);
	}
	free(L->parts);
}

struct lim whatif_lim_make(const struct whatif_trace *t, const struct whatif_limiter *l, int ix, size_t nusers)
{
	struct lim L = { .l = l, .ix = ix, .t0_ms = t->t0_ms };
	size_t n = l->key == WK_SHARED ? 1 : l->key == WK_USER ? nusers : l->key == WK_GROUP ? t->groups.n : t->hosts.n;
	if (n < 1)
		n = 1;
	if (n > WHATIF_MAX_KEYS)
		n = WHATIF_MAX_KEYS;
	L.nparts = n;
	L.parts = xcalloc(n, sizeof *L.parts);
	return L;
}

double whatif_limiter_rate(const struct whatif_trace *t, const struct whatif_limiter *l, int ix)
{
	double r = 0;
	switch (l->model) {
	case WM_TOKEN_BUCKET: r = l->rate[ix]; break;
	case WM_FIXED_WINDOW:
	case WM_SLIDING_WINDOW: r = l->window_s[ix] > 0 ? floor(l->limit[ix] + 1e-9) / l->window_s[ix] : 0; break;
	case WM_CONCURRENCY:
		r = t->rec.svc_ok_p50_ms > 0 ? floor(l->concurrency[ix] + 1e-9) / (t->rec.svc_ok_p50_ms / 1000.0) : 0;
		break;
	}
	size_t parts = l->key == WK_SHARED ? 1 : l->key == WK_USER ? t->users.n
		       : l->key == WK_GROUP ? t->groups.n : t->hosts.n;
	return r * (double)(parts ? parts : 1);
}
