// SPDX-License-Identifier: BSD-3-Clause
/* Sums of per-CPU BPF counters (see pcpu_counters.h). */
#include <errno.h>
#include <stdlib.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "pcpu_counters.h"

int pcpu_counters_read(int map_fd, unsigned int n, uint64_t *sums)
{
	int ncpu = libbpf_num_possible_cpus();
	uint64_t *vals;

	if (ncpu <= 0)
		return ncpu < 0 ? ncpu : -EINVAL;
	/* the kernel copies a value per possible CPU */
	vals = calloc((size_t)ncpu, sizeof(*vals));
	if (!vals)
		return -ENOMEM;
	for (uint32_t key = 0; key < n; key++) {
		sums[key] = 0;
		if (bpf_map_lookup_elem(map_fd, &key, vals))
			continue;
		for (int c = 0; c < ncpu; c++)
			sums[key] += vals[c];
	}
	free(vals);
	return 0;
}
