/* fuzz_gate.c - the --fail-on expression parser and evaluator (cli/gate.c): each input line is
 * one criterion for gate_add; the accepted ones are evaluated on a small real report tree and
 * written as JUnit XML (to /dev/null), so the expression text also goes through the XML
 * escaping of the JUnit writer.  The whole input is tried as one expression as well. */
#include <string.h>

#include <cjson/cJSON.h>

#include "cli/gate.h"
#include "fuzz/fuzz_common.h"
#include "fuzz/fuzz_gate_report.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static cJSON *tree;
	static FILE *null;
	if (!tree) {
		tree = cJSON_Parse(fuzz_gate_report);
		null = fopen("/dev/null", "w");
		if (!tree || !null)
			abort();
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
	int met = gate_eval(g, tree, null);
	FUZZ_ASSERT(met >= 0 && (size_t)met <= added);
	met = gate_eval_suite(g, "fuzz <suite> & \"run\"", tree, null);
	FUZZ_ASSERT(met >= 0 && (size_t)met <= added);
	fuzz_sink += (unsigned)gate_unavailable(g);
	if (gate_write_junit(g, "/dev/null", err, sizeof err) != 0)
		FUZZ_ASSERT(err[0] != '\0');
	gate_free(g);

	/* the raw input as one expression */
	free(s);
	s = xstrndup((const char *)data, size);
	g = gate_new();
	if (gate_add(g, s, err, sizeof err) == 0)
		fuzz_sink += (unsigned)gate_eval(g, tree, null);
	gate_free(g);
	free(s);
	return 0;
}
