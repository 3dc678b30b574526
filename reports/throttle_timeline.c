/* throttle_timeline.c - the compact text timeline of the throttled share (throttle_report.h:
 * struct throttle_timeline, throttle_timeline_build).
 *
 * This file owns how the verdict's group (the primary group, else the whole run) is shown
 * without images: its fine series summed into at most THROTTLE_TIMELINE_COLS buckets of a
 * "nice" width on whole multiples of it (1 s .. 1 d), a sparkline scaled to the highest
 * share, and one-second rows around the onset.  The text and Markdown/HTML reports render
 * the struct; nothing here writes output.
 */
#include "reports/throttle_report.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "reports/report.h"
#include "reports/report_time.h"

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
