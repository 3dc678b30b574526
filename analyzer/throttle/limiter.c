/* throttle/limiter.c - which limiter explains the accept/throttle sequence.
 *
 * Input: one or more bucket series (the group's fine buckets, or one coarse series per scope
 * key) of requests offered and accepted.  Each candidate model gets parameters estimated from
 * the data, is then replayed over the observed offered requests, and is scored by how much
 * better it predicts the accepted count per bucket than a constant accept fraction does (a
 * skill score: 1 = perfect, 0 = no better than the constant).  Errors are summed at two time
 * scales so that both the fine structure (bursts at window starts) and the long-run rate count.
 *
 *   token bucket (r, b):  r = accepted rate in windows throttled throughout (bucket empty);
 *                         b = largest excess of accepted over r*T that ended in a first throttle
 *   fixed window (L, W):  W from Retry-After/reset countdown when present, else each common
 *                         window length; phase searched; L = median accepted per throttled window
 *   sliding window (L,W): L = r * W; W searched
 *   concurrency (C):      replays service times; C = typical accepted in-flight at rejections
 */
#include "analyzer/throttle/internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define FIT_MIN_THROTTLED 10
#define FIT_UNKNOWN_BELOW 0.3
#define FIT_TIE 0.02
#define FIT_MARGIN_FULL 0.10
#define FIT_SAT_WINDOWS_FULL 10
#define FIT_BIN_ACCEPTED 4.0     /* expected accepted requests per evaluation bin */
#define FIT_COARSE_SCALE 8       /* second evaluation scale, in bins */
#define FIT_MAX_PHASES 50
#define FIT_RATE_LO 0.8          /* rate / limit grid around the plateau estimate */
#define FIT_RATE_HI 1.4
#define FIT_RATE_STEPS 30
#define FIT_ONSET_QUIET_MS 5000  /* a throttle after this long without one starts a drain */
#define FIT_DRAWUP_LOOKBACK_MS 60000

static const double window_candidates_s[] = { 1, 2, 5, 10, 15, 20, 30, 60, 120, 300, 600,
					      900, 1800, 3600 };

struct params {
	enum throttle_model m;
	double r, b;          /* token bucket */
	double L;             /* windows */
	int64_t W_ms, phase_ms;
	double C;             /* concurrency */
};

struct ctx {
	const struct lf_in *in;
	size_t e;             /* evaluation bin, buckets */
	double pbar;          /* pooled accept fraction over the evaluation ranges */
	double base;          /* error of the constant-fraction predictor */
	size_t nmax;
	double *pred;         /* scratch, nmax */
	double *aux;          /* scratch, nmax */
};

static void simulate(const struct ctx *c, const struct lf_series *s, const struct params *p,
		     double *pred, double *aux)
{
	double w_s = (double)c->in->w_ms / 1000.0;
	switch (p->m) {
	case THROTTLE_MODEL_TOKEN_BUCKET: {
		/* tokens that arrive during a bucket can serve that bucket's later requests */
		double tok = p->b;
		for (size_t i = 0; i < s->n; i++) {
			double avail = tok + p->r * w_s;
			double a = fmin((double)s->off[i], floor(avail + 1e-9));
			pred[i] = a;
			tok = fmin(p->b, avail - a);
		}
		break;
	}
	case THROTTLE_MODEL_FIXED_WINDOW: {
		int64_t cur = INT64_MIN;
		double used = 0;
		for (size_t i = 0; i < s->n; i++) {
			int64_t ts = c->in->t0_ms + (int64_t)i * c->in->w_ms - p->phase_ms;
			int64_t win = ts >= 0 ? ts / p->W_ms : -((-ts + p->W_ms - 1) / p->W_ms);
			if (win != cur) {
				cur = win;
				used = 0;
			}
			double a = fmin((double)s->off[i], fmax(0, p->L - used));
			pred[i] = a;
			used += a;
		}
		break;
	}
	case THROTTLE_MODEL_SLIDING_WINDOW: {
		size_t m = (size_t)llround((double)p->W_ms / (double)c->in->w_ms);
		if (m < 1)
			m = 1;
		double sum = 0; /* admitted in the previous m-1 buckets */
		for (size_t i = 0; i < s->n; i++) {
			if (i >= m)
				sum -= pred[i - m];
			double a = fmin((double)s->off[i], fmax(0, p->L - sum));
			pred[i] = a;
			sum += a;
		}
		break;
	}
	case THROTTLE_MODEL_CONCURRENCY: {
		memset(aux, 0, s->n * sizeof *aux);
		double inflight = 0, last_svc = 0;
		for (size_t i = 0; i < s->n; i++) {
			inflight -= aux[i];
			if (inflight < 0)
				inflight = 0;
			double a = fmin((double)s->off[i], fmax(0, floor(p->C - inflight + 1e-9)));
			pred[i] = a;
			if (s->svc_s[i] > 0)
				last_svc = s->svc_s[i];
			size_t d = (size_t)llround(last_svc / w_s);
			if (d < 1)
				d = 1;
			if (i + d < s->n)
				aux[i + d] += a;
			inflight += a;
		}
		break;
	}
	default:
		for (size_t i = 0; i < s->n; i++)
			pred[i] = (double)s->off[i];
	}
}

/* Sum over series and two scales of |predicted - observed| accepted per bin. */
static double model_error(struct ctx *c, const struct params *p)
{
	double err = 0;
	for (size_t k = 0; k < c->in->ns; k++) {
		const struct lf_series *s = &c->in->s[k];
		simulate(c, s, p, c->pred, c->aux);
		size_t scales[2] = { c->e, c->e * FIT_COARSE_SCALE };
		for (int sc = 0; sc < 2; sc++) {
			for (size_t i = s->lo; i < s->hi; i += scales[sc]) {
				size_t j1 = i + scales[sc] < s->hi ? i + scales[sc] : s->hi;
				double a = 0, q = 0;
				for (size_t j = i; j < j1; j++) {
					a += s->acc[j];
					q += c->pred[j];
				}
				err += fabs(q - a);
			}
		}
	}
	return err;
}

static double base_error(const struct ctx *c)
{
	double err = 0;
	for (size_t k = 0; k < c->in->ns; k++) {
		const struct lf_series *s = &c->in->s[k];
		size_t scales[2] = { c->e, c->e * FIT_COARSE_SCALE };
		for (int sc = 0; sc < 2; sc++) {
			for (size_t i = s->lo; i < s->hi; i += scales[sc]) {
				size_t j1 = i + scales[sc] < s->hi ? i + scales[sc] : s->hi;
				double a = 0, n = 0;
				for (size_t j = i; j < j1; j++) {
					a += s->acc[j];
					n += s->off[j];
				}
				err += fabs(n * c->pbar - a);
			}
		}
	}
	return err;
}

static double score_of(struct ctx *c, const struct params *p)
{
	double e = model_error(c, p);
	double s = 1.0 - e / c->base;
	return s < 0 ? 0 : s;
}

/* ---- parameter estimates ---------------------------------------------------------------- */

struct satstats {
	double acc_strict, time_strict;  /* windows throttled, previous window throttled too */
	double acc_any, time_any;        /* windows with any throttle */
	size_t nsat;
	double sum, sum2;                /* accepted per saturated window */
	double peak;                     /* max offered per window, per s */
};

static void saturation(const struct lf_in *in, size_t tp, struct satstats *st)
{
	memset(st, 0, sizeof *st);
	double win_s = (double)tp * (double)in->w_ms / 1000.0;
	for (size_t k = 0; k < in->ns; k++) {
		const struct lf_series *s = &in->s[k];
		bool prev = false;
		for (size_t i = 0; i + tp <= s->n; i += tp) {
			uint64_t a = 0, o = 0;
			for (size_t j = i; j < i + tp; j++) {
				a += s->acc[j];
				o += s->off[j];
			}
			bool sat = o > a;
			double rate = (double)o / win_s;
			if (rate > st->peak)
				st->peak = rate;
			if (i >= s->lo && i + tp <= s->hi && sat) {
				st->acc_any += (double)a;
				st->time_any += win_s;
				st->nsat++;
				st->sum += (double)a;
				st->sum2 += (double)a * (double)a;
				if (prev) {
					st->acc_strict += (double)a;
					st->time_strict += win_s;
				}
			}
			prev = sat;
		}
	}
}

static int cmp_double(const void *x, const void *y)
{
	double a = *(const double *)x, b = *(const double *)y;
	return (a > b) - (a < b);
}

/* Largest excess of accepted requests over r*T that ended at a throttle after a quiet stretch
 * (the bucket went from full to empty): the burst.  Median over such drains. */
static double estimate_burst(const struct lf_in *in, double r)
{
	double w_s = (double)in->w_ms / 1000.0;
	size_t quiet = (size_t)(FIT_ONSET_QUIET_MS / in->w_ms);
	size_t look = (size_t)(FIT_DRAWUP_LOOKBACK_MS / in->w_ms);
	if (quiet < 1)
		quiet = 1;
	double *v = NULL;
	size_t nv = 0, cap = 0;
	for (size_t k = 0; k < in->ns; k++) {
		const struct lf_series *s = &in->s[k];
		size_t prev = SIZE_MAX;
		for (size_t j = 0; j < s->n; j++) {
			if (s->off[j] <= s->acc[j])
				continue;
			bool drain = prev == SIZE_MAX || j - prev > quiet;
			size_t from = j > look ? j - look : 0;
			if (prev != SIZE_MAX && prev + 1 > from)
				from = prev + 1; /* do not look back across an earlier throttle */
			prev = j;
			if (!drain)
				continue;
			/* max over x in [from, j] of accepted[x..j] - r * (j + 1 - x) * w */
			double d = 0, best = 0;
			for (size_t x = j + 1; x-- > from;) {
				d += (double)s->acc[x] - r * w_s;
				if (d > best)
					best = d;
			}
			xgrow((void **)&v, &cap, nv + 1, sizeof *v);
			v[nv++] = best;
		}
	}
	double b = 1;
	if (nv) {
		qsort(v, nv, sizeof *v, cmp_double);
		b = v[nv / 2];
	}
	free(v);
	return b < 1 ? 1 : round(b);
}

/* Median accepted count over aligned windows that saw throttling. */
static double window_limit(const struct lf_in *in, int64_t W, int64_t phase)
{
	double *v = NULL;
	size_t nv = 0, cap = 0;
	for (size_t k = 0; k < in->ns; k++) {
		const struct lf_series *s = &in->s[k];
		int64_t cur = 0;
		uint64_t a = 0, th = 0;
		bool inrange = true, first = true;
		for (size_t i = 0; i <= s->n; i++) {
			int64_t win = 0;
			if (i < s->n) {
				int64_t ts = in->t0_ms + (int64_t)i * in->w_ms - phase;
				win = ts >= 0 ? ts / W : -((-ts + W - 1) / W);
			}
			if (i == 0) {
				cur = win;
			} else if (i == s->n || win != cur) {
				/* a window cut by the start or end of the data is not counted */
				if (!first && i < s->n && inrange && th > 0) {
					xgrow((void **)&v, &cap, nv + 1, sizeof *v);
					v[nv++] = (double)a;
				}
				first = false;
				cur = win;
				a = th = 0;
				inrange = true;
			}
			if (i < s->n) {
				if (i < s->lo || i >= s->hi)
					inrange = false;
				a += s->acc[i];
				th += s->off[i] - s->acc[i];
			}
		}
	}
	double L = 0;
	if (nv) {
		qsort(v, nv, sizeof *v, cmp_double);
		L = v[nv / 2];
	}
	free(v);
	return L;
}

/* The plateau underestimates r when the bucket sometimes overflows (lumpy arrivals, small
 * burst); the burst estimate is coarse.  Replay a grid around both and keep the best. */
static double refine_bucket(struct ctx *c, struct params *tb)
{
	double r0 = tb->r, b0 = tb->b;
	double best = score_of(c, tb);
	for (int pass = 0; pass < 2; pass++) {
		struct params p = *tb;
		for (int k = 0; k <= FIT_RATE_STEPS; k++) {
			p.r = r0 * (FIT_RATE_LO + k * (FIT_RATE_HI - FIT_RATE_LO) / FIT_RATE_STEPS);
			double sc = score_of(c, &p);
			if (sc > best + 1e-9) {
				best = sc;
				*tb = p;
			}
		}
		p = *tb;
		static const double bf[] = { 0.25, 0.5, 0.75, 1.5, 2, 3, 4 };
		for (size_t k = 0; k < ARRAY_LEN(bf) + 3; k++) {
			p.b = k < ARRAY_LEN(bf) ? round(b0 * bf[k]) : (double)(k - ARRAY_LEN(bf) + 1);
			if (p.b < 1)
				continue;
			double sc = score_of(c, &p);
			if (sc > best + 1e-9) {
				best = sc;
				*tb = p;
			}
		}
	}
	return best;
}

static void set_fit(struct throttle_model_fit *f, const struct params *p, double score)
{
	f->scored = true;
	f->score = score;
	switch (p->m) {
	case THROTTLE_MODEL_TOKEN_BUCKET:
		f->rate_per_s = p->r;
		f->burst = p->b;
		break;
	case THROTTLE_MODEL_FIXED_WINDOW:
	case THROTTLE_MODEL_SLIDING_WINDOW:
		f->limit = p->L;
		f->window_s = (double)p->W_ms / 1000.0;
		f->rate_per_s = p->L / f->window_s;
		f->phase_ms = p->m == THROTTLE_MODEL_FIXED_WINDOW ? p->phase_ms : 0;
		break;
	case THROTTLE_MODEL_CONCURRENCY:
		f->concurrency = p->C;
		break;
	default:
		break;
	}
}

static void fit_fixed(struct ctx *c, double r, struct throttle_model_fit *f)
{
	const struct lf_in *in = c->in;
	double span_ms = 0;
	for (size_t k = 0; k < in->ns; k++) {
		double sp = (double)(in->s[k].hi - in->s[k].lo) * (double)in->w_ms;
		if (sp > span_ms)
			span_ms = sp;
	}
	double min_ms = 4.0 * (double)c->e * (double)in->w_ms;
	struct params best = { 0 };
	double bests = -1;
	size_t nw = ARRAY_LEN(window_candidates_s) + 2;
	for (size_t wi = 0; wi < nw; wi++) {
		int64_t W;
		bool exact_phase = false;
		if (wi < ARRAY_LEN(window_candidates_s)) {
			W = (int64_t)(window_candidates_s[wi] * 1000);
		} else if (wi == nw - 2 && in->countdown && in->countdown_w_s > 0) {
			W = (int64_t)llround(in->countdown_w_s * 1000);
			exact_phase = true;
		} else if (wi == nw - 1 && in->declared_window_s > 0) {
			W = (int64_t)llround(in->declared_window_s * 1000);
		} else {
			continue;
		}
		if (!exact_phase && ((double)W < min_ms || (double)W * 2 > span_ms))
			continue;
		int64_t step = W / FIT_MAX_PHASES;
		if (step < in->w_ms)
			step = in->w_ms;
		int64_t p0 = exact_phase ? in->countdown_phase_ms % W : 0;
		int64_t p1 = exact_phase ? p0 + 1 : W;
		for (int64_t ph = p0; ph < p1; ph += step) {
			struct params p = { .m = THROTTLE_MODEL_FIXED_WINDOW, .W_ms = W, .phase_ms = ph };
			p.L = window_limit(in, W, ph);
			if (p.L <= 0)
				continue;
			double s = score_of(c, &p);
			if (s > bests + 1e-9) {
				bests = s;
				best = p;
			}
		}
	}
	(void)r;
	if (bests < 0) {
		f->why_not = "the throttled period is too short for two windows of any candidate "
			     "length";
		return;
	}
	/* report the phase as a boundary inside the run */
	int64_t t0 = in->t0_ms;
	best.phase_ms = t0 + ((best.phase_ms - t0) % best.W_ms + best.W_ms) % best.W_ms;
	set_fit(f, &best, bests);
}

static void fit_sliding(struct ctx *c, double r, struct throttle_model_fit *f)
{
	const struct lf_in *in = c->in;
	double span_ms = 0;
	for (size_t k = 0; k < in->ns; k++) {
		double sp = (double)(in->s[k].hi - in->s[k].lo) * (double)in->w_ms;
		if (sp > span_ms)
			span_ms = sp;
	}
	double min_ms = 2.0 * (double)c->e * (double)in->w_ms;
	struct params best = { 0 };
	double bests = -1;
	for (size_t wi = 0; wi < ARRAY_LEN(window_candidates_s); wi++) {
		int64_t W = (int64_t)(window_candidates_s[wi] * 1000);
		if ((double)W < min_ms || (double)W > span_ms)
			continue;
		struct params p = { .m = THROTTLE_MODEL_SLIDING_WINDOW, .W_ms = W };
		double L0 = r * (double)W / 1000.0, bs = -1, bestL = 0;
		for (int k = 0; k <= FIT_RATE_STEPS; k++) {
			p.L = round(L0 * (FIT_RATE_LO + k * (FIT_RATE_HI - FIT_RATE_LO) / FIT_RATE_STEPS));
			if (p.L < 1 || p.L == bestL)
				continue;
			double sc = score_of(c, &p);
			if (sc > bs + 1e-9) {
				bs = sc;
				bestL = p.L;
			}
		}
		if (bs < 0)
			continue;
		p.L = bestL;
		double s = bs;
		if (s > bests + 1e-9) {
			bests = s;
			best = p;
		}
	}
	if (bests < 0) {
		f->why_not = "no candidate window fits inside the throttled period";
		return;
	}
	set_fit(f, &best, bests);
}

static void fit_concurrency(struct ctx *c, struct throttle_limit *out,
			    struct throttle_model_fit *f)
{
	const struct lf_in *in = c->in;
	if (in->per_key || in->ns != 1 || !in->s[0].svc_s || !in->s[0].end_acc) {
		f->why_not = "needs in-flight counts of one shared series";
		return;
	}
	const struct lf_series *s = &in->s[0];
	double *v = xmalloc((s->n ? s->n : 1) * sizeof *v);
	size_t nv = 0;
	int64_t infl = 0;
	for (size_t i = 0; i < s->n; i++) {
		if (i >= s->lo && i < s->hi && s->off[i] > s->acc[i])
			v[nv++] = (double)(infl > 0 ? infl : 0);
		infl += (int64_t)s->acc[i] - (int64_t)s->end_acc[i];
	}
	if (nv) {
		out->inflight_at_reject_p50 = quantile_d(v, nv, 0.5);
		out->inflight_at_reject_p90 = quantile_d(v, nv, 0.9);
	}
	double chat = nv ? quantile_d(v, nv, 0.75) : 0;
	free(v);
	if (in->svc_median_ms < 2.0 * (double)in->w_ms) {
		f->why_not = "responses were shorter than two fine buckets, so in-flight counts "
			     "cannot be resolved";
		return;
	}
	if (chat < 1) {
		f->why_not = "nothing was in flight when requests were rejected";
		return;
	}
	struct params best = { 0 };
	double bests = -1;
	for (int d = -1; d <= 1; d++) {
		struct params p = { .m = THROTTLE_MODEL_CONCURRENCY, .C = round(chat) + d };
		if (p.C < 1)
			continue;
		double sc = score_of(c, &p);
		if (sc > bests + 1e-9) {
			bests = sc;
			best = p;
		}
	}
	set_fit(f, &best, bests);
}

static enum throttle_confidence conf_label(double v)
{
	return v >= 0.6 ? THROTTLE_CONF_HIGH : v >= 0.35 ? THROTTLE_CONF_MEDIUM : THROTTLE_CONF_LOW;
}

void limiter_fit(const struct lf_in *in, struct throttle_limit *out, struct strbuf *why)
{
	out->model = THROTTLE_MODEL_UNKNOWN;
	out->per_key = in->per_key;
	out->keys_fitted = in->per_key ? (uint32_t)in->ns : 0;
	uint64_t thr = 0, off = 0, acc = 0;
	size_t nmax = 0;
	for (size_t k = 0; k < in->ns; k++) {
		const struct lf_series *s = &in->s[k];
		if (s->n > nmax)
			nmax = s->n;
		for (size_t i = s->lo; i < s->hi; i++) {
			off += s->off[i];
			acc += s->acc[i];
		}
	}
	thr = off - acc;
	size_t tp = (size_t)llround(1000.0 / (double)in->w_ms);
	if (tp < 1)
		tp = 1;
	struct satstats st;
	saturation(in, tp, &st);
	out->offered_peak_per_s = st.peak;
	out->plateau_per_s = st.time_any > 0 ? st.acc_any / st.time_any : 0;
	if (st.nsat > 1 && st.sum > 0) {
		double m = st.sum / (double)st.nsat;
		double var = st.sum2 / (double)st.nsat - m * m;
		out->accepted_cv = var > 0 ? sqrt(var) / m : 0;
	}
	if (thr < FIT_MIN_THROTTLED) {
		strbuf_addf(why, "only %llu throttled answers in the throttled period; at least %d "
			    "are needed to tell limiters apart", (unsigned long long)thr,
			    FIT_MIN_THROTTLED);
		return;
	}
	/* starting rate: windows throttled throughout (bucket empty), else any throttled window,
	 * else the mean accepted rate of the evaluation range (fixed windows throttle the whole
	 * tail of each window, so their throttled seconds accept nothing) */
	double span_s = 0;
	for (size_t k = 0; k < in->ns; k++)
		span_s = fmax(span_s, (double)(in->s[k].hi - in->s[k].lo) * (double)in->w_ms / 1000.0);
	double r_mean = span_s > 0 ? (double)acc / span_s / (double)in->ns : 0;
	double r = st.acc_strict > 0 ? st.acc_strict / st.time_strict
		 : st.acc_any > 0 ? out->plateau_per_s : r_mean;
	if (r <= 0) {
		strbuf_addstr(why, "no request was accepted while throttling lasted: the limit is "
			      "exhausted (a quota or a block), so its rate cannot be measured");
		return;
	}
	struct ctx c = { .in = in, .nmax = nmax };
	double ebin_ms = fmax((double)in->w_ms, 1000.0 * FIT_BIN_ACCEPTED / r);
	c.e = (size_t)ceil(ebin_ms / (double)in->w_ms);
	c.pbar = off ? (double)acc / (double)off : 0;
	c.base = base_error(&c);
	if (c.base <= 0) {
		strbuf_addstr(why, "the accepted share was the same in every bucket, which every "
			      "model explains equally");
		return;
	}
	c.pred = xcalloc(nmax ? nmax : 1, sizeof *c.pred);
	c.aux = xcalloc(nmax ? nmax : 1, sizeof *c.aux);

	struct throttle_model_fit *f = out->fits;
	memset(out->fits, 0, sizeof out->fits);
	struct params tb = { .m = THROTTLE_MODEL_TOKEN_BUCKET, .r = r };
	tb.b = estimate_burst(in, r);
	double tbs = refine_bucket(&c, &tb);
	set_fit(&f[THROTTLE_MODEL_TOKEN_BUCKET], &tb, tbs);
	fit_fixed(&c, r, &f[THROTTLE_MODEL_FIXED_WINDOW]);
	fit_sliding(&c, r, &f[THROTTLE_MODEL_SLIDING_WINDOW]);
	fit_concurrency(&c, out, &f[THROTTLE_MODEL_CONCURRENCY]);
	free(c.pred);
	free(c.aux);

	/* pick: best score; near-ties go to the first in preference order */
	enum throttle_model pref[4] = { THROTTLE_MODEL_TOKEN_BUCKET, THROTTLE_MODEL_FIXED_WINDOW,
					THROTTLE_MODEL_SLIDING_WINDOW, THROTTLE_MODEL_CONCURRENCY };
	if (in->countdown) {
		pref[0] = THROTTLE_MODEL_FIXED_WINDOW;
		pref[1] = THROTTLE_MODEL_TOKEN_BUCKET;
	}
	double top = -1;
	for (int i = 0; i < 4; i++) {
		if (f[pref[i]].scored && f[pref[i]].score > top)
			top = f[pref[i]].score;
	}
	enum throttle_model best = THROTTLE_MODEL_UNKNOWN;
	for (int i = 0; i < 4 && best == THROTTLE_MODEL_UNKNOWN; i++) {
		if (f[pref[i]].scored && f[pref[i]].score >= top - FIT_TIE)
			best = pref[i];
	}
	if (best == THROTTLE_MODEL_UNKNOWN || top < FIT_UNKNOWN_BELOW) {
		strbuf_addf(why, "no limiter model explains the accept/throttle sequence (best "
			    "score %.2f, below %.2f)", top < 0 ? 0 : top, FIT_UNKNOWN_BELOW);
		return;
	}
	double second = 0;
	enum throttle_model runner = THROTTLE_MODEL_UNKNOWN;
	for (int m = 1; m < THROTTLE_MODEL_COUNT; m++) {
		if (m != (int)best && f[m].scored && f[m].score > second) {
			second = f[m].score;
			runner = (enum throttle_model)m;
		}
	}
	const struct throttle_model_fit *bf = &f[best];
	out->model = best;
	out->score = bf->score;
	out->rate_per_s = best == THROTTLE_MODEL_CONCURRENCY ? out->plateau_per_s : bf->rate_per_s;
	out->burst = bf->burst;
	out->limit = bf->limit;
	out->window_s = bf->window_s;
	out->concurrency = bf->concurrency;
	double margin = bf->score - second;
	double mf = 0.4 + 0.6 * fmin(1.0, fmax(0.0, margin) / FIT_MARGIN_FULL);
	double df = fmin(1.0, (double)st.nsat / FIT_SAT_WINDOWS_FULL);
	double cv = bf->score * mf * df;
	bool strong = best == THROTTLE_MODEL_FIXED_WINDOW && in->countdown &&
		      fabs(bf->window_s - in->countdown_w_s) < 0.5;
	if (strong)
		cv = fmax(cv, 0.8 * bf->score * df);
	out->confidence_value = cv;
	out->confidence = conf_label(cv);
	if (runner != THROTTLE_MODEL_UNKNOWN && margin < FIT_MARGIN_FULL && !strong) {
		strbuf_addf(why, "%s scored close behind (%.2f vs %.2f)", throttle_model_name(runner),
			    second, bf->score);
		if ((best == THROTTLE_MODEL_TOKEN_BUCKET && runner == THROTTLE_MODEL_SLIDING_WINDOW) ||
		    (best == THROTTLE_MODEL_SLIDING_WINDOW && runner == THROTTLE_MODEL_TOKEN_BUCKET))
			strbuf_addstr(why, ": they differ only in how a burst after a quiet spell is "
				      "treated, and the run had few such bursts");
		else if (runner == THROTTLE_MODEL_FIXED_WINDOW || best == THROTTLE_MODEL_FIXED_WINDOW)
			strbuf_addstr(why, ": a short fixed window and a steady rate look alike when "
				      "requests arrive evenly");
	}
	if (df < 1) {
		strbuf_addf(why, "%sonly %zu one-second windows were throttled", why->len ? "; " : "",
			    st.nsat);
	}
}
