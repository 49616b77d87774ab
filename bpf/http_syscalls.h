/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Records the HTTP server plugins (nginx, apache) send from http_syscalls.bpf.h to their
 * userspace half (plugins/common/httpd_plugin.c) through the ring buffer "hs_events".
 */
#ifndef JA4PROBE_HTTP_SYSCALLS_H
#define JA4PROBE_HTTP_SYSCALLS_H

#include "conn_track.h"

#define HS_CAPTURE_MAX 16384	/* bytes of one read copied at most (a power of two) */
#define HS_RESP_BYTES 32	/* bytes of a response's first write: "HTTP/1.1 200 OK" */

/* ct_conn.flags */
#define HS_CONN_SEEN 0x1	/* the first bytes were seen (TLS is only checked there) */
#define HS_CONN_TLS 0x2		/* TLS: every further read is skipped */
#define HS_CONN_DATA 0x4	/* a data record was sent: userspace holds state to free */

enum hs_rec_type {
	HS_REC_DATA = 1,	/* bytes a read returned on an accepted connection */
	HS_REC_CLOSE,		/* close() of a connection that sent data */
	HS_REC_RESP,		/* a write that starts with a status line */
};

struct hs_record {
	__u16 type;		/* enum hs_rec_type */
	__u16 pad;
	__u32 tgid;
	__u32 tid;
	__s32 fd;
	__u64 conn_start_ns;	/* with (tgid, fd): the connection */
	__u64 ts_ns;		/* CLOCK_MONOTONIC; to a tick unless hs_config.precise_ts */
	struct ct_tuple tuple;
	__u32 len;		/* bytes in data[] */
	__u32 total;		/* bytes the syscall returned (or was asked to write) */
	char comm[CT_COMM_LEN];	/* of the thread that accepted the connection */
	__u8 data[];
};

/* bpf config, one entry of the array map hs_config */
struct hs_config {
	__u32 capture_bytes;	/* <= HS_CAPTURE_MAX */
	__u32 wake_bytes;	/* a record that takes the ring past this wakes the consumer */
	__u32 precise_ts;	/* nonzero: exact read times (response latencies need them) */
	__u32 pad;
};

enum hs_stat {
	HS_STAT_RB_FULL,	/* a record did not fit in the ring buffer */
	HS_STAT_TLS_CONNS,	/* connections found to carry TLS: their reads are skipped */
	HS_STAT_READ_FAULT,	/* the bytes of a read could not be copied */
	HS_STAT_RECORDS,	/* records submitted (paces the ring's fill check) */
	HS_STAT_MAX
};

#endif /* JA4PROBE_HTTP_SYSCALLS_H */
