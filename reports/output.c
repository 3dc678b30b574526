/* output.c - see output.h. */
#include "reports/output.h"

#include <string.h>

#include "common/util.h"
#include "reports/compare_report.h"
#include "reports/json_util.h"

static int csv_series(FILE *f, const struct analysis *a, const struct report_meta *m)
{
	(void)m;
	return report_csv_series(f, a);
}

static int csv_labels(FILE *f, const struct analysis *a, const struct report_meta *m)
{
	(void)m;
	return report_csv_labels(f, a);
}

/* Within one doc, the order is that of the files under -o DIR. */
static const struct output_format formats[] = {
	{ OUTPUT_REPORT, "text", 1, "report.txt", report_text, NULL, 0 },
	{ OUTPUT_REPORT, "json", 2, "report.json", report_json, NULL, 0 },
	{ OUTPUT_REPORT, "md", 4, "report.md", report_md, NULL, 0 },
	{ OUTPUT_REPORT, "html", 8, "report.html", report_html, NULL, 0 },
	{ OUTPUT_REPORT, "csv", 16, "series.csv", csv_series, NULL, 0 },
	{ OUTPUT_REPORT, "csv", 16, "labels.csv", csv_labels, NULL, 0 },
	{ OUTPUT_COMPARE, "text", 1, NULL, NULL, compare_report_text, 0 },
	{ OUTPUT_COMPARE, "md", 2, NULL, NULL, compare_report_md, 0 },
	{ OUTPUT_COMPARE, "json", 4, NULL, NULL, compare_report_json, 0 },
	{ OUTPUT_WHATIF, "text", 1, NULL, NULL, whatif_write_text, 0 },
	{ OUTPUT_WHATIF, "md", 2, NULL, NULL, whatif_write_md, 0 },
	{ OUTPUT_WHATIF, "json", 4, NULL, NULL, json_print, 0 },
	{ OUTPUT_WHATIF, "html", 8, NULL, NULL, whatif_write_html, 0 },
	{ OUTPUT_TIMELINE, "text", 1, NULL, NULL, NULL, TIMELINE_TEXT },
	{ OUTPUT_TIMELINE, "json", 2, NULL, NULL, NULL, TIMELINE_JSON },
	{ OUTPUT_TIMELINE, "csv", 4, NULL, NULL, NULL, TIMELINE_CSV },
};

const struct output_format *output_find(enum output_doc doc, const char *name, size_t len)
{
	for (size_t i = 0; i < ARRAY_LEN(formats); i++)
		if (formats[i].doc == doc && strlen(formats[i].name) == len && strncmp(formats[i].name, name, len) == 0)
			return &formats[i];
	return NULL;
}

bool output_parse_set(enum output_doc doc, const char *s, unsigned *set)
{
	*set = 0;
	while (*s) {
		size_t n = strcspn(s, ",");
		const struct output_format *p = output_find(doc, s, n);
		if (!p)
			return false;
		*set |= p->bit;
		s += n;
		if (*s == ',')
			s++;
	}
	return *set != 0;
}

const struct output_format *output_next(enum output_doc doc, unsigned set,
					const struct output_format *prev)
{
	for (size_t i = prev ? (size_t)(prev - formats) + 1 : 0; i < ARRAY_LEN(formats); i++)
		if (formats[i].doc == doc && (formats[i].bit & set))
			return &formats[i];
	return NULL;
}

int output_compare(FILE *f, const struct output_format *fmt, const struct run_metrics *base,
		   const struct run_metrics *cand, const char *base_name, const char *cand_name)
{
	cJSON *t = compare_report_tree(base, cand, base_name, cand_name);
	int w = fmt->tree(f, t);
	cJSON_Delete(t);
	return w;
}

int output_whatif(FILE *f, const struct output_format *fmt, const struct whatif_doc *d)
{
	cJSON *t = whatif_json_tree(d);
	int w = fmt->tree(f, t);
	cJSON_Delete(t);
	return w;
}
