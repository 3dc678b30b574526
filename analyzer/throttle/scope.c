/* throttle/scope.c - is the limit shared by all keys, or per key (thread / connection), or per
 * client host?  And the limiter fit at that level.
 *
 * A key is a capture connection when the sample has one, else the JMeter thread (with its
 * generator host).  During the sustained episodes of a group, with f = share of requests
 * throttled, a key that sent m requests would, under a shared limiter that picks its victims
 * without regard to who sent them, escape throttling with probability (1 - f)^m.  Keys for which
 * that is below 1 % are "eligible"; eligible keys never throttled ("clean") are evidence of a
 * per-key limit, and the clean keys being the slow senders (rank statistic AUC) confirms it.
 * When nearly every key was throttled, a shared limit and a per-key limit every key exceeded
 * both fit; the variation of the accepted rate with the number of active keys, and of each
 * key's accepted rate with its own offered rate, tells them apart when the run varies enough. */
#include "analyzer/throttle/internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define SCOPE_ESCAPE_P 0.01
#define SCOPE_MIN_ELIGIBLE 3
#define SCOPE_DISPERSION_MIN 1.5   /* dispersion index above which keys were hit unevenly... */
#define SCOPE_DISPERSION_SD 3.0    /* ...and at least this many null standard deviations */
#define SCOPE_CLEAN_FRAC 0.2
#define SCOPE_AUC 0.75
#define SCOPE_RATE_RATIO 1.2       /* ...and send at least this much faster (median) */
#define SCOPE_HOST_PURITY 0.9
#define SCOPE_KEYS_VARY 1.3
#define SCOPE_RATES_VARY 0.2
#define SCOPE_FIT_MAX_KEYS 256
#define SCOPE_CV_WINDOW_BUCKETS 5
#define FIT_PRE_MS 10000

struct kview {
	uint64_t m, thr;          /* requests / throttled during episodes */
	int64_t first_act, last_act, first_thr; /* coarse indexes, INT64_MAX/MIN if none */
	uint64_t pre;             /* requests in the trailing window before the onset */
	double E, V;              /* expected throttled and its variance if shared */
	double lesc;              /* -ln P(no throttle at all) if shared */
	uint32_t host;
	uint32_t *recs;           /* key records */
	size_t nrec;
};

struct views {
	struct kview *v;
	size_t n;
	uint32_t *rec_buf;
	int64_t *ep_c0, *ep_c1;   /* episodes, coarse indexes inclusive */
	size_t nep;
	int64_t c_lo;             /* coarse index of fc[0] */
	size_t nfc;
	double *fc;               /* group throttled share per coarse bucket, -1 outside episodes */
};

static int cmp_rec_id(const void *a, const void *b, void *ctx)
{
	const struct tkey *keys = ctx;
	uint32_t x = keys[*(const uint32_t *)a].id, y = keys[*(const uint32_t *)b].id;
	if (x != y)
		return (x > y) - (x < y);
	uint32_t p = *(const uint32_t *)a, q = *(const uint32_t *)b;
	return (p > q) - (p < q);
}

static void build_views(const struct throttle *t, const struct tgroup *g, bool overall,
			struct views *vw)
{
	memset(vw, 0, sizeof *vw);
	int64_t w = t->fine.w, t0 = t->fine.lo * w;
	vw->nep = g->nep;
	vw->ep_c0 = xmalloc((g->nep ? g->nep : 1) * sizeof(int64_t));
	vw->ep_c1 = xmalloc((g->nep ? g->nep : 1) * sizeof(int64_t));
	for (size_t e = 0; e < g->nep; e++) {
		vw->ep_c0[e] = taxis_idx(&t->coarse, t0 + (int64_t)g->ep_b0[e] * w);
		vw->ep_c1[e] = taxis_idx(&t->coarse, t0 + (int64_t)(g->ep_b1[e] + 1) * w - 1);
	}
	vw->c_lo = t->coarse.lo;
	vw->nfc = t->coarse.any ? (size_t)(t->coarse.hi - t->coarse.lo + 1) : 0;
	vw->fc = xmalloc((vw->nfc ? vw->nfc : 1) * sizeof(double));
	uint64_t *cs = xcalloc(vw->nfc ? vw->nfc : 1, sizeof *cs);
	uint64_t *ct = xcalloc(vw->nfc ? vw->nfc : 1, sizeof *ct);
	for (size_t i = 0; i < g->nkeys; i++) {
		const struct tkey *k = &t->keys[g->keys[i]];
		for (size_t e = 0; e < vw->nep; e++) {
			for (int64_t c = vw->ep_c0[e]; c <= vw->ep_c1[e]; c++) {
				const struct tkc *kc = key_coarse(k, c);
				if (!kc)
					continue;
				cs[c - vw->c_lo] += kc->sent;
				ct[c - vw->c_lo] += kc->thr;
			}
		}
	}
	for (size_t c = 0; c < vw->nfc; c++)
		vw->fc[c] = cs[c] ? (double)ct[c] / (double)cs[c] : -1;
	free(cs);
	free(ct);
	vw->rec_buf = xmalloc((g->nkeys ? g->nkeys : 1) * sizeof(uint32_t));
	memcpy(vw->rec_buf, g->keys, g->nkeys * sizeof(uint32_t));
	if (overall)
		qsort_r(vw->rec_buf, g->nkeys, sizeof(uint32_t), cmp_rec_id, t->keys);
	vw->v = xcalloc(g->nkeys ? g->nkeys : 1, sizeof *vw->v);
	const struct throttle_onset *o = &g->res.onset;
	int64_t p0 = taxis_idx(&t->coarse, o->ts_ms - (int64_t)(o->window_s * 1000));
	int64_t p1 = taxis_idx(&t->coarse, o->ts_ms - 1);
	for (size_t i = 0; i < g->nkeys;) {
		size_t j = i + 1;
		if (overall) {
			while (j < g->nkeys && t->keys[vw->rec_buf[j]].id == t->keys[vw->rec_buf[i]].id)
				j++;
		}
		struct kview *kv = &vw->v[vw->n++];
		kv->recs = &vw->rec_buf[i];
		kv->nrec = j - i;
		kv->host = t->keys[vw->rec_buf[i]].host;
		kv->first_act = kv->first_thr = INT64_MAX;
		kv->last_act = INT64_MIN;
		for (size_t r = i; r < j; r++) {
			const struct tkey *k = &t->keys[vw->rec_buf[r]];
			for (size_t e = 0; e < vw->nep; e++) {
				for (int64_t c = vw->ep_c0[e]; c <= vw->ep_c1[e]; c++) {
					const struct tkc *kc = key_coarse(k, c);
					if (!kc || !kc->sent)
						continue;
					kv->m += kc->sent;
					kv->thr += kc->thr;
					double fc = vw->fc[c - vw->c_lo];
					kv->E += kc->sent * fc;
					kv->V += kc->sent * fc * (1 - fc);
					kv->lesc += fc < 1 ? -(double)kc->sent * log1p(-fc) : INFINITY;
					if (c < kv->first_act)
						kv->first_act = c;
					if (c > kv->last_act)
						kv->last_act = c;
					if (kc->thr && c < kv->first_thr)
						kv->first_thr = c;
				}
			}
			for (int64_t c = p0; c <= p1; c++) {
				const struct tkc *kc = key_coarse(k, c);
				if (kc)
					kv->pre += kc->sent;
			}
		}
		i = j;
	}
}

static void views_release(struct views *vw)
{
	free(vw->v);
	free(vw->rec_buf);
	free(vw->ep_c0);
	free(vw->ep_c1);
	free(vw->fc);
}

static double own_rate(const struct throttle *t, const struct kview *kv)
{
	if (kv->m < 2 || kv->last_act < kv->first_act)
		return -1;
	double span_s = (double)(kv->last_act - kv->first_act + 1) * (double)t->coarse.w / 1000.0;
	return (double)kv->m / span_s;
}

struct labelled {
	double v;
	int pos;
};

static int cmp_lab(const void *a, const void *b)
{
	const struct labelled *x = a, *y = b;
	return (x->v > y->v) - (x->v < y->v);
}

/* Mann-Whitney AUC: P(value of a positive > value of a negative), ties count half. */
static double auc(struct labelled *v, size_t n)
{
	qsort(v, n, sizeof *v, cmp_lab);
	double npos = 0, nneg = 0, rank_sum = 0;
	for (size_t i = 0; i < n;) {
		size_t j = i;
		while (j < n && v[j].v == v[i].v)
			j++;
		double avg = 0.5 * (double)(i + 1 + j); /* average 1-based rank */
		for (size_t k = i; k < j; k++) {
			if (v[k].pos) {
				rank_sum += avg;
				npos++;
			} else {
				nneg++;
			}
		}
		i = j;
	}
	if (npos == 0 || nneg == 0)
		return -1;
	return (rank_sum - npos * (npos + 1) / 2) / (npos * nneg);
}

static double cv_of(const double *x, size_t n)
{
	if (n < 2)
		return -1;
	double s = 0, s2 = 0;
	for (size_t i = 0; i < n; i++) {
		s += x[i];
		s2 += x[i] * x[i];
	}
	double m = s / (double)n;
	double var = s2 / (double)n - m * m;
	if (m <= 0)
		return -1;
	return var > 0 ? sqrt(var) / m : 0;
}

/* Accepted rate vs active keys over windows of the episodes. */
static void key_count_variation(const struct throttle *t, const struct views *vw,
				struct throttle_scope_result *sr)
{
	sr->cv_aggregate = sr->cv_per_key = -1;
	size_t cap = 0, n = 0;
	double *agg = NULL, *per = NULL;
	double wmin = INFINITY, wmax = 0;
	for (size_t e = 0; e < vw->nep; e++) {
		for (int64_t c = vw->ep_c0[e]; c + SCOPE_CV_WINDOW_BUCKETS - 1 <= vw->ep_c1[e];
		     c += SCOPE_CV_WINDOW_BUCKETS) {
			uint32_t active = 0;
			uint64_t acc = 0;
			for (size_t i = 0; i < vw->n; i++) {
				bool act = false;
				for (size_t r = 0; r < vw->v[i].nrec; r++) {
					const struct tkey *k = &t->keys[vw->v[i].recs[r]];
					for (int64_t x = c; x < c + SCOPE_CV_WINDOW_BUCKETS; x++) {
						const struct tkc *kc = key_coarse(k, x);
						if (kc && kc->sent) {
							act = true;
							acc += (uint64_t)(kc->sent - kc->thr);
						}
					}
				}
				active += act;
			}
			if (!active)
				continue;
			size_t c1 = cap;
			xgrow((void **)&agg, &c1, n + 1, sizeof *agg);
			xgrow((void **)&per, &cap, n + 1, sizeof *per);
			agg[n] = (double)acc;
			per[n] = (double)acc / active;
			n++;
			wmin = fmin(wmin, active);
			wmax = fmax(wmax, active);
		}
	}
	if (n >= 3 && wmax >= SCOPE_KEYS_VARY * wmin) {
		sr->cv_aggregate = cv_of(agg, n);
		sr->cv_per_key = cv_of(per, n);
	}
	free(agg);
	free(per);
}

/* Groups (regions) that saw traffic but no sustained throttling while others did. */
static bool spared_groups(const struct throttle *t)
{
	if (t->ngroups < 2)
		return false;
	size_t hit = 0;
	for (size_t i = 0; i < t->ngroups; i++)
		hit += t->groups[i].res.onset.detected;
	return hit > 0 && hit < t->ngroups;
}

void scope_analyse(struct throttle *t, struct tgroup *g, bool overall)
{
	struct throttle_scope_result *sr = &g->res.scope;
	memset(sr, 0, sizeof *sr);
	sr->auc_own_rate = sr->key_rate_clean_p50 = sr->key_rate_throttled_p50 = -1;
	sr->key_rate_onset = sr->dispersion = sr->dispersion_limit = -1;
	sr->cv_aggregate = sr->cv_per_key = -1;
	sr->cv_key_accepted = sr->cv_key_accept_frac = -1;
	sr->first_throttle_p50_s = sr->first_throttle_p90_s = -1;
	if (!g->res.onset.detected)
		return;
	if (overall && spared_groups(t)) {
		sr->scope = THROTTLE_SCOPE_UNKNOWN;
		free(g->scope_buf);
		g->scope_buf = fmt_dup("only some %ss were throttled, so the scope is judged per %s",
				       throttle_group_kind(t->cfg.region_by), throttle_group_kind(t->cfg.region_by));
		sr->evidence = g->scope_buf;
		return;
	}
	struct views vw;
	build_views(t, g, overall, &vw);
	bool conn = false;
	for (size_t i = 0; i < g->nkeys; i++)
		conn = conn || t->keys[g->keys[i]].is_conn;
	sr->key_is_connection = conn;
	size_t nv = vw.n ? vw.n : 1;
	struct labelled *lab = xmalloc(nv * sizeof *lab);
	double *rt = xmalloc(nv * sizeof *rt), *rc = xmalloc(nv * sizeof *rc);
	double *ro = xmalloc(nv * sizeof *ro), *delay = xmalloc(nv * sizeof *delay);
	double *kacc = xmalloc(nv * sizeof *kacc), *kfrac = xmalloc(nv * sizeof *kfrac);
	double *kown = xmalloc(nv * sizeof *kown);
	size_t nlab = 0, nrt = 0, nrc = 0, nro = 0, nd = 0, nk = 0, ndisp = 0;
	uint32_t nh = t->host_ids.n ? (uint32_t)t->host_ids.n : 1;
	uint32_t *h_thr = xcalloc(nh, sizeof *h_thr), *h_clean = xcalloc(nh, sizeof *h_clean);
	unsigned char *h_act = xcalloc(nh, 1), *h_thr_any = xcalloc(nh, 1);
	int64_t on_c = taxis_idx(&t->coarse, g->res.onset.ts_ms);
	double wpre = g->res.onset.key_window_s;
	double ss = 0, sv = 0;
	for (size_t i = 0; i < vw.n; i++) {
		const struct kview *kv = &vw.v[i];
		if (kv->pre && wpre > 0)
			ro[nro++] = (double)kv->pre / wpre;
		if (!kv->m)
			continue;
		sr->keys++;
		h_act[kv->host] = 1;
		double r = own_rate(t, kv);
		if (kv->V > 0) {
			double d = (double)kv->thr - kv->E;
			ss += d * d;
			sv += kv->V;
			ndisp++;
			if (r >= 0 && fabs(d) > 1e-9)
				lab[nlab++] = (struct labelled){ r, d > 0 };
		}
		if (kv->thr) {
			sr->keys_throttled++;
			h_thr_any[kv->host] = 1;
			if (r >= 0) {
				rt[nrt++] = r;
				kacc[nk] = r * (double)(kv->m - kv->thr) / (double)kv->m;
				kfrac[nk] = (double)(kv->m - kv->thr) / (double)kv->m;
				kown[nk] = r;
				nk++;
			}
			if (kv->pre && kv->first_thr != INT64_MAX)
				delay[nd++] = fmax(0, (double)(kv->first_thr - on_c) *
							      (double)t->coarse.w / 1000.0);
		}
		/* eligible: a shared limiter would have hit it at least once with 99 % chance */
		if (kv->lesc >= -log(SCOPE_ESCAPE_P)) {
			sr->keys_eligible++;
			if (kv->thr) {
				h_thr[kv->host]++;
			} else {
				sr->keys_clean++;
				h_clean[kv->host]++;
				if (r >= 0)
					rc[nrc++] = r;
			}
		}
	}
	for (uint32_t h = 0; h < nh; h++) {
		sr->hosts += h_act[h];
		sr->hosts_throttled += h_thr_any[h];
	}
	if (ndisp >= SCOPE_MIN_ELIGIBLE && sv > 0) {
		sr->dispersion = ss / sv;
		sr->dispersion_limit = fmax(SCOPE_DISPERSION_MIN,
					    1 + SCOPE_DISPERSION_SD * sqrt(2.0 / (double)ndisp));
	}
	sr->auc_own_rate = auc(lab, nlab);
	sr->key_rate_throttled_p50 = nrt ? quantile_d(rt, nrt, 0.5) : -1;
	sr->key_rate_clean_p50 = nrc ? quantile_d(rc, nrc, 0.5) : -1;
	sr->key_rate_onset = g->res.onset.threads && !overall
				     ? g->res.onset.rate_per_s / g->res.onset.threads
				     : nro ? quantile_d(ro, nro, 0.5) : -1;
	if (nd) {
		sr->first_throttle_p50_s = quantile_d(delay, nd, 0.5);
		sr->first_throttle_p90_s = quantile_d(delay, nd, 0.9);
	}
	if (nk >= 3 && cv_of(kown, nk) >= SCOPE_RATES_VARY) {
		sr->cv_key_accepted = cv_of(kacc, nk);
		sr->cv_key_accept_frac = cv_of(kfrac, nk);
	}
	key_count_variation(t, &vw, sr);

	/* host purity: does the generator host decide who is throttled? */
	uint32_t pure = 0, hosts_clean_only = 0, hosts_thr = 0;
	for (uint32_t h = 0; h < nh; h++) {
		pure += h_thr[h] > h_clean[h] ? h_thr[h] : h_clean[h];
		if (h_clean[h] && !h_thr[h])
			hosts_clean_only++;
		if (h_thr[h])
			hosts_thr++;
	}
	bool host_decides = sr->hosts >= 2 && sr->keys_eligible &&
			    (double)pure >= SCOPE_HOST_PURITY * sr->keys_eligible &&
			    hosts_clean_only >= 1 && hosts_thr >= 1;

	const char *kname = conn ? "connections" : "threads";
	const char *kone = conn ? "connection" : "thread";
	enum throttle_scope per_key = conn ? THROTTLE_SCOPE_PER_CONNECTION : THROTTLE_SCOPE_PER_THREAD;
	struct strbuf ev = STRBUF_INIT;
	double clean_frac = sr->keys_eligible ? (double)sr->keys_clean / sr->keys_eligible : 0;
	bool uneven = sr->dispersion >= 0 && sr->dispersion > sr->dispersion_limit;
	bool many_clean = clean_frac >= SCOPE_CLEAN_FRAC && sr->keys_clean >= 2;
	/* per-key limits hit the keys that send faster, and by a margin: keys sending at the
	 * same rate cannot be told apart by a per-key limit */
	double r_pos = -1, r_neg = -1;
	{
		double *pv = xmalloc((nlab ? nlab : 1) * sizeof *pv);
		double *nvv = xmalloc((nlab ? nlab : 1) * sizeof *nvv);
		size_t np = 0, nn = 0;
		for (size_t i = 0; i < nlab; i++) {
			if (lab[i].pos)
				pv[np++] = lab[i].v;
			else
				nvv[nn++] = lab[i].v;
		}
		if (np && nn) {
			r_pos = quantile_d(pv, np, 0.5);
			r_neg = quantile_d(nvv, nn, 0.5);
		}
		free(pv);
		free(nvv);
	}
	bool faster_hit = sr->auc_own_rate >= SCOPE_AUC && r_neg > 0 &&
			  r_pos >= SCOPE_RATE_RATIO * r_neg;
	if (sr->dispersion < 0) {
		sr->scope = THROTTLE_SCOPE_UNKNOWN;
		strbuf_addf(&ev, "only %zu %s were active while throttling lasted: too few to tell "
			    "a shared limit from a per-%s one", ndisp, kname, kone);
	} else if ((uneven || many_clean) && host_decides) {
		sr->scope = THROTTLE_SCOPE_PER_CLIENT;
		sr->confidence = THROTTLE_CONF_HIGH;
		strbuf_addf(&ev, "throttling followed the generator host: %u of %u hosts were "
			    "throttled while every %s of the other hosts stayed clean although each "
			    "sent enough to expect a throttle", sr->hosts_throttled, sr->hosts, kone);
	} else if ((uneven || many_clean) && faster_hit) {
		sr->scope = per_key;
		sr->confidence = sr->auc_own_rate >= 0.9 && uneven ? THROTTLE_CONF_HIGH
								    : THROTTLE_CONF_MEDIUM;
		strbuf_addf(&ev, "throttling hit the %s unevenly (dispersion %.1f; %.1f or less "
			    "for a shared limit)", kname, sr->dispersion, sr->dispersion_limit);
		if (sr->keys_clean)
			strbuf_addf(&ev, ", %u of %u that sent enough were never throttled",
				    sr->keys_clean, sr->keys_eligible);
		strbuf_addf(&ev, ", and the ones hit were the fast senders (AUC %.2f",
			    sr->auc_own_rate);
		if (sr->key_rate_clean_p50 >= 0)
			strbuf_addf(&ev, "; own rate median %.2f/s throttled vs %.2f/s clean",
				    sr->key_rate_throttled_p50, sr->key_rate_clean_p50);
		strbuf_addf(&ev, "): each %s hits its own limit", kone);
	} else if (many_clean) {
		sr->scope = THROTTLE_SCOPE_UNKNOWN;
		strbuf_addf(&ev, "%u of %u %s that sent enough to expect a throttle were never "
			    "throttled, but they were not the slower senders (AUC %.2f): the limit "
			    "follows something other than the sender (an endpoint, a backend node?)",
			    sr->keys_clean, sr->keys_eligible, kname,
			    sr->auc_own_rate < 0 ? 0 : sr->auc_own_rate);
	} else {
		bool perkey_a = sr->cv_per_key >= 0 && sr->cv_per_key < 0.5 * sr->cv_aggregate;
		bool perkey_b = sr->cv_key_accepted >= 0 &&
				sr->cv_key_accepted < 0.5 * sr->cv_key_accept_frac;
		bool shared_a = sr->cv_aggregate >= 0 && sr->cv_aggregate < 0.5 * sr->cv_per_key;
		bool shared_b = sr->cv_key_accepted >= 0 &&
				sr->cv_key_accept_frac < 0.5 * sr->cv_key_accepted;
		if ((perkey_a || perkey_b) && !(shared_a || shared_b)) {
			sr->scope = per_key;
			sr->confidence = THROTTLE_CONF_MEDIUM;
			strbuf_addf(&ev, "every %s was throttled alike, but the accepted rate grew "
				    "with the number of %s (each accepted at about the same own "
				    "rate) instead of staying flat: a per-%s limit that every %s "
				    "exceeded", kone, kname, kone, kone);
		} else {
			sr->scope = THROTTLE_SCOPE_SHARED;
			if (!uneven)
				strbuf_addf(&ev, "throttling hit the %s evenly, as if every request "
					    "had the same chance whoever sent it (%u of %u %s "
					    "throttled; dispersion %.1f, at most %.1f expected for a "
					    "shared limit)", kname, sr->keys_throttled, sr->keys,
					    kname, sr->dispersion, sr->dispersion_limit);
			else
				strbuf_addf(&ev, "%u of %u %s were throttled, somewhat unevenly "
					    "(dispersion %.1f, above %.1f: senders in step with the "
					    "limiter's refills do that) but not the faster senders more "
					    "(AUC %.2f)", sr->keys_throttled, sr->keys, kname,
					    sr->dispersion, sr->dispersion_limit,
					    sr->auc_own_rate < 0 ? 0.5 : sr->auc_own_rate);
			if (sr->key_rate_onset >= 0)
				strbuf_addf(&ev, ", while each sent only %.2f/s before the onset",
					    sr->key_rate_onset);
			if (shared_a)
				strbuf_addstr(&ev, "; the accepted total stayed flat while the number "
					      "of active senders changed");
			else if (shared_b)
				strbuf_addstr(&ev, "; every sender kept the same accepted share "
					      "whatever its own rate");
			strbuf_addstr(&ev, ": the limit is shared (per tenant or global)");
			sr->confidence = ndisp >= 10 && !uneven ? THROTTLE_CONF_HIGH
							       : THROTTLE_CONF_MEDIUM;
			if (sr->hosts <= 1) {
				strbuf_addstr(&ev, "; with one generator host a per-client-host "
					      "limit would look the same");
			} else if (sr->hosts_throttled == sr->hosts) {
				strbuf_addf(&ev, "; all %u generator hosts were throttled", sr->hosts);
			}
			if (sr->cv_aggregate < 0 && sr->cv_key_accepted < 0 && !shared_a) {
				strbuf_addf(&ev, "; a per-%s limit that every %s exceeded equally "
					    "would look alike, since neither the number of senders nor "
					    "their rates varied much", kone, kone);
				if (sr->confidence == THROTTLE_CONF_HIGH)
					sr->confidence = THROTTLE_CONF_MEDIUM;
			}
		}
	}
	free(g->scope_buf);
	g->scope_buf = strbuf_detach(&ev);
	sr->evidence = g->scope_buf;
	free(lab);
	free(rt);
	free(rc);
	free(ro);
	free(delay);
	free(kacc);
	free(kfrac);
	free(kown);
	free(h_thr);
	free(h_clean);
	free(h_act);
	free(h_thr_any);
	views_release(&vw);
}

static int cmp_view_m(const void *a, const void *b)
{
	const struct kview *x = *(const struct kview *const *)a, *y = *(const struct kview *const *)b;
	if (x->m != y->m)
		return x->m < y->m ? 1 : -1;
	return (x->recs > y->recs) - (x->recs < y->recs);
}

void scope_fit_limit(struct throttle *t, struct tgroup *g, bool overall)
{
	struct throttle_limit *L = &g->res.limit;
	memset(L, 0, sizeof *L);
	L->declared_limit = retry_declared_limit(&g->ra);
	L->declared_window_s = retry_declared_window(&g->ra);
	L->countdown = retry_countdown(&g->ra, &L->countdown_window_s, &L->countdown_phase_ms);
	L->svc_median_ms = g->acc_el.n ? thist_quantile(&g->acc_el, 0.5) : -1;
	struct strbuf why = STRBUF_INIT;
	if (!g->res.onset.detected) {
		free(g->why_buf);
		g->why_buf = NULL;
		return;
	}
	if (overall && spared_groups(t)) {
		free(g->why_buf);
		g->why_buf = fmt_dup("only some %ss were throttled: the limit is fitted per %s",
				     throttle_group_kind(t->cfg.region_by), throttle_group_kind(t->cfg.region_by));
		L->why = g->why_buf;
		return;
	}
	struct lf_in in = { 0 };
	enum throttle_scope sc = g->res.scope.scope;
	bool per_key = sc == THROTTLE_SCOPE_PER_THREAD || sc == THROTTLE_SCOPE_PER_CONNECTION ||
		       sc == THROTTLE_SCOPE_PER_CLIENT;
	if (!per_key) {
		struct lf_series s = {
			.n = g->nf, .off = g->f_sent, .acc = g->f_acc, .end_acc = g->f_end_acc,
			.svc_s = g->f_svc,
		};
		size_t pre = (size_t)(FIT_PRE_MS / t->fine.w);
		s.lo = g->ep_b0[0] > pre ? g->ep_b0[0] - pre : 0;
		s.hi = g->ep_b1[g->nep - 1] + 1;
		in.t0_ms = t->fine.lo * t->fine.w;
		in.w_ms = t->fine.w;
		in.s = &s;
		in.ns = 1;
		limiter_stats(&in, L);
	} else {
		struct views vw;
		build_views(t, g, overall, &vw);
		size_t nc = (size_t)(t->coarse.hi - t->coarse.lo + 1);
		/* units: keys, or hosts for a per-client limit */
		size_t nunits = 0;
		struct kview **sel = xmalloc((vw.n ? vw.n : 1) * sizeof *sel);
		for (size_t i = 0; i < vw.n; i++) {
			if (vw.v[i].thr)
				sel[nunits++] = &vw.v[i];
		}
		qsort(sel, nunits, sizeof *sel, cmp_view_m);
		uint32_t *hosts = NULL;
		size_t nhosts = 0, hcap = 0;
		if (sc == THROTTLE_SCOPE_PER_CLIENT) {
			for (size_t i = 0; i < nunits; i++) {
				bool seen = false;
				for (size_t h = 0; h < nhosts; h++)
					seen = seen || hosts[h] == sel[i]->host;
				if (!seen) {
					xgrow((void **)&hosts, &hcap, nhosts + 1, sizeof *hosts);
					hosts[nhosts++] = sel[i]->host;
				}
			}
		}
		size_t ns = sc == THROTTLE_SCOPE_PER_CLIENT ? nhosts : nunits;
		if (ns > SCOPE_FIT_MAX_KEYS)
			ns = SCOPE_FIT_MAX_KEYS;
		struct lf_series *ser = xcalloc(ns ? ns : 1, sizeof *ser);
		uint32_t *buf = xcalloc((ns ? ns : 1) * nc * 2, sizeof *buf);
		int64_t c_lo = vw.ep_c0[0] - FIT_PRE_MS / t->coarse.w;
		int64_t c_hi = vw.ep_c1[vw.nep - 1];
		for (size_t u = 0; u < ns; u++) {
			uint32_t *off = buf + u * nc * 2, *acc = off + nc;
			for (size_t i = 0; i < vw.n; i++) {
				const struct kview *kv = &vw.v[i];
				if (sc == THROTTLE_SCOPE_PER_CLIENT ? kv->host != hosts[u]
								     : kv != sel[u])
					continue;
				for (size_t r = 0; r < kv->nrec; r++) {
					const struct tkey *k = &t->keys[kv->recs[r]];
					for (size_t j = 0; j < k->c.n; j++) {
						int64_t c = k->c.lo + (int64_t)j;
						const struct tkc *kc = key_coarse(k, c);
						size_t b = (size_t)(c - t->coarse.lo);
						if (!kc || b >= nc)
							continue;
						off[b] += kc->sent;
						acc[b] += (uint32_t)(kc->sent - kc->thr);
					}
				}
			}
			ser[u] = (struct lf_series){
				.n = nc, .off = off, .acc = acc,
				.lo = c_lo > t->coarse.lo ? (size_t)(c_lo - t->coarse.lo) : 0,
				.hi = (size_t)(c_hi - t->coarse.lo) + 1,
			};
		}
		in.t0_ms = t->coarse.lo * t->coarse.w;
		in.w_ms = t->coarse.w;
		in.s = ser;
		in.ns = ns;
		in.per_key = true;
		limiter_stats(&in, L);
		free(ser);
		free(buf);
		free(hosts);
		free(sel);
		views_release(&vw);
	}
	free(g->why_buf);
	g->why_buf = why.len ? strbuf_detach(&why) : NULL;
	strbuf_release(&why);
	L->why = g->why_buf;
}
