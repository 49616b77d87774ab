// SPDX-License-Identifier: BSD-3-Clause
/* The services table each event source gets: log, config, loop, counters (events: event.c). */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "host.h"
#include "log.h"
#include "loop.h"

static const char *const builtin_counters[HOST_CNT_BUILTIN] = {
	[HOST_CNT_EVENTS] = "events",
	[HOST_CNT_LOST] = "lost",
	[HOST_CNT_ERRORS] = "errors",
};

static void svc_log(struct jp_plugin_ctx *ctx, enum jp_log_level level, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vmsg(level, ctx->name, fmt, ap);
	va_end(ap);
}

static int append_int(int **array, size_t *n, int value)
{
	int *grown = realloc(*array, (*n + 1) * sizeof(**array));

	if (!grown)
		return -ENOMEM;
	grown[(*n)++] = value;
	*array = grown;
	return 0;
}

static bool remove_int(int *array, size_t *n, int value)
{
	for (size_t i = 0; i < *n; i++) {
		if (array[i] == value) {
			array[i] = array[--(*n)];
			return true;
		}
	}
	return false;
}

static int svc_watch_fd(struct jp_plugin_ctx *ctx, int fd, uint32_t events, jp_fd_cb cb, void *arg)
{
	int err = loop_watch(ctx->host->loop, fd, events, cb, arg);

	if (err) {
		log_msg(JP_LOG_ERROR, "%s: cannot watch fd %d: %s", ctx->name, fd, strerror(-err));
		return err;
	}
	err = append_int(&ctx->fds, &ctx->n_fds, fd);
	if (err)
		loop_unwatch(ctx->host->loop, fd);
	return err;
}

static int svc_unwatch_fd(struct jp_plugin_ctx *ctx, int fd)
{
	if (!remove_int(ctx->fds, &ctx->n_fds, fd))
		return -ENOENT;
	return loop_unwatch(ctx->host->loop, fd);
}

static int svc_add_timer(struct jp_plugin_ctx *ctx, uint64_t interval_ms, jp_timer_cb cb, void *arg)
{
	if (interval_ms == 0)
		return -EINVAL;
	int id = loop_timer_add(ctx->host->loop, interval_ms, interval_ms, cb, arg);

	if (id < 0)
		return id;
	int err = append_int(&ctx->timers, &ctx->n_timers, id);

	if (err) {
		loop_timer_remove(ctx->host->loop, id);
		return err;
	}
	return id;
}

static int svc_remove_timer(struct jp_plugin_ctx *ctx, int timer_id)
{
	if (!remove_int(ctx->timers, &ctx->n_timers, timer_id))
		return -ENOENT;
	return loop_timer_remove(ctx->host->loop, timer_id);
}

static uint64_t *counter_get(struct jp_plugin_ctx *ctx, const char *name)
{
	for (size_t i = 0; i < ctx->n_counters; i++)
		if (!strcmp(ctx->counters[i].name, name))
			return ctx->counters[i].value;
	struct counter *grown = realloc(ctx->counters, (ctx->n_counters + 1) * sizeof(*grown));

	if (!grown)
		return NULL;
	ctx->counters = grown;
	struct counter *c = &ctx->counters[ctx->n_counters];

	c->name = strdup(name);
	c->value = calloc(1, sizeof(*c->value));
	if (!c->name || !c->value) {
		free(c->name);
		free(c->value);
		return NULL;
	}
	ctx->n_counters++;
	return c->value;
}

/* The SDK gives plugins a slot they may write at once: out of memory, one nobody reports. */
static uint64_t *svc_counter(struct jp_plugin_ctx *ctx, const char *name)
{
	static uint64_t unreported;
	uint64_t *v = counter_get(ctx, name);

	if (v)
		return v;
	log_msg(JP_LOG_ERROR, "%s: out of memory for counter %s: it is not reported", ctx->name,
		name);
	return &unreported;
}

int host_ctx_init(struct jp_plugin_ctx *ctx, struct host *host, const char *name)
{
	memset(ctx, 0, sizeof(*ctx));
	ctx->host = host;
	ctx->name = strdup(name);
	if (!ctx->name)
		return -ENOMEM;
	for (size_t i = 0; i < HOST_CNT_BUILTIN; i++)
		if (!counter_get(ctx, builtin_counters[i]))
			return -ENOMEM;

	struct jp_host *s = &ctx->services;

	s->struct_size = sizeof(*s);
	s->ctx = ctx;
	s->log = svc_log;
	s->cfg_bool = cfg_get_bool;
	s->cfg_int = cfg_get_int;
	s->cfg_string = cfg_get_string;
	s->cfg_list_len = cfg_list_len;
	s->cfg_list_string = cfg_list_string;
	s->cfg_list_int = cfg_list_int;
	host_event_services(s);
	s->watch_fd = svc_watch_fd;
	s->unwatch_fd = svc_unwatch_fd;
	s->add_timer = svc_add_timer;
	s->remove_timer = svc_remove_timer;
	s->counter = svc_counter;
	return 0;
}

void host_ctx_release_watches(struct jp_plugin_ctx *ctx)
{
	while (ctx->n_fds)
		loop_unwatch(ctx->host->loop, ctx->fds[--ctx->n_fds]);
	while (ctx->n_timers)
		loop_timer_remove(ctx->host->loop, ctx->timers[--ctx->n_timers]);
}

void host_ctx_free(struct jp_plugin_ctx *ctx)
{
	if (ctx->host)
		host_ctx_release_watches(ctx);
	for (size_t i = 0; i < ctx->n_counters; i++) {
		free(ctx->counters[i].name);
		free(ctx->counters[i].value);
	}
	free(ctx->counters);
	free(ctx->fds);
	free(ctx->timers);
	free(ctx->event_header);
	free(ctx->name);
	memset(ctx, 0, sizeof(*ctx));
}

json_t *host_ctx_stats(const struct jp_plugin_ctx *ctx)
{
	json_t *o = json_object();

	for (size_t i = 0; o && i < ctx->n_counters; i++)
		json_object_set_new(o, ctx->counters[i].name,
				    json_integer((json_int_t)*ctx->counters[i].value));
	return o;
}
