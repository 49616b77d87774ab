/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* The one record the BPF half hands to the plugin: one exec, as seen by sched_process_exec. */
#ifndef HELLO_H
#define HELLO_H

#define HELLO_COMM_LEN 16	/* TASK_COMM_LEN */
#define HELLO_FILENAME_LEN 256	/* longer paths arrive truncated, and counted */

enum hello_counter {
	HELLO_CNT_LOST,		/* the ring buffer was full */
	HELLO_CNT_TRUNCATED,	/* the filename did not fit */
	HELLO_CNT_MAX,
};

struct hello_exec {
	__u32 pid;		/* the process (thread group) id */
	__u32 ppid;
	char comm[HELLO_COMM_LEN];
	char filename[HELLO_FILENAME_LEN];	/* NUL-terminated */
};

#endif
