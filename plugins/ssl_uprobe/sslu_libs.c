// SPDX-License-Identifier: BSD-3-Clause
/* The set of ELF files ssl_uprobe hooks, and where libssl copies are found (sslu_libs.h). */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "sslu_libs.h"

bool sslu_is_libssl_name(const char *base)
{
	return !strncmp(base, "libssl.so", 9) && (base[9] == '\0' || base[9] == '.');
}

/*
 * A path through /proc/PID/root dies with PID, and the file is attached again for every new
 * target process: keep a path that still reaches it.
 */
static void sslu_lib_keep_reachable(struct sslu_lib *lib, const char *path)
{
	struct stat st;

	if (!stat(lib->path, &st) && st.st_dev == lib->dev && st.st_ino == lib->ino)
		return;
	if (strlen(path) < sizeof(lib->path))
		strcpy(lib->path, path);
}

int sslu_libs_add(struct sslu_libs *libs, const char *path, size_t *index)
{
	struct sslu_lib *lib;
	struct stat st;
	int err;

	if (stat(path, &st))
		return -errno;
	if (!S_ISREG(st.st_mode))
		return -EINVAL;
	for (size_t i = 0; i < libs->n; i++) {
		if (libs->v[i].dev == st.st_dev && libs->v[i].ino == st.st_ino) {
			sslu_lib_keep_reachable(&libs->v[i], path);
			*index = i;
			return -EEXIST;
		}
	}
	if (strlen(path) >= sizeof(lib->path))
		return -ENAMETOOLONG;
	if (libs->n == libs->cap) {
		size_t cap = libs->cap ? libs->cap * 2 : 4;
		struct sslu_lib *v = realloc(libs->v, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		libs->v = v;
		libs->cap = cap;
	}
	lib = &libs->v[libs->n];
	memset(lib, 0, sizeof(*lib));
	strcpy(lib->path, path);
	lib->dev = st.st_dev;
	lib->ino = st.st_ino;
	err = sslu_find_hooks(path, &lib->hooks);
	if (err)
		return err;
	*index = libs->n++;
	return 0;
}

int sslu_proc_libssl(int pid, int (*cb)(void *arg, const char *path), void *arg)
{
	char maps[64], line[PATH_MAX + 256], last[PATH_MAX] = "";
	FILE *f;

	snprintf(maps, sizeof(maps), "/proc/%d/maps", pid);
	f = fopen(maps, "re");
	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		char *path = strchr(line, '/'), *nl, *base;
		char full[PATH_MAX + 32];

		if (!path)
			continue;
		nl = strchr(path, '\n');
		if (nl)
			*nl = '\0';
		base = strrchr(path, '/') + 1;
		/* a library is mapped in several segments, one after the other */
		if (!sslu_is_libssl_name(base) || !strcmp(path, last))
			continue;
		snprintf(last, sizeof(last), "%s", path);
		snprintf(full, sizeof(full), "/proc/%d/root%s", pid, path);
		cb(arg, full);
	}
	fclose(f);
	return 0;
}

void sslu_system_libssl(int (*cb)(void *arg, const char *path), void *arg)
{
	static const char *const dirs[] = {
		"/usr/lib/x86_64-linux-gnu", "/lib/x86_64-linux-gnu", "/usr/lib64", "/usr/lib",
		"/usr/local/lib", "/usr/local/lib64",
	};

	for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
		DIR *d = opendir(dirs[i]);
		struct dirent *de;

		if (!d)
			continue;
		while ((de = readdir(d))) {
			char path[PATH_MAX];

			if (!sslu_is_libssl_name(de->d_name))
				continue;
			snprintf(path, sizeof(path), "%s/%s", dirs[i], de->d_name);
			cb(arg, path);
		}
		closedir(d);
	}
}

void sslu_libs_free(struct sslu_libs *libs)
{
	free(libs->v);
	memset(libs, 0, sizeof(*libs));
}
