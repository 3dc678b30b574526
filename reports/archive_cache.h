/* archive_cache.h - batch's cache, OUT/.jtlscope-cache.json (see docs/archives.md): for each
 * run, by its folder name, the size, mtime and content hash of every input, and the worker's
 * exit code, first error line and seconds.  This module alone reads and writes that file.
 *
 * A run is fresh (not analysed again) when its input list is the same, every input has the same
 * size and content hash (the stored hash is trusted while the mtime is unchanged and the file was
 * not modified within ARCHIVE_CACHE_RACY_S of its hashing), its outcome was final (exit 0, 3 or
 * 4: output errors and crashes are tried again) and its report.json (exit 0) or stderr.txt is
 * still in OUT/runs/NAME/.  The whole file is ignored when it cannot be read or parsed (with a
 * warning), has another schema, or was written for another options key (other formats, other
 * passed-through options or another jtlscope version).
 *
 *   uint64_t key = archive_cache_key(JTLSCOPE_VERSION, formats, pass, npass);
 *   struct archive_cache *c = archive_cache_load(out, key);    NULL: nothing usable
 *   if (archive_cache_fresh(c, &run)) ...     run.exit/.error/.secs/.stamp from the cache
 *   archive_cache_free(c);
 *   archive_cache_save(out, key, runs, n);    every run that ran or was fresh
 *
 * Ownership: the cache owns the parsed file and its copy of out; archive_cache_fresh gives the
 * run a copy of the error line (the run owns it, archive_runs_release frees it). */
#ifndef JTLSCOPE_REPORTS_ARCHIVE_CACHE_H
#define JTLSCOPE_REPORTS_ARCHIVE_CACHE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "reports/archive_run.h"

#define ARCHIVE_CACHE_FILE ".jtlscope-cache.json"
#define ARCHIVE_CACHE_SCHEMA "jtlscope-batch-cache/1"
#define ARCHIVE_CACHE_RACY_S 2     /* files modified this close to their hashing are re-hashed */

struct archive_cache;

/* The options key: a hash of the version, the formats and the options passed to report. */
uint64_t archive_cache_key(const char *version, const char *formats, const char *const *pass,
			   size_t npass);
/* OUT/.jtlscope-cache.json when it is there, valid and written for key; else NULL (a corrupt or
 * unreadable file is reported with diag_note, "warning: ignoring the cache: ..."). */
struct archive_cache *archive_cache_load(const char *out, uint64_t key);
/* Is r unchanged since its entry in c (NULL c: never)?  Fills r->stamp (hashing only what size
 * and mtime do not settle); when fresh also r->exit, r->error, r->secs and r->cached. */
bool archive_cache_fresh(const struct archive_cache *c, struct archive_run *r);
void archive_cache_free(struct archive_cache *c);

/* Stat and hash every input of r into r->stamp (hashed false for one that cannot be read). */
void archive_cache_stamp(struct archive_run *r);
/* Content hash of a file's raw bytes (hash_bytes per 1 MB block, chained); false when it cannot
 * be read. */
bool archive_file_hash(const char *path, uint64_t *hash);

/* Write OUT/.jtlscope-cache.json (through a .tmp file and rename) with an entry for every run
 * with exit >= 0 and the inputs that were hashed.  0, or -1 (diag_error names the file). */
int archive_cache_save(const char *out, uint64_t key, const struct archive_run *runs, size_t n);

#endif
