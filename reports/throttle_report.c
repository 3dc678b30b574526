/* throttle_report.c - the throttle analysis as text (throttle_report.h).
 *
 * This file owns the text rendering: the headline, VERDICT and WHAT TO DO paragraphs
 * (worded by throttle_verdict.c) wrapped at WRAP_COLS, then the tables backing them: per-group
 * load and onset, the limiter fit with every model's score and parameters, scope evidence,
 * Retry-After compliance, and the throttled-share timeline (built by throttle_timeline.c).
 * Group names from input go through the text escaper (\xNN for control bytes) and are cut to
 * NAME_COLS_MAX columns.  The JSON rendering is throttle_report_json.c.
 */
#include "reports/throttle_report.h"
#include "reports/throttle_verdict.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "reports/escape.h"
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
/* A table's title line, then its header row: the group column (kind), then the columns. */
static void table_head(FILE *f, const char *title, const char *kind, size_t w, const char *cols, ...)
	__attribute__((format(printf, 5, 6)));
static void table_head(FILE *f, const char *title, const char *kind, size_t w, const char *cols, ...)
{
	fputs(title, f);
	name_cell(f, kind, w);
	va_list ap;
	va_start(ap, cols);
	vfprintf(f, cols, ap);
	va_end(ap);
}

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

	table_head(f, "\nLIMITER FIT (score: skill over a constant accept share, 0..1; rates per key "
		   "when the limit is per key)\n", kind, w,
		   " %-15s %-6s %4s %-24s %-9s %9s %9s\n", "model", "conf", "", "parameters", "scope",
		   "plateau/s", "peak/s");
	for (size_t i = 0; i < ng; i++) {
		if (gs[i]->detected)
			limit_rows(f, gs[i], w);
	}

	table_head(f, "\nSCOPE (keys = threads or connections active during sustained throttling)\n",
		   kind, w, " %-14s %-6s %5s %9s %8s %5s %5s %5s\n", "scope", "conf", "keys",
		   "throttled", "eligible", "clean", "AUC", "hosts");
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

	table_head(f, "\nRETRY-AFTER (per thread/connection: next request before the announced wait = "
		   "violated)\n", kind, w, " %7s %8s %8s %8s %8s %10s  %s\n", "seen", "honoured",
		   "violated", "no retry", "on time", "early p50", "values (s x count)");
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
