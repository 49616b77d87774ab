/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Helpers shared by the parsers and builders of the fingerprint library; not installed.
 */
#ifndef FP_INTERNAL_H
#define FP_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <strings.h>

#include <ja4probe/fingerprint.h>

/* internal calls stay inside the library: no PLT, no interposition */
#pragma GCC visibility push(hidden)

#define FP_HASH12_LEN 12
#define FP_COUNT_MAX 99		/* two-digit counts in JA4-style fingerprints are capped */
#define FP_ZERO_HASH "000000000000"

/*
 * A string under construction in a caller-owned buffer. Appends past the end set overflow
 * and keep the buffer NUL-terminated; the caller decides what an overflow means.
 */
struct fp_str {
	char *p;
	size_t size;
	size_t len;
	bool overflow;
};

void fp_str_init(struct fp_str *s, char *buf, size_t size);
void fp_str_add(struct fp_str *s, const void *data, size_t len);

static inline void fp_str_addc(struct fp_str *s, char c)
{
	if (s->overflow || s->len + 1 >= s->size) {
		s->overflow = true;
		return;
	}
	s->p[s->len++] = c;
	s->p[s->len] = '\0';
}

void fp_str_puts(struct fp_str *s, const char *str);
void fp_str_hex4(struct fp_str *s, uint16_t v);		/* "%04x" */
void fp_str_dec(struct fp_str *s, unsigned long v);	/* "%lu" */
/* "a,b,c" of a u16 list as 4-digit hex (JA4) or decimal joined by '-' (JA3) */
void fp_str_hex_list(struct fp_str *s, const uint16_t *v, size_t n);
void fp_str_dec_list(struct fp_str *s, const uint16_t *v, size_t n);

/* First 12 hex chars of SHA-256(data); "000000000000" for empty input. 0 or -EIO. */
int fp_hash12(const void *data, size_t len, char out[FP_HASH12_LEN + 1]);
/* MD5 as 32 lower-case hex chars. 0 or -EIO. */
int fp_md5_hex(const void *data, size_t len, char out[33]);

/* Copy a finished raw string to a fixed-size output field; "" when it did not fit. */
void fp_copy_raw(char *dst, size_t size, const struct fp_str *raw);

/* Two-digit count, capped at 99. */
void fp_str_count2(struct fp_str *s, size_t n);

/* Drop GREASE values; returns the new count. */
size_t fp_tls_strip_grease(const uint16_t *in, size_t n, uint16_t *out);
/* Ascending; n is at most FP_TLS_MAX_LIST (the capacity of every list of a hello). */
void fp_sort_u16(uint16_t *v, size_t n);

/* First and last "characters" of an ALPN value per the JA4 spec (hex rule); "00" if empty. */
void fp_alpn_chars(const uint8_t *value, size_t len, char out[2]);

/* JA4 two-character version code ("13", "12", ..., "00" when unknown). */
const char *fp_ja4_version_code(uint16_t version);
/* The version JA4/JA4S report: highest non-GREASE supported_versions value, else legacy. */
uint16_t fp_tls_effective_version(const struct fp_tls_hello *hello);

static inline bool fp_is_alnum(uint8_t c)
{
	return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}

static inline char fp_hex_digit(unsigned v)
{
	return "0123456789abcdef"[v & 0xf];
}

static inline char fp_lower(char c)
{
	return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
}

/*
 * A header value as fp_http_copy_value() gives it, without the copy where none is needed: a
 * value with no line end (no obs-fold to join) that fits is returned where it lies in buf,
 * else it is copied into out (size bytes). *len: its length.
 */
const char *fp_http_value_text(const uint8_t *buf, struct fp_span v, char *out, size_t size,
			       size_t *len);

/* fp_http_span_equals() with the length of str known (a header name compared per header) */
static inline bool fp_http_span_equals_n(const uint8_t *buf, struct fp_span s, const char *str,
					 size_t len)
{
	return len == s.len && !strncasecmp((const char *)buf + s.off, str, len);
}

#pragma GCC visibility pop

#endif /* FP_INTERNAL_H */
