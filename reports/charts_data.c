/* charts_data.c - the data files gnuplot reads for the charts (see charts_int.h).
 *
 * This file owns what the charts plot: the report's time series (series.dat, merged into
 * wider buckets beyond CHARTS_MAX_POINTS points), a throttle group's fine series per region
 * (regionN.dat), the senders of the verdict's group per per-key bucket (threads.dat), the
 * captured exchanges per connection (connections.dat), the per-label series (labels.dat) and
 * the response codes per class (codes.dat).  Only numbers are written ("NaN" for a bucket
 * without a value), times already shifted into the report's zone; no input text reaches a
 * data file.
 */
#include "reports/charts_int.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "reports/report_time.h"

struct point {
	double t_s, accepted, throttled, other;  /* requests per second */
	double threads, throttled_pct;
	double p50, p95, p99, ok_p50, ok_p95, ok_p99;  /* NaN when the bucket has none */
};

static double q_or_nan(const struct hist *h, double q)
{
	return h->count ? (double)hist_quantile(h, q) : NAN;
}

/* Buckets [i, j) of the series as one point. */
static struct point series_point(const struct series *s, size_t i, size_t j)
{
	struct point p;
	struct hist all, ok;
	hist_init(&all, HIST_COARSE);
	hist_init(&ok, HIST_COARSE);
	uint64_t count = 0, thr = 0, err = 0;
	double threads = 0;
	for (size_t k = i; k < j; k++) {
		const struct series_bucket *b = &s->b[k];
		count += b->count, thr += b->throttled, err += b->errors;
		double th = b->max_all_threads >= 0 ? (double)b->max_all_threads : (double)b->active_threads;
		if (th > threads)
			threads = th;
		hist_merge(&all, &b->elapsed);
		hist_merge(&ok, &b->elapsed_ok);
	}
	double w_s = (double)(j - i) * (double)s->width_ms / 1000.0;
	uint64_t other = err > thr ? err - thr : 0;
	uint64_t acc = count > thr + other ? count - thr - other : 0;
	p.t_s = report_local_s(s->base_ms + (int64_t)i * s->width_ms);
	p.accepted = (double)acc / w_s;
	p.throttled = (double)thr / w_s;
	p.other = (double)other / w_s;
	p.threads = threads;
	p.throttled_pct = count ? 100.0 * (double)thr / (double)count : NAN;
	p.p50 = q_or_nan(&all, 0.50), p.p95 = q_or_nan(&all, 0.95), p.p99 = q_or_nan(&all, 0.99);
	p.ok_p50 = q_or_nan(&ok, 0.50), p.ok_p95 = q_or_nan(&ok, 0.95), p.ok_p99 = q_or_nan(&ok, 0.99);
	hist_free(&all);
	hist_free(&ok);
	return p;
}

static void put_num(FILE *f, double v)
{
	if (isnan(v))
		fputs(" NaN", f);
	else
		fprintf(f, " %.3f", v);
}

/* series.dat: t accepted acc+thr total threads thr% p50 p95 p99 okp50 okp95 okp99 */
int charts_write_series(const char *path, const struct series *s, struct charts_have *h)
{
	FILE *f = fopen(path, "w");
	if (!f)
		return -1;
	size_t k = (s->n + CHARTS_MAX_POINTS - 1) / CHARTS_MAX_POINTS;
	memset(h, 0, sizeof *h);
	for (size_t i = 0; i < s->n; i += k) {
		struct point p = series_point(s, i, i + k < s->n ? i + k : s->n);
		fprintf(f, "%.3f", p.t_s);
		double v[] = { p.accepted, p.accepted + p.throttled, p.accepted + p.throttled + p.other,
			       p.threads, p.throttled_pct, p.p50, p.p95, p.p99, p.ok_p50, p.ok_p95, p.ok_p99 };
		for (size_t c = 0; c < ARRAY_LEN(v); c++)
			put_num(f, v[c]);
		fputc('\n', f);
		h->all |= !isnan(p.p50);
		h->ok |= !isnan(p.ok_p50);
		h->threads |= p.threads > 0;
	}
	return fclose(f) == 0 ? 0 : -1;
}

/* regionN.dat from a group's fine series: t accepted/s throttled/s other/s */
int charts_write_region(const char *path, const struct throttle_series *s)
{
	FILE *f = fopen(path, "w");
	if (!f)
		return -1;
	size_t k = s->width_ms > 0 && s->width_ms < 1000 ? (size_t)(1000 / s->width_ms) : 1;
	if (s->n / k > CHARTS_MAX_POINTS)
		k = (s->n + CHARTS_MAX_POINTS - 1) / CHARTS_MAX_POINTS;
	for (size_t i = 0; i < s->n; i += k) {
		uint64_t sent = 0, thr = 0, ok = 0;
		size_t j = i + k < s->n ? i + k : s->n;
		if (j - i < k && i > 0)
			break; /* a partial last bucket would show a false spike */
		for (size_t m = i; m < j; m++)
			sent += s->sent[m], thr += s->throttled[m], ok += s->ok[m];
		double w_s = (double)(j - i) * (double)s->width_ms / 1000.0;
		uint64_t other = sent > thr + ok ? sent - thr - ok : 0;
		fprintf(f, "%.3f %.3f %.3f %.3f\n", report_local_s(s->t0_ms + (int64_t)i * s->width_ms),
			(double)ok / w_s, (double)thr / w_s, (double)other / w_s);
	}
	return fclose(f) == 0 ? 0 : -1;
}

/* threads.dat: t senders throttled% per per-key bucket of the group (its fine series summed) */
int charts_write_group_threads(const char *path, const struct throttle_group *g)
{
	FILE *f = fopen(path, "w");
	if (!f)
		return -1;
	const struct throttle_key_series *k = &g->keys;
	const struct throttle_series *fs = &g->fine;
	for (size_t i = 0; i < k->n; i++) {
		int64_t t0 = k->t0_ms + (int64_t)i * k->width_ms, t1 = t0 + k->width_ms;
		uint64_t sent = 0, thr = 0;
		for (int64_t t = t0; t < t1; t += fs->width_ms) {
			if (t < fs->t0_ms)
				continue;
			size_t m = (size_t)((t - fs->t0_ms) / fs->width_ms);
			if (m >= fs->n)
				break;
			sent += fs->sent[m], thr += fs->throttled[m];
		}
		fprintf(f, "%.3f %u", report_local_s(t0), k->threads[i]);
		if (sent)
			fprintf(f, " %.3f\n", 100.0 * (double)thr / (double)sent);
		else
			fputs(" NaN\n", f);
	}
	return fclose(f) == 0 ? 0 : -1;
}

/* connections.dat: row (connection order) start_s end_s outcome, one line per exchange */
int charts_write_segments(const char *path, const struct analysis *a, size_t *nconn)
{
	FILE *f = fopen(path, "w");
	if (!f)
		return -1;
	/* rows in order of connection id, numbered densely from 1 */
	uint64_t maxc = 0;
	for (size_t i = 0; i < a->nsegments; i++)
		if (a->segments[i].conn > maxc)
			maxc = a->segments[i].conn;
	size_t span = maxc < CHARTS_MAX_STRIP_CONNS * 64 ? (size_t)maxc + 1 : CHARTS_MAX_STRIP_CONNS * 64 + 1;
	uint32_t *row = xcalloc(span, sizeof *row);
	for (size_t i = 0; i < a->nsegments; i++)
		if (a->segments[i].conn < span)
			row[a->segments[i].conn] = 1;
	uint32_t r = 0;
	for (size_t c = 0; c < span; c++)
		if (row[c])
			row[c] = ++r;
	*nconn = r;
	for (size_t i = 0; i < a->nsegments; i++) {
		const struct conn_segment *g = &a->segments[i];
		if (g->conn >= span || row[g->conn] > CHARTS_MAX_STRIP_CONNS)
			continue;
		int64_t end = g->end_ms > g->start_ms ? g->end_ms : g->start_ms + 1;
		fprintf(f, "%u %.3f %.3f %u\n", row[g->conn], report_local_s(g->start_ms),
			report_local_s(end), g->outcome);
	}
	free(row);
	return fclose(f) == 0 ? 0 : -1;
}

/* labels.dat: t, then per charted label mean elapsed (NaN when none) and transactions/s;
 * codes.dat: t, then responses/s per status class (non-HTTP, 1xx .. 5xx). */
int charts_write_label_series(const char *path, const struct lseries_set *ls, size_t nl)
{
	FILE *f = fopen(path, "w");
	if (!f)
		return -1;
	double w_s = (double)ls->width_ms / 1000.0;
	for (size_t i = 0; i < ls->n; i++) {
		fprintf(f, "%.3f", report_local_s(ls->base_ms + (int64_t)i * ls->width_ms));
		for (size_t l = 0; l < nl; l++) {
			const struct lseries_bucket *b = &ls->lab[l].b[i];
			put_num(f, b->count ? b->sum_ms / (double)b->count : NAN);
			put_num(f, (double)b->count / w_s);
		}
		fputc('\n', f);
	}
	return fclose(f) == 0 ? 0 : -1;
}

int charts_write_codes(const char *path, const struct series *s, unsigned *seen)
{
	FILE *f = fopen(path, "w");
	if (!f)
		return -1;
	*seen = 0;
	size_t k = (s->n + CHARTS_MAX_POINTS - 1) / CHARTS_MAX_POINTS;
	for (size_t i = 0; i < s->n; i += k) {
		size_t j = i + k < s->n ? i + k : s->n;
		uint64_t cls[6] = { 0 };
		for (size_t x = i; x < j; x++)
			for (int c = 0; c < 6; c++)
				cls[c] += s->b[x].by_class[c];
		double w_s = (double)(j - i) * (double)s->width_ms / 1000.0;
		fprintf(f, "%.3f", report_local_s(s->base_ms + (int64_t)i * s->width_ms));
		for (int c = 0; c < 6; c++) {
			put_num(f, (double)cls[c] / w_s);
			if (cls[c])
				*seen |= 1u << c;
		}
		fputc('\n', f);
	}
	return fclose(f) == 0 ? 0 : -1;
}
