/* run_file.c - see run_file.h. */
#include "reports/run_file.h"

#include <stdlib.h>
#include <string.h>

#include "common/util.h"
#include "parsers/input.h"
#include "reports/json_file.h"
#include "reports/json_util.h"
#include "reports/report.h"
#include "reports/report_read.h"
#include "reports/summary_json.h"

/* The tree's "schema" string, or "". */
static const char *schema_of(const cJSON *j)
{
	const cJSON *s = cJSON_GetObjectItemCaseSensitive(j, "schema");
	return cJSON_IsString(s) ? s->valuestring : "";
}

bool run_file_metrics(struct run_metrics *m, const char *path, const char *version, char *err,
		      size_t errlen)
{
	char e[600];
	cJSON *j = json_file_load(path, err, errlen);
	if (!j)
		return false;
	bool ok = false;
	if (strcmp(schema_of(j), REPORT_SCHEMA) == 0) {
		report_read_metrics(m, j);
		ok = true;
	} else if (strcmp(schema_of(j), SUMMARY_SCHEMA) == 0) {
		struct analysis *a = summary_from_json(j, e, sizeof e);
		if (!a) {
			snprintf(err, errlen, "'%s': %s", path, e);
		} else {
			struct report_meta meta = { .version = version };
			analysis_finish(a);
			report_read_analysis(m, a, &meta);
			analysis_free(a);
			ok = true;
		}
	} else {
		snprintf(err, errlen, "'%s': not a jtlscope report or summary (no known \"schema\")", path);
	}
	cJSON_Delete(j);
	return ok;
}

/* Fold the loaded summaries parts[0..n) into one analysis. */
static struct analysis *merge_trees(cJSON *const *parts, const char *const *paths, size_t n,
				    char *err, size_t errlen)
{
	char e[600];
	struct analysis *m = NULL;
	for (size_t i = 0; i < n; i++) {
		const cJSON *schema = cJSON_GetObjectItemCaseSensitive(parts[i], "schema");
		if (strcmp(schema_of(parts[i]), REPORT_SCHEMA) == 0) {
			snprintf(err, errlen, "'%s': a report, not a summary (make summaries with "
				 "'jtlscope summarize')", paths[i]);
			analysis_free(m);
			return NULL;
		}
		if (i > 0 && cJSON_IsString(schema) && !summary_compatible(parts[0], parts[i], e, sizeof e)) {
			snprintf(err, errlen, "'%s': %s than '%s'", paths[i], e, paths[0]);
			analysis_free(m);
			return NULL;
		}
		struct analysis *p = summary_from_json(parts[i], e, sizeof e);
		if (!p) {
			snprintf(err, errlen, "'%s': %s", paths[i], e);
			analysis_free(m);
			return NULL;
		}
		if (!m) {
			m = p;
			continue;
		}
		if (analysis_merge(m, p, e, sizeof e) != 0) {
			snprintf(err, errlen, "'%s': %s", paths[i], e);
			analysis_free(p);
			analysis_free(m);
			return NULL;
		}
		analysis_free(p);
	}
	return m;
}

struct analysis *run_file_merge(const char *const *paths, size_t n, char *err, size_t errlen)
{
	cJSON **trees = xcalloc(n, sizeof *trees);
	struct analysis *a = NULL;
	size_t loaded = 0;
	while (loaded < n && (trees[loaded] = json_file_load(paths[loaded], err, errlen)) != NULL)
		loaded++;
	if (loaded == n)
		a = merge_trees(trees, paths, n, err, errlen);
	for (size_t i = 0; i < loaded; i++)
		cJSON_Delete(trees[i]);
	free(trees);
	return a;
}

int run_file_write_summary(FILE *f, const struct analysis *a, const char *generator)
{
	cJSON *j = summary_to_json(a, generator);
	int w = j ? json_print_compact(f, j) : -1;
	cJSON_Delete(j);
	return w;
}
