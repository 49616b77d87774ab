/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * rb_reader: a plugin's BPF ring buffer read through the host loop, batched: a poll timer
 * consumes every poll_ms (the BPF side submits with BPF_RB_NO_WAKEUP), and the ring's epoll fd
 * is watched for the wakeup BPF forces when it fills up faster than the timer drains it.
 * Record timestamps (bpf_ktime_get_ns / _boot_ns) turn into CLOCK_REALTIME with rb_realtime(),
 * using the clock offset taken before each batch.
 */
#ifndef JA4PROBE_RB_READER_H
#define JA4PROBE_RB_READER_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>
#include <bpf/libbpf.h>
#include <ja4probe/plugin.h>

/* Zero-initialised: not started; rb_reader_stop() on it does nothing. */
struct rb_reader {
	const struct jp_host *host;
	struct ring_buffer *rb;
	clockid_t clock;		/* the clock of the records' timestamps */
	int64_t to_real_ns;		/* CLOCK_REALTIME - clock, refreshed per batch */
	int timer_id;
	bool timing, watching;
};

/*
 * Read the ring buffer map map_fd, whose records carry timestamps of clock (CLOCK_MONOTONIC or
 * CLOCK_BOOTTIME), calling cb(ctx, record, size) for each. On failure the reader is stopped.
 */
int rb_reader_start(struct rb_reader *r, const struct jp_host *host, int map_fd, clockid_t clock,
		    unsigned int poll_ms, ring_buffer_sample_fn cb, void *ctx);

/* Consume what the ring holds now (e.g. before reading counters). */
void rb_reader_drain(struct rb_reader *r);

/* Remove the timer and the watch, deliver what is still in the ring, free it. */
void rb_reader_stop(struct rb_reader *r);

/* A record timestamp of r's clock, in CLOCK_REALTIME. */
void rb_realtime(const struct rb_reader *r, uint64_t bpf_ns, struct timespec *out);

#endif /* JA4PROBE_RB_READER_H */
