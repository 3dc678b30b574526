/* junit.h - the gate's results written out: one line per criterion for the terminal, and
 * JUnit XML for CI (analyzer/gate.h holds the results).  Every string is escaped for its
 * target (reports/escape.h): \xNN in the lines, XML entities in JUnit. */
#ifndef JTLSCOPE_REPORTS_JUNIT_H
#define JTLSCOPE_REPORTS_JUNIT_H

#include <stddef.h>
#include <stdio.h>
#include "analyzer/gate.h"

/* "gate: FAIL [SUITE: ]p95>800ms: p95 = 912 ms", one line per criterion of one suite. */
void junit_print_lines(FILE *out, const struct gate *g, size_t suite);

/* JUnit XML of every evaluation so far ('-' = stdout): one <testsuite> per evaluation, one
 * <testcase> per criterion, <failure> (with the actual value) when met, <skipped> when n/a,
 * <error> when a criterion names a label the run does not have.  0, or -1 with the reason in
 * err. */
int junit_write(const struct gate *g, const char *path, char *err, size_t errlen);

#endif
