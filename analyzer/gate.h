/* gate.h - CI gate: `--fail-on EXPR` criteria, parsed, and evaluated on the typed metrics of a
 * run (analyzer/run_metrics.h).  Shared by report, batch, merge and compare.
 *
 *   struct gate *g = gate_new();
 *   if (gate_add(g, "p95>800ms", err, sizeof err) != 0) ...         usage error (exit 2)
 *   int met = gate_eval_metrics(g, NULL, &metrics);                 0: the gate passes
 *   junit_print_lines(stderr, g, gate_nsuites(g) - 1);              reports/junit.h
 *   junit_write(g, path, err, sizeof err);                          ...
 *   gate_free(g);
 *
 * Grammar (one criterion per --fail-on; blanks allowed between the parts):
 *
 *   criterion := [ "label:" NAME ":" | "region:" NAME ":" ] METRIC OP NUMBER [UNIT] [ "for" DURATION ]
 *   OP        := ">" | ">=" | "<" | "<=" | "==" | "!="
 *   NUMBER    := digits [ "." digits ]
 *   UNIT      := "ms" | "s" | "m" | "min" | "h"      time metrics (a bare number is ms)
 *              | "%"                                  errors, throttled: a share of samples
 *              | "/s" | "/m" | "/min" | "/h"          rate metrics (a bare number is per s)
 *
 *   METRIC (all samples, or one label with label:NAME:)
 *     p50 p90 p95 p99 mean min max      elapsed time
 *     ok_p50 ok_p95 ok_p99 ok_mean      successful samples only
 *     errors  throttled                 with %: share of samples; without: a count
 *     samples skipped                   counts (skipped: malformed records, whole run only)
 *     rate (= throughput)               samples per second over the run
 *   METRIC (response codes, whole run: "codes" of the report)
 *     rcNNN rcNxx rcNNx                 e.g. rc429, rc5xx, rc50x; with %: share of samples
 *
 *   "for DURATION" (ms, s, m, min, h; unit required): the condition must hold in consecutive
 *   buckets of the time series for at least DURATION ("p95>800ms for 30s"); for p50 p95 p99
 *   ok_p50 ok_p95 errors throttled samples rate rcNxx, whole run only.  A bucket without
 *   samples breaks a latency or share stretch; its rate is 0.
 *   METRIC (throttle analysis: the whole run, or one region/group with region:NAME:)
 *     onset                             offset of sustained throttling from the test start
 *     onset_threads                     threads sending when it began
 *     limit                             the limiter's estimated rate (per s)
 *
 * NAME runs to the LAST ':' that is followed by a metric and an operator, so labels holding ':'
 * work ("label:GET http://h:8080/x:p95>1s").  A criterion is MET when the report's value
 * satisfies it; then the gate fails.  A label the report does not have is a usage error
 * (gate_unknown_labels(); "ERROR" line, <error> testcase).  A value the report does not have
 * (no throttle section, no such region) is "n/a": not met, a <skipped> testcase in JUnit, and
 * counted by gate_unavailable().  On a report without samples every criterion is met.  When the throttle analysis found no sustained throttling, onset criteria
 * are not met ("no onset").
 */
#ifndef JTLSCOPE_ANALYZER_GATE_H
#define JTLSCOPE_ANALYZER_GATE_H

#include <stddef.h>
#include "analyzer/run_metrics.h"

/* Option lines for a command's usage text (report, merge, ...). */
#define GATE_USAGE                                                                                  \
	"      --fail-on EXPR         exit 6 when EXPR holds, e.g. p95>800ms, errors>1%, onset<300s,\n" \
	"                             label:Login:p99>2s, rate<10/s, rc429>5%, rc5xx>0,\n"          \
	"                             'p95>800ms for 30s' (repeatable; docs/archives.md)\n"          \
	"      --junit FILE           write the --fail-on results as JUnit XML\n"

#define GATE_MAX_CRITERIA 64
#define GATE_MAX_EXPR 1024     /* bytes of one --fail-on expression */

struct gate;

/* The gate owns its criteria and every evaluation's results; gate_free releases them. */
struct gate *gate_new(void);
void gate_free(struct gate *g);

/* Parse one criterion.  0, or -1 with "--fail-on 'EXPR': what is wrong" in err. */
int gate_add(struct gate *g, const char *expr, char *err, size_t errlen);
size_t gate_count(const struct gate *g);

/* Evaluate every criterion on one run and keep the results as one suite (JUnit testsuite)
 * named suite (NULL: "jtlscope"; batch names it after the run).  May be called once per run.
 * Returns the number of criteria met (0: the gate passes). */
int gate_eval_metrics(struct gate *g, const char *suite, const struct run_metrics *m);
/* Criteria that could not be evaluated (n/a) over all evaluations so far. */
size_t gate_unavailable(const struct gate *g);
/* Criteria naming a label the report does not have (a usage error: report exits 2; an
 * <error> testcase in JUnit), over all evaluations so far. */
size_t gate_unknown_labels(const struct gate *g);

/* --- the results, for the writers (reports/junit.c) ------------------------------------- */

enum gate_verdict {
	GATE_PASS,
	GATE_MET,      /* the criterion holds: the gate fails */
	GATE_NA,       /* the run has no such value */
	GATE_NO_LABEL,    /* no such label: a usage error */
};

size_t gate_nsuites(const struct gate *g);
/* The suite's name as given to gate_eval_metrics (NULL for the default); borrowed. */
const char *gate_suite_name(const struct gate *g, size_t suite);
/* Criterion k as the user wrote it; borrowed. */
const char *gate_expr(const struct gate *g, size_t k);
/* Result of criterion k in a suite (k < gate_count): the note ("p95 = 912 ms"; borrowed) and
 * the actual value (NAN when none). */
enum gate_verdict gate_result(const struct gate *g, size_t suite, size_t k, const char **note,
			      double *actual);
/* An actual value of criterion k in its unit ("912 ms", "1.200 %", "none" for NAN). */
void gate_format_value(const struct gate *g, size_t k, double v, char *buf, size_t len);

#endif
