/* diag.c - see diag.h. */
#include "common/diag.h"

#include <stdarg.h>
#include <string.h>

FILE *diag_stream;

static FILE *out(void)
{
	return diag_stream ? diag_stream : stderr;
}

/* The tail of every message: the caller's format and arguments, then a newline (in a
 * variadic function whose last named parameter is fmt). */
#define DIAG_LINE(f, fmt)                       \
	do {                                    \
		va_list ap_;                    \
		va_start(ap_, fmt);             \
		vfprintf(f, fmt, ap_);          \
		va_end(ap_);                    \
		fputc('\n', f);                 \
	} while (0)

void diag_init(struct diag *d, const char *path)
{
	d->path = path;
	d->warnings = 0;
	d->printed = 0;
	d->quiet = 0;
}

void diag_warn(struct diag *d, uint64_t line, uint64_t col, const char *fmt, ...)
{
	d->warnings++;
	if (d->quiet || d->printed >= DIAG_WARN_LIMIT)
		return;
	d->printed++;
	FILE *f = out();
	fputs(d->path ? d->path : "<input>", f);
	if (line) {
		fprintf(f, ":%llu", (unsigned long long)line);
		if (col)
			fprintf(f, ":%llu", (unsigned long long)col);
	}
	fputs(": warning: ", f);
	DIAG_LINE(f, fmt);
}

void diag_summary(struct diag *d)
{
	if (d->quiet || d->warnings <= d->printed)
		return;
	fprintf(out(), "%s: note: %llu more warnings not shown (%llu in all)\n",
		d->path ? d->path : "<input>",
		(unsigned long long)(d->warnings - d->printed), (unsigned long long)d->warnings);
}

void diag_error(const char *fmt, ...)
{
	FILE *f = out();
	fputs("jtlscope: error: ", f);
	DIAG_LINE(f, fmt);
}

void diag_note(const char *fmt, ...)
{
	FILE *f = out();
	fputs("jtlscope: ", f);
	DIAG_LINE(f, fmt);
}

char *diag_excerpt(char *buf, size_t len, const char *p, size_t n, size_t max_chars)
{
	size_t o = 0;
	if (len == 0)
		return buf;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)p[i];
		if (i >= max_chars || o + 8 >= len) {
			if (o + 4 < len) {
				memcpy(buf + o, "...", 3);
				o += 3;
			}
			break;
		}
		if (c >= 0x20 && c < 0x7f && c != '\\') {
			buf[o++] = (char)c;
		} else {
			snprintf(buf + o, len - o, "\\x%02x", c);
			o += 4;
		}
	}
	buf[o] = '\0';
	return buf;
}
