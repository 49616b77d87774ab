/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * What the sink machinery shares with the sink types. A type (json, syslog) only reads its
 * keys and frames an event into bytes; everything that touches an fd -- the bounded queue,
 * nonblocking and partial writes, EPOLLOUT, reconnects with backoff, reopen, counters -- lives
 * once in sink.c, whatever the type.
 */
#ifndef JA4PROBE_SINK_IMPL_H
#define JA4PROBE_SINK_IMPL_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>
#include <time.h>

#include <ja4probe/plugin.h>
#include "queue.h"
#include "target.h"

struct cfg;
struct loop;
struct sink;
struct sink_set;

int sink_buf_append(struct sink_buf *b, const void *p, size_t n);
int sink_buf_printf(struct sink_buf *b, const char *fmt, ...) JP_PRINTF(2, 3);

/* Every type has it; sinks_open() reads it for the shared queue. */
#define SINK_KEY_QUEUE_SIZE                                                                \
	{ .name = "queue_size", .type = JP_CFG_INT, .default_value = "10000",              \
	  .description = "events held while the output is slow or down; newer ones are "   \
			 "dropped and counted",                                           \
	  .min = 1, .max = 1000000 }

struct sink_type {
	const char *name;
	const struct jp_config_key *schema;	/* terminated by an entry with name NULL */
	const char *target_key;			/* the key naming where to write */
	enum sink_target_kind unix_kind;	/* what unix:// means for this type */
	unsigned target_kinds;			/* allowed kinds: bits 1 << TARGET_... */
	/* open (optional): read the type's own keys into s->priv; s->target is parsed, the
	 * machinery connects afterwards */
	int (*open)(struct sink *s, const struct jp_config *keys, const struct cfg *cfg);
	/* write: append one framed event to out (which the caller emptied) */
	int (*frame)(struct sink *s, struct sink_buf *out, const char *json, size_t len,
		     const struct timespec *ts);
	void (*close)(struct sink *s);	/* optional: free s->priv */
};

enum sink_state { SINK_DOWN, SINK_CONNECTING, SINK_UP };

struct sink {
	const struct sink_type *type;
	void *priv;
	char *name;			/* "output 2 (syslog tcp://h:p)", for messages */
	char *stats_key;		/* "syslog:tcp://h:p", for the stats event */
	struct sink_target target;
	struct sink_set *set;
	struct loop *loop;
	int fd;
	bool watched;			/* fd registered with the loop */
	bool want_out;			/* EPOLLOUT currently requested */
	enum sink_state state;
	bool ever_up;			/* a later successful connect counts as a reconnect */
	bool failing;			/* an error was logged; the next success is logged too */
	bool dropping;			/* a drop was logged; logged again once the queue drains */
	int retry_timer;		/* -1: none */
	unsigned backoff_ms;
	struct sink_queue queue;
	struct sink_buf frame;
	uint64_t written, dropped, reconnects;
};

void sink_log(const struct sink *s, enum jp_log_level level, const char *fmt, ...) JP_PRINTF(3, 4);

extern const struct sink_type sink_type_json;
extern const struct sink_type sink_type_syslog;

const struct sink_type *sink_type_find(const char *name);

#endif
