/* index_html.c - index.html of the batch index (index.h), with the trend chart inlined. */
#include <string.h>

#include "common/util.h"
#include "reports/escape.h"
#include "reports/index.h"

#ifndef JTLSCOPE_VERSION
#define JTLSCOPE_VERSION "0.0.0"
#endif

static const char HTML_CSS[] =
	"body{font:14px/1.4 system-ui,sans-serif;margin:1.5em;color:#222}"
	"table{border-collapse:collapse;font-size:13px}"
	"th,td{border:1px solid #ccc;padding:3px 6px;text-align:left;vertical-align:top}"
	"th{background:#f2f2f2;position:sticky;top:0}"
	"td.n{text-align:right;font-variant-numeric:tabular-nums}"
	"tr.failed td{background:#fdecea}tr.thr td.s{background:#fff4e0}"
	"a{color:#0645ad}\n";

static void html_s(struct strbuf *sb, const char *s)
{
	esc_html(sb, s, strlen(s));
}

static void html_row(struct strbuf *sb, const struct index *ix, const struct index_row *row)
{
	char *c[INDEX_NCOLS];
	index_cells(row, c);
	bool bad = strcmp(c[INDEX_C_STATUS], "ok") != 0;
	strbuf_addf(sb, "<tr class=\"%s\">", bad ? "failed" : c[INDEX_C_ONSET][0] ? "thr" : "ok");
	for (size_t i = 0; i < INDEX_NCOLS; i++) {
		if (!index_col_shown(ix, i))
			continue;
		strbuf_addstr(sb, index_col_numeric(i) ? "<td class=\"n\">"
				  : i == INDEX_C_STATUS ? "<td class=\"s\">" : "<td>");
		if (i == INDEX_C_PATH) {
			strbuf_addstr(sb, "<a href=\"");
			html_s(sb, row->report);
			strbuf_addstr(sb, "report.html\">");
			html_s(sb, c[i]);
			strbuf_addstr(sb, "</a>");
		} else {
			html_s(sb, c[i]);
		}
		strbuf_addstr(sb, "</td>");
	}
	strbuf_addstr(sb, "</tr>\n");
	index_cells_free(c);
}

int index_write_html(FILE *f, const struct index *ix)
{
	size_t ok, failed, thr;
	index_counts(ix, &ok, &failed, &thr);
	struct strbuf sb = STRBUF_INIT;
	strbuf_addf(&sb, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
		    "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
		    "<title>jtlscope batch</title>\n<style>%s</style>\n</head>\n<body>\n"
		    "<h1>jtlscope batch</h1>\n<p>%zu runs: %zu analysed, %zu failed, %zu with sustained "
		    "throttling.</p>\n", HTML_CSS, ok + failed, ok, failed, thr);
	if (ix->trend_svg) {
		const char *svg = strstr(ix->trend_svg, "<svg");
		strbuf_addstr(&sb, "<figure>");
		strbuf_addstr(&sb, svg ? svg : "");
		strbuf_addstr(&sb, "<figcaption>Runs over time: onset, admitted rate (limit changes "
				   "circled), throttled %, p95.</figcaption></figure>\n");
	} else if (ix->nrows > 1) {
		strbuf_addstr(&sb, "<p><em>");
		html_s(&sb, ix->trend_why);
		strbuf_addstr(&sb, ".</em></p>\n");
	}
	strbuf_addstr(&sb, "<table>\n<thead><tr>");
	for (size_t i = 0; i < INDEX_NCOLS; i++)
		if (index_col_shown(ix, i)) {
			strbuf_addstr(&sb, "<th>");
			html_s(&sb, index_col_name(i));
			strbuf_addstr(&sb, "</th>");
		}
	strbuf_addstr(&sb, "</tr></thead>\n<tbody>\n");
	for (size_t r = 0; r < ix->nrows; r++)
		html_row(&sb, ix, &ix->rows[r]);
	strbuf_addstr(&sb, "</tbody>\n</table>\n");
	if (ix->nunpaired) {
		strbuf_addstr(&sb, "<p>Captures not paired with a run:</p>\n<ul>\n");
		for (size_t i = 0; i < ix->nunpaired; i++) {
			strbuf_addstr(&sb, "<li>");
			html_s(&sb, ix->unpaired[i]);
			strbuf_addstr(&sb, "</li>\n");
		}
		strbuf_addstr(&sb, "</ul>\n");
	}
	strbuf_addf(&sb, "<p><small>jtlscope %s</small></p>\n</body>\n</html>\n", JTLSCOPE_VERSION);
	fwrite(sb.buf, 1, sb.len, f);
	strbuf_release(&sb);
	return ferror(f) ? -1 : 0;
}
