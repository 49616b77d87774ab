// SPDX-License-Identifier: BSD-3-Clause
/* String building and small list helpers. */
#include <string.h>

#include "fp_internal.h"

void fp_str_init(struct fp_str *s, char *buf, size_t size)
{
	s->p = buf;
	s->size = size;
	s->len = 0;
	s->overflow = size == 0;
	if (size)
		buf[0] = '\0';
}

void fp_str_add(struct fp_str *s, const void *data, size_t len)
{
	if (s->overflow)
		return;
	if (len >= s->size - s->len) {
		s->overflow = true;
		return;
	}
	memcpy(s->p + s->len, data, len);
	s->len += len;
	s->p[s->len] = '\0';
}

void fp_str_puts(struct fp_str *s, const char *str)
{
	fp_str_add(s, str, strlen(str));
}

/*
 * Room for need more characters and the NUL, else overflow. The formatters check once per
 * number or list, then write without checks: fingerprints are mostly these lists.
 */
static bool fp_str_room(struct fp_str *s, size_t need)
{
	if (s->overflow || need >= s->size - s->len)
		s->overflow = true;
	return !s->overflow;
}

void fp_str_hex4(struct fp_str *s, uint16_t v)
{
	char *p;

	if (!fp_str_room(s, 4))
		return;
	p = s->p + s->len;
	p[0] = fp_hex_digit(v >> 12);
	p[1] = fp_hex_digit(v >> 8);
	p[2] = fp_hex_digit(v >> 4);
	p[3] = fp_hex_digit(v);
	p[4] = '\0';
	s->len += 4;
}

static unsigned fp_dec_digits(unsigned long v)
{
	unsigned n = 1;

	for (; v >= 10000; v /= 10000)
		n += 4;
	return n + (v >= 10) + (v >= 100) + (v >= 1000);
}

/* "00" to "99": two digits per division */
static const char fp_digits2[] =
	"0001020304050607080910111213141516171819"
	"2021222324252627282930313233343536373839"
	"4041424344454647484950515253545556575859"
	"6061626364656667686970717273747576777879"
	"8081828384858687888990919293949596979899";

/* v in nd decimal digits at p; returns the end */
static inline char *fp_put_dec(char *p, unsigned long v, unsigned nd)
{
	char *e = p + nd;

	p = e;
	for (; v >= 100; v /= 100) {
		p -= 2;
		memcpy(p, fp_digits2 + 2 * (v % 100), 2);
	}
	if (v >= 10)
		memcpy(p - 2, fp_digits2 + 2 * v, 2);
	else
		p[-1] = (char)('0' + v);
	return e;
}

void fp_str_dec(struct fp_str *s, unsigned long v)
{
	unsigned nd = fp_dec_digits(v);

	if (!fp_str_room(s, nd))
		return;
	s->len = (size_t)(fp_put_dec(s->p + s->len, v, nd) - s->p);
	s->p[s->len] = '\0';
}

void fp_str_count2(struct fp_str *s, size_t n)
{
	if (n > FP_COUNT_MAX)
		n = FP_COUNT_MAX;
	fp_str_addc(s, (char)('0' + n / 10));
	fp_str_addc(s, (char)('0' + n % 10));
}

/* "00" to "ff": a byte's two hex digits in one lookup */
static const char fp_hex2[] =
	"000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"
	"202122232425262728292a2b2c2d2e2f303132333435363738393a3b3c3d3e3f"
	"404142434445464748494a4b4c4d4e4f505152535455565758595a5b5c5d5e5f"
	"606162636465666768696a6b6c6d6e6f707172737475767778797a7b7c7d7e7f"
	"808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f"
	"a0a1a2a3a4a5a6a7a8a9aaabacadaeafb0b1b2b3b4b5b6b7b8b9babbbcbdbebf"
	"c0c1c2c3c4c5c6c7c8c9cacbcccdcecfd0d1d2d3d4d5d6d7d8d9dadbdcdddedf"
	"e0e1e2e3e4e5e6e7e8e9eaebecedeeeff0f1f2f3f4f5f6f7f8f9fafbfcfdfeff";

void fp_str_hex_list(struct fp_str *s, const uint16_t *v, size_t n)
{
	char *p;

	if (!n || !fp_str_room(s, n * 5 - 1))
		return;
	p = s->p + s->len;
	for (size_t i = 0; i < n; i++) {
		memcpy(p, fp_hex2 + 2 * (v[i] >> 8), 2);
		memcpy(p + 2, fp_hex2 + 2 * (v[i] & 0xff), 2);
		p[4] = ',';
		p += 5;
	}
	p[-1] = '\0';
	s->len += n * 5 - 1;
}

void fp_str_dec_list(struct fp_str *s, const uint16_t *v, size_t n)
{
	size_t need = n * 6 - 1;	/* five digits and a separator each, at most */
	char *p, *start;

	if (!n || s->overflow)
		return;
	if (need >= s->size - s->len) {	/* near the end: count exactly */
		need = n - 1;
		for (size_t i = 0; i < n; i++)
			need += fp_dec_digits(v[i]);
		if (!fp_str_room(s, need))
			return;
	}
	p = start = s->p + s->len;
	for (size_t i = 0; i < n; i++) {
		p = fp_put_dec(p, v[i], fp_dec_digits(v[i]));
		*p++ = '-';
	}
	p[-1] = '\0';
	s->len += (size_t)(p - 1 - start);
}

void fp_copy_raw(char *dst, size_t size, const struct fp_str *raw)
{
	if (raw->overflow || raw->len >= size) {
		dst[0] = '\0';
		return;
	}
	memcpy(dst, raw->p, raw->len + 1);
}

bool fp_tls_is_grease(uint16_t v)
{
	/* 0x0a0a, 0x1a1a, ... 0xfafa: both bytes equal, low nibble 0xa */
	return (v & 0x0f0f) == 0x0a0a && (v >> 8) == (v & 0xff);
}

size_t fp_tls_strip_grease(const uint16_t *in, size_t n, uint16_t *out)
{
	size_t m = 0;

	for (size_t i = 0; i < n; i++)
		if (!fp_tls_is_grease(in[i]))
			out[m++] = in[i];
	return m;
}

/* Short lists sort fastest by insertion; longer ones by two counting passes (stable LSD radix
 * sort, linear: a crafted hello of hundreds of values costs no more than its length). */
#define FP_SORT_INSERTION_MAX 32

static void fp_sort_insertion(uint16_t *v, size_t n)
{
	for (size_t i = 1; i < n; i++) {
		uint16_t x = v[i];
		size_t j = i;

		for (; j > 0 && v[j - 1] > x; j--)
			v[j] = v[j - 1];
		v[j] = x;
	}
}

static void fp_sort_radix(uint16_t *v, size_t n)
{
	uint16_t tmp[FP_TLS_MAX_LIST];
	uint32_t lo[257] = { 0 }, hi[257] = { 0 };

	for (size_t i = 0; i < n; i++) {
		lo[(v[i] & 0xff) + 1]++;
		hi[(v[i] >> 8) + 1]++;
	}
	for (size_t b = 1; b < 257; b++) {
		lo[b] += lo[b - 1];
		hi[b] += hi[b - 1];
	}
	for (size_t i = 0; i < n; i++)
		tmp[lo[v[i] & 0xff]++] = v[i];
	for (size_t i = 0; i < n; i++)
		v[hi[tmp[i] >> 8]++] = tmp[i];
}

void fp_sort_u16(uint16_t *v, size_t n)
{
	if (n <= FP_SORT_INSERTION_MAX || n > FP_TLS_MAX_LIST)	/* the latter: not a hello's */
		fp_sort_insertion(v, n);
	else
		fp_sort_radix(v, n);
}

/*
 * JA4 spec: the first and last character of the first ALPN value; when either byte is not
 * ASCII alphanumeric, the first and last character of the value's hex representation.
 */
void fp_alpn_chars(const uint8_t *value, size_t len, char out[2])
{
	if (len == 0) {
		out[0] = out[1] = '0';
	} else if (fp_is_alnum(value[0]) && fp_is_alnum(value[len - 1])) {
		out[0] = (char)value[0];
		out[1] = (char)value[len - 1];
	} else {
		out[0] = fp_hex_digit(value[0] >> 4);
		out[1] = fp_hex_digit(value[len - 1]);
	}
}
