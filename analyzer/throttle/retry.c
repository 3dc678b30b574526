/* throttle/retry.c - Retry-After compliance per key, and the evidence response headers give
 * about the limiter (waits counting down to common instants, declared limits and windows).
 *
 * Compliance: a throttled answer with Retry-After N arrives at ts + elapsed; the same key (thread
 * or connection, in the same group) should not start another request before arrival + N.  The
 * next start is the earliest later start seen for that key, whatever the input order, so a
 * bounded ring of pending answers per key is kept; a pending answer is judged when the ring is
 * full (the oldest) or at the end. */
#include "analyzer/throttle/internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static void add_instant(struct retry_acc *a, int64_t instant_ms, int64_t arrival_ms)
{
	if (instant_ms <= 0 || arrival_ms <= 0)
		return;
	uint64_t rs = (uint64_t)(instant_ms / 1000), as = (uint64_t)(arrival_ms / 1000);
	uint64_t *c = imap_get(&a->reset_sec, rs);
	if (!c) {
		if (a->reset_sec.n >= RESET_MAP_MAX) {
			a->reset_overflow = true;
			return;
		}
		c = imap_put(&a->reset_sec, rs, 0);
	}
	(*c)++;
	uint64_t *d = imap_get(&a->arrival_sec, as);
	if (!d) {
		if (a->arrival_sec.n >= RESET_MAP_MAX) {
			a->reset_overflow = true;
			return;
		}
		d = imap_put(&a->arrival_sec, as, 0);
	}
	(*d)++;
	a->reset_n++;
}

static void add_value(struct retry_acc *a, double v, uint64_t count)
{
	double r = round(v * 10.0) / 10.0;
	for (size_t i = 0; i < a->nvalues; i++) {
		if (a->values[i].value_s == r) {
			a->values[i].count += count;
			return;
		}
	}
	if (a->nvalues < THROTTLE_RA_VALUES) {
		a->values[a->nvalues].value_s = r;
		a->values[a->nvalues].count = count;
		a->nvalues++;
	} else {
		a->values_other += count;
	}
}

static void add_limit(struct retry_acc *a, int64_t v, uint64_t count)
{
	for (size_t i = 0; i < ARRAY_LEN(a->limits); i++) {
		if (a->limits[i].count && a->limits[i].v == v) {
			a->limits[i].count += count;
			return;
		}
		if (!a->limits[i].count) {
			a->limits[i].v = v;
			a->limits[i].count = count;
			return;
		}
	}
}

static void add_window(struct retry_acc *a, double v, uint64_t count)
{
	for (size_t i = 0; i < ARRAY_LEN(a->windows); i++) {
		if (a->windows[i].count && a->windows[i].v == v) {
			a->windows[i].count += count;
			return;
		}
		if (!a->windows[i].count) {
			a->windows[i].v = v;
			a->windows[i].count = count;
			return;
		}
	}
}

static void judge(struct retry_acc *a, const struct retry_pending *p)
{
	if (p->next == INT64_MAX) {
		a->no_retry++;
		return;
	}
	if (p->next + RETRY_TOLERANCE_MS < p->deadline) {
		a->violated++;
		hist_add(&a->early, p->deadline - p->next);
		hist_add(&a->waited, p->next > p->arrival ? p->next - p->arrival : 0);
		return;
	}
	a->honoured++;
	int64_t wait = p->deadline - p->arrival;
	int64_t slack = wait / 10 > 1000 ? wait / 10 : 1000;
	if (p->next - p->deadline <= slack)
		a->at_deadline++;
}

void retry_on_sample(struct throttle *t, struct tkey *k, struct tgroup *g,
		     const struct sample *s, bool thr, int64_t el)
{
	(void)t;
	int64_t ts = s->ts_ms;
	for (unsigned i = 0; i < k->npend; i++) {
		struct retry_pending *p = &k->pend[i];
		if (ts >= p->arrival && ts < p->next)
			p->next = ts;
	}
	const struct ratelimit *rl = &s->rl;
	struct retry_acc *a = &g->ra;
	int64_t arrival = ts + el;
	if ((rl->flags & RL_LIMIT) && rl->limit > 0)
		add_limit(a, rl->limit, 1);
	if ((rl->flags & RL_WINDOW) && rl->window_s > 0)
		add_window(a, rl->window_s, 1);
	if (thr && (rl->flags & RL_RETRY_AFTER) && rl->retry_after_s >= 0 &&
	    rl->retry_after_s < 1e7) {
		double ra = rl->retry_after_s;
		if (a->seen == 0 || ra < a->ra_min)
			a->ra_min = ra;
		if (a->seen == 0 || ra > a->ra_max)
			a->ra_max = ra;
		a->seen++;
		add_value(a, ra, 1);
		int64_t wait_ms = (int64_t)llround(ra * 1000.0);
		add_instant(a, arrival + wait_ms, arrival);
		if (k->npend == RETRY_PENDING) {
			judge(a, &k->pend[0]);
			memmove(&k->pend[0], &k->pend[1], (RETRY_PENDING - 1) * sizeof k->pend[0]);
			k->npend--;
		}
		k->pend[k->npend++] = (struct retry_pending){
			.arrival = arrival, .deadline = arrival + wait_ms, .next = INT64_MAX
		};
	} else if ((rl->flags & RL_RESET) && rl->reset_s >= 0 && rl->reset_s < 1e7) {
		add_instant(a, arrival + (int64_t)llround(rl->reset_s * 1000.0), arrival);
	}
}

void retry_finalize_key(struct tkey *k, struct tgroup *g)
{
	for (unsigned i = 0; i < k->npend; i++)
		judge(&g->ra, &k->pend[i]);
	k->npend = 0;
}

static void merge_map(struct imap *dst, const struct imap *src, bool *overflow)
{
	for (size_t i = 0; i < src->cap; i++) {
		if (!src->keys[i])
			continue;
		uint64_t *c = imap_get(dst, src->keys[i]);
		if (!c) {
			if (dst->n >= RESET_MAP_MAX) {
				*overflow = true;
				continue;
			}
			c = imap_put(dst, src->keys[i], 0);
		}
		*c += src->vals[i];
	}
}

void retry_acc_merge(struct retry_acc *d, const struct retry_acc *s)
{
	if (s->seen) {
		if (d->seen == 0 || s->ra_min < d->ra_min)
			d->ra_min = s->ra_min;
		if (d->seen == 0 || s->ra_max > d->ra_max)
			d->ra_max = s->ra_max;
	}
	d->seen += s->seen;
	d->honoured += s->honoured;
	d->violated += s->violated;
	d->no_retry += s->no_retry;
	d->at_deadline += s->at_deadline;
	hist_merge(&d->early, &s->early);
	hist_merge(&d->waited, &s->waited);
	for (size_t i = 0; i < s->nvalues; i++)
		add_value(d, s->values[i].value_s, s->values[i].count);
	d->values_other += s->values_other;
	merge_map(&d->reset_sec, &s->reset_sec, &d->reset_overflow);
	merge_map(&d->arrival_sec, &s->arrival_sec, &d->reset_overflow);
	d->reset_n += s->reset_n;
	d->reset_overflow = d->reset_overflow || s->reset_overflow;
	for (size_t i = 0; i < ARRAY_LEN(s->limits); i++) {
		if (s->limits[i].count)
			add_limit(d, s->limits[i].v, s->limits[i].count);
	}
	for (size_t i = 0; i < ARRAY_LEN(s->windows); i++) {
		if (s->windows[i].count)
			add_window(d, s->windows[i].v, s->windows[i].count);
	}
}

void retry_acc_release(struct retry_acc *a)
{
	hist_free(&a->early);
	hist_free(&a->waited);
	imap_release(&a->reset_sec);
	imap_release(&a->arrival_sec);
}

static int cmp_value(const void *x, const void *y)
{
	double a = *(const double *)x, b = *(const double *)y;
	return (a > b) - (a < b);
}

void retry_result(const struct retry_acc *a, struct throttle_retry *out)
{
	memset(out, 0, sizeof *out);
	out->seen = a->seen;
	out->honoured = a->honoured;
	out->violated = a->violated;
	out->no_retry = a->no_retry;
	out->at_deadline = a->at_deadline;
	out->median_early_s = a->early.count ? (double)hist_quantile(&a->early, 0.5) / 1000.0 : -1;
	out->median_wait_s = a->waited.count ? (double)hist_quantile(&a->waited, 0.5) / 1000.0 : -1;
	out->nvalues = a->nvalues;
	for (size_t i = 0; i < a->nvalues; i++) {
		out->values[i].value_s = a->values[i].value_s;
		out->values[i].count = a->values[i].count;
	}
	/* value_s is the first member: sort the pairs by value */
	qsort(out->values, out->nvalues, sizeof out->values[0], cmp_value);
	out->values_other = a->values_other;
}

struct sec_count {
	uint64_t sec, count;
};

static int cmp_sec(const void *x, const void *y)
{
	const struct sec_count *a = x, *b = y;
	return (a->sec > b->sec) - (a->sec < b->sec);
}

static int cmp_u64(const void *x, const void *y)
{
	uint64_t a = *(const uint64_t *)x, b = *(const uint64_t *)y;
	return (a > b) - (a < b);
}

bool retry_countdown(const struct retry_acc *a, double *window_s, int64_t *phase_ms)
{
	/* Waits that count down to a shared window end put (arrival + wait) on a few instants;
	 * waits of a constant length spread them like the arrivals. */
	if (a->reset_n < 10 || a->reset_overflow || a->reset_sec.n == 0)
		return false;
	size_t n = a->reset_sec.n;
	struct sec_count *v = xmalloc(n * sizeof *v);
	size_t k = 0;
	for (size_t i = 0; i < a->reset_sec.cap; i++) {
		if (a->reset_sec.keys[i])
			v[k++] = (struct sec_count){ a->reset_sec.keys[i], a->reset_sec.vals[i] };
	}
	qsort(v, k, sizeof *v, cmp_sec);
	uint64_t *starts = xmalloc(k * sizeof *starts);
	size_t nclusters = 0;
	uint64_t in_clusters = 0;
	for (size_t i = 0; i < k;) {
		size_t j = i;
		uint64_t c = v[i].count;
		while (j + 1 < k && v[j + 1].sec == v[j].sec + 1) {
			j++;
			c += v[j].count;
		}
		if (v[j].sec - v[i].sec <= 1) { /* one instant, cut by a second boundary at most */
			starts[nclusters++] = v[i].sec;
			in_clusters += c;
		}
		i = j + 1;
	}
	bool ok = nclusters >= 1 && (double)in_clusters >= 0.8 * (double)a->reset_n &&
		  (double)nclusters <= 0.5 * (double)a->arrival_sec.n;
	if (ok) {
		double w = 0;
		if (nclusters >= 2) {
			uint64_t *d = xmalloc((nclusters - 1) * sizeof *d);
			for (size_t i = 0; i + 1 < nclusters; i++)
				d[i] = starts[i + 1] - starts[i];
			qsort(d, nclusters - 1, sizeof *d, cmp_u64);
			/* most frequent spacing (consecutive windows), ties to the shorter */
			uint64_t best = d[0];
			size_t bestc = 0;
			for (size_t i = 0; i < nclusters - 1;) {
				size_t j = i;
				while (j < nclusters - 1 && d[j] == d[i])
					j++;
				if (j - i > bestc) {
					bestc = j - i;
					best = d[i];
				}
				i = j;
			}
			free(d);
			w = (double)best;
		} else {
			w = ceil(a->ra_max);
		}
		ok = w >= 1;
		*window_s = w;
		*phase_ms = (int64_t)starts[0] * 1000;
	}
	free(starts);
	free(v);
	return ok;
}

int64_t retry_declared_limit(const struct retry_acc *a)
{
	int64_t v = 0;
	uint64_t c = 0;
	for (size_t i = 0; i < ARRAY_LEN(a->limits); i++) {
		if (a->limits[i].count > c) {
			c = a->limits[i].count;
			v = a->limits[i].v;
		}
	}
	return v;
}

double retry_declared_window(const struct retry_acc *a)
{
	double v = 0;
	uint64_t c = 0;
	for (size_t i = 0; i < ARRAY_LEN(a->windows); i++) {
		if (a->windows[i].count > c) {
			c = a->windows[i].count;
			v = a->windows[i].v;
		}
	}
	return v;
}
