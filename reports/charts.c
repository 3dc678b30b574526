/* charts.c - gnuplot charts of an analysis (see charts.h).
 *
 * One gnuplot process per chart, started with posix_spawnp (no shell) inside a private temp
 * dir that holds its script, its data files and its output; nothing but numbers and
 * esc_gnuplot-escaped text reaches the script, and no path at all (gnuplot runs with the temp
 * dir as its working directory and -d, so no ~/.gnuplot is read).
 */
#include "reports/charts.h"

#include <dirent.h>
#include <errno.h>
#include <expat.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "reports/escape.h"
#include "reports/report.h"
#include "reports/report_time.h"
#include "reports/spawn.h"

#define CHART_W 960
#define CHART_H 420
#define REGION_PANEL_H 230
#define LOG_EXCERPT 240

static const char INSTALL_HINT[] =
	"install gnuplot to get charts (Debian/Ubuntu: apt-get install gnuplot-nox)";

bool charts_parse_format(const char *s, enum chart_format *out)
{
	if (strcmp(s, "svg") == 0)
		*out = CHART_SVG;
	else if (strcmp(s, "png") == 0)
		*out = CHART_PNG;
	else if (strcmp(s, "none") == 0)
		*out = CHART_NONE;
	else
		return false;
	return true;
}

const char *charts_ext(enum chart_format fmt)
{
	return fmt == CHART_SVG ? "svg" : fmt == CHART_PNG ? "png" : NULL;
}

void chart_set_free(struct chart_set *cs)
{
	for (size_t i = 0; i < cs->n; i++) {
		free(cs->v[i].name);
		free(cs->v[i].title);
		free(cs->v[i].path);
		free(cs->v[i].svg);
	}
	free(cs->v);
	free(cs->warning);
	memset(cs, 0, sizeof *cs);
}

/* ---- SVG check ------------------------------------------------------------------------- */

struct svg_check {
	XML_Parser p;
	const char *why;
};

static void svg_reject(struct svg_check *c, const char *why)
{
	if (!c->why)
		c->why = why;
	XML_StopParser(c->p, XML_FALSE);
}

static bool svg_bad_element(const char *name)
{
	static const char *const bad[] = {
		"script", "foreignObject", "iframe", "object", "embed", "image", "a", "style",
		"animate", "animateMotion", "animateTransform", "set", "handler", "listener",
		"feImage", "audio", "video", "link", "meta", "base",
	};
	if (strchr(name, ':'))
		return true;
	for (size_t i = 0; i < ARRAY_LEN(bad); i++)
		if (strcasecmp(name, bad[i]) == 0)
			return true;
	return false;
}

/* Why an attribute is unsafe, or NULL. */
static const char *svg_bad_attr(const char *name, const char *value)
{
	if (strncasecmp(name, "on", 2) == 0)
		return "event handler attribute";
	if (strcmp(name, "xmlns") == 0)
		return strcmp(value, "http://www.w3.org/2000/svg") ? "foreign namespace" : NULL;
	if (strcmp(name, "xmlns:xlink") == 0)
		return strcmp(value, "http://www.w3.org/1999/xlink") ? "foreign namespace" : NULL;
	if (strncmp(name, "xmlns", 5) == 0)
		return "foreign namespace";
	const char *colon = strchr(name, ':');
	const char *local = colon ? colon + 1 : name;
	if (strcasecmp(local, "href") == 0 && value[0] != '#')
		return "reference outside the document";
	for (const char *u = value; (u = strstr(u, "url(")) != NULL; u += 4)
		if (u[4] != '#')
			return "url() outside the document";
	if (strcasestr(value, "javascript:") || strcasestr(value, "@import") ||
	    strcasestr(value, "expression("))
		return "active content in an attribute";
	return NULL;
}

static void XMLCALL svg_start(void *ud, const XML_Char *name, const XML_Char **attr)
{
	struct svg_check *c = ud;
	if (svg_bad_element(name)) {
		svg_reject(c, "forbidden element");
		return;
	}
	for (size_t i = 0; attr[i]; i += 2) {
		const char *why = svg_bad_attr(attr[i], attr[i + 1]);
		if (why) {
			svg_reject(c, why);
			return;
		}
	}
}

static void XMLCALL svg_doctype(void *ud, const XML_Char *name, const XML_Char *sysid,
				const XML_Char *pubid, int has_internal)
{
	(void)name, (void)sysid, (void)pubid, (void)has_internal;
	svg_reject(ud, "DOCTYPE declaration");
}

static void XMLCALL svg_pi(void *ud, const XML_Char *target, const XML_Char *data)
{
	(void)target, (void)data;
	svg_reject(ud, "processing instruction");
}

bool charts_svg_safe(const char *svg, size_t n, char *why, size_t whylen)
{
	struct svg_check c = { XML_ParserCreate("UTF-8"), NULL };
	if (!c.p) {
		if (why)
			snprintf(why, whylen, "cannot create an XML parser");
		return false;
	}
	XML_SetUserData(c.p, &c);
	XML_SetStartElementHandler(c.p, svg_start);
	XML_SetStartDoctypeDeclHandler(c.p, svg_doctype);
	XML_SetProcessingInstructionHandler(c.p, svg_pi);
	size_t i = 0;
	while (i < n && (svg[i] == ' ' || svg[i] == '\n' || svg[i] == '\r' || svg[i] == '\t'))
		i++;
	bool ok = n - i >= 4 && (strncmp(svg + i, "<?xml", 5) == 0 || strncmp(svg + i, "<svg", 4) == 0);
	if (!ok)
		c.why = "does not start with <?xml or <svg";
	else if (n > CHARTS_MAX_SVG)
		c.why = "too large", ok = false;
	else if (XML_Parse(c.p, svg, (int)n, XML_TRUE) != XML_STATUS_OK || c.why) {
		ok = false;
		if (!c.why)
			c.why = XML_ErrorString(XML_GetErrorCode(c.p));
	}
	if (!ok && why)
		snprintf(why, whylen, "%s", c.why ? c.why : "invalid");
	XML_ParserFree(c.p);
	return ok;
}

/* ---- files ------------------------------------------------------------------------------ */

/* Whole file into a NUL-terminated buffer; NULL when missing, empty or larger than max. */
static char *slurp(const char *path, size_t max, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	struct strbuf sb = STRBUF_INIT;
	char buf[65536];
	size_t r;
	while ((r = fread(buf, 1, sizeof buf, f)) > 0 && sb.len <= max)
		strbuf_add(&sb, buf, r);
	fclose(f);
	if (sb.len == 0 || sb.len > max) {
		strbuf_release(&sb);
		return NULL;
	}
	*len = sb.len;
	return strbuf_detach(&sb);
}

static int write_bytes(const char *path, const char *p, size_t n)
{
	FILE *f = fopen(path, "wb");
	if (!f)
		return -1;
	size_t w = fwrite(p, 1, n, f);
	int rc = fclose(f);
	return w == n && rc == 0 ? 0 : -1;
}

/* Remove the temp dir and the plain files in it (it holds nothing else). */
static void rm_tmpdir(const char *dir)
{
	DIR *d = opendir(dir);
	if (d) {
		struct dirent *e;
		while ((e = readdir(d)) != NULL) {
			if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
				continue;
			char *p = xasprintf("%s/%s", dir, e->d_name);
			unlink(p);
			free(p);
		}
		closedir(d);
	}
	rmdir(dir);
}

static char *make_tmpdir(void)
{
	const char *base = getenv("TMPDIR");
	if (!base || !base[0])
		base = "/tmp";
	char *t = xasprintf("%s/jtlscope-charts.XXXXXX", base);
	if (!mkdtemp(t)) {
		free(t);
		return NULL;
	}
	return t;
}

/* ---- data ------------------------------------------------------------------------------- */

struct point {
	double t_s, accepted, throttled, other;  /* requests per second */
	double threads, throttled_pct;
	double p50, p95, p99, ok_p50, ok_p95, ok_p99;  /* NaN when the bucket has none */
};

/* Which latency columns have at least one value (a plot of nothing stops gnuplot). */
struct have {
	bool all, ok, threads;
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
static int write_series(const char *path, const struct series *s, struct have *h)
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
static int write_region(const char *path, const struct throttle_series *s)
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

/* ---- scripts ---------------------------------------------------------------------------- */

struct job {
	const char *name;
	char *title;          /* plain text (input text possible) */
	int w, h;
	struct strbuf body;   /* gnuplot commands after terminal/output */
};

static void gp_str(struct strbuf *sb, const char *s)
{
	strbuf_addch(sb, '"');
	esc_gnuplot(sb, s, strlen(s));
	strbuf_addch(sb, '"');
}

static void gp_time_axis(struct strbuf *sb, const struct analysis *a)
{
	int64_t start = analysis_start_ms(a), end = analysis_end_ms(a);
	const struct series *s = &a->series;
	if (s->n && s->base_ms < start)
		start = s->base_ms;
	if (s->n && s->base_ms + (int64_t)s->n * s->width_ms > end)
		end = s->base_ms + (int64_t)s->n * s->width_ms;
	if (end - start < 1000)
		end = start + 1000;
	char t0[64];
	report_time(t0, sizeof t0, start, RT_DATE);
	t0[10] = '\0';
	/* gnuplot formats times as UTC: every x value is shifted into the report zone */
	strbuf_addstr(sb, "set xdata time\nset xlabel ");
	char *xl = end - start > 86400000 ? xasprintf("time (%s)", report_tz_name())
					  : xasprintf("time (%s), %s", report_tz_name(), t0);
	gp_str(sb, xl);
	free(xl);
	if (end - start > 86400000)
		strbuf_addf(sb, "\nset format x \"%%m-%%d\\n%%H:%%M\"\n");
	else
		strbuf_addf(sb, "\nset format x \"%%H:%%M:%%S\"\n");
	strbuf_addf(sb, "set xrange [%.3f:%.3f]\n", report_local_s(start), report_local_s(end));
}

/* A dashed vertical line at a throttle onset, labelled with its UTC time. */
static void gp_onset(struct strbuf *sb, const struct throttle_onset *o)
{
	if (!o || !o->detected)
		return;
	char t[96];
	report_time(t, sizeof t, o->ts_ms, RT_ZONE);
	char *paren = strstr(t, " (");
	if (paren)
		*paren = '\0';
	double x = report_local_s(o->ts_ms);
	strbuf_addf(sb, "set arrow from %.3f, graph 0 to %.3f, graph 1 nohead lw 2 dt 2 lc rgb \"#b00020\" front\n", x, x);
	strbuf_addf(sb, "set label \"throttle onset %s\" at %.3f, graph 0.96 left offset 0.5,0 "
			"tc rgb \"#b00020\" front\n", t, x);
}

static const struct throttle_result *tresult(const struct analysis *a)
{
	return a->throttle ? throttle_result(a->throttle) : NULL;
}

static const struct throttle_onset *overall_onset(const struct analysis *a)
{
	const struct throttle_result *r = tresult(a);
	return r && r->overall.onset.detected ? &r->overall.onset : NULL;
}

static void job_throughput(struct job *j, const struct analysis *a)
{
	struct strbuf *b = &j->body;
	gp_time_axis(b, a);
	gp_onset(b, overall_onset(a));
	strbuf_addstr(b, "set ylabel \"requests per second\"\nset yrange [0:*]\n"
			 "set style fill solid 0.75 noborder\n"
			 "plot \"series.dat\" using ($1):4 with fillsteps lc rgb \"#9e9e9e\" title \"other errors\", \\\n"
			 "  \"\" using ($1):3 with fillsteps lc rgb \"#d62728\" title \"throttled\", \\\n"
			 "  \"\" using ($1):2 with fillsteps lc rgb \"#2ca02c\" title \"accepted\"\n");
}

/* The group the verdict is about (its threads are the verdict's), or NULL without one that
 * has per-key and fine series. */
static const struct throttle_group *verdict_group(const struct analysis *a)
{
	const struct throttle_result *r = tresult(a);
	if (!r)
		return NULL;
	const struct throttle_group *g = r->primary ? r->primary : &r->overall;
	if (!g->keys.n || !g->keys.threads || g->keys.width_ms <= 0 || !g->fine.n || !g->fine.sent ||
	    !g->fine.throttled || g->fine.width_ms <= 0)
		return NULL;
	return g;
}

/* threads.dat: t senders throttled% per per-key bucket of the group (its fine series summed) */
static int write_group_threads(const char *path, const struct throttle_group *g)
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

/* Threads of the verdict's group, as the verdict counts them: senders to the group per per-key
 * bucket, and at the onset the verdict's own number (senders over its trailing window). */
static void job_group_threads(struct job *j, const struct analysis *a, const struct throttle_group *g)
{
	struct strbuf *b = &j->body;
	const struct throttle_onset *o = &g->onset;
	gp_time_axis(b, a);
	gp_onset(b, o->detected ? o : NULL);
	bool all = g == &tresult(a)->overall;
	if (o->detected) {
		char *txt = xasprintf("%u %s sending in the %.0f s before the onset", o->threads,
				      g->scope.key_is_connection ? "connections" : "threads", o->window_s);
		strbuf_addstr(b, "set label ");
		gp_str(b, txt);
		strbuf_addf(b, " at %.3f, %u point pt 7 ps 1.3 lc rgb \"#b00020\" offset 1,-1 front\n",
			    report_local_s(o->ts_ms), o->threads);
		free(txt);
	}
	char *who = all ? xstrdup("threads sending") : xasprintf("threads sending to %s", g->name);
	strbuf_addstr(b, "set ylabel ");
	gp_str(b, who);
	strbuf_addstr(b, "\nset y2label \"throttled (% of its requests)\"\n"
			 "set y2range [0:100]\nset ytics nomirror\nset y2tics\n");
	uint32_t ymax = o->detected ? o->threads : 0;
	for (size_t i = 0; i < g->keys.n; i++)
		if (g->keys.threads[i] > ymax)
			ymax = g->keys.threads[i];
	/* room for the onset's number, which counts a wider window than one bucket */
	strbuf_addf(b, "set yrange [0:%.0f]\n", ceil((double)ymax * 1.15) + 1);
	strbuf_addstr(b, "plot \"threads.dat\" using ($1):2 with steps lw 2 lc rgb \"#1f77b4\" title ");
	char *lt = xasprintf("%s (per %.0f s)", who, (double)g->keys.width_ms / 1000.0);
	gp_str(b, lt);
	strbuf_addstr(b, ", \\\n  \"\" using ($1):3 axes x1y2 with lines lw 2 lc rgb \"#d62728\" "
			 "title \"throttled %\"\n");
	free(lt);
	free(who);
}

static void job_threads(struct job *j, const struct analysis *a)
{
	struct strbuf *b = &j->body;
	gp_time_axis(b, a);
	gp_onset(b, overall_onset(a));
	strbuf_addstr(b, "set ylabel \"active threads\"\nset y2label \"throttled (% of requests)\"\n"
			 "set yrange [0:*]\nset y2range [0:100]\nset ytics nomirror\nset y2tics\n"
			 "plot \"series.dat\" using ($1):5 with steps lw 2 lc rgb \"#1f77b4\" title \"active threads\", \\\n"
			 "  \"\" using ($1):6 axes x1y2 with lines lw 2 lc rgb \"#d62728\" title \"throttled %\"\n");
}

static void job_latency(struct job *j, const struct analysis *a, const struct have *h)
{
	struct strbuf *b = &j->body;
	gp_time_axis(b, a);
	gp_onset(b, overall_onset(a));
	strbuf_addstr(b, "set ylabel \"elapsed (ms)\"\nset yrange [0:*]\nplot ");
	static const char *const name[] = { "p50", "p95", "p99" };
	static const char *const color[] = { "#2ca02c", "#ff7f0e", "#d62728" };
	const char *sep = "";
	for (int k = 0; k < 3 && h->ok; k++, sep = ", \\\n  ")
		strbuf_addf(b, "%s\"series.dat\" using ($1):%d with lines lw 2 lc rgb \"%s\" title \"%s successful\"",
			    sep, 10 + k, color[k], name[k]);
	for (int k = 0; k < 3 && h->all; k++, sep = ", \\\n  ")
		strbuf_addf(b, "%s\"series.dat\" using ($1):%d with lines lw 1 dt 2 lc rgb \"%s\" title \"%s all\"",
			    sep, 7 + k, color[k], name[k]);
	strbuf_addch(b, '\n');
}

static void job_scatter(struct job *j, const struct have *h)
{
	struct strbuf *b = &j->body;
	strbuf_addstr(b, "set xlabel \"active threads\"\nset ylabel \"elapsed (ms)\"\n"
			 "set xrange [0:*]\nset yrange [0:*]\nplot ");
	if (h->ok)
		strbuf_addstr(b, "\"series.dat\" using 5:11 with points pt 7 ps 0.7 lc rgb \"#1f77b4\" title \"p95 successful\"");
	if (h->ok && h->all)
		strbuf_addstr(b, ", \\\n  ");
	if (h->all)
		strbuf_addstr(b, "\"series.dat\" using 5:8 with points pt 6 ps 0.7 lc rgb \"#d62728\" title \"p95 all\", \\\n"
				 "  \"series.dat\" using 5:7 with points pt 1 ps 0.7 lc rgb \"#7f7f7f\" title \"p50 all\"");
	strbuf_addch(b, '\n');
}

static void job_regions(struct job *j, const struct analysis *a, size_t ngroups)
{
	const struct throttle_result *r = tresult(a);
	struct strbuf *b = &j->body;
	strbuf_addf(b, "set multiplot layout %zu,1\n", ngroups);
	for (size_t i = 0; i < ngroups; i++) {
		const struct throttle_group *g = &r->groups[i];
		strbuf_addstr(b, "unset arrow\nunset label\n");
		gp_time_axis(b, a);
		gp_onset(b, &g->onset);
		strbuf_addstr(b, "set title ");
		gp_str(b, g->name);
		strbuf_addstr(b, "\nset ylabel \"requests per second\"\nset yrange [0:*]\n");
		strbuf_addf(b, "plot \"region%zu.dat\" using ($1):2 with lines lw 2 lc rgb \"#2ca02c\" title \"accepted\", \\\n"
			       "  \"\" using ($1):3 with lines lw 2 lc rgb \"#d62728\" title \"throttled\", \\\n"
			       "  \"\" using ($1):4 with lines lw 1 lc rgb \"#7f7f7f\" title \"other errors\"\n", i);
	}
	strbuf_addstr(b, "unset multiplot\n");
}

/* connections.dat: row (connection order) start_s end_s outcome, one line per exchange */
static int write_segments(const char *path, const struct analysis *a, size_t *nconn)
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

static void job_connections(struct job *j, const struct analysis *a, size_t nconn)
{
	struct strbuf *b = &j->body;
	gp_time_axis(b, a);
	gp_onset(b, overall_onset(a));
	strbuf_addf(b, "set ylabel \"connection (in order of first packet)\"\nset yrange [0:%zu]\n"
		       "set ytics out\n", nconn + 1);
	/* accepted exchanges as segments (start..end); throttled and failed ones also as dots,
	 * since a throttled answer is often too short to see as a segment */
	strbuf_addstr(b, "plot \"connections.dat\" using ($2):($4 == 0 ? $1 : 1/0):($3 - $2):(0) "
			 "with vectors nohead lw 3 lc rgb \"#2ca02c\" title \"accepted\", \\\n"
			 "  \"\" using ($2):($4 == 1 ? $1 : 1/0) with points pt 7 ps 0.45 lc rgb \"#d62728\" "
			 "title \"throttled\", \\\n"
			 "  \"\" using ($2):($4 == 2 ? $1 : 1/0) with points pt 5 ps 0.45 lc rgb \"#7f7f7f\" "
			 "title \"other errors\"\n");
}

static void script_block(struct strbuf *sb, const struct job *j, enum chart_format fmt)
{
	if (fmt == CHART_SVG)
		strbuf_addf(sb, "set terminal svg size %d,%d dynamic enhanced font \"sans,11\" background \"white\"\n",
			    j->w, j->h);
	else
		strbuf_addf(sb, "set terminal pngcairo size %d,%d enhanced font \"sans,10\" background \"white\"\n",
			    j->w, j->h);
	strbuf_addf(sb, "set output \"%s.%s\"\nset encoding utf8\nset grid\n"
			"set key below center horizontal\n", j->name, charts_ext(fmt));
	if (strcmp(j->name, "regions") != 0) {
		strbuf_addstr(sb, "set title ");
		gp_str(sb, j->title);
		strbuf_addch(sb, '\n');
	}
	strbuf_add(sb, j->body.buf, j->body.len);
	strbuf_addstr(sb, "unset output\nreset\n");
}

/* ---- running and collecting ------------------------------------------------------------- */

struct ctx {
	const struct analysis *a;
	const char *tmp, *outdir;
	enum chart_format fmt;
	struct chart_set *out;
	struct strbuf warn;
	bool gnuplot_missing;
	int write_errno;
};

static void warnf(struct ctx *c, const char *fmt, const char *name, const char *detail)
{
	if (c->warn.len)
		strbuf_addch(&c->warn, ' ');
	strbuf_addf(&c->warn, fmt, name, detail);
}

/* First lines of gnuplot's log (its error message), on one line. */
static char *log_excerpt(const char *tmp)
{
	char *p = xasprintf("%s/gnuplot.log", tmp);
	size_t n = 0;
	char *s = slurp(p, 1u << 20, &n);
	free(p);
	if (!s)
		return xstrdup("no message");
	size_t k = n < LOG_EXCERPT ? n : LOG_EXCERPT;
	for (size_t i = 0; i < k; i++)
		if (s[i] == '\n' || s[i] == '\r' || s[i] == '\t')
			s[i] = ' ';
	s[k] = '\0';
	return s;
}

static bool run_gnuplot(struct ctx *c, const struct job *j)
{
	char *script = xasprintf("%s/%s.gp", c->tmp, j->name);
	struct strbuf sb = STRBUF_INIT;
	script_block(&sb, j, CHART_SVG);
	if (c->fmt == CHART_PNG)
		script_block(&sb, j, CHART_PNG);
	int w = write_bytes(script, sb.buf, sb.len);
	strbuf_release(&sb);
	free(script);
	if (w != 0) {
		warnf(c, "chart '%s' not drawn: cannot write its script (%s).", j->name, strerror(errno));
		return false;
	}
	const char *prog = getenv(CHARTS_ENV_GNUPLOT);
	char *gp = xasprintf("%s.gp", j->name);
	char *argv[] = { (char *)(prog && prog[0] ? prog : "gnuplot"), (char *)"-d", gp, NULL };
	struct spawn_opts o = { .dir = c->tmp, .log = "gnuplot.log", .timeout_ms = CHARTS_TIMEOUT_MS };
	int rc = spawn_run(argv, &o);
	free(gp);
	if (rc == SPAWN_NOT_FOUND) {
		c->gnuplot_missing = true;
		return false;
	}
	if (rc != 0) {
		char *log = log_excerpt(c->tmp);
		char *d = rc == SPAWN_TIMEOUT ? xasprintf("timed out after %d s", CHARTS_TIMEOUT_MS / 1000)
			: rc < 0 ? xasprintf("could not run gnuplot: %s", strerror(errno))
				 : xasprintf("gnuplot exited with status %d: %s", rc, log);
		warnf(c, "chart '%s' not drawn: %s.", j->name, d);
		free(d);
		free(log);
		return false;
	}
	return true;
}

/* Replace gnuplot's "<title>Gnuplot</title>" with the chart's own (escaped) title. */
static char *retitle(char *svg, const char *title)
{
	static const char tag[] = "<title>Gnuplot</title>";
	char *p = strstr(svg, tag);
	if (!p)
		return svg;
	struct strbuf sb = STRBUF_INIT;
	strbuf_add(&sb, svg, (size_t)(p - svg));
	strbuf_addstr(&sb, "<title>");
	esc_html(&sb, title, strlen(title));
	strbuf_addstr(&sb, "</title>");
	strbuf_addstr(&sb, p + sizeof tag - 1);
	free(svg);
	return strbuf_detach(&sb);
}

static char *out_path(const struct ctx *c, const char *name, enum chart_format fmt)
{
	return xasprintf("%s/charts/%s.%s", c->outdir, name, charts_ext(fmt));
}

/* Copy the PNG into outdir when it looks like one. */
static bool keep_png(struct ctx *c, const struct job *j)
{
	char *src = xasprintf("%s/%s.png", c->tmp, j->name);
	size_t n = 0;
	char *png = slurp(src, 256u << 20, &n);
	free(src);
	if (!png || n < 8 || memcmp(png, "\x89PNG\r\n\x1a\n", 8) != 0) {
		warnf(c, "chart '%s' not drawn: %s.", j->name, "gnuplot wrote no PNG (is the pngcairo terminal there?)");
		free(png);
		return false;
	}
	char *dst = out_path(c, j->name, CHART_PNG);
	bool ok = write_bytes(dst, png, n) == 0;
	if (!ok && !c->write_errno)
		c->write_errno = errno ? errno : EIO;
	free(dst);
	free(png);
	return ok;
}

static void collect(struct ctx *c, const struct job *j)
{
	char *src = xasprintf("%s/%s.svg", c->tmp, j->name);
	size_t n = 0;
	char *svg = slurp(src, CHARTS_MAX_SVG, &n);
	free(src);
	char why[128];
	if (!svg || !charts_svg_safe(svg, n, why, sizeof why)) {
		warnf(c, "chart '%s' dropped: %s.", j->name, svg ? why : "gnuplot wrote no SVG");
		free(svg);
		return;
	}
	svg = retitle(svg, j->title);
	char *path = NULL;
	if (c->outdir && c->fmt == CHART_PNG && keep_png(c, j)) {
		path = xasprintf("charts/%s.png", j->name);
	} else if (c->outdir && c->fmt == CHART_SVG) {
		char *dst = out_path(c, j->name, CHART_SVG);
		if (write_bytes(dst, svg, strlen(svg)) == 0)
			path = xasprintf("charts/%s.svg", j->name);
		else if (!c->write_errno)
			c->write_errno = errno ? errno : EIO;
		free(dst);
	}
	struct chart_set *cs = c->out;
	cs->v = xrealloc(cs->v, (cs->n + 1) * sizeof *cs->v);
	cs->v[cs->n++] = (struct chart){ xstrdup(j->name), xstrdup(j->title), path, svg };
}

static void draw(struct ctx *c, struct job *j)
{
	if (!c->gnuplot_missing && run_gnuplot(c, j))
		collect(c, j);
	strbuf_release(&j->body);
	free(j->title);
}

/* The per-region panel, when the throttle analysis has several groups with a fine series. */
static void draw_regions(struct ctx *c)
{
	const struct throttle_result *r = tresult(c->a);
	if (!r || r->ngroups < 2)
		return;
	size_t n = r->ngroups < CHARTS_MAX_REGIONS ? r->ngroups : CHARTS_MAX_REGIONS;
	for (size_t i = 0; i < n; i++) {
		char *p = xasprintf("%s/region%zu.dat", c->tmp, i);
		const struct throttle_series *s = &r->groups[i].fine;
		int rc = s->n && s->sent && s->throttled && s->ok && s->width_ms > 0 ? write_region(p, s) : 1;
		free(p);
		if (rc != 0) {
			warnf(c, "chart '%s' not drawn: %s.", "regions",
			      rc > 0 ? "the throttle analysis has no per-region time series" : strerror(errno));
			return;
		}
	}
	if (r->ngroups > n)
		strbuf_addf(&c->warn, "%schart 'regions' shows the first %zu of %zu groups only.",
			    c->warn.len ? " " : "", n, r->ngroups);
	struct job j = { "regions", xstrdup("Accepted and throttled requests per region"), CHART_W,
			 60 + REGION_PANEL_H * (int)n, STRBUF_INIT };
	job_regions(&j, c->a, n);
	draw(c, &j);
}

/* With a capture: one row per connection, its exchanges as segments coloured by outcome. */
static void draw_connections(struct ctx *c)
{
	if (!c->a->nsegments)
		return;
	size_t nconn = 0;
	char *p = xasprintf("%s/connections.dat", c->tmp);
	int rc = write_segments(p, c->a, &nconn);
	free(p);
	if (rc != 0) {
		warnf(c, "chart '%s' not drawn: %s.", "connections", strerror(errno));
		return;
	}
	if (nconn > CHARTS_MAX_STRIP_CONNS)
		strbuf_addf(&c->warn, "%schart 'connections' shows the first %d of %zu connections.",
			    c->warn.len ? " " : "", CHARTS_MAX_STRIP_CONNS, nconn);
	if (c->a->segments_dropped)
		strbuf_addf(&c->warn, "%schart 'connections' shows the first %d exchanges only.",
			    c->warn.len ? " " : "", ANALYSIS_MAX_SEGMENTS);
	size_t rows = nconn < CHARTS_MAX_STRIP_CONNS ? nconn : CHARTS_MAX_STRIP_CONNS;
	int h = CHART_H + (rows > 40 ? (int)(rows - 40) * 4 : 0);
	struct job j = { "connections", xstrdup("Exchanges per captured connection (throttled in red)"),
			 CHART_W, h > 1600 ? 1600 : h, STRBUF_INIT };
	job_connections(&j, c->a, rows);
	draw(c, &j);
}

/* labels.dat: t, then per charted label mean elapsed (NaN when none) and transactions/s;
 * codes.dat: t, then responses/s per status class (non-HTTP, 1xx .. 5xx). */
static int write_label_series(const char *path, const struct lseries_set *ls, size_t nl)
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

static int write_codes(const char *path, const struct series *s, unsigned *seen)
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

static const char *const LABEL_COLORS[LSERIES_CHART_LABELS] = {
	"#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"
};

/* JMeter dashboard parity: Response Time Over Time and Transactions Per Second per label (the
 * busiest LSERIES_CHART_LABELS tracked labels), Response Codes Per Second (by class). */
static void draw_dashboard(struct ctx *c)
{
	const struct analysis *a = c->a;
	const struct lseries_set *ls = &a->lseries;
	size_t nl = ls->nlab < LSERIES_CHART_LABELS ? ls->nlab : LSERIES_CHART_LABELS;
	if (nl && ls->n) {
		char *p = xasprintf("%s/labels.dat", c->tmp);
		int rc = write_label_series(p, ls, nl);
		free(p);
		if (rc != 0) {
			warnf(c, "chart '%s' not drawn: %s.", "label-latency", strerror(errno));
			return;
		}
		if (ls->nlab > nl)
			strbuf_addf(&c->warn, "%scharts 'label-latency' and 'label-tps' show the %zu busiest of %zu labels.",
				    c->warn.len ? " " : "", nl, ls->nlab + ls->untracked_labels);
		if (ls->untracked_labels)
			strbuf_addf(&c->warn, " Only the first %d labels seen are tracked over time (%zu more not charted).",
				    LSERIES_MAX_LABELS, ls->untracked_labels);
		for (int kind = 0; kind < 2; kind++) {
			struct job j = { kind ? "label-tps" : "label-latency",
					 xstrdup(kind ? "Transactions per second by label" : "Response time over time by label (mean)"),
					 CHART_W, CHART_H, STRBUF_INIT };
			gp_time_axis(&j.body, a);
			gp_onset(&j.body, overall_onset(a));
			strbuf_addstr(&j.body, kind ? "set ylabel \"transactions per second\"\n" : "set ylabel \"mean elapsed (ms)\"\n");
			strbuf_addstr(&j.body, "set yrange [0:*]\nset key outside right top vertical Left reverse noenhanced\nplot ");
			for (size_t l = 0; l < nl; l++) {
				strbuf_addf(&j.body, "%s\"labels.dat\" using ($1):%zu with lines lw 2 lc rgb \"%s\" title ",
					    l ? ", \\\n  " : "", 2 + 2 * l + (size_t)kind, LABEL_COLORS[l]);
				gp_str(&j.body, ls->lab[l].name);
			}
			strbuf_addch(&j.body, '\n');
			draw(c, &j);
		}
	}
	unsigned seen = 0;
	char *p = xasprintf("%s/codes.dat", c->tmp);
	int rc = write_codes(p, &a->series, &seen);
	free(p);
	if (rc != 0 || !seen)
		return;
	static const char *const cname[6] = { "not HTTP", "1xx", "2xx", "3xx", "4xx", "5xx" };
	static const char *const ccol[6] = { "#7f7f7f", "#17becf", "#2ca02c", "#1f77b4", "#ff7f0e", "#d62728" };
	struct job j = { "codes", xstrdup("Response codes per second (by class)"), CHART_W, CHART_H, STRBUF_INIT };
	gp_time_axis(&j.body, a);
	gp_onset(&j.body, overall_onset(a));
	strbuf_addstr(&j.body, "set ylabel \"responses per second\"\nset yrange [0:*]\nplot ");
	const char *sep = "";
	for (int k = 0; k < 6; k++) {
		if (!(seen & (1u << k)))
			continue;
		strbuf_addf(&j.body, "%s\"codes.dat\" using ($1):%d with steps lw 2 lc rgb \"%s\" title \"%s\"", sep, 2 + k,
			    ccol[k], cname[k]);
		sep = ", \\\n  ";
	}
	strbuf_addch(&j.body, '\n');
	draw(c, &j);
}

static void draw_all(struct ctx *c)
{
	struct have h;
	char *p = xasprintf("%s/series.dat", c->tmp);
	int rc = write_series(p, &c->a->series, &h);
	free(p);
	if (rc != 0) {
		warnf(c, "charts not drawn: %s%s.", "cannot write their data: ", strerror(errno));
		return;
	}
	struct job j = { "throughput", xstrdup("Throughput by outcome (requests per second)"), CHART_W, CHART_H, STRBUF_INIT };
	job_throughput(&j, c->a);
	draw(c, &j);
	const struct throttle_group *vg = verdict_group(c->a);
	char *tp = vg ? xasprintf("%s/threads.dat", c->tmp) : NULL;
	if (vg && write_group_threads(tp, vg) != 0)
		vg = NULL;
	free(tp);
	if (vg) {
		const struct throttle_result *r = tresult(c->a);
		j = (struct job){ "threads", vg == &r->overall
				  ? xstrdup("Threads sending and throttled share of requests")
				  : xasprintf("Threads sending to %s (the throttled group) and its throttled share", vg->name),
				  CHART_W, CHART_H, STRBUF_INIT };
		job_group_threads(&j, c->a, vg);
	} else {
		j = (struct job){ "threads", xstrdup("Active threads and throttled share of requests"), CHART_W, CHART_H, STRBUF_INIT };
		job_threads(&j, c->a);
	}
	draw(c, &j);
	if (h.ok || h.all) {
		j = (struct job){ "latency", xstrdup("Response time percentiles: successful requests (solid) and all (dashed)"),
				  CHART_W, CHART_H, STRBUF_INIT };
		job_latency(&j, c->a, &h);
		draw(c, &j);
		j = (struct job){ "latency-vs-threads", xstrdup("Response time vs active threads (one point per time bucket)"),
				  CHART_W, CHART_H, STRBUF_INIT };
		job_scatter(&j, &h);
		draw(c, &j);
	}
	draw_dashboard(c);
	draw_regions(c);
	draw_connections(c);
}

int charts_render(const struct analysis *a, const char *outdir, enum chart_format fmt,
		  struct chart_set *out)
{
	memset(out, 0, sizeof *out);
	if (fmt == CHART_NONE)
		return 0;
	struct ctx c = { .a = a, .outdir = outdir, .fmt = fmt, .out = out, .warn = STRBUF_INIT };
	if (a->series.n == 0) {
		out->warning = xstrdup("no charts: no sample has a timestamp.");
		return 0;
	}
	if (outdir) {
		char *d = xasprintf("%s/charts", outdir);
		int mk = mkdir(d, 0777);
		int e = errno;
		free(d);
		if (mk != 0 && e != EEXIST) {
			errno = e;
			out->warning = xasprintf("no charts: cannot create '%s/charts': %s.", outdir, strerror(e));
			return -1;
		}
	}
	char *tmp = make_tmpdir();
	if (!tmp) {
		out->warning = xasprintf("no charts: cannot create a temp dir: %s.", strerror(errno));
		return 0;
	}
	c.tmp = tmp;
	draw_all(&c);
	rm_tmpdir(tmp);
	free(tmp);
	if (c.gnuplot_missing) {
		strbuf_reset(&c.warn);
		strbuf_addf(&c.warn, "no charts: gnuplot was not found; %s.", INSTALL_HINT);
	}
	out->warning = c.warn.len ? strbuf_detach(&c.warn) : NULL;
	strbuf_release(&c.warn);
	if (c.write_errno) {
		errno = c.write_errno;
		return -1;
	}
	return 0;
}
