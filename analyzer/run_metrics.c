/* run_metrics.c - the typed record of one run and its look-ups (run_metrics.h). */
#include "analyzer/run_metrics.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static void stats_nan(struct rm_stats *s)
{
	double *v[] = { &s->count, &s->errors, &s->error_pct, &s->throttled, &s->p50_ms, &s->p90_ms,
			&s->p95_ms, &s->p99_ms, &s->mean_ms, &s->min_ms, &s->max_ms, &s->throughput_per_s,
			&s->ok_p50_ms, &s->ok_p95_ms, &s->ok_p99_ms, &s->ok_mean_ms };
	for (size_t i = 0; i < sizeof v / sizeof *v; i++)
		*v[i] = NAN;
}

void run_metrics_init(struct run_metrics *m)
{
	memset(m, 0, sizeof *m);
	m->samples_total = m->samples_skipped = m->samples_errors = m->samples_throttled = NAN;
	m->first_ts_ms = m->end_ms = m->bucket_ms = NAN;
	stats_nan(&m->total);
	m->overall.detected = -1;
	m->overall.onset_offset_s = m->overall.onset_ts_ms = m->overall.onset_threads = NAN;
	for (int p = 0; p < RM_NPARAMS; p++)
		m->overall.limit.p[p] = (struct rm_interval){ NAN, NAN, NAN };
}

static void group_release(struct rm_group *g)
{
	free(g->name);
	free(g->region);
	free(g->scope);
	free(g->limit.model);
}

void run_metrics_release(struct run_metrics *m)
{
	for (size_t i = 0; i < m->nlabels; i++)
		free(m->labels[i].label);
	free(m->labels);
	for (size_t i = 0; i < m->ncodes; i++)
		free(m->codes[i].code);
	free(m->codes);
	free(m->series);
	group_release(&m->overall);
	for (size_t i = 0; i < m->ngroups; i++)
		group_release(&m->groups[i]);
	free(m->groups);
	free(m->total.label);
	run_metrics_init(m);
}

const struct rm_stats *run_metrics_stats(const struct run_metrics *m, const char *label)
{
	if (!label)
		return m->has_total ? &m->total : NULL;
	for (size_t i = 0; i < m->nlabels; i++)
		if (strcmp(m->labels[i].label, label) == 0)
			return &m->labels[i];
	return NULL;
}

const struct rm_group *run_metrics_group(const struct run_metrics *m, const char *name)
{
	if (!m->has_throttle)
		return NULL;
	if (!name)
		return &m->overall;
	for (int list = RM_GROUPS; list <= RM_REGIONS; list++)
		for (size_t i = 0; i < m->ngroups; i++)
			if ((int)m->groups[i].list == list && m->groups[i].name &&
			    strcmp(m->groups[i].name, name) == 0)
				return &m->groups[i];
	return NULL;
}

bool run_metrics_model_known(const struct rm_group *g)
{
	return g && g->limit.model && strcmp(g->limit.model, "unknown") != 0;
}

const struct rm_group *run_metrics_limiter(const struct run_metrics *m)
{
	const struct rm_group *all = run_metrics_group(m, NULL);
	if (!all || run_metrics_model_known(all))
		return all;
	const struct rm_group *best = NULL;
	double best_ts = INFINITY;
	for (size_t i = 0; i < m->ngroups; i++) {
		const struct rm_group *g = &m->groups[i];
		double ts = g->onset_ts_ms;
		if (g->list == RM_REGIONS && g->detected == 1 && run_metrics_model_known(g) && !isnan(ts) &&
		    ts < best_ts) {
			best = g;
			best_ts = ts;
		}
	}
	return best ? best : all;
}

const char *run_metrics_param_name(enum rm_param p)
{
	static const char *const names[RM_NPARAMS] = { "rate_per_s", "burst", "limit", "window_s",
						       "concurrency" };
	return (unsigned)p < RM_NPARAMS ? names[p] : "?";
}
