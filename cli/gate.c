/* gate.c - --fail-on criteria, their evaluation on a JSON report tree, JUnit XML (gate.h). */
#include "cli/gate.h"

#include <errno.h>
#include <stdarg.h>
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "common/util.h"
#include "reports/escape.h"

enum metric_kind {
	MK_TIME,     /* ms */
	MK_SHARE,    /* count, or with % a percentage of samples */
	MK_COUNT,
	MK_RATE,     /* per second */
};

enum metric_src { MS_STATS, MS_RUN, MS_THROTTLE };

struct metric {
	const char *name;
	enum metric_kind kind;
	enum metric_src src;
	const char *key;       /* key in the stats / samples / group object */
	const char *pct_key;   /* MK_SHARE: key of the percentage, or NULL (computed) */
};

/* Keys of the throttle group objects (docs/analysis.md); one place to follow schema changes. */
#define TK_ONSET_OFFSET "onset.offset_s"
#define TK_ONSET_THREADS "onset.threads"
#define TK_LIMIT_RATE "limit.rate_per_s"

static const struct metric metrics[] = {
	{ "p50", MK_TIME, MS_STATS, "p50_ms", NULL },
	{ "p90", MK_TIME, MS_STATS, "p90_ms", NULL },
	{ "p95", MK_TIME, MS_STATS, "p95_ms", NULL },
	{ "p99", MK_TIME, MS_STATS, "p99_ms", NULL },
	{ "mean", MK_TIME, MS_STATS, "mean_ms", NULL },
	{ "min", MK_TIME, MS_STATS, "min_ms", NULL },
	{ "max", MK_TIME, MS_STATS, "max_ms", NULL },
	{ "ok_p50", MK_TIME, MS_STATS, "success_only.p50_ms", NULL },
	{ "ok_p95", MK_TIME, MS_STATS, "success_only.p95_ms", NULL },
	{ "ok_p99", MK_TIME, MS_STATS, "success_only.p99_ms", NULL },
	{ "ok_mean", MK_TIME, MS_STATS, "success_only.mean_ms", NULL },
	{ "errors", MK_SHARE, MS_STATS, "errors", "error_pct" },
	{ "throttled", MK_SHARE, MS_STATS, "throttled", NULL },
	{ "samples", MK_COUNT, MS_STATS, "count", NULL },
	{ "skipped", MK_COUNT, MS_RUN, "skipped", NULL },
	{ "rate", MK_RATE, MS_STATS, "throughput_per_s", NULL },
	{ "throughput", MK_RATE, MS_STATS, "throughput_per_s", NULL },
	{ "onset_threads", MK_COUNT, MS_THROTTLE, TK_ONSET_THREADS, NULL },
	{ "onset", MK_TIME, MS_THROTTLE, TK_ONSET_OFFSET, NULL },
	{ "limit", MK_RATE, MS_THROTTLE, TK_LIMIT_RATE, NULL },
};

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
};

enum verdict { V_PASS, V_MET, V_NA };

struct result {
	enum verdict v;
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

/* --- report-tree accessors ------------------------------------------------------------------ */

static const cJSON *at_path(const cJSON *o, const char *path)
{
	char key[128];
	while (o && *path) {
		size_t n = strcspn(path, ".");
		if (n >= sizeof key)
			return NULL;
		memcpy(key, path, n);
		key[n] = '\0';
		o = cJSON_IsObject(o) ? cJSON_GetObjectItemCaseSensitive(o, key) : NULL;
		path += n;
		if (*path == '.')
			path++;
	}
	return o;
}

double gate_num(const cJSON *o, const char *path)
{
	const cJSON *v = at_path(o, path);
	return cJSON_IsNumber(v) ? v->valuedouble : NAN;
}

const char *gate_str(const cJSON *o, const char *path)
{
	const cJSON *v = at_path(o, path);
	return cJSON_IsString(v) ? v->valuestring : NULL;
}

const cJSON *gate_report_stats(const cJSON *report, const char *label)
{
	if (!label)
		return cJSON_GetObjectItemCaseSensitive(report, "total");
	const cJSON *labels = cJSON_GetObjectItemCaseSensitive(report, "labels");
	const cJSON *l;
	cJSON_ArrayForEach(l, labels) {
		const char *n = gate_str(l, "label");
		if (n && strcmp(n, label) == 0)
			return l;
	}
	return NULL;
}

const cJSON *gate_report_group(const cJSON *report, const char *name)
{
	const cJSON *t = cJSON_GetObjectItemCaseSensitive(report, "throttle");
	if (!cJSON_IsObject(t))
		return NULL;
	if (!name) {
		const cJSON *o = cJSON_GetObjectItemCaseSensitive(t, "overall");
		return cJSON_IsObject(o) ? o : t;
	}
	static const char *lists[] = { "groups", "regions" };
	for (size_t k = 0; k < ARRAY_LEN(lists); k++) {
		const cJSON *arr = cJSON_GetObjectItemCaseSensitive(t, lists[k]), *g;
		cJSON_ArrayForEach(g, arr) {
			const char *n = gate_str(g, "name");
			if (!n)
				n = gate_str(g, "region");
			if (n && strcmp(n, name) == 0)
				return g;
		}
	}
	return NULL;
}

static bool model_known(const cJSON *g)
{
	const char *m = gate_str(g, "limit.model");
	return m && strcmp(m, "unknown") != 0;
}

const cJSON *gate_report_limiter(const cJSON *report)
{
	const cJSON *all = gate_report_group(report, NULL);
	if (!all || model_known(all))
		return all;
	const cJSON *best = NULL, *g;
	double best_ts = INFINITY;
	cJSON_ArrayForEach(g, cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(report, "throttle"), "regions")) {
		double ts = gate_num(g, "onset.ts_ms");
		if (gate_group_detected(g) == 1 && model_known(g) && !isnan(ts) && ts < best_ts) {
			best = g;
			best_ts = ts;
		}
	}
	return best ? best : all;
}

int gate_group_detected(const cJSON *group)
{
	static const char *keys[] = { "detected", "onset.detected" };
	for (size_t k = 0; k < ARRAY_LEN(keys); k++) {
		const cJSON *v = at_path(group, keys[k]);
		if (cJSON_IsBool(v))
			return cJSON_IsTrue(v) ? 1 : 0;
	}
	return -1;
}

/* --- evaluation ----------------------------------------------------------------------------- */

static void fmt_value(char *buf, size_t len, const struct criterion *c, double v)
{
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

static bool compare(enum op op, double a, double b)
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

static struct result eval_one(const struct criterion *c, const cJSON *report)
{
	struct result r = { .v = V_NA, .actual = NAN };
	const char *what = c->m->name;
	/* a run without samples proves nothing: every criterion fails rather than pass on it */
	if (gate_num(report, "samples.total") == 0) {
		r.v = V_MET;
		r.note = xstrdup("the run has no samples (nothing was read): the gate fails");
		return r;
	}
	if (c->m->src == MS_RUN) {
		r.actual = gate_num(report, "samples.skipped");
		if (isnan(r.actual)) {
			r.note = xasprintf("the report has no %s count", what);
			return r;
		}
	} else if (c->m->src == MS_STATS) {
		const cJSON *s = gate_report_stats(report, c->name);
		if (!s) {
			r.note = c->name ? xasprintf("no label '%s' in the report", c->name)
					 : xstrdup("the report has no totals");
			return r;
		}
		if (c->m->kind == MK_SHARE && c->pct) {
			if (c->m->pct_key) {
				r.actual = gate_num(s, c->m->pct_key);
			} else {
				double n = gate_num(s, "count"), k = gate_num(s, c->m->key);
				r.actual = n > 0 ? 100.0 * k / n : (isnan(k) ? NAN : 0.0);
			}
		} else {
			r.actual = gate_num(s, c->m->key);
		}
		if (isnan(r.actual)) {
			r.note = xasprintf("the report has no %s value", what);
			return r;
		}
	} else {
		if (!cJSON_IsObject(cJSON_GetObjectItemCaseSensitive(report, "throttle"))) {
			r.note = xstrdup("the report has no throttle analysis");
			return r;
		}
		const cJSON *g = !c->name && c->m->kind == MK_RATE ? gate_report_limiter(report)
								   : gate_report_group(report, c->name);
		if (!g) {
			r.note = xasprintf("no region/group '%s' in the throttle analysis", c->name);
			return r;
		}
		double v = gate_num(g, c->m->key);
		int det = gate_group_detected(g);
		if (det == 0 || (c->m->kind == MK_TIME && isnan(v) && det != 1)) {
			r.v = V_PASS;
			r.note = xstrdup(c->m->kind == MK_RATE ? "no sustained throttling: no limit estimate"
							     : "no sustained throttling: no onset");
			return r;
		}
		if (isnan(v) || (c->m->kind == MK_RATE && v <= 0)) {
			r.v = V_PASS;
			r.note = xasprintf("the throttle analysis gives no %s", what);
			return r;
		}
		r.actual = c->m->kind == MK_TIME ? v * 1000 : v; /* onset is in seconds */
	}
	r.v = compare(c->op, r.actual, c->value) ? V_MET : V_PASS;
	char val[64];
	fmt_value(val, sizeof val, c, r.actual);
	r.note = c->name ? xasprintf("%s %s = %s", c->name, what, val) : xasprintf("%s = %s", what, val);
	return r;
}

int gate_eval_suite(struct gate *g, const char *suite, const cJSON *report, FILE *out)
{
	void *v = g->s;
	xgrow(&v, &g->scap, g->ns + 1, sizeof *g->s);
	g->s = v;
	struct suite *s = &g->s[g->ns++];
	s->name = xstrdup(suite ? suite : "jtlscope");
	s->n = g->n;
	s->r = xcalloc(g->n ? g->n : 1, sizeof *s->r);
	int met = 0;
	for (size_t i = 0; i < g->n; i++) {
		s->r[i] = eval_one(&g->c[i], report);
		if (s->r[i].v == V_MET)
			met++;
		if (s->r[i].v == V_NA)
			g->unavailable++;
		if (out) {
			static const char *vt[] = { "pass", "FAIL", "n/a " };
			struct strbuf sb = STRBUF_INIT;
			esc_text_sb(&sb, g->c[i].expr, strlen(g->c[i].expr));
			strbuf_addstr(&sb, ": ");
			esc_text_sb(&sb, s->r[i].note, strlen(s->r[i].note));
			fprintf(out, "gate: %s %s%s%s\n", vt[s->r[i].v], suite ? suite : "", suite ? ": " : "",
				strbuf_cstr(&sb));
			strbuf_release(&sb);
		}
	}
	return met;
}

int gate_eval(struct gate *g, const cJSON *report, FILE *out)
{
	return gate_eval_suite(g, NULL, report, out);
}

/* --- JUnit ---------------------------------------------------------------------------------- */

/* XML 1.0 text/attribute: valid UTF-8, & < > " ' as entities, control characters (not allowed
 * in XML 1.0) as U+FFFD. */
static void xml_esc(FILE *f, const char *s)
{
	char *u = esc_utf8_dup(s, strlen(s));
	for (const unsigned char *p = (const unsigned char *)u; *p; p++) {
		switch (*p) {
		case '&': fputs("&amp;", f); break;
		case '<': fputs("&lt;", f); break;
		case '>': fputs("&gt;", f); break;
		case '"': fputs("&quot;", f); break;
		case '\'': fputs("&apos;", f); break;
		case '\t': case '\n': case '\r': fputc(*p, f); break;
		default:
			if (*p < 0x20 || *p == 0x7f)
				fputs("\xef\xbf\xbd", f);
			else
				fputc(*p, f);
		}
	}
	free(u);
}

int gate_write_junit(const struct gate *g, const char *path, char *err, size_t errlen)
{
	FILE *f = strcmp(path, "-") == 0 ? stdout : fopen(path, "w");
	if (!f) {
		snprintf(err, errlen, "cannot write '%s': %s", path, strerror(errno));
		return -1;
	}
	size_t tests = 0, fails = 0, skips = 0;
	for (size_t i = 0; i < g->ns; i++)
		for (size_t k = 0; k < g->s[i].n; k++) {
			tests++;
			fails += g->s[i].r[k].v == V_MET;
			skips += g->s[i].r[k].v == V_NA;
		}
	fputs("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n", f);
	fprintf(f, "<testsuites name=\"jtlscope gate\" tests=\"%zu\" failures=\"%zu\" skipped=\"%zu\">\n",
		tests, fails, skips);
	for (size_t i = 0; i < g->ns; i++) {
		const struct suite *s = &g->s[i];
		size_t sf = 0, ss = 0;
		for (size_t k = 0; k < s->n; k++) {
			sf += s->r[k].v == V_MET;
			ss += s->r[k].v == V_NA;
		}
		fputs("  <testsuite name=\"", f);
		xml_esc(f, s->name);
		fprintf(f, "\" tests=\"%zu\" failures=\"%zu\" skipped=\"%zu\" errors=\"0\">\n", s->n, sf, ss);
		for (size_t k = 0; k < s->n; k++) {
			const struct result *r = &s->r[k];
			fputs("    <testcase classname=\"jtlscope.fail-on\" name=\"", f);
			xml_esc(f, g->c[k].expr);
			fputs("\"", f);
			if (r->v == V_PASS) {
				fputs(">\n      <system-out>", f);
				xml_esc(f, r->note);
				fputs("</system-out>\n    </testcase>\n", f);
				continue;
			}
			fputs(">\n", f);
			if (r->v == V_MET) {
				char val[64];
				if (isnan(r->actual))
					snprintf(val, sizeof val, "none");
				else
					fmt_value(val, sizeof val, &g->c[k], r->actual);
				fputs("      <failure type=\"gate\" message=\"", f);
				xml_esc(f, r->note);
				fputs("\">criterion ", f);
				xml_esc(f, g->c[k].expr);
				fputs(" met: actual ", f);
				xml_esc(f, val);
				fputs("</failure>\n", f);
			} else {
				fputs("      <skipped message=\"", f);
				xml_esc(f, r->note);
				fputs("\"/>\n", f);
			}
			fputs("    </testcase>\n", f);
		}
		fputs("  </testsuite>\n", f);
	}
	fputs("</testsuites>\n", f);
	int bad = ferror(f);
	if (f == stdout)
		bad |= fflush(f) != 0;
	else
		bad |= fclose(f) != 0;
	if (bad) {
		snprintf(err, errlen, "cannot write '%s': %s", path, strerror(errno ? errno : EIO));
		return -1;
	}
	return 0;
}
