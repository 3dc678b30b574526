/* archive_index.c - see archive_index.h. */
#include "reports/archive_index.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/diag.h"
#include "common/exit_codes.h"
#include "common/util.h"
#include "reports/index.h"
#include "reports/json_file.h"
#include "reports/junit.h"
#include "reports/report_read.h"

/* The row of run r: its metrics when its report.json reads back, the gate evaluated on them. */
static void run_row(const struct archive_index_opts *o, struct archive_run *r, struct index_row *row,
		    struct archive_index_counts *k)
{
	char err[1200];
	char *rj = xasprintf("%s/runs/%s/report.json", o->out, r->name);
	cJSON *tree = NULL;
	if (access(rj, R_OK) == 0) {
		tree = json_file_load(rj, err, sizeof err);
		if (!tree && r->exit == 0) {
			r->exit = EXIT_INPUT;
			free(r->error);
			r->error = xstrdup(err);
		}
	}
	free(rj);
	if (r->exit != 0)
		k->failed++;
	char *rel = xasprintf("runs/%s/", r->name);
	index_row_init(row, r->path, rel, r->exit, r->error, r->caps, r->ncaps);
	free(rel);
	if (o->gate)
		row->gate = "n/a";
	if (!tree)
		return;
	struct run_metrics m;
	report_read_metrics(&m, tree);
	cJSON_Delete(tree);
	index_row_metrics(row, &m);
	if (o->gate) {
		int met = gate_eval_metrics(o->gate, r->path, &m);
		if (o->gate_lines)
			junit_print_lines(o->gate_lines, o->gate, gate_nsuites(o->gate) - 1);
		k->gated += met > 0;
		row->gate = met ? "fail" : "pass";
	}
	run_metrics_release(&m);
}

static int write_index_file(const char *out, const char *name, const struct index *ix,
			    int (*fn)(FILE *, const struct index *))
{
	char *p = xasprintf("%s/%s", out, name);
	FILE *f = fopen(p, "w");
	int rc = 0;
	if (!f || fn(f, ix) != 0 || fclose(f) != 0) {
		diag_error("cannot write '%s': %s", p, strerror(errno));
		rc = -1;
	}
	free(p);
	return rc;
}

int archive_index_write(const struct archive_index_opts *o, struct archive_run *runs, size_t n,
			struct archive_index_counts *k)
{
	*k = (struct archive_index_counts){ 0 };
	struct index_row *rows = xcalloc(n ? n : 1, sizeof *rows);
	for (size_t i = 0; i < n; i++)
		run_row(o, &runs[i], &rows[i], k);
	index_mark_limit_changes(rows, n);
	char why[300] = { 0 };
	char *svg = index_rows_chart(rows, n, o->out, why, sizeof why);
	struct index ix = { .rows = rows, .nrows = n, .gate = o->gate != NULL, .trend_svg = svg,
			    .trend_why = why, .unpaired = o->unpaired, .nunpaired = o->nunpaired };
	int wr = 0;
	wr |= write_index_file(o->out, "index.json", &ix, index_write_json);
	wr |= write_index_file(o->out, "index.csv", &ix, index_write_csv);
	wr |= write_index_file(o->out, "index.md", &ix, index_write_md);
	wr |= write_index_file(o->out, "index.html", &ix, index_write_html);
	for (size_t i = 0; i < n; i++)
		index_row_release(&rows[i]);
	free(rows);
	free(svg);
	return wr;
}
