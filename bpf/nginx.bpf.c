// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* nginx plugin, BPF half: nginx reads requests with recv() (recvfrom) and, for request bodies
 * into chains, readv(). Everything else is shared with the apache plugin. */
#include "http_syscalls.bpf.h"

HS_READ_SYSCALL(recvfrom, HS_READ_RECV)
HS_READ_SYSCALL(readv, HS_READ_IOV)

char LICENSE[] SEC("license") = "Dual BSD/GPL";
