/* SPDX-License-Identifier: BSD-3-Clause */
/* pcpu_counters: read a plugin's per-CPU BPF counter array (BPF_MAP_TYPE_PERCPU_ARRAY of u64). */
#ifndef JA4PROBE_PCPU_COUNTERS_H
#define JA4PROBE_PCPU_COUNTERS_H

#include <stdint.h>

/*
 * sums[i] = the sum over the possible CPUs of key i, for i < n; a key that cannot be read
 * sums to 0. Returns 0 or a negative errno (then sums is untouched).
 */
int pcpu_counters_read(int map_fd, unsigned int n, uint64_t *sums);

#endif /* JA4PROBE_PCPU_COUNTERS_H */
