/* json_util.h - small cJSON helpers shared by the JSON writers: every string from input goes
 * through esc_utf8_dup so the output is valid UTF-8; floats are rounded for stable output. */
#ifndef JTLSCOPE_REPORTS_JSON_UTIL_H
#define JTLSCOPE_REPORTS_JSON_UTIL_H

#include <cjson/cJSON.h>
#include <stdint.h>
#include <stdio.h>
#include "analyzer/analysis.h"
#include "reports/report.h"

double json_round(double v, int decimals);
/* json_add_str adds a valid-UTF-8 copy of s to obj and returns the item, which obj owns;
 * json_str returns a new one the caller adds to a tree or deletes. */
cJSON *json_add_str(cJSON *obj, const char *key, const char *s);
cJSON *json_str(const char *s);
void json_add_u64(cJSON *obj, const char *key, uint64_t v);
/* root pretty-printed to f with a newline: 0, or -1 (out of memory, or f reports an error). */
int json_print(FILE *f, const cJSON *root);
/* The same on one line. */
int json_print_compact(FILE *f, const cJSON *root);
/* The whole report as a tree (caller deletes). */
cJSON *report_json_tree(const struct analysis *a, const struct report_meta *m);

#endif
