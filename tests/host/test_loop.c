// SPDX-License-Identifier: BSD-3-Clause
/*
 * The loop against its callbacks: a callback that removes another watch whose event is
 * pending in the same epoll batch, and adds a watch that takes the removed one's memory, must
 * not see the removed fd's event delivered to the new watch.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "loop.h"

/*
 * glibc's calloc() skips the per-thread cache that malloc() takes a just-freed block from;
 * through malloc(), the new watch reliably gets the removed watch's address, as it may with
 * any allocator.
 */
void *calloc(size_t n, size_t size)
{
	void *p;

	if (size && n > (size_t)-1 / size)
		return NULL;
	p = malloc(n * size);
	if (p)
		explicit_bzero(p, n * size);	/* malloc+memset would be folded back into calloc */
	return p;
}

struct ctx {
	struct loop *loop;
	int a[2], b[2], c[2];
	int first_calls, late_calls;
};

static void on_late(void *arg, int fd, uint32_t events)
{
	struct ctx *x = arg;

	(void)fd;
	(void)events;
	x->late_calls++;	/* c[0] never has data: only a stale event can get here */
}

static void on_first(void *arg, int fd, uint32_t events)
{
	struct ctx *x = arg;

	(void)events;
	x->first_calls++;
	if (x->first_calls > 1)
		return;
	/* the other pipe is readable too, so its event is in this batch */
	loop_unwatch(x->loop, fd == x->a[0] ? x->b[0] : x->a[0]);
	loop_watch(x->loop, x->c[0], EPOLLIN, on_late, x);
	loop_stop(x->loop);
}

int main(void)
{
	struct ctx x = { 0 };
	int failed = 0;

	if (loop_new(&x.loop) || pipe(x.a) || pipe(x.b) || pipe(x.c) ||
	    write(x.a[1], "x", 1) != 1 || write(x.b[1], "x", 1) != 1) {
		perror("set-up");
		return 1;
	}
	loop_watch(x.loop, x.a[0], EPOLLIN, on_first, &x);
	loop_watch(x.loop, x.b[0], EPOLLIN, on_first, &x);
	loop_run(x.loop);
	if (x.first_calls != 1) {
		printf("FAIL: the removed watch's callback ran (%d calls)\n", x.first_calls);
		failed++;
	}
	if (x.late_calls) {
		printf("FAIL: the new watch got the removed watch's event\n");
		failed++;
	}
	loop_free(x.loop);
	printf("%d passed, %d failed\n", 2 - failed, failed);
	return failed != 0;
}
