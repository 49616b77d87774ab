// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * ssl_uprobe: plaintext of OpenSSL reads (and, when asked, writes) with the socket they went
 * through.
 *
 * Cost decides the shape (see MEASUREMENTS.md: a uprobe on an instruction the kernel emulates
 * ~0.7 us, on one it single-steps 10-15 us, a return probe more, a ring-buffer wakeup 6-9 us):
 *
 *  - Reads, preferred: one uprobe on the `call memcpy` where ssl3_read_bytes copies a record's
 *    plaintext into the caller's buffer (sslu_copy; a call is emulated). It fires once per
 *    read that returns data, never for the reads that find nothing (half of nginx's SSL_read
 *    calls), and has buffer, plaintext and length in registers: no return probe. The socket
 *    is the one the thread last received on (the receive that brought the ciphertext; Apache's
 *    mod_ssl BIO is not a plain fd, but its reads are socket receives on the same thread too),
 *    told by the sock_recv_length tracepoint with the struct sock itself: it fires for socket
 *    receives only, not for every read() on the host as a syscall tracepoint would, and costs
 *    no fd table walk. An entry probe on SSL_new (once per connection) gives the thread its
 *    storage before the connection's first read, and the process's other threads get theirs
 *    at their first receive.
 *  - Reads, fallback (the copy site was not recognised): an entry probe on OpenSSL's internal
 *    read function (it starts with `push`; SSL_read's own `sub $0x18,%rsp` would be
 *    single-stepped) keeps (SSL*, buf, count pointer) in task storage; the socket calls inside
 *    name the socket; the return probe reads the count (SSL_read keeps it in its own frame, dead
 *    after it returns, so it cannot wait for a later syscall) and the plaintext.
 *  - Writes (outbound requests, responses) and SSL_do_handshake: the same entry/return pair.
 *  - 4-tuples are read from the socket once per (pid, socket) and forgotten at close().
 *  - Records go to the ring buffer without a wakeup: userspace drains it on a timer.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_endian.h>
/*
 * for ct_fd_sock()/ct_sock_tuple(), and with targets the process following: ct_procs holds
 * the traced processes, ct_fork/ct_exit keep it and report to userspace through the hooks
 * below, which hooks or unhooks them; its other programs are not loaded by this plugin
 */
#define CT_ON_FORK sslu_on_fork
#define CT_ON_EXIT sslu_on_exit
#include "conn_track.bpf.h"
#include "ringbuf_records.bpf.h"
#include "ssl_uprobe.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

const volatile struct sslu_bpf_cfg cfg = { .copy_max = 4096 };

/* per thread: the SSL call in flight (entry/return hooks) and the socket it last received on */
struct sslu_call {
	__u64 ssl;
	__u64 buf;
	__u64 count_ptr;	/* size_t *readbytes / *written; 0: the count is the return value */
	__u64 sk;		/* struct sock a call in flight received or sent on; 0: none yet */
	__u64 last_sk;		/* struct sock of the thread's last receive; 0: none */
	__u8 init;		/* its process is in ssl_pids */
	__u8 active;
	__u8 dir;
};

struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct sslu_call);
} calls SEC(".maps");

/* processes seen using OpenSSL: their threads get task storage at their first read */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 16384);
	__type(key, __u32);
	__type(value, __u8);
} ssl_pids SEC(".maps");

/* the socket last seen under an SSL*, for entry/return calls served without a receive */
struct sslu_ssl_key {
	__u64 ssl;
	__u32 pid;
	__u32 pad;
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 65536);
	__type(key, struct sslu_ssl_key);
	__type(value, __u64);
} ssl_socks SEC(".maps");

/*
 * The 4-tuple of (pid, socket), read once from the socket; deleted at close(). exit, exec
 * (close-on-exec), dup2/dup3 and close_range free a socket without a close(), and its memory
 * may come back as another socket, so the entry keeps its ports, checked on every use.
 */
struct sslu_sk_key {
	__u32 pid;
	__u32 pad;
	__u64 sk;
};

/* sslu_conn.flags */
#define SSLU_CONN_SERVED 1	/* a read on it became a record: this process is its server */
#define SSLU_CONN_CLIENT 2	/* its first read was a response: this process is its client */

struct sslu_conn {
	struct ct_tuple tuple;
	__u32 ports;		/* the socket's skc_portpair: a freed sock reused is another peer */
	__u32 flags;		/* SSLU_CONN_* */
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 65536);
	__type(key, struct sslu_sk_key);
	__type(value, struct sslu_conn);
} conns SEC(".maps");

/*
 * targets: made of comm: names only: userspace puts the names here, then sets
 * exec_comm_filter, and the exec of any other name costs no record and no /proc read.
 */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, SSLU_TARGET_COMMS_MAX);
	__type(key, char[SSLU_COMM_LEN]);
	__type(value, __u8);
} target_comms SEC(".maps");

__u32 exec_comm_filter;

PERCPU_COUNTERS(counters, SSLU_CNT_MAX, count)

#define SSLU_RB_SIZE (16 << 20)

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, SSLU_RB_SIZE);
} rb SEC(".maps");


/* this thread's storage, created (and its process remembered) when create is set */
static __always_inline struct sslu_call *thread_call(bool create)
{
	struct sslu_call *c;
	__u32 pid;
	__u8 one = 1;

	c = bpf_task_storage_get(&calls, bpf_get_current_task_btf(), 0,
				 create ? BPF_LOCAL_STORAGE_GET_F_CREATE : 0);
	if (!c) {
		if (create)
			count(SSLU_CNT_CALLS_FULL);
		return NULL;
	}
	if (create && !c->init) {
		c->init = 1;
		pid = bpf_get_current_pid_tgid() >> 32;
		bpf_map_update_elem(&ssl_pids, &pid, &one, BPF_ANY);
	}
	return c;
}

/* tell userspace that the connection its streams belong to is gone */
static __always_inline void conn_closed(const struct sslu_sk_key *key)
{
	struct sslu_ctl_rec r = { .type = SSLU_REC_CLOSE, .pid = key->pid, .sk = key->sk };

	/* no wakeup: it waits for the next drain, in order with the data that follows */
	if (bpf_ringbuf_output(&rb, &r, sizeof(r), BPF_RB_NO_WAKEUP))
		count(SSLU_CNT_CTL_LOST);
}

/* the connection of socket sk in this process (its 4-tuple read once), or NULL: not IPv4/IPv6 */
static __always_inline struct sslu_conn *sk_conn(__u32 pid, __u64 sk)
{
	struct sslu_sk_key key = { .pid = pid, .sk = sk };
	struct sslu_conn *t, conn = {};
	struct sock *s;

	if (!sk)
		return NULL;
	/*
	 * Plain loads. The socket was just received on by this thread (or, for a call served
	 * without a receive, last seen under its SSL*): had it been freed since, the load reads
	 * another socket's ports or faults to 0, and the ports check below sees either.
	 */
	s = bpf_rdonly_cast((void *)sk, bpf_core_type_id_kernel(struct sock));
	conn.ports = s->__sk_common.skc_portpair;
	t = bpf_map_lookup_elem(&conns, &key);
	if (t && t->ports == conn.ports)
		return t;
	/* a new socket in the memory of one that was closed unseen: that connection ended */
	if (t)
		conn_closed(&key);
	if (!ct_sock_tuple((struct sock *)sk, &conn.tuple))
		return NULL;
	bpf_map_update_elem(&conns, &key, &conn, BPF_ANY);
	return bpf_map_lookup_elem(&conns, &key);
}

/* copy len bytes of plaintext at buf (up to copy_max) into the ring buffer */
static __always_inline void emit_data(__u8 dir, __u64 ssl, __u64 sk, const void *buf, __u32 len)
{
	__u64 id = bpf_get_current_pid_tgid();
	struct sslu_data_rec *rec;
	__u32 copy, submitted = SSLU_CNT_RECORDS;
	struct sslu_conn *conn;
	int err;

	/*
	 * The connection first: finding a new socket where a closed one was sends its CLOSE
	 * record, which must reach userspace before this data (records are read in the order
	 * they were reserved).
	 */
	conn = sk_conn(id >> 32, sk);
	copy = len < cfg.copy_max ? len : cfg.copy_max;
	if (copy > SSLU_DATA_MAX)
		copy = SSLU_DATA_MAX;
	if (copy < len)
		count(SSLU_CNT_TRUNCATED);
	/* small classes for the common short heads: ring space is what overload costs */
	RB_RESERVE_COPY(rb, struct sslu_data_rec, rec, err, copy, buf, 128, reserved)
	RB_RESERVE_COPY(rb, struct sslu_data_rec, rec, err, copy, buf, 512, reserved)
	RB_RESERVE_COPY(rb, struct sslu_data_rec, rec, err, copy, buf, 2048, reserved)
	RB_RESERVE_COPY(rb, struct sslu_data_rec, rec, err, copy, buf, SSLU_DATA_MAX, reserved)
	return;
reserved:
	if (!rec) {
		count(err == -RB_EFAULT ? SSLU_CNT_READ_FAULT : SSLU_CNT_RB_FULL);
		return;
	}
	/*
	 * What a client reads is a response: no request starts with "HTTP/", so it need not
	 * cost a record and its decoding (system-wide, every TLS client on the host reads).
	 * A connection whose first read is one is a client's: the body that follows in other
	 * records is not taken for a request either. On a connection that already carried a
	 * request, such a read is a request body, and goes to userspace like any other (the
	 * stream counts its bytes to find the next request).
	 */
	if (dir == SSLU_DIR_READ) {
		bool response = copy >= 5 && rec->data[0] == 'H' && rec->data[1] == 'T' &&
				rec->data[2] == 'T' && rec->data[3] == 'P' && rec->data[4] == '/';

		if ((conn && (conn->flags & SSLU_CONN_CLIENT)) ||
		    (response && !(conn && (conn->flags & SSLU_CONN_SERVED)))) {
			if (conn)
				conn->flags |= SSLU_CONN_CLIENT;
			count(SSLU_CNT_RESPONSES);
			bpf_ringbuf_discard(rec, BPF_RB_NO_WAKEUP);
			return;
		}
		if (conn)
			conn->flags |= SSLU_CONN_SERVED;
	}
	rec->type = SSLU_REC_DATA;
	rec->pid = id >> 32;
	rec->tid = (__u32)id;
	rec->sk = sk;
	rec->ssl = ssl;
	rec->ts_ns = bpf_ktime_get_ns();
	rec->dir = dir;
	rec->len = len;
	rec->cap_len = copy;
	bpf_get_current_comm(rec->comm, sizeof(rec->comm));
	/* none (family 0): userspace counts the event in no_tuple */
	if (conn)
		rec->tuple = conn->tuple;
	else
		__builtin_memset(&rec->tuple, 0, sizeof(rec->tuple));
	/* the drain timer is enough, unless the reader falls a quarter of the ring behind */
	bpf_ringbuf_submit(rec, rb_wakeup_flag(&rb, bpf_map_lookup_elem(&counters, &submitted),
					       SSLU_RB_SIZE / 4));
}

/* ---- reads at the plaintext copy ----------------------------------------------------- */

/* SSL3_RECORD (OpenSSL 1.1.1, 3.x): int rec_version; int type; ... */
#define SSLU_RECORD_TYPE 4
#define SSLU_RT_APPLICATION_DATA 23
#define SSLU_PT_REGS_SLOTS 15

/*
 * memcpy(buf, rr->data + rr->off, n) in ssl3_read_bytes. The attach cookie is the pt_regs
 * slot of the register holding rr: handshake messages pass through the same copy, and only
 * application data is wanted.
 */
SEC("uprobe")
int BPF_KPROBE(sslu_copy, void *dst, const void *src, __u64 n)
{
	__u64 slot = bpf_get_attach_cookie(ctx), rec = 0;
	struct sslu_call *c;
	int type = 0;

	if (slot >= SSLU_PT_REGS_SLOTS ||
	    bpf_probe_read_kernel(&rec, sizeof(rec), (void *)ctx + slot * sizeof(__u64)) ||
	    bpf_probe_read_user(&type, sizeof(type), (void *)(rec + SSLU_RECORD_TYPE)) ||
	    type != SSLU_RT_APPLICATION_DATA)
		return 0;
	c = thread_call(true);
	if (!c || n == 0 || n > 0x7fffffff)
		return 0;
	emit_data(SSLU_DIR_READ, 0, c->last_sk, src, (__u32)n);
	return 0;
}

/* ---- entry/return hooks -------------------------------------------------------------- */

static __always_inline int call_enter(__u64 ssl, __u64 buf, __u64 count_ptr, __u8 dir)
{
	struct sslu_call *c = thread_call(true);

	if (!c)
		return 0;
	c->ssl = ssl;
	c->buf = buf;
	c->count_ptr = count_ptr;
	c->sk = 0;
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
 * SSL_new: once per connection, before any of its reads: the thread gets its storage and the
 * process is remembered, so the read that brings the first request's ciphertext is seen even
 * when the handshake happens inside SSL_read (no SSL_do_handshake call).
 */
SEC("uprobe")
int BPF_KPROBE(sslu_new)
{
	thread_call(true);
	return 0;
}

/*
 * SSL_do_handshake: once per connection, to name its socket early: a server that reads
 * ciphertext ahead (Apache's core input filter) may serve the first read without a syscall.
 */
SEC("uprobe")
int BPF_KPROBE(sslu_handshake_enter, void *ssl)
{
	return call_enter((__u64)ssl, 0, 0, SSLU_DIR_HANDSHAKE);
}

SEC("uretprobe")
int BPF_KRETPROBE(sslu_ret, long ret)
{
	struct sslu_ssl_key key = {};
	struct sslu_call *c = thread_call(false);
	__u64 sk, *cached, n = 0;

	if (!c || !c->active)
		return 0;
	c->active = 0;
	/* nothing read (EAGAIN: half of nginx's calls); a handshake only names the socket */
	if (ret <= 0 && c->dir != SSLU_DIR_HANDSHAKE)
		return 0;
	key.ssl = c->ssl;
	key.pid = bpf_get_current_pid_tgid() >> 32;
	sk = c->sk;
	cached = bpf_map_lookup_elem(&ssl_socks, &key);
	if (sk && (!cached || *cached != sk))
		bpf_map_update_elem(&ssl_socks, &key, &sk, BPF_ANY);
	else if (!sk && cached)
		sk = *cached;
	if (ret <= 0 || c->dir == SSLU_DIR_HANDSHAKE)
		return 0;
	if (!c->count_ptr)
		n = ret;
	else if (bpf_probe_read_user(&n, sizeof(n), (void *)c->count_ptr))
		return 0;
	if (n == 0 || n > 0x7fffffff)
		return 0;
	emit_data(c->dir, c->ssl, sk, (void *)c->buf, (__u32)n);
	return 0;
}

/* ---- sockets ------------------------------------------------------------------------ */

/*
 * Whether a socket call of this process can matter: with targets, only the traced ones' can,
 * and an array load spares every other process's receives and closes the storage and hash
 * lookups.
 */
static __always_inline bool sock_of_interest(void)
{
	return !cfg.per_process || ct_proc_watched(bpf_get_current_pid_tgid() >> 32);
}

/* a receive names the socket of the thread's next plaintext copy and of a call in flight */
static __always_inline int note_sock(struct sock *sk, bool recv)
{
	struct sslu_call *c;
	__u32 pid;

	if (!sock_of_interest())
		return 0;
	c = thread_call(false);
	if (!c) {
		/* a thread of an OpenSSL process receiving for the first time */
		pid = bpf_get_current_pid_tgid() >> 32;
		if (!recv || !bpf_map_lookup_elem(&ssl_pids, &pid))
			return 0;
		c = thread_call(true);
		if (!c)
			return 0;
	}
	if (recv)
		c->last_sk = (__u64)sk;
	if (c->active && !c->sk)
		c->sk = (__u64)sk;
	return 0;
}

/* every socket receive (read, recv*, readv on a socket, io_uring), after it */
SEC("tp_btf/sock_recv_length")
int BPF_PROG(sslu_sock_recv, struct sock *sk, int ret, int flags)
{
	return note_sock(sk, true);
}

/* every socket send: only for writes and handshakes hooked by entry/return */
SEC("tp_btf/sock_send_length")
int BPF_PROG(sslu_sock_send, struct sock *sk, int ret, int flags)
{
	return note_sock(sk, false);
}

/*
 * A closed socket's 4-tuple must not name the next socket allocated in its memory, and the
 * reassembly state of its connection can go.
 */
SEC("tracepoint/syscalls/sys_enter_close")
int sslu_sys_close(struct trace_event_raw_sys_enter *ctx)
{
	struct sslu_sk_key key = { .pid = bpf_get_current_pid_tgid() >> 32 };

	/* only a process that used OpenSSL has connections here: others skip the fd table walk */
	if (!sock_of_interest() || !bpf_map_lookup_elem(&ssl_pids, &key.pid))
		return 0;
	key.sk = (__u64)ct_fd_sock((int)ctx->args[0]);
	if (key.sk && !bpf_map_delete_elem(&conns, &key))
		conn_closed(&key);
	return 0;
}

/* ---- per-process mode: exec, fork and exit of processes ------------------------------ */

static __always_inline void ctl_output(__u32 type, __u32 pid, __u32 ppid, __u64 flags)
{
	struct sslu_ctl_rec r = { .type = type, .pid = pid, .ppid = ppid };

	bpf_get_current_comm(r.comm, sizeof(r.comm));
	if (bpf_ringbuf_output(&rb, &r, sizeof(r), flags))
		count(SSLU_CNT_CTL_LOST);
}

/*
 * Every exec on the host: no wakeup (6-9 us each), the drain timer (poll_interval_ms) is
 * soon enough for a new server, which loads libssl and its config before its first accept.
 * A traced process that execs is reported whatever its new name: its hooks must go.
 */
SEC("tp_btf/sched_process_exec")
int BPF_PROG(sslu_exec, struct task_struct *p, pid_t old_pid, struct linux_binprm *bprm)
{
	char comm[SSLU_COMM_LEN] = {};
	__u32 pid = p->tgid;

	if (exec_comm_filter) {
		bpf_get_current_comm(comm, sizeof(comm));
		if (!bpf_map_lookup_elem(&target_comms, comm) && !ct_proc_watched(pid))
			return 0;
	}
	ctl_output(SSLU_REC_EXEC, pid, 0, BPF_RB_NO_WAKEUP);
	return 0;
}

/* a traced process's child, traced in BPF at once so that a grandchild forked before
 * userspace reacts is not lost; rare and time-critical (a prefork child serves at once) */
static __always_inline void sslu_on_fork(__u32 parent_tgid, __u32 child_tgid)
{
	ctl_output(SSLU_REC_FORK, child_tgid, parent_tgid, 0);
}

static __always_inline void sslu_on_exit(__u32 tgid)
{
	ctl_output(SSLU_REC_EXIT, tgid, 0, 0);
}
