/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ja4probe fingerprint library: bounded parsers for what the probes capture (TLS hellos,
 * TCP SYN/SYN-ACK headers, HTTP/1.x request heads) and the builders of JA4, JA3 and, when
 * built with the ja4plus feature (FP_HAVE_JA4PLUS), the JA4+ family (JA4S, JA4T, JA4TS,
 * JA4H; FoxIO License 1.1).
 *
 * Parsers never allocate and never read past the length they are given. They return
 *   0            complete and valid
 *   -EAGAIN      valid so far, more bytes needed
 *   -EBADMSG     not this protocol, or malformed
 *   -E2BIG       valid but larger than the fixed capacities below (nothing is fingerprinted:
 *                a fingerprint of a truncated list would be wrong)
 */
#ifndef JA4PROBE_FINGERPRINT_H
#define JA4PROBE_FINGERPRINT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <ja4probe/fp_features.h>	/* FP_HAVE_JA4PLUS: 1 when built with the JA4+ builders */

#ifdef __cplusplus
extern "C" {
#endif

/* ---- TLS ----------------------------------------------------------------------------- */

#define FP_TLS_MAX_LIST 512		/* ciphers, extensions, groups, signature algorithms */
#define FP_TLS_MAX_ALPN 16		/* ALPN protocols kept for the event */
#define FP_TLS_MAX_HANDSHAKE 65536	/* largest hello we reassemble */

struct fp_tls_alpn {
	uint8_t len;
	uint8_t value[255];
};

/* A ClientHello or ServerHello. Lists keep wire order and include GREASE values. */
struct fp_tls_hello {
	bool client;			/* ClientHello (true) or ServerHello */
	uint16_t record_version;
	uint16_t legacy_version;	/* client_version / server_version */
	uint16_t ciphers[FP_TLS_MAX_LIST];	/* a ServerHello has exactly one */
	uint16_t n_ciphers;
	uint16_t extensions[FP_TLS_MAX_LIST];
	uint16_t n_extensions;
	uint16_t groups[FP_TLS_MAX_LIST];	/* supported_groups (10) */
	uint16_t n_groups;
	uint8_t ec_point_formats[255];		/* ec_point_formats (11) */
	uint16_t n_ec_point_formats;
	uint16_t sig_algs[FP_TLS_MAX_LIST];	/* signature_algorithms (13) */
	uint16_t n_sig_algs;
	uint16_t versions[FP_TLS_MAX_LIST];	/* supported_versions (43); ServerHello: one */
	uint16_t n_versions;
	bool has_sni;
	char sni[256];				/* host_name, NUL-terminated, bytes as sent */
	uint16_t n_alpn;			/* all ALPN entries seen (ServerHello: 0 or 1) */
	struct fp_tls_alpn alpn[FP_TLS_MAX_ALPN];	/* the first FP_TLS_MAX_ALPN of them */
	struct fp_tls_alpn alpn_last;		/* the last one */
};

/*
 * Parse a hello from the first bytes of one direction of a TCP stream: TLS records from the
 * first record header on, the handshake message possibly split over several records.
 * *consumed is set to the stream offset just past the hello's last byte (the record that
 * carried it may go on with the next handshake message).
 */
int fp_tls_parse_hello(const uint8_t *stream, size_t len, struct fp_tls_hello *out,
		       size_t *consumed);

/* Parse a handshake message body (starting at the handshake type byte), e.g. from QUIC. */
int fp_tls_parse_handshake(const uint8_t *msg, size_t len, struct fp_tls_hello *out);

bool fp_tls_is_grease(uint16_t value);

/* Does this look like the start of a TLS handshake record? (content type 22, version 3.x) */
bool fp_tls_looks_like_handshake(const uint8_t *buf, size_t len);

/* ---- builders: JA4 and JA3 (BSD-3-Clause) ------------------------------------------- */

#define FP_JA4_LEN 40			/* "t13d1516h2_8daaf6152771_e5627efa2ab1" + NUL */
#define FP_JA4_RAW_LEN 8192

enum fp_transport { FP_TRANSPORT_TCP = 't', FP_TRANSPORT_QUIC = 'q', FP_TRANSPORT_DTLS = 'd' };

struct fp_ja4 {
	char ja4[FP_JA4_LEN];
	char ja4_r[FP_JA4_RAW_LEN];
	char ja4_o[FP_JA4_LEN];
	char ja4_ro[FP_JA4_RAW_LEN];
};

int fp_ja4(const struct fp_tls_hello *hello, enum fp_transport transport, struct fp_ja4 *out);

struct fp_ja3 {
	char ja3[33];			/* MD5 hex */
	char ja3_full[FP_JA4_RAW_LEN];	/* "771,4865-...,0-23-...,29-23-...,0" */
};

/* JA3 of a ClientHello, JA3S of a ServerHello (same shape, fewer fields) */
int fp_ja3(const struct fp_tls_hello *hello, struct fp_ja3 *out);

/* "1.3", "1.2", ... for a TLS version number; NULL when unknown */
const char *fp_tls_version_name(uint16_t version);

/*
 * Raw strings (ja4_r, ja4_ro, ja3_full, ja4s_r, ja4h_r, ja4h_ro) that do not fit their field
 * are left empty (""); the hashed fingerprint is always computed from the whole list.
 */

/* ---- TCP SYN / SYN-ACK ------------------------------------------------------------- */

struct fp_tcp_syn {
	uint16_t src_port, dst_port;
	bool syn, ack;
	uint16_t window;
	uint8_t options[40];		/* option kinds in wire order, EOL (0) bytes included */
	uint8_t n_options;
	int32_t mss;			/* -1: no MSS option */
	int32_t wscale;			/* -1: no window-scale option */
	uint8_t ttl;			/* IPv4 TTL or IPv6 hop limit; set by the caller */
	bool df;			/* IPv4 don't-fragment; set by the caller */
	uint16_t ip_id;			/* IPv4 identification; set by the caller */
};

/* Parse a TCP header with its options. The whole struct is reset first (mss and wscale to
 * -1): set ttl, df and ip_id after the call. Malformed options give -EBADMSG. */
int fp_tcp_parse(const uint8_t *tcp, size_t len, struct fp_tcp_syn *out);

/* ---- HTTP/1.x request head ---------------------------------------------------------- */

#define FP_HTTP_MAX_HEADERS 128
#define FP_HTTP_MAX_HEAD 16384

struct fp_span {
	uint32_t off, len;		/* into the buffer given to the parser */
};

struct fp_http_header {
	struct fp_span name, value;
};

struct fp_http_request {
	struct fp_span method, target, version;	/* version: "HTTP/1.1" */
	uint16_t n_headers;
	struct fp_http_header headers[FP_HTTP_MAX_HEADERS];
	uint32_t head_len;		/* bytes up to and including the blank line */
};

/* Does this look like the start of an HTTP/1.x request line (a known method and a space)? */
bool fp_http_looks_like_request(const uint8_t *buf, size_t len);

/* Parse a request head (CRLF or bare LF line ends; obs-fold continuation lines join the
 * previous header). buf must stay alive while the spans are used. */
int fp_http_parse_request(const uint8_t *buf, size_t len, struct fp_http_request *out);

/* Is the span, compared case-insensitively, the string str? */
bool fp_http_span_equals(const uint8_t *buf, struct fp_span span, const char *str);

/* The first header of that name (case-insensitive), or NULL. */
const struct fp_http_header *fp_http_find_header(const uint8_t *buf,
						 const struct fp_http_request *req,
						 const char *name);

/* Copy a value span to out as a C string (truncated to size - 1), each obs-fold turned into
 * one space as RFC 9112 5.2 asks; returns the length copied. */
size_t fp_http_copy_value(const uint8_t *buf, struct fp_span value, char *out, size_t size);

#if FP_HAVE_JA4PLUS
/* ---- builders: JA4+ (FoxIO License 1.1) --------------------------------------------- */

struct fp_ja4s {
	char ja4s[FP_JA4_LEN];
	char ja4s_r[FP_JA4_RAW_LEN];
};
int fp_ja4s(const struct fp_tls_hello *server_hello, enum fp_transport transport,
	    struct fp_ja4s *out);

/* JA4T for a SYN, JA4TS for a SYN-ACK: the same format ("65535_2-1-3-1-1-8-4-0-0_1346_6") */
int fp_ja4t(const struct fp_tcp_syn *syn, char *out, size_t size);

struct fp_ja4h {
	char ja4h[64];
	char ja4h_r[FP_JA4_RAW_LEN];
	char ja4h_ro[FP_JA4_RAW_LEN];
};
int fp_ja4h(const uint8_t *buf, const struct fp_http_request *req, struct fp_ja4h *out);
#endif /* FP_HAVE_JA4PLUS */

#ifdef __cplusplus
}
#endif

#endif /* JA4PROBE_FINGERPRINT_H */
