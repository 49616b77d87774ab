// SPDX-License-Identifier: BSD-3-Clause
/* Event fields from parse results, through the host services table only (fp_event.h). */
#include <errno.h>
#include <string.h>

#include <ja4probe/fp_event.h>

#include "fp_internal.h"

/* Keep the first error: the event is incomplete once one field failed. */
static void ev_keep(int *err, int r)
{
	if (!*err && r)
		*err = r < 0 ? r : -EIO;
}

static struct jp_obj *ev_object(const struct jp_host *h, struct jp_obj *root, const char *key,
				int *err)
{
	struct jp_obj *o = h->obj_object(root, key);

	if (!o)
		ev_keep(err, -ENOMEM);
	return o;
}

/* A builder failed: say which fingerprint of what, and let the caller drop the event. */
static int ev_fail(const struct jp_host *h, const char *what, const char *of, int err)
{
	h->log(h->ctx, JP_LOG_WARN, "%s of %s failed: %s", what, of, strerror(-err));
	return err;
}

int fp_event_flow(const struct jp_host *h, struct jp_obj *root, int family, const void *saddr,
		  uint16_t sport, const void *daddr, uint16_t dport)
{
	int err = 0;

	ev_keep(&err, h->obj_ip(root, "src_ip", family, saddr));
	ev_keep(&err, h->obj_int(root, "src_port", sport));
	ev_keep(&err, h->obj_ip(root, "dest_ip", family, daddr));
	ev_keep(&err, h->obj_int(root, "dest_port", dport));
	return err;
}

/* ALPN values are bytes: anything but printable ASCII is written as \xNN (valid UTF-8 JSON) */
static void ev_alpn(const struct jp_host *h, struct jp_obj *o, const struct fp_tls_hello *hello,
		    int *err)
{
	char names[FP_TLS_MAX_ALPN][sizeof(hello->alpn[0].value) * 4 + 1];
	const char *list[FP_TLS_MAX_ALPN];
	size_t n = hello->n_alpn < FP_TLS_MAX_ALPN ? hello->n_alpn : FP_TLS_MAX_ALPN;

	for (size_t i = 0; i < n; i++) {
		struct fp_str s;

		fp_str_init(&s, names[i], sizeof(names[i]));
		for (size_t j = 0; j < hello->alpn[i].len; j++) {
			uint8_t c = hello->alpn[i].value[j];

			if (c >= 0x20 && c < 0x7f && c != '\\') {
				fp_str_addc(&s, (char)c);
			} else {
				fp_str_puts(&s, "\\x");
				fp_str_addc(&s, fp_hex_digit(c >> 4));
				fp_str_addc(&s, fp_hex_digit(c));
			}
		}
		list[i] = names[i];
	}
	if (n)
		ev_keep(err, h->obj_string_list(o, "alpn", list, n));
}

/* "0x%04x" without snprintf (a few hundred instructions per call) */
static const char *ev_hex16(uint16_t v, char buf[8])
{
	struct fp_str s;

	fp_str_init(&s, buf, 8);
	fp_str_puts(&s, "0x");
	fp_str_hex4(&s, v);
	return buf;
}

static void ev_version_name(uint16_t v, char buf[8], const char **name)
{
	*name = fp_tls_version_name(v);
	if (!*name)
		*name = ev_hex16(v, buf);
}

static int ev_client_hello(const struct jp_host *h, struct jp_obj *o,
			   const struct fp_tls_hello *hello, enum fp_transport transport)
{
	struct fp_ja4 ja4;
	struct fp_ja3 ja3;
	char vbuf[FP_TLS_MAX_LIST][8];
	const char *versions[FP_TLS_MAX_LIST];
	size_t n = 0;
	int err = fp_ja4(hello, transport, &ja4);

	if (err)
		return ev_fail(h, "JA4", hello->has_sni ? hello->sni : "a ClientHello", err);
	err = fp_ja3(hello, &ja3);
	if (err)
		return ev_fail(h, "JA3", hello->has_sni ? hello->sni : "a ClientHello", err);
	ev_keep(&err, h->obj_string(o, "ja4", ja4.ja4));
	if (ja4.ja4_r[0])
		ev_keep(&err, h->obj_string(o, "ja4_r", ja4.ja4_r));
	ev_keep(&err, h->obj_string(o, "ja4_o", ja4.ja4_o));
	if (ja4.ja4_ro[0])
		ev_keep(&err, h->obj_string(o, "ja4_ro", ja4.ja4_ro));
	ev_keep(&err, h->obj_string(o, "ja3", ja3.ja3));
	if (ja3.ja3_full[0])
		ev_keep(&err, h->obj_string(o, "ja3_full", ja3.ja3_full));
	if (hello->has_sni)
		ev_keep(&err, h->obj_string_len(o, "sni", hello->sni, strlen(hello->sni)));
	ev_alpn(h, o, hello, &err);
	for (size_t i = 0; i < hello->n_versions; i++)
		if (!fp_tls_is_grease(hello->versions[i]))
			ev_version_name(hello->versions[i], vbuf[n], &versions[n]), n++;
	if (n)
		ev_keep(&err, h->obj_string_list(o, "versions", versions, n));
	return err;
}

static int ev_server_hello(const struct jp_host *h, struct jp_obj *o,
			   const struct fp_tls_hello *hello, enum fp_transport transport)
{
	struct fp_ja3 ja3;
	char vbuf[8], cipher[8];
	const char *version;
	int err;

#if FP_HAVE_JA4PLUS
	struct fp_ja4s ja4s;

	err = fp_ja4s(hello, transport, &ja4s);
	if (err)
		return ev_fail(h, "JA4S", "a ServerHello", err);
#else
	(void)transport;
#endif
	err = fp_ja3(hello, &ja3);
	if (err)
		return ev_fail(h, "JA3S", "a ServerHello", err);
#if FP_HAVE_JA4PLUS
	ev_keep(&err, h->obj_string(o, "ja4s", ja4s.ja4s));
	if (ja4s.ja4s_r[0])
		ev_keep(&err, h->obj_string(o, "ja4s_r", ja4s.ja4s_r));
#endif
	ev_keep(&err, h->obj_string(o, "ja3s", ja3.ja3));
	if (ja3.ja3_full[0])
		ev_keep(&err, h->obj_string(o, "ja3s_full", ja3.ja3_full));
	ev_version_name(fp_tls_effective_version(hello), vbuf, &version);
	ev_keep(&err, h->obj_string(o, "version", version));
	ev_keep(&err, h->obj_string(o, "cipher", ev_hex16(hello->ciphers[0], cipher)));
	ev_alpn(h, o, hello, &err);
	return err;
}

int fp_event_tls_hello(const struct jp_host *h, struct jp_obj *root,
		       const struct fp_tls_hello *hello, enum fp_transport transport)
{
	int err = 0;
	struct jp_obj *o = ev_object(h, root, "tls", &err);

	if (!o)
		return err;
	if (hello->client)
		return ev_client_hello(h, o, hello, transport);
	if (hello->n_ciphers != 1)
		return -EINVAL;
	return ev_server_hello(h, o, hello, transport);
}

int fp_event_tcp_syn(const struct jp_host *h, struct jp_obj *root, const struct fp_tcp_syn *syn)
{
	char kinds[sizeof(syn->options)][4];
	const char *options[sizeof(syn->options)];
	size_t n = syn->n_options < sizeof(syn->options) ? syn->n_options : sizeof(syn->options);
	int err = 0;
	struct jp_obj *o = ev_object(h, root, "tcp", &err);

	if (!o)
		return err;
#if FP_HAVE_JA4PLUS
	{
		char ja4t[FP_JA4_LEN];
		int r = fp_ja4t(syn, ja4t, sizeof(ja4t));

		if (r)
			return ev_fail(h, "JA4T", "a SYN", r);
		ev_keep(&err, h->obj_string(o, syn->ack ? "ja4ts" : "ja4t", ja4t));
	}
#endif
	ev_keep(&err, h->obj_int(o, "window", syn->window));
	for (size_t i = 0; i < n; i++) {
		struct fp_str k;

		fp_str_init(&k, kinds[i], sizeof(kinds[i]));
		fp_str_dec(&k, syn->options[i]);
		options[i] = kinds[i];
	}
	ev_keep(&err, h->obj_string_list(o, "options", options, n));
	if (syn->mss >= 0)
		ev_keep(&err, h->obj_int(o, "mss", syn->mss));
	if (syn->wscale >= 0)
		ev_keep(&err, h->obj_int(o, "wscale", syn->wscale));
	ev_keep(&err, h->obj_int(o, "ttl", syn->ttl));
	ev_keep(&err, h->obj_bool(o, "df", syn->df));
	ev_keep(&err, h->obj_int(o, "ip_id", syn->ip_id));
	return err;
}

static void ev_span(const struct jp_host *h, struct jp_obj *o, const char *key,
		    const uint8_t *buf, struct fp_span span, int *err)
{
	ev_keep(err, h->obj_string_len(o, key, (const char *)buf + span.off, span.len));
}

/* A header's value, obs-folds joined with a space; left out when the header is absent. */
static void ev_header(const struct jp_host *h, struct jp_obj *o, const char *key,
		      const uint8_t *buf, const struct fp_http_request *req, const char *name,
		      int *err)
{
	char value[FP_HTTP_MAX_HEAD];
	const struct fp_http_header *hd = fp_http_find_header(buf, req, name);
	const char *text;
	size_t n;

	if (!hd)
		return;
	text = fp_http_value_text(buf, hd->value, value, sizeof(value), &n);
	ev_keep(err, h->obj_string_len(o, key, text, n));
}

int fp_event_http_request(const struct jp_host *h, struct jp_obj *root, const uint8_t *buf,
			  const struct fp_http_request *req, const struct fp_http_options *options)
{
	static const struct fp_http_options defaults;
	const struct fp_http_options *opt = options ? options : &defaults;
	int err = 0;
	struct jp_obj *o = ev_object(h, root, "http", &err);

	if (!o)
		return err;
#if FP_HAVE_JA4PLUS
	struct fp_ja4h ja4h;
	int r = fp_ja4h(buf, req, &ja4h);

	if (r)
		return ev_fail(h, "JA4H", "an HTTP request", r);
#endif
	ev_span(h, o, "method", buf, req->method, &err);
	ev_span(h, o, "path", buf, req->target, &err);
	ev_span(h, o, "version", buf, req->version, &err);
	ev_header(h, o, "host", buf, req, "host", &err);
	ev_header(h, o, "user_agent", buf, req, "user-agent", &err);
#if FP_HAVE_JA4PLUS
	ev_keep(&err, h->obj_string(o, "ja4h", ja4h.ja4h));
	/* the raw JA4H carries cookie names and values: a secret unless asked for */
	/* cookie values are bytes as sent: stored escaped */
	if (opt->ja4h_raw && ja4h.ja4h_r[0])
		ev_keep(&err, h->obj_string_len(o, "ja4h_r", ja4h.ja4h_r, strlen(ja4h.ja4h_r)));
	if (opt->ja4h_raw && ja4h.ja4h_ro[0])
		ev_keep(&err, h->obj_string_len(o, "ja4h_ro", ja4h.ja4h_ro, strlen(ja4h.ja4h_ro)));
#endif
	if (opt->cookie)
		ev_header(h, o, "cookie", buf, req, "cookie", &err);
	if (opt->authorization)
		ev_header(h, o, "authorization", buf, req, "authorization", &err);
	return err;
}
