// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * ssl_uprobe: plaintext of OpenSSL reads (and, when asked, writes) with the socket they went
 * through.
 *
 * Cost is what decides the shape (see MEASUREMENTS.md): the userspace half attaches the entry
 * probe to OpenSSL's internal read/write function (it starts with `push`, which the kernel
 * emulates in ~0.7 us, where SSL_read's own `sub $0x18,%rsp` is single-stepped in 10-15 us).
 * The entry remembers (SSL*, buf, count pointer) in task storage; the read/recv syscall
 * tracepoints that fire inside the call on the same thread give the fd (this also works
 * for Apache mod_ssl, whose BIO is not a plain fd); the return probe reads the byte count
 * (SSL_read keeps it in its own stack frame, dead after it returns, so it cannot wait for a
 * later syscall) and copies the plaintext into the ring buffer without a wakeup: userspace
 * drains it on a timer.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_endian.h>
/* for ct_fd_sock()/ct_sock_tuple(); its own programs are not loaded by this plugin */
#include "conn_track.bpf.h"
#include "ssl_uprobe.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

const volatile struct sslu_bpf_cfg cfg = { .copy_max = 4096 };

/* one SSL call in flight per thread */
struct sslu_call {
	__u64 ssl;
	__u64 buf;
	__u64 count_ptr;	/* size_t *readbytes / *written; 0: the count is the return value */
	__s32 fd;		/* from a syscall inside the call; -1: none yet */
	__u8 active;
	__u8 dir;
};

struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct sslu_call);
} calls SEC(".maps");

/*
 * The socket last seen under an SSL*, for calls served from OpenSSL's buffer without a
 * syscall, with its 4-tuple read once: again only when the fd changes or the SSL* starts a
 * new handshake (an SSL* freed and reused for another connection always handshakes first).
 */
struct sslu_conn {
	__s32 fd;
	__u32 pad;
	struct ct_tuple tuple;
};

struct sslu_ssl_key {
	__u64 ssl;
	__u32 pid;
	__u32 pad;
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 65536);
	__type(key, struct sslu_ssl_key);
	__type(value, struct sslu_conn);
} ssl_conns SEC(".maps");

/* per-process mode: the processes being traced, so their forks are followed */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16384);
	__type(key, __u32);
	__type(value, __u8);
} traced SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, SSLU_CNT_MAX);
	__type(key, __u32);
	__type(value, __u64);
} counters SEC(".maps");

/* data is twice the largest copy so that the verifier can bound a copy by a mask */
#define SSLU_COPY_MASK (2 * SSLU_DATA_MAX - 1)

struct sslu_scratch {
	struct sslu_data_rec rec;
	__u8 data[2 * SSLU_DATA_MAX];
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct sslu_scratch);
} scratch SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 16 << 20);
} rb SEC(".maps");

static __always_inline void count(__u32 idx)
{
	__u64 *c = bpf_map_lookup_elem(&counters, &idx);

	if (c)
		*c += 1;
}

static __always_inline int call_enter(__u64 ssl, __u64 buf, __u64 count_ptr, __u8 dir)
{
	struct sslu_call *c;

	c = bpf_task_storage_get(&calls, bpf_get_current_task_btf(), 0,
				 BPF_LOCAL_STORAGE_GET_F_CREATE);
	if (!c) {
		count(SSLU_CNT_CALLS_FULL);
		return 0;
	}
	c->ssl = ssl;
	c->buf = buf;
	c->count_ptr = count_ptr;
	c->fd = -1;
	c->dir = dir;
	c->active = 1;
	return 0;
}

/* internal functions and SSL_*_ex: (SSL *s, void *buf, size_t num, size_t *count) */
SEC("uprobe")
int BPF_KPROBE(sslu_read_enter_ex, void *ssl, void *buf, __u64 num, void *count_ptr)
{
	return call_enter((__u64)ssl, (__u64)buf, (__u64)count_ptr, SSLU_DIR_READ);
}

SEC("uprobe")
int BPF_KPROBE(sslu_write_enter_ex, void *ssl, void *buf, __u64 num, void *count_ptr)
{
	return call_enter((__u64)ssl, (__u64)buf, (__u64)count_ptr, SSLU_DIR_WRITE);
}

/* SSL_read / SSL_write (int SSL_read(SSL *s, void *buf, int num)): the count is returned */
SEC("uprobe")
int BPF_KPROBE(sslu_read_enter, void *ssl, void *buf)
{
	return call_enter((__u64)ssl, (__u64)buf, 0, SSLU_DIR_READ);
}

SEC("uprobe")
int BPF_KPROBE(sslu_write_enter, void *ssl, void *buf)
{
	return call_enter((__u64)ssl, (__u64)buf, 0, SSLU_DIR_WRITE);
}

/*
 * SSL_do_handshake: once per connection, only to learn the socket. A server that reads
 * ciphertext ahead (Apache's core input filter) may serve the first SSL_read without any
 * syscall; the handshake's own reads name the fd for it.
 */
SEC("uprobe")
int BPF_KPROBE(sslu_handshake_enter, void *ssl)
{
	return call_enter((__u64)ssl, 0, 0, SSLU_DIR_HANDSHAKE);
}

/* a syscall inside an SSL call on this thread names the socket */
static __always_inline int note_fd(struct trace_event_raw_sys_enter *ctx)
{
	struct sslu_call *c;

	c = bpf_task_storage_get(&calls, bpf_get_current_task_btf(), 0, 0);
	if (c && c->active && c->fd < 0)
		c->fd = (__s32)ctx->args[0];
	return 0;
}

SEC("tracepoint/syscalls/sys_enter_read")
int sslu_sys_read(struct trace_event_raw_sys_enter *ctx) { return note_fd(ctx); }
SEC("tracepoint/syscalls/sys_enter_recvfrom")
int sslu_sys_recvfrom(struct trace_event_raw_sys_enter *ctx) { return note_fd(ctx); }
SEC("tracepoint/syscalls/sys_enter_readv")
int sslu_sys_readv(struct trace_event_raw_sys_enter *ctx) { return note_fd(ctx); }
SEC("tracepoint/syscalls/sys_enter_recvmsg")
int sslu_sys_recvmsg(struct trace_event_raw_sys_enter *ctx) { return note_fd(ctx); }
SEC("tracepoint/syscalls/sys_enter_write")
int sslu_sys_write(struct trace_event_raw_sys_enter *ctx) { return note_fd(ctx); }
SEC("tracepoint/syscalls/sys_enter_sendto")
int sslu_sys_sendto(struct trace_event_raw_sys_enter *ctx) { return note_fd(ctx); }
SEC("tracepoint/syscalls/sys_enter_writev")
int sslu_sys_writev(struct trace_event_raw_sys_enter *ctx) { return note_fd(ctx); }
SEC("tracepoint/syscalls/sys_enter_sendmsg")
int sslu_sys_sendmsg(struct trace_event_raw_sys_enter *ctx) { return note_fd(ctx); }

/* the connection of c->ssl: cached, or read from the socket c->fd (NULL: unknown) */
static __always_inline struct sslu_conn *call_conn(struct sslu_call *c, struct sslu_ssl_key *key,
						   struct sslu_conn *fresh)
{
	struct sslu_conn *cached = bpf_map_lookup_elem(&ssl_conns, key);
	struct sock *sk;

	if (c->fd < 0 || (cached && cached->fd == c->fd && c->dir != SSLU_DIR_HANDSHAKE))
		return cached;
	fresh->fd = c->fd;
	sk = ct_fd_sock(c->fd);
	if (!sk || !ct_sock_tuple(sk, &fresh->tuple))
		fresh->tuple.family = 0;
	bpf_map_update_elem(&ssl_conns, key, fresh, BPF_ANY);
	return fresh;
}

static __always_inline int call_return(long ret)
{
	struct sslu_ssl_key key = {};
	struct sslu_conn fresh = {}, *conn;
	struct sslu_scratch *s;
	struct sslu_call *c;
	__u32 zero = 0, len, copy, size;
	__u64 n = 0, id;

	c = bpf_task_storage_get(&calls, bpf_get_current_task_btf(), 0, 0);
	if (!c || !c->active)
		return 0;
	c->active = 0;
	/* nothing read (EAGAIN: half of nginx's calls); a handshake only names the socket */
	if (ret <= 0 && c->dir != SSLU_DIR_HANDSHAKE)
		return 0;
	id = bpf_get_current_pid_tgid();
	key.ssl = c->ssl;
	key.pid = id >> 32;
	conn = call_conn(c, &key, &fresh);
	if (ret <= 0 || c->dir == SSLU_DIR_HANDSHAKE)
		return 0;
	if (!c->count_ptr)
		n = ret;
	else if (bpf_probe_read_user(&n, sizeof(n), (void *)c->count_ptr))
		return 0;
	if (n == 0 || n > 0x7fffffff)
		return 0;
	len = n;

	s = bpf_map_lookup_elem(&scratch, &zero);
	if (!s)
		return 0;
	copy = len < cfg.copy_max ? len : cfg.copy_max;
	if (copy > SSLU_DATA_MAX)
		copy = SSLU_DATA_MAX;
	if (copy < len)
		count(SSLU_CNT_TRUNCATED);
	/* clang drops a mask it can prove useless, and the verifier then loses the bound */
	asm volatile("" : "+r"(copy));
	copy &= SSLU_COPY_MASK;
	if (bpf_probe_read_user(s->data, copy, (void *)c->buf)) {
		count(SSLU_CNT_READ_FAULT);
		return 0;
	}
	s->rec.type = SSLU_REC_DATA;
	s->rec.pid = id >> 32;
	s->rec.tid = (__u32)id;
	s->rec.ssl = c->ssl;
	s->rec.ts_ns = bpf_ktime_get_ns();
	s->rec.dir = c->dir;
	s->rec.len = len;
	s->rec.cap_len = copy;
	bpf_get_current_comm(s->rec.comm, sizeof(s->rec.comm));
	if (conn) {
		s->rec.fd = conn->fd;
		s->rec.tuple = conn->tuple;
	} else {
		s->rec.fd = -1;
		s->rec.tuple.family = 0;
	}
	if (!s->rec.tuple.family)
		count(SSLU_CNT_NO_FD);
	size = sizeof(s->rec) + copy;
	if (bpf_ringbuf_output(&rb, s, size, BPF_RB_NO_WAKEUP))
		count(SSLU_CNT_RB_FULL);
	return 0;
}

SEC("uretprobe")
int BPF_KRETPROBE(sslu_ret, long ret)
{
	return call_return(ret);
}

/* ---- per-process mode: exec, fork and exit of processes ------------------------------ */

static __always_inline void ctl_output(__u32 type, __u32 pid, __u32 ppid)
{
	struct sslu_ctl_rec r = { .type = type, .pid = pid, .ppid = ppid };

	bpf_get_current_comm(r.comm, sizeof(r.comm));
	/* rare and time-critical (a new server's first requests): wake the reader */
	if (bpf_ringbuf_output(&rb, &r, sizeof(r), 0))
		count(SSLU_CNT_CTL_LOST);
}

SEC("tp_btf/sched_process_exec")
int BPF_PROG(sslu_exec, struct task_struct *p, pid_t old_pid, struct linux_binprm *bprm)
{
	ctl_output(SSLU_REC_EXEC, p->tgid, 0);
	return 0;
}

SEC("tp_btf/sched_process_fork")
int BPF_PROG(sslu_fork, struct task_struct *parent, struct task_struct *child)
{
	__u32 ppid = parent->tgid, pid = child->tgid;
	__u8 one = 1;

	if (pid == ppid || !bpf_map_lookup_elem(&traced, &ppid))
		return 0;
	/* followed here at once, so a grandchild forked before userspace reacts is not lost */
	bpf_map_update_elem(&traced, &pid, &one, BPF_ANY);
	ctl_output(SSLU_REC_FORK, pid, ppid);
	return 0;
}

SEC("tp_btf/sched_process_exit")
int BPF_PROG(sslu_exit, struct task_struct *p)
{
	__u32 pid = p->tgid;

	if (p->pid != p->tgid || !bpf_map_lookup_elem(&traced, &pid))
		return 0;
	bpf_map_delete_elem(&traced, &pid);
	ctl_output(SSLU_REC_EXIT, pid, 0);
	return 0;
}
