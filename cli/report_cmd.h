/* report_cmd.h - `jtlscope report`: read inputs into one analysis and write the reports. */
#ifndef JTLSCOPE_CLI_REPORT_CMD_H
#define JTLSCOPE_CLI_REPORT_CMD_H

#include <stdbool.h>
#include <stdio.h>

/* Exit codes (documented in docs/jtlscope.1 and the README). */
enum {
	EXIT_OK = 0,
	EXIT_USAGE = 2,      /* bad command line */
	EXIT_INPUT = 3,      /* an input could not be read: missing, unknown format, corrupt */
	EXIT_STRICT = 4,     /* --strict and a record was malformed */
	EXIT_OUTPUT = 5,     /* a report could not be written */
	EXIT_GATE = 6,       /* a --fail-on criterion was met */
};

int cmd_report(int argc, char **argv);

struct analysis;
struct report_meta;
/* Write DIR/NAME with fn, say so on stderr unless quiet; EXIT_OK or EXIT_OUTPUT (message
 * printed).  Shared by report and merge. */
int report_write_file(const char *dir, const char *name, const struct analysis *a,
		      const struct report_meta *m,
		      int (*fn)(FILE *, const struct analysis *, const struct report_meta *), bool quiet);
void report_usage(FILE *f);

#endif
