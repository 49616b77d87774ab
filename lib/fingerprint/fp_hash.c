// SPDX-License-Identifier: BSD-3-Clause
/*
 * The hashes of the fingerprints: SHA-256 and MD5 from OpenSSL's libcrypto (EVP), with a
 * small per-thread memo of recent results.
 *
 * The digests are fetched once: EVP_sha256()/EVP_md5() would make OpenSSL 3 look the
 * implementation up on every call. Each thread keeps one digest context: EVP_Digest()
 * allocates, initialises and frees a context per call, which costs more than hashing the
 * few hundred bytes of a fingerprint.
 *
 * The memo: fingerprints repeat (every client of one TLS stack sends the same cipher list,
 * every request of one browser the same header names), and libcrypto takes ~1 ns per byte
 * plus ~90 ns per call (SHA-256; MD5 twice that) where a 64-bit hash and a memcmp of the
 * same bytes take a fraction. A two-way set-associative table remembers the two inputs last
 * seen in each set and their digests; a hit is only taken when the whole input compares
 * equal, so the result is always libcrypto's for those bytes. A miss costs the fast hash and
 * a copy on top of the digest. The key's destructor frees a thread's state when it ends.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "fp_internal.h"

#define FP_MEMO_SETS 256	/* a power of two; two slots each */
#define FP_MEMO_MAX 1024	/* longer inputs are hashed every time */
#define FP_HEX_MAX 32		/* MD5 in full */

struct fp_memo {
	uint64_t key;		/* fp_memo_key() of the input; 0: empty */
	const EVP_MD *md;
	uint32_t len, cap;
	uint8_t *data;		/* the input, cap bytes allocated */
	size_t nhex;
	char hex[FP_HEX_MAX];
};

struct fp_hash_thread {
	EVP_MD_CTX *ctx;
	struct fp_memo memo[FP_MEMO_SETS][2];	/* [0]: the more recently used */
};

static EVP_MD *fp_sha256_md, *fp_md5_md;
static pthread_key_t fp_hash_key;
static bool fp_hash_key_ok;
static pthread_once_t fp_hash_once = PTHREAD_ONCE_INIT;

static void fp_hash_thread_free(void *p)
{
	struct fp_hash_thread *t = p;

	for (size_t i = 0; i < FP_MEMO_SETS; i++) {
		free(t->memo[i][0].data);
		free(t->memo[i][1].data);
	}
	EVP_MD_CTX_free(t->ctx);
	free(t);
}

static void fp_hash_init(void)
{
	fp_sha256_md = EVP_MD_fetch(NULL, "SHA256", NULL);
	fp_md5_md = EVP_MD_fetch(NULL, "MD5", NULL);
	fp_hash_key_ok = !pthread_key_create(&fp_hash_key, fp_hash_thread_free);
}

/* This thread's state, made on its first use; NULL when out of memory. */
static struct fp_hash_thread *fp_hash_thread(void)
{
	struct fp_hash_thread *t;

	pthread_once(&fp_hash_once, fp_hash_init);
	if (!fp_hash_key_ok)
		return NULL;
	t = pthread_getspecific(fp_hash_key);
	if (t)
		return t;
	t = calloc(1, sizeof(*t));
	if (!t)
		return NULL;
	t->ctx = EVP_MD_CTX_new();
	if (!t->ctx || pthread_setspecific(fp_hash_key, t)) {
		fp_hash_thread_free(t);
		return NULL;
	}
	return t;
}

static inline uint64_t fp_load64(const uint8_t *p)
{
	uint64_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

static inline uint64_t fp_rotl(uint64_t v, unsigned r)
{
	return v << r | v >> (64 - r);
}

/*
 * A 64-bit hash of the input to pick and check a slot (not a digest: equal keys are
 * confirmed by comparing the bytes). Four independent lanes of multiply and rotate, so the
 * multiplies overlap; never 0 (the empty slot's key).
 */
static uint64_t fp_memo_key(const uint8_t *p, size_t n)
{
	const uint64_t k = 0x9e3779b97f4a7c15ull;
	uint64_t a = n, b = 0x243f6a8885a308d3ull, c = 0x13198a2e03707344ull;
	uint64_t d = 0xa4093822299f31d0ull, tail = 0, h;
	size_t i = 0;

	for (; i + 32 <= n; i += 32) {
		a = fp_rotl((a ^ fp_load64(p + i)) * k, 29);
		b = fp_rotl((b ^ fp_load64(p + i + 8)) * k, 29);
		c = fp_rotl((c ^ fp_load64(p + i + 16)) * k, 29);
		d = fp_rotl((d ^ fp_load64(p + i + 24)) * k, 29);
	}
	for (; i + 8 <= n; i += 8)
		b = fp_rotl((b ^ fp_load64(p + i)) * k, 29);
	memcpy(&tail, p + i, n - i);
	h = a ^ fp_rotl(b, 17) ^ fp_rotl(c, 31) ^ fp_rotl((d ^ tail) * k, 47);
	h ^= h >> 33;		/* murmur3's finaliser */
	h *= 0xff51afd7ed558ccdull;
	h ^= h >> 33;
	h *= 0xc4ceb9fe1a85ec53ull;
	h ^= h >> 33;
	return h | 1;
}

static void fp_memo_store(struct fp_memo *m, uint64_t key, const EVP_MD *md, const void *data,
			  size_t len, const char *hex, size_t nhex)
{
	if (len > m->cap) {
		uint8_t *p = realloc(m->data, len);

		if (!p) {	/* not remembered; the digest was right all the same */
			m->key = 0;
			return;
		}
		m->data = p;
		m->cap = (uint32_t)len;
	}
	memcpy(m->data, data, len);
	m->key = key;
	m->md = md;
	m->len = (uint32_t)len;
	m->nhex = nhex;
	memcpy(m->hex, hex, nhex);
}

static bool fp_memo_hit(const struct fp_memo *m, uint64_t key, const EVP_MD *md,
			const void *data, size_t len, size_t nhex)
{
	return m->key == key && m->md == md && m->len == len && m->nhex == nhex &&
	       !memcmp(m->data, data, len);
}

static void fp_memo_swap(struct fp_memo set[2])
{
	struct fp_memo x = set[0];

	set[0] = set[1];
	set[1] = x;
}

/* The first nhex (even, at most FP_HEX_MAX) hex digits of md(data), NUL-terminated. */
static int fp_digest_hex(bool sha256, const void *data, size_t len, char *out, size_t nhex)
{
	struct fp_hash_thread *t = fp_hash_thread();
	const EVP_MD *md = sha256 ? fp_sha256_md : fp_md5_md;	/* fetched by now */
	unsigned char d[EVP_MAX_MD_SIZE];
	unsigned int dlen = 0;
	struct fp_memo *set = NULL;
	uint64_t key = 0;

	if (!t || !md || nhex > FP_HEX_MAX)
		return -EIO;
	if (len && len <= FP_MEMO_MAX) {
		key = fp_memo_key(data, len);
		set = t->memo[key & (FP_MEMO_SETS - 1)];
		if (!fp_memo_hit(&set[0], key, md, data, len, nhex)) {
			/* a hit in [1] moves to [0]; a miss replaces [1], the less recent, and
			 * moves it to [0] too */
			fp_memo_swap(set);
			if (!fp_memo_hit(&set[0], key, md, data, len, nhex))
				set[0].key = 0;
		}
		if (set[0].key) {
			memcpy(out, set[0].hex, nhex);
			out[nhex] = '\0';
			return 0;
		}
	}
	if (!EVP_DigestInit_ex2(t->ctx, md, NULL) || !EVP_DigestUpdate(t->ctx, data, len) ||
	    !EVP_DigestFinal_ex(t->ctx, d, &dlen) || dlen * 2 < nhex)
		return -EIO;
	for (size_t i = 0; i < nhex / 2; i++) {
		out[2 * i] = fp_hex_digit(d[i] >> 4);
		out[2 * i + 1] = fp_hex_digit(d[i]);
	}
	out[nhex] = '\0';
	if (set)
		fp_memo_store(&set[0], key, md, data, len, out, nhex);
	return 0;
}

int fp_hash12(const void *data, size_t len, char out[FP_HASH12_LEN + 1])
{
	if (len == 0) {
		memcpy(out, FP_ZERO_HASH, FP_HASH12_LEN + 1);
		return 0;
	}
	return fp_digest_hex(true, data, len, out, FP_HASH12_LEN);
}

int fp_md5_hex(const void *data, size_t len, char out[33])
{
	return fp_digest_hex(false, data, len, out, 32);
}
