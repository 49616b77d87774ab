// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * tc_capture: TC programs that pick the packets a TLS/TCP/HTTP fingerprint needs and copy
 * them, whole, into one ring buffer:
 *  - ingress: a SYN to a listed port; the first payload segments of a client flow that
 *    begin a TLS handshake record (until the hello is complete) or an HTTP request line
 *    (until the head ends); a QUIC v1 client Initial to a listed UDP port;
 *  - egress: a SYN-ACK from a listed port; the segments carrying the ServerHello; a QUIC v1
 *    server Initial.
 * Everything else leaves at once. Parsing and fingerprinting happen in userspace.
 */
#include "vmlinux.h"
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>
#include "percpu_counters.bpf.h"
#include "tc_capture.h"

#define TC_ACT_OK 0
#define ETH_HLEN 14
#define ETH_P_IP 0x0800
#define ETH_P_IPV6 0x86DD
#define ETH_P_8021Q 0x8100
#define ETH_P_8021AD 0x88A8
#define IPPROTO_TCP_NR 6
#define IPPROTO_UDP_NR 17
#define IP_MF_OFFSET 0x3fff
#define TCP_FIN 0x01
#define TCP_SYN 0x02
#define TCP_RST 0x04
#define TCP_ACK 0x10
#define TLS_HEADER_LEN 5
#define TLS_HS_HEADER_LEN 4
#define TLS_HS_CLIENT_HELLO 1
#define TLS_HS_SERVER_HELLO 2
/* a client's Initial datagram is padded to at least 1200 bytes (RFC 9000 14.1) */
#define QUIC_MIN_INITIAL 1200
/* headers we parse in place: Ethernet, 2 VLAN tags, IPv6 + extension headers, TCP */
#define TCAP_MAX_L4_OFF 512
#define TCAP_MAX_EXT_HDRS 6
/* classify: an HTTP response head, copied only as the answer to a CONNECT (never in a record) */
#define TCAP_KIND_PASS 0xff

/* set by userspace before load */
const volatile bool tcap_all_ports = false;
const volatile bool tcap_have_ignore = false;
/* log2 of a quarter of the ring; 0: never wake the reader, it polls */
const volatile __u32 tcap_wakeup_shift = 0;

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 4 << 20);	/* resized by userspace (ring_buffer_size) */
} tcap_events SEC(".maps");

PERCPU_COUNTERS(tcap_counters, TCAP_CNT_MAX, tcap_count)

/* listed service ports: index = port, value != 0 when listed */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 65536);
	__type(key, __u32);
	__type(value, __u8);
} tcap_ports SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(max_entries, 4096);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct tcap_lpm_key);
	__type(value, __u8);
} tcap_ignore SEC(".maps");

/* flows between their SYN (or first message) and the end of what is copied from them */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 16384);
	__type(key, struct tcap_flow_key);
	__type(value, struct tcap_flow);
} tcap_flows SEC(".maps");

/*
 * Flow directions we are done with, direct-mapped by a hash of the 4-tuple (value: the full
 * hash as a tag, 0: empty). Every later data segment of such a flow (the bulk of the traffic
 * on a listed port) leaves after one array read instead of a hash-table lookup and a look at
 * its payload. A collision only evicts: the evicted flow takes the slow path again.
 */
#define TCAP_DONE_SLOTS 65536
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, TCAP_DONE_SLOTS);
	__type(key, __u32);
	__type(value, __u32);
} tcap_done SEC(".maps");

struct tcap_pkt {
	struct tcap_flow_key key;	/* the packet's own direction; first: 4-byte aligned */
	__u8 proto;		/* IPPROTO_TCP_NR or IPPROTO_UDP_NR */
	__u8 tcp_flags;
	__u32 l4_off;
	__u32 payload_off;
	__u32 payload_len;
	__u32 seq;
};


static __always_inline void tcap_map_v4(__u8 *dst, __be32 addr)
{
	__builtin_memset(dst, 0, 10);
	dst[10] = 0xff;
	dst[11] = 0xff;
	__builtin_memcpy(dst + 12, &addr, 4);
}

/* Returns 0 for a TCP segment or a UDP datagram whose headers fit the packet. */
static __always_inline int tcap_parse_ip(struct __sk_buff *skb, enum tcap_link link,
					 struct tcap_pkt *p)
{
	void *data = (void *)(long)skb->data;
	void *data_end = (void *)(long)skb->data_end;
	__u32 off = 0, ip_end;
	__u16 proto;

	if (link == TCAP_LINK_ETHERNET) {
		struct ethhdr *eth = data;

		if ((void *)(eth + 1) > data_end)
			return -1;
		proto = eth->h_proto;
		off = ETH_HLEN;
#pragma unroll
		for (int i = 0; i < 2; i++) {
			struct vlan_hdr *vh = data + off;

			if (proto != bpf_htons(ETH_P_8021Q) && proto != bpf_htons(ETH_P_8021AD))
				break;
			if ((void *)(vh + 1) > data_end)
				return -1;
			proto = vh->h_vlan_encapsulated_proto;
			off += sizeof(*vh);
		}
	} else {
		proto = skb->protocol;
	}

	if (proto == bpf_htons(ETH_P_IP)) {
		struct iphdr *ip = data + off;
		__u32 ihl;

		if ((void *)(ip + 1) > data_end)
			return -1;
		tcap_count(TCAP_CNT_IPV4);
		if ((ip->protocol != IPPROTO_TCP_NR && ip->protocol != IPPROTO_UDP_NR) ||
		    (ip->frag_off & bpf_htons(IP_MF_OFFSET)))
			return -1;
		p->proto = ip->protocol;
		ihl = ip->ihl * 4;
		if (ihl < sizeof(*ip))
			goto malformed;
		ip_end = off + bpf_ntohs(ip->tot_len);
		tcap_map_v4(p->key.saddr, ip->saddr);
		tcap_map_v4(p->key.daddr, ip->daddr);
		off += ihl;
	} else if (proto == bpf_htons(ETH_P_IPV6)) {
		struct ipv6hdr *ip6 = data + off;
		__u8 next;

		if ((void *)(ip6 + 1) > data_end)
			return -1;
		tcap_count(TCAP_CNT_IPV6);
		__builtin_memcpy(p->key.saddr, &ip6->saddr, 16);
		__builtin_memcpy(p->key.daddr, &ip6->daddr, 16);
		next = ip6->nexthdr;
		ip_end = off + sizeof(*ip6) + bpf_ntohs(ip6->payload_len);
		if (ip6->payload_len == 0)	/* a jumbogram (BIG TCP): the skb says how long */
			ip_end = skb->len;
		off += sizeof(*ip6);
#pragma unroll
		for (int i = 0; i < TCAP_MAX_EXT_HDRS; i++) {
			__u8 ext[2];

			if (next == IPPROTO_TCP_NR || next == IPPROTO_UDP_NR)
				break;
			if (next != 0 && next != 43 && next != 60 && next != 51)
				return -1;	/* not TCP/UDP, or a fragment: not ours */
			if (bpf_skb_load_bytes(skb, off, ext, sizeof(ext)))
				goto malformed;
			next = ext[0];
			off += next == 51 ? (ext[1] + 2) * 4 : (ext[1] + 1) * 8;
		}
		if (next != IPPROTO_TCP_NR && next != IPPROTO_UDP_NR)
			return -1;
		p->proto = next;
	} else {
		return -1;
	}

	if (off > TCAP_MAX_L4_OFF || ip_end > skb->len)
		goto malformed;
	if (p->proto == IPPROTO_UDP_NR) {
		struct udphdr *uh = data + off;

		if ((void *)(uh + 1) > data_end || off + sizeof(*uh) > ip_end)
			goto malformed;
		p->l4_off = off;
		p->payload_off = off + sizeof(*uh);
		p->payload_len = ip_end - p->payload_off;
		p->seq = 0;
		p->tcp_flags = 0;
		p->key.sport = bpf_ntohs(uh->source);
		p->key.dport = bpf_ntohs(uh->dest);
		return 0;
	}
	{
		struct tcphdr *th = data + off;
		__u32 doff;

		if ((void *)(th + 1) > data_end)
			goto malformed;
		tcap_count(TCAP_CNT_TCP);
		doff = th->doff * 4;
		if (doff < sizeof(*th) || off + doff > ip_end)
			goto malformed;
		p->l4_off = off;
		p->payload_off = off + doff;
		p->payload_len = ip_end - p->payload_off;
		p->seq = bpf_ntohl(th->seq);
		p->tcp_flags = ((__u8 *)th)[13];
		p->key.sport = bpf_ntohs(th->source);
		p->key.dport = bpf_ntohs(th->dest);
	}
	return 0;

malformed:
	tcap_count(TCAP_CNT_MALFORMED);
	return -1;
}

static __always_inline bool tcap_port_listed(__u16 port)
{
	__u32 key = port;
	__u8 *on;

	if (tcap_all_ports)
		return true;
	on = bpf_map_lookup_elem(&tcap_ports, &key);
	return on && *on;
}

static __always_inline bool tcap_src_ignored(const __u8 *addr)
{
	struct tcap_lpm_key key = { .prefixlen = 128 };

	if (!tcap_have_ignore)
		return false;
	__builtin_memcpy(key.addr, addr, 16);
	if (!bpf_map_lookup_elem(&tcap_ignore, &key))
		return false;
	tcap_count(TCAP_CNT_IGNORED_SRC);
	return true;
}

/*
 * One record of a constant size class (the ring buffer reserves constant sizes only);
 * always inlined so that `snap` is a constant at each call site.
 */
static __always_inline int tcap_submit_class(struct __sk_buff *skb, const __u32 snap,
					     enum tcap_dir dir, enum tcap_link link,
					     enum tcap_kind kind)
{
	struct tcap_record *rec;
	__u64 caplen = skb->len, avail, before;
	__u64 flags = BPF_RB_NO_WAKEUP;

	rec = bpf_ringbuf_reserve(&tcap_events, sizeof(*rec) + snap, 0);
	if (!rec) {
		tcap_count(TCAP_CNT_LOST);
		return -1;
	}
	rec->flags = 0;
	if (caplen > snap) {
		caplen = snap;
		rec->flags = TCAP_REC_TRUNCATED;
		tcap_count(TCAP_CNT_TRUNCATED);
	}
	/* keep the bounds check on the register the helper gets (clang may copy it) */
	barrier_var(caplen);
	if (caplen == 0 || caplen > snap || bpf_skb_load_bytes(skb, 0, rec->data, caplen)) {
		bpf_ringbuf_discard(rec, BPF_RB_NO_WAKEUP);
		tcap_count(TCAP_CNT_MALFORMED);
		return -1;
	}
	rec->ts_ns = bpf_ktime_get_boot_ns();
	rec->ifindex = skb->ifindex;
	rec->len = skb->len;
	rec->caplen = caplen;
	rec->dir = dir;
	rec->link = link;
	rec->kind = kind;
	/*
	 * The poll timer drains the ring; a burst that fills another quarter of it before the
	 * next poll wakes the reader, once: not every record past the first quarter, which made
	 * each pay a wakeup while the reader lagged (the same rule as ssl_uprobe's).
	 */
	if (tcap_wakeup_shift) {
		/* what is in the ring with this record, and before it */
		avail = bpf_ringbuf_query(&tcap_events, BPF_RB_AVAIL_DATA);
		before = avail - sizeof(*rec) - snap;
		if (avail >> tcap_wakeup_shift != before >> tcap_wakeup_shift)
			flags = BPF_RB_FORCE_WAKEUP;
	}
	bpf_ringbuf_submit(rec, flags);
	tcap_count(TCAP_CNT_SUBMITTED);
	return 0;
}

static __always_inline int tcap_submit(struct __sk_buff *skb, enum tcap_dir dir,
				       enum tcap_link link, enum tcap_kind kind)
{
	if (skb->len <= TCAP_SNAP_SMALL)
		return tcap_submit_class(skb, TCAP_SNAP_SMALL, dir, link, kind);
	if (skb->len <= TCAP_SNAP_MEDIUM)
		return tcap_submit_class(skb, TCAP_SNAP_MEDIUM, dir, link, kind);
	return tcap_submit_class(skb, TCAP_SNAP_LARGE, dir, link, kind);
}

/*
 * Do the 8 bytes in v start with the string literal s (at most 8 chars)? Both sides are in
 * memory order, so no byte swap; BPF has no memcmp.
 */
#define TCAP_STARTS(v, s)                                                                  \
	({                                                                                 \
		__u64 m_ = 0, mask_ = sizeof(s) > 8 ? ~0ULL : (1ULL << (8 * sizeof(s) - 8)) - 1; \
		__builtin_memcpy(&m_, s, sizeof(s) - 1);                                   \
		((v) & mask_) == m_;                                                       \
	})

/* "METHOD " at the start of a payload, for the methods RFC 9110 and 5789 define */
static __always_inline bool tcap_is_http_request(__u64 v)
{
	return TCAP_STARTS(v, "GET ") || TCAP_STARTS(v, "POST ") || TCAP_STARTS(v, "HEAD ") ||
	       TCAP_STARTS(v, "PUT ") || TCAP_STARTS(v, "DELETE ") ||
	       TCAP_STARTS(v, "OPTIONS ") || TCAP_STARTS(v, "PATCH ") ||
	       TCAP_STARTS(v, "CONNECT ") || TCAP_STARTS(v, "TRACE ");
}

/*
 * Decide what a flow direction's first payload is. Returns the kind to copy, or 0.
 * *want is how many bytes from here complete the message.
 */
static __always_inline enum tcap_kind tcap_classify(struct __sk_buff *skb, struct tcap_pkt *p,
						    enum tcap_dir dir, __u32 *want, bool *connect)
{
	void *data = (void *)(long)skb->data;
	void *data_end = (void *)(long)skb->data_end;
	__u32 off = p->payload_off, n = p->payload_len < 9 ? p->payload_len : 9;
	__u8 b[9] = {};
	__u64 v;

	if (n < 6)
		return 0;
	/* most packets are linear: read in place; else (paged payload) through the helper */
	if (off <= TCAP_MAX_L4_OFF + 60 && data + off + sizeof(b) <= data_end)
		__builtin_memcpy(b, data + off, sizeof(b));
	else if (bpf_skb_load_bytes(skb, off, b, n))
		return 0;
	__builtin_memcpy(&v, b, sizeof(v));
	/* a handshake record carrying a ClientHello (in) or a ServerHello (out) */
	if (b[0] == 22 && b[1] == 3 && b[2] <= 4 &&
	    b[5] == (dir == TCAP_DIR_INGRESS ? TLS_HS_CLIENT_HELLO : TLS_HS_SERVER_HELLO)) {
		__u32 rec_len = (b[3] << 8) | b[4];
		__u32 hs_len = (b[6] << 16) | (b[7] << 8) | b[8];

		/* the hello ends in the first record, or spans records of (up to) this size */
		if (n < sizeof(b) || hs_len + TLS_HS_HEADER_LEN <= rec_len || rec_len == 0)
			*want = TLS_HEADER_LEN + rec_len;
		else
			*want = hs_len + TLS_HS_HEADER_LEN +
				TLS_HEADER_LEN * ((hs_len + TLS_HS_HEADER_LEN) / rec_len + 1);
		if (*want > TCAP_FLOW_MAX_BYTES)
			*want = TCAP_FLOW_MAX_BYTES;
		tcap_count(TCAP_CNT_TLS);
		return TCAP_KIND_TLS;
	}
	if (dir == TCAP_DIR_INGRESS && n >= 8 && tcap_is_http_request(v)) {
		*want = TCAP_HTTP_MAX_BYTES;
		*connect = TCAP_STARTS(v, "CONNECT ");
		tcap_count(TCAP_CNT_HTTP);
		return TCAP_KIND_HTTP;
	}
	/* an HTTP response head: after a CONNECT, the tunnelled ServerHello follows it */
	if (dir == TCAP_DIR_EGRESS && n >= 7 && TCAP_STARTS(v, "HTTP/1."))
		return TCAP_KIND_PASS;
	return 0;
}

/* Does this segment end an HTTP request head (a blank line, CRLF or bare LF)? */
static __always_inline bool tcap_ends_head(struct __sk_buff *skb, struct tcap_pkt *p)
{
	__u8 t[3];

	if (p->payload_len < 3 ||
	    bpf_skb_load_bytes(skb, p->payload_off + p->payload_len - 3, t, sizeof(t)))
		return false;
	return t[2] == '\n' && (t[1] == '\n' || (t[1] == '\r' && t[0] == '\n'));
}

/* never 0 (an empty slot) */
static __always_inline __u32 tcap_flow_hash(const struct tcap_flow_key *k)
{
	const __u32 *w = (const __u32 *)k;
	__u32 h = 0x9e3779b9;

#pragma unroll
	for (int i = 0; i < (int)(sizeof(*k) / 4); i++) {
		h = (h ^ w[i]) * 0x85ebca6b;
		h ^= h >> 15;
	}
	return h | 1;
}

static __always_inline __u32 *tcap_done_slot(const struct tcap_flow_key *k, __u32 *tag)
{
	__u32 idx;

	*tag = tcap_flow_hash(k);
	idx = *tag & (TCAP_DONE_SLOTS - 1);
	return bpf_map_lookup_elem(&tcap_done, &idx);
}

/* Nothing more wanted from this flow direction. */
static __always_inline void tcap_finish(struct tcap_pkt *p, bool in_flows, __u32 *slot, __u32 tag)
{
	if (in_flows)
		bpf_map_delete_elem(&tcap_flows, &p->key);
	if (slot)
		*slot = tag;
}

/*
 * A CONNECT request: the server's answer to it (if egress is captured) is an HTTP head, then
 * the tunnel's ServerHello; mark the server's direction, which its SYN-ACK entered as NEW.
 */
static __always_inline void tcap_mark_tunnel(const struct tcap_pkt *p)
{
	struct tcap_flow_key rk;
	struct tcap_flow *r;

	__builtin_memcpy(rk.saddr, p->key.daddr, sizeof(rk.saddr));
	__builtin_memcpy(rk.daddr, p->key.saddr, sizeof(rk.daddr));
	rk.sport = p->key.dport;
	rk.dport = p->key.sport;
	r = bpf_map_lookup_elem(&tcap_flows, &rk);
	if (r && r->state == TCAP_FLOW_NEW)
		r->kind = TCAP_KIND_HTTP;
}

/*
 * Only flows that still want bytes are in tcap_flows (a finished one moves to tcap_done), so
 * the table stays small; a flow in neither (it began before we did) is looked at when a
 * segment starts like a hello or a request.
 */
static __always_inline void tcap_payload(struct __sk_buff *skb, struct tcap_pkt *p,
					 enum tcap_dir dir, enum tcap_link link)
{
	struct tcap_flow nf = {}, *f;
	bool connect = false, head_end;
	__u32 rel, end, tag, *slot = tcap_done_slot(&p->key, &tag);

	if (slot && *slot == tag)
		return;
	f = bpf_map_lookup_elem(&tcap_flows, &p->key);
	if (!f || f->state == TCAP_FLOW_NEW) {
		if (f && p->seq != f->seq0)
			return;	/* not the first byte; that one is still to come */
		nf.kind = tcap_classify(skb, p, dir, &nf.want, &connect);
		if (nf.kind == TCAP_KIND_PASS) {
			/* not the answer to a CONNECT: nothing more to see here */
			if (!f || f->kind != TCAP_KIND_HTTP) {
				tcap_finish(p, f != NULL, slot, tag);
				return;
			}
			/* the decoder finds the hello after this head: it needs the head too */
			tcap_submit(skb, dir, link, TCAP_KIND_HTTP);
			f->seq0 = p->seq + p->payload_len;
			f->kind = 0;
			return;
		}
		if (!nf.kind || tcap_src_ignored(dir == TCAP_DIR_INGRESS ? p->key.saddr :
									   p->key.daddr)) {
			tcap_finish(p, f != NULL, slot, tag);
			return;
		}
		if (connect)
			tcap_mark_tunnel(p);
		nf.connect = connect;
		nf.state = TCAP_FLOW_COPY;
		nf.seq0 = p->seq;
		if (bpf_map_update_elem(&tcap_flows, &p->key, &nf, BPF_ANY)) {
			tcap_count(TCAP_CNT_FLOW_FULL);
			return;
		}
		f = bpf_map_lookup_elem(&tcap_flows, &p->key);
		if (!f)
			return;
	}

	rel = p->seq - f->seq0;
	if (rel >= f->want)
		return;
	if (tcap_submit(skb, dir, link, f->kind))
		return;
	end = rel + p->payload_len;
	if (rel <= f->contig && end > f->contig)
		f->contig = end;
	/* a head is complete when it ends in this segment and nothing before it is missing */
	head_end = f->kind == TCAP_KIND_HTTP && f->contig >= end && tcap_ends_head(skb, p);
	if (head_end && f->connect) {
		/* the tunnel's first bytes are the next message */
		f->state = TCAP_FLOW_NEW;
		f->seq0 = p->seq + p->payload_len;
		f->contig = 0;
		f->connect = 0;
	} else if (head_end || f->contig >= f->want) {
		/* the first request is the one fingerprinted: later ones are not copied */
		tcap_finish(p, true, slot, tag);
	}
}

/*
 * A QUIC v1 Initial (long header, type Initial), the client's coming in (ClientHello) or the
 * server's going out (ServerHello): copied whole, every one of them (a hello may span
 * several); only the first datagrams of a connection are Initials.
 */
static __always_inline void tcap_quic(struct __sk_buff *skb, struct tcap_pkt *p,
				      enum tcap_dir dir, enum tcap_link link)
{
	void *data = (void *)(long)skb->data;
	void *data_end = (void *)(long)skb->data_end;
	__u32 off = p->payload_off;
	__u8 b[5];

	if (p->payload_len < (dir == TCAP_DIR_INGRESS ? QUIC_MIN_INITIAL : sizeof(b)))
		return;
	if (off <= TCAP_MAX_L4_OFF + 8 && data + off + sizeof(b) <= data_end)
		__builtin_memcpy(b, data + off, sizeof(b));
	else if (bpf_skb_load_bytes(skb, off, b, sizeof(b)))
		return;
	if ((b[0] & 0xf0) != 0xc0 || b[1] || b[2] || b[3] || b[4] != 1)
		return;
	tcap_count(TCAP_CNT_QUIC);
	if (!tcap_src_ignored(dir == TCAP_DIR_INGRESS ? p->key.saddr : p->key.daddr))
		tcap_submit(skb, dir, link, TCAP_KIND_QUIC);
}

static __always_inline int tcap_handle(struct __sk_buff *skb, enum tcap_dir dir,
				       enum tcap_link link)
{
	struct tcap_pkt p;
	__u32 tag, *slot;
	__u8 syn_ack;

	tcap_count(TCAP_CNT_PACKETS);
	if (tcap_parse_ip(skb, link, &p))
		return TC_ACT_OK;
	/* the service port: where clients connect to (ingress), where replies come from (egress) */
	if (!tcap_port_listed(dir == TCAP_DIR_INGRESS ? p.key.dport : p.key.sport)) {
		tcap_count(TCAP_CNT_IGNORED_PORT);
		return TC_ACT_OK;
	}

	if (p.proto == IPPROTO_UDP_NR) {
		tcap_quic(skb, &p, dir, link);
		return TC_ACT_OK;
	}
	syn_ack = p.tcp_flags & (TCP_SYN | TCP_ACK);
	if (syn_ack & TCP_SYN) {
		/* TCP Fast Open data rides in the SYN (and its record): look after it */
		struct tcap_flow nf = { .state = TCAP_FLOW_NEW, .seq0 = p.seq + 1 + p.payload_len };
		/* a client's SYN comes in, the server's SYN-ACK goes out */
		if (syn_ack != (dir == TCAP_DIR_INGRESS ? TCP_SYN : TCP_SYN | TCP_ACK))
			return TC_ACT_OK;
		tcap_count(syn_ack == TCP_SYN ? TCAP_CNT_SYN : TCAP_CNT_SYN_ACK);
		if (tcap_src_ignored(dir == TCAP_DIR_INGRESS ? p.key.saddr : p.key.daddr))
			return TC_ACT_OK;
		/* a new connection on this 4-tuple starts from scratch */
		slot = tcap_done_slot(&p.key, &tag);
		if (slot && *slot == tag)
			*slot = 0;
		if (bpf_map_update_elem(&tcap_flows, &p.key, &nf, BPF_ANY))
			tcap_count(TCAP_CNT_FLOW_FULL);
		tcap_submit(skb, dir, link, syn_ack == TCP_SYN ? TCAP_KIND_SYN : TCAP_KIND_SYN_ACK);
		return TC_ACT_OK;
	}
	if (p.payload_len)
		tcap_payload(skb, &p, dir, link);
	if (p.tcp_flags & (TCP_FIN | TCP_RST))
		bpf_map_delete_elem(&tcap_flows, &p.key);
	return TC_ACT_OK;
}

SEC("tc")
int tcap_ingress(struct __sk_buff *skb)
{
	return tcap_handle(skb, TCAP_DIR_INGRESS, TCAP_LINK_ETHERNET);
}

SEC("tc")
int tcap_egress(struct __sk_buff *skb)
{
	return tcap_handle(skb, TCAP_DIR_EGRESS, TCAP_LINK_ETHERNET);
}

/* devices without a link-layer header (tun, WireGuard): packets start at the IP header */
SEC("tc")
int tcap_ingress_raw(struct __sk_buff *skb)
{
	return tcap_handle(skb, TCAP_DIR_INGRESS, TCAP_LINK_RAW);
}

SEC("tc")
int tcap_egress_raw(struct __sk_buff *skb)
{
	return tcap_handle(skb, TCAP_DIR_EGRESS, TCAP_LINK_RAW);
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
