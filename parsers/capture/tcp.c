/* tcp.c - TCP (RFC 9293): header, handshake bookkeeping and per-direction reassembly.
 *
 * Each direction delivers its bytes in order to conn.c (cap_app_data), whatever order the
 * segments were captured in.  Definitions used in the counters:
 *   retransmission  a data segment all of whose bytes were already received (delivered or
 *                   buffered); a partial overlap counts as an overlap and a retransmission;
 *   out of order    a data segment that starts below the highest offset already seen;
 *   hole            bytes never captured: declared when the peer acknowledges past them
 *                   ("ACKed unseen segment"), when the out-of-order buffer exceeds its limit
 *                   (CAPTURE_MAX_OOO_BYTES / _SEGS per connection), or at close/end of capture.
 *                   The application parser is told (cap_app_gap) so it marks the affected
 *                   exchange incomplete and resynchronises instead of misparsing what follows;
 *   bytes missing   payload cut by the snaplen (captured length < wire length): also a gap.
 * Sequence numbers are mapped to 64-bit stream offsets relative to the next expected byte, so
 * wrap-around is handled and nothing is compared across more than 2^31.
 */
#include "parsers/capture/cap_int.h"
#include "parsers/capture/cursor.h"

#include <stdlib.h>
#include <string.h>

bool cap_tcp_decode(struct cap_pkt *pk, enum capture_skip *why)
{
	struct cur c;
	cur_init(&c, pk->l4, pk->l4_cap);
	uint8_t offb, flags;
	if (pk->l4_wire < 20) {
		*why = CAP_SKIP_BAD_HEADER;
		return false;
	}
	if (!cur_be16(&c, &pk->sport) || !cur_be16(&c, &pk->dport) || !cur_be32(&c, &pk->seq) ||
	    !cur_be32(&c, &pk->ack) || !cur_u8(&c, &offb) || !cur_u8(&c, &flags) ||
	    !cur_be16(&c, &pk->win)) {
		*why = CAP_SKIP_TRUNCATED;
		return false;
	}
	size_t hl = (size_t)(offb >> 4) * 4;
	if (hl < 20 || hl > pk->l4_wire) {
		*why = CAP_SKIP_BAD_HEADER;
		return false;
	}
	if (!cur_skip(&c, 2 /* checksum */ + 2 /* urgent */ + (hl - 20))) {
		*why = CAP_SKIP_TRUNCATED;
		return false;
	}
	pk->flags = flags;
	pk->pay = c.p;
	pk->pay_wire = pk->l4_wire - hl;
	pk->pay_cap = cur_left(&c);
	if (pk->pay_cap > pk->pay_wire)
		pk->pay_cap = pk->pay_wire;
	return true;
}

/* Stream offset of a sequence number, relative to the next expected byte (may be negative). */
static int64_t seq_off(const struct cap_dir *d, uint32_t seq)
{
	uint32_t next32 = d->base + (uint32_t)d->next;
	int32_t delta = (int32_t)(seq - next32);
	return (int64_t)d->next + delta;
}

static void deliver(struct cap_conn *cn, int dir, const uint8_t *p, size_t cap, uint64_t wire,
		    const struct cap_seginfo *si0)
{
	struct cap_dir *d = &cn->d[dir];
	struct cap_seginfo si = *si0;
	si.off = d->next;
	if (cap)
		cap_stream_data(cn, dir, p, cap, &si);
	if (wire > cap) {
		uint64_t miss = wire - cap;
		cn->st.bytes_missing += miss;
		cn->cap->cnt.bytes_missing += miss;
		si.off = d->next + cap;
		cap_stream_gap(cn, dir, miss, &si);
	}
	d->next += wire;
}

static void gap(struct cap_conn *cn, int dir, uint64_t n, const struct cap_seginfo *si0)
{
	struct cap_dir *d = &cn->d[dir];
	struct cap_seginfo si = *si0;
	si.off = d->next;
	cn->st.holes++;
	cn->st.hole_bytes += n;
	cn->cap->cnt.holes++;
	cn->cap->cnt.hole_bytes += n;
	cap_ev_tcp(cn, CAP_TCP_HOLE, dir, n, si.ts);
	cap_stream_gap(cn, dir, n, &si);
	d->next += n;
}

static void check_eof(struct cap_conn *cn, int dir, int64_t ts)
{
	struct cap_dir *d = &cn->d[dir];
	if (d->fin && !d->eof && d->next >= d->fin_off) {
		d->eof = true;
		struct cap_seginfo si = { ts, d->next, 0, false };
		cap_stream_eof(cn, dir, &si);
	}
}

static void seg_free(struct cap_conn *cn, struct cap_seg *s)
{
	cn->ooo_bytes -= s->cap;
	cn->ooo_segs--;
	free(s);
}

/* Deliver buffered segments that have become in order. */
static void drain(struct cap_conn *cn, int dir)
{
	struct cap_dir *d = &cn->d[dir];
	while (d->ooo && d->ooo->off <= d->next) {
		struct cap_seg *s = d->ooo;
		d->ooo = s->next;
		uint64_t end = s->off + s->wire;
		if (end > d->next) {
			uint64_t skip = d->next - s->off;
			size_t cap = skip < s->cap ? s->cap - (size_t)skip : 0;
			const uint8_t *p = s->data + (skip < s->cap ? skip : s->cap);
			deliver(cn, dir, p, cap, end - d->next, &s->si);
		}
		seg_free(cn, s);
	}
}

/* Declare holes up to target, delivering buffered data on the way. */
static void hole_upto(struct cap_conn *cn, int dir, uint64_t target, const struct cap_seginfo *si)
{
	struct cap_dir *d = &cn->d[dir];
	for (;;) {
		drain(cn, dir);
		if (d->next >= target)
			break;
		uint64_t to = target;
		if (d->ooo && d->ooo->off < to)
			to = d->ooo->off;
		gap(cn, dir, to - d->next, d->ooo && d->ooo->off == to ? &d->ooo->si : si);
	}
}

void cap_tcp_flush(struct cap_conn *cn, int dir)
{
	struct cap_dir *d = &cn->d[dir];
	uint64_t end = d->next;
	int64_t ts = cn->st.last_ns;
	for (struct cap_seg *s = d->ooo; s; s = s->next)
		if (s->off + s->wire > end)
			end = s->off + s->wire;
	struct cap_seginfo si = { ts, d->next, 0, false };
	hole_upto(cn, dir, end, &si);
	check_eof(cn, dir, ts);
}

void cap_tcp_free(struct cap_dir *d)
{
	while (d->ooo) {
		struct cap_seg *s = d->ooo;
		d->ooo = s->next;
		free(s);
	}
}

static void buffer_seg(struct cap_conn *cn, int dir, int64_t off, const uint8_t *p, size_t cap,
		       uint64_t wire, const struct cap_seginfo *si)
{
	struct cap_dir *d = &cn->d[dir];
	struct capture *c = cn->cap;
	struct cap_seg **pp = &d->ooo;
	while (*pp && (int64_t)(*pp)->off < off)
		pp = &(*pp)->next;
	/* An exact duplicate of a buffered segment is a retransmission. */
	for (struct cap_seg *s = *pp; s && (int64_t)s->off == off; s = s->next) {
		if (s->wire >= wire) {
			cn->st.retransmissions++;
			c->cnt.retransmissions++;
			cap_ev_tcp(cn, CAP_TCP_RETRANSMIT, dir, wire, si->ts);
			return;
		}
	}
	if (wire > UINT32_MAX)
		return;
	struct cap_seg *s = xmalloc(sizeof *s + (cap ? cap : 1));
	s->off = (uint64_t)off;
	s->cap = (uint32_t)cap;
	s->wire = (uint32_t)wire;
	s->si = *si;
	if (cap)
		memcpy(s->data, p, cap);
	s->next = *pp;
	*pp = s;
	cn->ooo_bytes += cap;
	cn->ooo_segs++;
	while (d->ooo && (cn->ooo_bytes > CAPTURE_MAX_OOO_BYTES ||
			  cn->ooo_segs > CAPTURE_MAX_OOO_SEGS)) {
		/* Stop waiting for the earliest missing bytes. */
		c->cnt.limit[CAP_LIM_OOO]++;
		hole_upto(cn, dir, d->ooo->off + 1, si);
	}
}

static void payload(struct cap_conn *cn, int dir, const struct cap_pkt *pk, uint32_t dseq,
		    const struct cap_seginfo *si)
{
	struct cap_dir *d = &cn->d[dir];
	struct capture *c = cn->cap;
	int64_t off = seq_off(d, dseq);
	uint64_t wire = pk->pay_wire;
	size_t cap = pk->pay_cap;
	const uint8_t *p = pk->pay;

	if ((pk->flags & CAP_TH_FIN) && !d->fin && off >= 0) {
		d->fin = true;
		d->fin_off = (uint64_t)off + wire;
		cn->st.fin_ns[dir] = pk->ts;
		cn->st.fin_by |= dir == CAP_C2S ? CAP_BY_CLIENT : CAP_BY_SERVER;
		cap_ev_tcp(cn, CAP_TCP_FIN, dir, wire, pk->ts);
	}
	if (wire == 0)
		return;
	if (off < 0 || (uint64_t)off + wire <= d->next) {
		cn->st.retransmissions++;
		c->cnt.retransmissions++;
		cap_ev_tcp(cn, CAP_TCP_RETRANSMIT, dir, wire, pk->ts);
		return;
	}
	if ((uint64_t)off < d->hi) {
		cn->st.out_of_order++;
		c->cnt.out_of_order++;
		cap_ev_tcp(cn, CAP_TCP_OUT_OF_ORDER, dir, wire, pk->ts);
	}
	if ((uint64_t)off + wire > d->hi)
		d->hi = (uint64_t)off + wire;
	if ((uint64_t)off < d->next) {
		uint64_t k = d->next - (uint64_t)off;
		cn->st.overlaps++;
		c->cnt.overlaps++;
		cn->st.retransmissions++;
		c->cnt.retransmissions++;
		cap_ev_tcp(cn, CAP_TCP_RETRANSMIT, dir, wire, pk->ts);
		if (k >= cap) {
			p += cap;
			cap = 0;
		} else {
			p += k;
			cap -= (size_t)k;
		}
		wire -= k;
		off = (int64_t)d->next;
	}
	if ((uint64_t)off == d->next) {
		deliver(cn, dir, p, cap, wire, si);
		drain(cn, dir);
	} else {
		buffer_seg(cn, dir, off, p, cap, wire, si);
	}
}

void cap_tcp_segment(struct cap_conn *cn, int dir, const struct cap_pkt *pk)
{
	struct capture *c = cn->cap;
	struct cap_dir *d = &cn->d[dir];
	struct cap_dir *pd = &cn->d[!dir];
	uint8_t fl = pk->flags;
	uint32_t dseq = pk->seq;

	cn->st.packets[dir]++;
	cn->st.bytes[dir] += pk->pay_wire;

	if (fl & CAP_TH_SYN) {
		dseq = pk->seq + 1;
		if (!(fl & CAP_TH_ACK)) {
			if (cn->isn_set[dir] && cn->isn[dir] == pk->seq) {
				cn->st.retransmissions++;
				c->cnt.retransmissions++;
				cap_ev_tcp(cn, CAP_TCP_RETRANSMIT, dir, 0, pk->ts);
			} else {
				cap_ev_tcp(cn, CAP_TCP_SYN, dir, 0, pk->ts);
			}
			if (!cn->st.syn_ns)
				cn->st.syn_ns = pk->ts;
		} else {
			if (cn->isn_set[dir] && cn->isn[dir] == pk->seq) {
				cn->st.retransmissions++;
				c->cnt.retransmissions++;
				cap_ev_tcp(cn, CAP_TCP_RETRANSMIT, dir, 0, pk->ts);
			} else {
				cap_ev_tcp(cn, CAP_TCP_SYNACK, dir, 0, pk->ts);
			}
			if (!cn->st.synack_ns) {
				cn->st.synack_ns = pk->ts;
				if (cn->st.syn_ns && pk->ts >= cn->st.syn_ns)
					cn->st.rtt_ns = pk->ts - cn->st.syn_ns;
			}
		}
		if (!cn->isn_set[dir]) {
			cn->isn_set[dir] = true;
			cn->isn[dir] = pk->seq;
			if (!d->base_set) {
				d->base_set = true;
				d->base = pk->seq + 1;
				d->next = d->hi = 0;
			}
		}
	} else if (dir == CAP_C2S && (fl & CAP_TH_ACK) && !cn->st.established_ns &&
		   cn->isn_set[CAP_S2C] && pk->ack == cn->isn[CAP_S2C] + 1) {
		cn->st.established_ns = pk->ts;
		if (cn->st.syn_ns && pk->ts >= cn->st.syn_ns)
			cn->st.handshake_ns = pk->ts - cn->st.syn_ns;
		cap_ev_tcp(cn, CAP_TCP_ESTABLISHED, dir, 0, pk->ts);
	}
	if (!d->base_set) {
		/* Began before the capture: number from the first byte seen. */
		d->base_set = true;
		d->base = dseq;
		d->next = d->hi = 0;
	}
	if (pk->win == 0 && !(fl & (CAP_TH_SYN | CAP_TH_FIN | CAP_TH_RST))) {
		cn->st.zero_windows++;
		c->cnt.zero_windows++;
		cap_ev_tcp(cn, CAP_TCP_ZERO_WINDOW, dir, 0, pk->ts);
	}

	struct cap_seginfo si = { pk->ts, 0, 0, false };
	/* The peer's acknowledgement first: it may reveal bytes the capture never saw, which must
	 * reach the peer's parser before this packet's payload does (the response to a request
	 * lost in the capture must not pair with an earlier request). */
	if ((fl & CAP_TH_ACK) && pd->base_set) {
		int64_t a = seq_off(pd, pk->ack);
		if (a > 0) {
			si.peer_ack = (uint64_t)a;
			si.ack_valid = true;
		}
		uint64_t target = si.peer_ack;
		if (pd->fin && target > pd->fin_off)
			target = pd->fin_off;
		if (si.ack_valid && target > pd->next && target - pd->next < (1u << 30) &&
		    (target > pd->next + 1 || pd->ooo)) {
			struct cap_seginfo psi = { pk->ts, pd->next, 0, false };
			hole_upto(cn, !dir, target, &psi);
			check_eof(cn, !dir, pk->ts);
		}
	}
	payload(cn, dir, pk, dseq, &si);
	check_eof(cn, dir, pk->ts);

	if (fl & CAP_TH_RST) {
		if (!cn->st.rst_ns)
			cn->st.rst_ns = pk->ts;
		cn->st.rst_by |= dir == CAP_C2S ? CAP_BY_CLIENT : CAP_BY_SERVER;
		c->cnt.resets++;
		cap_ev_tcp(cn, CAP_TCP_RST, dir, 0, pk->ts);
	}
}
