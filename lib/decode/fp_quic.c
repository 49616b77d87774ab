// SPDX-License-Identifier: BSD-3-Clause
/* QUIC v1 Initial decryption: see fp_quic.h. Cryptography from OpenSSL's libcrypto. */
#include <errno.h>
#include <stdbool.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/evp.h>

#include "fp_quic.h"

#define QUIC_V1 0x00000001u
#define QUIC_TAG_LEN 16
#define QUIC_SAMPLE_LEN 16

/* RFC 9001 5.2 */
static const uint8_t quic_v1_salt[20] = {
	0x38, 0x76, 0x2c, 0xf7, 0xf5, 0x59, 0x34, 0xb3, 0x4d, 0x17,
	0x9a, 0xe6, 0xa4, 0xc8, 0x0c, 0xad, 0xcc, 0xbb, 0x7f, 0x0a,
};

struct quic_keys {
	uint8_t key[16], iv[12], hp[16];
};

struct quic_rd {
	const uint8_t *p;
	size_t len, pos;
};

static bool rd_varint(struct quic_rd *r, uint64_t *v)
{
	size_t n, i;

	if (r->pos >= r->len)
		return false;
	n = (size_t)1 << (r->p[r->pos] >> 6);
	if (n > r->len - r->pos)
		return false;
	*v = r->p[r->pos] & 0x3f;
	for (i = 1; i < n; i++)
		*v = *v << 8 | r->p[r->pos + i];
	r->pos += n;
	return true;
}

static bool rd_skip(struct quic_rd *r, uint64_t n)
{
	if (n > r->len - r->pos)
		return false;
	r->pos += (size_t)n;
	return true;
}

bool fp_quic_is_initial(const uint8_t *d, size_t len)
{
	/* long header, fixed bit, type Initial (0), version 1 */
	return len >= 7 && (d[0] & 0xf0) == 0xc0 &&
	       ((uint32_t)d[1] << 24 | (uint32_t)d[2] << 16 | (uint32_t)d[3] << 8 | d[4]) ==
		       QUIC_V1;
}

/* An HMAC-SHA256 context, keyed when key is not NULL; NULL on failure. */
static EVP_MAC_CTX *quic_hmac_new(const uint8_t *key, size_t key_len)
{
	OSSL_PARAM params[] = {
		OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, "SHA256", 0),
		OSSL_PARAM_construct_end(),
	};
	EVP_MAC *mac = EVP_MAC_fetch(NULL, "HMAC", NULL);
	EVP_MAC_CTX *ctx = mac ? EVP_MAC_CTX_new(mac) : NULL;

	EVP_MAC_free(mac);	/* the context holds its own reference */
	if (ctx && (!EVP_MAC_CTX_set_params(ctx, params) ||
		    (key && !EVP_MAC_init(ctx, key, key_len, NULL)))) {
		EVP_MAC_CTX_free(ctx);
		ctx = NULL;
	}
	return ctx;
}

/* Fetch the algorithms and make the contexts on first use; 0 or -ENOMEM. */
static int quic_ciphers_get(struct fp_quic_ciphers *c)
{
	if (c->extract && c->hmac && c->ecb && c->gcm && c->cipher)
		return 0;
	if (!c->extract)
		c->extract = quic_hmac_new(quic_v1_salt, sizeof(quic_v1_salt));
	if (!c->hmac)
		c->hmac = quic_hmac_new(NULL, 0);
	if (!c->ecb)
		c->ecb = EVP_CIPHER_fetch(NULL, "AES-128-ECB", NULL);
	if (!c->gcm)
		c->gcm = EVP_CIPHER_fetch(NULL, "AES-128-GCM", NULL);
	if (!c->cipher)
		c->cipher = EVP_CIPHER_CTX_new();
	return c->extract && c->hmac && c->ecb && c->gcm && c->cipher ? 0 : -ENOMEM;
}

void fp_quic_fini(struct fp_quic_initial *q)
{
	struct fp_quic_ciphers *c = &q->ciphers;

	EVP_MAC_CTX_free(c->extract);
	EVP_MAC_CTX_free(c->hmac);
	EVP_CIPHER_free(c->ecb);
	EVP_CIPHER_free(c->gcm);
	EVP_CIPHER_CTX_free(c->cipher);
	memset(c, 0, sizeof(*c));
}

/*
 * HMAC(key, data) into out (32 bytes). key NULL: the context's last key again, which
 * OpenSSL restarts from its kept state instead of keying anew (half the cost).
 */
static int quic_hmac(EVP_MAC_CTX *ctx, const uint8_t *key, size_t key_len, const uint8_t *data,
		     size_t len, uint8_t out[32])
{
	size_t out_len = 0;

	if (!EVP_MAC_init(ctx, key, key_len, NULL) || !EVP_MAC_update(ctx, data, len) ||
	    !EVP_MAC_final(ctx, out, &out_len, 32) || out_len != 32)
		return -ENOMEM;
	return 0;
}

/* HKDF-Expand-Label (RFC 8446 7.1) for outputs of at most one SHA-256 block; secret NULL:
 * the secret of the previous call. */
static int quic_expand_label(struct fp_quic_ciphers *c, const uint8_t *secret,
			     const char *label, uint8_t *out, size_t out_len)
{
	uint8_t info[2 + 1 + 32 + 1 + 1], block[32];
	size_t label_len = strlen("tls13 ") + strlen(label), n = 0;

	info[n++] = 0;
	info[n++] = (uint8_t)out_len;
	info[n++] = (uint8_t)label_len;
	memcpy(info + n, "tls13 ", 6);
	memcpy(info + n + 6, label, strlen(label));
	n += label_len;
	info[n++] = 0;		/* empty context */
	info[n++] = 1;		/* T(1) */
	if (quic_hmac(c->hmac, secret, secret ? 32 : 0, info, n, block))
		return -ENOMEM;
	memcpy(out, block, out_len);
	return 0;
}

static int quic_initial_keys(struct fp_quic_ciphers *c, const uint8_t *dcid, size_t dcid_len,
			     bool server, struct quic_keys *k)
{
	uint8_t initial[32], secret[32];

	/* HKDF-Extract(salt, DCID) is HMAC(salt, DCID) */
	if (quic_hmac(c->extract, NULL, 0, dcid, dcid_len, initial) ||
	    quic_expand_label(c, initial, server ? "server in" : "client in", secret, 32) ||
	    quic_expand_label(c, secret, "quic key", k->key, sizeof(k->key)) ||
	    quic_expand_label(c, NULL, "quic iv", k->iv, sizeof(k->iv)) ||
	    quic_expand_label(c, NULL, "quic hp", k->hp, sizeof(k->hp)))
		return -ENOMEM;
	return 0;
}

static int quic_hp_mask(struct fp_quic_ciphers *c, const uint8_t hp[16], const uint8_t *sample,
			uint8_t mask[16])
{
	int n = 0;

	return EVP_EncryptInit_ex2(c->cipher, c->ecb, hp, NULL, NULL) &&
	       EVP_CIPHER_CTX_set_padding(c->cipher, 0) &&
	       EVP_EncryptUpdate(c->cipher, mask, &n, sample, QUIC_SAMPLE_LEN) &&
	       n == QUIC_SAMPLE_LEN ? 0 : -EBADMSG;
}

static int quic_open(struct fp_quic_ciphers *c, const struct quic_keys *k, uint64_t pn,
		     const uint8_t *aad, size_t aad_len, const uint8_t *ct, size_t ct_len,
		     uint8_t *out)
{
	uint8_t nonce[12];
	int n = 0, fin = 0, i;

	memcpy(nonce, k->iv, sizeof(nonce));
	for (i = 0; i < 8; i++)
		nonce[11 - i] ^= (uint8_t)(pn >> (8 * i));
	return EVP_DecryptInit_ex2(c->cipher, c->gcm, k->key, nonce, NULL) &&
	       EVP_DecryptUpdate(c->cipher, NULL, &n, aad, (int)aad_len) &&
	       EVP_DecryptUpdate(c->cipher, out, &n, ct, (int)(ct_len - QUIC_TAG_LEN)) &&
	       EVP_CIPHER_CTX_ctrl(c->cipher, EVP_CTRL_GCM_SET_TAG, QUIC_TAG_LEN,
				   (void *)(ct + ct_len - QUIC_TAG_LEN)) &&
	       EVP_DecryptFinal_ex(c->cipher, out + n, &fin) ? 0 : -EBADMSG;
}

/* By offset, equal offsets kept in packet order; an Initial carries a handful of frames. */
static void quic_sort_crypto(struct fp_quic_crypto *v, size_t n)
{
	for (size_t i = 1; i < n; i++) {
		struct fp_quic_crypto x = v[i];
		size_t j = i;

		for (; j > 0 && v[j - 1].off > x.off; j--)
			v[j] = v[j - 1];
		v[j] = x;
	}
}

/* The first non-zero byte at or after pos (len when none), eight bytes at a time. */
static size_t quic_skip_zeros(const uint8_t *p, size_t pos, size_t len)
{
	uint64_t w;

	for (; pos + 8 <= len; pos += 8) {
		memcpy(&w, p + pos, 8);
		if (w)
			break;
	}
	while (pos < len && !p[pos])
		pos++;
	return pos;
}

/* The frames of a decrypted Initial payload: CRYPTO kept, PADDING, PING and ACK skipped. */
static int quic_frames(const uint8_t *p, size_t len, struct fp_quic_initial *out)
{
	struct quic_rd r = { .p = p, .len = len };
	uint64_t type, v, n, i, off, flen;

	out->n_crypto = 0;
	while (r.pos < r.len) {
		if (!rd_varint(&r, &type))
			return -EBADMSG;
		switch (type) {
		case 0x00:	/* PADDING: most of a client's Initial, skipped as one run */
			r.pos = quic_skip_zeros(p, r.pos, r.len);
			break;
		case 0x01:	/* PING */
			break;
		case 0x02:	/* ACK: largest, delay, range count, first range, ranges */
		case 0x03:	/* ACK with ECN counts */
			if (!rd_varint(&r, &v) || !rd_varint(&r, &v) || !rd_varint(&r, &n) ||
			    !rd_varint(&r, &v))
				return -EBADMSG;
			for (i = 0; i < 2 * n + (type == 0x03 ? 3 : 0); i++)
				if (!rd_varint(&r, &v))
					return -EBADMSG;
			break;
		case 0x06:	/* CRYPTO */
			if (!rd_varint(&r, &off) || !rd_varint(&r, &flen) || flen > r.len - r.pos)
				return -EBADMSG;
			if (out->n_crypto == FP_QUIC_MAX_FRAMES)
				return -E2BIG;
			out->crypto[out->n_crypto++] = (struct fp_quic_crypto){
				.off = off, .data = p + r.pos, .len = (size_t)flen };
			r.pos += (size_t)flen;
			break;
		default:	/* CONNECTION_CLOSE, or a frame an Initial may not carry */
			r.pos = r.len;
			break;
		}
	}
	quic_sort_crypto(out->crypto, out->n_crypto);
	return 0;
}

int fp_quic_open_initial(const uint8_t *d, size_t len, const uint8_t *odcid, size_t odcid_len,
			 bool server, struct fp_quic_initial *out)
{
	struct quic_rd r = { .p = d, .len = len, .pos = 5 };
	uint8_t *hdr = out->header, mask[16];
	uint64_t token_len, plen, pn = 0;
	const uint8_t *dcid;
	struct quic_keys k;
	size_t dcid_len, pn_off, pn_len, i;
	int err;

	if (!fp_quic_is_initial(d, len))
		return -EBADMSG;
	dcid_len = d[r.pos++];
	if (dcid_len > 20 || !rd_skip(&r, dcid_len))
		return -EBADMSG;
	dcid = d + 6;
	memcpy(out->dcid, dcid, dcid_len);
	out->dcid_len = (uint8_t)dcid_len;
	if (r.pos >= len || d[r.pos] > 20 || !rd_skip(&r, 1 + (uint64_t)d[r.pos]))
		return -EBADMSG;	/* SCID */
	if (!rd_varint(&r, &token_len) || !rd_skip(&r, token_len) || !rd_varint(&r, &plen))
		return -EBADMSG;
	pn_off = r.pos;
	if (plen > len - pn_off || plen < 4 + QUIC_SAMPLE_LEN)
		return -EBADMSG;
	if (plen > sizeof(out->plain) || pn_off + 4 > sizeof(out->header))
		return -E2BIG;

	err = quic_ciphers_get(&out->ciphers);
	if (!err)
		err = odcid ? quic_initial_keys(&out->ciphers, odcid, odcid_len, server, &k) :
			      quic_initial_keys(&out->ciphers, dcid, dcid_len, server, &k);
	if (!err)
		err = quic_hp_mask(&out->ciphers, k.hp, d + pn_off + 4, mask);
	if (err)
		return err;
	memcpy(hdr, d, pn_off + 4);
	hdr[0] ^= mask[0] & 0x0f;
	pn_len = (size_t)(hdr[0] & 3) + 1;
	for (i = 0; i < pn_len; i++) {
		hdr[pn_off + i] ^= mask[1 + i];
		pn = pn << 8 | hdr[pn_off + i];
	}
	if (plen < pn_len + QUIC_TAG_LEN)
		return -EBADMSG;
	err = quic_open(&out->ciphers, &k, pn, hdr, pn_off + pn_len, d + pn_off + pn_len,
			(size_t)plen - pn_len, out->plain);
	if (err)
		return err;
	return quic_frames(out->plain, (size_t)plen - pn_len - QUIC_TAG_LEN, out);
}
