/* jtl_sniff.c - see jtl_sniff.h. */
#include "parsers/jtl_sniff.h"

#include <stdint.h>
#include <string.h>
#include <strings.h>

#include "common/util.h"
#include "parsers/jtl.h"
#include "parsers/jtl_csv.h"

#define SNIFF_MIN_EPOCH_MS 946684800000LL   /* 2000-01-01: a leading timestamp after this */

/* "Thread Group 1-7": ends in " N-M". */
static bool thread_name_like(const char *p, size_t n)
{
	size_t i = n, d;
	while (i > 0 && p[i - 1] >= '0' && p[i - 1] <= '9')
		i--;
	if (i == n || i == 0 || p[i - 1] != '-')
		return false;
	d = --i;
	while (i > 0 && p[i - 1] >= '0' && p[i - 1] <= '9')
		i--;
	return i < d && i > 0 && p[i - 1] == ' ';
}

static bool looks_csv(const unsigned char *p, size_t n)
{
	size_t e = 0;
	if (n >= 3 && p[0] == 0xef && p[1] == 0xbb && p[2] == 0xbf) {
		p += 3;
		n -= 3;
	}
	while (e < n && p[e] != '\n' && p[e] != '\r')
		e++;
	const char *line = (const char *)p;
	char delim = jtl_csv_detect_delim(line, e);
	size_t cols = 0, fields = 0;
	bool code = false, boolean = false, thread = false, ts_first = false;
	for (size_t i = 0; i <= e;) {
		/* one field: up to the next delimiter outside quotes */
		size_t j = i;
		bool inq = false;
		while (j < e && (inq || line[j] != delim)) {
			if (line[j] == '"')
				inq = !inq;
			j++;
		}
		const char *f = line + i;
		size_t fl = j - i;
		if (fl >= 2 && f[0] == '"' && f[fl - 1] == '"') {
			f++;
			fl -= 2;
		}
		cols += jtl_csv_is_column(f, fl);
		int64_t v;
		if (fields == 0 && jtl_parse_timestamp(f, fl, NULL, 0, &v) && v >= SNIFF_MIN_EPOCH_MS)
			ts_first = true;
		if (fl == 3 && parse_i64(f, fl, 100, 599, &v))
			code = true;
		if ((fl == 4 && strncasecmp(f, "true", 4) == 0) || (fl == 5 && strncasecmp(f, "false", 5) == 0))
			boolean = true;
		if (thread_name_like(f, fl))
			thread = true;
		fields++;
		i = j + 1;
	}
	return cols >= 2 || ts_first || (code && boolean && thread);
}

static bool looks_xml(const unsigned char *p, size_t n)
{
	static const char *tags[] = { "<testResults", "<httpSample", "<sample " };
	for (size_t k = 0; k < ARRAY_LEN(tags); k++)
		if (memmem(p, n, tags[k], strlen(tags[k])))
			return true;
	return false;
}

bool jtl_sniff_looks_jtl(struct input *in, enum input_format fmt)
{
	const unsigned char *p;
	size_t n = input_peek(in, &p);
	if (fmt == INPUT_FMT_CSV)
		return looks_csv(p, n);
	if (fmt == INPUT_FMT_XML)
		return looks_xml(p, n);
	return false;
}
