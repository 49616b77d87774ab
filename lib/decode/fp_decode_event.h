/* SPDX-License-Identifier: BSD-3-Clause */
/* The events the decoder emits: flow fields from the packet, one object per protocol. */
#ifndef FP_DECODE_EVENT_H
#define FP_DECODE_EVENT_H

#include <stdbool.h>
#include <time.h>

#include <ja4probe/fingerprint.h>
#include <ja4probe/fp_event.h>
#include <ja4probe/plugin.h>

#include "fp_packet.h"

/* decode-internal: not exported from the library */
#pragma GCC visibility push(hidden)

/* tcp_syn (syn->ack false) or tcp_syn_ack */
int fp_decode_emit_syn(const struct jp_host *h, const struct timespec *ts, const struct fp_pkt *p,
		       const struct fp_tcp_syn *syn);
/* tls_client_hello or tls_server_hello */
int fp_decode_emit_tls(const struct jp_host *h, const struct timespec *ts, const struct fp_pkt *p,
		       const struct fp_tls_hello *hello, enum fp_transport transport);
int fp_decode_emit_http(const struct jp_host *h, const struct timespec *ts, const struct fp_pkt *p,
			const uint8_t *head, const struct fp_http_request *req,
			const struct fp_http_options *options);

#pragma GCC visibility pop

#endif
