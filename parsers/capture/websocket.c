/* websocket.c - WebSocket framing (RFC 6455 section 5) after an HTTP/1.1 Upgrade (101).
 *
 * Frame header: FIN, RSV1-3, opcode; MASK bit and 7-bit length, extended to 16 bits (126) or
 * 64 bits (127, most significant bit must be 0); a 4-byte masking key when MASK is set (client
 * frames).  The payload is unmasked byte by byte (key index = payload offset mod 4) while the
 * first CAPTURE_WS_PAYLOAD_KEEP bytes are kept; the rest is only counted.  Data messages may be
 * fragmented (opcode 1/2 with FIN=0, then continuation frames with opcode 0); control frames
 * (close 8, ping 9, pong 10) may be interleaved and carry at most 125 bytes.  A close frame's
 * payload starts with a 2-byte status code followed by a UTF-8 reason.
 *
 * permessage-deflate (RFC 7692), when the 101 accepted it: a data message with RSV1 is raw
 * DEFLATE across its fragments, ended by the 00 00 ff ff the sender removed; it is inflated with
 * zlib (window 15, which reads any smaller window), the context kept across messages unless
 * client_/server_no_context_takeover was agreed.  The message text is the inflated text
 * (CAPTURE_WS_PAYLOAD_KEEP kept); frame payloads stay as sent.  At most CAPTURE_WS_INFLATE_MAX
 * bytes per message and CAPTURE_WS_MAX_INFLATERS streams are inflated; a hole, bad data or a
 * limit loses the context of that direction (counted, later messages left compressed).  A hole inside a payload marks that frame incomplete; a hole inside a header loses
 * the framing of that direction for the rest of the connection.  Frames are recognised only after
 * a captured upgrade; no heuristic detection on connections whose upgrade was not captured.
 */
#include "parsers/capture/cap_int.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <zlib.h>

static unsigned header_need(const struct cap_ws_dir *w)
{
	if (w->hlen < 2)
		return 2;
	unsigned len7 = w->hdr[1] & 0x7fu;
	unsigned ext = len7 == 126 ? 2 : len7 == 127 ? 8 : 0;
	return 2 + ext + ((w->hdr[1] & 0x80u) ? 4 : 0);
}

static void strref_from_path(const char *path, struct strref *p)
{
	p->p = path;
	p->n = 0;
	while (path[p->n] && path[p->n] != '?' && path[p->n] != '#')
		p->n++;
}

/* Host, path, label ("WS host/path") and url ("ws://host/path?query") of the connection's
 * upgrade, into q. */
static void ws_names(struct cap_conn *cn, struct cap_qev *q, struct strref *host_f,
		     struct strref *path_f, struct strref *label_f, struct strref *url_f)
{
	const char *path = cn->ws_path ? cn->ws_path : "";
	const char *wh = cn->ws_host ? cn->ws_host : "";
	cap_ev_str(q, host_f, wh, strlen(wh));
	cap_ev_str(q, path_f, path, strlen(path));
	struct strbuf sb = STRBUF_INIT;
	struct strref pp;
	strref_from_path(path, &pp);
	bool v6 = cn->addr[1].len == 16;
	struct strbuf host = STRBUF_INIT;
	if (wh[0])
		strbuf_addstr(&host, wh);
	else
		strbuf_addf(&host, "%s%s%s:%u", v6 ? "[" : "", cn->astr[1], v6 ? "]" : "",
			    cn->port[1]);
	strbuf_addf(&sb, "WS %s", strbuf_cstr(&host));
	if (!pp.n || pp.p[0] != '/')
		strbuf_addch(&sb, '/');
	strbuf_add(&sb, pp.p, pp.n);
	cap_ev_str(q, label_f, sb.buf, sb.len);
	strbuf_reset(&sb);
	strbuf_addf(&sb, "%s://%s", cn->d[0].tls_outer ? "wss" : "ws", strbuf_cstr(&host));
	if (!path[0] || path[0] != '/')
		strbuf_addch(&sb, '/');
	strbuf_addstr(&sb, path);
	cap_ev_str(q, url_f, sb.buf, sb.len);
	strbuf_release(&sb);
	strbuf_release(&host);
}

/* ---- permessage-deflate ---- */

void cap_ws_extensions(struct cap_conn *cn, struct strref v)
{
	/* the first extension the server accepted; parameters after ';' */
	size_t i = 0;
	while (i < v.n && (v.p[i] == ' ' || v.p[i] == '\t'))
		i++;
	size_t e = i;
	while (e < v.n && v.p[e] != ';' && v.p[e] != ',' && v.p[e] != ' ')
		e++;
	if (e - i != 18 || strncasecmp(v.p + i, "permessage-deflate", 18) != 0)
		return;
	cn->ws_pmd = true;
	size_t end = e;
	while (end < v.n && v.p[end] != ',')
		end++;
	struct strref params = { v.p + e, end - e };
	static const char *const nct[2] = { "client_no_context_takeover", "server_no_context_takeover" };
	for (int d = 0; d < 2; d++) {
		size_t kl = strlen(nct[d]);
		for (size_t k = 0; k + kl <= params.n; k++)
			if (strncasecmp(params.p + k, nct[d], kl) == 0)
				cn->ws_no_takeover[d] = true;
	}
}

static void z_drop(struct cap_conn *cn, struct cap_ws_dir *w)
{
	if (!w->z)
		return;
	inflateEnd(w->z);
	free(w->z);
	w->z = NULL;
	cn->cap->ws_inflaters--;
}

/* A compressed message starts: get (or reset) the direction's inflater. */
static void inflate_start(struct cap_conn *cn, int dir, struct cap_ws_dir *w)
{
	w->inflating = false;
	w->msg_inflated = false;
	w->inflated = 0;
	if (!cn->ws_pmd || w->z_lost)
		return;
	if (!w->z) {
		if (cn->cap->ws_inflaters >= CAPTURE_WS_MAX_INFLATERS) {
			cn->cap->cnt.limit[CAP_LIM_WS_INFLATE]++;
			return;
		}
		z_stream *z = xcalloc(1, sizeof *z);
		if (inflateInit2(z, -15) != Z_OK) {
			free(z);
			return;
		}
		w->z = z;
		cn->cap->ws_inflaters++;
	} else if (cn->ws_no_takeover[dir]) {
		inflateReset(w->z);
	}
	w->inflating = true;
}

/* The message can no longer be inflated: with context takeover, neither can later ones. */
static void inflate_lose(struct cap_conn *cn, int dir, struct cap_ws_dir *w)
{
	if (!w->inflating)
		return;
	w->inflating = false;
	w->msg_truncated = true;
	if (!cn->ws_no_takeover[dir]) {
		w->z_lost = true;
		z_drop(cn, w);
	}
}

/* Inflate n compressed (unmasked) bytes; the output joins the message prefix. */
static void inflate_bytes(struct cap_conn *cn, int dir, struct cap_ws_dir *w, const uint8_t *p,
			  size_t n)
{
	z_stream *z = w->z;
	uint8_t out[8192];
	z->next_in = (Bytef *)(uintptr_t)p;
	z->avail_in = (uInt)n;
	while (w->inflating) {
		z->next_out = out;
		z->avail_out = sizeof out;
		int rc = inflate(z, Z_SYNC_FLUSH);
		size_t got = sizeof out - z->avail_out;
		if (got) {
			w->inflated += got;
			size_t room = CAPTURE_WS_PAYLOAD_KEEP > w->msg.len ? CAPTURE_WS_PAYLOAD_KEEP - w->msg.len : 0;
			if (got > room)
				w->msg_truncated = true;
			strbuf_add(&w->msg, out, got < room ? got : room);
			if (w->inflated > CAPTURE_WS_INFLATE_MAX) {
				cn->cap->cnt.limit[CAP_LIM_WS_INFLATE]++;
				inflate_lose(cn, dir, w);
				return;
			}
		}
		if (rc == Z_STREAM_END) {
			inflateReset(z);   /* a final block: the next message starts a new stream */
			if (!z->avail_in)
				return;
			continue;
		}
		if (rc == Z_BUF_ERROR || (rc == Z_OK && !z->avail_in && z->avail_out))
			return;        /* all input used */
		if (rc != Z_OK) {
			inflate_lose(cn, dir, w);
			return;
		}
	}
}

/* The message's last frame ended: the sender removed 00 00 ff ff (RFC 7692 7.2.1). */
static void inflate_end(struct cap_conn *cn, int dir, struct cap_ws_dir *w)
{
	static const uint8_t tail[4] = { 0x00, 0x00, 0xff, 0xff };
	if (!w->inflating)
		return;
	inflate_bytes(cn, dir, w, tail, sizeof tail);
	if (w->inflating) {
		w->msg_inflated = true;
		cn->cap->cnt.websocket_inflated++;
	}
	w->inflating = false;
}

/* ---- message exchanges ----
 *
 * A client data message is a request; the server data message that answers it ends the
 * exchange.  Answers are found by a correlation id when both messages carry one at the top
 * level of a JSON object (client: requestId, request_id, correlationId, correlation_id,
 * tracingId, reqId, id; server: the same or Slack's reply_to), otherwise in order: the oldest
 * unanswered client message takes the next server message.  Once an answer on a connection was
 * paired by id, only ids pair there.  A server message with an id that matches no waiting
 * message, while the oldest waiting one has an id, is a push; so is any server message when
 * nothing waits. */

static const char *const client_id_keys[] = { "requestId", "request_id", "correlationId",
					      "correlation_id", "tracingId", "reqId", "id" };
static const char *const server_id_keys[] = { "reply_to", "requestId", "request_id",
					      "correlationId", "correlation_id", "tracingId",
					      "reqId", "id" };

/* The correlation id of a message as an owned string, NULL when none. */
static char *message_id(const struct strbuf *m, const char *const *keys, size_t nkeys)
{
	if (!m->len || m->buf[0] != '{')
		return NULL;
	for (size_t k = 0; k < nkeys; k++) {
		struct json_value v;
		if (json_member(m->buf, m->len, keys[k], 1, &v) && v.v.n && v.v.n <= 128 &&
		    !strref_eq(v.v, "null"))
			return xstrndup(v.v.p, v.v.n);
	}
	return NULL;
}

/* In-band status of an answer: a top-level "code"/"status"/"statusCode" of 100..599. */
static int message_status(const struct strbuf *m)
{
	static const char *const keys[] = { "code", "status", "statusCode" };
	if (!m->len)
		return 0;
	for (size_t k = 0; k < ARRAY_LEN(keys); k++) {
		struct json_value v;
		int64_t st;
		if (json_member(m->buf, m->len, keys[k], 1, &v) &&
		    parse_i64(v.v.p, v.v.n, 100, 599, &st))
			return (int)st;
	}
	return 0;
}

static void wsq_free(struct cap_wsq *e)
{
	free(e->id);
	strbuf_release(&e->msg);
	free(e);
}

/* Emit the exchange of waiting message e (answered by the current server message when a). */
static void exchange_done(struct cap_conn *cn, struct cap_wsq *e, const struct cap_ws_dir *a,
			  int64_t a_last, bool by_id)
{
	struct capture *c = cn->cap;
	c->cnt.websocket_exchanges++;
	if (!a)
		c->cnt.websocket_unanswered++;
	struct cap_qev *q = cap_ev_new(cn, CAP_EV_WS_EXCHANGE);
	struct capture_ws_exchange *x = &cap_ev_get(q)->u.wsx;
	x->seq = e->seq;
	x->answered = a != NULL;
	x->by_id = by_id;
	x->req_opcode = e->opcode;
	x->req_length = e->length;
	x->req_first_ns = e->first_ns;
	x->req_last_ns = e->last_ns;
	x->compressed = e->compressed;
	x->incomplete = e->incomplete;
	cap_ev_str(q, &x->request, e->msg.buf ? e->msg.buf : "", e->msg.len);
	cap_ev_str(q, &x->code, "WS", 2);
	if (a) {
		x->resp_opcode = a->msg_opcode;
		x->resp_length = a->msg_len;
		x->resp_first_ns = a->msg_first_ts;
		x->resp_last_ns = a_last;
		x->compressed |= a->msg_rsv1;
		x->incomplete |= a->msg_incomplete;
		x->status = message_status(&a->msg);
		struct json_value cv;
		if (a->msg.len && (json_member(a->msg.buf, a->msg.len, "class", 1, &cv) ||
				   json_member(a->msg.buf, a->msg.len, "error", 1, &cv)) &&
		    cv.string && cv.v.n && cv.v.n <= 128)
			cap_ev_str(q, &x->inband_class, cv.v.p, cv.v.n);
		ratelimit_inband(&x->rl, a->msg.buf, a->msg.len);
		cap_ev_str(q, &x->response, a->msg.buf ? a->msg.buf : "", a->msg.len);
	}
	ws_names(cn, q, &x->host, &x->path, &x->label, &x->url);
	cap_ev_push(c, q);
	wsq_free(e);
}

static void client_message(struct cap_conn *cn, const struct cap_ws_dir *w)
{
	if (cn->wsq_n >= CAPTURE_WS_MAX_PENDING) {
		/* the oldest waiting message is given up: reported unanswered */
		struct cap_wsq *old = cn->wsq;
		cn->wsq = old->next;
		if (!cn->wsq)
			cn->wsq_tail = NULL;
		cn->wsq_n--;
		cn->cap->cnt.limit[CAP_LIM_PENDING]++;
		exchange_done(cn, old, NULL, 0, false);
	}
	struct cap_wsq *e = xcalloc(1, sizeof *e);
	e->seq = ++cn->wsx_seq;
	e->first_ns = w->msg_first_ts;
	e->last_ns = w->last_ts;
	e->length = w->msg_len;
	e->opcode = w->msg_opcode;
	e->compressed = w->msg_rsv1;
	e->incomplete = w->msg_incomplete;
	strbuf_add(&e->msg, w->msg.buf ? w->msg.buf : "", w->msg.len);
	e->id = message_id(&w->msg, client_id_keys, ARRAY_LEN(client_id_keys));
	if (cn->wsq_tail)
		cn->wsq_tail->next = e;
	else
		cn->wsq = e;
	cn->wsq_tail = e;
	cn->wsq_n++;
}

static void server_message(struct cap_conn *cn, const struct cap_ws_dir *w, int64_t ts)
{
	if (!cn->wsq) {
		cn->cap->cnt.websocket_pushes++;
		return;
	}
	char *id = message_id(&w->msg, server_id_keys, ARRAY_LEN(server_id_keys));
	struct cap_wsq *prev = NULL, *e = NULL;
	bool by_id = false;
	if (id) {
		for (struct cap_wsq *k = cn->wsq; k; prev = k, k = k->next)
			if (k->id && strcmp(k->id, id) == 0) {
				e = k;
				by_id = true;
				break;
			}
	}
	if (!e) {
		/* once answers on this connection were paired by id, only an id pairs */
		prev = NULL;
		if (!cn->ws_by_id && !(id && cn->wsq->id))
			e = cn->wsq;
	}
	if (by_id)
		cn->ws_by_id = true;
	free(id);
	if (!e) {
		cn->cap->cnt.websocket_pushes++;
		return;
	}
	if (prev)
		prev->next = e->next;
	else
		cn->wsq = e->next;
	if (cn->wsq_tail == e)
		cn->wsq_tail = prev;
	cn->wsq_n--;
	exchange_done(cn, e, w, ts, by_id);
}

static void frame_done(struct cap_conn *cn, int dir, int64_t ts)
{
	struct capture *c = cn->cap;
	struct cap_ws_dir *w = &cn->d[dir].w;
	bool control = w->opcode >= 8;
	bool data_msg = !control && (w->msg_opcode == 1 || w->msg_opcode == 2);

	c->cnt.websocket_frames++;
	cn->st.ws_frames++;
	if (data_msg && w->fin) {
		c->cnt.websocket_messages++;
		if (w->msg_rsv1) {
			inflate_end(cn, dir, w);
			if (!w->msg_inflated)
				c->cnt.websocket_inflate_failed++;
		}
	}

	struct cap_qev *q = cap_ev_new(cn, CAP_EV_WS_FRAME);
	struct capture_ws *e = &cap_ev_get(q)->u.ws;
	e->dir = dir;
	e->fin = w->fin;
	e->masked = w->masked;
	e->compressed = control ? w->rsv1 : w->msg_rsv1;
	e->inflated = !control && w->fin && w->msg_rsv1 && w->msg_inflated;
	e->opcode = w->opcode;
	e->msg_opcode = control ? w->opcode : w->msg_opcode;
	e->length = w->len;
	e->first_ns = w->first_ts;
	e->last_ns = ts;
	e->incomplete = w->incomplete;
	e->close_code = -1;
	cap_ev_str(q, &e->payload, w->pay.buf ? w->pay.buf : "", w->pay.len);
	if (data_msg && w->fin)
		cap_ev_str(q, &e->message, w->msg.buf ? w->msg.buf : "", w->msg.len);
	if (w->opcode == 8 && w->pay.len >= 2) {
		const uint8_t *b = (const uint8_t *)w->pay.buf;
		e->close_code = (int)((unsigned)b[0] << 8 | b[1]);
		cap_ev_str(q, &e->close_reason, w->pay.buf + 2, w->pay.len - 2);
	}
	ws_names(cn, q, &e->host, &e->path, &e->label, &e->url);
	cap_ev_push(c, q);

	if (!control) {
		w->msg_len += w->len;
		w->msg_incomplete |= w->incomplete;
	}
	if (data_msg && w->fin) {
		w->last_ts = ts;
		if (dir == CAP_C2S)
			client_message(cn, w);
		else
			server_message(cn, w, ts);
	}

	w->in_payload = false;
	w->hlen = 0;
	w->incomplete = false;
	strbuf_reset(&w->pay);
	if (data_msg && w->fin) {
		strbuf_reset(&w->msg);
		w->msg_truncated = false;
	}
}

/* Header complete: decode it.  False on a protocol error (framing lost). */
static bool header_done(struct cap_conn *cn, int dir, struct cap_ws_dir *w)
{
	const uint8_t *h = w->hdr;
	w->fin = (h[0] & 0x80u) != 0;
	w->rsv1 = (h[0] & 0x40u) != 0;
	w->opcode = h[0] & 0x0fu;
	w->masked = (h[1] & 0x80u) != 0;
	unsigned len7 = h[1] & 0x7fu;
	size_t i = 2;
	if (len7 == 126) {
		w->len = (uint64_t)h[2] << 8 | h[3];
		i = 4;
	} else if (len7 == 127) {
		w->len = 0;
		for (size_t k = 0; k < 8; k++)
			w->len = w->len << 8 | h[2 + k];
		i = 10;
		if (w->len >> 63)
			return false;
	} else {
		w->len = len7;
	}
	if (w->masked)
		memcpy(w->mask, h + i, 4);
	if ((w->opcode >= 3 && w->opcode <= 7) || w->opcode >= 11)
		return false;      /* reserved opcode */
	if (w->opcode >= 8 && (w->len > 125 || !w->fin))
		return false;      /* control frames are short and never fragmented */
	if (w->opcode == 1 || w->opcode == 2) {
		w->msg_opcode = w->opcode;
		w->msg_rsv1 = w->rsv1;
		w->msg_first_ts = w->first_ts;
		w->msg_len = 0;
		w->msg_incomplete = false;
		if (w->rsv1)
			inflate_start(cn, dir, w);
		else
			w->inflating = w->msg_inflated = false;
		w->msg_deflate = w->inflating;   /* else a compressed message keeps its raw bytes */
		strbuf_reset(&w->msg);
		w->msg_truncated = false;
	}
	if (w->len > CAPTURE_WS_PAYLOAD_KEEP)
		cn->cap->cnt.limit[CAP_LIM_WS_PAYLOAD]++;
	w->in_payload = true;
	w->got = 0;
	strbuf_reset(&w->pay);
	return true;
}

static void keep(struct strbuf *sb, const uint8_t *p, size_t n, const struct cap_ws_dir *w,
		 uint64_t at, bool *truncated)
{
	size_t room = CAPTURE_WS_PAYLOAD_KEEP > sb->len ? CAPTURE_WS_PAYLOAD_KEEP - sb->len : 0;
	if (n > room) {
		if (truncated)
			*truncated = true;
		n = room;
	}
	for (size_t k = 0; k < n; k++) {
		uint8_t b = p[k];
		if (w->masked)
			b ^= w->mask[(at + k) & 3u];
		strbuf_addch(sb, (char)b);
	}
}

void cap_ws_data(struct cap_conn *cn, int dir, const uint8_t *p, size_t n,
		 const struct cap_seginfo *si)
{
	struct cap_ws_dir *w = &cn->d[dir].w;
	size_t i = 0;
	while (i < n && !w->lost) {
		if (!w->in_payload) {
			if (w->hlen == 0)
				w->first_ts = si->ts;
			w->hdr[w->hlen++] = p[i++];
			if (w->hlen < header_need(w))
				continue;
			if (!header_done(cn, dir, w)) {
				w->lost = true;
				break;
			}
			if (w->len == 0)
				frame_done(cn, dir, si->ts);
			continue;
		}
		uint64_t left = w->len - w->got;
		size_t take = (uint64_t)(n - i) < left ? n - i : (size_t)left;
		keep(&w->pay, p + i, take, w, w->got, NULL);
		if (w->opcode < 8 && w->msg_deflate) {
			if (w->inflating) {
				uint8_t clear[4096];
				for (size_t k = 0; k < take && w->inflating; ) {
					size_t m = take - k < sizeof clear ? take - k : sizeof clear;
					for (size_t b = 0; b < m; b++)
						clear[b] = w->masked ? (uint8_t)(p[i + k + b] ^ w->mask[(w->got + k + b) & 3u])
								     : p[i + k + b];
					inflate_bytes(cn, dir, w, clear, m);
					k += m;
				}
			}
		} else if (w->opcode < 8) {
			keep(&w->msg, p + i, take, w, w->got, &w->msg_truncated);
		}
		w->got += take;
		i += take;
		if (w->got == w->len)
			frame_done(cn, dir, si->ts);
	}
}

void cap_ws_gap(struct cap_conn *cn, int dir, uint64_t n, const struct cap_seginfo *si)
{
	struct cap_ws_dir *w = &cn->d[dir].w;
	if (w->lost)
		return;
	if (!w->in_payload) {
		w->lost = true;
		inflate_lose(cn, dir, w);
		return;
	}
	uint64_t left = w->len - w->got;
	uint64_t take = n < left ? n : left;
	w->got += take;
	w->incomplete = true;
	if (w->opcode < 8 && w->msg_rsv1)
		inflate_lose(cn, dir, w);
	if (w->got == w->len)
		frame_done(cn, dir, si->ts);
	if (n > take)
		w->lost = true;
}

void cap_ws_close(struct cap_conn *cn)
{
	for (int dir = 0; dir < 2; dir++) {
		struct cap_ws_dir *w = &cn->d[dir].w;
		if (cn->d[dir].mode == CAP_M_WS && w->in_payload && !w->lost) {
			w->incomplete = true;
			frame_done(cn, dir, cn->st.last_ns);
		}
	}
	while (cn->wsq) {
		struct cap_wsq *e = cn->wsq;
		cn->wsq = e->next;
		exchange_done(cn, e, NULL, 0, false);
	}
	cn->wsq_tail = NULL;
	cn->wsq_n = 0;
}

void cap_ws_free(struct cap_conn *cn)
{
	for (int dir = 0; dir < 2; dir++)
		z_drop(cn, &cn->d[dir].w);
	while (cn->wsq) {
		struct cap_wsq *e = cn->wsq;
		cn->wsq = e->next;
		wsq_free(e);
	}
	cn->wsq_tail = NULL;
	cn->wsq_n = 0;
	for (int dir = 0; dir < 2; dir++) {
		strbuf_release(&cn->d[dir].w.pay);
		strbuf_release(&cn->d[dir].w.msg);
	}
}
