/* fuzz_gate.c - the --fail-on expression parser and evaluator (analyzer/gate.c): each input line is
 * one criterion for gate_add; the accepted ones are evaluated on a small real report tree and
 * written as JUnit XML (to /dev/null), so the expression text also goes through the XML
 * escaping of the JUnit writer.  The whole input is tried as one expression as well. */
#include <string.h>

#include <cjson/cJSON.h>

#include "analyzer/gate.h"
#include "fuzz/fuzz_common.h"
#include "fuzz/fuzz_gate_report.h"
#include "reports/junit.h"
#include "reports/report_read.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct run_metrics m;
	static FILE *null;
	if (!null) {
		cJSON *tree = cJSON_Parse(fuzz_gate_report);
		null = fopen("/dev/null", "w");
		if (!tree || !null)
			abort();
		report_read_metrics(&m, tree);
		cJSON_Delete(tree);
	}
	char *s = xstrndup((const char *)data, size);
	struct gate *g = gate_new();
	char err[512];
	size_t added = 0;
	/* every line a criterion (the NUL-terminated copy stops at an embedded NUL) */
	for (char *line = s, *next; line && added < 16; line = next) {
		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		err[0] = '\0';
		if (gate_add(g, line, err, sizeof err) == 0)
			added++;
		else
			FUZZ_ASSERT(err[0] != '\0');
	}
	FUZZ_ASSERT(gate_count(g) == added);
	int met = gate_eval_metrics(g, NULL, &m);
	FUZZ_ASSERT(met >= 0 && (size_t)met <= added);
	junit_print_lines(null, g, 0);
	met = gate_eval_metrics(g, "fuzz <suite> & \"run\"", &m);
	FUZZ_ASSERT(met >= 0 && (size_t)met <= added);
	junit_print_lines(null, g, 1);
	fuzz_sink += (unsigned)gate_unavailable(g);
	if (junit_write(g, "/dev/null", err, sizeof err) != 0)
		FUZZ_ASSERT(err[0] != '\0');
	gate_free(g);

	/* the raw input as one expression */
	free(s);
	s = xstrndup((const char *)data, size);
	g = gate_new();
	if (gate_add(g, s, err, sizeof err) == 0)
		fuzz_sink += (unsigned)gate_eval_metrics(g, NULL, &m);
	gate_free(g);
	free(s);
	return 0;
}
