/* options.c - see options.h. */
#include "cli/options.h"

#include <string.h>

#include "common/util.h"

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
