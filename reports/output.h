/* output.h - the output registry: every format a command writes, by the name --format gives
 * it, with its writer.  One table (reports/output.c) for the four kinds of document:
 *
 *   report    a finished analysis (report, merge): text, json, md, html, csv (two files)
 *   compare   two runs' metrics (compare): text, md, json
 *   whatif    the what-if predictions (whatif): text, md, json, html
 *   timeline  a capture's connections (timeline): text, json, csv, written as they close
 *
 *   unsigned set;
 *   if (!output_parse_set(OUTPUT_REPORT, "md,html", &set)) ...       unknown name
 *   for (p = output_next(OUTPUT_REPORT, set, NULL); p; p = output_next(OUTPUT_REPORT, set, p))
 *           ... p->file, p->report(f, a, meta) ...
 *
 * The entries are static: nothing to free. */
#ifndef JTLSCOPE_REPORTS_OUTPUT_H
#define JTLSCOPE_REPORTS_OUTPUT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include "analyzer/run_metrics.h"
#include "reports/report.h"
#include "reports/timeline_report.h"
#include "reports/whatif_report.h"

enum output_doc { OUTPUT_REPORT, OUTPUT_COMPARE, OUTPUT_WHATIF, OUTPUT_TIMELINE };

struct output_format {
	enum output_doc doc;
	const char *name;        /* as --format names it */
	unsigned bit;            /* in a set of formats of doc (csv: one bit, two files) */
	const char *file;        /* report: the file written under -o DIR */
	/* the writer: report for OUTPUT_REPORT, tree for compare and whatif (the document as
	 * its JSON tree), timeline for OUTPUT_TIMELINE; 0, or -1 when writing failed */
	int (*report)(FILE *f, const struct analysis *a, const struct report_meta *m);
	int (*tree)(FILE *f, const cJSON *doc);
	enum timeline_format timeline;
};

/* The format of doc called name (len bytes), or NULL. */
const struct output_format *output_find(enum output_doc doc, const char *name, size_t len);
/* "text,json" -> the bits of those formats of doc.  false on an unknown or empty name. */
bool output_parse_set(enum output_doc doc, const char *list, unsigned *set);
/* The entry of doc after prev (NULL: the first) whose bit is in set, in table order; NULL at
 * the end. */
const struct output_format *output_next(enum output_doc doc, unsigned set,
					const struct output_format *prev);

/* Write a compare or whatif document with fmt's writer (the tree is built and freed here).
 * 0, or -1 when writing failed. */
int output_compare(FILE *f, const struct output_format *fmt, const struct run_metrics *base,
		   const struct run_metrics *cand, const char *base_name, const char *cand_name);
int output_whatif(FILE *f, const struct output_format *fmt, const struct whatif_doc *d);

#endif
