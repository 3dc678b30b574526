/* discover.c - see discover.h. */
#include "parsers/archive/discover.h"

#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "common/diag.h"
#include "common/util.h"
#include "parsers/input.h"
#include "parsers/jtl_sniff.h"

#define NAME_MAX_STEM 80       /* bytes of the sanitised path kept in a run's folder name */

static const char *base_name(const char *p)
{
	const char *s = strrchr(p, '/');
	return s ? s + 1 : p;
}

/* "dir/run1.jtl.gz" -> "run1"; "a/b.pcap" -> "b". */
static char *stem_of(const char *path)
{
	char *s = xstrdup(base_name(path));
	size_t n = strlen(s);
	if (n > 3 && strcasecmp(s + n - 3, ".gz") == 0)
		s[n -= 3] = '\0';
	char *dot = strrchr(s, '.');
	if (dot && dot != s)
		*dot = '\0';
	return s;
}

static char *dir_of(const char *path)
{
	const char *s = strrchr(path, '/');
	return s ? xstrndup(path, (size_t)(s - path)) : xstrdup(".");
}

/* 2: a name JMeter results usually have (.jtl); 1: .csv / .xml; 0: other.  .gz ignored. */
static int result_name(const char *path)
{
	const char *b = base_name(path);
	size_t n = strlen(b);
	if (n > 3 && strcasecmp(b + n - 3, ".gz") == 0)
		n -= 3;
	if (n > 4 && strncasecmp(b + n - 4, ".jtl", 4) == 0)
		return 2;
	if (n > 4 && (strncasecmp(b + n - 4, ".csv", 4) == 0 || strncasecmp(b + n - 4, ".xml", 4) == 0))
		return 1;
	return 0;
}

enum archive_kind archive_classify(const char *path)
{
	char err[600];
	struct input *in = input_open(path, err, sizeof err);
	if (!in)
		return result_name(path) ? ARCHIVE_SUSPECT : ARCHIVE_NONE;
	enum input_format fmt = input_sniff(in);
	enum archive_kind k = ARCHIVE_NONE;
	switch (fmt) {
	case INPUT_FMT_PCAP:
	case INPUT_FMT_PCAPNG:
		k = ARCHIVE_CAPTURE;
		break;
	case INPUT_FMT_CSV:
		k = jtl_sniff_looks_jtl(in, fmt) ? ARCHIVE_JTL : result_name(path) == 2 ? ARCHIVE_SUSPECT : ARCHIVE_NONE;
		break;
	case INPUT_FMT_XML:
		k = jtl_sniff_looks_jtl(in, fmt) ? ARCHIVE_JTL : result_name(path) == 2 ? ARCHIVE_SUSPECT : ARCHIVE_NONE;
		break;
	case INPUT_FMT_EMPTY:
		k = result_name(path) == 2 ? ARCHIVE_SUSPECT : ARCHIVE_NONE;
		break;
	case INPUT_FMT_UNKNOWN:
		k = result_name(path) ? ARCHIVE_SUSPECT : ARCHIVE_NONE;
		break;
	case INPUT_FMT_JSON:
		k = ARCHIVE_NONE;
		break;
	}
	input_close(in);
	return k;
}

static void add_found(struct archive_discovery *b, const char *path, enum archive_kind k)
{
	void *v = b->f;
	xgrow(&v, &b->fcap, b->nf + 1, sizeof *b->f);
	b->f = v;
	b->f[b->nf].path = xstrdup(path);
	b->f[b->nf].kind = k;
	b->nf++;
}

static int cmp_str(const void *x, const void *y)
{
	return strcmp(*(char *const *)x, *(char *const *)y);
}

static void walk(struct archive_discovery *b, const char *dir, int depth)
{
	if (depth > ARCHIVE_MAX_DEPTH) {
		diag_note("warning: '%s': deeper than %d levels, not searched", dir, ARCHIVE_MAX_DEPTH);
		return;
	}
	DIR *d = opendir(dir);
	if (!d) {
		diag_note("warning: cannot read directory '%s': %s", dir, strerror(errno));
		return;
	}
	char **names = NULL;
	size_t n = 0, cap = 0;
	struct dirent *e;
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;   /* ., .., hidden files, our own cache */
		void *v = names;
		xgrow(&v, &cap, n + 1, sizeof *names);
		names = v;
		names[n++] = xstrdup(e->d_name);
	}
	closedir(d);
	if (n)
		qsort(names, n, sizeof *names, cmp_str);
	for (size_t i = 0; i < n; i++) {
		char *p = strcmp(dir, "/") == 0 ? xasprintf("/%s", names[i]) : xasprintf("%s/%s", dir, names[i]);
		struct stat st;
		if (lstat(p, &st) == 0) {
			if (S_ISDIR(st.st_mode)) {
				if (!(b->skip_known && st.st_dev == b->skip_dev && st.st_ino == b->skip_ino))
					walk(b, p, depth + 1);
			} else if (S_ISREG(st.st_mode) || (S_ISLNK(st.st_mode) && stat(p, &st) == 0 && S_ISREG(st.st_mode))) {
				enum archive_kind k = archive_classify(p);
				if (k != ARCHIVE_NONE)
					add_found(b, p, k);
			}
		}
		free(p);
		free(names[i]);
	}
	free(names);
}

/* Folder name for a run: the path with unsafe bytes as '_', cut, plus a hash of the path. */
char *archive_safe_name(const char *path)
{
	struct strbuf sb = STRBUF_INIT;
	const char *p = path;
	while (*p == '.' || *p == '/')
		p++;
	for (; *p && sb.len < NAME_MAX_STEM; p++) {
		unsigned char c = (unsigned char)*p;
		bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
			  c == '.' || c == '-' || c == '_';
		if (ok)
			strbuf_addch(&sb, (char)c);
		else if (sb.len && sb.buf[sb.len - 1] != '_')
			strbuf_addch(&sb, '_');
	}
	strbuf_addf(&sb, "-%08llx", (unsigned long long)(hash_bytes(path, strlen(path)) & 0xffffffffULL));
	return strbuf_detach(&sb);
}

/* Runs from the found files; captures go to the JTL of the same stem in their folder, else to
 * the folder's only JTL. */
void archive_pair(struct archive_discovery *b)
{
	for (size_t i = 0; i < b->nf; i++)
		if (b->f[i].kind == ARCHIVE_JTL || b->f[i].kind == ARCHIVE_SUSPECT) {
			void *v = b->r;
			xgrow(&v, &b->rcap, b->nr + 1, sizeof *b->r);
			b->r = v;
			b->r[b->nr++] = (struct archive_run_files){ xstrdup(b->f[i].path), NULL, 0 };
		}
	for (size_t i = 0; i < b->nf; i++) {
		if (b->f[i].kind != ARCHIVE_CAPTURE)
			continue;
		char *cdir = dir_of(b->f[i].path), *cstem = stem_of(b->f[i].path);
		struct archive_run_files *match = NULL, *only = NULL;
		size_t in_dir = 0;
		for (size_t k = 0; k < b->nr; k++) {
			char *rdir = dir_of(b->r[k].jtl);
			if (strcmp(rdir, cdir) == 0) {
				in_dir++;
				only = &b->r[k];
				char *rstem = stem_of(b->r[k].jtl);
				if (strcmp(rstem, cstem) == 0 && !match)
					match = &b->r[k];
				free(rstem);
			}
			free(rdir);
		}
		if (!match && in_dir == 1)
			match = only;
		if (match) {
			match->caps = xrealloc(match->caps, (match->ncaps + 1) * sizeof *match->caps);
			match->caps[match->ncaps++] = xstrdup(b->f[i].path);
		} else {
			b->unpaired = xrealloc(b->unpaired, (b->nunpaired + 1) * sizeof *b->unpaired);
			b->unpaired[b->nunpaired++] = xstrdup(b->f[i].path);
		}
		free(cdir);
		free(cstem);
	}
}

void archive_add_path(struct archive_discovery *d, const char *path, bool is_dir)
{
	if (is_dir) {
		char *p = xstrdup(path);
		size_t n = strlen(p);
		while (n > 1 && p[n - 1] == '/')
			p[--n] = '\0';
		walk(d, p, 0);
		free(p);
	} else {
		enum archive_kind k = archive_classify(path);
		add_found(d, path, k == ARCHIVE_NONE ? ARCHIVE_SUSPECT : k);
	}
}

void archive_discovery_release(struct archive_discovery *d)
{
	for (size_t i = 0; i < d->nf; i++)
		free(d->f[i].path);
	free(d->f);
	for (size_t i = 0; i < d->nr; i++) {
		free(d->r[i].jtl);
		for (size_t k = 0; k < d->r[i].ncaps; k++)
			free(d->r[i].caps[k]);
		free(d->r[i].caps);
	}
	free(d->r);
	for (size_t i = 0; i < d->nunpaired; i++)
		free(d->unpaired[i]);
	free(d->unpaired);
	memset(d, 0, sizeof *d);
}
