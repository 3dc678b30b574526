/* http1.c - HTTP/1.x message framing and request/response pairing (RFC 9112, RFC 9110).
 *
 * Each direction runs its own state machine over the reassembled stream; requests queue on the
 * connection in order and each final response takes the oldest unanswered one (keep-alive and
 * pipelining).  Framing follows RFC 9112 section 6: no body for HEAD requests and for 1xx, 204
 * and 304 responses; Transfer-Encoding chunked; Content-Length; otherwise a response body runs to
 * the end of the connection (a request without either has no body).  Interim 1xx responses are
 * counted on the exchange, which waits for its final response.  101 to an "Upgrade: websocket"
 * request hands both directions to websocket.c; a 2xx to CONNECT turns the connection opaque.
 *
 * Holes (bytes never captured) are never papered over: inside a Content-Length body the missing
 * bytes are counted as body and the exchange is flagged; anywhere else the message in progress is
 * reported as far as it was seen (a request or status line is enough) and flagged incomplete, and
 * the parser resynchronises on the next line that starts a message.  After a hole in the
 * response direction the next response is paired using the TCP acknowledgement it carried: a
 * pending request that the server had fully received before that response began, and that is not
 * the oldest, means the older ones lost their responses in the hole.
 *
 * Detection is lenient where real traffic is (bare LF line ends, tabs, odd method bytes) and
 * strict where a false positive would hurt (a connection is HTTP on a full "METHOD target
 * HTTP/1.x" line or a server's "HTTP/1.").
 */
#include "parsers/capture/cap_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define CHUNK_LINE_MAX 4096u
#define REQUEST_LINE_MAX 8192u

static bool is_tchar(unsigned ch)
{
	if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9'))
		return true;
	return ch && strchr("!#$%&'*+-.^_`|~", (int)ch) != NULL;
}

static bool is_ws(unsigned ch)
{
	return ch == ' ' || ch == '\t';
}

/* ---- detection ---- */

enum cap_verdict cap_http_response_verdict(const uint8_t *p, size_t n)
{
	static const char pre[] = "HTTP/1.";
	size_t m = n < 7 ? n : 7;
	if (memcmp(p, pre, m) != 0)
		return CAP_V_NO;
	return n < 7 ? CAP_V_NEED_MORE : CAP_V_YES;
}

enum cap_verdict cap_http_request_verdict(const uint8_t *p, size_t n)
{
	size_t i = 0;
	bool strict = true;
	while (i < n && !is_ws(p[i]) && p[i] != '\r' && p[i] != '\n') {
		if (p[i] < 0x21 || p[i] == 0x7f)
			return CAP_V_NO;
		if (!is_tchar(p[i]))
			strict = false;   /* odd bytes: only the server's answer can tell */
		if (++i > CAPTURE_MAX_METHOD)
			return CAP_V_NO;
	}
	if (i == n)
		return CAP_V_NEED_MORE;
	if (i == 0)
		return CAP_V_NO;
	const uint8_t *nl = memchr(p, '\n', n < REQUEST_LINE_MAX ? n : REQUEST_LINE_MAX);
	if (!nl)
		return n < REQUEST_LINE_MAX ? CAP_V_NEED_MORE : CAP_V_NO;
	size_t len = (size_t)(nl - p);
	if (len && p[len - 1] == '\r')
		len--;
	if (len >= 14 && memcmp(p, "PRI * HTTP/2.0", 14) == 0)
		return CAP_V_NO;   /* HTTP/2 preface: not ours */
	/* strict: METHOD SP target SP HTTP/1.d */
	if (strict && i < len && p[i] == ' ') {
		size_t t = i + 1, te = t;
		while (te < len && p[te] != ' ')
			te++;
		if (te > t && te + 9 == len && memcmp(p + te, " HTTP/1.", 8) == 0 &&
		    p[len - 1] >= '0' && p[len - 1] <= '9')
			return CAP_V_YES;
	}
	/* Lenient: a method-like token at the start of a line (the server's answer decides). */
	return i >= 3 ? CAP_V_MAYBE : CAP_V_NO;
}

/* ---- exchanges ---- */

static struct cap_exch *exch_new(struct cap_conn *cn)
{
	struct cap_exch *e = xcalloc(1, sizeof *e);
	e->seq = ++cn->exch_seq;
	e->identity = true;
	return e;
}

static void exch_free(struct cap_exch *e)
{
	if (!e)
		return;
	free(e->target);
	strbuf_release(&e->body);
	free(e);
}

static void q_push(struct cap_conn *cn, struct cap_exch *e)
{
	e->next = NULL;
	if (cn->qtail)
		cn->qtail->next = e;
	else
		cn->qhead = e;
	cn->qtail = e;
	cn->qlen++;
}

static struct cap_exch *q_pop(struct cap_conn *cn)
{
	struct cap_exch *e = cn->qhead;
	if (!e)
		return NULL;
	cn->qhead = e->next;
	if (!cn->qhead)
		cn->qtail = NULL;
	cn->qlen--;
	e->next = NULL;
	return e;
}

static void copy_field(char *dst, size_t cap, const char *p, size_t n)
{
	if (n > cap)
		n = cap;
	memcpy(dst, p, n);
	dst[n] = '\0';
}

/* "host" for labels: Host header, else the server address (and port unless 80). */
static void label_host(struct cap_conn *cn, const struct cap_exch *e, struct strbuf *sb)
{
	if (e->has_host && e->host[0]) {
		strbuf_addstr(sb, e->host);
		return;
	}
	if (cn->tls.sni[0]) {
		strbuf_addstr(sb, cn->tls.sni);
		return;
	}
	bool v6 = cn->addr[1].len == 16;
	strbuf_addf(sb, "%s%s%s", v6 ? "[" : "", cn->astr[1], v6 ? "]" : "");
	if (cn->port[1] != 80)
		strbuf_addf(sb, ":%u", cn->port[1]);
}

/* Split a request-target into (host, path-without-query) for labels. */
static void target_parts(const char *t, size_t n, struct strref *host, struct strref *path)
{
	*host = STRREF_NULL;
	const char *q = t;
	size_t m = n;
	for (size_t k = 0; k + 3 <= n && k < 8; k++) {
		if (t[k] == ':' && t[k + 1] == '/' && t[k + 2] == '/') {
			const char *h = t + k + 3;
			const char *end = t + n;
			const char *s = h;
			while (s < end && *s != '/' && *s != '?')
				s++;
			host->p = h;
			host->n = (size_t)(s - h);
			q = s;
			m = (size_t)(end - s);
			break;
		}
	}
	size_t plen = 0;
	while (plen < m && q[plen] != '?' && q[plen] != '#')
		plen++;
	path->p = q;
	path->n = plen;
}

static void emit(struct cap_conn *cn, struct cap_exch *e)
{
	struct capture *c = cn->cap;
	for (int i = 0; i < 2; i++)
		if (cn->d[i].h.cur == e)
			cn->d[i].h.cur = NULL;
	if (e->status == 0 && e->has_req)
		e->flags |= CAP_HTTP_NO_RESPONSE;
	if (!e->has_req)
		e->flags |= CAP_HTTP_NO_REQUEST;
	bool inc = (e->flags & CAP_HTTP_INCOMPLETE_MASK) != 0;
	c->cnt.exchanges++;
	cn->st.exchanges++;
	if (inc) {
		c->cnt.incomplete_exchanges++;
		cn->st.incomplete++;
	}
	if (e->status > 0 && e->status < 1000) {
		c->codes[e->status]++;
		c->cnt.responses++;
	}

	/* an error answer without Retry-After may carry its retry hint in the body */
	if (e->status >= 400 && !(e->rl.flags & RL_RETRY_AFTER) && e->body.len)
		ratelimit_inband(&e->rl, e->body.buf, e->body.len);

	struct cap_qev *q = cap_ev_new(cn, CAP_EV_HTTP);
	struct capture_http *h = &cap_ev_get(q)->u.http;
	h->seq = e->seq;
	if (e->has_req) {
		cap_ev_str(q, &h->method, e->method, strlen(e->method));
		cap_ev_str(q, &h->target, e->target ? e->target : "", e->target_n);
	}
	if (e->has_host)
		cap_ev_str(q, &h->host, e->host, strlen(e->host));
	if (e->has_reason)
		cap_ev_str(q, &h->reason, e->reason, strlen(e->reason));
	if (e->has_retry_after)
		cap_ev_str(q, &h->retry_after, e->retry_after, strlen(e->retry_after));
	if (e->body.len)
		cap_ev_str(q, &h->body, e->body.buf, e->body.len);

	struct strbuf sb = STRBUF_INIT;
	struct strref th, tp;
	target_parts(e->target ? e->target : "", e->target_n, &th, &tp);
	strbuf_addstr(&sb, e->has_req ? e->method : "(no request)");
	strbuf_addch(&sb, ' ');
	if (th.p && !e->has_host)
		strbuf_add(&sb, th.p, th.n);
	else
		label_host(cn, e, &sb);
	if (tp.n && tp.p[0] != '/')
		strbuf_addch(&sb, '/');
	strbuf_add(&sb, tp.p, tp.n);
	cap_ev_str(q, &h->label, sb.buf, sb.len);
	strbuf_reset(&sb);
	if (th.p) {
		strbuf_add(&sb, e->target, e->target_n);
	} else {
		strbuf_addstr(&sb, cn->d[0].tls_outer ? "https://" : "http://");
		label_host(cn, e, &sb);
		if (!e->target_n || e->target[0] != '/')
			strbuf_addch(&sb, '/');
		if (e->target_n && strcmp(e->target, "*") != 0)
			strbuf_add(&sb, e->target, e->target_n);
	}
	cap_ev_str(q, &h->url, sb.buf, sb.len);
	strbuf_release(&sb);

	char code[16] = "";
	if (e->status > 0)
		snprintf(code, sizeof code, "%03d", e->status);
	cap_ev_str(q, &h->code, code, strlen(code));
	h->status = e->status;
	h->req_version = e->req_version;
	h->resp_version = e->resp_version;
	h->flags = e->flags;
	h->incomplete = inc;
	h->interim = e->interim;
	h->req_first_ns = e->req_first;
	h->req_last_ns = e->req_last;
	h->resp_first_ns = e->resp_first;
	h->resp_last_ns = e->resp_last;
	h->interim_ns = e->interim_ns;
	h->req_header_bytes = e->req_hdr;
	h->req_body_bytes = e->req_body;
	h->resp_header_bytes = e->resp_hdr;
	h->resp_body_bytes = e->resp_body;
	h->rl = e->rl;
	if (!cn->first_exchange_done && e->has_req) {
		cn->first_exchange_done = true;
		h->connect_ns = cn->st.handshake_ns;
	}
	cap_ev_push(c, q);
	exch_free(e);
}

/* ---- header block parsing ---- */

struct hdr_iter {
	const char *p, *end;
};

/* Next line of a header block, without its CR LF.  False at the end. */
static bool next_line(struct hdr_iter *it, struct strref *line)
{
	if (it->p >= it->end)
		return false;
	const char *nl = memchr(it->p, '\n', (size_t)(it->end - it->p));
	const char *e = nl ? nl : it->end;
	line->p = it->p;
	line->n = (size_t)(e - it->p);
	if (line->n && line->p[line->n - 1] == '\r')
		line->n--;
	it->p = nl ? nl + 1 : it->end;
	return true;
}

static bool split_header(struct strref line, struct strref *name, struct strref *value)
{
	if (!line.n || is_ws((unsigned char)line.p[0]))
		return false;   /* empty or obs-fold continuation */
	const char *colon = memchr(line.p, ':', line.n);
	if (!colon)
		return false;
	name->p = line.p;
	name->n = (size_t)(colon - line.p);
	value->p = colon + 1;
	value->n = line.n - name->n - 1;
	*value = strref_trim(*value);
	*name = strref_trim(*name);
	return name->n > 0;
}

static bool ends_with_token(struct strref v, const char *tok)
{
	size_t n = strlen(tok);
	v = strref_trim(v);
	if (v.n < n || strncasecmp(v.p + v.n - n, tok, n) != 0)
		return false;
	return v.n == n || v.p[v.n - n - 1] == ',' || is_ws((unsigned char)v.p[v.n - n - 1]);
}

static bool contains_token(struct strref v, const char *tok)
{
	size_t n = strlen(tok);
	for (size_t i = 0; i + n <= v.n; i++)
		if (strncasecmp(v.p + i, tok, n) == 0)
			return true;
	return false;
}

struct framing {
	bool chunked, has_len, len_bad;
	int64_t len;
};

static void framing_header(struct framing *f, struct strref name, struct strref value)
{
	if (strref_ieq(name, "content-length")) {
		int64_t v;
		if (parse_i64(value.p, value.n, 0, INT64_MAX, &v) && (!f->has_len || v == f->len)) {
			f->has_len = true;
			f->len = v;
		} else {
			f->len_bad = true;
		}
	} else if (strref_ieq(name, "transfer-encoding")) {
		f->chunked = ends_with_token(value, "chunked");
	}
}

static int parse_version(struct strref v)
{
	v = strref_trim(v);
	if (!v.n)
		return 9;
	if (v.n == 8 && memcmp(v.p, "HTTP/1.", 7) == 0 && v.p[7] >= '0' && v.p[7] <= '9')
		return 10 + (v.p[7] - '0');
	return 0;
}

/* METHOD ws target [ws version] (lenient). */
static bool parse_request_line(struct strref l, struct strref *m, struct strref *t, int *ver)
{
	size_t i = 0;
	while (i < l.n && !is_ws((unsigned char)l.p[i]))
		i++;
	if (i == 0 || i > CAPTURE_MAX_METHOD)
		return false;
	for (size_t k = 0; k < i; k++)
		if ((unsigned char)l.p[k] < 0x21 || l.p[k] == 0x7f)
			return false;
	m->p = l.p;
	m->n = i;
	while (i < l.n && is_ws((unsigned char)l.p[i]))
		i++;
	size_t ts = i;
	while (i < l.n && !is_ws((unsigned char)l.p[i]))
		i++;
	t->p = l.p + ts;
	t->n = i - ts;
	struct strref v = { l.p + i, l.n - i };
	*ver = parse_version(v);
	return true;
}

/* HTTP/d.d ws 3DIGIT [ws reason] */
static bool parse_status_line(struct strref l, int *ver, int *status, struct strref *reason)
{
	if (l.n < 12 || memcmp(l.p, "HTTP/", 5) != 0 || l.p[6] != '.' || l.p[5] < '0' ||
	    l.p[5] > '9' || l.p[7] < '0' || l.p[7] > '9')
		return false;
	*ver = (l.p[5] - '0') * 10 + (l.p[7] - '0');
	size_t i = 8;
	if (i >= l.n || !is_ws((unsigned char)l.p[i]))
		return false;
	while (i < l.n && is_ws((unsigned char)l.p[i]))
		i++;
	int64_t st;
	if (i + 3 > l.n || !parse_i64(l.p + i, 3, 100, 999, &st))
		return false;
	if (i + 3 < l.n && !is_ws((unsigned char)l.p[i + 3]))
		return false;
	*status = (int)st;
	i += 3;
	while (i < l.n && is_ws((unsigned char)l.p[i]))
		i++;
	reason->p = l.p + i;
	reason->n = l.n - i;
	return true;
}

/* ---- state helpers ---- */

static void set_state(struct cap_http_dir *h, enum cap_hstate st)
{
	h->st = st;
	strbuf_reset(&h->buf);
	h->line_blank = true;
	h->rem = 0;
}

static void resync(struct cap_conn *cn, int dir)
{
	struct cap_http_dir *h = &cn->d[dir].h;
	set_state(h, CAP_HS_RESYNC);
	if (dir == CAP_S2C)
		h->after_gap = true;
}

void cap_http_resync(struct cap_conn *cn, int dir)
{
	resync(cn, dir);
}

static void req_done(struct cap_conn *cn, const struct cap_seginfo *si, uint64_t end_off)
{
	struct cap_http_dir *h = &cn->d[CAP_C2S].h;
	struct cap_exch *e = h->cur;
	enum cap_hstate next = CAP_HS_IDLE;
	if (e) {
		e->req_done = true;
		e->req_last = si->ts;
		e->req_end_off = end_off;
		if ((e->want_ws || e->is_connect) && e->status == 0)
			next = CAP_HS_WAIT_UPGRADE;
	}
	h->cur = NULL;
	set_state(h, next);
	if (next == CAP_HS_WAIT_UPGRADE) {
		strbuf_reset(&h->hold);
		h->hold_si = *si;
	}
}

static void resp_done(struct cap_conn *cn, int64_t ts)
{
	struct cap_http_dir *h = &cn->d[CAP_S2C].h;
	struct cap_exch *e = h->cur;
	h->cur = NULL;
	set_state(h, CAP_HS_IDLE);
	if (e) {
		e->resp_last = ts;
		emit(cn, e);
	}
}

static void keep_body(struct cap_conn *cn, struct cap_exch *e, const uint8_t *p, size_t n)
{
	if (!e || !e->identity || !n)
		return;
	size_t room = CAPTURE_BODY_KEEP > e->body.len ? CAPTURE_BODY_KEEP - e->body.len : 0;
	if (n > room) {
		if (!(e->flags & CAP_HTTP_BODY_TRUNCATED))
			cn->cap->cnt.limit[CAP_LIM_BODY]++;
		e->flags |= CAP_HTTP_BODY_TRUNCATED;
		n = room;
	}
	if (n)
		strbuf_add(&e->body, p, n);
}

static void body_bytes(struct cap_conn *cn, int dir, const uint8_t *p, size_t n)
{
	struct cap_exch *e = cn->d[dir].h.cur;
	if (!e)
		return;
	if (dir == CAP_C2S) {
		e->req_body += n;
	} else {
		e->resp_body += n;
		keep_body(cn, e, p, n);
	}
}

/* Let the client go on after an upgrade/CONNECT was refused (or accepted as opaque). */
static void release_client(struct cap_conn *cn, enum cap_mode mode)
{
	struct cap_http_dir *h = &cn->d[CAP_C2S].h;
	if (h->st != CAP_HS_WAIT_UPGRADE)
		return;
	struct strbuf hold = h->hold;
	struct cap_seginfo si = h->hold_si;
	strbuf_init(&h->hold);
	set_state(h, CAP_HS_IDLE);
	cn->d[CAP_C2S].mode = mode;
	if (hold.len)
		cap_app_data(cn, CAP_C2S, (const uint8_t *)hold.buf, hold.len, &si);
	strbuf_release(&hold);
}

/* ---- requests ---- */

static void got_request(struct cap_conn *cn, const struct cap_seginfo *si, uint64_t end_off,
			bool partial)
{
	struct capture *c = cn->cap;
	struct cap_http_dir *h = &cn->d[CAP_C2S].h;
	if (!h->buf.len) {
		resync(cn, CAP_C2S);
		return;
	}
	struct hdr_iter it = { h->buf.buf, h->buf.buf + h->buf.len };
	struct strref line, m, t, name, value;
	int ver = 0;
	if (!next_line(&it, &line) || !parse_request_line(line, &m, &t, &ver)) {
		resync(cn, CAP_C2S);
		return;
	}
	if (partial && it.p >= it.end && h->buf.buf[h->buf.len - 1] != '\n' && !t.n) {
		resync(cn, CAP_C2S);   /* cut before the target: nothing to report */
		return;
	}
	if (cn->qlen >= CAPTURE_MAX_PENDING) {
		c->cnt.limit[CAP_LIM_PENDING]++;
		struct cap_exch *old = q_pop(cn);
		old->flags |= CAP_HTTP_LIMIT;
		emit(cn, old);
	}
	struct cap_exch *e = exch_new(cn);
	e->has_req = true;
	copy_field(e->method, CAPTURE_MAX_METHOD, m.p, m.n);
	size_t tn = t.n;
	if (tn > CAPTURE_MAX_TARGET) {
		c->cnt.limit[CAP_LIM_TARGET]++;
		tn = CAPTURE_MAX_TARGET;
	}
	e->target = xstrndup(t.p, tn);
	e->target_n = tn;
	e->req_version = ver;
	e->req_first = h->msg_ts;
	e->req_hdr = h->buf.len;
	e->is_head = strref_eq(m, "HEAD");
	e->is_connect = strref_eq(m, "CONNECT");
	if (cn->qlen > 0 || cn->d[CAP_S2C].h.cur)
		e->flags |= CAP_HTTP_PIPELINED;
	struct framing f = { false, false, false, 0 };
	bool upgrade_ws = false;
	while (next_line(&it, &line)) {
		if (!split_header(line, &name, &value))
			continue;
		framing_header(&f, name, value);
		if (strref_ieq(name, "host")) {
			e->has_host = true;
			copy_field(e->host, CAPTURE_MAX_HOST, value.p, value.n);
		} else if (strref_ieq(name, "upgrade") && contains_token(value, "websocket")) {
			upgrade_ws = true;
		}
	}
	e->want_ws = upgrade_ws;
	c->cnt.requests++;
	q_push(cn, e);
	h->cur = e;
	if (partial) {
		e->flags |= CAP_HTTP_REQ_HOLE;
		e->req_done = true;
		e->req_last = si->ts;
		e->req_end_off = end_off;
		h->cur = NULL;
		resync(cn, CAP_C2S);
		return;
	}
	if (f.chunked) {
		set_state(h, CAP_HS_CHUNK_SIZE);
	} else if (f.has_len && f.len > 0) {
		set_state(h, CAP_HS_BODY);
		h->rem = (uint64_t)f.len;
	} else {
		req_done(cn, si, end_off);
	}
}

/* ---- responses ---- */

static void got_response(struct cap_conn *cn, const struct cap_seginfo *si, bool partial)
{
	struct capture *c = cn->cap;
	struct cap_http_dir *h = &cn->d[CAP_S2C].h;
	if (!h->buf.len) {
		resync(cn, CAP_S2C);
		return;
	}
	struct hdr_iter it = { h->buf.buf, h->buf.buf + h->buf.len };
	struct strref line, reason, name, value;
	int ver = 0, status = 0;
	if (!next_line(&it, &line) || !parse_status_line(line, &ver, &status, &reason)) {
		/* Not a status line (or cut inside it): the oldest request's answer is lost. */
		if (partial || (h->buf.len && cn->qhead)) {
			struct cap_exch *e = q_pop(cn);
			if (e) {
				e->flags |= CAP_HTTP_RESP_HOLE;
				emit(cn, e);
			}
		}
		resync(cn, CAP_S2C);
		return;
	}
	/* After a hole: requests whose answers fell into it (see the file comment). */
	if (h->after_gap && h->msg_si.ack_valid) {
		while (cn->qhead && cn->qhead->next && cn->qhead->next->req_done &&
		       cn->qhead->next->req_end_off <= h->msg_si.peer_ack) {
			struct cap_exch *lost = q_pop(cn);
			lost->flags |= CAP_HTTP_RESP_HOLE;
			emit(cn, lost);
		}
	}
	h->after_gap = false;
	if (status >= 100 && status < 200 && status != 101) {
		c->cnt.interim_responses++;
		if (cn->qhead) {
			cn->qhead->interim++;
			if (!cn->qhead->interim_ns)
				cn->qhead->interim_ns = h->msg_ts;
		}
		set_state(h, partial ? CAP_HS_RESYNC : CAP_HS_IDLE);
		return;
	}
	struct cap_exch *e = q_pop(cn);
	if (!e)
		e = exch_new(cn);
	h->cur = e;
	e->status = status;
	e->resp_version = ver;
	e->has_reason = true;
	copy_field(e->reason, CAPTURE_MAX_REASON, reason.p, reason.n);
	e->resp_first = h->msg_ts;
	e->resp_hdr = h->buf.len;
	int64_t now_ms = h->msg_ts / 1000000;
	struct framing f = { false, false, false, 0 };
	struct strref ws_ext = STRREF_NULL;
	while (next_line(&it, &line)) {
		if (!split_header(line, &name, &value))
			continue;
		framing_header(&f, name, value);
		ratelimit_header(&e->rl, name.p, name.n, value.p, value.n, now_ms);
		if (strref_ieq(name, "sec-websocket-extensions") && !ws_ext.p)
			ws_ext = value;
		if (strref_ieq(name, "retry-after")) {
			e->has_retry_after = true;
			copy_field(e->retry_after, CAPTURE_MAX_RAW_HEADER, value.p, value.n);
		} else if (strref_ieq(name, "content-encoding")) {
			e->identity = strref_ieq(value, "identity") || value.n == 0;
		}
	}
	if (partial) {
		e->flags |= CAP_HTTP_RESP_HOLE;
		e->resp_last = si->ts;
		h->cur = NULL;
		emit(cn, e);
		resync(cn, CAP_S2C);
		return;
	}
	if (status == 101) {
		e->resp_last = si->ts;
		h->cur = NULL;
		set_state(h, CAP_HS_IDLE);
		if (e->want_ws) {
			e->flags |= CAP_HTTP_UPGRADE;
			free(cn->ws_host);
			cn->ws_host = xstrdup(e->has_host ? e->host : "");
			free(cn->ws_path);
			cn->ws_path = xstrndup(e->target ? e->target : "", e->target_n);
			if (ws_ext.p)
				cap_ws_extensions(cn, ws_ext);
			emit(cn, e);
			cap_conn_set_proto(cn, CAP_PROTO_WEBSOCKET);
			cn->d[CAP_S2C].mode = CAP_M_WS;
			release_client(cn, CAP_M_WS);
			cn->d[CAP_C2S].mode = CAP_M_WS;
		} else {
			emit(cn, e);
			cn->d[CAP_S2C].mode = CAP_M_OTHER;
			release_client(cn, CAP_M_OTHER);
			cn->d[CAP_C2S].mode = CAP_M_OTHER;
		}
		return;
	}
	bool no_body = e->is_head || status == 204 || status == 304;
	if (e->is_connect && status >= 200 && status < 300) {
		resp_done(cn, si->ts);
		cn->d[CAP_S2C].mode = CAP_M_OTHER;
		release_client(cn, CAP_M_OTHER);
		cn->d[CAP_C2S].mode = CAP_M_OTHER;
		return;
	}
	release_client(cn, CAP_M_HTTP);
	if (no_body) {
		resp_done(cn, si->ts);
	} else if (f.chunked) {
		e->flags |= CAP_HTTP_CHUNKED;
		set_state(h, CAP_HS_CHUNK_SIZE);
	} else if (f.has_len && !f.len_bad) {
		if (f.len == 0) {
			resp_done(cn, si->ts);
		} else {
			set_state(h, CAP_HS_BODY);
			h->rem = (uint64_t)f.len;
		}
	} else {
		e->flags |= CAP_HTTP_CLOSE_DELIMITED;
		set_state(h, CAP_HS_CLOSE_BODY);
	}
}

static void message_done(struct cap_conn *cn, int dir, const struct cap_seginfo *si,
			 uint64_t end_off)
{
	if (dir == CAP_C2S)
		req_done(cn, si, end_off);
	else
		resp_done(cn, si->ts);
}

static void message_head(struct cap_conn *cn, int dir, const struct cap_seginfo *si,
			 uint64_t end_off, bool partial)
{
	if (dir == CAP_C2S)
		got_request(cn, si, end_off, partial);
	else
		got_response(cn, si, partial);
}

/* ---- the byte-level state machine ---- */

static const char *const resync_methods[] = { "GET ", "POST ", "PUT ", "DELETE ", "HEAD ",
					      "OPTIONS ", "PATCH ", "CONNECT ", "TRACE " };

/* In RESYNC: does the line prefix in buf start a message?  1 yes, 0 no, -1 need more. */
static int resync_match(int dir, const char *p, size_t n)
{
	if (dir == CAP_S2C) {
		size_t m = n < 7 ? n : 7;
		if (memcmp(p, "HTTP/1.", m) != 0)
			return 0;
		return n < 7 ? -1 : 1;
	}
	bool more = false;
	for (size_t i = 0; i < ARRAY_LEN(resync_methods); i++) {
		size_t l = strlen(resync_methods[i]);
		size_t m = n < l ? n : l;
		if (memcmp(p, resync_methods[i], m) == 0) {
			if (n >= l)
				return 1;
			more = true;
		}
	}
	return more ? -1 : 0;
}

bool cap_http_starts_message(const uint8_t *p, size_t n, bool server)
{
	return resync_match(server ? CAP_S2C : CAP_C2S, (const char *)p, n) == 1;
}

/* Consume bytes from p[0..n); returns how many were used (> 0 unless the state changed). */
static size_t step(struct cap_conn *cn, int dir, const uint8_t *p, size_t n,
		  const struct cap_seginfo *si)
{
	struct cap_http_dir *h = &cn->d[dir].h;
	size_t k = 0, take;
	switch (h->st) {
	case CAP_HS_IDLE:
		while (k < n && (p[k] == '\r' || p[k] == '\n'))
			k++;
		if (k < n) {
			set_state(h, CAP_HS_HEAD);
			h->msg_ts = si->ts;
			h->msg_si = *si;
			h->msg_si.off = si->off + k;
		}
		return k;
	case CAP_HS_HEAD:
		while (k < n) {
			const uint8_t *nl = memchr(p + k, '\n', n - k);
			size_t upto = nl ? (size_t)(nl - p) + 1 : n;
			for (size_t j = k; j < upto - (nl ? 1 : 0); j++)
				if (p[j] != '\r')
					h->line_blank = false;
			if (h->buf.len + (upto - k) > CAPTURE_MAX_HEADER) {
				cn->cap->cnt.limit[CAP_LIM_HEADER]++;
				message_head(cn, dir, si, si->off + upto, true);
				if (h->cur)
					h->cur->flags |= CAP_HTTP_LIMIT;
				resync(cn, dir);
				return upto;
			}
			cap_sb_add(&h->buf, p + k, upto - k, 1024);
			k = upto;
			if (nl) {
				if (h->line_blank) {
					message_head(cn, dir, si, si->off + k, false);
					return k;
				}
				h->line_blank = true;
			}
		}
		return k;
	case CAP_HS_BODY:
	case CAP_HS_CHUNK_DATA:
		take = n < h->rem ? n : (size_t)h->rem;
		body_bytes(cn, dir, p, take);
		h->rem -= take;
		if (h->rem == 0) {
			if (h->st == CAP_HS_BODY)
				message_done(cn, dir, si, si->off + take);
			else
				set_state(h, CAP_HS_CHUNK_CRLF);
		}
		return take;
	case CAP_HS_CHUNK_CRLF:
		if (p[0] == '\r')
			return 1;
		set_state(h, CAP_HS_CHUNK_SIZE);
		return p[0] == '\n' ? 1 : 0;
	case CAP_HS_CHUNK_SIZE: {
		const uint8_t *nl = memchr(p, '\n', n);
		size_t upto = nl ? (size_t)(nl - p) + 1 : n;
		if (h->buf.len + upto > CHUNK_LINE_MAX) {
			if (h->cur)
				h->cur->flags |= dir == CAP_C2S ? CAP_HTTP_REQ_HOLE : CAP_HTTP_UNFINISHED;
			message_done(cn, dir, si, si->off + upto);
			resync(cn, dir);
			return upto;
		}
		strbuf_add(&h->buf, p, upto);
		if (!nl)
			return upto;
		uint64_t sz = 0;
		size_t i = 0, digits = 0;
		const char *b = h->buf.buf;
		while (i < h->buf.len && is_ws((unsigned char)b[i]))
			i++;
		for (; i < h->buf.len; i++, digits++) {
			unsigned ch = (unsigned char)b[i], v;
			if (ch >= '0' && ch <= '9')
				v = ch - '0';
			else if ((ch | 0x20) >= 'a' && (ch | 0x20) <= 'f')
				v = (ch | 0x20) - 'a' + 10;
			else
				break;
			if (sz > (UINT64_MAX >> 4)) {
				digits = 0;
				break;
			}
			sz = sz << 4 | v;
		}
		if (!digits) {
			/* Broken chunk framing: report the message as unfinished, look for the next. */
			if (h->cur)
				h->cur->flags |= dir == CAP_C2S ? CAP_HTTP_REQ_HOLE : CAP_HTTP_UNFINISHED;
			message_done(cn, dir, si, si->off + upto);
			resync(cn, dir);
			return upto;
		}
		if (sz == 0) {
			set_state(h, CAP_HS_TRAILER);
		} else {
			set_state(h, CAP_HS_CHUNK_DATA);
			h->rem = sz;
		}
		return upto;
	}
	case CAP_HS_TRAILER:
		for (; k < n; k++) {
			if (p[k] == '\n') {
				if (h->line_blank) {
					message_done(cn, dir, si, si->off + k + 1);
					return k + 1;
				}
				h->line_blank = true;
			} else if (p[k] != '\r') {
				h->line_blank = false;
			}
		}
		return k;
	case CAP_HS_CLOSE_BODY:
		body_bytes(cn, dir, p, n);
		return n;
	case CAP_HS_WAIT_UPGRADE:
		if (h->hold.len + n <= CAPTURE_MAX_HEADER)
			strbuf_add(&h->hold, p, n);
		else
			cn->cap->cnt.limit[CAP_LIM_HEADER]++;
		return n;
	case CAP_HS_TUNNEL:
		return n;
	case CAP_HS_RESYNC:
		/* Messages usually start at a segment boundary: try here even mid-line. */
		if (!h->line_blank && !h->buf.len && resync_match(dir, (const char *)p, n) == 1)
			h->line_blank = true;
		while (k < n) {
			if (!h->line_blank) {
				/* not at a line start: skip to the next line */
				const uint8_t *nl = memchr(p + k, '\n', n - k);
				if (!nl)
					return n;
				k = (size_t)(nl - p) + 1;
				h->line_blank = true;
				strbuf_reset(&h->buf);
				continue;
			}
			if (!h->buf.len) {
				h->msg_ts = si->ts;
				h->msg_si = *si;
				h->msg_si.off = si->off + k;
			}
			strbuf_addch(&h->buf, (char)p[k]);
			k++;
			int r = resync_match(dir, h->buf.buf, h->buf.len);
			if (r == 1) {
				struct strbuf keep = h->buf;
				int64_t ts = h->msg_ts;
				struct cap_seginfo msi = h->msg_si;
				strbuf_init(&h->buf);
				set_state(h, CAP_HS_HEAD);
				strbuf_release(&h->buf);
				h->buf = keep;
				h->line_blank = false;
				h->msg_ts = ts;
				h->msg_si = msi;
				return k;
			}
			if (r == 0) {
				/* Not a message start: a line end restarts the search at the next
				 * byte; anything else skips the rest of the line. */
				h->line_blank = p[k - 1] == '\n' || (p[k - 1] == '\r' && h->buf.len == 1);
				strbuf_reset(&h->buf);
			}
		}
		return k;
	}
	return n;
}

void cap_http_data(struct cap_conn *cn, int dir, const uint8_t *p, size_t n,
		   const struct cap_seginfo *si)
{
	size_t i = 0;
	int guard = 0;
	while (i < n) {
		struct cap_seginfo cs = *si;
		cs.off = si->off + i;
		if (cn->d[dir].mode != CAP_M_HTTP) {
			cap_app_data(cn, dir, p + i, n - i, &cs);
			return;
		}
		size_t used = step(cn, dir, p + i, n - i, &cs);
		i += used;
		/* A state change may consume nothing; it never does twice in a row. */
		guard = used ? 0 : guard + 1;
		if (guard > 4)
			break;
	}
}

void cap_http_gap(struct cap_conn *cn, int dir, uint64_t n, const struct cap_seginfo *si)
{
	struct cap_http_dir *h = &cn->d[dir].h;
	unsigned hole = dir == CAP_C2S ? CAP_HTTP_REQ_HOLE : CAP_HTTP_RESP_HOLE;
	uint64_t take;
	switch (h->st) {
	case CAP_HS_IDLE:
		resync(cn, dir);
		break;
	case CAP_HS_HEAD:
		message_head(cn, dir, si, si->off, true);
		if (h->st != CAP_HS_RESYNC)
			resync(cn, dir);
		break;
	case CAP_HS_BODY:
		take = n < h->rem ? n : h->rem;
		if (h->cur) {
			h->cur->flags |= hole;
			if (dir == CAP_C2S)
				h->cur->req_body += take;
			else
				h->cur->resp_body += take;
		}
		h->rem -= take;
		if (h->rem == 0) {
			message_done(cn, dir, si, si->off + take);
			if (n > take)
				resync(cn, dir);
		}
		break;
	case CAP_HS_CHUNK_SIZE:
	case CAP_HS_CHUNK_DATA:
	case CAP_HS_CHUNK_CRLF:
	case CAP_HS_TRAILER:
		if (h->cur)
			h->cur->flags |= hole;
		message_done(cn, dir, si, si->off + n);
		resync(cn, dir);
		break;
	case CAP_HS_CLOSE_BODY:
		if (h->cur) {
			h->cur->flags |= hole;
			h->cur->resp_body += n;
		}
		break;
	case CAP_HS_WAIT_UPGRADE:
		strbuf_reset(&h->hold);
		break;
	case CAP_HS_RESYNC:
		if (dir == CAP_S2C)
			h->after_gap = true;
		h->line_blank = true;
		strbuf_reset(&h->buf);
		break;
	case CAP_HS_TUNNEL:
		break;
	}
}

void cap_http_eof(struct cap_conn *cn, int dir, const struct cap_seginfo *si)
{
	struct cap_http_dir *h = &cn->d[dir].h;
	if (dir == CAP_S2C && h->st == CAP_HS_CLOSE_BODY)
		resp_done(cn, si->ts);
}

void cap_http_close(struct cap_conn *cn, bool clean)
{
	if (cn->d[0].mode != CAP_M_HTTP && cn->d[1].mode != CAP_M_HTTP && !cn->qhead &&
	    !cn->d[1].h.cur)
		return;
	struct cap_http_dir *s = &cn->d[CAP_S2C].h, *q = &cn->d[CAP_C2S].h;
	struct cap_seginfo si = { cn->st.last_ns, 0, 0, false };
	if (q->st == CAP_HS_HEAD && cn->d[CAP_C2S].mode == CAP_M_HTTP)
		got_request(cn, &si, 0, true);
	if (s->cur) {
		if (!(s->st == CAP_HS_CLOSE_BODY && clean))
			s->cur->flags |= CAP_HTTP_UNFINISHED;
		resp_done(cn, cn->st.last_ns);
	} else if (s->st == CAP_HS_HEAD && cn->d[CAP_S2C].mode == CAP_M_HTTP) {
		got_response(cn, &si, true);
	}
	struct cap_exch *e;
	while ((e = q_pop(cn)) != NULL)
		emit(cn, e);
}

void cap_http_free(struct cap_conn *cn)
{
	for (int i = 0; i < 2; i++) {
		struct cap_http_dir *h = &cn->d[i].h;
		strbuf_release(&h->buf);
		strbuf_release(&h->hold);
		if (i == CAP_S2C)
			exch_free(h->cur);
		h->cur = NULL;
	}
	struct cap_exch *e;
	while ((e = q_pop(cn)) != NULL)
		exch_free(e);
}
