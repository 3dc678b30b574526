/* ip.c - IPv4 (RFC 791) and IPv6 (RFC 8200) headers: addresses and the L4 byte range.
 *
 * Fragments (IPv4 MF/offset, IPv6 Fragment header with offset or M) are counted and skipped,
 * not reassembled; an IPv6 "atomic" fragment (offset 0, M 0) is trivially whole and is used.
 * IPv6 extension headers are walked up to CAPTURE_MAX_IPV6_EXT of them.  The L4 range is the
 * smaller of what was captured and what the IP length field says (Ethernet padding dropped); a
 * zero IPv4 total length (TSO offload captures) means "whatever was captured".
 */
#include "parsers/capture/cap_int.h"
#include "parsers/capture/cursor.h"

#include <string.h>

#define IPPROTO_TCP_ 6

static bool ipv4(struct cur *c, struct cap_pkt *pk, enum capture_skip *why, uint64_t *frags)
{
	uint8_t vihl, proto;
	uint16_t total, fragw;
	const uint8_t *src, *dst;
	if (!cur_u8(c, &vihl)) {
		*why = CAP_SKIP_TRUNCATED;
		return false;
	}
	size_t ihl = (size_t)(vihl & 0x0f) * 4;
	if ((vihl >> 4) != 4 || ihl < 20) {
		*why = CAP_SKIP_BAD_HEADER;
		return false;
	}
	if (!cur_skip(c, 1) || !cur_be16(c, &total) || !cur_skip(c, 2) || !cur_be16(c, &fragw) ||
	    !cur_skip(c, 1) || !cur_u8(c, &proto) || !cur_skip(c, 2) || !cur_bytes(c, 4, &src) ||
	    !cur_bytes(c, 4, &dst) || !cur_skip(c, ihl - 20)) {
		*why = CAP_SKIP_TRUNCATED;
		return false;
	}
	if (total != 0 && total < ihl) {
		*why = CAP_SKIP_BAD_HEADER;
		return false;
	}
	pk->ipver = 4;
	pk->src.len = pk->dst.len = 4;
	memcpy(pk->src.b, src, 4);
	memcpy(pk->dst.b, dst, 4);
	pk->proto = proto;
	if ((fragw & 0x3fff) != 0) {   /* MF set or offset != 0 */
		(*frags)++;
		*why = CAP_SKIP_FRAGMENT;
		return false;
	}
	size_t cap = cur_left(c);
	size_t wire = total ? (size_t)total - ihl : cap;
	if (cap > wire)
		cap = wire;
	pk->l4 = c->p;
	pk->l4_cap = cap;
	pk->l4_wire = wire;
	return true;
}

static bool ipv6(struct cur *c, struct cap_pkt *pk, enum capture_skip *why, uint64_t *frags)
{
	uint32_t vtf;
	uint16_t plen;
	uint8_t next;
	const uint8_t *src, *dst;
	if (!cur_be32(c, &vtf) || !cur_be16(c, &plen) || !cur_u8(c, &next) || !cur_skip(c, 1) ||
	    !cur_bytes(c, 16, &src) || !cur_bytes(c, 16, &dst)) {
		*why = CAP_SKIP_TRUNCATED;
		return false;
	}
	if ((vtf >> 28) != 6) {
		*why = CAP_SKIP_BAD_HEADER;
		return false;
	}
	pk->ipver = 6;
	pk->src.len = pk->dst.len = 16;
	memcpy(pk->src.b, src, 16);
	memcpy(pk->dst.b, dst, 16);
	size_t ext = 0;        /* bytes of extension headers */
	unsigned count = 0;
	for (;;) {
		size_t hlen;
		uint8_t nh, l;
		uint16_t offm;
		switch (next) {
		case 0:   /* Hop-by-Hop Options */
		case 43:  /* Routing */
		case 60:  /* Destination Options */
		case 135: /* Mobility */
		case 139: /* HIP */
		case 140: /* Shim6 */
		case 51:  /* Authentication Header (RFC 4302: length in 4-octet units, minus 2) */
		case 44:  /* Fragment */
			break;
		default:
			goto done;
		}
		if (++count > CAPTURE_MAX_IPV6_EXT) {
			*why = CAP_SKIP_EXT_LIMIT;
			return false;
		}
		if (!cur_has(c, 8)) {
			*why = CAP_SKIP_TRUNCATED;
			return false;
		}
		nh = c->p[0];
		l = c->p[1];
		if (next == 44) {
			offm = (uint16_t)((unsigned)c->p[2] << 8 | c->p[3]);
			if ((offm & 0xfff9) != 0) {   /* offset != 0 or M set */
				(*frags)++;
				pk->proto = nh;
				*why = CAP_SKIP_FRAGMENT;
				return false;
			}
			hlen = 8;
		} else if (next == 51) {
			hlen = ((size_t)l + 2) * 4;
		} else {
			hlen = ((size_t)l + 1) * 8;
		}
		if (!cur_skip(c, hlen)) {
			*why = CAP_SKIP_TRUNCATED;
			return false;
		}
		ext += hlen;
		next = nh;
	}
done:
	pk->proto = next;
	size_t cap = cur_left(c);
	size_t wire;
	if (plen == 0) {
		wire = cap;   /* jumbogram or offload capture */
	} else if (plen < ext) {
		*why = CAP_SKIP_BAD_HEADER;
		return false;
	} else {
		wire = (size_t)plen - ext;
	}
	if (cap > wire)
		cap = wire;
	pk->l4 = c->p;
	pk->l4_cap = cap;
	pk->l4_wire = wire;
	return true;
}

bool cap_ip_decode(const uint8_t *p, size_t caplen, struct cap_pkt *pk, enum capture_skip *why,
		   uint64_t *fragments)
{
	struct cur c;
	cur_init(&c, p, caplen);
	bool ok;
	if (pk->ethertype == CAP_ETH_IPV4)
		ok = ipv4(&c, pk, why, fragments);
	else if (pk->ethertype == CAP_ETH_IPV6)
		ok = ipv6(&c, pk, why, fragments);
	else {
		*why = CAP_SKIP_NOT_IP;
		return false;
	}
	if (!ok)
		return false;
	if (pk->proto != IPPROTO_TCP_) {
		*why = CAP_SKIP_NOT_TCP;
		return false;
	}
	return true;
}

bool cap_decode(int dlt, const uint8_t *frame, size_t caplen, size_t wirelen, struct cap_pkt *pk,
		enum capture_skip *why, uint64_t *fragments)
{
	memset(pk, 0, sizeof *pk);
	pk->caplen = caplen;
	pk->wirelen = wirelen;
	size_t off = 0;
	if (!cap_link_decode(dlt, frame, caplen, pk, &off, why))
		return false;
	if (!cap_ip_decode(frame + off, caplen - off, pk, why, fragments))
		return false;
	return cap_tcp_decode(pk, why);
}
