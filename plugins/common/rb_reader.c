// SPDX-License-Identifier: BSD-3-Clause
/* A BPF ring buffer consumed on a host timer and on forced wakeups (see rb_reader.h). */
#include <errno.h>
#include <string.h>
#include <sys/epoll.h>

#include "rb_reader.h"

#define RB_NS 1000000000LL

static int64_t rb_clock_ns(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (int64_t)ts.tv_sec * RB_NS + ts.tv_nsec;
}

void rb_reader_drain(struct rb_reader *r)
{
	int ret;

	if (!r->rb)
		return;
	r->to_real_ns = rb_clock_ns(CLOCK_REALTIME) - rb_clock_ns(r->clock);
	ret = ring_buffer__consume(r->rb);
	if (ret < 0)
		r->host->log(r->host->ctx, JP_LOG_WARN, "reading the ring buffer: %s",
			     strerror(-ret));
}

static void rb_on_timer(void *arg)
{
	rb_reader_drain(arg);
}

static void rb_on_wakeup(void *arg, int fd, uint32_t events)
{
	(void)fd;
	(void)events;
	rb_reader_drain(arg);
}

int rb_reader_start(struct rb_reader *r, const struct jp_host *host, int map_fd, clockid_t clock,
		    unsigned int poll_ms, ring_buffer_sample_fn cb, void *ctx)
{
	int ret;

	*r = (struct rb_reader){ .host = host, .clock = clock };
	r->rb = ring_buffer__new(map_fd, cb, ctx, NULL);
	if (!r->rb) {
		ret = -errno;
		host->log(host->ctx, JP_LOG_ERROR, "opening the ring buffer (map fd %d): %s",
			  map_fd, strerror(-ret));
		return ret;
	}
	ret = host->watch_fd(host->ctx, ring_buffer__epoll_fd(r->rb), EPOLLIN, rb_on_wakeup, r);
	if (ret) {
		host->log(host->ctx, JP_LOG_ERROR, "watching the ring buffer: %s", strerror(-ret));
		goto fail;
	}
	r->watching = true;
	ret = host->add_timer(host->ctx, poll_ms, rb_on_timer, r);
	if (ret < 0) {
		host->log(host->ctx, JP_LOG_ERROR, "ring buffer poll timer: %s", strerror(-ret));
		goto fail;
	}
	r->timer_id = ret;
	r->timing = true;
	return 0;
fail:
	rb_reader_stop(r);
	return ret;
}

void rb_reader_stop(struct rb_reader *r)
{
	if (r->timing)
		r->host->remove_timer(r->host->ctx, r->timer_id);
	r->timing = false;
	if (r->watching)
		r->host->unwatch_fd(r->host->ctx, ring_buffer__epoll_fd(r->rb));
	r->watching = false;
	/* what was captured before the programs went is still delivered */
	rb_reader_drain(r);
	ring_buffer__free(r->rb);
	r->rb = NULL;
}

void rb_realtime(const struct rb_reader *r, uint64_t bpf_ns, struct timespec *out)
{
	int64_t real = (int64_t)bpf_ns + r->to_real_ns;

	out->tv_sec = (time_t)(real / RB_NS);
	out->tv_nsec = (long)(real % RB_NS);
}
