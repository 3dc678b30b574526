/* jtl_sniff.h - is a file a JMeter result file, judged by positive marks in its first line?
 *
 * `report` trusts what it is given (input_identify only rules out other tools' files);
 * `batch` searches folders holding anything, so it wants evidence: JMeter's column names, a
 * leading timestamp, or a record with a status code, a true/false and a thread name.  The
 * delimiter and the column names are the CSV reader's own (jtl_csv.h), quotes respected. */
#ifndef JTLSCOPE_PARSERS_JTL_SNIFF_H
#define JTLSCOPE_PARSERS_JTL_SNIFF_H

#include <stdbool.h>
#include "parsers/input.h"

/* Does the start of in (input_peek, nothing consumed; fmt from input_sniff) look like a JTL? */
bool jtl_sniff_looks_jtl(struct input *in, enum input_format fmt);

#endif
