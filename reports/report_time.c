/* report_time.c - see report_time.h. */
#include "reports/report_time.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

enum tz_kind { TZ_UTC = 0, TZ_FIXED, TZ_NAMED };

static struct {
	enum tz_kind kind;
	int offset_min;                       /* TZ_FIXED */
	char name[REPORT_TZ_NAME_MAX + 16];   /* shown name */
} zone = { TZ_UTC, 0, "UTC" };

bool report_tz_set(const char *name, int offset_min)
{
	if (name) {
		if (!name[0] || strlen(name) > REPORT_TZ_NAME_MAX)
			return false;
		if (strcmp(name, "UTC") == 0 || strcmp(name, "Etc/UTC") == 0) {
			zone.kind = TZ_UTC;
			snprintf(zone.name, sizeof zone.name, "UTC");
			return true;
		}
		setenv("TZ", name, 1);
		tzset();
		zone.kind = TZ_NAMED;
		snprintf(zone.name, sizeof zone.name, "%s", name);
		return true;
	}
	if (offset_min == 0) {
		zone.kind = TZ_UTC;
		snprintf(zone.name, sizeof zone.name, "UTC");
		return true;
	}
	zone.kind = TZ_FIXED;
	zone.offset_min = offset_min;
	int a = offset_min < 0 ? -offset_min : offset_min;
	snprintf(zone.name, sizeof zone.name, "UTC%c%02d:%02d", offset_min < 0 ? '-' : '+', a / 60, a % 60);
	return true;
}

const char *report_tz_name(void)
{
	return zone.name;
}

bool report_tz_is_utc(void)
{
	return zone.kind == TZ_UTC;
}

static time_t secs(int64_t ms)
{
	return (time_t)(ms >= 0 ? ms / 1000 : (ms - 999) / 1000);
}

/* Broken-down time in the zone, and the offset then; false when out of range. */
static bool local_tm(int64_t ms, struct tm *tm, long *off)
{
	time_t t = secs(ms);
	switch (zone.kind) {
	case TZ_NAMED:
		if (!localtime_r(&t, tm))
			return false;
		*off = tm->tm_gmtoff;
		return true;
	case TZ_FIXED:
		*off = (long)zone.offset_min * 60;
		t += (time_t)*off;
		return gmtime_r(&t, tm) != NULL;
	default:
		*off = 0;
		return gmtime_r(&t, tm) != NULL;
	}
}

long report_tz_offset_s(int64_t ms)
{
	struct tm tm;
	long off = 0;
	return local_tm(ms, &tm, &off) ? off : 0;
}

double report_local_s(int64_t ms)
{
	return (double)ms / 1000.0 + (double)report_tz_offset_s(ms);
}

static void offset_text(char *buf, size_t len, long off)
{
	long a = off < 0 ? -off : off;
	long h = a / 3600, m = (a % 3600) / 60;
	if (m)
		snprintf(buf, len, "%c%02ld:%02ld", off < 0 ? '-' : '+', h, m);
	else
		snprintf(buf, len, "%c%02ld", off < 0 ? '-' : '+', h);
}

static void label_at(char *buf, size_t len, long off, bool with_name)
{
	char o[48];
	switch (zone.kind) {
	case TZ_NAMED:
		offset_text(o, sizeof o, off);
		if (with_name)
			snprintf(buf, len, "%s (%s)", o, zone.name);
		else
			snprintf(buf, len, "%s", o);
		break;
	case TZ_FIXED: {
		long a = off < 0 ? -off : off;
		snprintf(buf, len, "%c%02ld:%02ld", off < 0 ? '-' : '+', a / 3600, (a % 3600) / 60);
		break;
	}
	default:
		snprintf(buf, len, "UTC");
	}
}

void report_zone_label(char *buf, size_t len, int64_t ms)
{
	label_at(buf, len, report_tz_offset_s(ms), true);
}

static void fmt(char *buf, size_t len, int64_t ms, unsigned flags, bool name)
{
	struct tm tm;
	long off = 0;
	if (!local_tm(ms, &tm, &off)) {
		snprintf(buf, len, "?");
		return;
	}
	char d[64] = "", f[16] = "", z[REPORT_TZ_NAME_MAX + 32] = "";
	if (flags & RT_DATE)
		snprintf(d, sizeof d, "%04d-%02d-%02d ", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday);
	if (flags & RT_MS)
		snprintf(f, sizeof f, ".%03d", (int)(ms - (int64_t)secs(ms) * 1000));
	if (flags & RT_ZONE) {
		z[0] = ' ';
		label_at(z + 1, sizeof z - 1, off, name);
	}
	snprintf(buf, len, "%s%02d:%02d:%02d%s%s", d, tm.tm_hour, tm.tm_min, tm.tm_sec, f, z);
}

void report_time(char *buf, size_t len, int64_t ms, unsigned flags)
{
	fmt(buf, len, ms, flags, true);
}

void report_time_range(char *buf, size_t len, int64_t a, int64_t b, const char *arrow)
{
	char x[128], y[128];
	if (report_tz_offset_s(a) == report_tz_offset_s(b)) {
		fmt(x, sizeof x, a, RT_DATE | RT_MS, false);
		fmt(y, sizeof y, b, RT_DATE | RT_MS | RT_ZONE, true);
		snprintf(buf, len, "%s %s %s", x, arrow, y);
		return;
	}
	fmt(x, sizeof x, a, RT_DATE | RT_MS | RT_ZONE, false);
	fmt(y, sizeof y, b, RT_DATE | RT_MS | RT_ZONE, false);
	snprintf(buf, len, "%s %s %s (%s)", x, arrow, y, zone.name);
}
