/* report_time.h - the zone in which every report shows wall-clock times (--tz), and the time
 * formats that name it.  The zone is process-wide and set once by the command before any
 * report is written (report_tz_set); the default is UTC.  A named zone is applied with the C
 * library (TZ, tzset, localtime_r) and its rules, daylight saving included, so the output
 * depends only on the stamps, the zone and the installed tzdata.  JSON keeps epoch ms. */
#ifndef JTLSCOPE_REPORTS_REPORT_TIME_H
#define JTLSCOPE_REPORTS_REPORT_TIME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define REPORT_TZ_NAME_MAX 64

/* From --tz: an IANA name ("Asia/Singapore": TZ is set to it) when name is not NULL, else a
 * fixed offset from UTC in minutes (0 = UTC).  False (and UTC kept) for a name longer than
 * REPORT_TZ_NAME_MAX. */
bool report_tz_set(const char *name, int offset_min);
/* "UTC", "Asia/Singapore" or "UTC+08:00". */
const char *report_tz_name(void);
/* Is the zone UTC (the default)? */
bool report_tz_is_utc(void);
/* The zone's offset from UTC at ms, in seconds (daylight saving included). */
long report_tz_offset_s(int64_t ms);
/* Wall-clock seconds in the zone: epoch seconds shifted by the offset at that instant (what a
 * chart axis that formats times as UTC must be given to show local times). */
double report_local_s(int64_t ms);

enum {
	RT_DATE = 1u << 0,   /* "2026-11-02 " before the time */
	RT_MS = 1u << 1,     /* ".345" after the seconds */
	RT_ZONE = 1u << 2,   /* " UTC", " +08 (Asia/Singapore)", " +05:30" after it */
};
/* ms as "[YYYY-MM-DD ]HH:MM:SS[.mmm][ ZONE]" in the report zone into buf (>= 64 bytes). */
void report_time(char *buf, size_t len, int64_t ms, unsigned flags);
/* The zone as shown next to a time at ms: "UTC", "+08 (Asia/Singapore)", "+05:30". */
void report_zone_label(char *buf, size_t len, int64_t ms);
/* "A → B ZONE": both with date and ms; when the offset differs at a and b (a daylight saving
 * change), each time gets its own offset and the name follows once.  arrow: "→" or "->". */
void report_time_range(char *buf, size_t len, int64_t a, int64_t b, const char *arrow);

#endif
