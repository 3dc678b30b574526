/* decide.c - from the replay of a group's decisions to its verdict fields: limiter model,
 * parameters and their intervals, confidence, scope and partition key (issue 10).
 *
 * Every threshold here is about the replay's own evidence, never about a sample run:
 *   skill        1 - mismatches / mismatches of a predictor that knows each second's majority
 *                outcome (it knows *when* throttling happened, not *which* requests).  A real
 *                limiter model knows which: skill near 1.  Below SKILL_MIN nothing explains
 *                the decisions better than "some requests each second were unlucky".
 *   margins      how many more decisions (plus the parameter penalty) the best other model
 *                class / the best other partition key gets wrong.  A margin of a few
 *                decisions is within timing noise; HIGH needs a margin that noise does not
 *                produce (MARGIN_HIGH, and a share of the best's own mismatches).
 *   intervals    narrow enough to name a rate (rate_identifiable): arrivals in lockstep hide
 *                the rate, and then only the burst is reported.
 * docs/analysis.md ("Replay") states the rules and the measured calibration.
 */
#include "analyzer/throttle/internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define SKILL_MIN 0.25        /* below: model unknown, unless it beats every other model class
			       by a strong margin (a saturated closed loop makes the per-second
			       predictor strong and every skill small) */
#define SKILL_FLOOR 0.1       /* below: model unknown whatever the margin */
#define SKILL_HIGH 0.6
#define SKILL_MEDIUM 0.4
#define MARGIN_HIGH 8.0       /* decisions */
#define MARGIN_HIGH_SHARE 0.15/* of the best's mismatches */
#define MARGIN_MEDIUM 3.0
#define REJECTS_HIGH 30u
#define INTERVAL_FLOOR 0.01  /* relative */

static enum throttle_model model_of(enum replay_model m)
{
	switch (m) {
	case RM_TOKEN_BUCKET: return THROTTLE_MODEL_TOKEN_BUCKET;
	case RM_FIXED_WINDOW: return THROTTLE_MODEL_FIXED_WINDOW;
	case RM_SLIDING_LOG:
	case RM_SLIDING_COUNTER: return THROTTLE_MODEL_SLIDING_WINDOW;
	case RM_CONCURRENCY: return THROTTLE_MODEL_CONCURRENCY;
	default: return THROTTLE_MODEL_UNKNOWN;
	}
}

static enum throttle_scope scope_of(enum replay_key k, bool *per_key)
{
	*per_key = true;
	switch (k) {
	case RK_SHARED: *per_key = false; return THROTTLE_SCOPE_SHARED;
	case RK_LABEL: *per_key = false; return THROTTLE_SCOPE_SHARED;
	case RK_TGROUP: return THROTTLE_SCOPE_PER_TENANT;
	case RK_HOST: return THROTTLE_SCOPE_PER_CLIENT;
	case RK_CONN: return THROTTLE_SCOPE_PER_CONNECTION;
	case RK_THREAD: return THROTTLE_SCOPE_PER_THREAD;
	default: return THROTTLE_SCOPE_PER_TENANT; /* a request header */
	}
}

static bool strong(double margin, uint64_t miss, double floor_)
{
	return margin >= floor_ && margin >= MARGIN_HIGH_SHARE * (double)miss;
}

/* Headerless 503s (the shadow analysis): an overloaded service when they follow the load —
 * accepted latency growing with the requests in flight — or come back slowly; else a limiter
 * probably decided them. */
static enum throttle_finding finding_of(const struct throttle *t, const struct replay_fit *f)
{
	if (!t->is_shadow)
		return THROTTLE_FINDING_RATE_LIMIT;
	bool slow = f->reject_el_p50_ms >= 0 && f->accept_el_p50_ms >= 0 &&
		    f->reject_el_p50_ms > 2 * f->accept_el_p50_ms + 50;
	return f->latency_tracks_load || slow ? THROTTLE_FINDING_OVERLOAD : THROTTLE_FINDING_PROBABLE;
}

static const char *unit_plural(enum replay_key k, const char *key)
{
	switch (k) {
	case RK_SHARED: return "requests";
	case RK_LABEL: return "labels";
	case RK_TGROUP: return "thread groups";
	case RK_HOST: return "client hosts";
	case RK_CONN: return "connections";
	case RK_THREAD: return "threads";
	default: return key;
	}
}

void decide_group(struct throttle *t, struct tgroup *g, bool overall)
{
	struct throttle_limit *L = &g->res.limit;
	struct throttle_scope_result *S = &g->res.scope;
	if (!g->res.onset.detected || !t->replay)
		return;
	struct replay_in in = {
		.group = overall ? UINT32_MAX : (uint32_t)(g - t->groups),
		.use_503 = false,
		.countdown_window_s = L->countdown ? L->countdown_window_s : 0,
		.declared_window_s = L->declared_window_s,
	};
	if (t->is_shadow)
		in.use_503 = true;
	struct replay_fit *f = &g->fit;
	replay_fit_release(f);
	replay_fit(t->replay, &in, f);
	L->replayed = true;
	L->replay_requests = f->requests;
	L->replay_rejected = f->rejected;
	L->replay_null_miss = f->null_miss;
	L->refused_p50_ms = L->accepted_p50_ms = L->inflight_latency_ratio = -1;
	if (!f->done) {
		L->model = THROTTLE_MODEL_UNKNOWN;
		L->confidence = THROTTLE_CONF_LOW;
		L->why = f->why;
		S->scope = THROTTLE_SCOPE_UNKNOWN;
		S->confidence = THROTTLE_CONF_LOW;
		S->key = NULL;
		return;
	}
	L->refused_p50_ms = f->reject_el_p50_ms;
	L->accepted_p50_ms = f->accept_el_p50_ms;
	L->inflight_latency_ratio = f->inflight_latency_ratio;
	const struct replay_cand *c = &f->best;
	L->replay_miss = c->miss;
	L->skill = f->skill;
	L->model_margin = f->model_margin;
	L->runner_up = model_of(f->runner_model);
	L->rate_identifiable = f->rate_identifiable;
	/* the fitted models, for the scores table: the best of each class under the best key */
	for (size_t m = 1; m < THROTTLE_MODEL_COUNT; m++)
		memset(&L->fits[m], 0, sizeof L->fits[m]);
	for (size_t m = 1; m < RM_COUNT; m++) {
		const struct replay_cand *x = &f->cands[f->key][m];
		enum throttle_model tm = model_of((enum replay_model)m);
		if (!x->fitted)
			continue;
		struct throttle_model_fit *o = &L->fits[tm];
		double sk = f->null_miss ? 1.0 - (double)x->miss / (double)f->null_miss : 0;
		if (sk < 0)
			sk = 0; /* worse than knowing each second's throttled share */
		if (o->scored && o->score >= sk)
			continue;
		o->scored = true;
		o->score = sk;
		o->rate_per_s = x->rate_per_s;
		o->burst = m == RM_TOKEN_BUCKET ? x->burst : 0;
		o->limit = m == RM_CONCURRENCY ? 0 : x->limit;
		o->window_s = x->window_s;
		o->phase_ms = (int64_t)(x->phase_s * 1000.0);
		o->concurrency = m == RM_CONCURRENCY ? x->limit : 0;
		o->why_not = NULL;
	}
	L->model = model_of(f->model);
	L->score = f->skill;
	L->rate_per_s = L->burst = L->limit = L->window_s = L->concurrency = 0;
	L->rate_lo = L->rate_hi = L->burst_lo = L->burst_hi = 0;
	L->limit_lo = L->limit_hi = L->window_lo = L->window_hi = 0;
	L->concurrency_lo = L->concurrency_hi = 0;
	switch (f->model) {
	case RM_TOKEN_BUCKET:
		L->rate_per_s = c->rate_per_s;
		L->rate_lo = c->rate_lo;
		L->rate_hi = c->rate_hi;
		L->burst = c->burst;
		L->burst_lo = c->burst_lo;
		L->burst_hi = c->burst_hi;
		break;
	case RM_FIXED_WINDOW:
	case RM_SLIDING_LOG:
	case RM_SLIDING_COUNTER:
		L->limit = c->limit;
		L->limit_lo = c->limit_lo;
		L->limit_hi = c->limit_hi;
		L->window_s = c->window_s;
		L->window_lo = c->window_lo;
		L->window_hi = c->window_hi;
		L->rate_per_s = c->rate_per_s;
		L->rate_lo = c->rate_lo;
		L->rate_hi = c->rate_hi;
		break;
	case RM_CONCURRENCY:
		L->concurrency = c->limit;
		L->concurrency_lo = c->limit_lo;
		L->concurrency_hi = c->limit_hi;
		break;
	default:
		break;
	}
	/* an interval is never narrower than the clock allows: millisecond stamps taken by the
	 * client, not the limiter, over the replayed stretch (INTERVAL_FLOOR each side) */
	if (L->rate_hi > 0) {
		L->rate_lo = fmin(L->rate_lo, L->rate_per_s * (1 - INTERVAL_FLOOR));
		L->rate_hi = fmax(L->rate_hi, L->rate_per_s * (1 + INTERVAL_FLOOR));
	}
	if (L->window_hi > 0) {
		L->window_lo = fmin(L->window_lo, L->window_s * (1 - INTERVAL_FLOOR));
		L->window_hi = fmax(L->window_hi, L->window_s * (1 + INTERVAL_FLOOR));
	}
	bool per_key;
	enum throttle_scope sc = scope_of(f->key, &per_key);
	L->per_key = per_key;
	/* confidence in the model */
	free(g->why_buf);
	g->why_buf = NULL;
	bool unexplained = false;
	if (f->skill < SKILL_FLOOR ||
	    (f->skill < SKILL_MIN && !strong(f->model_margin, c->miss, MARGIN_HIGH))) {
		g->why_buf = fmt_dup("no limiter model tells which requests were rejected much better "
				     "than chance (the best, a %s, gets %llu of %llu decisions wrong; "
				     "knowing only each second's throttled share gets %llu wrong)",
				     replay_model_name(f->model), (unsigned long long)c->miss,
				     (unsigned long long)f->requests,
				     (unsigned long long)f->null_miss);
		L->model = THROTTLE_MODEL_UNKNOWN;
		L->confidence = THROTTLE_CONF_LOW;
		unexplained = true;
	} else if (f->lockstep) {
		g->why_buf = fmt_dup("the clients sent in lockstep (%u rounds, each with most senders at "
				     "once): which requests of a round were refused is arbitrary, so the "
				     "rate cannot be told; only the burst is, about %.0f accepted per round",
				     f->rounds, f->accepted_per_round);
		L->model = THROTTLE_MODEL_UNKNOWN;
		L->confidence = THROTTLE_CONF_LOW;
		L->burst = f->accepted_per_round;
		L->burst_lo = L->burst_hi = f->accepted_per_round;
		unexplained = true;
	} else if ((f->model == RM_FIXED_WINDOW || f->model == RM_SLIDING_LOG ||
		    f->model == RM_SLIDING_COUNTER) && c->window_s * 2 > f->span_s) {
		g->why_buf = fmt_dup("the best fit is a %s of %.3g s, but the run around the throttling lasted only %.3g s: "
				     "a window seen less than twice cannot be told from other limiters",
				     replay_model_name(f->model), c->window_s, f->span_s);
		L->model = THROTTLE_MODEL_UNKNOWN;
		L->confidence = THROTTLE_CONF_LOW;
	} else if (!f->rate_identifiable) {
		if (f->model == RM_TOKEN_BUCKET)
			g->why_buf = fmt_dup("the arrivals hide the rate (a token bucket of anything "
					     "from %.3g to %.3g req/s fits them equally, as when "
					     "clients send in lockstep): only the burst, about %.0f "
					     "requests at once, is identifiable",
					     c->rate_lo, c->rate_hi, c->burst);
		else
			g->why_buf = fmt_dup("the arrivals hide the limit's parameters (the %s's "
					     "limit fits anywhere from %.0f to %.0f), as when clients "
					     "send in lockstep",
					     replay_model_name(f->model), c->limit_lo, c->limit_hi);
		L->model = THROTTLE_MODEL_UNKNOWN;
		L->confidence = THROTTLE_CONF_LOW;
	} else if (f->skill >= SKILL_HIGH && f->rejected >= REJECTS_HIGH &&
		   strong(f->model_margin, c->miss, MARGIN_HIGH)) {
		L->confidence = THROTTLE_CONF_HIGH;
	} else if (f->skill >= SKILL_MEDIUM && f->model_margin >= MARGIN_MEDIUM) {
		L->confidence = THROTTLE_CONF_MEDIUM;
		g->why_buf = fmt_dup("a %s is only %.0f decisions worse", replay_model_name(f->runner_model),
				     f->model_margin);
	} else {
		L->confidence = THROTTLE_CONF_LOW;
		if (f->model_margin < MARGIN_MEDIUM)
			g->why_buf = fmt_dup("a %s explains the decisions almost as well (%.0f "
					     "decisions apart)", replay_model_name(f->runner_model),
					     f->model_margin);
		else
			g->why_buf = fmt_dup("the best model still gets %llu of %llu decisions wrong",
					     (unsigned long long)c->miss,
					     (unsigned long long)f->requests);
	}
	L->confidence_value = f->skill < 0 ? 0 : f->skill > 1 ? 1 : f->skill;
	L->why = g->why_buf;

	/* scope.  When no model explains the decisions, comparing keys by them says nothing:
	 * the scope stays the one the per-key activity counts give (scope.c: who was hit, in
	 * proportion to what they sent), at most medium */
	if (unexplained) {
		if (S->confidence > THROTTLE_CONF_MEDIUM)
			S->confidence = THROTTLE_CONF_MEDIUM;
		S->key = S->scope == THROTTLE_SCOPE_SHARED ? "shared" :
			 S->scope == THROTTLE_SCOPE_PER_CLIENT ? "client-host" :
			 S->scope == THROTTLE_SCOPE_PER_CONNECTION || S->key_is_connection ? "connection" :
			 S->scope == THROTTLE_SCOPE_PER_THREAD ? "thread" : NULL;
		S->key_margin = f->key_margin;
		S->runner_key = NULL;
		L->per_key = S->scope != THROTTLE_SCOPE_SHARED && S->scope != THROTTLE_SCOPE_UNKNOWN;
		g->res.finding = finding_of(t, f);
		return;
	}
	S->scope = sc;
	S->key = f->key_name;
	S->key_is_connection = f->key == RK_CONN;
	S->key_margin = f->key_margin;
	S->runner_key = f->runner_key < RK_COUNT ? f->key_names[f->runner_key] : NULL;
	if (strong(f->key_margin, c->miss, MARGIN_HIGH) && f->skill >= SKILL_MEDIUM)
		S->confidence = THROTTLE_CONF_HIGH;
	else if (f->key_margin >= MARGIN_MEDIUM)
		S->confidence = THROTTLE_CONF_MEDIUM;
	else
		S->confidence = THROTTLE_CONF_LOW;
	if (f->key_margin < 1.0 && f->runner_key < RK_COUNT) {
		S->scope = THROTTLE_SCOPE_UNKNOWN;
		S->confidence = THROTTLE_CONF_LOW;
	}
	free(g->key_equiv_buf);
	g->key_equiv_buf = NULL;
	{
		struct strbuf e = STRBUF_INIT;
		for (size_t k = 0; k < RK_COUNT; k++) {
			if (k == (size_t)f->key || !(f->equiv & (1u << k)) || !f->key_names[k])
				continue;
			if (e.len)
				strbuf_addch(&e, ',');
			strbuf_addstr(&e, f->key_names[k]);
		}
		g->key_equiv_buf = e.len ? strbuf_detach(&e) : NULL;
		strbuf_release(&e);
	}
	S->key_equivalent = g->key_equiv_buf;
	free(g->kv);
	g->kv = xcalloc(f->nvalues ? f->nvalues : 1, sizeof *g->kv);
	for (size_t i = 0; i < f->nvalues; i++) {
		g->kv[i] = (struct throttle_key_value){
			.name = f->values[i].name,
			.requests = f->values[i].requests,
			.rejected = f->values[i].rejected,
			.offered_per_s = f->values[i].offered_per_s,
			.accepted_per_s = f->values[i].accepted_per_s,
			.throttled = f->values[i].throttled,
		};
	}
	S->values = g->kv;
	S->nvalues = f->nvalues;
	size_t nthr = 0;
	for (size_t i = 0; i < f->nvalues; i++)
		nthr += f->values[i].throttled;
	/* the evidence, in numbers the JSON carries */
	free(g->evidence_buf);
	const char *runner = S->runner_key ? S->runner_key : "none";
	if (f->key == RK_SHARED)
		g->evidence_buf = fmt_dup(
			"replaying the %llu requests through every candidate limiter, one %s shared by "
			"all senders gets %llu decisions wrong; the best limiter per %s gets %.0f more",
			(unsigned long long)f->requests, replay_model_name(f->model),
			(unsigned long long)c->miss, runner, f->key_margin);
	else
		g->evidence_buf = fmt_dup(
			"replaying the %llu requests through every candidate limiter, one %s per %s "
			"(%zu %s, %zu of them throttled) gets %llu decisions wrong; the best %s "
			"gets %.0f more",
			(unsigned long long)f->requests, replay_model_name(f->model), f->key_name,
			f->nvalues, unit_plural(f->key, f->key_name), nthr,
			(unsigned long long)c->miss,
			f->runner_key == RK_SHARED ? "shared limiter" : runner, f->key_margin);
	S->evidence = g->evidence_buf;
	g->res.finding = finding_of(t, f);
}
