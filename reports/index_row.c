/* index_row.c - the batch index's typed rows, their cells and the limit-change flags
 * (index.h). */
#include "reports/index.h"
#include "reports/report_time.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/util.h"
#include "reports/escape.h"
#include "reports/index_chart.h"
#include "reports/report.h"

static char *utf8_dup(const char *s)
{
	return s ? esc_utf8_dup(s, strlen(s)) : NULL;
}

/* v as index.json writes it: rounded to decimals, NAN when not finite (null). */
static double rounded(double v, int decimals)
{
	if (isnan(v) || isinf(v))
		return NAN;
	double p = pow(10, decimals);
	return round(v * p) / p;
}

void index_row_init(struct index_row *row, const char *path, const char *report, int exit,
		    const char *error, char *const *caps, size_t ncaps)
{
	memset(row, 0, sizeof *row);
	row->path = utf8_dup(path);
	row->report = xstrdup(report);
	row->exit = exit;
	row->error = utf8_dup(error);
	row->caps = xcalloc(ncaps ? ncaps : 1, sizeof *row->caps);
	for (size_t i = 0; i < ncaps; i++)
		row->caps[i] = utf8_dup(caps[i]);
	row->ncaps = ncaps;
	row->start_ms = row->duration_s = row->samples = row->error_pct = row->throttled_pct = NAN;
	row->p95_ms = row->onset_offset_s = row->onset_threads = NAN;
	row->rate_per_s = row->rate_low = row->rate_high = NAN;
}

void index_row_metrics(struct index_row *row, const struct run_metrics *m)
{
	row->has_report = true;
	double start = m->first_ts_ms, end = m->end_ms, total = m->samples_total;
	if (total > 0 && !isnan(start)) {
		char t[40];
		report_utc(t, sizeof t, (int64_t)start);
		row->start = xstrdup(t);
	}
	row->start_ms = rounded(total > 0 ? start : NAN, 0);
	row->duration_s = rounded(total > 0 ? (end - start) / 1000 : NAN, 3);
	row->samples = rounded(total, 0);
	row->error_pct = rounded(total > 0 ? m->total.error_pct : NAN, 3);
	row->throttled_pct = rounded(total > 0 ? 100 * m->samples_throttled / total : NAN, 3);
	row->p95_ms = rounded(total > 0 ? m->total.p95_ms : NAN, 0);
	const struct rm_group *g = run_metrics_group(m, NULL);
	bool det = g && g->detected == 1;
	row->throttle_analysis = g != NULL;
	for (size_t i = 0; i < m->ngroups; i++) {
		const struct rm_group *x = &m->groups[i];
		if (x->list != RM_REGIONS || x->detected != 1 || !x->region)
			continue;
		row->regions = xrealloc(row->regions, (row->nregions + 1) * sizeof *row->regions);
		row->regions[row->nregions++] = utf8_dup(x->region);
	}
	if (!det)
		return;
	row->onset_offset_s = rounded(g->onset_offset_s, 1);
	row->onset_threads = rounded(g->onset_threads, 0);
	const struct rm_limit *lim = &run_metrics_limiter(m)->limit;
	row->limiter_model = utf8_dup(lim->model);
	row->rate_per_s = rounded(lim->p[RM_RATE].value, 2);
	row->rate_low = rounded(lim->p[RM_RATE].low, 2);
	row->rate_high = rounded(lim->p[RM_RATE].high, 2);
	row->scope = utf8_dup(g->scope);
}

static void strings_free(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

void index_row_release(struct index_row *row)
{
	char *own[] = { row->path, row->report, row->error, row->start, row->limiter_model, row->scope };
	for (size_t i = 0; i < ARRAY_LEN(own); i++)
		free(own[i]);
	strings_free(row->caps, row->ncaps);
	strings_free(row->regions, row->nregions);
	memset(row, 0, sizeof *row);
}

struct trend_point {
	double start, lo, hi;
	struct index_row *row;
};

static int cmp_trend(const void *x, const void *y)
{
	const struct trend_point *a = x, *b = y;
	return a->start < b->start ? -1 : a->start > b->start;
}

void index_mark_limit_changes(struct index_row *rows, size_t n)
{
	size_t k = 0;
	struct trend_point *v = xcalloc(n ? n : 1, sizeof *v);
	for (size_t i = 0; i < n; i++) {
		double st = rows[i].start_ms, lo = rows[i].rate_low, hi = rows[i].rate_high;
		if (!isnan(st) && !isnan(lo) && !isnan(hi) && lo <= hi)
			v[k++] = (struct trend_point){ st, lo, hi, &rows[i] };
	}
	if (k > 1)
		qsort(v, k, sizeof *v, cmp_trend);   /* ties: any order is stable enough for a flag */
	for (size_t i = 1; i < k; i++)
		if (v[i].lo > v[i - 1].hi || v[i].hi < v[i - 1].lo)
			v[i].row->limit_changed = true;
	free(v);
}

char *index_rows_chart(const struct index_row *rows, size_t n, const char *outdir, char *why,
		       size_t whylen)
{
	struct index_trend_point *v = xcalloc(n ? n : 1, sizeof *v);
	for (size_t i = 0; i < n; i++)
		v[i] = (struct index_trend_point){
			.start_ms = rows[i].start_ms, .onset_s = rows[i].onset_offset_s,
			.rate_per_s = rows[i].rate_per_s, .throttled_pct = rows[i].throttled_pct,
			.p95_ms = rows[i].p95_ms, .limit_changed = rows[i].limit_changed,
		};
	char *svg = index_trend_chart(v, n, outdir, why, whylen);
	free(v);
	return svg;
}

/* --- cells ---------------------------------------------------------------------------------- */

static const char *const col_head[INDEX_NCOLS] = {
	"run", "status", "start (UTC)", "duration s", "samples", "error %", "throttled %", "onset s",
	"threads at onset", "limiter", "admitted /s [interval]", "limit changed", "scope", "p95 ms",
	"regions throttled", "captures", "gate", "error",
};

const char *index_col_name(size_t i)
{
	if (i == INDEX_C_START && !report_tz_is_utc()) { /* --tz: the zone of the start column */
		static char head[REPORT_TZ_NAME_MAX + 16];
		snprintf(head, sizeof head, "start (%s)", report_tz_name());
		return head;
	}
	return i < INDEX_NCOLS ? col_head[i] : "";
}

static char *cell_num(double v, int decimals)
{
	return isnan(v) ? xstrdup("") : xasprintf("%.*f", decimals, v);
}

static char *cell_str(const char *s)
{
	return xstrdup(s ? s : "");
}

static char *cell_list(char *const *v, size_t n)
{
	struct strbuf sb = STRBUF_INIT;
	for (size_t i = 0; i < n; i++) {
		if (i)
			strbuf_addstr(&sb, " ");
		strbuf_addstr(&sb, v[i]);
	}
	char *s = strbuf_detach(&sb);
	return s ? s : xstrdup("");
}

void index_cells(const struct index_row *row, char *c[INDEX_NCOLS])
{
	c[INDEX_C_PATH] = cell_str(row->path);
	c[INDEX_C_STATUS] = xstrdup(row->exit == 0 ? "ok" : "failed");
	c[INDEX_C_START] = cell_str(row->start);
	if (row->start && !isnan(row->start_ms) && !report_tz_is_utc()) {
		/* --tz: the start in that zone (index.json keeps UTC) */
		char t[64];
		report_time(t, sizeof t, (int64_t)row->start_ms, RT_DATE | RT_MS);
		free(c[INDEX_C_START]);
		c[INDEX_C_START] = xstrdup(t);
	}
	c[INDEX_C_DUR] = cell_num(row->duration_s, 1);
	c[INDEX_C_SAMPLES] = cell_num(row->samples, 0);
	c[INDEX_C_ERR] = cell_num(row->error_pct, 2);
	c[INDEX_C_THR] = cell_num(row->throttled_pct, 2);
	c[INDEX_C_ONSET] = cell_num(row->onset_offset_s, 1);
	c[INDEX_C_OTHREADS] = cell_num(row->onset_threads, 0);
	c[INDEX_C_MODEL] = cell_str(row->limiter_model);
	double rt = row->rate_per_s, lo = row->rate_low, hi = row->rate_high;
	c[INDEX_C_RATE] = isnan(rt) ? xstrdup("")
			  : isnan(lo) || isnan(hi) ? xasprintf("%.2f", rt)
						   : xasprintf("%.2f [%.2f, %.2f]", rt, lo, hi);
	c[INDEX_C_CHANGED] = xstrdup(row->limit_changed ? "limit changed" : "");
	c[INDEX_C_SCOPE] = cell_str(row->scope);
	c[INDEX_C_P95] = cell_num(row->p95_ms, 0);
	c[INDEX_C_REGIONS] = cell_list(row->regions, row->nregions);
	c[INDEX_C_CAPS] = cell_list(row->caps, row->ncaps);
	c[INDEX_C_GATE] = cell_str(row->gate);
	c[INDEX_C_ERROR] = row->error ? xasprintf("exit %d: %s", row->exit, row->error) : xstrdup("");
}

void index_cells_free(char *c[INDEX_NCOLS])
{
	for (size_t i = 0; i < INDEX_NCOLS; i++)
		free(c[i]);
}

bool index_col_shown(const struct index *ix, size_t col)
{
	return col != INDEX_C_GATE || ix->gate;
}

bool index_col_numeric(size_t col)
{
	return col >= INDEX_C_DUR && col <= INDEX_C_P95 && col != INDEX_C_MODEL &&
	       col != INDEX_C_CHANGED && col != INDEX_C_SCOPE;
}

void index_counts(const struct index *ix, size_t *ok, size_t *failed, size_t *throttled)
{
	*ok = *failed = *throttled = 0;
	for (size_t i = 0; i < ix->nrows; i++) {
		if (ix->rows[i].exit == 0)
			(*ok)++;
		else
			(*failed)++;
		if (!isnan(ix->rows[i].onset_offset_s))
			(*throttled)++;
	}
}
