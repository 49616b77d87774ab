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
#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include "host.h"
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

/* The longest JSON string len bytes can become (\u00XX for each), quotes included; past
 * ARENA_MAX when it cannot be held, and sums of three stay past it. */
static size_t json_string_max(size_t len)
{
	return len > ARENA_MAX / 6 ? ARENA_MAX + 1 : 6 * len + 2;
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
		for (; end - p >= 8 && (memcpy(&w, p, 8), !any_special(w)); p += 8, o += 8)
			memcpy(o, &w, 8);
		size_t left = end - p;

		/* the last 1-7 bytes: as the word ending at end (its first bytes were copied as
		 * they are, and are again), or as two 4-byte halves that overlap */
		if (left < 8 && end - run >= 8 && (memcpy(&w, end - 8, 8), !any_special(w))) {
			memcpy(o + left - 8, &w, 8);
			o += left;
			break;
		}
		if (left >= 4 && left < 8 && (memcpy(&a, p, 4), memcpy(&b, end - 4, 4),
					      !any_special((uint64_t)a << 32 | b))) {
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

/* s as a JSON string at o when it needs no escaping and is 1 to 16 bytes long, as keys are:
 * two words, two halves or bytes; NULL otherwise. */
static inline char *put_short_plain(char *o, const char *s, size_t len)
{
	uint64_t x, y;
	uint32_t a, b;

	if (len >= 8 && len <= 16) {
		memcpy(&x, s, 8);
		memcpy(&y, s + len - 8, 8);
		if (any_special(x) || any_special(y))
			return NULL;
		memcpy(o + 1, &x, 8);
		memcpy(o + 1 + len - 8, &y, 8);
	} else if (len >= 4 && len < 8) {
		memcpy(&a, s, 4);
		memcpy(&b, s + len - 4, 4);
		if (any_special((uint64_t)a << 32 | b))
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

	o = put_short_plain(k, key, len);
	if (!o)
		o = put_json_string(k, key, len, false);
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
	if (!n)
		return NULL;
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
	char *end = put_json_string(json, value, len, true);

	if (!end)
		end = put_json_bytes(json, value, len);
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
	char *end = put_json_string(json, value, len, true);

	return end ? field_value(&f, end) : -EINVAL;
}

static int svc_obj_string(struct jp_obj *obj, const char *key, const char *value)
{
	return string_field(as_node(obj), key, 0, NULL, 0, value);
}

static const char two_digits[200] =
	"00010203040506070809" "10111213141516171819" "20212223242526272829"
	"30313233343536373839" "40414243444546474849" "50515253545556575859"
	"60616263646566676869" "70717273747576777879" "80818283848586878889"
	"90919293949596979899";

/* The last n decimal digits of v at o, zero-padded, two per division; returns their end. */
static char *put_digits(char *o, uint64_t v, unsigned n)
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

/* The decimal digits of v at o; returns their end. */
static char *put_u64(char *o, uint64_t v)
{
	unsigned n = 1;

	for (uint64_t limit = 10; n < 20 && v >= limit; limit *= 10)
		n++;
	return put_digits(o, v, n);
}

/* The decimal text of each byte value, then its length (filled by host_event_services()):
 * two addresses are on every event. */
static char octets[256][4];

static void octets_init(void)
{
	for (unsigned v = 0; v < 256; v++) {
		char *o = octets[v];

		if (v >= 100)
			*o++ = '0' + v / 100;
		if (v >= 10)
			*o++ = '0' + v / 10 % 10;
		*o++ = '0' + v % 10;
		octets[v][3] = o - octets[v];
	}
}

/* Room for 16 bytes at o: each octet is copied as 4. */
static char *put_ipv4(char *o, const uint8_t *b)
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

/* Ports, counts, lengths on every event: printf's format parsing cost more than the digits. */
static int svc_obj_int(struct jp_obj *obj, const char *key, int64_t value)
{
	struct field f;
	char *o = field_begin(&f, as_node(obj), key, 21);

	if (!o)
		return -ENOMEM;
	if (value < 0)
		*o++ = '-';
	o = put_u64(o, value < 0 ? -(uint64_t)value : (uint64_t)value);
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
	o = family == AF_INET ? put_ipv4(o, addr) : put_ipv6(o, addr);
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
		o = put_json_string(o, values[i], strlen(values[i]), true);
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
	*o++ = '"';
	memcpy(o, cached, cached_len);
	o += cached_len;
	*o++ = '.';
	o = put_digits(o, (uint64_t)(ts->tv_nsec / 1000) % 1000000, 6);
	memcpy(o, "Z\"", 2);
	return o + 2;
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
	char *mid = text ? put_json_string(text, ctx->host->host_name, host_len, true) : NULL;
	char *end = mid ? put_json_string(mid, ctx->name, name_len, true) : NULL;

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
	char *stamp = field_begin_new(&f, &ev->root, HEADER_KEY("timestamp"), 32);
	int err = stamp ? field_value(&f, put_timestamp(stamp, &ev->ts)) : -ENOMEM;

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
	octets_init();
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
