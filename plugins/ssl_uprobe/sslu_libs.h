/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The ELF files ssl_uprobe hooks: libssl copies found in the standard library directories
 * and in the memory maps of running processes, plus the `libraries:` and `binaries:` of the
 * config. One entry per file (device, inode), whatever path reached it, with its hook
 * offsets resolved once.
 */
#ifndef SSLU_LIBS_H
#define SSLU_LIBS_H

#include <limits.h>
#include <stdbool.h>
#include <sys/types.h>

#include "sslu_offsets.h"

struct sslu_lib {
	char path[PATH_MAX];	/* a path that reaches the file from our mount namespace */
	dev_t dev;
	ino_t ino;
	struct sslu_hooks hooks;
};

struct sslu_libs {
	struct sslu_lib *v;
	size_t n, cap;
};

/*
 * Add the file at path (deduplicated by inode); *index is set to its slot. Returns 0, -EEXIST
 * when it was already there (index still set), -ENOENT when it exports no SSL_read, or the
 * errno of stat/open/ELF parsing.
 */
int sslu_libs_add(struct sslu_libs *libs, const char *path, size_t *index);

/* Is this basename that of an OpenSSL libssl ("libssl.so", "libssl.so.3", "libssl.so.1.1")? */
bool sslu_is_libssl_name(const char *base);

/*
 * Call cb for each libssl file mapped by process pid, as a path through /proc/PID/root so it
 * resolves in the process's own mount namespace. Returns 0 or the errno of reading its maps.
 */
int sslu_proc_libssl(int pid, int (*cb)(void *arg, const char *path), void *arg);

/* Call cb for each libssl.so* in the standard library directories. */
void sslu_system_libssl(int (*cb)(void *arg, const char *path), void *arg);

void sslu_libs_free(struct sslu_libs *libs);

#endif /* SSLU_LIBS_H */
