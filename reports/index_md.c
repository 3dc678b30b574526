/* index_md.c - index.md of the batch index (index.h). */
#include <string.h>

#include "common/util.h"
#include "reports/escape.h"
#include "reports/index.h"
#include "reports/index_chart.h"

int index_write_md(FILE *f, const struct index *ix)
{
	size_t ok, failed, thr;
	index_counts(ix, &ok, &failed, &thr);
	struct strbuf sb = STRBUF_INIT;
	strbuf_addf(&sb, "# jtlscope batch\n\n%zu runs: %zu analysed, %zu failed, %zu with sustained "
		    "throttling.\n\n", ok + failed, ok, failed, thr);
	if (ix->trend_svg)
		strbuf_addf(&sb, "![Runs over time: onset, admitted rate (limit changes circled), "
			    "throttled %%, p95](%s)\n\n", INDEX_CHART_FILE);
	else if (ix->nrows > 1)
		strbuf_addf(&sb, "_%s._\n\n", ix->trend_why);
	strbuf_addstr(&sb, "|");
	for (size_t i = 0; i < INDEX_NCOLS; i++)
		if (index_col_shown(ix, i))
			strbuf_addf(&sb, " %s |", index_col_name(i));
	strbuf_addstr(&sb, "\n|");
	for (size_t i = 0; i < INDEX_NCOLS; i++)
		if (index_col_shown(ix, i))
			strbuf_addstr(&sb, index_col_numeric(i) ? "--:|" : "---|");
	strbuf_addch(&sb, '\n');
	for (size_t r = 0; r < ix->nrows; r++) {
		char *c[INDEX_NCOLS];
		index_cells(&ix->rows[r], c);
		strbuf_addstr(&sb, "|");
		for (size_t i = 0; i < INDEX_NCOLS; i++) {
			if (!index_col_shown(ix, i))
				continue;
			strbuf_addch(&sb, ' ');
			if (i == INDEX_C_PATH) {
				/* link to the run's own report; the folder name is [A-Za-z0-9._-] only */
				strbuf_addch(&sb, '[');
				esc_md_cell(&sb, c[i], strlen(c[i]));
				strbuf_addf(&sb, "](%sreport.md)", ix->rows[r].report);
			} else {
				esc_md_cell(&sb, c[i], strlen(c[i]));
			}
			strbuf_addstr(&sb, " |");
		}
		strbuf_addch(&sb, '\n');
		index_cells_free(c);
	}
	if (ix->nunpaired) {
		strbuf_addstr(&sb, "\nCaptures not paired with a run (no JTL of the same name, several in "
				   "their folder):\n\n");
		for (size_t i = 0; i < ix->nunpaired; i++) {
			strbuf_addstr(&sb, "- ");
			esc_md_cell(&sb, ix->unpaired[i], strlen(ix->unpaired[i]));
			strbuf_addch(&sb, '\n');
		}
	}
	fwrite(sb.buf, 1, sb.len, f);
	strbuf_release(&sb);
	return ferror(f) ? -1 : 0;
}
