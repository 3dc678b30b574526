/* options.h - the commands' option tables and the one walker over them, and the parsing of
 * option values they share (strtonum-like: explicit ranges, trailing junk rejected).
 *
 * Each command has ONE table, as curl's tool_getparam.c aliases[]: a getopt_long struct option
 * array whose val is the id the command's handler switches on; a val that is an ASCII letter is
 * also the short option -val.  Groups of options several commands share come as macros with
 * their own handler (COMMON_LONGOPTS / common_opt here, GATE_LONGOPTS / gate_opt in gate.h,
 * REPORT_OUT_LONGOPTS / report_out_opt in report_cmd.h).  opts_parse walks argv over the table:
 * -h/--help, a missing value and an unknown option are handled there, once, for every command. */
#ifndef JTLSCOPE_CLI_OPTIONS_H
#define JTLSCOPE_CLI_OPTIONS_H

#include <getopt.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include "analyzer/analysis.h"
#include "parsers/jtl.h"

/* "250ms", "1s", "1.5s", "2m", "1h", or a bare number of seconds. */
bool opt_duration_ms(const char *s, int64_t *ms);
/* "UTC", "Z", "+08:00", "-0530", "+8" -> minutes east of UTC. */
bool opt_tz_offset(const char *s, int *minutes);
/* An IANA zone name (Asia/Singapore) present in /usr/share/zoneinfo: sets TZ for the process
 * and *minutes to JTL_TZ_LOCAL.  Call before any thread starts. */
bool opt_tz_name(const char *s, int *minutes);
/* "," "tab" "\t" ";" "|" -> the delimiter byte. */
bool opt_delimiter(const char *s, char *d);
/* "429,503" -> codes[]. */
bool opt_codes(const char *s, int *codes, size_t max, size_t *n);

/* The analysis and input options every command that reads inputs takes (report, summarize,
 * compare): one parser, so they cannot drift apart. */
struct common_opts {
	struct jtl_options jtl;
	struct analysis_config cfg;
	bool strict, quiet;
};

/* --- the walker --------------------------------------------------------------------------- */

struct opt_cmd {
	const char *name;               /* "report": the hint says "try 'jtlscope report --help'" */
	const struct option *table;     /* ends with { NULL, 0, NULL, 0 }; 'h' prints usage */
	void (*usage)(FILE *f);
	/* One option found in argv: 0, or -1 when its value is bad (message printed). */
	int (*handle)(void *ctx, int id, const char *arg);
};

#define OPTS_GO (-1)
/* Walk argv[1..argc) over cmd->table, calling cmd->handle(ctx, ...) for each option in order;
 * optind is then the first operand.  OPTS_GO when the command goes on, EXIT_OK when --help was
 * printed, EXIT_USAGE on a bad option or value (message printed). */
int opts_parse(const struct opt_cmd *cmd, int argc, char **argv, void *ctx);

/* --- option values ------------------------------------------------------------------------ */

/* The zone the reports show wall-clock times in (reports/report_time.h) from a --tz value
 * (minutes east, or JTL_TZ_LOCAL for a zone name already put in TZ). */
void opt_tz_apply(int tz_offset_min);

/* -o, -f, -q, -h: report, merge, compare and whatif take them (each its own meaning of -o). */
#define BASIC_LONGOPTS                                                               \
	{ "output", required_argument, NULL, 'o' },                                  \
	{ "format", required_argument, NULL, 'f' },                                  \
	{ "quiet", no_argument, NULL, 'q' },                                         \
	{ "help", no_argument, NULL, 'h' }

enum common_opt_id {
	OPT_BUCKET = 256, OPT_CODES, OPT_PATTERN, OPT_REGION_MAP, OPT_REGION_BY, OPT_DELIM, OPT_COLUMNS,
	OPT_TSFMT, OPT_TZ, OPT_SUB, OPT_STRICT, OPT_NO503, OPT_APDEX_S, OPT_APDEX_T,
	OPT_COMMON_END, /* the shared groups' ids (gate.h, report_cmd.h) start here */
	OPT_OWN = 384   /* a command's own long-option ids start here */
};

#define COMMON_LONGOPTS                                                              \
	{ "bucket", required_argument, NULL, OPT_BUCKET },                           \
	{ "throttle-codes", required_argument, NULL, OPT_CODES },                    \
	{ "throttle-pattern", required_argument, NULL, OPT_PATTERN },                \
	{ "region-map", required_argument, NULL, OPT_REGION_MAP },                   \
	{ "region-by", required_argument, NULL, OPT_REGION_BY },                     \
	{ "delimiter", required_argument, NULL, OPT_DELIM },                         \
	{ "columns", required_argument, NULL, OPT_COLUMNS },                         \
	{ "timestamp-format", required_argument, NULL, OPT_TSFMT },                  \
	{ "tz", required_argument, NULL, OPT_TZ },                                   \
	{ "sub-results", no_argument, NULL, OPT_SUB },                               \
	{ "strict", no_argument, NULL, OPT_STRICT },                                 \
	{ "no-503-retry-after", no_argument, NULL, OPT_NO503 },                      \
	{ "apdex-satisfied", required_argument, NULL, OPT_APDEX_S },                 \
	{ "apdex-tolerated", required_argument, NULL, OPT_APDEX_T }

void common_opts_init(struct common_opts *o);
/* A getopt_long result c with its argument: 1 handled, 0 not a common option, -1 bad value
 * (message printed). */
int common_opt(struct common_opts *o, int c, const char *arg);

#endif
