/* label_series.c - see label_series.h. */
#include "analyzer/label_series.h"

#include <stdlib.h>
#include <string.h>

#include "common/util.h"

/* Timestamps farther from the epoch than this (about year 37000) are not charted: it keeps
 * every span and width computation far from int64 overflow. */
#define LSERIES_MAX_ABS_TS ((int64_t)1 << 50)

static int64_t fdiv(int64_t a, int64_t b)
{
	int64_t q = a / b;
	return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

void lseries_init(struct lseries_set *s, int64_t width_ms)
{
	memset(s, 0, sizeof *s);
	s->width_ms = width_ms > 0 ? width_ms : 1000;
}

void lseries_free(struct lseries_set *s)
{
	for (size_t i = 0; i < s->nlab; i++) {
		free(s->lab[i].name);
		free(s->lab[i].b);
	}
	free(s->slot_of);
	memset(s, 0, sizeof *s);
}

/* Re-bucket every label onto a grid covering [lo, hi) with at most LSERIES_MAX_BUCKETS
 * buckets.  The width only doubles and bases are multiples of the width, so an old bucket
 * always falls inside one new bucket. */
static void regrid(struct lseries_set *s, int64_t lo, int64_t hi)
{
	int64_t w = s->width_ms, base;
	size_t need;
	for (;;) {
		base = fdiv(lo, w) * w;
		int64_t nb = fdiv(hi - base + w - 1, w);
		if (nb <= LSERIES_MAX_BUCKETS) {
			need = (size_t)nb;
			break;
		}
		w *= 2;
	}
	size_t cap = need * 2 < 16 ? 16 : need * 2;
	if (cap > LSERIES_MAX_BUCKETS)
		cap = LSERIES_MAX_BUCKETS;
	if (cap < need)
		cap = need;
	for (size_t l = 0; l < s->nlab; l++) {
		struct lseries_bucket *nb = xcalloc(cap, sizeof *nb);
		for (size_t i = 0; i < s->n && s->lab[l].b; i++) {
			const struct lseries_bucket *o = &s->lab[l].b[i];
			if (!o->count)
				continue;
			int64_t j = fdiv(s->base_ms + (int64_t)i * s->width_ms - base, w);
			nb[j].count += o->count;
			nb[j].errors += o->errors;
			nb[j].sum_ms += o->sum_ms;
		}
		free(s->lab[l].b);
		s->lab[l].b = nb;
	}
	s->base_ms = base;
	s->width_ms = w;
	s->n = need;
	s->cap = cap;
}

/* Index of the bucket holding ts, the grid grown (or coarsened) to hold it. */
static size_t bucket_index(struct lseries_set *s, int64_t ts)
{
	if (s->n == 0) {
		regrid(s, ts, ts + 1);
		return 0;
	}
	int64_t idx = fdiv(ts - s->base_ms, s->width_ms);
	if (idx >= 0 && (size_t)idx < s->n)
		return (size_t)idx;
	if (idx >= 0 && (size_t)idx < s->cap) {
		s->n = (size_t)idx + 1;
		return (size_t)idx;
	}
	int64_t end = s->base_ms + (int64_t)s->n * s->width_ms;
	regrid(s, ts < s->base_ms ? ts : s->base_ms, ts + 1 > end ? ts + 1 : end);
	return (size_t)fdiv(ts - s->base_ms, s->width_ms);
}

static size_t new_slot(struct lseries_set *s, const char *name, size_t n)
{
	size_t k = s->nlab++;
	s->lab[k].name = xstrndup(name, n);
	s->lab[k].count = 0;
	s->lab[k].b = s->cap ? xcalloc(s->cap, sizeof *s->lab[k].b) : NULL;
	return k;
}

static void add_at(struct lseries_set *s, size_t slot, int64_t ts, uint64_t count, uint64_t errors,
		   double sum_ms)
{
	size_t i = bucket_index(s, ts);
	struct lseries_bucket *b = &s->lab[slot].b[i];
	b->count += count;
	b->errors += errors;
	b->sum_ms += sum_ms;
	s->lab[slot].count += count;
}

void lseries_add(struct lseries_set *s, size_t label_id, const char *name, size_t name_n, int64_t ts,
		 int64_t elapsed_ms, bool success)
{
	if (ts > LSERIES_MAX_ABS_TS || ts < -LSERIES_MAX_ABS_TS)
		return;
	if (label_id >= s->slot_cap) {
		size_t old = s->slot_cap;
		void *v = s->slot_of;
		xgrow(&v, &s->slot_cap, label_id + 1, sizeof *s->slot_of);
		s->slot_of = v;
		memset(s->slot_of + old, 0, (s->slot_cap - old) * sizeof *s->slot_of);
	}
	size_t slot = s->slot_of[label_id];
	if (slot == 0) {
		if (s->nlab < LSERIES_MAX_LABELS) {
			slot = new_slot(s, name, name_n) + 1;
		} else {
			slot = SIZE_MAX;
			s->untracked_labels++;
		}
		s->slot_of[label_id] = slot;
	}
	if (slot == SIZE_MAX) {
		s->untracked++;
		return;
	}
	add_at(s, slot - 1, ts, 1, success ? 0 : 1, (double)(elapsed_ms < 0 ? 0 : elapsed_ms));
}

void lseries_add_bucket(struct lseries_set *s, const char *name, int64_t ts, uint64_t count,
			uint64_t errors, double sum_ms)
{
	if (!count || ts > LSERIES_MAX_ABS_TS || ts < -LSERIES_MAX_ABS_TS)
		return;
	size_t slot = SIZE_MAX;
	for (size_t k = 0; k < s->nlab; k++)
		if (strcmp(s->lab[k].name, name) == 0)
			slot = k;
	if (slot == SIZE_MAX) {
		if (s->nlab >= LSERIES_MAX_LABELS) {
			s->untracked += count;
			return;
		}
		slot = new_slot(s, name, strlen(name));
	}
	add_at(s, slot, ts, count, errors > count ? count : errors, sum_ms);
}

void lseries_merge(struct lseries_set *a, const struct lseries_set *b)
{
	a->untracked += b->untracked;
	a->untracked_labels += b->untracked_labels;
	for (size_t l = 0; l < b->nlab; l++) {
		const struct lseries_label *L = &b->lab[l];
		size_t slot = SIZE_MAX;
		for (size_t k = 0; k < a->nlab; k++)
			if (strcmp(a->lab[k].name, L->name) == 0)
				slot = k;
		if (slot == SIZE_MAX) {
			if (a->nlab >= LSERIES_MAX_LABELS) {
				a->untracked += L->count;
				a->untracked_labels++;
				continue;
			}
			slot = new_slot(a, L->name, strlen(L->name));
		}
		for (size_t i = 0; i < b->n && L->b; i++)
			if (L->b[i].count)
				add_at(a, slot, b->base_ms + (int64_t)i * b->width_ms, L->b[i].count, L->b[i].errors,
				       L->b[i].sum_ms);
	}
}

static int cmp_busiest(const void *x, const void *y)
{
	const struct lseries_label *a = x, *b = y;
	if (a->count != b->count)
		return a->count < b->count ? 1 : -1;
	return strcmp(a->name, b->name);
}

void lseries_finish(struct lseries_set *s)
{
	if (s->nlab > 1)
		qsort(s->lab, s->nlab, sizeof *s->lab, cmp_busiest);
	free(s->slot_of);
	s->slot_of = NULL;
	s->slot_cap = 0;
}
