/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * QUIC version 1 Initial packets (RFC 9000, RFC 9001) (decode-internal): their keys come from
 * the Destination Connection ID of the client's first Initial, so the CRYPTO frames that carry
 * the TLS ClientHello and ServerHello can be read by anyone who saw that packet.
 */
#ifndef FP_QUIC_H
#define FP_QUIC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <openssl/types.h>

/* decode-internal: not exported from the library */
#pragma GCC visibility push(hidden)

#define FP_QUIC_MAX_PACKET 1600		/* an Initial fits in one datagram of at most this */
#define FP_QUIC_MAX_FRAMES 64

struct fp_quic_crypto {
	uint64_t off;
	const uint8_t *data;		/* into fp_quic_initial.plain */
	size_t len;
};

/* libcrypto objects made on the first Initial and kept: fetching an algorithm and setting up a
 * context cost more than deriving the keys and opening a packet with them */
struct fp_quic_ciphers {
	EVP_MAC_CTX *extract;		/* HMAC-SHA256 keyed once with the v1 salt */
	EVP_MAC_CTX *hmac;		/* HMAC-SHA256, keyed per secret */
	EVP_CIPHER *ecb, *gcm;		/* AES-128: header protection, packet protection */
	EVP_CIPHER_CTX *cipher;
};

struct fp_quic_initial {
	struct fp_quic_ciphers ciphers;
	uint8_t dcid[20];			/* the packet's Destination Connection ID */
	uint8_t dcid_len;
	uint8_t header[FP_QUIC_MAX_PACKET];	/* unprotected header: the AEAD's AAD */
	uint8_t plain[FP_QUIC_MAX_PACKET];
	size_t n_crypto;
	struct fp_quic_crypto crypto[FP_QUIC_MAX_FRAMES];	/* sorted by offset */
};

/* Is this datagram's first packet a QUIC v1 long-header Initial? */
bool fp_quic_is_initial(const uint8_t *dgram, size_t len);

/*
 * Remove header protection from and decrypt the first packet of the datagram with the client's
 * (server false) or the server's Initial keys derived from odcid, the client's original DCID
 * (NULL: this packet's own DCID), and list its CRYPTO frames. 0, or -EBADMSG (malformed, or
 * not sealed with these keys), -E2BIG (more than FP_QUIC_MAX_PACKET or FP_QUIC_MAX_FRAMES),
 * -ENOMEM.
 */
int fp_quic_open_initial(const uint8_t *dgram, size_t len, const uint8_t *odcid,
			 size_t odcid_len, bool server, struct fp_quic_initial *out);

/* Free what fp_quic_open_initial() kept in out (a zeroed struct holds nothing). */
void fp_quic_fini(struct fp_quic_initial *q);

#pragma GCC visibility pop

#endif
