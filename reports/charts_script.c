/* charts_script.c - the gnuplot commands of each chart (see charts_int.h).
 *
 * This file owns how each chart looks: the time axis (in the report's zone, dates on runs
 * over a day), the dashed throttle-onset line, and one job per chart (throughput by outcome,
 * threads of the verdict's group or active threads, latency percentiles, latency against
 * threads, the per-region panels, the per-connection strip, the per-label and per-code
 * dashboard charts), then the terminal block around a job's body (svg or pngcairo).  Every
 * string that may hold input text goes through charts_gp_str (esc_gnuplot); paths never
 * appear, only the data file names of charts_data.c.
 */
#include "reports/charts_int.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "reports/escape.h"
#include "reports/report_time.h"

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

const struct throttle_result *charts_tresult(const struct analysis *a)
{
	return a->throttle ? throttle_result(a->throttle) : NULL;
}

static const struct throttle_onset *overall_onset(const struct analysis *a)
{
	const struct throttle_result *r = charts_tresult(a);
	return r && r->overall.onset.detected ? &r->overall.onset : NULL;
}

/* A chart over the run's time: the axis, the overall onset, then the commands given. */
static void job_time_plot(struct charts_job *j, const struct analysis *a, const char *cmds)
{
	gp_time_axis(&j->body, a);
	gp_onset(&j->body, overall_onset(a));
	strbuf_addstr(&j->body, cmds);
}

void charts_job_throughput(struct charts_job *j, const struct analysis *a)
{
	job_time_plot(j, a, "set ylabel \"requests per second\"\nset yrange [0:*]\n"
			    "set style fill solid 0.75 noborder\n"
			    "plot \"series.dat\" using ($1):4 with fillsteps lc rgb \"#9e9e9e\" title \"other errors\", \\\n"
			    "  \"\" using ($1):3 with fillsteps lc rgb \"#d62728\" title \"throttled\", \\\n"
			    "  \"\" using ($1):2 with fillsteps lc rgb \"#2ca02c\" title \"accepted\"\n");
}

const struct throttle_group *charts_verdict_group(const struct analysis *a)
{
	const struct throttle_result *r = charts_tresult(a);
	if (!r)
		return NULL;
	const struct throttle_group *g = r->primary ? r->primary : &r->overall;
	if (!g->keys.n || !g->keys.threads || g->keys.width_ms <= 0 || !g->fine.n || !g->fine.sent ||
	    !g->fine.throttled || g->fine.width_ms <= 0)
		return NULL;
	return g;
}


/* Threads of the verdict's group, as the verdict counts them: senders to the group per per-key
 * bucket, and at the onset the verdict's own number (senders over its trailing window). */
void charts_job_group_threads(struct charts_job *j, const struct analysis *a, const struct throttle_group *g)
{
	struct strbuf *b = &j->body;
	const struct throttle_onset *o = &g->onset;
	gp_time_axis(b, a);
	gp_onset(b, o->detected ? o : NULL);
	bool all = g == &charts_tresult(a)->overall;
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

void charts_job_threads(struct charts_job *j, const struct analysis *a)
{
	job_time_plot(j, a, "set ylabel \"active threads\"\nset y2label \"throttled (% of requests)\"\n"
			    "set yrange [0:*]\nset y2range [0:100]\nset ytics nomirror\nset y2tics\n"
			    "plot \"series.dat\" using ($1):5 with steps lw 2 lc rgb \"#1f77b4\" title \"active threads\", \\\n"
			    "  \"\" using ($1):6 axes x1y2 with lines lw 2 lc rgb \"#d62728\" title \"throttled %\"\n");
}

void charts_job_latency(struct charts_job *j, const struct analysis *a, const struct charts_have *h)
{
	struct strbuf *b = &j->body;
	job_time_plot(j, a, "set ylabel \"elapsed (ms)\"\nset yrange [0:*]\nplot ");
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

void charts_job_scatter(struct charts_job *j, const struct charts_have *h)
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

void charts_job_regions(struct charts_job *j, const struct analysis *a, size_t ngroups)
{
	const struct throttle_result *r = charts_tresult(a);
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

void charts_job_connections(struct charts_job *j, const struct analysis *a, size_t nconn)
{
	struct strbuf *b = &j->body;
	job_time_plot(j, a, "");
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

void charts_script_block(struct strbuf *sb, const struct charts_job *j, enum chart_format fmt)
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

static const char *const LABEL_COLORS[LSERIES_CHART_LABELS] = {
	"#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"
};

void charts_job_labels(struct charts_job *j, const struct analysis *a, size_t nl, int kind)
{
	const struct lseries_set *ls = &a->lseries;
	job_time_plot(j, a, kind ? "set ylabel \"transactions per second\"\n" : "set ylabel \"mean elapsed (ms)\"\n");
	strbuf_addstr(&j->body, "set yrange [0:*]\nset key outside right top vertical Left reverse noenhanced\nplot ");
	for (size_t l = 0; l < nl; l++) {
		strbuf_addf(&j->body, "%s\"labels.dat\" using ($1):%zu with lines lw 2 lc rgb \"%s\" title ",
			    l ? ", \\\n  " : "", 2 + 2 * l + (size_t)kind, LABEL_COLORS[l]);
		gp_str(&j->body, ls->lab[l].name);
	}
	strbuf_addch(&j->body, '\n');
}

void charts_job_codes(struct charts_job *j, const struct analysis *a, unsigned seen)
{
	static const char *const cname[6] = { "not HTTP", "1xx", "2xx", "3xx", "4xx", "5xx" };
	static const char *const ccol[6] = { "#7f7f7f", "#17becf", "#2ca02c", "#1f77b4", "#ff7f0e", "#d62728" };
	job_time_plot(j, a, "set ylabel \"responses per second\"\nset yrange [0:*]\nplot ");
	const char *sep = "";
	for (int k = 0; k < 6; k++) {
		if (!(seen & (1u << k)))
			continue;
		strbuf_addf(&j->body, "%s\"codes.dat\" using ($1):%d with steps lw 2 lc rgb \"%s\" title \"%s\"", sep, 2 + k,
			    ccol[k], cname[k]);
		sep = ", \\\n  ";
	}
	strbuf_addch(&j->body, '\n');
}
