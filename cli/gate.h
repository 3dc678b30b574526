/* gate.h - the gate as the commands use it: --fail-on/--junit on the command line, evaluated
 * on a run's metrics, the result lines on stderr, JUnit on request.  The grammar and the
 * evaluator are analyzer/gate.h; the writers reports/junit.h; reading a report tree back
 * reports/report_read.h.
 *
 *   struct gate *g = gate_new();
 *   if (gate_add(g, optarg, err, sizeof err) != 0) ...                exit 2
 *   rc = gate_finish(g, NULL, &metrics, junit);                        EXIT_OK / _GATE / _OUTPUT
 *   gate_free(g);
 */
#ifndef JTLSCOPE_CLI_GATE_H
#define JTLSCOPE_CLI_GATE_H

#include <cjson/cJSON.h>
#include <stdio.h>
#include "analyzer/gate.h"
#include "analyzer/run_metrics.h"

/* Evaluate g on m as one suite, print its lines on stderr unless quiet, write JUnit to junit
 * (when not NULL).  EXIT_OK, EXIT_GATE when a criterion is met, EXIT_OUTPUT when the JUnit
 * file cannot be written (message printed). */
int gate_finish(struct gate *g, const char *suite, const struct run_metrics *m, const char *junit,
		bool quiet);

/* --- on a report tree, for merge (which still holds one) ----------------------------------- */

/* gate_eval_metrics on the tree's metrics as one unnamed suite, one line per criterion to out
 * (none when NULL). */
int gate_eval(struct gate *g, const cJSON *report, FILE *out);
/* junit_write (reports/junit.h). */
int gate_write_junit(const struct gate *g, const char *path, char *err, size_t errlen);

#endif
