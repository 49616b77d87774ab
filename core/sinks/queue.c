// SPDX-License-Identifier: BSD-3-Clause
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "queue.h"

int sink_queue_init(struct sink_queue *q, size_t cap)
{
	memset(q, 0, sizeof(*q));
	if (cap == 0)
		return -EINVAL;
	q->ring = calloc(cap, sizeof(*q->ring));
	if (!q->ring)
		return -ENOMEM;
	q->cap = cap;
	return 0;
}

void sink_queue_free(struct sink_queue *q)
{
	while (q->count)
		sink_queue_pop(q);
	free(q->ring);
	memset(q, 0, sizeof(*q));
}

int sink_queue_push(struct sink_queue *q, const void *data, size_t len)
{
	if (q->count == q->cap)
		return -ENOBUFS;
	struct sink_msg *m = malloc(sizeof(*m) + len);

	if (!m)
		return -ENOMEM;
	m->len = len;
	m->off = 0;
	memcpy(m->data, data, len);
	q->ring[(q->head + q->count) % q->cap] = m;
	q->count++;
	return 0;
}

void sink_queue_pop(struct sink_queue *q)
{
	if (!q->count)
		return;
	free(q->ring[q->head]);
	q->ring[q->head] = NULL;
	q->head = (q->head + 1) % q->cap;
	q->count--;
}
