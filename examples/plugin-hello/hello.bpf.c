// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* plugin-hello, BPF half: every exec on the host, from the sched_process_exec tracepoint, into
 * a ring buffer. No wakeup per event: the plugin drains the ring on a timer. */
#include "vmlinux.h"
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_helpers.h>

#include "hello.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 256 * 1024);	/* resized by the plugin before load */
} events SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, HELLO_CNT_MAX);
	__type(key, __u32);
	__type(value, __u64);
} counters SEC(".maps");

static __always_inline void count(__u32 which)
{
	__u64 *c = bpf_map_lookup_elem(&counters, &which);

	if (c)
		(*c)++;
}

SEC("tracepoint/sched/sched_process_exec")
int hello_exec(struct trace_event_raw_sched_process_exec *ctx)
{
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	/* the filename is a __data_loc field: the low 16 bits are its offset in the record */
	unsigned int off = BPF_CORE_READ(ctx, __data_loc_filename) & 0xFFFF;
	struct hello_exec *e;
	long len;

	e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e) {
		count(HELLO_CNT_LOST);
		return 0;
	}
	e->pid = bpf_get_current_pid_tgid() >> 32;
	e->ppid = BPF_CORE_READ(task, real_parent, tgid);
	bpf_get_current_comm(e->comm, sizeof(e->comm));
	len = bpf_probe_read_kernel_str(e->filename, sizeof(e->filename), (void *)ctx + off);
	if (len < 0)
		e->filename[0] = '\0';
	else if (len == sizeof(e->filename))
		count(HELLO_CNT_TRUNCATED);	/* may also be a path of exactly 255 bytes */
	bpf_ringbuf_submit(e, BPF_RB_NO_WAKEUP);
	return 0;
}
