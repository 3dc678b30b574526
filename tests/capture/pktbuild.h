/* pktbuild.h - build TCP/IP frames for the capture unit tests and feed them to a raw capture
 * (capture_open_raw + capture_feed), then collect the events as plain copies.
 *
 * Frames are Ethernet (optionally VLAN-tagged) + IPv4 or IPv6 + a 20-byte TCP header; every
 * frame is copied into a buffer of exactly its captured length so ASan catches any read past it.
 */
#ifndef JTLSCOPE_TESTS_CAPTURE_PKTBUILD_H
#define JTLSCOPE_TESTS_CAPTURE_PKTBUILD_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "parsers/capture/cap_int.h"
#include "parsers/capture/capture.h"

#define PK_MS 1000000LL

struct pk_flow {
	struct capture *c;
	bool v6;
	unsigned vlan;          /* 802.1Q tags to add */
	uint8_t ip[2][16];      /* [0] client, [1] server */
	uint16_t port[2];
	uint32_t seq[2];        /* next sequence number each side sends */
	int64_t t;              /* next packet time (ns); advances 1 ms per packet */
	size_t snap;            /* 0: whole frames */
};

static inline void pk_put16(uint8_t *p, unsigned v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static inline void pk_put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

/* A flow 10.0.0.1:40000 -> 10.0.0.2:80 (or fd00::1 -> fd00::2) starting at t0 (ns). */
static inline void pk_flow_init(struct pk_flow *f, struct capture *c, int64_t t0)
{
	memset(f, 0, sizeof *f);
	f->c = c;
	f->ip[0][0] = 10, f->ip[0][3] = 1;
	f->ip[1][0] = 10, f->ip[1][3] = 2;
	f->port[0] = 40000;
	f->port[1] = 80;
	f->seq[0] = 1000;
	f->seq[1] = 5000;
	f->t = t0;
}

static inline void pk_flow_v6(struct pk_flow *f)
{
	f->v6 = true;
	memset(f->ip, 0, sizeof f->ip);
	f->ip[0][0] = 0xfd, f->ip[0][15] = 1;
	f->ip[1][0] = 0xfd, f->ip[1][15] = 2;
}

/* Ethernet + IP + TCP; returns the frame length. */
static inline size_t pk_build(const struct pk_flow *f, int from, uint32_t seq, uint32_t ack,
			      uint8_t flags, uint16_t win, const void *data, size_t len,
			      uint8_t *out)
{
	size_t n = 12;
	memset(out, 0, 12);
	for (unsigned i = 0; i < f->vlan; i++) {
		pk_put16(out + n, 0x8100);
		pk_put16(out + n + 2, 7);
		n += 4;
	}
	pk_put16(out + n, f->v6 ? 0x86dd : 0x0800);
	n += 2;
	size_t tcp_len = 20 + len;
	if (f->v6) {
		uint8_t *ip = out + n;
		memset(ip, 0, 40);
		ip[0] = 0x60;
		pk_put16(ip + 4, (unsigned)tcp_len);
		ip[6] = 6;
		ip[7] = 64;
		memcpy(ip + 8, f->ip[from], 16);
		memcpy(ip + 24, f->ip[!from], 16);
		n += 40;
	} else {
		uint8_t *ip = out + n;
		memset(ip, 0, 20);
		ip[0] = 0x45;
		pk_put16(ip + 2, (unsigned)(20 + tcp_len));
		ip[8] = 64;
		ip[9] = 6;
		memcpy(ip + 12, f->ip[from], 4);
		memcpy(ip + 16, f->ip[!from], 4);
		n += 20;
	}
	uint8_t *th = out + n;
	memset(th, 0, 20);
	pk_put16(th, f->port[from]);
	pk_put16(th + 2, f->port[!from]);
	pk_put32(th + 4, seq);
	pk_put32(th + 8, ack);
	th[12] = 5 << 4;
	th[13] = flags;
	pk_put16(th + 14, win);
	n += 20;
	if (len)
		memcpy(out + n, data, len);
	return n + len;
}

/* Build and feed one frame at f->t (then t += 1 ms). */
static inline void pk_send(struct pk_flow *f, int from, uint32_t seq, uint32_t ack, uint8_t flags,
			   const void *data, size_t len)
{
	size_t max = len + 128;
	uint8_t *tmp = malloc(max);
	size_t n = pk_build(f, from, seq, ack, flags, 65535, data, len, tmp);
	size_t cap = f->snap && f->snap < n ? f->snap : n;
	uint8_t *exact = malloc(cap ? cap : 1);
	memcpy(exact, tmp, cap);
	capture_feed(f->c, f->t, exact, cap, n);
	free(exact);
	free(tmp);
	f->t += PK_MS;
}

static inline void pk_handshake(struct pk_flow *f)
{
	pk_send(f, 0, f->seq[0], 0, CAP_TH_SYN, NULL, 0);
	f->seq[0]++;
	pk_send(f, 1, f->seq[1], f->seq[0], CAP_TH_SYN | CAP_TH_ACK, NULL, 0);
	f->seq[1]++;
	pk_send(f, 0, f->seq[0], f->seq[1], CAP_TH_ACK, NULL, 0);
}

/* In-order data from one side (acknowledging everything the other side sent). */
static inline void pk_data(struct pk_flow *f, int from, const void *data, size_t len)
{
	pk_send(f, from, f->seq[from], f->seq[!from], CAP_TH_ACK | CAP_TH_PSH, data, len);
	f->seq[from] += (uint32_t)len;
}

static inline void pk_str(struct pk_flow *f, int from, const char *s)
{
	pk_data(f, from, s, strlen(s));
}

/* A bare ACK from one side acknowledging `ack`. */
static inline void pk_ack(struct pk_flow *f, int from, uint32_t ack)
{
	pk_send(f, from, f->seq[from], ack, CAP_TH_ACK, NULL, 0);
}

static inline void pk_fin(struct pk_flow *f, int from)
{
	pk_send(f, from, f->seq[from], f->seq[!from], CAP_TH_FIN | CAP_TH_ACK, NULL, 0);
	f->seq[from]++;
}

static inline void pk_close(struct pk_flow *f)
{
	pk_fin(f, 0);
	pk_fin(f, 1);
	pk_ack(f, 0, f->seq[1]);
}

/* ---- events as copies ---- */

#define PK_STR 4200

struct pk_ev {
	enum capture_event_kind kind;
	uint64_t conn_id;
	char conn_name[128];
	bool saw_syn;
	enum capture_proto proto;
	struct capture_conn_stats stats;
	/* http */
	int status;
	unsigned flags, interim;
	bool incomplete;
	char method[40], target[256], host[256], label[512], url[512], reason[128];
	char retry_after[160];
	struct ratelimit rl;
	int64_t req_first, req_last, resp_first, resp_last;
	uint64_t req_body, resp_body;
	size_t body_n;
	char body[PK_STR];
	/* ws */
	int dir;
	unsigned opcode, msg_opcode;
	bool fin, masked;
	uint64_t length;
	size_t payload_n, message_n;
	char payload[PK_STR], message[PK_STR], close_reason[160];
	int close_code;
	/* tls */
	char sni[256], alpn[256];
	unsigned version, client_version;
	bool complete;
	/* tcp */
	enum capture_tcp_note note;
	/* sample mapping */
	bool has_sample;
	struct sample s;
	char s_label[512], s_code[16], s_thread[128], s_url[512];
};

static inline void pk_cp(char *dst, size_t cap, struct strref s, size_t *n)
{
	size_t k = s.p ? (s.n < cap - 1 ? s.n : cap - 1) : 0;
	if (k)
		memcpy(dst, s.p, k);
	dst[k] = '\0';
	if (n)
		*n = k;
}

static inline void pk_copy_event(struct pk_ev *e, const struct capture_event *ev)
{
	memset(e, 0, sizeof *e);
	e->kind = ev->kind;
	e->conn_id = ev->conn.id;
	pk_cp(e->conn_name, sizeof e->conn_name, ev->conn.name, NULL);
	e->saw_syn = ev->conn.saw_syn;
	e->proto = ev->conn.proto;
	e->stats = ev->stats;
	e->close_code = -1;
	if (ev->kind == CAP_EV_HTTP) {
		const struct capture_http *h = &ev->u.http;
		e->status = h->status;
		e->flags = h->flags;
		e->interim = h->interim;
		e->incomplete = h->incomplete;
		pk_cp(e->method, sizeof e->method, h->method, NULL);
		pk_cp(e->target, sizeof e->target, h->target, NULL);
		pk_cp(e->host, sizeof e->host, h->host, NULL);
		pk_cp(e->label, sizeof e->label, h->label, NULL);
		pk_cp(e->url, sizeof e->url, h->url, NULL);
		pk_cp(e->reason, sizeof e->reason, h->reason, NULL);
		pk_cp(e->retry_after, sizeof e->retry_after, h->retry_after, NULL);
		pk_cp(e->body, sizeof e->body, h->body, &e->body_n);
		e->rl = h->rl;
		e->req_first = h->req_first_ns;
		e->req_last = h->req_last_ns;
		e->resp_first = h->resp_first_ns;
		e->resp_last = h->resp_last_ns;
		e->req_body = h->req_body_bytes;
		e->resp_body = h->resp_body_bytes;
	} else if (ev->kind == CAP_EV_WS_FRAME) {
		const struct capture_ws *w = &ev->u.ws;
		e->dir = w->dir;
		e->opcode = w->opcode;
		e->msg_opcode = w->msg_opcode;
		e->fin = w->fin;
		e->masked = w->masked;
		e->length = w->length;
		e->incomplete = w->incomplete;
		e->close_code = w->close_code;
		pk_cp(e->payload, sizeof e->payload, w->payload, &e->payload_n);
		pk_cp(e->message, sizeof e->message, w->message, &e->message_n);
		pk_cp(e->close_reason, sizeof e->close_reason, w->close_reason, NULL);
		pk_cp(e->label, sizeof e->label, w->label, NULL);
	} else if (ev->kind == CAP_EV_WS_EXCHANGE) {
		/* request text in payload, answer text in message */
		const struct capture_ws_exchange *x = &ev->u.wsx;
		e->status = x->status;
		e->fin = x->answered;
		e->masked = x->by_id;
		e->incomplete = x->incomplete;
		e->length = x->req_length;
		e->rl = x->rl;
		e->req_first = x->req_first_ns;
		e->req_last = x->req_last_ns;
		e->resp_first = x->resp_first_ns;
		e->resp_last = x->resp_last_ns;
		e->resp_body = x->resp_length;
		pk_cp(e->payload, sizeof e->payload, x->request, &e->payload_n);
		pk_cp(e->message, sizeof e->message, x->response, &e->message_n);
		pk_cp(e->label, sizeof e->label, x->label, NULL);
		pk_cp(e->url, sizeof e->url, x->url, NULL);
	} else if (ev->kind == CAP_EV_TLS_HANDSHAKE) {
		pk_cp(e->sni, sizeof e->sni, ev->u.tls.sni, NULL);
		pk_cp(e->alpn, sizeof e->alpn, ev->u.tls.alpn, NULL);
		e->version = ev->u.tls.version;
		e->client_version = ev->u.tls.client_version;
		e->complete = ev->u.tls.complete;
	} else if (ev->kind == CAP_EV_TLS_APPDATA) {
		e->dir = ev->u.rec.dir;
		e->length = ev->u.rec.length;
	} else if (ev->kind == CAP_EV_TCP) {
		e->note = ev->u.tcp.note;
		e->dir = ev->u.tcp.dir;
		e->length = ev->u.tcp.length;
	}
	e->has_sample = capture_event_to_sample(ev, &e->s);
	if (e->has_sample) {
		pk_cp(e->s_label, sizeof e->s_label, e->s.label, NULL);
		pk_cp(e->s_code, sizeof e->s_code, e->s.code, NULL);
		pk_cp(e->s_thread, sizeof e->s_thread, e->s.thread, NULL);
		pk_cp(e->s_url, sizeof e->s_url, e->s.url, NULL);
		/* the copies outlive the event; drop the borrowed pointers */
		e->s.label = e->s.code = e->s.thread = e->s.url = e->s.body = STRREF_NULL;
		e->s.message = e->s.req_host = e->s.data_type = STRREF_NULL;
	}
}

/* End the input and collect every event (at most max; the rest are counted in *total). */
static inline size_t pk_collect(struct capture *c, struct pk_ev *out, size_t max, size_t *total)
{
	capture_finish(c);
	struct capture_event ev;
	size_t n = 0, all = 0;
	while (capture_next(c, &ev) == CAP_EVENT) {
		if (n < max)
			pk_copy_event(&out[n++], &ev);
		all++;
	}
	if (total)
		*total = all;
	return n;
}

/* The i-th event of a kind, or NULL. */
static inline const struct pk_ev *pk_nth(const struct pk_ev *evs, size_t n,
					 enum capture_event_kind kind, size_t i)
{
	for (size_t k = 0; k < n; k++)
		if (evs[k].kind == kind && i-- == 0)
			return &evs[k];
	return NULL;
}

static inline size_t pk_count(const struct pk_ev *evs, size_t n, enum capture_event_kind kind)
{
	size_t c = 0;
	for (size_t k = 0; k < n; k++)
		c += evs[k].kind == kind;
	return c;
}

#endif
