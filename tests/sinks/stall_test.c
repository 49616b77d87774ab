// SPDX-License-Identifier: BSD-3-Clause
/*
 * A reader that never reads must not block the loop. Three sinks: json to a unix stream
 * socket whose peer does not read, json to stdout made a pipe nobody reads, and json to a
 * file. Thousands of events go through sinks_write() while the readers sleep (a blocking
 * write would hang the test until its timeout). The file
 * gets every event; a stalled sink drops what neither the kernel buffer nor its queue hold,
 * and once its reader reads, what it receives is exactly the events that fit, in order.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "log.h"
#include "sink_test.h"

#define N_EVENTS 20000
#define QUEUE 100
#define PIPE_QUEUE 50

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

struct stalled {
	const char *name;
	const char *key;
	int fd;		/* the reader's end */
	long long queue, dropped;
	char *got;
	size_t got_len;
};

static void check_stalled_counts(struct sink_set *set, struct stalled *st)
{
	long long written = st_stat(set, st->key, "written");
	long long queued = st_stat(set, st->key, "queued");

	st->dropped = st_stat(set, st->key, "dropped");
	fprintf(stderr, "%s: %lld written to the kernel buffer, %lld queued, %lld dropped of %d\n",
		st->name, written, queued, st->dropped, N_EVENTS);
	CHECK(queued == st->queue, "%s: queued %lld, expected a full queue of %lld", st->name,
	      queued, st->queue);
	CHECK(st->dropped > 0 && written + queued + st->dropped == N_EVENTS,
	      "%s: written %lld + queued %lld + dropped %lld != %d", st->name, written, queued,
	      st->dropped, N_EVENTS);
}

int main(void)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	char path[128], sock_key[160], file_key[160];
	struct timespec ts;
	struct loop *loop;
	struct sink_set *set;
	int pipefd[2];

	log_set_level(JP_LOG_INFO);
	REQUIRE(loop_new(&loop) == 0, "loop_new");
	snprintf(a.sun_path, sizeof(a.sun_path), "%s/stalled.sock", st_tmpdir());
	snprintf(path, sizeof(path), "%s/all.json", st_tmpdir());
	snprintf(sock_key, sizeof(sock_key), "json:unix://%s", a.sun_path);
	snprintf(file_key, sizeof(file_key), "json:%s", path);
	int lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0);

	REQUIRE(bind(lfd, (struct sockaddr *)&a, sizeof(a)) == 0 && listen(lfd, 4) == 0,
		"listen on %s: %s", a.sun_path, strerror(errno));
	/* stdout becomes a pipe for the "-" sink; the real one comes back at the end */
	int saved_stdout = dup(STDOUT_FILENO);

	fflush(stdout);
	REQUIRE(pipe2(pipefd, O_NONBLOCK) == 0 && dup2(pipefd[1], STDOUT_FILENO) == STDOUT_FILENO,
		"stdout pipe: %s", strerror(errno));
	close(pipefd[1]);
	struct cfg *cfg = st_config("outputs:\n"
				    "  - type: json\n    path: unix://%s\n    queue_size: %d\n"
				    "  - type: json\n    path: \"-\"\n    queue_size: %d\n"
				    "  - type: json\n    path: %s\n    queue_size: 10\n",
				    a.sun_path, QUEUE, PIPE_QUEUE, path);

	REQUIRE(sinks_open(cfg, loop, &set) == 0, "sinks_open");
	st_run(loop, 20);
	int cfd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK);

	REQUIRE(cfd >= 0, "accept: %s", strerror(errno));
	struct stalled stalled[] = {
		{ .name = "unix socket", .key = sock_key, .fd = cfd, .queue = QUEUE },
		{ .name = "stdout pipe", .key = "json:-", .fd = pipefd[0], .queue = PIPE_QUEUE },
	};

	/* the readers read nothing while all events are written, with the loop running between */
	for (unsigned i = 0; i < N_EVENTS; i++) {
		char *ev = st_event(i, 300, &ts);

		sinks_write(set, ev, strlen(ev), &ts);
		free(ev);
		if (i % 1000 == 999)
			st_run(loop, 1);
	}
	for (size_t i = 0; i < 2; i++)
		check_stalled_counts(set, &stalled[i]);
	CHECK(st_stat(set, file_key, "written") == N_EVENTS &&
	      st_stat(set, file_key, "dropped") == 0, "the file sink missed events");

	/* the readers wake up: each gets exactly the events that fit */
	for (int round = 0; round < 400; round++) {
		long long left = 0;

		for (size_t i = 0; i < 2; i++) {
			st_read_some(stalled[i].fd, &stalled[i].got, &stalled[i].got_len, 0);
			left += st_stat(set, stalled[i].key, "queued");
		}
		if (!left)
			break;
		st_run(loop, 5);
	}
	for (size_t i = 0; i < 2; i++) {
		struct stalled *st = &stalled[i];

		st_read_some(st->fd, &st->got, &st->got_len, 100);
		size_t n = count_in_order(st->got);

		CHECK((long long)n == N_EVENTS - st->dropped,
		      "%s: reader got %zu, expected %lld sent - dropped", st->name, n,
		      N_EVENTS - st->dropped);
		CHECK(st_stat(set, st->key, "dropped") == st->dropped, "%s: drops after the reader "
		      "woke up", st->name);
		free(st->got);
	}
	sinks_close(set, 1000);
	dup2(saved_stdout, STDOUT_FILENO);
	close(saved_stdout);
	close(pipefd[0]);

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
