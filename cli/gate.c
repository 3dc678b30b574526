/* gate.c - the gate's command-line end (gate.h). */
#include "cli/gate.h"

#include <math.h>
#include <string.h>

#include "common/diag.h"
#include "common/exit_codes.h"
#include "common/util.h"
#include "reports/junit.h"
#include "reports/report_read.h"

int gate_finish(struct gate *g, const char *suite, const struct run_metrics *m, const char *junit,
		bool quiet)
{
	int met = gate_eval_metrics(g, suite, m);
	if (!quiet)
		junit_print_lines(stderr, g, gate_nsuites(g) - 1);
	if (junit) {
		char err[1200];
		if (junit_write(g, junit, err, sizeof err) != 0) {
			diag_error("%s", err);
			return EXIT_OUTPUT;
		}
	}
	return met > 0 ? EXIT_GATE : EXIT_OK;
}

int gate_eval_suite(struct gate *g, const char *suite, const cJSON *report, FILE *out)
{
	struct run_metrics m;
	report_read_metrics(&m, report);
	int met = gate_eval_metrics(g, suite, &m);
	run_metrics_release(&m);
	if (out)
		junit_print_lines(out, g, gate_nsuites(g) - 1);
	return met;
}

int gate_eval(struct gate *g, const cJSON *report, FILE *out)
{
	return gate_eval_suite(g, NULL, report, out);
}

int gate_write_junit(const struct gate *g, const char *path, char *err, size_t errlen)
{
	return junit_write(g, path, err, errlen);
}

double gate_num(const cJSON *o, const char *path)
{
	return report_read_num(o, path);
}

const char *gate_str(const cJSON *o, const char *path)
{
	return report_read_str(o, path);
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
	if (!cJSON_IsObject(group))
		return -1;
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(group, "detected");
	if (!cJSON_IsBool(v)) {
		const cJSON *on = cJSON_GetObjectItemCaseSensitive(group, "onset");
		v = cJSON_IsObject(on) ? cJSON_GetObjectItemCaseSensitive(on, "detected") : NULL;
	}
	return cJSON_IsBool(v) ? (cJSON_IsTrue(v) ? 1 : 0) : -1;
}

