/* archive_cache.c - see archive_cache.h. */
#include "reports/archive_cache.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "common/diag.h"
#include "common/exit_codes.h"
#include "common/util.h"
#include "reports/json_file.h"
#include "reports/report_read.h"

struct archive_cache {
	cJSON *root;
	const cJSON *runs;     /* root's "runs" object: entries by run folder name */
	char *out;
};

uint64_t archive_cache_key(const char *version, const char *formats, const char *const *pass,
			   size_t npass)
{
	struct strbuf k = STRBUF_INIT;
	strbuf_addf(&k, "%s\n%s\n", version, formats);
	for (size_t i = 0; i < npass; i++)
		strbuf_addf(&k, "%s\n", pass[i]);
	uint64_t key = hash_bytes(k.buf, k.len);
	strbuf_release(&k);
	return key;
}

static bool file_stat(const char *path, struct archive_stamp *s)
{
	struct stat st;
	if (stat(path, &st) != 0)
		return false;
	s->size = (uint64_t)st.st_size;
	s->mtime_ns = (int64_t)st.st_mtim.tv_sec * 1000000000LL + st.st_mtim.tv_nsec;
	return true;
}

bool archive_file_hash(const char *path, uint64_t *h)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	static unsigned char buf[1 << 20];
	uint64_t acc = 0x243f6a8885a308d3ULL;
	for (;;) {
		ssize_t n = read(fd, buf, sizeof buf);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			close(fd);
			return false;
		}
		if (n == 0)
			break;
		acc = (acc ^ hash_bytes(buf, (size_t)n)) * 0x9fb21c651e98df25ULL;
		acc ^= acc >> 29;
	}
	close(fd);
	*h = acc;
	return true;
}

void archive_cache_stamp(struct archive_run *r)
{
	for (size_t i = 0; i <= r->ncaps; i++) {
		struct archive_stamp *s = &r->stamp[i];
		s->hashed = file_stat(archive_run_input(r, i), s) && archive_file_hash(archive_run_input(r, i), &s->hash);
		s->hashed_at = (double)time(NULL);
	}
}

static char *hex64(uint64_t v)
{
	return xasprintf("%016llx", (unsigned long long)v);
}

/* Exactly 16 lowercase hex digits. */
static bool parse_hex64(const char *s, uint64_t *out)
{
	if (!s || strlen(s) != 16)
		return false;
	uint64_t v = 0;
	for (const char *p = s; *p; p++) {
		int d = *p >= '0' && *p <= '9' ? *p - '0' : *p >= 'a' && *p <= 'f' ? *p - 'a' + 10 : -1;
		if (d < 0)
			return false;
		v = v << 4 | (uint64_t)d;
	}
	*out = v;
	return true;
}

struct archive_cache *archive_cache_load(const char *out, uint64_t key)
{
	char *p = xasprintf("%s/%s", out, ARCHIVE_CACHE_FILE);
	cJSON *c = NULL;
	if (access(p, R_OK) == 0) {
		char err[600];
		c = json_file_load(p, err, sizeof err);
		if (!c)
			diag_note("warning: ignoring the cache: %s", err);
	}
	free(p);
	if (!c)
		return NULL;
	uint64_t k;
	if (!cJSON_IsString(cJSON_GetObjectItemCaseSensitive(c, "schema")) ||
	    strcmp(report_read_str(c, "schema"), ARCHIVE_CACHE_SCHEMA) != 0 ||
	    !parse_hex64(report_read_str(c, "options_key"), &k) || k != key) {
		cJSON_Delete(c);   /* other options or version: every run again */
		return NULL;
	}
	struct archive_cache *ac = xcalloc(1, sizeof *ac);
	ac->root = c;
	ac->runs = cJSON_GetObjectItemCaseSensitive(c, "runs");
	ac->out = xstrdup(out);
	return ac;
}

void archive_cache_free(struct archive_cache *c)
{
	if (!c)
		return;
	cJSON_Delete(c->root);
	free(c->out);
	free(c);
}

bool archive_cache_fresh(const struct archive_cache *c, struct archive_run *r)
{
	if (!c)
		return false;
	const cJSON *e = cJSON_GetObjectItemCaseSensitive(c->runs, r->name);
	const cJSON *ins = cJSON_GetObjectItemCaseSensitive(e, "inputs");
	if (!cJSON_IsArray(ins) || (size_t)cJSON_GetArraySize(ins) != 1 + r->ncaps)
		return false;
	const cJSON *ex = cJSON_GetObjectItemCaseSensitive(e, "exit");
	if (!cJSON_IsNumber(ex))
		return false;
	int code = (int)ex->valuedouble;
	if (code != EXIT_OK && code != EXIT_INPUT && code != EXIT_STRICT)
		return false;   /* output errors and crashes are worth another try */
	size_t i = 0;
	const cJSON *x;
	cJSON_ArrayForEach(x, ins) {
		struct archive_stamp *s = &r->stamp[i];
		const char *path = report_read_str(x, "path");
		uint64_t hash;
		double size = report_read_num(x, "size"), ms = report_read_num(x, "mtime_s"), mn = report_read_num(x, "mtime_ns");
		double hat = report_read_num(x, "hashed_at");
		if (!path || strcmp(path, archive_run_input(r, i)) != 0 || !parse_hex64(report_read_str(x, "hash"), &hash) ||
		    isnan(size) || isnan(ms) || isnan(mn) || isnan(hat) || !file_stat(path, s) ||
		    (double)s->size != size)
			return false;
		bool same_mtime = (double)(s->mtime_ns / 1000000000LL) == ms &&
				  (double)(s->mtime_ns % 1000000000LL) == mn;
		/* a file changed within the same clock tick as its hashing could keep size and mtime */
		bool racy = ms + ARCHIVE_CACHE_RACY_S >= hat;
		if (!same_mtime || racy) {
			if (!archive_file_hash(path, &s->hash))
				return false;
			s->hashed = true;
			s->hashed_at = (double)time(NULL);
			if (s->hash != hash)
				return false;
		} else {
			s->hash = hash;
			s->hashed = true;
			s->hashed_at = hat;
		}
		i++;
	}
	char *rj = xasprintf("%s/runs/%s/%s", c->out, r->name, code == EXIT_OK ? "report.json" : "stderr.txt");
	bool have = access(rj, R_OK) == 0;
	free(rj);
	if (!have)
		return false;
	r->exit = code;
	const char *er = report_read_str(e, "error");
	free(r->error);
	r->error = er ? xstrdup(er) : NULL;
	double secs = report_read_num(e, "seconds");
	r->secs = isnan(secs) ? 0 : secs;
	r->cached = true;
	return true;
}

int archive_cache_save(const char *out, uint64_t key, const struct archive_run *runs, size_t n)
{
	cJSON *c = cJSON_CreateObject();
	cJSON_AddStringToObject(c, "schema", ARCHIVE_CACHE_SCHEMA);
	char *k = hex64(key);
	cJSON_AddStringToObject(c, "options_key", k);
	free(k);
	cJSON *centries = cJSON_AddObjectToObject(c, "runs");
	for (size_t i = 0; i < n; i++) {
		const struct archive_run *r = &runs[i];
		if (r->exit < 0)
			continue;
		cJSON *e = cJSON_AddObjectToObject(centries, r->name);
		cJSON *ins = cJSON_AddArrayToObject(e, "inputs");
		for (size_t j = 0; j <= r->ncaps; j++) {
			const struct archive_stamp *s = &r->stamp[j];
			if (!s->hashed)
				continue;
			cJSON *x = cJSON_CreateObject();
			cJSON_AddStringToObject(x, "path", archive_run_input(r, j));
			cJSON_AddNumberToObject(x, "size", (double)s->size);
			cJSON_AddNumberToObject(x, "mtime_s", (double)(s->mtime_ns / 1000000000LL));
			cJSON_AddNumberToObject(x, "mtime_ns", (double)(s->mtime_ns % 1000000000LL));
			char *h = hex64(s->hash);
			cJSON_AddStringToObject(x, "hash", h);
			free(h);
			cJSON_AddNumberToObject(x, "hashed_at", s->hashed_at);
			cJSON_AddItemToArray(ins, x);
		}
		cJSON_AddNumberToObject(e, "exit", r->exit);
		if (r->error)
			cJSON_AddStringToObject(e, "error", r->error);
		else
			cJSON_AddNullToObject(e, "error");
		cJSON_AddNumberToObject(e, "seconds", round(r->secs * 1000) / 1000);
	}
	char *p = xasprintf("%s/%s", out, ARCHIVE_CACHE_FILE), *tmp = xasprintf("%s.tmp", p);
	char *s = cJSON_PrintUnformatted(c);
	cJSON_Delete(c);
	FILE *f = fopen(tmp, "w");
	int rc = 0;
	if (!f || fputs(s, f) < 0 || fclose(f) != 0 || rename(tmp, p) != 0) {
		diag_error("cannot write '%s': %s", p, strerror(errno));
		rc = -1;
	}
	cJSON_free(s);
	free(p);
	free(tmp);
	return rc;
}
