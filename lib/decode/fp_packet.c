// SPDX-License-Identifier: BSD-3-Clause
/*
 * From a captured frame to a TCP segment or UDP datagram: link layer, VLAN tags, IPv4 options,
 * IPv6 extension headers, TCP or UDP header. Every length comes from the packet and is checked
 * against what was captured before it is used; a header cut short is reported, never read past.
 */
#include <string.h>
#include <sys/socket.h>

#include <pcap/dlt.h>

#include "fp_packet.h"

#define ETH_P_IPV4 0x0800
#define ETH_P_IPV6 0x86dd
#define ETH_P_8021Q 0x8100
#define ETH_P_8021AD 0x88a8
#define ETH_P_QINQ_OLD 0x9100
#define FP_MAX_VLAN_TAGS 4
#define FP_MAX_IPV6_EXT 16

#ifndef DLT_LINUX_SLL2
#define DLT_LINUX_SLL2 276
#endif
#ifndef DLT_IPV4
#define DLT_IPV4 228
#endif
#ifndef DLT_IPV6
#define DLT_IPV6 229
#endif

static inline uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static inline uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static enum fp_pkt_status fp_pkt_udp(const uint8_t *p, size_t cap, size_t ip_len,
				     struct fp_pkt *out)
{
	size_t len;

	if (cap < 8 || ip_len < 8)
		return FP_PKT_TRUNCATED;
	len = get16(p + 4);
	if (len < 8 || len > ip_len)
		return FP_PKT_TRUNCATED;
	out->proto = 17;
	out->sport = get16(p);
	out->dport = get16(p + 2);
	out->seq = out->ack = 0;
	out->flags = 0;
	out->tcp = NULL;
	out->tcp_hdr_len = 0;
	out->payload = p + 8;
	out->payload_len = (cap < len ? cap : len) - 8;
	out->payload_cut = cap < len;
	return FP_PKT_UDP;
}

static enum fp_pkt_status fp_pkt_tcp(const uint8_t *p, size_t cap, size_t ip_len,
				     struct fp_pkt *out)
{
	size_t hdr;

	if (cap < 20)
		return FP_PKT_TRUNCATED;
	hdr = (size_t)(p[12] >> 4) * 4;
	if (hdr < 20 || hdr > ip_len)
		return FP_PKT_TRUNCATED;
	if (hdr > cap)
		return FP_PKT_TRUNCATED;
	out->proto = 6;
	out->tcp = p;
	out->tcp_hdr_len = hdr;
	out->sport = get16(p);
	out->dport = get16(p + 2);
	out->seq = get32(p + 4);
	out->ack = get32(p + 8);
	out->flags = p[13];
	out->payload = p + hdr;
	out->payload_len = (cap < ip_len ? cap : ip_len) - hdr;
	out->payload_cut = cap < ip_len;
	return FP_PKT_TCP;
}

static enum fp_pkt_status fp_pkt_ipv4(const uint8_t *p, size_t cap, struct fp_pkt *out)
{
	size_t ihl, total;
	uint16_t frag;

	if (cap < 20 || p[0] >> 4 != 4)
		return FP_PKT_TRUNCATED;
	ihl = (size_t)(p[0] & 0x0f) * 4;
	total = get16(p + 2);
	if (ihl < 20 || ihl > cap || total < ihl)
		return FP_PKT_TRUNCATED;
	if (p[9] != 6 && p[9] != 17)
		return FP_PKT_NOT_TCP;
	frag = get16(p + 6);
	if (frag & 0x3fff)	/* MF or a fragment offset */
		return FP_PKT_FRAGMENT;
	out->family = AF_INET;
	memset(out->src, 0, sizeof(out->src));
	memset(out->dst, 0, sizeof(out->dst));
	memcpy(out->src, p + 12, 4);
	memcpy(out->dst, p + 16, 4);
	out->ttl = p[8];
	out->df = frag & 0x4000;
	out->ip_id = get16(p + 4);
	/* a frame padded past the IP total length (short Ethernet frames) keeps only total */
	return (p[9] == 6 ? fp_pkt_tcp : fp_pkt_udp)(p + ihl, cap - ihl, total - ihl, out);
}

static enum fp_pkt_status fp_pkt_ipv6(const uint8_t *p, size_t cap, struct fp_pkt *out)
{
	size_t off = 40, len, plen;
	uint8_t next;
	int i;

	if (cap < 40 || p[0] >> 4 != 6)
		return FP_PKT_TRUNCATED;
	plen = get16(p + 4);
	if (plen == 0)		/* a jumbogram: its length is in a hop-by-hop option */
		plen = cap - 40;
	plen += 40;		/* from here on: bytes of the IPv6 packet */
	next = p[6];
	for (i = 0; i < FP_MAX_IPV6_EXT; i++) {
		switch (next) {
		case 6:
		case 17:
			out->family = AF_INET6;
			memcpy(out->src, p + 8, 16);
			memcpy(out->dst, p + 24, 16);
			out->ttl = p[7];
			out->df = false;
			out->ip_id = 0;
			if (off > plen || off > cap)
				return FP_PKT_TRUNCATED;
			return (next == 6 ? fp_pkt_tcp : fp_pkt_udp)(p + off, cap - off, plen - off,
								     out);
		case 0:		/* hop-by-hop */
		case 43:	/* routing */
		case 60:	/* destination options */
		case 135:	/* mobility */
		case 139:	/* HIP */
		case 140:	/* shim6 */
		case 253:
		case 254:	/* experimental */
			if (off + 2 > cap)
				return FP_PKT_TRUNCATED;
			len = ((size_t)p[off + 1] + 1) * 8;
			break;
		case 51:	/* AH: length in 4-byte units, minus 2 */
			if (off + 2 > cap)
				return FP_PKT_TRUNCATED;
			len = ((size_t)p[off + 1] + 2) * 4;
			break;
		case 44:	/* fragment: only an atomic fragment (offset 0, no more) is whole */
			if (off + 8 > cap)
				return FP_PKT_TRUNCATED;
			if (get16(p + off + 2) & 0xfff9)
				return FP_PKT_FRAGMENT;
			len = 8;
			break;
		default:	/* no next header (59), ESP, ICMPv6 ... */
			return FP_PKT_NOT_TCP;
		}
		next = p[off];
		off += len;
	}
	return FP_PKT_NOT_TCP;
}

static enum fp_pkt_status fp_pkt_ip(const uint8_t *p, size_t cap, struct fp_pkt *out)
{
	if (cap < 1)
		return FP_PKT_TRUNCATED;
	switch (p[0] >> 4) {
	case 4:
		return fp_pkt_ipv4(p, cap, out);
	case 6:
		return fp_pkt_ipv6(p, cap, out);
	default:
		return FP_PKT_NOT_TCP;
	}
}

/* The payload of an EtherType, through any number of VLAN tags (each: TCI, next EtherType). */
static enum fp_pkt_status fp_pkt_ethertype(uint16_t type, const uint8_t *p, size_t cap,
					   struct fp_pkt *out)
{
	int tags;

	for (tags = 0; tags <= FP_MAX_VLAN_TAGS; tags++) {
		switch (type) {
		case ETH_P_IPV4:
		case ETH_P_IPV6:
			return fp_pkt_ip(p, cap, out);
		case ETH_P_8021Q:
		case ETH_P_8021AD:
		case ETH_P_QINQ_OLD:
			if (cap < 4)
				return FP_PKT_TRUNCATED;
			type = get16(p + 2);
			p += 4;
			cap -= 4;
			break;
		default:
			return FP_PKT_NOT_TCP;
		}
	}
	return FP_PKT_NOT_TCP;
}

/* DLT_NULL holds the address family in the capturing host's byte order, DLT_LOOP in network
 * order, and the value of AF_INET6 differs between systems: the IP version nibble decides. */
static enum fp_pkt_status fp_pkt_null(const uint8_t *p, size_t cap, struct fp_pkt *out)
{
	uint32_t af_be, af_le;

	if (cap < 4)
		return FP_PKT_TRUNCATED;
	af_be = get32(p);
	af_le = (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
	switch (af_be < af_le ? af_be : af_le) {
	case 2:			/* AF_INET everywhere */
	case 10:		/* AF_INET6: Linux */
	case 24:		/* NetBSD, OpenBSD */
	case 28:		/* FreeBSD */
	case 30:		/* macOS */
		return fp_pkt_ip(p + 4, cap - 4, out);
	default:
		return FP_PKT_NOT_TCP;
	}
}

enum fp_pkt_status fp_pkt_decode(int dlt, const uint8_t *pkt, size_t caplen, struct fp_pkt *out)
{
	switch (dlt) {
	case DLT_EN10MB:	/* destination, source, EtherType */
		if (caplen < 14)
			return FP_PKT_TRUNCATED;
		return fp_pkt_ethertype(get16(pkt + 12), pkt + 14, caplen - 14, out);
	case DLT_LINUX_SLL:	/* type, ARPHRD, address length, 8-byte address, protocol */
		if (caplen < 16)
			return FP_PKT_TRUNCATED;
		return fp_pkt_ethertype(get16(pkt + 14), pkt + 16, caplen - 16, out);
	case DLT_LINUX_SLL2:	/* protocol, reserved, ifindex, ARPHRD, type, length, address */
		if (caplen < 20)
			return FP_PKT_TRUNCATED;
		return fp_pkt_ethertype(get16(pkt), pkt + 20, caplen - 20, out);
	case DLT_RAW:
	case DLT_IPV4:
	case DLT_IPV6:
		return fp_pkt_ip(pkt, caplen, out);
	case DLT_NULL:
	case DLT_LOOP:
		return fp_pkt_null(pkt, caplen, out);
	default:
		return FP_PKT_LINK_UNSUPPORTED;
	}
}
