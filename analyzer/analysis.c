/* analysis.c - overall, per-label, per-code and per-thread-group statistics and the time
 * series (see analysis.h).  Throttle analysis lives in throttle*.c and is fed from here. */
#include "analyzer/analysis.h"
#include "analyzer/region.h"
#include "analyzer/throttle/state.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/util.h"

void analysis_config_default(struct analysis_config *c)
{
	memset(c, 0, sizeof *c);
	c->bucket_ms = 1000;
	c->apdex_satisfied_ms = ANALYSIS_APDEX_SATISFIED_MS;
	c->apdex_tolerated_ms = ANALYSIS_APDEX_TOLERATED_MS;
	throttle_config_default(&c->throttle);
}

void analysis_stats_init(struct stats *s, const char *name, size_t n)
{
	memset(s, 0, sizeof *s);
	s->name = xstrndup(name, n);
	hist_init(&s->elapsed, HIST_FINE);
	hist_init(&s->elapsed_ok, HIST_FINE);
	hist_init(&s->elapsed_err, HIST_FINE);
	s->first_ts = INT64_MAX;
	s->last_ts = INT64_MIN;
	s->last_end = INT64_MIN;
}

static void stats_free(struct stats *s)
{
	free(s->name);
	free(s->errs);
	hist_free(&s->elapsed);
	hist_free(&s->elapsed_ok);
	hist_free(&s->elapsed_err);
}

/* Fold b into a (counters, windows, histograms). */
void analysis_stats_merge(struct stats *a, const struct stats *b)
{
	a->count += b->count;
	a->errors += b->errors;
	a->throttled += b->throttled;
	hist_merge(&a->elapsed_ok, &b->elapsed_ok);
	hist_merge(&a->elapsed_err, &b->elapsed_err);
	if (b->first_ts < a->first_ts)
		a->first_ts = b->first_ts;
	if (b->last_ts > a->last_ts)
		a->last_ts = b->last_ts;
	if (b->last_end > a->last_end)
		a->last_end = b->last_end;
	a->bytes += b->bytes;
	a->sent_bytes += b->sent_bytes;
	a->latency_sum += b->latency_sum;
	a->connect_sum += b->connect_sum;
	a->latency_n += b->latency_n;
	a->connect_n += b->connect_n;
	a->bytes_n += b->bytes_n;
	a->sent_n += b->sent_n;
	a->apdex_satisfied += b->apdex_satisfied;
	a->apdex_tolerated += b->apdex_tolerated;
	a->apdex_n += b->apdex_n;
}

/* elapsed = elapsed_ok + elapsed_err (kept apart while adding: one histogram update a sample). */
static void stats_complete(struct stats *s)
{
	hist_free(&s->elapsed);
	hist_init(&s->elapsed, HIST_FINE);
	hist_merge(&s->elapsed, &s->elapsed_ok);
	hist_merge(&s->elapsed, &s->elapsed_err);
}

static void stats_add(struct stats *st, const struct sample *s, bool throttled)
{
	st->count++;
	if (!s->success)
		st->errors++;
	if (throttled)
		st->throttled++;
	int64_t el = s->elapsed_ms < 0 ? 0 : s->elapsed_ms;
	hist_add(s->success ? &st->elapsed_ok : &st->elapsed_err, el);
	if (s->has & SH_TS) {
		if (s->ts_ms < st->first_ts)
			st->first_ts = s->ts_ms;
		if (s->ts_ms > st->last_ts)
			st->last_ts = s->ts_ms;
		if (s->ts_ms + el > st->last_end)
			st->last_end = s->ts_ms + el;
	}
	st->bytes_n += (s->has & SH_BYTES) != 0;
	st->sent_n += (s->has & SH_SENT_BYTES) != 0;
	if ((s->has & SH_BYTES) && s->bytes > 0)
		st->bytes += (uint64_t)s->bytes;
	if ((s->has & SH_SENT_BYTES) && s->sent_bytes > 0)
		st->sent_bytes += (uint64_t)s->sent_bytes;
	if (s->has & SH_LATENCY) {
		st->latency_sum += (double)s->latency_ms;
		st->latency_n++;
	}
	if (s->has & SH_CONNECT) {
		st->connect_sum += (double)s->connect_ms;
		st->connect_n++;
	}
}

static void stats_apdex_add(struct stats *st, const struct sample *s, const struct analysis_config *c)
{
	st->apdex_n++;
	if (s->success && s->elapsed_ms <= c->apdex_satisfied_ms)
		st->apdex_satisfied++;
	else if (s->success && s->elapsed_ms <= c->apdex_tolerated_ms)
		st->apdex_tolerated++;
}

double stats_apdex(const struct stats *s)
{
	if (!s->count || s->apdex_n != s->count)
		return -1;
	return ((double)s->apdex_satisfied + (double)s->apdex_tolerated / 2.0) / (double)s->apdex_n;
}

struct analysis *analysis_new(const struct analysis_config *c, char *err, size_t errlen)
{
	if (c->apdex_satisfied_ms > c->apdex_tolerated_ms) {
		snprintf(err, errlen, "--apdex-satisfied (%" PRId64 " ms) is above --apdex-tolerated (%" PRId64 " ms)",
			 c->apdex_satisfied_ms, c->apdex_tolerated_ms);
		return NULL;
	}
	struct analysis *a = xcalloc(1, sizeof *a);
	a->cfg = *c;
	if (a->cfg.bucket_ms <= 0)
		a->cfg.bucket_ms = 1000;
	a->cfg.throttle.bucket_ms = a->cfg.bucket_ms;
	analysis_stats_init(&a->overall, "TOTAL", 5);
	lseries_init(&a->lseries, a->cfg.bucket_ms);
	strmap_init(&a->label_map);
	strmap_init(&a->code_map);
	strmap_init(&a->group_map);
	strmap_init(&a->thread_map);
	strmap_init(&a->error_map);
	strbuf_init(&a->error_key);
	strbuf_init(&a->error_raw);
	a->series.width_ms = a->cfg.bucket_ms;
	a->max_all_threads = -1;
	a->last_label = SIZE_MAX;
	a->last_code = SIZE_MAX;
	if (!c->no_throttle) {
		a->throttle = throttle_new(&a->cfg.throttle, err, errlen);
		if (!a->throttle) {
			analysis_free(a);
			return NULL;
		}
	}
	return a;
}

/* --- counted string tables ---------------------------------------------------------------- */

static size_t count_in(struct strmap *m, struct code_count **arr, size_t *n, size_t *cap,
		       size_t limit, const char *p, size_t len)
{
	size_t id = strmap_find(m, p, len);
	if (id == SIZE_MAX) {
		if (m->n >= limit) {
			static const char other[] = "(other)";
			p = other;
			len = sizeof other - 1;
		}
		int added;
		id = strmap_intern(m, p, len, &added);
		if (added) {
			void *v = *arr;
			xgrow(&v, cap, id + 1, sizeof **arr);
			*arr = v;
			(*arr)[id].code = xstrndup(p, len);
			(*arr)[id].count = 0;
			*n = id + 1;
		}
	}
	(*arr)[id].count++;
	return id;
}

/* --- series ----------------------------------------------------------------------------- */

void analysis_bucket_init(struct series_bucket *b)
{
	memset(b, 0, sizeof *b);
	b->max_all_threads = -1;
	hist_init(&b->elapsed, HIST_COARSE);
	hist_init(&b->elapsed_ok, HIST_COARSE);
	hist_init(&b->elapsed_err, HIST_COARSE);
}

void analysis_bucket_merge(struct series_bucket *a, const struct series_bucket *b)
{
	a->count += b->count;
	a->throttled += b->throttled;
	a->errors += b->errors;
	for (size_t k = 0; k < 6; k++)
		a->by_class[k] += b->by_class[k];
	if (b->max_all_threads > a->max_all_threads)
		a->max_all_threads = b->max_all_threads;
	a->bytes += b->bytes;
	hist_merge(&a->elapsed_ok, &b->elapsed_ok);
	hist_merge(&a->elapsed_err, &b->elapsed_err);
}

static int64_t floor_div(int64_t a, int64_t b)
{
	int64_t q = a / b;
	return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

/* Series storage.  The used buckets b[0 .. n) sit at index `front` of an allocation of `cap`
 * buckets; slack buckets are uninitialised.  Growing past either end re-allocates at twice the
 * needed size with the used part centred, so appends at either end (JTL rows come in completion
 * order: starts go backwards a little, and forwards for the whole run) cost amortised O(1)
 * bucket copies instead of one copy of the whole series per new bucket. */

static void bucket_release(struct series_bucket *b)
{
	hist_free(&b->elapsed);
	hist_free(&b->elapsed_ok);
	hist_free(&b->elapsed_err);
}

void analysis_series_release(struct series *s)
{
	for (size_t i = 0; i < s->n; i++)
		bucket_release(&s->b[i]);
	if (s->b)
		free(s->b - s->front);
	s->b = NULL;
	s->n = s->front = s->cap = 0;
}

/* Make room for kf new buckets before b[0] and kb after b[n-1] (not initialised here). */
static void series_reserve(struct series *s, size_t kf, size_t kb)
{
	if (s->b && kf <= s->front && kb <= s->cap - s->front - s->n)
		return;
	size_t need, ncap, bytes;
	if (!size_add(s->n, kf, &need) || !size_add(need, kb, &need) || !size_mul(need, 2, &ncap) ||
	    !size_add(ncap, 16, &ncap) || !size_mul(ncap, sizeof *s->b, &bytes)) {
		fprintf(stderr, "jtlscope: out of memory (series size)\n");
		abort();
	}
	struct series_bucket *mem = xmalloc(bytes);
	size_t nfront = (ncap - need) / 2 + kf;
	if (s->n)
		memcpy(mem + nfront, s->b, s->n * sizeof *s->b);
	if (s->b)
		free(s->b - s->front);
	s->b = mem + nfront;
	s->front = nfront;
	s->cap = ncap;
}

/* Double the bucket width, merging pairs in place: new bucket j takes old buckets whose start
 * falls in it; j <= i for every old index i, so a forward pass never overwrites unread data. */
void analysis_series_coarsen(struct series *s)
{
	int64_t w = s->width_ms, nw = w * 2;
	int64_t nbase = floor_div(s->base_ms, nw) * nw;
	s->width_ms = nw;
	if (s->n == 0) {
		s->base_ms = nbase;
		return;
	}
	size_t shift = (size_t)((s->base_ms - nbase) / w); /* 0 or 1 */
	size_t nn = (s->n + shift + 1) / 2;
	for (size_t i = 0; i < s->n; i++) {
		size_t j = (i + shift) / 2;
		if (j == i)                         /* i <= shift: already where it belongs */
			continue;
		if ((i + shift) % 2 == 0) {
			s->b[j] = s->b[i];          /* first old bucket of new bucket j: move */
		} else {
			analysis_bucket_merge(&s->b[j], &s->b[i]);
			bucket_release(&s->b[i]);
		}
	}
	/* buckets [nn, n) were moved or merged: they become slack */
	s->n = nn;
	s->base_ms = nbase;
}

struct series_bucket *analysis_series_at(struct series *s, int64_t ts)
{
	for (;;) {
		int64_t w = s->width_ms;
		int64_t start = floor_div(ts, w) * w;
		if (s->n == 0) {
			series_reserve(s, 0, 1);
			analysis_bucket_init(&s->b[0]);
			s->n = 1;
			s->base_ms = start;
			return &s->b[0];
		}
		int64_t lo = s->base_ms, hi = s->base_ms + (int64_t)s->n * w;
		if (start >= lo && start < hi)
			return &s->b[(start - lo) / w];
		int64_t nlo = start < lo ? start : lo;
		int64_t nhi = start + w > hi ? start + w : hi;
		/* guard against absurd spans (hostile timestamps) before computing sizes */
		if ((nhi - nlo) / w > (int64_t)ANALYSIS_MAX_BUCKETS) {
			analysis_series_coarsen(s);
			continue;
		}
		size_t kf = (size_t)((lo - nlo) / w), kb = (size_t)((nhi - hi) / w);
		series_reserve(s, kf, kb);
		s->b -= kf;
		s->front -= kf;
		for (size_t i = 0; i < kf; i++)
			analysis_bucket_init(&s->b[i]);
		for (size_t i = 0; i < kb; i++)
			analysis_bucket_init(&s->b[kf + s->n + i]);
		s->n += kf + kb;
		s->base_ms = nlo;
		return &s->b[(start - s->base_ms) / w];
	}
}

/* h: hash_bytes(name, n), known already (struct sample's thread_hash) */
static size_t thread_slot_h(struct analysis *a, const char *name, size_t n, uint64_t h, bool *added)
{
	int fresh;
	size_t tid = strmap_intern_h(&a->thread_map, name, n, h, &fresh);
	*added = fresh != 0;
	if (fresh) {
		size_t c1 = a->threads_cap, c2 = a->threads_cap, c3 = a->threads_cap;
		void *v = a->thread_first;
		xgrow(&v, &c1, tid + 1, sizeof *a->thread_first);
		a->thread_first = v;
		v = a->thread_last;
		xgrow(&v, &c2, tid + 1, sizeof *a->thread_last);
		a->thread_last = v;
		v = a->thread_group;
		xgrow(&v, &c3, tid + 1, sizeof *a->thread_group);
		a->thread_group = v;
		a->threads_cap = c1;
		a->thread_first[tid] = INT64_MAX;
		a->thread_last[tid] = INT64_MIN;
		a->thread_group[tid] = 0;
	}
	return tid;
}

size_t analysis_thread_slot(struct analysis *a, const char *name, size_t n, bool *added)
{
	return thread_slot_h(a, name, n, hash_bytes(name, n), added);
}

/* --- error types (JMeter's Errors table) ------------------------------------------------- */

static bool has_text(struct strref r)
{
	return r.p && r.n;
}

/* Append at most ANALYSIS_ERROR_TYPE_MAX bytes of t to sb, numbers folded into "N" when fold
 * (a number: digits, with '.' or ',' between digits), cut at a UTF-8 character boundary. */
static void add_error_text(struct strbuf *sb, struct strref t, bool fold)
{
	size_t i = 0;
	while (i < t.n && sb->len < ANALYSIS_ERROR_TYPE_MAX) {
		unsigned char ch = (unsigned char)t.p[i];
		if (fold && ch >= '0' && ch <= '9') {
			while (i < t.n && ((t.p[i] >= '0' && t.p[i] <= '9') ||
					   ((t.p[i] == '.' || t.p[i] == ',') && i + 1 < t.n && t.p[i + 1] >= '0' &&
					    t.p[i + 1] <= '9')))
				i++;
			strbuf_addch(sb, 'N');
			continue;
		}
		size_t len = ch < 0x80 ? 1 : ch >= 0xf0 ? 4 : ch >= 0xe0 ? 3 : ch >= 0xc0 ? 2 : 1;
		if (len > t.n - i)
			len = t.n - i;
		if (sb->len + len > ANALYSIS_ERROR_TYPE_MAX)
			break;
		/* control characters (line breaks in messages) as blanks: one line per type */
		if (ch < 0x20 || ch == 0x7f)
			strbuf_addch(sb, ' ');
		else
			strbuf_add(sb, t.p + i, len);
		i += len;
	}
}

/* The type of a failed sample into sb (see struct error_type). */
static void error_type_of(struct strbuf *sb, const struct sample *s, bool fold)
{
	strbuf_reset(sb);
	int st = sample_status(s);
	bool code = has_text(s->code);
	if ((st >= 200 && st <= 399) || (!code && has_text(s->failure))) {
		if (has_text(s->failure))
			add_error_text(sb, s->failure, fold);
		else
			strbuf_addstr(sb, "Assertion failed");
		return;
	}
	if (code)
		add_error_text(sb, s->code, false);
	if (has_text(s->message)) {
		if (code)
			strbuf_addch(sb, '/');
		add_error_text(sb, s->message, fold);
	}
	if (!sb->len)
		strbuf_addstr(sb, "(no response code or message)");
}

void analysis_label_errors_add(struct stats *st, size_t type, uint64_t count)
{
	for (size_t i = 0; i < st->nerrs; i++)
		if (st->errs[i].type == type) {
			st->errs[i].count += count;
			return;
		}
	if (st->nerrs >= ANALYSIS_MAX_LABEL_ERRORS) {
		for (size_t i = 0; i < st->nerrs; i++)
			if (st->errs[i].type == SIZE_MAX) {
				st->errs[i].count += count;
				return;
			}
		/* the last slot becomes the label's catch-all (its own count moves into it) */
		st->errs[st->nerrs - 1].type = SIZE_MAX;
		st->errs[st->nerrs - 1].count += count;
		return;
	}
	void *v = st->errs;
	xgrow(&v, &st->errs_cap, st->nerrs + 1, sizeof *st->errs);
	st->errs = v;
	st->errs[st->nerrs++] = (struct label_error){ type, count };
}

size_t analysis_error_slot(struct analysis *a, const char *type, size_t n, const char *example,
			   size_t example_n, bool *folded)
{
	*folded = false;
	size_t id = strmap_find(&a->error_map, type, n);
	if (id != SIZE_MAX)
		return id;
	if (a->error_map.n + 1 >= ANALYSIS_MAX_ERROR_TYPES) { /* the last row is the fold */
		type = ANALYSIS_OTHER_ERRORS;
		n = sizeof ANALYSIS_OTHER_ERRORS - 1;
		example = "";
		example_n = 0;
		*folded = true;
	}
	int added;
	id = strmap_intern(&a->error_map, type, n, &added);
	if (added) {
		void *v = a->errors;
		xgrow(&v, &a->errors_cap, id + 1, sizeof *a->errors);
		a->errors = v;
		struct error_type *e = &a->errors[id];
		memset(e, 0, sizeof *e);
		e->type = xstrndup(type, n);
		e->example = xstrndup(example ? example : "", example ? example_n : 0);
		a->nerrors = id + 1;
	}
	return id;
}

static void count_error(struct analysis *a, struct stats *label, const struct sample *s, bool throttled)
{
	struct strbuf *k = &a->error_key;
	error_type_of(k, s, true);
	size_t id = strmap_find(&a->error_map, k->buf, k->len);
	if (id == SIZE_MAX) {
		error_type_of(&a->error_raw, s, false);
		bool folded;
		id = analysis_error_slot(a, k->buf, k->len, a->error_raw.buf, a->error_raw.len, &folded);
		if (folded)
			a->errors_folded++;
	}
	a->errors[id].count++;
	a->errors[id].throttled += throttled;
	analysis_label_errors_add(label, id, 1);
}

static int cmp_error_desc(const void *x, const void *y)
{
	const struct error_type *a = x, *b = y;
	if (a->count != b->count)
		return a->count < b->count ? 1 : -1;
	return strcmp(a->type, b->type);
}

static int cmp_label_error(const void *x, const void *y)
{
	const struct label_error *a = x, *b = y;
	if (a->count != b->count)
		return a->count < b->count ? 1 : -1;
	return a->type < b->type ? -1 : a->type > b->type;
}

/* Sort the types, renumber the per-label counts, and find the dominant non-throttle failure. */
static void errors_finish(struct analysis *a)
{
	size_t n = a->nerrors;
	if (!n)
		return;
	/* old id -> new position: sort an index, not the array, then permute */
	struct error_type *sorted = xmalloc(n * sizeof *sorted);
	memcpy(sorted, a->errors, n * sizeof *sorted);
	qsort(sorted, n, sizeof *sorted, cmp_error_desc);
	size_t *newpos = xmalloc(n * sizeof *newpos);
	for (size_t i = 0; i < n; i++)
		for (size_t j = 0; j < n; j++)
			if (sorted[j].type == a->errors[i].type) {  /* same pointer: unique */
				newpos[i] = j;
				break;
			}
	memcpy(a->errors, sorted, n * sizeof *sorted);
	free(sorted);
	for (size_t l = 0; l < a->nlabels; l++) {
		struct stats *st = &a->labels[l];
		for (size_t i = 0; i < st->nerrs; i++)
			if (st->errs[i].type != SIZE_MAX)
				st->errs[i].type = newpos[st->errs[i].type];
		if (st->nerrs > 1)
			qsort(st->errs, st->nerrs, sizeof *st->errs, cmp_label_error);
	}
	free(newpos);
	uint64_t best = 0;
	for (size_t i = 0; i < n; i++) {
		const struct error_type *e = &a->errors[i];
		uint64_t c = e->count - e->throttled;
		a->nonthrottle_failures += c;
		if (c > best && strcmp(e->type, ANALYSIS_OTHER_ERRORS) != 0) {
			best = c;
			a->dominant_failure = e;
		}
	}
	a->dominant_failure_count = best;
	a->dominant_failure_share = a->nonthrottle_failures ? (double)best / (double)a->nonthrottle_failures : 0.0;
}

/* --- add -------------------------------------------------------------------------------- */

bool analysis_add(struct analysis *a, const struct sample *s)
{
	bool throttled = a->throttle ? throttle_is_signal(a->throttle, s) : false;
	if (s->throttle_only) {
		/* a Transaction Controller's child: its parent is the statistics' sample */
		if (a->throttle)
			throttle_add_classified(a->throttle, s, throttled);
		return throttled;
	}

	/* label */
	struct strref lb = s->label.p ? s->label : (struct strref){ "", 0 };
	size_t id = a->last_label;
	if (id == SIZE_MAX || a->label_map.lens[id] != lb.n ||
	    memcmp(a->label_map.keys[id], lb.p, lb.n) != 0) {
		id = strmap_find_h(&a->label_map, lb.p, lb.n, sample_field_hash(lb, s->label_hash));
		if (id == SIZE_MAX) {
			if (a->label_map.n >= ANALYSIS_MAX_LABELS) {
				lb = (struct strref){ ANALYSIS_OTHER_LABEL, sizeof ANALYSIS_OTHER_LABEL - 1 };
				a->labels_folded++;
			}
			int added;
			id = strmap_intern(&a->label_map, lb.p, lb.n, &added);
			if (added) {
				void *v = a->labels;
				xgrow(&v, &a->labels_cap, id + 1, sizeof *a->labels);
				a->labels = v;
				analysis_stats_init(&a->labels[id], lb.p, lb.n);
				a->nlabels = id + 1;
			}
		} else if (strcmp(a->label_map.keys[id], ANALYSIS_OTHER_LABEL) == 0 &&
			   !strref_eq(lb, ANALYSIS_OTHER_LABEL)) {
			a->labels_folded++;
		}
		a->last_label = id;
	}
	stats_add(&a->labels[id], s, throttled);
	stats_apdex_add(&a->labels[id], s, &a->cfg);
	if (s->has & SH_TS)
		lseries_add(&a->lseries, id, a->label_map.keys[id], a->label_map.lens[id], s->ts_ms, s->elapsed_ms,
			    s->success);
	if (!s->success)
		count_error(a, &a->labels[id], s, throttled);

	/* response code */
	/* response code (a file without the column has no codes to count) */
	if (s->code.p) {
		size_t c = a->last_code;
		if (c != SIZE_MAX && a->code_map.lens[c] == s->code.n &&
		    memcmp(a->code_map.keys[c], s->code.p, s->code.n) == 0)
			a->codes[c].count++;
		else
			a->last_code = count_in(&a->code_map, &a->codes, &a->ncodes, &a->codes_cap,
						ANALYSIS_MAX_CODES, s->code.p, s->code.n);
	}

	/* thread group and thread spans */
	if (s->thread.p) {
		bool added;
		size_t tid = thread_slot_h(a, s->thread.p, s->thread.n,
					   sample_field_hash(s->thread, s->thread_hash), &added);
		if (added) {
			struct strref g = region_thread_group(s->thread);
			a->thread_group[tid] = count_in(&a->group_map, &a->groups, &a->ngroups, &a->groups_cap,
							ANALYSIS_MAX_GROUPS, g.p, g.n);
		} else {
			a->groups[a->thread_group[tid]].count++;
		}
		if (s->has & SH_TS) {
			int64_t end = s->ts_ms + (s->elapsed_ms > 0 ? s->elapsed_ms : 0);
			if (s->ts_ms < a->thread_first[tid])
				a->thread_first[tid] = s->ts_ms;
			if (end > a->thread_last[tid])
				a->thread_last[tid] = end;
		}
	}
	if ((s->has & SH_ALL_THREADS) && s->all_threads > a->max_all_threads)
		a->max_all_threads = s->all_threads;

	/* series */
	if (s->has & SH_TS) {
		struct series_bucket *b = analysis_series_at(&a->series, s->ts_ms);
		b->count++;
		b->throttled += throttled;
		b->errors += !s->success;
		int st = sample_status(s);
		b->by_class[st >= 100 && st <= 599 ? st / 100 : 0]++;
		if ((s->has & SH_ALL_THREADS) && s->all_threads > b->max_all_threads)
			b->max_all_threads = s->all_threads;
		if ((s->has & SH_BYTES) && s->bytes > 0)
			b->bytes += (uint64_t)s->bytes;
		int64_t el = s->elapsed_ms < 0 ? 0 : s->elapsed_ms;
		hist_add(s->success ? &b->elapsed_ok : &b->elapsed_err, el);
	} else {
		a->no_timestamp++;
	}

	if (s->conn_id && (s->has & SH_TS))
		analysis_add_segment(a, s->conn_id, s->ts_ms, s->ts_ms + (s->elapsed_ms > 0 ? s->elapsed_ms : 0),
				     throttled ? SEG_THROTTLED : s->success ? SEG_OK : SEG_ERROR);
	if (a->throttle)
		throttle_add_classified(a->throttle, s, throttled);
	return throttled;
}

void analysis_add_input(struct analysis *a, const struct input_info *info)
{
	a->inputs = xrealloc(a->inputs, (a->ninputs + 1) * sizeof *a->inputs);
	struct input_info *d = &a->inputs[a->ninputs++];
	*d = *info;
	d->path = xstrdup(info->path ? info->path : "");
	d->format = xstrdup(info->format ? info->format : "unknown");
	d->error = info->error ? xstrdup(info->error) : NULL;
	a->skipped += info->skipped;
}

void analysis_add_segment(struct analysis *a, uint64_t conn, int64_t start_ms, int64_t end_ms,
			  enum segment_outcome outcome)
{
	if (a->nsegments >= ANALYSIS_MAX_SEGMENTS) {
		a->segments_dropped++;
		return;
	}
	void *v = a->segments;
	xgrow(&v, &a->segments_cap, a->nsegments + 1, sizeof *a->segments);
	a->segments = v;
	a->segments[a->nsegments++] = (struct conn_segment){ conn, start_ms, end_ms, (uint8_t)outcome };
}

void analysis_add_capture(struct analysis *a, const struct capture_totals *t)
{
	struct capture_totals *c = &a->capture;
	c->inputs += t->inputs;
	c->packets += t->packets;
	c->connections += t->connections;
	c->exchanges += t->exchanges;
	c->websocket_frames += t->websocket_frames;
	c->tls_connections += t->tls_connections;
	c->retransmissions += t->retransmissions;
	c->incomplete += t->incomplete;
	c->websocket_exchanges += t->websocket_exchanges;
	c->websocket_pushes += t->websocket_pushes;
	c->tls_exchanges += t->tls_exchanges;
	c->tls_encrypted += t->tls_encrypted;
	c->tls_decrypted += t->tls_decrypted;
	c->tls_no_keys += t->tls_no_keys;
	c->tls_decrypt_failed += t->tls_decrypt_failed;
	c->segments += t->segments, c->reused_tuples += t->reused_tuples;
}

void analysis_add_capture_size(struct analysis *a, const char *size_class, uint64_t count)
{
	struct capture_totals *c = &a->capture;
	for (size_t i = 0; i < c->nsizes; i++) {
		if (strcmp(c->sizes[i].code, size_class) == 0) {
			c->sizes[i].count += count;
			return;
		}
	}
	c->sizes = xrealloc(c->sizes, (c->nsizes + 1) * sizeof *c->sizes);
	c->sizes[c->nsizes].code = xstrdup(size_class);
	c->sizes[c->nsizes].count = count;
	c->nsizes++;
}

void analysis_add_capture_code(struct analysis *a, int status, uint64_t count)
{
	char code[16];
	snprintf(code, sizeof code, "%d", status);
	struct capture_totals *c = &a->capture;
	for (size_t i = 0; i < c->ncodes; i++) {
		if (strcmp(c->codes[i].code, code) == 0) {
			c->codes[i].count += count;
			return;
		}
	}
	c->codes = xrealloc(c->codes, (c->ncodes + 1) * sizeof *c->codes);
	c->codes[c->ncodes].code = xstrdup(code);
	c->codes[c->ncodes].count = count;
	c->ncodes++;
}

/* --- finish ----------------------------------------------------------------------------- */

static int cmp_stats(const void *x, const void *y)
{
	return strcmp(((const struct stats *)x)->name, ((const struct stats *)y)->name);
}

static int cmp_code(const void *x, const void *y)
{
	return strcmp(((const struct code_count *)x)->code, ((const struct code_count *)y)->code);
}

/* Natural order: runs of digits compare by value, so connection "c2" comes before "c10" and
 * "Thread Group 9" before "Thread Group 10"; equal under that, plain strcmp (a total order). */
static int natcmp(const char *x, const char *y)
{
	const char *p = x, *q = y;
	while (*p && *q) {
		if (*p >= '0' && *p <= '9' && *q >= '0' && *q <= '9') {
			while (*p == '0')
				p++;
			while (*q == '0')
				q++;
			size_t i = 0, j = 0;
			while (p[i] >= '0' && p[i] <= '9')
				i++;
			while (q[j] >= '0' && q[j] <= '9')
				j++;
			if (i != j)
				return i < j ? -1 : 1;
			int c = strncmp(p, q, i);
			if (c)
				return c;
			p += i;
			q += j;
			continue;
		}
		if (*p != *q)
			return (unsigned char)*p < (unsigned char)*q ? -1 : 1;
		p++;
		q++;
	}
	if (*p || *q)
		return *p ? 1 : -1;
	return strcmp(x, y);
}

static int cmp_group(const void *x, const void *y)
{
	return natcmp(((const struct code_count *)x)->code, ((const struct code_count *)y)->code);
}

void analysis_finish(struct analysis *a)
{
	if (a->finished)
		return;
	a->finished = true;
	/* overall = sum of the labels; "all samples" histograms = ok + failed */
	for (size_t i = 0; i < a->nlabels; i++) {
		analysis_stats_merge(&a->overall, &a->labels[i]);
		stats_complete(&a->labels[i]);
	}
	stats_complete(&a->overall);
	/* elapsed = err + ok: the failure histogram's storage becomes elapsed (no third histogram
	 * per bucket); the sums are the same, as + is commutative */
	for (size_t i = 0; i < a->series.n; i++) {
		struct series_bucket *b = &a->series.b[i];
		hist_free(&b->elapsed);
		b->elapsed = b->elapsed_err;
		hist_init(&b->elapsed_err, HIST_COARSE);
		hist_merge(&b->elapsed, &b->elapsed_ok);
	}
	/* active threads per bucket from per-thread spans (difference array) */
	a->threads = a->thread_map.n;
	struct series *se = &a->series;
	if (se->n) {
		int64_t *diff = xcalloc(se->n + 1, sizeof *diff);
		for (size_t t = 0; t < a->thread_map.n; t++) {
			if (a->thread_first[t] == INT64_MAX)
				continue;
			int64_t f = floor_div(a->thread_first[t] - se->base_ms, se->width_ms);
			int64_t l = floor_div(a->thread_last[t] - se->base_ms, se->width_ms);
			if (f < 0)
				f = 0;
			if (l >= (int64_t)se->n)
				l = (int64_t)se->n - 1;
			if (l < f)
				continue;
			diff[f]++;
			diff[l + 1]--;
		}
		int64_t run = 0;
		for (size_t i = 0; i < se->n; i++) {
			run += diff[i];
			se->b[i].active_threads = (uint32_t)run;
		}
		free(diff);
	}
	/* sort for deterministic output; the maps are not used after this */
	if (a->nlabels)
		qsort(a->labels, a->nlabels, sizeof *a->labels, cmp_stats);
	if (a->ncodes)
		qsort(a->codes, a->ncodes, sizeof *a->codes, cmp_code);
	if (a->ngroups)
		qsort(a->groups, a->ngroups, sizeof *a->groups, cmp_group);
	if (a->capture.ncodes)
		qsort(a->capture.codes, a->capture.ncodes, sizeof *a->capture.codes, cmp_code);
	a->last_label = SIZE_MAX;
	lseries_finish(&a->lseries);
	errors_finish(a);
	if (a->throttle)
		throttle_finish(a->throttle);
}

void analysis_free(struct analysis *a)
{
	if (!a)
		return;
	stats_free(&a->overall);
	for (size_t i = 0; i < a->nlabels; i++)
		stats_free(&a->labels[i]);
	free(a->labels);
	for (size_t i = 0; i < a->ncodes; i++)
		free(a->codes[i].code);
	free(a->codes);
	for (size_t i = 0; i < a->ngroups; i++)
		free(a->groups[i].code);
	free(a->groups);
	for (size_t i = 0; i < a->capture.ncodes; i++)
		free(a->capture.codes[i].code);
	free(a->capture.codes);
	for (size_t i = 0; i < a->capture.nsizes; i++)
		free(a->capture.sizes[i].code);
	free(a->capture.sizes);
	free(a->segments);
	analysis_series_release(&a->series);
	lseries_free(&a->lseries);
	for (size_t i = 0; i < a->ninputs; i++) {
		free(a->inputs[i].path);
		free(a->inputs[i].format);
		free(a->inputs[i].error);
	}
	free(a->inputs);
	strmap_free(&a->label_map);
	strmap_free(&a->code_map);
	strmap_free(&a->group_map);
	strmap_free(&a->thread_map);
	strmap_free(&a->error_map);
	strbuf_release(&a->error_key);
	strbuf_release(&a->error_raw);
	for (size_t i = 0; i < a->nerrors; i++) {
		free(a->errors[i].type);
		free(a->errors[i].example);
	}
	free(a->errors);
	free(a->thread_first);
	free(a->thread_last);
	free(a->thread_group);
	if (a->throttle)
		throttle_free(a->throttle);
	free(a);
}

int64_t analysis_start_ms(const struct analysis *a)
{
	return a->overall.first_ts == INT64_MAX ? 0 : a->overall.first_ts;
}

int64_t analysis_end_ms(const struct analysis *a)
{
	return a->overall.last_end == INT64_MIN ? 0 : a->overall.last_end;
}

/* As JMeter's Aggregate Report: count over the set's own window (first start .. last end). */
double stats_throughput(const struct analysis *a, const struct stats *s)
{
	(void)a;
	if (s->first_ts == INT64_MAX)
		return 0.0;
	int64_t span = s->last_end - s->first_ts;
	if (span <= 0)
		return 0.0;
	return (double)s->count * 1000.0 / (double)span;
}

/* --- merging: folding another analysis' state in (summaries), and its building blocks -------- */

/* Label id for name in a, created empty when new; past ANALYSIS_MAX_LABELS the name is folded
 * into ANALYSIS_OTHER_LABEL (*folded set), as analysis_add does. */
static size_t label_slot(struct analysis *a, const char *name, bool *folded)
{
	size_t len = strlen(name);
	*folded = false;
	size_t id = strmap_find(&a->label_map, name, len);
	if (id != SIZE_MAX)
		return id;
	if (a->label_map.n >= ANALYSIS_MAX_LABELS) {
		name = ANALYSIS_OTHER_LABEL;
		len = strlen(name);
		*folded = true;
	}
	int added;
	id = strmap_intern(&a->label_map, name, len, &added);
	if (added) {
		void *v = a->labels;
		xgrow(&v, &a->labels_cap, id + 1, sizeof *a->labels);
		a->labels = v;
		analysis_stats_init(&a->labels[id], name, strlen(name));
		a->nlabels = id + 1;
	}
	return id;
}

/* Id of name in a counted table (codes, thread groups), created with count 0 when new; past
 * limit the name becomes "(other)", as analysis.c's count_in. */
static size_t count_slot(struct strmap *m, struct code_count **arr, size_t *n, size_t *cap,
			 size_t limit, const char *name)
{
	size_t len = strlen(name);
	size_t id = strmap_find(m, name, len);
	if (id != SIZE_MAX)
		return id;
	if (m->n >= limit) {
		name = "(other)";
		len = strlen(name);
	}
	int added;
	id = strmap_intern(m, name, len, &added);
	if (added) {
		void *v = *arr;
		xgrow(&v, cap, id + 1, sizeof **arr);
		*arr = v;
		(*arr)[id].code = xstrndup(name, len);
		(*arr)[id].count = 0;
		*n = id + 1;
	}
	return id;
}

static size_t thread_slot(struct analysis *a, const char *name, size_t group)
{
	bool added;
	size_t tid = analysis_thread_slot(a, name, strlen(name), &added);
	if (added)
		a->thread_group[tid] = group;
	return tid;
}

/* Fold series src into dst: the wider width wins, then the span is widened (doubling the width
 * while it needs more than ANALYSIS_MAX_BUCKETS buckets, as the analysis does).  dst grows and
 * coarsens in place (analysis_series_at), so folding many summaries costs the buckets they
 * hold, not one copy of dst per summary. */
static void series_fold(struct series *dst, const struct series *src)
{
	if (src->n == 0)
		return;
	while (dst->width_ms < src->width_ms)
		analysis_series_coarsen(dst);
	/* src's whole span, as the one pass over its samples had it (both ends), then the buckets */
	int64_t lo = src->base_ms, hi = src->base_ms + (int64_t)src->n * src->width_ms;
	analysis_series_at(dst, lo);
	analysis_series_at(dst, hi - 1);
	for (size_t i = 0; i < src->n; i++) {
		if (!src->b[i].count)
			continue;
		int64_t t = src->base_ms + (int64_t)i * src->width_ms;
		analysis_bucket_merge(analysis_series_at(dst, t), &src->b[i]);
	}
}

size_t analysis_merge_error_type(struct analysis *a, const char *type, const char *example,
				 uint64_t count, uint64_t throttled)
{
	bool folded;
	size_t id = analysis_error_slot(a, type, strlen(type), example, strlen(example), &folded);
	a->errors[id].count += count;
	a->errors[id].throttled += throttled;
	if (folded && strcmp(type, ANALYSIS_OTHER_ERRORS) != 0)
		a->errors_folded += count;
	return id;
}

struct stats *analysis_merge_label(struct analysis *a, const struct stats *s)
{
	bool folded;
	size_t id = label_slot(a, s->name, &folded);
	if (folded)
		a->labels_folded += s->count;
	analysis_stats_merge(&a->labels[id], s);
	return &a->labels[id];
}

size_t analysis_merge_code(struct analysis *a, const char *code, uint64_t count)
{
	size_t id = count_slot(&a->code_map, &a->codes, &a->ncodes, &a->codes_cap, ANALYSIS_MAX_CODES, code);
	a->codes[id].count += count;
	return id;
}

size_t analysis_merge_thread_group(struct analysis *a, const char *name, uint64_t count)
{
	size_t id = count_slot(&a->group_map, &a->groups, &a->ngroups, &a->groups_cap, ANALYSIS_MAX_GROUPS,
			       name);
	a->groups[id].count += count;
	return id;
}

void analysis_merge_thread(struct analysis *a, const char *name, size_t group, int64_t first,
			   int64_t last)
{
	size_t id = thread_slot(a, name, group);
	if (first < a->thread_first[id])
		a->thread_first[id] = first;
	if (last > a->thread_last[id])
		a->thread_last[id] = last;
}

void analysis_merge_counters(struct analysis *a, uint64_t labels_folded, uint64_t errors_folded,
			     uint64_t no_timestamp, int64_t max_all_threads)
{
	a->labels_folded += labels_folded;
	a->errors_folded += errors_folded;
	a->no_timestamp += no_timestamp;
	if (max_all_threads > a->max_all_threads)
		a->max_all_threads = max_all_threads;
}

void analysis_merge_series_span(struct analysis *a, int64_t width_ms, int64_t lo_ms, int64_t hi_ms)
{
	while (a->series.width_ms < width_ms)
		analysis_series_coarsen(&a->series);
	analysis_series_at(&a->series, lo_ms);
	analysis_series_at(&a->series, hi_ms);
}

void analysis_merge_bucket(struct analysis *a, int64_t ts, const struct series_bucket *b)
{
	analysis_bucket_merge(analysis_series_at(&a->series, ts), b);
}

void analysis_merge_throttle(struct analysis *a, struct throttle *t)
{
	throttle_free(a->throttle);
	a->throttle = t;
	if (t) {
		a->cfg.no_throttle = false;
		a->cfg.throttle.region_by = throttle_state_config(t)->region_by;
	}
}

int analysis_merge(struct analysis *dst, const struct analysis *src, char *err, size_t errlen)
{
	if (dst->finished || src->finished) {
		snprintf(err, errlen, "cannot merge a finished analysis");
		return -1;
	}
	if (dst->cfg.bucket_ms != src->cfg.bucket_ms) {
		snprintf(err, errlen, "bucket widths differ (%lld ms and %lld ms): summarise every part "
			 "with the same --bucket", (long long)dst->cfg.bucket_ms, (long long)src->cfg.bucket_ms);
		return -1;
	}
	/* the throttle state first: src's inputs are numbered after dst's (dst->ninputs) */
	if (dst->throttle && src->throttle) {
		if (throttle_merge(dst->throttle, src->throttle, (uint32_t)dst->ninputs, err, errlen) != 0)
			return -1;
	} else if (dst->throttle || src->throttle) {
		/* one side has no state (a summary of an older version): no throttle analysis */
		throttle_free(dst->throttle);
		dst->throttle = NULL;
	}
	/* error rows: src row -> dst row */
	size_t *emap = xcalloc(src->nerrors ? src->nerrors : 1, sizeof *emap);
	for (size_t i = 0; i < src->nerrors; i++) {
		const struct error_type *e = &src->errors[i];
		emap[i] = analysis_merge_error_type(dst, e->type, e->example, e->count, e->throttled);
	}
	dst->errors_folded += src->errors_folded;
	for (size_t i = 0; i < src->nlabels; i++) {
		struct stats *dl = analysis_merge_label(dst, &src->labels[i]);
		const struct stats *sl = &src->labels[i];
		for (size_t k = 0; k < sl->nerrs; k++)
			analysis_label_errors_add(dl, sl->errs[k].type < src->nerrors ? emap[sl->errs[k].type] : SIZE_MAX,
						  sl->errs[k].count);
	}
	free(emap);
	lseries_merge(&dst->lseries, &src->lseries);
	dst->labels_folded += src->labels_folded;
	for (size_t i = 0; i < src->ncodes; i++) {
		analysis_merge_code(dst, src->codes[i].code, src->codes[i].count);
	}
	/* thread groups: src group id -> dst group id */
	size_t *gmap = xcalloc(src->ngroups ? src->ngroups : 1, sizeof *gmap);
	for (size_t i = 0; i < src->ngroups; i++) {
		gmap[i] = analysis_merge_thread_group(dst, src->groups[i].code, src->groups[i].count);
	}
	for (size_t t = 0; t < src->thread_map.n; t++) {
		size_t g = src->thread_group[t] < src->ngroups ? gmap[src->thread_group[t]] : 0;
		analysis_merge_thread(dst, strmap_key(&src->thread_map, t), g, src->thread_first[t],
				      src->thread_last[t]);
	}
	free(gmap);
	if (src->max_all_threads > dst->max_all_threads)
		dst->max_all_threads = src->max_all_threads;
	dst->no_timestamp += src->no_timestamp;
	series_fold(&dst->series, &src->series);
	for (size_t i = 0; i < src->ninputs; i++)
		analysis_add_input(dst, &src->inputs[i]);
	return 0;
}

