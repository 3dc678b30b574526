/* diag.h - diagnostics in the form  path:line:col: severity: message.
 *
 * Warnings about input records are rate-limited per input (DIAG_WARN_LIMIT printed, the rest
 * only counted); diag_summary() prints how many were suppressed.  Messages start lowercase and
 * name what failed first.  Nothing here exits: only cli/ decides to stop.
 */
#ifndef JTLSCOPE_COMMON_DIAG_H
#define JTLSCOPE_COMMON_DIAG_H

#include <stdint.h>
#include <stddef.h>
#include <stdio.h>

#define DIAG_WARN_LIMIT 20

struct diag {
	const char *path;      /* borrowed */
	uint64_t warnings;     /* all warnings, printed or not */
	uint64_t printed;
	int quiet;             /* suppress printing (still counts) */
};

void diag_init(struct diag *d, const char *path);
/* line/col 0 = unknown (omitted from the prefix). */
void diag_warn(struct diag *d, uint64_t line, uint64_t col, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
void diag_summary(struct diag *d);

/* Unconditional messages to stderr with the program prefix. */
void diag_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void diag_note(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* An excerpt of input bytes safe for a terminal message: printable ASCII kept, the rest as
 * \xNN, cut at max_chars with "...".  Returns buf. */
char *diag_excerpt(char *buf, size_t len, const char *p, size_t n, size_t max_chars);

/* Set by main: where messages go (default stderr) - tests may redirect. */
extern FILE *diag_stream;

#endif
