/* jtl.h - pull iterator over JMeter result files (CSV or XML JTL).
 *
 *   struct jtl_reader *r = jtl_open(in, INPUT_FMT_CSV, &opts, &diag, err, sizeof err);
 *   while ((st = jtl_next(r, &s)) != JTL_END) { if (st == JTL_FATAL) ...; if (st == JTL_RECORD) use(&s); }
 *   jtl_close(r);
 *
 * Strings in the sample are borrowed until the next jtl_next().  JTL_SKIPPED means one malformed
 * record was counted (and warned about through diag with its line); the caller decides whether
 * that is fatal (--strict).
 */
#ifndef JTLSCOPE_PARSERS_JTL_H
#define JTLSCOPE_PARSERS_JTL_H

#include <stdbool.h>
#include <stdint.h>
#include "common/diag.h"
#include "parsers/input.h"
#include "parsers/sample.h"

/* Named limits: exceeding one skips the record, not the file. */
#define JTL_MAX_FIELD (16u << 20)     /* one CSV field / XML attribute, bytes */
#define JTL_MAX_RECORD (64u << 20)    /* one CSV record, bytes */
#define JTL_MAX_COLUMNS 4096
#define JTL_MAX_XML_DEPTH 256
#define JTL_MAX_HEADERS_TEXT (256u << 10) /* responseHeader text kept per sample */
#define JTL_MAX_BODY_KEEP 4096         /* bytes of a body kept for --throttle-pattern */

/* tz_offset_min value: formatted stamps are local times of the process's TZ (an IANA zone set
 * with --tz NAME), converted with the zone's rules (daylight saving included). */
#define JTL_TZ_LOCAL (-100000)

enum jtl_status {
	JTL_RECORD = 0,
	JTL_SKIPPED,
	JTL_END,
	JTL_FATAL,
};

struct jtl_options {
	char delimiter;            /* 0 = detect */
	const char *columns;       /* comma-separated header override for header-less CSV, or NULL */
	const char *ts_format;     /* SimpleDateFormat subset, NULL = auto (epoch ms or known forms) */
	int tz_offset_min;         /* offset of formatted stamps from UTC, minutes (--tz), or
	                              JTL_TZ_LOCAL: the zone in the TZ environment variable */
	bool sub_results;          /* emit XML sub-results as samples of their own (depth > 0) */
	bool keep_bodies;          /* keep a bounded body prefix for --throttle-pattern */
	bool tx_children;          /* XML: emit the children of Transaction Controller parent
	                              samples even without sub_results, flagged throttle_only
	                              (the throttle analysis needs the real requests) */
};

struct jtl_reader;

/* A reader of in as fmt (INPUT_FMT_CSV or _XML, from input_sniff); NULL with a message naming
 * the file in err.  The reader borrows in and the caller frees it with jtl_close, before
 * closing the input. */
struct jtl_reader *jtl_open(struct input *in, enum input_format fmt, const struct jtl_options *o,
			    struct diag *d, char *err, size_t errlen);
/* A parenthesised hint after "this is X, not a JMeter JTL" (where to find the JTL), or "". */
const char *jtl_content_hint(enum input_content c);
enum jtl_status jtl_next(struct jtl_reader *r, struct sample *s);
/* After JTL_FATAL: the message (already including path and line). */
const char *jtl_error(const struct jtl_reader *r);
uint64_t jtl_records(const struct jtl_reader *r);   /* samples returned */
uint64_t jtl_skipped(const struct jtl_reader *r);   /* records skipped */
/* Non-fatal oddities worth a line in the report: repeated headers, truncated last line... */
uint64_t jtl_headers_repeated(const struct jtl_reader *r);
bool jtl_truncated_tail(const struct jtl_reader *r);
/* The first skipped record's line and reason, or NULL when none was skipped. */
const char *jtl_first_skip(const struct jtl_reader *r, uint64_t *line);
/* What the user can do about skipped records (a timestamp pattern to give), or NULL. */
const char *jtl_hint(const struct jtl_reader *r);
/* XML: children of <testResults> that are not samples, described in desc; 0 for CSV. */
uint64_t jtl_unknown_elements(const struct jtl_reader *r, char *desc, size_t len);
bool jtl_is_xml(const struct jtl_reader *r);
void jtl_close(struct jtl_reader *r);

/* Parse a timestamp field: epoch ms, or formatted per fmt (NULL = auto-detect the common JMeter
 * forms).  tz_offset_min applies to formatted stamps. */
bool jtl_parse_timestamp(const char *p, size_t n, const char *fmt, int tz_offset_min, int64_t *ms);

#endif
