/* throttle/limiter.c - statistics of the accepted rate while throttled, for the report's
 * limiter table: the offered peak, the accepted plateau, how steady the accepted rate was and
 * how many accepted requests were in flight at rejections.
 *
 * Input: one or more bucket series (the group's fine buckets, or one coarse series per scope
 * key) of requests offered and accepted.  Which limiter it was, with its parameters and
 * confidence, is decided by replaying the requests (replay*.c, decide.c), not here.
 */
#include "analyzer/throttle/internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

struct satstats {
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
			}
		}
	}
}

/* Accepted requests in flight at the buckets where rejections happened (one shared series
 * with end counts only). */
static void inflight_at_rejections(const struct lf_in *in, struct throttle_limit *out)
{
	if (in->per_key || in->ns != 1 || !in->s[0].svc_s || !in->s[0].end_acc)
		return;
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
	free(v);
}

void limiter_stats(const struct lf_in *in, struct throttle_limit *out)
{
	out->model = THROTTLE_MODEL_UNKNOWN;
	out->per_key = in->per_key;
	out->keys_fitted = in->per_key ? (uint32_t)in->ns : 0;
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
	inflight_at_rejections(in, out);
}
