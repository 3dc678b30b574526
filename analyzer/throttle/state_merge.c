/* throttle/state_merge.c - the merge of two unfinished throttle analyses (state.h): grids at
 * the width one pass would end with, inputs renumbered, the kept requests through the same
 * bounds.  Nothing here changes how the analysis decides: it moves its accumulators. */
#include "analyzer/throttle/state.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "analyzer/region.h"
#include "analyzer/throttle/internal.h"
#include "analyzer/throttle/replay_int.h"


/* src keeps its histogram (the halving variant in throttle.c moves it). */
static void add_lat(void *dst, const void *src)
{
	struct tlat *d = dst;
	const struct tlat *s = src;
	tlat_add_counts(d, s);
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
		tarr_halve(&t->all.fine, tfine_add);
		for (size_t i = 0; i < t->ngroups; i++)
			tarr_halve(&t->groups[i].fine, tfine_add);
	} else if (which == AX_COARSE) {
		taxis_double(&t->coarse);
		for (size_t i = 0; i < t->nkeys; i++)
			tarr_halve(&t->keys[i].c, tkc_add);
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
	add_grid(&d->fine, &s->fine, tfine_add);
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
			vmap[k][i + 1] = replay_value_id(d, (enum replay_key)k, b.buf ? b.buf : "", bn);
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
			vmap[k][i + 1] = replay_value_id(d, (enum replay_key)dk, strmap_key(&s->vals[k], i),
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
		hmap[i] = smap_intern(&d->host_ids, b.buf ? b.buf : "", b.len);
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
			dk->id = smap_intern(&d->key_ids, b.buf ? b.buf : "", b.len);
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
		add_grid(&dk->c, &sk->c, tkc_add);
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
