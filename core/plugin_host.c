// SPDX-License-Identifier: BSD-3-Clause
#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <limits.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "log.h"
#include "plugin_host.h"

/* The descriptor members a plugin of ABI 1.0 must carry (everything up to destroy). */
#define DESCRIPTOR_V1_0_SIZE                                                               \
	(offsetof(struct jp_plugin_descriptor, destroy) +                                  \
	 sizeof(((struct jp_plugin_descriptor *)0)->destroy))

static bool is_regular_file(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

char *plugin_find(const char *dir, const char *name)
{
	char path[PATH_MAX];

	if (strchr(name, '/') || name[0] == '.')
		return NULL;
	snprintf(path, sizeof(path), "%s/%s.so", dir, name);
	if (is_regular_file(path))
		return strdup(path);
	snprintf(path, sizeof(path), "%s/%s/%s.so", dir, name, name);
	if (is_regular_file(path))
		return strdup(path);
	return NULL;
}

/*
 * A plugin runs as root with BPF privileges: whoever can replace the file or its directory
 * owns the host. Refuse anything writable by others or owned by someone else.
 */
static int check_trusted(const char *path, char *why, size_t why_size)
{
	struct stat st;

	if (stat(path, &st) < 0) {
		int err = -errno;

		snprintf(why, why_size, "%s: %s", path, strerror(-err));
		return err;
	}
	if (st.st_uid != 0 && st.st_uid != geteuid()) {
		snprintf(why, why_size, "%s is owned by uid %u, not by root or the running user",
			 path, st.st_uid);
		return -EPERM;
	}
	if (st.st_mode & (S_IWGRP | S_IWOTH)) {
		snprintf(why, why_size,
			 "%s is writable by group or others (mode %04o): run chmod go-w on it",
			 path, st.st_mode & 07777);
		return -EPERM;
	}
	return 0;
}

int plugin_open(struct plugin *p, const char *path, char *why, size_t why_size)
{
	char dir[PATH_MAX];
	int err;

	memset(p, 0, sizeof(*p));
	snprintf(dir, sizeof(dir), "%s", path);
	char *slash = strrchr(dir, '/');

	if (slash)
		*slash = 0;
	err = check_trusted(slash ? dir : ".", why, why_size);
	if (!err)
		err = check_trusted(path, why, why_size);
	if (err)
		return err;

	p->handle = dlopen(path, RTLD_NOW | RTLD_LOCAL);
	if (!p->handle) {
		snprintf(why, why_size, "dlopen: %s", dlerror());
		return -ENOEXEC;
	}
	p->desc = dlsym(p->handle, JP_PLUGIN_SYMBOL);
	if (!p->desc) {
		snprintf(why, why_size, "%s exports no '%s' descriptor: not a ja4probe plugin", path,
			 JP_PLUGIN_SYMBOL);
		err = -ENOEXEC;
		goto fail;
	}
	const struct jp_plugin_descriptor *d = p->desc;

	if (d->abi_major != JP_ABI_MAJOR || d->abi_minor > JP_ABI_MINOR) {
		snprintf(why, why_size,
			 "plugin ABI %u.%u is not supported by this ja4probe (ABI %u.%u): %s",
			 d->abi_major, d->abi_minor, JP_ABI_MAJOR, JP_ABI_MINOR,
			 d->abi_major != JP_ABI_MAJOR ? "the major versions differ"
						      : "the plugin needs a newer ja4probe");
		err = -EPROTO;
		goto fail;
	}
	if (d->struct_size < DESCRIPTOR_V1_0_SIZE || !d->name || !d->init || !d->start ||
	    !d->stop || !d->destroy) {
		snprintf(why, why_size,
			 "descriptor is incomplete (struct_size %u, name or a callback missing)",
			 d->struct_size);
		err = -EPROTO;
		goto fail;
	}
	p->path = strdup(path);
	return p->path ? 0 : -ENOMEM;
fail:
	dlclose(p->handle);
	p->handle = NULL;
	p->desc = NULL;
	return err;
}

void plugin_close(struct plugin *p)
{
	cfg_config_free(p->config);
	if (p->handle)
		dlclose(p->handle);
	free(p->path);
	memset(p, 0, sizeof(*p));
}

int plugin_run(struct plugin *p, struct host *host)
{
	int err = host_ctx_init(&p->ctx, host, p->desc->name);

	if (err)
		return err;
	err = p->desc->init(&p->ctx.services, p->config, &p->state);
	if (err) {
		log_error("%s: init failed: %s", p->desc->name, strerror(-err));
		(*p->ctx.counters[HOST_CNT_ERRORS].value)++;
		return err;
	}
	p->initialized = true;
	err = p->desc->start(p->state);
	if (err) {
		log_error("%s: start failed: %s", p->desc->name, strerror(-err));
		(*p->ctx.counters[HOST_CNT_ERRORS].value)++;
		plugin_shutdown(p);
		return err;
	}
	p->started = true;
	log_info("%s %s started", p->desc->name, p->desc->version ? p->desc->version : "");
	return 0;
}

void plugin_collect_stats(struct plugin *p)
{
	if (p->initialized && p->desc->collect_stats)
		p->desc->collect_stats(p->state);
}

void plugin_stop(struct plugin *p)
{
	if (!p->initialized || p->stopped)
		return;
	/* stop() must be safe after a failed start(): the SDK contract */
	p->desc->stop(p->state);
	host_ctx_release_watches(&p->ctx);
	p->stopped = true;
	p->started = false;
}

void plugin_shutdown(struct plugin *p)
{
	plugin_stop(p);
	if (p->initialized)
		p->desc->destroy(p->state);
	p->initialized = p->stopped = false;
	p->state = NULL;
}

static int compare_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int plugin_list_dir(const char *dir, char ***names, size_t *count)
{
	DIR *d = opendir(dir);
	struct dirent *e;

	*names = NULL;
	*count = 0;
	if (!d)
		return -errno;
	while ((e = readdir(d))) {
		char name[256];
		size_t len = strlen(e->d_name);

		if (e->d_name[0] == '.')
			continue;
		if (len > 3 && !strcmp(e->d_name + len - 3, ".so"))
			snprintf(name, sizeof(name), "%.*s", (int)(len - 3), e->d_name);
		else
			snprintf(name, sizeof(name), "%s", e->d_name);
		char *path = plugin_find(dir, name);

		if (!path)
			continue;
		free(path);
		char **grown = realloc(*names, (*count + 1) * sizeof(*grown));

		if (!grown || !(grown[*count] = strdup(name))) {
			*names = grown ? grown : *names;
			closedir(d);
			return -ENOMEM;
		}
		*names = grown;
		(*count)++;
	}
	closedir(d);
	qsort(*names, *count, sizeof(**names), compare_names);
	return 0;
}
