/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The counters every BPF program here keeps for the stats event: a per-CPU array of N __u64
 * (no atomics on the hot path; userspace sums the CPUs, plugins/common/pcpu_counters.c) and
 * the increment that goes with it. The map keeps the name given, which userspace looks up.
 */
#ifndef JA4PROBE_PERCPU_COUNTERS_BPF_H
#define JA4PROBE_PERCPU_COUNTERS_BPF_H

#define PERCPU_COUNTERS(map, n, inc)                                                       \
	struct {                                                                           \
		__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);                                   \
		__uint(max_entries, n);                                                    \
		__type(key, __u32);                                                        \
		__type(value, __u64);                                                      \
	} map SEC(".maps");                                                                \
                                                                                           \
	static __always_inline void inc(__u32 idx)                                         \
	{                                                                                  \
		__u64 *v = bpf_map_lookup_elem(&map, &idx);                                \
                                                                                           \
		if (v)                                                                     \
			*v += 1;                                                           \
	}

#endif
