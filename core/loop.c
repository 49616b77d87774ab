// SPDX-License-Identifier: BSD-3-Clause
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include "log.h"
#include "loop.h"

/*
 * Watches live in a small array searched linearly: a host has a handful of fds (one ring
 * buffer per plugin, a few sinks, timers, the signalfd). epoll hands back a watch's id, not
 * its address: a callback may remove a watch whose event is still pending in the same batch,
 * and a watch added meanwhile may get the freed address, so an address would deliver the old
 * fd's event to the new watch (e.g. a reconnecting sink taken for connected).
 */
struct watch {
	uint64_t id;		/* never reused */
	int fd;
	bool is_timer;
	bool oneshot;
	loop_fd_cb cb;
	loop_timer_cb timer_cb;
	void *arg;
};

struct deferred {
	loop_timer_cb cb;
	void *arg;
};

struct loop {
	int epfd;
	bool stopping;
	uint64_t last_id;
	size_t n_deferred, cap_deferred;
	struct deferred *deferred;
	size_t n_watches, cap_watches;
	struct watch **watches;
};

int loop_new(struct loop **out)
{
	struct loop *loop = calloc(1, sizeof(*loop));

	if (!loop)
		return -ENOMEM;
	loop->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (loop->epfd < 0) {
		int err = -errno;

		log_error("epoll_create1: %s", strerror(errno));
		free(loop);
		return err;
	}
	*out = loop;
	return 0;
}

static struct watch *find_watch_id(struct loop *loop, uint64_t id)
{
	for (size_t i = 0; i < loop->n_watches; i++)
		if (loop->watches[i]->id == id)
			return loop->watches[i];
	return NULL;
}

static struct watch *find_watch(struct loop *loop, int fd, size_t *index)
{
	for (size_t i = 0; i < loop->n_watches; i++) {
		if (loop->watches[i]->fd == fd) {
			if (index)
				*index = i;
			return loop->watches[i];
		}
	}
	return NULL;
}

static int add_watch(struct loop *loop, struct watch *w, uint32_t events)
{
	if (loop->n_watches == loop->cap_watches) {
		size_t cap = loop->cap_watches ? loop->cap_watches * 2 : 16;
		struct watch **n = realloc(loop->watches, cap * sizeof(*n));

		if (!n)
			return -ENOMEM;
		loop->watches = n;
		loop->cap_watches = cap;
	}
	w->id = ++loop->last_id;
	struct epoll_event ev = { .events = events, .data.u64 = w->id };

	if (epoll_ctl(loop->epfd, EPOLL_CTL_ADD, w->fd, &ev) < 0) {
		int err = -errno;

		log_error("epoll_ctl(ADD, fd %d): %s", w->fd, strerror(errno));
		return err;
	}
	loop->watches[loop->n_watches++] = w;
	return 0;
}

int loop_watch(struct loop *loop, int fd, uint32_t epoll_events, loop_fd_cb cb, void *arg)
{
	if (find_watch(loop, fd, NULL))
		return -EEXIST;
	struct watch *w = calloc(1, sizeof(*w));

	if (!w)
		return -ENOMEM;
	*w = (struct watch){ .fd = fd, .cb = cb, .arg = arg };
	int err = add_watch(loop, w, epoll_events);

	if (err)
		free(w);
	return err;
}

int loop_modify(struct loop *loop, int fd, uint32_t epoll_events)
{
	struct watch *w = find_watch(loop, fd, NULL);

	if (!w)
		return -ENOENT;
	struct epoll_event ev = { .events = epoll_events, .data.u64 = w->id };

	return epoll_ctl(loop->epfd, EPOLL_CTL_MOD, fd, &ev) < 0 ? -errno : 0;
}

static void remove_index(struct loop *loop, size_t i)
{
	struct watch *w = loop->watches[i];

	epoll_ctl(loop->epfd, EPOLL_CTL_DEL, w->fd, NULL);
	if (w->is_timer)
		close(w->fd);
	loop->watches[i] = loop->watches[--loop->n_watches];
	/* a callback removing its own watch does not touch it after this: loop_run neither */
	free(w);
}

int loop_unwatch(struct loop *loop, int fd)
{
	size_t i;

	if (!find_watch(loop, fd, &i))
		return -ENOENT;
	remove_index(loop, i);
	return 0;
}

int loop_timer_add(struct loop *loop, uint64_t first_ms, uint64_t interval_ms, loop_timer_cb cb,
		   void *arg)
{
	int fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);

	if (fd < 0)
		return -errno;
	struct itimerspec its = {
		.it_value = { first_ms / 1000, (first_ms % 1000) * 1000000 },
		.it_interval = { interval_ms / 1000, (interval_ms % 1000) * 1000000 },
	};

	if (first_ms == 0)
		its.it_value.tv_nsec = 1; /* zero would disarm the timer */
	if (timerfd_settime(fd, 0, &its, NULL) < 0) {
		int err = -errno;

		close(fd);
		return err;
	}
	struct watch *w = calloc(1, sizeof(*w));

	if (!w) {
		close(fd);
		return -ENOMEM;
	}
	*w = (struct watch){ .fd = fd, .is_timer = true, .oneshot = interval_ms == 0,
			     .timer_cb = cb, .arg = arg };
	int err = add_watch(loop, w, EPOLLIN);

	if (err) {
		close(fd);
		free(w);
		return err;
	}
	return fd; /* the timerfd doubles as the id: unique while the timer lives */
}

int loop_timer_remove(struct loop *loop, int timer_id)
{
	size_t i;
	struct watch *w = find_watch(loop, timer_id, &i);

	if (!w || !w->is_timer)
		return -ENOENT;
	remove_index(loop, i);
	return 0;
}

int loop_defer(struct loop *loop, loop_timer_cb cb, void *arg)
{
	for (size_t i = 0; i < loop->n_deferred; i++)
		if (loop->deferred[i].cb == cb && loop->deferred[i].arg == arg)
			return 0;
	if (loop->n_deferred == loop->cap_deferred) {
		size_t cap = loop->cap_deferred ? loop->cap_deferred * 2 : 8;
		struct deferred *n = realloc(loop->deferred, cap * sizeof(*n));

		if (!n)
			return -ENOMEM;
		loop->deferred = n;
		loop->cap_deferred = cap;
	}
	loop->deferred[loop->n_deferred++] = (struct deferred){ cb, arg };
	return 0;
}

/* Calls made while running may defer more: those run in the same pass. */
static void run_deferred(struct loop *loop)
{
	for (size_t i = 0; i < loop->n_deferred; i++)
		loop->deferred[i].cb(loop->deferred[i].arg);
	loop->n_deferred = 0;
}

int loop_run(struct loop *loop)
{
	struct epoll_event events[32];

	loop->stopping = false;
	while (!loop->stopping) {
		int n = epoll_wait(loop->epfd, events, 32, -1);

		if (n < 0) {
			int err = -errno;

			if (err == -EINTR)
				continue;
			log_error("epoll_wait: %s", strerror(-err));
			return err;
		}
		for (int i = 0; i < n; i++) {
			/* a callback earlier in this batch may have removed this watch */
			struct watch *w = find_watch_id(loop, events[i].data.u64);

			if (!w)
				continue;
			if (w->is_timer) {
				uint64_t expirations;

				if (read(w->fd, &expirations, sizeof(expirations)) < 0)
					continue;
				loop_timer_cb cb = w->timer_cb;
				void *arg = w->arg;

				if (w->oneshot)
					loop_timer_remove(loop, w->fd);
				cb(arg);
			} else {
				w->cb(w->arg, w->fd, events[i].events);
			}
		}
		run_deferred(loop);
	}
	return 0;
}

void loop_stop(struct loop *loop)
{
	loop->stopping = true;
}

void loop_free(struct loop *loop)
{
	if (!loop)
		return;
	while (loop->n_watches)
		remove_index(loop, loop->n_watches - 1);
	free(loop->watches);
	free(loop->deferred);
	close(loop->epfd);
	free(loop);
}
