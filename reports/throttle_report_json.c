/* throttle_report_json.c - the throttle analysis as JSON: root.throttle (throttle_report.h;
 * schema in docs/analysis.md).
 *
 * This file owns the JSON rendering: the headline, verdict and advice strings (worded by
 * throttle_verdict.c), per group its load, onset, limiter fit (every model's score and
 * parameters with their intervals, bounds rounded outward so the rounded interval still holds
 * the unrounded one), scope evidence and Retry-After compliance, and the "resolution" notes
 * written only when a bounded time grid had to widen on a long run.  Numbers are rounded
 * before they enter the tree (json_round), so output is deterministic.
 */
#include "reports/throttle_report.h"
#include "reports/throttle_verdict.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "reports/json_util.h"
#include "reports/report.h"

static void num(cJSON *o, const char *k, double v, int decimals)
{
	cJSON_AddNumberToObject(o, k, json_round(v, decimals));
}

static void num_or_null(cJSON *o, const char *k, double v, int decimals)
{
	if (isfinite(v) && v >= 0)
		num(o, k, v, decimals);
	else
		cJSON_AddNullToObject(o, k);
}

/* An interval's bounds rounded outward, so the rounded interval still holds what the
 * unrounded one held. */
static void bound_or_null(cJSON *o, const char *k, double v, int decimals, bool upper)
{
	if (!(isfinite(v) && v >= 0)) {
		cJSON_AddNullToObject(o, k);
		return;
	}
	double m = pow(10, decimals);
	double r = upper ? ceil(v * m - 1e-9) / m : floor(v * m + 1e-9) / m;
	cJSON_AddNumberToObject(o, k, r);
}

static cJSON *onset_json(const struct throttle_onset *o)
{
	if (!o->detected)
		return cJSON_CreateNull();
	cJSON *j = cJSON_CreateObject();
	cJSON_AddNumberToObject(j, "ts_ms", (double)o->ts_ms);
	num(j, "offset_s", o->offset_s, 1);
	cJSON_AddNumberToObject(j, "end_ms", (double)o->end_ms);
	json_add_u64(j, "episodes", o->episodes);
	num(j, "window_s", o->window_s, 1);
	json_add_u64(j, "threads", o->threads);
	json_add_u64(j, "all_threads", o->all_threads);
	if (o->jmeter_all_threads >= 0)
		cJSON_AddNumberToObject(j, "jmeter_all_threads", (double)o->jmeter_all_threads);
	else
		cJSON_AddNullToObject(j, "jmeter_all_threads");
	num(j, "rate_per_s", o->rate_per_s, 2);
	num(j, "all_rate_per_s", o->all_rate_per_s, 2);
	json_add_u64(j, "inflight", o->inflight);
	num(j, "latency_window_s", o->latency_window_s, 1);
	num(j, "after_window_s", o->after_window_s, 1);
	if (o->before.n)
		num(j, "p50_before_ms", o->before.p50_ms, 1);
	else
		cJSON_AddNullToObject(j, "p50_before_ms");
	if (o->before.n)
		num(j, "p95_before_ms", o->before.p95_ms, 1);
	else
		cJSON_AddNullToObject(j, "p95_before_ms");
	if (o->after.n)
		num(j, "p50_after_ms", o->after.p50_ms, 1);
	else
		cJSON_AddNullToObject(j, "p50_after_ms");
	if (o->after.n)
		num(j, "p95_after_ms", o->after.p95_ms, 1);
	else
		cJSON_AddNullToObject(j, "p95_after_ms");
	if (o->baseline.n)
		num(j, "p95_baseline_ms", o->baseline.p95_ms, 1);
	else
		cJSON_AddNullToObject(j, "p95_baseline_ms");
	if (o->latency_rising < 0)
		cJSON_AddNullToObject(j, "latency_rising");
	else
		cJSON_AddBoolToObject(j, "latency_rising", o->latency_rising == 1);
	num(j, "throttled_frac_after", o->throttled_frac_after, 4);
	num(j, "mean_all_before_ms", o->mean_all_before_ms, 1);
	num(j, "mean_all_after_ms", o->mean_all_after_ms, 1);
	cJSON_AddBoolToObject(j, "coordinated_omission", o->coordinated_omission);
	return j;
}

static cJSON *fit_json(enum throttle_model m, const struct throttle_model_fit *ft)
{
	cJSON *j = cJSON_CreateObject();
	if (!ft->scored) {
		cJSON_AddNullToObject(j, "score");
		json_add_str(j, "why_not", ft->why_not ? ft->why_not : "");
		return j;
	}
	num(j, "score", ft->score, 3);
	switch (m) {
	case THROTTLE_MODEL_TOKEN_BUCKET:
		num(j, "rate_per_s", ft->rate_per_s, 2);
		num(j, "burst", ft->burst, 0);
		break;
	case THROTTLE_MODEL_FIXED_WINDOW:
		num(j, "limit", ft->limit, 0);
		num(j, "window_s", ft->window_s, 3);
		cJSON_AddNumberToObject(j, "boundary_ms", (double)ft->phase_ms);
		break;
	case THROTTLE_MODEL_SLIDING_WINDOW:
		num(j, "limit", ft->limit, 0);
		num(j, "window_s", ft->window_s, 3);
		break;
	case THROTTLE_MODEL_CONCURRENCY:
		num(j, "concurrency", ft->concurrency, 0);
		break;
	default:
		break;
	}
	return j;
}

static cJSON *limit_json(const struct throttle_limit *L)
{
	cJSON *j = cJSON_CreateObject();
	cJSON_AddStringToObject(j, "model", throttle_model_name(L->model));
	bool known = L->model != THROTTLE_MODEL_UNKNOWN;
	bool rate = known && L->model != THROTTLE_MODEL_CONCURRENCY;
	num_or_null(j, "rate_per_s", rate ? L->rate_per_s : -1, 2);
	num_or_null(j, "burst", L->model == THROTTLE_MODEL_TOKEN_BUCKET ? L->burst : -1, 0);
	bool win = L->model == THROTTLE_MODEL_FIXED_WINDOW || L->model == THROTTLE_MODEL_SLIDING_WINDOW;
	num_or_null(j, "limit", win ? L->limit : -1, 0);
	num_or_null(j, "window_s", win ? L->window_s : -1, 3);
	num_or_null(j, "concurrency", L->model == THROTTLE_MODEL_CONCURRENCY ? L->concurrency : -1,
		    0);
	/* intervals: the values the replay finds consistent with the observed decisions */
	bool tb = L->model == THROTTLE_MODEL_TOKEN_BUCKET, cc = L->model == THROTTLE_MODEL_CONCURRENCY;
	bool iv = L->replayed && known;
	bound_or_null(j, "rate_per_s_low", iv && rate && L->rate_hi > 0 ? L->rate_lo : -1, 2, false);
	bound_or_null(j, "rate_per_s_high", iv && rate && L->rate_hi > 0 ? L->rate_hi : -1, 2, true);
	bound_or_null(j, "burst_low", iv && tb ? L->burst_lo : -1, 0, false);
	bound_or_null(j, "burst_high", iv && tb ? L->burst_hi : -1, 0, true);
	bound_or_null(j, "limit_low", iv && win ? L->limit_lo : -1, 0, false);
	bound_or_null(j, "limit_high", iv && win ? L->limit_hi : -1, 0, true);
	bound_or_null(j, "window_s_low", iv && win ? L->window_lo : -1, 3, false);
	bound_or_null(j, "window_s_high", iv && win ? L->window_hi : -1, 3, true);
	bound_or_null(j, "concurrency_low", iv && cc ? L->concurrency_lo : -1, 0, false);
	bound_or_null(j, "concurrency_high", iv && cc ? L->concurrency_hi : -1, 0, true);
	if (!known && L->replayed && L->burst_hi > 0)
		num(j, "burst_only", L->burst, 0);
	cJSON_AddStringToObject(j, "confidence", known ? throttle_confidence_name(L->confidence)
						      : "low");
	num(j, "confidence_value", known ? L->confidence_value : 0, 2);
	num(j, "score", L->score, 3);
	cJSON_AddBoolToObject(j, "per_key", L->per_key);
	num(j, "plateau_per_s", L->plateau_per_s, 2);
	num(j, "offered_peak_per_s", L->offered_peak_per_s, 2);
	if (L->why)
		json_add_str(j, "why", L->why);
	else
		cJSON_AddNullToObject(j, "why");
	if (L->replayed) {
		cJSON *rp = cJSON_AddObjectToObject(j, "replay");
		json_add_u64(rp, "requests", L->replay_requests);
		json_add_u64(rp, "rejected", L->replay_rejected);
		json_add_u64(rp, "mismatches", L->replay_miss);
		json_add_u64(rp, "null_mismatches", L->replay_null_miss);
		num(rp, "skill", L->skill, 3);
		num_or_null(rp, "model_margin", isfinite(L->model_margin) ? L->model_margin : -1, 1);
		cJSON_AddStringToObject(rp, "runner_up", throttle_model_name(L->runner_up));
		cJSON_AddBoolToObject(rp, "rate_identifiable", L->rate_identifiable);
	}
	cJSON *sc = cJSON_AddObjectToObject(j, "scores");
	for (int m = 1; m < THROTTLE_MODEL_COUNT; m++)
		cJSON_AddItemToObject(sc, throttle_model_name((enum throttle_model)m),
				      fit_json((enum throttle_model)m, &L->fits[m]));
	cJSON *h = cJSON_AddObjectToObject(j, "headers");
	if (L->declared_limit > 0)
		cJSON_AddNumberToObject(h, "declared_limit", (double)L->declared_limit);
	else
		cJSON_AddNullToObject(h, "declared_limit");
	num_or_null(h, "declared_window_s", L->declared_window_s > 0 ? L->declared_window_s : -1, 3);
	cJSON_AddBoolToObject(h, "countdown", L->countdown);
	num_or_null(h, "countdown_window_s", L->countdown ? L->countdown_window_s : -1, 3);
	return j;
}

static cJSON *scope_json(const struct throttle_scope_result *s)
{
	cJSON *j = cJSON_CreateObject();
	cJSON_AddStringToObject(j, "scope", throttle_scope_name(s->scope));
	cJSON_AddStringToObject(j, "confidence", throttle_confidence_name(s->confidence));
	cJSON_AddStringToObject(j, "key", s->key ? s->key : s->key_is_connection ? "connection" : "thread");
	if (s->key_equivalent)
		json_add_str(j, "key_equivalent", s->key_equivalent);
	else
		cJSON_AddNullToObject(j, "key_equivalent");
	num_or_null(j, "key_margin", isfinite(s->key_margin) ? s->key_margin : -1, 1);
	if (s->runner_key)
		json_add_str(j, "runner_key", s->runner_key);
	else
		cJSON_AddNullToObject(j, "runner_key");
	cJSON *kvs = cJSON_AddArrayToObject(j, "key_verdicts");
	for (size_t i = 0; i < s->nvalues; i++) {
		const struct throttle_key_value *v = &s->values[i];
		cJSON *o = cJSON_CreateObject();
		json_add_str(o, "key", v->name);
		cJSON_AddBoolToObject(o, "throttled", v->throttled);
		json_add_u64(o, "requests", v->requests);
		json_add_u64(o, "rejected", v->rejected);
		num(o, "offered_per_s", v->offered_per_s, 3);
		num(o, "accepted_per_s", v->accepted_per_s, 3);
		cJSON_AddItemToArray(kvs, o);
	}
	json_add_u64(j, "keys", s->keys);
	json_add_u64(j, "keys_throttled", s->keys_throttled);
	json_add_u64(j, "keys_eligible", s->keys_eligible);
	json_add_u64(j, "keys_clean", s->keys_clean);
	num_or_null(j, "auc_own_rate", s->auc_own_rate, 3);
	num_or_null(j, "key_rate_onset", s->key_rate_onset, 3);
	num_or_null(j, "key_rate_throttled_p50", s->key_rate_throttled_p50, 3);
	num_or_null(j, "key_rate_clean_p50", s->key_rate_clean_p50, 3);
	num_or_null(j, "first_throttle_p50_s", s->first_throttle_p50_s, 1);
	json_add_u64(j, "hosts", s->hosts);
	json_add_u64(j, "hosts_throttled", s->hosts_throttled);
	if (s->evidence)
		json_add_str(j, "evidence", s->evidence);
	else
		cJSON_AddNullToObject(j, "evidence");
	return j;
}

static cJSON *retry_json(const struct throttle_retry *r)
{
	cJSON *j = cJSON_CreateObject();
	json_add_u64(j, "seen", r->seen);
	cJSON *v = cJSON_AddArrayToObject(j, "values_s");
	for (size_t i = 0; i < r->nvalues; i++)
		cJSON_AddItemToArray(v, cJSON_CreateNumber(json_round(r->values[i].value_s, 1)));
	cJSON *c = cJSON_AddArrayToObject(j, "value_counts");
	for (size_t i = 0; i < r->nvalues; i++)
		cJSON_AddItemToArray(c, cJSON_CreateNumber((double)r->values[i].count));
	json_add_u64(j, "values_other", r->values_other);
	json_add_u64(j, "honoured", r->honoured);
	json_add_u64(j, "violated", r->violated);
	json_add_u64(j, "no_retry", r->no_retry);
	json_add_u64(j, "at_deadline", r->at_deadline);
	num_or_null(j, "median_early_s", r->median_early_s, 2);
	num_or_null(j, "median_wait_s", r->median_wait_s, 2);
	return j;
}

static cJSON *group_json(const struct throttle_group *g)
{
	cJSON *j = cJSON_CreateObject();
	json_add_str(j, "region", g->name);
	json_add_u64(j, "samples", g->samples);
	json_add_u64(j, "throttled", g->throttled);
	json_add_u64(j, "isolated", g->onset.isolated);
	if (g->folded_keys)
		json_add_u64(j, "folded", g->folded_keys);
	cJSON_AddBoolToObject(j, "detected", g->detected);
	num(j, "offered_per_s", g->offered_per_s, 2);
	num(j, "accepted_per_s", g->accepted_per_s, 2);
	num_or_null(j, "connect_p50_ms", g->connect_p50_ms, 1);
	cJSON_AddItemToObject(j, "onset", onset_json(&g->onset));
	if (g->detected) {
		cJSON_AddItemToObject(j, "limit", limit_json(&g->limit));
		cJSON_AddStringToObject(j, "scope", throttle_scope_name(g->scope.scope));
		cJSON_AddItemToObject(j, "scope_detail", scope_json(&g->scope));
	} else {
		cJSON_AddNullToObject(j, "limit");
		cJSON_AddStringToObject(j, "scope", "unknown");
		cJSON_AddNullToObject(j, "scope_detail");
	}
	cJSON_AddItemToObject(j, "retry_after", retry_json(&g->retry));
	return j;
}

/* "25.6 s", "8.5 min", "7.0 d" */
static void fmt_span(char *buf, size_t n, int64_t ms)
{
	double v = (double)ms;
	if (ms < 1000)
		snprintf(buf, n, "%lld ms", (long long)ms);
	else if (v < 120e3)
		snprintf(buf, n, "%.1f s", v / 1e3);
	else if (v < 7200e3)
		snprintf(buf, n, "%.1f min", v / 60e3);
	else if (v < 172800e3)
		snprintf(buf, n, "%.1f h", v / 3600e3);
	else
		snprintf(buf, n, "%.1f d", v / 86400e3);
}

static void resolution_note(cJSON *notes, const char *what, int64_t w, int64_t nominal, int cap,
			    int64_t span_ms)
{
	char a[32], b[32], c[32], line[320];
	fmt_span(a, sizeof a, w);
	fmt_span(b, sizeof b, nominal);
	fmt_span(c, sizeof c, span_ms);
	snprintf(line, sizeof line, "%s on %s buckets instead of %s: the run spans %s and this grid "
		 "keeps at most %d buckets", what, a, b, c, cap);
	cJSON_AddItemToArray(notes, cJSON_CreateString(line));
}

/* The time grids of the analysis keep a bounded number of buckets: on a long run they widen
 * (docs/design-notes.md, "Long runs").  Written only when one did, so what was lost is stated
 * next to the results it affects. */
static void resolution_json(cJSON *j, const struct throttle_result *r)
{
	const struct throttle_group *o = &r->overall;
	bool wf = o->fine.width_ms > THROTTLE_FINE_MS, wk = o->keys.width_ms > THROTTLE_COARSE_MS,
	     wl = o->lat.width_ms > THROTTLE_LAT_MS;
	if (!wf && !wk && !wl)
		return;
	cJSON *res = cJSON_AddObjectToObject(j, "resolution");
	cJSON_AddNumberToObject(res, "fine_ms", (double)o->fine.width_ms);
	cJSON_AddNumberToObject(res, "keys_ms", (double)o->keys.width_ms);
	cJSON_AddNumberToObject(res, "latency_ms", (double)o->lat.width_ms);
	cJSON *notes = cJSON_AddArrayToObject(res, "notes");
	int64_t span = r->end_ms - r->start_ms;
	if (wf)
		resolution_note(notes, "onset, episodes and limiter fit", o->fine.width_ms,
				THROTTLE_FINE_MS, THROTTLE_FINE_MAX, span);
	if (wk)
		resolution_note(notes, "active threads/connections and scope", o->keys.width_ms,
				THROTTLE_COARSE_MS, THROTTLE_COARSE_MAX, span);
	if (wl)
		resolution_note(notes, "latency before/after the onset", o->lat.width_ms,
				THROTTLE_LAT_MS, THROTTLE_LAT_MAX, span);
}

void throttle_report_json(cJSON *root, const struct throttle *t)
{
	throttle_report_json_ctx(root, t, NULL);
}

void throttle_report_json_ctx(cJSON *root, const struct throttle *t, const struct verdict_context *vc)
{
	const struct throttle_result *r = throttle_result(t);
	if (!r)
		return;
	cJSON *j = cJSON_AddObjectToObject(root, "throttle");
	cJSON_AddBoolToObject(j, "detected", r->detected);
	cJSON_AddStringToObject(j, "finding", throttle_finding_name(r->finding));
	const struct throttle_group *p = r->primary ? r->primary : &r->overall;
	if (p != &r->overall) {
		/* only some groups were throttled: the grouping itself tells who is limited */
		json_add_str(j, "group", p->name);
		cJSON_AddStringToObject(j, "group_key", region_by_name(r->region_by));
	} else {
		cJSON_AddNullToObject(j, "group");
		cJSON_AddNullToObject(j, "group_key");
	}
	cJSON_AddStringToObject(j, "region_by", region_by_name(r->region_by));
	json_add_u64(j, "samples", r->samples);
	json_add_u64(j, "throttled", r->throttled);
	json_add_u64(j, "isolated", r->overall.onset.isolated);
	cJSON_AddItemToObject(j, "onset", onset_json(&p->onset));
	if (p->detected) {
		cJSON_AddItemToObject(j, "limit", limit_json(&p->limit));
		cJSON_AddStringToObject(j, "scope", throttle_scope_name(p->scope.scope));
		cJSON_AddItemToObject(j, "scope_detail", scope_json(&p->scope));
	} else {
		cJSON_AddNullToObject(j, "limit");
		cJSON_AddStringToObject(j, "scope", "unknown");
		cJSON_AddNullToObject(j, "scope_detail");
	}
	cJSON_AddItemToObject(j, "retry_after", retry_json(&p->retry));
	cJSON *regs = cJSON_AddArrayToObject(j, "regions");
	for (size_t i = 0; i < r->ngroups; i++)
		cJSON_AddItemToArray(regs, group_json(&r->groups[i]));
	{
		char *head, *verdict, *adv;
		throttle_verdict_full(r, vc, &head, &verdict, &adv);
		json_add_str(j, "headline", head);
		free(head);
		json_add_str(j, "verdict", verdict);
		json_add_str(j, "advice", adv);
		free(verdict);
		free(adv);
	}
	cJSON *sk = cJSON_AddObjectToObject(j, "skipped");
	json_add_u64(sk, "no_timestamp", r->skipped_no_ts);
	json_add_u64(sk, "out_of_range", r->skipped_out_of_range);
	json_add_u64(sk, "sub_results", r->skipped_sub);
	json_add_u64(sk, "transactions", r->skipped_transaction);
	json_add_u64(j, "pattern_errors", r->pattern_errors);
	json_add_u64(j, "plain_503", r->plain_503);
	json_add_u64(j, "encrypted", r->encrypted);
	cJSON_AddBoolToObject(j, "transactions_as_requests", r->transactions_as_requests);
	json_add_u64(j, "keys_over_limit", r->keys_over_limit);
	json_add_u64(j, "replay_seen", r->replay_seen);
	json_add_u64(j, "replay_kept", r->replay_kept);
	resolution_json(j, r);
}
