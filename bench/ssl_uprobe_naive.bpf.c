// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Bench only: the naive probe set ssl_uprobe is measured against. Entry and return probes on
 * the exported SSL_read and SSL_write (whose first instruction the kernel single-steps),
 * system-wide, and a ring-buffer wakeup per event. Never built into ja4probe.
 * And the floor under ssl_uprobe: naive_trap, an empty program put where ssl_uprobe's copy
 * hook goes, costs the trap alone.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

char LICENSE[] SEC("license") = "Dual BSD/GPL";

#define NAIVE_COPY 4096

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16384);
	__type(key, __u64);
	__type(value, __u64);
} bufs SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 16 << 20);
} rb SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} lost SEC(".maps");

struct naive_rec {
	__u32 pid, len;
	__u8 data[NAIVE_COPY];
};

static __always_inline int naive_enter(void *buf)
{
	__u64 id = bpf_get_current_pid_tgid(), b = (__u64)buf;

	bpf_map_update_elem(&bufs, &id, &b, BPF_ANY);
	return 0;
}

static __always_inline int naive_return(long ret)
{
	__u64 id = bpf_get_current_pid_tgid(), *b;
	struct naive_rec *r;
	__u32 zero = 0, n;
	__u64 *l;

	b = bpf_map_lookup_elem(&bufs, &id);
	if (!b)
		return 0;
	if (ret > 0) {
		r = bpf_ringbuf_reserve(&rb, sizeof(*r), 0);
		if (!r) {
			l = bpf_map_lookup_elem(&lost, &zero);
			if (l)
				__sync_fetch_and_add(l, 1);
		} else {
			n = ret < NAIVE_COPY ? ret : NAIVE_COPY;
			r->pid = id >> 32;
			r->len = n;
			bpf_probe_read_user(r->data, n & (NAIVE_COPY - 1), (void *)*b);
			bpf_ringbuf_submit(r, 0);	/* a wakeup per event */
		}
	}
	bpf_map_delete_elem(&bufs, &id);
	return 0;
}

SEC("uprobe")
int BPF_KPROBE(naive_read_enter, void *ssl, void *buf) { return naive_enter(buf); }
SEC("uretprobe")
int BPF_KRETPROBE(naive_read_ret, long ret) { return naive_return(ret); }
SEC("uprobe")
int BPF_KPROBE(naive_write_enter, void *ssl, void *buf) { return naive_enter(buf); }
SEC("uretprobe")
int BPF_KRETPROBE(naive_write_ret, long ret) { return naive_return(ret); }

SEC("uprobe")
int naive_trap(struct pt_regs *ctx)
{
	return 0;
}
