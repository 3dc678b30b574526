/* conn.c - the connection table: TCP 4-tuples to connections, client/server roles, protocol
 * detection by content, dispatch to the protocol parsers, eviction.
 *
 * A connection is a 4-tuple plus the SYN that opened it: a new SYN on a tuple whose connection
 * carried data starts a new connection (port reuse).  Roles: the SYN sender is the client; with no
 * SYN captured they are guessed from the ports and corrected by the first payload (the side that
 * sends an HTTP request line or a TLS ClientHello is the client, the side that sends "HTTP/1." is
 * the server).
 *
 * Memory stays bounded: a connection is closed (events emitted, buffers freed) on FIN from both
 * sides or RST and lingers CAPTURE_LINGER_S as a small tombstone to absorb stray packets; an open
 * one silent for CAPTURE_IDLE_TIMEOUT_S is evicted; beyond CAPTURE_MAX_CONNS the least recently
 * used one is evicted (counted).
 *
 * Detection: bytes are kept (CAPTURE_MAX_HEADER per direction) until one side is recognised:
 * "HTTP/1." from a server, a strict request line ("GET /x HTTP/1.1"), or a TLS handshake record.
 * A lenient request line (odd method bytes, no version) waits for the other side's answer.  On a
 * connection that began before the capture, unrecognised leading bytes are skipped line by line.
 */
#include "parsers/capture/cap_int.h"

#include <arpa/inet.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#define SLOTS_MIN 1024u

void cap_addr_str(const struct cap_addr *a, char *out, size_t outlen)
{
	if (a->len == 4 && outlen >= 16) {
		/* the common case without inet_ntop's generality */
		char *o = out;
		for (int i = 0; i < 4; i++) {
			unsigned v = a->b[i];
			if (v >= 100)
				*o++ = (char)('0' + v / 100);
			if (v >= 10)
				*o++ = (char)('0' + v / 10 % 10);
			*o++ = (char)('0' + v % 10);
			*o++ = i < 3 ? '.' : '\0';
		}
		return;
	}
	if (!inet_ntop(a->len == 4 ? AF_INET : AF_INET6, a->b, out, (socklen_t)outlen))
		snprintf(out, outlen, "?");
}

static uint64_t mix64(uint64_t x)
{
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdULL;
	x ^= x >> 33;
	x *= 0xc4ceb9fe1a85ec53ULL;
	x ^= x >> 33;
	return x;
}

static uint64_t ep_hash(const struct cap_addr *a, uint16_t port)
{
	uint64_t x, y = 0;
	if (a->len == 4) {
		uint32_t v;
		memcpy(&v, a->b, 4);
		x = v;
	} else {
		memcpy(&x, a->b, 8);
		memcpy(&y, a->b + 8, 8);
	}
	return mix64(x ^ (y * 0x9e3779b97f4a7c15ULL) ^ ((uint64_t)port << 48) ^ a->len);
}

static bool addr_eq(const struct cap_addr *a, const struct cap_addr *b)
{
	return a->len == b->len && memcmp(a->b, b->b, a->len) == 0;
}

/* Symmetric: both directions of a connection hash alike.  Never 0 (0 marks nothing). */
static uint64_t tuple_hash(const struct cap_addr *a, uint16_t pa, const struct cap_addr *b,
			   uint16_t pb)
{
	uint64_t h = ep_hash(a, pa) + ep_hash(b, pb);
	return h ? h : 1;
}

/* ---- flat tables (linear probing, load <= 1/2, backward-shift deletion) ----
 * Used for the open connections and for the tombstones; the entry's tuple is read through
 * ent_tuple, so one lookup serves both. */

static void ent_tuple(const void *p, bool tomb, const struct cap_addr **a, const uint16_t **port)
{
	if (tomb) {
		const struct cap_tomb *t = p;
		*a = t->addr;
		*port = t->port;
	} else {
		const struct cap_conn *cn = p;
		*a = cn->addr;
		*port = cn->port;
	}
}

/* The entry for the packet's tuple, its slot in *at; *dir is CAP_C2S when the packet comes
 * from the entry's client. */
static void *tbl_find(struct cap_slot *slot, size_t nslot, bool tomb, uint64_t h,
		      const struct cap_pkt *pk, int *dir, size_t *at)
{
	if (!nslot)
		return NULL;
	size_t mask = nslot - 1;
	for (size_t i = (size_t)h & mask;; i = (i + 1) & mask) {
		struct cap_slot *s = &slot[i];
		if (!s->p)
			return NULL;
		if (s->hash != h)
			continue;
		const struct cap_addr *a;
		const uint16_t *port;
		ent_tuple(s->p, tomb, &a, &port);
		if (port[0] == pk->sport && port[1] == pk->dport && addr_eq(&a[0], &pk->src) &&
		    addr_eq(&a[1], &pk->dst)) {
			*dir = CAP_C2S;
			*at = i;
			return s->p;
		}
		if (port[1] == pk->sport && port[0] == pk->dport && addr_eq(&a[1], &pk->src) &&
		    addr_eq(&a[0], &pk->dst)) {
			*dir = CAP_S2C;
			*at = i;
			return s->p;
		}
	}
}

static void tbl_put(struct cap_slot *slot, size_t nslot, uint64_t h, void *p)
{
	size_t mask = nslot - 1;
	size_t i = (size_t)h & mask;
	while (slot[i].p)
		i = (i + 1) & mask;
	slot[i].hash = h;
	slot[i].p = p;
}

/* Room for one more entry: doubles the table when it would pass half full. */
static void tbl_reserve(struct cap_slot **slot, size_t *nslot, size_t used)
{
	if ((used + 1) * 2 <= *nslot)
		return;
	size_t n = *nslot ? *nslot * 2 : SLOTS_MIN;
	struct cap_slot *ns = xcalloc(n, sizeof *ns);
	for (size_t i = 0; i < *nslot; i++)
		if ((*slot)[i].p)
			tbl_put(ns, n, (*slot)[i].hash, (*slot)[i].p);
	free(*slot);
	*slot = ns;
	*nslot = n;
}

static void tbl_del_at(struct cap_slot *slot, size_t nslot, size_t i)
{
	size_t mask = nslot - 1;
	slot[i].p = NULL;
	for (size_t j = (i + 1) & mask; slot[j].p; j = (j + 1) & mask) {
		size_t home = (size_t)slot[j].hash & mask;
		/* move j back into the hole when its home is not in (i, j] (cyclically) */
		if (((j - home) & mask) >= ((j - i) & mask)) {
			slot[i] = slot[j];
			slot[j].p = NULL;
			i = j;
		}
	}
}

static void tbl_del(struct cap_slot *slot, size_t nslot, uint64_t h, const void *p)
{
	size_t mask = nslot - 1;
	for (size_t i = (size_t)h & mask; slot[i].p; i = (i + 1) & mask) {
		if (slot[i].p == p) {
			tbl_del_at(slot, nslot, i);
			return;
		}
	}
}

static void lru_unlink(struct capture *c, struct cap_conn *cn)
{
	if (cn->lprev)
		cn->lprev->lnext = cn->lnext;
	else
		c->lru_head = cn->lnext;
	if (cn->lnext)
		cn->lnext->lprev = cn->lprev;
	else
		c->lru_tail = cn->lprev;
	cn->lprev = cn->lnext = NULL;
}

static void lru_append(struct capture *c, struct cap_conn *cn)
{
	cn->lprev = c->lru_tail;
	cn->lnext = NULL;
	if (c->lru_tail)
		c->lru_tail->lnext = cn;
	else
		c->lru_head = cn;
	c->lru_tail = cn;
}

static void tomb_unlink(struct capture *c, struct cap_tomb *t)
{
	if (t->lprev)
		t->lprev->lnext = t->lnext;
	else
		c->tlru_head = t->lnext;
	if (t->lnext)
		t->lnext->lprev = t->lprev;
	else
		c->tlru_tail = t->lprev;
	t->lprev = t->lnext = NULL;
}

static void tomb_append(struct capture *c, struct cap_tomb *t)
{
	t->lprev = c->tlru_tail;
	t->lnext = NULL;
	if (c->tlru_tail)
		c->tlru_tail->lnext = t;
	else
		c->tlru_head = t;
	c->tlru_tail = t;
}

static void tomb_remove(struct capture *c, struct cap_tomb *t)
{
	tbl_del(c->tslot, c->ntslot, t->hash, t);
	tomb_unlink(c, t);
	c->ntomb--;
	free(t);
}

static void conn_free(struct cap_conn *cn)
{
	for (int i = 0; i < 2; i++) {
		cap_tcp_free(&cn->d[i]);
		strbuf_release(&cn->d[i].det);
	}
	cap_http_free(cn);
	cap_ws_free(cn);
	cap_tls_free(cn);
	free(cn->ws_host);
	free(cn->ws_path);
	free(cn);
}

/* Unlink from the table and free. */
static void conn_remove(struct capture *c, struct cap_conn *cn)
{
	tbl_del(c->slot, c->nslot, cn->hash, cn);
	lru_unlink(c, cn);
	c->nconn--;
	conn_free(cn);
}

/* A closed connection: a tombstone takes its place in the tombstone table, it is freed. */
static void conn_bury(struct capture *c, struct cap_conn *cn)
{
	if (c->ntomb >= CAPTURE_MAX_CONNS && c->tlru_head)
		tomb_remove(c, c->tlru_head);
	struct cap_tomb *t = xcalloc(1, sizeof *t);
	t->hash = cn->hash;
	memcpy(t->addr, cn->addr, sizeof t->addr);
	memcpy(t->port, cn->port, sizeof t->port);
	for (int i = 0; i < 2; i++) {
		const struct cap_dir *d = &cn->d[i];
		t->seq_set[i] = d->base_set;
		t->seq_lo[i] = cn->isn_set[i] ? cn->isn[i] : d->base;
		t->seq_end[i] = d->base + (uint32_t)(d->hi > d->next ? d->hi : d->next) +
				(d->fin ? 1u : 0u);
	}
	t->last_ns = cn->st.last_ns;
	tbl_reserve(&c->tslot, &c->ntslot, c->ntomb);
	tbl_put(c->tslot, c->ntslot, t->hash, t);
	tomb_append(c, t);
	c->ntomb++;
	conn_remove(c, cn);
}

struct cap_conn *cap_conn_lookup(struct capture *c, const struct cap_pkt *pk, int *dir)
{
	size_t at;
	uint64_t h = tuple_hash(&pk->src, pk->sport, &pk->dst, pk->dport);
	return tbl_find(c->slot, c->nslot, false, h, pk, dir, &at);
}

static void conn_name(struct cap_conn *cn)
{
	for (int i = 0; i < 2; i++)
		cap_addr_str(&cn->addr[i], cn->astr[i], sizeof cn->astr[i]);
	bool v6 = cn->addr[0].len == 16;
	/* "c%llu %s:%u>%s:%u" (IPv6 in brackets) without printf: once per connection */
	char *o = cn->name, *end = cn->name + sizeof cn->name - 1;
	char num[24];
	size_t k = 0;
	uint64_t id = cn->id;
	do
		num[k++] = (char)('0' + id % 10);
	while ((id /= 10) && k < sizeof num);
	*o++ = 'c';
	while (k && o < end)
		*o++ = num[--k];
	for (int i = 0; i < 2; i++) {
		if (o < end)
			*o++ = i ? '>' : ' ';
		if (v6 && o < end)
			*o++ = '[';
		for (const char *s = cn->astr[i]; *s && o < end; s++)
			*o++ = *s;
		if (v6 && o < end)
			*o++ = ']';
		if (o < end)
			*o++ = ':';
		unsigned pv = cn->port[i];
		k = 0;
		do
			num[k++] = (char)('0' + pv % 10);
		while ((pv /= 10));
		while (k && o < end)
			*o++ = num[--k];
	}
	*o = '\0';
}

/* Ports that usually belong to a server, for connections whose SYN was not captured. */
static bool server_port(uint16_t p)
{
	static const uint16_t common[] = { 3000, 5000, 8000, 8008, 8080, 8081, 8088, 8443, 8888,
					   9000, 9090, 9443 };
	if (p < 1024)
		return true;
	for (size_t i = 0; i < ARRAY_LEN(common); i++)
		if (common[i] == p)
			return true;
	return false;
}

static struct cap_conn *conn_new(struct capture *c, const struct cap_pkt *pk)
{
	if (c->nconn >= CAPTURE_MAX_CONNS && c->lru_head) {
		struct cap_conn *old = c->lru_head;
		if (!old->closed) {
			c->cnt.limit[CAP_LIM_CONNS]++;
			cap_conn_close(old, CAP_CLOSE_LIMIT);
		}
		conn_remove(c, old);
	}
	tbl_reserve(&c->slot, &c->nslot, c->nconn);
	struct cap_conn *cn = xcalloc(1, sizeof *cn);
	cn->cap = c;
	cn->id = ++c->next_id;
	bool src_client;
	if ((pk->flags & (CAP_TH_SYN | CAP_TH_ACK)) == CAP_TH_SYN) {
		src_client = true;
		cn->saw_syn = true;
	} else if ((pk->flags & (CAP_TH_SYN | CAP_TH_ACK)) == (CAP_TH_SYN | CAP_TH_ACK)) {
		src_client = false;
		cn->saw_syn = true;
	} else {
		bool ss = server_port(pk->sport), ds = server_port(pk->dport);
		if (ss != ds)
			src_client = ds;
		else
			src_client = pk->sport > pk->dport || (pk->sport == pk->dport);
	}
	cn->addr[0] = src_client ? pk->src : pk->dst;
	cn->addr[1] = src_client ? pk->dst : pk->src;
	cn->port[0] = src_client ? pk->sport : pk->dport;
	cn->port[1] = src_client ? pk->dport : pk->sport;
	cn->roles_final = cn->saw_syn;
	conn_name(cn);
	cn->hash = tuple_hash(&cn->addr[0], cn->port[0], &cn->addr[1], cn->port[1]);
	tbl_put(c->slot, c->nslot, cn->hash, cn);
	lru_append(c, cn);
	c->nconn++;
	c->cnt.connections++;
	if (!cn->saw_syn)
		c->cnt.connections_no_syn++;
	cn->st.first_ns = pk->ts;
	cn->st.close_reason = CAP_CLOSE_NONE;
	return cn;
}

static void swap_u64(uint64_t *a, uint64_t *b)
{
	uint64_t t = *a;
	*a = *b;
	*b = t;
}

/* Exchange client and server (only before anything was reported about the connection). */
static void swap_roles(struct cap_conn *cn)
{
	struct cap_addr ta = cn->addr[0];
	cn->addr[0] = cn->addr[1];
	cn->addr[1] = ta;
	uint16_t tp = cn->port[0];
	cn->port[0] = cn->port[1];
	cn->port[1] = tp;
	struct cap_dir td = cn->d[0];
	cn->d[0] = cn->d[1];
	cn->d[1] = td;
	uint32_t ti = cn->isn[0];
	cn->isn[0] = cn->isn[1];
	cn->isn[1] = ti;
	bool tb = cn->isn_set[0];
	cn->isn_set[0] = cn->isn_set[1];
	cn->isn_set[1] = tb;
	swap_u64(&cn->st.packets[0], &cn->st.packets[1]);
	swap_u64(&cn->st.bytes[0], &cn->st.bytes[1]);
	int64_t tf = cn->st.fin_ns[0];
	cn->st.fin_ns[0] = cn->st.fin_ns[1];
	cn->st.fin_ns[1] = tf;
	unsigned fb = cn->st.fin_by, rb = cn->st.rst_by;
	cn->st.fin_by = ((fb & 1u) << 1) | ((fb & 2u) >> 1);
	cn->st.rst_by = ((rb & 1u) << 1) | ((rb & 2u) >> 1);
	conn_name(cn);
	/* the hash does not change: it is symmetric */
}

void cap_conn_open_event(struct cap_conn *cn)
{
	if (cn->open_emitted)
		return;
	cn->open_emitted = true;
	cn->roles_final = true;
	cap_ev_push(cn->cap, cap_ev_new(cn, CAP_EV_CONN_OPEN));
}

void cap_conn_set_proto(struct cap_conn *cn, enum capture_proto p)
{
	if (cn->d[0].tls_outer && p != CAP_PROTO_WEBSOCKET)
		return;   /* decrypted TLS stays TLS (HTTP inside is in the events) */
	if (p == CAP_PROTO_TLS && cn->proto != CAP_PROTO_TLS)
		cn->cap->cnt.tls_connections++;
	cn->proto = p;
}

/* ---- protocol detection ---- */

static void det_drop(struct cap_dir *d, size_t k)
{
	if (k > d->det.len)
		k = d->det.len;
	memmove(d->det.buf, d->det.buf + k, d->det.len - k);
	d->det.len -= k;
	if (d->det.buf)
		d->det.buf[d->det.len] = '\0';
	d->det_off += k;
	unsigned j = 0;
	for (unsigned i = 0; i < d->npiece; i++) {
		if (d->piece[i].end <= k)
			continue;
		d->piece[j] = d->piece[i];
		d->piece[j].end -= k;
		j++;
	}
	d->npiece = j;
}

static void det_reset(struct cap_dir *d, uint64_t next_off)
{
	strbuf_release(&d->det);
	d->npiece = 0;
	d->det_off = next_off;
}

/* Feed what detection kept to the chosen parser, piece by piece with each piece's time. */
static void replay(struct cap_conn *cn, int dir)
{
	struct cap_dir *d = &cn->d[dir];
	struct strbuf det = d->det;
	unsigned np = d->npiece;
	size_t ends[ARRAY_LEN(d->piece)];
	struct cap_seginfo sis[ARRAY_LEN(d->piece)];
	for (unsigned i = 0; i < np; i++) {
		ends[i] = d->piece[i].end;
		sis[i] = d->piece[i].si;
	}
	uint64_t base = d->det_off;
	strbuf_init(&d->det);
	d->npiece = 0;
	size_t start = 0;
	for (unsigned i = 0; i < np; i++) {
		if (ends[i] <= start)
			continue;
		struct cap_seginfo si = sis[i];
		si.off = base + start;
		cap_app_data(cn, dir, (const uint8_t *)det.buf + start, ends[i] - start, &si);
		start = ends[i];
	}
	strbuf_release(&det);
}

/* A connection picked up mid-stream may start inside a body: drop bytes before the first line
 * that starts a message (the parser then waits for one). */
static void trim_junk(struct cap_conn *cn, int dir)
{
	struct cap_dir *d = &cn->d[dir];
	const uint8_t *p = (const uint8_t *)d->det.buf;
	size_t n = d->det.len;
	if (!n)
		return;
	enum cap_verdict v = dir == CAP_C2S ? cap_http_request_verdict(p, n)
					    : cap_http_response_verdict(p, n);
	if (v != CAP_V_NO)
		return;
	for (size_t k = 1; k < n; k++) {
		if (p[k - 1] == '\n' && cap_http_starts_message(p + k, n - k, dir == CAP_S2C)) {
			det_drop(d, k);
			return;
		}
	}
	det_drop(d, n);
	cap_http_resync(cn, dir);
}

static void decide(struct cap_conn *cn, enum cap_mode mode, int client_dir)
{
	if (client_dir != CAP_C2S && !cn->roles_final) {
		/* Roles must flip first; that is only safe once the packet is processed (the TCP
		 * layer below us is mid-delivery), so cap_conn_packet does it and detects again. */
		cn->swap_wanted = true;
		return;
	}
	cn->d[0].mode = cn->d[1].mode = mode;
	if (mode == CAP_M_HTTP)
		cap_conn_set_proto(cn, CAP_PROTO_HTTP);
	else if (mode == CAP_M_TLS)
		cap_conn_set_proto(cn, CAP_PROTO_TLS);
	else
		cap_conn_set_proto(cn, CAP_PROTO_OTHER);
	cap_conn_open_event(cn);
	if (mode == CAP_M_HTTP && (!cn->saw_syn || cn->detect_scan)) {
		trim_junk(cn, CAP_C2S);
		trim_junk(cn, CAP_S2C);
	}
	if (mode == CAP_M_OTHER) {
		for (int i = 0; i < 2; i++)
			det_reset(&cn->d[i], cn->d[i].det_off + cn->d[i].det.len);
		return;
	}
	replay(cn, CAP_C2S);
	replay(cn, CAP_S2C);
}

/* Try to recognise the protocol from what both sides have sent so far. */
static void detect(struct cap_conn *cn)
{
	enum cap_verdict req[2], resp[2], tls[2];
	int hello[2] = { -1, -1 };
	bool any_maybe = false;
	for (int pass = 0; pass < 64; pass++) {
		bool all_no = true, need_more = false;
		for (int i = 0; i < 2; i++) {
			struct cap_dir *d = &cn->d[i];
			const uint8_t *p = (const uint8_t *)d->det.buf;
			size_t n = d->det.len;
			if (!n) {
				req[i] = resp[i] = tls[i] = CAP_V_NO;
				continue;
			}
			tls[i] = cap_tls_verdict(p, n, !cn->saw_syn || cn->detect_scan, &hello[i]);
			resp[i] = cap_http_response_verdict(p, n);
			req[i] = cap_http_request_verdict(p, n);
			if (tls[i] == CAP_V_YES) {
				int client = hello[i] == 2 ? !i : i;
				decide(cn, CAP_M_TLS, client);
				return;
			}
			if (resp[i] == CAP_V_YES) {
				decide(cn, CAP_M_HTTP, !i);
				return;
			}
			if (req[i] == CAP_V_YES) {
				decide(cn, CAP_M_HTTP, i);
				return;
			}
			if (req[i] == CAP_V_MAYBE)
				any_maybe = true;
			if (req[i] != CAP_V_NO || resp[i] != CAP_V_NO || tls[i] != CAP_V_NO)
				all_no = false;
			if (req[i] == CAP_V_NEED_MORE || resp[i] == CAP_V_NEED_MORE ||
			    tls[i] == CAP_V_NEED_MORE)
				need_more = true;
		}
		if (any_maybe) {
			/* A lenient request line: the other side's answer decides. */
			for (int i = 0; i < 2; i++) {
				if (req[i] != CAP_V_MAYBE)
					continue;
				struct cap_dir *o = &cn->d[!i];
				if (o->det.len && resp[!i] == CAP_V_NO && req[!i] == CAP_V_NO &&
				    tls[!i] == CAP_V_NO) {
					decide(cn, CAP_M_OTHER, CAP_C2S);
					return;
				}
			}
			return;
		}
		if (!all_no || need_more)
			return;
		if (!cn->saw_syn || cn->detect_scan) {
			/* Began mid-stream: skip to the next line and look again. */
			bool dropped = false;
			for (int i = 0; i < 2; i++) {
				struct cap_dir *d = &cn->d[i];
				if (!d->det.len)
					continue;
				const char *nl = memchr(d->det.buf, '\n', d->det.len);
				if (nl) {
					det_drop(d, (size_t)(nl - d->det.buf) + 1);
					dropped = true;
				} else {
					det_drop(d, d->det.len);
				}
			}
			if (dropped)
				continue;
			return;
		}
		decide(cn, CAP_M_OTHER, CAP_C2S);
		return;
	}
}

static void detect_add(struct cap_conn *cn, int dir, const uint8_t *p, size_t n,
		       const struct cap_seginfo *si)
{
	struct cap_dir *d = &cn->d[dir];
	if (!d->det.len && !cn->d[!dir].det.len && cn->saw_syn && !cn->detect_scan && n) {
		/* Fast path: the first bytes of a connection whose SYN was seen usually decide at
		 * once (what detect() would conclude from them alone); then they go to the parser
		 * without being copied into det first. */
		int hello = -1, client = -1;
		enum cap_mode mode = CAP_M_HTTP;
		if (cap_tls_verdict(p, n, false, &hello) == CAP_V_YES) {
			mode = CAP_M_TLS;
			client = hello == 2 ? !dir : dir;
		} else if (cap_http_response_verdict(p, n) == CAP_V_YES) {
			client = !dir;
		} else if (cap_http_request_verdict(p, n) == CAP_V_YES) {
			client = dir;
		}
		if (client >= 0) {
			d->det_off = si->off;
			d->npiece = 0;
			decide(cn, mode, client);
			if (d->mode != CAP_M_DETECT) {
				cap_app_data(cn, dir, p, n, si);
				return;
			}
		}
	}
	if (!d->det.len) {
		d->det_off = si->off;
		d->npiece = 0;
	}
	if (d->det.len + n > CAPTURE_MAX_HEADER) {
		cn->cap->cnt.limit[CAP_LIM_HEADER]++;
		decide(cn, CAP_M_OTHER, CAP_C2S);
		return;
	}
	strbuf_add(&d->det, p, n);
	if (d->npiece < ARRAY_LEN(d->piece)) {
		d->piece[d->npiece].end = d->det.len;
		d->piece[d->npiece].si = *si;
		d->npiece++;
	} else {
		d->piece[d->npiece - 1].end = d->det.len;
	}
	detect(cn);
}

/* A hole cuts the first message short (a snaplen, a lost segment): decide on what is there if
 * it clearly starts a message, so the parser can report the part that was seen. */
static bool detect_on_gap(struct cap_conn *cn, int dir)
{
	struct cap_dir *d = &cn->d[dir];
	const uint8_t *p = (const uint8_t *)d->det.buf;
	size_t n = d->det.len;
	int hello = 0;
	if (!n)
		return false;
	if (cap_http_starts_message(p, n, true))
		decide(cn, CAP_M_HTTP, !dir);
	else if (cap_http_starts_message(p, n, false))
		decide(cn, CAP_M_HTTP, dir);
	else if (cap_tls_verdict(p, n, true, &hello) == CAP_V_YES)
		decide(cn, CAP_M_TLS, hello == 2 ? !dir : dir);
	return d->mode != CAP_M_DETECT || cn->d[!dir].mode != CAP_M_DETECT;
}

/* ---- dispatch ---- */

void cap_app_data(struct cap_conn *cn, int dir, const uint8_t *p, size_t n,
		  const struct cap_seginfo *si)
{
	switch (cn->d[dir].mode) {
	case CAP_M_DETECT:
		detect_add(cn, dir, p, n, si);
		break;
	case CAP_M_HTTP:
		cap_http_data(cn, dir, p, n, si);
		break;
	case CAP_M_WS:
		cap_ws_data(cn, dir, p, n, si);
		break;
	case CAP_M_TLS:
		cap_tls_data(cn, dir, p, n, si);
		break;
	case CAP_M_OTHER:
		break;
	}
}

void cap_app_gap(struct cap_conn *cn, int dir, uint64_t n, const struct cap_seginfo *si)
{
	switch (cn->d[dir].mode) {
	case CAP_M_DETECT:
		if (detect_on_gap(cn, dir)) {
			cap_app_gap(cn, dir, n, si);
			break;
		}
		/* The start is lost: look for a message start further on. */
		det_reset(&cn->d[dir], si->off + n);
		cn->detect_scan = true;
		break;
	case CAP_M_HTTP:
		cap_http_gap(cn, dir, n, si);
		break;
	case CAP_M_WS:
		cap_ws_gap(cn, dir, n, si);
		break;
	case CAP_M_TLS:
		cap_tls_gap(cn, dir, n, si);
		break;
	case CAP_M_OTHER:
		break;
	}
}

void cap_app_eof(struct cap_conn *cn, int dir, const struct cap_seginfo *si)
{
	if (cn->d[dir].mode == CAP_M_HTTP)
		cap_http_eof(cn, dir, si);
}

/* Reassembled TCP bytes: TLS records being decrypted go to tls.c, which hands the plaintext
 * to cap_app_data; everything else goes to cap_app_data directly. */
void cap_stream_data(struct cap_conn *cn, int dir, const uint8_t *p, size_t n,
		     const struct cap_seginfo *si)
{
	if (cn->d[dir].tls_outer)
		cap_tls_data(cn, dir, p, n, si);
	else
		cap_app_data(cn, dir, p, n, si);
}

void cap_stream_gap(struct cap_conn *cn, int dir, uint64_t n, const struct cap_seginfo *si)
{
	if (cn->d[dir].tls_outer)
		cap_tls_gap(cn, dir, n, si);
	else
		cap_app_gap(cn, dir, n, si);
}

void cap_stream_eof(struct cap_conn *cn, int dir, const struct cap_seginfo *si)
{
	if (cn->d[dir].tls_outer) {
		struct cap_seginfo ps = *si;
		ps.off = cn->d[dir].plain_off;
		ps.ack_valid = false;
		cap_app_eof(cn, dir, &ps);
	} else {
		cap_app_eof(cn, dir, si);
	}
}

void cap_conn_plain_start(struct cap_conn *cn)
{
	for (int i = 0; i < 2; i++) {
		struct cap_dir *d = &cn->d[i];
		d->tls_outer = true;
		d->mode = CAP_M_DETECT;
		d->plain_off = 0;
		det_reset(d, 0);
	}
	cn->detect_scan = false;
}

/* ---- lifecycle ---- */

void cap_conn_close(struct cap_conn *cn, enum capture_close_reason why)
{
	if (cn->closed)
		return;
	for (int i = 0; i < 2; i++)
		cap_tcp_flush(cn, i);
	bool undecided = cn->d[0].mode == CAP_M_DETECT && cn->d[1].mode == CAP_M_DETECT &&
			 !cn->d[0].tls_outer;
	if (undecided && (cn->d[0].det.len || cn->d[1].det.len || cn->st.bytes[0] ||
			  cn->st.bytes[1]))
		cap_conn_set_proto(cn, CAP_PROTO_OTHER);
	cap_conn_open_event(cn);
	bool clean = why == CAP_CLOSE_FIN || why == CAP_CLOSE_RST;
	cap_http_close(cn, clean);
	cap_ws_close(cn);
	cap_tls_close(cn);
	cn->st.close_reason = why;
	if (why == CAP_CLOSE_IDLE)
		cn->cap->cnt.idle_evictions++;
	cap_ev_push(cn->cap, cap_ev_new(cn, CAP_EV_CONN_CLOSE));
	cn->closed = true;
	/* Keep only the tombstone. */
	for (int i = 0; i < 2; i++) {
		cap_tcp_free(&cn->d[i]);
		strbuf_release(&cn->d[i].det);
		cn->d[i].mode = CAP_M_OTHER;
	}
	cap_http_free(cn);
	cap_ws_free(cn);
	cap_tls_free(cn);
}

/* Without a SYN, the first payload that clearly starts a message fixes the roles, before
 * anything is reassembled with the guessed ones. */
static int peek_roles(struct cap_conn *cn, int dir, const struct cap_pkt *pk)
{
	int hello = 0;
	int client = -1;
	if (cap_http_starts_message(pk->pay, pk->pay_cap, true))
		client = !dir;
	else if (cap_http_starts_message(pk->pay, pk->pay_cap, false))
		client = dir;
	else if (cap_tls_verdict(pk->pay, pk->pay_cap, false, &hello) == CAP_V_YES && hello)
		client = hello == 2 ? !dir : dir;
	if (client < 0)
		return dir;
	if (client != CAP_C2S) {
		swap_roles(cn);
		dir = !dir;
	}
	cn->roles_final = true;
	return dir;
}

/* Does a packet on a closed connection's tuple belong to it (an ACK of the FIN, a
 * retransmission of its data), or does it start a new connection on the same tuple? */
static bool tomb_stray(const struct cap_tomb *t, int dir, const struct cap_pkt *pk)
{
	if (pk->flags & CAP_TH_SYN)
		return false;
	if (!pk->pay_wire || !t->seq_set[dir])
		return true;
	uint32_t used = t->seq_end[dir] - t->seq_lo[dir];
	uint32_t off = pk->seq - t->seq_lo[dir];
	return off <= used;
}

void cap_conn_packet(struct capture *c, const struct cap_pkt *pk)
{
	int dir = CAP_C2S;
	size_t at;
	uint64_t h = tuple_hash(&pk->src, pk->sport, &pk->dst, pk->dport);
	struct cap_conn *cn = tbl_find(c->slot, c->nslot, false, h, pk, &dir, &at);
	bool syn_only = (pk->flags & (CAP_TH_SYN | CAP_TH_ACK)) == CAP_TH_SYN;
	if (cn && syn_only) {
		bool same = dir == CAP_C2S && cn->isn_set[CAP_C2S] && cn->isn[CAP_C2S] == pk->seq;
		if (!same && (cn->st.bytes[0] || cn->st.bytes[1] || cn->st.established_ns ||
			      dir != CAP_C2S || cn->isn_set[CAP_C2S])) {
			c->cnt.reused_tuples++;
			cap_conn_close(cn, CAP_CLOSE_REUSED);
			conn_remove(c, cn);
			cn = NULL;
		}
	}
	if (!cn && c->ntomb) {
		int tdir;
		struct cap_tomb *t = tbl_find(c->tslot, c->ntslot, true, h, pk, &tdir, &at);
		if (t) {
			if (tomb_stray(t, tdir, pk)) {
				c->cnt.stray_packets++;
				if (pk->ts > t->last_ns)
					t->last_ns = pk->ts;
				tomb_unlink(c, t);
				tomb_append(c, t);
				return;
			}
			/* the tuple is used again after FIN/RST: a new connection */
			c->cnt.reused_tuples++;
			tomb_remove(c, t);
		}
	}
	if (!cn) {
		cn = conn_new(c, pk);
		dir = addr_eq(&cn->addr[0], &pk->src) && cn->port[0] == pk->sport ? CAP_C2S : CAP_S2C;
		if (cn->saw_syn)
			cap_conn_open_event(cn);
	}
	if (pk->ts > cn->st.last_ns)
		cn->st.last_ns = pk->ts;
	if (cn != c->lru_tail) {
		lru_unlink(c, cn);
		lru_append(c, cn);
	}
	if (!cn->roles_final && pk->pay_cap)
		dir = peek_roles(cn, dir, pk);
	cap_tcp_segment(cn, dir, pk);
	if (cn->swap_wanted && !cn->closed) {
		cn->swap_wanted = false;
		if (!cn->roles_final) {
			swap_roles(cn);
			cn->roles_final = true;
			detect(cn);
		}
	}
	if (cn->st.rst_by)
		cap_conn_close(cn, CAP_CLOSE_RST);
	else if (cn->d[0].eof && cn->d[1].eof)
		cap_conn_close(cn, CAP_CLOSE_FIN);
	if (cn->closed)
		conn_bury(c, cn);
}

void cap_conn_sweep(struct capture *c)
{
	cap_tls_sweep(c);
	int64_t idle = CAPTURE_IDLE_TIMEOUT_S * CAP_NS_PER_S;
	while (c->lru_head && c->clock - c->lru_head->st.last_ns > idle) {
		struct cap_conn *cn = c->lru_head;
		cap_conn_close(cn, CAP_CLOSE_IDLE);
		conn_remove(c, cn);
	}
	int64_t linger = CAPTURE_LINGER_S * CAP_NS_PER_S;
	while (c->tlru_head && c->clock - c->tlru_head->last_ns > linger)
		tomb_remove(c, c->tlru_head);
}

static int by_id(const void *a, const void *b)
{
	const struct cap_conn *x = *(struct cap_conn *const *)a, *y = *(struct cap_conn *const *)b;
	return x->id < y->id ? -1 : x->id > y->id;
}

void cap_conn_close_all(struct capture *c)
{
	if (!c->nconn)
		return;
	struct cap_conn **all = xmalloc(c->nconn * sizeof *all);
	size_t n = 0;
	for (struct cap_conn *cn = c->lru_head; cn; cn = cn->lnext)
		all[n++] = cn;
	qsort(all, n, sizeof *all, by_id);
	for (size_t i = 0; i < n; i++)
		if (!all[i]->closed)
			cap_conn_close(all[i], CAP_CLOSE_END);
	for (size_t i = 0; i < n; i++)
		conn_remove(c, all[i]);
	free(all);
}

void cap_conn_free_all(struct capture *c)
{
	while (c->lru_head)
		conn_remove(c, c->lru_head);
	while (c->tlru_head)
		tomb_remove(c, c->tlru_head);
	free(c->slot);
	free(c->tslot);
	c->slot = c->tslot = NULL;
	c->nslot = c->ntslot = 0;
}

void cap_conn_new_segment(struct capture *c)
{
	c->cnt.segments++;
	cap_conn_close_all(c);
	while (c->tlru_head)
		tomb_remove(c, c->tlru_head);
}
