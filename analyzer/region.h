/* region.h - which region (or other group) a sample belongs to.
 *
 * A grouping key is taken from each sample (region_key: URL host, generator host name, thread
 * group or label) and mapped to a region name by, in this order:
 *   1. the rules of a --region-map file: lines "PCRE2-PATTERN REGION" (the last blank-separated
 *      word is the region, everything before it the pattern; '#' starts a comment line; blank
 *      lines are ignored), tried in file order, first match wins, caseless;
 *   2. the built-in table of well-known API hosts (Genesys Cloud: api./login./apps./... of every
 *      region's domain), for host keys only;
 *   3. a cloud region token inside the key: AWS "ap-southeast-1", "us-gov-west-1" as a dotted or
 *      dashed token (e.g. execute-api.ap-southeast-1.amazonaws.com), GCP "europe-west4".
 * A key nothing maps is its own group (region_map_lookup returns false; the caller names the
 * group after the key).
 *
 * Patterns run with PCRE2 match and depth limits (REGION_MATCH_LIMIT, REGION_DEPTH_LIMIT), JIT
 * compiled when the library supports it.  A match that hits a limit counts as "no match".
 *
 * Ownership: region_map_new returns a map the caller frees with region_map_free.  Names written
 * into the caller's strbuf are copies.  A map is not thread-safe (it owns PCRE2 match data).
 */
#ifndef JTLSCOPE_ANALYZER_REGION_H
#define JTLSCOPE_ANALYZER_REGION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "common/util.h"
#include "parsers/sample.h"

#define REGION_MAX_RULES 1024        /* rules in one map file */
#define REGION_MAX_LINE 4096         /* bytes in one map file line */
#define REGION_MAX_NAME 64           /* bytes in a region name */
#define REGION_MAX_KEY 256           /* bytes of a grouping key kept (longer keys are cut) */
#define REGION_MAX_GROUPS 32         /* distinct named groups; the rest fold into "other" */
#define REGION_MATCH_LIMIT 100000u   /* pcre2_set_match_limit */
#define REGION_DEPTH_LIMIT 10000u    /* pcre2_set_depth_limit */

#define REGION_OTHER "other"
#define REGION_UNKNOWN_KEY "(none)"  /* group of samples without the chosen key */

enum region_by {
	REGION_BY_URL_HOST = 0,  /* host of the sample URL (then Host header / SNI) */
	REGION_BY_HOSTNAME,      /* JMeter generator host column */
	REGION_BY_THREAD_GROUP,  /* thread name up to the last " N-M" */
	REGION_BY_LABEL,
};

/* "url-host", "hostname", "thread-group", "label". */
const char *region_by_name(enum region_by by);
/* Parse one of the names above; false if unknown. */
bool region_by_parse(const char *s, enum region_by *out);

struct region_map;

/* A map with the built-in table only.  Never NULL (out of memory aborts). */
struct region_map *region_map_new(void);
/* Add the rules of a map file.  On error returns false and writes "FILE:LINE: error: ..." (or
 * "FILE:LINE:COL: error: ..." for a pattern error, COL 1-based in the line) into err. */
bool region_map_load(struct region_map *m, const char *path, char *err, size_t errlen);
/* The same from memory; name is used in messages. */
bool region_map_load_mem(struct region_map *m, const char *name, const char *text, size_t len,
			 char *err, size_t errlen);
size_t region_map_rules(const struct region_map *m);
void region_map_free(struct region_map *m);

/* Map a key to a region.  is_host enables the built-in host table.  True and the region name
 * in *out when something matched; false (out untouched) when the key is unmapped. */
bool region_map_lookup(struct region_map *m, const char *key, size_t n, bool is_host,
		       struct strbuf *out);

/* The grouping key of a sample, written into out (reset first): a lower-cased host for
 * REGION_BY_URL_HOST (URL host, else Host header / SNI), the generator host, the thread group,
 * or the label, cut to REGION_MAX_KEY bytes.  Empty when the sample lacks it. */
void region_key(enum region_by by, const struct sample *s, struct strbuf *out);

/* Host part of an absolute URL ("scheme://[user@]host[:port]/..."; "[v6]" brackets kept off).
 * False when the URL has no authority. */
bool region_url_host(const char *url, size_t n, struct strref *host);
/* Thread group of a JMeter thread name: "Users 1-12" -> "Users"; unchanged if no " N-M". */
struct strref region_thread_group(struct strref thread);
/* Built-in host table only; NULL when the host is not a known API host. */
const char *region_builtin_host(const char *host, size_t n);
/* First cloud region token in s (AWS or GCP style), copied into buf; false if none. */
bool region_cloud_token(const char *s, size_t n, char *buf, size_t bufsz);

#endif
