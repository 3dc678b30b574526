/* index_csv.c - index.csv of the batch index (index.h): RFC 4180, CRLF, one row per run. */
#include <string.h>

#include "common/util.h"
#include "reports/escape.h"
#include "reports/index.h"

static void csv_line(struct strbuf *sb, const struct index *ix, const char *const *cells)
{
	int k = 0;
	for (size_t i = 0; i < INDEX_NCOLS; i++) {
		if (!index_col_shown(ix, i))
			continue;
		if (k++)
			strbuf_addch(sb, ',');
		esc_csv_cell(sb, cells[i], strlen(cells[i]));
	}
	strbuf_addstr(sb, "\r\n");
}

int index_write_csv(FILE *f, const struct index *ix)
{
	struct strbuf sb = STRBUF_INIT;
	const char *head[INDEX_NCOLS];
	for (size_t i = 0; i < INDEX_NCOLS; i++)
		head[i] = index_col_name(i);
	csv_line(&sb, ix, head);
	for (size_t r = 0; r < ix->nrows; r++) {
		char *c[INDEX_NCOLS];
		index_cells(&ix->rows[r], c);
		csv_line(&sb, ix, (const char *const *)c);
		index_cells_free(c);
	}
	fwrite(sb.buf ? sb.buf : "", 1, sb.len, f);
	strbuf_release(&sb);
	return ferror(f) ? -1 : 0;
}
