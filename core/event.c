// SPDX-License-Identifier: BSD-3-Clause
/* Events: a jansson tree behind the typed-field services of struct jp_host. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "host.h"
#include "sinks/sink.h"

struct jp_event {
	json_t *root;
	struct timespec ts;
	struct jp_plugin_ctx *ctx;
};

/* A struct jp_obj is a json_t object; the cast keeps jansson out of the SDK. */
static json_t *as_json(struct jp_obj *obj)
{
	return (json_t *)obj;
}

static void format_timestamp(const struct timespec *ts, char *buf, size_t size)
{
	struct tm tm;

	gmtime_r(&ts->tv_sec, &tm);
	size_t n = strftime(buf, size, "%Y-%m-%dT%H:%M:%S", &tm);

	snprintf(buf + n, size - n, ".%06ldZ", ts->tv_nsec / 1000);
}

struct jp_event *host_event_new(struct jp_plugin_ctx *ctx, const char *event_type,
				const struct timespec *realtime)
{
	struct jp_event *ev = calloc(1, sizeof(*ev));
	char stamp[40];

	if (!ev)
		return NULL;
	if (realtime)
		ev->ts = *realtime;
	else
		clock_gettime(CLOCK_REALTIME, &ev->ts);
	ev->ctx = ctx;
	ev->root = json_object();
	format_timestamp(&ev->ts, stamp, sizeof(stamp));
	if (!ev->root || json_object_set_new(ev->root, "timestamp", json_string(stamp)) ||
	    json_object_set_new(ev->root, "event_type", json_string(event_type)) ||
	    json_object_set_new(ev->root, "host", json_string(ctx->host->host_name)) ||
	    json_object_set_new(ev->root, "plugin", json_string(ctx->name))) {
		json_decref(ev->root);
		free(ev);
		return NULL;
	}
	return ev;
}

json_t *host_event_json(struct jp_event *ev)
{
	return ev->root;
}

static void event_discard(struct jp_event *ev)
{
	if (!ev)
		return;
	json_decref(ev->root);
	free(ev);
}

int host_event_emit(struct jp_event *ev)
{
	if (!ev)
		return -EINVAL;
	char *text = json_dumps(ev->root, JSON_COMPACT | JSON_PRESERVE_ORDER);

	if (!text) {
		(*ev->ctx->counters[2].value)++; /* errors */
		event_discard(ev);
		return -ENOMEM;
	}
	(*ev->ctx->counters[0].value)++; /* events */
	sinks_write(ev->ctx->host->sinks, text, strlen(text), &ev->ts);
	free(text);
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
	return (struct jp_obj *)ev->root;
}

static struct jp_obj *svc_obj_object(struct jp_obj *parent, const char *key)
{
	json_t *child = json_object_get(as_json(parent), key);

	if (json_is_object(child))
		return (struct jp_obj *)child;
	child = json_object();
	if (!child || json_object_set_new(as_json(parent), key, child))
		return NULL;
	return (struct jp_obj *)child;
}

/* json_string() and friends return NULL for NULL or non-UTF-8 input, or out of memory */
static int set_value(struct jp_obj *obj, const char *key, json_t *value)
{
	if (!value)
		return -EINVAL;
	return json_object_set_new(as_json(obj), key, value) ? -ENOMEM : 0;
}

static int svc_obj_string(struct jp_obj *obj, const char *key, const char *value)
{
	return set_value(obj, key, json_string(value));
}

/*
 * Bytes from a packet or a process: kept as they are when they are valid UTF-8 without NUL,
 * otherwise every byte outside printable ASCII becomes the four characters \xNN, so that the
 * reader can still tell what was sent.
 */
static int svc_obj_string_len(struct jp_obj *obj, const char *key, const char *value, size_t len)
{
	json_t *s = memchr(value, 0, len) ? NULL : json_stringn(value, len);

	if (s)
		return set_value(obj, key, s);
	char *escaped = malloc(len * 4 + 1);
	size_t n = 0;

	if (!escaped)
		return -ENOMEM;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = value[i];

		if (c >= 0x20 && c < 0x7f)
			escaped[n++] = c;
		else
			n += sprintf(escaped + n, "\\x%02x", c);
	}
	escaped[n] = 0;
	int err = set_value(obj, key, json_stringn(escaped, n));

	free(escaped);
	return err;
}

static int svc_obj_int(struct jp_obj *obj, const char *key, int64_t value)
{
	return set_value(obj, key, json_integer(value));
}

static int svc_obj_bool(struct jp_obj *obj, const char *key, bool value)
{
	return set_value(obj, key, json_boolean(value));
}

static int svc_obj_ip(struct jp_obj *obj, const char *key, int family, const void *addr)
{
	char text[INET6_ADDRSTRLEN];

	if ((family != AF_INET && family != AF_INET6) ||
	    !inet_ntop(family, addr, text, sizeof(text)))
		return -EAFNOSUPPORT;
	return set_value(obj, key, json_string(text));
}

static int svc_obj_string_list(struct jp_obj *obj, const char *key, const char *const *values,
			       size_t count)
{
	json_t *list = json_array();

	if (!list)
		return -ENOMEM;
	for (size_t i = 0; i < count; i++) {
		if (json_array_append_new(list, json_string(values[i]))) {
			json_decref(list);
			return -EINVAL; /* not UTF-8: callers pass text they validated */
		}
	}
	return set_value(obj, key, list);
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
