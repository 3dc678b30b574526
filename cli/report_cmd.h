/* report_cmd.h - `jtlscope report`: read inputs into one analysis and write the reports. */
#ifndef JTLSCOPE_CLI_REPORT_CMD_H
#define JTLSCOPE_CLI_REPORT_CMD_H

#include <stdbool.h>
#include <stdio.h>

#include "common/exit_codes.h"

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
