/* tls.c - TLS records and hellos (RFC 8446 sections 4.1.2-4.1.3 and 5.1; RFC 5246 for 1.2;
 * SNI RFC 6066 section 3, ALPN RFC 7301, supported_versions RFC 8446 section 4.2.1).
 *
 * Only cleartext is read: record headers (type, version, length), the first handshake message of
 * each direction (ClientHello: SNI, offered ALPN, highest offered version; ServerHello: selected
 * version and ALPN), and ChangeCipherSpec.  End of the handshake:
 *   TLS 1.3  the client's first application_data record (its encrypted Finished);
 *   TLS 1.2  both sides have sent ChangeCipherSpec followed by a record (their Finished).
 * After that every application_data record is a timeline event (size, time).  A connection whose
 * handshake was not captured (began mid-stream) counts its application_data records from the
 * first one.  Hellos are reassembled across records up to CAPTURE_MAX_TLS_HELLO.
 */
#include "parsers/capture/cap_int.h"
#include "parsers/capture/cursor.h"

#include <stdlib.h>
#include <string.h>

#define TLS_MAX_RECORD (16384u + 2048u)
#define TLS_CCS 20
#define TLS_ALERT 21
#define TLS_HANDSHAKE 22
#define TLS_APPDATA 23
#define TLS_TICKET_MAX 512u /* a NewSessionTicket record is smaller than this */
#define TLS_ALERT_MAX 40u  /* an encrypted alert: 2 bytes + type + 16-byte tag (19; Java pads to 35) */

enum cap_verdict cap_tls_verdict(const uint8_t *p, size_t n, bool midstream, int *hello)
{
	*hello = 0;
	if (n < 1)
		return CAP_V_NEED_MORE;
	bool hs = p[0] == TLS_HANDSHAKE;
	if (!hs && !(midstream && p[0] >= TLS_CCS && p[0] <= TLS_APPDATA))
		return CAP_V_NO;
	if (n < 2)
		return CAP_V_NEED_MORE;
	if (p[1] != 3)
		return CAP_V_NO;
	if (n < 3)
		return CAP_V_NEED_MORE;
	if (p[2] > 4)
		return CAP_V_NO;
	if (n < 5)
		return CAP_V_NEED_MORE;
	unsigned len = (unsigned)p[3] << 8 | p[4];
	if (len == 0 || len > TLS_MAX_RECORD)
		return CAP_V_NO;
	if (!hs)
		return CAP_V_YES;
	if (n < 6)
		return CAP_V_NEED_MORE;
	if (p[5] == 1 || p[5] == 2) {
		*hello = p[5];
		return CAP_V_YES;
	}
	return midstream ? CAP_V_YES : CAP_V_NO;
}

static bool grease(unsigned v)
{
	return (v & 0x0f0fu) == 0x0a0au;
}

static void add_alpn(char *dst, size_t cap, const uint8_t *p, size_t n)
{
	size_t len = strlen(dst);
	if (len && len + 1 < cap)
		dst[len++] = ',';
	for (size_t i = 0; i < n && len + 1 < cap; i++)
		dst[len++] = (char)p[i];
	dst[len] = '\0';
}

static bool parse_ext(struct cap_tls_conn *t, bool client, unsigned type, struct cur *c)
{
	uint16_t l16;
	uint8_t l8;
	const uint8_t *b;
	struct cur list;
	switch (type) {
	case 0: /* server_name */
		if (!client || !cur_left(c))
			return true;
		if (!cur_be16(c, &l16) || !cur_sub(c, l16, &list))
			return false;
		while (cur_left(&list)) {
			if (!cur_u8(&list, &l8) || !cur_be16(&list, &l16) || !cur_bytes(&list, l16, &b))
				return false;
			if (l8 == 0 && !t->sni[0]) {
				size_t n = l16 > CAPTURE_MAX_HOST ? CAPTURE_MAX_HOST : l16;
				memcpy(t->sni, b, n);
				t->sni[n] = '\0';
			}
		}
		return true;
	case 16: /* application_layer_protocol_negotiation */
		if (!cur_be16(c, &l16) || !cur_sub(c, l16, &list))
			return false;
		while (cur_left(&list)) {
			if (!cur_u8(&list, &l8) || !cur_bytes(&list, l8, &b))
				return false;
			if (client)
				add_alpn(t->alpn, sizeof t->alpn, b, l8);
			else if (!t->alpn_sel[0])
				add_alpn(t->alpn_sel, sizeof t->alpn_sel, b, l8);
		}
		return true;
	case 43: /* supported_versions */
		if (client) {
			if (!cur_u8(c, &l8) || !cur_sub(c, l8, &list))
				return false;
			while (cur_left(&list) >= 2) {
				cur_be16(&list, &l16);
				if (!grease(l16) && l16 > t->client_version)
					t->client_version = l16;
			}
		} else {
			if (!cur_be16(c, &l16))
				return false;
			t->version = l16;
		}
		return true;
	default:
		return true;
	}
}

bool cap_tls_parse_hello(struct cap_tls_conn *t, unsigned hs_type, const uint8_t *p, size_t n)
{
	struct cur c, ext;
	cur_init(&c, p, n);
	bool client = hs_type == 1;
	uint16_t legacy, l16;
	uint8_t l8;
	const uint8_t *rnd;
	if (!cur_be16(&c, &legacy) || !cur_bytes(&c, 32, &rnd) || !cur_u8(&c, &l8) || !cur_skip(&c, l8))
		return false;
	memcpy(client ? t->client_random : t->server_random, rnd, 32);
	if (client) {
		t->has_client_random = true;
		if (!cur_be16(&c, &l16) || !cur_skip(&c, l16) || !cur_u8(&c, &l8) || !cur_skip(&c, l8))
			return false;
		if (legacy > t->client_version)
			t->client_version = legacy;
	} else {
		t->has_server_random = true;
		if (!cur_be16(&c, &l16) || !cur_skip(&c, 1))
			return false;
		t->cipher = l16;
		t->version = legacy;
	}
	if (!cur_left(&c))
		return true;    /* no extensions */
	if (!cur_be16(&c, &l16) || !cur_sub(&c, l16, &ext))
		return false;
	while (cur_left(&ext)) {
		uint16_t type, len;
		struct cur body;
		if (!cur_be16(&ext, &type) || !cur_be16(&ext, &len) || !cur_sub(&ext, len, &body))
			return false;
		if (!parse_ext(t, client, type, &body))
			return false;
	}
	return true;
}

static void emit_handshake(struct cap_conn *cn)
{
	struct cap_tls_conn *t = &cn->tls;
	if (t->emitted || !t->seen)
		return;
	t->emitted = true;
	struct cap_qev *q = cap_ev_new(cn, CAP_EV_TLS_HANDSHAKE);
	struct capture_tls *e = &cap_ev_get(q)->u.tls;
	if (t->sni[0])
		cap_ev_str(q, &e->sni, t->sni, strlen(t->sni));
	if (t->alpn[0])
		cap_ev_str(q, &e->alpn, t->alpn, strlen(t->alpn));
	if (t->alpn_sel[0])
		cap_ev_str(q, &e->alpn_selected, t->alpn_sel, strlen(t->alpn_sel));
	e->client_version = t->client_version;
	e->version = t->version;
	e->client_hello_ns = t->ch_ts;
	e->server_hello_ns = t->sh_ts;
	e->done_ns = t->done_ts;
	e->complete = t->done;
	cap_ev_push(cn->cap, q);
}

static void handshake_done(struct cap_conn *cn, int64_t ts)
{
	if (cn->tls.done)
		return;
	cn->tls.done = true;
	cn->tls.done_ts = ts;
	emit_handshake(cn);
}

static void hello_bytes(struct cap_conn *cn, int dir, const uint8_t *p, size_t n, int64_t ts)
{
	struct cap_tls_dir *t = &cn->d[dir].t;
	if (t->hello_done)
		return;
	if (t->hs.len + n > CAPTURE_MAX_TLS_HELLO) {
		cn->cap->cnt.limit[CAP_LIM_TLS_HELLO]++;
		t->hello_done = true;
		strbuf_release(&t->hs);
		return;
	}
	strbuf_add(&t->hs, p, n);
	if (t->hs.len < 4)
		return;
	const uint8_t *h = (const uint8_t *)t->hs.buf;
	size_t len = (size_t)h[1] << 16 | (size_t)h[2] << 8 | h[3];
	if (t->hs.len - 4 < len)
		return;
	t->hello_done = true;
	unsigned type = h[0];
	if (type == 1 || type == 2) {
		cn->tls.seen = true;
		cap_tls_parse_hello(&cn->tls, type, h + 4, len);
		if (type == 1 && !cn->tls.ch_ts)
			cn->tls.ch_ts = ts;
		if (type == 2 && !cn->tls.sh_ts)
			cn->tls.sh_ts = ts;
		if (type == 2 && cn->cap->keylog)
			cap_tls_keys_setup(cn);
	}
	strbuf_release(&t->hs);
}

/* ---- exchanges from record runs ---- */

static void tls_size_add(struct capture *c, uint64_t size)
{
	for (size_t i = 0; i < c->ntls_sizes; i++)
		if (c->tls_sizes[i].size == size) {
			c->tls_sizes[i].count++;
			return;
		}
	if (c->ntls_sizes >= CAPTURE_MAX_TLS_SIZES) {
		c->cnt.tls_sizes_dropped++;
		return;
	}
	c->tls_sizes = xrealloc(c->tls_sizes, (c->ntls_sizes + 1) * sizeof *c->tls_sizes);
	c->tls_sizes[c->ntls_sizes].size = size;
	c->tls_sizes[c->ntls_sizes].count = 1;
	c->ntls_sizes++;
	c->tls_sizes_sorted = false;
}

static void run_unlink(struct cap_conn *cn)
{
	struct capture *c = cn->cap;
	if (!cn->run_linked)
		return;
	if (cn->run_prev)
		cn->run_prev->run_next = cn->run_next;
	else
		c->run_head = cn->run_next;
	if (cn->run_next)
		cn->run_next->run_prev = cn->run_prev;
	else
		c->run_tail = cn->run_prev;
	cn->run_prev = cn->run_next = NULL;
	cn->run_linked = false;
}

/* A server record joined the run: the connection moves to the tail (newest last record). */
static void run_touch(struct cap_conn *cn)
{
	struct capture *c = cn->cap;
	run_unlink(cn);
	cn->run_prev = c->run_tail;
	if (c->run_tail)
		c->run_tail->run_next = cn;
	else
		c->run_head = cn;
	c->run_tail = cn;
	cn->run_linked = true;
}

/* Emit the exchange in cn->tls.run (a client run, maybe a server run) and start a new one. */
static void run_emit(struct cap_conn *cn, bool closing)
{
	struct cap_tls_run *r = &cn->tls.run;
	struct capture *c = cn->cap;
	run_unlink(cn);
	/* a last unanswered record of alert size (TLS 1.3 close_notify: 2 + 1 + 16-byte tag) */
	if (closing && r->c_records == 1 && !r->s_records && r->c_bytes <= TLS_ALERT_MAX) {
		c->cnt.tls_close_alerts++;
		memset(r, 0, sizeof *r);
		return;
	}
	if (!r->c_records) {
		memset(r, 0, sizeof *r);
		return;
	}
	/* TLS 1.3 NewSessionTickets sent after the client's Finished can land in the first
	 * answer: two or more leading records of one small length, then other records. */
	if (cn->tls.version == 0x0304 && !cn->tls.xseq && r->s_records > 2) {
		unsigned k = 1;
		while (k < 3 && k < r->s_records && r->lead_len[k] == r->lead_len[0])
			k++;
		if (k >= 2 && k < r->s_records && k < 4 && r->lead_len[0] <= TLS_TICKET_MAX &&
		    r->lead_len[k] != r->lead_len[0]) {
			r->s_records -= k;
			r->s_bytes -= (uint64_t)k * r->lead_len[0];
			r->s_first = r->lead_first[k];
			c->cnt.tls_tickets += k;
		}
	}
	c->cnt.tls_exchanges++;
	cn->st.exchanges++;
	struct cap_qev *q = cap_ev_new(cn, CAP_EV_TLS_EXCHANGE);
	struct capture_tls_exchange *x = &cap_ev_get(q)->u.tlsx;
	x->seq = ++cn->tls.xseq;
	x->answered = r->s_records > 0;
	x->h2 = strcmp(cn->tls.alpn_sel, "h2") == 0;
	x->version = cn->tls.version;
	x->req_first_ns = r->c_first;
	x->req_last_ns = r->c_last;
	x->resp_first_ns = r->s_first;
	x->resp_last_ns = r->s_last;
	x->req_records = r->c_records;
	x->resp_records = r->s_records;
	x->req_bytes = r->c_bytes;
	x->resp_bytes = r->s_bytes;
	if (x->seq == 1 && cn->saw_syn && cn->st.syn_ns && cn->tls.done_ts > cn->st.syn_ns)
		x->connect_ns = cn->tls.done_ts - cn->st.syn_ns;
	if (x->answered && !x->h2)
		tls_size_add(c, r->s_bytes);
	const char *sni = cn->tls.sni;
	cap_ev_str(q, &x->sni, sni, strlen(sni));
	bool v6 = !sni[0] && cn->addr[1].len == 16;
	struct strbuf sb = STRBUF_INIT;
	strbuf_addf(&sb, "TLS %s%s%s:%u", v6 ? "[" : "", sni[0] ? sni : cn->astr[1], v6 ? "]" : "",
		    cn->port[1]);
	cap_ev_str(q, &x->label, sb.buf, sb.len);
	strbuf_reset(&sb);
	strbuf_addf(&sb, "https://%s%s%s:%u/", v6 ? "[" : "", sni[0] ? sni : cn->astr[1],
		    v6 ? "]" : "", cn->port[1]);
	cap_ev_str(q, &x->url, sb.buf, sb.len);
	strbuf_release(&sb);
	cap_ev_push(c, q);
	memset(r, 0, sizeof *r);
}

/* One application_data record (not decrypted) joins the current run. */
static void run_record(struct cap_conn *cn, int dir, int64_t first, int64_t last, uint32_t len)
{
	struct cap_tls_run *r = &cn->tls.run;
	if (dir == CAP_C2S) {
		if (r->s_records)
			run_emit(cn, false);
		if (!r->c_records)
			r->c_first = first;
		r->c_last = last;
		r->c_records++;
		r->c_bytes += len;
	} else if (!r->c_records) {
		cn->cap->cnt.tls_server_first++;   /* tickets, pushes: before any request */
	} else {
		if (!r->s_records)
			r->s_first = first;
		if (r->s_records < 4) {
			r->lead_len[r->s_records] = len;
			r->lead_first[r->s_records] = first;
		}
		r->s_last = last;
		r->s_records++;
		r->s_bytes += len;
		run_touch(cn);
	}
}

void cap_tls_sweep(struct capture *c)
{
	int64_t quiet = (int64_t)CAPTURE_TLS_RUN_QUIET_MS * 1000000;
	while (c->run_head && c->clock - c->run_head->tls.run.s_last > quiet)
		run_emit(c->run_head, false);
}

static int size_cmp(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

bool capture_tls_size_next(struct capture *c, unsigned *iter, uint64_t *lo, uint64_t *hi,
			   uint64_t *count)
{
	if (!c->tls_sizes_sorted) {
		if (c->ntls_sizes)
			qsort(c->tls_sizes, c->ntls_sizes, sizeof *c->tls_sizes, size_cmp);
		c->tls_sizes_sorted = true;
	}
	size_t i = *iter;
	if (i >= c->ntls_sizes)
		return false;
	*lo = *hi = c->tls_sizes[i].size;
	*count = c->tls_sizes[i].count;
	for (i++; i < c->ntls_sizes; i++) {
		uint64_t gap = c->tls_sizes[i].size - *hi, tol = *hi / 50;
		if (gap > (tol > 16 ? tol : 16))
			break;
		*hi = c->tls_sizes[i].size;
		*count += c->tls_sizes[i].count;
	}
	*iter = (unsigned)i;
	return true;
}

/* Records under the traffic keys: TLS 1.3 application_data; TLS 1.2 everything after this
 * direction's ChangeCipherSpec. */
static void record_decrypt(struct cap_conn *cn, int dir, int64_t ts)
{
	struct cap_tls_dir *t = &cn->d[dir].t;
	bool tls13 = cn->tls.version == 0x0304;
	if (!cap_tls_keys_active(cn, dir) || t->type == TLS_CCS ||
	    (tls13 ? t->type != TLS_APPDATA : !t->ccs))
		return;
	if (t->rec_broken || t->rec.len != t->len)
		cap_tls_skip_record(cn, dir, t->len, ts);
	else
		cap_tls_decrypt_record(cn, dir, t->hdr, (const uint8_t *)t->rec.buf, t->rec.len, ts);
}

static void record_done(struct cap_conn *cn, int dir, int64_t ts)
{
	struct cap_tls_dir *t = &cn->d[dir].t;
	struct cap_tls_dir *o = &cn->d[!dir].t;
	cn->st.tls_records++;
	record_decrypt(cn, dir, ts);
	if (t->rec.len > 4096)
		strbuf_release(&t->rec);   /* idle connections keep no record-sized buffer */
	else
		strbuf_reset(&t->rec);
	t->rec_broken = false;
	switch (t->type) {
	case TLS_CCS:
		t->ccs = true;
		break;
	case TLS_APPDATA:
		if (!cn->tls.done) {
			if (!cn->tls.seen) {
				cn->tls.done = true;    /* handshake not captured: count from here */
			} else if (dir == CAP_C2S && cn->tls.version == 0x0304) {
				handshake_done(cn, ts); /* the client's encrypted Finished */
				break;
			} else if (t->ccs && o->ccs) {
				handshake_done(cn, ts); /* Finished records were not seen */
			} else {
				break;                  /* encrypted handshake (1.3) or early data */
			}
		}
		cn->cap->cnt.tls_appdata_records++;
		if (!cn->tls.decrypted)
			run_record(cn, dir, t->rec_first_ts ? t->rec_first_ts : ts, ts, t->len);
		{
			struct cap_qev *q = cap_ev_new(cn, CAP_EV_TLS_APPDATA);
			struct capture_tls_record *r = &cap_ev_get(q)->u.rec;
			r->dir = dir;
			r->type = t->type;
			r->length = t->len;
			r->ns = ts;
			cap_ev_push(cn->cap, q);
		}
		break;
	default:
		if (t->ccs)
			t->after_ccs_record = true;
		if (cn->tls.version != 0x0304 && t->after_ccs_record && o->after_ccs_record)
			handshake_done(cn, ts);
		break;
	}
	t->hlen = 0;
}

void cap_tls_data(struct cap_conn *cn, int dir, const uint8_t *p, size_t n,
		  const struct cap_seginfo *si)
{
	struct cap_tls_dir *t = &cn->d[dir].t;
	size_t i = 0;
	while (i < n && !t->lost) {
		if (t->hlen < 5) {
			if (t->hlen == 0)
				t->rec_first_ts = si->ts;
			t->hdr[t->hlen++] = p[i++];
			if (t->hlen < 5)
				continue;
			t->type = t->hdr[0];
			t->len = (uint32_t)t->hdr[3] << 8 | t->hdr[4];
			t->got = 0;
			if (t->hdr[1] != 3 || t->type < TLS_CCS || t->type > 24 ||
			    t->len > TLS_MAX_RECORD) {
				t->lost = true;
				break;
			}
			if (t->len == 0)
				record_done(cn, dir, si->ts);
			continue;
		}
		uint32_t left = t->len - t->got;
		size_t take = n - i < left ? n - i : left;
		if (t->type == TLS_HANDSHAKE && !t->ccs)
			hello_bytes(cn, dir, p + i, take, si->ts);
		if (cn->tls.keys && t->type != TLS_CCS)
			strbuf_add(&t->rec, p + i, take);
		t->got += (uint32_t)take;
		i += take;
		if (t->got == t->len)
			record_done(cn, dir, si->ts);
	}
}

void cap_tls_gap(struct cap_conn *cn, int dir, uint64_t n, const struct cap_seginfo *si)
{
	struct cap_tls_dir *t = &cn->d[dir].t;
	if (t->lost)
		return;
	if (t->hlen < 5) {
		t->lost = true;
		return;
	}
	uint32_t left = t->len - t->got;
	t->rec_broken = true;
	if (t->type == TLS_HANDSHAKE && !t->hello_done) {
		t->hello_done = true;
		strbuf_release(&t->hs);
	}
	if (n > left) {
		t->lost = true;
		return;
	}
	t->got += (uint32_t)n;
	if (t->got == t->len)
		record_done(cn, dir, si->ts);
}

void cap_tls_close(struct cap_conn *cn)
{
	emit_handshake(cn);
	if (cn->tls.seen || cn->tls.run.c_records)
		run_emit(cn, true);
	if ((cn->d[0].mode == CAP_M_TLS || cn->d[0].tls_outer) && !cn->tls.decrypted &&
	    (cn->tls.xseq || cn->tls.seen))
		cn->cap->cnt.tls_encrypted++;
}

void cap_tls_free(struct cap_conn *cn)
{
	run_unlink(cn);
	for (int i = 0; i < 2; i++) {
		strbuf_release(&cn->d[i].t.hs);
		strbuf_release(&cn->d[i].t.rec);
	}
	cap_tls_keys_free(cn);
}
