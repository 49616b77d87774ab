/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Processes that exec'd a moment ago, whose memory maps are read again a little later: a
 * server maps its libssl after the exec (a dlopen, a container's own copy), and a libssl at
 * a path no hook covers yet would otherwise go unseen. Each process is looked at twice
 * (SSLU_RESCAN_FIRST_MS and SSLU_RESCAN_LAST_MS after its exec); a full queue drops the
 * newest exec and counts it.
 */
#ifndef SSLU_RESCAN_H
#define SSLU_RESCAN_H

#include <stddef.h>
#include <stdint.h>

#define SSLU_RESCAN_MAX 256
#define SSLU_RESCAN_FIRST_MS 500
#define SSLU_RESCAN_LAST_MS 5000

struct sslu_rescan {
	struct {
		int pid;
		uint64_t due_ms;	/* CLOCK_MONOTONIC */
		uint64_t last_ms;	/* the second look */
	} v[SSLU_RESCAN_MAX];
	size_t n;
	uint64_t dropped;
};

void sslu_rescan_add(struct sslu_rescan *r, int pid, uint64_t now_ms);

/* Up to max pids whose look is due at now_ms into pids; returns how many. */
size_t sslu_rescan_due(struct sslu_rescan *r, uint64_t now_ms, int *pids, size_t max);

#endif /* SSLU_RESCAN_H */
