// SPDX-License-Identifier: BSD-3-Clause
/* A host that drops events: see null_host.h. */
#include <errno.h>
#include <stdarg.h>
#include <string.h>

#include "null_host.h"

#define NULL_HOST_COUNTERS 64

static struct {
	uint64_t events;
	size_t n;
	const char *names[NULL_HOST_COUNTERS];
	uint64_t values[NULL_HOST_COUNTERS];
	char object;		/* what every event and object handle points at */
} nh;

static void nh_log(struct jp_plugin_ctx *ctx, enum jp_log_level level, const char *fmt, ...)
{
	va_list ap;

	(void)ctx;
	(void)level;
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

static struct jp_event *nh_event_new(struct jp_plugin_ctx *ctx, const char *type,
				     const struct timespec *ts)
{
	(void)ctx, (void)type, (void)ts;
	return (struct jp_event *)&nh.object;
}

static struct jp_obj *nh_root(struct jp_event *ev)
{
	return (struct jp_obj *)ev;
}

static struct jp_obj *nh_object(struct jp_obj *parent, const char *key)
{
	(void)key;
	return parent;
}

static int nh_string(struct jp_obj *o, const char *k, const char *v)
{
	(void)o, (void)k;
	return v ? 0 : -EINVAL;
}

static int nh_string_len(struct jp_obj *o, const char *k, const char *v, size_t len)
{
	(void)o, (void)k, (void)v, (void)len;
	return 0;
}

static int nh_int(struct jp_obj *o, const char *k, int64_t v)
{
	(void)o, (void)k, (void)v;
	return 0;
}

static int nh_bool(struct jp_obj *o, const char *k, bool v)
{
	(void)o, (void)k, (void)v;
	return 0;
}

static int nh_ip(struct jp_obj *o, const char *k, int family, const void *addr)
{
	(void)o, (void)k, (void)family, (void)addr;
	return 0;
}

static int nh_string_list(struct jp_obj *o, const char *k, const char *const *v, size_t n)
{
	(void)o, (void)k;
	for (size_t i = 0; i < n; i++)
		if (!v[i])
			return -EINVAL;
	return 0;
}

static int nh_emit(struct jp_event *ev)
{
	(void)ev;
	nh.events++;
	return 0;
}

static void nh_discard(struct jp_event *ev)
{
	(void)ev;
}

static uint64_t *nh_counter(struct jp_plugin_ctx *ctx, const char *name)
{
	(void)ctx;
	for (size_t i = 0; i < nh.n; i++)
		if (!strcmp(nh.names[i], name))
			return &nh.values[i];
	if (nh.n == NULL_HOST_COUNTERS)
		return NULL;
	nh.names[nh.n] = name;
	return &nh.values[nh.n++];
}

static const struct jp_host host = {
	.struct_size = sizeof(host),
	.log = nh_log,
	.event_new = nh_event_new,
	.event_root = nh_root,
	.obj_object = nh_object,
	.obj_string = nh_string,
	.obj_string_len = nh_string_len,
	.obj_int = nh_int,
	.obj_bool = nh_bool,
	.obj_ip = nh_ip,
	.obj_string_list = nh_string_list,
	.event_emit = nh_emit,
	.event_discard = nh_discard,
	.counter = nh_counter,
};

const struct jp_host *null_host(void)
{
	return &host;
}

uint64_t null_host_events(void)
{
	return nh.events;
}

void null_host_print(FILE *out)
{
	fprintf(out, "events %llu", (unsigned long long)nh.events);
	for (size_t i = 0; i < nh.n; i++)
		if (nh.values[i])
			fprintf(out, " %s %llu", nh.names[i], (unsigned long long)nh.values[i]);
	fputc('\n', out);
}
