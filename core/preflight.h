/* SPDX-License-Identifier: BSD-3-Clause */
/* Checks before anything is attached, each failing with a message that names the fix. */
#ifndef JA4PROBE_PREFLIGHT_H
#define JA4PROBE_PREFLIGHT_H

/* Privileges (root, or CAP_BPF + CAP_PERFMON + CAP_NET_ADMIN), kernel BTF, tracefs (mounted
 * at /sys/kernel/tracing when missing and we may). 0, or a negative errno after logging. */
int preflight_check(void);

#endif
