/* run_file.c - see run_file.h. */
#include "reports/run_file.h"

#include <stdlib.h>
#include <string.h>

#include "common/util.h"
#include "parsers/input.h"
#include "reports/json_util.h"
#include "reports/report.h"
#include "reports/report_read.h"
#include "reports/summary_json.h"

cJSON *run_file_load_json(const char *path, char *err, size_t errlen)
{
	char e[600];
	struct input *in = input_open(path, e, sizeof e);
	if (!in) {
		snprintf(err, errlen, "%s", e);
		return NULL;
	}
	struct strbuf sb = STRBUF_INIT;
	char buf[1 << 16];
	ptrdiff_t r;
	while ((r = input_read(in, buf, sizeof buf)) > 0) {
		if (sb.len + (size_t)r > RUN_FILE_MAX) {
			snprintf(err, errlen, "'%s': larger than %u MB", path, RUN_FILE_MAX >> 20);
			strbuf_release(&sb);
			input_close(in);
			return NULL;
		}
		strbuf_add(&sb, buf, (size_t)r);
	}
	if (r < 0) {
		snprintf(err, errlen, "'%s': %s", path, input_error(in));
		strbuf_release(&sb);
		input_close(in);
		return NULL;
	}
	input_close(in);
	cJSON *root = cJSON_ParseWithLength(sb.buf ? sb.buf : "", sb.len);
	if (!root) {
		const char *at = cJSON_GetErrorPtr();
		size_t off = at && sb.buf && at >= sb.buf && at <= sb.buf + sb.len ? (size_t)(at - sb.buf) : 0;
		snprintf(err, errlen, "'%s': not valid JSON (near byte %zu)", path, off);
	}
	strbuf_release(&sb);
	return root;
}

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
	cJSON *j = run_file_load_json(path, err, errlen);
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
	while (loaded < n && (trees[loaded] = run_file_load_json(paths[loaded], err, errlen)) != NULL)
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
