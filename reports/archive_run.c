/* archive_run.c - see archive_run.h. */
#include "reports/archive_run.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "common/diag.h"
#include "common/util.h"

struct archive_run *archive_runs_find(struct archive_discovery *d, const char *const *paths,
				      size_t npaths, const char *skip_dir, size_t *n)
{
	struct stat st;
	*n = 0;
	if (skip_dir && stat(skip_dir, &st) == 0) {
		d->skip_known = true;
		d->skip_dev = st.st_dev;
		d->skip_ino = st.st_ino;
	}
	for (size_t i = 0; i < npaths; i++) {
		if (stat(paths[i], &st) != 0) {
			diag_error("cannot open '%s': %s", paths[i], strerror(errno));
			return NULL;
		}
		archive_add_path(d, paths[i], S_ISDIR(st.st_mode));
	}
	archive_pair(d);
	struct archive_run *runs = archive_runs_take(d, n);
	if (!runs)
		diag_error("no JMeter result files found in the given folders and files");
	return runs;
}

struct archive_run *archive_runs_take(struct archive_discovery *d, size_t *n)
{
	*n = d->nr;
	if (d->nr == 0)
		return NULL;
	struct archive_run *runs = xcalloc(d->nr, sizeof *runs);
	for (size_t i = 0; i < d->nr; i++) {
		struct archive_run_files *rf = &d->r[i];
		struct archive_run *r = &runs[i];
		r->path = rf->jtl;
		r->caps = rf->caps;
		r->ncaps = rf->ncaps;
		rf->jtl = NULL;
		rf->caps = NULL;
		rf->ncaps = 0;
		r->name = archive_safe_name(r->path);
		r->exit = -1;
		r->stamp = xcalloc(1 + r->ncaps, sizeof *r->stamp);
	}
	return runs;
}

const char *archive_run_input(const struct archive_run *r, size_t i)
{
	return i == 0 ? r->path : r->caps[i - 1];
}

void archive_runs_release(struct archive_run *runs, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		struct archive_run *r = &runs[i];
		free(r->path);
		free(r->name);
		for (size_t k = 0; k < r->ncaps; k++)
			free(r->caps[k]);
		free(r->caps);
		free(r->stamp);
		free(r->error);
	}
	free(runs);
}
