/* charts.c - gnuplot charts of an analysis (see charts.h): running gnuplot and collecting
 * what it drew.
 *
 * This file owns the chart set and its life: the format names, the private temp dir, which
 * charts are drawn and in what order (charts_render -> draw_all), one gnuplot process per
 * chart, started with posix_spawnp (no shell) inside the temp dir that holds its script, its
 * data files and its output, and the collection of each SVG (checked by charts_svg.c,
 * retitled) or PNG into outdir/charts/, with one warning paragraph for what was not drawn.
 * Nothing but numbers (charts_data.c) and esc_gnuplot-escaped text (charts_script.c) reaches
 * a script, and no path at all (gnuplot runs with the temp dir as its working directory and
 * -d, so no ~/.gnuplot is read).
 */
#include "reports/charts.h"
#include "reports/charts_int.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "reports/escape.h"
#include "reports/spawn.h"

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

static bool run_gnuplot(struct ctx *c, const struct charts_job *j)
{
	char *script = xasprintf("%s/%s.gp", c->tmp, j->name);
	struct strbuf sb = STRBUF_INIT;
	charts_script_block(&sb, j, CHART_SVG);
	if (c->fmt == CHART_PNG)
		charts_script_block(&sb, j, CHART_PNG);
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
static bool keep_png(struct ctx *c, const struct charts_job *j)
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

static void collect(struct ctx *c, const struct charts_job *j)
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

static void draw(struct ctx *c, struct charts_job *j)
{
	if (!c->gnuplot_missing && run_gnuplot(c, j))
		collect(c, j);
	strbuf_release(&j->body);
	free(j->title);
}

/* The per-region panel, when the throttle analysis has several groups with a fine series. */
static void draw_regions(struct ctx *c)
{
	const struct throttle_result *r = charts_tresult(c->a);
	if (!r || r->ngroups < 2)
		return;
	size_t n = r->ngroups < CHARTS_MAX_REGIONS ? r->ngroups : CHARTS_MAX_REGIONS;
	for (size_t i = 0; i < n; i++) {
		char *p = xasprintf("%s/region%zu.dat", c->tmp, i);
		const struct throttle_series *s = &r->groups[i].fine;
		int rc = s->n && s->sent && s->throttled && s->ok && s->width_ms > 0 ? charts_write_region(p, s) : 1;
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
	struct charts_job j = { "regions", xstrdup("Accepted and throttled requests per region"), CHART_W,
			 60 + REGION_PANEL_H * (int)n, STRBUF_INIT };
	charts_job_regions(&j, c->a, n);
	draw(c, &j);
}

/* With a capture: one row per connection, its exchanges as segments coloured by outcome. */
static void draw_connections(struct ctx *c)
{
	if (!c->a->nsegments)
		return;
	size_t nconn = 0;
	char *p = xasprintf("%s/connections.dat", c->tmp);
	int rc = charts_write_segments(p, c->a, &nconn);
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
	struct charts_job j = { "connections", xstrdup("Exchanges per captured connection (throttled in red)"),
			 CHART_W, h > 1600 ? 1600 : h, STRBUF_INIT };
	charts_job_connections(&j, c->a, rows);
	draw(c, &j);
}

/* JMeter dashboard parity: Response Time Over Time and Transactions Per Second per label (the
 * busiest LSERIES_CHART_LABELS tracked labels), Response Codes Per Second (by class). */
static void draw_dashboard(struct ctx *c)
{
	const struct analysis *a = c->a;
	const struct lseries_set *ls = &a->lseries;
	size_t nl = ls->nlab < LSERIES_CHART_LABELS ? ls->nlab : LSERIES_CHART_LABELS;
	if (nl && ls->n) {
		char *p = xasprintf("%s/labels.dat", c->tmp);
		int rc = charts_write_label_series(p, ls, nl);
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
			struct charts_job j = { kind ? "label-tps" : "label-latency",
						xstrdup(kind ? "Transactions per second by label" : "Response time over time by label (mean)"),
						CHART_W, CHART_H, STRBUF_INIT };
			charts_job_labels(&j, a, nl, kind);
			draw(c, &j);
		}
	}
	unsigned seen = 0;
	char *p = xasprintf("%s/codes.dat", c->tmp);
	int rc = charts_write_codes(p, &a->series, &seen);
	free(p);
	if (rc != 0 || !seen)
		return;
	struct charts_job j = { "codes", xstrdup("Response codes per second (by class)"), CHART_W, CHART_H, STRBUF_INIT };
	charts_job_codes(&j, a, seen);
	draw(c, &j);
}

static void draw_all(struct ctx *c)
{
	struct charts_have h;
	char *p = xasprintf("%s/series.dat", c->tmp);
	int rc = charts_write_series(p, &c->a->series, &h);
	free(p);
	if (rc != 0) {
		warnf(c, "charts not drawn: %s%s.", "cannot write their data: ", strerror(errno));
		return;
	}
	struct charts_job j = { "throughput", xstrdup("Throughput by outcome (requests per second)"), CHART_W, CHART_H, STRBUF_INIT };
	charts_job_throughput(&j, c->a);
	draw(c, &j);
	const struct throttle_group *vg = charts_verdict_group(c->a);
	char *tp = vg ? xasprintf("%s/threads.dat", c->tmp) : NULL;
	if (vg && charts_write_group_threads(tp, vg) != 0)
		vg = NULL;
	free(tp);
	if (vg) {
		const struct throttle_result *r = charts_tresult(c->a);
		j = (struct charts_job){ "threads", vg == &r->overall
				  ? xstrdup("Threads sending and throttled share of requests")
				  : xasprintf("Threads sending to %s (the throttled group) and its throttled share", vg->name),
				  CHART_W, CHART_H, STRBUF_INIT };
		charts_job_group_threads(&j, c->a, vg);
	} else {
		j = (struct charts_job){ "threads", xstrdup("Active threads and throttled share of requests"), CHART_W, CHART_H, STRBUF_INIT };
		charts_job_threads(&j, c->a);
	}
	draw(c, &j);
	if (h.ok || h.all) {
		j = (struct charts_job){ "latency", xstrdup("Response time percentiles: successful requests (solid) and all (dashed)"),
				  CHART_W, CHART_H, STRBUF_INIT };
		charts_job_latency(&j, c->a, &h);
		draw(c, &j);
		j = (struct charts_job){ "latency-vs-threads", xstrdup("Response time vs active threads (one point per time bucket)"),
				  CHART_W, CHART_H, STRBUF_INIT };
		charts_job_scatter(&j, &h);
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
