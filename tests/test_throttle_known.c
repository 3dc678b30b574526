/* test_throttle_known.c - the throttle analysis on real JMeter runs with known answers
 * (sample-data/known/ * and sample-data/demo, made by sample-data/regen.sh against nginx
 * limit_req and a fixed-window server).  Each test is skipped when its data is absent.
 *
 * The expected values come from two places, never from jtlscope itself:
 *   - the limiter that was configured for the run (model, rate, scope: EXPECTED.md "What was
 *     configured"), written here as constants;
 *   - what the data says directly, computed here by brute force over all samples: the start
 *     of the first throttled sample, the threads that started a request to the group in the
 *     5 s before it, the offered rate over those 5 s.
 * Tolerances (issue 3): onset +-2 s, threads +-10 % (at least +-2), rate +-10 %. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "analyzer/throttle/throttle.h"
#include "common/diag.h"
#include "parsers/input.h"
#include "parsers/jtl.h"

struct seen {
	int64_t ts;
	uint32_t thread; /* index into names */
	bool thr, in_group;
};

struct truth {
	struct seen *v;
	size_t n, cap;
	char **names;
	size_t nnames, ncap;
};

static uint32_t name_id(struct truth *tr, const struct strref *s)
{
	for (size_t i = 0; i < tr->nnames; i++) {
		if (strlen(tr->names[i]) == s->n && memcmp(tr->names[i], s->p, s->n) == 0)
			return (uint32_t)i;
	}
	if (tr->nnames == tr->ncap) {
		tr->ncap = tr->ncap ? tr->ncap * 2 : 64;
		tr->names = realloc(tr->names, tr->ncap * sizeof *tr->names);
	}
	tr->names[tr->nnames] = strndup(s->p ? s->p : "", s->n);
	return (uint32_t)tr->nnames++;
}

static const char *data_dir(void)
{
	const char *d = getenv("JTLSCOPE_SAMPLE_DATA");
	return d ? d : "sample-data";
}

/* Analyse path; host_substr selects the group whose truth is computed (NULL: all). */
static struct throttle *run_file(const char *path, const char *region_map,
				 const char *host_substr, struct truth *tr)
{
	char err[512];
	struct input *in = input_open(path, err, sizeof err);
	if (!in)
		return NULL;
	enum input_format fmt = input_sniff(in);
	struct jtl_options o = { 0 };
	struct diag d;
	diag_init(&d, path);
	d.quiet = 1;
	struct jtl_reader *r = jtl_open(in, fmt, &o, &d, err, sizeof err);
	assert_non_null(r);
	struct throttle_config c;
	throttle_config_default(&c);
	c.region_map_path = region_map;
	struct throttle *t = throttle_new(&c, err, sizeof err);
	assert_non_null(t);
	struct sample s;
	enum jtl_status st;
	while ((st = jtl_next(r, &s)) != JTL_END) {
		assert_int_not_equal(st, JTL_FATAL);
		if (st != JTL_RECORD)
			continue;
		throttle_add(t, &s);
		if (tr->n == tr->cap) {
			tr->cap = tr->cap ? tr->cap * 2 : 4096;
			tr->v = realloc(tr->v, tr->cap * sizeof *tr->v);
		}
		bool in_group = !host_substr ||
				(s.url.p && memmem(s.url.p, s.url.n, host_substr, strlen(host_substr)));
		tr->v[tr->n++] = (struct seen){ s.ts_ms, name_id(tr, &s.thread),
						throttle_is_signal(t, &s), in_group };
	}
	jtl_close(r);
	input_close(in);
	throttle_finish(t);
	return t;
}

static void truth_release(struct truth *tr)
{
	for (size_t i = 0; i < tr->nnames; i++)
		free(tr->names[i]);
	free(tr->names);
	free(tr->v);
	memset(tr, 0, sizeof *tr);
}

struct facts {
	int64_t first_thr;
	uint32_t threads5;
	double rate5;
};

static struct facts facts_of(const struct truth *tr)
{
	struct facts f = { INT64_MAX, 0, 0 };
	for (size_t i = 0; i < tr->n; i++) {
		if (tr->v[i].in_group && tr->v[i].thr && tr->v[i].ts < f.first_thr)
			f.first_thr = tr->v[i].ts;
	}
	unsigned char *seen = calloc(tr->nnames + 1, 1);
	uint64_t n = 0;
	for (size_t i = 0; i < tr->n; i++) {
		const struct seen *v = &tr->v[i];
		if (!v->in_group || v->ts < f.first_thr - 5000 || v->ts >= f.first_thr)
			continue;
		n++;
		if (!seen[v->thread]) {
			seen[v->thread] = 1;
			f.threads5++;
		}
	}
	free(seen);
	f.rate5 = (double)n / 5.0;
	return f;
}

static const struct throttle_group *group_named(const struct throttle_result *r,
						const char *name)
{
	for (size_t i = 0; i < r->ngroups; i++) {
		if (strcmp(r->groups[i].name, name) == 0)
			return &r->groups[i];
	}
	return NULL;
}

static void check_onset(const struct throttle_group *g, const struct facts *f)
{
	assert_true(g->detected);
	double d = (double)(g->onset.ts_ms - f->first_thr) / 1000.0;
	double tol_threads = fmax(2.0, 0.1 * f->threads5);
	if (fabs(d) > 2 || fabs((double)g->onset.threads - f->threads5) > tol_threads)
		fail_msg("onset %+.1f s from the first throttle (+-2 s); threads %u vs %u", d,
			 g->onset.threads, f->threads5);
	print_message("  onset %+.2f s from the first throttle, threads %u (data: %u), rate %.1f "
		      "(data, 5 s: %.1f)\n", d, g->onset.threads, f->threads5,
		      g->onset.rate_per_s, f->rate5);
}

static bool have(const char *path)
{
	if (access(path, R_OK) == 0)
		return true;
	print_message("  %s absent: skipped\n", path);
	return false;
}

static void known_token_bucket(const char *file, double rate, const char *group,
			       const char *host, const char *map, enum throttle_scope scope)
{
	struct truth tr = { 0 };
	struct throttle *t = run_file(file, map, host, &tr);
	assert_non_null(t);
	const struct throttle_result *r = throttle_result(t);
	const struct throttle_group *g = group ? group_named(r, group) : &r->groups[0];
	assert_non_null(g);
	struct facts f = facts_of(&tr);
	check_onset(g, &f);
	print_message("  model %s rate %.2f burst %.0f scope %s\n",
		      throttle_model_name(g->limit.model), g->limit.rate_per_s, g->limit.burst,
		      throttle_scope_name(g->scope.scope));
	assert_int_equal(g->limit.model, THROTTLE_MODEL_TOKEN_BUCKET);
	assert_true(fabs(g->limit.rate_per_s - rate) <= 0.1 * rate);
	assert_int_equal(g->scope.scope, scope);
	throttle_free(t);
	truth_release(&tr);
}

static void test_shared_token_bucket(void **state)
{
	(void)state;
	char p[512];
	snprintf(p, sizeof p, "%s/known/shared-token-bucket/shared-token-bucket.csv.gz", data_dir());
	if (!have(p))
		skip();
	/* nginx limit_req rate=15r/s burst=5, one key for everybody */
	known_token_bucket(p, 15, NULL, NULL, NULL, THROTTLE_SCOPE_SHARED);
}

static void test_per_connection(void **state)
{
	(void)state;
	char p[512];
	snprintf(p, sizeof p, "%s/known/per-connection/per-connection.csv.gz", data_dir());
	if (!have(p))
		skip();
	/* nginx limit_req on $connection, 2r/s burst=2; JMeter keeps one connection per thread */
	known_token_bucket(p, 2, NULL, NULL, NULL, THROTTLE_SCOPE_PER_THREAD);
}

static void test_demo_two_regions(void **state)
{
	(void)state;
	char p[512], map[512];
	snprintf(p, sizeof p, "%s/demo/demo.xml.gz", data_dir());
	snprintf(map, sizeof map, "%s/demo/region-map.txt", data_dir());
	if (!have(p) || !have(map))
		skip();
	/* ap-southeast-1: nginx limit_req 20r/s burst=10 keyed by tenant; us-east-1: no limit */
	known_token_bucket(p, 20, "ap-southeast-1", "ap-southeast-1", map, THROTTLE_SCOPE_SHARED);
	struct truth tr = { 0 };
	struct throttle *t = run_file(p, map, NULL, &tr);
	const struct throttle_result *r = throttle_result(t);
	const struct throttle_group *us = group_named(r, "us-east-1");
	assert_non_null(us);
	assert_false(us->detected);
	const struct throttle_group *ap = group_named(r, "ap-southeast-1");
	assert_true(ap->retry.seen > 0);
	assert_int_equal(ap->retry.honoured, 0); /* JMeter ignores Retry-After: 60 */
	throttle_free(t);
	truth_release(&tr);
}

static void test_fixed_window_503(void **state)
{
	(void)state;
	char p[512];
	snprintf(p, sizeof p, "%s/known/fixed-window-503/fixed-window-503.xml.gz", data_dir());
	if (!have(p))
		skip();
	/* 50 accepted per 10 s window aligned to epoch multiples of 10 s; 503 + Retry-After */
	struct truth tr = { 0 };
	struct throttle *t = run_file(p, NULL, NULL, &tr);
	const struct throttle_result *r = throttle_result(t);
	const struct throttle_group *g = &r->groups[0];
	struct facts f = facts_of(&tr);
	check_onset(g, &f);
	assert_int_equal(g->limit.model, THROTTLE_MODEL_FIXED_WINDOW);
	assert_true(fabs(g->limit.limit - 50) < 0.5);
	assert_true(fabs(g->limit.window_s - 10) < 0.01);
	assert_int_equal(g->limit.fits[THROTTLE_MODEL_FIXED_WINDOW].phase_ms % 10000, 0);
	assert_true(g->limit.countdown);
	assert_int_equal(g->scope.scope, THROTTLE_SCOPE_SHARED);
	throttle_free(t);
	truth_release(&tr);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_shared_token_bucket),
		cmocka_unit_test(test_per_connection),
		cmocka_unit_test(test_demo_two_regions),
		cmocka_unit_test(test_fixed_window_503),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
