// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* apache plugin, BPF half: APR's apr_socket_recv() reads with read() (a recvfrom hook sees
 * nothing of Apache) and some filters with readv(). Everything else is shared with nginx. */
#include "http_syscalls.bpf.h"

HS_READ_SYSCALL(read, HS_READ_PLAIN)
HS_READ_SYSCALL(readv, HS_READ_IOV)

char LICENSE[] SEC("license") = "Dual BSD/GPL";
