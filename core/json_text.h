/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * JSON text of event values, for core/event.c's hot path: each writer puts its text at o, into
 * room the caller sized, and returns where it ends.
 */
#ifndef JA4PROBE_JSON_TEXT_H
#define JA4PROBE_JSON_TEXT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

struct timespec;

/* What a byte needs inside a JSON string */
enum json_class { J_PLAIN, J_BACKSLASH, J_CONTROL, J_HIGH };

extern const unsigned char json_class[256];

/* Whether one of the 8 bytes in w is not J_PLAIN: the has-less-than and has-zero-byte word
 * tests (exact as a yes/no), for < 0x20, '"', '\\', and the top bit for >= 0x80. */
static inline bool json_any_special(uint64_t w)
{
	const uint64_t ones = 0x0101010101010101ull;
	uint64_t quote = w ^ (ones * '"'), bslash = w ^ (ones * '\\');

	return (w | ((w - ones * 0x20) & ~w) | ((quote - ones) & ~quote) |
		((bslash - ones) & ~bslash)) & ones * 0x80;
}

/* s as a JSON string at o when it needs no escaping and is 1 to 16 bytes long, as keys are:
 * two words, two halves or bytes; NULL otherwise. */
static inline char *json_put_short_plain(char *o, const char *s, size_t len)
{
	uint64_t x, y;
	uint32_t a, b;

	if (len >= 8 && len <= 16) {
		memcpy(&x, s, 8);
		memcpy(&y, s + len - 8, 8);
		if (json_any_special(x) || json_any_special(y))
			return NULL;
		memcpy(o + 1, &x, 8);
		memcpy(o + 1 + len - 8, &y, 8);
	} else if (len >= 4 && len < 8) {
		memcpy(&a, s, 4);
		memcpy(&b, s + len - 4, 4);
		if (json_any_special((uint64_t)a << 32 | b))
			return NULL;
		memcpy(o + 1, &a, 4);
		memcpy(o + 1 + len - 4, &b, 4);
	} else if (len && len < 4) {
		for (size_t i = 0; i < len; i++) {
			if (json_class[(unsigned char)s[i]] != J_PLAIN)
				return NULL;
			o[1 + i] = s[i];
		}
	} else {
		return NULL;
	}
	o[0] = '"';
	o[len + 1] = '"';
	return o + len + 2;
}

/* s as a JSON string (room: 6 * len + 2). With utf8, s must be UTF-8 without NUL: NULL where
 * it is not; without, bytes >= 0x80 are copied unchecked (keys, literals). */
char *json_put_string(char *o, const char *s, size_t len, bool utf8);
/* Bytes that are not UTF-8, as a JSON string with \\xNN for each byte outside printable
 * ASCII (room: 5 * len + 2). */
char *json_put_bytes(char *o, const char *s, size_t len);
/* The last n decimal digits of v, zero-padded (room: n). */
char *json_put_digits(char *o, uint64_t v, unsigned n);
/* The decimal digits of v (room: 20). */
char *json_put_u64(char *o, uint64_t v);
/* Dotted IPv4 (room: 16); IPv6 as glibc's inet_ntop writes it (room: 46). */
char *json_put_ipv4(char *o, const uint8_t *addr);
char *json_put_ipv6(char *o, const uint8_t *addr);
/* "YYYY-MM-DDTHH:MM:SS.uuuuuuZ", quoted (room: JSON_TIMESTAMP_ROOM). */
#define JSON_TIMESTAMP_ROOM 32
char *json_put_timestamp(char *o, const struct timespec *ts);

#endif /* JA4PROBE_JSON_TEXT_H */
