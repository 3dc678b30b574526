/* report_opts.h - the options of `jtlscope report`: its one table, which cmd_report parses
 * with and which the commands that pass options through to report workers (batch) read. */
#ifndef JTLSCOPE_CLI_REPORT_OPTS_H
#define JTLSCOPE_CLI_REPORT_OPTS_H

#include <getopt.h>
#include <stdbool.h>
#include <stddef.h>

#include "cli/options.h"

/* Formats `report --format` accepts that batch asks for by default, besides json. */
extern const char REPORT_DEFAULT_EXTRA_FORMATS[];

/* report's own option ids; the rest are REPORT_OUT_LONGOPTS and COMMON_LONGOPTS. */
enum report_opt_id { OPT_KEYLOG = OPT_OWN };
extern const struct option report_options[];

/* Does report's long option NAME (without "--", n bytes) take a value?  false also for an
 * option report does not know (it then refuses it, and batch's up-front check says so). */
bool report_opt_takes_value(const char *name, size_t n);

#endif
