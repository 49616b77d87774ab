/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * ssl_uprobe: the records the BPF half (ssl_uprobe.bpf.c) and the userspace half
 * (plugins/ssl_uprobe/) share. Included by both; plain fixed-width types only.
 */
#ifndef JA4PROBE_SSL_UPROBE_H
#define JA4PROBE_SSL_UPROBE_H

/* bytes of plaintext one record carries at most (the scratch buffer is sized for it) */
#include "conn_track.h"

#define SSLU_DATA_MAX 8192
#define SSLU_COMM_LEN 16
/* comm: targets the BPF exec filter holds; with more, userspace looks at every exec */
#define SSLU_TARGET_COMMS_MAX 64

enum sslu_rec_type {
	SSLU_REC_DATA = 1,	/* plaintext an SSL read returned or an SSL write sent */
	SSLU_REC_EXEC,		/* a process called execve (per-process attach mode) */
	SSLU_REC_FORK,		/* a traced process forked a new process */
	SSLU_REC_EXIT,		/* a traced process exited */
	SSLU_REC_CLOSE,		/* a process closed a TLS socket it had read (pid, sk) */
};

/* what an SSL call in flight does; only reads and writes carry data */
enum sslu_dir { SSLU_DIR_READ = 0, SSLU_DIR_WRITE = 1, SSLU_DIR_HANDSHAKE = 2 };

/* per-CPU counters of what the BPF half skipped or lost */
enum sslu_counter {
	SSLU_CNT_RB_FULL = 0,	/* ring buffer full: a data record was lost */
	SSLU_CNT_CTL_LOST,	/* ring buffer full: an exec/fork/exit record was lost */
	SSLU_CNT_CALLS_FULL,	/* too many SSL calls in flight: one was not followed */
	SSLU_CNT_READ_FAULT,	/* the plaintext could not be read from the process */
	SSLU_CNT_TRUNCATED,	/* data longer than the copy limit: the tail was not copied */
	SSLU_CNT_RESPONSES,	/* a client read a response ("HTTP/..."): not a request, not sent */
	SSLU_CNT_RECORDS,	/* data records submitted (paces the ring's fill check) */
	SSLU_CNT_MAX,
};

struct sslu_ctl_rec {
	unsigned int type;	/* SSLU_REC_EXEC, SSLU_REC_FORK, SSLU_REC_EXIT, SSLU_REC_CLOSE */
	unsigned int pid;	/* the process (tgid) */
	unsigned int ppid;	/* FORK: the parent */
	unsigned int pad;
	unsigned long long sk;	/* CLOSE: the socket, as data records name it */
	char comm[SSLU_COMM_LEN];
};

struct sslu_data_rec {
	unsigned int type;	/* SSLU_REC_DATA */
	unsigned int pid;
	unsigned int tid;
	unsigned int dir;	/* enum sslu_dir */
	unsigned long long sk;	/* the struct sock (a connection's identity within pid); 0: unknown */
	unsigned long long ssl;	/* the SSL* (the identity when the socket is unknown) */
	unsigned long long ts_ns;	/* CLOCK_MONOTONIC at the call's end */
	struct ct_tuple tuple;	/* src: the peer, dst: this socket; family 0: unknown */
	unsigned int len;	/* bytes the call transferred */
	unsigned int cap_len;	/* plaintext bytes right after this record (<= len, SSLU_DATA_MAX) */
	char comm[SSLU_COMM_LEN];
	unsigned char data[];	/* cap_len bytes of plaintext */
};

/* read-only configuration the userspace half sets before load */
struct sslu_bpf_cfg {
	unsigned int copy_max;		/* bytes copied per call, <= SSLU_DATA_MAX */
	unsigned int per_process;	/* targets: only the processes in ct_procs are hooked */
};

#endif /* JA4PROBE_SSL_UPROBE_H */
