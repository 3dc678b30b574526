/* report_opts.c - see report_opts.h. */
#include "cli/report_opts.h"

#include <getopt.h>
#include <string.h>

#include "cli/options.h"

const char REPORT_DEFAULT_EXTRA_FORMATS[] = "md,html";

/* report's long options: its own (cli/report_cmd.c, cmd_report) and the common ones. */
static const struct option report_opt_table[] = {
	{ "output", required_argument, NULL, 'o' },
	{ "format", required_argument, NULL, 'f' },
	{ "quiet", no_argument, NULL, 'q' },
	{ "help", no_argument, NULL, 'h' },
	{ "stamp", no_argument, NULL, 0 },
	{ "charts", required_argument, NULL, 0 },
	{ "fail-on", required_argument, NULL, 0 },
	{ "junit", required_argument, NULL, 0 },
	{ "tls-keylog", required_argument, NULL, 0 },
	COMMON_LONGOPTS,
	{ NULL, 0, NULL, 0 },
};

bool report_opt_takes_value(const char *name, size_t n)
{
	for (const struct option *o = report_opt_table; o->name; o++)
		if (strlen(o->name) == n && strncmp(o->name, name, n) == 0)
			return o->has_arg == required_argument;
	return false;
}
