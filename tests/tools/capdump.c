/* capdump - print what the capture parser sees in a capture: counters (default), or events (-e).
 * Used by tests/capture/run.sh to compare with tshark.
 *
 *   capdump [-e] [-t] [-k KEYLOG] CAPTURE   -e: one line per event; -t: include TCP notes;
 *                                           -k: decrypt TLS with an NSS key log
 * Exit: 0 ok, 3 input error.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "common/diag.h"
#include "parsers/capture/capture.h"
#include "parsers/input.h"

static void put(const char *k, uint64_t v)
{
	printf("%s %" PRIu64 "\n", k, v);
}

/* Control bytes as \xNN so every event stays on one line. */
static void str(struct strref s)
{
	if (!s.p) {
		fputs("-", stdout);
		return;
	}
	for (size_t i = 0; i < s.n; i++) {
		unsigned char ch = (unsigned char)s.p[i];
		if (ch < 0x20 || ch == 0x7f || ch == '\\')
			printf("\\x%02x", ch);
		else
			putchar(ch);
	}
}

static double ms(int64_t ns, int64_t t0)
{
	return ns ? (double)(ns - t0) / 1e6 : -1.0;
}

static void event(const struct capture *c, const struct capture_event *ev)
{
	int64_t t0 = capture_start_ns(c);
	printf("%10.3f %-13s ", (double)(ev->ts_ns - t0) / 1e6, capture_event_kind_name(ev->kind));
	str(ev->conn.name);
	switch (ev->kind) {
	case CAP_EV_CONN_OPEN:
		printf(" syn=%d", ev->conn.saw_syn);
		break;
	case CAP_EV_CONN_CLOSE:
		printf(" %s proto=%s pk=%" PRIu64 "/%" PRIu64 " rtx=%" PRIu64 " ooo=%" PRIu64
		       " holes=%" PRIu64 " zw=%" PRIu64 " ex=%" PRIu64 " inc=%" PRIu64,
		       capture_close_reason_name(ev->stats.close_reason),
		       capture_proto_name(ev->conn.proto), ev->stats.packets[0], ev->stats.packets[1],
		       ev->stats.retransmissions, ev->stats.out_of_order, ev->stats.holes,
		       ev->stats.zero_windows, ev->stats.exchanges, ev->stats.incomplete);
		break;
	case CAP_EV_HTTP: {
		const struct capture_http *h = &ev->u.http;
		printf(" #%" PRIu64 " ", h->seq);
		str(h->label);
		printf(" status=%d flags=0x%x req=%.3f/%.3f resp=%.3f/%.3f body=%" PRIu64, h->status,
		       h->flags, ms(h->req_first_ns, t0), ms(h->req_last_ns, t0),
		       ms(h->resp_first_ns, t0), ms(h->resp_last_ns, t0), h->resp_body_bytes);
		if (h->interim)
			printf(" interim=%u", h->interim);
		if (h->retry_after.p) {
			fputs(" retry-after=", stdout);
			str(h->retry_after);
		}
		break;
	}
	case CAP_EV_WS_FRAME: {
		const struct capture_ws *w = &ev->u.ws;
		printf(" %s op=%u msg=%u fin=%d mask=%d len=%" PRIu64 "%s", w->dir ? "s>c" : "c>s",
		       w->opcode, w->msg_opcode, w->fin, w->masked, w->length,
		       w->incomplete ? " incomplete" : "");
		if (w->close_code >= 0)
			printf(" close=%d", w->close_code);
		fputs(" payload=", stdout);
		struct strref p = w->payload;
		if (p.n > 40)
			p.n = 40;
		str(p);
		break;
	}
	case CAP_EV_WS_EXCHANGE: {
		const struct capture_ws_exchange *x = &ev->u.wsx;
		printf(" #%" PRIu64 " %s%s status=%d req=%.3f/%.3f resp=%.3f/%.3f len=%" PRIu64 "/%" PRIu64,
		       x->seq, x->answered ? "answered" : "unanswered", x->by_id ? " by-id" : "",
		       x->status, ms(x->req_first_ns, t0), ms(x->req_last_ns, t0),
		       ms(x->resp_first_ns, t0), ms(x->resp_last_ns, t0), x->req_length,
		       x->resp_length);
		if (x->rl.flags & RL_RETRY_AFTER)
			printf(" retry-after=%g", x->rl.retry_after_s);
		if (x->compressed)
			fputs(" compressed", stdout);
		break;
	}
	case CAP_EV_TLS_EXCHANGE: {
		const struct capture_tls_exchange *x = &ev->u.tlsx;
		printf(" #%" PRIu64 " %s%s req=%.3f/%.3f resp=%.3f/%.3f records=%u/%u bytes=%" PRIu64
		       "/%" PRIu64, x->seq, x->answered ? "answered" : "unanswered", x->h2 ? " h2" : "",
		       ms(x->req_first_ns, t0), ms(x->req_last_ns, t0), ms(x->resp_first_ns, t0),
		       ms(x->resp_last_ns, t0), x->req_records, x->resp_records, x->req_bytes,
		       x->resp_bytes);
		break;
	}
	case CAP_EV_TLS_HANDSHAKE: {
		const struct capture_tls *t = &ev->u.tls;
		fputs(" sni=", stdout);
		str(t->sni);
		fputs(" alpn=", stdout);
		str(t->alpn);
		printf(" cv=0x%04x v=0x%04x ch=%.3f sh=%.3f done=%.3f", t->client_version, t->version,
		       ms(t->client_hello_ns, t0), ms(t->server_hello_ns, t0), ms(t->done_ns, t0));
		break;
	}
	case CAP_EV_TLS_APPDATA:
		printf(" %s len=%u", ev->u.rec.dir ? "s>c" : "c>s", ev->u.rec.length);
		break;
	case CAP_EV_TCP:
		printf(" %s %s len=%" PRIu64 " at=%.3f", capture_tcp_note_name(ev->u.tcp.note),
		       ev->u.tcp.dir ? "s>c" : "c>s", ev->u.tcp.length, ms(ev->u.tcp.ns, t0));
		break;
	default:
		break;
	}
	putchar('\n');
}

int main(int argc, char **argv)
{
	bool events = false, tcp = false;
	const char *keylog_path = NULL;
	int i = 1;
	for (; i < argc && argv[i][0] == '-' && argv[i][1]; i++) {
		if (!strcmp(argv[i], "-k") && i + 1 < argc)
			keylog_path = argv[++i];
		else if (!strcmp(argv[i], "-e"))
			events = true;
		else if (!strcmp(argv[i], "-t"))
			tcp = events = true;
		else {
			fprintf(stderr, "usage: capdump [-e] [-t] [-k KEYLOG] CAPTURE\n");
			return 2;
		}
	}
	if (i != argc - 1) {
		fprintf(stderr, "usage: capdump [-e] [-t] [-k KEYLOG] CAPTURE\n");
		return 2;
	}
	char err[512];
	struct input *in = input_open(argv[i], err, sizeof err);
	if (!in) {
		fprintf(stderr, "capdump: %s\n", err);
		return 3;
	}
	struct diag d;
	diag_init(&d, argv[i]);
	struct capture *c = capture_open(in, &d, err, sizeof err);
	if (!c) {
		fprintf(stderr, "capdump: %s\n", err);
		input_close(in);
		return 3;
	}
	capture_set_tcp_events(c, tcp);
	struct capture_keylog *kl = NULL;
	if (keylog_path) {
		kl = capture_keylog_load(keylog_path, err, sizeof err);
		if (!kl) {
			fprintf(stderr, "capdump: %s\n", err);
			capture_close(c);
			input_close(in);
			return 3;
		}
		capture_set_keylog(c, kl);
	}
	struct capture_event ev;
	enum capture_status st;
	while ((st = capture_next(c, &ev)) == CAP_EVENT)
		if (events)
			event(c, &ev);
	int rc = 0;
	if (st == CAP_FATAL) {
		fprintf(stderr, "capdump: %s\n", capture_error(c));
		rc = 3;
	}
	const struct capture_counters *k = capture_counters(c);
	if (!events) {
		printf("linktype %s\n", capture_linktype_name(c));
		put("packets", k->packets);
		put("connections", k->connections);
		put("connections_no_syn", k->connections_no_syn);
		put("exchanges", k->exchanges);
		put("requests", k->requests);
		put("responses", k->responses);
		put("interim", k->interim_responses);
		put("incomplete", k->incomplete_exchanges);
		unsigned it = 0;
		int status;
		uint64_t n;
		while (capture_code_next(c, &it, &status, &n))
			printf("code %d %" PRIu64 "\n", status, n);
		put("ws_frames", k->websocket_frames);
		put("ws_messages", k->websocket_messages);
		put("ws_exchanges", k->websocket_exchanges);
		put("ws_unanswered", k->websocket_unanswered);
		put("ws_pushes", k->websocket_pushes);
		put("ws_inflated", k->websocket_inflated);
		put("ws_inflate_failed", k->websocket_inflate_failed);
		put("tls_connections", k->tls_connections);
		put("tls_appdata", k->tls_appdata_records);
		put("tls_exchanges", k->tls_exchanges);
		put("tls_encrypted", k->tls_encrypted);
		put("tls_server_first", k->tls_server_first);
		put("tls_close_alerts", k->tls_close_alerts);
		put("tls_tickets", k->tls_tickets);
		put("tls_decrypted", k->tls_decrypted);
		put("tls_no_keys", k->tls_no_keys);
		put("tls_unsupported", k->tls_unsupported);
		put("tls_decrypt_failed", k->tls_decrypt_failed);
		if (kl) {
			const struct capture_keylog_stats *ks = capture_keylog_stats(kl);
			put("keylog_lines", ks->lines);
			put("keylog_used", ks->used);
			put("keylog_bad", ks->bad);
			put("keylog_sessions", ks->randoms);
		}
		put("retransmissions", k->retransmissions);
		put("out_of_order", k->out_of_order);
		put("holes", k->holes);
		put("hole_bytes", k->hole_bytes);
		put("bytes_missing", k->bytes_missing);
		put("zero_windows", k->zero_windows);
		put("resets", k->resets);
		put("idle_evictions", k->idle_evictions);
		put("stray_packets", k->stray_packets);
		put("reused_tuples", k->reused_tuples);
		put("segments", k->segments);
		put("truncated_packets", k->truncated_packets);
		put("vlan_packets", k->vlan_packets);
		put("ip_fragments", k->ip_fragments);
		for (int s = 0; s < CAP_SKIP__COUNT; s++)
			if (k->skipped[s])
				printf("skipped %s %" PRIu64 "\n", capture_skip_name((enum capture_skip)s),
				       k->skipped[s]);
		for (int l = 0; l < CAP_LIM__COUNT; l++)
			if (k->limit[l])
				printf("limit %s %" PRIu64 "\n", capture_limit_name((enum capture_limit)l),
				       k->limit[l]);
	}
	capture_close(c);
	capture_keylog_free(kl);
	diag_summary(&d);
	input_close(in);
	return rc;
}
