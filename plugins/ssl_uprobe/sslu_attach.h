/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The uprobe links of ssl_uprobe, grouped by scope: pid -1 for a library hooked in every
 * process (system-wide), or one process (per-process attach, so that processes outside the
 * targets, e.g. a load generator linked with the same libssl, never trap).
 */
#ifndef SSLU_ATTACH_H
#define SSLU_ATTACH_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>

#include "sslu_libs.h"

struct bpf_program;
struct bpf_link;

struct sslu_progs {
	struct bpf_program *read_enter_ex, *read_enter;	/* SSLU_HOOK_EX, SSLU_HOOK_RET */
	struct bpf_program *write_enter_ex, *write_enter;
	struct bpf_program *handshake_enter;
	struct bpf_program *copy;			/* SSLU_HOOK_COPY */
	struct bpf_program *new_conn;			/* SSL_new, with copy */
	struct bpf_program *ret;			/* the return probe every hook shares */
	bool writes;		/* hook the write side too (outbound requests, responses) */
	bool entry_return;	/* hook reads by entry/return even where the copy site is known */
};

struct sslu_scope {
	int pid;		/* -1: every process */
	size_t *libs;		/* indexes into struct sslu_libs of the libraries hooked */
	size_t n_libs;
	struct bpf_link **links;
	size_t n_links;
};

/*
 * Destroying a uprobe link waits for RCU grace periods in the kernel (detaching one process's
 * four probes took ~0.4 s here): the links of a process that exits or leaves the targets are
 * destroyed on a thread of their own, so that the event loop never waits for it. Only a
 * process hooked again before its old links are gone waits for them: a hook bound to a task
 * outlives an exec, and the old and the new link would both fire.
 */
struct sslu_doomed {
	struct bpf_link *link;
	int pid;
};

struct sslu_reaper {
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t wake, done;
	struct sslu_doomed *queued;	/* waiting to be destroyed */
	size_t n, cap;
	struct sslu_doomed *busy;	/* being destroyed now */
	size_t n_busy;
	bool running, stop;
};

struct sslu_attach {
	struct sslu_progs progs;
	struct sslu_scope *v;
	size_t n, cap;
	struct sslu_reaper reaper;
};

/*
 * Hook library lib_index of libs in scope pid (-1: all processes); nothing when it is
 * already hooked there. Returns 0 or the negative errno of the first attach that failed
 * (the links made so far for this library stay, and are counted in the scope).
 */
int sslu_attach_lib(struct sslu_attach *a, const struct sslu_libs *libs, size_t lib_index,
		    int pid);

bool sslu_attach_has_pid(const struct sslu_attach *a, int pid);

/* Hand the links of one scope to the reaper (destroyed at once if it cannot take them). */
void sslu_detach_pid(struct sslu_attach *a, int pid);
/* Destroy every link, the reaper's included, and stop the reaper. */
void sslu_detach_all(struct sslu_attach *a);

#endif /* SSLU_ATTACH_H */
