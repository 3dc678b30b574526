/* gate.c - --fail-on criteria: their grammar and their evaluation on struct run_metrics
 * (gate.h).  No JSON here: reports/report_read.c loads the metrics, reports/junit.c writes
 * the results. */
#include "analyzer/gate.h"

#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/util.h"

enum metric_kind {
	MK_TIME,     /* ms */
	MK_SHARE,    /* count, or with % a percentage of samples */
	MK_COUNT,
	MK_RATE,     /* per second */
};

enum metric_src { MS_STATS, MS_RUN, MS_THROTTLE, MS_CODES };

/* Where a metric's value is: OFF(field) in struct rm_stats (MS_STATS) or struct rm_group
 * (MS_THROTTLE); for "for DURATION" the field of struct rm_bucket, or NO_OFF (no window). */
#define NO_OFF SIZE_MAX
#define SOFF(f) offsetof(struct rm_stats, f)
#define GOFF(f) offsetof(struct rm_group, f)
#define BOFF(f) offsetof(struct rm_bucket, f)

struct metric {
	const char *name;
	enum metric_kind kind;
	enum metric_src src;
	size_t off;            /* the value in the stats / group record */
	size_t pct_off;        /* MK_SHARE: the percentage's field, or NO_OFF (computed) */
	size_t bucket_off;     /* the value in a series bucket for "for DURATION", or NO_OFF */
};

static const struct metric metrics[] = {
	{ "p50", MK_TIME, MS_STATS, SOFF(p50_ms), NO_OFF, BOFF(p50_ms) },
	{ "p90", MK_TIME, MS_STATS, SOFF(p90_ms), NO_OFF, NO_OFF },
	{ "p95", MK_TIME, MS_STATS, SOFF(p95_ms), NO_OFF, BOFF(p95_ms) },
	{ "p99", MK_TIME, MS_STATS, SOFF(p99_ms), NO_OFF, BOFF(p99_ms) },
	{ "mean", MK_TIME, MS_STATS, SOFF(mean_ms), NO_OFF, NO_OFF },
	{ "min", MK_TIME, MS_STATS, SOFF(min_ms), NO_OFF, NO_OFF },
	{ "max", MK_TIME, MS_STATS, SOFF(max_ms), NO_OFF, NO_OFF },
	{ "ok_p50", MK_TIME, MS_STATS, SOFF(ok_p50_ms), NO_OFF, BOFF(ok_p50_ms) },
	{ "ok_p95", MK_TIME, MS_STATS, SOFF(ok_p95_ms), NO_OFF, BOFF(ok_p95_ms) },
	{ "ok_p99", MK_TIME, MS_STATS, SOFF(ok_p99_ms), NO_OFF, NO_OFF },
	{ "ok_mean", MK_TIME, MS_STATS, SOFF(ok_mean_ms), NO_OFF, NO_OFF },
	{ "errors", MK_SHARE, MS_STATS, SOFF(errors), SOFF(error_pct), BOFF(errors) },
	{ "throttled", MK_SHARE, MS_STATS, SOFF(throttled), NO_OFF, BOFF(throttled) },
	{ "samples", MK_COUNT, MS_STATS, SOFF(count), NO_OFF, BOFF(count) },
	{ "skipped", MK_COUNT, MS_RUN, 0, NO_OFF, NO_OFF },
	{ "rate", MK_RATE, MS_STATS, SOFF(throughput_per_s), NO_OFF, BOFF(count) },
	{ "throughput", MK_RATE, MS_STATS, SOFF(throughput_per_s), NO_OFF, BOFF(count) },
	{ "onset_threads", MK_COUNT, MS_THROTTLE, GOFF(onset_threads), NO_OFF, NO_OFF },
	{ "onset", MK_TIME, MS_THROTTLE, GOFF(onset_offset_s), NO_OFF, NO_OFF },
	{ "limit", MK_RATE, MS_THROTTLE, GOFF(limit.p[RM_RATE].value), NO_OFF, NO_OFF },
};

/* rcNNN / rcNxx / rcNNx: responses of one code or class ("codes" of the report; with % a share
 * of samples).  Windows read the series' by_class, so only rcNxx takes "for". */
static const struct metric rc_metric = { "rc", MK_SHARE, MS_CODES, 0, NO_OFF, BOFF(by_class) };

enum op { OP_GT, OP_GE, OP_LT, OP_LE, OP_EQ, OP_NE };

enum scope { SC_ALL, SC_LABEL, SC_REGION };

struct criterion {
	char *expr;            /* as given */
	enum scope scope;
	char *name;            /* label or region, or NULL */
	const struct metric *m;
	bool pct;              /* MK_SHARE with % */
	enum op op;
	double value;          /* canonical unit: ms, per s, %, count */
	char rc[4];            /* MS_CODES: "429", "5xx", "50x" */
	int64_t window_ms;     /* "for DURATION": the condition must hold that long, bucket by
				  bucket in the series; 0 = on the whole run */
};


struct result {
	enum gate_verdict v;
	double actual;
	char *note;            /* "p95 = 912 ms", "no label 'Login'" */
};

struct suite {
	char *name;
	struct result *r;      /* one per criterion */
	size_t n;
};

struct gate {
	struct criterion c[GATE_MAX_CRITERIA];
	size_t n;
	struct suite *s;
	size_t ns, scap;
	size_t unavailable;
	size_t unknown_labels;
};

struct gate *gate_new(void)
{
	return xcalloc(1, sizeof(struct gate));
}

void gate_free(struct gate *g)
{
	if (!g)
		return;
	for (size_t i = 0; i < g->n; i++) {
		free(g->c[i].expr);
		free(g->c[i].name);
	}
	for (size_t i = 0; i < g->ns; i++) {
		for (size_t k = 0; k < g->s[i].n; k++)
			free(g->s[i].r[k].note);
		free(g->s[i].r);
		free(g->s[i].name);
	}
	free(g->s);
	free(g);
}

size_t gate_count(const struct gate *g)
{
	return g->n;
}

size_t gate_unavailable(const struct gate *g)
{
	return g->unavailable;
}

size_t gate_unknown_labels(const struct gate *g)
{
	return g->unknown_labels;
}

/* --- parsing -------------------------------------------------------------------------------- */

static const char *skip_blanks(const char *p)
{
	while (*p == ' ' || *p == '\t')
		p++;
	return p;
}

/* Metric name at p (longest match, followed by a blank or an operator character). */
static const struct metric *match_metric(const char *p, size_t *len)
{
	const struct metric *best = NULL;
	size_t bl = 0;
	for (size_t i = 0; i < ARRAY_LEN(metrics); i++) {
		size_t n = strlen(metrics[i].name);
		if (strncmp(p, metrics[i].name, n) == 0 && n > bl) {
			char c = p[n];
			if (c == '\0' || c == ' ' || c == '\t' || c == '<' || c == '>' || c == '=' || c == '!') {
				best = &metrics[i];
				bl = n;
			}
		}
	}
	*len = bl;
	return best;
}

static bool parse_op(const char *p, enum op *op, size_t *len)
{
	if (p[0] == '>' && p[1] == '=') { *op = OP_GE; *len = 2; return true; }
	if (p[0] == '<' && p[1] == '=') { *op = OP_LE; *len = 2; return true; }
	if (p[0] == '=' && p[1] == '=') { *op = OP_EQ; *len = 2; return true; }
	if (p[0] == '!' && p[1] == '=') { *op = OP_NE; *len = 2; return true; }
	if (p[0] == '>') { *op = OP_GT; *len = 1; return true; }
	if (p[0] == '<') { *op = OP_LT; *len = 1; return true; }
	if (p[0] == '=') { *op = OP_EQ; *len = 1; return true; }
	return false;
}

static void metric_list(char *buf, size_t len)
{
	size_t o = 0;
	buf[0] = '\0';
	for (size_t i = 0; i < ARRAY_LEN(metrics) && o < len; i++) {
		int w = snprintf(buf + o, len - o, "%s%s", i ? ", " : "", metrics[i].name);
		if (w < 0)
			break;
		o += (size_t)w;
	}
}

static const char *units_for(enum metric_kind k)
{
	switch (k) {
	case MK_TIME: return "ms, s, m, h";
	case MK_SHARE: return "% or none";
	case MK_COUNT: return "none";
	case MK_RATE: return "/s, /m, /h";
	}
	return "";
}

static int perr(char *err, size_t errlen, const char *expr, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static int perr(char *err, size_t errlen, const char *expr, const char *fmt, ...)
{
	char msg[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	snprintf(err, errlen, "--fail-on '%s': %s", expr, msg);
	return -1;
}

/* "rc" + three of [0-9x], the first a digit, the x's trailing ("rc429", "rc5xx", "rc50x"),
 * followed by a blank, an operator or the end. */
static bool match_rc(const char *p, char rc[4])
{
	if (p[0] != 'r' || p[1] != 'c' || p[2] < '1' || p[2] > '5')
		return false;
	bool x = false;
	for (int i = 3; i < 5; i++) {
		if (p[i] == 'x')
			x = true;
		else if (x || p[i] < '0' || p[i] > '9')
			return false;
	}
	char c = p[5];
	if (!(c == '\0' || c == ' ' || c == '\t' || c == '<' || c == '>' || c == '=' || c == '!'))
		return false;
	memcpy(rc, p + 2, 3);
	rc[3] = '\0';
	return true;
}

/* A window's duration: NUMBER UNIT (ms, s, m, min, h), the unit required. */
static int parse_window(const char *p, int64_t *ms)
{
	size_t nl = 0;
	while ((p[nl] >= '0' && p[nl] <= '9') || p[nl] == '.')
		nl++;
	double v;
	if (!nl || !parse_double(p, nl, 0, 1e9, &v))
		return -1;
	const char *u = skip_blanks(p + nl);
	size_t ul = strlen(u);
	while (ul > 0 && (u[ul - 1] == ' ' || u[ul - 1] == '\t'))
		ul--;
	double mult;
	if (ul == 2 && strncmp(u, "ms", 2) == 0)
		mult = 1;
	else if (ul == 1 && u[0] == 's')
		mult = 1000;
	else if ((ul == 1 && u[0] == 'm') || (ul == 3 && strncmp(u, "min", 3) == 0))
		mult = 60000;
	else if (ul == 1 && u[0] == 'h')
		mult = 3600000;
	else
		return -1;
	double r = v * mult;
	if (r < 1 || r > 1e12)
		return -1;
	*ms = (int64_t)(r + 0.5);
	return 0;
}

int gate_add(struct gate *g, const char *expr, char *err, size_t errlen)
{
	if (g->n >= GATE_MAX_CRITERIA)
		return perr(err, errlen, expr, "too many criteria (at most %d)", GATE_MAX_CRITERIA);
	if (strlen(expr) > GATE_MAX_EXPR)
		return perr(err, errlen, "...", "longer than %d bytes", GATE_MAX_EXPR);
	struct criterion c = { .scope = SC_ALL };
	const char *p = skip_blanks(expr);
	if (strncmp(p, "label:", 6) == 0 || strncmp(p, "region:", 7) == 0) {
		c.scope = p[0] == 'l' ? SC_LABEL : SC_REGION;
		const char *name = p + (c.scope == SC_LABEL ? 6 : 7);
		/* the name ends at the last ':' followed by a metric and an operator */
		const char *colon = NULL;
		for (const char *q = name + strlen(name); q > name; q--) {
			if (q[-1] != ':')
				continue;
			size_t ml;
			const char *r = skip_blanks(q);
			const struct metric *m = match_metric(r, &ml);
			char rc[4];
			if (!m && match_rc(r, rc)) {
				m = &rc_metric;
				ml = 5;
			}
			enum op op;
			size_t ol;
			if (m && parse_op(skip_blanks(r + ml), &op, &ol)) {
				colon = q - 1;
				break;
			}
		}
		if (!colon) {
			const char *scope = c.scope == SC_LABEL ? "label" : "region";
			const char *last = strrchr(name, ':');
			if (!last)
				return perr(err, errlen, expr, "expected '%s:NAME:METRIC OP VALUE'", scope);
			const char *r = skip_blanks(last + 1);
			size_t ml;
			if (!match_metric(r, &ml)) {
				char list[400];
				metric_list(list, sizeof list);
				return perr(err, errlen, expr, "unknown metric '%.*s' after '%s:NAME:' (%s)",
					    (int)strcspn(r, " \t<>=!"), r, scope, list);
			}
			return perr(err, errlen, expr, "expected an operator (>, >=, <, <=, ==, !=) after '%.*s'",
				    (int)ml, r);
		}
		if (colon == name)
			return perr(err, errlen, expr, "empty %s name", c.scope == SC_LABEL ? "label" : "region");
		c.name = xstrndup(name, (size_t)(colon - name));
		p = skip_blanks(colon + 1);
	}
	size_t ml;
	c.m = match_metric(p, &ml);
	if (!c.m && match_rc(p, c.rc)) {
		c.m = &rc_metric;
		ml = 5;
	}
	if (!c.m) {
		char list[400];
		metric_list(list, sizeof list);
		size_t wl = strcspn(p, " \t<>=!");
		free(c.name);
		if (wl == 0)
			return perr(err, errlen, expr, "expected a metric (%s)", list);
		return perr(err, errlen, expr, "unknown metric '%.*s' (%s)", (int)wl, p, list);
	}
	if (c.scope == SC_LABEL && c.m->src != MS_STATS) {
		free(c.name);
		if (c.m->src == MS_CODES)
			return perr(err, errlen, expr, "'rc%s' is not a per-label metric (the report counts "
				    "codes for the whole run)", c.rc);
		return perr(err, errlen, expr, "'%s' is not a per-label metric%s", c.m->name,
			    c.m->src == MS_THROTTLE ? " (use region:NAME:)" : "");
	}
	if (c.scope == SC_REGION && c.m->src != MS_THROTTLE) {
		free(c.name);
		return perr(err, errlen, expr, "'%s' is not a per-region metric (onset, onset_threads, limit)",
			    c.m->name);
	}
	const char *mname = p;
	p = skip_blanks(p + ml);
	size_t ol;
	if (!parse_op(p, &c.op, &ol)) {
		free(c.name);
		return perr(err, errlen, expr, "expected an operator (>, >=, <, <=, ==, !=) after '%.*s'",
			    (int)ml, mname);
	}
	const char *opp = p;
	p = skip_blanks(p + ol);
	size_t nl = 0;
	while ((p[nl] >= '0' && p[nl] <= '9') || p[nl] == '.')
		nl++;
	double v;
	if (nl == 0) {
		free(c.name);
		return perr(err, errlen, expr, "expected a number after '%.*s'", (int)ol, opp);
	}
	if (!parse_double(p, nl, 0, 1e15, &v)) {
		free(c.name);
		return perr(err, errlen, expr, "'%.*s' is not a number", (int)nl, p);
	}
	const char *u = skip_blanks(p + nl);
	size_t ul = strlen(u);
	/* "for DURATION": a sustained window */
	const char *forp = NULL;
	for (const char *q = u; (q = strstr(q, "for")) != NULL; q += 3)
		if ((q == u || q[-1] == ' ' || q[-1] == '\t') && (q[3] == ' ' || q[3] == '\t' || q[3] == '\0')) {
			forp = q;
			break;
		}
	if (forp) {
		ul = (size_t)(forp - u);
		if (parse_window(skip_blanks(forp + 3), &c.window_ms) != 0) {
			free(c.name);
			return perr(err, errlen, expr, "expected a duration with its unit after 'for' (30s, 500ms, 2m)");
		}
		if (c.scope != SC_ALL || c.m->bucket_off == NO_OFF || (c.m->src == MS_CODES && strcmp(c.rc + 1, "xx") != 0)) {
			free(c.name);
			return perr(err, errlen, expr, "'for' works on the whole run's time series, for p50, p95, "
				    "p99, ok_p50, ok_p95, errors, throttled, samples, rate and rcNxx");
		}
	}
	while (ul > 0 && (u[ul - 1] == ' ' || u[ul - 1] == '\t'))
		ul--;
#define UNIT(s) (ul == strlen(s) && strncmp(u, s, ul) == 0)
	bool okunit = true;
	switch (c.m->kind) {
	case MK_TIME:
		if (ul == 0 || UNIT("ms")) c.value = v;
		else if (UNIT("s")) c.value = v * 1000;
		else if (UNIT("m") || UNIT("min")) c.value = v * 60000;
		else if (UNIT("h")) c.value = v * 3600000;
		else okunit = false;
		break;
	case MK_SHARE:
		if (ul == 0) c.value = v;
		else if (UNIT("%")) { c.value = v; c.pct = true; }
		else okunit = false;
		if (c.pct && v > 100) {
			free(c.name);
			return perr(err, errlen, expr, "a share above 100%%");
		}
		break;
	case MK_COUNT:
		if (ul == 0) c.value = v;
		else okunit = false;
		break;
	case MK_RATE:
		if (ul == 0 || UNIT("/s")) c.value = v;
		else if (UNIT("/m") || UNIT("/min")) c.value = v / 60;
		else if (UNIT("/h")) c.value = v / 3600;
		else okunit = false;
		break;
	}
#undef UNIT
	if (!okunit) {
		free(c.name);
		return perr(err, errlen, expr, "unit '%.*s' does not fit %s (%s)", (int)ul, u, c.m->name,
			    units_for(c.m->kind));
	}
	c.expr = xstrdup(expr);
	g->c[g->n++] = c;
	return 0;
}

/* --- evaluation ----------------------------------------------------------------------------- */

static double field(const void *rec, size_t off)
{
	double v;
	memcpy(&v, (const char *)rec + off, sizeof v);
	return v;
}

static void fmt_value(char *buf, size_t len, const struct criterion *c, double v)
{
	if (c->window_ms) {
		snprintf(buf, len, "held %.1f s", v / 1000);
		return;
	}
	switch (c->m->kind) {
	case MK_TIME:
		if (c->m->src == MS_THROTTLE || v >= 10000)
			snprintf(buf, len, "%.1f s", v / 1000);
		else
			snprintf(buf, len, "%.0f ms", v);
		break;
	case MK_SHARE:
		if (c->pct)
			snprintf(buf, len, "%.3f %%", v);
		else
			snprintf(buf, len, "%.0f", v);
		break;
	case MK_COUNT:
		snprintf(buf, len, "%.0f", v);
		break;
	case MK_RATE:
		snprintf(buf, len, "%.2f/s", v);
		break;
	}
}

static bool holds(enum op op, double a, double b)
{
	switch (op) {
	case OP_GT: return a > b;
	case OP_GE: return a >= b;
	case OP_LT: return a < b;
	case OP_LE: return a <= b;
	case OP_EQ: return a == b;
	case OP_NE: return a != b;
	}
	return false;
}

/* Does a response-code text match an rc pattern ("5xx" matches "503", never "Non HTTP ...")? */
static bool rc_match(const char *pat, const char *code)
{
	if (strlen(code) != 3)
		return false;
	for (int i = 0; i < 3; i++) {
		if (code[i] < '0' || code[i] > '9')
			return false;
		if (pat[i] != 'x' && pat[i] != code[i])
			return false;
	}
	return true;
}

/* The value of c in one series bucket; false when the bucket says nothing about it (no
 * sample: no latency, no share). */
static bool bucket_value(const struct criterion *c, const struct rm_bucket *b, double width_ms, double *v)
{
	double n = b->count;
	if (isnan(n))
		return false;
	switch (c->m->kind) {
	case MK_TIME:
		if (n <= 0)
			return false;
		*v = field(b, c->m->bucket_off);
		return !isnan(*v);
	case MK_RATE:
		*v = n * 1000.0 / width_ms;
		return true;
	case MK_COUNT:
		*v = n;
		return true;
	case MK_SHARE: {
		double k = c->m->src == MS_CODES ? b->by_class[c->rc[0] - '0'] : field(b, c->m->bucket_off);
		if (isnan(k))
			return false;
		if (c->pct) {
			if (n <= 0)
				return false;
			*v = 100.0 * k / n;
		} else {
			*v = k;
		}
		return true;
	}
	}
	return false;
}

/* "for DURATION": the longest run of consecutive buckets where the condition holds. */
static struct result eval_window(const struct criterion *c, const struct run_metrics *m)
{
	struct result r = { .v = GATE_NA, .actual = NAN };
	double width = m->bucket_ms;
	if (!m->has_series || isnan(width) || width <= 0) {
		r.note = xstrdup("the report has no time series");
		return r;
	}
	double first = NAN, run_start = NAN, best = 0, best_start = NAN, run = 0;
	for (size_t i = 0; i < m->nseries; i++) {
		const struct rm_bucket *b = &m->series[i];
		double ts = b->ts_ms, v;
		if (isnan(first))
			first = ts;
		if (bucket_value(c, b, width, &v) && holds(c->op, v, c->value)) {
			if (run == 0)
				run_start = ts;
			run += width;
			if (run > best) {
				best = run;
				best_start = run_start;
			}
		} else {
			run = 0;
		}
	}
	r.actual = best;
	r.v = best >= (double)c->window_ms && best > 0 ? GATE_MET : GATE_PASS;
	char want[32], got[32];
	snprintf(want, sizeof want, "%.1f s", (double)c->window_ms / 1000);
	snprintf(got, sizeof got, "%.1f s", best / 1000);
	if (best > 0)
		r.note = xasprintf("held for %s at most (from +%.1f s; %s needed)", got, (best_start - first) / 1000, want);
	else
		r.note = xasprintf("never held in any %.0f ms bucket (%s needed)", width, want);
	return r;
}

static struct result eval_one(const struct criterion *c, const struct run_metrics *m)
{
	struct result r = { .v = GATE_NA, .actual = NAN };
	const char *what = c->m->name;
	/* a run without samples proves nothing: every criterion fails rather than pass on it */
	if (m->samples_total == 0) {
		r.v = GATE_MET;
		r.note = xstrdup("the run has no samples (nothing was read): the gate fails");
		return r;
	}
	if (c->window_ms)
		return eval_window(c, m);
	if (c->m->src == MS_CODES) {
		double n = m->samples_total;
		if (!m->has_codes || isnan(n)) {
			r.note = xstrdup("the report has no response codes");
			return r;
		}
		double sum = 0;
		for (size_t i = 0; i < m->ncodes; i++)
			if (rc_match(c->rc, m->codes[i].code))
				sum += m->codes[i].count;
		r.actual = c->pct ? (n > 0 ? 100.0 * sum / n : 0.0) : sum;
		r.v = holds(c->op, r.actual, c->value) ? GATE_MET : GATE_PASS;
		char val[64];
		fmt_value(val, sizeof val, c, r.actual);
		r.note = xasprintf("rc%s = %s", c->rc, val);
		return r;
	}
	if (c->m->src == MS_RUN) {
		r.actual = m->samples_skipped;
		if (isnan(r.actual)) {
			r.note = xasprintf("the report has no %s count", what);
			return r;
		}
	} else if (c->m->src == MS_STATS) {
		const struct rm_stats *s = run_metrics_stats(m, c->name);
		if (!s) {
			if (c->name)
				r.v = GATE_NO_LABEL;
			r.note = c->name ? xasprintf("no label '%s' in the report", c->name)
					 : xstrdup("the report has no totals");
			return r;
		}
		if (c->m->kind == MK_SHARE && c->pct) {
			if (c->m->pct_off != NO_OFF) {
				r.actual = field(s, c->m->pct_off);
			} else {
				double n = s->count, k = field(s, c->m->off);
				r.actual = n > 0 ? 100.0 * k / n : (isnan(k) ? NAN : 0.0);
			}
		} else {
			r.actual = field(s, c->m->off);
		}
		if (isnan(r.actual)) {
			r.note = xasprintf("the report has no %s value", what);
			return r;
		}
	} else {
		if (!m->has_throttle) {
			r.note = xstrdup("the report has no throttle analysis");
			return r;
		}
		const struct rm_group *g = !c->name && c->m->kind == MK_RATE ? run_metrics_limiter(m)
									      : run_metrics_group(m, c->name);
		if (!g) {
			r.note = xasprintf("no region/group '%s' in the throttle analysis", c->name);
			return r;
		}
		double v = field(g, c->m->off);
		int det = g->detected;
		if (det == 0 || (c->m->kind == MK_TIME && isnan(v) && det != 1)) {
			r.v = GATE_PASS;
			r.note = xstrdup(c->m->kind == MK_RATE ? "no sustained throttling: no limit estimate"
							     : "no sustained throttling: no onset");
			return r;
		}
		if (isnan(v) || (c->m->kind == MK_RATE && v <= 0)) {
			r.v = GATE_PASS;
			r.note = xasprintf("the throttle analysis gives no %s", what);
			return r;
		}
		r.actual = c->m->kind == MK_TIME ? v * 1000 : v; /* onset is in seconds */
	}
	r.v = holds(c->op, r.actual, c->value) ? GATE_MET : GATE_PASS;
	char val[64];
	fmt_value(val, sizeof val, c, r.actual);
	r.note = c->name ? xasprintf("%s %s = %s", c->name, what, val) : xasprintf("%s = %s", what, val);
	return r;
}

int gate_eval_metrics(struct gate *g, const char *suite, const struct run_metrics *m)
{
	void *v = g->s;
	xgrow(&v, &g->scap, g->ns + 1, sizeof *g->s);
	g->s = v;
	struct suite *s = &g->s[g->ns++];
	s->name = suite ? xstrdup(suite) : NULL;
	s->n = g->n;
	s->r = xcalloc(g->n ? g->n : 1, sizeof *s->r);
	int met = 0;
	for (size_t i = 0; i < g->n; i++) {
		s->r[i] = eval_one(&g->c[i], m);
		if (s->r[i].v == GATE_MET)
			met++;
		if (s->r[i].v == GATE_NA)
			g->unavailable++;
		if (s->r[i].v == GATE_NO_LABEL)
			g->unknown_labels++;
	}
	return met;
}

/* --- results -------------------------------------------------------------------------------- */

size_t gate_nsuites(const struct gate *g)
{
	return g->ns;
}

const char *gate_suite_name(const struct gate *g, size_t suite)
{
	return g->s[suite].name;
}

const char *gate_expr(const struct gate *g, size_t k)
{
	return g->c[k].expr;
}

enum gate_verdict gate_result(const struct gate *g, size_t suite, size_t k, const char **note, double *actual)
{
	const struct result *r = &g->s[suite].r[k];
	if (note)
		*note = r->note;
	if (actual)
		*actual = r->actual;
	return r->v;
}

void gate_format_value(const struct gate *g, size_t k, double v, char *buf, size_t len)
{
	if (isnan(v))
		snprintf(buf, len, "none");
	else
		fmt_value(buf, len, &g->c[k], v);
}
