/* report_md.c - the Markdown report (GitHub- and Jira-flavoured tables), and the table model it
 * shares with report_html.c: every table is built once as plain-text cells and each writer
 * escapes the cells for its format (esc_md_cell, esc_html). */
#include "reports/report.h"
#include "reports/throttle_verdict.h"

#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "reports/charts.h"
#include "reports/escape.h"
#include "reports/report_time.h"
#include "reports/throttle_report.h"

/* ---- table model ------------------------------------------------------------------------ */

const struct throttle_result *report_throttle(const struct analysis *a)
{
	return a->throttle ? throttle_result(a->throttle) : NULL;
}

static double pct(uint64_t part, uint64_t whole)
{
	return whole ? 100.0 * (double)part / (double)whole : 0.0;
}

/* Append one cell (taking ownership); rows fill left to right. */
static void put(struct report_table *t, char *s)
{
	t->cell = xrealloc(t->cell, (t->ncells + 1) * sizeof *t->cell);
	t->cell[t->ncells++] = s;
	t->nrows = (t->ncells + t->ncols - 1) / t->ncols;
}

static void put_f(struct report_table *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void put_f(struct report_table *t, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *s = NULL;
	int n = vasprintf(&s, fmt, ap);
	va_end(ap);
	put(t, n < 0 || !s ? xstrdup("?") : s);
}

static void put_s(struct report_table *t, const char *s)
{
	put(t, xstrdup(s ? s : ""));
}

static void table_init(struct report_table *t, const char *title, size_t ncols,
		       const char *const *head, const char *align)
{
	memset(t, 0, sizeof *t);
	t->title = title;
	t->ncols = ncols;
	t->head = head;
	t->align = align;
}

void report_table_free(struct report_table *t)
{
	for (size_t i = 0; i < t->ncells; i++)
		free(t->cell[i]);
	free(t->cell);
	free(t->note);
	memset(t, 0, sizeof *t);
}

static void kv(struct report_table *t, const char *key, char *value)
{
	put_s(t, key);
	put(t, value);
}

static char *utc_offset(int64_t ts_ms, double offset_s)
{
	char u[128];
	report_time(u, sizeof u, ts_ms, RT_DATE | RT_MS | RT_ZONE);
	return xasprintf("%s (+%.1f s)", u, offset_s);
}

static void keys_window(struct report_table *t, const struct analysis *a)
{
	int64_t start = analysis_start_ms(a), end = analysis_end_ms(a);
	if (a->overall.count && start) {
		char range[256], dur[32];
		report_time_range(range, sizeof range, start, end, "→");
		report_duration(dur, sizeof dur, end - start);
		kv(t, "Test window", xasprintf("%s (%s)", range, dur));
	} else {
		kv(t, "Test window", xstrdup("no time-stamped samples"));
	}
	struct strbuf sb = STRBUF_INIT;
	strbuf_addf(&sb, "%" PRIu64, a->overall.count);
	if (a->skipped)
		strbuf_addf(&sb, " (%" PRIu64 " records skipped)", a->skipped);
	strbuf_addf(&sb, ", %zu labels, %" PRIu64 " threads", a->nlabels, a->threads);
	if (a->max_all_threads >= 0)
		strbuf_addf(&sb, " (max %" PRId64 " active)", a->max_all_threads);
	kv(t, "Samples", strbuf_detach(&sb));
	kv(t, "Errors", xasprintf("%" PRIu64 " (%.2f %%)", a->overall.errors, pct(a->overall.errors, a->overall.count)));
	kv(t, "Throttled", xasprintf("%" PRIu64 " (%.2f %%)", a->overall.throttled,
				     pct(a->overall.throttled, a->overall.count)));
}

static void keys_onset(struct report_table *t, const struct throttle_group *g)
{
	const struct throttle_onset *o = &g->onset;
	if (!o->detected) {
		kv(t, "Throttle onset", o->isolated ? xasprintf("no sustained throttling (%" PRIu64
								 " isolated throttled responses)", o->isolated)
						    : xstrdup("no throttling detected"));
		return;
	}
	char *on = utc_offset(o->ts_ms, o->offset_s);
	kv(t, "Throttle onset", o->episodes > 1 ? xasprintf("%s, %u episodes", on, o->episodes) : xstrdup(on));
	free(on);
	struct strbuf sb = STRBUF_INIT;
	strbuf_addf(&sb, "%u sending in the %.0f s before the onset", o->threads, o->window_s);
	if (o->jmeter_all_threads >= 0)
		strbuf_addf(&sb, " (JMeter allThreads %" PRId64 ")", o->jmeter_all_threads);
	kv(t, "Threads at onset", strbuf_detach(&sb));
	kv(t, "Request rate at onset", xasprintf("%.1f req/s (trailing %.0f s), %u in flight",
						 o->rate_per_s, o->window_s, o->inflight));
	if (o->before.n && o->after.n)
		kv(t, "Success latency before → after onset",
		   xasprintf("p50 %.0f → %.0f ms, p95 %.0f → %.0f ms (%s)", o->before.p50_ms, o->after.p50_ms,
			     o->before.p95_ms, o->after.p95_ms,
			     o->latency_rising > 0 ? "rising before the onset"
			     : o->latency_rising == 0 ? "not rising before the onset" : "trend unknown"));
	if (o->coordinated_omission)
		kv(t, "Coordinated omission",
		   xasprintf("mean latency fell from %.0f to %.0f ms only because throttled answers take %.0f ms; "
			     "read the success-only numbers", o->mean_all_before_ms, o->mean_all_after_ms,
			     o->mean_throttled_ms));
}

static char *limit_text(const struct throttle_limit *l)
{
	struct strbuf sb = STRBUF_INIT;
	const char *per = l->per_key ? " per key" : "";
	switch (l->model) {
	case THROTTLE_MODEL_TOKEN_BUCKET:
		strbuf_addf(&sb, "%.2f req/s%s, burst %.0f", l->rate_per_s, per, l->burst);
		if (l->replayed && l->rate_hi > 0)
			strbuf_addf(&sb, " (consistent with the data: %.2f-%.2f req/s, burst %.0f-%.0f)",
				    floor(l->rate_lo * 100) / 100, ceil(l->rate_hi * 100) / 100,
				    l->burst_lo, l->burst_hi);
		break;
	case THROTTLE_MODEL_FIXED_WINDOW:
	case THROTTLE_MODEL_SLIDING_WINDOW:
		strbuf_addf(&sb, "%.0f requests per %.1f s%s (%.2f req/s)", l->limit, l->window_s, per, l->rate_per_s);
		if (l->replayed && l->window_hi > 0)
			strbuf_addf(&sb, " (consistent with the data: %.0f-%.0f per %.1f-%.1f s)",
				    l->limit_lo, l->limit_hi, floor(l->window_lo * 10) / 10,
				    ceil(l->window_hi * 10) / 10);
		break;
	case THROTTLE_MODEL_CONCURRENCY:
		strbuf_addf(&sb, "%.0f requests in flight%s", l->concurrency, per);
		if (l->replayed && l->concurrency_hi > 0)
			strbuf_addf(&sb, " (consistent with the data: %.0f-%.0f)", l->concurrency_lo,
				    l->concurrency_hi);
		break;
	default:
		strbuf_addf(&sb, "accepted %.2f req/s%s while throttled", l->plateau_per_s,
			    l->keys_fitted ? per : *per ? " in all" : "");
		break;
	}
	if (l->declared_limit > 0)
		strbuf_addf(&sb, "; headers declare %" PRId64 " per %.0f s", l->declared_limit, l->declared_window_s);
	return strbuf_detach(&sb);
}

static void keys_limit(struct report_table *t, const struct throttle_group *g)
{
	const struct throttle_limit *l = &g->limit;
	const struct throttle_scope_result *s = &g->scope;
	struct strbuf sb = STRBUF_INIT;
	strbuf_addf(&sb, "%s, confidence %s (score %.2f)", throttle_model_name(l->model),
		    throttle_confidence_name(l->confidence), l->score);
	if (l->why)
		strbuf_addf(&sb, ": %s", l->why);
	kv(t, "Limiter model", strbuf_detach(&sb));
	kv(t, "Admitted rate", limit_text(l));
	{
		/* the statistics behind the verdict's limiter and scope sentences */
		struct strbuf ev = STRBUF_INIT;
		if (l->plateau_per_s > 0)
			strbuf_addf(&ev, "accepted requests plateau at %.2f/s while the offered rate peaked at "
				    "%.2f/s", l->plateau_per_s, l->offered_peak_per_s);
		if (l->replayed)
			strbuf_addf(&ev, "%sreplay: %" PRIu64 " of %" PRIu64 " decisions wrong (a per-second "
				    "majority guess: %" PRIu64 "; skill %.2f)", ev.len ? "; " : "",
				    l->replay_miss, l->replay_requests, l->replay_null_miss, l->skill);
		if (l->model == THROTTLE_MODEL_CONCURRENCY)
			strbuf_addf(&ev, "%s%.0f accepted requests in flight at rejections (median), "
				    "accepted-rate CV %.2f", ev.len ? "; " : "", l->inflight_at_reject_p50,
				    l->accepted_cv);
		if (l->countdown)
			strbuf_addf(&ev, "%sRetry-After/reset values count down to window ends every %.0f s",
				    ev.len ? "; " : "", l->countdown_window_s);
		if (s->dispersion >= 0)
			strbuf_addf(&ev, "%sscope dispersion %.2f (uneven above %.2f)", ev.len ? "; " : "",
				    s->dispersion, s->dispersion_limit);
		if (s->auc_own_rate >= 0)
			strbuf_addf(&ev, "%sAUC of own rate %.2f", ev.len ? "; " : "", s->auc_own_rate);
		if (ev.len)
			kv(t, "Limiter evidence", strbuf_detach(&ev));
		strbuf_release(&ev);
	}
	kv(t, "Scope", xasprintf("%s, confidence %s%s%s", throttle_scope_name(s->scope),
				 throttle_confidence_name(s->confidence), s->evidence ? ": " : "",
				 s->evidence ? s->evidence : ""));
	const struct throttle_retry *r = &g->retry;
	if (!r->seen)
		kv(t, "Retry-After compliance", xstrdup("no throttled response carried Retry-After"));
	else
		kv(t, "Retry-After compliance",
		   xasprintf("%" PRIu64 " responses carried it: %" PRIu64 " honoured, %" PRIu64
			     " retried early (median %.1f s early), %" PRIu64 " not retried",
			     r->seen, r->honoured, r->violated, r->median_early_s < 0 ? 0.0 : r->median_early_s,
			     r->no_retry));
}

/* The group the key numbers describe: the verdict's (the throttled group with the earliest
 * onset when groups differ, as throttle.onset in the JSON), else the whole run. */
static const struct throttle_group *key_group(const struct throttle_result *r, size_t *nthrottled)
{
	*nthrottled = 0;
	for (size_t i = 0; i < r->ngroups; i++)
		*nthrottled += r->groups[i].detected;
	return r->primary && r->ngroups > 1 ? r->primary : &r->overall;
}

static void table_keys(struct report_table *t, const struct analysis *a)
{
	static const char *const head[] = { "Metric", "Value" };
	table_init(t, "Key numbers", 2, head, "ll");
	keys_window(t, a);
	const struct throttle_result *r = report_throttle(a);
	if (!r) {
		kv(t, "Throttle analysis", xstrdup("not run"));
	} else {
		size_t nthr;
		const struct throttle_group *g = key_group(r, &nthr);
		if (g != &r->overall)
			kv(t, "Throttled group", nthr > 1
			   ? xasprintf("%s (the first of %zu with sustained throttling; numbers below are "
				       "for it, as in the verdict)", g->name, nthr)
			   : xasprintf("%s (the only one with sustained throttling; numbers below are for "
				       "it)", g->name));
		keys_onset(t, g);
		if (r->detected)
			keys_limit(t, g);
	}
	const struct hist *h = &a->overall.elapsed_ok;
	if (h->count)
		kv(t, "Successful requests, whole run",
		   xasprintf("%" PRIu64 ": p50 %" PRId64 ", p95 %" PRId64 ", p99 %" PRId64 " ms", h->count,
			     hist_quantile(h, 0.50), hist_quantile(h, 0.95), hist_quantile(h, 0.99)));
}

static void region_row(struct report_table *t, const struct throttle_group *g)
{
	const struct throttle_onset *o = &g->onset;
	put_s(t, g->name);
	put_f(t, "%" PRIu64, g->samples);
	put_f(t, "%.2f", pct(g->throttled, g->samples));
	put_f(t, "%.2f", g->offered_per_s);
	put_f(t, "%.2f", g->accepted_per_s);
	put(t, o->detected ? utc_offset(o->ts_ms, o->offset_s) : xstrdup("none"));
	put(t, o->detected ? xasprintf("%u", o->threads) : xstrdup(""));
	put(t, o->detected ? xasprintf("%.1f", o->rate_per_s) : xstrdup(""));
	put(t, g->connect_p50_ms >= 0 ? xasprintf("%.0f", g->connect_p50_ms) : xstrdup(""));
	put(t, o->before.n && o->after.n ? xasprintf("%.0f → %.0f", o->before.p95_ms, o->after.p95_ms)
					 : g->latency.n ? xasprintf("%.0f", g->latency.p95_ms) : xstrdup(""));
	put_s(t, g->detected ? throttle_model_name(g->limit.model) : "");
	put_s(t, g->detected ? throttle_scope_name(g->scope.scope) : "");
	put(t, g->retry.seen ? xasprintf("%" PRIu64 " / %" PRIu64, g->retry.violated, g->retry.seen) : xstrdup(""));
}

static void table_regions(struct report_table *t, const struct analysis *a)
{
	static const char *const head[] = { "Group", "Samples", "Throttled %", "Offered /s", "Accepted /s",
					    "Onset", "Threads at onset", "Rate at onset /s", "Connect p50 ms",
					    "Success p95 ms (before → after)", "Limiter", "Scope",
					    "Retry-After early / seen" };
	table_init(t, "Regions", ARRAY_LEN(head), head, "lrrrrlrrrrllr");
	const struct throttle_result *r = report_throttle(a);
	if (!r)
		return;
	for (size_t i = 0; i < r->ngroups; i++)
		region_row(t, &r->groups[i]);
	t->note = xasprintf("Samples grouped by %s.", region_by_name(r->region_by));
}

double report_kb_per_s(const struct analysis *a, const struct stats *s, bool sent)
{
	uint64_t n = sent ? s->sent_n : s->bytes_n, bytes = sent ? s->sent_bytes : s->bytes;
	if (n == 0 && bytes == 0)  /* merged summaries keep bytes but not bytes_n */
		return -1;
	double thr = stats_throughput(a, s);
	return s->count ? (double)bytes * thr / (double)s->count / 1024.0 : 0;
}

static void put_kb(struct report_table *t, double v)
{
	if (v < 0)
		put_s(t, "n/a");
	else
		put_f(t, "%.2f", v);
}

static void label_row(struct report_table *t, const struct analysis *a, const struct stats *s)
{
	const struct hist *h = &s->elapsed;
	double thr = stats_throughput(a, s);
	put_s(t, s->name);
	put_f(t, "%" PRIu64, s->count);
	put_f(t, "%" PRIu64, s->errors);
	put_f(t, "%.2f", pct(s->errors, s->count));
	put_f(t, "%" PRIu64, s->throttled);
	put_f(t, "%.1f", hist_mean(h));
	put_f(t, "%" PRId64, h->count ? h->min : 0);
	put_f(t, "%" PRId64, h->count ? h->max : 0);
	put_f(t, "%" PRId64, hist_quantile(h, 0.50));
	put_f(t, "%" PRId64, hist_quantile(h, 0.90));
	put_f(t, "%" PRId64, hist_quantile(h, 0.95));
	put_f(t, "%" PRId64, hist_quantile(h, 0.99));
	put_f(t, "%.2f", thr);
	put_kb(t, report_kb_per_s(a, s, false));
	put_kb(t, report_kb_per_s(a, s, true));
	double ap = stats_apdex(s);
	if (ap < 0)
		put_s(t, "n/a");
	else
		put_f(t, "%.3f", ap);
}

static void table_labels(struct report_table *t, const struct analysis *a)
{
	static const char *const head[] = { "Label", "Samples", "FAIL", "Error %", "Throttled", "Average ms",
					    "Min ms", "Max ms", "Median ms", "90th pct ms", "95th pct ms",
					    "99th pct ms", "Transactions/s", "Received KB/s", "Sent KB/s", "APDEX" };
	table_init(t, "Labels", ARRAY_LEN(head), head, "lrrrrrrrrrrrrrrr");
	t->empty = "No samples.";
	for (size_t i = 0; i < a->nlabels; i++)
		label_row(t, a, &a->labels[i]);
	label_row(t, a, &a->overall);
	char *folded = a->labels_folded
		? xasprintf("  More than %d distinct labels: %" PRIu64 " samples are folded into '%s'.",
			    ANALYSIS_MAX_LABELS, a->labels_folded, ANALYSIS_OTHER_LABEL)
		: xstrdup("");
	t->note = xasprintf("APDEX as JMeter's: (satisfied + tolerated / 2) / samples, satisfied = successful "
			    "within %" PRId64 " ms, tolerated = successful within %" PRId64 " ms "
			    "(--apdex-satisfied, --apdex-tolerated); n/a = the input has no such column.%s",
			    a->cfg.apdex_satisfied_ms, a->cfg.apdex_tolerated_ms, folded);
	free(folded);
}

static bool is_throttle_code(const struct analysis *a, int status)
{
	for (size_t i = 0; i < a->cfg.throttle.ncodes; i++)
		if (a->cfg.throttle.codes[i] == status)
			return true;
	return false;
}

/* HTTP status of a response-code text, or -1. */
static int status_of(const char *code)
{
	int64_t v;
	return strlen(code) == 3 && parse_i64(code, 3, 100, 999, &v) ? (int)v : -1;
}

static int cmp_count_desc(const void *x, const void *y)
{
	const struct code_count *a = *(const struct code_count *const *)x, *b = *(const struct code_count *const *)y;
	if (a->count != b->count)
		return a->count < b->count ? 1 : -1;
	return strcmp(a->code, b->code);
}

static void table_errors(struct report_table *t, const struct analysis *a)
{
	static const char *const head[] = { "Response code", "Samples", "% of samples", "% of errors", "Throttle signal" };
	table_init(t, "Top errors", ARRAY_LEN(head), head, "lrrrl");
	t->empty = "No error response codes.";
	const struct code_count **v = xmalloc((a->ncodes ? a->ncodes : 1) * sizeof *v);
	size_t n = 0;
	for (size_t i = 0; i < a->ncodes; i++) {
		int st = status_of(a->codes[i].code);
		if (st < 200 || st >= 400)
			v[n++] = &a->codes[i];
	}
	qsort(v, n, sizeof *v, cmp_count_desc);
	for (size_t i = 0; i < n && i < REPORT_TOP_ERRORS; i++) {
		int st = status_of(v[i]->code);
		put_s(t, v[i]->code[0] ? v[i]->code : "(empty)");
		put_f(t, "%" PRIu64, v[i]->count);
		put_f(t, "%.2f", pct(v[i]->count, a->overall.count));
		put_f(t, "%.2f", pct(v[i]->count, a->overall.errors));
		put_s(t, is_throttle_code(a, st) ? "yes"
			 : st == 503 && a->cfg.throttle.code_503_with_retry_after ? "with Retry-After" : "");
	}
	if (n > REPORT_TOP_ERRORS)
		t->note = xasprintf("%zu more error codes not shown.", n - REPORT_TOP_ERRORS);
	free(v);
}

/* JMeter's dashboard "Errors" table: one row per error type (see struct error_type). */
static void table_error_types(struct report_table *t, const struct analysis *a)
{
	static const char *const head[] = { "Type of error", "Number of errors", "% in errors",
					    "% in all samples", "Throttle signal" };
	table_init(t, "Errors", ARRAY_LEN(head), head, "lrrrl");
	t->empty = "No failed samples.";
	for (size_t i = 0; i < a->nerrors && i < REPORT_TOP_ERRORS; i++) {
		const struct error_type *e = &a->errors[i];
		put_s(t, e->type);
		put_f(t, "%" PRIu64, e->count);
		put_f(t, "%.2f", pct(e->count, a->overall.errors));
		put_f(t, "%.2f", pct(e->count, a->overall.count));
		put_s(t, !e->throttled ? "" : e->throttled == e->count ? "yes" : "partly");
	}
	struct strbuf sb = STRBUF_INIT;
	if (a->nerrors)
		strbuf_addstr(&sb, "Type: response code/message, or the failed assertion's message when the "
				   "code is a success; numbers in messages are shown as N (report.json keeps "
				   "an example of each). ");
	if (a->nerrors > REPORT_TOP_ERRORS)
		strbuf_addf(&sb, "%zu more error types in report.json. ", a->nerrors - REPORT_TOP_ERRORS);
	if (sb.len)
		sb.buf[--sb.len] = '\0';
	t->note = sb.len ? strbuf_detach(&sb) : NULL;
	strbuf_release(&sb);
}

/* One label's rows: the label and its counts on the first row only, then one row per error. */
static void top_errors_rows(struct report_table *t, const struct analysis *a, const char *name,
			    uint64_t samples, uint64_t errors, const struct label_error *le, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (i == 0) {
			put_s(t, name);
			put_f(t, "%" PRIu64, samples);
			put_f(t, "%" PRIu64, errors);
		} else {
			put_s(t, "");
			put_s(t, "");
			put_s(t, "");
		}
		put_s(t, le[i].type == SIZE_MAX ? ANALYSIS_OTHER_ERRORS : a->errors[le[i].type].type);
		put_f(t, "%" PRIu64, le[i].count);
		put_f(t, "%.2f", pct(le[i].count, errors));
	}
}

/* JMeter's dashboard "Top 5 Errors by sampler", one row per (sampler, error) so that long
 * messages stay readable: Total first, then every label with errors. */
static void table_errors_by_label(struct report_table *t, const struct analysis *a)
{
	static const char *const head[] = { "Sample", "#Samples", "#Errors", "Error (top 5)", "Count",
					    "% of its errors" };
	table_init(t, "Top 5 errors by sampler", ARRAY_LEN(head), head, "lrrlrr");
	if (!a->nerrors)
		return;
	struct label_error top[ANALYSIS_TOP_LABEL_ERRORS];
	size_t n = 0;
	for (; n < a->nerrors && n < ANALYSIS_TOP_LABEL_ERRORS; n++)
		top[n] = (struct label_error){ n, a->errors[n].count };
	top_errors_rows(t, a, "Total", a->overall.count, a->overall.errors, top, n);
	size_t rows = 0, more = 0;
	for (size_t l = 0; l < a->nlabels; l++) {
		const struct stats *st = &a->labels[l];
		if (!st->errors || !st->nerrs)
			continue;
		if (rows++ >= REPORT_TOP_ERROR_LABELS) {
			more++;
			continue;
		}
		top_errors_rows(t, a, st->name, st->count, st->errors, st->errs,
				st->nerrs < ANALYSIS_TOP_LABEL_ERRORS ? st->nerrs : ANALYSIS_TOP_LABEL_ERRORS);
	}
	if (more)
		t->note = xasprintf("%zu more labels with errors in report.json.", more);
}

static void table_inputs(struct report_table *t, const struct analysis *a)
{
	static const char *const head[] = { "Input", "Format", "Records", "Skipped", "Repeated headers",
					    "Bytes", "Truncated", "Error" };
	table_init(t, "Input diagnostics", ARRAY_LEN(head), head, "llrrrrll");
	t->empty = "No inputs recorded.";
	for (size_t i = 0; i < a->ninputs; i++) {
		const struct input_info *in = &a->inputs[i];
		put_s(t, in->path);
		put_f(t, "%s%s", in->format ? in->format : "?", in->gzip ? "+gzip" : "");
		put_f(t, "%" PRIu64, in->records);
		put_f(t, "%" PRIu64, in->skipped);
		put_f(t, "%" PRIu64, in->headers_repeated);
		put_f(t, "%" PRIu64, in->bytes);
		put_s(t, in->truncated ? "yes" : "no");
		put_s(t, in->error);
	}
	struct strbuf sb = STRBUF_INIT;
	for (size_t i = 0; i < a->ninputs; i++)
		if (a->inputs[i].unknown_elements)
			strbuf_addf(&sb, "%s: %" PRIu64 " elements under <testResults> are not JMeter samples "
				    "and were not read. ", a->inputs[i].path, a->inputs[i].unknown_elements);
	if (a->no_timestamp)
		strbuf_addf(&sb, "%" PRIu64 " samples had no timestamp (not in the time series). ", a->no_timestamp);
	if (a->capture.segments > a->capture.inputs || a->capture.reused_tuples)
		strbuf_addf(&sb, "Captures: %" PRIu64 " time segments (stamps jumped back), %" PRIu64
			    " TCP tuples reused after a close. ", a->capture.segments, a->capture.reused_tuples);
	const struct throttle_result *r = report_throttle(a);
	if (r && (r->skipped_sub || r->skipped_transaction || r->skipped_out_of_range))
		strbuf_addf(&sb, "Throttle analysis left out %" PRIu64 " sub-results, %" PRIu64
				 " transaction samples and %" PRIu64 " samples too far from the start. ",
			    r->skipped_sub, r->skipped_transaction, r->skipped_out_of_range);
	if (r && r->pattern_errors)
		strbuf_addf(&sb, "%" PRIu64 " throttle-pattern matches hit a PCRE2 limit. ", r->pattern_errors);
	if (r && r->keys_over_limit)
		strbuf_addf(&sb, "%" PRIu64 " samples came from threads beyond the %d followed one by one. ",
			    r->keys_over_limit, THROTTLE_MAX_KEYS);
	if (sb.len)
		sb.buf[--sb.len] = '\0';
	t->note = sb.len ? strbuf_detach(&sb) : NULL;
	strbuf_release(&sb);
}

/* Where each label's time went, from the JTL samples matched to captured exchanges. */
static void table_join(struct report_table *t, const struct analysis *a)
{
	static const char *const head[] = { "Label", "Matched", "Connect ms", "Send ms", "Server ms",
					    "Transfer ms", "Client ms" };
	table_init(t, "Where the time went (JTL joined with the capture)", ARRAY_LEN(head), head, "lrrrrrr");
	const struct join *j = a->join;
	if (!j) {
		t->empty = a->join_note; /* NULL: no capture, no section */
		return;
	}
	t->empty = "No sample could be matched to a captured exchange.";
	for (size_t i = 0; i < j->nlabels; i++) {
		const struct join_label *L = &j->labels[i];
		put_s(t, L->label);
		put_f(t, "%" PRIu64, L->matched);
		for (int k = 0; k < JP__COUNT; k++)
			put_f(t, "%.1f (p95 %" PRId64 ")", hist_mean(&L->part[k]), hist_quantile(&L->part[k], 0.95));
	}
	t->note = xasprintf("%" PRIu64 " of %" PRIu64 " samples matched to a captured exchange (%.1f %%); "
			    "%" PRIu64 " had none, %" PRIu64 " were ambiguous; %" PRIu64
			    " captured exchanges had no sample.  Server = request sent to first response "
			    "byte; client = JMeter's elapsed time minus the rest.",
			    j->matched, j->samples, j->samples ? 100.0 * (double)j->matched / (double)j->samples : 0.0,
			    j->unmatched_samples, j->ambiguous, j->unmatched_exchanges);
}

void report_table_build(struct report_table *t, enum report_table_id id, const struct analysis *a)
{
	switch (id) {
	case REPORT_T_KEYS: table_keys(t, a); break;
	case REPORT_T_REGIONS: table_regions(t, a); break;
	case REPORT_T_LABELS: table_labels(t, a); break;
	case REPORT_T_ERRORS: table_errors(t, a); break;
	case REPORT_T_INPUTS: table_inputs(t, a); break;
	case REPORT_T_JOIN: table_join(t, a); break;
	case REPORT_T_ERROR_TYPES: table_error_types(t, a); break;
	case REPORT_T_ERRORS_BY_LABEL: table_errors_by_label(t, a); break;
	default: table_init(t, "", 0, NULL, ""); break;
	}
}

/* ---- Markdown --------------------------------------------------------------------------- */

static void md_cell(FILE *f, const char *s)
{
	struct strbuf sb = STRBUF_INIT;
	esc_md_cell(&sb, s, strlen(s));
	if (sb.len)
		fwrite(sb.buf, 1, sb.len, f);
	strbuf_release(&sb);
}

/* In running text (not at its start) '>' cannot start markup once every '<' is escaped: turn
 * esc_md_cell's "&gt;" back into '>' so "a -> b" stays readable as plain text.  An input
 * "&gt;" was escaped to "&amp;gt;" and is left alone. */
static void gt_plain(struct strbuf *sb)
{
	size_t o = 0;
	for (size_t i = 0; i < sb->len; i++) {
		if (i > 0 && sb->len - i >= 4 && memcmp(sb->buf + i, "&gt;", 4) == 0) {
			sb->buf[o++] = '>';
			i += 3;
		} else {
			sb->buf[o++] = sb->buf[i];
		}
	}
	sb->len = o;
	if (sb->buf)
		sb->buf[o] = '\0';
}

/* One paragraph of plain text: escaped, on one line, and not read as a list, quote, heading or
 * code block because of how it starts. */
static void md_para(FILE *f, const char *p, size_t n)
{
	while (n && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r'))
		p++, n--;
	if (!n)
		return;
	struct strbuf sb = STRBUF_INIT;
	esc_md_cell(&sb, p, n);
	gt_plain(&sb);
	size_t d = 0;
	while (d < sb.len && sb.buf[d] >= '0' && sb.buf[d] <= '9')
		d++;
	if (strchr("-+=", sb.buf[0]) || (d && d < sb.len && (sb.buf[d] == '.' || sb.buf[d] == ')')))
		fputc('\\', f);
	fwrite(sb.buf, 1, sb.len, f);
	fputs("\n\n", f);
	strbuf_release(&sb);
}

/* Plain text with blank lines between paragraphs. */
static void md_text(FILE *f, const char *s)
{
	while (*s) {
		const char *e = strstr(s, "\n\n");
		size_t n = e ? (size_t)(e - s) : strlen(s);
		md_para(f, s, n);
		s += n;
		while (*s == '\n')
			s++;
	}
}

static void md_rows(FILE *f, const struct report_table *t);

static void md_table(FILE *f, const struct report_table *t)
{
	if (!t->nrows) {
		if (t->empty)
			fprintf(f, "## %s\n\n%s\n\n", t->title, t->empty);
		return;
	}
	fprintf(f, "## %s\n\n", t->title);
	md_rows(f, t);
	if (t->note)
		md_para(f, t->note, strlen(t->note));
}

/* The table itself: head, alignment, rows, a blank line. */
static void md_rows(FILE *f, const struct report_table *t)
{
	fputc('|', f);
	for (size_t c = 0; c < t->ncols; c++) {
		fputc(' ', f);
		md_cell(f, t->head[c]);
		fputs(" |", f);
	}
	fputs("\n|", f);
	for (size_t c = 0; c < t->ncols; c++)
		fputs(t->align[c] == 'r' ? " ---: |" : " --- |", f);
	fputc('\n', f);
	for (size_t r = 0; r < t->nrows; r++) {
		fputc('|', f);
		for (size_t c = 0; c < t->ncols; c++) {
			const char *s = r * t->ncols + c < t->ncells ? t->cell[r * t->ncols + c] : "";
			fputc(' ', f);
			md_cell(f, s && s[0] ? s : " ");
			fputs(" |", f);
		}
		fputc('\n', f);
	}
	fputc('\n', f);
}

static void md_verdict(FILE *f, const struct analysis *a)
{
	const struct throttle_result *r = report_throttle(a);
	fputs("## Verdict\n\n", f);
	if (!r) {
		fputs("No throttle analysis was run for this report (plain statistics only).\n\n", f);
		return;
	}
	char *head, *verdict, *adv;
	struct verdict_context vc;
	verdict_context_init(&vc, a);
	throttle_verdict_full(r, &vc, &head, &verdict, &adv);
	struct strbuf sb = STRBUF_INIT;
	esc_md_cell(&sb, head, strlen(head));
	gt_plain(&sb);
	fputs("**", f);
	if (sb.len)
		fwrite(sb.buf, 1, sb.len, f);
	fputs("**\n\n", f);
	strbuf_release(&sb);
	free(head);
	md_text(f, verdict);
	if (adv[0]) {
		fputs("### What to do\n\n", f);
		md_text(f, adv);
	}
	free(verdict);
	free(adv);
}

/* The throttled share over time as text (a sparkline and the seconds around the onset), so a
 * report.md attached alone to a ticket shows it without the chart files. */
static void md_timeline(FILE *f, const struct analysis *a)
{
	struct report_timeline rt;
	if (!report_timeline_build(&rt, a))
		return;
	fputs("## Throttled over time\n\n", f);
	/* the sparkline in a code span: its characters are not markup */
	fprintf(f, "`%s` %s → %s\n\n", rt.tl.spark, rt.tl.from, rt.to);
	md_para(f, rt.caption, strlen(rt.caption));
	if (rt.rows.nrows)
		md_rows(f, &rt.rows);
	report_timeline_free(&rt);
}

/* Charts are extra files next to the report: linked, never embedded, so the report read
 * alone (attached to a ticket) shows no broken image. */
static void md_charts(FILE *f, const struct report_meta *m)
{
	const struct chart_set *cs = m ? m->charts : NULL;
	size_t linked = 0;
	for (size_t i = 0; cs && i < cs->n; i++)
		linked += cs->v[i].path != NULL;
	if (!linked && !(cs && cs->warning))
		return;
	fputs("## Charts\n\n", f);
	if (linked)
		fputs("Extra files next to this report (the report reads complete without them):\n\n", f);
	for (size_t i = 0; cs && i < cs->n; i++) {
		if (!cs->v[i].path)
			continue;
		fputs("- [", f);
		md_cell(f, cs->v[i].title);
		fputs("](", f);
		md_cell(f, cs->v[i].path);
		fputs(")\n", f);
	}
	if (linked)
		fputc('\n', f);
	if (cs->warning)
		md_para(f, cs->warning, strlen(cs->warning));
}

static void md_footer(FILE *f, const struct report_meta *m)
{
	fputs("---\n\n", f);
	struct strbuf sb = STRBUF_INIT;
	strbuf_addf(&sb, "Generated by jtlscope %s", m && m->version ? m->version : "");
	if (m && m->stamp)
		strbuf_addf(&sb, " on %s", m->stamp);
	if (m && m->command_line)
		strbuf_addf(&sb, " with: %s", m->command_line);
	md_para(f, sb.buf, sb.len);
	strbuf_release(&sb);
}

int report_md(FILE *f, const struct analysis *a, const struct report_meta *m)
{
	fputs("# jtlscope report\n\n", f);
	if (m && m->note)
		fprintf(f, "> **Note:** %s\n\n", m->note);
	md_verdict(f, a);
	md_timeline(f, a);
	static const enum report_table_id order[] = { REPORT_T_KEYS, REPORT_T_REGIONS, REPORT_T_LABELS,
						      REPORT_T_JOIN, REPORT_T_ERRORS, REPORT_T_ERROR_TYPES,
						      REPORT_T_ERRORS_BY_LABEL, REPORT_T_INPUTS };
	for (size_t i = 0; i < ARRAY_LEN(order); i++) {
		struct report_table t;
		report_table_build(&t, order[i], a);
		md_table(f, &t);
		report_table_free(&t);
	}
	md_charts(f, m);
	md_footer(f, m);
	return ferror(f) ? -1 : 0;
}
