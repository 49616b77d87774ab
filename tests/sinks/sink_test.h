/* SPDX-License-Identifier: BSD-3-Clause */
/* What the sink tests share: a config from YAML text, a loop run for a while, test events. */
#ifndef JA4PROBE_SINK_TEST_H
#define JA4PROBE_SINK_TEST_H

#include <jansson.h>
#include <stdio.h>
#include <time.h>

#include "config.h"
#include "loop.h"
#include "sinks/sink.h"

extern int st_failures;

#define CHECK(cond, ...)                                                                   \
	do {                                                                               \
		if (!(cond)) {                                                             \
			fprintf(stderr, "%s:%d: FAIL: %s: ", __FILE__, __LINE__, #cond);   \
			fprintf(stderr, __VA_ARGS__);                                      \
			fprintf(stderr, "\n");                                             \
			st_failures++;                                                     \
		}                                                                          \
	} while (0)

/* Fatal set-up failure: the test cannot go on. cond is evaluated once. */
#define REQUIRE(cond, ...)                                                                 \
	do {                                                                               \
		int failures_before_ = st_failures;                                        \
		CHECK(cond, __VA_ARGS__);                                                  \
		if (st_failures != failures_before_)                                       \
			exit(1);                                                           \
	} while (0)

/* A fresh directory under /tmp, removed by st_cleanup(). */
const char *st_tmpdir(void);
void st_cleanup(void);
/* Write YAML (printf format) to a file in the temp dir and cfg_load() it. */
struct cfg *st_config(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Run the loop for about ms milliseconds. */
void st_run(struct loop *loop, unsigned ms);
/*
 * A compact event in the layout of ARCHITECTURE.md, with sequence number seq and a padding
 * string of pad bytes; *ts receives its time. Returns a malloc'd string.
 */
char *st_event(unsigned seq, size_t pad, struct timespec *ts);
/* A listening TCP socket on 127.0.0.1, port chosen by the kernel (or *port when nonzero). */
int st_tcp_listen(int *port);
/* Read from a nonblocking fd what arrives within about ms; appends to *buf. */
size_t st_read_some(int fd, char **buf, size_t *len, unsigned ms);
/* Read a stream while the loop runs, until nothing new comes for a while; appends to *buf. */
void st_pump_stream(struct loop *loop, int fd, char **buf, size_t *len);
/* Likewise for datagrams: each one a malloc'd string in frames[], their lengths in lens[]. */
size_t st_pump_dgrams(struct loop *loop, int fd, char **frames, size_t *lens, size_t max);
/* Per sink stats value, e.g. st_stat(set, "json:/tmp/x", "dropped"); -1 when absent. */
long long st_stat(struct sink_set *set, const char *key, const char *counter);
/* Print the closing line and return the exit code. */
int st_done(const char *name);

#endif
