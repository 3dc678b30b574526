/* escape.c - see escape.h. */
#include "reports/escape.h"

#include <stdlib.h>
#include <string.h>

/* Length of a valid UTF-8 sequence at p (1..4), or 0 if invalid (RFC 3629). */
static size_t utf8_len(const unsigned char *p, size_t n)
{
	unsigned char c = p[0];
	if (c < 0x80)
		return 1;
	size_t len;
	uint32_t cp;
	if (c >= 0xc2 && c <= 0xdf) {
		len = 2;
		cp = c & 0x1f;
	} else if (c >= 0xe0 && c <= 0xef) {
		len = 3;
		cp = c & 0x0f;
	} else if (c >= 0xf0 && c <= 0xf4) {
		len = 4;
		cp = c & 0x07;
	} else {
		return 0;
	}
	if (len > n)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (p[i] & 0x3f);
	}
	if ((len == 3 && cp < 0x800) || (len == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
	    (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	/* C1 controls (U+0080..U+009F) are terminal escapes too */
	if (len == 2 && cp < 0xa0)
		return 0;
	return len;
}

void esc_text_sb(struct strbuf *sb, const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0;
	while (i < n) {
		unsigned char c = p[i];
		if (c == '\\') {
			strbuf_add(sb, "\\\\", 2);
			i++;
		} else if (c >= 0x20 && c < 0x7f) {
			size_t j = i;
			while (j < n && p[j] >= 0x20 && p[j] < 0x7f && p[j] != '\\')
				j++;
			strbuf_add(sb, s + i, j - i);
			i = j;
		} else {
			size_t l = c >= 0x80 ? utf8_len(p + i, n - i) : 0;
			if (l) {
				strbuf_add(sb, s + i, l);
				i += l;
			} else {
				strbuf_addf(sb, "\\x%02x", c);
				i++;
			}
		}
	}
}

void esc_text(FILE *f, const char *p, size_t n)
{
	struct strbuf sb = STRBUF_INIT;
	esc_text_sb(&sb, p, n);
	if (sb.len)
		fwrite(sb.buf, 1, sb.len, f);
	strbuf_release(&sb);
}

void esc_text_s(FILE *f, const char *s)
{
	esc_text(f, s, strlen(s));
}

size_t esc_text_width(const char *s)
{
	struct strbuf sb = STRBUF_INIT;
	esc_text_sb(&sb, s, strlen(s));
	size_t w = 0;
	for (size_t i = 0; i < sb.len; i++)
		w += ((unsigned char)sb.buf[i] & 0xc0) != 0x80;
	strbuf_release(&sb);
	return w;
}

char *esc_utf8_dup(const char *s, size_t n)
{
	struct strbuf sb = STRBUF_INIT;
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0;
	while (i < n) {
		if (p[i] == 0) {
			strbuf_add(&sb, "\xef\xbf\xbd", 3);
			i++;
			continue;
		}
		size_t l = utf8_len(p + i, n - i);
		if (!l && p[i] >= 0x80 && p[i] < 0xa0) /* lone C1 as bytes: invalid anyway */
			l = 0;
		if (l == 0 && p[i] >= 0x80) {
			/* allow valid 2-byte C1 controls in JSON (escaped by cJSON? no: keep as U+FFFD) */
			strbuf_add(&sb, "\xef\xbf\xbd", 3);
			i++;
			continue;
		}
		if (l == 0)
			l = 1;
		strbuf_add(&sb, s + i, l);
		i += l;
	}
	return strbuf_detach(&sb);
}

/* The character at s[i] for HTML and Markdown text: a control character, DEL or a byte of
 * invalid UTF-8 as U+FFFD, a valid UTF-8 sequence whole.  Returns the bytes consumed. */
static size_t add_text_char(struct strbuf *sb, const char *s, size_t i, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;
	unsigned char c = p[i];
	size_t l = c >= 0x80 ? utf8_len(p + i, n - i) : 1;
	if (c < 0x20 || c == 0x7f || l == 0) {
		strbuf_addstr(sb, "\xef\xbf\xbd");
		return 1;
	}
	strbuf_add(sb, s + i, l);
	return l;
}

void esc_html(struct strbuf *sb, const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0;
	while (i < n) {
		unsigned char c = p[i];
		switch (c) {
		case '&': strbuf_addstr(sb, "&amp;"); i++; continue;
		case '<': strbuf_addstr(sb, "&lt;"); i++; continue;
		case '>': strbuf_addstr(sb, "&gt;"); i++; continue;
		case '"': strbuf_addstr(sb, "&quot;"); i++; continue;
		case '\'': strbuf_addstr(sb, "&#39;"); i++; continue;
		default: break;
		}
		if (c == '\n' || c == '\t') {
			strbuf_addch(sb, (char)c);
			i++;
		} else {
			i += add_text_char(sb, s, i, n);
		}
	}
}

void esc_md_cell(struct strbuf *sb, const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0;
	while (i < n) {
		unsigned char c = p[i];
		if (c == '\r' || c == '\n' || c == '\t') {
			strbuf_addch(sb, ' ');
			i++;
		} else if (c == '<') {
			strbuf_addstr(sb, "&lt;");
			i++;
		} else if (c == '>') {
			strbuf_addstr(sb, "&gt;");
			i++;
		} else if (c == '&') {
			strbuf_addstr(sb, "&amp;");
			i++;
		} else if (c == '|') {
			strbuf_addstr(sb, "\\|");
			i++;
		} else if (strchr("`*_[]#\\!~$", c) && c) { /* $: GitHub math */
			strbuf_addch(sb, '\\');
			strbuf_addch(sb, (char)c);
			i++;
		} else {
			i += add_text_char(sb, s, i, n);
		}
	}
}

/* Does a spreadsheet read this cell as a formula?  A leading = + - @ TAB CR, also after
 * leading blanks (some importers trim them); a plain negative number is data, not a formula. */
static bool csv_formula(const char *s, size_t n)
{
	if (n > 0 && (s[0] == '\t' || s[0] == '\r'))
		return true;
	size_t i = 0;
	while (i < n && s[i] == ' ')
		i++;
	if (i == n || !strchr("=+-@", s[i]))
		return false;
	double d;
	return !(s[i] == '-' && parse_double(s + i, n - i, -1e300, 1e300, &d));
}

/* Control bytes other than TAB, CR, LF (which RFC 4180 cells may hold) and NUL (a space): ESC
 * and friends would drive the terminal of whoever cats the file, so they become U+FFFD. */
static bool csv_ctl(unsigned char c)
{
	return (c < 0x20 && c != 0 && c != '\t' && c != '\r' && c != '\n') || c == 0x7f;
}

void esc_csv_cell(struct strbuf *sb, const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;
	bool lead = csv_formula(s, n);
	bool quote = lead, clean = true;
	for (size_t i = 0; i < n; i++) {
		if (s[i] == ',' || s[i] == '"' || s[i] == '\n' || s[i] == '\r' || s[i] == ';')
			quote = true;
		if (p[i] == 0 || csv_ctl(p[i]) || (p[i] >= 0x80 && !utf8_len(p + i, n - i)))
			clean = false;
	}
	if (!quote && clean) {
		strbuf_add(sb, s, n);
		return;
	}
	if (quote)
		strbuf_addch(sb, '"');
	if (lead)
		strbuf_addch(sb, '\'');
	size_t i = 0;
	while (i < n) {
		size_t l = p[i] >= 0x80 ? utf8_len(p + i, n - i) : 1;
		if (p[i] == '"')
			strbuf_addch(sb, '"');
		if (p[i] == 0)
			strbuf_addch(sb, ' ');
		else if (l == 0 || csv_ctl(p[i]))
			strbuf_addstr(sb, "\xef\xbf\xbd"); /* invalid UTF-8 byte: U+FFFD */
		else
			strbuf_add(sb, s + i, l);
		i += l ? l : 1;
	}
	if (quote)
		strbuf_addch(sb, '"');
}

void esc_gnuplot(struct strbuf *sb, const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0;
	while (i < n) {
		unsigned char c = p[i];
		size_t l = 1;
		if (c == '\\' || c == '"')
			strbuf_addch(sb, '\\'), strbuf_addch(sb, (char)c);
		else if (c == '&')
			/* gnuplot 5.4's SVG terminal writes an enhanced-text "\&" as a bare '&' (not
			 * well-formed XML): use U+FF06 FULLWIDTH AMPERSAND instead */
			strbuf_addstr(sb, "\xef\xbc\x86");
		else if (c == '@' || c == '^' || c == '_' || c == '{' || c == '}' || c == '~')
			strbuf_addf(sb, "\\\\%c", c); /* enhanced-text markup made literal */
		else if (c < 0x20 || c == 0x7f)
			strbuf_addch(sb, ' ');
		else if (c == '`')
			strbuf_addch(sb, '\''); /* command substitution works inside "..." */
		else if (c < 0x80)
			strbuf_addch(sb, (char)c);
		else if ((l = utf8_len(p + i, n - i)) != 0)
			strbuf_add(sb, s + i, l);
		else
			strbuf_addch(sb, '?'), l = 1; /* invalid UTF-8 would make the SVG invalid XML */
		i += l;
	}
}
