// SPDX-License-Identifier: BSD-3-Clause
/*
 * syslog sink: frames received on sockets the test opens, parsed field by field.
 * RFC 5424 over a unix datagram socket and over TCP with RFC 6587 octet counting, RFC 3164
 * over UDP and over TCP with newline framing, and a TCP receiver that goes away and comes
 * back. Expected PRI values come from <syslog.h>, times from the event's own timespec.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <syslog.h>
#include <unistd.h>

#include "log.h"
#include "sink_test.h"

#define N_EVENTS 50

struct expect {
	bool rfc3164;
	int pri;
	const char *host;
	const char *app;
};

struct sent {
	char *json;
	struct timespec ts;
};

static char local_host[256];

/* The next space-separated field of [*p, end); NULL when there is none. */
static char *field(char **p, char *end)
{
	char *start = *p, *sp = memchr(start, ' ', end - start);

	if (!sp || sp == start)
		return NULL;
	*sp = '\0';
	*p = sp + 1;
	return start;
}

static bool check_msg(const char *msg, size_t len, const struct sent *ev, const char *what)
{
	json_error_t e;
	json_t *got = json_loadb(msg, len, 0, &e), *want = json_loads(ev->json, 0, &e);
	bool ok = got && want && json_equal(got, want);

	CHECK(ok, "%s: MSG is not the event: %.*s", what, (int)(len > 80 ? 80 : len), msg);
	json_decref(got);
	json_decref(want);
	return ok;
}

static int parse_pri(char **p, char *end)
{
	char *q;

	if (*p >= end || **p != '<')
		return -1;
	long pri = strtol(*p + 1, &q, 10);

	if (q >= end || *q != '>' || q == *p + 1)
		return -1;
	*p = q + 1;
	return (int)pri;
}

/* <PRI>1 TIMESTAMP HOST APP-NAME PROCID MSGID - MSG */
static bool check_5424(char *p, char *end, const struct expect *x, const struct sent *ev)
{
	int pri = parse_pri(&p, end);
	char *version = field(&p, end), *stamp = field(&p, end), *host = field(&p, end);
	char *app = field(&p, end), *procid = field(&p, end), *msgid = field(&p, end);
	char *sd = field(&p, end);
	struct tm tm = { 0 };

	CHECK(pri == x->pri, "PRI %d, expected %d", pri, x->pri);
	if (!sd) {
		CHECK(sd, "fewer than 8 header fields");
		return false;
	}
	CHECK(strcmp(version, "1") == 0, "VERSION %s", version);
	char *rest = strptime(stamp, "%Y-%m-%dT%H:%M:%S", &tm);
	long usec = -1;
	char z = 0;

	CHECK(rest && sscanf(rest, ".%6ld%c", &usec, &z) == 2 && z == 'Z' && strlen(rest) == 8,
	      "TIMESTAMP %s", stamp);
	CHECK(timegm(&tm) == ev->ts.tv_sec && usec == ev->ts.tv_nsec / 1000,
	      "TIMESTAMP %s is not the event time %lld.%09ld", stamp, (long long)ev->ts.tv_sec,
	      ev->ts.tv_nsec);
	CHECK(strcmp(host, x->host) == 0, "HOSTNAME %s, expected %s", host, x->host);
	CHECK(strcmp(app, x->app) == 0, "APP-NAME %s, expected %s", app, x->app);
	CHECK(atoi(procid) == getpid(), "PROCID %s", procid);

	json_t *j = json_loads(ev->json, 0, NULL);
	const char *type = json_string_value(json_object_get(j, "event_type"));

	CHECK(type && strcmp(msgid, type) == 0, "MSGID %s, expected %s", msgid, type);
	json_decref(j);
	CHECK(strcmp(sd, "-") == 0, "STRUCTURED-DATA %s", sd);
	return check_msg(p, end - p, ev, "rfc5424");
}

/* <PRI>Mmm dd hh:mm:ss HOST TAG[PID]: MSG, the time in the sender's local time */
static bool check_3164(char *p, char *end, const struct expect *x, const struct sent *ev)
{
	int pri = parse_pri(&p, end);
	struct tm tm = { 0 }, want;
	char *rest = end - p > 16 ? strptime(p, "%b %e %H:%M:%S ", &tm) : NULL;

	CHECK(pri == x->pri, "PRI %d, expected %d", pri, x->pri);
	localtime_r(&ev->ts.tv_sec, &want);
	CHECK(rest == p + 16, "TIMESTAMP %.16s", p);
	CHECK(tm.tm_mon == want.tm_mon && tm.tm_mday == want.tm_mday &&
	      tm.tm_hour == want.tm_hour && tm.tm_min == want.tm_min && tm.tm_sec == want.tm_sec,
	      "TIMESTAMP %.15s is not the event time", p);
	if (!rest)
		return false;
	p = rest;
	char *host = field(&p, end), *tag = field(&p, end);
	char expect_tag[128];

	snprintf(expect_tag, sizeof(expect_tag), "%s[%d]:", x->app, (int)getpid());
	if (!tag) {
		CHECK(tag, "no HOSTNAME and TAG");
		return false;
	}
	CHECK(strcmp(host, x->host) == 0, "HOSTNAME %s, expected %s", host, x->host);
	CHECK(strcmp(tag, expect_tag) == 0, "TAG %s, expected %s", tag, expect_tag);
	return check_msg(p, end - p, ev, "rfc3164");
}

static bool check_frame(char *frame, size_t len, const struct expect *x, const struct sent *ev)
{
	char *copy = strndup(frame, len);
	bool ok = x->rfc3164 ? check_3164(copy, copy + len, x, ev)
			     : check_5424(copy, copy + len, x, ev);

	free(copy);
	return ok;
}

/* RFC 6587 octet counting: "LEN SP FRAME" back to back, nothing left over. */
static size_t check_octet_stream(char *buf, size_t len, const struct expect *x,
				 const struct sent *evs, size_t first)
{
	size_t n = 0, off = 0;

	while (off < len) {
		char *sp;
		unsigned long flen = strtoul(buf + off, &sp, 10);

		if (sp == buf + off || *sp != ' ' || !isdigit((unsigned char)buf[off])) {
			CHECK(0, "frame %zu: no octet count at offset %zu", n, off);
			return n;
		}
		size_t start = sp + 1 - buf;

		if (start + flen > len) {
			CHECK(0, "frame %zu: LEN %lu runs past the data received", n, flen);
			return n;
		}
		check_frame(buf + start, flen, x, &evs[first + n]);
		off = start + flen;
		n++;
	}
	return n;
}

/* Newline framing: one message per line. */
static size_t check_lines(char *buf, size_t len, const struct expect *x, const struct sent *evs)
{
	size_t n = 0;
	char *p = buf, *end = buf + len;

	while (p < end) {
		char *nl = memchr(p, '\n', end - p);

		CHECK(nl, "message %zu not newline-terminated", n);
		if (!nl)
			break;
		check_frame(p, nl - p, x, &evs[n++]);
		p = nl + 1;
	}
	return n;
}

/* The receiver reads while the loop runs: a unix datagram queue holds only ~10 messages. */
static void check_dgrams(struct loop *loop, int fd, const struct expect *x, const struct sent *evs)
{
	char *frames[N_EVENTS];
	size_t lens[N_EVENTS];
	size_t n = st_pump_dgrams(loop, fd, frames, lens, N_EVENTS);

	CHECK(n == N_EVENTS, "received %zu of %d datagrams", n, N_EVENTS);
	for (size_t i = 0; i < n; i++) {
		check_frame(frames[i], lens[i], x, &evs[i]);
		free(frames[i]);
	}
}

static void send_events(struct sink_set *set, struct sent *evs, size_t first, size_t n)
{
	for (size_t i = first; i < first + n; i++) {
		evs[i].json = st_event(i, 64, &evs[i].ts);
		sinks_write(set, evs[i].json, strlen(evs[i].json), &evs[i].ts);
	}
}

static void free_events(struct sent *evs, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(evs[i].json);
}

static void test_5424_unix_dgram(struct loop *loop)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	struct sent evs[N_EVENTS];
	struct sink_set *set;
	struct expect x = { .pri = LOG_LOCAL3 | LOG_WARNING, .host = "probe-host-1",
			    .app = "ja4test" };

	snprintf(a.sun_path, sizeof(a.sun_path), "%s/log", st_tmpdir());
	int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK, 0);

	REQUIRE(bind(fd, (struct sockaddr *)&a, sizeof(a)) == 0, "bind %s", a.sun_path);
	struct cfg *cfg = st_config("host_name: probe-host-1\noutputs:\n  - type: syslog\n"
				    "    target: unix://%s\n    facility: local3\n"
				    "    severity: warning\n    app_name: ja4test\n",
				    a.sun_path);

	REQUIRE(sinks_open(cfg, loop, &set) == 0, "sinks_open");
	send_events(set, evs, 0, N_EVENTS);
	check_dgrams(loop, fd, &x, evs);
	sinks_close(set, 100);
	cfg_free(cfg);
	close(fd);
	free_events(evs, N_EVENTS);
}

static void test_3164_udp(struct loop *loop)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t alen = sizeof(a);
	struct sent evs[N_EVENTS];
	struct sink_set *set;
	struct expect x = { .rfc3164 = true, .pri = LOG_DAEMON | LOG_NOTICE, .host = local_host,
			    .app = "ja4udp" };
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);

	REQUIRE(bind(fd, (struct sockaddr *)&a, sizeof(a)) == 0 &&
		getsockname(fd, (struct sockaddr *)&a, &alen) == 0, "bind udp");
	struct cfg *cfg = st_config("outputs:\n  - type: syslog\n    target: udp://127.0.0.1:%d\n"
				    "    format: rfc3164\n    facility: daemon\n"
				    "    severity: notice\n    app_name: ja4udp\n",
				    ntohs(a.sin_port));

	REQUIRE(sinks_open(cfg, loop, &set) == 0, "sinks_open");
	send_events(set, evs, 0, N_EVENTS);
	check_dgrams(loop, fd, &x, evs);
	sinks_close(set, 100);
	cfg_free(cfg);
	close(fd);
	free_events(evs, N_EVENTS);
}

/* Accept the sink's connection, running the loop meanwhile; -1 after about 5 s. */
static int accept_sink(struct loop *loop, int lfd)
{
	for (int i = 0; i < 100; i++) {
		int fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK);

		if (fd >= 0)
			return fd;
		st_run(loop, 50);
	}
	return -1;
}

static void test_tcp(struct loop *loop, bool rfc3164)
{
	struct sent evs[N_EVENTS];
	struct sink_set *set;
	struct expect x = { .rfc3164 = rfc3164, .pri = LOG_LOCAL0 | LOG_INFO, .host = local_host,
			    .app = "ja4probe" };
	int port = 0, lfd = st_tcp_listen(&port);
	struct cfg *cfg = st_config("outputs:\n  - type: syslog\n    target: tcp://127.0.0.1:%d\n"
				    "    format: %s\n    tcp_framing: %s\n",
				    port, rfc3164 ? "rfc3164" : "rfc5424",
				    rfc3164 ? "newline" : "octet-counting");

	REQUIRE(sinks_open(cfg, loop, &set) == 0, "sinks_open");
	int cfd = accept_sink(loop, lfd);

	REQUIRE(cfd >= 0, "the sink did not connect");
	send_events(set, evs, 0, N_EVENTS);
	char *buf = NULL;
	size_t len = 0;

	st_pump_stream(loop, cfd, &buf, &len);
	sinks_close(set, 1000);
	size_t n = rfc3164 ? check_lines(buf, len, &x, evs)
			   : check_octet_stream(buf, len, &x, evs, 0);

	CHECK(n == N_EVENTS, "%s over tcp: %zu of %d frames", rfc3164 ? "rfc3164" : "rfc5424", n,
	      N_EVENTS);
	free(buf);
	close(cfd);
	close(lfd);
	cfg_free(cfg);
	free_events(evs, N_EVENTS);
}

/* The receiver closes and listens again: the sink reconnects and what it queued arrives. */
static void test_tcp_reconnect(struct loop *loop)
{
	struct sent evs[30];
	struct sink_set *set;
	struct expect x = { .pri = LOG_LOCAL0 | LOG_INFO, .host = local_host, .app = "ja4probe" };
	int port = 0, lfd = st_tcp_listen(&port);
	char key[64], *buf = NULL;
	size_t len = 0;
	struct cfg *cfg = st_config("outputs:\n  - type: syslog\n    target: tcp://127.0.0.1:%d\n",
				    port);

	snprintf(key, sizeof(key), "syslog:tcp://127.0.0.1:%d", port);
	REQUIRE(sinks_open(cfg, loop, &set) == 0, "sinks_open");
	int cfd = accept_sink(loop, lfd);

	REQUIRE(cfd >= 0, "the sink did not connect");
	send_events(set, evs, 0, 10);
	st_pump_stream(loop, cfd, &buf, &len);
	CHECK(check_octet_stream(buf, len, &x, evs, 0) == 10, "first connection");

	/* the receiver goes away; the sink sees the close, then connects are refused */
	close(cfd);
	close(lfd);
	st_run(loop, 300);
	CHECK(st_stat(set, key, "reconnects") == 0, "reconnects before the receiver is back");
	send_events(set, evs, 10, 10);
	CHECK(st_stat(set, key, "queued") == 10, "queued while down: %lld",
	      st_stat(set, key, "queued"));

	lfd = st_tcp_listen(&port);
	cfd = accept_sink(loop, lfd);
	REQUIRE(cfd >= 0, "the sink did not reconnect");
	st_run(loop, 20);
	send_events(set, evs, 20, 10);
	free(buf);
	buf = NULL;
	len = 0;
	st_pump_stream(loop, cfd, &buf, &len);
	CHECK(check_octet_stream(buf, len, &x, evs, 10) == 20,
	      "second connection: the queued and the new events");
	CHECK(st_stat(set, key, "reconnects") == 1, "reconnects %lld",
	      st_stat(set, key, "reconnects"));
	CHECK(st_stat(set, key, "written") == 30, "written %lld", st_stat(set, key, "written"));
	CHECK(st_stat(set, key, "dropped") == 0, "dropped %lld", st_stat(set, key, "dropped"));
	sinks_close(set, 1000);
	free(buf);
	close(cfd);
	close(lfd);
	cfg_free(cfg);
	free_events(evs, 30);
}

/* Nobody listens at start: not fatal, the events wait in the queue. */
static void test_tcp_down_at_start(struct loop *loop)
{
	int port = 0, lfd = st_tcp_listen(&port);
	struct sink_set *set = NULL;

	close(lfd);	/* a port nobody listens on */
	struct cfg *cfg = st_config("outputs:\n  - type: syslog\n    target: tcp://127.0.0.1:%d\n"
				    "    queue_size: 5\n", port);

	CHECK(sinks_open(cfg, loop, &set) == 0, "a receiver down at start is not fatal");
	if (set) {
		struct sent evs[8];
		char key[64];

		snprintf(key, sizeof(key), "syslog:tcp://127.0.0.1:%d", port);
		send_events(set, evs, 0, 8);
		st_run(loop, 50);
		CHECK(st_stat(set, key, "queued") == 5 && st_stat(set, key, "dropped") == 3,
		      "queued %lld dropped %lld", st_stat(set, key, "queued"),
		      st_stat(set, key, "dropped"));
		sinks_close(set, 0);
		free_events(evs, 8);
	}
	cfg_free(cfg);
}

int main(void)
{
	struct loop *loop;

	log_set_level(JP_LOG_DEBUG);
	REQUIRE(gethostname(local_host, sizeof(local_host)) == 0, "gethostname");
	REQUIRE(loop_new(&loop) == 0, "loop_new");
	test_5424_unix_dgram(loop);
	test_3164_udp(loop);
	test_tcp(loop, false);
	test_tcp(loop, true);
	test_tcp_reconnect(loop);
	test_tcp_down_at_start(loop);
	loop_free(loop);
	return st_done("syslog_test");
}
