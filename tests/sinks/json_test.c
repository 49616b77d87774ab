// SPDX-License-Identifier: BSD-3-Clause
/*
 * json sink: lines written to a file (and a unix stream socket) read back and parsed with
 * jansson; a file created 0640; SIGHUP-style reopen after logrotate's rename; a file that
 * cannot be opened fails sinks_open().
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "log.h"
#include "sink_test.h"

#define N_EVENTS 200

/* Every line of PATH parsed; returns how many equal sent[first..], in order. */
static size_t check_lines(const char *text, char **sent, size_t first, size_t n_sent)
{
	size_t n = 0;
	const char *line = text;

	while (line && *line) {
		const char *nl = strchr(line, '\n');

		CHECK(nl, "line %zu has no newline", n);
		if (!nl)
			break;
		json_error_t e;
		json_t *got = json_loadb(line, nl - line, 0, &e);
		json_t *want = first + n < n_sent ? json_loads(sent[first + n], 0, &e) : NULL;

		CHECK(got, "line %zu does not parse: %s", n, e.text);
		CHECK(want && json_equal(got, want), "line %zu differs from event %zu", n,
		      first + n);
		json_decref(got);
		json_decref(want);
		n++;
		line = nl + 1;
	}
	return n;
}

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "r");
	char *buf = NULL;
	size_t len = 0;

	if (!f)
		return NULL;
	FILE *m = open_memstream(&buf, &len);
	char chunk[8192];
	size_t n;

	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		fwrite(chunk, 1, n, m);
	fclose(m);
	fclose(f);
	return buf;
}

static void test_file_and_reopen(struct loop *loop)
{
	char path[128], rotated[140];
	char *sent[N_EVENTS];
	struct timespec ts;
	struct sink_set *set;
	struct stat st;

	snprintf(path, sizeof(path), "%s/events.json", st_tmpdir());
	snprintf(rotated, sizeof(rotated), "%s.1", path);
	struct cfg *cfg = st_config("outputs:\n  - type: json\n    path: %s\n", path);

	REQUIRE(sinks_open(cfg, loop, &set) == 0, "sinks_open");
	REQUIRE(stat(path, &st) == 0, "%s not created", path);
	CHECK((st.st_mode & 0777) == (S_IRUSR | S_IWUSR | S_IRGRP), "mode %o", st.st_mode & 0777);

	for (size_t i = 0; i < N_EVENTS; i++) {
		sent[i] = st_event(i, i * 7, &ts);
		if (i == N_EVENTS / 2) {
			/* logrotate: rename, then SIGHUP */
			REQUIRE(rename(path, rotated) == 0, "rename: %s", strerror(errno));
			sinks_reopen(set);
		}
		sinks_write(set, sent[i], strlen(sent[i]), &ts);
	}
	st_run(loop, 50);
	char key[200];

	snprintf(key, sizeof(key), "json:%s", path);
	CHECK(st_stat(set, key, "written") == N_EVENTS, "written %lld",
	      st_stat(set, key, "written"));
	CHECK(st_stat(set, key, "dropped") == 0, "dropped %lld", st_stat(set, key, "dropped"));
	sinks_close(set, 1000);
	cfg_free(cfg);

	char *old_text = slurp(rotated), *new_text = slurp(path);

	REQUIRE(old_text && new_text, "reading back %s and %s", rotated, path);
	CHECK(check_lines(old_text, sent, 0, N_EVENTS) == N_EVENTS / 2,
	      "rotated file: not the first %d events", N_EVENTS / 2);
	CHECK(check_lines(new_text, sent, N_EVENTS / 2, N_EVENTS) == N_EVENTS / 2,
	      "new file: not the last %d events", N_EVENTS / 2);
	free(old_text);
	free(new_text);
	for (size_t i = 0; i < N_EVENTS; i++)
		free(sent[i]);
}

static void test_unix_stream(struct loop *loop)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	char *sent[N_EVENTS], *got = NULL;
	size_t got_len = 0;
	struct timespec ts;
	struct sink_set *set;

	snprintf(a.sun_path, sizeof(a.sun_path), "%s/json.sock", st_tmpdir());
	int lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0);

	REQUIRE(bind(lfd, (struct sockaddr *)&a, sizeof(a)) == 0 && listen(lfd, 4) == 0,
		"listen on %s: %s", a.sun_path, strerror(errno));
	struct cfg *cfg = st_config("outputs:\n  - type: json\n    path: unix://%s\n", a.sun_path);

	REQUIRE(sinks_open(cfg, loop, &set) == 0, "sinks_open");
	st_run(loop, 20);
	int cfd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK);

	REQUIRE(cfd >= 0, "accept: %s", strerror(errno));
	for (size_t i = 0; i < N_EVENTS; i++) {
		sent[i] = st_event(i, 100, &ts);
		sinks_write(set, sent[i], strlen(sent[i]), &ts);
	}
	st_pump_stream(loop, cfd, &got, &got_len);
	sinks_close(set, 1000);
	CHECK(got && check_lines(got, sent, 0, N_EVENTS) == N_EVENTS, "unix socket lines");
	free(got);
	close(cfd);
	close(lfd);
	cfg_free(cfg);
	for (size_t i = 0; i < N_EVENTS; i++)
		free(sent[i]);
}

static void test_unopenable_file(struct loop *loop)
{
	struct sink_set *set = NULL;
	struct cfg *cfg = st_config("outputs:\n  - type: json\n    path: %s/no/such/dir/x.json\n",
				    st_tmpdir());

	CHECK(sinks_open(cfg, loop, &set) == -ENOENT, "a file that cannot be created is fatal");
	cfg_free(cfg);
}

int main(void)
{
	struct loop *loop;

	log_set_level(JP_LOG_DEBUG);
	REQUIRE(loop_new(&loop) == 0, "loop_new");
	test_file_and_reopen(loop);
	test_unix_stream(loop);
	test_unopenable_file(loop);
	loop_free(loop);
	return st_done("json_test");
}
