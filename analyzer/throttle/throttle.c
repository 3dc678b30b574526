/* throttle.c - configuration, throttle signal, ingestion of samples and the finish step of the
 * throttle analysis.  See throttle.h and docs/analysis.md. */
#define PCRE2_CODE_UNIT_WIDTH 8
#include "analyzer/throttle/internal.h"

#include <math.h>
#include <pcre2.h>
#include <stdlib.h>
#include <string.h>

#define GROUP_CACHE_MAX 65536
#define MAX_ELAPSED_MS (24LL * 3600 * 1000)

static const char *const model_names[] = { "unknown", "token-bucket", "fixed-window",
					   "sliding-window", "concurrency" };
static const char *const scope_names[] = { "unknown", "shared", "per-connection", "per-thread",
					   "per-client-host", "per-tenant" };
static const char *const finding_names[] = { "none", "rate-limit", "probable-rate-limit",
					     "overload" };
static const char *const conf_names[] = { "low", "medium", "high" };

const char *throttle_model_name(enum throttle_model m)
{
	return (size_t)m < ARRAY_LEN(model_names) ? model_names[m] : "unknown";
}

const char *throttle_scope_name(enum throttle_scope s)
{
	return (size_t)s < ARRAY_LEN(scope_names) ? scope_names[s] : "unknown";
}

const char *throttle_finding_name(enum throttle_finding f)
{
	return (size_t)f < ARRAY_LEN(finding_names) ? finding_names[f] : "none";
}

const char *throttle_confidence_name(enum throttle_confidence c)
{
	return (size_t)c < ARRAY_LEN(conf_names) ? conf_names[c] : "low";
}

const char *throttle_group_kind(enum region_by by)
{
	switch (by) {
	case REGION_BY_URL_HOST:
		return "region";
	case REGION_BY_HOSTNAME:
		return "client host";
	case REGION_BY_THREAD_GROUP:
		return "thread group";
	case REGION_BY_LABEL:
		return "label";
	}
	return "group";
}

void throttle_config_default(struct throttle_config *c)
{
	memset(c, 0, sizeof *c);
	c->codes[0] = 429;
	c->ncodes = 1;
	c->code_503_with_retry_after = true;
	c->region_by = REGION_BY_URL_HOST;
	c->bucket_ms = 1000;
}

static void group_init(struct tgroup *g, const char *name)
{
	memset(g, 0, sizeof *g);
	g->name = xstrdup(name);
	tarr_init(&g->fine, sizeof(struct tfine));
	tarr_init(&g->lat, sizeof(struct tlat));
	g->first_ms = INT64_MAX;
	g->last_ms = INT64_MIN;
}

static void lat_release(struct tarr *a)
{
	for (size_t i = 0; i < a->n; i++) {
		struct tlat *l = (struct tlat *)(a->data + (a->off + i) * a->elem);
		free(l->ok);
	}
	tarr_release(a);
}

static void group_release(struct tgroup *g)
{
	free(g->name);
	tarr_release(&g->fine);
	lat_release(&g->lat);
	retry_acc_release(&g->ra);
	free(g->keys);
	free(g->f_sent);
	free(g->f_thr);
	free(g->f_ok);
	free(g->f_acc);
	free(g->f_end_acc);
	free(g->f_end_all);
	free(g->f_svc);
	free(g->c_threads);
	free(g->l_p50);
	free(g->l_p95);
	free(g->ep_b0);
	free(g->ep_b1);
	free(g->why_buf);
	free(g->evidence_buf);
	free(g->scope_buf);
	replay_fit_release(&g->fit);
	free(g->kv);
	free(g->key_equiv_buf);
}

static struct throttle *new_impl(const struct throttle_config *c, char *err, size_t errlen,
				  bool shadow);

struct throttle *throttle_new(const struct throttle_config *c, char *err, size_t errlen)
{
	return new_impl(c, err, errlen, false);
}

static bool has_code(const struct throttle_config *c, int code)
{
	for (size_t i = 0; i < c->ncodes; i++)
		if (c->codes[i] == code)
			return true;
	return false;
}

static struct throttle *new_impl(const struct throttle_config *c, char *err, size_t errlen,
				 bool shadow)
{
	if (c->ncodes > THROTTLE_MAX_CODES) {
		snprintf(err, errlen, "too many throttle status codes (at most %d)",
			 THROTTLE_MAX_CODES);
		return NULL;
	}
	struct throttle *t = xcalloc(1, sizeof *t);
	t->cfg = *c;
	t->orig_cfg = *c;
	memcpy(t->codes, c->codes, sizeof t->codes);
	t->cfg.pattern = NULL;
	t->cfg.region_map_path = NULL;
	t->regions = region_map_new();
	if (c->region_map_path && !region_map_load(t->regions, c->region_map_path, err, errlen)) {
		throttle_free(t);
		return NULL;
	}
	{
		/* WebSocket messages (code "WS", from captures) carry throttling in band: a JSON
		 * status/code of 429, "Too Many Requests", "rate limit exceeded".  Chat text that merely
		 * mentions throttling does not match: only these structured forms do. */
		int ec = 0;
		PCRE2_SIZE eo = 0;
		t->ws_re = pcre2_compile((PCRE2_SPTR)THROTTLE_WS_PATTERN, PCRE2_ZERO_TERMINATED, PCRE2_CASELESS,
					 &ec, &eo, NULL);
		t->ws_md = pcre2_match_data_create(1, NULL);
		if (!t->ws_re || !t->ws_md) {
			fprintf(stderr, "jtlscope: internal error: built-in WebSocket pattern\n");
			abort();
		}
		(void)pcre2_jit_compile(t->ws_re, PCRE2_JIT_COMPLETE);
	}
	if (c->pattern) {
		int ec = 0;
		PCRE2_SIZE eo = 0;
		pcre2_code *re = pcre2_compile((PCRE2_SPTR)c->pattern, PCRE2_ZERO_TERMINATED, 0,
					       &ec, &eo, NULL);
		if (!re) {
			PCRE2_UCHAR msg[256];
			if (pcre2_get_error_message(ec, msg, sizeof msg) < 0)
				strcpy((char *)msg, "unknown error");
			snprintf(err, errlen, "bad throttle pattern '%s' at offset %zu: %s",
				 c->pattern, (size_t)eo, (const char *)msg);
			throttle_free(t);
			return NULL;
		}
		(void)pcre2_jit_compile(re, PCRE2_JIT_COMPLETE);
		pcre2_match_context *mc = pcre2_match_context_create(NULL);
		pcre2_match_data *md = pcre2_match_data_create(1, NULL);
		if (!mc || !md) {
			fprintf(stderr, "jtlscope: out of memory (pcre2)\n");
			abort();
		}
		pcre2_set_match_limit(mc, THROTTLE_PATTERN_MATCH_LIMIT);
		pcre2_set_depth_limit(mc, THROTTLE_PATTERN_DEPTH_LIMIT);
		t->re = re;
		t->mctx = mc;
		t->md = md;
		t->pattern_src = xstrdup(c->pattern);
		t->cfg.pattern = t->pattern_src;
	}
	t->fine = (struct taxis){ .w = THROTTLE_FINE_MS, .cap = THROTTLE_FINE_MAX };
	t->coarse = (struct taxis){ .w = THROTTLE_COARSE_MS, .cap = THROTTLE_COARSE_MAX };
	t->lat = (struct taxis){ .w = THROTTLE_LAT_MS, .cap = THROTTLE_LAT_MAX };
	t->groups = xcalloc(REGION_MAX_GROUPS + 1, sizeof *t->groups);
	t->other = -1;
	t->last_group = UINT32_MAX;
	t->lastauth_group = UINT32_MAX;
	group_init(&t->all, "all");
	t->start_ms = INT64_MAX;
	t->end_ms = INT64_MIN;
	t->is_shadow = shadow;
	if (!shadow) {
		t->replay = replay_new();
		/* Headerless 503s (CSV keeps no headers) are not throttle signals, but a limiter may
		 * be behind them: a second analysis counts them, and is used when nothing else was
		 * throttled and the replay says the 503s follow a limiter. */
		if (!has_code(c, 503) && c->ncodes < THROTTLE_MAX_CODES) {
			struct throttle_config sc = *c;
			sc.codes[sc.ncodes++] = 503;
			sc.pattern = NULL;
			t->shadow = new_impl(&sc, err, errlen, true);
			if (t->shadow)
				t->shadow->replay = t->replay; /* borrowed */
		}
	}
	return t;
}

void throttle_free(struct throttle *t)
{
	if (!t)
		return;
	for (size_t i = 0; i < t->ngroups; i++)
		group_release(&t->groups[i]);
	free(t->groups);
	if (t->all.name)
		group_release(&t->all);
	for (size_t i = 0; i < t->nkeys; i++)
		tarr_release(&t->keys[i].c);
	free(t->keys);
	smap_release(&t->group_by_name);
	smap_release(&t->group_cache);
	smap_release(&t->key_ids);
	smap_release(&t->host_ids);
	smap_release(&t->key_index);
	strbuf_release(&t->keybuf);
	strbuf_release(&t->regbuf);
	strbuf_release(&t->hostbuf);
	strbuf_release(&t->namebuf);
	strbuf_release(&t->lastkey);
	strbuf_release(&t->lastauth);
	region_map_free(t->regions);
	pcre2_code_free(t->re);
	pcre2_match_data_free(t->md);
	pcre2_code_free(t->ws_re);
	pcre2_match_data_free(t->ws_md);
	pcre2_match_context_free(t->mctx);
	free(t->pattern_src);
	free(t->res_groups);
	if (!t->is_shadow)
		replay_free(t->replay);
	throttle_free(t->shadow);
	throttle_free(t->tx);
	free(t);
}

/* ---- signal ----------------------------------------------------------------------------- */

static bool pattern_hit(struct throttle *t, struct strref s)
{
	if (!s.p || !s.n)
		return false;
	int rc = pcre2_match(t->re, (PCRE2_SPTR)s.p, s.n, 0, 0, t->md, t->mctx);
	if (rc >= 0)
		return true;
	if (rc != PCRE2_ERROR_NOMATCH)
		t->pattern_errors++;
	return false;
}

bool throttle_is_signal(const struct throttle *ct, const struct sample *s)
{
	/* Pattern matching uses the handle's match data and error counter: not thread-safe. */
	struct throttle *t = (struct throttle *)(uintptr_t)ct;
	int st = sample_status(s);
	if (st > 0) {
		for (size_t i = 0; i < t->cfg.ncodes; i++) {
			if (t->codes[i] == st)
				return true;
		}
		if (st == 503 && t->cfg.code_503_with_retry_after && s->rl.flags != 0)
			return true;
	}
	if (s->rl.flags & RL_ENVOY)
		return true;
	if (t->re) {
		if (pattern_hit(t, s->message) || pattern_hit(t, s->failure) ||
		    pattern_hit(t, s->body))
			return true;
	}
	if (t->ws_re && s->body.p && s->body.n && strref_eq(s->code, "WS")) {
		int rc = pcre2_match(t->ws_re, (PCRE2_SPTR)s->body.p, s->body.n, 0, 0, t->ws_md, t->mctx);
		if (rc >= 0)
			return true;
		if (rc != PCRE2_ERROR_NOMATCH)
			t->pattern_errors++;
	}
	return false;
}

/* ---- groups and keys -------------------------------------------------------------------- */

static uint32_t group_named(struct throttle *t, const char *name, bool *folded)
{
	*folded = false;
	uint32_t *v = smap_get(&t->group_by_name, name, strlen(name));
	if (v)
		return *v;
	if (t->ngroups >= REGION_MAX_GROUPS || strcmp(name, REGION_OTHER) == 0) {
		*folded = strcmp(name, REGION_OTHER) != 0;
		if (t->other < 0) {
			t->other = (int)t->ngroups;
			group_init(&t->groups[t->ngroups], REGION_OTHER);
			smap_put(&t->group_by_name, REGION_OTHER, strlen(REGION_OTHER),
				 (uint32_t)t->ngroups);
			t->ngroups++;
		}
		return (uint32_t)t->other;
	}
	uint32_t gi = (uint32_t)t->ngroups++;
	group_init(&t->groups[gi], name);
	smap_put(&t->group_by_name, name, strlen(name), gi);
	return gi;
}

/* Length of "scheme://authority" at the start of a URL, 0 if it has none. */
static size_t url_authority_len(const char *p, size_t n)
{
	const char *c = memchr(p, ':', n < 32 ? n : 32);
	if (!c || (size_t)(c - p) + 3 > n || c[1] != '/' || c[2] != '/')
		return 0;
	size_t i = (size_t)(c - p) + 3;
	while (i < n && p[i] != '/' && p[i] != '?' && p[i] != '#')
		i++;
	return i;
}

static uint32_t group_of_key(struct throttle *t, const struct sample *s);

/* Samples of a run mostly go to a handful of hosts: when the URL starts with the same
 * scheme://authority as the previous one, its url-host group is the same. */
static uint32_t group_of(struct throttle *t, const struct sample *s)
{
	if (t->cfg.region_by != REGION_BY_URL_HOST || !s->url.p || s->url.n == 0)
		return group_of_key(t, s);
	size_t L = t->lastauth.len;
	if (t->lastauth_group != UINT32_MAX && s->url.n >= L && memcmp(s->url.p, t->lastauth.buf, L) == 0 &&
	    (s->url.n == L || s->url.p[L] == '/' || s->url.p[L] == '?' || s->url.p[L] == '#'))
		return t->lastauth_group;
	uint32_t g = group_of_key(t, s);
	size_t al = url_authority_len(s->url.p, s->url.n);
	struct strref h;
	strbuf_reset(&t->lastauth);
	if (al && region_url_host(s->url.p, s->url.n, &h)) { /* the key came from this URL */
		strbuf_add(&t->lastauth, s->url.p, al);
		t->lastauth_group = g;
	} else {
		t->lastauth_group = UINT32_MAX;
	}
	return g;
}

static uint32_t group_of_key(struct throttle *t, const struct sample *s)
{
	region_key(t->cfg.region_by, s, &t->keybuf);
	const char *key = strbuf_cstr(&t->keybuf);
	size_t kn = t->keybuf.len;
	if (t->last_group != UINT32_MAX && kn == t->lastkey.len &&
	    memcmp(key, strbuf_cstr(&t->lastkey), kn) == 0)
		return t->last_group;
	uint32_t *c = smap_get(&t->group_cache, key, kn);
	if (c) {
		strbuf_reset(&t->lastkey);
		strbuf_add(&t->lastkey, key, kn);
		t->last_group = *c;
		return *c;
	}
	const char *name;
	if (kn == 0) {
		name = REGION_UNKNOWN_KEY;
	} else if (region_map_lookup(t->regions, key, kn, t->cfg.region_by == REGION_BY_URL_HOST,
				     &t->regbuf)) {
		name = strbuf_cstr(&t->regbuf);
	} else {
		name = key;
	}
	bool folded;
	uint32_t gi = group_named(t, name, &folded);
	if (t->group_cache.n < GROUP_CACHE_MAX) {
		smap_put(&t->group_cache, key, kn, gi);
		if (folded)
			t->groups[gi].folded_keys++;
	}
	return gi;
}

static struct tkey *key_of(struct throttle *t, const struct sample *s, uint32_t gi)
{
	/* one lookup per sample: "<group byte><key identity>" -> key record */
	struct strbuf *b = &t->namebuf;
	strbuf_reset(b);
	strbuf_addch(b, (char)(gi + 1));
	if (s->conn_id) {
		strbuf_addf(b, "#conn:%llu", (unsigned long long)s->conn_id);
	} else {
		/* one JTL per load generator: the same thread name on two generators is two keys */
		if (s->source)
			strbuf_addf(b, "%u\x1e", (unsigned)s->source);
		if (s->hostname.p)
			strbuf_add(b, s->hostname.p, s->hostname.n);
		strbuf_addch(b, '\x1f');
		if (s->thread.p && s->thread.n)
			strbuf_add(b, s->thread.p, s->thread.n);
		else
			strbuf_addstr(b, "(no thread)");
	}
	uint32_t *ki = smap_get(&t->key_index, b->buf, b->len);
	if (ki)
		return &t->keys[*ki];
	if (t->nkeys >= THROTTLE_MAX_KEYS)
		return NULL;
	const char *ident = b->buf + 1;
	size_t ilen = b->len - 1;
	uint32_t *known = smap_get(&t->key_ids, ident, ilen);
	uint32_t id = known ? *known : smap_intern(&t->key_ids, ident, ilen);
	xgrow((void **)&t->keys, &t->kcap, t->nkeys + 1, sizeof *t->keys);
	struct tkey *k = &t->keys[t->nkeys];
	memset(k, 0, sizeof *k);
	k->id = id;
	k->group = gi;
	k->is_conn = s->conn_id != 0;
	{
		/* generator host: input file x Hostname column */
		struct strbuf *hb = &t->hostbuf;
		strbuf_reset(hb);
		strbuf_addf(hb, "%u\x1e", (unsigned)s->source);
		if (s->hostname.p)
			strbuf_add(hb, s->hostname.p, s->hostname.n);
		k->host = smap_intern(&t->host_ids, hb->buf, hb->len);
	}
	k->first_ts = INT64_MAX;
	k->last_ts = INT64_MIN;
	tarr_init(&k->c, sizeof(struct tkc));
	smap_put(&t->key_index, b->buf, b->len, (uint32_t)t->nkeys);
	t->nkeys++;
	return k;
}

/* ---- axis maintenance ------------------------------------------------------------------- */

void tfine_add(void *dst, const void *src)
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

void tlat_add_counts(struct tlat *d, const struct tlat *s)
{
	d->all += s->all;
	d->thr += s->thr;
	d->el_all_ms += s->el_all_ms;
	d->el_thr_ms += s->el_thr_ms;
	if (s->max_all_threads > d->max_all_threads)
		d->max_all_threads = s->max_all_threads;
}

/* src's histogram moves into dst (the halving of an axis) */
static void merge_lat(void *dst, const void *src)
{
	struct tlat *d = dst;
	const struct tlat *s = src;
	tlat_add_counts(d, s);
	if (s->ok) {
		if (d->ok) {
			thist_merge(d->ok, s->ok);
			free(s->ok);
		} else {
			d->ok = s->ok;
		}
	}
}

static uint16_t sat16(uint32_t v)
{
	return v > UINT16_MAX ? UINT16_MAX : (uint16_t)v;
}

void tkc_add(void *dst, const void *src)
{
	struct tkc *d = dst;
	const struct tkc *s = src;
	d->sent = sat16((uint32_t)d->sent + s->sent);
	d->thr = sat16((uint32_t)d->thr + s->thr);
}

static bool inside(const struct taxis *ax, int64_t a_ms, int64_t b_ms)
{
	return ax->any && a_ms / ax->w >= ax->lo && b_ms / ax->w <= ax->hi;
}

static void fit_axes(struct throttle *t, int64_t a_ms, int64_t b_ms)
{
	if (inside(&t->fine, a_ms, b_ms) && inside(&t->coarse, a_ms, a_ms) &&
	    inside(&t->lat, a_ms, a_ms))
		return;
	for (int k = taxis_doublings(&t->fine, a_ms, b_ms); k > 0; k--) {
		taxis_double(&t->fine);
		tarr_halve(&t->all.fine, tfine_add);
		for (size_t i = 0; i < t->ngroups; i++)
			tarr_halve(&t->groups[i].fine, tfine_add);
	}
	taxis_include(&t->fine, a_ms, b_ms);
	for (int k = taxis_doublings(&t->coarse, a_ms, a_ms); k > 0; k--) {
		taxis_double(&t->coarse);
		for (size_t i = 0; i < t->nkeys; i++)
			tarr_halve(&t->keys[i].c, tkc_add);
	}
	taxis_include(&t->coarse, a_ms, a_ms);
	for (int k = taxis_doublings(&t->lat, a_ms, a_ms); k > 0; k--) {
		taxis_double(&t->lat);
		tarr_halve(&t->all.lat, merge_lat);
		for (size_t i = 0; i < t->ngroups; i++)
			tarr_halve(&t->groups[i].lat, merge_lat);
	}
	taxis_include(&t->lat, a_ms, a_ms);
}

static void add_to_group(struct throttle *t, struct tgroup *g, const struct sample *s, int64_t ts,
			 int64_t el, bool thr, bool ok)
{
	g->samples++;
	if (thr)
		g->thr++;
	if (ok)
		g->ok++;
	if (ts < g->first_ms)
		g->first_ms = ts;
	if (ts + el > g->last_ms)
		g->last_ms = ts + el;
	struct tfine *f = tarr_at(&g->fine, taxis_idx(&t->fine, ts));
	f->sent++;
	if (thr)
		f->thr++;
	else
		f->svc_acc_s += (float)((double)el / 1000.0);
	if (ok)
		f->ok++;
	f = tarr_at(&g->fine, taxis_idx(&t->fine, ts + el));
	f->end_all++;
	if (!thr)
		f->end_acc++;
	struct tlat *l = tarr_at(&g->lat, taxis_idx(&t->lat, ts));
	l->all++;
	l->el_all_ms += (double)el;
	if (thr) {
		l->thr++;
		l->el_thr_ms += (double)el;
	}
	if ((s->has & SH_ALL_THREADS) && s->all_threads > l->max_all_threads)
		l->max_all_threads = s->all_threads;
	if (ok) {
		if (!l->ok)
			l->ok = xcalloc(1, sizeof *l->ok);
		thist_add(l->ok, (uint64_t)el);
		thist_add(&g->ok_el, (uint64_t)el);
	}
	if (!thr)
		thist_add(&g->acc_el, (uint64_t)el);
	if ((s->has & SH_CONNECT) && s->connect_ms > 0)
		thist_add(&g->connect, (uint64_t)s->connect_ms);
}

static bool is_transaction(const struct sample *s)
{
	static const char tx[] = "Number of samples in transaction";
	return s->message.p && s->message.n >= sizeof tx - 1 &&
	       memcmp(s->message.p, tx, sizeof tx - 1) == 0;
}

static void add_sample(struct throttle *t, const struct sample *s, int signal);

void throttle_add(struct throttle *t, const struct sample *s)
{
	add_sample(t, s, -1);
}

void throttle_add_classified(struct throttle *t, const struct sample *s, bool is_signal)
{
	add_sample(t, s, is_signal ? 1 : 0);
}

/* signal: 1 / 0 as classified by the caller, -1 to classify here */
static void add_sample(struct throttle *t, const struct sample *s, int signal)
{
	if (t->finished)
		return;
	if (s->depth > 0 && !s->in_transaction) {
		t->skipped_sub++;
		return;
	}
	if (is_transaction(s) && !t->is_tx) {
		t->skipped_tx++;
		/* kept aside: when the input holds nothing but Transaction Controller parents (a CSV
		 * of generate-parent mode keeps no children), the parents are the requests */
		if (!t->is_shadow) {
			if (!t->tx) {
				char e[256];
				t->tx = new_impl(&t->orig_cfg, e, sizeof e, false);
				if (t->tx) {
					t->tx->is_tx = true;
					if (t->tx->shadow)
						t->tx->shadow->is_tx = true;
				}
			}
			if (t->tx)
				add_sample(t->tx, s, signal);
		}
		return;
	}
	int64_t ts = s->ts_ms;
	if (ts <= 0) {
		t->skipped_no_ts++;
		return;
	}
	if (!t->have_ref) {
		t->ref_ms = ts;
		t->have_ref = true;
	}
	if (ts < t->ref_ms - THROTTLE_MAX_SPAN_MS || ts > t->ref_ms + THROTTLE_MAX_SPAN_MS) {
		t->skipped_range++;
		return;
	}
	int64_t el = (s->has & SH_ELAPSED) ? s->elapsed_ms : 0;
	if (el < 0)
		el = 0;
	if (el > MAX_ELAPSED_MS)
		el = MAX_ELAPSED_MS;
	bool thr = signal < 0 ? throttle_is_signal(t, s) : signal == 1;
	bool ok = s->success && !thr;
	if (strref_eq(s->code, "TLS"))
		t->encrypted++;
	bool plain_503 = !thr && !s->rl.flags && sample_status(s) == 503;
	if (plain_503)
		t->plain_503++;
	if (t->shadow)
		add_sample(t->shadow, s, thr || plain_503);

	uint32_t gi = group_of(t, s);
	if (t->replay && !t->is_shadow)
		replay_add(t->replay, s, gi, thr, plain_503);
	struct tkey *k = key_of(t, s, gi);
	fit_axes(t, ts, ts + el); /* after key_of: a new key's array must take part in halving */
	t->samples++;
	if (thr)
		t->thr++;
	if (ts < t->start_ms)
		t->start_ms = ts;
	if (ts + el > t->end_ms)
		t->end_ms = ts + el;

	struct tgroup *g = &t->groups[gi];
	add_to_group(t, g, s, ts, el, thr, ok);
	add_to_group(t, &t->all, s, ts, el, thr, ok);

	if (!k) {
		t->keys_over++;
		return;
	}
	k->sent++;
	if (thr)
		k->thr++;
	if (ts < k->first_ts)
		k->first_ts = ts;
	if (ts > k->last_ts)
		k->last_ts = ts;
	struct tkc *kc = tarr_at(&k->c, taxis_idx(&t->coarse, ts));
	kc->sent = sat16((uint32_t)kc->sent + 1);
	if (thr)
		kc->thr = sat16((uint32_t)kc->thr + 1);
	retry_on_sample(t, k, g, s, thr, el);
}

/* ---- shared helpers --------------------------------------------------------------------- */

const struct tkc *key_coarse(const struct tkey *k, int64_t cidx)
{
	return tarr_get(&k->c, cidx);
}

bool key_in(const struct tkey *k, const struct tgroup *g, const struct throttle *t)
{
	return g == &t->all || &t->groups[k->group] == g;
}

/* ---- finish ----------------------------------------------------------------------------- */

static void dense_fine(struct throttle *t, struct tgroup *g)
{
	size_t nf = t->fine.any ? (size_t)(t->fine.hi - t->fine.lo + 1) : 0;
	g->nf = nf;
	g->f_sent = xcalloc(nf, sizeof(uint32_t));
	g->f_thr = xcalloc(nf, sizeof(uint32_t));
	g->f_ok = xcalloc(nf, sizeof(uint32_t));
	g->f_acc = xcalloc(nf, sizeof(uint32_t));
	g->f_end_acc = xcalloc(nf, sizeof(uint32_t));
	g->f_end_all = xcalloc(nf, sizeof(uint32_t));
	g->f_svc = xcalloc(nf, sizeof(float));
	for (size_t i = 0; i < nf; i++) {
		const struct tfine *f = tarr_get(&g->fine, t->fine.lo + (int64_t)i);
		if (!f)
			continue;
		g->f_sent[i] = f->sent;
		g->f_thr[i] = f->thr;
		g->f_ok[i] = f->ok;
		g->f_acc[i] = f->sent - f->thr;
		g->f_end_acc[i] = f->end_acc;
		g->f_end_all[i] = f->end_all;
		g->f_svc[i] = g->f_acc[i] ? f->svc_acc_s / (float)g->f_acc[i] : 0.0f;
	}
	g->res.fine = (struct throttle_series){
		.t0_ms = t->fine.lo * t->fine.w,
		.width_ms = t->fine.w,
		.n = nf,
		.sent = g->f_sent,
		.throttled = g->f_thr,
		.ok = g->f_ok,
	};
}

static void dense_lat(struct throttle *t, struct tgroup *g)
{
	size_t nl = t->lat.any ? (size_t)(t->lat.hi - t->lat.lo + 1) : 0;
	g->l_p50 = xcalloc(nl, sizeof(float));
	g->l_p95 = xcalloc(nl, sizeof(float));
	for (size_t i = 0; i < nl; i++) {
		const struct tlat *l = tarr_get(&g->lat, t->lat.lo + (int64_t)i);
		g->l_p50[i] = (float)(l && l->ok ? thist_quantile(l->ok, 0.5) : NAN);
		g->l_p95[i] = (float)(l && l->ok ? thist_quantile(l->ok, 0.95) : NAN);
	}
	g->res.lat = (struct throttle_latency_series){
		.t0_ms = t->lat.lo * t->lat.w,
		.width_ms = t->lat.w,
		.n = nl,
		.p50_ms = g->l_p50,
		.p95_ms = g->l_p95,
	};
}

static int cmp_key_id(const void *a, const void *b, void *ctx)
{
	const struct tkey *keys = ctx;
	uint32_t x = keys[*(const uint32_t *)a].id, y = keys[*(const uint32_t *)b].id;
	if (x != y)
		return (x > y) - (x < y);
	return (*(const uint32_t *)a > *(const uint32_t *)b) -
	       (*(const uint32_t *)a < *(const uint32_t *)b);
}

static void dense_threads(struct throttle *t, struct tgroup *g)
{
	size_t nc = t->coarse.any ? (size_t)(t->coarse.hi - t->coarse.lo + 1) : 0;
	g->c_threads = xcalloc(nc, sizeof(uint32_t));
	uint32_t *last = xcalloc(nc, sizeof(uint32_t)); /* id + 1 last counted per bucket */
	uint32_t *order = xmalloc((g->nkeys ? g->nkeys : 1) * sizeof *order);
	memcpy(order, g->keys, g->nkeys * sizeof *order);
	qsort_r(order, g->nkeys, sizeof *order, cmp_key_id, t->keys);
	for (size_t i = 0; i < g->nkeys; i++) {
		const struct tkey *k = &t->keys[order[i]];
		for (size_t j = 0; j < k->c.n; j++) {
			const struct tkc *c = tarr_get(&k->c, k->c.lo + (int64_t)j);
			if (!c || !c->sent)
				continue;
			size_t b = (size_t)(k->c.lo + (int64_t)j - t->coarse.lo);
			if (b >= nc || last[b] == k->id + 1)
				continue;
			last[b] = k->id + 1;
			g->c_threads[b]++;
		}
	}
	free(order);
	free(last);
	g->res.keys = (struct throttle_key_series){
		.t0_ms = t->coarse.lo * t->coarse.w,
		.width_ms = t->coarse.w,
		.n = nc,
		.threads = g->c_threads,
	};
}

static void latency_of(const struct thist *h, struct throttle_latency *out)
{
	out->n = h->n;
	out->p50_ms = h->n ? thist_quantile(h, 0.5) : 0;
	out->p95_ms = h->n ? thist_quantile(h, 0.95) : 0;
	out->mean_ms = h->n ? h->sum / (double)h->n : 0;
}

static void finish_group(struct throttle *t, struct tgroup *g, bool overall)
{
	struct throttle_group *r = &g->res;
	r->name = g->name;
	r->samples = g->samples;
	r->throttled = g->thr;
	r->ok = g->ok;
	r->folded_keys = g->folded_keys;
	r->first_ms = g->first_ms == INT64_MAX ? 0 : g->first_ms;
	r->last_ms = g->last_ms == INT64_MIN ? 0 : g->last_ms;
	double span_s = (double)(r->last_ms - r->first_ms) / 1000.0;
	if (span_s < 0.001)
		span_s = 0.001;
	r->offered_per_s = (double)g->samples / span_s;
	r->accepted_per_s = (double)(g->samples - g->thr) / span_s;
	r->connect_p50_ms = g->connect.n ? thist_quantile(&g->connect, 0.5) : -1;
	latency_of(&g->ok_el, &r->latency);
	onset_episodes(t, g);
	onset_load(t, g, overall);
	r->detected = r->onset.detected;
	scope_analyse(t, g, overall);
	scope_fit_limit(t, g, overall);
	bool spared = false;
	if (overall && t->ngroups > 1)
		for (size_t i = 0; i < t->ngroups; i++)
			spared = spared || !t->groups[i].res.detected;
	if (!spared)
		decide_group(t, g, overall);
	retry_result(&g->ra, &r->retry);
}

static int cmp_group(const void *a, const void *b)
{
	const struct throttle_group *x = a, *y = b;
	bool xo = strcmp(x->name, REGION_OTHER) == 0, yo = strcmp(y->name, REGION_OTHER) == 0;
	if (xo != yo)
		return xo ? 1 : -1;
	return strcmp(x->name, y->name);
}

static void adopt_shadow(struct throttle *t);

/* Every group's load in the trailing window of the earliest onset (what a spared group was
 * sending when throttling began elsewhere). */
static void first_onset_loads(struct throttle *t, struct throttle_result *r)
{
	const struct throttle_group *first = NULL;
	for (size_t i = 0; i < r->ngroups; i++)
		if (r->groups[i].detected && (!first || r->groups[i].onset.ts_ms < first->onset.ts_ms))
			first = &r->groups[i];
	if (!first && r->overall.detected)
		first = &r->overall;
	if (!first)
		return;
	int64_t to = first->onset.ts_ms, from = to - (int64_t)(first->onset.window_s * 1000);
	for (size_t i = 0; i < t->ngroups; i++) {
		struct throttle_group *rg = NULL;
		for (size_t j = 0; j < r->ngroups; j++)
			if (t->res_groups[j].name == t->groups[i].name)
				rg = &t->res_groups[j];
		if (!rg)
			continue;
		rg->threads_at_first_onset = onset_active_keys(t, &t->groups[i], from, to);
		rg->rate_at_first_onset = onset_rate(t, &t->groups[i], from, to);
	}
}

void throttle_finish(struct throttle *t)
{
	if (t->finished)
		return;
	t->finished = true;
	if (t->shadow)
		throttle_finish(t->shadow);
	if (t->tx)
		throttle_finish(t->tx);
	for (size_t i = 0; i < t->nkeys; i++)
		retry_finalize_key(&t->keys[i], &t->groups[t->keys[i].group]);
	for (size_t i = 0; i < t->ngroups; i++)
		retry_acc_merge(&t->all.ra, &t->groups[i].ra);
	/* typical gap between a key's requests: its mean interval (independent of input order) */
	for (size_t i = 0; i < t->nkeys; i++) {
		const struct tkey *k = &t->keys[i];
		if (k->sent < 2 || k->last_ts <= k->first_ts)
			continue;
		uint64_t gap = (uint64_t)(k->last_ts - k->first_ts) / (k->sent - 1);
		thist_add(&t->groups[k->group].gaps, gap);
		thist_add(&t->all.gaps, gap);
	}
	/* key lists */
	t->all.keys = xmalloc((t->nkeys ? t->nkeys : 1) * sizeof(uint32_t));
	for (size_t i = 0; i < t->nkeys; i++) {
		t->all.keys[t->all.nkeys++] = (uint32_t)i;
		struct tgroup *g = &t->groups[t->keys[i].group];
		if (!g->keys)
			g->keys = xmalloc(t->nkeys * sizeof(uint32_t));
		g->keys[g->nkeys++] = (uint32_t)i;
	}
	/* dense arrays first: a group's analysis reads the whole run's arrays too */
	for (size_t i = 0; i <= t->ngroups; i++) {
		struct tgroup *g = i < t->ngroups ? &t->groups[i] : &t->all;
		dense_fine(t, g);
		dense_lat(t, g);
		dense_threads(t, g);
	}
	for (size_t i = 0; i < t->ngroups; i++)
		finish_group(t, &t->groups[i], false);
	finish_group(t, &t->all, true);

	struct throttle_result *r = &t->res;
	r->samples = t->samples;
	r->throttled = t->thr;
	r->skipped_no_ts = t->skipped_no_ts;
	r->skipped_out_of_range = t->skipped_range;
	r->skipped_sub = t->skipped_sub;
	r->skipped_transaction = t->skipped_tx;
	r->pattern_errors = t->pattern_errors;
	r->plain_503 = t->plain_503;
	r->keys_over_limit = t->keys_over;
	r->encrypted = t->encrypted;
	r->start_ms = t->samples ? t->start_ms : 0;
	r->end_ms = t->samples ? t->end_ms : 0;
	r->region_by = t->cfg.region_by;
	r->overall = t->all.res;
	t->res_groups = xcalloc(t->ngroups ? t->ngroups : 1, sizeof *t->res_groups);
	for (size_t i = 0; i < t->ngroups; i++)
		t->res_groups[i] = t->groups[i].res;
	qsort(t->res_groups, t->ngroups, sizeof *t->res_groups, cmp_group);
	r->ngroups = t->ngroups;
	r->groups = t->res_groups;
	r->detected = r->overall.detected;
	for (size_t i = 0; i < t->ngroups; i++)
		r->detected = r->detected || t->res_groups[i].detected;
	/* the group the verdict is about: the only throttled one when the others were spared,
	 * else the whole run */
	size_t naff = 0;
	const struct throttle_group *one = NULL;
	for (size_t i = 0; i < t->ngroups; i++) {
		if (t->res_groups[i].detected) {
			naff++;
			if (!one || t->res_groups[i].onset.ts_ms < one->onset.ts_ms)
				one = &t->res_groups[i];
		}
	}
	r->primary = t->ngroups > 1 && naff >= 1 && naff < t->ngroups ? one : &r->overall;
	r->finding = r->detected ? THROTTLE_FINDING_RATE_LIMIT : THROTTLE_FINDING_NONE;
	if (r->detected && r->primary->finding != THROTTLE_FINDING_NONE)
		r->finding = r->primary->finding;
	if (t->replay) {
		r->replay_seen = replay_seen(t->replay);
		r->replay_kept = replay_kept(t->replay);
	}
	first_onset_loads(t, r);
	adopt_shadow(t);
	if (t->tx && t->samples == 0 && t->tx->samples > 0) {
		t->adopted_tx = true;
		struct throttle_result *tr = t->tx->adopted ? &t->tx->shadow->res : &t->tx->res;
		tr->transactions_as_requests = true;
	}
}

/* Nothing was throttled, but the headerless 503s were sustained: the shadow analysis (503 as
 * a signal) stands for the run, with its finding: probable throttling when the replay says a
 * rate limiter decided them, overload when they follow the load. */
static void adopt_shadow(struct throttle *t)
{
	struct throttle *sh = t->shadow;
	if (t->is_shadow || !sh || t->res.detected || !sh->res.detected || !t->plain_503)
		return;
	struct throttle_result *r = &sh->res;
	if (r->finding != THROTTLE_FINDING_PROBABLE && r->finding != THROTTLE_FINDING_OVERLOAD)
		return;
	r->plain_503 = t->plain_503;
	r->pattern_errors = t->pattern_errors;
	r->replay_seen = t->res.replay_seen;
	r->replay_kept = t->res.replay_kept;
	if (r->finding == THROTTLE_FINDING_OVERLOAD)
		r->detected = false;
	t->adopted = true;
}

const struct throttle_result *throttle_result(const struct throttle *t)
{
	if (!t->finished)
		return NULL;
	if (t->adopted_tx)
		return throttle_result(t->tx);
	if (t->adopted)
		return &t->shadow->res;
	return &t->res;
}
