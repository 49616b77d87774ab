// SPDX-License-Identifier: BSD-3-Clause
/*
 * HTTP/1.x request head parser (RFC 9112): request line and header fields, CRLF or bare LF
 * line ends, obs-fold continuation lines joined to the previous field. Nothing is copied:
 * the result is spans into the caller's buffer.
 */
#include <errno.h>
#include <string.h>
#include <strings.h>

#include "fp_internal.h"

#define HTTP_METHOD_MAX 32

/* RFC 9110 5.6.2 tchar: looked up, it is asked of every byte of every header name */
static const bool http_tchar[256] = {
	['0' ... '9'] = true, ['A' ... 'Z'] = true, ['a' ... 'z'] = true,
	['!'] = true, ['#'] = true, ['$'] = true, ['%'] = true, ['&'] = true, ['\''] = true,
	['*'] = true, ['+'] = true, ['-'] = true, ['.'] = true, ['^'] = true, ['_'] = true,
	['`'] = true, ['|'] = true, ['~'] = true,
};

static inline bool http_is_tchar(uint8_t c)
{
	return http_tchar[c];
}

static bool http_is_ows(uint8_t c)
{
	return c == ' ' || c == '\t';
}

struct http_line {
	size_t start, end;	/* content, without the line end */
	size_t next;		/* first byte of the next line */
};

/* The next line from pos, looking no further than limit; -EAGAIN/-E2BIG when none. */
static int http_next_line(const uint8_t *buf, size_t pos, size_t len, struct http_line *l)
{
	size_t limit = len < FP_HTTP_MAX_HEAD ? len : FP_HTTP_MAX_HEAD;
	const uint8_t *nl = pos < limit ? memchr(buf + pos, '\n', limit - pos) : NULL;

	if (!nl)
		return len >= FP_HTTP_MAX_HEAD ? -E2BIG : -EAGAIN;
	l->start = pos;
	l->next = (size_t)(nl - buf) + 1;
	l->end = l->next - 1;
	if (l->end > l->start && buf[l->end - 1] == '\r')
		l->end--;
	return 0;
}

static struct fp_span http_span(size_t start, size_t end)
{
	return (struct fp_span){ .off = (uint32_t)start, .len = (uint32_t)(end - start) };
}

/* Reject what is not a request as soon as the method shows it, before the line is whole. */
static int http_check_method(const uint8_t *buf, size_t pos, size_t len)
{
	size_t i = pos;

	while (i < len && i - pos <= HTTP_METHOD_MAX && http_is_tchar(buf[i]))
		i++;
	if (i - pos > HTTP_METHOD_MAX)
		return -EBADMSG;
	if (i == len)
		return -EAGAIN;
	return i > pos && buf[i] == ' ' ? 0 : -EBADMSG;
}

/*
 * The end of the request target: its first space, control byte or DEL. Targets run to
 * hundreds of bytes, so eight are looked at a time: a word without a byte below 0x21 and
 * without 0x7f is skipped whole (the has-less-than test of "Bit Twiddling Hacks" tells
 * exactly whether there is one).
 */
static size_t http_target_end(const uint8_t *buf, size_t i, size_t end)
{
	const uint64_t ones = 0x0101010101010101ull, highs = 0x8080808080808080ull;

	for (; i + 8 <= end; i += 8) {
		uint64_t w, del;

		memcpy(&w, buf + i, sizeof(w));
		del = w ^ (0x7f * ones);
		if (((w - 0x21 * ones) & ~w & highs) | ((del - ones) & ~del & highs))
			break;
	}
	while (i < end && buf[i] > ' ' && buf[i] != 0x7f)
		i++;
	return i;
}

static int http_parse_request_line(const uint8_t *buf, const struct http_line *l,
				   struct fp_http_request *out)
{
	size_t i = l->start, s;

	while (i < l->end && http_is_tchar(buf[i]))
		i++;
	out->method = http_span(l->start, i);
	while (i < l->end && buf[i] == ' ')
		i++;
	s = i;
	i = http_target_end(buf, i, l->end);
	if (i == s || i == l->end || buf[i] != ' ')
		return -EBADMSG;
	out->target = http_span(s, i);
	while (i < l->end && buf[i] == ' ')
		i++;
	s = i;
	if (l->end - s < 6 || memcmp(buf + s, "HTTP/", 5))
		return -EBADMSG;
	for (i = s + 5; i < l->end && ((buf[i] >= '0' && buf[i] <= '9') || buf[i] == '.'); i++)
		;
	out->version = http_span(s, i);
	while (i < l->end && http_is_ows(buf[i]))
		i++;
	return i == l->end ? 0 : -EBADMSG;
}

/* An obs-fold line: its text joins the previous field's value. */
static int http_fold(const uint8_t *buf, const struct http_line *l, struct fp_http_request *out)
{
	struct fp_span *v;
	size_t s = l->start, e = l->end;

	if (out->n_headers == 0)
		return -EBADMSG;
	v = &out->headers[out->n_headers - 1].value;
	while (s < e && http_is_ows(buf[s]))
		s++;
	while (e > s && http_is_ows(buf[e - 1]))
		e--;
	if (s == e)
		return 0;
	if (v->len == 0)
		v->off = (uint32_t)s;
	v->len = (uint32_t)(e - v->off);
	return 0;
}

static int http_field(const uint8_t *buf, const struct http_line *l, struct fp_http_request *out)
{
	struct fp_http_header *h;
	size_t i = l->start, s, e;

	while (i < l->end && http_is_tchar(buf[i]))
		i++;
	/* a name is a token right before the colon: no space before it (request smuggling) */
	if (i == l->start || i == l->end || buf[i] != ':')
		return -EBADMSG;
	if (out->n_headers >= FP_HTTP_MAX_HEADERS)
		return -E2BIG;
	h = &out->headers[out->n_headers++];
	h->name = http_span(l->start, i);
	s = i + 1;
	e = l->end;
	while (s < e && http_is_ows(buf[s]))
		s++;
	while (e > s && http_is_ows(buf[e - 1]))
		e--;
	h->value = http_span(s, e);
	return 0;
}

int fp_http_parse_request(const uint8_t *buf, size_t len, struct fp_http_request *out)
{
	struct http_line l;
	size_t pos = 0;
	int err;

	out->n_headers = 0;
	out->head_len = 0;
	/* RFC 9112 2.2: empty lines before the request line are ignored */
	while (pos < len && pos < FP_HTTP_MAX_HEAD && (buf[pos] == '\r' || buf[pos] == '\n'))
		pos++;
	err = http_check_method(buf, pos, len);
	if (!err)
		err = http_next_line(buf, pos, len, &l);
	if (!err)
		err = http_parse_request_line(buf, &l, out);
	while (!err) {
		pos = l.next;
		err = http_next_line(buf, pos, len, &l);
		if (err)
			break;
		if (l.start == l.end) {
			out->head_len = (uint32_t)l.next;
			return 0;
		}
		if (http_is_ows(buf[l.start]))
			err = http_fold(buf, &l, out);
		else
			err = http_field(buf, &l, out);
	}
	return err;
}

static const struct {
	const char *name;
	size_t len;
} http_methods[] = {
#define HTTP_METHOD(m) { m, sizeof(m) - 1 }
	HTTP_METHOD("GET"), HTTP_METHOD("POST"), HTTP_METHOD("HEAD"), HTTP_METHOD("PUT"),
	HTTP_METHOD("DELETE"), HTTP_METHOD("OPTIONS"), HTTP_METHOD("PATCH"),
	HTTP_METHOD("CONNECT"), HTTP_METHOD("TRACE"), HTTP_METHOD("PROPFIND"),
	HTTP_METHOD("PROPPATCH"), HTTP_METHOD("MKCOL"), HTTP_METHOD("COPY"), HTTP_METHOD("MOVE"),
	HTTP_METHOD("LOCK"), HTTP_METHOD("UNLOCK"), HTTP_METHOD("REPORT"),
#undef HTTP_METHOD
};

bool fp_http_looks_like_request(const uint8_t *buf, size_t len)
{
	for (size_t i = 0; i < sizeof(http_methods) / sizeof(http_methods[0]); i++) {
		size_t n = http_methods[i].len;

		if (len > n && buf[n] == ' ' && !memcmp(buf, http_methods[i].name, n))
			return true;
	}
	return false;
}

bool fp_http_span_equals(const uint8_t *buf, struct fp_span s, const char *str)
{
	return fp_http_span_equals_n(buf, s, str, strlen(str));
}

const struct fp_http_header *fp_http_find_header(const uint8_t *buf,
						 const struct fp_http_request *req,
						 const char *name)
{
	size_t len = strlen(name);

	for (size_t i = 0; i < req->n_headers; i++)
		if (fp_http_span_equals_n(buf, req->headers[i].name, name, len))
			return &req->headers[i];
	return NULL;
}

const char *fp_http_value_text(const uint8_t *buf, struct fp_span v, char *out, size_t size,
			       size_t *len)
{
	const uint8_t *p = buf + v.off;

	if (v.len < size && !memchr(p, '\n', v.len) && !memchr(p, '\r', v.len)) {
		*len = v.len;
		return (const char *)p;
	}
	*len = fp_http_copy_value(buf, v, out, size);
	return out;
}

size_t fp_http_copy_value(const uint8_t *buf, struct fp_span v, char *out, size_t size)
{
	size_t n = 0;

	if (!size)
		return 0;
	for (size_t i = v.off; i < (size_t)v.off + v.len && n + 1 < size; i++) {
		/* an obs-fold (line end and the whitespace around it) reads as one space */
		if (buf[i] == '\r' || buf[i] == '\n') {
			while (n && http_is_ows((uint8_t)out[n - 1]))
				n--;
			while (i + 1 < (size_t)v.off + v.len && (buf[i + 1] == '\r' ||
			       buf[i + 1] == '\n' || http_is_ows(buf[i + 1])))
				i++;
			out[n++] = ' ';
			continue;
		}
		out[n++] = (char)buf[i];
	}
	out[n] = '\0';
	return n;
}
