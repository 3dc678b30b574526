/* archive_pool.c - see archive_pool.h. */
#include "reports/archive_pool.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/diag.h"
#include "common/util.h"
#include "reports/escape.h"
#include "reports/spawn.h"

/* argv for `report` on run r (NULL r: the option check, ending in --help).  The caller frees
 * the array and *rundir (the run folder, NULL without r); the other strings are borrowed. */
static char **report_argv(const struct archive_pool *p, const struct archive_run *r, char **rundir)
{
	size_t n = 0, cap = 12 + p->npass + (r ? r->ncaps : 0);
	char **v = xcalloc(cap, sizeof *v);
	v[n++] = (char *)"jtlscope";
	v[n++] = (char *)"report";
	v[n++] = (char *)"-q";
	*rundir = r ? xasprintf("%s/runs/%s", p->out, r->name) : NULL;
	if (r) {
		v[n++] = (char *)"-o";
		v[n++] = *rundir;
	}
	v[n++] = (char *)"--format";
	v[n++] = (char *)p->formats;
	for (size_t i = 0; i < p->npass; i++)
		v[n++] = (char *)p->pass[i];
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

char *archive_pool_error_line(const char *text)
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
	return xstrndup(pick, n > ARCHIVE_POOL_ERRLINE_MAX ? ARCHIVE_POOL_ERRLINE_MAX : n);
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

char *archive_pool_formats(const char *list, const char *defaults)
{
	struct strbuf fs = STRBUF_INIT;
	strbuf_addstr(&fs, "json");
	for (const char *p = list; p && *p;) {
		size_t k = strcspn(p, ",");
		if (!(k == 4 && strncmp(p, "json", 4) == 0)) {
			strbuf_addch(&fs, ',');
			strbuf_add(&fs, p, k);
		}
		p += k + (p[k] == ',');
	}
	if (!list)
		strbuf_addf(&fs, ",%s", defaults);
	return strbuf_detach(&fs);
}

bool archive_pool_check(const struct archive_pool *p)
{
	int pfd[2];
	if (pipe2(pfd, O_CLOEXEC) != 0)
		return true;
	char *dummy;
	char **v = report_argv(p, NULL, &dummy);
	pid_t pid = spawn_start(v, &(struct spawn_opts){ .exe = p->exe, .log_fd = pfd[1], .use_log_fd = true });
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
	char *line = archive_pool_error_line(buf);
	diag_error("options passed to report were refused: %s", line ? line : "(no message)");
	free(line);
	return false;
}

static void progress(const struct archive_pool *p, size_t done, size_t n, const struct archive_run *r)
{
	if (!p->progress)
		return;
	FILE *f = p->progress;
	struct strbuf sb = STRBUF_INIT;
	esc_text_sb(&sb, r->path, strlen(r->path));
	if (r->cached)
		fprintf(f, "[%zu/%zu] %s ... cached (%s)\n", done, n, strbuf_cstr(&sb),
			r->exit == 0 ? "ok" : "failed");
	else if (r->exit == 0)
		fprintf(f, "[%zu/%zu] %s ... ok %.1f s\n", done, n, strbuf_cstr(&sb), r->secs);
	else {
		struct strbuf eb = STRBUF_INIT;
		if (r->error)
			esc_text_sb(&eb, r->error, strlen(r->error));
		fprintf(f, "[%zu/%zu] %s ... FAILED (exit %d) %.1f s: %s\n", done, n,
			strbuf_cstr(&sb), r->exit, r->secs, strbuf_cstr(&eb));
		strbuf_release(&eb);
	}
	strbuf_release(&sb);
}

static void finish_run(const struct archive_pool *p, struct archive_run *r, int status, double t0)
{
	r->exit = spawn_exit_code(status);
	r->secs = util_now_s() - t0;
	free(r->error);
	r->error = NULL;
	char *ep = xasprintf("%s/runs/%s/stderr.txt", p->out, r->name);
	struct stat st;
	if (r->exit == 0 && stat(ep, &st) == 0 && st.st_size == 0)
		unlink(ep);
	if (r->exit != 0) {
		char *txt = read_small(ep, 64 * 1024);
		r->error = txt ? archive_pool_error_line(txt) : NULL;
		if (!r->error)
			r->error = r->exit > 128 ? xasprintf("killed by signal %d", r->exit - 128)
						 : xasprintf("exit %d", r->exit);
		free(txt);
	}
	free(ep);
}

/* Prepare r's folder and start its worker: its pid and start time, or -1 with r's outcome
 * set. */
static pid_t start_run(const struct archive_pool *p, struct archive_run *r, double *t0)
{
	/* hash the inputs now (the cache needs them; a worker reads them anyway) */
	archive_cache_stamp(r);
	char *rundir;
	char **v = report_argv(p, r, &rundir);
	char *runs = xasprintf("%s/runs", p->out);
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
	*t0 = util_now_s();
	pid_t pid = spawn_start(v, &(struct spawn_opts){ .exe = p->exe, .log = ep });
	free(ep);
	free(v);
	free(rundir);
	if (pid < 0) {
		r->exit = 126;
		r->error = xasprintf("cannot start a worker: %s", strerror(errno));
		return -1;
	}
	return pid;
}

struct job {
	pid_t pid;             /* 0: a free slot */
	size_t run;
	double t0;
};

void archive_pool_run(const struct archive_pool *p, struct archive_run *runs, size_t n)
{
	struct job *jobs = xcalloc((size_t)p->jobs, sizeof *jobs);
	size_t next = 0, done = 0;
	int active = 0;
	while (next < n || active > 0) {
		while (active < p->jobs && next < n) {
			struct archive_run *r = &runs[next++];
			if (archive_cache_fresh(p->cache, r)) {
				progress(p, ++done, n, r);
				continue;
			}
			double t0;
			pid_t pid = start_run(p, r, &t0);
			if (pid < 0) {
				progress(p, ++done, n, r);
				continue;
			}
			for (int j = 0; j < p->jobs; j++)
				if (jobs[j].pid == 0) {
					jobs[j] = (struct job){ pid, (size_t)(r - runs), t0 };
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
		for (int j = 0; j < p->jobs; j++) {
			if (jobs[j].pid != pid)
				continue;
			struct archive_run *r = &runs[jobs[j].run];
			finish_run(p, r, status, jobs[j].t0);
			jobs[j].pid = 0;
			active--;
			progress(p, ++done, n, r);
			break;
		}
	}
	free(jobs);
}
