/* batch.c - `jtlscope batch` (batch.h): discover runs, analyse them in worker processes,
 * cache, index. */
#include "cli/batch.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cli/gate.h"
#include "cli/options.h"
#include "cli/report_cmd.h"
#include "cli/report_opts.h"
#include "cli/summary_cmd.h"
#include "common/diag.h"
#include "common/util.h"
#include "parsers/input.h"
#include "parsers/archive/discover.h"
#include "reports/escape.h"
#include "reports/index.h"
#include "reports/junit.h"
#include "reports/report_read.h"
#include "reports/report.h"
#include "reports/report_time.h"
#include "reports/spawn.h"

#ifndef JTLSCOPE_VERSION
#define JTLSCOPE_VERSION "0.0.0"
#endif

#define SELF_EXE "/proc/self/exe"
#define ERRLINE_MAX 300        /* bytes of a worker's first error line kept */

/* --- runs ----------------------------------------------------------------------------------- */

struct finfo {
	uint64_t size;
	int64_t mtime_ns;
	uint64_t hash;
	bool hashed;
	double hashed_at;      /* wall-clock seconds when the hash was computed */
};

struct run {
	char *path;            /* the JTL (or suspect file) */
	char *name;            /* folder under OUT/runs/ */
	char **caps;           /* paired captures */
	size_t ncaps;
	struct finfo *fi;      /* 1 + ncaps */
	int exit;              /* worker exit code; -1 not run; 128+N killed by signal N */
	char *error;           /* first error line, or NULL */
	bool cached;
	double secs;
};

struct batch {
	const char *out;
	int jobs;
	bool quiet, force;
	char *formats;         /* passed to report --format */
	const char **pass;     /* report options passed through */
	size_t npass;
	struct archive_discovery disc;   /* found files; unpaired captures */
	struct run *r;
	size_t nr, rcap;
	uint64_t options_key;
	struct gate *gate;
	const char *junit;
	char *trend_svg;       /* the checked trend chart, or NULL (then trend_why says why) */
	char trend_why[300];
};

static void add_run(struct batch *b, struct archive_run_files *rf)
{
	void *v = b->r;
	xgrow(&v, &b->rcap, b->nr + 1, sizeof *b->r);
	b->r = v;
	struct run *r = &b->r[b->nr++];
	memset(r, 0, sizeof *r);
	r->path = rf->jtl;            /* taken over from the discovery */
	r->caps = rf->caps;
	r->ncaps = rf->ncaps;
	rf->jtl = NULL;
	rf->caps = NULL;
	rf->ncaps = 0;
	r->name = archive_safe_name(r->path);
	r->exit = -1;
	r->fi = xcalloc(1 + r->ncaps, sizeof *r->fi);
}

/* --- the cache ------------------------------------------------------------------------------ */

static bool file_stat(const char *path, struct finfo *fi)
{
	struct stat st;
	if (stat(path, &st) != 0)
		return false;
	fi->size = (uint64_t)st.st_size;
	fi->mtime_ns = (int64_t)st.st_mtim.tv_sec * 1000000000LL + st.st_mtim.tv_nsec;
	return true;
}

/* Content hash of the raw file bytes (hash_bytes per 1 MB block, chained). */
static bool file_hash(const char *path, uint64_t *h)
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

static const char *run_input(const struct run *r, size_t i)
{
	return i == 0 ? r->path : r->caps[i - 1];
}

static char *hex64(uint64_t v)
{
	return xasprintf("%016llx", (unsigned long long)v);
}

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

/* Is run r unchanged since the cache entry e?  Fills r->fi (hashing only when size/mtime do not
 * settle it). */
static bool cache_fresh(struct batch *b, struct run *r, const cJSON *e)
{
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
		struct finfo *fi = &r->fi[i];
		const char *path = report_read_str(x, "path");
		uint64_t hash;
		double size = report_read_num(x, "size"), ms = report_read_num(x, "mtime_s"), mn = report_read_num(x, "mtime_ns");
		double hat = report_read_num(x, "hashed_at");
		if (!path || strcmp(path, run_input(r, i)) != 0 || !parse_hex64(report_read_str(x, "hash"), &hash) ||
		    isnan(size) || isnan(ms) || isnan(mn) || isnan(hat) || !file_stat(path, fi) ||
		    (double)fi->size != size)
			return false;
		bool same_mtime = (double)(fi->mtime_ns / 1000000000LL) == ms &&
				  (double)(fi->mtime_ns % 1000000000LL) == mn;
		/* a file changed within the same clock tick as its hashing could keep size and mtime */
		bool racy = ms + BATCH_RACY_S >= hat;
		if (!same_mtime || racy) {
			if (!file_hash(path, &fi->hash))
				return false;
			fi->hashed = true;
			fi->hashed_at = (double)time(NULL);
			if (fi->hash != hash)
				return false;
		} else {
			fi->hash = hash;
			fi->hashed = true;
			fi->hashed_at = hat;
		}
		i++;
	}
	char *rj = xasprintf("%s/runs/%s/%s", b->out, r->name, code == EXIT_OK ? "report.json" : "stderr.txt");
	bool have = access(rj, R_OK) == 0;
	free(rj);
	if (!have)
		return false;
	r->exit = code;
	const char *er = report_read_str(e, "error");
	r->error = er ? xstrdup(er) : NULL;
	double secs = report_read_num(e, "seconds");
	r->secs = isnan(secs) ? 0 : secs;
	r->cached = true;
	return true;
}

static cJSON *cache_load(struct batch *b)
{
	char *p = xasprintf("%s/%s", b->out, BATCH_CACHE);
	cJSON *c = NULL;
	if (access(p, R_OK) == 0) {
		char err[600];
		c = sumcmd_load_json(p, err, sizeof err);
		if (!c)
			diag_note("warning: ignoring the cache: %s", err);
	}
	free(p);
	if (c) {
		uint64_t key;
		if (!cJSON_IsString(cJSON_GetObjectItemCaseSensitive(c, "schema")) ||
		    strcmp(report_read_str(c, "schema"), BATCH_CACHE_SCHEMA) != 0 ||
		    !parse_hex64(report_read_str(c, "options_key"), &key) || key != b->options_key) {
			cJSON_Delete(c);   /* other options or version: every run again */
			c = NULL;
		}
	}
	return c;
}

static int cache_save(struct batch *b)
{
	cJSON *c = cJSON_CreateObject();
	cJSON_AddStringToObject(c, "schema", BATCH_CACHE_SCHEMA);
	char *k = hex64(b->options_key);
	cJSON_AddStringToObject(c, "options_key", k);
	free(k);
	cJSON *runs = cJSON_AddObjectToObject(c, "runs");
	for (size_t i = 0; i < b->nr; i++) {
		struct run *r = &b->r[i];
		if (r->exit < 0)
			continue;
		cJSON *e = cJSON_AddObjectToObject(runs, r->name);
		cJSON *ins = cJSON_AddArrayToObject(e, "inputs");
		for (size_t j = 0; j <= r->ncaps; j++) {
			if (!r->fi[j].hashed)
				continue;
			cJSON *x = cJSON_CreateObject();
			cJSON_AddStringToObject(x, "path", run_input(r, j));
			cJSON_AddNumberToObject(x, "size", (double)r->fi[j].size);
			cJSON_AddNumberToObject(x, "mtime_s", (double)(r->fi[j].mtime_ns / 1000000000LL));
			cJSON_AddNumberToObject(x, "mtime_ns", (double)(r->fi[j].mtime_ns % 1000000000LL));
			char *h = hex64(r->fi[j].hash);
			cJSON_AddStringToObject(x, "hash", h);
			free(h);
			cJSON_AddNumberToObject(x, "hashed_at", r->fi[j].hashed_at);
			cJSON_AddItemToArray(ins, x);
		}
		cJSON_AddNumberToObject(e, "exit", r->exit);
		if (r->error)
			cJSON_AddStringToObject(e, "error", r->error);
		else
			cJSON_AddNullToObject(e, "error");
		cJSON_AddNumberToObject(e, "seconds", round(r->secs * 1000) / 1000);
	}
	char *p = xasprintf("%s/%s", b->out, BATCH_CACHE), *tmp = xasprintf("%s.tmp", p);
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

/* --- workers -------------------------------------------------------------------------------- */

/* argv for `report` on run r (NULL r: the option check, ending in --help).  Caller frees the
 * array and the strings marked owned (the run folder). */
static char **report_argv(const struct batch *b, const struct run *r, char **rundir)
{
	size_t n = 0, cap = 12 + b->npass + (r ? r->ncaps : 0);
	char **v = xcalloc(cap, sizeof *v);
	v[n++] = (char *)"jtlscope";
	v[n++] = (char *)"report";
	v[n++] = (char *)"-q";
	*rundir = r ? xasprintf("%s/runs/%s", b->out, r->name) : NULL;
	if (r) {
		v[n++] = (char *)"-o";
		v[n++] = *rundir;
	}
	v[n++] = (char *)"--format";
	v[n++] = b->formats;
	for (size_t i = 0; i < b->npass; i++)
		v[n++] = (char *)b->pass[i];
	if (r) {
		v[n++] = (char *)"--";
		v[n++] = r->path;
		for (size_t i = 0; i < r->ncaps; i++)
			v[n++] = r->caps[i];
	} else {
		v[n++] = (char *)"--help";
	}
	v[n] = NULL;
	return v;
}

/* The line that explains a failure: the first "error:" line, else the first line. */
static char *first_error_line(const char *text)
{
	const char *pick = NULL, *first = NULL;
	for (const char *p = text; *p;) {
		const char *e = strchr(p, '\n');
		size_t n = e ? (size_t)(e - p) : strlen(p);
		if (n && !first)
			first = p;
		if (n && !pick && memmem(p, n, "error:", 6))
			pick = p;
		p += n + (e ? 1 : 0);
	}
	if (!pick)
		pick = first;
	if (!pick)
		return NULL;
	static const char prefix[] = "jtlscope: error: ";
	if (strncmp(pick, prefix, sizeof prefix - 1) == 0)
		pick += sizeof prefix - 1;
	size_t n = strcspn(pick, "\n");
	return xstrndup(pick, n > ERRLINE_MAX ? ERRLINE_MAX : n);
}

static char *read_small(const char *path, size_t max)
{
	FILE *f = fopen(path, "r");
	if (!f)
		return NULL;
	char *buf = xmalloc(max + 1);
	size_t n = fread(buf, 1, max, f);
	fclose(f);
	buf[n] = '\0';
	return buf;
}

/* Check the passed-through options once: `report OPTIONS --format F --help` exits 0 exactly
 * when report accepts them. */
static bool check_options(struct batch *b)
{
	int pfd[2];
	if (pipe2(pfd, O_CLOEXEC) != 0)
		return true;
	char *dummy;
	char **v = report_argv(b, NULL, &dummy);
	pid_t pid = spawn_start(v, &(struct spawn_opts){ .exe = SELF_EXE, .log_fd = pfd[1], .use_log_fd = true });
	free(v);
	close(pfd[1]);
	char buf[4096];
	size_t n = 0;
	ssize_t k;
	while (n < sizeof buf - 1 && (k = read(pfd[0], buf + n, sizeof buf - 1 - n)) > 0)
		n += (size_t)k;
	buf[n] = '\0';
	close(pfd[0]);
	int status = 0;
	if (pid < 0 || waitpid(pid, &status, 0) < 0)
		return true;
	if (spawn_exit_code(status) == 0)
		return true;
	char *line = first_error_line(buf);
	diag_error("options passed to report were refused: %s", line ? line : "(no message)");
	free(line);
	return false;
}

static void progress(const struct batch *b, size_t done, const struct run *r)
{
	if (b->quiet)
		return;
	struct strbuf sb = STRBUF_INIT;
	esc_text_sb(&sb, r->path, strlen(r->path));
	if (r->cached)
		fprintf(stderr, "[%zu/%zu] %s ... cached (%s)\n", done, b->nr, strbuf_cstr(&sb),
			r->exit == 0 ? "ok" : "failed");
	else if (r->exit == 0)
		fprintf(stderr, "[%zu/%zu] %s ... ok %.1f s\n", done, b->nr, strbuf_cstr(&sb), r->secs);
	else {
		struct strbuf eb = STRBUF_INIT;
		if (r->error)
			esc_text_sb(&eb, r->error, strlen(r->error));
		fprintf(stderr, "[%zu/%zu] %s ... FAILED (exit %d) %.1f s: %s\n", done, b->nr,
			strbuf_cstr(&sb), r->exit, r->secs, strbuf_cstr(&eb));
		strbuf_release(&eb);
	}
	strbuf_release(&sb);
}

static void finish_run(struct batch *b, struct run *r, int status, double t0)
{
	r->exit = spawn_exit_code(status);
	r->secs = util_now_s() - t0;
	free(r->error);
	r->error = NULL;
	char *ep = xasprintf("%s/runs/%s/stderr.txt", b->out, r->name);
	struct stat st;
	if (r->exit == 0 && stat(ep, &st) == 0 && st.st_size == 0)
		unlink(ep);
	if (r->exit != 0) {
		char *txt = read_small(ep, 64 * 1024);
		r->error = txt ? first_error_line(txt) : NULL;
		if (!r->error)
			r->error = r->exit > 128 ? xasprintf("killed by signal %d", r->exit - 128)
						 : xasprintf("exit %d", r->exit);
		free(txt);
	}
	free(ep);
}

struct job {
	pid_t pid;
	size_t run;
	double t0;
};

static void run_all(struct batch *b, cJSON *cache)
{
	const cJSON *centries = cJSON_GetObjectItemCaseSensitive(cache, "runs");
	struct job *jobs = xcalloc((size_t)b->jobs, sizeof *jobs);
	size_t next = 0, done = 0;
	int active = 0;
	while (next < b->nr || active > 0) {
		while (active < b->jobs && next < b->nr) {
			struct run *r = &b->r[next++];
			if (!b->force && cache_fresh(b, r, cJSON_GetObjectItemCaseSensitive(centries, r->name))) {
				progress(b, ++done, r);
				continue;
			}
			/* hash the inputs now (the cache needs them; a worker reads them anyway) */
			for (size_t i = 0; i <= r->ncaps; i++) {
				struct finfo *fi = &r->fi[i];
				fi->hashed = file_stat(run_input(r, i), fi) && file_hash(run_input(r, i), &fi->hash);
				fi->hashed_at = (double)time(NULL);
			}
			char *rundir;
			char **v = report_argv(b, r, &rundir);
			char *runs = xasprintf("%s/runs", b->out);
			mkdir(runs, 0777);
			free(runs);
			if (mkdir(rundir, 0777) != 0 && errno != EEXIST)
				diag_note("warning: cannot create '%s': %s", rundir, strerror(errno));
			/* stale outputs of an earlier analysis must not survive a failed one */
			static const char *old[] = { "report.json", "report.md", "report.html", "report.txt" };
			for (size_t k = 0; k < ARRAY_LEN(old); k++) {
				char *op = xasprintf("%s/%s", rundir, old[k]);
				unlink(op);
				free(op);
			}
			char *ep = xasprintf("%s/stderr.txt", rundir);
			double t0 = util_now_s();
			pid_t pid = spawn_start(v, &(struct spawn_opts){ .exe = SELF_EXE, .log = ep });
			free(ep);
			free(v);
			free(rundir);
			if (pid < 0) {
				r->exit = 126;
				r->error = xasprintf("cannot start a worker: %s", strerror(errno));
				progress(b, ++done, r);
				continue;
			}
			for (int j = 0; j < b->jobs; j++)
				if (jobs[j].pid == 0) {
					jobs[j] = (struct job){ pid, (size_t)(r - b->r), t0 };
					break;
				}
			active++;
		}
		if (active == 0)
			continue;
		int status;
		pid_t pid = waitpid(-1, &status, 0);
		if (pid < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		for (int j = 0; j < b->jobs; j++) {
			if (jobs[j].pid != pid)
				continue;
			struct run *r = &b->r[jobs[j].run];
			finish_run(b, r, status, jobs[j].t0);
			jobs[j].pid = 0;
			active--;
			progress(b, ++done, r);
			break;
		}
	}
	free(jobs);
}

/* --- the index ------------------------------------------------------------------------------ */

static int write_index_file(const struct batch *b, const char *name, const struct index *ix,
			    int (*fn)(FILE *, const struct index *))
{
	char *p = xasprintf("%s/%s", b->out, name);
	FILE *f = fopen(p, "w");
	int rc = 0;
	if (!f || fn(f, ix) != 0 || fclose(f) != 0) {
		diag_error("cannot write '%s': %s", p, strerror(errno));
		rc = -1;
	}
	free(p);
	return rc;
}

/* --- command -------------------------------------------------------------------------------- */

void batch_usage(FILE *f)
{
	fputs("usage: jtlscope batch [options] DIR|FILE... -o OUT [report options]\n"
	      "\n"
	      "Analyse an archive of runs.  DIRs are searched recursively; runs are recognised by\n"
	      "content (JMeter CSV/XML results, plain or gzip), not by name; a capture (pcap/pcapng,\n"
	      "plain or gzip) is analysed with the JTL of the same stem in its folder, or with the\n"
	      "folder's only JTL.  Each run is analysed by 'jtlscope report' in a worker process into\n"
	      "OUT/runs/NAME/ (report.json, plus md and html); OUT/index.md, index.html, index.csv and\n"
	      "index.json hold one row per run: start, duration, samples, error %, throttled %, onset\n"
	      "and threads at onset, limiter model, admitted rate with its interval, scope, p95,\n"
	      "regions throttled; a run whose rate interval does not overlap the previous run's (by\n"
	      "start time) is marked 'limit changed'.  A failed run is\n"
	      "listed with its exit code and error and does not stop the batch.  Runs whose inputs are\n"
	      "unchanged (size, mtime, content hash; OUT/.jtlscope-cache.json) are not analysed again.\n"
	      "\n"
	      "  -o, --output OUT           output folder (required)\n"
	      "  -j, --jobs N               analyse up to N runs at once (default: CPUs online)\n"
	      "  -f, --format LIST          formats of each run's report (json is always written;\n"
	      "                             default json,md,html)\n"
	      "      --force                analyse every run again (ignore the cache)\n"
	      "      --fail-on EXPR         exit 6 when EXPR holds for any run (repeatable)\n"
	      "      --junit FILE           --fail-on results as JUnit XML, one testsuite per run\n"
	      "  -q, --quiet                no progress lines\n"
	      "  -h, --help                 this text\n"
	      "Any other option is passed to every 'jtlscope report' run (e.g. --bucket 5s,\n"
	      "--throttle-codes 429,503, --region-map FILE, --charts svg; charts are off unless given);\n"
	      "--tz ZONE also sets the zone of the index's start column (index.json keeps UTC).\n"
	      "\n"
	      "Exit codes: 0 every run analysed, 2 usage, 3 some run failed (see the index), 5 output\n"
	      "error, 6 a --fail-on criterion was met by some run.\n", f);
}

static void batch_free(struct batch *b)
{
	for (size_t i = 0; i < b->nr; i++) {
		struct run *r = &b->r[i];
		free(r->path);
		free(r->name);
		for (size_t k = 0; k < r->ncaps; k++)
			free(r->caps[k]);
		free(r->caps);
		free(r->fi);
		free(r->error);
	}
	free(b->r);
	archive_discovery_release(&b->disc);
	free(b->pass);
	free(b->formats);
	free(b->trend_svg);
	gate_free(b->gate);
}

int cmd_batch(int argc, char **argv)
{
	struct batch b;
	memset(&b, 0, sizeof b);
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	b.jobs = ncpu > 0 ? (int)(ncpu < BATCH_MAX_JOBS ? ncpu : BATCH_MAX_JOBS) : 1;
	const char **inputs = xcalloc((size_t)argc, sizeof *inputs);
	size_t ninputs = 0;
	b.pass = xcalloc((size_t)argc + 4, sizeof *b.pass);
	const char *fmt_arg = NULL;
	bool charts_given = false, opts_done = false;
	char err[1200];
	int rc = EXIT_USAGE;
#define NEED_VALUE()                                                               \
	do {                                                                       \
		if (i + 1 >= argc) {                                               \
			diag_error("option '%s' needs a value", a);                \
			goto out;                                                  \
		}                                                                  \
	} while (0)
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (opts_done || a[0] != '-' || strcmp(a, "-") == 0) {
			inputs[ninputs++] = a;
			continue;
		}
		if (strcmp(a, "--") == 0) {
			opts_done = true;
		} else if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
			batch_usage(stdout);
			rc = EXIT_OK;
			goto out;
		} else if (strcmp(a, "-q") == 0 || strcmp(a, "--quiet") == 0) {
			b.quiet = true;
		} else if (strcmp(a, "--force") == 0) {
			b.force = true;
		} else if (strcmp(a, "-o") == 0 || strcmp(a, "--output") == 0) {
			NEED_VALUE();
			b.out = argv[++i];
		} else if (strncmp(a, "--output=", 9) == 0) {
			b.out = a + 9;
		} else if (strcmp(a, "-j") == 0 || strcmp(a, "--jobs") == 0 || strncmp(a, "-j", 2) == 0 ||
			   strncmp(a, "--jobs=", 7) == 0) {
			const char *v;
			if (strcmp(a, "-j") == 0 || strcmp(a, "--jobs") == 0) {
				NEED_VALUE();
				v = argv[++i];
			} else {
				v = a[1] == 'j' ? a + 2 : a + 7;
			}
			int64_t n;
			if (!parse_i64(v, strlen(v), 1, BATCH_MAX_JOBS, &n)) {
				diag_error("--jobs: want a number from 1 to %d, not '%s'", BATCH_MAX_JOBS, v);
				goto out;
			}
			b.jobs = (int)n;
		} else if (strcmp(a, "-f") == 0 || strcmp(a, "--format") == 0) {
			NEED_VALUE();
			fmt_arg = argv[++i];
		} else if (strncmp(a, "--format=", 9) == 0) {
			fmt_arg = a + 9;
		} else if (strcmp(a, "--fail-on") == 0 || strncmp(a, "--fail-on=", 10) == 0) {
			const char *v;
			if (a[9] == '=') {
				v = a + 10;
			} else {
				NEED_VALUE();
				v = argv[++i];
			}
			if (!b.gate)
				b.gate = gate_new();
			if (gate_add(b.gate, v, err, sizeof err) != 0) {
				diag_error("%s", err);
				goto out;
			}
		} else if (strcmp(a, "--junit") == 0) {
			NEED_VALUE();
			b.junit = argv[++i];
		} else if (strncmp(a, "--junit=", 8) == 0) {
			b.junit = a + 8;
		} else {
			/* a report option: with its value when report's table says it takes one */
			if (strncmp(a, "--charts", 8) == 0)
				charts_given = true;
			b.pass[b.npass++] = a;
			if (a[1] == '-' && !strchr(a, '=') && report_opt_takes_value(a + 2, strlen(a + 2))) {
				NEED_VALUE();
				b.pass[b.npass++] = argv[++i];
			}
			if (strcmp(a, "--tz") == 0 || strncmp(a, "--tz=", 5) == 0) {
				/* also the zone of the index's start column (each run's report gets --tz) */
				const char *v = a[4] ? a + 5 : b.pass[b.npass - 1];
				int tzm = 0;
				if (!opt_tz_offset(v, &tzm) && !opt_tz_name(v, &tzm)) {
					diag_error("--tz: '%s' is neither an offset (UTC, +08:00, -0530) nor a zone name in "
						   "/usr/share/zoneinfo (Asia/Singapore)", v);
					goto out;
				}
				report_tz_set(tzm == JTL_TZ_LOCAL ? getenv("TZ") : NULL, tzm == JTL_TZ_LOCAL ? 0 : tzm);
			}
		}
	}
#undef NEED_VALUE
	if (!b.out) {
		diag_error("batch needs -o OUT (the folder for the run reports and the index)");
		batch_usage(stderr);
		goto out;
	}
	if (ninputs == 0) {
		diag_error("no archive folders or files given");
		batch_usage(stderr);
		goto out;
	}
	if (b.junit && !b.gate) {
		diag_error("--junit needs at least one --fail-on");
		goto out;
	}
	/* formats: json always (the index reads it), md and html by default when report has them */
	{
		struct strbuf fs = STRBUF_INIT;
		strbuf_addstr(&fs, "json");
		if (fmt_arg) {
			const char *p = fmt_arg;
			while (*p) {
				size_t n = strcspn(p, ",");
				if (!(n == 4 && strncmp(p, "json", 4) == 0)) {
					strbuf_addch(&fs, ',');
					strbuf_add(&fs, p, n);
				}
				p += n + (p[n] == ',');
			}
		} else {
			strbuf_addf(&fs, ",%s", REPORT_DEFAULT_EXTRA_FORMATS);
		}
		b.formats = strbuf_detach(&fs);
		if (!charts_given) {
			b.pass[b.npass++] = "--charts";
			b.pass[b.npass++] = "none";
		}
	}
	if (!check_options(&b))
		goto out;
	{
		struct strbuf k = STRBUF_INIT;
		strbuf_addf(&k, "%s\n%s\n", JTLSCOPE_VERSION, b.formats);
		for (size_t i = 0; i < b.npass; i++)
			strbuf_addf(&k, "%s\n", b.pass[i]);
		b.options_key = hash_bytes(k.buf, k.len);
		strbuf_release(&k);
	}
	if (mkdir(b.out, 0777) != 0 && errno != EEXIST) {
		diag_error("cannot create '%s': %s", b.out, strerror(errno));
		rc = EXIT_OUTPUT;
		goto out;
	}
	struct stat ost;
	if (stat(b.out, &ost) == 0) {
		b.disc.skip_known = true;
		b.disc.skip_dev = ost.st_dev;
		b.disc.skip_ino = ost.st_ino;
	}

	/* discover */
	for (size_t i = 0; i < ninputs; i++) {
		struct stat st;
		if (stat(inputs[i], &st) != 0) {
			diag_error("cannot open '%s': %s", inputs[i], strerror(errno));
			rc = EXIT_INPUT;
			goto out;
		}
		archive_add_path(&b.disc, inputs[i], S_ISDIR(st.st_mode));
	}
	archive_pair(&b.disc);
	for (size_t i = 0; i < b.disc.nr; i++)
		add_run(&b, &b.disc.r[i]);
	if (b.nr == 0) {
		diag_error("no JMeter result files found in the given folders and files");
		rc = EXIT_INPUT;
		goto out;
	}
	if (!b.quiet)
		fprintf(stderr, "jtlscope batch: %zu runs (%zu captures paired, %zu unpaired), %d at once\n",
			b.nr, b.disc.nf - b.nr - b.disc.nunpaired, b.disc.nunpaired, b.jobs);

	cJSON *cache = b.force ? NULL : cache_load(&b);
	double t0 = util_now_s();
	run_all(&b, cache);
	cJSON_Delete(cache);

	/* rows, gate: each report.json becomes its typed metrics and is dropped at once, so the
	 * batch holds one report at a time and a row per run */
	struct index_row *rows = xcalloc(b.nr, sizeof *rows);
	size_t failed = 0, gated = 0;
	for (size_t i = 0; i < b.nr; i++) {
		struct run *r = &b.r[i];
		char *rj = xasprintf("%s/runs/%s/report.json", b.out, r->name);
		cJSON *tree = NULL;
		if (access(rj, R_OK) == 0) {
			tree = sumcmd_load_json(rj, err, sizeof err);
			if (!tree && r->exit == 0) {
				r->exit = EXIT_INPUT;
				r->error = xstrdup(err);
			}
		}
		free(rj);
		if (r->exit != 0)
			failed++;
		char *rel = xasprintf("runs/%s/", r->name);
		index_row_init(&rows[i], r->path, rel, r->exit, r->error, r->caps, r->ncaps);
		free(rel);
		if (b.gate)
			rows[i].gate = "n/a";
		if (!tree)
			continue;
		struct run_metrics m;
		report_read_metrics(&m, tree);
		cJSON_Delete(tree);
		index_row_metrics(&rows[i], &m);
		if (b.gate) {
			int met = gate_eval_metrics(b.gate, r->path, &m);
			if (!b.quiet)
				junit_print_lines(stderr, b.gate, gate_nsuites(b.gate) - 1);
			gated += met > 0;
			rows[i].gate = met ? "fail" : "pass";
		}
		run_metrics_release(&m);
	}
	index_mark_limit_changes(rows, b.nr);
	b.trend_svg = index_rows_chart(rows, b.nr, b.out, b.trend_why, sizeof b.trend_why);
	struct index ix = { .rows = rows, .nrows = b.nr, .gate = b.gate != NULL,
			    .trend_svg = b.trend_svg, .trend_why = b.trend_why,
			    .unpaired = b.disc.unpaired, .nunpaired = b.disc.nunpaired };
	int wr = 0;
	wr |= write_index_file(&b, "index.json", &ix, index_write_json);
	wr |= write_index_file(&b, "index.csv", &ix, index_write_csv);
	wr |= write_index_file(&b, "index.md", &ix, index_write_md);
	wr |= write_index_file(&b, "index.html", &ix, index_write_html);
	wr |= cache_save(&b);
	for (size_t i = 0; i < b.nr; i++)
		index_row_release(&rows[i]);
	free(rows);
	if (b.junit && gate_write_junit(b.gate, b.junit, err, sizeof err) != 0) {
		diag_error("%s", err);
		wr = -1;
	}
	if (!b.quiet)
		fprintf(stderr, "jtlscope batch: %zu runs, %zu failed, %.1f s; index in %s/index.html\n",
			b.nr, failed, util_now_s() - t0, b.out);
	rc = wr ? EXIT_OUTPUT : gated ? EXIT_GATE : failed ? EXIT_INPUT : EXIT_OK;
out:
	free(inputs);
	batch_free(&b);
	return rc;
}
