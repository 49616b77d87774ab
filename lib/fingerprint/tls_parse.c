// SPDX-License-Identifier: BSD-3-Clause
/*
 * TLS ClientHello / ServerHello parser.
 *
 * The hello is read through a cursor that walks the TLS record layer, so a handshake
 * message split over several records is parsed in place without being copied. Every read
 * past the bytes we have sets -EAGAIN; every length that disagrees with an enclosing
 * length sets -EBADMSG. Lengths are only ever compared with other declared lengths, never
 * with how much data we have, so a valid hello cut at any point gives -EAGAIN.
 */
#include <errno.h>
#include <string.h>

#include "fp_internal.h"

#define TLS_CT_HANDSHAKE 22
#define TLS_HS_CLIENT_HELLO 1
#define TLS_HS_SERVER_HELLO 2
#define TLS_RECORD_HDR 5
#define TLS_RECORD_MAX (16384 + 2048)	/* TLSCiphertext bound; plaintext is 2^14 */
#define TLS_RANDOM_LEN 32
#define TLS_SESSION_ID_MAX 32

#define EXT_SERVER_NAME 0
#define EXT_SUPPORTED_GROUPS 10
#define EXT_EC_POINT_FORMATS 11
#define EXT_SIGNATURE_ALGORITHMS 13
#define EXT_ALPN 16
#define EXT_SUPPORTED_VERSIONS 43

struct tls_rd {
	const uint8_t *buf;
	size_t len;
	size_t pos;		/* next byte in buf */
	size_t rec_left;	/* bytes left in the current record */
	bool records;		/* buf is a record stream (else a bare handshake message) */
	size_t off;		/* handshake bytes read so far */
	int err;
};

/* Make at least one handshake byte available at pos; returns how many are. */
static size_t rd_avail(struct tls_rd *r)
{
	while (!r->err && r->rec_left == 0) {
		const uint8_t *h = r->buf + r->pos;

		if (!r->records || r->pos >= r->len) {
			r->err = -EAGAIN;
			break;
		}
		/* validate what we have of the record header before asking for more */
		if (h[0] != TLS_CT_HANDSHAKE || (r->len - r->pos > 1 && h[1] != 3)) {
			r->err = -EBADMSG;
			break;
		}
		if (r->len - r->pos < TLS_RECORD_HDR) {
			r->err = -EAGAIN;
			break;
		}
		r->rec_left = (size_t)h[3] << 8 | h[4];
		if (r->rec_left == 0 || r->rec_left > TLS_RECORD_MAX) {
			r->err = -EBADMSG;
			break;
		}
		r->pos += TLS_RECORD_HDR;
	}
	if (r->err)
		return 0;
	if (r->pos >= r->len) {
		r->err = -EAGAIN;
		return 0;
	}
	return r->rec_left < r->len - r->pos ? r->rec_left : r->len - r->pos;
}

/* Are n bytes there in the current record? Most reads are, and take no loop. */
static inline bool rd_fast(const struct tls_rd *r, size_t n)
{
	return !r->err && r->rec_left >= n && r->len - r->pos >= n;
}

static inline void rd_advance(struct tls_rd *r, size_t n)
{
	r->pos += n;
	r->rec_left -= n;
	r->off += n;
}

/* Read n bytes into dst (or skip them when dst is NULL). */
static void rd_bytes(struct tls_rd *r, void *dst, size_t n)
{
	uint8_t *d = dst;

	while (n && !r->err) {
		size_t k = rd_avail(r);

		if (k > n)
			k = n;
		if (d) {
			memcpy(d, r->buf + r->pos, k);
			d += k;
		}
		rd_advance(r, k);
		n -= k;
	}
}

static unsigned rd_u8(struct tls_rd *r)
{
	uint8_t b = 0;

	if (rd_fast(r, 1)) {
		b = r->buf[r->pos];
		rd_advance(r, 1);
		return b;
	}
	rd_bytes(r, &b, 1);
	return r->err ? 0 : b;
}

static unsigned rd_u16(struct tls_rd *r)
{
	uint8_t b[2] = { 0, 0 };

	if (rd_fast(r, 2)) {
		const uint8_t *p = r->buf + r->pos;

		rd_advance(r, 2);
		return (unsigned)p[0] << 8 | p[1];
	}
	rd_bytes(r, b, 2);
	return r->err ? 0 : (unsigned)b[0] << 8 | b[1];
}

static size_t rd_u24(struct tls_rd *r)
{
	uint8_t b[3] = { 0, 0, 0 };

	rd_bytes(r, b, 3);
	return r->err ? 0 : (size_t)b[0] << 16 | (size_t)b[1] << 8 | b[2];
}

/* Open a length-prefixed vector of lsize (1 or 2) bytes that must end by 'outer'. */
static size_t rd_vec(struct tls_rd *r, unsigned lsize, size_t outer)
{
	size_t n = lsize == 1 ? rd_u8(r) : rd_u16(r);

	if (!r->err && r->off + n > outer)
		r->err = -EBADMSG;
	return r->err ? 0 : r->off + n;
}

/* Finish a structure that must end at 'end': skip what we did not look at. */
static void rd_end(struct tls_rd *r, size_t end)
{
	if (r->err)
		return;
	if (r->off > end)
		r->err = -EBADMSG;
	else
		rd_bytes(r, NULL, end - r->off);
}

static void rd_u16_list(struct tls_rd *r, size_t end, uint16_t *out, uint16_t *n)
{
	*n = 0;
	if (!r->err && (end - r->off) % 2)
		r->err = -EBADMSG;
	if (!r->err && (end - r->off) / 2 > FP_TLS_MAX_LIST)
		r->err = -E2BIG;
	while (!r->err && r->off < end) {
		/* the values available in this record, read in place; one split over two
		 * records goes through rd_u16 */
		size_t k = rd_avail(r), want = end - r->off;
		const uint8_t *p = r->buf + r->pos;

		if (k > want)
			k = want;
		k &= ~(size_t)1;
		if (k == 0) {
			unsigned v = rd_u16(r);

			if (!r->err)
				out[(*n)++] = (uint16_t)v;
			continue;
		}
		for (size_t i = 0; i < k; i += 2)
			out[(*n)++] = (uint16_t)(p[i] << 8 | p[i + 1]);
		rd_advance(r, k);
	}
}

static void parse_sni(struct tls_rd *r, size_t end, struct fp_tls_hello *h)
{
	size_t list_end;

	h->has_sni = true;
	h->sni[0] = '\0';
	if (r->off == end)	/* empty: the ServerHello's acknowledgement */
		return;
	list_end = rd_vec(r, 2, end);
	while (!r->err && r->off < list_end) {
		unsigned type = rd_u8(r);
		size_t name_end = rd_vec(r, 2, list_end);

		if (r->err)
			break;
		if (type == 0 && h->sni[0] == '\0') {	/* the first host_name */
			size_t n = name_end - r->off;
			size_t keep = n < sizeof(h->sni) - 1 ? n : sizeof(h->sni) - 1;

			rd_bytes(r, h->sni, keep);
			h->sni[r->err ? 0 : keep] = '\0';
		}
		rd_end(r, name_end);
	}
	rd_end(r, list_end);
}

static void parse_alpn(struct tls_rd *r, size_t end, struct fp_tls_hello *h)
{
	size_t list_end = rd_vec(r, 2, end);

	while (!r->err && r->off < list_end) {
		size_t v_end = rd_vec(r, 1, list_end);
		struct fp_tls_alpn *a = &h->alpn_last;

		if (r->err)
			break;
		a->len = (uint8_t)(v_end - r->off);
		rd_bytes(r, a->value, a->len);
		if (!r->err && h->n_alpn < FP_TLS_MAX_ALPN)
			h->alpn[h->n_alpn] = *a;
		if (!r->err && h->n_alpn < UINT16_MAX)
			h->n_alpn++;
	}
}

static void parse_ec_point_formats(struct tls_rd *r, size_t end, struct fp_tls_hello *h)
{
	size_t list_end = rd_vec(r, 1, end);

	h->n_ec_point_formats = (uint16_t)(list_end ? list_end - r->off : 0);
	rd_bytes(r, h->ec_point_formats, h->n_ec_point_formats);
	if (r->err)
		h->n_ec_point_formats = 0;
}

static void parse_extension(struct tls_rd *r, unsigned type, size_t end, struct fp_tls_hello *h)
{
	/* a zero-length body of a list extension is taken as an empty list */
	bool empty = r->off == end;

	switch (type) {
	case EXT_SERVER_NAME:
		parse_sni(r, end, h);
		break;
	case EXT_SUPPORTED_GROUPS:
		if (!empty)
			rd_u16_list(r, rd_vec(r, 2, end), h->groups, &h->n_groups);
		break;
	case EXT_EC_POINT_FORMATS:
		if (!empty)
			parse_ec_point_formats(r, end, h);
		break;
	case EXT_SIGNATURE_ALGORITHMS:
		if (!empty)
			rd_u16_list(r, rd_vec(r, 2, end), h->sig_algs, &h->n_sig_algs);
		break;
	case EXT_ALPN:
		if (!empty)
			parse_alpn(r, end, h);
		break;
	case EXT_SUPPORTED_VERSIONS:
		if (empty)
			break;
		/* a list in a ClientHello, the selected version in a ServerHello */
		if (h->client)
			rd_u16_list(r, rd_vec(r, 1, end), h->versions, &h->n_versions);
		else
			rd_u16_list(r, end, h->versions, &h->n_versions);
		break;
	default:
		break;
	}
	rd_end(r, end);
}

static void parse_extensions(struct tls_rd *r, size_t msg_end, struct fp_tls_hello *h)
{
	size_t end;

	if (r->err || r->off == msg_end)	/* extensions are optional before TLS 1.2 */
		return;
	end = rd_vec(r, 2, msg_end);
	while (!r->err && r->off < end) {
		unsigned type = rd_u16(r);
		size_t ext_end = rd_vec(r, 2, end);

		if (r->err)
			break;
		if (h->n_extensions >= FP_TLS_MAX_LIST) {
			r->err = -E2BIG;
			break;
		}
		h->extensions[h->n_extensions++] = (uint16_t)type;
		parse_extension(r, type, ext_end, h);
	}
	rd_end(r, end);
	rd_end(r, msg_end);	/* nothing may follow the extensions */
}

static void parse_hello_body(struct tls_rd *r, size_t end, struct fp_tls_hello *h)
{
	size_t v_end;

	h->legacy_version = (uint16_t)rd_u16(r);
	rd_bytes(r, NULL, TLS_RANDOM_LEN);
	v_end = rd_vec(r, 1, end);	/* session id */
	if (!r->err && v_end - r->off > TLS_SESSION_ID_MAX)
		r->err = -EBADMSG;
	rd_end(r, v_end);
	if (h->client) {
		v_end = rd_vec(r, 2, end);
		rd_u16_list(r, v_end, h->ciphers, &h->n_ciphers);
		rd_end(r, rd_vec(r, 1, end));	/* compression methods */
	} else {
		h->ciphers[0] = (uint16_t)rd_u16(r);
		h->n_ciphers = 1;
		rd_u8(r);			/* compression method */
	}
	if (!r->err && r->off > end)
		r->err = -EBADMSG;
	parse_extensions(r, end, h);
}

static int parse_message(struct tls_rd *r, struct fp_tls_hello *out)
{
	unsigned type;
	size_t body_len, end;

	/* reset the counts only: the lists are large and only read up to their counts */
	out->client = false;
	out->record_version = 0;
	out->legacy_version = 0;
	out->n_ciphers = out->n_extensions = out->n_groups = out->n_ec_point_formats = 0;
	out->n_sig_algs = out->n_versions = out->n_alpn = 0;
	out->has_sni = false;
	out->sni[0] = '\0';
	out->alpn_last.len = 0;

	type = rd_u8(r);
	if (r->err)
		return r->err;
	if (type != TLS_HS_CLIENT_HELLO && type != TLS_HS_SERVER_HELLO)
		return -EBADMSG;
	out->client = type == TLS_HS_CLIENT_HELLO;
	body_len = rd_u24(r);
	if (r->err)
		return r->err;
	if (body_len > FP_TLS_MAX_HANDSHAKE)
		return -E2BIG;
	end = r->off + body_len;
	parse_hello_body(r, end, out);
	return r->err;
}

int fp_tls_parse_hello(const uint8_t *stream, size_t len, struct fp_tls_hello *out,
		       size_t *consumed)
{
	struct tls_rd r = { .buf = stream, .len = len, .records = true };
	int err = parse_message(&r, out);

	if (err)
		return err;
	/* the first record's */
	out->record_version = (uint16_t)(stream[1] << 8 | stream[2]);
	if (consumed)
		*consumed = r.pos;
	return 0;
}

int fp_tls_parse_handshake(const uint8_t *msg, size_t len, struct fp_tls_hello *out)
{
	struct tls_rd r = { .buf = msg, .len = len, .rec_left = len };

	return parse_message(&r, out);
}

bool fp_tls_looks_like_handshake(const uint8_t *buf, size_t len)
{
	return len >= 3 && buf[0] == TLS_CT_HANDSHAKE && buf[1] == 3 && buf[2] <= 4;
}
