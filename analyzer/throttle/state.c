/* throttle/state.c - the unfinished throttle analysis as bytes and back (state.h); the merge of
 * two analyses is throttle/state_merge.c. */
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

const char **smap_by_id(const struct smap *m, size_t **lens)
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
