/* fuzz_capture.h - draining a capture and touching every string of every event; shared by the
 * capture targets (fuzz_pcap.c, fuzz_frame.c, fuzz_tcpstream.c). */
#ifndef JTLSCOPE_FUZZ_CAPTURE_H
#define JTLSCOPE_FUZZ_CAPTURE_H

#include <string.h>

#include "fuzz/fuzz_common.h"
#include "parsers/capture/capture.h"

static void fuzz_touch_event(const struct capture_event *ev)
{
	fuzz_touch_ref(ev->conn.name);
	fuzz_touch_ref(ev->conn.client);
	fuzz_touch_ref(ev->conn.server);
	const char *k = capture_event_kind_name(ev->kind);
	fuzz_touch(k, strlen(k));
	switch (ev->kind) {
	case CAP_EV_HTTP: {
		const struct capture_http *h = &ev->u.http;
		fuzz_touch_ref(h->method);
		fuzz_touch_ref(h->target);
		fuzz_touch_ref(h->host);
		fuzz_touch_ref(h->reason);
		fuzz_touch_ref(h->retry_after);
		fuzz_touch_ref(h->label);
		fuzz_touch_ref(h->url);
		fuzz_touch_ref(h->body);
		fuzz_touch_ref(h->code);
		FUZZ_ASSERT(h->body.n <= CAPTURE_BODY_KEEP);
		FUZZ_ASSERT(h->target.n <= CAPTURE_MAX_TARGET);
		break;
	}
	case CAP_EV_WS_FRAME: {
		const struct capture_ws *w = &ev->u.ws;
		fuzz_touch_ref(w->payload);
		fuzz_touch_ref(w->message);
		fuzz_touch_ref(w->close_reason);
		fuzz_touch_ref(w->host);
		fuzz_touch_ref(w->path);
		fuzz_touch_ref(w->label);
		fuzz_touch_ref(w->url);
		FUZZ_ASSERT(w->payload.n <= CAPTURE_WS_PAYLOAD_KEEP);
		break;
	}
	case CAP_EV_WS_EXCHANGE: {
		const struct capture_ws_exchange *x = &ev->u.wsx;
		fuzz_touch_ref(x->request);
		fuzz_touch_ref(x->response);
		fuzz_touch_ref(x->code);
		fuzz_touch_ref(x->inband_class);
		fuzz_touch_ref(x->host);
		fuzz_touch_ref(x->path);
		fuzz_touch_ref(x->label);
		fuzz_touch_ref(x->url);
		FUZZ_ASSERT(x->request.n <= CAPTURE_WS_PAYLOAD_KEEP);
		FUZZ_ASSERT(x->response.n <= CAPTURE_WS_PAYLOAD_KEEP);
		FUZZ_ASSERT(!x->answered || x->resp_last_ns >= x->resp_first_ns);
		if (x->rl.flags & RL_RETRY_AFTER)
			FUZZ_ASSERT(x->rl.retry_after_s >= 0);
		break;
	}
	case CAP_EV_TLS_EXCHANGE: {
		const struct capture_tls_exchange *x = &ev->u.tlsx;
		fuzz_touch_ref(x->sni);
		fuzz_touch_ref(x->label);
		fuzz_touch_ref(x->url);
		FUZZ_ASSERT(x->req_records > 0);
		FUZZ_ASSERT(x->answered == (x->resp_records > 0));
		break;
	}
	case CAP_EV_TLS_HANDSHAKE:
		fuzz_touch_ref(ev->u.tls.sni);
		fuzz_touch_ref(ev->u.tls.alpn);
		fuzz_touch_ref(ev->u.tls.alpn_selected);
		break;
	case CAP_EV_CONN_CLOSE: {
		const char *r = capture_close_reason_name(ev->stats.close_reason);
		fuzz_touch(r, strlen(r));
		break;
	}
	case CAP_EV_TCP: {
		const char *r = capture_tcp_note_name(ev->u.tcp.note);
		fuzz_touch(r, strlen(r));
		break;
	}
	default:
		break;
	}
	const char *p = capture_proto_name(ev->conn.proto);
	fuzz_touch(p, strlen(p));
	struct sample s;
	if (capture_event_to_sample(ev, &s))
		fuzz_touch_sample(&s);
}

/* Drain events; events must come out in non-decreasing completion time (capture.h) within a
 * time segment (a jump back in stamps starts a new one, which may restart lower). */
static void fuzz_drain_capture(struct capture *c)
{
	struct capture_event ev;
	enum capture_status st;
	int64_t last = INT64_MIN;
	uint64_t backs = 0;
	while ((st = capture_next(c, &ev)) == CAP_EVENT) {
		if (ev.ts_ns < last)   /* at most one step back per new segment */
			FUZZ_ASSERT(++backs < capture_counters(c)->segments);
		last = ev.ts_ns;
		fuzz_touch_event(&ev);
	}
	if (st == CAP_FATAL) {
		const char *e = capture_error(c);
		FUZZ_ASSERT(e != NULL);
		fuzz_touch(e, strlen(e));
	}
	const struct capture_counters *cnt = capture_counters(c);
	fuzz_sink += (unsigned)(cnt->packets + cnt->exchanges);
	unsigned iter = 0;
	int status;
	uint64_t count;
	while (capture_code_next(c, &iter, &status, &count))
		fuzz_sink += (unsigned)status;
	const char *l = capture_linktype_name(c);
	if (l)
		fuzz_touch(l, strlen(l));
}

#endif
