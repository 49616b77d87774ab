/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The host: what every event source (a loaded plugin, or the offline reader) talks to through
 * its struct jp_host services table. It stamps each event with the header, serializes it once
 * and hands it to the sinks; it owns each source's counters, fds and timers.
 */
#ifndef JA4PROBE_HOST_H
#define JA4PROBE_HOST_H

#include <stdbool.h>
#include <stdint.h>
#include <jansson.h>
#include <ja4probe/plugin.h>

#include "config.h"

struct loop;
struct sink_set;

struct host {
	struct loop *loop;
	struct sink_set *sinks;
	char host_name[CFG_HOST_NAME_MAX + 1];
};

struct counter {
	char *name;
	uint64_t *value;	/* allocated alone: the pointer the plugin holds stays valid */
};

/* The counters every source has, at these indexes of its counters[] */
enum host_counter {
	HOST_CNT_EVENTS,	/* counted by event_emit */
	HOST_CNT_LOST,
	HOST_CNT_ERRORS,	/* init/start failures, events that could not be serialized */
	HOST_CNT_BUILTIN,
};

/* One event source's context; struct jp_plugin_ctx is opaque to plugins. */
struct jp_plugin_ctx {
	struct host *host;
	char *name;			/* "plugin" in events, log prefix */
	struct jp_host services;
	size_t n_counters;
	struct counter *counters;	/* enum host_counter first, then the source's own */
	size_t n_fds;
	int *fds;			/* watched fds, unwatched when the source stops */
	size_t n_timers;
	int *timers;
	/* event.c: the JSON text of "host" then "plugin" in this source's events, made at its
	 * first event (the host name is set before any source runs) */
	char *event_header;
	size_t event_header_host_len, event_header_len;
};

int host_ctx_init(struct jp_plugin_ctx *ctx, struct host *host, const char *name);
/* Remove whatever fds and timers the source left registered. */
void host_ctx_release_watches(struct jp_plugin_ctx *ctx);
void host_ctx_free(struct jp_plugin_ctx *ctx);

/* The stats object of a source: {"events": n, "lost": n, "errors": n, ...its counters} */
json_t *host_ctx_stats(const struct jp_plugin_ctx *ctx);

/* The host's own events (stats) go through the same path as plugin events. */
struct jp_event *host_event_new(struct jp_plugin_ctx *ctx, const char *event_type,
				const struct timespec *realtime);
/* Add a value built with jansson (the stats); takes the reference. Not for the hot path. */
int host_event_set_json(struct jp_event *ev, const char *key, json_t *value);
/* Fill the event part of a services table (event.c). */
void host_event_services(struct jp_host *services);
int host_event_emit(struct jp_event *ev);

#endif
