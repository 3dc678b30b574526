/* options.h - parsing of option values shared by the subcommands (strtonum-like: explicit
 * ranges, trailing junk rejected). */
#ifndef JTLSCOPE_CLI_OPTIONS_H
#define JTLSCOPE_CLI_OPTIONS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* "250ms", "1s", "1.5s", "2m", "1h", or a bare number of seconds. */
bool opt_duration_ms(const char *s, int64_t *ms);
/* "UTC", "Z", "+08:00", "-0530", "+8" -> minutes east of UTC. */
bool opt_tz_offset(const char *s, int *minutes);
/* "," "tab" "\t" ";" "|" -> the delimiter byte. */
bool opt_delimiter(const char *s, char *d);
/* "429,503" -> codes[]. */
bool opt_codes(const char *s, int *codes, size_t max, size_t *n);

#endif
