/* options.h - parsing of option values shared by the subcommands (strtonum-like: explicit
 * ranges, trailing junk rejected). */
#ifndef JTLSCOPE_CLI_OPTIONS_H
#define JTLSCOPE_CLI_OPTIONS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
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

enum common_opt_id {
	OPT_BUCKET = 256, OPT_CODES, OPT_PATTERN, OPT_REGION_MAP, OPT_REGION_BY, OPT_DELIM, OPT_COLUMNS,
	OPT_TSFMT, OPT_TZ, OPT_SUB, OPT_STRICT, OPT_NO503, OPT_APDEX_S, OPT_APDEX_T,
	OPT_COMMON_END  /* a command's own long-option ids start here */
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
