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
#include <strings.h>

#include "fp_internal.h"

#define JA4H_MAX_COOKIES 256
/*
 * The raw string "prefix_names_cookie-names_cookie-pairs" is built once and its sections
 * hashed where they lie. Header names and cookie pairs are disjoint parts of the head, and
 * cookie names are prefixes of the pairs: with the separators it fits in this.
 */
#define JA4H_SCRATCH (2 * FP_HTTP_MAX_HEAD + FP_HTTP_MAX_HEADERS + 2 * JA4H_MAX_COOKIES + 32)

struct ja4h_cookie {
	uint32_t off, len, name_len;	/* "name=value" (or "name") in the request buffer */
};

struct ja4h_ctx {
	const uint8_t *buf;
	const struct fp_http_request *req;
	uint8_t counted[FP_HTTP_MAX_HEADERS];	/* indexes of the headers JA4H lists */
	size_t n_counted;
	const struct fp_http_header *language;	/* the first Accept-Language */
	struct ja4h_cookie cookies[JA4H_MAX_COOKIES];
	struct ja4h_cookie sorted[JA4H_MAX_COOKIES];
	size_t n_cookies;
	bool has_cookie, has_referer;
};

_Static_assert(FP_HTTP_MAX_HEADERS <= 256, "header indexes are kept in a uint8_t");

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
		const uint8_t *eq, *semi;

		semi = memchr(c->buf + i, ';', end - i);
		i = semi ? (size_t)(semi - c->buf) : end;
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

static void ja4h_prefix(struct fp_str *s, const struct ja4h_ctx *c)
{
	ja4h_method(s, c->buf, c->req->method);
	ja4h_version(s, c->buf, c->req->version);
	fp_str_addc(s, c->has_cookie ? 'c' : 'n');
	fp_str_addc(s, c->has_referer ? 'r' : 'n');
	fp_str_count2(s, c->n_counted);
	ja4h_language(s, c->buf, c->language);
}

static void ja4h_headers(struct fp_str *s, const struct ja4h_ctx *c)
{
	for (size_t i = 0; i < c->n_counted; i++) {
		const struct fp_http_header *h = &c->req->headers[c->counted[i]];

		if (i)
			fp_str_addc(s, ',');
		fp_str_add(s, c->buf + h->name.off, h->name.len);
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

/* "_cookie-names_cookie-pairs" in the given order */
static void ja4h_cookie_part(struct fp_str *s, const struct ja4h_ctx *c,
			     const struct ja4h_cookie *v, size_t *names_off, size_t *pairs_off)
{
	fp_str_addc(s, '_');
	*names_off = s->len;
	ja4h_cookie_list(s, c, v, true);
	fp_str_addc(s, '_');
	*pairs_off = s->len;
	ja4h_cookie_list(s, c, v, false);
}

/* Which headers count, which carry cookies, the referer, the language: one pass. */
static int ja4h_scan(struct ja4h_ctx *c)
{
	const uint8_t *buf = c->buf;
	int err;

	for (size_t i = 0; i < c->req->n_headers; i++) {
		const struct fp_http_header *h = &c->req->headers[i];

		if (fp_http_span_equals_n(buf, h->name, "cookie", 6)) {
			c->has_cookie = true;
			err = ja4h_add_cookies(c, h->value);
			if (err)
				return err;
		} else if (fp_http_span_equals_n(buf, h->name, "referer", 7)) {
			c->has_referer = true;
		} else if (h->name.len && buf[h->name.off] != ':') {
			c->counted[c->n_counted++] = (uint8_t)i;
			if (!c->language &&
			    fp_http_span_equals_n(buf, h->name, "accept-language", 15))
				c->language = h;
		}
	}
	return 0;
}

int fp_ja4h(const uint8_t *buf, const struct fp_http_request *req, struct fp_ja4h *out)
{
	struct ja4h_ctx c;	/* not zeroed whole: the cookie arrays are large */
	char scratch[JA4H_SCRATCH], h[3][FP_HASH12_LEN + 1];
	size_t prefix_len, names_off, pairs_off, head_len;
	struct fp_str s, o;
	int err;

	if (req->n_headers > FP_HTTP_MAX_HEADERS)
		return -EINVAL;
	c.buf = buf;
	c.req = req;
	c.n_counted = c.n_cookies = 0;
	c.language = NULL;
	c.has_cookie = c.has_referer = false;
	err = ja4h_scan(&c);
	if (err)
		return err;
	memcpy(c.sorted, c.cookies, c.n_cookies * sizeof(c.cookies[0]));
	if (c.n_cookies > 1)	/* glibc's qsort_r costs ~500 instructions even for one item */
		qsort_r(c.sorted, c.n_cookies, sizeof(c.sorted[0]), ja4h_cookie_cmp, (void *)buf);

	/* ja4h_r: prefix_names_sorted-cookie-names_sorted-cookie-pairs */
	fp_str_init(&s, scratch, sizeof(scratch));
	ja4h_prefix(&s, &c);
	prefix_len = s.len;
	fp_str_addc(&s, '_');
	ja4h_headers(&s, &c);
	head_len = s.len;
	ja4h_cookie_part(&s, &c, c.sorted, &names_off, &pairs_off);
	if (s.overflow)
		return -E2BIG;
	err = fp_hash12(scratch + prefix_len + 1, head_len - prefix_len - 1, h[0]);
	if (!err)	/* the sections end at the next '_' */
		err = fp_hash12(scratch + names_off, pairs_off - 1 - names_off, h[1]);
	if (!err)
		err = fp_hash12(scratch + pairs_off, s.len - pairs_off, h[2]);
	if (err)
		return err;
	fp_copy_raw(out->ja4h_r, sizeof(out->ja4h_r), &s);

	/* ja4h_ro: the same with the cookies in wire order */
	if (c.n_cookies < 2) {
		fp_copy_raw(out->ja4h_ro, sizeof(out->ja4h_ro), &s);
	} else {
		fp_str_init(&o, out->ja4h_ro, sizeof(out->ja4h_ro));
		fp_str_add(&o, scratch, head_len);
		ja4h_cookie_part(&o, &c, c.cookies, &names_off, &pairs_off);
		if (o.overflow)
			out->ja4h_ro[0] = '\0';
	}

	fp_str_init(&o, out->ja4h, sizeof(out->ja4h));
	fp_str_add(&o, scratch, prefix_len);
	for (int i = 0; i < 3; i++) {
		fp_str_addc(&o, '_');
		fp_str_add(&o, h[i], FP_HASH12_LEN);
	}
	return o.overflow ? -E2BIG : 0;
}
