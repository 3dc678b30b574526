/* replay_models.c - one limiter model replayed over the requests, its parameters searched
 * (see replay.h for the method). */
#include "analyzer/throttle/replay_int.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Mismatches of every K in 1..kmax from the states in w->v: into m[K] (m[0] unused). Returns
 * the best K (smallest on ties) and its count. */
static uint64_t scan_k(struct win *w, uint64_t *m, size_t *best_k)
{
	size_t km = w->kmax + 1;
	memset(w->hacc, 0, (km + 1) * sizeof *w->hacc);
	memset(w->hrej, 0, (km + 1) * sizeof *w->hrej);
	for (size_t i = 0; i < w->n; i++) {
		uint32_t v = w->v[i] > km ? (uint32_t)km : w->v[i];
		if (w->rej[i])
			w->hrej[v]++;
		else
			w->hacc[v]++;
	}
	/* m(K) = accepted with v >= K + rejected with v < K */
	uint64_t acc_ge = 0, rej_lt = 0;
	for (size_t v = 0; v <= km; v++)
		acc_ge += w->hacc[v];
	uint64_t best = UINT64_MAX;
	size_t bk = 1;
	for (size_t K = 1; K <= km; K++) {
		acc_ge -= w->hacc[K - 1];
		rej_lt += w->hrej[K - 1];
		uint64_t mk = acc_ge + rej_lt;
		if (m)
			m[K] = mk;
		if (mk < best) {
			best = mk;
			bk = K;
		}
	}
	*best_k = bk;
	return best;
}

static uint32_t clampv(double x)
{
	if (!(x > 0))
		return 0;
	if (x >= (double)VMAX)
		return VMAX;
	return (uint32_t)x;
}

/* Token bucket of rate r and capacity K, its state kept consistent with every observed
 * decision, with the smallest change that makes it so: an accepted request proves the bucket
 * had a token (the level is cut to K - 1 before it takes one), a rejected one proves it had
 * none (the level is raised to just above K - 1).  So a rate a little off costs a few decisions near where it
 * matters instead of a drift that grows with the run.  Returns the mismatches. */
static uint64_t pass_tb(struct win *w, double r, double K)
{
	double *lvl = w->pd, *last = w->pd2;
	for (uint32_t p = 0; p < w->np; p++) {
		lvl[p] = 0;
		last[p] = -1e300;
	}
	uint64_t m = 0;
	double full = K - 1.0;
	for (size_t i = 0; i < w->n; i++) {
		uint32_t p = w->part[i];
		double l = lvl[p] - r * (w->t[i] - last[p]);
		if (l < 0)
			l = 0;
		last[p] = w->t[i];
		bool pred = l <= full + 1e-9;
		if (pred == w->rej[i]) {
			m++;
		}
		if (!w->rej[i]) {
			if (l > full)
				l = full;
			l += 1.0;
		} else if (l <= full + 1e-6) {
			l = full + 1e-6;
		}
		lvl[p] = l;
	}
	return m;
}

/* fixed window W with boundaries at phase + k W (epoch s) */
static void pass_fw(struct win *w, double W, double phase)
{
	int64_t *win = w->pi;
	uint32_t *cnt = w->pu;
	for (uint32_t p = 0; p < w->np; p++) {
		win[p] = INT64_MIN;
		cnt[p] = 0;
	}
	for (size_t i = 0; i < w->n; i++) {
		uint32_t p = w->part[i];
		int64_t k = (int64_t)floor((w->t0 + w->t[i] - phase) / W);
		if (k != win[p]) {
			win[p] = k;
			cnt[p] = 0;
		}
		w->v[i] = cnt[p] > VMAX ? VMAX : cnt[p];
		if (!w->rej[i])
			cnt[p]++;
	}
}

/* sliding log W: accepted requests of the partition in (t - W, t) */
static void pass_sl(struct win *w, double W)
{
	size_t *lo = (size_t *)(void *)w->pi, *hi = (size_t *)(void *)w->pd2;
	for (uint32_t p = 0; p < w->np; p++) {
		lo[p] = w->aoff[p];
		hi[p] = w->aoff[p];
	}
	for (size_t i = 0; i < w->n; i++) {
		uint32_t p = w->part[i];
		while (lo[p] < hi[p] && w->atime[lo[p]] <= w->t[i] - W)
			lo[p]++;
		size_t c = hi[p] - lo[p];
		w->v[i] = c > VMAX ? VMAX : (uint32_t)c;
		if (!w->rej[i])
			hi[p]++;
	}
}

/* sliding counter W: previous window's count weighted by the part of it still inside the
 * trailing window, plus the current window's count (windows from the window start) */
static void pass_sc(struct win *w, double W)
{
	int64_t *win = w->pi;
	double *cur = w->pd, *prev = w->pd2;
	for (uint32_t p = 0; p < w->np; p++) {
		win[p] = INT64_MIN;
		cur[p] = prev[p] = 0;
	}
	for (size_t i = 0; i < w->n; i++) {
		uint32_t p = w->part[i];
		double x = (w->t0 + w->t[i]) / W;
		int64_t k = (int64_t)floor(x);
		if (k != win[p]) {
			prev[p] = k == win[p] + 1 ? cur[p] : 0;
			cur[p] = 0;
			win[p] = k;
		}
		double frac = x - (double)k;
		double est = prev[p] * (1.0 - frac) + cur[p];
		w->v[i] = clampv(floor(est + 1e-9));
		if (!w->rej[i])
			cur[p] += 1.0;
	}
}

struct heap_item {
	double end;
	uint32_t p;
};

static void heap_push(struct heap_item *h, size_t *n, struct heap_item x)
{
	size_t i = (*n)++;
	while (i > 0) {
		size_t up = (i - 1) / 2;
		if (h[up].end <= x.end)
			break;
		h[i] = h[up];
		i = up;
	}
	h[i] = x;
}

static struct heap_item heap_pop(struct heap_item *h, size_t *n)
{
	struct heap_item top = h[0], x = h[--(*n)];
	size_t i = 0;
	for (;;) {
		size_t c = 2 * i + 1;
		if (c >= *n)
			break;
		if (c + 1 < *n && h[c + 1].end < h[c].end)
			c++;
		if (x.end <= h[c].end)
			break;
		h[i] = h[c];
		i = c;
	}
	if (*n)
		h[i] = x;
	return top;
}

/* concurrency: accepted requests of the partition in flight at the start */
void replay_pass_cc(struct win *w)
{
	uint32_t *infl = w->pu;
	for (uint32_t p = 0; p < w->np; p++)
		infl[p] = 0;
	struct heap_item *h = xmalloc((w->n ? w->n : 1) * sizeof *h);
	size_t hn = 0;
	for (size_t i = 0; i < w->n; i++) {
		while (hn && h[0].end <= w->t[i]) {
			struct heap_item x = heap_pop(h, &hn);
			infl[x.p]--;
		}
		uint32_t p = w->part[i];
		w->v[i] = infl[p] > VMAX ? VMAX : infl[p];
		if (!w->rej[i]) {
			infl[p]++;
			heap_push(h, &hn, (struct heap_item){ w->end[i], p });
		}
	}
	free(h);
}

/* ---- search ------------------------------------------------------------------------------ */

/* One evaluated value of the continuous parameter(s): its profile over K. */
struct prof {
	double a, b;          /* rate or window; phase */
	uint64_t *m;          /* m[K], K = 1..kmax+1 */
	uint64_t best;
	size_t bk;
};

struct search {
	struct prof *p;
	size_t n, cap;
	size_t km;
};

static void search_add(struct search *s, struct win *w, double a, double b)
{
	xgrow((void **)&s->p, &s->cap, s->n + 1, sizeof *s->p);
	struct prof *pr = &s->p[s->n++];
	pr->a = a;
	pr->b = b;
	pr->m = xmalloc((s->km + 2) * sizeof *pr->m);
	pr->best = scan_k(w, pr->m, &pr->bk);
}

static void search_release(struct search *s)
{
	for (size_t i = 0; i < s->n; i++)
		free(s->p[i].m);
	free(s->p);
	memset(s, 0, sizeof *s);
}

static size_t search_best(const struct search *s)
{
	size_t bi = 0;
	for (size_t i = 1; i < s->n; i++) {
		if (s->p[i].best < s->p[bi].best)
			bi = i;
	}
	return bi;
}

/* Tolerance of an interval: how many more mismatches than the best a parameter value may
 * cost and still be called consistent with the data (timing noise: a request sent a few ms
 * before another may reach the limiter after it). */
static uint64_t tolerance(uint64_t best, size_t n)
{
	double t = 2.0 + 0.08 * (double)best + 0.002 * (double)n;
	return (uint64_t)t;
}

/* Interval of a and of K over the profiles within tolerance of the best. */
static void search_intervals(const struct search *s, uint64_t best, uint64_t tol, double *a_lo,
			     double *a_hi, double *k_lo, double *k_hi)
{
	*a_lo = INFINITY;
	*a_hi = -INFINITY;
	*k_lo = INFINITY;
	*k_hi = -INFINITY;
	for (size_t i = 0; i < s->n; i++) {
		const struct prof *pr = &s->p[i];
		if (pr->best > best + tol)
			continue;
		if (pr->a < *a_lo)
			*a_lo = pr->a;
		if (pr->a > *a_hi)
			*a_hi = pr->a;
		for (size_t K = 1; K <= s->km + 1; K++) {
			if (pr->m[K] <= best + tol) {
				if ((double)K < *k_lo)
					*k_lo = (double)K;
				if ((double)K > *k_hi)
					*k_hi = (double)K;
			}
		}
	}
}

struct tbpt {
	double r, K;
	uint64_t m;
};

static void tb_eval(struct win *w, struct tbpt **pts, size_t *n, size_t *cap, double r, double K)
{
	xgrow((void **)pts, cap, *n + 1, sizeof **pts);
	(*pts)[(*n)++] = (struct tbpt){ r, K, pass_tb(w, r, K) };
}

static size_t tb_best(const struct tbpt *p, size_t n, size_t from)
{
	size_t b = from;
	for (size_t i = from; i < n; i++)
		if (p[i].m < p[b].m || (p[i].m == p[b].m && p[i].K < p[b].K))
			b = i;
	return b;
}

static const double TB_K[] = { 1, 2, 3, 4, 5, 6, 7, 8, 10, 12, 14, 16, 20, 24, 28, 32, 40, 48, 56,
			       64, 80, 96, 128, 160, 200, 256, 320, 400, 512 };

void replay_fit_tb(struct win *w, double r0, struct replay_cand *c)
{
	struct tbpt *pts = NULL;
	size_t n = 0, cap = 0;
	double lr0 = log(r0), span = log(4.0);
	for (int i = 0; i < TB_STEPS; i++) {
		double r = exp(lr0 - span + 2 * span * i / (TB_STEPS - 1));
		for (size_t k = 0; k < ARRAY_LEN(TB_K) && TB_K[k] <= (double)w->kmax; k++)
			tb_eval(w, &pts, &n, &cap, r, TB_K[k]);
	}
	/* refine around the best cell: rate to 2 %, 0.2 %, 0.03 %, every capacity nearby */
	double steps[3] = { 2 * span / (TB_STEPS - 1), 0.02, 0.003 };
	for (int pass = 0; pass < 3; pass++) {
		size_t b = tb_best(pts, n, 0);
		double rb = pts[b].r, kb = pts[b].K;
		double kstep = kb <= 8 ? 1 : kb <= 32 ? 2 : 4 + floor(kb / 32);
		for (int i = 0; i < TB_REFINE; i++) {
			double r = exp(log(rb) - steps[pass] + 2 * steps[pass] * i / (TB_REFINE - 1));
			for (int dk = -3; dk <= 3; dk++) {
				double K = kb + dk * (pass ? 1 : kstep);
				if (K >= 1 && K <= (double)w->kmax + 1)
					tb_eval(w, &pts, &n, &cap, r, K);
			}
		}
	}
	/* limits are configured by people: the best rate rounded to 1-3 significant digits, per
	 * second and per minute, is tried too */
	{
		size_t b0 = tb_best(pts, n, 0);
		double rb = pts[b0].r, kb = pts[b0].K;
		for (int unit = 0; unit < 2; unit++) {
			double x = unit ? rb * 60 : rb;
			for (int d = 1; d <= 3; d++) {
				double mag = pow(10, floor(log10(x)) - (d - 1));
				double q = round(x / mag) * mag / (unit ? 60 : 1);
				if (q > 0 && fabs(q / rb - 1) < 0.05)
					for (int dk = -1; dk <= 1; dk++)
						if (kb + dk >= 1)
							tb_eval(w, &pts, &n, &cap, q, kb + dk);
			}
		}
	}
	size_t b = tb_best(pts, n, 0);
	c->fitted = true;
	c->miss = pts[b].m;
	c->cost = (double)pts[b].m + 2 * PEN_PER_PARAM;
	c->rate_per_s = pts[b].r;
	c->burst = pts[b].K;
	uint64_t tol = tolerance(pts[b].m, w->n);
	c->rate_lo = c->burst_lo = INFINITY;
	c->rate_hi = c->burst_hi = -INFINITY;
	for (size_t i = 0; i < n; i++) {
		if (pts[i].m > pts[b].m + tol)
			continue;
		c->rate_lo = fmin(c->rate_lo, pts[i].r);
		c->rate_hi = fmax(c->rate_hi, pts[i].r);
		c->burst_lo = fmin(c->burst_lo, pts[i].K);
		c->burst_hi = fmax(c->burst_hi, pts[i].K);
	}
	free(pts);
}

static const double WINDOWS[] = { 0.5, 1, 2, 3, 4, 5, 6, 8, 10, 12, 15, 20, 25, 30, 40, 45, 60,
				  90, 120 };

static size_t window_list(const struct win *w, double extra1, double extra2, double *out)
{
	double span = w->n ? w->t[w->n - 1] - w->t[0] : 0;
	size_t n = 0;
	for (size_t i = 0; i < ARRAY_LEN(WINDOWS); i++) {
		if (WINDOWS[i] <= span || i == 0)
			out[n++] = WINDOWS[i];
	}
	if (extra1 > 0.2 && extra1 <= 3600)
		out[n++] = extra1;
	if (extra2 > 0.2 && extra2 <= 3600)
		out[n++] = extra2;
	return n;
}

static void fill_window_cand(struct replay_cand *c, const struct search *s, size_t bi, size_t n,
			     double params)
{
	const struct prof *b = &s->p[bi];
	c->fitted = true;
	c->miss = b->best;
	c->cost = (double)b->best + params * PEN_PER_PARAM;
	c->window_s = b->a;
	c->phase_s = b->b;
	c->limit = (double)b->bk;
	c->rate_per_s = c->limit / c->window_s;
	search_intervals(s, b->best, tolerance(b->best, n), &c->window_lo, &c->window_hi,
			 &c->limit_lo, &c->limit_hi);
	c->rate_lo = c->limit_lo / c->window_hi;
	c->rate_hi = c->limit_hi / c->window_lo;
}

void replay_fit_sliding(struct win *w, bool log_variant, double x1, double x2,
			struct replay_cand *c)
{
	double ws[ARRAY_LEN(WINDOWS) + 2];
	size_t nw = window_list(w, x1, x2, ws);
	struct search s = { .km = w->kmax };
	for (size_t i = 0; i < nw; i++) {
		if (log_variant)
			pass_sl(w, ws[i]);
		else
			pass_sc(w, ws[i]);
		search_add(&s, w, ws[i], 0);
	}
	size_t bi = search_best(&s);
	double wb = s.p[bi].a;
	for (int i = 0; i < 15; i++) {
		double W = wb * (0.8 + 0.45 * i / 14.0);
		if (log_variant)
			pass_sl(w, W);
		else
			pass_sc(w, W);
		search_add(&s, w, W, 0);
	}
	bi = search_best(&s);
	fill_window_cand(c, &s, bi, w->n, 2);
	search_release(&s);
}

/* Where windows open: a rejected request of a partition followed by an accepted one. */
static double reopen_phase(const struct win *w, double W)
{
	double sx = 0, sy = 0;
	size_t n = 0;
	uint32_t *lastrej = xcalloc(w->np ? w->np : 1, sizeof *lastrej);
	for (size_t i = 0; i < w->n; i++) {
		uint32_t p = w->part[i];
		if (w->rej[i]) {
			lastrej[p] = 1;
		} else if (lastrej[p]) {
			lastrej[p] = 0;
			double ang = 2 * M_PI * fmod(w->t0 + w->t[i], W) / W;
			sx += cos(ang);
			sy += sin(ang);
			n++;
		}
	}
	free(lastrej);
	if (!n)
		return 0;
	double ang = atan2(sy, sx);
	if (ang < 0)
		ang += 2 * M_PI;
	double ph = ang / (2 * M_PI) * W;
	/* the reopening request comes just after the boundary */
	ph -= 0.02 * W;
	return ph < 0 ? ph + W : ph;
}

void replay_fit_fw(struct win *w, double x1, double x2, struct replay_cand *c)
{
	double ws[ARRAY_LEN(WINDOWS) + 2];
	size_t nw = window_list(w, x1, x2, ws);
	struct search s = { .km = w->kmax };
	for (size_t i = 0; i < nw; i++) {
		double W = ws[i];
		double rp = reopen_phase(w, W);
		for (int j = 0; j <= FW_PHASES; j++) {
			double ph = j == FW_PHASES ? rp : W * j / FW_PHASES;
			pass_fw(w, W, ph);
			search_add(&s, w, W, ph);
		}
	}
	size_t bi = search_best(&s);
	double wb = s.p[bi].a, pb = s.p[bi].b;
	for (int i = 0; i < 9; i++) {
		double W = wb * (0.9 + 0.2 * i / 8.0);
		for (int j = -3; j <= 3; j++) {
			double ph = fmod(pb + W * j / (4.0 * FW_PHASES) + W, W);
			pass_fw(w, W, ph);
			search_add(&s, w, W, ph);
		}
	}
	bi = search_best(&s);
	fill_window_cand(c, &s, bi, w->n, 3);
	search_release(&s);
}

void replay_fit_cc(struct win *w, struct replay_cand *c)
{
	struct search s = { .km = w->kmax };
	replay_pass_cc(w);
	search_add(&s, w, 0, 0);
	const struct prof *b = &s.p[0];
	c->fitted = true;
	c->miss = b->best;
	c->cost = (double)b->best + PEN_PER_PARAM;
	c->limit = (double)b->bk;
	double alo, ahi;
	search_intervals(&s, b->best, tolerance(b->best, w->n), &alo, &ahi, &c->limit_lo,
			 &c->limit_hi);
	search_release(&s);
}
