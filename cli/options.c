/* options.c - see options.h. */
#include "cli/options.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "analyzer/region.h"
#include "common/diag.h"
#include "common/exit_codes.h"
#include "common/util.h"
#include "reports/report_time.h"

int opts_parse(const struct opt_cmd *cmd, int argc, char **argv, void *ctx)
{
	/* the short options: every val that is a letter, ':' after those that take a value */
	char shorts[64] = ":";
	size_t n = 1;
	for (const struct option *o = cmd->table; o->name && n + 2 < sizeof shorts; o++)
		if (o->val < 128 && isalpha(o->val)) {
			shorts[n++] = (char)o->val;
			if (o->has_arg == required_argument)
				shorts[n++] = ':';
		}
	shorts[n] = '\0';
	optind = 1;
	opterr = 0;
	int c;
	while ((c = getopt_long(argc, argv, shorts, cmd->table, NULL)) != -1) {
		if (c == 'h') {
			cmd->usage(stdout);
			return EXIT_OK;
		}
		if (c == ':') {
			diag_error("option '%s' needs a value", argv[optind - 1]);
			return EXIT_USAGE;
		}
		if (c == '?') {
			diag_error("unknown option '%s'", argv[optind - 1]);
			fprintf(stderr, "try 'jtlscope %s --help' for the options\n", cmd->name);
			return EXIT_USAGE;
		}
		if (cmd->handle(ctx, c, optarg) != 0)
			return EXIT_USAGE;
	}
	return OPTS_GO;
}

void opt_tz_apply(int tzm)
{
	report_tz_set(tzm == JTL_TZ_LOCAL ? getenv("TZ") : NULL, tzm == JTL_TZ_LOCAL ? 0 : tzm);
}

bool opt_duration_ms(const char *s, int64_t *ms)
{
	size_t n = strlen(s), k = n;
	while (k > 0 && ((s[k - 1] >= 'a' && s[k - 1] <= 'z')))
		k--;
	const char *unit = s + k;
	double v;
	if (!parse_double(s, k, 0, 1e9, &v))
		return false;
	double mult;
	if (!*unit || strcmp(unit, "s") == 0)
		mult = 1000;
	else if (strcmp(unit, "ms") == 0)
		mult = 1;
	else if (strcmp(unit, "m") == 0 || strcmp(unit, "min") == 0)
		mult = 60000;
	else if (strcmp(unit, "h") == 0)
		mult = 3600000;
	else
		return false;
	double r = v * mult;
	if (r < 1 || r > 1e12)
		return false;
	*ms = (int64_t)(r + 0.5);
	return true;
}

bool opt_tz_offset(const char *s, int *minutes)
{
	if (strcmp(s, "UTC") == 0 || strcmp(s, "Z") == 0 || strcmp(s, "GMT") == 0) {
		*minutes = 0;
		return true;
	}
	if (strncmp(s, "UTC", 3) == 0 || strncmp(s, "GMT", 3) == 0)
		s += 3;
	if (s[0] != '+' && s[0] != '-')
		return false;
	int sign = s[0] == '-' ? -1 : 1;
	const char *p = s + 1;
	size_t n = strlen(p);
	int64_t h, m = 0;
	const char *colon = strchr(p, ':');
	if (colon) {
		if (!parse_i64(p, (size_t)(colon - p), 0, 14, &h) || !parse_i64(colon + 1, strlen(colon + 1), 0, 59, &m))
			return false;
	} else if (n == 4) {
		if (!parse_i64(p, 2, 0, 14, &h) || !parse_i64(p + 2, 2, 0, 59, &m))
			return false;
	} else if (!parse_i64(p, n, 0, 14, &h)) {
		return false;
	}
	*minutes = sign * (int)(h * 60 + m);
	return true;
}

bool opt_tz_name(const char *s, int *minutes)
{
	/* an IANA name such as Asia/Singapore: it must exist in the zone database (tzdata) */
	if (!*s || s[0] == '/' || strstr(s, "..") || strlen(s) > 64)
		return false;
	for (const char *p = s; *p; p++)
		if (!(isalnum((unsigned char)*p) || *p == '/' || *p == '_' || *p == '-' || *p == '+'))
			return false;
	char path[128];
	snprintf(path, sizeof path, "/usr/share/zoneinfo/%s", s);
	struct stat st;
	if (stat(path, &st) != 0 || !S_ISREG(st.st_mode))
		return false;
	setenv("TZ", s, 1);
	tzset();
	*minutes = JTL_TZ_LOCAL;
	return true;
}

bool opt_delimiter(const char *s, char *d)
{
	if (strcmp(s, "tab") == 0 || strcmp(s, "\\t") == 0 || strcmp(s, "\t") == 0) {
		*d = '\t';
		return true;
	}
	if (strlen(s) == 1 && s[0] != '"' && s[0] != '\n' && s[0] != '\r') {
		*d = s[0];
		return true;
	}
	if (strcmp(s, "comma") == 0) { *d = ','; return true; }
	if (strcmp(s, "semicolon") == 0) { *d = ';'; return true; }
	if (strcmp(s, "pipe") == 0) { *d = '|'; return true; }
	return false;
}

bool opt_codes(const char *s, int *codes, size_t max, size_t *n)
{
	*n = 0;
	while (*s) {
		const char *e = strchr(s, ',');
		size_t len = e ? (size_t)(e - s) : strlen(s);
		int64_t v;
		if (!parse_i64(s, len, 100, 999, &v) || *n >= max)
			return false;
		codes[(*n)++] = (int)v;
		s += len;
		if (*s == ',')
			s++;
	}
	return *n > 0;
}

void common_opts_init(struct common_opts *o)
{
	memset(o, 0, sizeof *o);
	analysis_config_default(&o->cfg);
}

/* 1 handled, 0 not a common option, -1 bad value (message printed). */
int common_opt(struct common_opts *o, int c, const char *arg)
{
	switch (c) {
	case OPT_BUCKET:
		if (!opt_duration_ms(arg, &o->cfg.bucket_ms)) {
			diag_error("--bucket: bad duration '%s' (e.g. 1s, 500ms, 1m)", arg);
			return -1;
		}
		return 1;
	case OPT_CODES:
		if (!opt_codes(arg, o->cfg.throttle.codes, ARRAY_LEN(o->cfg.throttle.codes), &o->cfg.throttle.ncodes)) {
			diag_error("--throttle-codes: bad list '%s' (e.g. 429,503)", arg);
			return -1;
		}
		return 1;
	case OPT_PATTERN: o->cfg.throttle.pattern = arg; return 1;
	case OPT_REGION_MAP: o->cfg.throttle.region_map_path = arg; return 1;
	case OPT_REGION_BY:
		if (!region_by_parse(arg, &o->cfg.throttle.region_by)) {
			diag_error("--region-by: unknown key '%s' (url-host, hostname, thread-group, label)", arg);
			return -1;
		}
		return 1;
	case OPT_DELIM:
		if (!opt_delimiter(arg, &o->jtl.delimiter)) {
			diag_error("--delimiter: bad delimiter '%s'", arg);
			return -1;
		}
		return 1;
	case OPT_COLUMNS: o->jtl.columns = arg; return 1;
	case OPT_TSFMT: o->jtl.ts_format = arg; return 1;
	case OPT_TZ:
		if (!opt_tz_offset(arg, &o->jtl.tz_offset_min) && !opt_tz_name(arg, &o->jtl.tz_offset_min)) {
			diag_error("--tz: '%s' is neither an offset (UTC, +08:00, -0530) nor a zone name in "
				   "/usr/share/zoneinfo (Asia/Singapore)", arg);
			return -1;
		}
		return 1;
	case OPT_SUB: o->jtl.sub_results = true; return 1;
	case OPT_STRICT: o->strict = true; return 1;
	case OPT_NO503: o->cfg.throttle.code_503_with_retry_after = false; return 1;
	case OPT_APDEX_S:
	case OPT_APDEX_T: {
		/* milliseconds as JMeter's apdex_*_threshold; "2s" also reads */
		int64_t *v = c == OPT_APDEX_S ? &o->cfg.apdex_satisfied_ms : &o->cfg.apdex_tolerated_ms;
		if (!parse_i64(arg, strlen(arg), 0, 86400000, v) && !(strpbrk(arg, "smh") && opt_duration_ms(arg, v))) {
			diag_error("%s: bad threshold '%s' (milliseconds, e.g. 500)", c == OPT_APDEX_S ? "--apdex-satisfied" : "--apdex-tolerated", arg);
			return -1;
		}
		return 1;
	}
	default: return 0;
	}
}

