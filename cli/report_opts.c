/* report_opts.c - see report_opts.h. */
#include "cli/report_opts.h"

#include <string.h>

#include "cli/report_cmd.h"

const char REPORT_DEFAULT_EXTRA_FORMATS[] = "md,html";

const struct option report_options[] = {
	REPORT_OUT_LONGOPTS,
	{ "tls-keylog", required_argument, NULL, OPT_KEYLOG },
	COMMON_LONGOPTS,
	{ NULL, 0, NULL, 0 },
};

bool report_opt_takes_value(const char *name, size_t n)
{
	for (const struct option *o = report_options; o->name; o++)
		if (strlen(o->name) == n && strncmp(o->name, name, n) == 0)
			return o->has_arg == required_argument;
	return false;
}
