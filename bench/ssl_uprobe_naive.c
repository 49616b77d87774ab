// SPDX-License-Identifier: BSD-3-Clause
/*
 * Bench only: loads ssl_uprobe_naive.bpf.c on LIBSSL (argv[1]) system-wide, reads every event
 * as it is woken for it, and on SIGTERM/SIGINT prints "naive events=N lost=M".
 * With "trap OFFSET PID" instead, attaches only the empty naive_trap at file offset OFFSET of
 * LIBSSL for process PID: the cost of the trap itself where ssl_uprobe puts its copy hook.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/libbpf.h>
#include <bpf/bpf.h>

#include "ssl_uprobe_naive.skel.h"

static volatile sig_atomic_t stop;
static unsigned long long events;

static void on_signal(int sig) { (void)sig; stop = 1; }

static int on_event(void *ctx, void *data, size_t size)
{
	(void)ctx;
	(void)data;
	(void)size;
	events++;
	return 0;
}

static int attach(struct bpf_program *prog, bool ret, const char *lib, const char *func)
{
	LIBBPF_OPTS(bpf_uprobe_opts, opts, .retprobe = ret, .func_name = func);

	if (!bpf_program__attach_uprobe_opts(prog, -1, lib, 0, &opts)) {
		fprintf(stderr, "cannot attach %s to %s in %s: %s\n", bpf_program__name(prog),
			func, lib, strerror(errno));
		return -1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct ssl_uprobe_naive_bpf *skel;
	struct ring_buffer *rb;
	unsigned long long lost = 0;
	__u32 zero = 0;

	if (argc != 2 && !(argc == 5 && !strcmp(argv[2], "trap"))) {
		fprintf(stderr, "usage: %s LIBSSL [trap OFFSET PID]\n", argv[0]);
		return 2;
	}
	skel = ssl_uprobe_naive_bpf__open_and_load();
	if (!skel) {
		fprintf(stderr, "cannot load the naive probes: %s\n", strerror(errno));
		return 1;
	}
	if (argc == 5) {
		if (!bpf_program__attach_uprobe(skel->progs.naive_trap, false,
						(int)strtol(argv[4], NULL, 10), argv[1],
						strtoul(argv[3], NULL, 0))) {
			fprintf(stderr, "cannot attach the trap at %s: %s\n", argv[3],
				strerror(errno));
			return 1;
		}
	} else if (attach(skel->progs.naive_read_enter, false, argv[1], "SSL_read") ||
	    attach(skel->progs.naive_read_ret, true, argv[1], "SSL_read") ||
	    attach(skel->progs.naive_write_enter, false, argv[1], "SSL_write") ||
	    attach(skel->progs.naive_write_ret, true, argv[1], "SSL_write"))
		return 1;
	rb = ring_buffer__new(bpf_map__fd(skel->maps.rb), on_event, NULL, NULL);
	if (!rb)
		return 1;
	signal(SIGTERM, on_signal);
	signal(SIGINT, on_signal);
	printf("ready\n");
	fflush(stdout);
	while (!stop)
		ring_buffer__poll(rb, 100);
	ring_buffer__consume(rb);
	bpf_map__lookup_elem(skel->maps.lost, &zero, sizeof(zero), &lost, sizeof(lost), 0);
	printf("naive events=%llu lost=%llu\n", events, lost);
	ring_buffer__free(rb);
	ssl_uprobe_naive_bpf__destroy(skel);
	return 0;
}
