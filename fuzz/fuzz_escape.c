/* fuzz_escape.c - output escaping (reports/escape.c).  Besides memory safety, each escaper's
 * promise from escape.h is checked on its output: valid UTF-8, no raw control bytes in
 * terminal text, no markup characters in HTML, no bare '|' or newline in a Markdown cell, no
 * formula lead in a CSV cell, no backquote or bare '"' in a gnuplot string. */
#include <string.h>

#include "fuzz/fuzz_common.h"
#include "reports/escape.h"

/* Strict RFC 3629 UTF-8 (no overlongs, no surrogates, <= U+10FFFF). */
static bool utf8_valid(const unsigned char *p, size_t n)
{
	size_t i = 0;
	while (i < n) {
		unsigned c = p[i];
		size_t l;
		uint32_t cp;
		if (c < 0x80) {
			i++;
			continue;
		} else if (c >= 0xc2 && c <= 0xdf) {
			l = 2, cp = c & 0x1f;
		} else if (c >= 0xe0 && c <= 0xef) {
			l = 3, cp = c & 0x0f;
		} else if (c >= 0xf0 && c <= 0xf4) {
			l = 4, cp = c & 0x07;
		} else {
			return false;
		}
		if (l > n - i)
			return false;
		for (size_t k = 1; k < l; k++) {
			if ((p[i + k] & 0xc0) != 0x80)
				return false;
			cp = cp << 6 | (p[i + k] & 0x3fu);
		}
		if ((l == 3 && cp < 0x800) || (l == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
		    (cp >= 0xd800 && cp <= 0xdfff))
			return false;
		i += l;
	}
	return true;
}

/* No C0/C1 control character or DEL (except those in allow). */
static bool no_controls(const unsigned char *p, size_t n, const char *allow)
{
	for (size_t i = 0; i < n; i++) {
		if ((p[i] < 0x20 || p[i] == 0x7f) && !(p[i] && strchr(allow, p[i])))
			return false;
		if (p[i] == 0xc2 && i + 1 < n && p[i + 1] >= 0x80 && p[i + 1] < 0xa0)
			return false;
	}
	return true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = xmalloc(size + 1);
	memcpy(s, data, size);
	s[size] = '\0';
	struct strbuf sb = STRBUF_INIT;
	const unsigned char *o;

	esc_text_sb(&sb, s, size);
	o = (const unsigned char *)sb.buf;
	FUZZ_ASSERT(utf8_valid(o, sb.len));
	FUZZ_ASSERT(no_controls(o, sb.len, ""));
	FUZZ_ASSERT(esc_text_width(s) <= sb.len || sb.len == 0);
	strbuf_release(&sb);

	char *u = esc_utf8_dup(s, size);
	FUZZ_ASSERT(utf8_valid((const unsigned char *)u, strlen(u)));
	free(u);

	strbuf_init(&sb);
	esc_html(&sb, s, size);
	o = (const unsigned char *)sb.buf;
	FUZZ_ASSERT(utf8_valid(o, sb.len));
	FUZZ_ASSERT(no_controls(o, sb.len, "\n\t"));
	for (size_t i = 0; i < sb.len; i++)
		FUZZ_ASSERT(!strchr("<>\"'", o[i]) || o[i] == 0);
	strbuf_release(&sb);

	strbuf_init(&sb);
	esc_md_cell(&sb, s, size);
	o = (const unsigned char *)sb.buf;
	FUZZ_ASSERT(utf8_valid(o, sb.len));
	FUZZ_ASSERT(no_controls(o, sb.len, ""));
	for (size_t i = 0; i < sb.len; i++) {
		FUZZ_ASSERT(o[i] != '<' && o[i] != '>');
		if (o[i] == '|' || o[i] == '`') {
			/* preceded by an odd number of backslashes */
			size_t k = 0;
			while (k < i && o[i - 1 - k] == '\\')
				k++;
			FUZZ_ASSERT(k % 2 == 1);
		}
	}
	strbuf_release(&sb);

	strbuf_init(&sb);
	esc_csv_cell(&sb, s, size);
	o = (const unsigned char *)sb.buf;
	FUZZ_ASSERT(utf8_valid(o, sb.len));
	FUZZ_ASSERT(sb.len == 0 || memchr(o, 0, sb.len) == NULL);
	FUZZ_ASSERT(no_controls(o, sb.len, "\t\r\n"));
	if (sb.len) {
		/* the cell value as a spreadsheet reads it: unquoted, then leading blanks skipped */
		size_t i = 0, end = sb.len;
		if (o[0] == '"') {
			FUZZ_ASSERT(sb.len >= 2 && o[sb.len - 1] == '"');
			i = 1, end = sb.len - 1;
		}
		FUZZ_ASSERT(i >= end || (o[i] != '\t' && o[i] != '\r'));
		while (i < end && o[i] == ' ')
			i++;
		FUZZ_ASSERT(i >= end || !strchr("=+@", o[i]));
	}
	strbuf_release(&sb);

	strbuf_init(&sb);
	esc_gnuplot(&sb, s, size);
	o = (const unsigned char *)sb.buf;
	FUZZ_ASSERT(utf8_valid(o, sb.len));
	FUZZ_ASSERT(no_controls(o, sb.len, ""));
	for (size_t i = 0; i < sb.len; i++) {
		FUZZ_ASSERT(o[i] != '`');
		if (o[i] == '"') {
			size_t k = 0;
			while (k < i && o[i - 1 - k] == '\\')
				k++;
			FUZZ_ASSERT(k % 2 == 1);
		}
	}
	strbuf_release(&sb);
	free(s);
	return 0;
}
