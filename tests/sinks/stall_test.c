// SPDX-License-Identifier: BSD-3-Clause
/*
 * A reader that never reads must not block the loop. Two sinks: json to a unix stream socket
 * whose peer does not read, and json to a file. Thousands of events go through sinks_write()
 * while the peer sleeps (a blocking write would hang the test until its timeout). The file
 * gets every event; the stalled sink drops what neither the socket buffer nor its queue hold,
 * and once the peer reads, what it receives is exactly the events that fit, in order.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "log.h"
#include "sink_test.h"

#define N_EVENTS 20000
#define QUEUE 100

/* The "seq" of each line, checked to be 0, 1, 2 ...; returns the number of lines. */
static size_t count_in_order(const char *text)
{
	size_t n = 0;

	for (const char *line = text; line && *line; n++) {
		const char *nl = strchr(line, '\n');
		json_t *j = nl ? json_loadb(line, nl - line, 0, NULL) : NULL;
		json_int_t seq = json_integer_value(json_object_get(j, "seq"));

		json_decref(j);
		if (!nl || seq != (json_int_t)n) {
			CHECK(0, "line %zu: seq %lld", n, (long long)seq);
			return n;
		}
		line = nl + 1;
	}
	return n;
}

int main(void)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	char path[128], sock_key[160], file_key[160];
	struct timespec ts;
	struct loop *loop;
	struct sink_set *set;

	log_set_level(JP_LOG_INFO);
	REQUIRE(loop_new(&loop) == 0, "loop_new");
	snprintf(a.sun_path, sizeof(a.sun_path), "%s/stalled.sock", st_tmpdir());
	snprintf(path, sizeof(path), "%s/all.json", st_tmpdir());
	snprintf(sock_key, sizeof(sock_key), "json:unix://%s", a.sun_path);
	snprintf(file_key, sizeof(file_key), "json:%s", path);
	int lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0);

	REQUIRE(bind(lfd, (struct sockaddr *)&a, sizeof(a)) == 0 && listen(lfd, 4) == 0,
		"listen on %s: %s", a.sun_path, strerror(errno));
	struct cfg *cfg = st_config("outputs:\n"
				    "  - type: json\n    path: unix://%s\n    queue_size: %d\n"
				    "  - type: json\n    path: %s\n    queue_size: 10\n",
				    a.sun_path, QUEUE, path);

	REQUIRE(sinks_open(cfg, loop, &set) == 0, "sinks_open");
	st_run(loop, 20);
	int cfd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK);

	REQUIRE(cfd >= 0, "accept: %s", strerror(errno));
	/* the peer reads nothing while all events are written, with the loop running between */
	for (unsigned i = 0; i < N_EVENTS; i++) {
		char *ev = st_event(i, 300, &ts);

		sinks_write(set, ev, strlen(ev), &ts);
		free(ev);
		if (i % 1000 == 999)
			st_run(loop, 1);
	}
	long long written = st_stat(set, sock_key, "written");
	long long queued = st_stat(set, sock_key, "queued");
	long long dropped = st_stat(set, sock_key, "dropped");

	printf("stalled sink: %lld written to the socket buffer, %lld queued, %lld dropped of %d\n",
	       written, queued, dropped, N_EVENTS);
	CHECK(queued == QUEUE, "queued %lld, expected a full queue of %d", queued, QUEUE);
	CHECK(dropped > 0 && written + queued + dropped == N_EVENTS,
	      "written %lld + queued %lld + dropped %lld != %d", written, queued, dropped,
	      N_EVENTS);
	CHECK(st_stat(set, file_key, "written") == N_EVENTS &&
	      st_stat(set, file_key, "dropped") == 0, "the file sink missed events");

	/* the peer wakes up: it gets exactly the events that fit */
	char *got = NULL;
	size_t got_len = 0;

	for (int i = 0; i < 200 && st_stat(set, sock_key, "queued") > 0; i++) {
		st_read_some(cfd, &got, &got_len, 5);
		st_run(loop, 5);
	}
	st_read_some(cfd, &got, &got_len, 100);
	size_t n = count_in_order(got);

	CHECK((long long)n == N_EVENTS - dropped, "peer received %zu, expected %lld sent - "
	      "dropped", n, N_EVENTS - dropped);
	CHECK(st_stat(set, sock_key, "dropped") == dropped, "drops after the peer woke up");
	free(got);
	sinks_close(set, 1000);

	FILE *f = fopen(path, "r");
	char *text = NULL;
	size_t text_len = 0;

	REQUIRE(f, "%s: %s", path, strerror(errno));
	REQUIRE(getdelim(&text, &text_len, '\0', f) > 0, "read %s", path);
	fclose(f);
	CHECK(count_in_order(text) == N_EVENTS, "the file sink has every event in order");
	free(text);
	close(cfd);
	close(lfd);
	cfg_free(cfg);
	loop_free(loop);
	return st_done("stall_test");
}
