/* report_csv.c - the time series and the per-label table as CSV (RFC 4180: CRLF line ends,
 * quoted cells where needed).  Text cells go through esc_csv_cell, which also neutralises
 * cells a spreadsheet would run as a formula; numbers have fixed formats. */
#include "reports/report.h"

#include <inttypes.h>
#include <string.h>

#include "reports/escape.h"

static void csv_text(FILE *f, const char *s)
{
	struct strbuf sb = STRBUF_INIT;
	esc_csv_cell(&sb, s, strlen(s));
	if (sb.len)
		fwrite(sb.buf, 1, sb.len, f);
	strbuf_release(&sb);
}

static void series_row(FILE *f, const struct series *s, size_t i)
{
	const struct series_bucket *b = &s->b[i];
	int64_t ts = s->base_ms + (int64_t)i * s->width_ms;
	char utc[40];
	report_utc(utc, sizeof utc, ts);
	int64_t threads = b->max_all_threads >= 0 ? b->max_all_threads : (int64_t)b->active_threads;
	fprintf(f, "%" PRId64 ",%s,%" PRIu64 ",%" PRIu64 ",%" PRIu64, ts, utc, b->count, b->throttled, b->errors);
	for (size_t k = 0; k < 6; k++)
		fprintf(f, ",%" PRIu64, b->by_class[k]);
	fprintf(f, ",%" PRId64 ",%" PRIu32 ",%" PRIu64, threads, b->active_threads, b->bytes);
	const struct hist *h[] = { &b->elapsed, &b->elapsed, &b->elapsed, &b->elapsed_ok, &b->elapsed_ok, &b->elapsed_ok };
	static const double q[] = { 0.50, 0.95, 0.99, 0.50, 0.95, 0.99 };
	for (size_t k = 0; k < ARRAY_LEN(q); k++) {
		if (h[k]->count)
			fprintf(f, ",%" PRId64, hist_quantile(h[k], q[k]));
		else
			fputc(',', f);
	}
	fputs("\r\n", f);
}

int report_csv_series(FILE *f, const struct analysis *a)
{
	fputs("ts_ms,time_utc,count,throttled,errors,other,1xx,2xx,3xx,4xx,5xx,threads,active_threads,"
	      "bytes,p50_ms,p95_ms,p99_ms,ok_p50_ms,ok_p95_ms,ok_p99_ms\r\n", f);
	for (size_t i = 0; i < a->series.n; i++)
		series_row(f, &a->series, i);
	return ferror(f) ? -1 : 0;
}

static void label_row(FILE *f, const struct analysis *a, const struct stats *s)
{
	const struct hist *h = &s->elapsed, *ok = &s->elapsed_ok;
	double thr = stats_throughput(a, s), per = s->count ? thr / (double)s->count / 1024.0 : 0;
	csv_text(f, s->name);
	fprintf(f, ",%" PRIu64 ",%" PRIu64 ",%.3f,%" PRIu64 ",%.1f,%" PRId64 ",%" PRId64, s->count, s->errors,
		s->count ? 100.0 * (double)s->errors / (double)s->count : 0.0, s->throttled, hist_mean(h),
		h->count ? h->min : 0, h->count ? h->max : 0);
	fprintf(f, ",%" PRId64 ",%" PRId64 ",%" PRId64 ",%" PRId64, hist_quantile(h, 0.50),
		hist_quantile(h, 0.90), hist_quantile(h, 0.95), hist_quantile(h, 0.99));
	fprintf(f, ",%.3f,%.3f,%.3f,%" PRIu64 ",%" PRId64 ",%" PRId64 ",%" PRId64 "\r\n", thr,
		(double)s->bytes * per, (double)s->sent_bytes * per, ok->count, hist_quantile(ok, 0.50),
		hist_quantile(ok, 0.95), hist_quantile(ok, 0.99));
}

int report_csv_labels(FILE *f, const struct analysis *a)
{
	fputs("label,samples,errors,error_pct,throttled,mean_ms,min_ms,max_ms,p50_ms,p90_ms,p95_ms,p99_ms,"
	      "throughput_per_s,received_kb_per_s,sent_kb_per_s,ok_samples,ok_p50_ms,ok_p95_ms,ok_p99_ms\r\n", f);
	for (size_t i = 0; i < a->nlabels; i++)
		label_row(f, a, &a->labels[i]);
	label_row(f, a, &a->overall);
	return ferror(f) ? -1 : 0;
}
