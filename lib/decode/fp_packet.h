/* SPDX-License-Identifier: BSD-3-Clause */
/* Link layer, IPv4/IPv6 and TCP header decoding of one captured packet (decode-internal). */
#ifndef FP_PACKET_H
#define FP_PACKET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* decode-internal: not exported from the library */
#pragma GCC visibility push(hidden)

#define FP_TCP_FIN 0x01
#define FP_TCP_SYN 0x02
#define FP_TCP_RST 0x04
#define FP_TCP_ACK 0x10

enum fp_pkt_status {
	FP_PKT_TCP = 0,			/* a TCP segment: the fields below are set */
	FP_PKT_NOT_TCP,			/* another protocol (ARP, UDP, ESP ...) */
	FP_PKT_LINK_UNSUPPORTED,	/* a link type this decoder does not read */
	FP_PKT_TRUNCATED,		/* headers cut by the snap length or malformed lengths */
	FP_PKT_FRAGMENT,		/* an IP fragment: not reassembled */
	FP_PKT_UDP,			/* a UDP datagram: addresses, ports, payload are set */
};

struct fp_pkt {
	int family;			/* AF_INET or AF_INET6 */
	uint8_t src[16], dst[16];	/* IPv4 uses the first 4 bytes, the rest is zero */
	uint8_t ttl;			/* TTL or hop limit */
	bool df;
	uint16_t ip_id;
	uint8_t proto;			/* IPPROTO_TCP or IPPROTO_UDP */
	const uint8_t *tcp;		/* TCP header with options */
	size_t tcp_hdr_len;
	uint16_t sport, dport;
	uint32_t seq, ack;
	uint8_t flags;
	const uint8_t *payload;		/* the captured part of the payload */
	size_t payload_len;
	bool payload_cut;		/* the capture holds less than the IP header says */
};

enum fp_pkt_status fp_pkt_decode(int dlt, const uint8_t *pkt, size_t caplen, struct fp_pkt *out);

#pragma GCC visibility pop

#endif
