/* SPDX-License-Identifier: BSD-3-Clause */
/* Finding, checking and loading plugin shared objects, and driving their lifecycle. */
#ifndef JA4PROBE_PLUGIN_HOST_H
#define JA4PROBE_PLUGIN_HOST_H

#include <stdbool.h>
#include <ja4probe/plugin.h>
#include "host.h"

struct plugin {
	char *path;
	void *handle;
	const struct jp_plugin_descriptor *desc;
	struct jp_plugin_ctx ctx;
	struct jp_config *config;
	void *state;
	bool required;
	bool initialized, started, stopped;
};

/*
 * Where plugin NAME lives: DIR/NAME.so, or DIR/NAME/NAME.so (the layout of a build tree).
 * Returns a malloc'd path or NULL when neither exists.
 */
char *plugin_find(const char *dir, const char *name);

/*
 * dlopen a plugin file after checking that it and its directory are owned by root or us and
 * not writable by group or others, and check its ABI. On failure why[] says what went wrong.
 */
int plugin_open(struct plugin *p, const char *path, char *why, size_t why_size);
void plugin_close(struct plugin *p);

/* init + start; on failure the plugin is stopped and destroyed again, and the error returned */
int plugin_run(struct plugin *p, struct host *host);
void plugin_collect_stats(struct plugin *p);
/* stop: detach everything (once), its fds and timers leave the loop; the counters stay */
void plugin_stop(struct plugin *p);
/* stop if not yet, then destroy, whatever state the plugin reached */
void plugin_shutdown(struct plugin *p);

/* For --list-plugins: every NAME.so and NAME/NAME.so in dir, sorted. */
int plugin_list_dir(const char *dir, char ***names, size_t *count);

#endif
