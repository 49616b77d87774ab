// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* An empty TC program: the floor tc_capture's cost per packet is measured against
 * (bench/tc_capture_bench.py), since the run-time statistics themselves cost time. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

SEC("tc")
int tc_empty(struct __sk_buff *skb)
{
	return 0;	/* TC_ACT_OK */
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
