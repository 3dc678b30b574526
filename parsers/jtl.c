/* jtl.c - format dispatch for JTL readers and timestamp parsing (see jtl.h). */
#include "parsers/jtl.h"

#include <stdio.h>
#include <string.h>
#include <stdlib.h>
#include <time.h>

#include "parsers/jtl_csv.h"
#include "parsers/jtl_xml.h"

struct jtl_reader {
	enum input_format fmt;
	struct jtl_csv *csv;
	struct jtl_xml *xml;
	uint64_t records, skipped;
	char err[600];
};

const char *jtl_content_hint(enum input_content c)
{
	switch (c) {
	case INPUT_CONTENT_JMETER_PLAN:
		return " (run it with 'jmeter -n -t PLAN.jmx -l results.jtl' and give results.jtl)";
	case INPUT_CONTENT_JMETER_LOG:
		return " (give the results file JMeter wrote with -l, not its log)";
	case INPUT_CONTENT_JMETER_TABLE:
		return " (give the results file JMeter wrote with -l, not a listener's saved table)";
	default:
		return "";
	}
}

struct jtl_reader *jtl_open(struct input *in, enum input_format fmt, const struct jtl_options *o,
			    struct diag *d, char *err, size_t errlen)
{
	static const struct jtl_options defaults;
	if (!o)
		o = &defaults;
	if ((fmt == INPUT_FMT_CSV || fmt == INPUT_FMT_XML) && !o->columns) {
		enum input_content c = input_identify(in, fmt, o->delimiter);
		if (c != INPUT_CONTENT_JTL) {
			snprintf(err, errlen, "'%s': this is %s, not a JMeter JTL%s", input_path(in),
				 input_content_name(c), jtl_content_hint(c));
			return NULL;
		}
	}
	struct jtl_reader *r = xcalloc(1, sizeof *r);
	r->fmt = fmt;
	if (fmt == INPUT_FMT_CSV) {
		r->csv = jtl_csv_open(in, o, d, err, errlen);
		if (!r->csv) {
			free(r);
			return NULL;
		}
	} else if (fmt == INPUT_FMT_XML) {
		r->xml = jtl_xml_open(in, o, d);
		if (!r->xml) {
			snprintf(err, errlen, "'%s': cannot start the XML reader", input_path(in));
			free(r);
			return NULL;
		}
	} else {
		snprintf(err, errlen, "'%s': not a JMeter result file (format %s)", input_path(in),
			 input_format_name(fmt));
		free(r);
		return NULL;
	}
	return r;
}

enum jtl_status jtl_next(struct jtl_reader *r, struct sample *s)
{
	enum jtl_status st = r->csv ? jtl_csv_next(r->csv, s) : jtl_xml_next(r->xml, s);
	if (st == JTL_RECORD) {
		r->records++;
		sample_hash(s);
	} else if (st == JTL_SKIPPED)
		r->skipped++;
	return st;
}

const char *jtl_error(const struct jtl_reader *r)
{
	return r->csv ? jtl_csv_error(r->csv) : jtl_xml_error(r->xml);
}

uint64_t jtl_records(const struct jtl_reader *r) { return r->records; }
uint64_t jtl_skipped(const struct jtl_reader *r) { return r->skipped; }

uint64_t jtl_headers_repeated(const struct jtl_reader *r)
{
	return r->csv ? jtl_csv_headers_repeated(r->csv) : 0;
}

bool jtl_truncated_tail(const struct jtl_reader *r)
{
	return r->csv ? jtl_csv_truncated_tail(r->csv) : jtl_xml_truncated(r->xml);
}

const char *jtl_first_skip(const struct jtl_reader *r, uint64_t *line)
{
	return r->csv ? jtl_csv_first_skip(r->csv, line) : jtl_xml_first_skip(r->xml, line);
}

const char *jtl_hint(const struct jtl_reader *r)
{
	return r->csv ? jtl_csv_hint(r->csv) : NULL;
}

uint64_t jtl_unknown_elements(const struct jtl_reader *r, char *desc, size_t len)
{
	if (len)
		desc[0] = '\0';
	return r->xml ? jtl_xml_unknown(r->xml, desc, len) : 0;
}

bool jtl_is_xml(const struct jtl_reader *r) { return r->xml != NULL; }

void jtl_close(struct jtl_reader *r)
{
	if (!r)
		return;
	if (r->csv)
		jtl_csv_close(r->csv);
	if (r->xml)
		jtl_xml_close(r->xml);
	free(r);
}

/* --- timestamps --------------------------------------------------------------------------- */

/* Days from 1970-01-01 to y-m-d (proleptic Gregorian; Howard Hinnant's algorithm). */
static int64_t days_from_civil(int64_t y, int64_t m, int64_t d)
{
	y -= m <= 2;
	int64_t era = (y >= 0 ? y : y - 399) / 400;
	int64_t yoe = y - era * 400;
	int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

static bool valid_date(int64_t y, int64_t mo, int64_t d, int64_t h, int64_t mi, int64_t s)
{
	static const int mdays[] = { 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	return y >= 1970 && y <= 9999 && mo >= 1 && mo <= 12 && d >= 1 && d <= mdays[mo - 1] &&
	       h >= 0 && h <= 23 && mi >= 0 && mi <= 59 && s >= 0 && s <= 60;
}

/* Offset (s east of UTC) of the process's TZ at local time y-mo-d h:30, cached per local hour
 * (zones change offset on hour boundaries; in the repeated hour mktime's choice is taken). */
static int64_t local_offset_s(int64_t y, int64_t mo, int64_t d, int64_t h)
{
	static _Thread_local int64_t cached_key = -1, cached_off;
	int64_t key = ((y * 13 + mo) * 32 + d) * 24 + h;
	if (key == cached_key)
		return cached_off;
	struct tm tm;
	memset(&tm, 0, sizeof tm);
	tm.tm_year = (int)(y - 1900);
	tm.tm_mon = (int)(mo - 1);
	tm.tm_mday = (int)d;
	tm.tm_hour = (int)h;
	tm.tm_min = 30;
	tm.tm_isdst = -1;
	time_t t = mktime(&tm);
	int64_t naive = days_from_civil(y, mo, d) * 86400 + h * 3600 + 30 * 60;
	cached_off = t == (time_t)-1 ? 0 : naive - (int64_t)t;
	cached_key = key;
	return cached_off;
}

static int64_t to_ms(int64_t y, int64_t mo, int64_t d, int64_t h, int64_t mi, int64_t s, int64_t ms,
		     int tz_offset_min)
{
	int64_t days = days_from_civil(y, mo, d);
	int64_t off_s = tz_offset_min == JTL_TZ_LOCAL ? local_offset_s(y, mo, d, h) : (int64_t)tz_offset_min * 60;
	return ((days * 86400 + h * 3600 + mi * 60 + s) - off_s) * 1000 + ms;
}

static bool digits(const char *p, size_t n, size_t *i, size_t want, int64_t *out)
{
	if (want > 18 || want > n - *i) /* 18 digits fit an int64_t; *i <= n always */
		return false;
	int64_t v = 0;
	for (size_t k = 0; k < want; k++) {
		unsigned dg = (unsigned)(unsigned char)p[*i + k] - '0';
		if (dg > 9)
			return false;
		v = v * 10 + dg;
	}
	*i += want;
	*out = v;
	return true;
}

/* Lenient ISO-like form: yyyy[-/]MM[-/]dd[ T]HH:mm:ss[(.|,)SSS][Z|+hh:mm|+hhmm]. */
static bool parse_auto(const char *p, size_t n, int tz_offset_min, int64_t *ms)
{
	size_t i = 0;
	int64_t y, mo, d, h, mi, s, frac = 0;
	if (!digits(p, n, &i, 4, &y) || i >= n || (p[i] != '-' && p[i] != '/'))
		return false;
	char sep = p[i++];
	if (!digits(p, n, &i, 2, &mo) || i >= n || p[i++] != sep)
		return false;
	if (!digits(p, n, &i, 2, &d) || i >= n || (p[i] != ' ' && p[i] != 'T'))
		return false;
	i++;
	if (!digits(p, n, &i, 2, &h) || i >= n || p[i++] != ':')
		return false;
	if (!digits(p, n, &i, 2, &mi) || i >= n || p[i++] != ':')
		return false;
	if (!digits(p, n, &i, 2, &s))
		return false;
	if (i < n && (p[i] == '.' || p[i] == ',')) {
		i++;
		size_t start = i;
		while (i < n && p[i] >= '0' && p[i] <= '9' && i - start < 9)
			i++;
		size_t nd = i - start;
		if (nd == 0)
			return false;
		int64_t v = 0;
		for (size_t k = start; k < start + (nd < 3 ? nd : 3); k++)
			v = v * 10 + (p[k] - '0');
		for (size_t k = nd; k < 3; k++)
			v *= 10;
		frac = v;
		while (i < n && p[i] >= '0' && p[i] <= '9')
			i++;
	}
	int tz = tz_offset_min;
	if (i < n && p[i] == 'Z') {
		tz = 0;
		i++;
	} else if (i < n && (p[i] == '+' || p[i] == '-')) {
		int sign = p[i] == '-' ? -1 : 1;
		i++;
		int64_t th, tm = 0;
		if (!digits(p, n, &i, 2, &th))
			return false;
		if (i < n && p[i] == ':')
			i++;
		if (i < n && !digits(p, n, &i, 2, &tm))
			return false;
		tz = sign * (int)(th * 60 + tm);
	}
	if (i != n || !valid_date(y, mo, d, h, mi, s))
		return false;
	*ms = to_ms(y, mo, d, h, mi, s, frac, tz);
	return true;
}

/* SimpleDateFormat subset: yyyy yy MM dd HH hh mm ss SSS a, 'quoted literals', other letters
 * rejected, any other character literal. */
static bool parse_format(const char *p, size_t n, const char *fmt, int tz_offset_min, int64_t *ms)
{
	int64_t y = 1970, mo = 1, d = 1, h = 0, mi = 0, s = 0, frac = 0;
	bool pm = false, has_ampm = false;
	size_t i = 0;
	for (const char *f = fmt; *f;) {
		if (*f == '\'') {
			f++;
			if (*f == '\'') { /* '' = literal quote */
				if (i >= n || p[i] != '\'')
					return false;
				i++;
				f++;
				continue;
			}
			while (*f && *f != '\'') {
				if (i >= n || p[i] != *f)
					return false;
				i++;
				f++;
			}
			if (*f == '\'')
				f++;
			continue;
		}
		char ch = *f;
		size_t run = 0;
		while (f[run] == ch)
			run++;
		if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z')) {
			int64_t v;
			switch (ch) {
			case 'y':
				if (!digits(p, n, &i, run == 2 ? 2 : 4, &v))
					return false;
				y = run == 2 ? 2000 + v : v;
				break;
			case 'M': if (!digits(p, n, &i, run < 2 ? 2 : run, &mo)) return false; break;
			case 'd': if (!digits(p, n, &i, 2, &d)) return false; break;
			case 'H': if (!digits(p, n, &i, 2, &h)) return false; break;
			case 'h': if (!digits(p, n, &i, 2, &h)) return false; break;
			case 'm': if (!digits(p, n, &i, 2, &mi)) return false; break;
			case 's': if (!digits(p, n, &i, 2, &s)) return false; break;
			case 'S': {
				/* scale a copy: run still says how many format letters to skip */
				size_t sd = run;
				if (!digits(p, n, &i, run, &v))
					return false;
				while (sd > 3) {
					v /= 10;
					sd--;
				}
				while (sd < 3) {
					v *= 10;
					sd++;
				}
				frac = v;
				break;
			}
			case 'a':
				if (i + 2 > n)
					return false;
				has_ampm = true;
				pm = (p[i] == 'P' || p[i] == 'p');
				i += 2;
				break;
			default:
				return false;
			}
			f += run;
			continue;
		}
		if (i >= n || p[i] != ch)
			return false;
		i++;
		f++;
	}
	if (has_ampm) {
		if (h == 12)
			h = 0;
		if (pm)
			h += 12;
	}
	if (i != n || !valid_date(y, mo, d, h, mi, s))
		return false;
	*ms = to_ms(y, mo, d, h, mi, s, frac, tz_offset_min);
	return true;
}

bool jtl_parse_timestamp(const char *p, size_t n, const char *fmt, int tz_offset_min, int64_t *ms)
{
	if (!p || n == 0)
		return false;
	if (fmt && strcmp(fmt, "ms") != 0)
		return parse_format(p, n, fmt, tz_offset_min, ms);
	int64_t v;
	if (parse_i64(p, n, 0, INT64_MAX / 2, &v)) {
		*ms = v;
		return true;
	}
	if (fmt)
		return false;
	return parse_auto(p, n, tz_offset_min, ms);
}
