/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Userspace half of bpf/conn_track.bpf.h: fills the maps that say which processes a plugin
 * watches (ct_comms, ct_exes, ct_paths) and watches the processes already running (ct_procs)
 * by one scan of /proc. After that the BPF programs follow forks, execs and exits themselves.
 *
 * Usage: ct_filter_prepare() before bpf_object__load; then ct_filter_configure(); then, after
 * attaching the ct_fork/ct_exec/ct_exit programs (so that a process started during the scan
 * is caught by one or the other), ct_filter_scan_proc().
 */
#ifndef JA4PROBE_PROC_FILTER_H
#define JA4PROBE_PROC_FILTER_H

#include <stdbool.h>
#include <stddef.h>
#include <ja4probe/plugin.h>

struct bpf_object;

struct ct_match {
	const char *const *comms;	/* process names (comm, at most 15 bytes) */
	size_t n_comms;
	const char *const *exes;	/* executable paths */
	size_t n_exes;
};

/* Size the ct_procs bitmap from kernel.pid_max (before load). */
int ct_filter_prepare(const struct jp_host *host, struct bpf_object *obj);

/* Load the match lists into the BPF maps. A path that does not exist now still matches by
 * string at exec; a comm longer than 15 bytes is refused. */
int ct_filter_configure(const struct jp_host *host, struct bpf_object *obj,
			const struct ct_match *match);

/* Watch every running process that matches; *watched gets their number. */
int ct_filter_scan_proc(const struct jp_host *host, struct bpf_object *obj,
			const struct ct_match *match, size_t *watched);

/* Watch pid, or stop watching it, from userspace: a plugin that decides which processes to
 * follow itself (ssl_uprobe's targets) sets them here and the BPF programs follow their
 * forks and exits. -ERANGE: pid is beyond the bitmap. */
int ct_filter_set_pid(const struct jp_host *host, struct bpf_object *obj, int pid, bool watch);

/* How many processes are watched now. */
int ct_filter_count(const struct jp_host *host, struct bpf_object *obj, size_t *watched);


#endif /* JA4PROBE_PROC_FILTER_H */
