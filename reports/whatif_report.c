/* whatif_report.c - see whatif_report.h.  Every string from an input (paths, the key name)
 * goes through reports/escape.h for its format. */
#include "reports/whatif_report.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "common/util.h"
#include "reports/escape.h"

static const char *policy_name(enum whatif_policy p)
{
	switch (p) {
	case WP_NONE: return "none";
	case WP_HONOUR_RA: return "honour-retry-after";
	case WP_BACKOFF: return "backoff";
	case WP_PACE: return "pace";
	case WP_REPLAY: return "replay";
	}
	return "none";
}

static double round_to(double v, int d)
{
	double m = pow(10, d);
	return round(v * m) / m;
}

/* {v, lo, hi}; optional values (-1 = none) become null. */
static cJSON *val(const struct whatif_value *x, int d, bool opt)
{
	if (opt && x->v < 0 && x->lo < 0)
		return cJSON_CreateNull();
	cJSON *o = cJSON_CreateObject();
	if (opt && x->v < 0)
		cJSON_AddNullToObject(o, "v");
	else
		cJSON_AddNumberToObject(o, "v", round_to(x->v, d));
	if (opt && x->lo < 0) {
		cJSON_AddNullToObject(o, "lo");
		cJSON_AddNullToObject(o, "hi");
	} else {
		cJSON_AddNumberToObject(o, "lo", round_to(x->lo, d));
		cJSON_AddNumberToObject(o, "hi", round_to(x->hi, d));
	}
	return o;
}

static cJSON *triple_obj(const double x[3], int d)
{
	struct whatif_value v = { x[0], fmin(x[1], x[2]), fmax(x[1], x[2]) };
	return val(&v, d, false);
}

static void add_str(cJSON *o, const char *k, const char *s)
{
	char *e = esc_utf8_dup(s, strlen(s));
	cJSON_AddStringToObject(o, k, e);
	free(e);
}

/* Advice can name the partition key (a request header's name from the input). */
static void add_advice(cJSON *adv, const char *buf)
{
	char *e = esc_utf8_dup(buf, strlen(buf));
	cJSON_AddItemToArray(adv, cJSON_CreateString(e));
	free(e);
}

static const cJSON *find_baseline(const cJSON *scs)
{
	const cJSON *s;
	cJSON_ArrayForEach(s, scs) {
		const cJSON *p = cJSON_GetObjectItemCaseSensitive(s, "policy");
		const cJSON *load = cJSON_GetObjectItemCaseSensitive(s, "load");
		const cJSON *u = cJSON_GetObjectItemCaseSensitive(load, "users");
		if (cJSON_IsString(p) && strcmp(p->valuestring, "none") == 0 && cJSON_IsNull(u))
			return s;
	}
	return NULL;
}

static double num(const cJSON *o, const char *k)
{
	const cJSON *x = cJSON_GetObjectItemCaseSensitive(o, k);
	if (cJSON_IsObject(x))
		x = cJSON_GetObjectItemCaseSensitive(x, "v");
	return cJSON_IsNumber(x) ? x->valuedouble : -1;
}

static void advise(cJSON *t, const struct whatif_doc *d)
{
	cJSON *adv = cJSON_AddArrayToObject(t, "advice");
	const cJSON *scs = cJSON_GetObjectItemCaseSensitive(t, "scenarios");
	const cJSON *base = find_baseline(scs);
	char buf[600];
	double last_thr = -1, last_acc = -1;
	const cJSON *s;
	cJSON_ArrayForEach(s, scs) {
		const char *pol = cJSON_GetObjectItemCaseSensitive(s, "policy")->valuestring;
		const char *name = cJSON_GetObjectItemCaseSensitive(s, "name")->valuestring;
		double thr = num(s, "throttled"), acc = num(s, "accepted_per_s");
		if (strcmp(pol, "replay") == 0) {
			double rec = (double)d->rec->throttled;
			snprintf(buf, sizeof buf, "Model check: the recorded arrivals replayed through the fitted %s "
				 "give %.0f throttled answers; the run had %.0f (%+.0f %%).",
				 whatif_model_name(d->lim->model), thr, rec, rec > 0 ? 100.0 * (thr - rec) / rec : 0);
			add_advice(adv, buf);
			continue;
		}
		if (!base || s == base)
			continue;
		double t0 = num(base, "throttled"), a0 = num(base, "accepted_per_s");
		const cJSON *load = cJSON_GetObjectItemCaseSensitive(s, "load");
		bool own_load = cJSON_IsNull(cJSON_GetObjectItemCaseSensitive(load, "users"));
		const char *what = strcmp(pol, "honour-retry-after") == 0 ? "honouring Retry-After"
				   : strcmp(pol, "backoff") == 0 ? "an exponential back-off"
				   : strcmp(pol, "pace") == 0 ? "pacing the whole test" : name;
		if (!own_load) {
			/* a named load: one line per distinct outcome */
			if (thr == last_thr && acc == last_acc)
				continue;
			last_thr = thr;
			last_acc = acc;
			snprintf(buf, sizeof buf, "With %.0f users (%s%.3g s per user, ramp %.3g s) and %s: %.0f throttled "
				 "answers instead of %.0f, %.1f req/s accepted instead of %.1f.", num(load, "users"),
				 num(load, "pace_s") > 0 ? "one request every " : "the run's own spacing, median ",
				 num(load, "pace_s") > 0 ? num(load, "pace_s") : d->rec->interval_p50_s,
				 num(load, "ramp_s"), name, thr, t0, acc, a0);
			add_advice(adv, buf);
			continue;
		}
		if (t0 <= 0) {
			continue;
		} else if (thr <= 0.5 * t0 && acc >= 0.9 * a0) {
			snprintf(buf, sizeof buf, "%s (%s) would have cut throttled answers from %.0f to %.0f and "
				 "kept %.1f req/s accepted (as run: %.1f).", what, name, t0, thr, acc, a0);
		} else if (thr <= 0.5 * t0) {
			snprintf(buf, sizeof buf, "%s (%s) would cut throttled answers from %.0f to %.0f but accept "
				 "only %.1f req/s instead of %.1f: the users would wait longer than the limiter needs.",
				 what, name, t0, thr, acc, a0);
		} else {
			snprintf(buf, sizeof buf, "%s (%s) would not help much: throttled answers %.0f -> %.0f, "
				 "%.1f req/s accepted.%s", what, name, t0, thr, acc,
				 d->lim->model == WM_CONCURRENCY && strcmp(pol, "pace") != 0
				 ? " The limiter caps requests in flight: waiting after a refusal does not lower "
				   "the concurrency the other users keep up; pacing or fewer users does."
				 : "");
		}
		buf[0] = (char)(buf[0] >= 'a' && buf[0] <= 'z' ? buf[0] - 32 : buf[0]);
		add_advice(adv, buf);
	}
	if (d->safe) {
		const struct whatif_value *m = &d->safe->max_users;
		if (m->lo >= WHATIF_SEARCH_USERS)
			snprintf(buf, sizeof buf, "No user count up to %u at one request every %.3g s per user reaches "
				 "the limit: it applies per %s, so keep each one under its own budget.",
				 WHATIF_SEARCH_USERS, d->safe->max_users_pace_s, d->lim->key_name);
		else if (m->v == 0)
			snprintf(buf, sizeof buf, "Even one user at one request every %.3g s is throttled: the limit "
				 "(key %s) is below one user's rate, so space each user's requests further apart.",
				 d->safe->max_users_pace_s, d->lim->key_name);
		else if (m->v > 0)
			snprintf(buf, sizeof buf, "At one request every %.3g s per user (ramp %.0f s), up to %.0f users "
				 "(range %.0f-%.0f) stay under the limit without a throttled answer.",
				 d->safe->max_users_pace_s, d->safe_ramp_s, m->v, m->lo, m->hi);
		else
			buf[0] = 0;
		if (buf[0])
			add_advice(adv, buf);
	}
}

cJSON *whatif_json_tree(const struct whatif_doc *d)
{
	cJSON *t = cJSON_CreateObject();
	cJSON_AddStringToObject(t, "schema", WHATIF_SCHEMA);
	cJSON *in = cJSON_AddArrayToObject(t, "inputs");
	for (size_t i = 0; i < d->ninputs; i++) {
		char *e = esc_utf8_dup(d->inputs[i], strlen(d->inputs[i]));
		cJSON_AddItemToArray(in, cJSON_CreateString(e));
		free(e);
	}
	cJSON *lim = cJSON_AddObjectToObject(t, "limiter");
	cJSON_AddBoolToObject(lim, "known", d->known);
	if (!d->known) {
		add_str(lim, "why", d->why ? d->why : "no limiter model");
	} else {
		const struct whatif_limiter *l = d->lim;
		cJSON_AddStringToObject(lim, "model", whatif_model_name(l->model));
		add_str(lim, "key", l->key_name);
		cJSON *pa = cJSON_AddObjectToObject(lim, "params");
		switch (l->model) {
		case WM_TOKEN_BUCKET:
			cJSON_AddItemToObject(pa, "rate_per_s", triple_obj(l->rate, 3));
			cJSON_AddItemToObject(pa, "burst", triple_obj(l->burst, 1));
			break;
		case WM_FIXED_WINDOW:
		case WM_SLIDING_WINDOW:
			cJSON_AddItemToObject(pa, "limit", triple_obj(l->limit, 1));
			cJSON_AddItemToObject(pa, "window_s", triple_obj(l->window_s, 3));
			break;
		case WM_CONCURRENCY:
			cJSON_AddItemToObject(pa, "concurrency", triple_obj(l->concurrency, 1));
			break;
		}
	}
	if (d->rec) {
		const struct whatif_recorded *r = d->rec;
		cJSON *o = cJSON_AddObjectToObject(t, "recorded");
		cJSON_AddNumberToObject(o, "requests", (double)r->requests);
		cJSON_AddNumberToObject(o, "accepted", (double)r->accepted);
		cJSON_AddNumberToObject(o, "throttled", (double)r->throttled);
		cJSON_AddNumberToObject(o, "throttled_share", r->requests ? round_to((double)r->throttled / (double)r->requests, 4) : 0);
		cJSON_AddNumberToObject(o, "accepted_per_s", round_to(r->accepted_per_s, 3));
		if (r->first_throttle_s >= 0)
			cJSON_AddNumberToObject(o, "first_throttle_s", round_to(r->first_throttle_s, 3));
		else
			cJSON_AddNullToObject(o, "first_throttle_s");
		cJSON_AddNumberToObject(o, "span_s", round_to(r->span_s, 3));
		cJSON_AddNumberToObject(o, "users", r->users);
		cJSON_AddNumberToObject(o, "ramp_s", round_to(r->ramp_s, 3));
		cJSON_AddStringToObject(o, "spacing", r->pacing ? "pacing" : "think-time");
		cJSON_AddNumberToObject(o, "interval_s", round_to(r->interval_p50_s, 3));
		cJSON_AddNumberToObject(o, "service_ms", round_to(r->svc_ok_p50_ms, 1));
		cJSON_AddNumberToObject(o, "refused_ms", round_to(r->svc_rej_p50_ms, 1));
		if (r->retry_after_s > 0)
			cJSON_AddNumberToObject(o, "retry_after_s", round_to(r->retry_after_s, 3));
		else
			cJSON_AddStringToObject(o, "retry_after_s", r->retry_after_s < 0 ? "varying" : "absent");
		cJSON_AddNumberToObject(o, "dropped", (double)r->dropped);
		if (d->rec_series && d->nsc) {
			cJSON *se = cJSON_AddObjectToObject(o, "series");
			cJSON_AddNumberToObject(se, "width_s", d->pred[0].series_width_s);
			cJSON *a = cJSON_AddArrayToObject(se, "accepted");
			for (size_t i = 0; i < d->nrec_series; i++)
				cJSON_AddItemToArray(a, cJSON_CreateNumber(d->rec_series[i]));
		}
	}
	cJSON *scs = cJSON_AddArrayToObject(t, "scenarios");
	for (size_t i = 0; d->known && i < d->nsc; i++) {
		const struct whatif_scenario *sc = &d->sc[i];
		const struct whatif_prediction *p = &d->pred[i];
		cJSON *o = cJSON_CreateObject();
		cJSON_AddStringToObject(o, "name", sc->name);
		cJSON_AddStringToObject(o, "policy", policy_name(sc->policy));
		cJSON *load = cJSON_AddObjectToObject(o, "load");
		if (sc->users)
			cJSON_AddNumberToObject(load, "users", sc->users);
		else
			cJSON_AddNullToObject(load, "users");
		if (sc->user_pace_s > 0)
			cJSON_AddNumberToObject(load, "pace_s", sc->user_pace_s);
		else
			cJSON_AddNullToObject(load, "pace_s");
		cJSON_AddNumberToObject(load, "ramp_s", sc->ramp_s);
		cJSON_AddBoolToObject(load, "open_loop", sc->open_loop || sc->policy == WP_REPLAY);
		cJSON_AddItemToObject(o, "requests", val(&p->requests, 0, false));
		cJSON_AddItemToObject(o, "accepted", val(&p->accepted, 0, false));
		cJSON_AddItemToObject(o, "throttled", val(&p->throttled, 0, false));
		cJSON_AddItemToObject(o, "throttled_share", val(&p->share, 4, false));
		cJSON_AddItemToObject(o, "accepted_per_s", val(&p->accepted_per_s, 3, false));
		cJSON_AddItemToObject(o, "first_throttle_s", val(&p->first_throttle_s, 3, true));
		cJSON_AddItemToObject(o, "same_success_s", val(&p->same_success_s, 3, true));
		cJSON_AddBoolToObject(o, "truncated", p->truncated);
		cJSON *se = cJSON_AddObjectToObject(o, "series");
		cJSON_AddNumberToObject(se, "width_s", p->series_width_s);
		cJSON *a = cJSON_AddArrayToObject(se, "accepted");
		for (size_t k = 0; k < p->nseries; k++)
			cJSON_AddItemToArray(a, cJSON_CreateNumber(p->series[k]));
		cJSON_AddItemToArray(scs, o);
	}
	if (d->known && d->safe) {
		cJSON *o = cJSON_AddObjectToObject(t, "safe_load");
		cJSON_AddNumberToObject(o, "pace_s", round_to(d->safe->max_users_pace_s, 3));
		cJSON_AddNumberToObject(o, "ramp_s", round_to(d->safe_ramp_s, 3));
		cJSON_AddItemToObject(o, "max_users", val(&d->safe->max_users, 0, true));
		cJSON_AddBoolToObject(o, "no_limit_found", d->safe->max_users.lo >= WHATIF_SEARCH_USERS);
	}
	if (d->known)
		advise(t, d);
	else
		cJSON_AddArrayToObject(t, "advice");
	return t;
}

/* ---- text / md -------------------------------------------------------------------------- */

/* "v" or "v (lo-hi)"; "-" for null. */
static void fmt_val(char *buf, size_t len, const cJSON *x, int d, const char *unit)
{
	if (!cJSON_IsObject(x)) {
		snprintf(buf, len, "-");
		return;
	}
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(x, "v");
	const cJSON *lo = cJSON_GetObjectItemCaseSensitive(x, "lo");
	const cJSON *hi = cJSON_GetObjectItemCaseSensitive(x, "hi");
	char vs[48];
	if (cJSON_IsNumber(v))
		snprintf(vs, sizeof vs, "%.*f%s", d, v->valuedouble, unit);
	else
		snprintf(vs, sizeof vs, "none");
	if (cJSON_IsNumber(lo) && cJSON_IsNumber(hi) &&
	    (fabs(lo->valuedouble - hi->valuedouble) >= pow(10, -d) * 0.5 || !cJSON_IsNumber(v)))
		snprintf(buf, len, "%s (%.*f-%.*f)", vs, d, lo->valuedouble, d, hi->valuedouble);
	else
		snprintf(buf, len, "%s", vs);
}

static void fmt_share(char *buf, size_t len, const cJSON *thr, const cJSON *share)
{
	char a[64];
	fmt_val(a, sizeof a, thr, 0, "");
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(share, "v");
	snprintf(buf, len, "%s, %.1f %%", a, cJSON_IsNumber(v) ? 100.0 * v->valuedouble : 0);
}

static void limiter_line(FILE *f, const cJSON *t, bool md)
{
	const cJSON *lim = cJSON_GetObjectItemCaseSensitive(t, "limiter");
	const cJSON *pa = cJSON_GetObjectItemCaseSensitive(lim, "params");
	const cJSON *key = cJSON_GetObjectItemCaseSensitive(lim, "key");
	fprintf(f, "%sLimiter replayed: %s, key ", md ? "**" : "",
		cJSON_GetObjectItemCaseSensitive(lim, "model")->valuestring);
	if (md) {
		struct strbuf sb;
		strbuf_init(&sb);
		esc_md_cell(&sb, key->valuestring, strlen(key->valuestring));
		fputs(strbuf_cstr(&sb), f);
		strbuf_release(&sb);
	} else {
		esc_text_s(f, key->valuestring);
	}
	const cJSON *p;
	cJSON_ArrayForEach(p, pa) {
		char b[96];
		fmt_val(b, sizeof b, p, strcmp(p->string, "rate_per_s") == 0 || strcmp(p->string, "window_s") == 0 ? 2 : 0, "");
		fprintf(f, ", %s %s", p->string, b);
	}
	fprintf(f, "%s\n", md ? "**" : "");
}

static void recorded_line(FILE *f, const cJSON *t)
{
	const cJSON *r = cJSON_GetObjectItemCaseSensitive(t, "recorded");
	fprintf(f, "As recorded: %.0f requests from %.0f users over %.1f s, %.0f throttled (%.1f %%), %.2f req/s "
		"accepted, first throttle ", num(r, "requests"), num(r, "users"), num(r, "span_s"),
		num(r, "throttled"), 100.0 * num(r, "throttled_share"), num(r, "accepted_per_s"));
	if (num(r, "first_throttle_s") >= 0)
		fprintf(f, "at %.1f s", num(r, "first_throttle_s"));
	else
		fputs("never", f);
	const cJSON *ra = cJSON_GetObjectItemCaseSensitive(r, "retry_after_s");
	fprintf(f, "; users %s (median %.2f s), Retry-After ", strcmp(cJSON_GetObjectItemCaseSensitive(r, "spacing")->valuestring, "pacing") == 0
		? "paced start to start" : "thought between requests", num(r, "interval_s"));
	if (cJSON_IsNumber(ra))
		fprintf(f, "%g s", ra->valuedouble);
	else
		fputs(ra->valuestring, f);
	fputs(".\n", f);
}

struct col {
	const char *key, *head, *unit;
	int d;
};
static const struct col cols[] = {
	{ "requests", "requests", "", 0 },
	{ "accepted_per_s", "accepted/s", "", 2 },
	{ "throttled", "throttled", "", 0 },
	{ "first_throttle_s", "first throttle", " s", 1 },
	{ "same_success_s", "same successes", " s", 1 },
};
#define NCOLS (sizeof cols / sizeof cols[0])

static void cell(char *b, size_t len, const cJSON *s, size_t c)
{
	if (strcmp(cols[c].key, "throttled") == 0)
		fmt_share(b, len, cJSON_GetObjectItemCaseSensitive(s, "throttled"),
			  cJSON_GetObjectItemCaseSensitive(s, "throttled_share"));
	else
		fmt_val(b, len, cJSON_GetObjectItemCaseSensitive(s, cols[c].key), cols[c].d, cols[c].unit);
}

static const char *not_known(const cJSON *t)
{
	const cJSON *lim = cJSON_GetObjectItemCaseSensitive(t, "limiter");
	const cJSON *k = cJSON_GetObjectItemCaseSensitive(lim, "known");
	if (cJSON_IsTrue(k))
		return NULL;
	const cJSON *w = cJSON_GetObjectItemCaseSensitive(lim, "why");
	return cJSON_IsString(w) ? w->valuestring : "unknown";
}

static void md_s(FILE *f, const char *s)
{
	struct strbuf sb;
	strbuf_init(&sb);
	esc_md_cell(&sb, s, strlen(s));
	fputs(strbuf_cstr(&sb), f);
	strbuf_release(&sb);
}

static void html_s(FILE *f, const char *s)
{
	struct strbuf sb;
	strbuf_init(&sb);
	esc_html(&sb, s, strlen(s));
	fputs(strbuf_cstr(&sb), f);
	strbuf_release(&sb);
}

/* ---- the scenario table: one model, a renderer per format --------------------------------- */

/* One scenario as every format shows it. */
struct table_row {
	const char *name;        /* the scenario's name (holds --policy text: escape it) */
	double users;            /* > 0: the scenario's own user count */
	char cell[NCOLS][96];    /* cols[], formatted */
};

static void table_row_of(struct table_row *r, const cJSON *s)
{
	r->name = cJSON_GetObjectItemCaseSensitive(s, "name")->valuestring;
	r->users = num(cJSON_GetObjectItemCaseSensitive(s, "load"), "users");
	for (size_t c = 0; c < NCOLS; c++)
		cell(r->cell[c], sizeof r->cell[c], s, c);
}

struct table_style {
	void (*esc)(FILE *f, const char *s);             /* text from input */
	void (*head)(FILE *f);
	/* a row: text_row, or cells_row with the strings around the name and the cells */
	void (*row)(FILE *f, const struct table_style *st, const struct table_row *r);
	const char *row_open, *name_end, *cell_open, *cell_end, *row_end;
	void (*cell)(FILE *f, const char *s);            /* a formatted cell (numbers only) */
	const char *end;                                 /* after the rows: the ranges note */
	const char *item, *item_end;                     /* around one line of advice */
};

/* The table of t's scenarios, the ranges note and the advice, in style st. */
static void table_write(FILE *f, const cJSON *t, const struct table_style *st)
{
	st->head(f);
	const cJSON *s;
	cJSON_ArrayForEach(s, cJSON_GetObjectItemCaseSensitive(t, "scenarios")) {
		struct table_row r;
		table_row_of(&r, s);
		st->row(f, st, &r);
	}
	fputs(st->end, f);
	const cJSON *a;
	cJSON_ArrayForEach(a, cJSON_GetObjectItemCaseSensitive(t, "advice")) {
		fputs(st->item, f);
		st->esc(f, a->valuestring);
		fputs(st->item_end, f);
	}
}

static void text_head(FILE *f)
{
	fprintf(f, "%-44s", "scenario");
	for (size_t c = 0; c < NCOLS; c++)
		fprintf(f, "  %-22s", cols[c].head);
	fputc('\n', f);
}

/* Columns padded to width; the name is not escaped (as it always was: it is built from the
 * --policy grammar's own words and numbers). */
static void text_row(FILE *f, const struct table_style *st, const struct table_row *r)
{
	(void)st;
	char name[160];
	if (r->users > 0)
		snprintf(name, sizeof name, "%s, %.0f users", r->name, r->users);
	else
		snprintf(name, sizeof name, "%s", r->name);
	fprintf(f, "%-44s", name);
	for (size_t c = 0; c < NCOLS; c++)
		fprintf(f, "  %-22s", r->cell[c]);
	fputc('\n', f);
}

static void cells_row(FILE *f, const struct table_style *st, const struct table_row *r)
{
	fputs(st->row_open, f);
	st->esc(f, r->name);
	if (r->users > 0)
		fprintf(f, ", %.0f users", r->users);
	fputs(st->name_end, f);
	for (size_t c = 0; c < NCOLS; c++) {
		fputs(st->cell_open, f);
		st->cell(f, r->cell[c]);
		fputs(st->cell_end, f);
	}
	fputs(st->row_end, f);
}

static void md_head(FILE *f)
{
	fputs("| scenario |", f);
	for (size_t c = 0; c < NCOLS; c++)
		fprintf(f, " %s |", cols[c].head);
	fputs("\n|---|", f);
	for (size_t c = 0; c < NCOLS; c++)
		fputs("---:|", f);
	fputc('\n', f);
}

static void html_head(FILE *f)
{
	fputs("<table><tr><th>scenario</th>", f);
	for (size_t c = 0; c < NCOLS; c++)
		fprintf(f, "<th>%s</th>", cols[c].head);
	fputs("</tr>\n", f);
}

static void put_s(FILE *f, const char *s)
{
	fputs(s, f);
}

static const struct table_style TEXT_TABLE = {
	.esc = esc_text_s, .head = text_head, .row = text_row,
	.end = "(ranges: the limiter's parameters at the ends of their intervals)\n\n",
	.item = "- ", .item_end = "\n",
};
static const struct table_style MD_TABLE = {
	.esc = md_s, .head = md_head, .row = cells_row,
	.row_open = "| ", .name_end = " |", .cell_open = " ", .cell_end = " |", .row_end = "\n",
	.cell = put_s,
	.end = "\nRanges: the limiter's parameters at the ends of their intervals.\n\n",
	.item = "- ", .item_end = "\n",
};
static const struct table_style HTML_TABLE = {
	.esc = html_s, .head = html_head, .row = cells_row,
	.row_open = "<tr><td>", .name_end = "</td>", .cell_open = "<td>", .cell_end = "</td>",
	.row_end = "</tr>\n", .cell = html_s,
	.end = "</table>\n<p>Ranges: the limiter's parameters at the ends of their intervals.</p>\n<ul>\n",
	.item = "<li>", .item_end = "</li>\n",
};

/* ---- text and markdown ------------------------------------------------------------------ */

static int write_plain(FILE *f, const cJSON *t, const struct table_style *st, bool md)
{
	const char *nk = not_known(t);
	fputs(md ? "## What if\n\n" : "WHAT IF\n", f);
	if (nk) {
		fputs("Limiter unknown: nothing predicted (", f);
		st->esc(f, nk);
		fputs(").\n", f);
		return ferror(f) ? -1 : 0;
	}
	limiter_line(f, t, md);
	if (md)
		fputc('\n', f);
	recorded_line(f, t);
	fputc('\n', f);
	table_write(f, t, st);
	return ferror(f) ? -1 : 0;
}

int whatif_write_text(FILE *f, const cJSON *t)
{
	return write_plain(f, t, &TEXT_TABLE, false);
}

int whatif_write_md(FILE *f, const cJSON *t)
{
	return write_plain(f, t, &MD_TABLE, true);
}

/* ---- html ------------------------------------------------------------------------------- */

static const char *const colours[] = { "#d62728", "#1f77b4", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b" };

/* One polyline of accepted requests per second (bucket counts / width). */
static void polyline(FILE *f, const cJSON *series, double ymax, double xmax, const char *colour, bool dashed)
{
	const cJSON *a = cJSON_GetObjectItemCaseSensitive(series, "accepted");
	double w = num(series, "width_s");
	if (!cJSON_IsArray(a) || w <= 0)
		return;
	fprintf(f, "<polyline fill=\"none\" stroke=\"%s\" stroke-width=\"1.5\"%s points=\"", colour,
		dashed ? " stroke-dasharray=\"4 3\"" : "");
	int i = 0;
	const cJSON *v;
	cJSON_ArrayForEach(v, a) {
		double x = 50 + 700 * ((double)i + 0.5) * w / xmax;
		double y = 260 - 230 * (v->valuedouble / w) / ymax;
		fprintf(f, "%.1f,%.1f ", x, y);
		i++;
	}
	fputs("\"/>\n", f);
}

static double series_max(const cJSON *series, double *xmax)
{
	const cJSON *a = cJSON_GetObjectItemCaseSensitive(series, "accepted");
	double w = num(series, "width_s"), m = 0;
	if (!cJSON_IsArray(a) || w <= 0)
		return 0;
	const cJSON *v;
	int n = 0;
	cJSON_ArrayForEach(v, a) {
		m = fmax(m, v->valuedouble / w);
		n++;
	}
	*xmax = fmax(*xmax, n * w);
	return m;
}

int whatif_write_html(FILE *f, const cJSON *t)
{
	fputs("<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>jtlscope what if</title>\n"
	      "<style>body{font-family:sans-serif;margin:2em}table{border-collapse:collapse}"
	      "td,th{border:1px solid #ccc;padding:4px 8px;text-align:right}td:first-child{text-align:left}"
	      "</style></head><body>\n<h1>What if</h1>\n", f);
	const char *nk = not_known(t);
	if (nk) {
		fputs("<p>Limiter unknown: nothing predicted (", f);
		html_s(f, nk);
		fputs(").</p></body></html>\n", f);
		return ferror(f) ? -1 : 0;
	}
	fputs("<p>", f);
	{
		char *buf = NULL;
		size_t len = 0;
		FILE *m = open_memstream(&buf, &len);
		if (m) {
			limiter_line(m, t, false);
			recorded_line(m, t);
			fclose(m);
			html_s(f, buf);
		}
		free(buf);
	}
	fputs("</p>\n", f);
	table_write(f, t, &HTML_TABLE);
	const cJSON *scs = cJSON_GetObjectItemCaseSensitive(t, "scenarios");
	const cJSON *s;
	fputs("</ul>\n<h2>Accepted requests per second: recorded (black) and predicted</h2>\n", f);
	const cJSON *rs = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(t, "recorded"), "series");
	double xmax = 0, ymax = series_max(rs, &xmax);
	cJSON_ArrayForEach(s, scs)
		ymax = fmax(ymax, series_max(cJSON_GetObjectItemCaseSensitive(s, "series"), &xmax));
	if (ymax <= 0 || xmax <= 0) {
		fputs("<p>No accepted requests to chart.</p></body></html>\n", f);
		return ferror(f) ? -1 : 0;
	}
	ymax *= 1.1;
	fputs("<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"800\" height=\"340\" role=\"img\">\n"
	      "<rect x=\"50\" y=\"30\" width=\"700\" height=\"230\" fill=\"none\" stroke=\"#999\"/>\n", f);
	fprintf(f, "<text x=\"45\" y=\"35\" text-anchor=\"end\" font-size=\"11\">%.1f</text>\n"
		"<text x=\"45\" y=\"262\" text-anchor=\"end\" font-size=\"11\">0</text>\n"
		"<text x=\"750\" y=\"278\" text-anchor=\"end\" font-size=\"11\">%.0f s</text>\n", ymax, xmax);
	polyline(f, rs, ymax, xmax, "#000", false);
	int i = 0, y = 300;
	cJSON_ArrayForEach(s, scs) {
		const char *col = colours[(size_t)i % (sizeof colours / sizeof colours[0])];
		polyline(f, cJSON_GetObjectItemCaseSensitive(s, "series"), ymax, xmax, col, true);
		fprintf(f, "<text x=\"%d\" y=\"%d\" font-size=\"11\" fill=\"%s\">", 50 + (i % 3) * 240, y + (i / 3) * 14 - 10, col);
		html_s(f, cJSON_GetObjectItemCaseSensitive(s, "name")->valuestring);
		fputs("</text>\n", f);
		i++;
	}
	fputs("</svg>\n</body></html>\n", f);
	return ferror(f) ? -1 : 0;
}

