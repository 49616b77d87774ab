// SPDX-License-Identifier: BSD-3-Clause
/* The queue of recently exec'd processes to look at again (sslu_rescan.h). */
#include "sslu_rescan.h"

void sslu_rescan_add(struct sslu_rescan *r, int pid, uint64_t now_ms)
{
	if (r->n == SSLU_RESCAN_MAX) {
		r->dropped++;
		return;
	}
	r->v[r->n].pid = pid;
	r->v[r->n].due_ms = now_ms + SSLU_RESCAN_FIRST_MS;
	r->v[r->n].last_ms = now_ms + SSLU_RESCAN_LAST_MS;
	r->n++;
}

size_t sslu_rescan_due(struct sslu_rescan *r, uint64_t now_ms, int *pids, size_t max)
{
	size_t got = 0;

	for (size_t i = 0; i < r->n && got < max;) {
		if (r->v[i].due_ms > now_ms) {
			i++;
			continue;
		}
		pids[got++] = r->v[i].pid;
		if (r->v[i].due_ms < r->v[i].last_ms) {
			r->v[i].due_ms = r->v[i].last_ms;
			i++;
		} else {
			r->v[i] = r->v[--r->n];	/* looked at twice: done */
		}
	}
	return got;
}
