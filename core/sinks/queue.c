// SPDX-License-Identifier: BSD-3-Clause
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "queue.h"

/* Buffers larger than this are freed when popped: one large event must not stay allocated. */
#define SPARE_MAX (64 * 1024)

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
	while (q->n_spares)
		free(q->spares[--q->n_spares].data);
	free(q->ring);
	memset(q, 0, sizeof(*q));
}

int sink_queue_push(struct sink_queue *q, struct sink_buf *b)
{
	if (q->count == q->cap)
		return -ENOBUFS;
	q->ring[(q->head + q->count) % q->cap] =
		(struct sink_msg){ .data = b->data, .len = b->len, .cap = b->cap };
	q->count++;
	*b = q->n_spares ? q->spares[--q->n_spares] : (struct sink_buf){ 0 };
	b->len = 0;
	return 0;
}

void sink_queue_pop(struct sink_queue *q)
{
	if (!q->count)
		return;
	struct sink_msg *m = &q->ring[q->head];

	if (q->n_spares < SINK_QUEUE_SPARES && m->cap <= SPARE_MAX)
		q->spares[q->n_spares++] = (struct sink_buf){ .data = m->data, .cap = m->cap };
	else
		free(m->data);
	*m = (struct sink_msg){ 0 };
	q->head = (q->head + 1) % q->cap;
	q->count--;
}
