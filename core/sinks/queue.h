/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A sink's bounded FIFO of framed events. Full means full: the caller drops and counts.
 * Frames move in and out as buffers, never copied: a popped frame's buffer is kept (up to
 * SINK_QUEUE_SPARES) for the next frames, so that a steady flow of events allocates nothing.
 * A malloc() and a copy per event cost more than the rest of the sink's work.
 */
#ifndef JA4PROBE_SINK_QUEUE_H
#define JA4PROBE_SINK_QUEUE_H

#include <stddef.h>

/* A growable byte buffer a type frames one event into. */
struct sink_buf {
	char *data;
	size_t len, cap;
};

struct sink_msg {
	char *data;
	size_t len;
	size_t off;		/* bytes of a stream frame already written */
	size_t cap;		/* of data */
};

#define SINK_QUEUE_SPARES 64	/* a write batch's worth */

struct sink_queue {
	struct sink_msg *ring;
	size_t cap, head, count;
	size_t n_spares;
	struct sink_buf spares[SINK_QUEUE_SPARES];
};

int sink_queue_init(struct sink_queue *q, size_t cap);
void sink_queue_free(struct sink_queue *q);
/* Queue the frame held by b, which gets an empty (or recycled) buffer in exchange.
 * -ENOBUFS when full, and b is left as it was. */
int sink_queue_push(struct sink_queue *q, struct sink_buf *b);
static inline struct sink_msg *sink_queue_peek(const struct sink_queue *q)
{
	return q->count ? &q->ring[q->head] : NULL;
}
void sink_queue_pop(struct sink_queue *q);

#endif
