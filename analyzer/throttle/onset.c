/* throttle/onset.c - sustained-throttling episodes, the onset, and the load at the onset.
 *
 * A throttled fine bucket i starts sustained throttling when the window that begins there -
 * at least ONSET_MIN_SPAN_MS long and holding at least ONSET_MIN_SAMPLES requests (capped at
 * ONSET_MAX_SPAN_MS) - has at least ONSET_MIN_THROTTLED throttled answers, a throttled fraction
 * of at least ONSET_LEVEL, and still has throttled answers in its second half.  docs/analysis.md
 * gives the reasons for each number. */
#include "analyzer/throttle/internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define ONSET_LEVEL 0.05
#define ONSET_MIN_THROTTLED 5
#define ONSET_MASS 50                /* this many refusals... */
#define ONSET_MASS_SHARE 0.2         /* ...making this share of the window: sustained */
#define ONSET_MIN_SAMPLES 20
#define ONSET_MIN_SPAN_MS 2000
#define ONSET_MAX_SPAN_MS 60000
#define ONSET_RECUR_MS 10000         /* throttling that resumes within this is persistent */
#define ONSET_STRAGGLER_FACTOR 4      /* a leading throttle this many mean gaps ahead is a stray */
#define EPISODE_GAP_FACTOR 4          /* an episode ends after this many mean gaps clean... */
#define EPISODE_MERGE_MS 60000        /* ...and episodes closer than this are one */
#define THREADS_WINDOW_MIN_MS 6000
#define ONSET_TOGETHER_MS 100       /* requests this close after the onset came with it */
#define THREADS_WINDOW_GAPS 3
#define THREADS_WINDOW_MAX_MS 120000
#define LATENCY_WINDOW_MIN_MS 10000
#define LATENCY_MIN_N 20
#define RISING_REL 0.25
#define RISING_ABS_MS 10.0

struct win {
	size_t end;        /* last bucket of the window (inclusive) */
	uint64_t n, k;     /* requests, throttled */
	size_t last_thr;   /* last throttled bucket */
	size_t nthr_b;     /* throttled buckets */
};

static struct win window_at(const struct tgroup *g, size_t i, int64_t w)
{
	struct win r = { i, 0, 0, i, 0 };
	size_t j = i;
	for (; j < g->nf; j++) {
		r.n += g->f_sent[j];
		r.k += g->f_thr[j];
		if (g->f_thr[j]) {
			r.last_thr = j;
			r.nthr_b++;
		}
		int64_t span = (int64_t)(j - i + 1) * w;
		if ((span >= ONSET_MIN_SPAN_MS && r.n >= ONSET_MIN_SAMPLES &&
		     r.k >= ONSET_MIN_THROTTLED) || span >= ONSET_MAX_SPAN_MS)
			break;
	}
	r.end = j < g->nf ? j : g->nf - 1;
	return r;
}

/* Throttled at least once in buckets [a, b] (clamped to the data). */
static bool any_thr(const struct tgroup *g, size_t a, size_t b)
{
	for (size_t j = a; j <= b && j < g->nf; j++) {
		if (g->f_thr[j])
			return true;
	}
	return false;
}

static bool sustained(const struct tgroup *g, const struct win *r, size_t i, size_t horizon)
{
	if (r->k < ONSET_MIN_THROTTLED || (double)r->k < ONSET_LEVEL * (double)r->n)
		return false;
	/* a mass of refusals is no stray answer even when it is over quickly (closed-loop
	 * threads resending at once use up their loops within a second) */
	if (r->k >= ONSET_MASS && (double)r->k >= ONSET_MASS_SHARE * (double)r->n)
		return true;
	/* persistence: throttled again in the second half of the window or, after a clean
	 * stretch (a fixed window's fresh quota), within the horizon */
	size_t span = r->end - i + 1;
	if ((r->last_thr - i + 1) * 2 >= span)
		return true;
	if (r->end + 1 >= g->nf)
		return false;
	size_t h = span * 2 > horizon ? span * 2 : horizon;
	return any_thr(g, r->end + 1, i + h);
}

static size_t next_thr(const struct tgroup *g, size_t i)
{
	while (i < g->nf && !g->f_thr[i])
		i++;
	return i;
}

/* Drop leading throttled buckets that stand far ahead of the rest of the window's throttles. */
static size_t trim_stragglers(const struct tgroup *g, size_t i, int64_t w, size_t horizon)
{
	for (;;) {
		struct win r = window_at(g, i, w);
		size_t b1 = next_thr(g, i + 1);
		if (b1 > r.end || r.nthr_b < 3)
			return i;
		double mean_rest = (double)(r.last_thr - b1) / (double)(r.nthr_b - 2);
		double gap0 = (double)(b1 - i);
		if (gap0 * (double)w <= ONSET_MIN_SPAN_MS || gap0 <= ONSET_STRAGGLER_FACTOR * mean_rest)
			return i;
		struct win r1 = window_at(g, b1, w);
		if (!sustained(g, &r1, b1, horizon))
			return i;
		i = b1;
	}
}

void onset_episodes(struct throttle *t, struct tgroup *g)
{
	int64_t w = t->fine.w;
	size_t cap = 0;
	g->nep = 0;
	/* how far a fresh quota may keep a fixed window clean before throttling resumes */
	double cw = 0;
	int64_t cph;
	int64_t hz_ms = ONSET_RECUR_MS;
	if (retry_countdown(&g->ra, &cw, &cph) && (int64_t)(cw * 1000) + 1000 > hz_ms)
		hz_ms = (int64_t)(cw * 1000) + 1000;
	size_t horizon = (size_t)(hz_ms / w);
	size_t i = next_thr(g, 0);
	while (i < g->nf) {
		struct win r = window_at(g, i, w);
		if (!sustained(g, &r, i, horizon)) {
			i = next_thr(g, i + 1);
			continue;
		}
		size_t b0 = trim_stragglers(g, i, w, horizon);
		r = window_at(g, b0, w);
		/* mean spacing of throttled buckets near the onset sets the tolerated clean gap */
		double sp = r.nthr_b > 1 ? (double)(r.last_thr - b0) / (double)(r.nthr_b - 1) : 1;
		size_t gap_b = (size_t)ceil(fmax((double)ONSET_MIN_SPAN_MS / (double)w,
						 EPISODE_GAP_FACTOR * sp));
		/* walk back through the chain of earlier throttles no further apart than the gap
		 * that would end an episode: a limit reached while the load was barely above it
		 * throttles sparsely at first */
		size_t lo = g->nep ? g->ep_b1[g->nep - 1] + 1 : 0;
		for (size_t p = b0; p-- > lo && b0 - p <= gap_b;) {
			if (g->f_thr[p])
				b0 = p;
		}
		/* Retry-After counting down to window ends: throttles at the tail of the previous
		 * window belong to the same exhaustion of the quota */
		if (cw > 0) {
			int64_t W = (int64_t)(cw * 1000), t0 = t->fine.lo * w;
			for (size_t p = b0; p-- > lo;) {
				if (!g->f_thr[p])
					continue;
				int64_t wp = (t0 + (int64_t)p * w - cph) / W;
				int64_t wb = (t0 + (int64_t)b0 * w - cph) / W;
				if (wp + 1 < wb)
					break;
				b0 = p;
			}
		}
		size_t last = b0, j = b0;
		for (;;) {
			size_t nx = next_thr(g, j + 1);
			if (nx >= g->nf || nx - last > gap_b)
				break;
			last = j = nx;
		}
		size_t merge_b = (size_t)(EPISODE_MERGE_MS / w);
		if (g->nep > 0 && b0 - g->ep_b1[g->nep - 1] <= merge_b) {
			g->ep_b1[g->nep - 1] = last;
		} else {
			if (g->nep == cap) {
				size_t c0 = cap;
				xgrow((void **)&g->ep_b0, &c0, cap + 1, sizeof *g->ep_b0);
				xgrow((void **)&g->ep_b1, &cap, cap + 1, sizeof *g->ep_b1);
			}
			g->ep_b0[g->nep] = b0;
			g->ep_b1[g->nep] = last;
			g->nep++;
		}
		i = next_thr(g, last + 1);
	}
	/* isolated: throttled samples outside every episode */
	struct throttle_onset *o = &g->res.onset;
	o->isolated = 0;
	o->first_isolated_ms = 0;
	size_t e = 0;
	int64_t t0 = t->fine.lo * w;
	for (size_t b = 0; b < g->nf; b++) {
		while (e < g->nep && b > g->ep_b1[e])
			e++;
		bool inside = e < g->nep && b >= g->ep_b0[e] && b <= g->ep_b1[e];
		if (!inside && g->f_thr[b]) {
			if (!o->isolated)
				o->first_isolated_ms = t0 + (int64_t)b * w;
			o->isolated += g->f_thr[b];
		}
	}
}

/* Distinct keys of g (or of every group when all) active in coarse buckets [c0, c1]. */
static uint32_t active_keys(const struct throttle *t, const struct tgroup *g, int64_t c0,
			    int64_t c1, bool distinct_ids)
{
	uint32_t n = 0;
	unsigned char *seen = distinct_ids ? xcalloc(t->key_ids.n + 1, 1) : NULL;
	for (size_t i = 0; i < g->nkeys; i++) {
		const struct tkey *k = &t->keys[g->keys[i]];
		bool act = false;
		for (int64_t c = c0; c <= c1 && !act; c++) {
			const struct tkc *kc = key_coarse(k, c);
			act = kc && kc->sent;
		}
		if (!act)
			continue;
		if (seen) {
			if (seen[k->id])
				continue;
			seen[k->id] = 1;
		}
		n++;
	}
	free(seen);
	return n;
}

struct latwin {
	struct thist ok;
	uint64_t all, thr;
	double el_all, el_thr;
	int64_t max_threads;
};

static void lat_window(const struct throttle *t, const struct tgroup *g, int64_t b0, int64_t b1,
		       struct latwin *out)
{
	memset(out, 0, sizeof *out);
	for (int64_t b = b0; b <= b1; b++) {
		const struct tlat *l = tarr_get(&g->lat, b);
		if (!l)
			continue;
		out->all += l->all;
		out->thr += l->thr;
		out->el_all += l->el_all_ms;
		out->el_thr += l->el_thr_ms;
		if (l->max_all_threads > out->max_threads)
			out->max_threads = l->max_all_threads;
		if (l->ok)
			thist_merge(&out->ok, l->ok);
	}
	(void)t;
}

static void lat_summary(const struct thist *h, struct throttle_latency *o)
{
	o->n = h->n;
	o->p50_ms = h->n ? thist_quantile(h, 0.5) : 0;
	o->p95_ms = h->n ? thist_quantile(h, 0.95) : 0;
	o->mean_ms = h->n ? h->sum / (double)h->n : 0;
}

void onset_load(struct throttle *t, struct tgroup *g, bool overall)
{
	struct throttle_onset *o = &g->res.onset;
	o->jmeter_all_threads = -1;
	o->latency_rising = -1;
	if (g->nep == 0) {
		o->detected = false;
		return;
	}
	o->detected = true;
	o->episodes = (uint32_t)g->nep;
	int64_t w = t->fine.w, t0 = t->fine.lo * w;
	size_t b = g->ep_b0[0];
	int64_t on = t0 + (int64_t)b * w;
	{
		/* the onset to the millisecond: the first rejected request in its bucket */
		int64_t exact;
		uint32_t gi = overall ? UINT32_MAX : (uint32_t)(g - t->groups);
		if (t->replay && replay_first_reject(t->replay, gi, on, on + w, t->is_shadow, &exact))
			on = exact;
	}
	o->ts_ms = on;
	o->offset_s = (double)(on - t->start_ms) / 1000.0;
	o->end_ms = t0 + (int64_t)(g->ep_b1[g->nep - 1] + 1) * w;

	/* trailing window: long enough that a thread between two requests still counts */
	double gap = g->gaps.n ? thist_quantile(&g->gaps, 0.5) : 0;
	int64_t wt = (int64_t)fmax(THREADS_WINDOW_MIN_MS, THREADS_WINDOW_GAPS * gap);
	if (wt > THREADS_WINDOW_MAX_MS)
		wt = THREADS_WINDOW_MAX_MS;
	o->window_s = (double)wt / 1000.0;
	int64_t c0 = taxis_idx(&t->coarse, on - wt), c1 = taxis_idx(&t->coarse, on - 1);
	o->threads = active_keys(t, g, c0, c1, overall);
	o->all_threads = active_keys(t, &t->all, c0, c1, true);
	{
		/* exact, from the kept requests, when they cover the window (the per-key buckets
		 * are 1 s wide and would count threads that started just after the onset) */
		uint32_t n;
		uint32_t gi = overall ? UINT32_MAX : (uint32_t)(g - t->groups);
		/* senders whose request came with the onset's (a burst, within ONSET_TOGETHER_MS)
		 * are sending at the onset too */
		if (t->replay && replay_active_senders(t->replay, gi, on - wt, on + ONSET_TOGETHER_MS, &n))
			o->threads = n;
		if (t->replay &&
		    replay_active_senders(t->replay, UINT32_MAX, on - wt, on + ONSET_TOGETHER_MS, &n))
			o->all_threads = n;
	}

	size_t nb = (size_t)(wt / w);
	if (nb == 0)
		nb = 1;
	o->key_window_s = (double)((c1 - c0 + 1) * t->coarse.w) / 1000.0;
	size_t from = b > nb ? b - nb : 0;
	uint64_t sent = 0, asent = 0;
	for (size_t i = from; i < b; i++) {
		sent += g->f_sent[i];
		asent += t->all.f_sent[i];
	}
	double span_s = (double)(b - from) * (double)w / 1000.0;
	o->rate_per_s = span_s > 0 ? (double)sent / span_s : 0;
	o->all_rate_per_s = span_s > 0 ? (double)asent / span_s : 0;
	int64_t infl = 0;
	for (size_t i = 0; i < b; i++)
		infl += (int64_t)g->f_sent[i] - (int64_t)g->f_end_all[i];
	o->inflight = infl > 0 ? (uint32_t)infl : 0;

	/* latency: whole latency buckets before and after the one holding the onset */
	int64_t lw = t->lat.w;
	int64_t L = wt > LATENCY_WINDOW_MIN_MS ? wt : LATENCY_WINDOW_MIN_MS;
	int64_t lnb_after = L / lw;
	if (L > (on - g->first_ms) / 2) /* early onset: halves of what came before */
		L = (on - g->first_ms) / 2;
	int64_t lnb = L / lw;
	if (lnb < 1)
		lnb = 1;
	if (lnb_after < 1)
		lnb_after = 1;
	o->latency_window_s = (double)(lnb * lw) / 1000.0;
	o->after_window_s = (double)(lnb_after * lw) / 1000.0;
	int64_t lb = taxis_idx(&t->lat, on);
	struct latwin before, after, base;
	lat_window(t, g, lb - lnb, lb - 1, &before);
	lat_window(t, g, lb + 1, lb + lnb_after, &after);
	lat_window(t, g, t->lat.lo, lb - lnb - 1, &base);
	lat_summary(&before.ok, &o->before);
	lat_summary(&after.ok, &o->after);
	lat_summary(&base.ok, &o->baseline);
	o->throttled_frac_after = after.all ? (double)after.thr / (double)after.all : 0;
	o->mean_all_before_ms = before.all ? before.el_all / (double)before.all : 0;
	o->mean_all_after_ms = after.all ? after.el_all / (double)after.all : 0;
	o->mean_throttled_ms = after.thr ? after.el_thr / (double)after.thr : 0;
	struct latwin all_win;
	lat_window(t, &t->all, lb - lnb, lb - 1, &all_win);
	if (all_win.max_threads > 0)
		o->jmeter_all_threads = all_win.max_threads;

	if (o->baseline.n >= LATENCY_MIN_N && o->before.n >= LATENCY_MIN_N) {
		double d95 = o->before.p95_ms - o->baseline.p95_ms;
		double d50 = o->before.p50_ms - o->baseline.p50_ms;
		bool up = (d95 >= fmax(RISING_REL * o->baseline.p95_ms, RISING_ABS_MS)) ||
			  (d50 >= fmax(RISING_REL * o->baseline.p50_ms, RISING_ABS_MS));
		o->latency_rising = up ? 1 : 0;
	}
	/* coordinated omission: the mean of all answers fell only because throttled ones are
	 * fast, while successful answers did not get faster */
	if (before.all >= LATENCY_MIN_N && after.all >= LATENCY_MIN_N && after.thr > 0 &&
	    o->before.n >= LATENCY_MIN_N && o->after.n >= 1) {
		o->coordinated_omission =
			o->mean_all_after_ms < 0.9 * o->mean_all_before_ms &&
			o->after.mean_ms >= 0.9 * o->before.mean_ms &&
			o->mean_throttled_ms < o->after.mean_ms;
	}
}

uint32_t onset_active_keys(const struct throttle *t, const struct tgroup *g, int64_t from_ms,
			   int64_t to_ms)
{
	return active_keys(t, g, taxis_idx(&t->coarse, from_ms), taxis_idx(&t->coarse, to_ms - 1),
			   g == &t->all);
}

double onset_rate(const struct throttle *t, const struct tgroup *g, int64_t from_ms,
		  int64_t to_ms)
{
	int64_t w = t->fine.w, t0 = t->fine.lo * w;
	if (to_ms <= from_ms || g->nf == 0)
		return 0;
	int64_t b0 = (from_ms - t0) / w, b1 = (to_ms - t0) / w;
	if (b0 < 0)
		b0 = 0;
	if (b1 > (int64_t)g->nf)
		b1 = (int64_t)g->nf;
	uint64_t n = 0;
	for (int64_t b = b0; b < b1; b++)
		n += g->f_sent[b];
	return (double)n / ((double)(to_ms - from_ms) / 1000.0);
}
