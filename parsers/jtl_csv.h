/* jtl_csv.h - streaming CSV JTL reader, used through jtl.h. */
#ifndef JTLSCOPE_PARSERS_JTL_CSV_H
#define JTLSCOPE_PARSERS_JTL_CSV_H

#include "parsers/jtl.h"

struct jtl_csv;

/* NULL with a message in err.  Borrows in; the caller frees the reader with jtl_csv_close. */
struct jtl_csv *jtl_csv_open(struct input *in, const struct jtl_options *o, struct diag *d,
			     char *err, size_t errlen);
enum jtl_status jtl_csv_next(struct jtl_csv *c, struct sample *s);
const char *jtl_csv_error(const struct jtl_csv *c);
/* The first skipped record's line and reason, or NULL. */
const char *jtl_csv_first_skip(const struct jtl_csv *c, uint64_t *line);
/* What to do when records were skipped for a reason the user can fix (timestamp pattern), or NULL. */
const char *jtl_csv_hint(const struct jtl_csv *c);
uint64_t jtl_csv_headers_repeated(const struct jtl_csv *c);
bool jtl_csv_truncated_tail(const struct jtl_csv *c);
void jtl_csv_close(struct jtl_csv *c);
/* The delimiter of the line at p (',' '\t' ';' '|', the most frequent outside quotes). */
char jtl_csv_detect_delim(const char *p, size_t n);
/* Is p[0..n) one of JMeter's CSV column names (case-insensitive)? */
bool jtl_csv_is_column(const char *p, size_t n);

#endif
