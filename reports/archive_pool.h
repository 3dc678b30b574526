/* archive_pool.h - batch's worker pool: every run analysed by `jtlscope report` in a process of
 * its own, at most jobs at once, started through the one spawner (reports/spawn.h: posix_spawn,
 * no shell, stdin /dev/null) into OUT/runs/NAME/; the worker's stdout and stderr go to
 * stderr.txt there, removed when the run succeeded and it is empty.
 *
 *   struct archive_pool p = { .exe = "/proc/self/exe", .out = out, .jobs = 4,
 *                             .formats = "json,md,html", .pass = pass, .npass = npass,
 *                             .progress = stderr, .cache = cache };
 *   if (!archive_pool_check(&p)) ...           report refused the options (message printed)
 *   archive_pool_run(&p, runs, n);             every run's exit, error and secs set
 *
 * A run the cache says is fresh (reports/archive_cache.h) is not started; every other run's
 * inputs are stamped for the cache first, and its earlier report.{json,md,html,txt} removed so
 * a failed analysis leaves none behind.  A failed run gets its first "error:" line of
 * stderr.txt (or "exit N", "killed by signal N") in r->error, owned by the run.
 * Nothing in struct archive_pool is owned by it. */
#ifndef JTLSCOPE_REPORTS_ARCHIVE_POOL_H
#define JTLSCOPE_REPORTS_ARCHIVE_POOL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include "reports/archive_cache.h"
#include "reports/archive_run.h"

#define ARCHIVE_POOL_MAX_JOBS 256
#define ARCHIVE_POOL_ERRLINE_MAX 300   /* bytes of a worker's first error line kept */

struct archive_pool {
	const char *exe;                 /* the jtlscope binary the workers run */
	const char *out;                 /* OUT: runs go to OUT/runs/NAME/ */
	int jobs;                        /* 1..ARCHIVE_POOL_MAX_JOBS at once */
	const char *formats;             /* report --format */
	const char *const *pass;         /* report options passed through */
	size_t npass;
	FILE *progress;                  /* "[i/n] path ... ok 1.2 s" per run; NULL: none */
	struct archive_cache *cache;     /* borrowed; NULL: every run is analysed */
};

/* The formats the workers write: json first (the index reads it), then list's other formats
 * (comma-separated), or defaults when list is NULL.  Caller frees. */
char *archive_pool_formats(const char *list, const char *defaults);
/* `report -q --format F OPTIONS --help` exits 0 exactly when report accepts the options: true
 * then (or when the check cannot run), false with diag_error giving report's reason. */
bool archive_pool_check(const struct archive_pool *p);
/* Analyse runs[0..n) (or take them from the cache), in order, jobs at once. */
void archive_pool_run(const struct archive_pool *p, struct archive_run *runs, size_t n);
/* The line that explains a failure in a worker's output: the first line holding "error:",
 * else the first non-empty line, without a "jtlscope: error: " prefix, at most
 * ARCHIVE_POOL_ERRLINE_MAX bytes.  NULL for empty text; else the caller frees. */
char *archive_pool_error_line(const char *text);

#endif
