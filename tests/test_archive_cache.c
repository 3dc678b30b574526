/* test_archive_cache.c - batch's cache (reports/archive_cache.h): a run saved and loaded back
 * is fresh with its outcome; stale entries are not (size, content, racy mtime, missing output,
 * other inputs, an outcome worth retrying); a corrupt file is ignored with a warning and hostile
 * entries never crash; a cache of another schema, jtlscope version or option set is dropped. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>
#include <cmocka.h>

#include "common/diag.h"
#include "common/util.h"
#include "reports/archive_cache.h"

struct fx {
	char dir[64];          /* the test's temp folder: inputs, and out/ */
	char *out;
	char *jtl, *cap;
	struct archive_run run;
	uint64_t key;
};

static void put(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	assert_int_equal(fclose(f), 0);
}

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "r");
	assert_non_null(f);
	char *buf = xcalloc(1, 1 << 16);
	size_t n = fread(buf, 1, (1 << 16) - 1, f);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

/* mtime of path set to secs_ago seconds before now */
static void age(const char *path, int secs_ago)
{
	struct timeval now, tv[2];
	gettimeofday(&now, NULL);
	tv[0] = tv[1] = (struct timeval){ now.tv_sec - secs_ago, 0 };
	assert_int_equal(utimes(path, tv), 0);
}

/* A fresh run record for the fixture's JTL (with the capture when ncaps is 1). */
static void run_reset(struct fx *x, size_t ncaps)
{
	free(x->run.error);
	free(x->run.stamp);
	free(x->run.caps);
	x->run = (struct archive_run){ .path = x->jtl, .name = (char *)"run-a", .ncaps = ncaps, .exit = -1 };
	x->run.stamp = xcalloc(1 + ncaps, sizeof *x->run.stamp);
	if (ncaps) {
		x->run.caps = xcalloc(1, sizeof *x->run.caps);
		x->run.caps[0] = x->cap;
	}
}

static int setup(void **state)
{
	struct fx *x = xcalloc(1, sizeof *x);
	strcpy(x->dir, "/tmp/jtlscope-test-cache.XXXXXX");
	assert_non_null(mkdtemp(x->dir));
	x->out = xasprintf("%s/out", x->dir);
	assert_int_equal(mkdir(x->out, 0777), 0);
	char *runs = xasprintf("%s/runs", x->out), *rd = xasprintf("%s/runs/run-a", x->out);
	assert_int_equal(mkdir(runs, 0777), 0);
	assert_int_equal(mkdir(rd, 0777), 0);
	char *rj = xasprintf("%s/report.json", rd);
	put(rj, "{}\n");
	free(rj);
	free(rd);
	free(runs);
	x->jtl = xasprintf("%s/a.jtl", x->dir);
	x->cap = xasprintf("%s/a.pcap", x->dir);
	put(x->jtl, "timeStamp,elapsed,label,responseCode\n1,2,home,200\n");
	put(x->cap, "not really a capture");
	age(x->jtl, 3600);   /* old enough for the stored hash to be trusted */
	static const char *pass[] = { "--charts", "none" };
	x->key = archive_cache_key("0.1.0", "json,md,html", pass, 2);
	run_reset(x, 0);
	*state = x;
	return 0;
}

static int teardown(void **state)
{
	struct fx *x = *state;
	char *cmd = xasprintf("rm -rf '%s'", x->dir);
	assert_int_equal(system(cmd), 0);
	free(cmd);
	free(x->run.error);
	free(x->run.stamp);
	free(x->run.caps);
	free(x->out);
	free(x->jtl);
	free(x->cap);
	free(x);
	return 0;
}

/* The fixture's run analysed once (exit code, error) and saved. */
static void save_run(struct fx *x, int exit, const char *error)
{
	archive_cache_stamp(&x->run);
	assert_true(x->run.stamp[0].hashed);
	x->run.exit = exit;
	x->run.error = error ? xstrdup(error) : NULL;
	x->run.secs = 1.23456;
	assert_int_equal(archive_cache_save(x->out, x->key, &x->run, 1), 0);
	run_reset(x, x->run.ncaps);
}

static bool fresh_now(struct fx *x)
{
	struct archive_cache *c = archive_cache_load(x->out, x->key);
	bool f = archive_cache_fresh(c, &x->run);
	archive_cache_free(c);
	return f;
}

static void test_saved_run_is_fresh(void **state)
{
	struct fx *x = *state;
	save_run(x, 0, NULL);
	char *p = xasprintf("%s/%s.tmp", x->out, ARCHIVE_CACHE_FILE);
	assert_int_not_equal(access(p, F_OK), 0);   /* written through .tmp and renamed */
	free(p);
	assert_true(fresh_now(x));
	assert_true(x->run.cached);
	assert_int_equal(x->run.exit, 0);
	assert_null(x->run.error);
	assert_true(x->run.secs == 1.235);           /* kept to the millisecond */
	assert_true(x->run.stamp[0].hashed);

	/* a failed run with a final outcome (exit 3) is cached with its error, given stderr.txt */
	run_reset(x, 0);
	save_run(x, 3, "'a.jtl': the file is empty");
	assert_false(fresh_now(x));                  /* no stderr.txt yet */
	char *se = xasprintf("%s/runs/run-a/stderr.txt", x->out);
	put(se, "jtlscope: error: 'a.jtl': the file is empty\n");
	free(se);
	run_reset(x, 0);
	assert_true(fresh_now(x));
	assert_int_equal(x->run.exit, 3);
	assert_string_equal(x->run.error, "'a.jtl': the file is empty");

	/* no cache at all: never fresh */
	run_reset(x, 0);
	assert_false(archive_cache_fresh(NULL, &x->run));
	assert_int_equal(x->run.exit, -1);
}

static void test_stale_entries(void **state)
{
	struct fx *x = *state;
	/* size changed */
	save_run(x, 0, NULL);
	put(x->jtl, "timeStamp,elapsed,label,responseCode\n1,2,home,200\n3,4,home,429\n");
	age(x->jtl, 3600);
	assert_false(fresh_now(x));
	assert_false(x->run.cached);
	assert_int_equal(x->run.exit, -1);

	/* same size, other content, other mtime: hashed again, differs */
	run_reset(x, 0);
	save_run(x, 0, NULL);
	put(x->jtl, "timeStamp,elapsed,label,responseCode\n3,4,home,429\n1,2,home,200\n");
	age(x->jtl, 1800);
	assert_false(fresh_now(x));

	/* same size, same content, other mtime (touched): hashed again, still fresh */
	run_reset(x, 0);
	save_run(x, 0, NULL);
	age(x->jtl, 900);
	assert_true(fresh_now(x));

	/* racy: modified within ARCHIVE_CACHE_RACY_S of its hashing, same size and mtime second:
	 * the stored hash is not trusted */
	put(x->jtl, "timeStamp,elapsed,label,responseCode\n1,2,home,200\n");
	age(x->jtl, 0);
	run_reset(x, 0);
	save_run(x, 0, NULL);
	struct stat st;
	assert_int_equal(stat(x->jtl, &st), 0);
	put(x->jtl, "timeStamp,elapsed,label,responseCode\n1,2,home,503\n");   /* same size */
	struct timespec ts[2] = { st.st_mtim, st.st_mtim };
	assert_int_equal(utimensat(AT_FDCWD, x->jtl, ts, 0), 0);
	assert_false(fresh_now(x));

	/* the report is gone */
	age(x->jtl, 3600);
	run_reset(x, 0);
	save_run(x, 0, NULL);
	char *rj = xasprintf("%s/runs/run-a/report.json", x->out);
	assert_int_equal(unlink(rj), 0);
	assert_false(fresh_now(x));
	put(rj, "{}\n");
	free(rj);
	run_reset(x, 0);
	assert_true(fresh_now(x));

	/* other inputs: a capture paired since */
	run_reset(x, 1);
	assert_false(fresh_now(x));
	/* another file under the same run folder name */
	run_reset(x, 0);
	x->run.path = x->cap;
	assert_false(fresh_now(x));
	x->run.path = x->jtl;
	/* a run the cache has no entry for */
	run_reset(x, 0);
	x->run.name = (char *)"run-b";
	assert_false(fresh_now(x));

	/* with the worker's stderr.txt there: input errors (3) and --strict (4) are final, output
	 * errors (5), a worker that could not start (126) and crashes (128+N) are tried again */
	char *se = xasprintf("%s/runs/run-a/stderr.txt", x->out);
	put(se, "jtlscope: error: something\n");
	free(se);
	int final[] = { 3, 4 }, retry[] = { 5, 126, 139 };
	for (size_t i = 0; i < ARRAY_LEN(final); i++) {
		run_reset(x, 0);
		save_run(x, final[i], "something");
		assert_true(fresh_now(x));
		assert_int_equal(x->run.exit, final[i]);
	}
	for (size_t i = 0; i < ARRAY_LEN(retry); i++) {
		run_reset(x, 0);
		save_run(x, retry[i], "something");
		assert_false(fresh_now(x));
	}
}

static void test_corrupt_file(void **state)
{
	struct fx *x = *state;
	char *p = xasprintf("%s/%s", x->out, ARCHIVE_CACHE_FILE);
	char *log = xasprintf("%s/diag.txt", x->dir);
	FILE *d = fopen(log, "w");
	assert_non_null(d);
	diag_stream = d;
	put(p, "{\"schema\": \"jtlscope-batch-cache/1\", \"runs\": [");
	assert_null(archive_cache_load(x->out, x->key));
	diag_stream = NULL;
	fclose(d);
	char *text = slurp(log);
	assert_non_null(strstr(text, "warning: ignoring the cache: '"));
	assert_non_null(strstr(text, "not valid JSON (near byte"));
	free(text);
	free(log);

	/* valid JSON of the right schema and key, hostile entries: not fresh, no crash */
	save_run(x, 0, NULL);
	char *good = slurp(p);
	char *k = strstr(good, "\"options_key\":\"");
	assert_non_null(k);
	char key[17];
	memcpy(key, k + 15, 16);
	key[16] = '\0';
	const char *hostile[] = {
		"\"runs\":[1,2]",
		"\"runs\":{\"run-a\":7}",
		"\"runs\":{\"run-a\":{\"inputs\":\"x\",\"exit\":0}}",
		"\"runs\":{\"run-a\":{\"inputs\":[{}],\"exit\":0}}",
		"\"runs\":{\"run-a\":{\"inputs\":[7],\"exit\":0}}",
		"\"runs\":{\"run-a\":{\"inputs\":[{\"path\":7,\"size\":\"x\"}],\"exit\":0}}",
		"\"runs\":{\"run-a\":{\"inputs\":[{\"path\":\"PATH\",\"size\":51,\"mtime_s\":0,\"mtime_ns\":0,"
		"\"hash\":\"00000000000000zz\",\"hashed_at\":0}],\"exit\":0}}",
		"\"runs\":{\"run-a\":{\"inputs\":[{\"path\":\"PATH\",\"size\":51,\"mtime_s\":0,\"mtime_ns\":0,"
		"\"hash\":\"0123456789ABCDEF\",\"hashed_at\":0}],\"exit\":0}}",
		"\"runs\":{\"run-a\":{\"inputs\":[],\"exit\":\"0\"}}",
	};
	for (size_t i = 0; i < ARRAY_LEN(hostile); i++) {
		struct strbuf sb = STRBUF_INIT;
		strbuf_addf(&sb, "{\"schema\":\"%s\",\"options_key\":\"%s\",", ARCHIVE_CACHE_SCHEMA, key);
		for (const char *h = hostile[i]; *h; h++) {
			if (strncmp(h, "PATH", 4) == 0) {
				strbuf_addstr(&sb, x->jtl);
				h += 3;
			} else {
				strbuf_addch(&sb, *h);
			}
		}
		strbuf_addch(&sb, '}');
		put(p, strbuf_cstr(&sb));
		strbuf_release(&sb);
		struct archive_cache *c = archive_cache_load(x->out, x->key);
		assert_non_null(c);
		run_reset(x, 0);
		assert_false(archive_cache_fresh(c, &x->run));
		assert_false(x->run.cached);
		archive_cache_free(c);
	}
	/* and the good file still gives a fresh run */
	put(p, good);
	run_reset(x, 0);
	assert_true(fresh_now(x));
	free(good);
	free(p);
}

static void test_version_and_options_mismatch(void **state)
{
	struct fx *x = *state;
	static const char *pass[] = { "--charts", "none" }, *pass2[] = { "--bucket", "5s", "--charts", "none" };
	/* the key covers the version, the formats and each passed option */
	assert_true(x->key == archive_cache_key("0.1.0", "json,md,html", pass, 2));
	uint64_t other_version = archive_cache_key("0.2.0", "json,md,html", pass, 2);
	uint64_t other_formats = archive_cache_key("0.1.0", "json,md", pass, 2);
	uint64_t other_options = archive_cache_key("0.1.0", "json,md,html", pass2, 4);
	assert_true(other_version != x->key);
	assert_true(other_formats != x->key);
	assert_true(other_options != x->key);
	save_run(x, 0, NULL);
	assert_null(archive_cache_load(x->out, other_version));
	assert_null(archive_cache_load(x->out, other_formats));
	assert_null(archive_cache_load(x->out, other_options));
	struct archive_cache *c = archive_cache_load(x->out, x->key);
	assert_non_null(c);
	archive_cache_free(c);

	/* another schema version, or no key, with everything else right: dropped */
	char *p = xasprintf("%s/%s", x->out, ARCHIVE_CACHE_FILE);
	char *good = slurp(p);
	char *s = strstr(good, ARCHIVE_CACHE_SCHEMA);
	assert_non_null(s);
	s[strlen(ARCHIVE_CACHE_SCHEMA) - 1] = '2';   /* jtlscope-batch-cache/2 */
	put(p, good);
	assert_null(archive_cache_load(x->out, x->key));
	put(p, "{\"schema\":\"jtlscope-batch-cache/1\",\"runs\":{}}");
	assert_null(archive_cache_load(x->out, x->key));
	put(p, "[]");
	assert_null(archive_cache_load(x->out, x->key));
	free(good);
	free(p);
	/* no file: nothing, and no warning needed */
	assert_null(archive_cache_load(x->dir, x->key));
}

static void test_save_error(void **state)
{
	struct fx *x = *state;
	char *missing = xasprintf("%s/no/such/folder", x->dir);
	archive_cache_stamp(&x->run);
	x->run.exit = 0;
	FILE *d = tmpfile();
	diag_stream = d;
	assert_int_equal(archive_cache_save(missing, x->key, &x->run, 1), -1);
	diag_stream = NULL;
	fclose(d);
	free(missing);
	/* runs not run (exit -1) get no entry */
	x->run.exit = -1;
	assert_int_equal(archive_cache_save(x->out, x->key, &x->run, 1), 0);
	char *p = xasprintf("%s/%s", x->out, ARCHIVE_CACHE_FILE);
	char *text = slurp(p);
	assert_non_null(strstr(text, "\"runs\":{}"));
	free(text);
	free(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_saved_run_is_fresh, setup, teardown),
		cmocka_unit_test_setup_teardown(test_stale_entries, setup, teardown),
		cmocka_unit_test_setup_teardown(test_corrupt_file, setup, teardown),
		cmocka_unit_test_setup_teardown(test_version_and_options_mismatch, setup, teardown),
		cmocka_unit_test_setup_teardown(test_save_error, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
