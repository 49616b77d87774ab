/* SPDX-License-Identifier: BSD-3-Clause */
/* The host's single event loop: epoll for fds, timerfd for timers, signalfd for signals. */
#ifndef JA4PROBE_LOOP_H
#define JA4PROBE_LOOP_H

#include <stdint.h>
#include <ja4probe/plugin.h>

struct loop;

typedef void (*loop_fd_cb)(void *arg, int fd, uint32_t epoll_events);
typedef void (*loop_timer_cb)(void *arg);

int loop_new(struct loop **out);
void loop_free(struct loop *loop);

/* One callback per fd. loop_modify changes the events watched (e.g. add EPOLLOUT). */
int loop_watch(struct loop *loop, int fd, uint32_t epoll_events, loop_fd_cb cb, void *arg);
int loop_modify(struct loop *loop, int fd, uint32_t epoll_events);
int loop_unwatch(struct loop *loop, int fd);

/* First run after first_ms, then every interval_ms (0: once). Returns an id >= 0. */
int loop_timer_add(struct loop *loop, uint64_t first_ms, uint64_t interval_ms, loop_timer_cb cb,
		   void *arg);
int loop_timer_remove(struct loop *loop, int timer_id);

/* Run cb(arg) once, after the events of the current turn (before the loop waits again).
 * Asking twice for the same cb and arg in one turn runs it once. */
int loop_defer(struct loop *loop, loop_timer_cb cb, void *arg);

/* Runs until loop_stop(); returns 0, or a negative errno when epoll itself fails. */
int loop_run(struct loop *loop);
void loop_stop(struct loop *loop);

#endif
