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
#include "reports/index_chart.h"
#include "reports/json_util.h"
#include "reports/report.h"
#include "reports/report_time.h"
#include "reports/spawn.h"

#ifndef JTLSCOPE_VERSION
#define JTLSCOPE_VERSION "0.0.0"
#endif

#define SELF_EXE "/proc/self/exe"
#define ERRLINE_MAX 300        /* bytes of a worker's first error line kept */

/* --- small helpers -------------------------------------------------------------------------- */

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

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
	cJSON *report;         /* OUT/runs/<name>/report.json, NULL if absent */
	int gate_met;
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
		const char *path = gate_str(x, "path");
		uint64_t hash;
		double size = gate_num(x, "size"), ms = gate_num(x, "mtime_s"), mn = gate_num(x, "mtime_ns");
		double hat = gate_num(x, "hashed_at");
		if (!path || strcmp(path, run_input(r, i)) != 0 || !parse_hex64(gate_str(x, "hash"), &hash) ||
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
	const char *er = gate_str(e, "error");
	r->error = er ? xstrdup(er) : NULL;
	double secs = gate_num(e, "seconds");
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
		    strcmp(gate_str(c, "schema"), BATCH_CACHE_SCHEMA) != 0 ||
		    !parse_hex64(gate_str(c, "options_key"), &key) || key != b->options_key) {
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
	r->secs = now_s() - t0;
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
			double t0 = now_s();
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

static void add_num_or_null(cJSON *o, const char *k, double v, int decimals)
{
	if (isnan(v) || isinf(v)) {
		cJSON_AddNullToObject(o, k);
		return;
	}
	double p = pow(10, decimals);
	cJSON_AddNumberToObject(o, k, round(v * p) / p);
}

static cJSON *index_row(const struct batch *b, const struct run *r)
{
	cJSON *o = cJSON_CreateObject();
	json_add_str(o, "path", r->path);
	char *rel = xasprintf("runs/%s/", r->name);
	cJSON_AddStringToObject(o, "report", rel);
	free(rel);
	cJSON_AddStringToObject(o, "status", r->exit == 0 ? "ok" : "failed");
	cJSON_AddNumberToObject(o, "exit", r->exit);
	if (r->error)
		json_add_str(o, "error", r->error);
	else
		cJSON_AddNullToObject(o, "error");
	cJSON *caps = cJSON_AddArrayToObject(o, "captures");
	for (size_t i = 0; i < r->ncaps; i++)
		cJSON_AddItemToArray(caps, json_str(r->caps[i]));
	const cJSON *j = r->report;
	double start = gate_num(j, "samples.first_ts_ms"), end = gate_num(j, "samples.end_ms");
	double total = gate_num(j, "samples.total");
	if (j && total > 0 && !isnan(start)) {
		char t[40];
		report_utc(t, sizeof t, (int64_t)start);
		cJSON_AddStringToObject(o, "start", t);
	} else {
		cJSON_AddNullToObject(o, "start");
	}
	add_num_or_null(o, "start_ms", total > 0 ? start : NAN, 0);
	add_num_or_null(o, "duration_s", total > 0 ? (end - start) / 1000 : NAN, 3);
	add_num_or_null(o, "samples", total, 0);
	add_num_or_null(o, "error_pct", total > 0 ? gate_num(j, "total.error_pct") : NAN, 3);
	double thr = gate_num(j, "samples.throttled");
	add_num_or_null(o, "throttled_pct", total > 0 ? 100 * thr / total : NAN, 3);
	add_num_or_null(o, "p95_ms", total > 0 ? gate_num(j, "total.p95_ms") : NAN, 0);
	const cJSON *g = gate_report_group(j, NULL);
	bool det = g && gate_group_detected(g) == 1;
	cJSON_AddBoolToObject(o, "throttle_analysis", g != NULL);
	add_num_or_null(o, "onset_offset_s", det ? gate_num(g, "onset.offset_s") : NAN, 1);
	add_num_or_null(o, "onset_threads", det ? gate_num(g, "onset.threads") : NAN, 0);
	const cJSON *lg = gate_report_limiter(j);
	const char *model = det ? gate_str(lg, "limit.model") : NULL;
	if (model)
		cJSON_AddStringToObject(o, "limiter_model", model);
	else
		cJSON_AddNullToObject(o, "limiter_model");
	add_num_or_null(o, "limiter_rate_per_s", det ? gate_num(lg, "limit.rate_per_s") : NAN, 2);
	add_num_or_null(o, "limiter_rate_low", det ? gate_num(lg, "limit.rate_per_s_low") : NAN, 2);
	add_num_or_null(o, "limiter_rate_high", det ? gate_num(lg, "limit.rate_per_s_high") : NAN, 2);
	const char *scope = det ? gate_str(g, "scope") : NULL;
	if (scope)
		json_add_str(o, "scope", scope);
	else
		cJSON_AddNullToObject(o, "scope");
	cJSON_AddBoolToObject(o, "limit_changed", false);   /* set by mark_limit_changes */
	cJSON *regs = cJSON_AddArrayToObject(o, "regions_throttled");
	const cJSON *rl = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(j, "throttle"), "regions"), *x;
	cJSON_ArrayForEach(x, rl)
		if (gate_group_detected(x) == 1 && gate_str(x, "region"))
			cJSON_AddItemToArray(regs, json_str(gate_str(x, "region")));
	if (b->gate)
		cJSON_AddStringToObject(o, "gate", !j ? "n/a" : r->gate_met ? "fail" : "pass");
	return o;
}

struct trend_point {
	double start, lo, hi;
	cJSON *row;
};

static int cmp_trend(const void *x, const void *y)
{
	const struct trend_point *a = x, *b = y;
	return a->start < b->start ? -1 : a->start > b->start;
}

/* Trends: in start-time order, a run whose admitted-rate interval does not overlap the one of
 * the previous run with an interval gets limit_changed (the limit moved between them). */
static void mark_limit_changes(cJSON *rows)
{
	size_t n = (size_t)cJSON_GetArraySize(rows), k = 0;
	struct trend_point *v = xcalloc(n ? n : 1, sizeof *v);
	cJSON *row;
	cJSON_ArrayForEach(row, rows) {
		double st = gate_num(row, "start_ms"), lo = gate_num(row, "limiter_rate_low");
		double hi = gate_num(row, "limiter_rate_high");
		if (!isnan(st) && !isnan(lo) && !isnan(hi) && lo <= hi)
			v[k++] = (struct trend_point){ st, lo, hi, row };
	}
	if (k > 1)
		qsort(v, k, sizeof *v, cmp_trend);   /* ties: any order is stable enough for a flag */
	for (size_t i = 1; i < k; i++)
		if (v[i].lo > v[i - 1].hi || v[i].hi < v[i - 1].lo)
			cJSON_ReplaceItemInObjectCaseSensitive(v[i].row, "limit_changed", cJSON_CreateBool(1));
	free(v);
}

/* The trend chart over the runs' typed points (reports/index_chart.c). */
static void trend_chart(struct batch *b, const cJSON *rows)
{
	size_t n = (size_t)cJSON_GetArraySize(rows), k = 0;
	struct index_trend_point *v = xcalloc(n ? n : 1, sizeof *v);
	const cJSON *row;
	cJSON_ArrayForEach(row, rows) {
		const cJSON *ch = cJSON_GetObjectItemCaseSensitive(row, "limit_changed");
		v[k++] = (struct index_trend_point){
			.start_ms = gate_num(row, "start_ms"), .onset_s = gate_num(row, "onset_offset_s"),
			.rate_per_s = gate_num(row, "limiter_rate_per_s"),
			.throttled_pct = gate_num(row, "throttled_pct"), .p95_ms = gate_num(row, "p95_ms"),
			.limit_changed = cJSON_IsTrue(ch),
		};
	}
	b->trend_svg = index_trend_chart(v, k, b->out, b->trend_why, sizeof b->trend_why);
	free(v);
}

/* Index cells of one row as plain text (escaped per format by the writers). */
enum { C_PATH, C_STATUS, C_START, C_DUR, C_SAMPLES, C_ERR, C_THR, C_ONSET, C_OTHREADS, C_MODEL,
       C_RATE, C_CHANGED, C_SCOPE, C_P95, C_REGIONS, C_CAPS, C_GATE, C_ERROR, C_NCOLS };
static const char *col_head[C_NCOLS] = {
	"run", "status", "start (UTC)", "duration s", "samples", "error %", "throttled %", "onset s",
	"threads at onset", "limiter", "admitted /s [interval]", "limit changed", "scope", "p95 ms", "regions throttled", "captures", "gate",
	"error",
};

static char *cell_num(const cJSON *row, const char *k, int decimals)
{
	double v = gate_num(row, k);
	return isnan(v) ? xstrdup("") : xasprintf("%.*f", decimals, v);
}

static char *cell_list(const cJSON *row, const char *k)
{
	struct strbuf sb = STRBUF_INIT;
	const cJSON *x;
	int i = 0;
	cJSON_ArrayForEach(x, cJSON_GetObjectItemCaseSensitive(row, k)) {
		if (i++)
			strbuf_addstr(&sb, " ");
		strbuf_addstr(&sb, cJSON_IsString(x) ? x->valuestring : "");
	}
	char *s = strbuf_detach(&sb);
	return s ? s : xstrdup("");
}

static void row_cells(const cJSON *row, char *c[C_NCOLS])
{
	const char *s;
	c[C_PATH] = xstrdup(gate_str(row, "path"));
	c[C_STATUS] = xstrdup(gate_str(row, "status"));
	c[C_START] = xstrdup((s = gate_str(row, "start")) ? s : "");
	if (*c[C_START] && !report_tz_is_utc()) { /* --tz: the start in that zone (index.json keeps UTC) */
		char t[64];
		report_time(t, sizeof t, (int64_t)gate_num(row, "start_ms"), RT_DATE | RT_MS);
		free(c[C_START]);
		c[C_START] = xstrdup(t);
	}
	c[C_DUR] = cell_num(row, "duration_s", 1);
	c[C_SAMPLES] = cell_num(row, "samples", 0);
	c[C_ERR] = cell_num(row, "error_pct", 2);
	c[C_THR] = cell_num(row, "throttled_pct", 2);
	c[C_ONSET] = cell_num(row, "onset_offset_s", 1);
	c[C_OTHREADS] = cell_num(row, "onset_threads", 0);
	c[C_MODEL] = xstrdup((s = gate_str(row, "limiter_model")) ? s : "");
	double rt = gate_num(row, "limiter_rate_per_s"), lo = gate_num(row, "limiter_rate_low");
	double hi = gate_num(row, "limiter_rate_high");
	c[C_RATE] = isnan(rt) ? xstrdup("")
		    : isnan(lo) || isnan(hi) ? xasprintf("%.2f", rt) : xasprintf("%.2f [%.2f, %.2f]", rt, lo, hi);
	const cJSON *ch = cJSON_GetObjectItemCaseSensitive(row, "limit_changed");
	c[C_CHANGED] = xstrdup(cJSON_IsTrue(ch) ? "limit changed" : "");
	c[C_SCOPE] = xstrdup((s = gate_str(row, "scope")) ? s : "");
	c[C_P95] = cell_num(row, "p95_ms", 0);
	c[C_REGIONS] = cell_list(row, "regions_throttled");
	c[C_CAPS] = cell_list(row, "captures");
	c[C_GATE] = xstrdup((s = gate_str(row, "gate")) ? s : "");
	const cJSON *ex = cJSON_GetObjectItemCaseSensitive(row, "exit");
	c[C_ERROR] = (s = gate_str(row, "error")) ? xasprintf("exit %d: %s", (int)ex->valuedouble, s) : xstrdup("");
}

static void cells_free(char *c[C_NCOLS])
{
	for (size_t i = 0; i < C_NCOLS; i++)
		free(c[i]);
}

static bool col_shown(const struct batch *b, size_t col)
{
	return col != C_GATE || b->gate;
}

static int write_csv(const struct batch *b, FILE *f, const cJSON *rows)
{
	struct strbuf sb = STRBUF_INIT;
	int k = 0;
	for (size_t i = 0; i < C_NCOLS; i++) {
		if (!col_shown(b, i))
			continue;
		if (k++)
			strbuf_addch(&sb, ',');
		esc_csv_cell(&sb, col_head[i], strlen(col_head[i]));
	}
	strbuf_addstr(&sb, "\r\n");
	const cJSON *row;
	cJSON_ArrayForEach(row, rows) {
		char *c[C_NCOLS];
		row_cells(row, c);
		k = 0;
		for (size_t i = 0; i < C_NCOLS; i++) {
			if (!col_shown(b, i))
				continue;
			if (k++)
				strbuf_addch(&sb, ',');
			esc_csv_cell(&sb, c[i], strlen(c[i]));
		}
		strbuf_addstr(&sb, "\r\n");
		cells_free(c);
	}
	fwrite(sb.buf ? sb.buf : "", 1, sb.len, f);
	strbuf_release(&sb);
	return ferror(f) ? -1 : 0;
}

static void summary_counts(const cJSON *rows, size_t *ok, size_t *failed, size_t *throttled)
{
	*ok = *failed = *throttled = 0;
	const cJSON *row;
	cJSON_ArrayForEach(row, rows) {
		if (strcmp(gate_str(row, "status"), "ok") == 0)
			(*ok)++;
		else
			(*failed)++;
		if (!isnan(gate_num(row, "onset_offset_s")))
			(*throttled)++;
	}
}

static int write_md(const struct batch *b, FILE *f, const cJSON *rows)
{
	size_t ok, failed, thr;
	summary_counts(rows, &ok, &failed, &thr);
	struct strbuf sb = STRBUF_INIT;
	strbuf_addf(&sb, "# jtlscope batch\n\n%zu runs: %zu analysed, %zu failed, %zu with sustained "
		    "throttling.\n\n", ok + failed, ok, failed, thr);
	if (b->trend_svg)
		strbuf_addf(&sb, "![Runs over time: onset, admitted rate (limit changes circled), "
			    "throttled %%, p95](%s)\n\n", INDEX_CHART_FILE);
	else if (b->nr > 1)
		strbuf_addf(&sb, "_%s._\n\n", b->trend_why);
	strbuf_addstr(&sb, "|");
	for (size_t i = 0; i < C_NCOLS; i++)
		if (col_shown(b, i))
			strbuf_addf(&sb, " %s |", col_head[i]);
	strbuf_addstr(&sb, "\n|");
	for (size_t i = 0; i < C_NCOLS; i++)
		if (col_shown(b, i))
			strbuf_addstr(&sb, i >= C_DUR && i <= C_P95 && i != C_MODEL && i != C_CHANGED && i != C_SCOPE ? "--:|" : "---|");
	strbuf_addch(&sb, '\n');
	const cJSON *row;
	cJSON_ArrayForEach(row, rows) {
		char *c[C_NCOLS];
		row_cells(row, c);
		strbuf_addstr(&sb, "|");
		for (size_t i = 0; i < C_NCOLS; i++) {
			if (!col_shown(b, i))
				continue;
			strbuf_addch(&sb, ' ');
			if (i == C_PATH) {
				/* link to the run's own report; the folder name is [A-Za-z0-9._-] only */
				strbuf_addch(&sb, '[');
				esc_md_cell(&sb, c[i], strlen(c[i]));
				strbuf_addf(&sb, "](%sreport.md)", gate_str(row, "report"));
			} else {
				esc_md_cell(&sb, c[i], strlen(c[i]));
			}
			strbuf_addstr(&sb, " |");
		}
		strbuf_addch(&sb, '\n');
		cells_free(c);
	}
	if (b->disc.nunpaired) {
		strbuf_addstr(&sb, "\nCaptures not paired with a run (no JTL of the same name, several in "
				   "their folder):\n\n");
		for (size_t i = 0; i < b->disc.nunpaired; i++) {
			strbuf_addstr(&sb, "- ");
			esc_md_cell(&sb, b->disc.unpaired[i], strlen(b->disc.unpaired[i]));
			strbuf_addch(&sb, '\n');
		}
	}
	fwrite(sb.buf, 1, sb.len, f);
	strbuf_release(&sb);
	return ferror(f) ? -1 : 0;
}

static const char HTML_CSS[] =
	"body{font:14px/1.4 system-ui,sans-serif;margin:1.5em;color:#222}"
	"table{border-collapse:collapse;font-size:13px}"
	"th,td{border:1px solid #ccc;padding:3px 6px;text-align:left;vertical-align:top}"
	"th{background:#f2f2f2;position:sticky;top:0}"
	"td.n{text-align:right;font-variant-numeric:tabular-nums}"
	"tr.failed td{background:#fdecea}tr.thr td.s{background:#fff4e0}"
	"a{color:#0645ad}\n";

static int write_html(const struct batch *b, FILE *f, const cJSON *rows)
{
	size_t ok, failed, thr;
	summary_counts(rows, &ok, &failed, &thr);
	struct strbuf sb = STRBUF_INIT;
	strbuf_addf(&sb, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
		    "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
		    "<title>jtlscope batch</title>\n<style>%s</style>\n</head>\n<body>\n"
		    "<h1>jtlscope batch</h1>\n<p>%zu runs: %zu analysed, %zu failed, %zu with sustained "
		    "throttling.</p>\n", HTML_CSS, ok + failed, ok, failed, thr);
	if (b->trend_svg) {
		const char *svg = strstr(b->trend_svg, "<svg");
		strbuf_addstr(&sb, "<figure>");
		strbuf_addstr(&sb, svg ? svg : "");
		strbuf_addstr(&sb, "<figcaption>Runs over time: onset, admitted rate (limit changes "
				   "circled), throttled %, p95.</figcaption></figure>\n");
	} else if (b->nr > 1) {
		strbuf_addstr(&sb, "<p><em>");
		esc_html(&sb, b->trend_why, strlen(b->trend_why));
		strbuf_addstr(&sb, ".</em></p>\n");
	}
	strbuf_addstr(&sb, "<table>\n<thead><tr>");
	for (size_t i = 0; i < C_NCOLS; i++)
		if (col_shown(b, i)) {
			strbuf_addstr(&sb, "<th>");
			esc_html(&sb, col_head[i], strlen(col_head[i]));
			strbuf_addstr(&sb, "</th>");
		}
	strbuf_addstr(&sb, "</tr></thead>\n<tbody>\n");
	const cJSON *row;
	cJSON_ArrayForEach(row, rows) {
		char *c[C_NCOLS];
		row_cells(row, c);
		bool bad = strcmp(c[C_STATUS], "ok") != 0;
		strbuf_addf(&sb, "<tr class=\"%s\">", bad ? "failed" : c[C_ONSET][0] ? "thr" : "ok");
		for (size_t i = 0; i < C_NCOLS; i++) {
			if (!col_shown(b, i))
				continue;
			bool num = i >= C_DUR && i <= C_P95 && i != C_MODEL && i != C_CHANGED && i != C_SCOPE;
			strbuf_addstr(&sb, num ? "<td class=\"n\">" : i == C_STATUS ? "<td class=\"s\">" : "<td>");
			if (i == C_PATH) {
				const char *rel = gate_str(row, "report");
				strbuf_addstr(&sb, "<a href=\"");
				esc_html(&sb, rel, strlen(rel));
				strbuf_addstr(&sb, "report.html\">");
				esc_html(&sb, c[i], strlen(c[i]));
				strbuf_addstr(&sb, "</a>");
			} else {
				esc_html(&sb, c[i], strlen(c[i]));
			}
			strbuf_addstr(&sb, "</td>");
		}
		strbuf_addstr(&sb, "</tr>\n");
		cells_free(c);
	}
	strbuf_addstr(&sb, "</tbody>\n</table>\n");
	if (b->disc.nunpaired) {
		strbuf_addstr(&sb, "<p>Captures not paired with a run:</p>\n<ul>\n");
		for (size_t i = 0; i < b->disc.nunpaired; i++) {
			strbuf_addstr(&sb, "<li>");
			esc_html(&sb, b->disc.unpaired[i], strlen(b->disc.unpaired[i]));
			strbuf_addstr(&sb, "</li>\n");
		}
		strbuf_addstr(&sb, "</ul>\n");
	}
	strbuf_addf(&sb, "<p><small>jtlscope %s</small></p>\n</body>\n</html>\n", JTLSCOPE_VERSION);
	fwrite(sb.buf, 1, sb.len, f);
	strbuf_release(&sb);
	return ferror(f) ? -1 : 0;
}

static int write_index_file(const struct batch *b, const char *name, const cJSON *rows,
			    int (*fn)(const struct batch *, FILE *, const cJSON *))
{
	char *p = xasprintf("%s/%s", b->out, name);
	FILE *f = fopen(p, "w");
	int rc = 0;
	if (!f || fn(b, f, rows) != 0 || fclose(f) != 0) {
		diag_error("cannot write '%s': %s", p, strerror(errno));
		rc = -1;
	}
	free(p);
	return rc;
}

static int write_json_index(const struct batch *b, FILE *f, const cJSON *rows)
{
	cJSON *root = cJSON_CreateObject();
	cJSON_AddStringToObject(root, "schema", BATCH_INDEX_SCHEMA);
	cJSON_AddStringToObject(root, "generator", JTLSCOPE_VERSION);
	size_t ok, failed, thr;
	summary_counts(rows, &ok, &failed, &thr);
	cJSON *t = cJSON_AddObjectToObject(root, "totals");
	cJSON_AddNumberToObject(t, "runs", (double)(ok + failed));
	cJSON_AddNumberToObject(t, "ok", (double)ok);
	cJSON_AddNumberToObject(t, "failed", (double)failed);
	cJSON_AddNumberToObject(t, "throttled", (double)thr);
	cJSON_AddItemToObject(root, "runs", cJSON_Duplicate(rows, true));
	cJSON *up = cJSON_AddArrayToObject(root, "unpaired_captures");
	for (size_t i = 0; i < b->disc.nunpaired; i++)
		cJSON_AddItemToArray(up, json_str(b->disc.unpaired[i]));
	char *s = cJSON_Print(root);
	cJSON_Delete(root);
	int rc = s && fputs(s, f) >= 0 && fputc('\n', f) != EOF ? 0 : -1;
	cJSON_free(s);
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
		cJSON_Delete(r->report);
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
				static char head[REPORT_TZ_NAME_MAX + 16];
				int tzm = 0;
				if (!opt_tz_offset(v, &tzm) && !opt_tz_name(v, &tzm)) {
					diag_error("--tz: '%s' is neither an offset (UTC, +08:00, -0530) nor a zone name in "
						   "/usr/share/zoneinfo (Asia/Singapore)", v);
					goto out;
				}
				report_tz_set(tzm == JTL_TZ_LOCAL ? getenv("TZ") : NULL, tzm == JTL_TZ_LOCAL ? 0 : tzm);
				snprintf(head, sizeof head, "start (%s)", report_tz_name());
				col_head[C_START] = head;
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
	double t0 = now_s();
	run_all(&b, cache);
	cJSON_Delete(cache);

	/* rows, gate */
	cJSON *rows = cJSON_CreateArray();
	size_t failed = 0, gated = 0;
	for (size_t i = 0; i < b.nr; i++) {
		struct run *r = &b.r[i];
		char *rj = xasprintf("%s/runs/%s/report.json", b.out, r->name);
		if (access(rj, R_OK) == 0) {
			r->report = sumcmd_load_json(rj, err, sizeof err);
			if (!r->report && r->exit == 0) {
				r->exit = EXIT_INPUT;
				r->error = xstrdup(err);
			}
		}
		free(rj);
		if (r->exit != 0)
			failed++;
		if (b.gate && r->report) {
			r->gate_met = gate_eval_suite(b.gate, r->path, r->report, b.quiet ? NULL : stderr);
			gated += r->gate_met > 0;
		}
		cJSON_AddItemToArray(rows, index_row(&b, r));
		/* the row holds what the index needs: the report itself is not kept (memory grows
		 * with the run count, a row each, not with the runs' sizes) */
		cJSON_Delete(r->report);
		r->report = NULL;
	}
	mark_limit_changes(rows);
	trend_chart(&b, rows);
	int wr = 0;
	wr |= write_index_file(&b, "index.json", rows, write_json_index);
	wr |= write_index_file(&b, "index.csv", rows, write_csv);
	wr |= write_index_file(&b, "index.md", rows, write_md);
	wr |= write_index_file(&b, "index.html", rows, write_html);
	wr |= cache_save(&b);
	cJSON_Delete(rows);
	if (b.junit && gate_write_junit(b.gate, b.junit, err, sizeof err) != 0) {
		diag_error("%s", err);
		wr = -1;
	}
	if (!b.quiet)
		fprintf(stderr, "jtlscope batch: %zu runs, %zu failed, %.1f s; index in %s/index.html\n",
			b.nr, failed, now_s() - t0, b.out);
	rc = wr ? EXIT_OUTPUT : gated ? EXIT_GATE : failed ? EXIT_INPUT : EXIT_OK;
out:
	free(inputs);
	batch_free(&b);
	return rc;
}
