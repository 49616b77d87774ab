/* SPDX-License-Identifier: BSD-3-Clause */
/* A sink's bounded FIFO of framed events. Full means full: the caller drops and counts. */
#ifndef JA4PROBE_SINK_QUEUE_H
#define JA4PROBE_SINK_QUEUE_H

#include <stddef.h>

struct sink_msg {
	size_t len;
	size_t off;		/* bytes of a stream frame already written */
	char data[];
};

struct sink_queue {
	struct sink_msg **ring;
	size_t cap, head, count;
};

int sink_queue_init(struct sink_queue *q, size_t cap);
void sink_queue_free(struct sink_queue *q);
/* -ENOBUFS when full, -ENOMEM */
int sink_queue_push(struct sink_queue *q, const void *data, size_t len);
static inline struct sink_msg *sink_queue_peek(const struct sink_queue *q)
{
	return q->count ? q->ring[q->head] : NULL;
}
void sink_queue_pop(struct sink_queue *q);

#endif
