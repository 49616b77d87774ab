// SPDX-License-Identifier: BSD-3-Clause
/*
 * The typed-field services of the host (core/event.c) through the tests' host: what a plugin
 * sets is what a JSON reader gets back. Every line is read back with jansson (an independent
 * decoder); text shown as \xNN is checked against the rule written out here byte by byte;
 * addresses against glibc's inet_ntop; the shape of whole events, byte for byte, against the
 * same random sequences of fields applied to a jansson object. Edge cases: control
 * characters, DEL, quotes, 2/3/4-byte UTF-8, each kind of invalid UTF-8, NUL, keys set twice,
 * keys that need escaping, objects added to after another was opened, deep nesting, strings
 * and events larger than the event's first allocation.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "tally.h"
#include "test_host.h"

static struct th_host *th;
static const struct jp_host *host;

static struct jp_event *event(void)
{
	return host->event_new(host->ctx, "test", NULL);
}

/* emit ev and parse the line it became */
static json_t *emitted(struct jp_event *ev)
{
	size_t n = th_count(th);
	json_error_t err;

	expect(host->event_emit(ev) == 0, "emit");
	expect(th_count(th) == n + 1, "one line per event");
	const char *line = th_line(th, n);
	json_t *j = line ? json_loads(line, JSON_ALLOW_NUL, &err) : NULL;

	expect(j != NULL, "the line is JSON: %s", line ? err.text : "no line");
	return j;
}

static bool same_string(const json_t *v, const char *s, size_t len)
{
	return json_is_string(v) && json_string_length(v) == len &&
	       !memcmp(json_string_value(v), s, len);
}

/* the reader's view of bytes that are not valid UTF-8: printable ASCII as is, else \xNN */
static char *shown_as_bytes(const char *s, size_t len)
{
	char *out = malloc(len * 4 + 1), *o = out;

	for (size_t i = 0; i < len; i++) {
		unsigned char c = s[i];

		if (c >= 0x20 && c < 0x7f)
			*o++ = c;
		else
			o += sprintf(o, "\\x%02x", c);
	}
	*o = 0;
	return out;
}

struct sample {
	const char *name;
	const char *bytes;
	size_t len;
};

#define SAMPLE(name, lit) { name, lit, sizeof(lit) - 1 }

static const struct sample valid[] = {
	SAMPLE("empty", ""),
	SAMPLE("ascii", "GET /index.html HTTP/1.1"),
	SAMPLE("quote and backslash", "a\"b\\c\"\\"),
	SAMPLE("controls", "\x01\x02\t\n\r\x1b\x1f end"),
	SAMPLE("DEL", "a\x7f"),
	SAMPLE("slash", "/a/b/"),
	SAMPLE("2-byte", "caf\xc3\xa9"),
	SAMPLE("3-byte", "\xe2\x82\xac 5 \xef\xbf\xbd"),
	SAMPLE("4-byte", "\xf0\x9f\x98\x80 and \xf4\x8f\xbf\xbf"),
	SAMPLE("mixed runs", "0123456789abcdef\"0123456789\xc3\xa9xyz\\\n0123456789abcdefghij"),
};

static const struct sample invalid[] = {
	SAMPLE("lone continuation", "ab\x80" "cd"),
	SAMPLE("overlong", "\xc0\xaf"),
	SAMPLE("overlong 3-byte", "\xe0\x80\xaf"),
	SAMPLE("surrogate", "x\xed\xa0\x80y"),
	SAMPLE("past U+10FFFF", "\xf4\x90\x80\x80"),
	SAMPLE("truncated at the end", "abcdefghijk\xe2\x82"),
	SAMPLE("bad lead byte", "\xff\xfe"),
	SAMPLE("NUL", "a\0b"),
	SAMPLE("NUL with controls and quotes", "\0\x01\"\\\x7f\xc3\xa9"),
};

static void test_strings(void)
{
	for (size_t i = 0; i < sizeof(valid) / sizeof(valid[0]); i++) {
		const struct sample *s = &valid[i];
		struct jp_event *ev = event();
		struct jp_obj *root = host->event_root(ev);
		const char *list[] = { s->bytes, "x" };

		expect(host->obj_string(root, "s", s->bytes) == 0, "obj_string %s", s->name);
		expect(host->obj_string_len(root, "l", s->bytes, s->len) == 0, "string_len %s",
		       s->name);
		expect(host->obj_string_list(root, "list", list, 2) == 0, "string_list %s",
		       s->name);
		json_t *j = emitted(ev);
		json_t *l = json_object_get(j, "list");

		expect(same_string(json_object_get(j, "s"), s->bytes, s->len), "obj_string %s",
		       s->name);
		expect(same_string(json_object_get(j, "l"), s->bytes, s->len),
		       "obj_string_len keeps valid UTF-8 (%s)", s->name);
		expect(json_array_size(l) == 2 &&
		       same_string(json_array_get(l, 0), s->bytes, s->len) &&
		       same_string(json_array_get(l, 1), "x", 1), "obj_string_list %s", s->name);
		json_decref(j);
	}
	for (size_t i = 0; i < sizeof(invalid) / sizeof(invalid[0]); i++) {
		const struct sample *s = &invalid[i];
		struct jp_event *ev = event();
		struct jp_obj *root = host->event_root(ev);
		char *shown = shown_as_bytes(s->bytes, s->len);
		const char *list[] = { "ok", s->bytes };

		if (s->len == strlen(s->bytes)) {	/* no NUL: obj_string can be asked */
			expect(host->obj_string(root, "s", s->bytes) == -EINVAL,
			       "obj_string refuses %s", s->name);
			expect(host->obj_string_list(root, "list", list, 2) == -EINVAL,
			       "obj_string_list refuses %s", s->name);
		}
		expect(host->obj_string_len(root, "l", s->bytes, s->len) == 0, "string_len %s",
		       s->name);
		json_t *j = emitted(ev);

		expect(!json_object_get(j, "s") && !json_object_get(j, "list"),
		       "a refused value adds no key (%s)", s->name);
		expect(same_string(json_object_get(j, "l"), shown, strlen(shown)),
		       "obj_string_len shows %s as \\xNN", s->name);
		free(shown);
		json_decref(j);
	}
	struct jp_event *ev = event();

	expect(host->obj_string(host->event_root(ev), "s", NULL) == -EINVAL, "NULL string");
	host->event_discard(ev);
}

/* Every length to 40 with a byte to escape (or a 2-byte character) at every place: the
 * encoder copies plain runs by words and halves of words, and must not lose a byte. */
static void test_string_lengths(void)
{
	static const char *const specials[] = { NULL, "\"", "\\", "\n", "\x7f", "\xc3\xa9" };
	char text[48], key[16];
	bool ok = true;

	for (size_t len = 0; len <= 40; len++) {
		for (size_t s = 0; s < sizeof(specials) / sizeof(specials[0]); s++) {
			for (size_t at = 0; at <= len; at++) {
				size_t n = len;

				for (size_t i = 0; i < len; i++)
					text[i] = 'a' + i % 26;
				if (specials[s] && at < len) {
					size_t sl = strlen(specials[s]);

					memcpy(text + at, specials[s], sl);
					n = at + sl > len ? at + sl : len;
				}
				text[n] = 0;
				snprintf(key, sizeof(key), "k%zu", len);
				struct jp_event *ev = event();

				host->obj_string(host->event_root(ev), key, text);
				json_t *j = emitted(ev);

				ok = ok && same_string(json_object_get(j, key), text, n);
				json_decref(j);
			}
		}
	}
	expect(ok, "strings of every length to 40 with a special byte anywhere");
}

/* strings longer than the event's inline room, and events with hundreds of keys */
static void test_large(void)
{
	size_t len = 100000;
	char *big = malloc(len + 1), *ctl = malloc(len + 1), *bad = malloc(len);

	for (size_t i = 0; i < len; i++) {
		big[i] = 'a' + i % 26;
		ctl[i] = i % 7 ? '"' : '\n';	/* every byte escaped: the longest encoding */
		bad[i] = i % 3 ? 'z' : (char)0xff;
	}
	big[len] = ctl[len] = 0;
	struct jp_event *ev = event();
	struct jp_obj *root = host->event_root(ev);
	struct jp_obj *o = host->obj_object(root, "many");
	char key[32];

	for (int i = 0; i < 500; i++) {
		snprintf(key, sizeof(key), "key_%d", i);
		expect(host->obj_int(o, key, i) == 0, "obj_int %s", key);
	}
	expect(host->obj_string(root, "big", big) == 0, "big string");
	expect(host->obj_string(root, "ctl", ctl) == 0, "escaped string");
	expect(host->obj_string_len(root, "bad", bad, len) == 0, "big invalid string");
	json_t *j = emitted(ev);
	json_t *m = json_object_get(j, "many");
	char *shown = shown_as_bytes(bad, len);
	bool all = json_object_size(m) == 500;

	for (int i = 0; all && i < 500; i++) {
		snprintf(key, sizeof(key), "key_%d", i);
		all = json_integer_value(json_object_get(m, key)) == i;
	}
	expect(all, "500 keys in one object");
	expect(same_string(json_object_get(j, "big"), big, len), "100 kB string");
	expect(same_string(json_object_get(j, "ctl"), ctl, len), "100 kB escaped string");
	expect(same_string(json_object_get(j, "bad"), shown, strlen(shown)),
	       "100 kB invalid string");
	json_decref(j);
	free(shown);
	free(big);
	free(ctl);
	free(bad);
}

/* a key set again replaces the value and keeps its place; objects and values replace each other */
static void test_keys(void)
{
	struct jp_event *ev = event();
	struct jp_obj *root = host->event_root(ev);

	host->obj_int(root, "a", 1);
	host->obj_string(root, "b", "first");
	host->obj_int(root, "c", 3);
	host->obj_string(root, "b", "second");
	host->obj_int(host->obj_object(root, "a"), "inner", 7);	/* a value becomes an object */
	struct jp_obj *d = host->obj_object(root, "d");

	host->obj_int(d, "x", 1);
	host->obj_bool(root, "d", false);			/* an object becomes a value */
	struct jp_obj *e = host->obj_object(root, "e");

	host->obj_int(e, "x", 1);
	expect(host->obj_object(root, "e") == e, "obj_object twice gives the same object");
	host->obj_int(e, "y", 2);
	host->obj_string(root, "q\"k\\", "v");
	host->obj_string(root, "tab\tkey", "w");
	host->obj_string(root, "caf\xc3\xa9", "u");
	host->obj_int(root, "q\"k\\", 9);
	json_t *j = emitted(ev);
	const char *order[] = { "timestamp", "event_type", "host", "plugin", "a", "b", "c", "d",
				"e", "q\"k\\", "tab\tkey", "caf\xc3\xa9" };
	size_t i = 0;
	const char *k;
	json_t *v;
	bool in_order = json_object_size(j) == sizeof(order) / sizeof(order[0]);

	json_object_foreach(j, k, v)
		in_order = in_order && i < sizeof(order) / sizeof(order[0]) &&
			   !strcmp(k, order[i++]);
	expect(in_order, "keys keep the order of their first addition: %s",
	       th_line(th, th_count(th) - 1));
	expect(json_integer_value(json_object_get(json_object_get(j, "a"), "inner")) == 7,
	       "value replaced by an object");
	expect(same_string(json_object_get(j, "b"), "second", 6), "string replaced");
	expect(json_is_false(json_object_get(j, "d")), "object replaced by a value");
	expect(json_object_size(json_object_get(j, "e")) == 2, "object kept its keys");
	expect(json_integer_value(json_object_get(j, "q\"k\\")) == 9, "escaped key replaced%s",
	       "");
	expect(same_string(json_object_get(j, "tab\tkey"), "w", 1), "key with a tab");
	expect(same_string(json_object_get(j, "event_type"), "test", 4), "header");
	json_decref(j);

	/* short keys to escape, and one set again */
	static const char *const short_keys[] = { "\"", "a\\", "\x01", "\xc3\xa9", "\n\t", "" };
	size_t n_short = sizeof(short_keys) / sizeof(short_keys[0]);

	ev = event();
	root = host->event_root(ev);
	for (size_t i = 0; i < n_short; i++)
		host->obj_int(root, short_keys[i], (int)i);
	host->obj_int(root, "a\\", 42);
	j = emitted(ev);
	for (size_t i = 0; i < n_short; i++)
		expect(json_integer_value(json_object_get(j, short_keys[i])) ==
		       (i == 1 ? 42 : (int)i), "short key %s", short_keys[i]);
	expect(json_object_size(j) == 4 + n_short, "short keys once each");
	json_decref(j);
}

static void test_numbers(void)
{
	static const int64_t values[] = { 0, 1, -1, 9, 10, 99, 100, 65535, -65536, 1000000007,
					  INT64_MAX, INT64_MIN, INT64_MIN + 1 };
	struct jp_event *ev = event();
	struct jp_obj *root = host->event_root(ev);
	char key[32];
	size_t n = sizeof(values) / sizeof(values[0]);

	for (size_t i = 0; i < n; i++) {
		snprintf(key, sizeof(key), "n%zu", i);
		host->obj_int(root, key, values[i]);
	}
	host->obj_bool(root, "t", true);
	json_t *j = emitted(ev);

	for (size_t i = 0; i < n; i++) {
		snprintf(key, sizeof(key), "n%zu", i);
		snprintf(key + 16, 16, "%" PRId64, values[i]);
		expect(json_integer_value(json_object_get(j, key)) == values[i], "integer %s",
		       key + 16);
	}
	expect(json_is_true(json_object_get(j, "t")), "bool");
	json_decref(j);
}

/* addresses as glibc's inet_ntop writes them, :: compression and embedded IPv4 included */
static void test_addresses(void)
{
	static const char *const texts[] = {
		"::", "::1", "1::", "::ffff:1.2.3.4", "::1.2.3.4", "::ffff:0:1.2.3.4",
		"64:ff9b::1.2.3.4", "2001:db8::1", "2001:db8:0:0:1:0:0:1", "2001:0:0:1::1",
		"fe80::1:2:3:4", "1:2:3:4:5:6:7:8", "1:0:2:0:3:0:4:0", "0:1:0:1:0:1:0:1",
		"1:2:3:4:5:6:7::", "::2:3:4:5:6:7:8", "abcd:ef01:2345:6789:abcd:ef01:2345:6789",
		"::0.0.0.2", "::0.1.0.0", "::ffff:0.0.0.0", "0:0:0:0:0:fffe:1.2.3.4",
	};
	size_t n = sizeof(texts) / sizeof(texts[0]);
	size_t total = n + 2000;
	uint8_t (*addrs)[16] = calloc(total, 16);
	uint32_t seed = 12345;

	for (size_t i = 0; i < n; i++)
		expect(inet_pton(AF_INET6, texts[i], addrs[i]) == 1, "inet_pton %s", texts[i]);
	for (size_t i = n; i < total; i++)	/* random words, many of them zero */
		for (int w = 0; w < 8; w++) {
			seed = seed * 1103515245 + 12345;
			uint16_t v = seed >> 16 & 3 ? 0 : seed & 0xffff;

			if ((seed >> 8 & 15) == 0)
				v = 0xffff;
			addrs[i][2 * w] = v >> 8;
			addrs[i][2 * w + 1] = v;
		}
	for (size_t i = 0; i < total; i++) {
		struct jp_event *ev = event();
		struct jp_obj *root = host->event_root(ev);
		uint8_t v4[4] = { addrs[i][0], addrs[i][15], (uint8_t)i, (uint8_t)(i >> 8) };
		char want6[INET6_ADDRSTRLEN], want4[INET_ADDRSTRLEN];

		host->obj_ip(root, "a6", AF_INET6, addrs[i]);
		host->obj_ip(root, "a4", AF_INET, v4);
		inet_ntop(AF_INET6, addrs[i], want6, sizeof(want6));
		inet_ntop(AF_INET, v4, want4, sizeof(want4));
		json_t *j = emitted(ev);

		expect(same_string(json_object_get(j, "a6"), want6, strlen(want6)), "IPv6 %s",
		       want6);
		expect(same_string(json_object_get(j, "a4"), want4, strlen(want4)), "IPv4 %s",
		       want4);
		json_decref(j);
	}
	struct jp_event *ev = event();

	expect(host->obj_ip(host->event_root(ev), "x", AF_UNIX, addrs[0]) == -EAFNOSUPPORT,
	       "other families refused");
	host->event_discard(ev);
	free(addrs);
}

/*
 * Random events: fields set on random objects of the event (a key set again replaces the
 * value in its place, a value can become an object, an object asked for again is the same
 * object, nesting to 12 levels,
 * now and then a value too long for the event's first allocation), the same on a jansson
 * object; jansson's compact text of that must be the line, byte for byte.
 */
static void test_random_shapes(void)
{
	static const char *const keys[] = { "a", "bb", "a_longer_key", "d", "e5" };
	uint32_t seed = 777;
	char *long_text = malloc(6001);

	memset(long_text, 'x', 6000);
	long_text[6000] = 0;
	for (int round = 0; round < 3000; round++) {
		struct jp_event *ev = event();
		struct jp_obj *objs[16] = { host->event_root(ev) };
		size_t n = th_count(th), n_objs = 1;
		json_t *js[16] = { NULL };
		int ops;

		seed = seed * 1103515245 + 12345;
		ops = seed >> 16 & 63;
		/* the header as the host wrote it: emitted first, compared after */
		js[0] = json_object();
		for (int i = 0; i < ops; i++) {
			seed = seed * 1103515245 + 12345;
			unsigned r = seed >> 8;
			size_t o = r % n_objs;
			const char *key = keys[r / 16 % 5];
			int kind = r / 128 % 8;
			json_t *had;

			if (kind == 0)	/* into the newest object: deep chains */
				o = n_objs - 1;
			had = json_object_get(js[o], key);

			/* an object's handles would not survive a value in its place: ask again */
			if ((kind < 2 || json_is_object(had)) && n_objs < 13) {
				objs[n_objs] = host->obj_object(objs[o], key);
				if (json_is_object(had)) {
					js[n_objs] = had;
				} else {
					js[n_objs] = json_object();
					json_object_set_new(js[o], key, js[n_objs]);
				}
				n_objs++;
			} else if (json_is_object(had)) {
				continue;
			} else if (kind == 2 && (r >> 20) % 16 == 0) {
				host->obj_string(objs[o], key, long_text);
				json_object_set_new(js[o], key, json_string(long_text));
			} else {
				host->obj_int(objs[o], key, r % 1000);
				json_object_set_new(js[o], key, json_integer(r % 1000));
			}
		}
		expect(host->event_emit(ev) == 0 && th_count(th) == n + 1, "emit");
		json_t *line = json_loads(th_line(th, n), 0, NULL);
		json_t *want = json_object();
		const char *k;
		json_t *v;

		json_object_foreach(line, k, v) {	/* the header first, as the host wrote it */
			if (!strcmp(k, "timestamp") || !strcmp(k, "event_type") ||
			    !strcmp(k, "host") || !strcmp(k, "plugin"))
				json_object_set(want, k, v);
		}
		json_object_update(want, js[0]);
		char *text = json_dumps(want, JSON_COMPACT);

		expect(text && !strcmp(text, th_line(th, n)), "event shape: %s", th_line(th, n));
		if (text && strcmp(text, th_line(th, n)))
			printf("  expected %s\n", text);
		free(text);
		json_decref(want);
		json_decref(line);
		json_decref(js[0]);
	}
	free(long_text);
}

/* Objects nested deeper than the host keeps open in its text, then fields of the outer ones. */
static void test_deep(void)
{
	struct jp_event *ev = event();
	struct jp_obj *o[13] = { host->event_root(ev) };
	json_t *want[13];
	size_t n = th_count(th);
	char key[8];

	want[0] = json_object();
	for (int i = 1; i < 13; i++) {
		snprintf(key, sizeof(key), "l%d", i);
		o[i] = host->obj_object(o[i - 1], key);
		want[i] = json_object();
		json_object_set_new(want[i - 1], key, want[i]);
		host->obj_int(o[i], "depth", i);
		json_object_set_new(want[i], "depth", json_integer(i));
	}
	for (int i = 12; i >= 0; i -= 3) {
		host->obj_bool(o[i], "back", true);
		json_object_set_new(want[i], "back", json_true());
	}
	expect(host->event_emit(ev) == 0, "emit");
	json_t *line = json_loads(th_line(th, n), 0, NULL);
	json_t *all = json_object();

	for (const char **h = (const char *[]){ "timestamp", "event_type", "host", "plugin", NULL };
	     *h; h++)
		json_object_set(all, *h, json_object_get(line, *h));
	json_object_update(all, want[0]);
	char *text = json_dumps(all, JSON_COMPACT);

	expect(text && !strcmp(text, th_line(th, n)), "12 nested objects: %s", th_line(th, n));
	free(text);
	json_decref(all);
	json_decref(line);
	json_decref(want[0]);
}

/* The event time: as strftime and the microseconds say for any time gmtime can break down
 * into a year of up to 7 digits; a longer or impossible one leaves out the date part, never
 * the JSON (the field's room is fixed). */
static void test_timestamps(void)
{
	static const struct timespec times[] = {
		{ 0, 0 }, { 1700000000, 123456789 }, { 253402300799, 999999999 },
		{ 99999999999999, 1000 }, { 999999999999999, 5000 }, { INT64_MAX, 0 },
	};

	for (size_t i = 0; i < sizeof(times) / sizeof(times[0]); i++) {
		struct jp_event *ev = host->event_new(host->ctx, "test", &times[i]);
		json_t *j = ev ? emitted(ev) : NULL;
		const char *got = json_string_value(json_object_get(j, "timestamp"));
		char want[64] = "", date[40];
		struct tm tm;
		size_t n = gmtime_r(&times[i].tv_sec, &tm) ?
			strftime(date, sizeof(date), "%Y-%m-%dT%H:%M:%S", &tm) : 0;

		if (n && n <= 22)
			snprintf(want, sizeof(want), "%s.%06ldZ", date, times[i].tv_nsec / 1000);
		else
			snprintf(want, sizeof(want), ".%06ldZ", times[i].tv_nsec / 1000);
		expect(got && !strcmp(got, want), "timestamp %s", got ? got : "(none)");
		json_decref(j);
	}
}

int main(void)
{
	th = th_new("test_event", true);
	host = th_services(th);
	test_keys();
	test_strings();
	test_string_lengths();
	test_large();
	test_numbers();
	test_addresses();
	test_deep();
	test_timestamps();
	test_random_shapes();
	th_free(th);
	return tally_close();
}
