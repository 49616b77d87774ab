// SPDX-License-Identifier: BSD-3-Clause
/* test_host: see test_host.h. Allocation failures abort: this is test code. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "test_host.h"

struct th_entry {
	char *key;
	char *value;		/* rendered, or NULL for a nested object */
	struct jp_obj *child;
};

struct jp_obj {
	struct th_entry *e;
	size_t n;
};

struct jp_event {
	struct th_host *h;
	char *type;
	struct timespec ts;
	struct jp_obj root;
};

struct th_counter {
	char *name;
	uint64_t value;
};

struct jp_plugin_ctx {
	struct th_host *h;
};

struct th_host {
	struct jp_host svc;
	struct jp_plugin_ctx ctx;
	char *name;
	bool keep;		/* false: events are counted and dropped */
	char **lines;
	size_t n_lines;
	struct th_counter *counters;	/* slots never move: allocated once, large enough */
	size_t n_counters;
	char **fields;		/* what th_field() returned, kept until th_free() */
	size_t n_fields;
};

#define TH_MAX_COUNTERS 256

static void *th_xalloc(void *p, size_t n)
{
	p = realloc(p, n ? n : 1);
	if (!p)
		abort();
	return p;
}

static char *th_strdup(const char *s)
{
	return strcpy(th_xalloc(NULL, strlen(s) + 1), s);
}

static void th_log(struct jp_plugin_ctx *ctx, enum jp_log_level level, const char *fmt, ...)
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

static uint64_t *th_counter(struct jp_plugin_ctx *ctx, const char *name)
{
	struct th_host *h = ctx->h;
	size_t i;

	for (i = 0; i < h->n_counters; i++)
		if (!strcmp(h->counters[i].name, name))
			return &h->counters[i].value;
	if (h->n_counters == TH_MAX_COUNTERS)
		abort();
	h->counters[h->n_counters].name = th_strdup(name);
	h->counters[h->n_counters].value = 0;
	return &h->counters[h->n_counters++].value;
}

static struct jp_event *th_event_new(struct jp_plugin_ctx *ctx, const char *type,
				     const struct timespec *ts)
{
	struct jp_event *ev = th_xalloc(NULL, sizeof(*ev));

	memset(ev, 0, sizeof(*ev));
	ev->h = ctx->h;
	ev->type = th_strdup(type);
	if (ts)
		ev->ts = *ts;
	return ev;
}

static struct jp_obj *th_event_root(struct jp_event *ev)
{
	return &ev->root;
}

/* the entry for key, replaced if it exists (the SDK's rule), else appended */
static struct th_entry *th_slot(struct jp_obj *o, const char *key)
{
	size_t i;

	for (i = 0; i < o->n; i++)
		if (!strcmp(o->e[i].key, key)) {
			free(o->e[i].value);
			o->e[i].value = NULL;
			return &o->e[i];
		}
	o->e = th_xalloc(o->e, (o->n + 1) * sizeof(*o->e));
	memset(&o->e[o->n], 0, sizeof(o->e[o->n]));
	o->e[o->n].key = th_strdup(key);
	return &o->e[o->n++];
}

static int th_set(struct jp_obj *o, const char *key, char *rendered)
{
	th_slot(o, key)->value = rendered;
	return 0;
}

static struct jp_obj *th_obj_object(struct jp_obj *parent, const char *key)
{
	struct th_entry *e = th_slot(parent, key);

	if (!e->child) {
		e->child = th_xalloc(NULL, sizeof(*e->child));
		memset(e->child, 0, sizeof(*e->child));
	}
	return e->child;
}

/* a JSON string; every byte outside printable ASCII as \u00NN (one code point per byte) */
static char *th_quote(const char *s, size_t len)
{
	char *out = th_xalloc(NULL, len * 6 + 3), *p = out;
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

static int th_obj_string(struct jp_obj *o, const char *key, const char *value)
{
	if (!value)
		return -EINVAL;
	return th_set(o, key, th_quote(value, strlen(value)));
}

static int th_obj_string_len(struct jp_obj *o, const char *key, const char *value, size_t len)
{
	if (!value && len)
		return -EINVAL;
	return th_set(o, key, th_quote(value, len));
}

static int th_obj_int(struct jp_obj *o, const char *key, int64_t value)
{
	char buf[32];

	snprintf(buf, sizeof(buf), "%lld", (long long)value);
	return th_set(o, key, th_strdup(buf));
}

static int th_obj_bool(struct jp_obj *o, const char *key, bool value)
{
	return th_set(o, key, th_strdup(value ? "true" : "false"));
}

static int th_obj_ip(struct jp_obj *o, const char *key, int family, const void *addr)
{
	char buf[INET6_ADDRSTRLEN];

	if (!inet_ntop(family, addr, buf, sizeof(buf)))
		return -1;
	return th_set(o, key, th_quote(buf, strlen(buf)));
}

static int th_obj_string_list(struct jp_obj *o, const char *key, const char *const *values,
			      size_t count)
{
	size_t i, len = 3;
	char *out;

	for (i = 0; i < count; i++) {
		if (!values[i])
			return -EINVAL;
		len += strlen(values[i]) * 6 + 3;
	}
	out = th_xalloc(NULL, len);
	strcpy(out, "[");
	for (i = 0; i < count; i++) {
		char *q = th_quote(values[i], strlen(values[i]));

		if (i)
			strcat(out, ",");
		strcat(out, q);
		free(q);
	}
	strcat(out, "]");
	return th_set(o, key, out);
}

/* appends the object's rendering to *buf (size *cap, used *len) */
static void th_render(const struct jp_obj *o, char **buf, size_t *len, size_t *cap)
{
	size_t i;

#define TH_PUT(s)                                                                          \
	do {                                                                               \
		size_t l_ = strlen(s);                                                     \
		if (*len + l_ + 1 > *cap) {                                                \
			*cap = (*len + l_ + 1) * 2;                                        \
			*buf = th_xalloc(*buf, *cap);                                      \
		}                                                                          \
		memcpy(*buf + *len, s, l_ + 1);                                            \
		*len += l_;                                                                \
	} while (0)
	TH_PUT("{");
	for (i = 0; i < o->n; i++) {
		if (i)
			TH_PUT(",");
		TH_PUT("\"");
		TH_PUT(o->e[i].key);
		TH_PUT("\":");
		if (o->e[i].child)
			th_render(o->e[i].child, buf, len, cap);
		else
			TH_PUT(o->e[i].value);
	}
	TH_PUT("}");
#undef TH_PUT
}

static void th_obj_free(struct jp_obj *o)
{
	size_t i;

	for (i = 0; i < o->n; i++) {
		free(o->e[i].key);
		free(o->e[i].value);
		if (o->e[i].child) {
			th_obj_free(o->e[i].child);
			free(o->e[i].child);
		}
	}
	free(o->e);
}

static void th_event_discard(struct jp_event *ev)
{
	th_obj_free(&ev->root);
	free(ev->type);
	free(ev);
}

static int th_event_emit(struct jp_event *ev)
{
	struct th_host *h = ev->h;
	size_t blen = 0, bcap = 256;
	char *line, *body;

	(*th_counter(&h->ctx, "events"))++;
	if (!h->keep) {
		th_event_discard(ev);
		return 0;
	}
	body = th_xalloc(NULL, bcap);
	/* one JSON object: the header the host would add, then the plugin's fields */
	th_render(&ev->root, &body, &blen, &bcap);
	if (asprintf(&line, "{\"timestamp\":\"%lld.%09ld\",\"event_type\":\"%s\"%s%s",
		     (long long)ev->ts.tv_sec, ev->ts.tv_nsec, ev->type, blen > 2 ? "," : "",
		     body + 1) < 0)
		abort();
	free(body);
	h->lines = th_xalloc(h->lines, (h->n_lines + 1) * sizeof(*h->lines));
	h->lines[h->n_lines++] = line;
	th_event_discard(ev);
	return 0;
}

struct th_host *th_new(const char *name, bool keep)
{
	struct th_host *h = th_xalloc(NULL, sizeof(*h));

	memset(h, 0, sizeof(*h));
	h->name = th_strdup(name);
	h->keep = keep;
	h->ctx.h = h;
	h->counters = th_xalloc(NULL, TH_MAX_COUNTERS * sizeof(*h->counters));
	h->svc = (struct jp_host){
		.struct_size = sizeof(struct jp_host),
		.ctx = &h->ctx,
		.log = th_log,
		.event_new = th_event_new,
		.event_root = th_event_root,
		.obj_object = th_obj_object,
		.obj_string = th_obj_string,
		.obj_string_len = th_obj_string_len,
		.obj_int = th_obj_int,
		.obj_bool = th_obj_bool,
		.obj_ip = th_obj_ip,
		.obj_string_list = th_obj_string_list,
		.event_emit = th_event_emit,
		.event_discard = th_event_discard,
		.counter = th_counter,
	};
	th_counter(&h->ctx, "events");	/* first, for th_print_counters() */
	return h;
}

const struct jp_host *th_services(struct th_host *h)
{
	return &h->svc;
}

size_t th_count(const struct th_host *h)
{
	return h->n_lines;
}

const char *th_line(const struct th_host *h, size_t i)
{
	return i < h->n_lines ? h->lines[i] : NULL;
}

/* a scalar or a list of scalars as th_field() shows it, appended to out */
static char *th_text(char *out, const json_t *v)
{
	char num[32];
	const char *s = num;
	size_t i;

	if (json_is_array(v)) {
		for (i = 0; i < json_array_size(v); i++) {
			if (i)
				out = strcat(th_xalloc(out, strlen(out) + 2), ",");
			out = th_text(out, json_array_get(v, i));
		}
		return out;
	}
	if (json_is_string(v))
		s = json_string_value(v);
	else if (json_is_integer(v))
		snprintf(num, sizeof(num), "%lld", (long long)json_integer_value(v));
	else if (json_is_boolean(v))
		s = json_is_true(v) ? "true" : "false";
	else
		s = "";		/* an object: only its presence is shown */
	return strcat(th_xalloc(out, strlen(out) + strlen(s) + 1), s);
}

const char *th_field(struct th_host *h, size_t i, const char *path)
{
	char *p = th_strdup(path), *key, *save = NULL;
	json_t *ev = i < h->n_lines ? json_loads(h->lines[i], 0, NULL) : NULL, *v = ev;

	for (key = strtok_r(p, ".", &save); v && key; key = strtok_r(NULL, ".", &save))
		v = json_object_get(v, key);
	free(p);
	if (!v) {
		json_decref(ev);
		return NULL;
	}
	h->fields = th_xalloc(h->fields, (h->n_fields + 1) * sizeof(*h->fields));
	h->fields[h->n_fields] = th_text(th_strdup(""), v);
	json_decref(ev);
	return h->fields[h->n_fields++];
}

uint64_t th_counter_value(const struct th_host *h, const char *name)
{
	size_t i;

	for (i = 0; i < h->n_counters; i++)
		if (!strcmp(h->counters[i].name, name))
			return h->counters[i].value;
	return 0;
}

void th_print_counters(const struct th_host *h, FILE *out)
{
	size_t i;

	for (i = 0; i < h->n_counters; i++)
		if (!i || h->counters[i].value)
			fprintf(out, "%s%s %llu", i ? " " : "", h->counters[i].name,
				(unsigned long long)h->counters[i].value);
	fputc('\n', out);
}

void th_free(struct th_host *h)
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
	for (i = 0; i < h->n_fields; i++)
		free(h->fields[i]);
	free(h->fields);
	free(h->name);
	free(h);
}
