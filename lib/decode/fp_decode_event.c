// SPDX-License-Identifier: BSD-3-Clause
/*
 * Events of the decoder. The flow fields are the sender's and receiver's addresses of the
 * packet that completed the message (see <ja4probe/fp_decode.h>); the protocol objects come
 * from the fingerprint library's event helpers, so every producer fills them the same way.
 */
#include <errno.h>

#include "fp_decode_event.h"

static struct jp_event *fp_event_begin(const struct jp_host *h, const char *type,
				       const struct timespec *ts, const struct fp_pkt *p,
				       struct jp_obj **root)
{
	struct jp_event *ev = h->event_new(h->ctx, type, ts);

	if (!ev)
		return NULL;
	*root = h->event_root(ev);
	if (fp_event_flow(h, *root, p->family, p->src, p->sport, p->dst, p->dport)) {
		h->event_discard(ev);
		return NULL;
	}
	return ev;
}

static int fp_event_end(const struct jp_host *h, struct jp_event *ev, int err)
{
	if (err) {
		h->event_discard(ev);
		return err;
	}
	return h->event_emit(ev);
}

int fp_decode_emit_syn(const struct jp_host *h, const struct timespec *ts, const struct fp_pkt *p,
		       const struct fp_tcp_syn *syn)
{
	struct jp_obj *root;
	struct jp_event *ev = fp_event_begin(h, syn->ack ? "tcp_syn_ack" : "tcp_syn", ts, p, &root);

	if (!ev)
		return -ENOMEM;
	return fp_event_end(h, ev, fp_event_tcp_syn(h, root, syn));
}

int fp_decode_emit_tls(const struct jp_host *h, const struct timespec *ts, const struct fp_pkt *p,
		       const struct fp_tls_hello *hello, enum fp_transport transport)
{
	struct jp_obj *root;
	struct jp_event *ev = fp_event_begin(h, hello->client ? "tls_client_hello" :
					     "tls_server_hello", ts, p, &root);

	if (!ev)
		return -ENOMEM;
	return fp_event_end(h, ev, fp_event_tls_hello(h, root, hello, transport));
}

int fp_decode_emit_http(const struct jp_host *h, const struct timespec *ts, const struct fp_pkt *p,
			const uint8_t *head, const struct fp_http_request *req,
			const struct fp_http_options *options)
{
	struct jp_obj *root;
	struct jp_event *ev = fp_event_begin(h, "http_request", ts, p, &root);

	if (!ev)
		return -ENOMEM;
	return fp_event_end(h, ev, fp_event_http_request(h, root, head, req, options));
}
