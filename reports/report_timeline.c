/* report_timeline.c - the "Throttled over time" block of the md and html reports as plain
 * text (report.h: struct report_timeline); each writer escapes and lays it out. */
#include "reports/report.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "common/util.h"
#include "reports/report_time.h"
#include "reports/throttle_report.h"

bool report_timeline_build(struct report_timeline *rt, const struct analysis *a)
{
	memset(rt, 0, sizeof *rt);
	if (!throttle_timeline_build(&rt->tl, report_throttle(a)))
		return false;
	const struct throttle_timeline *tl = &rt->tl;
	report_time(rt->to, sizeof rt->to, tl->end_ms, RT_ZONE);
	rt->caption = xasprintf("Throttled share of the requests%s%s, one character per %s: ▁ none "
				"throttled, █ the highest share (%.1f %%); a blank is a bucket without requests.",
				tl->group ? " to " : "", tl->group ? tl->group : "", tl->width, tl->max_pct);
	struct report_table *t = &rt->rows;
	static const char *const head[] = { NULL, "Sent", "Throttled", "Throttled %", "" };
	memcpy(rt->head, head, sizeof head);
	if (tl->nrows) {
		char zone[128];
		report_zone_label(zone, sizeof zone, tl->rows[0].ts_ms);
		snprintf(rt->head0, sizeof rt->head0, "Second, %s", zone);
	}
	rt->head[0] = rt->head0;
	t->ncols = ARRAY_LEN(head);
	t->head = rt->head;
	t->align = "lrrrl";
	t->cell = xcalloc(tl->nrows * t->ncols + 1, sizeof *t->cell);
	for (size_t i = 0; i < tl->nrows; i++) {
		const struct throttle_timeline_row *row = &tl->rows[i];
		char ts[64];
		report_time(ts, sizeof ts, row->ts_ms, 0);
		char **c = &t->cell[i * t->ncols];
		c[0] = xstrdup(ts);
		c[1] = xasprintf("%" PRIu64, row->sent);
		c[2] = xasprintf("%" PRIu64, row->throttled);
		c[3] = xasprintf("%.1f", row->sent ? 100.0 * (double)row->throttled / (double)row->sent : 0.0);
		c[4] = xstrdup(row->onset ? "onset" : "");
	}
	t->nrows = tl->nrows;
	t->ncells = t->nrows * t->ncols;
	return true;
}

void report_timeline_free(struct report_timeline *rt)
{
	throttle_timeline_free(&rt->tl);
	free(rt->caption);
	report_table_free(&rt->rows);
}
