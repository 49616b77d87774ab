/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Event helpers: every plugin turns the same parse result into the same event fields.
 * They use only the host services table (struct jp_host), so they work in any plugin.
 * Each returns 0 or a negative errno (the first failure of the host or of a builder); on
 * failure the caller discards the event.
 *
 *   fp_event_flow          src_ip, src_port, dest_ip, dest_port on the root
 *   fp_event_tls_hello     "tls": ClientHello {ja4, ja4_r, ja4_o, ja4_ro, ja3, ja3_full, sni,
 *                          alpn[], versions[]}; ServerHello {ja4s, ja4s_r, ja3s, ja3s_full,
 *                          version, cipher, alpn}
 *   fp_event_tcp_syn       "tcp": {ja4t (SYN) or ja4ts (SYN-ACK), window, options[], mss,
 *                          wscale, ttl, df, ip_id}
 *   fp_event_http_request  "http": {method, path, version, host, user_agent, ja4h, and only
 *                          when asked: ja4h_r, ja4h_ro, cookie, authorization}
 * JA4+ fields (ja4s*, ja4t, ja4ts, ja4h*) appear only when FP_HAVE_JA4PLUS.
 */
#ifndef JA4PROBE_FP_EVENT_H
#define JA4PROBE_FP_EVENT_H

#include <ja4probe/fingerprint.h>
#include <ja4probe/plugin.h>

#ifdef __cplusplus
extern "C" {
#endif

/* family AF_INET (4-byte addresses) or AF_INET6 (16-byte addresses) */
int fp_event_flow(const struct jp_host *h, struct jp_obj *root, int family, const void *saddr,
		  uint16_t sport, const void *daddr, uint16_t dport);

int fp_event_tls_hello(const struct jp_host *h, struct jp_obj *root,
		       const struct fp_tls_hello *hello, enum fp_transport transport);

int fp_event_tcp_syn(const struct jp_host *h, struct jp_obj *root, const struct fp_tcp_syn *syn);

/* Secrets never leave the host by default: all false (or options NULL) leaves them out. */
struct fp_http_options {
	bool ja4h_raw;		/* ja4h_r and ja4h_ro: they carry cookie names and values */
	bool cookie;		/* the Cookie header's value */
	bool authorization;	/* the Authorization header's value */
};

int fp_event_http_request(const struct jp_host *h, struct jp_obj *root, const uint8_t *buf,
			  const struct fp_http_request *req, const struct fp_http_options *options);

#ifdef __cplusplus
}
#endif

#endif /* JA4PROBE_FP_EVENT_H */
