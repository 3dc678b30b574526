/* test_reports.c - Markdown, HTML and CSV reports, gnuplot charts, and the escaping they rely
 * on: the right numbers in every format, and hostile input text inert in every format.
 *
 * The analysis is built from synthetic samples fed through analysis_new/analysis_add/
 * analysis_finish: 20 threads, 60 s, two regions; from +20 s one region answers 429.
 * With REPORTS_DUMP=DIR set, the hostile run's outputs are also written into DIR for
 * tests/reports/run.sh to check with real parsers (python3 html.parser, xml.etree, csv). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <dirent.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "analyzer/analysis.h"
#include "reports/charts.h"
#include "reports/escape.h"
#include "reports/report.h"
#include "reports/report_time.h"

#define T0 1700000000000LL

/* Hostile strings: markup, table and formula syntax, gnuplot commands, shell, bad UTF-8. */
static const char *const HOSTILE[] = {
	"<script>alert(1)</script>",
	"a|b|c `code` **bold** [x](javascript:alert(1)) $x$",
	"\"; system(\"id\"); \"",
	"set output \"/tmp/x\"\n@macro `id` \\",
	"=cmd|' /C calc'!A0",
	"+1+2", "-2+3+cmd|' /C calc'!A0", "@SUM(1+1)",
	"bad\xff\xfeutf8\xc3(",
	"line1\nline2\r\n- item\n# heading",
	"<img src=x onerror=alert(1)>&amp;",
};

static struct sample mk(int64_t ts, int64_t el, const char *label, const char *code, bool ok,
			const char *thread, const char *url, int64_t all)
{
	struct sample s;
	sample_clear(&s);
	s.ts_ms = ts;
	s.elapsed_ms = el;
	s.latency_ms = el / 2;
	s.connect_ms = 3;
	s.bytes = 1000;
	s.sent_bytes = 200;
	s.all_threads = all;
	s.success = ok;
	s.has = SH_TS | SH_ELAPSED | SH_LATENCY | SH_CONNECT | SH_BYTES | SH_SENT_BYTES | SH_ALL_THREADS | SH_SUCCESS;
	s.label = (struct strref){ label, strlen(label) };
	s.code = (struct strref){ code, strlen(code) };
	s.message = (struct strref){ ok ? "OK" : "Too Many Requests", ok ? 2 : 17 };
	s.thread = (struct strref){ thread, strlen(thread) };
	s.url = (struct strref){ url, strlen(url) };
	return s;
}

/* 20 threads x 60 s, one request per thread per second; threads 0-9 go to region A, 10-19 to
 * region B.  From +20 s, every second request to A is throttled.  hostile: labels, thread
 * names, codes and the input path are the HOSTILE strings. */
static struct analysis *build(bool hostile)
{
	struct analysis_config c;
	analysis_config_default(&c);
	char err[256];
	struct analysis *a = analysis_new(&c, err, sizeof err);
	assert_non_null(a);
	for (int sec = 0; sec < 60; sec++) {
		for (int th = 0; th < 20; th++) {
			char thread[128], url[128];
			const char *label = hostile ? HOSTILE[(size_t)th % ARRAY_LEN(HOSTILE)] : (th % 2 ? "Send" : "Login");
			snprintf(thread, sizeof thread, "%s %d-%d", hostile ? HOSTILE[(size_t)(th + 3) % ARRAY_LEN(HOSTILE)] : "TG", 1, th + 1);
			snprintf(url, sizeof url, "http://%s.example.com/api", th < 10 ? "ap-southeast-1" : "us-east-1");
			bool thr = th < 10 && sec >= 20 && (sec + th) % 2 == 0;
			const char *code = thr ? "429" : "200";
			if (hostile && th == 7 && sec % 5 == 0)
				code = HOSTILE[(size_t)sec / 5 % ARRAY_LEN(HOSTILE)];
			int64_t el = thr ? 2 : 40 + th + (sec >= 20 ? 30 : 0);
			struct sample s = mk(T0 + sec * 1000LL + th * 37, el, label, code, !thr && code[0] == '2',
					     thread, url, 20);
			analysis_add(a, &s);
		}
	}
	struct input_info in = { .path = (char *)(hostile ? HOSTILE[0] : "run.jtl"), .format = (char *)"csv",
				 .records = 1200, .skipped = 2, .truncated = hostile };
	if (hostile)
		in.error = (char *)HOSTILE[3];
	analysis_add_input(a, &in);
	analysis_finish(a);
	return a;
}

typedef int (*report_fn)(FILE *, const struct analysis *, const struct report_meta *);

static char *render(report_fn fn, const struct analysis *a, const struct report_meta *m)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	assert_non_null(f);
	assert_int_equal(fn(f, a, m), 0);
	fclose(f);
	return buf;
}

static int csv_series_fn(FILE *f, const struct analysis *a, const struct report_meta *m)
{
	(void)m;
	return report_csv_series(f, a);
}

static int csv_labels_fn(FILE *f, const struct analysis *a, const struct report_meta *m)
{
	(void)m;
	return report_csv_labels(f, a);
}

static void dump(const char *name, const char *text)
{
	const char *dir = getenv("REPORTS_DUMP");
	if (!dir)
		return;
	char *p = xasprintf("%s/%s", dir, name);
	FILE *f = fopen(p, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	free(p);
}

static bool valid_utf8(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	while (*p) {
		size_t n = *p < 0x80 ? 1 : (*p & 0xe0) == 0xc0 ? 2 : (*p & 0xf0) == 0xe0 ? 3 : (*p & 0xf8) == 0xf0 ? 4 : 0;
		if (!n || (n == 2 && *p < 0xc2))
			return false;
		for (size_t i = 1; i < n; i++)
			if ((p[i] & 0xc0) != 0x80)
				return false;
		p += n;
	}
	return true;
}

/* Unescaped '|' in a Markdown line (a backslash escapes the next character). */
static size_t md_pipes(const char *s, size_t n)
{
	size_t k = 0;
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '\\')
			i++;
		else if (s[i] == '|')
			k++;
	}
	return k;
}

/* Every table row keeps the column count of its header. */
static void check_md_tables(const char *md, size_t min_tables)
{
	size_t want = 0, tables = 0;
	for (const char *l = md; *l;) {
		const char *e = strchr(l, '\n');
		size_t n = e ? (size_t)(e - l) : strlen(l);
		if (n && l[0] == '|') {
			size_t k = md_pipes(l, n);
			if (!want) {
				want = k;
				tables++;
			}
			if (k != want)
				fail_msg("markdown row has %zu cells, header %zu: %.*s", k - 1, want - 1, (int)n, l);
		} else {
			want = 0;
		}
		l += n + (e != NULL);
	}
	assert_true(tables >= min_tables);
}

static void check_no_raw(const char *out, const char *const *bad, size_t nbad)
{
	for (size_t i = 0; i < nbad; i++)
		if (strcasestr(out, bad[i]))
			fail_msg("output contains raw '%s'", bad[i]);
}

/* ---- numbers ---------------------------------------------------------------------------- */

static void test_md_numbers(void **st)
{
	(void)st;
	struct analysis *a = build(false);
	struct report_meta m = { .version = "9.9", .command_line = "jtlscope report run.jtl" };
	char *md = render(report_md, a, &m);
	/* 600 samples per label; 20 s x 10 threads / 2 throttled = 200 x 429 */
	assert_non_null(strstr(md, "# jtlscope report\n\n## Verdict\n\n"));
	assert_non_null(strstr(md, "| Login | 600 |"));
	assert_non_null(strstr(md, "| Send | 600 |"));
	assert_non_null(strstr(md, "| TOTAL | 1200 | 200 | 16.67 | 200 |"));
	assert_non_null(strstr(md, "| Throttled | 200 (16.67 %) |"));
	assert_non_null(strstr(md, "| 429 | 200 | 16.67 | 100.00 | yes |"));
	assert_non_null(strstr(md, "| Test window | 2023-11-14 22:13:20.000 → "));
	assert_non_null(strstr(md, "| run.jtl | csv | 1200 | 2 |"));
	assert_non_null(strstr(md, "## Regions"));
	assert_non_null(strstr(md, "| ap-southeast-1 | 600 | 33.33 |"));
	assert_non_null(strstr(md, "| us-east-1 | 600 | 0.00 |"));
	assert_non_null(strstr(md, "Generated by jtlscope 9.9 with: jtlscope report run.jtl"));
	assert_null(strstr(md, "## Charts")); /* none requested */
	check_md_tables(md, 4);
	free(md);
	analysis_free(a);
}

static void test_html_numbers(void **st)
{
	(void)st;
	struct analysis *a = build(false);
	struct report_meta m = { .version = "9.9", .command_line = "jtlscope report <run>.jtl" };
	char *html = render(report_html, a, &m);
	assert_true(strncmp(html, "<!DOCTYPE html>", 15) == 0);
	assert_non_null(strstr(html, "Content-Security-Policy"));
	assert_non_null(strstr(html, "<td>Login</td><td class=\"r\">600</td>"));
	assert_non_null(strstr(html, "<td>TOTAL</td><td class=\"r\">1200</td><td class=\"r\">200</td>"));
	assert_non_null(strstr(html, "<pre>jtlscope report &lt;run&gt;.jtl</pre>"));
	assert_non_null(strstr(html, "Charts were not requested"));
	assert_null(strcasestr(html, "<script"));
	assert_null(strstr(html, "generated ")); /* deterministic: no stamp */
	char *again = render(report_html, a, &m);
	assert_string_equal(html, again);
	free(again);
	free(html);
	analysis_free(a);
}

static void test_csv_numbers(void **st)
{
	(void)st;
	struct analysis *a = build(false);
	char *s = render(csv_series_fn, a, NULL);
	assert_true(strncmp(s, "ts_ms,time_utc,count,throttled,errors,other,1xx,2xx,3xx,4xx,5xx,", 60) == 0);
	/* 61 lines: header + one per second (the last samples end inside second 59) */
	size_t lines = 0;
	for (const char *p = s; (p = strstr(p, "\r\n")); p += 2)
		lines++;
	assert_int_equal(lines, 1 + a->series.n);
	assert_non_null(strstr(s, "\r\n1700000000000,2023-11-14 22:13:20.000,20,0,0,0,0,20,0,0,0,20,"));
	assert_non_null(strstr(s, "\r\n1700000020000,2023-11-14 22:13:40.000,20,5,5,0,0,15,0,5,0,20,"));
	free(s);
	s = render(csv_labels_fn, a, NULL);
	assert_non_null(strstr(s, "\r\nLogin,600,100,16.667,100,"));
	assert_non_null(strstr(s, "\r\nTOTAL,1200,200,16.667,200,"));
	free(s);
	analysis_free(a);
}

static void test_no_throttle(void **st)
{
	(void)st;
	struct analysis_config c;
	analysis_config_default(&c);
	c.no_throttle = true;
	char err[256];
	struct analysis *a = analysis_new(&c, err, sizeof err);
	struct sample s = mk(T0, 10, "x", "200", true, "t 1-1", "http://h/", 1);
	analysis_add(a, &s);
	analysis_finish(a);
	char *md = render(report_md, a, NULL);
	assert_non_null(strstr(md, "No throttle analysis was run"));
	assert_null(strstr(md, "## Regions"));
	assert_non_null(strstr(md, "No error response codes."));
	check_md_tables(md, 2);
	char *html = render(report_html, a, NULL);
	assert_non_null(strstr(html, "No throttle analysis was run"));
	free(md);
	free(html);
	analysis_free(a);
}

/* ---- hostile input ---------------------------------------------------------------------- */

static const char *const RAW_HTML[] = { "<script", "<img", "\"; system" };

static void test_hostile_md(void **st)
{
	(void)st;
	struct analysis *a = build(true);
	struct report_meta m = { .version = "1", .command_line = "jtlscope report '<script>x</script>' `id`" };
	char *md = render(report_md, a, &m);
	dump("report.md", md);
	check_md_tables(md, 4);
	check_no_raw(md, RAW_HTML, ARRAY_LEN(RAW_HTML) - 1);
	assert_true(valid_utf8(md));
	assert_non_null(strstr(md, "&lt;script&gt;alert(1)&lt;/script&gt;"));
	assert_non_null(strstr(md, "a\\|b\\|c \\`code\\` \\*\\*bold\\*\\* \\[x\\](javascript:alert(1)) \\$x\\$"));
	/* no line starts a list, heading or quote that we did not write */
	for (const char *l = md; l; l = strchr(l, '\n')) {
		l += *l == '\n';
		assert_false(strncmp(l, "- item", 6) == 0 || strncmp(l, "# heading", 9) == 0);
	}
	free(md);
	analysis_free(a);
}

static void test_hostile_html(void **st)
{
	(void)st;
	struct analysis *a = build(true);
	struct report_meta m = { .version = "1", .command_line = "jtlscope report '<script>x</script>'",
				 .stamp = "<b>stamp</b>" };
	char *html = render(report_html, a, &m);
	dump("report.html", html);
	check_no_raw(html, RAW_HTML, ARRAY_LEN(RAW_HTML));
	assert_true(valid_utf8(html));
	assert_non_null(strstr(html, "&lt;script&gt;alert(1)&lt;/script&gt;"));
	assert_non_null(strstr(html, "&lt;b&gt;stamp&lt;/b&gt;"));
	free(html);
	analysis_free(a);
}

/* Split one CSV record (RFC 4180) starting at *p; returns cells (caller frees). */
static size_t csv_record(const char **p, char cells[][256], size_t max)
{
	size_t n = 0;
	const char *s = *p;
	for (;;) {
		char *o = cells[n];
		size_t k = 0;
		if (*s == '"') {
			s++;
			while (*s && !(*s == '"' && s[1] != '"')) {
				if (*s == '"')
					s++;
				if (k < 255)
					o[k++] = *s;
				s++;
			}
			s += *s == '"';
		} else {
			while (*s && *s != ',' && *s != '\r' && *s != '\n')
				if (k < 255)
					o[k++] = *s++;
				else
					s++;
		}
		o[k] = '\0';
		if (n < max - 1)
			n++;
		if (*s == ',') {
			s++;
			continue;
		}
		break;
	}
	if (*s == '\r')
		s++;
	if (*s == '\n')
		s++;
	*p = s;
	return n;
}

static void test_hostile_csv(void **st)
{
	(void)st;
	struct analysis *a = build(true);
	char *s = render(csv_labels_fn, a, NULL);
	dump("labels.csv", s);
	assert_true(valid_utf8(s));
	static char cells[32][256];
	const char *p = s;
	size_t head = csv_record(&p, cells, 32), rows = 0;
	while (*p) {
		size_t n = csv_record(&p, cells, 32);
		assert_int_equal(n, head);
		const char *c = cells[0];
		while (*c == ' ')
			c++;
		if (strchr("=+-@\t\r", *c) && *c)
			fail_msg("CSV cell not neutralised: %s", cells[0]);
		rows++;
	}
	assert_int_equal(rows, a->nlabels + 1);
	assert_non_null(strstr(s, "\"'=cmd|' /C calc'!A0\""));
	free(s);
	s = render(csv_series_fn, a, NULL);
	dump("series.csv", s);
	free(s);
	analysis_free(a);
}

/* ---- escaping ---------------------------------------------------------------------------- */

static char *esc(void (*fn)(struct strbuf *, const char *, size_t), const char *s)
{
	struct strbuf sb = STRBUF_INIT;
	fn(&sb, s, strlen(s));
	return sb.len ? strbuf_detach(&sb) : (strbuf_release(&sb), strdup(""));
}

static void expect(void (*fn)(struct strbuf *, const char *, size_t), const char *in, const char *want)
{
	char *got = esc(fn, in);
	assert_string_equal(got, want);
	free(got);
}

static void test_escape(void **st)
{
	(void)st;
	expect(esc_gnuplot, "a\"b\\c", "a\\\"b\\\\c");
	expect(esc_gnuplot, "x@y_z^{}~", "x\\\\@y\\\\_z\\\\^\\\\{\\\\}\\\\~");
	expect(esc_gnuplot, "`id`\n", "'id' ");
	expect(esc_gnuplot, "a&b", "a\xef\xbc\x86" "b");
	expect(esc_gnuplot, "\xff\xc3(é", "?" "?(é");
	expect(esc_csv_cell, "=1+1", "\"'=1+1\"");
	expect(esc_csv_cell, "  =1+1", "\"'  =1+1\"");
	expect(esc_csv_cell, "-12.5", "-12.5");
	expect(esc_csv_cell, "-1+cmd", "\"'-1+cmd\"");
	expect(esc_csv_cell, "a,b", "\"a,b\"");
	expect(esc_csv_cell, "say \"hi\"", "\"say \"\"hi\"\"\"");
	expect(esc_csv_cell, "x\xffy", "x\xef\xbf\xbdy");
	expect(esc_md_cell, "a|b $x$ `c`", "a\\|b \\$x\\$ \\`c\\`");
	expect(esc_md_cell, "<b>\n&", "&lt;b&gt; &amp;");
	expect(esc_html, "<a href='x'>&\x01", "&lt;a href=&#39;x&#39;&gt;&amp;\xef\xbf\xbd");
}

static void test_svg_safe(void **st)
{
	(void)st;
	static const char *const bad[] = {
		"<svg xmlns=\"http://www.w3.org/2000/svg\"><script>alert(1)</script></svg>",
		"<svg xmlns=\"http://www.w3.org/2000/svg\" onload=\"alert(1)\"/>",
		"<svg xmlns=\"http://www.w3.org/2000/svg\" xmlns:xlink=\"http://www.w3.org/1999/xlink\"><use xlink:href=\"http://x/y#a\"/></svg>",
		"<svg xmlns=\"http://www.w3.org/2000/svg\"><foreignObject/></svg>",
		"<svg xmlns=\"http://www.w3.org/2000/svg\"><g style=\"fill:url(http://x/)\"/></svg>",
		"<?xml version=\"1.0\"?><!DOCTYPE svg [<!ENTITY x \"y\">]><svg/>",
		"<svg><g></svg>",
		"<html><svg/></html>",
		"<svg xmlns=\"http://evil/\"/>",
		"<svg><?php x ?></svg>",
	};
	for (size_t i = 0; i < ARRAY_LEN(bad); i++)
		if (charts_svg_safe(bad[i], strlen(bad[i]), NULL, 0))
			fail_msg("accepted unsafe SVG %zu: %s", i, bad[i]);
	const char *good = "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<svg xmlns=\"http://www.w3.org/2000/svg\" "
			   "xmlns:xlink=\"http://www.w3.org/1999/xlink\"><defs><path id='p'/></defs>"
			   "<use xlink:href='#p'/><g clip-path=\"url(#c)\"><text>&lt;script&gt;</text></g></svg>";
	char why[64];
	assert_true(charts_svg_safe(good, strlen(good), why, sizeof why));
}

/* ---- charts ----------------------------------------------------------------------------- */

static char *tmpdir_new(void)
{
	char *t = strdup("/tmp/jtlscope-test-reports.XXXXXX");
	assert_non_null(mkdtemp(t));
	return t;
}

static size_t count_entries(const char *dir)
{
	DIR *d = opendir(dir);
	size_t n = 0;
	for (struct dirent *e; d && (e = readdir(d));)
		n += e->d_name[0] != '.';
	if (d)
		closedir(d);
	return n;
}

static void rm_rf(const char *dir)
{
	char *cmd[] = { (char *)"rm", (char *)"-rf", (char *)dir, NULL };
	pid_t pid = fork();
	if (pid == 0) {
		execvp(cmd[0], cmd);
		_exit(127);
	}
	int status;
	waitpid(pid, &status, 0);
}

static bool have_gnuplot(void)
{
	const char *path = getenv("PATH");
	if (!path)
		return false;
	char *copy = strdup(path), *save = NULL;
	bool found = false;
	for (char *d = strtok_r(copy, ":", &save); d && !found; d = strtok_r(NULL, ":", &save)) {
		char *p = xasprintf("%s/gnuplot", d);
		found = access(p, X_OK) == 0;
		free(p);
	}
	free(copy);
	return found;
}

static void charts_check(enum chart_format fmt, bool hostile)
{
	if (!have_gnuplot()) {
		skip();
		return;
	}
	struct analysis *a = build(hostile);
	const char *keep = getenv("REPORTS_DUMP");
	char *out = keep ? xasprintf("%s/out-%s%s", keep, charts_ext(fmt), hostile ? "-hostile" : "") : tmpdir_new();
	char *tmp = tmpdir_new();
	if (keep)
		mkdir(out, 0777);
	char *old_tmp = getenv("TMPDIR") ? strdup(getenv("TMPDIR")) : NULL;
	setenv("TMPDIR", tmp, 1);
	struct chart_set cs;
	int rc = charts_render(a, out, fmt, &cs);
	if (old_tmp)
		setenv("TMPDIR", old_tmp, 1);
	else
		unsetenv("TMPDIR");
	free(old_tmp);
	assert_int_equal(rc, 0);
	if (cs.warning)
		print_message("# charts warning: %s\n", cs.warning);
	assert_int_equal(count_entries(tmp), 0); /* temp dir removed */
	assert_true(cs.n >= 4);
	for (size_t i = 0; i < cs.n; i++) {
		char why[128] = "";
		if (!charts_svg_safe(cs.v[i].svg, strlen(cs.v[i].svg), why, sizeof why))
			fail_msg("chart %s: %s", cs.v[i].name, why);
		assert_non_null(cs.v[i].path);
		char *p = xasprintf("%s/%s", out, cs.v[i].path);
		struct stat sb;
		assert_int_equal(stat(p, &sb), 0);
		assert_true(sb.st_size > 100);
		if (hostile && getenv("REPORTS_DUMP") && fmt == CHART_SVG) {
			char *n = xasprintf("chart-%s.svg", cs.v[i].name);
			dump(n, cs.v[i].svg);
			free(n);
		}
		free(p);
	}
	assert_string_equal(cs.v[0].name, "throughput");
	assert_non_null(strstr(cs.v[0].svg, "throttle onset"));
	bool regions = false;
	for (size_t i = 0; i < cs.n; i++)
		regions |= strcmp(cs.v[i].name, "regions") == 0;
	assert_true(regions);
	struct report_meta m = { .version = "1", .charts = &cs };
	char *html = render(report_html, a, &m);
	char *md = render(report_md, a, &m);
	assert_non_null(strstr(html, "<svg"));
	assert_non_null(strstr(html, "c1-gp"));
	assert_null(strcasestr(html, "<script"));
	assert_null(strstr(html, "<?xml"));
	char *link = xasprintf("(charts/throughput.%s)", charts_ext(fmt));
	assert_non_null(strstr(md, link));
	free(link);
	if (hostile) {
		dump("report-charts.html", html);
		dump("report-charts.md", md);
	}
	free(html);
	free(md);
	chart_set_free(&cs);
	if (!keep)
		rm_rf(out);
	rm_rf(tmp);
	free(out);
	free(tmp);
	analysis_free(a);
}

static void test_charts_svg(void **st)
{
	(void)st;
	charts_check(CHART_SVG, false);
}

static void test_charts_hostile(void **st)
{
	(void)st;
	charts_check(CHART_SVG, true);
}

static void test_charts_png(void **st)
{
	(void)st;
	charts_check(CHART_PNG, false);
}

static void test_charts_without_gnuplot(void **st)
{
	(void)st;
	struct analysis *a = build(false);
	setenv(CHARTS_ENV_GNUPLOT, "/nonexistent/gnuplot", 1);
	struct chart_set cs;
	assert_int_equal(charts_render(a, NULL, CHART_SVG, &cs), 0);
	unsetenv(CHARTS_ENV_GNUPLOT);
	assert_int_equal(cs.n, 0);
	assert_non_null(cs.warning);
	assert_non_null(strstr(cs.warning, "apt-get install gnuplot-nox"));
	struct report_meta m = { .charts = &cs };
	char *html = render(report_html, a, &m);
	assert_non_null(strstr(html, "apt-get install gnuplot-nox"));
	char *md = render(report_md, a, &m);
	assert_non_null(strstr(md, "## Charts"));
	free(html);
	free(md);
	chart_set_free(&cs);
	assert_int_equal(charts_render(a, NULL, CHART_NONE, &cs), 0);
	assert_int_equal(cs.n, 0);
	assert_null(cs.warning);
	analysis_free(a);
}

static void test_chart_format(void **st)
{
	(void)st;
	enum chart_format f;
	assert_true(charts_parse_format("svg", &f) && f == CHART_SVG);
	assert_true(charts_parse_format("png", &f) && f == CHART_PNG);
	assert_true(charts_parse_format("none", &f) && f == CHART_NONE);
	assert_false(charts_parse_format("gif", &f));
	assert_string_equal(charts_ext(CHART_PNG), "png");
	assert_null(charts_ext(CHART_NONE));
}

/* --tz: the zone of every wall-clock time in the reports (reports/report_time.h). */
static void test_report_time(void **st)
{
	(void)st;
	char b[256];
	int64_t t = 1764292639550; /* 2025-11-28 01:17:19.550 UTC */
	assert_true(report_tz_set(NULL, 0));
	report_time(b, sizeof b, t, RT_DATE | RT_MS | RT_ZONE);
	assert_string_equal(b, "2025-11-28 01:17:19.550 UTC");
	report_time(b, sizeof b, t, 0);
	assert_string_equal(b, "01:17:19");
	assert_true(report_tz_is_utc());
	if (access("/usr/share/zoneinfo/Asia/Singapore", R_OK) == 0) {
		assert_true(report_tz_set("Asia/Singapore", 0));
		report_time(b, sizeof b, t, RT_DATE | RT_MS | RT_ZONE);
		assert_string_equal(b, "2025-11-28 09:17:19.550 +08 (Asia/Singapore)");
		report_zone_label(b, sizeof b, t);
		assert_string_equal(b, "+08 (Asia/Singapore)");
		assert_int_equal(report_tz_offset_s(t), 8 * 3600);
		assert_true(report_local_s(t) - (double)t / 1000.0 == 8 * 3600.0);
		assert_string_equal(report_tz_name(), "Asia/Singapore");
	}
	if (access("/usr/share/zoneinfo/Europe/Berlin", R_OK) == 0) {
		/* 2026-03-29 01:00 UTC: 02:00 CET becomes 03:00 CEST */
		assert_true(report_tz_set("Europe/Berlin", 0));
		report_time_range(b, sizeof b, 1774745999000, 1774746001000, "->");
		assert_string_equal(b, "2026-03-29 01:59:59.000 +01 -> 2026-03-29 03:00:01.000 +02 (Europe/Berlin)");
		report_time_range(b, sizeof b, 1774746001000, 1774746002500, "->");
		assert_string_equal(b, "2026-03-29 03:00:01.000 -> 2026-03-29 03:00:02.500 +02 (Europe/Berlin)");
		/* after the end of daylight saving time (2026-10-25): CET again */
		report_time(b, sizeof b, 1792976400000 + 1000, RT_ZONE);
		assert_string_equal(b, "02:00:01 +01 (Europe/Berlin)");
	}
	assert_true(report_tz_set(NULL, 330));
	report_time(b, sizeof b, t, RT_DATE | RT_ZONE);
	assert_string_equal(b, "2025-11-28 06:47:19 +05:30");
	assert_string_equal(report_tz_name(), "UTC+05:30");
	assert_true(report_tz_set(NULL, -150));
	report_time(b, sizeof b, t, RT_ZONE);
	assert_string_equal(b, "22:47:19 -02:30");
	/* before 1970 */
	assert_true(report_tz_set(NULL, 0));
	report_time(b, sizeof b, -1, RT_DATE | RT_MS);
	assert_string_equal(b, "1969-12-31 23:59:59.999");
	char longname[REPORT_TZ_NAME_MAX + 2];
	memset(longname, 'A', sizeof longname - 1);
	longname[sizeof longname - 1] = '\0';
	assert_false(report_tz_set(longname, 0));
	assert_true(report_tz_is_utc());
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_report_time),
		cmocka_unit_test(test_md_numbers),
		cmocka_unit_test(test_html_numbers),
		cmocka_unit_test(test_csv_numbers),
		cmocka_unit_test(test_no_throttle),
		cmocka_unit_test(test_hostile_md),
		cmocka_unit_test(test_hostile_html),
		cmocka_unit_test(test_hostile_csv),
		cmocka_unit_test(test_escape),
		cmocka_unit_test(test_svg_safe),
		cmocka_unit_test(test_chart_format),
		cmocka_unit_test(test_charts_without_gnuplot),
		cmocka_unit_test(test_charts_svg),
		cmocka_unit_test(test_charts_hostile),
		cmocka_unit_test(test_charts_png),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
