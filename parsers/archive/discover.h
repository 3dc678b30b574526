/* discover.h - the runs of an archive: folders searched recursively, files recognised by
 * content (jtl_sniff.h), captures paired with the JTL of the same stem in their folder, else
 * with the folder's only JTL.  Used by `batch`; see docs/archives.md.
 *
 *   struct archive_discovery d = { 0 };
 *   archive_add_path(&d, "archive/", true);   any number of folders and files
 *   archive_pair(&d);                         d.r[0..nr) runs, d.unpaired captures
 *   archive_discovery_release(&d);            frees every string still in d
 *
 * Hidden entries are skipped and symlinked folders not followed; the folder skip_dev/skip_ino
 * (the output) is not searched.  Warnings go through diag_note. */
#ifndef JTLSCOPE_PARSERS_ARCHIVE_DISCOVER_H
#define JTLSCOPE_PARSERS_ARCHIVE_DISCOVER_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#define ARCHIVE_MAX_DEPTH 64   /* directory nesting followed */

enum archive_kind {
	ARCHIVE_NONE,          /* not a run: ignored */
	ARCHIVE_JTL,           /* a JMeter result file */
	ARCHIVE_CAPTURE,       /* pcap / pcapng */
	ARCHIVE_SUSPECT,       /* named like a result but unreadable or unknown: a run that fails */
};

struct archive_found {
	char *path;
	enum archive_kind kind;
};

struct archive_run_files {
	char *jtl;             /* owned by the discovery until taken (set to NULL) */
	char **caps;
	size_t ncaps;
};

struct archive_discovery {
	struct archive_found *f;
	size_t nf, fcap;
	struct archive_run_files *r;   /* after archive_pair, in path order */
	size_t nr, rcap;
	char **unpaired;
	size_t nunpaired;
	bool skip_known;
	dev_t skip_dev;
	ino_t skip_ino;
};

/* What a file is, by its content (and, for unreadable files, its name). */
enum archive_kind archive_classify(const char *path);
/* A folder (searched) or a file (always a run unless a capture). */
void archive_add_path(struct archive_discovery *d, const char *path, bool is_dir);
/* Runs from the found files, captures paired. */
void archive_pair(struct archive_discovery *d);
void archive_discovery_release(struct archive_discovery *d);
/* Folder name for a run: the path with unsafe bytes as '_', cut to 80 bytes, plus 8 hex digits
 * of a hash of the path; only [A-Za-z0-9._-].  Caller frees. */
char *archive_safe_name(const char *path);

#endif
