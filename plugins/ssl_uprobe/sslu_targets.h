/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * `targets:` of the ssl_uprobe config: which processes are captured. Each item is one of
 *   comm:NAME     the process name (as in /proc/PID/comm)
 *   exe:PATH      the executable (compared by inode, so any path to it matches)
 *   pid:N         one process
 *   cgroup:PATH   a cgroup v2 path and everything below it ("/system.slice/nginx.service")
 *   NAME          short for comm:NAME
 * No targets: every process using libssl.
 */
#ifndef SSLU_TARGETS_H
#define SSLU_TARGETS_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>
#include "proc_walk.h"

enum sslu_target_kind { SSLU_T_COMM, SSLU_T_EXE, SSLU_T_PID, SSLU_T_CGROUP };

struct sslu_target {
	enum sslu_target_kind kind;
	char value[256];
	dev_t dev;	/* SSLU_T_EXE */
	ino_t ino;
	int pid;	/* SSLU_T_PID */
};

/* Parse one item; -EINVAL for an unknown kind or a bad pid. An exe that does not exist is
 * kept (it may be installed later) and matched by path. */
int sslu_target_parse(const char *text, struct sslu_target *t);

/* What proc_info_read must read for sslu_targets_match (enum proc_want). */
unsigned int sslu_targets_want(const struct sslu_target *t, size_t n);

/* Does the process p, read with sslu_targets_want, match any of the targets? */
bool sslu_targets_match(const struct sslu_target *t, size_t n, const struct proc_info *p);

/* The same for pid, read now. */
bool sslu_targets_match_pid(const struct sslu_target *t, size_t n, int pid);

#endif /* SSLU_TARGETS_H */
