/* whatif_report.h - the "what if" predictions (analyzer/whatif) as a "jtlscope-whatif/1" JSON
 * tree (documented in docs/whatif.md), and that tree rendered as text, Markdown or HTML.
 * OWNER: whatif (issue 16). */
#ifndef JTLSCOPE_REPORTS_WHATIF_REPORT_H
#define JTLSCOPE_REPORTS_WHATIF_REPORT_H

#include <cjson/cJSON.h>
#include <stdio.h>
#include "analyzer/whatif/whatif.h"

#define WHATIF_SCHEMA "jtlscope-whatif/1"

struct whatif_doc {
	const char *const *inputs;
	size_t ninputs;
	bool known;                          /* a limiter to replay */
	const char *why;                     /* when not known */
	const struct whatif_limiter *lim;
	const struct whatif_recorded *rec;
	const struct whatif_scenario *sc;    /* scenarios and their predictions */
	const struct whatif_prediction *pred;
	size_t nsc;
	const struct whatif_prediction *safe; /* the user-count search (max_users), or NULL */
	double safe_ramp_s;
	const uint32_t *rec_series;          /* recorded accepted per bucket (chart) */
	size_t nrec_series;
};

/* The tree (caller deletes). */
cJSON *whatif_json_tree(const struct whatif_doc *d);
int whatif_write_text(FILE *f, const cJSON *t);
int whatif_write_md(FILE *f, const cJSON *t);
int whatif_write_html(FILE *f, const cJSON *t);

#endif
