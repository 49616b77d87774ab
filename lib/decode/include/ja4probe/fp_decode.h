/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ja4probe decode path: link-layer packets -> TCP flows -> the first bytes of each direction
 * -> fingerprint parsers -> events. The offline reader (--read-pcap) and the tc_capture plugin
 * feed the same decoder, so a capture file and the wire give the same events.
 *
 * Link layers (pcap DLT_* values): DLT_EN10MB (Ethernet, 802.1Q / 802.1ad / QinQ tags),
 * DLT_LINUX_SLL, DLT_LINUX_SLL2, DLT_RAW / LINKTYPE_IPV4 / LINKTYPE_IPV6, DLT_NULL, DLT_LOOP.
 * Network: IPv4 (with options; fragments are counted and skipped) and IPv6 (extension headers
 * skipped). Transport: TCP, and UDP for QUIC v1: Initial packets are decrypted with the keys
 * the Destination Connection ID of the client's first Initial gives (RFC 9001 5.2), and their
 * CRYPTO frames reassembled by offset into the ClientHello and ServerHello (JA4, JA4S with
 * 'q'). Initials that cannot be opened (their flow's first client Initial was not seen, or
 * damaged) are counted as quic_skipped; other UDP as not_tcp.
 *
 * Events (see ARCHITECTURE.md), all stamped with the packet's time:
 *   tcp_syn            a SYN without ACK (JA4T); once per flow and ISN
 *   tcp_syn_ack        a SYN-ACK (JA4TS); once per flow and ISN
 *   tls_client_hello   the first ClientHello of the client direction (JA4, JA3), TCP or QUIC
 *   tls_server_hello   the first ServerHello of the server direction (JA4S, JA3S), TCP or QUIC
 *   http_request       the first HTTP/1.x request head of the client direction (JA4H); after a
 *                      CONNECT the tunnel's first bytes are read the same way, and the server
 *                      direction's hello after the proxy's response head
 * src_ip/src_port are always the sender of the packet that completed the message: the client
 * for tcp_syn, tls_client_hello and http_request, the server for tcp_syn_ack and
 * tls_server_hello.
 *
 * Reassembly keeps the first flow_bytes of each direction, placed by sequence offset, so
 * retransmissions, overlaps and out-of-order segments land where they belong. Overlapping
 * bytes that differ from the bytes already held make the direction ambiguous: it is dropped
 * (counter "reasm_conflicts") rather than fingerprinted from a guess. A flow whose SYN was not
 * captured (it started before the capture) is read only when the first payload seen in a
 * direction begins a TLS handshake record or an HTTP request line; nothing is invented for the
 * bytes that came before (a SYN-ACK without its SYN still fixes the client's start exactly:
 * it acknowledges the client's ISN + 1). A direction is read until its message is complete,
 * then it stops buffering; later requests of a keep-alive connection are not read.
 *
 * Counters (host->counter()): packets, not_tcp, link_unsupported, truncated_packets,
 * ip_fragments, flows, flows_evicted, flows_expired, reasm_conflicts, reasm_gaps (too many
 * holes), reasm_nomem (buffer_memory or malloc exhausted), midstream_skipped,
 * hello_truncated (limit reached, or the flow ended, before a message was complete),
 * parse_errors (malformed), too_big (valid but beyond the parser's capacities), errors (an
 * event the host or an event helper refused), quic_skipped. A RST ends both directions
 * (counted like an eviction when a message was incomplete); flows otherwise leave by LRU
 * eviction or timeout.
 */
#ifndef JA4PROBE_FP_DECODE_H
#define JA4PROBE_FP_DECODE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>
#include <ja4probe/fp_event.h>
#include <ja4probe/plugin.h>

#ifdef __cplusplus
extern "C" {
#endif

#define FP_DECODER_MAX_PORTS 64

struct fp_decoder_config {
	uint32_t max_flows;		/* flows tracked at once; the least recent is evicted */
	uint32_t flow_bytes;		/* bytes kept per direction of a flow */
	uint32_t flow_timeout_s;	/* idle flows expire after this (packet time); 0: never */
	uint32_t buffer_mib;		/* all reassembly buffers together */
	bool midstream;			/* read flows whose SYN was not seen */
	struct fp_http_options http;	/* secrets in events: only ja4h_raw is read */
	size_t n_ports;			/* 0: every port */
	uint16_t ports[FP_DECODER_MAX_PORTS];	/* a flow is read when either port is listed */
};

/*
 * The schema entries of struct fp_decoder_config, to embed in a plugin's own key table:
 *   static const struct jp_config_key keys[] = { { "interfaces", ... }, FP_DECODER_CONFIG_KEYS,
 *                                                { .name = NULL } };
 */
#define FP_DECODER_CONFIG_KEYS FP_DECODER_FLOW_KEYS, FP_DECODER_PORTS_KEY

/* The keys but `ports`, for a plugin that declares `ports` itself (with its own default). */
#define FP_DECODER_FLOW_KEYS                                                                 \
	{ .name = "max_flows", .type = JP_CFG_INT, .default_value = "65536",                 \
	  .description = "TCP flows tracked at once; the least recently seen is evicted",     \
	  .min = 1, .max = 16777216 },                                                        \
	{ .name = "flow_bytes", .type = JP_CFG_INT, .default_value = "16384",                \
	  .description = "bytes reassembled per direction of a flow to find a hello or request", \
	  .min = 64, .max = 262144 },                                                          \
	{ .name = "buffer_memory", .type = JP_CFG_INT, .default_value = "64",               \
	  .description = "MiB for all reassembly buffers together; beyond it a flow is not read", \
	  .min = 1, .max = 65536 },                                                            \
	{ .name = "flow_timeout", .type = JP_CFG_INT, .default_value = "120",                \
	  .description = "seconds after which an idle flow is forgotten (0: never)",          \
	  .min = 0, .max = 86400 },                                                            \
	{ .name = "midstream", .type = JP_CFG_BOOL, .default_value = "true",                 \
	  .description = "read flows whose SYN was not seen when their first payload starts a " \
			 "TLS handshake or an HTTP request" },                                  \
	{ .name = "http_raw", .type = JP_CFG_BOOL, .default_value = "false",                 \
	  .description = "add ja4h_r and ja4h_ro to http_request events (cookie values)" }

#define FP_DECODER_PORTS_KEY                                                                 \
	{ .name = "ports", .type = JP_CFG_INT_LIST, .default_value = NULL,                   \
	  .description = "TCP ports to read (either end); empty: all", .min = 1, .max = 65535 }

/* FP_DECODER_CONFIG_KEYS terminated by a NULL name: for a section that has only these keys. */
extern const struct jp_config_key fp_decoder_config_keys[];

/* The built-in defaults (the schema's default values). */
void fp_decoder_config_default(struct fp_decoder_config *out);

/* Read the keys of FP_DECODER_CONFIG_KEYS from a validated config (c may be NULL: defaults). */
int fp_decoder_config_from(const struct jp_host *host, const struct jp_config *c,
			   struct fp_decoder_config *out);

struct fp_decoder;

/* host must outlive the decoder; events and counters go through it. NULL on failure (logged). */
struct fp_decoder *fp_decoder_new(const struct jp_host *host, const struct fp_decoder_config *cfg);

/*
 * Feed one captured packet. ts: capture time (realtime clock). dlt: pcap link type of pkt.
 * caplen: bytes present (a snapped packet is read as far as it goes). Returns 0 when the packet
 * was consumed (whether or not it mattered), -EPROTONOSUPPORT for a link type not listed above,
 * -ENOMEM when memory ran out (the flow is dropped and counted).
 */
int fp_decoder_packet(struct fp_decoder *d, const struct timespec *ts, int dlt, const uint8_t *pkt,
		      size_t caplen);

/* Forget every flow, counting those that still waited for bytes (end of a capture file). */
void fp_decoder_flush(struct fp_decoder *d);

void fp_decoder_free(struct fp_decoder *d);

#ifdef __cplusplus
}
#endif

#endif /* JA4PROBE_FP_DECODE_H */
