/* jtl_xml.h - streaming XML JTL reader (expat), used through jtl.h.
 *
 * <testResults> with <httpSample>/<sample> children (any order of attributes t, it, lt, ct, ts,
 * s, lb, rc, rm, tn, dt, de, by, sby, ng, na, hn, sc, ec), nested sub-results kept as children of
 * their parent (skipped, i.e. counted once, unless opts->sub_results), <java.net.URL>,
 * <responseHeader>/<requestHeader> parsed into sample.rl / sample.req_host, large elements such
 * as <responseData> skipped without being buffered whole.  DTDs and entity declarations are
 * refused (no external entity is fetched or read; no internal entity expansion).
 */
#ifndef JTLSCOPE_PARSERS_JTL_XML_H
#define JTLSCOPE_PARSERS_JTL_XML_H

#include "parsers/jtl.h"

struct jtl_xml;

/* NULL when the XML parser cannot be created.  Borrows in; the caller frees the reader with
 * jtl_xml_close. */
struct jtl_xml *jtl_xml_open(struct input *in, const struct jtl_options *o, struct diag *d);
/* Returns JTL_RECORD, JTL_SKIPPED (counted and warned), JTL_END or JTL_FATAL. */
enum jtl_status jtl_xml_next(struct jtl_xml *x, struct sample *s);
const char *jtl_xml_error(const struct jtl_xml *x);
/* The input ended inside an element (a crashed run): the iteration ended with JTL_END after the
 * last complete sample, and the rest is lost. */
bool jtl_xml_truncated(const struct jtl_xml *x);
/* Samples skipped (JTL_SKIPPED) so far. */
uint64_t jtl_xml_skipped(const struct jtl_xml *x);
/* Character references to characters XML 1.0 forbids (JMeter's binary response data, e.g.
 * "&#x1b;") that were read as blanks instead of stopping the parse. */
uint64_t jtl_xml_repaired_refs(const struct jtl_xml *x);
/* Children of <testResults> that are not samples (<httpSample>/<sample>): their count, and up
 * to four of their names with counts in desc ("<webDriverSample> x12"). */
uint64_t jtl_xml_unknown(const struct jtl_xml *x, char *desc, size_t len);
/* The first skipped sample's line and reason, or NULL. */
const char *jtl_xml_first_skip(const struct jtl_xml *x, uint64_t *line);
void jtl_xml_close(struct jtl_xml *x);

#endif
