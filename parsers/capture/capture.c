/* capture.c - the capture reader: libpcap offline (pcap with µs or ns stamps, pcapng) over the
 * input's FILE view (so gzip works), one frame at a time into the decoder and the connection
 * table, events out through event.c.  See capture.h.
 */
#include "parsers/capture/cap_int.h"

#include <errno.h>
#include <inttypes.h>
#include <pcap/pcap.h>
#include <stdlib.h>
#include <string.h>

static struct capture *cap_alloc(int dlt, struct diag *d)
{
	struct capture *c = xcalloc(1, sizeof *c);
	c->dlt = dlt;
	c->diag = d;
	return c;
}

struct capture *capture_open(struct input *in, struct diag *d, char *err, size_t errlen)
{
	const char *path = input_path(in) ? input_path(in) : "<capture>";
	FILE *fp = input_fopen(in);
	if (!fp) {
		const char *why = input_error(in);
		snprintf(err, errlen, "cannot read capture '%s': %s", path,
			 why && *why ? why : strerror(errno));
		return NULL;
	}
	char ebuf[PCAP_ERRBUF_SIZE] = "";
	pcap_t *pc = pcap_fopen_offline_with_tstamp_precision(fp, PCAP_TSTAMP_PRECISION_NANO, ebuf);
	if (!pc) {
		fclose(fp);
		snprintf(err, errlen, "cannot read capture '%s': %s", path,
			 ebuf[0] ? ebuf : "not a pcap or pcapng file");
		return NULL;
	}
	int dlt = pcap_datalink(pc);
	if (!cap_dlt_supported(dlt)) {
		const char *name = pcap_datalink_val_to_name(dlt);
		snprintf(err, errlen, "cannot read capture '%s': unsupported link type %d (%s)", path,
			 dlt, name ? name : "unknown");
		pcap_close(pc);
		return NULL;
	}
	struct capture *c = cap_alloc(dlt, d);
	c->pcap = pc;
	c->in = in;
	c->path = path;
	return c;
}

struct capture *capture_open_raw(int dlt, struct diag *d)
{
	struct capture *c = cap_alloc(dlt, d);
	c->raw = true;
	c->path = "<raw>";
	return c;
}

void capture_set_tcp_events(struct capture *c, bool on)
{
	c->tcp_events = on;
}

void capture_feed(struct capture *c, int64_t ts_ns, const uint8_t *frame, size_t caplen,
		  size_t wirelen)
{
	c->cnt.packets++;
	c->cnt.bytes += caplen;
	c->cnt.wire_bytes += wirelen;
	if (caplen < wirelen)
		c->cnt.truncated_packets++;
	if (!c->have_clock) {
		c->have_clock = true;
		c->cnt.segments = 1;
		c->clock = ts_ns;
		c->start_ns = ts_ns;
	} else if (ts_ns > c->clock) {
		cap_ev_release(c);
		c->clock = ts_ns;
	} else if (c->clock - ts_ns > CAPTURE_BACKSTEP_S * CAP_NS_PER_S) {
		/* Files concatenated out of time order (mergecap -a of ring-buffer files): what
		 * follows is another stretch of time.  Connections open now end here, their events
		 * go out, and the clock starts again from this stamp. */
		cap_conn_new_segment(c);
		cap_ev_release(c);
		c->clock = ts_ns;
	}
	cap_conn_sweep(c);
	struct cap_pkt pk;
	enum capture_skip why = CAP_SKIP_BAD_HEADER;
	if (!cap_decode(c->dlt, frame, caplen, wirelen, &pk, &why, &c->cnt.ip_fragments)) {
		c->cnt.skipped[why]++;
		return;
	}
	if (pk.vlan_tags)
		c->cnt.vlan_packets++;
	pk.ts = ts_ns;
	cap_conn_packet(c, &pk);
}

void capture_finish(struct capture *c)
{
	c->finished = true;
}

static void read_one(struct capture *c)
{
	struct pcap_pkthdr *hdr;
	const u_char *data;
	int r = pcap_next_ex(c->pcap, &hdr, &data);
	if (r == 1) {
		/* nanosecond precision was requested: tv_usec holds nanoseconds.  A stamp that
		 * does not fit in int64 nanoseconds (after 2262, or negative) is a corrupt record:
		 * counted and skipped, never wrapped. */
		int64_t sec = (int64_t)hdr->ts.tv_sec;
		if (sec < 0 || sec > INT64_MAX / CAP_NS_PER_S - 1) {
			c->cnt.packets++;
			c->cnt.skipped[CAP_SKIP_BAD_HEADER]++;
			if (c->diag)
				diag_warn(c->diag, 0, 0, "packet %" PRIu64 ": timestamp out of range; skipped",
					  c->cnt.packets);
			return;
		}
		int64_t ts = sec * CAP_NS_PER_S + (int64_t)hdr->ts.tv_usec;
		capture_feed(c, ts, data, hdr->caplen, hdr->len);
		return;
	}
	c->finished = true;
	if (r == PCAP_ERROR_BREAK)
		return;
	const char *msg = pcap_geterr(c->pcap);
	if (msg && strncmp(msg, "truncated dump file", 19) == 0) {
		/* A capture cut short while being written: keep what was read. */
		c->cnt.truncated_file = true;
		if (c->diag)
			diag_warn(c->diag, 0, 0, "capture ends inside packet %" PRIu64 ": %s",
				  c->cnt.packets + 1, msg);
		return;
	}
	c->fatal = true;
	snprintf(c->err, sizeof c->err, "%s: packet %" PRIu64 ": %s", c->path, c->cnt.packets + 1,
		 msg ? msg : "read error");
}

enum capture_status capture_next(struct capture *c, struct capture_event *ev)
{
	cap_ev_free(c->cur);
	c->cur = NULL;
	for (;;) {
		struct cap_qev *q = cap_ev_pop(c);
		if (q) {
			c->cur = q;
			*ev = *cap_ev_get(q);
			return CAP_EVENT;
		}
		if (c->flushed)
			return c->fatal ? CAP_FATAL : CAP_END;
		if (c->finished) {
			cap_conn_close_all(c);
			cap_ev_release(c);
			c->flushed = true;
			continue;
		}
		if (c->raw) {
			cap_ev_release(c);
			if (c->qhead < c->qready)
				continue;
			return CAP_END;   /* nothing more until the next capture_feed */
		}
		read_one(c);
	}
}

const char *capture_error(const struct capture *c)
{
	return c->err;
}

void capture_close(struct capture *c)
{
	if (!c)
		return;
	cap_ev_free_all(c);
	cap_conn_free_all(c);
	free(c->tls_sizes);
	free(c->tls_plain);
	if (c->pcap)
		pcap_close(c->pcap);   /* also closes the FILE from input_fopen */
	free(c);
}

const struct capture_counters *capture_counters(const struct capture *c)
{
	return &c->cnt;
}

bool capture_code_next(const struct capture *c, unsigned *iter, int *status, uint64_t *count)
{
	for (unsigned i = *iter; i < ARRAY_LEN(c->codes); i++) {
		if (c->codes[i]) {
			*status = (int)i;
			*count = c->codes[i];
			*iter = i + 1;
			return true;
		}
	}
	*iter = (unsigned)ARRAY_LEN(c->codes);
	return false;
}

int64_t capture_start_ns(const struct capture *c)
{
	return c->have_clock ? c->start_ns : 0;
}

const char *capture_linktype_name(const struct capture *c)
{
	return cap_dlt_name(c->dlt);
}

const char *capture_skip_name(enum capture_skip s)
{
	static const char *const n[] = { "truncated header", "not IP", "not TCP", "IP fragment",
					 "bad header", "too many IPv6 extension headers",
					 "too many VLAN tags" };
	return (size_t)s < ARRAY_LEN(n) ? n[s] : "?";
}

const char *capture_limit_name(enum capture_limit l)
{
	static const char *const n[] = { "CAPTURE_MAX_CONNS", "CAPTURE_MAX_OOO_BYTES",
					 "CAPTURE_MAX_HEADER", "CAPTURE_MAX_PENDING",
					 "CAPTURE_MAX_TARGET", "CAPTURE_BODY_KEEP",
					 "CAPTURE_WS_PAYLOAD_KEEP", "CAPTURE_MAX_TLS_HELLO",
					 "CAPTURE_WS_INFLATE_MAX" };
	return (size_t)l < ARRAY_LEN(n) ? n[l] : "?";
}

const char *capture_event_kind_name(enum capture_event_kind k)
{
	static const char *const n[] = { "open", "close", "http", "ws", "tls-handshake",
					 "tls-appdata", "tcp", "ws-exchange", "tls-exchange" };
	return (size_t)k < ARRAY_LEN(n) ? n[k] : "?";
}

const char *capture_proto_name(enum capture_proto p)
{
	static const char *const n[] = { "none", "http", "websocket", "tls", "other" };
	return (size_t)p < ARRAY_LEN(n) ? n[p] : "?";
}

const char *capture_tcp_note_name(enum capture_tcp_note t)
{
	static const char *const n[] = { "SYN", "SYN-ACK", "established", "retransmission",
					 "out-of-order", "hole", "zero window", "FIN", "RST" };
	return (size_t)t < ARRAY_LEN(n) ? n[t] : "?";
}

const char *capture_close_reason_name(enum capture_close_reason r)
{
	static const char *const n[] = { "open", "fin", "rst", "idle", "limit", "reused", "end" };
	return (size_t)r < ARRAY_LEN(n) ? n[r] : "?";
}
