/* report_opts.h - which options of `jtlscope report` take a value, for the commands that pass
 * options through to report workers (batch).  One table: the common options come from
 * COMMON_LONGOPTS (cli/options.h), the very list report's getopt_long uses, so they cannot
 * drift; report's own options are listed next to it and must follow cli/report_cmd.c. */
#ifndef JTLSCOPE_CLI_REPORT_OPTS_H
#define JTLSCOPE_CLI_REPORT_OPTS_H

#include <stdbool.h>
#include <stddef.h>

/* Formats `report --format` accepts that batch asks for by default, besides json. */
extern const char REPORT_DEFAULT_EXTRA_FORMATS[];

/* Does report's long option NAME (without "--", n bytes) take a value?  false also for an
 * option report does not know (it then refuses it, and batch's up-front check says so). */
bool report_opt_takes_value(const char *name, size_t n);

#endif
