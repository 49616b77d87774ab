// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The floor under the server plugins' cost per captured read (bench/servers_syscall_cost.py
 * floor): programs on the exit of recvfrom that each do one piece of the capture path alone,
 * for the reads of one process, so their run-time statistics say what that piece costs:
 *   floor_empty     nothing (the statistics' own cost and the call)
 *   floor_copy16    copy 16 bytes of the read's buffer with bpf_probe_read_user
 *   floor_copy200   copy 200 bytes the same way
 *   floor_reserve   reserve a 512-byte ring buffer record and discard it
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

const volatile __u32 target_tgid;

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u8[256]);
} floor_buf SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 1 << 20);
} floor_ring SEC(".maps");

static __always_inline bool floor_mine(long ret)
{
	return ret > 0 && bpf_get_current_pid_tgid() >> 32 == target_tgid;
}

static __always_inline int floor_copy(long ret, __u32 n)
{
	struct pt_regs *regs;
	__u32 zero = 0;
	__u8 *buf;

	if (!floor_mine(ret))
		return 0;
	regs = (struct pt_regs *)bpf_task_pt_regs(bpf_get_current_task_btf());
	buf = bpf_map_lookup_elem(&floor_buf, &zero);
	if (buf)
		bpf_probe_read_user(buf, n, (const void *)PT_REGS_PARM2_SYSCALL(regs));
	return 0;
}

SEC("tracepoint/syscalls/sys_exit_recvfrom")
int floor_empty(struct trace_event_raw_sys_exit *ctx)
{
	return 0;
}

SEC("tracepoint/syscalls/sys_exit_recvfrom")
int floor_copy16(struct trace_event_raw_sys_exit *ctx)
{
	return floor_copy(ctx->ret, 16);
}

SEC("tracepoint/syscalls/sys_exit_recvfrom")
int floor_copy200(struct trace_event_raw_sys_exit *ctx)
{
	return floor_copy(ctx->ret, 200);
}

SEC("tracepoint/syscalls/sys_exit_recvfrom")
int floor_reserve(struct trace_event_raw_sys_exit *ctx)
{
	void *rec;

	if (!floor_mine(ctx->ret))
		return 0;
	rec = bpf_ringbuf_reserve(&floor_ring, 512, 0);
	if (rec)
		bpf_ringbuf_discard(rec, BPF_RB_NO_WAKEUP);
	return 0;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
