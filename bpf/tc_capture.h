/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * tc_capture: what the TC program and the plugin's userspace half share.
 *
 * The kernel side decides which packets matter and copies each of them, from its first
 * byte (the Ethernet header, or the IP header on a device without one), into the ring
 * buffer as one struct tcap_record. Userspace hands the snapshot to the shared decoder,
 * exactly as the offline reader hands it a frame from a capture file.
 */
#ifndef JA4PROBE_TC_CAPTURE_H
#define JA4PROBE_TC_CAPTURE_H

/*
 * Record sizes: the ring buffer reserves a constant size, so a record is one of three
 * classes, chosen by the packet's length. A SYN fits the smallest; a full 1500-byte frame
 * (with two VLAN tags) the middle one; a GRO/GSO aggregate is cut at the largest.
 */
#define TCAP_SNAP_SMALL 256
#define TCAP_SNAP_MEDIUM 1536
#define TCAP_SNAP_LARGE 16384

/* Bytes of one direction of a flow copied at most (a hello is complete well before). */
#define TCAP_FLOW_MAX_BYTES 65536
/* Bytes of an HTTP request head copied at most when its end is not seen earlier. */
#define TCAP_HTTP_MAX_BYTES 16384

enum tcap_dir {
	TCAP_DIR_INGRESS = 0,
	TCAP_DIR_EGRESS = 1,
};

enum tcap_link {
	TCAP_LINK_ETHERNET = 0,	/* data[] starts with an Ethernet header */
	TCAP_LINK_RAW = 1,	/* data[] starts with the IPv4/IPv6 header */
};

/* why the packet was copied */
enum tcap_kind {
	TCAP_KIND_SYN = 1,
	TCAP_KIND_SYN_ACK,
	TCAP_KIND_TLS,		/* a segment of a TLS handshake at the start of a flow */
	TCAP_KIND_HTTP,		/* a segment of an HTTP request head */
	TCAP_KIND_QUIC,		/* a QUIC v1 Initial datagram */
};

#define TCAP_REC_TRUNCATED 0x01	/* caplen < len */

struct tcap_record {
	__u64 ts_ns;		/* CLOCK_BOOTTIME */
	__u32 ifindex;
	__u32 len;		/* the packet's length */
	__u32 caplen;		/* bytes in data[] */
	__u8 dir;		/* enum tcap_dir */
	__u8 link;		/* enum tcap_link */
	__u8 kind;		/* enum tcap_kind */
	__u8 flags;		/* TCAP_REC_* */
	__u8 data[];
};

/* per-CPU counters, indices into the tcap_counters array */
enum tcap_counter {
	TCAP_CNT_PACKETS,
	TCAP_CNT_IPV4,
	TCAP_CNT_IPV6,
	TCAP_CNT_TCP,
	TCAP_CNT_SYN,
	TCAP_CNT_SYN_ACK,
	TCAP_CNT_TLS,		/* flows whose first payload began a TLS handshake */
	TCAP_CNT_HTTP,		/* flows whose first payload began an HTTP request */
	TCAP_CNT_SUBMITTED,	/* records committed */
	TCAP_CNT_LOST,		/* ring buffer full: record not reserved */
	TCAP_CNT_TRUNCATED,	/* records cut at their class size */
	TCAP_CNT_IGNORED_SRC,	/* matched ignore_src */
	TCAP_CNT_IGNORED_PORT,	/* TCP packets whose service port is not listed */
	TCAP_CNT_MALFORMED,	/* headers that do not fit the packet */
	TCAP_CNT_QUIC,		/* QUIC v1 Initials */
	TCAP_CNT_FLOW_FULL,	/* flow state not stored (map update failed): flow not copied */
	TCAP_CNT_MAX,
};

/* ignore_src: an LPM key; IPv4 addresses are stored as IPv4-mapped IPv6 (::ffff:a.b.c.d) */
struct tcap_lpm_key {
	__u32 prefixlen;
	__u8 addr[16];
};

/* A direction of a TCP connection, the sender first. IPv4 addresses are IPv4-mapped. */
struct tcap_flow_key {
	__u8 saddr[16];
	__u8 daddr[16];
	__u16 sport;
	__u16 dport;
};

enum tcap_flow_state {
	TCAP_FLOW_NEW = 1,	/* seen the SYN (or the end of a request head): classify next */
	TCAP_FLOW_COPY,		/* copying until `want` contiguous bytes are covered */
};

struct tcap_flow {
	__u32 state;		/* enum tcap_flow_state */
	__u32 seq0;		/* NEW: the next expected sequence; COPY: where copying began */
	__u32 want;		/* COPY: bytes from seq0 wanted */
	__u32 contig;		/* COPY: bytes from seq0 covered without a hole */
	__u32 kind;		/* COPY: enum tcap_kind */
	__u32 connect;		/* COPY: a CONNECT request: the tunnel's hello follows */
};

#endif /* JA4PROBE_TC_CAPTURE_H */
