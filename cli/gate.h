/* gate.h - the gate as the commands use it: --fail-on/--junit on the command line, evaluated
 * on a run's metrics, the result lines on stderr, JUnit on request.  The grammar and the
 * evaluator are analyzer/gate.h; the writers reports/junit.h; reading a report tree back
 * reports/report_read.h.
 *
 *   struct gate_opts go = { 0 };                     GATE_LONGOPTS in the command's table
 *   handler: default: r = gate_opt(&go, id, arg) ...  (gate_new on the first --fail-on)
 *   if (gate_opts_check(&go) != EXIT_OK) ...          exit 2: --junit without --fail-on
 *   rc = gate_finish(go.gate, NULL, &metrics, go.junit, false);   EXIT_OK / _GATE / _OUTPUT
 *   gate_free(go.gate);
 */
#ifndef JTLSCOPE_CLI_GATE_H
#define JTLSCOPE_CLI_GATE_H

#include <stdio.h>
#include "analyzer/gate.h"
#include "analyzer/run_metrics.h"
#include "cli/options.h"

/* --fail-on EXPR (repeatable) and --junit FILE: report, merge and compare take them. */
enum gate_opt_id { OPT_FAIL_ON = OPT_COMMON_END, OPT_JUNIT, OPT_GATE_END };
#define GATE_LONGOPTS                                                                \
	{ "fail-on", required_argument, NULL, OPT_FAIL_ON },                         \
	{ "junit", required_argument, NULL, OPT_JUNIT }

struct gate_opts {
	struct gate *gate;      /* NULL until the first --fail-on; the command frees it */
	const char *junit;
};
/* 1 handled, 0 not a gate option, -1 bad expression (message printed). */
int gate_opt(struct gate_opts *o, int id, const char *arg);
/* EXIT_OK, or EXIT_USAGE when --junit came without --fail-on (message printed). */
int gate_opts_check(const struct gate_opts *o);
/* Criteria given? */
static inline bool gate_opts_any(const struct gate_opts *o) { return o->gate && gate_count(o->gate); }

/* Evaluate g on m as one suite, print its lines on stderr unless quiet, write JUnit to junit
 * (when not NULL).  EXIT_OK, EXIT_GATE when a criterion is met, EXIT_OUTPUT when the JUnit
 * file cannot be written (message printed). */
int gate_finish(struct gate *g, const char *suite, const struct run_metrics *m, const char *junit,
		bool quiet);

/* junit_write (reports/junit.h), for batch. */
int gate_write_junit(const struct gate *g, const char *path, char *err, size_t errlen);

#endif
