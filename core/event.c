// SPDX-License-Identifier: BSD-3-Clause
/*
 * Events behind the typed-field services of struct jp_host.
 *
 * This is the per-event hot path of the whole daemon (tens of thousands of events a second
 * from a busy web server, on the same cores as the server), so an event is a small tree in
 * one arena: one allocation per event at most (a freed event is kept for the next), values
 * JSON-encoded once when they are added, and serialization a walk of memcpy()s. A general
 * JSON library cost ~6 us per event here, mostly malloc and formatting.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "host.h"
#include "sinks/sink.h"

#define ARENA_INLINE 4096

struct node {
	struct jp_event *ev;		/* the services get only the object, and need the arena */
	struct node *next;		/* next key of the same object */
	const char *key;
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

struct chunk {
	struct chunk *next;
	char data[];
};

struct jp_event {
	struct jp_plugin_ctx *ctx;
	struct timespec ts;
	struct node root;		/* the event's top-level object */
	struct chunk *chunks;		/* arena overflow, freed with the event */
	size_t used;			/* of inline_arena */
	char inline_arena[ARENA_INLINE];
};

static struct jp_event *spare_event;	/* the loop is single-threaded: one spare suffices */

/* ---- arena ------------------------------------------------------------------------------ */

static void *arena_alloc(struct jp_event *ev, size_t size)
{
	size = (size + 15) & ~(size_t)15;
	if (ev->used + size <= ARENA_INLINE) {
		void *p = ev->inline_arena + ev->used;

		ev->used += size;
		return p;
	}
	struct chunk *c = malloc(sizeof(*c) + size);

	if (!c)
		return NULL;
	c->next = ev->chunks;
	ev->chunks = c;
	return c->data;
}

static char *arena_strdup(struct jp_event *ev, const char *s, size_t len)
{
	char *p = arena_alloc(ev, len + 1);

	if (p) {
		memcpy(p, s, len);
		p[len] = 0;
	}
	return p;
}

/* ---- JSON encoding of values, into a growable scratch buffer ----------------------------- */

struct text {
	char *data;
	size_t len, cap;
	bool failed;
};

static void text_reserve(struct text *t, size_t more)
{
	if (t->len + more <= t->cap || t->failed)
		return;
	size_t cap = t->cap ? t->cap : 1024;

	while (cap < t->len + more)
		cap *= 2;
	char *d = realloc(t->data, cap);

	if (!d) {
		t->failed = true;
		return;
	}
	t->data = d;
	t->cap = cap;
}

static void text_put(struct text *t, const char *s, size_t n)
{
	text_reserve(t, n);
	if (t->failed)
		return;
	memcpy(t->data + t->len, s, n);
	t->len += n;
}

static inline void text_putc(struct text *t, char c)
{
	if (t->len < t->cap) {		/* nearly always: one store */
		t->data[t->len++] = c;
		return;
	}
	text_put(t, &c, 1);
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

static bool valid_utf8(const char *s, size_t len)
{
	for (size_t i = 0; i < len;) {
		if ((unsigned char)s[i] - 1u < 0x7fu) {	/* ASCII but NUL: most of every event */
			i++;
			continue;
		}
		size_t n = utf8_sequence((const unsigned char *)s + i, len - i);

		if (!n || s[i] == 0)
			return false;
		i += n;
	}
	return true;
}

/* What a byte becomes inside a JSON string: 0 as it is, 1 a backslash escape, 2 \u00XX */
static unsigned char json_escape_kind(unsigned char c)
{
	if (c == '"' || c == '\\')
		return 1;
	return c < 0x20 ? 2 : 0;
}

/*
 * A JSON string. With escape_bytes, every byte outside printable ASCII is shown as the four
 * characters \xNN (so the reader still sees what was sent, whatever it was); otherwise the
 * text must be valid UTF-8, which the caller checked. Space for the worst case (6 characters a
 * byte) is reserved once, then written directly.
 */
static void text_json_string(struct text *t, const char *s, size_t len, bool escape_bytes)
{
	static const char hex[] = "0123456789abcdef";

	text_reserve(t, len * 6 + 2);
	if (t->failed)
		return;
	char *o = t->data + t->len;

	*o++ = '"';
	for (size_t i = 0; i < len; i++) {
		unsigned char c = s[i];
		unsigned char kind = json_escape_kind(c);

		if (escape_bytes && (c < 0x20 || c >= 0x7f)) {
			*o++ = '\\';
			*o++ = '\\';
			*o++ = 'x';
			*o++ = hex[c >> 4];
			*o++ = hex[c & 15];
		} else if (!kind) {
			*o++ = c;
		} else if (kind == 1) {
			*o++ = '\\';
			*o++ = c;
		} else {
			memcpy(o, "\\u00", 4);
			o[4] = hex[c >> 4];
			o[5] = hex[c & 15];
			o += 6;
		}
	}
	*o++ = '"';
	t->len = o - t->data;
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
	size_t key_len = strlen(key);

	for (struct node *n = obj->obj.first; n; n = n->next)
		if (n->key_len == key_len && !memcmp(n->key, key, key_len))
			return n;
	struct node *n = arena_alloc(ev, sizeof(*n));

	if (!n)
		return NULL;
	memset(n, 0, sizeof(*n));
	n->ev = ev;
	n->key = arena_strdup(ev, key, key_len);
	n->key_len = key_len;
	if (!n->key)
		return NULL;
	if (obj->obj.last)
		obj->obj.last->next = n;
	else
		obj->obj.first = n;
	obj->obj.last = n;
	return n;
}

static int set_json(struct node *obj, const char *key, const char *json, size_t len)
{
	struct node *n = child(obj, key);
	char *copy = n ? arena_strdup(obj->ev, json, len) : NULL;

	if (!copy)
		return -ENOMEM;
	n->is_object = false;
	n->value.json = copy;
	n->value.len = len;
	return 0;
}

static struct text scratch;	/* reused for every value and every serialization */

static int set_text(struct jp_obj *obj, const char *key)
{
	if (scratch.failed) {
		scratch.failed = false;
		return -ENOMEM;
	}
	return set_json(as_node(obj), key, scratch.data, scratch.len);
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
	}
	return (struct jp_obj *)n;
}

static int svc_obj_string(struct jp_obj *obj, const char *key, const char *value)
{
	if (!value)
		return -EINVAL;
	size_t len = strlen(value);

	if (!valid_utf8(value, len))
		return -EINVAL;
	scratch.len = 0;
	text_json_string(&scratch, value, len, false);
	return set_text(obj, key);
}

/* Bytes from a packet or a process: as they are when valid UTF-8 without NUL, else every byte
 * outside printable ASCII as \xNN. */
static int svc_obj_string_len(struct jp_obj *obj, const char *key, const char *value, size_t len)
{
	scratch.len = 0;
	text_json_string(&scratch, value, len, !valid_utf8(value, len));
	return set_text(obj, key);
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

/* Ports, counts, lengths on every event: printf's format parsing cost more than the digits. */
static int svc_obj_int(struct jp_obj *obj, const char *key, int64_t value)
{
	char buf[24];
	char *end = buf + sizeof(buf);
	char *p = format_u64(value < 0 ? -(uint64_t)value : (uint64_t)value, end);

	if (value < 0)
		*--p = '-';
	return set_json(as_node(obj), key, p, end - p);
}

static int svc_obj_bool(struct jp_obj *obj, const char *key, bool value)
{
	return set_json(as_node(obj), key, value ? "true" : "false", value ? 4 : 5);
}

/* Two addresses on every event: IPv4 is formatted here, glibc's inet_ntop cost ~2000
 * instructions a call; IPv6 keeps it for the :: compression rules. */
static int svc_obj_ip(struct jp_obj *obj, const char *key, int family, const void *addr)
{
	char text[INET6_ADDRSTRLEN + 2] = "\"";
	size_t n = 1;

	if (family == AF_INET) {
		const uint8_t *b = addr;

		for (int i = 0; i < 4; i++) {
			char digits[3];
			char *end = digits + sizeof(digits);
			char *p = format_u64(b[i], end);

			if (i)
				text[n++] = '.';
			memcpy(text + n, p, end - p);
			n += end - p;
		}
	} else if (family == AF_INET6 && inet_ntop(family, addr, text + 1, INET6_ADDRSTRLEN)) {
		n = strlen(text);
	} else {
		return -EAFNOSUPPORT;
	}
	text[n++] = '"';
	return set_json(as_node(obj), key, text, n);
}

static int svc_obj_string_list(struct jp_obj *obj, const char *key, const char *const *values,
			       size_t count)
{
	scratch.len = 0;
	text_putc(&scratch, '[');
	for (size_t i = 0; i < count; i++) {
		size_t len = values[i] ? strlen(values[i]) : 0;

		if (!values[i] || !valid_utf8(values[i], len))
			return -EINVAL; /* callers pass text they validated */
		if (i)
			text_putc(&scratch, ',');
		text_json_string(&scratch, values[i], len, false);
	}
	text_putc(&scratch, ']');
	return set_text(obj, key);
}

int host_event_set_json(struct jp_event *ev, const char *key, json_t *value)
{
	char *text = json_dumps(value, JSON_COMPACT | JSON_ENCODE_ANY);
	int err = text ? set_json(&ev->root, key, text, strlen(text)) : -ENOMEM;

	free(text);
	json_decref(value);
	return err;
}

/* ---- events ------------------------------------------------------------------------------- */

/* "2026-11-22T10:00:00.123456Z": the part up to the seconds changes once a second. */
static void format_timestamp(const struct timespec *ts, char out[48])
{
	static time_t cached_sec = -1;
	static char cached[32];

	/* cached is at most 20 characters: out holds '"', it, ".NNNNNNZ\"" and a NUL */
	if (ts->tv_sec != cached_sec) {
		struct tm tm;

		gmtime_r(&ts->tv_sec, &tm);
		strftime(cached, sizeof(cached), "%Y-%m-%dT%H:%M:%S", &tm);
		cached_sec = ts->tv_sec;
	}
	char micros[6];
	char *end = micros + sizeof(micros);
	char *p = format_u64((uint64_t)(ts->tv_nsec / 1000) % 1000000, end);

	while (p > micros)	/* zero-padded to six digits */
		*--p = '0';
	size_t n = strlen(cached);

	out[0] = '"';
	memcpy(out + 1, cached, n);
	out[n + 1] = '.';
	memcpy(out + n + 2, micros, 6);
	memcpy(out + n + 8, "Z\"", 3);
}

static void event_discard(struct jp_event *ev)
{
	if (!ev)
		return;
	while (ev->chunks) {
		struct chunk *next = ev->chunks->next;

		free(ev->chunks);
		ev->chunks = next;
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
	char stamp[48];

	spare_event = NULL;
	if (!ev)
		return NULL;
	struct jp_obj *root = (struct jp_obj *)&ev->root;

	ev->ctx = ctx;
	ev->chunks = NULL;
	ev->used = 0;
	ev->root = (struct node){ .ev = ev, .is_object = true };
	if (realtime)
		ev->ts = *realtime;
	else
		clock_gettime(CLOCK_REALTIME, &ev->ts);
	format_timestamp(&ev->ts, stamp);
	if (set_json(&ev->root, "timestamp", stamp, strlen(stamp)) ||
	    svc_obj_string(root, "event_type", event_type) ||
	    svc_obj_string(root, "host", ctx->host->host_name) ||
	    svc_obj_string(root, "plugin", ctx->name)) {
		event_discard(ev);
		return NULL;
	}
	return ev;
}

static void serialize(struct text *t, const struct node *obj)
{
	text_putc(t, '{');
	for (const struct node *n = obj->obj.first; n; n = n->next) {
		if (n != obj->obj.first)
			text_putc(t, ',');
		text_json_string(t, n->key, n->key_len, false);
		text_putc(t, ':');
		if (n->is_object)
			serialize(t, n);
		else
			text_put(t, n->value.json, n->value.len);
	}
	text_putc(t, '}');
}

int host_event_emit(struct jp_event *ev)
{
	if (!ev)
		return -EINVAL;
	struct jp_plugin_ctx *ctx = ev->ctx;

	scratch.len = 0;
	serialize(&scratch, &ev->root);
	if (scratch.failed) {
		scratch.failed = false;
		(*ctx->counters[HOST_CNT_ERRORS].value)++;
		event_discard(ev);
		return -ENOMEM;
	}
	(*ctx->counters[HOST_CNT_EVENTS].value)++;
	sinks_write(ctx->host->sinks, scratch.data, scratch.len, &ev->ts);
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
