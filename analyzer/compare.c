/* compare.c - statistics of two runs (compare.h). */
#include "analyzer/compare.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

bool compare_z_test(double e1, double n1, double e2, double n2, double *z, double *p)
{
	if (!(n1 > 0 && n2 > 0))
		return false;
	double pp = (e1 + e2) / (n1 + n2);
	double se = sqrt(pp * (1 - pp) * (1 / n1 + 1 / n2));
	if (!(se > 0))
		return false;
	*z = (e2 / n2 - e1 / n1) / se;
	*p = erfc(fabs(*z) / sqrt(2.0));
	return true;
}

double compare_pct_change(double b, double c)
{
	if (isnan(b) || isnan(c))
		return NAN;
	if (b == 0)
		return c == 0 ? 0 : INFINITY;
	return 100.0 * (c - b) / b;
}

const char *compare_change_note(double b, double c, bool higher_is_worse, bool is_latency)
{
	double d = compare_pct_change(b, c);
	if (isnan(d))
		return "n/a";
	if (fabs(d) < COMPARE_PCT_NOISE)
		return is_latency ? "within histogram error" : "unchanged";
	if (fabs(d) <= COMPARE_PCT_FLAG)
		return "small change";
	bool worse = higher_is_worse ? c > b : c < b;
	if (is_latency)
		return worse ? "SLOWER (>10 %)" : "faster (>10 %)";
	return worse ? "LOWER (>10 %)" : "higher (>10 %)";
}

const char *compare_limit_verdict_name(enum compare_limit_verdict v)
{
	switch (v) {
	case COMPARE_LIMIT_CHANGED: return "changed";
	case COMPARE_LIMIT_UNCHANGED: return "unchanged";
	case COMPARE_LIMIT_CANNOT_TELL: break;
	}
	return "cannot tell";
}

static bool has_interval(const struct rm_interval *i)
{
	return !isnan(i->low) && !isnan(i->high) && i->low <= i->high;
}

/* The fitted limiter of a run, or NULL (with why) when there is none to compare. */
static const struct rm_group *fitted(const struct run_metrics *m, const char *side, char *why, size_t len)
{
	const struct rm_group *all = run_metrics_group(m, NULL);
	if (!all) {
		snprintf(why, len, "the %s has no throttle analysis", side);
		return NULL;
	}
	if (all->detected != 1) {
		snprintf(why, len, "the %s shows no sustained throttling", side);
		return NULL;
	}
	const struct rm_group *g = run_metrics_limiter(m);
	if (!run_metrics_model_known(g)) {
		snprintf(why, len, "the %s has no fitted limiter model", side);
		return NULL;
	}
	return g;
}

void compare_limits(const struct run_metrics *base, const struct run_metrics *cand, struct compare_limit *out)
{
	memset(out, 0, sizeof *out);
	out->verdict = COMPARE_LIMIT_CANNOT_TELL;
	char why[160];
	out->base = fitted(base, "baseline", why, sizeof why);
	if (out->base)
		out->cand = fitted(cand, "candidate", why, sizeof why);
	if (!out->base || !out->cand) {
		snprintf(out->why, sizeof out->why, "cannot tell: %s", why);
		return;
	}
	bool same_model = strcmp(out->base->limit.model, out->cand->limit.model) == 0;
	size_t ncompared = 0, ndisjoint = 0;
	int first_disjoint = -1;
	for (int p = 0; p < RM_NPARAMS; p++) {
		if (p != RM_RATE && !same_model)
			continue;
		const struct rm_interval *b = &out->base->limit.p[p], *c = &out->cand->limit.p[p];
		if (!has_interval(b) || !has_interval(c))
			continue;
		out->compared[p] = true;
		ncompared++;
		out->disjoint[p] = b->high < c->low || c->high < b->low;
		if (out->disjoint[p]) {
			ndisjoint++;
			if (first_disjoint < 0)
				first_disjoint = p;
		}
	}
	if (ndisjoint) {
		const struct rm_interval *b = &out->base->limit.p[first_disjoint];
		const struct rm_interval *c = &out->cand->limit.p[first_disjoint];
		out->verdict = COMPARE_LIMIT_CHANGED;
		snprintf(out->why, sizeof out->why, "LIMIT CHANGED: %s [%g, %g] -> [%g, %g], the intervals do not overlap%s",
			 run_metrics_param_name((enum rm_param)first_disjoint), b->low, b->high, c->low, c->high,
			 ndisjoint > 1 ? " (and others)" : "");
	} else if (ncompared) {
		out->verdict = COMPARE_LIMIT_UNCHANGED;
		char names[96] = "";
		size_t o = 0;
		for (int p = 0; p < RM_NPARAMS && o < sizeof names; p++)
			if (out->compared[p]) {
				int w = snprintf(names + o, sizeof names - o, "%s%s", o ? ", " : "",
						 run_metrics_param_name((enum rm_param)p));
				if (w < 0)
					break;
				o += (size_t)w;
			}
		snprintf(out->why, sizeof out->why, "unchanged: the intervals of %s overlap%s", names,
			 same_model ? "" : " (the models differ: only the rate compared)");
	} else {
		snprintf(out->why, sizeof out->why, "cannot tell: no parameter interval %s",
			 same_model ? "on both sides" : "comparable across the two models");
	}
}
