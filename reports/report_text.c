/* report_text.c - the terminal report: header, throttle verdict, statistics tables, inputs. */
#include "reports/report.h"

#include <inttypes.h>
#include <string.h>
#include <time.h>

#include "reports/escape.h"
#include "reports/report_time.h"
#include "reports/throttle_report.h"
#include "reports/throttle_verdict.h"

void report_utc(char *buf, size_t len, int64_t ms)
{
	time_t t = (time_t)(ms >= 0 ? ms / 1000 : (ms - 999) / 1000);
	int64_t rem = ms - (int64_t)t * 1000;
	struct tm tm;
	if (!gmtime_r(&t, &tm)) {
		snprintf(buf, len, "?");
		return;
	}
	snprintf(buf, len, "%04d-%02d-%02d %02d:%02d:%02d.%03d", tm.tm_year + 1900, tm.tm_mon + 1,
		 tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, (int)rem);
}

void report_duration(char *buf, size_t len, int64_t ms)
{
	if (ms < 0)
		ms = 0;
	if (ms < 1000)
		snprintf(buf, len, "%" PRId64 " ms", ms);
	else if (ms < 60000)
		snprintf(buf, len, "%.1f s", (double)ms / 1000.0);
	else if (ms < 3600000)
		snprintf(buf, len, "%" PRId64 "m%02" PRId64 "s", ms / 60000, (ms / 1000) % 60);
	else
		snprintf(buf, len, "%" PRId64 "h%02" PRId64 "m", ms / 3600000, (ms / 60000) % 60);
}

static double pct(uint64_t part, uint64_t whole)
{
	return whole ? 100.0 * (double)part / (double)whole : 0.0;
}

static size_t utf8_cols(const char *p, size_t n)
{
	size_t c = 0;
	for (size_t i = 0; i < n; i++)
		c += ((unsigned char)p[i] & 0xc0) != 0x80;
	return c;
}

/* A capture label "METHOD host/path" too wide for its column keeps the method and the path
 * and shortens the host ("GET api.ap-southeast-1.jt…/api/v1/inbox"); anything else is cut at
 * its end by cell(). */
static void shorten_host(struct strbuf *sb, size_t width)
{
	if (utf8_cols(sb->buf, sb->len) <= width)
		return;
	const char *sp = memchr(sb->buf, ' ', sb->len);
	if (!sp || sp == sb->buf)
		return;
	size_t h0 = (size_t)(sp - sb->buf) + 1;
	const char *sl = memchr(sb->buf + h0, '/', sb->len - h0);
	if (!sl || memchr(sb->buf + h0, ' ', (size_t)(sl - sb->buf) - h0))
		return;
	size_t h1 = (size_t)(sl - sb->buf);
	size_t fixed = utf8_cols(sb->buf, h0) + utf8_cols(sl, sb->len - h1);
	if (fixed + 3 > width)
		return;   /* the path alone does not fit: cut at the end */
	size_t keep = width - fixed - 1, k = h0, cols = 0;  /* host columns kept before the "…" */
	while (k < h1 && cols < keep) {
		k++;
		while (k < h1 && ((unsigned char)sb->buf[k] & 0xc0) == 0x80)
			k++;
		cols++;
	}
	struct strbuf out = STRBUF_INIT;
	strbuf_add(&out, sb->buf, k);
	strbuf_addstr(&out, "…");
	strbuf_add(&out, sl, sb->len - h1);
	strbuf_release(sb);
	*sb = out;
}

/* Print s escaped, padded (or cut with an ellipsis) to width columns. */
static void cell(FILE *f, const char *s, size_t width)
{
	struct strbuf sb = STRBUF_INIT;
	esc_text_sb(&sb, s, strlen(s));
	shorten_host(&sb, width);
	size_t cols = 0, i = 0;
	while (i < sb.len) {
		size_t j = i + 1;
		while (j < sb.len && ((unsigned char)sb.buf[j] & 0xc0) == 0x80)
			j++;
		if (cols + 1 == width && j < sb.len) {
			fputs("…", f);
			cols++;
			i = sb.len;
			break;
		}
		fwrite(sb.buf + i, 1, j - i, f);
		cols++;
		i = j;
	}
	for (; cols < width; cols++)
		fputc(' ', f);
	strbuf_release(&sb);
}

/* The label column: at least LABEL_COL_MIN wide, as wide as the widest name seen so far (w)
 * and this one, at most LABEL_COL_MAX (longer names are shortened by cell). */
#define LABEL_COL_MIN 5
#define LABEL_COL_MAX 40
static size_t label_col(size_t w, const char *name)
{
	size_t x = esc_text_width(name);
	return x <= w ? w : x < LABEL_COL_MAX ? x : LABEL_COL_MAX;
}

static void stats_row(FILE *f, const struct analysis *a, const struct stats *s, size_t w)
{
	cell(f, s->name, w);
	fprintf(f, " %9" PRIu64 " %7.2f%% %7" PRId64 " %8.1f %7" PRId64 " %7" PRId64 " %7" PRId64
		   " %7" PRId64 " %8" PRId64 " %8.2f",
		s->count, pct(s->errors, s->count), s->elapsed.count ? s->elapsed.min : 0,
		hist_mean(&s->elapsed), hist_quantile(&s->elapsed, 0.50), hist_quantile(&s->elapsed, 0.90),
		hist_quantile(&s->elapsed, 0.95), hist_quantile(&s->elapsed, 0.99),
		s->elapsed.count ? s->elapsed.max : 0, stats_throughput(a, s));
	double v[2] = { report_kb_per_s(a, s, false), report_kb_per_s(a, s, true) };
	for (int k = 0; k < 2; k++)
		if (v[k] < 0)
			fputs("      n/a", f);
		else
			fprintf(f, " %8.2f", v[k]);
	double ap = stats_apdex(s);
	if (ap < 0)
		fputs("   n/a\n", f);
	else
		fprintf(f, " %5.3f\n", ap);
}

static const char *throttle_mark(const struct error_type *e)
{
	return !e->throttled ? "" : e->throttled == e->count ? "  [throttle signal]" : "  [partly throttle signals]";
}

/* JMeter's Errors table and Top 5 errors by sampler (analysis.errors, labels' errs). */
static void text_errors(FILE *f, const struct analysis *a)
{
	if (!a->nerrors)
		return;
	fputs("ERRORS (type = response code/message, or the failed assertion's message; numbers shown as N)\n", f);
	fputs("     errors  % errors   % all  type\n", f);
	for (size_t i = 0; i < a->nerrors && i < REPORT_TOP_ERRORS; i++) {
		const struct error_type *e = &a->errors[i];
		fprintf(f, "  %9" PRIu64 "  %7.2f%%  %6.2f%%  ", e->count, pct(e->count, a->overall.errors),
			pct(e->count, a->overall.count));
		esc_text_s(f, e->type);
		fputs(throttle_mark(e), f);
		fputc('\n', f);
	}
	if (a->nerrors > REPORT_TOP_ERRORS)
		fprintf(f, "  ... %zu more error types (all in report.json)\n", a->nerrors - REPORT_TOP_ERRORS);
	fputc('\n', f);
	fputs("TOP 5 ERRORS BY SAMPLER\n", f);
	fprintf(f, "  TOTAL: %" PRIu64 " samples, %" PRIu64 " errors\n", a->overall.count, a->overall.errors);
	for (size_t i = 0; i < a->nerrors && i < ANALYSIS_TOP_LABEL_ERRORS; i++) {
		fprintf(f, "    %9" PRIu64 "  ", a->errors[i].count);
		esc_text_s(f, a->errors[i].type);
		fputc('\n', f);
	}
	for (size_t l = 0; l < a->nlabels; l++) {
		const struct stats *st = &a->labels[l];
		if (!st->errors || !st->nerrs)
			continue;
		fputs("  ", f);
		esc_text_s(f, st->name);
		fprintf(f, ": %" PRIu64 " samples, %" PRIu64 " errors\n", st->count, st->errors);
		for (size_t i = 0; i < st->nerrs && i < ANALYSIS_TOP_LABEL_ERRORS; i++) {
			fprintf(f, "    %9" PRIu64 "  ", st->errs[i].count);
			esc_text_s(f, st->errs[i].type == SIZE_MAX ? ANALYSIS_OTHER_ERRORS : a->errors[st->errs[i].type].type);
			fputc('\n', f);
		}
	}
	fputc('\n', f);
}

int report_text(FILE *f, const struct analysis *a, const struct report_meta *m)
{
	char dur[32];
	int64_t start = analysis_start_ms(a), end = analysis_end_ms(a);
	if (m && m->note)
		fprintf(f, "note: %s\n\n", m->note);
	fprintf(f, "jtlscope %s", m && m->version ? m->version : "");
	for (size_t i = 0; i < a->ninputs; i++) {
		fputs(i ? ", " : " - ", f);
		esc_text_s(f, a->inputs[i].path);
	}
	fputc('\n', f);
	if (a->overall.count && start) {
		char range[256];
		report_time_range(range, sizeof range, start, end, "->");
		report_duration(dur, sizeof dur, end - start);
		fprintf(f, "%s (%s), ", range, dur);
	}
	fprintf(f, "%" PRIu64 " samples", a->overall.count);
	if (a->skipped)
		fprintf(f, " (%" PRIu64 " records skipped)", a->skipped);
	fprintf(f, ", %zu labels, %" PRIu64 " threads", a->nlabels, a->threads);
	if (a->max_all_threads >= 0)
		fprintf(f, " (max %" PRId64 " active)", a->max_all_threads);
	fputc('\n', f);
	if (m && m->stamp)
		fprintf(f, "generated %s\n", m->stamp);
	fputc('\n', f);

	if (a->throttle) {
		struct verdict_context vc;
		verdict_context_init(&vc, a);
		throttle_report_text_ctx(f, a->throttle, &vc);
	}

	/* statistics */
	size_t w = LABEL_COL_MIN;
	for (size_t i = 0; i < a->nlabels; i++)
		w = label_col(w, a->labels[i].name);
	fputs("STATISTICS (elapsed ms; throughput per second over each label's own window)\n", f);
	cell(f, "label", w);
	fputs("   samples  errors     min     mean     p50     p90     p95     p99      max    thr/s recvKB/s sentKB/s APDEX\n", f);
	for (size_t i = 0; i < a->nlabels; i++)
		stats_row(f, a, &a->labels[i], w);
	stats_row(f, a, &a->overall, w);
	fprintf(f, "APDEX: satisfied <= %" PRId64 " ms, tolerated <= %" PRId64 " ms (successful samples; JMeter's formula)\n",
		a->cfg.apdex_satisfied_ms, a->cfg.apdex_tolerated_ms);
	if (a->labels_folded)
		fprintf(f, "note: more than %d distinct labels; %" PRIu64 " samples folded into '%s'\n",
			ANALYSIS_MAX_LABELS, a->labels_folded, ANALYSIS_OTHER_LABEL);
	if (a->overall.elapsed_ok.count != a->overall.count && a->overall.elapsed_ok.count) {
		const struct hist *h = &a->overall.elapsed_ok;
		fprintf(f, "successful samples only: %" PRIu64 ", mean %.1f, p50 %" PRId64 ", p95 %" PRId64
			   ", p99 %" PRId64 " ms\n",
			h->count, hist_mean(h), hist_quantile(h, 0.5), hist_quantile(h, 0.95), hist_quantile(h, 0.99));
	}
	fputc('\n', f);

	fputs("RESPONSE CODES\n", f);
	for (size_t i = 0; i < a->ncodes; i++) {
		fprintf(f, "  %9" PRIu64 "  %6.2f%%  ", a->codes[i].count, pct(a->codes[i].count, a->overall.count));
		if (a->codes[i].code[0])
			esc_text_s(f, a->codes[i].code);
		else
			fputs("(empty)", f);
		fputc('\n', f);
	}
	fputc('\n', f);
	text_errors(f, a);
	if (a->ngroups) {
		fputs("THREAD GROUPS\n", f);
		for (size_t i = 0; i < a->ngroups; i++) {
			fprintf(f, "  %9" PRIu64 "  ", a->groups[i].count);
			esc_text_s(f, a->groups[i].code);
			fputc('\n', f);
		}
		fputc('\n', f);
	}

	if (a->join) {
		const struct join *j = a->join;
		fprintf(f, "JTL <-> CAPTURE (%" PRIu64 " of %" PRIu64 " samples matched to a captured exchange, %.1f%%; "
			   "%" PRIu64 " without one, %" PRIu64 " ambiguous; %" PRIu64 " exchanges without a sample)\n",
			j->matched, j->samples, pct(j->matched, j->samples), j->unmatched_samples, j->ambiguous,
			j->unmatched_exchanges);
		if (j->nlabels) {
			size_t lw = LABEL_COL_MIN;
			for (size_t i = 0; i < j->nlabels; i++)
				lw = label_col(lw, j->labels[i].label);
			cell(f, "label", lw);
			fputs("  matched  connect     send   server transfer   client   (mean ms; server = request sent -> first response byte)\n", f);
			for (size_t i = 0; i < j->nlabels; i++) {
				const struct join_label *L = &j->labels[i];
				cell(f, L->label, lw);
				fprintf(f, " %8" PRIu64, L->matched);
				for (int k = 0; k < JP__COUNT; k++)
					fprintf(f, " %8.1f", hist_mean(&L->part[k]));
				fputc('\n', f);
			}
		}
		fputc('\n', f);
	} else if (a->join_note) {
		fprintf(f, "note: %s\n\n", a->join_note);
	}

	fputs("INPUTS\n", f);
	for (size_t i = 0; i < a->ninputs; i++) {
		const struct input_info *in = &a->inputs[i];
		fputs("  ", f);
		esc_text_s(f, in->path);
		fprintf(f, ": %s%s, %" PRIu64 " records, %" PRIu64 " skipped", in->format,
			in->gzip ? "+gzip" : "", in->records, in->skipped);
		if (in->headers_repeated)
			fprintf(f, ", %" PRIu64 " repeated header lines", in->headers_repeated);
		if (in->unknown_elements)
			fprintf(f, ", %" PRIu64 " elements that are not samples", in->unknown_elements);
		if (in->truncated)
			fputs(", truncated at the end", f);
		if (in->error) {
			fputs(", error: ", f);
			esc_text_s(f, in->error);
		}
		fputc('\n', f);
	}
	if (a->capture.inputs) {
		const struct capture_totals *c = &a->capture;
		fprintf(f, "  captures: %" PRIu64 " packets, %" PRIu64 " TCP connections, %" PRIu64
			   " HTTP exchanges (%" PRIu64 " incomplete), %" PRIu64 " WebSocket frames, %" PRIu64
			   " TLS connections, %" PRIu64 " retransmissions\n",
			c->packets, c->connections, c->exchanges, c->incomplete, c->websocket_frames,
			c->tls_connections, c->retransmissions);
		if (c->segments > c->inputs || c->reused_tuples)
			fprintf(f, "  capture time: %" PRIu64 " segments (stamps jumped back: files concatenated"
				   " out of order), %" PRIu64 " tuples reused after a close\n", c->segments, c->reused_tuples);
		if (c->websocket_exchanges || c->websocket_pushes)
			fprintf(f, "  WebSocket: %" PRIu64 " message exchanges (client message + answer), %" PRIu64
				   " server pushes answering nothing (not requests)\n",
				c->websocket_exchanges, c->websocket_pushes);
		if (c->tls_encrypted) {
			fprintf(f, "  TLS: %" PRIu64 " connections stayed encrypted (%" PRIu64
				   " exchanges from record runs): status codes are unknown, only timing and sizes"
				   " are known; join the JTL of the run, or give --tls-keylog\n",
				c->tls_encrypted, c->tls_exchanges);
			if (c->nsizes) {
				fputs("  encrypted response sizes (classes; a size is not a status):", f);
				for (size_t i = 0; i < c->nsizes && i < 12; i++)
					fprintf(f, "%s %s x%" PRIu64, i ? "," : "", c->sizes[i].code, c->sizes[i].count);
				if (c->nsizes > 12)
					fprintf(f, ", ... (%zu classes)", c->nsizes);
				fputc('\n', f);
			}
		}
		if (c->tls_decrypted || c->tls_no_keys || c->tls_decrypt_failed)
			fprintf(f, "  TLS key log: %" PRIu64 " connections decrypted, %" PRIu64
				   " handshakes without keys in the log, %" PRIu64
				   " records failed to decrypt (wrong keys or damaged; skipped)\n",
				c->tls_decrypted, c->tls_no_keys, c->tls_decrypt_failed);
	}
	if (a->no_timestamp)
		fprintf(f, "  %" PRIu64 " samples had no timestamp column (not in the time series)\n", a->no_timestamp);
	return ferror(f) ? -1 : 0;
}
