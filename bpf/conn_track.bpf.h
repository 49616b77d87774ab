/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Shared BPF half of "which processes, which accepted connections", included by a plugin's
 * <name>.bpf.c (nginx, apache, ssl_uprobe). It defines:
 *
 *   ct_procs   a bitmap by tgid (64 pids a word) of the processes the plugin watches: an array
 *              lookup the verifier inlines, so an unwatched process costs a few ns, not a hash
 *              lookup; userspace sizes it from kernel.pid_max and sets bits through mmap with
 *              the same atomic ops. It fills it from /proc at start
 *              (plugins/common/proc_filter.c); the programs below keep it current:
 *              a fork of a watched process is watched, an exec is watched when the new image
 *              matches (comm in ct_comms, exe inode in ct_exes, or exec path in ct_paths) and
 *              dropped otherwise, an exiting process is dropped. So reloads, binary upgrades,
 *              graceful restarts and new prefork children need no /proc rescan.
 *   ct_conns   (tgid, fd) -> tuple of each connection a watched process accepted (LRU: entries
 *              of processes that died without close() age out). Read from the socket through
 *              the task's fd table at accept exit (CO-RE), so it needs no sockaddr from the
 *              caller and gives both ends, IPv4 and IPv6. Deleted at close().
 *   ct_conn_slots  the same, direct-mapped by (tgid, fd): a connection lives in its slot when
 *              that is free, else in ct_conns. A process's fds are small and dense, so they
 *              fill consecutive slots and rarely collide; a lookup is then an array index
 *              and a compare instead of a hash walk (per read, that is most of the lookup's
 *              cost). CT_CONN_SLOTS, defined before the include, sizes it (default 1: off).
 *   ct_stats   per-CPU counters, enum ct_stat.
 *
 * The including program may define, before the include, hooks the programs call:
 * CT_ON_CLOSE(key, conn), CT_ON_FORK(parent_tgid, child_tgid), CT_ON_EXIT(tgid).
 *
 * Cost for an unwatched process: one inlined array lookup (ct_proc_watched) per program.
 * A plugin that does not want a program turns its autoload off before load.
 */
#ifndef JA4PROBE_CONN_TRACK_BPF_H
#define JA4PROBE_CONN_TRACK_BPF_H

#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_endian.h>
#include "conn_track.h"
#include "percpu_counters.bpf.h"

#ifndef AF_INET
#define AF_INET 2
#endif
#ifndef AF_INET6
#define AF_INET6 10
#endif

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(map_flags, BPF_F_MMAPABLE);
	__uint(max_entries, CT_PROC_WORDS_MAX);	/* userspace: (kernel.pid_max + 63) / 64 */
	__type(key, __u32);
	__type(value, __u64);
} ct_procs SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 64);
	__type(key, char[CT_COMM_LEN]);
	__type(value, __u8);
} ct_comms SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 64);
	__type(key, struct ct_exe_key);
	__type(value, __u8);
} ct_exes SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 64);
	__type(key, char[CT_PATH_LEN]);
	__type(value, __u8);
} ct_paths SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, CT_MAX_CONNS);
	__type(key, struct ct_conn_key);
	__type(value, struct ct_conn);
} ct_conns SEC(".maps");

#ifndef CT_CONN_SLOTS
#define CT_CONN_SLOTS 1		/* a power of two */
#endif

struct ct_conn_slot {
	__u64 key;		/* ct_key64(); 0: free */
	struct ct_conn conn;
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, CT_CONN_SLOTS);
	__type(key, __u32);
	__type(value, struct ct_conn_slot);
} ct_conn_slots SEC(".maps");

PERCPU_COUNTERS(ct_stats, CT_STAT_MAX, ct_count)

static __always_inline __u64 *ct_proc_word(__u32 tgid)
{
	__u32 word = tgid / 64;

	return bpf_map_lookup_elem(&ct_procs, &word);
}

static __always_inline bool ct_proc_watched(__u32 tgid)
{
	__u64 *w = ct_proc_word(tgid);

	return w && ((*w >> (tgid & 63)) & 1);
}

/* Atomic: forks and exits of neighbouring pids may change the same word on two CPUs. */
static __always_inline void ct_proc_watch(__u32 tgid)
{
	__u64 *w = ct_proc_word(tgid);

	if (w)
		__sync_fetch_and_or(w, 1ull << (tgid & 63));
	else
		ct_count(CT_STAT_PROCS_FULL);
}

static __always_inline void ct_proc_unwatch(__u32 tgid)
{
	__u64 *w = ct_proc_word(tgid);

	if (w)
		__sync_fetch_and_and(w, ~(1ull << (tgid & 63)));
}

static __always_inline __u64 ct_key64(const struct ct_conn_key *key)
{
	return (__u64)key->tgid << 32 | (__u32)key->fd;	/* never 0: tgid 0 is not watched */
}

/* The slot of (tgid, fd): consecutive fds of a process in consecutive slots. */
static __always_inline struct ct_conn_slot *ct_slot(const struct ct_conn_key *key)
{
	__u32 i = (key->tgid * 2654435761u + (__u32)key->fd) & (CT_CONN_SLOTS - 1);

	return bpf_map_lookup_elem(&ct_conn_slots, &i);
}

static __always_inline struct ct_conn *ct_conn_lookup(const struct ct_conn_key *key)
{
	struct ct_conn_slot *s = ct_slot(key);

	if (s && s->key == ct_key64(key))
		return &s->conn;
	return bpf_map_lookup_elem(&ct_conns, key);
}

/* Into its slot if free (or held by a stale entry of the same key), else into ct_conns. */
static __always_inline void ct_conn_add(const struct ct_conn_key *key, const struct ct_conn *conn)
{
	struct ct_conn_slot *s = ct_slot(key);
	__u64 k = ct_key64(key), old;

	if (s) {
		old = __sync_val_compare_and_swap(&s->key, 0, k);
		if (old == 0 || old == k) {
			s->conn = *conn;
			/* an entry a missed close left must not outlive the slot's */
			bpf_map_delete_elem(&ct_conns, key);
			return;
		}
	}
	if (bpf_map_update_elem(&ct_conns, key, conn, BPF_ANY))
		ct_count(CT_STAT_CONNS_FULL);
}

extern void *bpf_rdonly_cast(const void *obj, __u32 btf_id) __ksym;

/*
 * The socket behind fd in the current task's fd table, or NULL. The task's BTF pointer makes
 * the walk plain loads (a fault is caught by the JIT) instead of a probe_read helper call
 * per field; only the fd array's slot, at a variable index, needs one.
 */
static __always_inline struct sock *ct_fd_sock(int fd)
{
	struct task_struct *task = bpf_get_current_task_btf();
	struct fdtable *fdt = task->files->fdt;
	struct file *file = NULL, *f;
	struct socket *sock;

	if (!fdt || fd < 0 || (unsigned int)fd >= fdt->max_fds)
		return NULL;
	if (bpf_probe_read_kernel(&file, sizeof(file), (void *)((__u64)fdt->fd + fd * 8)) || !file)
		return NULL;
	f = bpf_rdonly_cast(file, bpf_core_type_id_kernel(struct file));
	sock = bpf_rdonly_cast(f->private_data, bpf_core_type_id_kernel(struct socket));
	/* private_data is a socket only when the socket points back at this file */
	if (!sock || sock->file != file)
		return NULL;
	return sock->sk;
}

/* Fill t from an accepted socket; false when it is neither IPv4 nor IPv6. */
static __always_inline bool ct_sock_tuple(struct sock *sk, struct ct_tuple *t)
{
	__u16 family = BPF_CORE_READ(sk, __sk_common.skc_family);

	t->family = family;
	t->src_port = bpf_ntohs(BPF_CORE_READ(sk, __sk_common.skc_dport));
	t->dst_port = BPF_CORE_READ(sk, __sk_common.skc_num);
	if (family == AF_INET) {
		BPF_CORE_READ_INTO((__u32 *)t->src_addr, sk, __sk_common.skc_daddr);
		BPF_CORE_READ_INTO((__u32 *)t->dst_addr, sk, __sk_common.skc_rcv_saddr);
		return true;
	}
	if (family == AF_INET6) {
		BPF_CORE_READ_INTO(&t->src_addr, sk, __sk_common.skc_v6_daddr.in6_u.u6_addr8);
		BPF_CORE_READ_INTO(&t->dst_addr, sk, __sk_common.skc_v6_rcv_saddr.in6_u.u6_addr8);
		return true;
	}
	return false;
}

static __always_inline int ct_accept_exit(struct trace_event_raw_sys_exit *ctx)
{
	__u32 tgid = bpf_get_current_pid_tgid() >> 32;
	struct ct_conn_key key = { .tgid = tgid, .fd = (int)ctx->ret };
	struct ct_conn conn = {};
	struct sock *sk;

	if (!ct_proc_watched(tgid) || ctx->ret < 0)
		return 0;
	sk = ct_fd_sock(key.fd);
	if (!sk) {
		ct_count(CT_STAT_ACCEPT_NOSOCK);
		return 0;
	}
	if (!ct_sock_tuple(sk, &conn.tuple)) {
		ct_count(CT_STAT_ACCEPT_OTHER);
		return 0;
	}
	conn.start_ns = bpf_ktime_get_ns();
	conn.start_jiffies = (__u32)bpf_jiffies64();
	bpf_get_current_comm(conn.comm, sizeof(conn.comm));
	ct_conn_add(&key, &conn);
	return 0;
}

SEC("tracepoint/syscalls/sys_exit_accept4")
int ct_exit_accept4(struct trace_event_raw_sys_exit *ctx)
{
	return ct_accept_exit(ctx);
}

SEC("tracepoint/syscalls/sys_exit_accept")
int ct_exit_accept(struct trace_event_raw_sys_exit *ctx)
{
	return ct_accept_exit(ctx);
}

#ifdef CT_ON_CLOSE
/* The including program may look at the connection before it goes (e.g. to flush state). */
static __always_inline void CT_ON_CLOSE(struct ct_conn_key *key, struct ct_conn *conn);
#endif
#ifdef CT_ON_FORK
/* ... and be told of a watched process's new child, watched now too (e.g. to hook it) */
static __always_inline void CT_ON_FORK(__u32 parent_tgid, __u32 child_tgid);
#endif
#ifdef CT_ON_EXIT
/* ... and of the exit of a watched process */
static __always_inline void CT_ON_EXIT(__u32 tgid);
#endif

SEC("tracepoint/syscalls/sys_enter_close")
int ct_enter_close(struct trace_event_raw_sys_enter *ctx)
{
	__u32 tgid = bpf_get_current_pid_tgid() >> 32;
	struct ct_conn_key key = { .tgid = tgid, .fd = (int)ctx->args[0] };
	struct ct_conn *conn;

	struct ct_conn_slot *s;

	if (!ct_proc_watched(tgid))
		return 0;
	s = ct_slot(&key);
	if (s && s->key == ct_key64(&key)) {
#ifdef CT_ON_CLOSE
		CT_ON_CLOSE(&key, &s->conn);
#endif
		__sync_val_compare_and_swap(&s->key, ct_key64(&key), 0);
		return 0;
	}
	conn = bpf_map_lookup_elem(&ct_conns, &key);
	if (!conn)
		return 0;
#ifdef CT_ON_CLOSE
	CT_ON_CLOSE(&key, conn);
#endif
	bpf_map_delete_elem(&ct_conns, &key);
	return 0;
}

/* A fork of a watched process is watched; a new thread needs nothing (same tgid). */
SEC("tp_btf/sched_process_fork")
int BPF_PROG(ct_fork, struct task_struct *parent, struct task_struct *child)
{
	__u32 child_tgid = BPF_CORE_READ(child, tgid);
	__u32 parent_tgid = BPF_CORE_READ(parent, tgid);

	if (child_tgid == parent_tgid || !ct_proc_watched(parent_tgid))
		return 0;
	ct_proc_watch(child_tgid);
#ifdef CT_ON_FORK
	CT_ON_FORK(parent_tgid, child_tgid);
#endif
	return 0;
}

static __always_inline bool ct_exec_matches(struct trace_event_raw_sched_process_exec *ctx)
{
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	struct ct_exe_key exe = {};
	char comm[CT_COMM_LEN] = {};
	char path[CT_PATH_LEN] = {};
	struct inode *inode;
	unsigned int off;

	bpf_get_current_comm(comm, sizeof(comm));
	if (bpf_map_lookup_elem(&ct_comms, comm))
		return true;
	inode = BPF_CORE_READ(task, mm, exe_file, f_inode);
	if (inode) {
		exe.ino = BPF_CORE_READ(inode, i_ino);
		exe.dev = BPF_CORE_READ(inode, i_sb, s_dev);
		if (bpf_map_lookup_elem(&ct_exes, &exe))
			return true;
	}
	/* the path as exec'd: matches even when the file at that path was replaced */
	off = ctx->__data_loc_filename & 0xFFFF;
	if (bpf_probe_read_kernel_str(path, sizeof(path), (void *)ctx + off) < 0)
		return false;
	return bpf_map_lookup_elem(&ct_paths, path) != NULL;
}

SEC("tracepoint/sched/sched_process_exec")
int ct_exec(struct trace_event_raw_sched_process_exec *ctx)
{
	__u32 tgid = bpf_get_current_pid_tgid() >> 32;

	if (ct_exec_matches(ctx))
		ct_proc_watch(tgid);
	else if (ct_proc_watched(tgid))
		ct_proc_unwatch(tgid);
	return 0;
}

static long ct_slot_free_if_of(__u32 i, void *ctx)
{
	__u32 tgid = *(__u32 *)ctx;
	struct ct_conn_slot *s = bpf_map_lookup_elem(&ct_conn_slots, &i);
	__u64 k;

	if (!s)
		return 1;
	k = s->key;
	if (k && (__u32)(k >> 32) == tgid)
		__sync_val_compare_and_swap(&s->key, k, 0);
	return 0;
}

SEC("tracepoint/sched/sched_process_exit")
int ct_exit(void *ctx)
{
	__u64 id = bpf_get_current_pid_tgid();
	__u32 tgid = id >> 32;

	/* the group leader's exit ends the process; other threads leave it watched */
	if ((__u32)id != tgid || !ct_proc_watched(tgid))
		return 0;
	ct_proc_unwatch(tgid);
#ifdef CT_ON_EXIT
	CT_ON_EXIT(tgid);
#endif
	/*
	 * The kernel closes a dying process's fds without close(): free its slots, which
	 * (unlike ct_conns entries) nothing else would ever free. Watched processes exit
	 * seldom, so a scan (~tens of us) is affordable here.
	 */
	if (CT_CONN_SLOTS > 1)
		bpf_loop(CT_CONN_SLOTS, ct_slot_free_if_of, &tgid, 0);
	return 0;
}

#endif /* JA4PROBE_CONN_TRACK_BPF_H */
