/* report_html.c - one self-contained HTML file: inline CSS, charts as inline SVG, no scripts,
 * nothing fetched (a Content-Security-Policy says so to the browser as well).  Every string
 * from input goes through esc_html; every SVG is re-checked with charts_svg_safe before it is
 * inlined, and its ids get a per-chart prefix so several charts can share one page. */
#include "reports/report.h"
#include "reports/throttle_verdict.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "reports/charts.h"
#include "reports/escape.h"
#include "reports/report_time.h"
#include "reports/throttle_report.h"

static const char CSS[] =
	"body{font-family:system-ui,-apple-system,\"Segoe UI\",Roboto,\"Helvetica Neue\",Arial,sans-serif;"
	"margin:0 auto;max-width:1200px;padding:1rem 1.5rem;color:#1b1f24;background:#fff;line-height:1.45}\n"
	"h1{font-size:1.6rem;margin:.2rem 0}h2{font-size:1.25rem;margin:1.8rem 0 .6rem;"
	"border-bottom:1px solid #d0d7de;padding-bottom:.2rem}h3{font-size:1.05rem;margin:1rem 0 .4rem}\n"
	".sub{color:#57606a;margin:.2rem 0 1rem}\n"
	"#verdict p{font-size:1.05rem}#verdict p.headline{font-size:1.2rem;margin:.6rem 0}#verdict{background:#f6f8fa;border-left:4px solid #b00020;"
	"padding:.2rem 1rem .6rem}\n"
	".scroll{overflow-x:auto}#key-numbers td:first-child{white-space:nowrap}\n"
	"table{border-collapse:collapse;font-size:.9rem;margin:.4rem 0}\n"
	"th,td{border:1px solid #d0d7de;padding:.25rem .5rem;vertical-align:top}\n"
	"th{background:#f6f8fa;text-align:left}td.r,th.r{text-align:right;font-variant-numeric:tabular-nums}\n"
	"tbody tr:last-child td{font-weight:normal}\n"
	"figure{margin:1rem 0}figure svg{width:100%;height:auto;display:block}"
	"figcaption{color:#57606a;font-size:.9rem}\n"
	".spark code{font-size:1.1rem;letter-spacing:0}.note{color:#57606a;font-size:.9rem}.warn{background:#fff8c5;border:1px solid #d4a72c;padding:.4rem .6rem}\n"
	"footer{margin-top:2rem;color:#57606a;font-size:.85rem;border-top:1px solid #d0d7de}\n"
	"pre{white-space:pre-wrap;word-break:break-all;background:#f6f8fa;padding:.4rem .6rem}\n";

static void h_esc(FILE *f, const char *s)
{
	struct strbuf sb = STRBUF_INIT;
	esc_html(&sb, s, strlen(s));
	if (sb.len)
		fwrite(sb.buf, 1, sb.len, f);
	strbuf_release(&sb);
}

/* Plain text as <p> paragraphs (blank lines separate them). */
static void h_text(FILE *f, const char *s)
{
	while (*s) {
		const char *e = strstr(s, "\n\n");
		size_t n = e ? (size_t)(e - s) : strlen(s);
		struct strbuf sb = STRBUF_INIT;
		esc_html(&sb, s, n);
		if (sb.len) {
			fputs("<p>", f);
			fwrite(sb.buf, 1, sb.len, f);
			fputs("</p>\n", f);
		}
		strbuf_release(&sb);
		s += n;
		while (*s == '\n')
			s++;
	}
}

static void h_head(FILE *f, const struct analysis *a)
{
	fputs("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
	      "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
	      "style-src 'unsafe-inline'; img-src data:\">\n"
	      "<meta name=\"referrer\" content=\"no-referrer\">\n"
	      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
	      "<title>jtlscope report", f);
	for (size_t i = 0; i < a->ninputs && i < 3; i++) {
		fputs(i ? ", " : " - ", f);
		h_esc(f, a->inputs[i].path);
	}
	fprintf(f, "</title>\n<style>\n%s</style>\n</head>\n<body>\n", CSS);
}

static void h_header(FILE *f, const struct analysis *a)
{
	fputs("<header>\n<h1>jtlscope report</h1>\n<p class=\"sub\">", f);
	for (size_t i = 0; i < a->ninputs; i++) {
		if (i)
			fputs(", ", f);
		fputs("<code>", f);
		h_esc(f, a->inputs[i].path);
		fputs("</code>", f);
	}
	int64_t start = analysis_start_ms(a), end = analysis_end_ms(a);
	if (a->overall.count && start) {
		char range[256], dur[32];
		report_time_range(range, sizeof range, start, end, "→");
		report_duration(dur, sizeof dur, end - start);
		fprintf(f, "%s", a->ninputs ? " · " : "");
		h_esc(f, range);
		fprintf(f, " (%s)", dur);
	}
	fprintf(f, " · %" PRIu64 " samples</p>\n</header>\n", a->overall.count);
}

static void h_verdict(FILE *f, const struct analysis *a)
{
	const struct throttle_result *r = report_throttle(a);
	fputs("<section id=\"verdict\">\n<h2>Verdict</h2>\n", f);
	if (!r) {
		fputs("<p>No throttle analysis was run for this report (plain statistics only).</p>\n", f);
	} else {
		char *head, *verdict, *adv;
		struct verdict_context vc;
		verdict_context_init(&vc, a);
		throttle_verdict_full(r, &vc, &head, &verdict, &adv);
		fputs("<p class=\"headline\"><strong>", f);
		h_esc(f, head);
		fputs("</strong></p>\n", f);
		free(head);
		h_text(f, verdict);
		if (adv[0]) {
			fputs("<h3>What to do</h3>\n", f);
			h_text(f, adv);
		}
		free(verdict);
		free(adv);
	}
	fputs("</section>\n", f);
}

static void h_rows(FILE *f, const struct report_table *t);

/* The throttled share over time as text, next to the verdict (the charts show it in full). */
static void h_timeline(FILE *f, const struct analysis *a)
{
	struct report_timeline rt;
	if (!report_timeline_build(&rt, a))
		return;
	fputs("<section id=\"timeline\">\n<h2>Throttled over time</h2>\n<p class=\"spark\"><code>", f);
	h_esc(f, rt.tl.spark);
	fputs("</code> ", f);
	h_esc(f, rt.tl.from);
	fputs(" → ", f);
	h_esc(f, rt.to);
	fputs("</p>\n<p class=\"note\">", f);
	h_esc(f, rt.caption);
	fputs("</p>\n", f);
	if (rt.rows.nrows)
		h_rows(f, &rt.rows);
	fputs("</section>\n", f);
	report_timeline_free(&rt);
}

static void h_table(FILE *f, const struct report_table *t, const char *id)
{
	if (!t->nrows && !t->empty)
		return;
	fprintf(f, "<section id=\"%s\">\n<h2>", id);
	h_esc(f, t->title);
	fputs("</h2>\n", f);
	if (!t->nrows) {
		fputs("<p>", f);
		h_esc(f, t->empty);
		fputs("</p>\n</section>\n", f);
		return;
	}
	h_rows(f, t);
	if (t->note) {
		fputs("<p class=\"note\">", f);
		h_esc(f, t->note);
		fputs("</p>\n", f);
	}
	fputs("</section>\n", f);
}

/* The table itself, in its scrolling box. */
static void h_rows(FILE *f, const struct report_table *t)
{
	fputs("<div class=\"scroll\"><table>\n<thead><tr>", f);
	for (size_t c = 0; c < t->ncols; c++) {
		fputs(t->align[c] == 'r' ? "<th class=\"r\">" : "<th>", f);
		h_esc(f, t->head[c]);
		fputs("</th>", f);
	}
	fputs("</tr></thead>\n<tbody>\n", f);
	for (size_t r = 0; r < t->nrows; r++) {
		fputs("<tr>", f);
		for (size_t c = 0; c < t->ncols; c++) {
			size_t k = r * t->ncols + c;
			fputs(t->align[c] == 'r' ? "<td class=\"r\">" : "<td>", f);
			h_esc(f, k < t->ncells && t->cell[k] ? t->cell[k] : "");
			fputs("</td>", f);
		}
		fputs("</tr>\n", f);
	}
	fputs("</tbody>\n</table></div>\n", f);
}

/* Does s (inside a tag) start an attribute value that names an id: id=' href='# url(# ? */
static size_t id_ref(const char *s, const char *end)
{
	static const char *const pat[] = { "id='", "id=\"", "href='#", "href=\"#", "url(#" };
	for (size_t i = 0; i < ARRAY_LEN(pat); i++) {
		size_t n = strlen(pat[i]);
		if ((size_t)(end - s) >= n && memcmp(s, pat[i], n) == 0 &&
		    (i == 4 || s[-1] == ' ' || s[-1] == '\t' || s[-1] == '\n' || s[-1] == ':'))
			return n;
	}
	return 0;
}

/* The <svg> element of a checked SVG document, its ids prefixed with "cN-". */
static void h_svg(FILE *f, const char *svg, size_t idx)
{
	const char *p = strstr(svg, "<svg");
	if (!p)
		return;
	const char *end = p + strlen(p);
	bool in_tag = false;
	while (p < end) {
		size_t n = in_tag && p[-1] != '<' ? id_ref(p, end) : 0;
		if (n) {
			fwrite(p, 1, n, f);
			fprintf(f, "c%zu-", idx);
			p += n;
			continue;
		}
		if (*p == '<')
			in_tag = true;
		else if (*p == '>')
			in_tag = false;
		fputc(*p++, f);
	}
}

static void h_charts(FILE *f, const struct report_meta *m)
{
	const struct chart_set *cs = m ? m->charts : NULL;
	fputs("<section id=\"charts\">\n<h2>Charts</h2>\n", f);
	if (!cs)
		fputs("<p class=\"note\">Charts were not requested.</p>\n", f);
	for (size_t i = 0; cs && i < cs->n; i++) {
		const struct chart *c = &cs->v[i];
		char why[128];
		fputs("<figure>\n", f);
		if (c->svg && charts_svg_safe(c->svg, strlen(c->svg), why, sizeof why)) {
			h_svg(f, c->svg, i);
		} else {
			fputs("<p class=\"warn\">chart left out: ", f);
			h_esc(f, c->svg ? why : "no SVG");
			fputs("</p>", f);
		}
		fputs("\n<figcaption>", f);
		h_esc(f, c->title);
		fputs("</figcaption>\n</figure>\n", f);
	}
	if (cs && cs->warning) {
		fputs("<p class=\"warn\">", f);
		h_esc(f, cs->warning);
		fputs("</p>\n", f);
	}
	fputs("</section>\n", f);
}

static void h_footer(FILE *f, const struct report_meta *m)
{
	fputs("<footer>\n<p>Generated by jtlscope ", f);
	h_esc(f, m && m->version ? m->version : "");
	if (m && m->stamp) {
		fputs(" on ", f);
		h_esc(f, m->stamp);
	}
	fputs("</p>\n", f);
	if (m && m->command_line) {
		fputs("<pre>", f);
		h_esc(f, m->command_line);
		fputs("</pre>\n", f);
	}
	fputs("</footer>\n", f);
}

static void h_tables(FILE *f, const struct analysis *a, size_t from, size_t to)
{
	static const enum report_table_id order[] = { REPORT_T_KEYS, REPORT_T_REGIONS, REPORT_T_LABELS,
						      REPORT_T_JOIN, REPORT_T_ERRORS, REPORT_T_ERROR_TYPES,
						      REPORT_T_ERRORS_BY_LABEL, REPORT_T_INPUTS };
	static const char *const ids[] = { "key-numbers", "regions", "labels", "join", "errors",
					   "error-types", "errors-by-sampler", "inputs" };
	for (size_t i = from; i < to && i < ARRAY_LEN(order); i++) {
		struct report_table t;
		report_table_build(&t, order[i], a);
		h_table(f, &t, ids[i]);
		report_table_free(&t);
	}
}

int report_html(FILE *f, const struct analysis *a, const struct report_meta *m)
{
	h_head(f, a);
	if (m && m->note)
		fprintf(f, "<p class=\"note\"><strong>Note:</strong> %s</p>\n", m->note);
	h_header(f, a);
	h_verdict(f, a);
	h_timeline(f, a);
	h_tables(f, a, 0, 1);   /* key numbers */
	h_charts(f, m);
	h_tables(f, a, 1, 8);   /* regions, labels, join, errors, error types, by sampler, inputs */
	h_footer(f, m);
	fputs("</body>\n</html>\n", f);
	return ferror(f) ? -1 : 0;
}
