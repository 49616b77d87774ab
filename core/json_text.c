// SPDX-License-Identifier: BSD-3-Clause
/*
 * JSON text of event values (json_text.h): strings in one pass, numbers, addresses and
 * timestamps without printf. Each writes at o into room the caller sized and returns the end.
 */
#include <stdint.h>
#include <string.h>
#include <time.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include "json_text.h"

const unsigned char json_class[256] = {
	[0 ... 0x1f] = J_CONTROL,
	['"'] = J_BACKSLASH,
	['\\'] = J_BACKSLASH,
	[0x80 ... 0xff] = J_HIGH,
};

static const char hex_digits[] = "0123456789abcdef";

/* Length of the valid UTF-8 sequence at s (1-4), or 0 when it is not one. */
static size_t utf8_sequence(const unsigned char *s, size_t left)
{
	size_t n;
	uint32_t cp;

	if (s[0] < 0x80)
		return 1;
	if ((s[0] & 0xe0) == 0xc0)
		n = 2, cp = s[0] & 0x1f;
	else if ((s[0] & 0xf0) == 0xe0)
		n = 3, cp = s[0] & 0x0f;
	else if ((s[0] & 0xf8) == 0xf0)
		n = 4, cp = s[0] & 0x07;
	else
		return 0;
	if (n > left)
		return 0;
	for (size_t i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	/* overlong forms, surrogates and values past Unicode are not UTF-8 */
	if ((n == 2 && cp < 0x80) || (n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) ||
	    (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
		return 0;
	return n;
}

/*
 * s as a JSON string at o, which has room for 6 * len + 2 bytes; returns the end. One pass:
 * runs of bytes that need nothing are copied 8 at a time, UTF-8 is checked only where a byte
 * >= 0x80 is. With utf8, s must be UTF-8 without NUL, and NULL is returned where it is not;
 * without, bytes >= 0x80 are copied unchecked (keys, which plugins write as literals).
 */
char *json_put_string(char *o, const char *s, size_t len, bool utf8)
{
	const unsigned char *p = (const unsigned char *)s, *end = p + len;
	const unsigned char *run = p;	/* where the plain bytes before p start */
	uint64_t w;
	uint32_t a, b;

	*o++ = '"';
	for (;;) {
#ifdef __SSE2__
		/* 16 at a time, stored whatever they are (the room is 6 bytes a byte) and kept up
		 * to the first that needs something */
		for (; end - p >= 16; p += 16, o += 16) {
			__m128i v = _mm_loadu_si128((const __m128i *)p);
			/* signed: < 0x20 is 0x00-0x1f and 0x80-0xff */
			__m128i ctl = _mm_cmplt_epi8(v, _mm_set1_epi8(0x20));
			__m128i quote = _mm_cmpeq_epi8(v, _mm_set1_epi8('"'));
			__m128i bslash = _mm_cmpeq_epi8(v, _mm_set1_epi8('\\'));
			__m128i need = _mm_or_si128(ctl, _mm_or_si128(quote, bslash));
			unsigned mask = _mm_movemask_epi8(need);

			_mm_storeu_si128((__m128i *)o, v);
			if (mask) {
				p += __builtin_ctz(mask);
				o += __builtin_ctz(mask);
				break;
			}
		}
#endif
		for (; end - p >= 8 && (memcpy(&w, p, 8), !json_any_special(w)); p += 8, o += 8)
			memcpy(o, &w, 8);
		size_t left = end - p;

		/* the last 1-7 bytes: as the word ending at end (its first bytes were copied as
		 * they are, and are again), or as two 4-byte halves that overlap */
		if (left < 8 && end - run >= 8 && (memcpy(&w, end - 8, 8), !json_any_special(w))) {
			memcpy(o + left - 8, &w, 8);
			o += left;
			break;
		}
		if (left >= 4 && left < 8 && (memcpy(&a, p, 4), memcpy(&b, end - 4, 4),
					      !json_any_special((uint64_t)a << 32 | b))) {
			memcpy(o, &a, 4);
			memcpy(o + left - 4, &b, 4);
			o += left;
			break;
		}
		while (p < end && json_class[*p] == J_PLAIN)
			*o++ = *p++;
		if (p == end)
			break;
		unsigned char c = *p;
		size_t n;

		switch (json_class[c]) {
		case J_BACKSLASH:
			o[0] = '\\';
			o[1] = c;
			o += 2;
			p++;
			break;
		case J_CONTROL:
			if (utf8 && !c)
				return NULL;
			memcpy(o, "\\u00", 4);
			o[4] = hex_digits[c >> 4];
			o[5] = hex_digits[c & 15];
			o += 6;
			p++;
			break;
		default:
			n = utf8 ? utf8_sequence(p, end - p) : 1;
			if (!n)
				return NULL;
			memcpy(o, p, n);
			o += n;
			p += n;
		}
		run = p;
	}
	*o++ = '"';
	return o;
}

/* Bytes that are not UTF-8: every byte outside printable ASCII as the four characters \xNN,
 * so that the reader still sees what was sent, whatever it was. */
char *json_put_bytes(char *o, const char *s, size_t len)
{
	*o++ = '"';
	for (size_t i = 0; i < len; i++) {
		unsigned char c = s[i];

		if (c < 0x20 || c >= 0x7f) {
			memcpy(o, "\\\\x", 3);
			o[3] = hex_digits[c >> 4];
			o[4] = hex_digits[c & 15];
			o += 5;
		} else {
			if (json_class[c] == J_BACKSLASH)
				*o++ = '\\';
			*o++ = c;
		}
	}
	*o++ = '"';
	return o;
}

static const char two_digits[200] =
	"00010203040506070809" "10111213141516171819" "20212223242526272829"
	"30313233343536373839" "40414243444546474849" "50515253545556575859"
	"60616263646566676869" "70717273747576777879" "80818283848586878889"
	"90919293949596979899";

/* The last n decimal digits of v at o, zero-padded, two per division; returns their end. */
char *json_put_digits(char *o, uint64_t v, unsigned n)
{
	char *end = o + n, *p = end;

	for (; n >= 2; n -= 2, v /= 100) {
		p -= 2;
		memcpy(p, two_digits + 2 * (v % 100), 2);
	}
	if (n)
		p[-1] = '0' + v % 10;
	return end;
}

/* The decimal digits of v at o; returns their end. Ports, counts, lengths are on every event:
 * printf's format parsing cost more than the digits. */
char *json_put_u64(char *o, uint64_t v)
{
	unsigned n = 1;

	for (uint64_t limit = 10; n < 20 && v >= limit; limit *= 10)
		n++;
	return json_put_digits(o, v, n);
}

/* The decimal text of each byte value, then its length: two addresses are on every event. */
#define OCTET(v)                                                                             \
	{ (v) >= 100 ? '0' + (v) / 100 : (v) >= 10 ? '0' + (v) / 10 : '0' + (v),              \
	  (v) >= 100 ? '0' + (v) / 10 % 10 : (v) >= 10 ? '0' + (v) % 10 : 0,                   \
	  (v) >= 100 ? '0' + (v) % 10 : 0,                                                     \
	  (v) >= 100 ? 3 : (v) >= 10 ? 2 : 1 }
#define OCTETS4(v) OCTET(v), OCTET((v) + 1), OCTET((v) + 2), OCTET((v) + 3)
#define OCTETS16(v) OCTETS4(v), OCTETS4((v) + 4), OCTETS4((v) + 8), OCTETS4((v) + 12)
#define OCTETS64(v) OCTETS16(v), OCTETS16((v) + 16), OCTETS16((v) + 32), OCTETS16((v) + 48)

static const char octets[256][4] = { OCTETS64(0), OCTETS64(64), OCTETS64(128), OCTETS64(192) };

/* Room for 16 bytes at o: each octet is copied as 4. */
char *json_put_ipv4(char *o, const uint8_t *b)
{
	for (int i = 0; i < 4; i++) {
		if (i)
			*o++ = '.';
		memcpy(o, octets[b[i]], 4);
		o += octets[b[i]][3];
	}
	return o;
}

/*
 * The text glibc's inet_ntop writes (RFC 5952 with glibc's one liberty): lowercase hex
 * without leading zeros, the first longest run of two or more zero words as "::", and the
 * last 32 bits in dotted form after ::ffff: or when only they are non-zero. inet_ntop cost
 * ~2500 instructions a call, a sprintf per word.
 */
char *json_put_ipv6(char *o, const uint8_t *a)
{
	unsigned words[8];
	int best = -1, best_len = 0, run = -1;

	for (int i = 0; i < 8; i++) {
		words[i] = a[2 * i] << 8 | a[2 * i + 1];
		if (words[i]) {
			run = -1;
			continue;
		}
		if (run < 0)
			run = i;
		if (i - run + 1 > best_len) {	/* a later run must be longer to win */
			best = run;
			best_len = i - run + 1;
		}
	}
	if (best_len < 2)
		best = -1;
	for (int i = 0; i < 8; i++) {
		if (best >= 0 && i >= best && i < best + best_len) {
			if (i == best)
				*o++ = ':';
			continue;
		}
		if (i)
			*o++ = ':';
		if (i == 6 && best == 0 && (best_len == 6 || (best_len == 5 && words[5] == 0xffff)))
			return json_put_ipv4(o, a + 12);
		int shift = 12;

		while (shift && !(words[i] >> shift))
			shift -= 4;
		for (; shift >= 0; shift -= 4)
			*o++ = hex_digits[words[i] >> shift & 15];
	}
	if (best >= 0 && best + best_len == 8)
		*o++ = ':';
	return o;
}

/* The timestamp at o, quoted; the part up to the seconds changes once a second. */
char *json_put_timestamp(char *o, const struct timespec *ts)
{
	static time_t cached_sec = -1;
	static char cached[JSON_TIMESTAMP_ROOM - 9];	/* 10 bytes around it, NUL included */
	static size_t cached_len;

	if (ts->tv_sec != cached_sec) {
		struct tm tm;

		/* a time gmtime cannot break down, or whose year is too long to fit (a damaged
		 * capture's), gets no date part: strftime returns 0 when the text overflows */
		cached_len = gmtime_r(&ts->tv_sec, &tm) ?
			strftime(cached, sizeof(cached), "%Y-%m-%dT%H:%M:%S", &tm) : 0;
		cached_sec = ts->tv_sec;
	}
	*o++ = '"';
	memcpy(o, cached, cached_len);
	o += cached_len;
	*o++ = '.';
	o = json_put_digits(o, (uint64_t)(ts->tv_nsec / 1000) % 1000000, 6);
	memcpy(o, "Z\"", 2);
	return o + 2;
}
