// SPDX-License-Identifier: BSD-3-Clause
/* tcap_fakehost: see tcap_fakehost.h. Allocation failures abort: this is test code. */
#include <arpa/inet.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tcap_fakehost.h"

struct fh_entry {
	char *key;
	char *value;		/* rendered, or NULL for a nested object */
	struct jp_obj *child;
};

struct jp_obj {
	struct fh_entry *e;
	size_t n;
};

struct jp_event {
	struct fh_host *h;
	char *type;
	struct timespec ts;
	struct jp_obj root;
};

struct fh_counter {
	char *name;
	uint64_t value;
};

struct jp_plugin_ctx {
	struct fh_host *h;
};

struct fh_host {
	struct jp_host svc;
	struct jp_plugin_ctx ctx;
	char *name;
	char **lines;
	size_t n_lines;
	struct fh_counter *counters;	/* slots never move: allocated once, large enough */
	size_t n_counters;
};

#define FH_MAX_COUNTERS 256

static void *fh_xalloc(void *p, size_t n)
{
	p = realloc(p, n ? n : 1);
	if (!p)
		abort();
	return p;
}

static char *fh_strdup(const char *s)
{
	return strcpy(fh_xalloc(NULL, strlen(s) + 1), s);
}

static void fh_log(struct jp_plugin_ctx *ctx, enum jp_log_level level, const char *fmt, ...)
{
	va_list ap;

	if (level > JP_LOG_WARN)
		return;
	va_start(ap, fmt);
	fprintf(stderr, "%s: ", ctx->h->name);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
}

static uint64_t *fh_counter(struct jp_plugin_ctx *ctx, const char *name)
{
	struct fh_host *h = ctx->h;
	size_t i;

	for (i = 0; i < h->n_counters; i++)
		if (!strcmp(h->counters[i].name, name))
			return &h->counters[i].value;
	if (h->n_counters == FH_MAX_COUNTERS)
		abort();
	h->counters[h->n_counters].name = fh_strdup(name);
	return &h->counters[h->n_counters++].value;
}

static struct jp_event *fh_event_new(struct jp_plugin_ctx *ctx, const char *type,
				     const struct timespec *ts)
{
	struct jp_event *ev = fh_xalloc(NULL, sizeof(*ev));

	memset(ev, 0, sizeof(*ev));
	ev->h = ctx->h;
	ev->type = fh_strdup(type);
	if (ts)
		ev->ts = *ts;
	return ev;
}

static struct jp_obj *fh_event_root(struct jp_event *ev)
{
	return &ev->root;
}

/* the entry for key, replaced if it exists (the SDK's rule), else appended */
static struct fh_entry *fh_slot(struct jp_obj *o, const char *key)
{
	size_t i;

	for (i = 0; i < o->n; i++)
		if (!strcmp(o->e[i].key, key)) {
			free(o->e[i].value);
			o->e[i].value = NULL;
			return &o->e[i];
		}
	o->e = fh_xalloc(o->e, (o->n + 1) * sizeof(*o->e));
	memset(&o->e[o->n], 0, sizeof(o->e[o->n]));
	o->e[o->n].key = fh_strdup(key);
	return &o->e[o->n++];
}

static int fh_set(struct jp_obj *o, const char *key, char *rendered)
{
	fh_slot(o, key)->value = rendered;
	return 0;
}

static struct jp_obj *fh_obj_object(struct jp_obj *parent, const char *key)
{
	struct fh_entry *e = fh_slot(parent, key);

	if (!e->child) {
		e->child = fh_xalloc(NULL, sizeof(*e->child));
		memset(e->child, 0, sizeof(*e->child));
	}
	return e->child;
}

/* a JSON string; every byte outside printable ASCII as \u00NN (one code point per byte) */
static char *fh_quote(const char *s, size_t len)
{
	char *out = fh_xalloc(NULL, len * 6 + 3), *p = out;
	size_t i;

	*p++ = '"';
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c < 0x20 || c > 0x7e)
			p += sprintf(p, "\\u%04x", c);
		else if (c == '"' || c == '\\')
			p += sprintf(p, "\\%c", c);
		else
			*p++ = (char)c;
	}
	*p++ = '"';
	*p = '\0';
	return out;
}

static int fh_obj_string(struct jp_obj *o, const char *key, const char *value)
{
	return fh_set(o, key, fh_quote(value, strlen(value)));
}

static int fh_obj_string_len(struct jp_obj *o, const char *key, const char *value, size_t len)
{
	return fh_set(o, key, fh_quote(value, len));
}

static int fh_obj_int(struct jp_obj *o, const char *key, int64_t value)
{
	char buf[32];

	snprintf(buf, sizeof(buf), "%lld", (long long)value);
	return fh_set(o, key, fh_strdup(buf));
}

static int fh_obj_bool(struct jp_obj *o, const char *key, bool value)
{
	return fh_set(o, key, fh_strdup(value ? "true" : "false"));
}

static int fh_obj_ip(struct jp_obj *o, const char *key, int family, const void *addr)
{
	char buf[INET6_ADDRSTRLEN];

	if (!inet_ntop(family, addr, buf, sizeof(buf)))
		return -1;
	return fh_set(o, key, fh_quote(buf, strlen(buf)));
}

static int fh_obj_string_list(struct jp_obj *o, const char *key, const char *const *values,
			      size_t count)
{
	size_t i, len = 3;
	char *out;

	for (i = 0; i < count; i++)
		len += strlen(values[i]) * 6 + 3;
	out = fh_xalloc(NULL, len);
	strcpy(out, "[");
	for (i = 0; i < count; i++) {
		char *q = fh_quote(values[i], strlen(values[i]));

		if (i)
			strcat(out, ",");
		strcat(out, q);
		free(q);
	}
	strcat(out, "]");
	return fh_set(o, key, out);
}

/* appends the object's rendering to *buf (size *cap, used *len) */
static void fh_render(const struct jp_obj *o, char **buf, size_t *len, size_t *cap)
{
	size_t i;

#define FH_PUT(s)                                                                          \
	do {                                                                               \
		size_t l_ = strlen(s);                                                     \
		if (*len + l_ + 1 > *cap) {                                                \
			*cap = (*len + l_ + 1) * 2;                                        \
			*buf = fh_xalloc(*buf, *cap);                                      \
		}                                                                          \
		memcpy(*buf + *len, s, l_ + 1);                                            \
		*len += l_;                                                                \
	} while (0)
	FH_PUT("{");
	for (i = 0; i < o->n; i++) {
		if (i)
			FH_PUT(",");
		FH_PUT("\"");
		FH_PUT(o->e[i].key);
		FH_PUT("\":");
		if (o->e[i].child)
			fh_render(o->e[i].child, buf, len, cap);
		else
			FH_PUT(o->e[i].value);
	}
	FH_PUT("}");
#undef FH_PUT
}

static void fh_obj_free(struct jp_obj *o)
{
	size_t i;

	for (i = 0; i < o->n; i++) {
		free(o->e[i].key);
		free(o->e[i].value);
		if (o->e[i].child) {
			fh_obj_free(o->e[i].child);
			free(o->e[i].child);
		}
	}
	free(o->e);
}

static void fh_event_discard(struct jp_event *ev)
{
	fh_obj_free(&ev->root);
	free(ev->type);
	free(ev);
}

static int fh_event_emit(struct jp_event *ev)
{
	struct fh_host *h = ev->h;
	size_t blen = 0, bcap = 256;
	char *line, *body = fh_xalloc(NULL, bcap);

	/* one JSON object: the header the host would add, then the plugin's fields */
	fh_render(&ev->root, &body, &blen, &bcap);
	if (asprintf(&line, "{\"timestamp\":\"%lld.%09ld\",\"event_type\":\"%s\"%s%s",
		     (long long)ev->ts.tv_sec, ev->ts.tv_nsec, ev->type, blen > 2 ? "," : "",
		     body + 1) < 0)
		abort();
	free(body);
	h->lines = fh_xalloc(h->lines, (h->n_lines + 1) * sizeof(*h->lines));
	h->lines[h->n_lines++] = line;
	(*fh_counter(&h->ctx, "events"))++;
	fh_event_discard(ev);
	return 0;
}

struct fh_host *fh_new(const char *name)
{
	struct fh_host *h = fh_xalloc(NULL, sizeof(*h));

	memset(h, 0, sizeof(*h));
	h->name = fh_strdup(name);
	h->ctx.h = h;
	h->counters = fh_xalloc(NULL, FH_MAX_COUNTERS * sizeof(*h->counters));
	h->svc = (struct jp_host){
		.struct_size = sizeof(struct jp_host),
		.ctx = &h->ctx,
		.log = fh_log,
		.event_new = fh_event_new,
		.event_root = fh_event_root,
		.obj_object = fh_obj_object,
		.obj_string = fh_obj_string,
		.obj_string_len = fh_obj_string_len,
		.obj_int = fh_obj_int,
		.obj_bool = fh_obj_bool,
		.obj_ip = fh_obj_ip,
		.obj_string_list = fh_obj_string_list,
		.event_emit = fh_event_emit,
		.event_discard = fh_event_discard,
		.counter = fh_counter,
	};
	return h;
}

const struct jp_host *fh_services(struct fh_host *h)
{
	return &h->svc;
}

size_t fh_count(const struct fh_host *h)
{
	return h->n_lines;
}

const char *fh_line(const struct fh_host *h, size_t i)
{
	return i < h->n_lines ? h->lines[i] : NULL;
}

void fh_free(struct fh_host *h)
{
	size_t i;

	if (!h)
		return;
	for (i = 0; i < h->n_lines; i++)
		free(h->lines[i]);
	for (i = 0; i < h->n_counters; i++)
		free(h->counters[i].name);
	free(h->lines);
	free(h->counters);
	free(h->name);
	free(h);
}
