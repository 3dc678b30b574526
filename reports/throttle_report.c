/* throttle_report.c - see throttle_report.h. */
#include "reports/throttle_report.h"
#include "reports/throttle_verdict.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "reports/escape.h"
#include "reports/json_util.h"
#include "reports/report.h"
#include "reports/report_time.h"

#define WRAP_COLS 96
#define NAME_COLS_MAX 28

/* ---- text ------------------------------------------------------------------------------- */

static void wrap(FILE *f, const char *text)
{
	struct strbuf sb = STRBUF_INIT;
	esc_text_sb(&sb, text, strlen(text));
	const char *p = strbuf_cstr(&sb);
	size_t col = 0;
	while (*p) {
		while (*p == ' ')
			p++;
		const char *e = p;
		size_t w = 0;
		while (*e && *e != ' ') {
			w += ((unsigned char)*e & 0xc0) != 0x80;
			e++;
		}
		if (e == p)
			break;
		if (col && col + 1 + w > WRAP_COLS) {
			fputc('\n', f);
			col = 0;
		} else if (col) {
			fputc(' ', f);
			col++;
		}
		fwrite(p, 1, (size_t)(e - p), f);
		col += w;
		p = e;
	}
	if (col)
		fputc('\n', f);
	strbuf_release(&sb);
}

/* Escaped name, cut and padded to exactly w columns. */
static void name_cell(FILE *f, const char *name, size_t w)
{
	struct strbuf sb = STRBUF_INIT;
	esc_text_sb(&sb, name, strlen(name));
	size_t cols = 0, i = 0;
	while (i < sb.len) {
		size_t l = 1;
		while (i + l < sb.len && ((unsigned char)sb.buf[i + l] & 0xc0) == 0x80)
			l++;
		if (cols + 1 > w)
			break;
		fwrite(sb.buf + i, 1, l, f);
		cols++;
		i += l;
	}
	for (; cols < w; cols++)
		fputc(' ', f);
	strbuf_release(&sb);
}

/* HH:MM:SS in the report zone (named in the report's first lines). */
static void fmt_time(char *buf, size_t n, int64_t ms)
{
	report_time(buf, n, ms, 0);
}

static void fmt_num(char *buf, size_t n, double v)
{
	if (!isfinite(v) || v < 0)
		snprintf(buf, n, "-");
	else if (v >= 100)
		snprintf(buf, n, "%.0f", v);
	else if (v >= 10)
		snprintf(buf, n, "%.1f", v);
	else
		snprintf(buf, n, "%.2f", v);
}

static void fmt_lat(char *buf, size_t n, const struct throttle_latency *l)
{
	if (!l->n)
		snprintf(buf, n, "-");
	else
		snprintf(buf, n, "%.0f/%.0f", l->p50_ms, l->p95_ms);
}

static size_t name_width(const struct throttle_result *r)
{
	size_t w = 6;
	for (size_t i = 0; i < r->ngroups; i++) {
		size_t l = esc_text_width(r->groups[i].name);
		if (l > w)
			w = l;
	}
	return w > NAME_COLS_MAX ? NAME_COLS_MAX : w;
}

static void row_load(FILE *f, const struct throttle_result *r, const struct throttle_group *g,
		     size_t w)
{
	char a[32], b[32], c[32], d[32], e[32], on[48], lb[32], la[32];
	name_cell(f, g->name, w);
	fmt_num(a, sizeof a, g->offered_per_s);
	fmt_num(b, sizeof b, g->accepted_per_s);
	fmt_num(e, sizeof e, g->connect_p50_ms);
	fprintf(f, " %8llu %6.1f %8s %8s %7s", (unsigned long long)g->samples,
		g->samples ? 100.0 * (double)g->throttled / (double)g->samples : 0.0, a, b, e);
	if (g->detected) {
		char tm[16];
		fmt_time(tm, sizeof tm, g->onset.ts_ms);
		snprintf(on, sizeof on, "%s +%.1fs", tm, g->onset.offset_s);
		fmt_num(c, sizeof c, g->onset.rate_per_s);
		snprintf(d, sizeof d, "%u", g->onset.threads);
		fmt_lat(lb, sizeof lb, &g->onset.before);
		fmt_lat(la, sizeof la, &g->onset.after);
		fprintf(f, "  %-17s %7s %7s %8u %11s %11s\n", on, d, c, g->onset.inflight, lb, la);
	} else {
		fprintf(f, "  %-17s %7s %7s %8s %11s %11s\n", "never", "-", "-", "-", "-", "-");
	}
	(void)r;
}

static void fit_params(char *buf, size_t n, enum throttle_model m,
		       const struct throttle_model_fit *ft)
{
	switch (m) {
	case THROTTLE_MODEL_TOKEN_BUCKET:
		snprintf(buf, n, "rate %.2f/s, burst %.0f", ft->rate_per_s, ft->burst);
		break;
	case THROTTLE_MODEL_FIXED_WINDOW:
		snprintf(buf, n, "%.0f per %.3g s", ft->limit, ft->window_s);
		break;
	case THROTTLE_MODEL_SLIDING_WINDOW:
		snprintf(buf, n, "%.0f in any %.3g s", ft->limit, ft->window_s);
		break;
	case THROTTLE_MODEL_CONCURRENCY:
		snprintf(buf, n, "%.0f in flight", ft->concurrency);
		break;
	default:
		snprintf(buf, n, "-");
	}
}

static void limit_rows(FILE *f, const struct throttle_group *g, size_t w)
{
	const struct throttle_limit *L = &g->limit;
	char a[32], b[32], p[64];
	name_cell(f, g->name, w);
	fmt_num(a, sizeof a, L->plateau_per_s);
	fmt_num(b, sizeof b, L->offered_peak_per_s);
	if (L->model != THROTTLE_MODEL_UNKNOWN)
		fit_params(p, sizeof p, L->model, &L->fits[L->model]);
	else
		snprintf(p, sizeof p, "-");
	fprintf(f, " %-15s %-6s %4.2f %-24s %-9s %9s %9s\n", throttle_model_name(L->model),
		throttle_confidence_name(L->confidence), L->confidence_value, p,
		L->per_key ? (g->scope.scope == THROTTLE_SCOPE_PER_CLIENT ? "per host" : "per key")
			   : "total",
		a, b);
	bool any = false;
	for (int m = 1; m < THROTTLE_MODEL_COUNT; m++)
		any = any || L->fits[m].scored;
	for (int m = 1; any && m < THROTTLE_MODEL_COUNT; m++) {
		const struct throttle_model_fit *ft = &L->fits[m];
		fprintf(f, "%*s   %-15s ", (int)w, "", throttle_model_name((enum throttle_model)m));
		if (ft->scored) {
			fit_params(p, sizeof p, (enum throttle_model)m, ft);
			fprintf(f, "score %.2f  %s\n", ft->score, p);
		} else {
			fprintf(f, "not scored: %s\n", ft->why_not ? ft->why_not : "-");
		}
	}
	if (L->declared_limit > 0 || L->declared_window_s > 0 || L->countdown) {
		fprintf(f, "%*s   headers:", (int)w, "");
		if (L->declared_limit > 0)
			fprintf(f, " declared limit %lld", (long long)L->declared_limit);
		if (L->declared_window_s > 0)
			fprintf(f, " window %.0f s", L->declared_window_s);
		if (L->countdown)
			fprintf(f, " countdown to window ends every %.0f s", L->countdown_window_s);
		fputc('\n', f);
	}
	if (any && (L->inflight_at_reject_p50 > 0 || L->svc_median_ms > 0)) {
		fprintf(f, "%*s   in flight at rejection p50 %.0f p90 %.0f; accepted elapsed p50 %.0f ms;"
			   " accepted-rate CV %.2f\n", (int)w, "", L->inflight_at_reject_p50,
			L->inflight_at_reject_p90, L->svc_median_ms, L->accepted_cv);
	}
	if (L->why) {
		fprintf(f, "%*s   note: ", (int)w, "");
		esc_text_s(f, L->why);
		fputc('\n', f);
	}
}

static void timeline_text(FILE *f, const struct throttle_result *r)
{
	struct throttle_timeline tl;
	if (!throttle_timeline_build(&tl, r))
		return;
	char b[64];
	report_time(b, sizeof b, tl.end_ms, 0);
	fputs("TIMELINE (throttled % of requests", f);
	if (tl.group) {
		fputs(" to ", f);
		esc_text_s(f, tl.group);
	}
	fprintf(f, ", one character per %s; ▁ none ... █ the highest, %.1f %%)\n", tl.width,
		tl.max_pct);
	fprintf(f, "%s |%s| %s\n", tl.from, tl.spark, b);
	for (size_t i = 0; i < tl.nrows; i++) {
		const struct throttle_timeline_row *row = &tl.rows[i];
		char t[64];
		report_time(t, sizeof t, row->ts_ms, 0);
		fprintf(f, "  %s %6llu sent %6llu throttled %5.1f %%%s\n", t,
			(unsigned long long)row->sent, (unsigned long long)row->throttled,
			row->sent ? 100.0 * (double)row->throttled / (double)row->sent : 0.0,
			row->onset ? "  <- onset" : "");
	}
	fputc('\n', f);
	throttle_timeline_free(&tl);
}

void throttle_report_text(FILE *f, const struct throttle *t)
{
	throttle_report_text_ctx(f, t, NULL);
}

void throttle_report_text_ctx(FILE *f, const struct throttle *t, const struct verdict_context *vc)
{
	const struct throttle_result *r = throttle_result(t);
	if (!r)
		return;
	char *head, *verdict, *adv;
	throttle_verdict_full(r, vc, &head, &verdict, &adv);
	fputs("VERDICT\n", f);
	esc_text_s(f, head);
	fputs("\n\n", f);
	wrap(f, verdict);
	free(head);
	fputs("\nWHAT TO DO\n", f);
	wrap(f, adv);
	fputc('\n', f);
	free(verdict);
	free(adv);
	if (!r->samples)
		return;
	timeline_text(f, r);
	size_t w = name_width(r);
	const char *kind = throttle_group_kind(r->region_by);

	fputs("THROTTLING BY ", f);
	for (const char *k = kind; *k; k++)
		fputc(*k >= 'a' && *k <= 'z' ? *k - 'a' + 'A' : *k, f);
	fprintf(f, " (%s; onset = start of sustained throttling; threads and rate over the "
		   "trailing window; latency p50/p95 ms of successful requests)\n",
		region_by_name(r->region_by));
	name_cell(f, kind, w);
	fprintf(f, " %8s %6s %8s %8s %7s  %-17s %7s %7s %8s %11s %11s\n", "samples", "thr%",
		"offer/s", "accept/s", "conn", "onset", "threads", "rate/s", "inflight",
		"before", "after");
	for (size_t i = 0; i < r->ngroups; i++)
		row_load(f, r, &r->groups[i], w);
	if (r->ngroups != 1)
		row_load(f, r, &r->overall, w);
	for (size_t i = 0; i < r->ngroups; i++) {
		const struct throttle_group *g = &r->groups[i];
		if (g->folded_keys) {
			fprintf(f, "(\"%s\" holds %llu further %ss beyond the %d shown)\n",
				REGION_OTHER, (unsigned long long)g->folded_keys, kind,
				REGION_MAX_GROUPS);
		}
	}
	const struct throttle_group *gs[REGION_MAX_GROUPS + 2];
	size_t ng = 0;
	for (size_t i = 0; i < r->ngroups && ng < REGION_MAX_GROUPS + 1; i++)
		gs[ng++] = &r->groups[i];
	if (r->ngroups != 1)
		gs[ng++] = &r->overall;

	fputs("\nONSET DETAIL\n", f);
	for (size_t i = 0; i < ng; i++) {
		const struct throttle_group *g = gs[i];
		const struct throttle_onset *o = &g->onset;
		name_cell(f, g->name, w);
		if (!g->detected) {
			fprintf(f, " no sustained throttling");
			if (o->isolated)
				fprintf(f, "; %llu isolated throttled answers",
					(unsigned long long)o->isolated);
			fputc('\n', f);
			continue;
		}
		char e[16], bl[32];
		fmt_time(e, sizeof e, o->end_ms);
		fmt_lat(bl, sizeof bl, &o->baseline);
		fprintf(f, " until %s, %u episode%s; window %.0f s; all threads %u", e, o->episodes,
			o->episodes == 1 ? "" : "s", o->window_s, o->all_threads);
		if (o->jmeter_all_threads >= 0)
			fprintf(f, " (JMeter allThreads %lld)", (long long)o->jmeter_all_threads);
		fprintf(f, "; throttled after %.1f %%; latency earlier %s ms, rising: %s",
			100 * o->throttled_frac_after, bl,
			o->latency_rising < 0 ? "unknown" : o->latency_rising ? "yes" : "no");
		fprintf(f, "; mean all %.0f -> %.0f ms, throttled %.0f ms%s", o->mean_all_before_ms,
			o->mean_all_after_ms, o->mean_throttled_ms,
			o->coordinated_omission ? " (coordinated omission)" : "");
		if (o->isolated)
			fprintf(f, "; %llu isolated", (unsigned long long)o->isolated);
		fputc('\n', f);
	}

	fputs("\nLIMITER FIT (score: skill over a constant accept share, 0..1; rates per key when "
	      "the limit is per key)\n", f);
	name_cell(f, kind, w);
	fprintf(f, " %-15s %-6s %4s %-24s %-9s %9s %9s\n", "model", "conf", "", "parameters",
		"scope", "plateau/s", "peak/s");
	for (size_t i = 0; i < ng; i++) {
		if (gs[i]->detected)
			limit_rows(f, gs[i], w);
	}

	fputs("\nSCOPE (keys = threads or connections active during sustained throttling)\n", f);
	name_cell(f, kind, w);
	fprintf(f, " %-14s %-6s %5s %9s %8s %5s %5s %5s\n", "scope", "conf", "keys", "throttled",
		"eligible", "clean", "AUC", "hosts");
	for (size_t i = 0; i < ng; i++) {
		const struct throttle_group *g = gs[i];
		if (!g->detected)
			continue;
		const struct throttle_scope_result *s = &g->scope;
		char auc[16];
		fmt_num(auc, sizeof auc, s->auc_own_rate);
		name_cell(f, g->name, w);
		fprintf(f, " %-14s %-6s %5u %9u %8u %5u %5s %2u/%-2u\n", throttle_scope_name(s->scope),
			throttle_confidence_name(s->confidence), s->keys, s->keys_throttled,
			s->keys_eligible, s->keys_clean, auc, s->hosts_throttled, s->hosts);
		if (s->evidence) {
			fprintf(f, "%*s   ", (int)w, "");
			esc_text_s(f, s->evidence);
			fputc('\n', f);
		}
	}

	fputs("\nRETRY-AFTER (per thread/connection: next request before the announced wait = "
	      "violated)\n", f);
	name_cell(f, kind, w);
	fprintf(f, " %7s %8s %8s %8s %8s %10s  %s\n", "seen", "honoured", "violated", "no retry",
		"on time", "early p50", "values (s x count)");
	for (size_t i = 0; i < ng; i++) {
		const struct throttle_group *g = gs[i];
		const struct throttle_retry *ra = &g->retry;
		if (!g->throttled)
			continue;
		char early[32];
		if (ra->median_early_s >= 0)
			snprintf(early, sizeof early, "%.1f s", ra->median_early_s);
		else
			snprintf(early, sizeof early, "-");
		name_cell(f, g->name, w);
		fprintf(f, " %7llu %8llu %8llu %8llu %8llu %10s  ", (unsigned long long)ra->seen,
			(unsigned long long)ra->honoured, (unsigned long long)ra->violated,
			(unsigned long long)ra->no_retry, (unsigned long long)ra->at_deadline, early);
		for (size_t k = 0; k < ra->nvalues; k++)
			fprintf(f, "%s%g x %llu", k ? ", " : "", ra->values[k].value_s,
				(unsigned long long)ra->values[k].count);
		if (ra->values_other)
			fprintf(f, ", other x %llu", (unsigned long long)ra->values_other);
		if (!ra->nvalues)
			fputs("-", f);
		fputc('\n', f);
	}
	if (r->pattern_errors || r->keys_over_limit || r->skipped_out_of_range) {
		fprintf(f, "\nnotes: %llu pattern matches hit a PCRE2 limit; %llu samples of keys "
			   "beyond %d tracked; %llu samples with timestamps out of range\n",
			(unsigned long long)r->pattern_errors, (unsigned long long)r->keys_over_limit,
			THROTTLE_MAX_KEYS, (unsigned long long)r->skipped_out_of_range);
	}
	fputc('\n', f);
}

/* ---- JSON ------------------------------------------------------------------------------- */

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

/* ---- text timeline ---------------------------------------------------------------------- */

/* Requests and throttled ones of a fine series in [t0, t1). */
static void fine_sum(const struct throttle_series *s, int64_t t0, int64_t t1, uint64_t *sent,
		     uint64_t *thr)
{
	*sent = *thr = 0;
	if (t1 <= s->t0_ms || s->width_ms <= 0)
		return;
	size_t i = t0 <= s->t0_ms ? 0 : (size_t)((t0 - s->t0_ms) / s->width_ms);
	for (; i < s->n; i++) {
		int64_t b = s->t0_ms + (int64_t)i * s->width_ms;
		if (b >= t1)
			break;
		*sent += s->sent[i];
		*thr += s->throttled[i];
	}
}

bool throttle_timeline_build(struct throttle_timeline *tl, const struct throttle_result *r)
{
	memset(tl, 0, sizeof *tl);
	if (!r || !r->throttled)
		return false;
	const struct throttle_group *g = r->primary ? r->primary : &r->overall;
	const struct throttle_series *s = &g->fine;
	if (!s->n || !s->sent || !s->throttled || s->width_ms <= 0)
		return false;
	static const int64_t nice[] = { 1000, 2000, 5000, 10000, 15000, 30000, 60000, 120000, 300000,
					600000, 900000, 1800000, 3600000, 7200000, 21600000,
					43200000, 86400000 };
	int64_t span = (int64_t)s->n * s->width_ms;
	int64_t w = nice[ARRAY_LEN(nice) - 1];
	for (size_t i = 0; i < ARRAY_LEN(nice); i++) {
		if (nice[i] >= s->width_ms && nice[i] * THROTTLE_TIMELINE_COLS >= span) {
			w = nice[i];
			break;
		}
	}
	if (w < s->width_ms)
		w = s->width_ms;
	tl->group = g == &r->overall ? NULL : g->name;
	/* buckets on whole multiples of their width (wall-clock seconds, minutes) */
	tl->t0_ms = s->t0_ms >= 0 ? s->t0_ms / w * w : s->t0_ms;
	tl->width_ms = w;
	tl->ncols = (size_t)((s->t0_ms + span - tl->t0_ms + w - 1) / w);
	static const char *const level[] = { "▁", "▂", "▃", "▄", "▅", "▆", "▇", "█" };
	for (size_t c = 0; c < tl->ncols; c++) {
		uint64_t sent, thr;
		int64_t b = tl->t0_ms + (int64_t)c * w;
		fine_sum(s, b, b + w, &sent, &thr);
		double p = sent ? 100.0 * (double)thr / (double)sent : 0;
		if (p > tl->max_pct)
			tl->max_pct = p;
	}
	struct strbuf sb = STRBUF_INIT;
	for (size_t c = 0; c < tl->ncols; c++) {
		uint64_t sent, thr;
		int64_t b = tl->t0_ms + (int64_t)c * w;
		fine_sum(s, b, b + w, &sent, &thr);
		if (!sent) {
			strbuf_addch(&sb, ' ');
			continue;
		}
		/* scaled to the highest share, so the shape shows: ▁ none, ▂ .. █ up to the highest */
		double p = 100.0 * (double)thr / (double)sent;
		size_t k = thr && tl->max_pct > 0 ? (size_t)ceil(p / tl->max_pct * 7.0 - 1e-9) : 0;
		if (thr && k < 1)
			k = 1;
		strbuf_addstr(&sb, level[k > 7 ? 7 : k]);
	}
	tl->spark = strbuf_detach(&sb);
	if (!tl->spark)
		return false;
	tl->end_ms = tl->t0_ms + (int64_t)tl->ncols * w;
	report_duration(tl->width, sizeof tl->width, w);
	report_time(tl->from, sizeof tl->from, tl->t0_ms, 0);
	const struct throttle_onset *o = &g->onset;
	if (!o->detected)
		return true;
	int64_t rw = s->width_ms > 1000 ? s->width_ms : 1000;
	int64_t on = o->ts_ms >= 0 ? o->ts_ms / rw * rw : o->ts_ms;
	for (int k = -THROTTLE_TIMELINE_BEFORE; k < THROTTLE_TIMELINE_AFTER; k++) {
		int64_t b = on + k * rw;
		if (b + rw <= s->t0_ms || b >= s->t0_ms + span)
			continue;
		struct throttle_timeline_row *row = &tl->rows[tl->nrows++];
		row->ts_ms = b;
		row->onset = k == 0;
		fine_sum(s, b, b + rw, &row->sent, &row->throttled);
	}
	return true;
}

void throttle_timeline_free(struct throttle_timeline *tl)
{
	free(tl->spark);
	memset(tl, 0, sizeof *tl);
}
