/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Running processes as the plugins that pick them by name or executable see them: one read of
 * /proc/PID/{comm,exe} per process, one walk over /proc, and the one rule for "this process
 * runs that executable" (which has to survive an upgrade that replaced the file).
 */
#ifndef JA4PROBE_PROC_WALK_H
#define JA4PROBE_PROC_WALK_H

#include <limits.h>
#include <stdbool.h>
#include <sys/types.h>

enum proc_want {
	PROC_WANT_COMM = 1 << 0,
	PROC_WANT_EXE = 1 << 1,
};

struct proc_info {
	int pid;
	char comm[32];		/* /proc/PID/comm without its newline; "" when not read */
	char exe[PATH_MAX];	/* the /proc/PID/exe link, " (deleted)" cut; "" when none */
	dev_t exe_dev;		/* the file /proc/PID/exe opens; exe_ino 0 when unknown */
	ino_t exe_ino;
};

/* Fill p for pid with what want (enum proc_want) asks; what cannot be read (a kernel
 * thread, a process gone meanwhile) is left empty, never an error. */
void proc_info_read(int pid, unsigned int want, struct proc_info *p);

/* Does the process run the executable at path? Either the very file (dev, ino; ino 0 when
 * unknown), or a file the link names path: after an upgrade replaced it, the link of a
 * process still running the old binary reads "path (deleted)". */
bool proc_exe_matches(const struct proc_info *p, const char *path, dev_t dev, ino_t ino);

/* Call cb for every process in /proc (pid > 0), with what want asks read. Returns 0, or a
 * negative errno when /proc cannot be listed. */
int proc_for_each(unsigned int want, void (*cb)(const struct proc_info *p, void *arg), void *arg);

#endif /* JA4PROBE_PROC_WALK_H */
