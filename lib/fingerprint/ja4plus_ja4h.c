// SPDX-License-Identifier: LicenseRef-FoxIO-License-1.1
/*
 * JA4H (HTTP client fingerprint) is JA4+ and licensed under the FoxIO License 1.1
 * (non-commercial use; patent pending): see NOTICE and LICENSES/FoxIO-License-1.1.txt.
 * Built only with -Dja4plus=enabled.
 *
 *   ja4h  a_b_c_d  a: method (2), version (2), c/n Cookie, r/n Referer, #headers, language (4)
 *                  b: sha256[:12] of the header names as sent, in order, without Cookie,
 *                     Referer and HTTP/2 pseudo-headers
 *                  c: sha256[:12] of the cookie names, sorted   d: of "name=value", sorted
 *   ja4h_r  a_names_cookie-names_cookie-pairs (sorted); ja4h_ro the same in wire order.
 * Without cookies c and d are twelve zeros. Choices where implementations differ are in
 * README.md ("Fingerprints").
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "fp_internal.h"

#define JA4H_MAX_COOKIES 256
#define JA4H_SCRATCH (FP_HTTP_MAX_HEAD + 2 * FP_HTTP_MAX_HEADERS + JA4H_MAX_COOKIES)

struct ja4h_cookie {
	uint32_t off, len, name_len;	/* "name=value" (or "name") in the request buffer */
};

struct ja4h_ctx {
	const uint8_t *buf;
	const struct fp_http_request *req;
	struct ja4h_cookie cookies[JA4H_MAX_COOKIES];
	struct ja4h_cookie sorted[JA4H_MAX_COOKIES];
	size_t n_cookies;
	bool has_cookie, has_referer;
};

static bool ja4h_is_counted(const struct ja4h_ctx *c, const struct fp_http_header *h)
{
	return h->name.len && c->buf[h->name.off] != ':' &&
	       !fp_http_span_equals(c->buf, h->name, "cookie") &&
	       !fp_http_span_equals(c->buf, h->name, "referer");
}

static bool ja4h_is_ows(uint8_t c)
{
	return c == ' ' || c == '\t';
}

/* Split one Cookie value at ';' into trimmed "name=value" items; empty items are skipped. */
static int ja4h_add_cookies(struct ja4h_ctx *c, struct fp_span v)
{
	size_t i = v.off, end = (size_t)v.off + v.len;

	while (i < end) {
		size_t s = i, e;
		const uint8_t *eq;

		while (i < end && c->buf[i] != ';')
			i++;
		e = i++;
		while (s < e && ja4h_is_ows(c->buf[s]))
			s++;
		while (e > s && ja4h_is_ows(c->buf[e - 1]))
			e--;
		if (s == e)
			continue;
		if (c->n_cookies >= JA4H_MAX_COOKIES)
			return -E2BIG;
		eq = memchr(c->buf + s, '=', e - s);
		c->cookies[c->n_cookies++] = (struct ja4h_cookie){
			.off = (uint32_t)s, .len = (uint32_t)(e - s),
			.name_len = (uint32_t)(eq ? (size_t)(eq - c->buf) - s : e - s),
		};
	}
	return 0;
}

static int ja4h_span_cmp(const uint8_t *buf, uint32_t ao, uint32_t al, uint32_t bo,
			 uint32_t bl)
{
	int r = memcmp(buf + ao, buf + bo, al < bl ? al : bl);

	return r ? r : (al > bl) - (al < bl);
}

/* by name, then by the whole pair (byte order, as the reference implementations sort) */
static int ja4h_cookie_cmp(const void *a, const void *b, void *arg)
{
	const struct ja4h_cookie *x = a, *y = b;
	const uint8_t *buf = arg;
	int r = ja4h_span_cmp(buf, x->off, x->name_len, y->off, y->name_len);

	return r ? r : ja4h_span_cmp(buf, x->off, x->len, y->off, y->len);
}

static void ja4h_method(struct fp_str *s, const uint8_t *buf, struct fp_span m)
{
	for (size_t i = 0; i < 2; i++)
		fp_str_addc(s, i < m.len ? fp_lower((char)buf[m.off + i]) : '0');
}

/* "HTTP/1.1" -> "11", "HTTP/1.0" -> "10", "HTTP/2" -> "20" */
static void ja4h_version(struct fp_str *s, const uint8_t *buf, struct fp_span v)
{
	char d[2] = { '0', '0' };
	size_t n = 0;

	for (size_t i = 5; i < v.len && n < 2; i++)
		if (buf[v.off + i] != '.')
			d[n++] = fp_lower((char)buf[v.off + i]);
	fp_str_add(s, d, 2);
}

/*
 * First four characters of the primary Accept-Language tag: up to the first ',' or ';',
 * without '-' and spaces, lower-cased, padded with '0'. A byte that is not printable ASCII
 * is written as two hex digits so that the fingerprint stays printable.
 */
static void ja4h_language(struct fp_str *s, const uint8_t *buf, const struct fp_http_header *h)
{
	char out[4] = { '0', '0', '0', '0' };
	size_t n = 0;

	for (size_t i = 0; h && i < h->value.len && n < 4; i++) {
		uint8_t c = buf[h->value.off + i];

		if (c == ',' || c == ';')
			break;
		if (c == '-' || c <= ' ')
			continue;
		if (c < 0x7f) {
			out[n++] = fp_lower((char)c);
		} else {
			out[n++] = fp_hex_digit(c >> 4);
			if (n < 4)
				out[n++] = fp_hex_digit(c);
		}
	}
	fp_str_add(s, out, 4);
}

static void ja4h_prefix(struct fp_str *s, struct ja4h_ctx *c)
{
	size_t n = 0;

	for (size_t i = 0; i < c->req->n_headers; i++)
		n += ja4h_is_counted(c, &c->req->headers[i]);
	ja4h_method(s, c->buf, c->req->method);
	ja4h_version(s, c->buf, c->req->version);
	fp_str_addc(s, c->has_cookie ? 'c' : 'n');
	fp_str_addc(s, c->has_referer ? 'r' : 'n');
	fp_str_count2(s, n);
	ja4h_language(s, c->buf, fp_http_find_header(c->buf, c->req, "accept-language"));
}

static void ja4h_headers(struct fp_str *s, const struct ja4h_ctx *c)
{
	bool first = true;

	for (size_t i = 0; i < c->req->n_headers; i++) {
		const struct fp_http_header *h = &c->req->headers[i];

		if (!ja4h_is_counted(c, h))
			continue;
		if (!first)
			fp_str_addc(s, ',');
		fp_str_add(s, c->buf + h->name.off, h->name.len);
		first = false;
	}
}

static void ja4h_cookie_list(struct fp_str *s, const struct ja4h_ctx *c,
			     const struct ja4h_cookie *v, bool names_only)
{
	for (size_t i = 0; i < c->n_cookies; i++) {
		if (i)
			fp_str_addc(s, ',');
		fp_str_add(s, c->buf + v[i].off, names_only ? v[i].name_len : v[i].len);
	}
}

/* The hash of one section, built in a scratch buffer large enough for any request head. */
static int ja4h_section_hash(struct ja4h_ctx *c, int section, char out[FP_HASH12_LEN + 1])
{
	char scratch[JA4H_SCRATCH];
	struct fp_str s;

	fp_str_init(&s, scratch, sizeof(scratch));
	if (section == 0)
		ja4h_headers(&s, c);
	else if (c->has_cookie)
		ja4h_cookie_list(&s, c, c->sorted, section == 1);
	if (s.overflow)
		return -E2BIG;
	return fp_hash12(s.p, s.len, out);
}

static void ja4h_raw(char *dst, size_t size, const char *prefix, struct ja4h_ctx *c,
		     const struct ja4h_cookie *cookies)
{
	struct fp_str s;

	fp_str_init(&s, dst, size);
	fp_str_puts(&s, prefix);
	fp_str_addc(&s, '_');
	ja4h_headers(&s, c);
	fp_str_addc(&s, '_');
	ja4h_cookie_list(&s, c, cookies, true);
	fp_str_addc(&s, '_');
	ja4h_cookie_list(&s, c, cookies, false);
	if (s.overflow)
		dst[0] = '\0';
}

int fp_ja4h(const uint8_t *buf, const struct fp_http_request *req, struct fp_ja4h *out)
{
	struct ja4h_ctx c;
	char prefix[13], h[3][FP_HASH12_LEN + 1];
	struct fp_str s;
	int err = 0;

	c.buf = buf;
	c.req = req;
	c.n_cookies = 0;
	c.has_cookie = c.has_referer = false;
	for (size_t i = 0; i < req->n_headers && !err; i++) {
		const struct fp_http_header *hd = &req->headers[i];

		if (fp_http_span_equals(buf, hd->name, "cookie")) {
			c.has_cookie = true;
			err = ja4h_add_cookies(&c, hd->value);
		} else if (fp_http_span_equals(buf, hd->name, "referer")) {
			c.has_referer = true;
		}
	}
	if (err)
		return err;
	memcpy(c.sorted, c.cookies, c.n_cookies * sizeof(c.cookies[0]));
	qsort_r(c.sorted, c.n_cookies, sizeof(c.sorted[0]), ja4h_cookie_cmp, (void *)buf);

	fp_str_init(&s, prefix, sizeof(prefix));
	ja4h_prefix(&s, &c);
	for (int i = 0; i < 3 && !err; i++)
		err = ja4h_section_hash(&c, i, h[i]);
	if (err)
		return err;

	fp_str_init(&s, out->ja4h, sizeof(out->ja4h));
	fp_str_puts(&s, prefix);
	for (int i = 0; i < 3; i++) {
		fp_str_addc(&s, '_');
		fp_str_puts(&s, h[i]);
	}
	ja4h_raw(out->ja4h_r, sizeof(out->ja4h_r), prefix, &c, c.sorted);
	ja4h_raw(out->ja4h_ro, sizeof(out->ja4h_ro), prefix, &c, c.cookies);
	return s.overflow ? -E2BIG : 0;
}
