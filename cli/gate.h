/* gate.h - CI gate: `--fail-on EXPR` criteria evaluated on a JSON report tree, and their JUnit
 * XML.  Shared by report, batch, merge and compare.
 *
 *   struct gate *g = gate_new();
 *   if (gate_add(g, "p95>800ms", err, sizeof err) != 0) { diag_error("%s", err); exit 2 }
 *   cJSON *tree = report_json_tree(a, &meta);            (reports/json_util.h)
 *   int met = gate_eval(g, tree, stderr);                 one line per criterion
 *   if (junit && gate_write_junit(g, junit, err, sizeof err) != 0) ... exit 5
 *   gate_free(g);                                         exit EXIT_GATE (6) when met > 0
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
#ifndef JTLSCOPE_CLI_GATE_H
#define JTLSCOPE_CLI_GATE_H

#include <cjson/cJSON.h>
#include <stddef.h>
#include <stdio.h>

/* Option lines for a command's usage text (report, merge, ...). */
#define GATE_USAGE                                                                                  \
	"      --fail-on EXPR         exit 6 when EXPR holds, e.g. p95>800ms, errors>1%, onset<300s,\n" \
	"                             label:Login:p99>2s, rate<10/s, rc429>5%, rc5xx>0,\n"          \
	"                             'p95>800ms for 30s' (repeatable; docs/archives.md)\n"          \
	"      --junit FILE           write the --fail-on results as JUnit XML\n"

#define GATE_MAX_CRITERIA 64
#define GATE_MAX_EXPR 1024     /* bytes of one --fail-on expression */

struct gate;

struct gate *gate_new(void);
void gate_free(struct gate *g);

/* Parse one criterion.  0, or -1 with "--fail-on 'EXPR': what is wrong" in err. */
int gate_add(struct gate *g, const char *expr, char *err, size_t errlen);
size_t gate_count(const struct gate *g);

/* Evaluate every criterion on one report tree (report_json_tree or a parsed report.json) and
 * keep the results as one JUnit testsuite named "jtlscope".  Writes one line per criterion to
 * out ("gate: FAIL p95>800ms: p95 = 912 ms"), nothing when out is NULL.  Returns the number of
 * criteria met (0: the gate passes). */
int gate_eval(struct gate *g, const cJSON *report, FILE *out);
/* Same, naming the testsuite (batch: the run's path).  May be called once per run. */
int gate_eval_suite(struct gate *g, const char *suite, const cJSON *report, FILE *out);
/* Criteria that could not be evaluated (n/a) over all evaluations so far. */
size_t gate_unavailable(const struct gate *g);
/* Criteria naming a label the report does not have (a usage error: report exits 2; an
 * <error> testcase in JUnit), over all evaluations so far. */
size_t gate_unknown_labels(const struct gate *g);

/* JUnit XML of every evaluation so far: one <testsuite> per evaluation, one <testcase> per
 * criterion, <failure> (with the actual value) when met, <skipped> when n/a.  Strings are
 * escaped for XML.  0, or -1 with the reason in err. */
int gate_write_junit(const struct gate *g, const char *path, char *err, size_t errlen);

/* --- report-tree accessors (also used by batch and compare) ------------------------------ */

/* The statistics object of a label ("labels" entry), or "total" when label is NULL. */
const cJSON *gate_report_stats(const cJSON *report, const char *label);
/* The throttle group object of a region/group name, or the overall group when name is NULL;
 * NULL when the report has no throttle analysis or no such group. */
const cJSON *gate_report_group(const cJSON *report, const char *name);
/* Number at a dotted path ("onset.offset_s") below o; NAN when absent or not a number. */
double gate_num(const cJSON *o, const char *path);
/* String at a dotted path, or NULL. */
const char *gate_str(const cJSON *o, const char *path);
/* The group whose limiter estimate stands for the run: the overall group when its model is
 * known, else the throttled region with the earliest onset that has one, else the overall
 * group.  NULL without a throttle analysis. */
const cJSON *gate_report_limiter(const cJSON *report);
/* Did this group throttle in a sustained way? (-1: unknown) */
int gate_group_detected(const cJSON *group);

#endif
