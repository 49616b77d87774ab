// SPDX-License-Identifier: BSD-3-Clause
/*
 * Events behind the typed-field services of struct jp_host.
 *
 * This is the per-event hot path of the whole daemon (tens of thousands of events a second
 * from a busy web server, on the same cores as the server; every event of a capture file with
 * --read-pcap), so an event is a small tree in one arena, with no allocation unless it
 * outgrows 4 kB (a freed event is kept for the next). A field is written once, JSON-encoded,
 * at the arena's top as `"key":value` (strings in one pass: plain runs 8 bytes at a time, UTF-8
 * checked only where a byte >= 0x80 is), with the separators that lead to it. So while the
 * fields come in order, as plugins add them, the arena's text is the event's JSON as it is
 * sent: emit adds the closing braces and hands it to the sinks. The tree (nodes are taken from
 * the arena's other end) keeps what the SDK promises for the other cases: a key added again
 * replaces its value in place, an object can be added to after another was opened; then emit
 * serializes the tree, a walk of memcpy()s. A general JSON library cost ~6 us per event here,
 * mostly malloc and formatting.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "host.h"
#include "json_text.h"
#include "sinks/sink.h"

#define ARENA_INLINE 4096
#define ARENA_BLOCK 4096	/* overflow blocks: this, or what one field needs */
#define ARENA_MAX (SIZE_MAX / 4)	/* larger requests fail: sums of a few cannot wrap */
#define OPEN_MAX 8		/* objects open in the text at once; deeper, the tree is used */

struct node {
	struct jp_event *ev;		/* the services get only the object, and need the arena */
	struct node *next;		/* next key of the same object */
	const char *key;		/* "key": as it is serialized, encoded once */
	size_t key_len;
	uint64_t tag;			/* key_tag(): compared before the key */
	bool is_object;
	union {
		struct {
			struct node *first, *last;
			uint64_t keys;	/* a bit per key_tag() of its keys: most are new */
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
	/* the current block's free room: text is written up from top, nodes taken down from end */
	char *top, *end;
	struct block *blocks;		/* arena overflow, freed with the event */
	/*
	 * in_order: the text from inline_arena to top is the event's JSON but for the braces of
	 * the open[] objects (root first). A field of an object that is not open, a key added
	 * again, an object deeper than OPEN_MAX or an arena block filled end it.
	 */
	bool in_order;
	size_t n_open;
	struct node *open[OPEN_MAX];
	char inline_arena[ARENA_INLINE] __attribute__((aligned(16)));
};

static struct jp_event *spare_event;	/* the loop is single-threaded: one spare suffices */

/* ---- arena ------------------------------------------------------------------------------ */

/* At least size free bytes at ev->top: a new block when the current one is short (the text
 * goes on there, so it is no longer the event's JSON). */
static char *arena_room(struct jp_event *ev, size_t size)
{
	if ((size_t)(ev->end - ev->top) >= size)
		return ev->top;
	if (size > ARENA_MAX)
		return NULL;
	size_t cap = size > ARENA_BLOCK ? size : ARENA_BLOCK;
	struct block *b = malloc(sizeof(*b) + cap);

	if (!b)
		return NULL;
	b->next = ev->blocks;
	ev->blocks = b;
	ev->top = b->data;
	ev->end = b->data + cap;
	ev->in_order = false;
	return ev->top;
}

/* Uninitialized. */
static struct node *node_alloc(struct jp_event *ev)
{
	const uintptr_t align = _Alignof(struct node) - 1;

	if (!arena_room(ev, sizeof(struct node) + align))
		return NULL;
	ev->end = (char *)(((uintptr_t)ev->end - sizeof(struct node)) & ~align);
	return (struct node *)ev->end;
}

/* ---- JSON text sizes --------------------------------------------------------------------- */

/* The longest JSON string len bytes can become (\u00XX for each), quotes included; past
 * ARENA_MAX when it cannot be held, and sums of three stay past it. */
static size_t json_string_max(size_t len)
{
	return len > ARENA_MAX / 6 ? ARENA_MAX + 1 : 6 * len + 2;
}

/* ---- fields ------------------------------------------------------------------------------ */

static struct node *as_node(struct jp_obj *obj)
{
	return (struct node *)obj;
}

/* A field being added: [closing braces][comma]"key":value written at the arena's top. */
struct field {
	struct node *obj;
	char *key;		/* "key": */
	size_t key_len;
	uint64_t tag;		/* key_tag() */
	size_t closes;		/* open objects that adding to obj closes */
	bool is_new;		/* no lookup: the key is known to be new (the header) */
};

/*
 * What keys are compared by first, and what an object's map of keys is indexed by: a word of
 * the key as given (its last 8 bytes, or its first and last 4). Read from the given key: reading
 * the encoded key back as a word stalled on the byte stores just made.
 */
static inline uint64_t key_tag(const char *key, size_t len)
{
	uint64_t tag = 0;
	uint32_t a, b;

	if (len >= 8) {
		memcpy(&tag, key + len - 8, 8);
	} else if (len >= 4) {
		memcpy(&a, key, 4);
		memcpy(&b, key + len - 4, 4);
		tag = (uint64_t)a << 32 | b;
	} else {
		while (len--)
			tag = tag << 8 | (unsigned char)*key++;
	}
	return tag;
}

static uint64_t tag_bit(uint64_t tag)
{
	return 1ull << (tag * 0x9e3779b97f4a7c15ull >> 58);
}

/* Whether the text can go on with a field of obj, and how many open objects that closes. */
static inline void field_place(struct field *f, struct node *obj)
{
	struct jp_event *ev = obj->ev;

	f->obj = obj;
	f->closes = 0;
	f->is_new = false;
	if (!ev->in_order || ev->open[ev->n_open - 1] == obj)
		return;
	for (size_t i = ev->n_open - 1; i-- > 0;) {
		if (ev->open[i] == obj) {
			f->closes = ev->n_open - 1 - i;
			return;
		}
	}
	ev->in_order = false;	/* obj was closed */
}

/* The separators before the key: room for f->closes + 1 bytes at o. */
static char *put_separators(const struct field *f, char *o)
{
	if (!f->obj->ev->in_order)
		return o;
	for (size_t i = 0; i < f->closes; i++)	/* mostly none */
		*o++ = '}';
	if (f->obj->obj.first)
		*o++ = ',';
	return o;
}

/*
 * Start a field of obj: writes the separators and "key": at the arena's top and returns where
 * the value goes, with room for value_max bytes (NULL: out of memory). Nothing is kept until
 * field_commit().
 */
static char *field_begin(struct field *f, struct node *obj, const char *key, size_t value_max)
{
	struct jp_event *ev = obj->ev;

	field_place(f, obj);
	size_t len = strlen(key);
	char *o = arena_room(ev, f->closes + 1 + json_string_max(len) + 1 + value_max);

	if (!o)
		return NULL;
	char *k = put_separators(f, o);

	o = json_put_short_plain(k, key, len);
	if (!o)
		o = json_put_string(k, key, len, false);
	*o++ = ':';
	f->key = k;
	f->key_len = o - k;
	f->tag = key_tag(key, len);
	return o;
}

/* Start a field of a key known to be new in obj, given as it is and as "key": text. */
static inline char *field_begin_new(struct field *f, struct node *obj, const char *name,
				    size_t name_len, const char *key, size_t key_len,
				    size_t value_max)
{
	field_place(f, obj);
	char *o = arena_room(obj->ev, f->closes + 1 + key_len + value_max);

	if (!o)
		return NULL;
	o = put_separators(f, o);
	memcpy(o, key, key_len);
	f->key = o;
	f->key_len = key_len;
	f->tag = key_tag(name, name_len);
	f->is_new = true;
	return o + key_len;
}

static struct node *lookup(const struct node *obj, const struct field *f)
{
	if (!(obj->obj.keys & tag_bit(f->tag)))
		return NULL;
	for (struct node *n = obj->obj.first; n; n = n->next)
		if (n->tag == f->tag && n->key_len == f->key_len &&
		    !memcmp(n->key, f->key, f->key_len))
			return n;
	return NULL;
}

/* The field's new node, last of its object (its value is set by the caller). The field is
 * read once: without strict aliasing each store to the node would make it be read again. */
static struct node *append(const struct field *f)
{
	struct node *obj = f->obj;
	struct jp_event *ev = obj->ev;
	const char *key = f->key;
	size_t key_len = f->key_len;
	uint64_t tag = f->tag;
	struct node *n = node_alloc(ev), *last = obj->obj.last;

	if (!n)
		return NULL;
	n->ev = ev;
	n->next = NULL;
	n->key = key;
	n->key_len = key_len;
	n->tag = tag;
	n->is_object = false;
	if (last)
		last->next = n;
	else
		obj->obj.first = n;
	obj->obj.last = n;
	obj->obj.keys |= tag_bit(tag);
	return n;
}

static void node_set_value(struct node *n, const char *value, const char *end)
{
	n->is_object = false;
	n->value.json = value;
	n->value.len = end - value;
}

static void node_make_object(struct node *n)
{
	struct jp_event *ev = n->ev;

	if (!n->is_object) {
		n->is_object = true;
		n->obj.first = n->obj.last = NULL;
		n->obj.keys = 0;
	}
	if (ev->n_open == OPEN_MAX)
		ev->in_order = false;
	else if (ev->in_order)
		ev->open[ev->n_open++] = n;
}

/* A key added again gets the new value in its place; the text no longer reads in order. */
static struct node *field_replace(struct field *f, struct node *n, char *end, bool is_object)
{
	struct jp_event *ev = f->obj->ev;

	ev->top = end;
	ev->in_order = false;
	if (is_object)
		node_make_object(n);
	else
		node_set_value(n, f->key + f->key_len, end);
	return n;
}

/*
 * Keep the field whose value was written up to end: a new key is appended to obj, an existing
 * one gets the new value in its place. With is_object the value is the object's "{", and an
 * object that was there already stays as it was. Returns the key's node, NULL on ENOMEM.
 */
static struct node *field_commit(struct field *f, char *end, bool is_object)
{
	struct jp_event *ev = f->obj->ev;
	struct node *n = f->is_new ? NULL : lookup(f->obj, f);

	if (n)
		return is_object && n->is_object ? n : field_replace(f, n, end, is_object);
	ev->top = end;
	ev->n_open -= f->closes;
	n = append(f);
	if (!n) {
		ev->in_order = false;	/* the text holds the field, the tree does not */
		return NULL;
	}
	if (is_object)
		node_make_object(n);
	else
		node_set_value(n, f->key + f->key_len, end);
	return n;
}

static int field_value(struct field *f, char *end)
{
	return field_commit(f, end, false) ? 0 : -ENOMEM;
}

/* ---- services --------------------------------------------------------------------------- */

static struct jp_obj *svc_obj_object(struct jp_obj *parent, const char *key)
{
	struct field f;
	char *o = field_begin(&f, as_node(parent), key, 1);

	if (!o)
		return NULL;
	*o++ = '{';
	return (struct jp_obj *)field_commit(&f, o, true);
}

/* Bytes from a packet or a process: as they are when valid UTF-8 without NUL, else every byte
 * outside printable ASCII as \xNN. */
static int svc_obj_string_len(struct jp_obj *obj, const char *key, const char *value, size_t len)
{
	struct field f;
	char *json = field_begin(&f, as_node(obj), key, json_string_max(len));

	if (!json)
		return -ENOMEM;
	char *end = json_put_string(json, value, len, true);

	if (!end)
		end = json_put_bytes(json, value, len);
	return field_value(&f, end);
}

/* A field whose value, which must be UTF-8, is a JSON string. The key is name, or, known to
 * be new (the header's), key as text. */
static int string_field(struct node *obj, const char *name, size_t name_len, const char *key,
			size_t key_len, const char *value)
{
	struct field f;

	if (!value)
		return -EINVAL;
	size_t len = strlen(value), max = json_string_max(len);
	char *json = key ? field_begin_new(&f, obj, name, name_len, key, key_len, max) :
			   field_begin(&f, obj, name, max);

	if (!json)
		return -ENOMEM;
	char *end = json_put_string(json, value, len, true);

	return end ? field_value(&f, end) : -EINVAL;
}

static int svc_obj_string(struct jp_obj *obj, const char *key, const char *value)
{
	return string_field(as_node(obj), key, 0, NULL, 0, value);
}

static int svc_obj_int(struct jp_obj *obj, const char *key, int64_t value)
{
	struct field f;
	char *o = field_begin(&f, as_node(obj), key, 21);

	if (!o)
		return -ENOMEM;
	if (value < 0)
		*o++ = '-';
	o = json_put_u64(o, value < 0 ? -(uint64_t)value : (uint64_t)value);
	return field_value(&f, o);
}

static int svc_obj_bool(struct jp_obj *obj, const char *key, bool value)
{
	struct field f;
	char *o = field_begin(&f, as_node(obj), key, 5);

	if (!o)
		return -ENOMEM;
	memcpy(o, value ? "true" : "false", 5);
	return field_value(&f, o + (value ? 4 : 5));
}

/* Two addresses on every event. */
static int svc_obj_ip(struct jp_obj *obj, const char *key, int family, const void *addr)
{
	if (family != AF_INET && family != AF_INET6)
		return -EAFNOSUPPORT;
	struct field f;
	char *o = field_begin(&f, as_node(obj), key, INET6_ADDRSTRLEN + 2);

	if (!o)
		return -ENOMEM;
	*o++ = '"';
	o = family == AF_INET ? json_put_ipv4(o, addr) : json_put_ipv6(o, addr);
	*o++ = '"';
	return field_value(&f, o);
}

static int svc_obj_string_list(struct jp_obj *obj, const char *key, const char *const *values,
			       size_t count)
{
	size_t max = 2;

	for (size_t i = 0; i < count; i++) {
		if (!values[i])
			return -EINVAL;
		max += json_string_max(strlen(values[i])) + 1;
		if (max > ARENA_MAX)
			return -ENOMEM;
	}
	struct field f;
	char *o = field_begin(&f, as_node(obj), key, max);

	if (!o)
		return -ENOMEM;
	*o++ = '[';
	for (size_t i = 0; i < count; i++) {
		if (i)
			*o++ = ',';
		o = json_put_string(o, values[i], strlen(values[i]), true);
		if (!o)
			return -EINVAL; /* callers pass text they validated */
	}
	*o++ = ']';
	return field_value(&f, o);
}

int host_event_set_json(struct jp_event *ev, const char *key, json_t *value)
{
	char *text = json_dumps(value, JSON_COMPACT | JSON_ENCODE_ANY);
	size_t len = text ? strlen(text) : 0;
	struct field f;
	char *json = text ? field_begin(&f, &ev->root, key, len) : NULL;
	int err = -ENOMEM;

	if (json) {
		memcpy(json, text, len);
		err = field_value(&f, json + len);
	}
	free(text);
	json_decref(value);
	return err;
}

/* ---- events ------------------------------------------------------------------------------- */

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

/* the header's keys: known, new, as they are and as text */
#define HEADER_KEY(name) name, sizeof(name) - 1, "\"" name "\":", sizeof(name) + 2

/* A header field whose value is given as JSON text. */
static int header_field(struct jp_event *ev, const char *name, size_t name_len, const char *key,
			size_t key_len, const char *json, size_t len)
{
	struct field f;
	char *o = field_begin_new(&f, &ev->root, name, name_len, key, key_len, len);

	if (!o)
		return -ENOMEM;
	memcpy(o, json, len);
	return field_value(&f, o + len);
}

/* The source's part of the header, "host" and "plugin", encoded at its first event. */
static int header_of_source(struct jp_plugin_ctx *ctx)
{
	if (ctx->event_header)
		return 0;
	size_t host_len = strlen(ctx->host->host_name), name_len = strlen(ctx->name);
	char *text = malloc(json_string_max(host_len) + json_string_max(name_len));
	char *mid = text ? json_put_string(text, ctx->host->host_name, host_len, true) : NULL;
	char *end = mid ? json_put_string(mid, ctx->name, name_len, true) : NULL;

	if (!end) {
		int err = text ? -EINVAL : -ENOMEM;

		free(text);
		return err;
	}
	ctx->event_header = text;
	ctx->event_header_host_len = mid - text;
	ctx->event_header_len = end - text;
	return 0;
}

struct jp_event *host_event_new(struct jp_plugin_ctx *ctx, const char *event_type,
				const struct timespec *realtime)
{
	struct jp_event *ev = spare_event ? spare_event : malloc(sizeof(*ev));

	spare_event = NULL;
	if (!ev)
		return NULL;
	ev->ctx = ctx;
	ev->blocks = NULL;
	ev->root = (struct node){ .ev = ev, .is_object = true };
	ev->inline_arena[0] = '{';
	ev->top = ev->inline_arena + 1;
	ev->end = ev->inline_arena + ARENA_INLINE;
	ev->in_order = true;
	ev->n_open = 1;
	ev->open[0] = &ev->root;
	if (realtime)
		ev->ts = *realtime;
	else
		clock_gettime(CLOCK_REALTIME, &ev->ts);
	/* the header's keys are new: no encoding, no lookup */
	struct field f;
	char *stamp = field_begin_new(&f, &ev->root, HEADER_KEY("timestamp"),
				      JSON_TIMESTAMP_ROOM);
	int err = stamp ? field_value(&f, json_put_timestamp(stamp, &ev->ts)) : -ENOMEM;

	if (!err)
		err = string_field(&ev->root, HEADER_KEY("event_type"), event_type);
	if (!err)
		err = header_of_source(ctx);
	if (!err)
		err = header_field(ev, HEADER_KEY("host"), ctx->event_header,
				   ctx->event_header_host_len);
	if (!err)
		err = header_field(ev, HEADER_KEY("plugin"),
				   ctx->event_header + ctx->event_header_host_len,
				   ctx->event_header_len - ctx->event_header_host_len);
	if (err) {
		event_discard(ev);
		return NULL;
	}
	return ev;
}

/* The tree's serialized length. */
static size_t json_length(const struct node *obj)
{
	size_t len = 2;

	for (const struct node *n = obj->obj.first; n; n = n->next)
		len += (n != obj->obj.first) + n->key_len +
		       (n->is_object ? json_length(n) : n->value.len);
	return len;
}

/* A walk of memcpy()s into room for json_length() bytes; returns the end. */
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

/* reused for every serialization of a tree; grows to the largest event and stays */
static char *scratch;
static size_t scratch_cap;

/* The event's JSON: the arena's text closed, or the tree serialized into scratch. */
static int event_json(struct jp_event *ev, const char **json, size_t *len)
{
	if (ev->in_order) {
		char *o = arena_room(ev, ev->n_open);

		if (o && ev->in_order) {
			memset(o, '}', ev->n_open);
			*json = ev->inline_arena;
			*len = o + ev->n_open - ev->inline_arena;
			return 0;
		}
	}
	size_t need = json_length(&ev->root);

	if (need > scratch_cap) {
		size_t cap = scratch_cap ? scratch_cap : 4096;

		while (cap < need)
			cap *= 2;
		char *grown = realloc(scratch, cap);

		if (!grown)
			return -ENOMEM;
		scratch = grown;
		scratch_cap = cap;
	}
	*json = scratch;
	*len = serialize(scratch, &ev->root) - scratch;
	return 0;
}

int host_event_emit(struct jp_event *ev)
{
	if (!ev)
		return -EINVAL;
	struct jp_plugin_ctx *ctx = ev->ctx;
	const char *json;
	size_t len;
	int err = event_json(ev, &json, &len);

	if (err) {
		(*ctx->counters[HOST_CNT_ERRORS].value)++;
		event_discard(ev);
		return err;
	}
	(*ctx->counters[HOST_CNT_EVENTS].value)++;
	sinks_write(ctx->host->sinks, json, len, &ev->ts);
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
