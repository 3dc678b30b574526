/* gate.c - the gate's command-line end (gate.h). */
#include "cli/gate.h"

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

int gate_eval(struct gate *g, const cJSON *report, FILE *out)
{
	struct run_metrics m;
	report_read_metrics(&m, report);
	int met = gate_eval_metrics(g, NULL, &m);
	run_metrics_release(&m);
	if (out)
		junit_print_lines(out, g, gate_nsuites(g) - 1);
	return met;
}

int gate_write_junit(const struct gate *g, const char *path, char *err, size_t errlen)
{
	return junit_write(g, path, err, errlen);
}
