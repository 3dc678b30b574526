/* gate.c - the gate's command-line end (gate.h). */
#include "cli/gate.h"

#include "common/diag.h"
#include "common/exit_codes.h"
#include "common/util.h"
#include "reports/junit.h"
#include "reports/report_read.h"

int gate_opt(struct gate_opts *o, int id, const char *arg)
{
	if (id == OPT_JUNIT) {
		o->junit = arg;
		return 1;
	}
	if (id != OPT_FAIL_ON)
		return 0;
	char err[1200];
	if (!o->gate)
		o->gate = gate_new();
	if (gate_add(o->gate, arg, err, sizeof err) != 0) {
		diag_error("%s", err);
		return -1;
	}
	return 1;
}

int gate_opts_check(const struct gate_opts *o)
{
	if (o->junit && !gate_opts_any(o)) {
		diag_error("--junit needs at least one --fail-on");
		return EXIT_USAGE;
	}
	return EXIT_OK;
}

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

int gate_write_junit(const struct gate *g, const char *path, char *err, size_t errlen)
{
	return junit_write(g, path, err, errlen);
}
