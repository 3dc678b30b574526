/* archive_run.h - one run of an archive as `batch` handles it: its inputs (from the discovery,
 * parsers/archive/discover.h), what the cache knows of each input (reports/archive_cache.h) and
 * the outcome of its worker (reports/archive_pool.h), read back into the index by
 * reports/archive_index.h.
 *
 *   struct archive_discovery d = { 0 };
 *   size_t n;
 *   struct archive_run *runs = archive_runs_find(&d, paths, npaths, out, &n);   NULL: exit 3
 *   ... archive_pool_run(&pool, runs, n); archive_index_write(...); archive_cache_save(...);
 *   archive_runs_release(runs, n);         frees the runs and the array
 *   archive_discovery_release(&d);         the unpaired captures and the list of found files
 *
 * Every pointer in a run is owned by it. */
#ifndef JTLSCOPE_REPORTS_ARCHIVE_RUN_H
#define JTLSCOPE_REPORTS_ARCHIVE_RUN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "parsers/archive/discover.h"

/* One input file as the cache records it. */
struct archive_stamp {
	uint64_t size;
	int64_t mtime_ns;
	uint64_t hash;         /* archive_file_hash of its bytes */
	bool hashed;           /* size, mtime_ns and hash are known */
	double hashed_at;      /* wall-clock seconds when the hash was computed */
};

struct archive_run {
	char *path;            /* the JTL (or suspect file) */
	char *name;            /* folder under OUT/runs/ (archive_safe_name) */
	char **caps;           /* paired captures */
	size_t ncaps;
	struct archive_stamp *stamp;   /* 1 + ncaps: the JTL, then each capture */
	int exit;              /* worker exit code; -1 not run; 128+N killed by signal N */
	char *error;           /* first error line, or NULL */
	bool cached;           /* the outcome came from the cache */
	double secs;           /* the worker's wall-clock seconds */
};

/* Discover the runs under paths[0..npaths) (folders searched, files taken as they are; the
 * folder skip_dir, the output, is not searched) into d and take them (archive_runs_take).
 * NULL when a path cannot be opened or nothing is found (diag_error says which). */
struct archive_run *archive_runs_find(struct archive_discovery *d, const char *const *paths,
				      size_t npaths, const char *skip_dir, size_t *n);
/* The runs of a paired discovery (d->nr of them, *n set), in its order.  The paths are taken
 * over: d->r[i].jtl and .caps are NULL afterwards, archive_discovery_release still frees the
 * rest of d.  NULL (and *n 0) when d has no runs. */
struct archive_run *archive_runs_take(struct archive_discovery *d, size_t *n);
/* Input i of r: 0 the JTL, 1..ncaps the captures (borrowed). */
const char *archive_run_input(const struct archive_run *r, size_t i);
void archive_runs_release(struct archive_run *runs, size_t n);

#endif
