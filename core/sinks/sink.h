/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Outputs. Each configured output is a sink with one interface (open, write, reopen, flush,
 * close) and a bounded queue: write() never blocks the loop; what does not fit is dropped
 * and counted, and the counts reach the stats event.
 */
#ifndef JA4PROBE_SINK_H
#define JA4PROBE_SINK_H

#include <stddef.h>
#include <time.h>
#include <jansson.h>

struct cfg;
struct loop;
struct sink_set;

/* Open every output in the config. Errors name the output (file:line) and what failed. */
int sinks_open(const struct cfg *cfg, struct loop *loop, struct sink_set **out);

/* Hand one serialized event (a JSON object, no newline) to every sink. ts is the event time. */
void sinks_write(struct sink_set *set, const char *json, size_t len, const struct timespec *ts);

/* SIGHUP: reopen files (logrotate); a socket output that is down retries now, not after its
 * backoff. Connected sockets stay as they are. */
void sinks_reopen(struct sink_set *set);

/* On exit: try to drain queues for at most timeout_ms (one last connect for a socket output
 * that is down), then close; what is left is logged and counted as dropped. Call it before
 * loop_free(): the sinks unregister their fds and timers from the loop. */
void sinks_close(struct sink_set *set, int timeout_ms);

/* Per sink counters for the stats event:
 * {"<type>:<target>": {written, dropped, reconnects, queued}} */
json_t *sinks_stats(struct sink_set *set);

#endif
