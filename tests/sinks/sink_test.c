// SPDX-License-Identifier: BSD-3-Clause
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "sink_test.h"

int st_failures;
static char tmpdir[64];

const char *st_tmpdir(void)
{
	if (!tmpdir[0]) {
		strcpy(tmpdir, "/tmp/ja4sinkXXXXXX");
		REQUIRE(mkdtemp(tmpdir), "mkdtemp: %s", strerror(errno));
	}
	return tmpdir;
}

void st_cleanup(void)
{
	char cmd[128];

	if (!tmpdir[0])
		return;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", tmpdir);
}

struct cfg *st_config(const char *fmt, ...)
{
	static unsigned n;
	char path[128];
	struct cfg *cfg;
	va_list ap;

	snprintf(path, sizeof(path), "%s/config%u.yaml", st_tmpdir(), n++);
	FILE *f = fopen(path, "w");

	REQUIRE(f, "%s: %s", path, strerror(errno));
	va_start(ap, fmt);
	vfprintf(f, fmt, ap);
	va_end(ap);
	fclose(f);
	REQUIRE(cfg_load(path, &cfg) == 0, "cfg_load(%s) failed", path);
	return cfg;
}

static void st_stop(void *arg)
{
	loop_stop(arg);
}

void st_run(struct loop *loop, unsigned ms)
{
	REQUIRE(loop_timer_add(loop, ms, 0, st_stop, loop) >= 0, "timer");
	REQUIRE(loop_run(loop) == 0, "loop_run");
}

char *st_event(unsigned seq, size_t pad, struct timespec *ts)
{
	char stamp[40];
	struct tm tm;
	char *padding = malloc(pad + 1);

	clock_gettime(CLOCK_REALTIME, ts);
	gmtime_r(&ts->tv_sec, &tm);
	size_t n = strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%S", &tm);

	snprintf(stamp + n, sizeof(stamp) - n, ".%06ldZ", ts->tv_nsec / 1000);
	memset(padding, 'x', pad);
	padding[pad] = '\0';
	json_t *ev = json_pack("{s:s, s:s, s:s, s:s, s:s, s:i, s:s, s:i, s:i, "
			       "s:{s:s, s:s, s:[s, s]}, s:s}",
			       "timestamp", stamp, "event_type", "tls_client_hello",
			       "host", "web-1", "plugin", "sink_test",
			       "src_ip", "192.0.2.7", "src_port", 51234,
			       "dest_ip", "192.0.2.1", "dest_port", 443, "seq", (int)seq,
			       "tls", "ja4", "t13d1516h2_8daaf6152771_e5627efa2ab1",
			       "sni", "caf\u00e9.example \"quoted\" \\ ", "alpn", "h2", "http/1.1",
			       "pad", padding);
	char *s = json_dumps(ev, JSON_COMPACT | JSON_PRESERVE_ORDER);

	json_decref(ev);
	free(padding);
	return s;
}

int st_tcp_listen(int *port)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(*port),
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(a);
	int one = 1;
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

	REQUIRE(fd >= 0, "socket: %s", strerror(errno));
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	REQUIRE(bind(fd, (struct sockaddr *)&a, sizeof(a)) == 0, "bind: %s", strerror(errno));
	REQUIRE(listen(fd, 16) == 0, "listen: %s", strerror(errno));
	REQUIRE(getsockname(fd, (struct sockaddr *)&a, &len) == 0, "getsockname");
	*port = ntohs(a.sin_port);
	return fd;
}

size_t st_read_some(int fd, char **buf, size_t *len, unsigned ms)
{
	size_t got = 0;
	struct pollfd p = { .fd = fd, .events = POLLIN };

	while (poll(&p, 1, ms) > 0) {
		char chunk[65536];
		ssize_t n = read(fd, chunk, sizeof(chunk));	/* sockets and pipes alike */

		if (n <= 0)
			break;
		*buf = realloc(*buf, *len + n + 1);
		memcpy(*buf + *len, chunk, n);
		*len += n;
		(*buf)[*len] = '\0';
		got += n;
	}
	return got;
}

/* Quiet rounds (5 ms of loop, then a read) before a pump decides the sender is done */
#define PUMP_QUIET_ROUNDS 20

void st_pump_stream(struct loop *loop, int fd, char **buf, size_t *len)
{
	for (int quiet = 0; quiet < PUMP_QUIET_ROUNDS;) {
		st_run(loop, 5);
		quiet = st_read_some(fd, buf, len, 0) ? 0 : quiet + 1;
	}
}

size_t st_pump_dgrams(struct loop *loop, int fd, char **frames, size_t *lens, size_t max)
{
	size_t n = 0;

	for (int quiet = 0; quiet < PUMP_QUIET_ROUNDS;) {
		char buf[65536];
		ssize_t len;

		st_run(loop, 5);
		quiet++;
		while (n < max && (len = recv(fd, buf, sizeof(buf), MSG_DONTWAIT)) > 0) {
			frames[n] = strndup(buf, len);
			lens[n++] = len;
			quiet = 0;
		}
	}
	return n;
}

long long st_stat(struct sink_set *set, const char *key, const char *counter)
{
	json_t *stats = sinks_stats(set);
	json_t *v = json_object_get(json_object_get(stats, key), counter);
	long long r = json_is_integer(v) ? json_integer_value(v) : -1;

	json_decref(stats);
	return r;
}

int st_done(const char *name)
{
	st_cleanup();
	printf("%s: %s\n", name, st_failures ? "FAILED" : "ok");
	return st_failures ? 1 : 0;
}
