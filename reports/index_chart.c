/* index_chart.c - see index_chart.h. */
#include "reports/index_chart.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/util.h"
#include "reports/charts.h"
#include "reports/report_time.h"
#include "reports/spawn.h"

#define INDEX_CHART_MAX_SVG (8u << 20)   /* bytes of the SVG read back */

static const char SCRIPT[] =
	"set terminal svg size 960,760 dynamic font 'sans,10'\n"
	"set output 'trend.svg'\n"
	"set datafile missing 'NaN'\n"
	"set xdata time\nset timefmt '%s'\nset format x \"%Y-%m-%d\\n%H:%M\"\n"
	"set grid\nset key top left\nset lmargin 10\n";
/* then the title naming the zone (--tz) of the start times on the axis, then: */
static const char SCRIPT_PLOTS[] =
	"set ylabel 'onset s'\n"
	"plot 'trend.dat' using 1:2 with linespoints pt 7 title 'onset (s from run start)'\n"
	"set ylabel 'admitted /s'\n"
	"plot 'trend.dat' using 1:3 with linespoints pt 7 title 'admitted rate', "
	"'' using 1:($6 > 0 ? $3 : NaN) with points pt 6 ps 2.5 lw 2 title 'limit changed'\n"
	"set ylabel 'throttled %'\n"
	"plot 'trend.dat' using 1:4 with linespoints pt 7 title 'throttled %'\n"
	"set ylabel 'p95 ms'\n"
	"plot 'trend.dat' using 1:5 with linespoints pt 7 title 'p95 (ms)'\n"
	"unset multiplot\n";

static void num(FILE *f, double v)
{
	if (isnan(v) || isinf(v))
		fputs(" NaN", f);
	else
		fprintf(f, " %.6g", v);
}

static char *slurp(const char *path, size_t max, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	char *buf = xmalloc(max + 1);
	size_t n = fread(buf, 1, max + 1, f);
	fclose(f);
	if (n > max) {
		free(buf);
		return NULL;
	}
	buf[n] = '\0';
	*len = n;
	return buf;
}

static int cmp_point(const void *x, const void *y)
{
	const struct index_trend_point *a = x, *b = y;
	return a->start_ms < b->start_ms ? -1 : a->start_ms > b->start_ms;
}

char *index_trend_chart(const struct index_trend_point *p, size_t n, const char *outdir,
			char *why, size_t whylen)
{
	struct index_trend_point *v = xcalloc(n ? n : 1, sizeof *v);
	size_t k = 0;
	for (size_t i = 0; i < n; i++)
		if (!isnan(p[i].start_ms))
			v[k++] = p[i];
	if (k < 2) {
		snprintf(why, whylen, "fewer than two runs with a start time: no trend chart");
		free(v);
		return NULL;
	}
	qsort(v, k, sizeof *v, cmp_point);
	const char *base = getenv("TMPDIR");
	char *tmp = xasprintf("%s/jtlscope-index.XXXXXX", base && base[0] ? base : "/tmp");
	char *svg = NULL;
	if (!mkdtemp(tmp)) {
		snprintf(why, whylen, "no trend chart: cannot create a temp dir: %s", strerror(errno));
		free(tmp);
		free(v);
		return NULL;
	}
	char *dat = xasprintf("%s/trend.dat", tmp), *gp = xasprintf("%s/trend.gp", tmp);
	char *out = xasprintf("%s/trend.svg", tmp), *log = xasprintf("%s/gnuplot.log", tmp);
	FILE *f = fopen(dat, "w");
	if (f) {
		for (size_t i = 0; i < k; i++) {
			fprintf(f, "%.3f", report_local_s((int64_t)v[i].start_ms));
			num(f, v[i].onset_s);
			num(f, v[i].rate_per_s);
			num(f, v[i].throttled_pct);
			num(f, v[i].p95_ms);
			fprintf(f, " %d\n", v[i].limit_changed ? 1 : 0);
		}
	}
	FILE *g = fopen(gp, "w");
	bool wrote = f && g && fputs(SCRIPT, g) >= 0 &&
		     fprintf(g, "set multiplot layout 4,1 title 'Runs over time (start, %s)'\n", report_tz_name()) >= 0 &&
		     fputs(SCRIPT_PLOTS, g) >= 0;
	wrote = (f && fclose(f) == 0) && wrote;
	wrote = (g && fclose(g) == 0) && wrote;
	if (!wrote) {
		snprintf(why, whylen, "no trend chart: cannot write its data: %s", strerror(errno));
		goto out;
	}
	const char *prog = getenv(CHARTS_ENV_GNUPLOT);
	char *argv[] = { (char *)(prog && prog[0] ? prog : "gnuplot"), (char *)"-d", (char *)"trend.gp", NULL };
	int rc = spawn_run(argv, &(struct spawn_opts){ .dir = tmp, .log = "gnuplot.log", .timeout_ms = CHARTS_TIMEOUT_MS });
	if (rc != 0) {
		snprintf(why, whylen, "no trend chart: %s", rc == SPAWN_NOT_FOUND ? "gnuplot is not installed"
			 : rc == SPAWN_TIMEOUT ? "gnuplot timed out" : "gnuplot failed");
		goto out;
	}
	size_t len = 0;
	svg = slurp(out, INDEX_CHART_MAX_SVG, &len);
	char whysvg[200];
	if (!svg || !charts_svg_safe(svg, len, whysvg, sizeof whysvg)) {
		snprintf(why, whylen, "no trend chart: gnuplot's SVG %s", svg ? "was refused" : "is missing or too large");
		free(svg);
		svg = NULL;
		goto out;
	}
	char *dest = xasprintf("%s/%s", outdir, INDEX_CHART_FILE);
	FILE *d = fopen(dest, "w");
	bool saved = d && fwrite(svg, 1, len, d) == len;
	if (d && fclose(d) != 0)
		saved = false;
	if (!saved)
		snprintf(why, whylen, "trend chart not saved as '%s': %s", dest, strerror(errno));
	free(dest);
out:
	unlink(dat);
	unlink(gp);
	unlink(out);
	unlink(log);
	rmdir(tmp);
	free(dat);
	free(gp);
	free(out);
	free(log);
	free(tmp);
	free(v);
	return svg;
}
