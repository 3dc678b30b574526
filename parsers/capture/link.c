/* link.c - link-layer headers: find the network layer of a captured frame.
 *
 * Follows the tcpdump.org link-type registry (www.tcpdump.org/linktypes.html):
 *   EN10MB   Ethernet II (IEEE 802.3), with stacked IEEE 802.1Q (0x8100) / 802.1ad (0x88a8) /
 *            legacy QinQ (0x9100) tags, at most CAPTURE_MAX_VLAN_TAGS;
 *   LINUX_SLL  16 bytes: packet type, ARPHRD type, address length, address[8], protocol;
 *   LINUX_SLL2 20 bytes: protocol, reserved, ifindex, ARPHRD type, packet type, addr len, addr[8];
 *   NULL     4-byte address family in the capturing host's byte order; LOOP: network order;
 *   RAW / IPV4 / IPV6  the IP header directly.
 */
#include "parsers/capture/cap_int.h"
#include "parsers/capture/cursor.h"

#include <string.h>

struct dlt_name {
	int dlt;
	const char *name;
};

static const struct dlt_name dlt_names[] = {
	{ CAP_DLT_NULL, "NULL" },
	{ CAP_DLT_EN10MB, "EN10MB" },
	{ CAP_DLT_RAW, "RAW" },
	{ CAP_DLT_RAW_OPENBSD, "RAW" },
	{ CAP_DLT_LOOP, "LOOP" },
	{ CAP_DLT_LINUX_SLL, "LINUX_SLL" },
	{ CAP_DLT_IPV4, "IPV4" },
	{ CAP_DLT_IPV6, "IPV6" },
	{ CAP_DLT_LINUX_SLL2, "LINUX_SLL2" },
};

const char *cap_dlt_name(int dlt)
{
	for (size_t i = 0; i < ARRAY_LEN(dlt_names); i++)
		if (dlt_names[i].dlt == dlt)
			return dlt_names[i].name;
	return "unknown";
}

bool cap_dlt_supported(int dlt)
{
	for (size_t i = 0; i < ARRAY_LEN(dlt_names); i++)
		if (dlt_names[i].dlt == dlt)
			return true;
	return false;
}

/* The IP version nibble decides for raw IP. */
static bool raw_ip(struct cur *c, struct cap_pkt *pk, enum capture_skip *why)
{
	if (!cur_has(c, 1)) {
		*why = CAP_SKIP_TRUNCATED;
		return false;
	}
	switch (c->p[0] >> 4) {
	case 4:
		pk->ethertype = CAP_ETH_IPV4;
		return true;
	case 6:
		pk->ethertype = CAP_ETH_IPV6;
		return true;
	default:
		*why = CAP_SKIP_NOT_IP;
		return false;
	}
}

/* BSD loopback address families: AF_INET is 2 everywhere; AF_INET6 differs per system. */
static bool null_family(uint32_t af, struct cap_pkt *pk)
{
	switch (af) {
	case 2:
		pk->ethertype = CAP_ETH_IPV4;
		return true;
	case 10: /* Linux */
	case 24: /* NetBSD, OpenBSD, BSD/OS */
	case 28: /* FreeBSD, DragonFly */
	case 30: /* Darwin */
		pk->ethertype = CAP_ETH_IPV6;
		return true;
	default:
		return false;
	}
}

static bool ethernet(struct cur *c, struct cap_pkt *pk, enum capture_skip *why)
{
	uint16_t type;
	if (!cur_skip(c, 12) || !cur_be16(c, &type)) {
		*why = CAP_SKIP_TRUNCATED;
		return false;
	}
	while (type == 0x8100 || type == 0x88a8 || type == 0x9100) {
		if (pk->vlan_tags >= CAPTURE_MAX_VLAN_TAGS) {
			*why = CAP_SKIP_VLAN_LIMIT;
			return false;
		}
		pk->vlan_tags++;
		if (!cur_skip(c, 2) || !cur_be16(c, &type)) {
			*why = CAP_SKIP_TRUNCATED;
			return false;
		}
	}
	if (type != CAP_ETH_IPV4 && type != CAP_ETH_IPV6) {
		*why = CAP_SKIP_NOT_IP;   /* includes 802.3 length fields (LLC) */
		return false;
	}
	pk->ethertype = type;
	return true;
}

bool cap_link_decode(int dlt, const uint8_t *p, size_t caplen, struct cap_pkt *pk, size_t *off,
		     enum capture_skip *why)
{
	struct cur c;
	cur_init(&c, p, caplen);
	pk->vlan_tags = 0;
	uint16_t type;
	uint32_t af;
	bool ok;

	switch (dlt) {
	case CAP_DLT_EN10MB:
		ok = ethernet(&c, pk, why);
		break;
	case CAP_DLT_LINUX_SLL:
		if (!cur_skip(&c, 14) || !cur_be16(&c, &type)) {
			*why = CAP_SKIP_TRUNCATED;
			return false;
		}
		pk->ethertype = type;
		ok = type == CAP_ETH_IPV4 || type == CAP_ETH_IPV6;
		if (!ok)
			*why = CAP_SKIP_NOT_IP;
		break;
	case CAP_DLT_LINUX_SLL2:
		if (!cur_be16(&c, &type) || !cur_skip(&c, 18)) {
			*why = CAP_SKIP_TRUNCATED;
			return false;
		}
		pk->ethertype = type;
		ok = type == CAP_ETH_IPV4 || type == CAP_ETH_IPV6;
		if (!ok)
			*why = CAP_SKIP_NOT_IP;
		break;
	case CAP_DLT_NULL:
		/* Host byte order of the capturing machine: small values are the truth. */
		if (!cur_le32(&c, &af)) {
			*why = CAP_SKIP_TRUNCATED;
			return false;
		}
		if (af > 0xffff)
			af = (af >> 24) | ((af >> 8) & 0xff00u) | ((af << 8) & 0xff0000u) | (af << 24);
		ok = null_family(af, pk);
		if (!ok)
			*why = CAP_SKIP_NOT_IP;
		break;
	case CAP_DLT_LOOP:
		if (!cur_be32(&c, &af)) {
			*why = CAP_SKIP_TRUNCATED;
			return false;
		}
		ok = null_family(af, pk);
		if (!ok)
			*why = CAP_SKIP_NOT_IP;
		break;
	case CAP_DLT_RAW:
	case CAP_DLT_RAW_OPENBSD:
	case CAP_DLT_IPV4:
	case CAP_DLT_IPV6:
		ok = raw_ip(&c, pk, why);
		break;
	default:
		*why = CAP_SKIP_NOT_IP;
		return false;
	}
	if (!ok)
		return false;
	*off = (size_t)(c.p - p);
	return true;
}
