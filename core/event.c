// SPDX-License-Identifier: BSD-3-Clause
/*
 * Events behind the typed-field services of struct jp_host.
 *
 * This is the per-event hot path of the whole daemon (tens of thousands of events a second
 * from a busy web server, on the same cores as the server; every event of a capture file with
 * --read-pcap), so an event is a small tree in one arena: no allocation per event unless it
 * outgrows 4 kB (a freed event is kept for the next). Each key is encoded once as `"key":`
 * and each value written JSON-encoded straight into the arena, strings in one pass (plain
 * runs 8 bytes at a time, UTF-8 checked only where a byte >= 0x80 is); serialization is a walk
 * of memcpy()s into room reserved once. A general JSON library cost ~6 us per event here,
 * mostly malloc and formatting.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "host.h"
#include "sinks/sink.h"

#define ARENA_INLINE 4096
#define ARENA_BLOCK 4096	/* overflow blocks: this, or what one value needs */

struct node {
	struct jp_event *ev;		/* the services get only the object, and need the arena */
	struct node *next;		/* next key of the same object */
	const char *key;		/* "key": as it is serialized, encoded once */
	size_t key_len;
	bool is_object;
	union {
		struct {
			struct node *first, *last;
		} obj;
		struct {
			const char *json;	/* the value, JSON-encoded */
			size_t len;
		} value;
	};
};

struct block {
	struct block *next;
	char data[];
};

struct jp_event {
	struct jp_plugin_ctx *ctx;
	struct timespec ts;
	struct node root;		/* the event's top-level object */
	char *top, *end;		/* the free room of the arena's current block */
	struct block *blocks;		/* arena overflow, freed with the event */
	size_t json_bound;		/* the serialized length is at most this */
	char inline_arena[ARENA_INLINE] __attribute__((aligned(16)));
};

static struct jp_event *spare_event;	/* the loop is single-threaded: one spare suffices */

/* ---- arena: values are written at its top, then kept or overwritten -------------------- */

/* At least size free bytes at ev->top: a new block when the current one is short. */
static char *arena_room(struct jp_event *ev, size_t size)
{
	if ((size_t)(ev->end - ev->top) >= size)
		return ev->top;
	if (size > SIZE_MAX / 4)
		return NULL;
	size_t cap = size > ARENA_BLOCK ? size : ARENA_BLOCK;
	struct block *b = malloc(sizeof(*b) + cap);

	if (!b)
		return NULL;
	b->next = ev->blocks;
	ev->blocks = b;
	ev->top = b->data;
	ev->end = b->data + cap;
	return ev->top;
}

static struct node *node_alloc(struct jp_event *ev)
{
	const uintptr_t align = _Alignof(struct node) - 1;
	char *p = arena_room(ev, sizeof(struct node) + align);

	if (!p)
		return NULL;
	p = (char *)(((uintptr_t)p + align) & ~align);
	ev->top = p + sizeof(struct node);
	return memset(p, 0, sizeof(struct node));
}

/* ---- JSON text of values ----------------------------------------------------------------- */

static const char hex_digits[] = "0123456789abcdef";

/* What a byte needs inside a JSON string */
enum json_class { J_PLAIN, J_BACKSLASH, J_CONTROL, J_HIGH };

static const unsigned char json_class[256] = {
	[0 ... 0x1f] = J_CONTROL,
	['"'] = J_BACKSLASH,
	['\\'] = J_BACKSLASH,
	[0x80 ... 0xff] = J_HIGH,
};

/* The longest JSON string len bytes can become (\u00XX for each), quotes included. */
static size_t json_string_max(size_t len)
{
	return len > SIZE_MAX / 8 ? SIZE_MAX : 6 * len + 2;
}

/* Whether one of the 8 bytes in w is not J_PLAIN: the has-less-than and has-zero-byte word
 * tests (exact as a yes/no), for < 0x20, '"', '\\', and the top bit for >= 0x80. */
static inline bool any_special(uint64_t w)
{
	const uint64_t ones = 0x0101010101010101ull;
	uint64_t quote = w ^ (ones * '"'), bslash = w ^ (ones * '\\');

	return (w | ((w - ones * 0x20) & ~w) | ((quote - ones) & ~quote) |
		((bslash - ones) & ~bslash)) & ones * 0x80;
}

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
 * s as a JSON string at o, which has room for json_string_max(len); returns the end. One pass:
 * runs of bytes that need nothing are copied 8 at a time, UTF-8 is checked only where a byte
 * >= 0x80 is. With utf8, s must be UTF-8 without NUL, and NULL is returned where it is not;
 * without, bytes >= 0x80 are copied unchecked (keys, which plugins write as literals).
 */
static char *put_json_string(char *o, const char *s, size_t len, bool utf8)
{
	const unsigned char *p = (const unsigned char *)s, *end = p + len;

	*o++ = '"';
	for (;;) {
		for (uint64_t w; end - p >= 8 && (memcpy(&w, p, 8), !any_special(w)); p += 8, o += 8)
			memcpy(o, &w, 8);
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
	}
	*o++ = '"';
	return o;
}

/* Bytes that are not UTF-8: every byte outside printable ASCII as the four characters \xNN,
 * so that the reader still sees what was sent, whatever it was. */
static char *put_json_bytes(char *o, const char *s, size_t len)
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

/* ---- the tree ------------------------------------------------------------------------------ */

static struct node *as_node(struct jp_obj *obj)
{
	return (struct node *)obj;
}

/* The key's node in obj, added at the end (keys keep the order of first addition) if absent. */
static struct node *child(struct node *obj, const char *key)
{
	struct jp_event *ev = obj->ev;
	size_t len = strlen(key);
	char *k = arena_room(ev, json_string_max(len) + 1);

	if (!k)
		return NULL;
	char *end = put_json_string(k, key, len, false);

	*end++ = ':';
	len = end - k;
	for (struct node *n = obj->obj.first; n; n = n->next)
		if (n->key_len == len && !memcmp(n->key, k, len))
			return n;	/* the encoded key at the top is overwritten later */
	ev->top = end;
	struct node *n = node_alloc(ev);

	if (!n)
		return NULL;
	n->ev = ev;
	n->key = k;
	n->key_len = len;
	ev->json_bound += len + 1;	/* and a comma */
	if (obj->obj.last)
		obj->obj.last->next = n;
	else
		obj->obj.first = n;
	obj->obj.last = n;
	return n;
}

/* Keep the value just written at the arena's top, [json, end), as key's value. */
static int set_value(struct node *obj, const char *key, char *json, char *end)
{
	struct jp_event *ev = obj->ev;

	ev->top = end;
	struct node *n = child(obj, key);

	if (!n)
		return -ENOMEM;
	n->is_object = false;
	n->value.json = json;
	n->value.len = end - json;
	ev->json_bound += end - json;
	return 0;
}

static char *value_room(struct jp_obj *obj, size_t size)
{
	return arena_room(as_node(obj)->ev, size);
}

/* ---- services --------------------------------------------------------------------------- */

static struct jp_obj *svc_obj_object(struct jp_obj *parent, const char *key)
{
	struct node *n = child(as_node(parent), key);

	if (!n)
		return NULL;
	if (!n->is_object) {	/* new, or a value replaced by an object */
		n->is_object = true;
		n->obj.first = n->obj.last = NULL;
		n->ev->json_bound += 2;
	}
	return (struct jp_obj *)n;
}

/* Bytes from a packet or a process: as they are when valid UTF-8 without NUL, else every byte
 * outside printable ASCII as \xNN. */
static int svc_obj_string_len(struct jp_obj *obj, const char *key, const char *value, size_t len)
{
	char *json = value_room(obj, json_string_max(len));

	if (!json)
		return -ENOMEM;
	char *end = put_json_string(json, value, len, true);

	if (!end)
		end = put_json_bytes(json, value, len);
	return set_value(as_node(obj), key, json, end);
}

static int svc_obj_string(struct jp_obj *obj, const char *key, const char *value)
{
	if (!value)
		return -EINVAL;
	size_t len = strlen(value);
	char *json = value_room(obj, json_string_max(len));

	if (!json)
		return -ENOMEM;
	char *end = put_json_string(json, value, len, true);

	return end ? set_value(as_node(obj), key, json, end) : -EINVAL;
}

/* Decimal digits of v, right-aligned ending at end; returns where they start. */
static char *format_u64(uint64_t v, char *end)
{
	do {
		*--end = '0' + v % 10;
		v /= 10;
	} while (v);
	return end;
}

/* The decimal digits of v at o; returns their end. */
static char *put_u64(char *o, uint64_t v)
{
	char digits[20];
	char *end = digits + sizeof(digits);
	char *p = format_u64(v, end);

	memcpy(o, p, end - p);
	return o + (end - p);
}

/* Ports, counts, lengths on every event: printf's format parsing cost more than the digits. */
static int svc_obj_int(struct jp_obj *obj, const char *key, int64_t value)
{
	char *json = value_room(obj, 21);

	if (!json)
		return -ENOMEM;
	char *o = json;

	if (value < 0)
		*o++ = '-';
	o = put_u64(o, value < 0 ? -(uint64_t)value : (uint64_t)value);
	return set_value(as_node(obj), key, json, o);
}

static int svc_obj_bool(struct jp_obj *obj, const char *key, bool value)
{
	char *json = value_room(obj, 5);

	if (!json)
		return -ENOMEM;
	memcpy(json, value ? "true" : "false", 5);
	return set_value(as_node(obj), key, json, json + (value ? 4 : 5));
}

static char *put_ipv4(char *o, const uint8_t *b)
{
	for (int i = 0; i < 4; i++) {
		if (i)
			*o++ = '.';
		o = put_u64(o, b[i]);
	}
	return o;
}

/*
 * The text glibc's inet_ntop writes (RFC 5952 with glibc's one liberty): lowercase hex
 * without leading zeros, the first longest run of two or more zero words as "::", and the
 * last 32 bits in dotted form after ::ffff: or when only they are non-zero. inet_ntop cost
 * ~2500 instructions a call, a sprintf per word.
 */
static char *put_ipv6(char *o, const uint8_t *a)
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
			return put_ipv4(o, a + 12);
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

/* Two addresses on every event. */
static int svc_obj_ip(struct jp_obj *obj, const char *key, int family, const void *addr)
{
	if (family != AF_INET && family != AF_INET6)
		return -EAFNOSUPPORT;
	char *json = value_room(obj, INET6_ADDRSTRLEN + 2);

	if (!json)
		return -ENOMEM;
	char *o = json;

	*o++ = '"';
	o = family == AF_INET ? put_ipv4(o, addr) : put_ipv6(o, addr);
	*o++ = '"';
	return set_value(as_node(obj), key, json, o);
}

static int svc_obj_string_list(struct jp_obj *obj, const char *key, const char *const *values,
			       size_t count)
{
	size_t max = 2;

	for (size_t i = 0; i < count; i++) {
		if (!values[i])
			return -EINVAL;
		max += json_string_max(strlen(values[i])) + 1;
	}
	char *json = value_room(obj, max);

	if (!json)
		return -ENOMEM;
	char *o = json;

	*o++ = '[';
	for (size_t i = 0; i < count; i++) {
		if (i)
			*o++ = ',';
		o = put_json_string(o, values[i], strlen(values[i]), true);
		if (!o)
			return -EINVAL; /* callers pass text they validated */
	}
	*o++ = ']';
	return set_value(as_node(obj), key, json, o);
}

int host_event_set_json(struct jp_event *ev, const char *key, json_t *value)
{
	char *text = json_dumps(value, JSON_COMPACT | JSON_ENCODE_ANY);
	size_t len = text ? strlen(text) : 0;
	char *json = text ? arena_room(ev, len) : NULL;
	int err = -ENOMEM;

	if (json) {
		memcpy(json, text, len);
		err = set_value(&ev->root, key, json, json + len);
	}
	free(text);
	json_decref(value);
	return err;
}

/* ---- events ------------------------------------------------------------------------------- */

/* The timestamp at o; the part up to the seconds changes once a second. */
static char *put_timestamp(char *o, const struct timespec *ts)
{
	static time_t cached_sec = -1;
	static char cached[32];
	static size_t cached_len;

	if (ts->tv_sec != cached_sec) {
		struct tm tm;

		gmtime_r(&ts->tv_sec, &tm);
		cached_len = strftime(cached, sizeof(cached), "%Y-%m-%dT%H:%M:%S", &tm);
		cached_sec = ts->tv_sec;
	}
	char micros[6];
	char *end = micros + sizeof(micros);
	char *p = format_u64((uint64_t)(ts->tv_nsec / 1000) % 1000000, end);

	while (p > micros)	/* zero-padded to six digits */
		*--p = '0';
	*o++ = '"';
	memcpy(o, cached, cached_len);
	o += cached_len;
	*o++ = '.';
	memcpy(o, micros, 6);
	memcpy(o + 6, "Z\"", 2);
	return o + 8;
}

static void event_discard(struct jp_event *ev)
{
	if (!ev)
		return;
	while (ev->blocks) {
		struct block *next = ev->blocks->next;

		free(ev->blocks);
		ev->blocks = next;
	}
	if (!spare_event)
		spare_event = ev;
	else
		free(ev);
}

struct jp_event *host_event_new(struct jp_plugin_ctx *ctx, const char *event_type,
				const struct timespec *realtime)
{
	struct jp_event *ev = spare_event ? spare_event : malloc(sizeof(*ev));

	spare_event = NULL;
	if (!ev)
		return NULL;
	struct jp_obj *root = (struct jp_obj *)&ev->root;

	ev->ctx = ctx;
	ev->blocks = NULL;
	ev->top = ev->inline_arena;
	ev->end = ev->inline_arena + ARENA_INLINE;
	ev->json_bound = 2;
	ev->root = (struct node){ .ev = ev, .is_object = true };
	if (realtime)
		ev->ts = *realtime;
	else
		clock_gettime(CLOCK_REALTIME, &ev->ts);
	/* 32 bytes are room enough: the empty arena has 4096 */
	char *stamp = ev->top;

	if (set_value(&ev->root, "timestamp", stamp, put_timestamp(stamp, &ev->ts)) ||
	    svc_obj_string(root, "event_type", event_type) ||
	    svc_obj_string(root, "host", ctx->host->host_name) ||
	    svc_obj_string(root, "plugin", ctx->name)) {
		event_discard(ev);
		return NULL;
	}
	return ev;
}

/* A walk of memcpy()s into room for ev->json_bound bytes; returns the end. */
static char *serialize(char *o, const struct node *obj)
{
	*o++ = '{';
	for (const struct node *n = obj->obj.first; n; n = n->next) {
		if (n != obj->obj.first)
			*o++ = ',';
		memcpy(o, n->key, n->key_len);
		o += n->key_len;
		if (n->is_object) {
			o = serialize(o, n);
		} else {
			memcpy(o, n->value.json, n->value.len);
			o += n->value.len;
		}
	}
	*o++ = '}';
	return o;
}

/* reused for every serialization; grows to the largest event and stays */
static char *scratch;
static size_t scratch_cap;

int host_event_emit(struct jp_event *ev)
{
	if (!ev)
		return -EINVAL;
	struct jp_plugin_ctx *ctx = ev->ctx;

	if (ev->json_bound > scratch_cap) {
		size_t cap = scratch_cap ? scratch_cap : 4096;

		while (cap < ev->json_bound)
			cap *= 2;
		char *grown = realloc(scratch, cap);

		if (!grown) {
			(*ctx->counters[HOST_CNT_ERRORS].value)++;
			event_discard(ev);
			return -ENOMEM;
		}
		scratch = grown;
		scratch_cap = cap;
	}
	size_t len = serialize(scratch, &ev->root) - scratch;

	(*ctx->counters[HOST_CNT_EVENTS].value)++;
	sinks_write(ctx->host->sinks, scratch, len, &ev->ts);
	event_discard(ev);
	return 0;
}

static struct jp_event *svc_event_new(struct jp_plugin_ctx *ctx, const char *event_type,
				      const struct timespec *realtime)
{
	return host_event_new(ctx, event_type, realtime);
}

static struct jp_obj *svc_event_root(struct jp_event *ev)
{
	return (struct jp_obj *)&ev->root;
}

void host_event_services(struct jp_host *s)
{
	s->event_new = svc_event_new;
	s->event_root = svc_event_root;
	s->obj_object = svc_obj_object;
	s->obj_string = svc_obj_string;
	s->obj_string_len = svc_obj_string_len;
	s->obj_int = svc_obj_int;
	s->obj_bool = svc_obj_bool;
	s->obj_ip = svc_obj_ip;
	s->obj_string_list = svc_obj_string_list;
	s->event_emit = host_event_emit;
	s->event_discard = event_discard;
}
