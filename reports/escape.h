/* escape.h - making input strings inert in every output format.
 *
 * Every string that came from an input file (labels, thread names, URLs, codes, messages,
 * headers, paths) goes through one of these before it reaches an output. */
#ifndef JTLSCOPE_REPORTS_ESCAPE_H
#define JTLSCOPE_REPORTS_ESCAPE_H

#include <stddef.h>
#include <stdio.h>
#include "common/util.h"

/* Terminal text: control characters, DEL and invalid UTF-8 bytes as \xNN, backslash as \\. */
void esc_text(FILE *f, const char *p, size_t n);
void esc_text_s(FILE *f, const char *s);
/* Same, into a buffer. */
void esc_text_sb(struct strbuf *sb, const char *p, size_t n);
/* Width in terminal columns of the escaped form (UTF-8 sequences count one). */
size_t esc_text_width(const char *s);

/* Valid UTF-8 copy for JSON (invalid bytes and NUL become U+FFFD); caller frees. */
char *esc_utf8_dup(const char *p, size_t n);

/* HTML and XML 1.0 text and attribute values (reports/junit.c uses it for JUnit): & < > " '
 * escaped, control characters except TAB and LF, and invalid UTF-8, as U+FFFD. */
void esc_html(struct strbuf *sb, const char *p, size_t n);
/* Markdown table cell: | ` * _ [ ] # \ ! ~ $ backslash-escaped, < > & as HTML entities, newlines as
 * a space, other control characters and invalid UTF-8 as U+FFFD. */
void esc_md_cell(struct strbuf *sb, const char *p, size_t n);
/* CSV cell (RFC 4180): quoted when needed; a leading = + - @ (also after leading blanks), TAB or
 * CR neutralised with a ' (a plain negative number is left alone); NUL as a space; other
 * control bytes except TAB, CR and LF (terminal escapes) and invalid UTF-8 as U+FFFD. */
void esc_csv_cell(struct strbuf *sb, const char *p, size_t n);
/* gnuplot double-quoted string for an enhanced-text terminal: \ " escaped, @ ^ _ { } ~ (markup)
 * made literal, & as U+FF06 (gnuplot's SVG terminal would emit a bare &), ` as ' (no command
 * substitution), control characters as a space, invalid UTF-8 as '?'. */
void esc_gnuplot(struct strbuf *sb, const char *p, size_t n);

#endif
