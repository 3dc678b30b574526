/* json_file.h - a whole JSON file (plain or gzip) read and parsed: the edge where report.json,
 * summaries and batch's cache come back in.
 *
 * The caller owns the returned tree (cJSON_Delete); on failure NULL and the reason, naming the
 * file, in err ("'x.json': not valid JSON (near byte 12)"). */
#ifndef JTLSCOPE_REPORTS_JSON_FILE_H
#define JTLSCOPE_REPORTS_JSON_FILE_H

#include <cjson/cJSON.h>
#include <stddef.h>

#define JSON_FILE_MAX (1u << 30)   /* bytes of one file read back (after gunzip) */

cJSON *json_file_load(const char *path, char *err, size_t errlen);

#endif
