/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ja4probe plugin SDK: the only header a plugin needs.
 *
 * A plugin is a shared object that exports exactly one symbol, JP_PLUGIN_SYMBOL, a
 * struct jp_plugin_descriptor (build with -fvisibility=hidden and JP_PLUGIN_DEFINE()).
 *
 * ABI rules
 *  - The host reads abi_major, abi_minor and struct_size before anything else. It loads a
 *    plugin only when abi_major == JP_ABI_MAJOR and the host's JP_ABI_MINOR >= the plugin's
 *    abi_minor; otherwise it refuses and names both versions.
 *  - Every struct in this header only ever grows at its end. A new member bumps
 *    JP_ABI_MINOR; removing or reordering a member bumps JP_ABI_MAJOR. Each side reads a
 *    member of a struct it did not build only when struct_size says the member is there.
 *  - Functions the host offers reach the plugin through struct jp_host (a table of function
 *    pointers), so a plugin links against nothing of the host.
 *  - Return values: 0 on success, a negative errno on failure; say what failed through log().
 *
 * Lifecycle (all callbacks run on the host's single loop thread)
 *    init(host, config, &state)  parse config, open and load BPF objects; attach nothing
 *    start(state)                attach probes, register fds and timers
 *    collect_stats(state)        optional: refresh counters before each stats event; called
 *                                once more after stop(), for the last stats event at exit
 *    stop(state)                 detach everything start() attached; must also be safe
 *                                after a failed start()
 *    destroy(state)              free everything
 */
#ifndef JA4PROBE_PLUGIN_H
#define JA4PROBE_PLUGIN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <time.h>

#ifdef __cplusplus
extern "C" {
#endif

#define JP_ABI_MAJOR 1
#define JP_ABI_MINOR 0

#define JP_PLUGIN_SYMBOL "ja4probe_plugin"

#if defined(__GNUC__)
#define JP_EXPORT __attribute__((visibility("default")))
#define JP_PRINTF(fmt, args) __attribute__((format(printf, fmt, args)))
#else
#define JP_EXPORT
#define JP_PRINTF(fmt, args)
#endif

/* ---- configuration schema ------------------------------------------------------------ */

enum jp_cfg_type {
	JP_CFG_BOOL = 1,
	JP_CFG_INT,		/* int64, checked against [min, max] when min < max */
	JP_CFG_STRING,		/* checked against choices when choices != NULL */
	JP_CFG_STRING_LIST,	/* a YAML sequence, or a single scalar taken as a one-item list */
	JP_CFG_INT_LIST,	/* likewise; each item checked against [min, max] when min < max */
};

struct jp_config_key {
	const char *name;
	enum jp_cfg_type type;
	const char *default_value;	/* YAML text, e.g. "true", "64", "[80, 443]"; NULL: none */
	const char *description;
	bool required;
	int64_t min, max;
	const char *const *choices;	/* NULL-terminated; JP_CFG_STRING and JP_CFG_STRING_LIST */
};

/* Validated configuration of one plugin: the keys it declared, defaults filled in. */
struct jp_config;

/* ---- events ------------------------------------------------------------------------- */

/*
 * An event is a tree of typed fields. The host adds the header (timestamp, event_type,
 * host, plugin) itself; the plugin adds the flow fields and one nested object per protocol.
 * Keys keep the order in which they were added. Adding a key twice replaces the value.
 */
struct jp_event;
struct jp_obj;		/* the event's root object, or a nested object */

enum jp_log_level { JP_LOG_ERROR = 0, JP_LOG_WARN, JP_LOG_INFO, JP_LOG_DEBUG };

/* Per-plugin handle the host passes back into every service; opaque to the plugin. */
struct jp_plugin_ctx;

typedef void (*jp_fd_cb)(void *arg, int fd, uint32_t epoll_events);
typedef void (*jp_timer_cb)(void *arg);

struct jp_host {
	uint32_t struct_size;
	struct jp_plugin_ctx *ctx;

	void (*log)(struct jp_plugin_ctx *ctx, enum jp_log_level level, const char *fmt, ...)
		JP_PRINTF(3, 4);

	/* configuration: the key must be one the plugin declared with that type */
	bool (*cfg_bool)(const struct jp_config *cfg, const char *key);
	int64_t (*cfg_int)(const struct jp_config *cfg, const char *key);
	const char *(*cfg_string)(const struct jp_config *cfg, const char *key); /* NULL: unset */
	size_t (*cfg_list_len)(const struct jp_config *cfg, const char *key);
	const char *(*cfg_list_string)(const struct jp_config *cfg, const char *key, size_t i);
	int64_t (*cfg_list_int)(const struct jp_config *cfg, const char *key, size_t i);

	/* events: new -> add fields -> emit (which takes ownership) or discard */
	struct jp_event *(*event_new)(struct jp_plugin_ctx *ctx, const char *event_type,
				      const struct timespec *realtime /* NULL: now */);
	struct jp_obj *(*event_root)(struct jp_event *ev);
	struct jp_obj *(*obj_object)(struct jp_obj *parent, const char *key);
	int (*obj_string)(struct jp_obj *obj, const char *key, const char *value);
	/* bytes that may not be NUL-terminated or valid UTF-8: stored escaped as \xNN */
	int (*obj_string_len)(struct jp_obj *obj, const char *key, const char *value, size_t len);
	int (*obj_int)(struct jp_obj *obj, const char *key, int64_t value);
	int (*obj_bool)(struct jp_obj *obj, const char *key, bool value);
	/* family AF_INET (4-byte addr) or AF_INET6 (16-byte addr), printed in standard text form */
	int (*obj_ip)(struct jp_obj *obj, const char *key, int family, const void *addr);
	int (*obj_string_list)(struct jp_obj *obj, const char *key, const char *const *values,
			       size_t count);
	int (*event_emit)(struct jp_event *ev);
	void (*event_discard)(struct jp_event *ev);

	/* the host loop: watch an fd (e.g. ring_buffer__epoll_fd()), periodic timers */
	int (*watch_fd)(struct jp_plugin_ctx *ctx, int fd, uint32_t epoll_events, jp_fd_cb cb,
			void *arg);
	int (*unwatch_fd)(struct jp_plugin_ctx *ctx, int fd);
	/* returns a timer id >= 0, or a negative errno */
	int (*add_timer)(struct jp_plugin_ctx *ctx, uint64_t interval_ms, jp_timer_cb cb,
			 void *arg);
	int (*remove_timer)(struct jp_plugin_ctx *ctx, int timer_id);

	/*
	 * Named counters reported in the stats event under plugins.<name>. The returned slot
	 * lives until destroy(); the plugin sets or adds to it, e.g. in collect_stats().
	 * "events" (counted by event_emit), "lost" and "errors" always exist: a plugin reports
	 * what it lost (ring buffer full, truncated, evicted) by adding to "lost" or to its own
	 * counters, and nothing is dropped without a counter.
	 */
	uint64_t *(*counter)(struct jp_plugin_ctx *ctx, const char *name);
};

/* ---- the descriptor ---------------------------------------------------------------- */

struct jp_plugin_descriptor {
	uint32_t abi_major;
	uint32_t abi_minor;
	uint32_t struct_size;

	const char *name;		/* the key under plugins: in the config */
	const char *version;
	const char *description;	/* one line, shown by --list-plugins */
	const struct jp_config_key *config_keys;	/* terminated by an entry with name NULL */

	int (*init)(const struct jp_host *host, const struct jp_config *config, void **state);
	int (*start)(void *state);
	void (*collect_stats)(void *state);	/* optional */
	void (*stop)(void *state);
	void (*destroy)(void *state);
};

#define JP_PLUGIN_DEFINE(...)                                                              \
	JP_EXPORT const struct jp_plugin_descriptor ja4probe_plugin = {                    \
		.abi_major = JP_ABI_MAJOR,                                                 \
		.abi_minor = JP_ABI_MINOR,                                                 \
		.struct_size = sizeof(struct jp_plugin_descriptor),                        \
		__VA_ARGS__                                                                \
	}

#ifdef __cplusplus
}
#endif

#endif /* JA4PROBE_PLUGIN_H */
