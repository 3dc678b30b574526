/* replay_fit.c - the fit of a group: candidate partition keys, every model under every key,
 * the best candidate, its margins and the values of its key (see replay.h). */
#include "analyzer/throttle/replay_int.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* ---- partitions ------------------------------------------------------------------------ */

/* Dense partition ids of key k over the window; false when k does not partition it (one
 * value, absent on many requests, or too many values). */
static bool partition(const struct replay *r, const struct rev *ev, size_t n, enum replay_key k,
		      uint32_t *part, uint32_t *np)
{
	if (k == RK_SHARED) {
		memset(part, 0, n * sizeof *part);
		*np = 1;
		return true;
	}
	if (r->overflow[k] || r->vals[k].n < 2)
		return false;
	size_t nv = r->vals[k].n + 1;
	uint32_t *map = xmalloc(nv * sizeof *map);
	for (size_t i = 0; i < nv; i++)
		map[i] = UINT32_MAX;
	uint32_t cnt = 0;
	size_t absent = 0;
	for (size_t i = 0; i < n; i++) {
		uint16_t v = ev[i].key[k];
		if (v == 0)
			absent++;
		if (map[v] == UINT32_MAX)
			map[v] = cnt++;
		part[i] = map[v];
	}
	free(map);
	*np = cnt;
	return cnt >= 2 && absent * 10 <= n;
}

/* Same partition of the requests (a bijection between the values)? */
static bool same_partition(const uint32_t *a, uint32_t na, const uint32_t *b, uint32_t nb,
			   size_t n)
{
	if (na != nb)
		return false;
	uint32_t *ab = xmalloc(na * sizeof *ab);
	for (uint32_t i = 0; i < na; i++)
		ab[i] = UINT32_MAX;
	bool same = true;
	for (size_t i = 0; i < n && same; i++) {
		if (ab[a[i]] == UINT32_MAX)
			ab[a[i]] = b[i];
		else if (ab[a[i]] != b[i])
			same = false;
	}
	free(ab);
	return same;
}

static void build_accept_csr(struct win *w)
{
	free(w->aoff);
	free(w->atime);
	w->aoff = xcalloc((size_t)w->np + 1, sizeof *w->aoff);
	for (size_t i = 0; i < w->n; i++)
		if (!w->rej[i])
			w->aoff[w->part[i] + 1]++;
	for (uint32_t p = 0; p < w->np; p++)
		w->aoff[p + 1] += w->aoff[p];
	size_t tot = w->aoff[w->np];
	w->atime = xmalloc((tot ? tot : 1) * sizeof *w->atime);
	size_t *fill = xmalloc(((size_t)w->np + 1) * sizeof *fill);
	memcpy(fill, w->aoff, ((size_t)w->np + 1) * sizeof *fill);
	for (size_t i = 0; i < w->n; i++)
		if (!w->rej[i])
			w->atime[fill[w->part[i]]++] = w->t[i];
	free(fill);
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

static double median_sorted(double *v, size_t n)
{
	if (!n)
		return -1;
	qsort(v, n, sizeof *v, cmp_double);
	return v[n / 2];
}

/* Accepted rate of the partitions while they were being throttled: median over partitions
 * with at least two rejections of accepted / (last - first rejection). */
static double saturated_rate(const struct win *w)
{
	double *first = xmalloc(w->np * sizeof *first), *last = xmalloc(w->np * sizeof *last);
	uint32_t *nrej = xcalloc(w->np, sizeof *nrej), *nacc = xcalloc(w->np, sizeof *nacc);
	for (uint32_t p = 0; p < w->np; p++) {
		first[p] = INFINITY;
		last[p] = -INFINITY;
	}
	for (size_t i = 0; i < w->n; i++) {
		uint32_t p = w->part[i];
		if (w->rej[i]) {
			nrej[p]++;
			if (w->t[i] < first[p])
				first[p] = w->t[i];
			last[p] = w->t[i];
		}
	}
	for (size_t i = 0; i < w->n; i++) {
		uint32_t p = w->part[i];
		if (!w->rej[i] && w->t[i] >= first[p] && w->t[i] <= last[p])
			nacc[p]++;
	}
	double *rates = xmalloc(w->np * sizeof *rates);
	size_t nr = 0;
	for (uint32_t p = 0; p < w->np; p++) {
		if (nrej[p] >= 2 && last[p] - first[p] > 0.5)
			rates[nr++] = (double)nacc[p] / (last[p] - first[p]);
	}
	double r = nr ? median_sorted(rates, nr) : 0;
	if (!(r > 0)) {
		size_t acc = 0;
		for (size_t i = 0; i < w->n; i++)
			acc += !w->rej[i];
		double span = w->n > 1 ? w->t[w->n - 1] - w->t[0] : 1;
		r = (double)acc / (span > 0.1 ? span : 0.1) / (w->np ? w->np : 1);
	}
	free(first);
	free(last);
	free(nrej);
	free(nacc);
	free(rates);
	return r > 0.001 ? r : 0.001;
}

static void key_name(const struct replay *r, enum replay_key k, struct strbuf *out)
{
	strbuf_reset(out);
	switch (k) {
	case RK_SHARED: strbuf_addstr(out, "shared"); break;
	case RK_TGROUP: strbuf_addstr(out, "thread-group"); break;
	case RK_HOST: strbuf_addstr(out, "client-host"); break;
	case RK_CONN: strbuf_addstr(out, "connection"); break;
	case RK_THREAD: strbuf_addstr(out, "thread"); break;
	case RK_LABEL: strbuf_addstr(out, "label"); break;
	default: {
		unsigned slot = (unsigned)k - RK_HDR0;
		strbuf_addstr(out, "header:");
		if (slot < r->nhdr)
			strbuf_addstr(out, r->hdr_name[slot]);
		break;
	}
	}
}

/* Accepted requests' latency at high vs low load (requests in flight at their start). */
static double inflight_latency_ratio(struct win *w)
{
	uint32_t np = w->np;
	uint32_t *save = w->part;
	uint32_t *zero = xcalloc(w->n ? w->n : 1, sizeof *zero);
	w->part = zero;
	w->np = 1;
	replay_pass_cc(w);
	w->part = save;
	w->np = np;
	free(zero);
	size_t na = 0;
	double *lv = xmalloc((w->n ? w->n : 1) * sizeof *lv);
	for (size_t i = 0; i < w->n; i++)
		if (!w->rej[i])
			lv[na++] = (double)w->v[i];
	if (na < 40) {
		free(lv);
		return -1;
	}
	double q25, q75;
	qsort(lv, na, sizeof *lv, cmp_double);
	q25 = lv[na / 4];
	q75 = lv[(3 * na) / 4];
	size_t nlo = 0, nhi = 0;
	double *lo = xmalloc(na * sizeof *lo), *hi = xmalloc(na * sizeof *hi);
	for (size_t i = 0; i < w->n; i++) {
		if (w->rej[i])
			continue;
		double el = w->end[i] - w->t[i];
		if ((double)w->v[i] <= q25)
			lo[nlo++] = el;
		if ((double)w->v[i] >= q75 && q75 > q25)
			hi[nhi++] = el;
	}
	double ratio = -1;
	if (nlo >= 10 && nhi >= 10) {
		double a = median_sorted(lo, nlo), b = median_sorted(hi, nhi);
		if (a > 0.0005)
			ratio = b / a;
		else if (b > 0.002)
			ratio = b / 0.0005;
	}
	free(lo);
	free(hi);
	free(lv);
	return ratio;
}

void replay_fit_release(struct replay_fit *f)
{
	free(f->key_name);
	for (size_t k = 0; k < RK_COUNT; k++)
		free(f->key_names[k]);
	for (size_t i = 0; i < f->nvalues; i++)
		free(f->values[i].name);
	free(f->values);
	memset(f, 0, sizeof *f);
}

static int cmp_value(const void *a, const void *b)
{
	return strcmp(((const struct replay_value *)a)->name, ((const struct replay_value *)b)->name);
}

/* Clients in lockstep: the requests come in rounds (runs with gaps of at most ROUND_GAP_S),
 * each holding at least half the senders, rounds at least ROUND_SEP apart, and most requests
 * in such rounds.  Within a round the order, so which requests are refused, is arbitrary:
 * only the number a round gets accepted is evidence. */
#define ROUND_GAP_S 0.025
#define ROUND_SEP 10.0          /* x ROUND_GAP_S */
#define ROUND_SHARE 0.8
#define ROUND_MIN 3
static void lockstep_rounds(const struct win *w, const struct rev *wv, struct replay_fit *out)
{
	if (w->n < 20)
		return;
	/* distinct senders */
	uint16_t maxk = 0;
	for (size_t i = 0; i < w->n; i++)
		if (wv[i].key[RK_THREAD] > maxk)
			maxk = wv[i].key[RK_THREAD];
	unsigned char *seen = xcalloc((size_t)maxk + 1, 1);
	size_t senders = 0;
	for (size_t i = 0; i < w->n; i++)
		if (!seen[wv[i].key[RK_THREAD]]++)
			senders++;
	free(seen);
	size_t need = senders / 2 > ROUND_MIN ? senders / 2 : ROUND_MIN;
	size_t in_rounds = 0, rounds = 0, sep_ok = 0;
	double *acc = xmalloc(w->n * sizeof *acc);
	double last_end = -1e300;
	for (size_t i = 0; i < w->n;) {
		size_t j = i + 1;
		while (j < w->n && w->t[j] - w->t[j - 1] <= ROUND_GAP_S)
			j++;
		if (j - i >= need) {
			size_t a = 0;
			for (size_t k = i; k < j; k++)
				a += !w->rej[k];
			acc[rounds] = (double)a;
			if (w->t[i] - last_end >= ROUND_SEP * ROUND_GAP_S)
				sep_ok++;
			rounds++;
			in_rounds += j - i;
			last_end = w->t[j - 1];
		}
		i = j;
	}
	if (rounds >= ROUND_MIN && (double)in_rounds >= ROUND_SHARE * (double)w->n &&
	    sep_ok * 10 >= rounds * 9) {
		out->lockstep = true;
		out->rounds = (uint32_t)rounds;
		out->accepted_per_round = median_sorted(acc, rounds);
	}
	free(acc);
}

static size_t wider(size_t a, size_t b)
{
	return a > b ? a : b;
}

void replay_fit(struct replay *r, const struct replay_in *in, struct replay_fit *out)
{
	memset(out, 0, sizeof *out);
	out->runner_key = RK_COUNT;
	uint8_t rejflag = in->use_503 ? RF_P503 : RF_REJECT;
	/* the group's requests in start order, by index into the sorted store (no copy of the
	 * store: only the replayed stretch is copied, below) */
	replay_prepare(r);
	const struct rev *all = r->ev;
	size_t n = 0;
	uint32_t *sel = xmalloc((r->nev ? r->nev : 1) * sizeof *sel);
	for (size_t i = 0; i < r->nev; i++)
		if (in->group == UINT32_MAX || all[i].group == in->group)
			sel[n++] = (uint32_t)i;
#define EV(i) (all[sel[(i)]])
	size_t first = SIZE_MAX;
	for (size_t i = 0; i < n; i++) {
		if (EV(i).flags & rejflag) {
			first = i;
			break;
		}
	}
	if (first == SIZE_MAX) {
		out->why = "no throttled answers were kept";
		free(sel);
		return;
	}
	size_t lo = first;
	while (lo > 0 && EV(lo - 1).ts >= EV(first).ts - REPLAY_LEAD_MS)
		lo--;
	/* the stretch replayed: from lo on, at most REPLAY_FIT_ACCEPTS accepted requests within
	 * REPLAY_FIT_SPAN_MS.  When it holds more than REPLAY_FIT_MAX requests (a closed loop
	 * resending refused requests at once), refused ones are thinned evenly: the replayed
	 * state moves with the accepted requests, so every kept decision is still scored against
	 * the state the limiter had */
	size_t hi = lo, nacc_w = 0, nrej_w = 0;
	while (hi < n && nacc_w < REPLAY_FIT_ACCEPTS && EV(hi).ts - EV(lo).ts <= REPLAY_FIT_SPAN_MS) {
		if (EV(hi).flags & rejflag)
			nrej_w++;
		else
			nacc_w++;
		hi++;
	}
	size_t stride = 1;
	if (nacc_w + nrej_w > REPLAY_FIT_MAX) {
		size_t room = REPLAY_FIT_MAX > nacc_w ? REPLAY_FIT_MAX - nacc_w : 1;
		stride = (nrej_w + room - 1) / room;
	}
	size_t wn = 0;
	struct rev *ev = xmalloc((hi > lo ? hi - lo : 1) * sizeof *ev);
	{
		size_t rk = 0;
		for (size_t i = lo; i < hi; i++) {
			if ((EV(i).flags & rejflag) && (rk++ % stride) != 0)
				continue;
			ev[wn++] = EV(i);
		}
	}
#undef EV
	free(sel);
	lo = 0;
	hi = wn;
	out->thinned = stride;
	struct rev *wv = ev;
	struct win w;
	memset(&w, 0, sizeof w);
	w.n = hi - lo;
	w.t0 = (double)wv[0].ts / 1000.0;
	w.t = xmalloc(w.n * sizeof *w.t);
	w.end = xmalloc(w.n * sizeof *w.end);
	w.rej = xmalloc(w.n * sizeof *w.rej);
	w.v = xmalloc(w.n * sizeof *w.v);
	uint32_t *parts[RK_COUNT] = { 0 };
	uint32_t nps[RK_COUNT] = { 0 };
	size_t nrej = 0;
	double *rel = xmalloc(w.n * sizeof *rel), *ael = xmalloc(w.n * sizeof *ael);
	size_t nrel = 0, nael = 0;
	for (size_t i = 0; i < w.n; i++) {
		w.t[i] = (double)(wv[i].ts - wv[0].ts) / 1000.0;
		/* from integer ms, so an end and a later start at the same ms compare equal */
		w.end[i] = (double)(wv[i].ts + (int64_t)wv[i].el - wv[0].ts) / 1000.0;
		w.rej[i] = (wv[i].flags & rejflag) != 0;
		nrej += w.rej[i];
		if (w.rej[i])
			rel[nrel++] = (double)wv[i].el;
		else
			ael[nael++] = (double)wv[i].el;
	}
	out->span_s = w.n ? w.t[w.n - 1] : 0;
	lockstep_rounds(&w, wv, out);
	out->reject_el_p50_ms = median_sorted(rel, nrel);
	out->accept_el_p50_ms = median_sorted(ael, nael);
	free(rel);
	free(ael);
	out->requests = w.n;
	out->rejected = nrej;
	/* a predictor that knows the majority outcome of every second */
	{
		uint64_t m0 = 0;
		size_t i = 0;
		while (i < w.n) {
			double b = floor(w.t[i]);
			uint64_t a = 0, j = 0;
			while (i < w.n && floor(w.t[i]) == b) {
				if (w.rej[i])
					j++;
				else
					a++;
				i++;
			}
			m0 += a < j ? a : j;
		}
		out->null_miss = m0;
	}
	if (nrej < REPLAY_MIN_REJECTS) {
		out->why = "too few throttled answers to tell the limiter";
		goto done;
	}
	size_t maxp = 1;
	for (size_t k = 0; k < RK_COUNT; k++) {
		parts[k] = xmalloc(w.n * sizeof *parts[k]);
		out->key_used[k] = partition(r, wv, w.n, (enum replay_key)k, parts[k], &nps[k]);
		if (out->key_used[k] && nps[k] > maxp)
			maxp = nps[k];
	}
	/* equivalent keys: only one of a set is fitted, named by the most structural key (a
	 * header that merely carries the thread name is reported as "thread") */
	static const unsigned pref[RK_COUNT] = { RK_SHARED, RK_CONN, RK_THREAD, RK_HOST, RK_TGROUP,
						 RK_HDR0, RK_HDR0 + 1, RK_HDR0 + 2, RK_HDR0 + 3,
						 RK_LABEL };
	unsigned alias_of[RK_COUNT];
	for (size_t k = 0; k < RK_COUNT; k++)
		alias_of[k] = (unsigned)k;
	for (size_t a = 0; a < RK_COUNT; a++) {
		unsigned k = pref[a];
		if (!out->key_used[k])
			continue;
		for (size_t b = 0; b < a; b++) {
			unsigned j = pref[b];
			if (out->key_used[j] && alias_of[j] == j &&
			    same_partition(parts[j], nps[j], parts[k], nps[k], w.n)) {
				alias_of[k] = j;
				break;
			}
		}
	}
	w.pd = xmalloc(maxp * sizeof *w.pd);
	/* pd2 and pi double as size_t arrays (pass_sl) */
	w.pd2 = xmalloc(maxp * wider(sizeof(double), sizeof(size_t)));
	w.pi = xmalloc(maxp * wider(sizeof(int64_t), sizeof(size_t)));
	w.pu = xmalloc(maxp * sizeof *w.pu);
	w.hacc = xmalloc((VMAX + 3) * sizeof *w.hacc);
	w.hrej = xmalloc((VMAX + 3) * sizeof *w.hrej);
	struct strbuf nb = STRBUF_INIT;
	for (size_t k = 0; k < RK_COUNT; k++) {
		if (!out->key_used[k])
			continue;
		key_name(r, (enum replay_key)k, &nb);
		out->key_names[k] = xstrdup(nb.buf ? nb.buf : "");
	}
	double best_cost = INFINITY;
	for (size_t k = 0; k < RK_COUNT; k++) {
		if (!out->key_used[k] || alias_of[k] != k)
			continue;
		w.part = parts[k];
		w.np = nps[k];
		/* the highest state any model can reach here: requests of one partition */
		uint32_t *cnt = xcalloc(w.np, sizeof *cnt);
		uint32_t mx = 0;
		for (size_t i = 0; i < w.n; i++)
			if (++cnt[w.part[i]] > mx)
				mx = cnt[w.part[i]];
		free(cnt);
		w.kmax = mx + 1 < VMAX ? mx + 1 : VMAX;
		build_accept_csr(&w);
		struct replay_cand *c = out->cands[k];
		double r0 = saturated_rate(&w);
		replay_fit_tb(&w, r0, &c[RM_TOKEN_BUCKET]);
		replay_fit_cc(&w, &c[RM_CONCURRENCY]);
		double cheap = c[RM_TOKEN_BUCKET].cost < c[RM_CONCURRENCY].cost ?
				       c[RM_TOKEN_BUCKET].cost : c[RM_CONCURRENCY].cost;
		if (cheap <= 1.5 * best_cost + 10 || !isfinite(best_cost)) {
			replay_fit_fw(&w, in->countdown_window_s, in->declared_window_s, &c[RM_FIXED_WINDOW]);
			replay_fit_sliding(&w, true, in->countdown_window_s, in->declared_window_s,
				    &c[RM_SLIDING_LOG]);
			replay_fit_sliding(&w, false, in->countdown_window_s, in->declared_window_s,
				    &c[RM_SLIDING_COUNTER]);
		}
		/* a partition is a choice among keys: it costs like a parameter, so a shared
		 * limit wins unless a key explains the decisions clearly better */
		for (size_t m = 1; m < RM_COUNT; m++)
			if (c[m].fitted && k != RK_SHARED)
				c[m].cost += PEN_KEY;
		for (size_t m = 1; m < RM_COUNT; m++) {
			if (c[m].fitted && c[m].cost < best_cost)
				best_cost = c[m].cost;
		}
	}
	/* copy the fits of equivalent keys */
	for (size_t k = 0; k < RK_COUNT; k++) {
		if (out->key_used[k] && alias_of[k] != k)
			memcpy(out->cands[k], out->cands[alias_of[k]], sizeof out->cands[k]);
	}
	/* the best (key, model); ties go to the simpler key, then the model order */
	size_t bk = RK_COUNT, bm = RM_NONE;
	for (size_t k = 0; k < RK_COUNT; k++) {
		if (!out->key_used[k] || alias_of[k] != k)
			continue;
		for (size_t m = 1; m < RM_COUNT; m++) {
			const struct replay_cand *c = &out->cands[k][m];
			if (!c->fitted)
				continue;
			if (bk == RK_COUNT || c->cost < out->cands[bk][bm].cost - 1e-9) {
				bk = k;
				bm = m;
			}
		}
	}
	if (bk == RK_COUNT) {
		out->why = "no limiter model could be fitted";
		goto done_parts;
	}
	out->done = true;
	out->key = (enum replay_key)bk;
	out->model = (enum replay_model)bm;
	out->best = out->cands[bk][bm];
	out->key_name = xstrdup(out->key_names[bk]);
	for (size_t k = 0; k < RK_COUNT; k++)
		if (out->key_used[k] && alias_of[k] == alias_of[bk])
			out->equiv |= 1u << k;
	out->skill = out->null_miss ? 1.0 - (double)out->best.miss / (double)out->null_miss :
				      (out->best.miss ? 0.0 : 1.0);
	/* margins: the best other model class under any key, the best other key under any model */
	double om = INFINITY, ok = INFINITY;
	for (size_t k = 0; k < RK_COUNT; k++) {
		if (!out->key_used[k] || alias_of[k] != k)
			continue;
		for (size_t m = 1; m < RM_COUNT; m++) {
			const struct replay_cand *c = &out->cands[k][m];
			if (!c->fitted)
				continue;
			if (replay_model_class((enum replay_model)m) != replay_model_class(out->model) &&
			    c->cost < om) {
				om = c->cost;
				out->runner_model = (enum replay_model)m;
			}
			if (alias_of[k] != alias_of[bk] && c->cost < ok) {
				ok = c->cost;
				out->runner_key = (enum replay_key)k;
			}
		}
	}
	out->model_margin = isfinite(om) ? om - out->best.cost : INFINITY;
	out->key_margin = isfinite(ok) ? ok - out->best.cost : INFINITY;
	switch (out->model) {
	case RM_TOKEN_BUCKET:
		out->rate_identifiable = out->best.rate_hi <= 1.5 * out->best.rate_lo;
		break;
	case RM_FIXED_WINDOW:
	case RM_SLIDING_LOG:
	case RM_SLIDING_COUNTER:
		out->rate_identifiable = out->best.window_hi <= 1.6 * out->best.window_lo &&
					 out->best.limit_hi <= 1.6 * out->best.limit_lo + 1;
		break;
	default:
		out->rate_identifiable = out->best.limit_hi <= 1.3 * out->best.limit_lo + 1;
		break;
	}
	w.part = parts[RK_SHARED];
	w.np = 1;
	out->inflight_latency_ratio = inflight_latency_ratio(&w);
	out->latency_tracks_load = out->inflight_latency_ratio >= 1.5;
	/* the values of the best key */
	{
		uint32_t np = nps[bk];
		const uint32_t *pp = parts[bk];
		out->values = xcalloc(np, sizeof *out->values);
		out->nvalues = np;
		double *t_first = xmalloc(np * sizeof *t_first), *t_last = xmalloc(np * sizeof *t_last);
		for (uint32_t p = 0; p < np; p++) {
			t_first[p] = INFINITY;
			t_last[p] = -INFINITY;
		}
		for (size_t i = 0; i < w.n; i++) {
			struct replay_value *v = &out->values[pp[i]];
			if (!v->name) {
				if (bk == RK_SHARED) {
					v->name = xstrdup("all");
				} else {
					uint16_t id = wv[i].key[bk];
					v->name = id ? xstrndup(strmap_key(&r->vals[bk], (size_t)id - 1),
								strmap_len(&r->vals[bk], (size_t)id - 1)) :
						       xstrdup("(none)");
				}
			}
			v->requests++;
			v->rejected += w.rej[i];
			if (w.t[i] < t_first[pp[i]])
				t_first[pp[i]] = w.t[i];
			if (w.t[i] > t_last[pp[i]])
				t_last[pp[i]] = w.t[i];
		}
		for (uint32_t p = 0; p < np; p++) {
			struct replay_value *v = &out->values[p];
			double span = t_last[p] - t_first[p];
			if (span < 1)
				span = 1;
			v->offered_per_s = (double)v->requests / span;
			v->accepted_per_s = (double)(v->requests - v->rejected) / span;
			v->throttled = v->rejected >= 3 || (v->rejected && v->rejected * 20 >= v->requests);
		}
		free(t_first);
		free(t_last);
		qsort(out->values, out->nvalues, sizeof *out->values, cmp_value);
	}
done_parts:
	strbuf_release(&nb);
	free(w.pd);
	free(w.pd2);
	free(w.pi);
	free(w.pu);
	free(w.hacc);
	free(w.hrej);
	free(w.aoff);
	free(w.atime);
	for (size_t k = 0; k < RK_COUNT; k++)
		free(parts[k]);
done:
	free(w.t);
	free(w.end);
	free(w.rej);
	free(w.v);
	free(ev);
}
