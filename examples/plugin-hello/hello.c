// SPDX-License-Identifier: BSD-3-Clause
/*
 * plugin-hello: a complete ja4probe plugin built out of tree from the SDK alone. Its BPF half
 * (hello.bpf.c) sees every exec on the host; this half drains the ring buffer on a timer and
 * emits one `process_exec` event per exec:
 *   {"event_type":"process_exec", ..., "process":{"pid":..,"ppid":..,"comm":..,"filename":..}}
 *
 * The rhythm of every plugin: init = open and load the BPF object (attach nothing), start =
 * attach and register the timer, stop = detach, destroy = free. Everything from the host
 * comes through struct jp_host.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/libbpf.h>
#include <ja4probe/plugin.h>

#include "hello.h"
#include "hello.skel.h"

#define HELLO_LOG(st, lvl, ...) (st)->host->log((st)->host->ctx, lvl, __VA_ARGS__)

struct hello {
	const struct jp_host *host;
	struct hello_bpf *skel;
	struct ring_buffer *ring;
	int64_t poll_interval_ms;
	int timer;			/* -1: none */
	uint64_t *lost, *errors, *truncated;
	uint64_t lost_reported;		/* what of the BPF "lost" count was added to *lost */
};

static const struct jp_config_key hello_keys[] = {
	{ .name = "poll_interval_ms", .type = JP_CFG_INT, .default_value = "100",
	  .description = "milliseconds between two drains of the ring buffer", .min = 1,
	  .max = 10000 },
	{ .name = "ring_buffer_kb", .type = JP_CFG_INT, .default_value = "256",
	  .description = "KiB of the ring buffer (rounded up to a power of two)", .min = 16,
	  .max = 65536 },
	{ .name = NULL },
};

static int hello_record(void *arg, void *data, size_t size)
{
	struct hello *st = arg;
	const struct hello_exec *e = data;
	const struct jp_host *h = st->host;

	if (size < sizeof(*e)) {	/* never trust a length from the other side */
		(*st->errors)++;
		return 0;
	}
	struct jp_event *ev = h->event_new(h->ctx, "process_exec", NULL);

	if (!ev)
		return 0;
	struct jp_obj *proc = h->obj_object(h->event_root(ev), "process");

	if (!proc || h->obj_int(proc, "pid", e->pid) || h->obj_int(proc, "ppid", e->ppid) ||
	    h->obj_string_len(proc, "comm", e->comm, strnlen(e->comm, sizeof(e->comm))) ||
	    h->obj_string_len(proc, "filename", e->filename,
			      strnlen(e->filename, sizeof(e->filename)))) {
		h->event_discard(ev);
		(*st->errors)++;
		return 0;
	}
	h->event_emit(ev);
	return 0;
}

static void hello_drain(void *arg)
{
	struct hello *st = arg;
	int n = ring_buffer__consume(st->ring);

	if (n < 0)
		HELLO_LOG(st, JP_LOG_WARN, "ring buffer: %s", strerror(-n));
}

static uint32_t pow2_at_least(uint64_t v)
{
	uint32_t p = 4096;

	while (p < v)
		p <<= 1;
	return p;
}

static int hello_init(const struct jp_host *host, const struct jp_config *config, void **state)
{
	struct hello *st = calloc(1, sizeof(*st));
	int err;

	if (!st)
		return -ENOMEM;
	st->host = host;
	st->timer = -1;
	st->poll_interval_ms = host->cfg_int(config, "poll_interval_ms");
	st->lost = host->counter(host->ctx, "lost");
	st->errors = host->counter(host->ctx, "errors");
	st->truncated = host->counter(host->ctx, "filename_truncated");
	st->skel = hello_bpf__open();
	if (!st->skel) {
		err = -errno;
		HELLO_LOG(st, JP_LOG_ERROR, "opening the BPF object: %s", strerror(-err));
		goto fail;
	}
	err = bpf_map__set_max_entries(st->skel->maps.events,
				       pow2_at_least((uint64_t)host->cfg_int(config, "ring_buffer_kb") *
						     1024));
	if (!err)
		err = hello_bpf__load(st->skel);
	if (err) {
		HELLO_LOG(st, JP_LOG_ERROR, "loading the BPF object: %s", strerror(-err));
		goto fail;
	}
	st->ring = ring_buffer__new(bpf_map__fd(st->skel->maps.events), hello_record, st, NULL);
	if (!st->ring) {
		err = -errno;
		HELLO_LOG(st, JP_LOG_ERROR, "ring buffer: %s", strerror(-err));
		goto fail;
	}
	*state = st;
	return 0;
fail:
	hello_bpf__destroy(st->skel);
	free(st);
	return err;
}

static int hello_start(void *state)
{
	struct hello *st = state;
	int err = hello_bpf__attach(st->skel);

	if (err) {
		HELLO_LOG(st, JP_LOG_ERROR, "attaching to sched/sched_process_exec: %s",
			  strerror(-err));
		return err;
	}
	st->timer = st->host->add_timer(st->host->ctx, (uint64_t)st->poll_interval_ms,
					hello_drain, st);
	if (st->timer < 0) {
		HELLO_LOG(st, JP_LOG_ERROR, "timer: %s", strerror(-st->timer));
		return st->timer;
	}
	return 0;
}

/* Sum the per-CPU drop counters of the BPF half into the host's counters. */
static void hello_collect_stats(void *state)
{
	struct hello *st = state;
	int ncpu = libbpf_num_possible_cpus();
	uint64_t sum[HELLO_CNT_MAX] = { 0 };

	if (ncpu <= 0)
		return;
	uint64_t *v = calloc((size_t)ncpu, sizeof(*v));

	if (!v)
		return;
	for (uint32_t k = 0; k < HELLO_CNT_MAX; k++) {
		if (bpf_map__lookup_elem(st->skel->maps.counters, &k, sizeof(k), v,
					 (size_t)ncpu * sizeof(*v), 0))
			continue;
		for (int c = 0; c < ncpu; c++)
			sum[k] += v[c];
	}
	free(v);
	*st->lost += sum[HELLO_CNT_LOST] - st->lost_reported;
	st->lost_reported = sum[HELLO_CNT_LOST];
	*st->truncated = sum[HELLO_CNT_TRUNCATED];
}

static void hello_stop(void *state)
{
	struct hello *st = state;

	if (st->timer >= 0) {
		hello_drain(st);	/* what is already in the ring is not lost */
		st->host->remove_timer(st->host->ctx, st->timer);
		st->timer = -1;
	}
	hello_bpf__detach(st->skel);
}

static void hello_destroy(void *state)
{
	struct hello *st = state;

	ring_buffer__free(st->ring);
	hello_bpf__destroy(st->skel);
	free(st);
}

JP_PLUGIN_DEFINE(
	.name = "hello",
	.version = "1.0.0",
	.description = "example: one process_exec event per exec (sched_process_exec)",
	.config_keys = hello_keys,
	.init = hello_init,
	.start = hello_start,
	.collect_stats = hello_collect_stats,
	.stop = hello_stop,
	.destroy = hello_destroy,
);
