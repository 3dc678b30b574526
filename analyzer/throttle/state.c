/* throttle/state.c - the unfinished throttle analysis as bytes, and the merge of two of them
 * (state.h).  Nothing here changes how the analysis decides: it moves its accumulators. */
#include "analyzer/throttle/state.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "analyzer/region.h"
#include "analyzer/throttle/internal.h"
#include "analyzer/throttle/replay_int.h"

#define STATE_MAGIC "JTST"
#define STATE_MAX_DEPTH 3          /* analysis -> Transaction Controller -> shadow */
#define STATE_MAX_MS (1LL << 50)   /* epoch ms beyond year 37000: not a timestamp */

/* ---- writer ----------------------------------------------------------------------------- */

static void w_u64(struct strbuf *b, uint64_t v)
{
	unsigned char t[10];
	size_t n = 0;
	do {
		unsigned char c = (unsigned char)(v & 0x7f);
		v >>= 7;
		t[n++] = (unsigned char)(c | (v ? 0x80 : 0));
	} while (v);
	strbuf_add(b, t, n);
}

static void w_i64(struct strbuf *b, int64_t v)
{
	w_u64(b, ((uint64_t)v << 1) ^ (uint64_t)(v >> 63));
}

static void w_f64(struct strbuf *b, double d)
{
	uint64_t u;
	memcpy(&u, &d, sizeof u);
	unsigned char t[8];
	for (int i = 0; i < 8; i++)
		t[i] = (unsigned char)(u >> (8 * i));
	strbuf_add(b, t, 8);
}

static void w_f32(struct strbuf *b, float f)
{
	uint32_t u;
	memcpy(&u, &f, sizeof u);
	w_u64(b, u);
}

static void w_str(struct strbuf *b, const char *p, size_t n)
{
	w_u64(b, n);
	if (n)
		strbuf_add(b, p, n);
}

/* ---- reader ----------------------------------------------------------------------------- */

struct rd {
	const unsigned char *p, *end;
	bool bad;
	const char *what;   /* first failure */
};

static bool rd_fail(struct rd *r, const char *what)
{
	if (!r->bad)
		r->what = what;
	r->bad = true;
	r->p = r->end;
	return false;
}

static uint64_t r_u64(struct rd *r)
{
	uint64_t v = 0;
	for (unsigned sh = 0; sh < 64; sh += 7) {
		if (r->p >= r->end) {
			rd_fail(r, "cut short");
			return 0;
		}
		unsigned char c = *r->p++;
		v |= (uint64_t)(c & 0x7f) << sh;
		if (!(c & 0x80))
			return v;
	}
	rd_fail(r, "bad number");
	return 0;
}

static int64_t r_i64(struct rd *r)
{
	uint64_t u = r_u64(r);
	return (int64_t)(u >> 1) ^ -(int64_t)(u & 1);
}

/* An unsigned value in [0, max]. */
static uint64_t r_max(struct rd *r, uint64_t max, const char *what)
{
	uint64_t v = r_u64(r);
	if (v > max)
		rd_fail(r, what);
	return r->bad ? 0 : v;
}

/* A time in [0, STATE_MAX_MS], or one of the sentinels an empty record holds. */
static int64_t r_time(struct rd *r, int64_t sentinel)
{
	int64_t v = r_i64(r);
	if (v != sentinel && (v < 0 || v > STATE_MAX_MS))
		rd_fail(r, "time out of range");
	return r->bad ? 0 : v;
}

static double r_f64(struct rd *r)
{
	if ((size_t)(r->end - r->p) < 8) {
		rd_fail(r, "cut short");
		return 0;
	}
	uint64_t u = 0;
	for (int i = 0; i < 8; i++)
		u |= (uint64_t)r->p[i] << (8 * i);
	r->p += 8;
	double d;
	memcpy(&d, &u, sizeof d);
	return d;
}

static float r_f32(struct rd *r)
{
	uint32_t u = (uint32_t)r_max(r, UINT32_MAX, "bad float");
	float f;
	memcpy(&f, &u, sizeof f);
	return f;
}

/* A string: pointer into the buffer (not NUL-terminated) and length. */
static const char *r_str(struct rd *r, size_t *n)
{
	uint64_t len = r_u64(r);
	if (r->bad || len > (uint64_t)(r->end - r->p)) {
		rd_fail(r, "bad string length");
		*n = 0;
		return "";
	}
	const char *s = (const char *)r->p;
	r->p += len;
	*n = (size_t)len;
	return s;
}

/* A count of elements, each at least one byte long. */
static size_t r_count(struct rd *r, uint64_t max, const char *what)
{
	uint64_t v = r_u64(r);
	if (v > max || v > (uint64_t)(r->end - r->p))
		rd_fail(r, what);
	return r->bad ? 0 : (size_t)v;
}

/* ---- histograms and maps ---------------------------------------------------------------- */

static void w_thist(struct strbuf *b, const struct thist *h)
{
	w_u64(b, h->n);
	if (!h->n)
		return;
	w_f64(b, h->sum);
	size_t nz = 0;
	for (size_t i = 0; i < THIST_BINS; i++)
		nz += h->c[i] != 0;
	w_u64(b, nz);
	for (size_t i = 0, last = 0; i < THIST_BINS; i++) {
		if (!h->c[i])
			continue;
		w_u64(b, i - last);
		w_u64(b, h->c[i]);
		last = i;
	}
}

static void r_thist(struct rd *r, struct thist *h)
{
	memset(h, 0, sizeof *h);
	h->n = r_u64(r);
	if (!h->n)
		return;
	h->sum = r_f64(r);
	size_t nz = r_count(r, THIST_BINS, "histogram bins");
	uint64_t tot = 0;
	for (size_t k = 0, i = 0; k < nz && !r->bad; k++) {
		i += (size_t)r_max(r, THIST_BINS, "histogram bin");
		if (i >= THIST_BINS) {
			rd_fail(r, "histogram bin");
			break;
		}
		h->c[i] = (uint32_t)r_max(r, UINT32_MAX, "histogram count");
		tot += h->c[i];
	}
	if (!r->bad && tot != h->n)
		rd_fail(r, "histogram total");
}

static void w_hist(struct strbuf *b, const struct hist *h)
{
	w_u64(b, h->count);
	if (!h->count)
		return;
	w_u64(b, h->sub_bits);
	w_i64(b, h->min);
	w_i64(b, h->max);
	w_f64(b, h->sum);
	w_u64(b, h->n);
	for (uint32_t i = 0; i < h->n; i++)
		w_u64(b, h->c[i]);
}

static void r_hist(struct rd *r, struct hist *h)
{
	memset(h, 0, sizeof *h);
	h->count = r_u64(r);
	if (!h->count || r->bad)
		return;
	h->sub_bits = (uint8_t)r_max(r, HIST_FINE, "histogram precision");
	h->min = r_i64(r);
	h->max = r_i64(r);
	h->sum = r_f64(r);
	if (r->bad || h->sub_bits != HIST_FINE || h->min < 0 || h->max < h->min || h->max > STATE_MAX_MS)
		{ rd_fail(r, "histogram range"); return; }
	size_t n = r_count(r, (uint64_t)hist_index(h->sub_bits, h->max) + 1, "histogram size");
	if (r->bad || n == 0)
		{ rd_fail(r, "histogram size"); return; }
	h->c = xcalloc(n, sizeof *h->c);
	h->n = (uint32_t)n;
	uint64_t tot = 0;
	for (size_t i = 0; i < n && !r->bad; i++) {
		h->c[i] = r_u64(r);
		tot += h->c[i];
	}
	if (!r->bad && tot != h->count)
		rd_fail(r, "histogram total");
}

static void w_imap(struct strbuf *b, const struct imap *m)
{
	w_u64(b, m->n);
	for (size_t i = 0; i < m->cap; i++) {
		if (!m->keys[i])
			continue;
		w_u64(b, m->keys[i]);
		w_u64(b, m->vals[i]);
	}
}

static void r_imap(struct rd *r, struct imap *m)
{
	size_t n = r_count(r, RESET_MAP_MAX, "instant map size");
	for (size_t i = 0; i < n && !r->bad; i++) {
		uint64_t k = r_u64(r), v = r_u64(r);
		if (!k || imap_get(m, k))
			{ rd_fail(r, "instant map key"); return; }
		imap_put(m, k, v);
	}
}

static void w_retry(struct strbuf *b, const struct retry_acc *a)
{
	w_u64(b, a->seen);
	w_u64(b, a->honoured);
	w_u64(b, a->violated);
	w_u64(b, a->no_retry);
	w_u64(b, a->at_deadline);
	w_hist(b, &a->early);
	w_hist(b, &a->waited);
	w_u64(b, a->nvalues);
	for (size_t i = 0; i < a->nvalues; i++) {
		w_f64(b, a->values[i].value_s);
		w_u64(b, a->values[i].count);
	}
	w_u64(b, a->values_other);
	w_imap(b, &a->reset_sec);
	w_imap(b, &a->arrival_sec);
	w_u64(b, a->reset_n);
	w_u64(b, a->reset_overflow);
	w_f64(b, a->ra_min);
	w_f64(b, a->ra_max);
	for (size_t i = 0; i < ARRAY_LEN(a->limits); i++) {
		w_i64(b, a->limits[i].v);
		w_u64(b, a->limits[i].count);
	}
	for (size_t i = 0; i < ARRAY_LEN(a->windows); i++) {
		w_f64(b, a->windows[i].v);
		w_u64(b, a->windows[i].count);
	}
}

static void r_retry(struct rd *r, struct retry_acc *a)
{
	a->seen = r_u64(r);
	a->honoured = r_u64(r);
	a->violated = r_u64(r);
	a->no_retry = r_u64(r);
	a->at_deadline = r_u64(r);
	r_hist(r, &a->early);
	r_hist(r, &a->waited);
	a->nvalues = (size_t)r_max(r, THROTTLE_RA_VALUES, "Retry-After values");
	for (size_t i = 0; i < a->nvalues && !r->bad; i++) {
		a->values[i].value_s = r_f64(r);
		a->values[i].count = r_u64(r);
	}
	a->values_other = r_u64(r);
	r_imap(r, &a->reset_sec);
	r_imap(r, &a->arrival_sec);
	a->reset_n = r_u64(r);
	a->reset_overflow = r_max(r, 1, "flag") != 0;
	a->ra_min = r_f64(r);
	a->ra_max = r_f64(r);
	for (size_t i = 0; i < ARRAY_LEN(a->limits); i++) {
		a->limits[i].v = r_i64(r);
		a->limits[i].count = r_u64(r);
	}
	for (size_t i = 0; i < ARRAY_LEN(a->windows); i++) {
		a->windows[i].v = r_f64(r);
		a->windows[i].count = r_u64(r);
	}
}

/* ---- grids ------------------------------------------------------------------------------ */

static void w_axis(struct strbuf *b, const struct taxis *ax)
{
	w_u64(b, (uint64_t)ax->w);
	w_u64(b, ax->any);
	if (ax->any) {
		w_i64(b, ax->lo);
		w_i64(b, ax->hi);
	}
}

static void r_axis(struct rd *r, struct taxis *ax, int64_t w0)
{
	int64_t w = (int64_t)r_max(r, (uint64_t)w0 << 40, "axis width");
	if (r->bad || w < w0 || w % w0 || ((w / w0) & (w / w0 - 1)))
		{ rd_fail(r, "axis width"); return; }
	ax->w = w;
	ax->any = r_max(r, 1, "flag") != 0;
	if (ax->any) {
		ax->lo = r_i64(r);
		ax->hi = r_i64(r);
		if (ax->lo < 0 || ax->hi < ax->lo || ax->hi - ax->lo >= ax->cap || ax->hi > STATE_MAX_MS / w)
			rd_fail(r, "axis span");
	}
}

/* Bucket range of a grid: within its axis. */
static size_t r_grid_head(struct rd *r, const struct taxis *ax, int64_t *lo)
{
	size_t n = r_count(r, (uint64_t)ax->cap, "grid size");
	*lo = n ? r_i64(r) : 0;
	if (n && (!ax->any || *lo < ax->lo || *lo + (int64_t)n - 1 > ax->hi))
		rd_fail(r, "grid outside its axis");
	return r->bad ? 0 : n;
}

static void w_fine(struct strbuf *b, const struct tarr *a)
{
	w_u64(b, a->n);
	if (a->n)
		w_i64(b, a->lo);
	for (size_t i = 0; i < a->n; i++) {
		const struct tfine *f = tarr_get(a, a->lo + (int64_t)i);
		w_u64(b, f->sent);
		w_u64(b, f->thr);
		w_u64(b, f->ok);
		w_u64(b, f->end_all);
		w_u64(b, f->end_acc);
		w_f32(b, f->svc_acc_s);
	}
}

static void r_fine(struct rd *r, const struct taxis *ax, struct tarr *a)
{
	int64_t lo;
	size_t n = r_grid_head(r, ax, &lo);
	for (size_t i = 0; i < n && !r->bad; i++) {
		struct tfine *f = tarr_at(a, lo + (int64_t)i);
		f->sent = (uint32_t)r_max(r, UINT32_MAX, "count");
		f->thr = (uint32_t)r_max(r, f->sent, "throttled > sent");
		f->ok = (uint32_t)r_max(r, f->sent, "ok > sent");
		f->end_all = (uint32_t)r_max(r, UINT32_MAX, "count");
		f->end_acc = (uint32_t)r_max(r, f->end_all, "count");
		f->svc_acc_s = r_f32(r);
	}
}

static void w_lat(struct strbuf *b, const struct tarr *a)
{
	w_u64(b, a->n);
	if (a->n)
		w_i64(b, a->lo);
	for (size_t i = 0; i < a->n; i++) {
		const struct tlat *l = tarr_get(a, a->lo + (int64_t)i);
		w_u64(b, l->all);
		w_u64(b, l->thr);
		w_f64(b, l->el_all_ms);
		w_f64(b, l->el_thr_ms);
		w_i64(b, l->max_all_threads);
		w_u64(b, l->ok != NULL);
		if (l->ok)
			w_thist(b, l->ok);
	}
}

static void r_lat(struct rd *r, const struct taxis *ax, struct tarr *a)
{
	int64_t lo;
	size_t n = r_grid_head(r, ax, &lo);
	for (size_t i = 0; i < n && !r->bad; i++) {
		struct tlat *l = tarr_at(a, lo + (int64_t)i);
		l->all = (uint32_t)r_max(r, UINT32_MAX, "count");
		l->thr = (uint32_t)r_max(r, l->all, "throttled > all");
		l->el_all_ms = r_f64(r);
		l->el_thr_ms = r_f64(r);
		l->max_all_threads = r_i64(r);
		if (r_max(r, 1, "flag")) {
			l->ok = xcalloc(1, sizeof *l->ok);
			r_thist(r, l->ok);
		}
	}
}

static void w_kc(struct strbuf *b, const struct tarr *a)
{
	w_u64(b, a->n);
	if (a->n)
		w_i64(b, a->lo);
	for (size_t i = 0; i < a->n; i++) {
		const struct tkc *c = tarr_get(a, a->lo + (int64_t)i);
		w_u64(b, c->sent);
		w_u64(b, c->thr);
	}
}

static void r_kc(struct rd *r, const struct taxis *ax, struct tarr *a)
{
	int64_t lo;
	size_t n = r_grid_head(r, ax, &lo);
	for (size_t i = 0; i < n && !r->bad; i++) {
		struct tkc *c = tarr_at(a, lo + (int64_t)i);
		c->sent = (uint16_t)r_max(r, UINT16_MAX, "count");
		c->thr = (uint16_t)r_max(r, c->sent, "throttled > sent");
	}
}

/* ---- groups, keys, replay ---------------------------------------------------------------- */

static void w_group(struct strbuf *b, const struct tgroup *g)
{
	w_str(b, g->name, strlen(g->name));
	w_u64(b, g->samples);
	w_u64(b, g->thr);
	w_u64(b, g->ok);
	w_u64(b, g->folded_keys);
	w_i64(b, g->first_ms);
	w_i64(b, g->last_ms);
	w_fine(b, &g->fine);
	w_lat(b, &g->lat);
	w_thist(b, &g->gaps);
	w_thist(b, &g->connect);
	w_thist(b, &g->ok_el);
	w_thist(b, &g->acc_el);
	w_retry(b, &g->ra);
}

static void r_group_body(struct rd *r, const struct throttle *t, struct tgroup *g)
{
	g->samples = r_u64(r);
	g->thr = r_max(r, g->samples, "throttled > samples");
	g->ok = r_max(r, g->samples, "ok > samples");
	g->folded_keys = r_u64(r);
	g->first_ms = r_time(r, INT64_MAX);
	g->last_ms = r_time(r, INT64_MIN);
	if (!r->bad && (g->samples ? g->first_ms == INT64_MAX || g->last_ms == INT64_MIN
				     : g->first_ms != INT64_MAX || g->last_ms != INT64_MIN))
		rd_fail(r, "group span");
	r_fine(r, &t->fine, &g->fine);
	r_lat(r, &t->lat, &g->lat);
	r_thist(r, &g->gaps);
	r_thist(r, &g->connect);
	r_thist(r, &g->ok_el);
	r_thist(r, &g->acc_el);
	r_retry(r, &g->ra);
}

/* Identity strings in id order (smap values are dense ids 0..n-1). */
static const char **smap_by_id(const struct smap *m, size_t **lens)
{
	const char **v = xcalloc(m->n ? m->n : 1, sizeof *v);
	*lens = xcalloc(m->n ? m->n : 1, sizeof **lens);
	for (size_t i = 0; i < m->cap; i++) {
		if (!m->keys[i] || m->vals[i] >= m->n)
			continue;
		v[m->vals[i]] = m->keys[i];
		size_t n;
		memcpy(&n, m->keys[i] - sizeof(size_t), sizeof n);
		(*lens)[m->vals[i]] = n;
	}
	return v;
}

static void w_smap(struct strbuf *b, const struct smap *m)
{
	size_t *lens;
	const char **v = smap_by_id(m, &lens);
	w_u64(b, m->n);
	for (size_t i = 0; i < m->n; i++)
		w_str(b, v[i] ? v[i] : "", v[i] ? lens[i] : 0);
	free(v);
	free(lens);
}

static void r_smap(struct rd *r, struct smap *m, size_t max)
{
	size_t n = r_count(r, max, "table size");
	for (size_t i = 0; i < n && !r->bad; i++) {
		size_t len;
		const char *s = r_str(r, &len);
		if (r->bad || smap_get(m, s, len))
			{ rd_fail(r, "duplicate table entry"); return; }
		smap_put(m, s, len, (uint32_t)i);
	}
}

static void w_rev(struct strbuf *b, const struct rev *e, int64_t *prev)
{
	w_i64(b, e->ts - *prev);
	*prev = e->ts;
	w_u64(b, e->el);
	w_u64(b, e->group);
	w_u64(b, e->seq);
	w_u64(b, e->hash);
	w_u64(b, e->flags);
	for (size_t k = 0; k < RK_COUNT; k++)
		w_u64(b, e->key[k]);
}

static void r_rev(struct rd *r, const struct replay *rp, size_t ngroups, struct rev *e,
		  int64_t *prev)
{
	memset(e, 0, sizeof *e);
	e->ts = (int64_t)((uint64_t)*prev + (uint64_t)r_i64(r));
	if (e->ts < 0 || e->ts > STATE_MAX_MS)
		rd_fail(r, "request time");
	*prev = e->ts;
	e->el = (uint32_t)r_max(r, UINT32_MAX, "elapsed");
	e->group = (uint32_t)r_max(r, ngroups ? ngroups - 1 : 0, "request group");
	e->seq = (uint32_t)r_max(r, UINT32_MAX, "sequence");
	e->hash = (uint32_t)r_max(r, UINT32_MAX, "hash");
	e->flags = (uint8_t)r_max(r, RF_REJECT | RF_P503, "flags");
	for (size_t k = 0; k < RK_COUNT; k++)
		e->key[k] = (uint16_t)r_max(r, k == RK_SHARED ? 1 : rp->vals[k].n, "key value");
}

static void w_replay(struct strbuf *b, const struct replay *r)
{
	w_u64(b, r->seen);
	w_u64(b, r->seq);
	w_u64(b, r->frozen);
	w_u64(b, r->merge_dropped);
	for (size_t k = 0; k < RK_COUNT; k++) {
		w_u64(b, r->overflow[k]);
		w_u64(b, r->vals[k].n);
		for (size_t i = 0; i < r->vals[k].n; i++)
			w_str(b, strmap_key(&r->vals[k], i), strmap_len(&r->vals[k], i));
	}
	w_u64(b, r->hdr_names.n);
	for (size_t i = 0; i < r->hdr_names.n; i++) {
		w_str(b, strmap_key(&r->hdr_names, i), strmap_len(&r->hdr_names, i));
		int slot = i < ARRAY_LEN(r->hdr_slot_of) ? r->hdr_slot_of[i] : -1;
		w_u64(b, (uint64_t)(slot + 1));
		if (slot >= 0)
			w_str(b, r->hdr_name[slot], strlen(r->hdr_name[slot]));
	}
	/* the ring in arrival order, then the requests from the first rejection on */
	int64_t prev = 0;
	w_u64(b, r->npre);
	for (size_t i = 0; i < r->npre; i++)
		w_rev(b, &r->pre[(r->pre_head + i) % r->npre], &prev);
	w_u64(b, r->nev);
	for (size_t i = 0; i < r->nev; i++)
		w_rev(b, &r->ev[i], &prev);
}

static void r_replay(struct rd *rd, struct replay *r, size_t ngroups)
{
	r->seen = r_u64(rd);
	r->seq = r_u64(rd);
	r->frozen = r_max(rd, 1, "flag") != 0;
	r->merge_dropped = r_u64(rd);
	for (size_t k = 0; k < RK_COUNT && !rd->bad; k++) {
		r->overflow[k] = r_max(rd, 1, "flag") != 0;
		size_t n = r_count(rd, REPLAY_VALUES, "key values");
		for (size_t i = 0; i < n && !rd->bad; i++) {
			size_t len;
			const char *s = r_str(rd, &len);
			int added = 0;
			if (len > REPLAY_NAME_MAX || strmap_intern(&r->vals[k], s, len, &added) != i || !added)
				rd_fail(rd, "key value");
		}
	}
	size_t nh = r_count(rd, ARRAY_LEN(r->hdr_slot_of), "header names");
	for (size_t i = 0; i < nh && !rd->bad; i++) {
		size_t len;
		const char *s = r_str(rd, &len);
		int added = 0;
		if (len >= 64 || strmap_intern(&r->hdr_names, s, len, &added) != i || !added)
			{ rd_fail(rd, "header name"); return; }
		size_t slot = (size_t)r_max(rd, REPLAY_HDRS, "header slot");
		if (slot) {
			size_t on;
			const char *orig = r_str(rd, &on);
			if (rd->bad || slot - 1 != r->nhdr || on >= 64)
				{ rd_fail(rd, "header slot"); return; }
			r->hdr_slot_of[i] = (int)(slot - 1);
			r->hdr_name[r->nhdr++] = xstrndup(orig, on);
		}
	}
	int64_t prev = 0;
	size_t npre = r_count(rd, REPLAY_PRE_MAX, "ring size");
	if (npre) {
		r->pre = xmalloc(REPLAY_PRE_MAX * sizeof *r->pre);
		for (size_t i = 0; i < npre && !rd->bad; i++)
			r_rev(rd, r, ngroups, &r->pre[r->npre++], &prev);
	}
	size_t nev = r_count(rd, REPLAY_MAX, "request count");
	if (nev) {
		xgrow((void **)&r->ev, &r->cap, nev, sizeof *r->ev);
		for (size_t i = 0; i < nev && !rd->bad; i++)
			r_rev(rd, r, ngroups, &r->ev[r->nev++], &prev);
	}
	if (!rd->bad && (r->npre + r->nev > r->seen || (r->nev && !r->frozen)))
		rd_fail(rd, "replay counts");
}

/* ---- the whole analysis ----------------------------------------------------------------- */

static void encode(const struct throttle *t, struct strbuf *b)
{
	w_u64(b, t->have_ref);
	w_i64(b, t->ref_ms);
	w_i64(b, t->start_ms);
	w_i64(b, t->end_ms);
	w_axis(b, &t->fine);
	w_axis(b, &t->coarse);
	w_axis(b, &t->lat);
	const uint64_t ctr[] = { t->samples, t->thr, t->skipped_no_ts, t->skipped_range,
				 t->skipped_sub, t->skipped_tx, t->pattern_errors, t->keys_over,
				 t->plain_503, t->encrypted };
	for (size_t i = 0; i < ARRAY_LEN(ctr); i++)
		w_u64(b, ctr[i]);
	w_u64(b, t->ngroups);
	for (size_t i = 0; i < t->ngroups; i++)
		w_group(b, &t->groups[i]);
	w_group(b, &t->all);
	w_smap(b, &t->host_ids);
	w_smap(b, &t->key_ids);
	w_u64(b, t->nkeys);
	for (size_t i = 0; i < t->nkeys; i++) {
		const struct tkey *k = &t->keys[i];
		w_u64(b, k->id);
		w_u64(b, k->group);
		w_u64(b, k->host);
		w_u64(b, k->is_conn);
		w_u64(b, k->sent);
		w_u64(b, k->thr);
		w_i64(b, k->first_ts);
		w_i64(b, k->last_ts);
		w_kc(b, &k->c);
		w_u64(b, k->npend);
		for (unsigned j = 0; j < k->npend; j++) {
			w_i64(b, k->pend[j].arrival);
			w_i64(b, k->pend[j].deadline);
			w_i64(b, k->pend[j].next);
		}
	}
	bool own_replay = t->replay && !t->is_shadow;
	w_u64(b, own_replay);
	if (own_replay)
		w_replay(b, t->replay);
	w_u64(b, t->shadow != NULL);
	if (t->shadow)
		encode(t->shadow, b);
	w_u64(b, t->tx != NULL);
	if (t->tx)
		encode(t->tx, b);
}

void throttle_state_encode(const struct throttle *t, struct strbuf *b)
{
	strbuf_add(b, STATE_MAGIC, 4);
	w_u64(b, THROTTLE_STATE_VERSION);
	w_u64(b, t->cfg.ncodes);
	for (size_t i = 0; i < t->cfg.ncodes; i++)
		w_u64(b, (uint64_t)t->codes[i]);
	w_u64(b, t->cfg.code_503_with_retry_after);
	w_u64(b, (uint64_t)t->cfg.region_by);
	encode(t, b);
}

static void decode(struct rd *r, struct throttle *t, int depth)
{
	t->have_ref = r_max(r, 1, "flag") != 0;
	t->ref_ms = r_time(r, 0);
	t->start_ms = r_time(r, INT64_MAX);
	t->end_ms = r_time(r, INT64_MIN);
	r_axis(r, &t->fine, THROTTLE_FINE_MS);
	r_axis(r, &t->coarse, THROTTLE_COARSE_MS);
	r_axis(r, &t->lat, THROTTLE_LAT_MS);
	uint64_t *ctr[] = { &t->samples, &t->thr, &t->skipped_no_ts, &t->skipped_range,
			    &t->skipped_sub, &t->skipped_tx, &t->pattern_errors, &t->keys_over,
			    &t->plain_503, &t->encrypted };
	for (size_t i = 0; i < ARRAY_LEN(ctr); i++)
		*ctr[i] = r_u64(r);
	size_t ng = r_count(r, REGION_MAX_GROUPS + 1, "group count");
	for (size_t i = 0; i < ng && !r->bad; i++) {
		size_t len;
		const char *s = r_str(r, &len);
		char *name = xstrndup(s, len);
		if (r->bad || strlen(name) != len || smap_get(&t->group_by_name, name, len) ||
		    (strcmp(name, REGION_OTHER) == 0 ? t->other >= 0 : t->ngroups >= REGION_MAX_GROUPS)) {
			free(name);
			{ rd_fail(r, "group name"); return; }
		}
		uint32_t gi = (uint32_t)t->ngroups++;
		free(t->groups[gi].name); /* never set: groups are calloc'ed */
		memset(&t->groups[gi], 0, sizeof t->groups[gi]);
		t->groups[gi].name = name;
		tarr_init(&t->groups[gi].fine, sizeof(struct tfine));
		tarr_init(&t->groups[gi].lat, sizeof(struct tlat));
		smap_put(&t->group_by_name, name, len, gi);
		if (strcmp(name, REGION_OTHER) == 0)
			t->other = (int)gi;
		r_group_body(r, t, &t->groups[gi]);
	}
	size_t len;
	const char *all = r_str(r, &len);
	if (len != 3 || memcmp(all, "all", 3) != 0)
		{ rd_fail(r, "group 'all'"); return; }
	r_group_body(r, t, &t->all);
	r_smap(r, &t->host_ids, THROTTLE_MAX_KEYS);
	t->nhosts = (uint32_t)t->host_ids.n;
	r_smap(r, &t->key_ids, THROTTLE_MAX_KEYS);
	size_t nk = r_count(r, THROTTLE_MAX_KEYS, "key count");
	if (nk)
		xgrow((void **)&t->keys, &t->kcap, nk, sizeof *t->keys);
	size_t *lens;
	const char **ids = smap_by_id(&t->key_ids, &lens);
	struct strbuf kb = STRBUF_INIT;
	for (size_t i = 0; i < nk && !r->bad; i++) {
		struct tkey *k = &t->keys[t->nkeys++];
		memset(k, 0, sizeof *k);
		tarr_init(&k->c, sizeof(struct tkc));
		k->id = (uint32_t)r_max(r, t->key_ids.n ? t->key_ids.n - 1 : 0, "key id");
		k->group = (uint32_t)r_max(r, t->ngroups ? t->ngroups - 1 : 0, "key group");
		k->host = (uint32_t)r_max(r, t->nhosts ? t->nhosts - 1 : 0, "key host");
		k->is_conn = r_max(r, 1, "flag") != 0;
		k->sent = r_u64(r);
		k->thr = r_max(r, k->sent, "throttled > sent");
		k->first_ts = r_time(r, INT64_MAX);
		k->last_ts = r_time(r, INT64_MIN);
		if (!r->bad && (!k->sent || k->first_ts > k->last_ts))
			rd_fail(r, "key span");
		r_kc(r, &t->coarse, &k->c);
		k->npend = (unsigned)r_max(r, RETRY_PENDING, "pending answers");
		for (unsigned j = 0; j < k->npend; j++) {
			k->pend[j].arrival = r_time(r, 0);
			k->pend[j].deadline = r_time(r, 0);
			k->pend[j].next = r_time(r, INT64_MAX);
		}
		if (r->bad || !t->key_ids.n || !t->ngroups)
			break;
		strbuf_reset(&kb);
		strbuf_addch(&kb, (char)(k->group + 1));
		strbuf_add(&kb, ids[k->id], lens[k->id]);
		if (smap_get(&t->key_index, kb.buf, kb.len)) {
			rd_fail(r, "duplicate key");
			break;
		}
		smap_put(&t->key_index, kb.buf, kb.len, (uint32_t)i);
	}
	strbuf_release(&kb);
	free(ids);
	free(lens);
	if (!r->bad && nk && (!t->key_ids.n || !t->ngroups))
		rd_fail(r, "keys without groups");
	bool own_replay = r_max(r, 1, "flag") != 0;
	if (own_replay != (t->replay && !t->is_shadow))
		{ rd_fail(r, "replay presence"); return; }
	if (own_replay)
		r_replay(r, t->replay, t->ngroups);
	bool shadow = r_max(r, 1, "flag") != 0;
	if (shadow != (t->shadow != NULL))
		{ rd_fail(r, "shadow analysis presence"); return; }
	if (shadow && !r->bad)
		decode(r, t->shadow, depth + 1);
	if (r_max(r, 1, "flag") && !r->bad) {
		if (t->is_tx || t->is_shadow || depth >= STATE_MAX_DEPTH)
			{ rd_fail(r, "nested transaction analysis"); return; }
		char e[256];
		t->tx = throttle_new(&t->orig_cfg, e, sizeof e);
		if (!t->tx)
			{ rd_fail(r, "transaction analysis"); return; }
		t->tx->is_tx = true;
		if (t->tx->shadow)
			t->tx->shadow->is_tx = true;
		decode(r, t->tx, depth + 1);
	}
}

struct throttle *throttle_state_decode(const void *p, size_t n, char *err, size_t errlen)
{
	struct rd r = { .p = p, .end = (const unsigned char *)p + n };
	if (n < 4 || memcmp(p, STATE_MAGIC, 4) != 0) {
		snprintf(err, errlen, "throttle state: not a jtlscope throttle state");
		return NULL;
	}
	r.p += 4;
	uint64_t ver = r_u64(&r);
	if (ver != THROTTLE_STATE_VERSION) {
		snprintf(err, errlen, "throttle state: version %llu, this jtlscope reads version %d",
			 (unsigned long long)ver, THROTTLE_STATE_VERSION);
		return NULL;
	}
	struct throttle_config c;
	throttle_config_default(&c);
	c.ncodes = (size_t)r_max(&r, THROTTLE_MAX_CODES, "throttle codes");
	for (size_t i = 0; i < c.ncodes; i++)
		c.codes[i] = (int)r_max(&r, 999, "throttle code");
	c.code_503_with_retry_after = r_max(&r, 1, "flag") != 0;
	c.region_by = (enum region_by)r_max(&r, REGION_BY_LABEL, "grouping");
	if (r.bad) {
		snprintf(err, errlen, "throttle state: %s", r.what);
		return NULL;
	}
	struct throttle *t = throttle_new(&c, err, errlen);
	if (!t)
		return NULL;
	decode(&r, t, 0);
	if (!r.bad && r.p != r.end)
		rd_fail(&r, "trailing bytes");
	if (r.bad) {
		snprintf(err, errlen, "throttle state: %s at byte %zu", r.what,
			 (size_t)(r.p - (const unsigned char *)p));
		throttle_free(t);
		return NULL;
	}
	return t;
}

/* ---- merge ------------------------------------------------------------------------------ */

static void add_fine(void *dst, const void *src)
{
	struct tfine *d = dst;
	const struct tfine *s = src;
	d->sent += s->sent;
	d->thr += s->thr;
	d->ok += s->ok;
	d->end_all += s->end_all;
	d->end_acc += s->end_acc;
	d->svc_acc_s += s->svc_acc_s;
}

/* src keeps its histogram (the halving variant in throttle.c moves it). */
static void add_lat(void *dst, const void *src)
{
	struct tlat *d = dst;
	const struct tlat *s = src;
	d->all += s->all;
	d->thr += s->thr;
	d->el_all_ms += s->el_all_ms;
	d->el_thr_ms += s->el_thr_ms;
	if (s->max_all_threads > d->max_all_threads)
		d->max_all_threads = s->max_all_threads;
	if (s->ok) {
		if (!d->ok)
			d->ok = xcalloc(1, sizeof *d->ok);
		thist_merge(d->ok, s->ok);
	}
}

static void move_lat(void *dst, const void *src)
{
	struct tlat *s = (struct tlat *)(uintptr_t)src;
	add_lat(dst, src);
	free(s->ok);
	s->ok = NULL;
}

static uint16_t sat16(uint32_t v)
{
	return v > UINT16_MAX ? UINT16_MAX : (uint16_t)v;
}

static void add_kc(void *dst, const void *src)
{
	struct tkc *d = dst;
	const struct tkc *s = src;
	d->sent = sat16((uint32_t)d->sent + s->sent);
	d->thr = sat16((uint32_t)d->thr + s->thr);
}

static void add_grid(struct tarr *d, const struct tarr *s, void (*add)(void *, const void *))
{
	for (size_t i = 0; i < s->n; i++) {
		int64_t idx = s->lo + (int64_t)i;
		add(tarr_at(d, idx), tarr_get(s, idx));
	}
}

enum { AX_FINE, AX_COARSE, AX_LAT };

/* Double one axis' width, merging bucket pairs of every array on it (as throttle.c does). */
static void coarsen(struct throttle *t, int which)
{
	if (which == AX_FINE) {
		taxis_double(&t->fine);
		tarr_halve(&t->all.fine, add_fine);
		for (size_t i = 0; i < t->ngroups; i++)
			tarr_halve(&t->groups[i].fine, add_fine);
	} else if (which == AX_COARSE) {
		taxis_double(&t->coarse);
		for (size_t i = 0; i < t->nkeys; i++)
			tarr_halve(&t->keys[i].c, add_kc);
	} else {
		taxis_double(&t->lat);
		tarr_halve(&t->all.lat, move_lat);
		for (size_t i = 0; i < t->ngroups; i++)
			tarr_halve(&t->groups[i].lat, move_lat);
	}
}

static struct taxis *axis(struct throttle *t, int which)
{
	return which == AX_FINE ? &t->fine : which == AX_COARSE ? &t->coarse : &t->lat;
}

/* The width one pass over both inputs ends with: the wider of the two, doubled while the
 * union of the spans exceeds the cap (fits at w implies fits at 2w, so this is the smallest
 * width that holds every bucket either side saw). */
static void align_axis(struct throttle *d, struct throttle *s, int which)
{
	struct taxis *da = axis(d, which), *sa = axis(s, which);
	if (!sa->any)
		return;
	while (da->w < sa->w)
		coarsen(d, which);
	while (sa->w < da->w)
		coarsen(s, which);
	int64_t a_ms = sa->lo * sa->w, b_ms = sa->hi * sa->w;
	for (int k = da->any ? taxis_doublings(da, a_ms, b_ms) : 0; k > 0; k--) {
		coarsen(d, which);
		coarsen(s, which);
	}
	if (!da->any) {
		while (sa->hi - sa->lo + 1 > da->cap) {
			coarsen(d, which);
			coarsen(s, which);
		}
		a_ms = sa->lo * sa->w;
		b_ms = sa->hi * sa->w;
	}
	taxis_include(da, a_ms, b_ms);
}

/* Input numbers inside identity strings: "N\x1e..." (hosts, and keys of inputs after the
 * first), "N ..." / "N" (replay host values), "N:thread" (replay thread values). */
static bool lead_number(const char *p, size_t n, char sep, uint32_t *v, size_t *len)
{
	size_t i = 0;
	uint64_t x = 0;
	while (i < n && i < 10 && p[i] >= '0' && p[i] <= '9')
		x = x * 10 + (uint64_t)(p[i++] - '0');
	if (i == 0 || x > UINT32_MAX || (sep ? i >= n || p[i] != sep : i < n && p[i] != ' '))
		return false;
	*v = (uint32_t)x;
	*len = i;
	return true;
}

/* s with its input number src moved to src + base ("none" = no number when it is 0). */
static void renumber(struct strbuf *out, const char *p, size_t n, char sep, bool zero_bare,
		     uint32_t base, uint32_t maxsrc)
{
	strbuf_reset(out);
	uint32_t v = 0;
	size_t len = 0;
	bool has = lead_number(p, n, sep, &v, &len) && v <= maxsrc && (v != 0 || !zero_bare);
	if (!has) {
		if (zero_bare && base)
			strbuf_addf(out, "%u%c", (unsigned)base, sep);
		strbuf_add(out, p, n);
		return;
	}
	uint32_t nv = v + base;
	if (nv || !zero_bare)
		strbuf_addf(out, "%u", (unsigned)nv);
	else
		len++; /* drop the separator too */
	strbuf_add(out, p + len, n - len);
}

static void merge_group(struct tgroup *d, struct tgroup *s)
{
	d->samples += s->samples;
	d->thr += s->thr;
	d->ok += s->ok;
	d->folded_keys += s->folded_keys;
	if (s->first_ms < d->first_ms)
		d->first_ms = s->first_ms;
	if (s->last_ms > d->last_ms)
		d->last_ms = s->last_ms;
	add_grid(&d->fine, &s->fine, add_fine);
	add_grid(&d->lat, &s->lat, add_lat);
	thist_merge(&d->gaps, &s->gaps);
	thist_merge(&d->connect, &s->connect);
	thist_merge(&d->ok_el, &s->ok_el);
	thist_merge(&d->acc_el, &s->acc_el);
	retry_acc_merge(&d->ra, &s->ra);
}

static uint32_t group_slot(struct throttle *t, const char *name)
{
	uint32_t *v = smap_get(&t->group_by_name, name, strlen(name));
	if (v)
		return *v;
	bool other = strcmp(name, REGION_OTHER) == 0;
	if (other || t->ngroups >= REGION_MAX_GROUPS) {
		if (t->other < 0) {
			t->other = (int)t->ngroups;
			memset(&t->groups[t->ngroups], 0, sizeof t->groups[0]);
			t->groups[t->ngroups].name = xstrdup(REGION_OTHER);
			tarr_init(&t->groups[t->ngroups].fine, sizeof(struct tfine));
			tarr_init(&t->groups[t->ngroups].lat, sizeof(struct tlat));
			t->groups[t->ngroups].first_ms = INT64_MAX;
			t->groups[t->ngroups].last_ms = INT64_MIN;
			smap_put(&t->group_by_name, REGION_OTHER, strlen(REGION_OTHER), (uint32_t)t->ngroups);
			t->ngroups++;
		}
		if (!other)
			t->groups[t->other].folded_keys++;
		return (uint32_t)t->other;
	}
	uint32_t gi = (uint32_t)t->ngroups++;
	struct tgroup *g = &t->groups[gi];
	memset(g, 0, sizeof *g);
	g->name = xstrdup(name);
	tarr_init(&g->fine, sizeof(struct tfine));
	tarr_init(&g->lat, sizeof(struct tlat));
	g->first_ms = INT64_MAX;
	g->last_ms = INT64_MIN;
	smap_put(&t->group_by_name, name, strlen(name), gi);
	return gi;
}

static uint32_t intern_id(struct smap *m, const char *p, size_t n)
{
	uint32_t *v = smap_get(m, p, n);
	if (v)
		return *v;
	uint32_t id = (uint32_t)m->n;
	smap_put(m, p, n, id);
	return id;
}

/* One request of a merged summary, through the same bounds replay_add applies. */
static void replay_push(struct replay *r, const struct rev *e)
{
	if (!r->frozen && (e->flags & (RF_REJECT | RF_P503)))
		r->frozen = true;
	if (!r->frozen) {
		if (!r->pre)
			r->pre = xmalloc(REPLAY_PRE_MAX * sizeof *r->pre);
		if (r->npre < REPLAY_PRE_MAX) {
			r->pre[r->npre++] = *e;
		} else {
			r->pre[r->pre_head] = *e;
			r->pre_head = (r->pre_head + 1) % REPLAY_PRE_MAX;
		}
		return;
	}
	if (r->nev >= REPLAY_MAX)
		return;
	xgrow((void **)&r->ev, &r->cap, r->nev + 1, sizeof *r->ev);
	r->ev[r->nev++] = *e;
	r->sorted = false;
}

static uint16_t value_slot(struct replay *r, size_t k, const char *p, size_t n)
{
	if (r->overflow[k])
		return 0;
	size_t id = strmap_find(&r->vals[k], p, n);
	if (id == SIZE_MAX) {
		if (r->vals[k].n >= REPLAY_VALUES) {
			r->overflow[k] = true;
			return 0;
		}
		int added;
		id = strmap_intern(&r->vals[k], p, n, &added);
	}
	return (uint16_t)(id + 1);
}

static void merge_replay(struct replay *d, struct replay *s, const uint32_t *gmap, uint32_t base,
			 uint32_t maxsrc)
{
	struct strbuf b = STRBUF_INIT;
	uint16_t *vmap[RK_COUNT];
	/* the input of every thread value, from the host value of a request that carries it */
	uint32_t *tsrc = xcalloc(s->vals[RK_THREAD].n + 1, sizeof *tsrc);
	unsigned char *tknown = xcalloc(s->vals[RK_THREAD].n + 1, 1);
	for (int pass = 0; pass < 2; pass++) {
		const struct rev *ev = pass ? s->ev : s->pre;
		size_t cnt = pass ? s->nev : s->npre;
		for (size_t i = 0; i < cnt; i++) {
			uint16_t th = ev[i].key[RK_THREAD], h = ev[i].key[RK_HOST];
			uint32_t v;
			size_t len;
			if (!th || !h || tknown[th])
				continue;
			const char *hp = strmap_key(&s->vals[RK_HOST], h - 1u);
			if (lead_number(hp, strmap_len(&s->vals[RK_HOST], h - 1u), 0, &v, &len)) {
				tsrc[th] = v;
				tknown[th] = 1;
			}
		}
	}
	for (size_t k = 0; k < RK_COUNT; k++) {
		vmap[k] = xcalloc(s->vals[k].n + 1, sizeof *vmap[k]);
		if (k >= RK_HDR0 && k < RK_HDR0 + REPLAY_HDRS)
			continue; /* headers: below, once the slots are known */
		for (size_t i = 0; i < s->vals[k].n; i++) {
			const char *p = strmap_key(&s->vals[k], i);
			size_t n = strmap_len(&s->vals[k], i);
			if (k == RK_HOST && base) {
				renumber(&b, p, n, 0, false, base, maxsrc);
			} else if (k == RK_THREAD && base) {
				uint32_t v = 0;
				size_t len = 0;
				bool pre = tknown[i + 1] ? tsrc[i + 1] != 0 :
					   lead_number(p, n, ':', &v, &len) && v <= maxsrc;
				strbuf_reset(&b);
				if (pre) {
					renumber(&b, p, n, ':', true, base, maxsrc);
				} else {
					strbuf_addf(&b, "%u:", (unsigned)base);
					strbuf_add(&b, p, n);
				}
			} else {
				strbuf_reset(&b);
				strbuf_add(&b, p, n);
			}
			size_t bn = b.len > REPLAY_NAME_MAX ? REPLAY_NAME_MAX : b.len;
			vmap[k][i + 1] = value_slot(d, k, b.buf ? b.buf : "", bn);
		}
		if (s->overflow[k])
			d->overflow[k] = true;
	}
	/* header names in the order the summary met them; its slots onto ours */
	int slot_to[REPLAY_HDRS];
	for (size_t i = 0; i < REPLAY_HDRS; i++)
		slot_to[i] = -1;
	for (size_t i = 0; i < s->hdr_names.n; i++) {
		int ss = i < ARRAY_LEN(s->hdr_slot_of) ? s->hdr_slot_of[i] : -1;
		struct strref name = ss >= 0 ? (struct strref){ s->hdr_name[ss], strlen(s->hdr_name[ss]) } :
			(struct strref){ strmap_key(&s->hdr_names, i), strmap_len(&s->hdr_names, i) };
		int ds = replay_header_slot(d, name);
		if (ss >= 0)
			slot_to[ss] = ds;
	}
	for (size_t sl = 0; sl < REPLAY_HDRS; sl++) {
		size_t k = RK_HDR0 + sl;
		if (slot_to[sl] < 0)
			continue;
		size_t dk = RK_HDR0 + (size_t)slot_to[sl];
		for (size_t i = 0; i < s->vals[k].n; i++)
			vmap[k][i + 1] = value_slot(d, dk, strmap_key(&s->vals[k], i),
						    strmap_len(&s->vals[k], i));
		if (s->overflow[k])
			d->overflow[dk] = true;
	}
	uint64_t seq0 = d->seq;
	for (int pass = 0; pass < 2; pass++) {
		const struct rev *ev = pass ? s->ev : s->pre;
		size_t cnt = pass ? s->nev : s->npre;
		for (size_t i = 0; i < cnt; i++) {
			const struct rev *se = pass ? &ev[i] : &ev[(s->pre_head + i) % cnt];
			struct rev e = *se;
			e.group = gmap[se->group];
			e.seq = (uint32_t)((seq0 + se->seq) & 0xffffffffu);
			memset(e.key, 0, sizeof e.key);
			for (size_t k = 0; k < RK_COUNT; k++) {
				if (k >= RK_HDR0 && k < RK_HDR0 + REPLAY_HDRS) {
					int ds = slot_to[k - RK_HDR0];
					if (ds >= 0 && se->key[k])
						e.key[RK_HDR0 + (size_t)ds] = vmap[k][se->key[k]];
				} else {
					e.key[k] = k == RK_SHARED ? se->key[k] : vmap[k][se->key[k]];
				}
			}
			/* the thread hash is of the numbered thread name (replay_add) */
			if (base && se->key[RK_THREAD]) {
				const char *op = strmap_key(&s->vals[RK_THREAD], se->key[RK_THREAD] - 1u);
				size_t on = strmap_len(&s->vals[RK_THREAD], se->key[RK_THREAD] - 1u);
				if ((uint32_t)hash_bytes(op, on) == se->hash && e.key[RK_THREAD]) {
					uint16_t nt = e.key[RK_THREAD];
					e.hash = (uint32_t)hash_bytes(strmap_key(&d->vals[RK_THREAD], nt - 1u),
								       strmap_len(&d->vals[RK_THREAD], nt - 1u));
				}
			}
			replay_push(d, &e);
		}
	}
	d->seen += s->seen;
	d->seq += s->seq;
	d->merge_dropped += s->merge_dropped + (s->seen - (s->npre + s->nev));
	for (size_t k = 0; k < RK_COUNT; k++)
		free(vmap[k]);
	free(tsrc);
	free(tknown);
	strbuf_release(&b);
}

static int merge_impl(struct throttle *d, struct throttle *s, uint32_t base, uint32_t maxsrc,
		      char *err, size_t errlen)
{
	if (d->cfg.ncodes != s->cfg.ncodes || memcmp(d->codes, s->codes, sizeof d->codes) != 0 ||
	    d->cfg.code_503_with_retry_after != s->cfg.code_503_with_retry_after) {
		snprintf(err, errlen, "throttle state made with other throttle options");
		return -1;
	}
	if (d->cfg.region_by != s->cfg.region_by) {
		snprintf(err, errlen, "throttle state made with another --region-by");
		return -1;
	}
	if (!d->have_ref && s->have_ref) {
		d->have_ref = true;
		d->ref_ms = s->ref_ms;
	}
	if (s->start_ms < d->start_ms)
		d->start_ms = s->start_ms;
	if (s->end_ms > d->end_ms)
		d->end_ms = s->end_ms;
	d->samples += s->samples;
	d->thr += s->thr;
	d->skipped_no_ts += s->skipped_no_ts;
	d->skipped_range += s->skipped_range;
	d->skipped_sub += s->skipped_sub;
	d->skipped_tx += s->skipped_tx;
	d->pattern_errors += s->pattern_errors;
	d->keys_over += s->keys_over;
	d->plain_503 += s->plain_503;
	d->encrypted += s->encrypted;
	align_axis(d, s, AX_FINE);
	align_axis(d, s, AX_COARSE);
	align_axis(d, s, AX_LAT);

	uint32_t gmap[REGION_MAX_GROUPS + 1];
	for (size_t i = 0; i < s->ngroups; i++) {
		gmap[i] = group_slot(d, s->groups[i].name);
		merge_group(&d->groups[gmap[i]], &s->groups[i]);
	}
	merge_group(&d->all, &s->all);

	struct strbuf b = STRBUF_INIT;
	size_t *hlens, *klens;
	const char **hosts = smap_by_id(&s->host_ids, &hlens);
	const char **ids = smap_by_id(&s->key_ids, &klens);
	uint32_t *hmap = xcalloc(s->host_ids.n + 1, sizeof *hmap);
	for (size_t i = 0; i < s->host_ids.n; i++) {
		renumber(&b, hosts[i], hlens[i], '\x1e', false, base, maxsrc);
		hmap[i] = intern_id(&d->host_ids, b.buf ? b.buf : "", b.len);
	}
	d->nhosts = (uint32_t)d->host_ids.n;
	struct strbuf kb = STRBUF_INIT;
	for (size_t i = 0; i < s->nkeys; i++) {
		struct tkey *sk = &s->keys[i];
		/* the identity: "#conn:N", or [input "\x1e"] host "\x1f" thread; the key's input
		 * is its host's */
		uint32_t src = 0;
		size_t len = 0;
		lead_number(hosts[sk->host], hlens[sk->host], '\x1e', &src, &len);
		const char *ip = ids[sk->id];
		size_t in = klens[sk->id];
		strbuf_reset(&b);
		if (sk->is_conn) {
			strbuf_add(&b, ip, in);
		} else {
			if (src) { /* drop "src\x1e" */
				uint32_t v;
				size_t l2;
				if (lead_number(ip, in, '\x1e', &v, &l2) && v == src) {
					ip += l2 + 1;
					in -= l2 + 1;
				}
			}
			if (src + base)
				strbuf_addf(&b, "%u\x1e", (unsigned)(src + base));
			strbuf_add(&b, ip, in);
		}
		uint32_t gi = gmap[sk->group];
		strbuf_reset(&kb);
		strbuf_addch(&kb, (char)(gi + 1));
		strbuf_add(&kb, b.buf ? b.buf : "", b.len);
		uint32_t *ki = smap_get(&d->key_index, kb.buf, kb.len);
		struct tkey *dk;
		if (ki) {
			/* the same key on both sides (a capture connection number, or two inputs
			 * merged under one name): its counts add up */
			dk = &d->keys[*ki];
		} else if (d->nkeys >= THROTTLE_MAX_KEYS) {
			d->keys_over += sk->sent;
			continue;
		} else {
			xgrow((void **)&d->keys, &d->kcap, d->nkeys + 1, sizeof *d->keys);
			dk = &d->keys[d->nkeys];
			memset(dk, 0, sizeof *dk);
			dk->id = intern_id(&d->key_ids, b.buf ? b.buf : "", b.len);
			dk->group = gi;
			dk->host = hmap[sk->host];
			dk->is_conn = sk->is_conn;
			dk->first_ts = INT64_MAX;
			dk->last_ts = INT64_MIN;
			tarr_init(&dk->c, sizeof(struct tkc));
			smap_put(&d->key_index, kb.buf, kb.len, (uint32_t)d->nkeys);
			d->nkeys++;
		}
		dk->sent += sk->sent;
		dk->thr += sk->thr;
		if (sk->first_ts < dk->first_ts)
			dk->first_ts = sk->first_ts;
		if (sk->last_ts > dk->last_ts)
			dk->last_ts = sk->last_ts;
		add_grid(&dk->c, &sk->c, add_kc);
		for (unsigned j = 0; j < sk->npend; j++) {
			if (dk->npend == RETRY_PENDING) {
				/* judged as the ring would have: the oldest leaves */
				struct tkey one = *dk;
				one.npend = 1;
				retry_finalize_key(&one, &d->groups[gi]);
				memmove(&dk->pend[0], &dk->pend[1], (RETRY_PENDING - 1) * sizeof dk->pend[0]);
				dk->npend--;
			}
			dk->pend[dk->npend++] = sk->pend[j];
		}
	}
	strbuf_release(&kb);
	strbuf_release(&b);
	free(hosts);
	free(hlens);
	free(ids);
	free(klens);
	free(hmap);

	if (d->replay && !d->is_shadow && s->replay && !s->is_shadow)
		merge_replay(d->replay, s->replay, gmap, base, maxsrc);
	if (d->shadow && s->shadow && merge_impl(d->shadow, s->shadow, base, maxsrc, err, errlen) != 0)
		return -1;
	if (s->tx) {
		if (!d->tx) {
			char e[256];
			d->tx = throttle_new(&d->orig_cfg, e, sizeof e);
			if (!d->tx) {
				snprintf(err, errlen, "transaction analysis: %s", e);
				return -1;
			}
			d->tx->is_tx = true;
			if (d->tx->shadow)
				d->tx->shadow->is_tx = true;
		}
		if (merge_impl(d->tx, s->tx, base, maxsrc, err, errlen) != 0)
			return -1;
	}
	return 0;
}

/* The highest input number inside a state (from its host table). */
static uint32_t max_source(const struct throttle *t)
{
	uint32_t m = 0;
	for (size_t i = 0; i < t->host_ids.cap; i++) {
		uint32_t v;
		size_t len, n;
		if (!t->host_ids.keys[i])
			continue;
		memcpy(&n, t->host_ids.keys[i] - sizeof(size_t), sizeof n);
		if (lead_number(t->host_ids.keys[i], n, '\x1e', &v, &len) && v > m)
			m = v;
	}
	if (t->tx) {
		uint32_t x = max_source(t->tx);
		if (x > m)
			m = x;
	}
	return m;
}

int throttle_merge(struct throttle *dst, struct throttle *src, uint32_t base, char *err,
		   size_t errlen)
{
	if (dst->finished || src->finished) {
		snprintf(err, errlen, "throttle state: a finished analysis cannot be merged");
		return -1;
	}
	return merge_impl(dst, src, base, max_source(src), err, errlen);
}

uint64_t throttle_merge_dropped(const struct throttle *t)
{
	uint64_t n = t->replay && !t->is_shadow ? t->replay->merge_dropped : 0;
	return n + (t->tx ? throttle_merge_dropped(t->tx) : 0);
}

const struct throttle_config *throttle_state_config(const struct throttle *t)
{
	return &t->cfg;
}
