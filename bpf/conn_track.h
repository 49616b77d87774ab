/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Types shared by conn_track.bpf.h and the userspace that fills its maps and reads its
 * tuples (plugins/common/proc_filter.c, the nginx, apache and ssl_uprobe plugins).
 * Plain fixed-size types only: the same layout on both sides.
 */
#ifndef JA4PROBE_CONN_TRACK_H
#define JA4PROBE_CONN_TRACK_H

#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif

#define CT_COMM_LEN 16		/* TASK_COMM_LEN */
#define CT_PATH_LEN 128		/* exe paths matched by string at exec; longer ones by inode only */

#define CT_PROC_WORDS_MAX 65536	/* ct_procs bitmap words: 4194304 pids (PID_MAX_LIMIT) */
#define CT_MAX_CONNS 65536

/* One accepted TCP connection, as the server sees it: src is the client (the peer). */
struct ct_tuple {
	__u16 family;		/* AF_INET or AF_INET6 (a v4-mapped IPv6 peer stays AF_INET6) */
	__u16 src_port;		/* host byte order */
	__u16 dst_port;		/* host byte order */
	__u16 pad;
	__u8 src_addr[16];	/* AF_INET: the first 4 bytes */
	__u8 dst_addr[16];
};

struct ct_conn_key {
	__u32 tgid;
	__s32 fd;
};

struct ct_conn {
	struct ct_tuple tuple;
	__u64 start_ns;		/* accept time (bpf_ktime_get_ns): with the key, names the connection */
	__u32 flags;		/* free for the including program */
	__u32 start_jiffies;	/* the low bits of jiffies at accept: later times from a jiffy count */
	char comm[CT_COMM_LEN];	/* of the thread that accepted it, so readers need not ask */
};

/* An executable by inode: st_ino, and st_dev in the kernel's encoding (major << 20 | minor). */
struct ct_exe_key {
	__u64 ino;
	__u32 dev;
	__u32 pad;
};

/* Indexes of the per-CPU counter array ct_stats. */
enum ct_stat {
	CT_STAT_PROCS_FULL,	/* a process to follow has a pid beyond the ct_procs bitmap */
	CT_STAT_CONNS_FULL,	/* an accepted connection did not fit in ct_conns */
	CT_STAT_ACCEPT_NOSOCK,	/* accept returned an fd whose socket could not be read */
	CT_STAT_ACCEPT_OTHER,	/* accepted a socket that is neither IPv4 nor IPv6 (e.g. unix) */
	CT_STAT_MAX
};

#endif /* JA4PROBE_CONN_TRACK_H */
