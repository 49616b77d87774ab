/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * BPF half shared by the HTTP server plugins (nginx.bpf.c, apache.bpf.c): the bytes a watched
 * server process reads from a connection it accepted go to userspace as HS_REC_DATA records;
 * closes of such connections as HS_REC_CLOSE; with responses on, writes that start a status
 * line as HS_REC_RESP. A plugin's .bpf.c names the read syscalls its server uses with
 * HS_READ_SYSCALL(); the response programs (hs_resp_*) are loaded only when userspace asks.
 *
 * Records are reserved in the ring buffer in a few size classes (the verifier wants a constant
 * size) and the bytes are read straight into them. No wakeup per record: userspace consumes
 * on a timer, and a record is submitted with a forced wakeup only once the ring is a quarter
 * full (see rb_wakeup_flag).
 */
#ifndef JA4PROBE_HTTP_SYSCALLS_BPF_H
#define JA4PROBE_HTTP_SYSCALLS_BPF_H

#define CT_ON_CLOSE hs_on_close
#define CT_CONN_SLOTS 16384	/* every read looks its connection up: direct-mapped first */
#include "conn_track.bpf.h"
#include "http_syscalls.h"
#include "ringbuf_records.bpf.h"

#define MSG_PEEK 2

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 4 << 20);	/* userspace sets the configured size before load */
} hs_events SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct hs_config);
} hs_config SEC(".maps");

PERCPU_COUNTERS(hs_stats, HS_STAT_MAX, hs_count)

/* the submit flag of a record: see rb_wakeup_flag() */
static __always_inline __u64 hs_wakeup_flag(struct hs_config *cfg)
{
	__u32 stat = HS_STAT_RECORDS;

	return rb_wakeup_flag(&hs_events, bpf_map_lookup_elem(&hs_stats, &stat),
			      cfg ? cfg->wake_bytes : (__u64)-1);
}

static __always_inline struct hs_config *hs_cfg(void)
{
	__u32 zero = 0;

	return bpf_map_lookup_elem(&hs_config, &zero);
}

extern int CONFIG_HZ __kconfig __weak;

/*
 * The time of a record. Reading the clock source costs ~50 ns here (rdtsc in a VM); the
 * jiffy count is a load, so unless exact times are asked for (latencies) a record's time is
 * the accept time plus the jiffies since: exact to a tick, which an event's time can afford.
 */
static __always_inline __u64 hs_now(struct hs_config *cfg, struct ct_conn *conn)
{
	__u32 ticks;

	if ((cfg && cfg->precise_ts) || CONFIG_HZ <= 0)
		return bpf_ktime_get_ns();
	ticks = (__u32)bpf_jiffies64() - conn->start_jiffies;
	return conn->start_ns + (__u64)ticks * (1000000000u / CONFIG_HZ);
}

static __always_inline void hs_fill(struct hs_record *rec, struct hs_config *cfg, __u16 type,
				    __u64 id, struct ct_conn_key *key, struct ct_conn *conn,
				    __u32 len, __u32 total)
{
	rec->type = type;
	rec->pad = 0;
	rec->tgid = key->tgid;
	rec->tid = (__u32)id;
	rec->fd = key->fd;
	rec->conn_start_ns = conn->start_ns;
	rec->ts_ns = hs_now(cfg, conn);
	rec->tuple = conn->tuple;
	rec->len = len;
	rec->total = total;
	__builtin_memcpy(rec->comm, conn->comm, sizeof(rec->comm));
}

static __always_inline void hs_on_close(struct ct_conn_key *key, struct ct_conn *conn)
{
	struct hs_config *cfg = hs_cfg();
	struct hs_record *rec;

	if (!(conn->flags & HS_CONN_DATA))
		return;
	rec = bpf_ringbuf_reserve(&hs_events, sizeof(*rec), 0);
	if (!rec) {
		hs_count(HS_STAT_RB_FULL);
		return;
	}
	hs_fill(rec, cfg, HS_REC_CLOSE, bpf_get_current_pid_tgid(), key, conn, 0, 0);
	bpf_ringbuf_submit(rec, hs_wakeup_flag(cfg));
}

/* A TLS record header: content type 20..23 and major version 3 (a 1-byte peek: the type). */
static __always_inline bool hs_is_tls(const __u8 *data, __u32 len)
{
	if (len < 1 || data[0] < 20 || data[0] > 23)
		return false;
	return len < 2 || data[1] == 3;
}

enum hs_read_kind {
	HS_READ_PLAIN,		/* read(fd, buf, count) */
	HS_READ_IOV,		/* readv(fd, iov, iovcnt): the first iovec is read */
	HS_READ_RECV,		/* recvfrom(fd, buf, len, flags, ...): MSG_PEEK left out */
};

/*
 * At the exit of a read-like syscall: the arguments come from the task's saved user
 * registers (the syscall leaves them as they were), so no enter program and no map carry
 * them from entry to exit. A failed or empty read leaves before any lookup; an unwatched
 * process after one.
 */
static __always_inline int hs_read_exit(long ret, enum hs_read_kind kind)
{
	__u64 id = bpf_get_current_pid_tgid();
	struct ct_conn_key key = { .tgid = id >> 32 };
	struct hs_record *rec = NULL;
	struct hs_config *cfg;
	struct ct_conn *conn;
	struct pt_regs *regs;
	__u64 n, cap, buf, avail;
	int err;

	if (ret <= 0 || !ct_proc_watched(key.tgid))
		return 0;
	/* a BTF pointer: the register loads are plain (CO-RE relocated) loads, no helper */
	regs = (struct pt_regs *)bpf_task_pt_regs(bpf_get_current_task_btf());
	key.fd = (int)PT_REGS_PARM1_SYSCALL(regs);
	conn = ct_conn_lookup(&key);
	if (!conn || (conn->flags & HS_CONN_TLS))
		return 0;
	if (kind == HS_READ_RECV && (PT_REGS_PARM4_SYSCALL(regs) & MSG_PEEK))
		return 0;	/* the same bytes come again */
	buf = PT_REGS_PARM2_SYSCALL(regs);
	avail = ret;
	if (kind == HS_READ_IOV) {
		struct iovec v;

		if (bpf_probe_read_user(&v, sizeof(v), (const void *)buf)) {
			hs_count(HS_STAT_READ_FAULT);
			return 0;
		}
		buf = (__u64)v.iov_base;
		if (avail > v.iov_len)
			avail = v.iov_len;
	}
	cfg = hs_cfg();
	cap = cfg && cfg->capture_bytes ? cfg->capture_bytes : 4096;
	n = avail < cap ? avail : cap;
	if (n > HS_CAPTURE_MAX)
		n = HS_CAPTURE_MAX;
	if (n == 0)
		return 0;

	/* small classes for the common short heads: ring space is what overload costs */
	RB_RESERVE_COPY(hs_events, struct hs_record, rec, err, n, buf, 128, reserved)
	RB_RESERVE_COPY(hs_events, struct hs_record, rec, err, n, buf, 512, reserved)
	RB_RESERVE_COPY(hs_events, struct hs_record, rec, err, n, buf, 1024, reserved)
	RB_RESERVE_COPY(hs_events, struct hs_record, rec, err, n, buf, 4096, reserved)
	RB_RESERVE_COPY(hs_events, struct hs_record, rec, err, n, buf, HS_CAPTURE_MAX, reserved)
	return 0;
reserved:
	if (!rec) {
		hs_count(err == -RB_EFAULT ? HS_STAT_READ_FAULT : HS_STAT_RB_FULL);
		return 0;
	}
	if (!(conn->flags & HS_CONN_SEEN)) {
		conn->flags |= HS_CONN_SEEN;
		if (hs_is_tls(rec->data, n)) {
			conn->flags |= HS_CONN_TLS;
			hs_count(HS_STAT_TLS_CONNS);
			bpf_ringbuf_discard(rec, BPF_RB_NO_WAKEUP);
			return 0;
		}
	}
	conn->flags |= HS_CONN_DATA;
	hs_fill(rec, cfg, HS_REC_DATA, id, &key, conn, n, ret);
	bpf_ringbuf_submit(rec, hs_wakeup_flag(cfg));
	return 0;
}

/* HS_READ_SYSCALL(name, kind): the program for a read-like syscall, kind an hs_read_kind */
#define HS_READ_SYSCALL(name, kind)                                                          \
	SEC("tracepoint/syscalls/sys_exit_" #name)                                            \
	int hs_exit_##name(struct trace_event_raw_sys_exit *ctx)                              \
	{                                                                                     \
		return hs_read_exit(ctx->ret, (kind));                                        \
	}

/* ---- responses: each write that starts a status line ("HTTP/1.1 200 OK") -------------- */

/*
 * Every write or writev on a connection that carried a request is looked at; one whose
 * first bytes are "HTTP/" goes to userspace, which pairs responses with requests in order
 * (pipelining included). sendfile() is not hooked: it carries bodies, never a status line.
 */
static __always_inline int hs_write_enter(int fd, __u64 buf, __u32 iov, __u64 total)
{
	__u64 id = bpf_get_current_pid_tgid();
	struct ct_conn_key key = { .tgid = id >> 32, .fd = fd };
	struct hs_config *cfg;
	struct hs_record *rec;
	struct ct_conn *conn;
	char head[5];
	__u64 n;

	if (!ct_proc_watched(key.tgid))
		return 0;
	conn = ct_conn_lookup(&key);
	if (!conn || !(conn->flags & HS_CONN_DATA))
		return 0;
	if (iov) {
		struct iovec v;

		if (bpf_probe_read_user(&v, sizeof(v), (const void *)buf))
			return 0;
		buf = (__u64)v.iov_base;
		total = v.iov_len;
	}
	if (total < 12 || bpf_probe_read_user(head, sizeof(head), (const void *)buf) ||
	    head[0] != 'H' || head[1] != 'T' || head[2] != 'T' || head[3] != 'P' || head[4] != '/')
		return 0;
	rec = bpf_ringbuf_reserve(&hs_events, sizeof(*rec) + HS_RESP_BYTES, 0);
	if (!rec) {
		hs_count(HS_STAT_RB_FULL);
		return 0;
	}
	n = total < HS_RESP_BYTES ? total : HS_RESP_BYTES;
	barrier_var(n);
	if (n > HS_RESP_BYTES)
		n = HS_RESP_BYTES;
	if (bpf_probe_read_user(rec->data, n, (const void *)buf))
		n = 0;
	cfg = hs_cfg();
	hs_fill(rec, cfg, HS_REC_RESP, id, &key, conn, n, total);
	bpf_ringbuf_submit(rec, hs_wakeup_flag(cfg));
	return 0;
}

SEC("tracepoint/syscalls/sys_enter_write")
int hs_resp_write(struct trace_event_raw_sys_enter *ctx)
{
	return hs_write_enter((int)ctx->args[0], ctx->args[1], 0, ctx->args[2]);
}

SEC("tracepoint/syscalls/sys_enter_writev")
int hs_resp_writev(struct trace_event_raw_sys_enter *ctx)
{
	return hs_write_enter((int)ctx->args[0], ctx->args[1], 1, 0);
}

#endif /* JA4PROBE_HTTP_SYSCALLS_BPF_H */
