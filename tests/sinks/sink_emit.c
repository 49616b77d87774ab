// SPDX-License-Identifier: BSD-3-Clause
/*
 * sink_emit CONFIG N SENT: open the outputs of CONFIG, write N test events through them,
 * drain, and close. Each event sent is written to SENT, one JSON per line; the sinks' stats
 * are printed on stdout. Used by tests that need a real receiver, e.g. rsyslog_test.sh.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "sink_test.h"

int main(int argc, char **argv)
{
	struct cfg *cfg;
	struct loop *loop;
	struct sink_set *set;
	struct timespec ts;

	if (argc != 4) {
		fprintf(stderr, "usage: sink_emit CONFIG N SENT\n");
		return 2;
	}
	unsigned n = strtoul(argv[2], NULL, 10);
	FILE *sent = fopen(argv[3], "w");

	REQUIRE(sent, "%s: %s", argv[3], strerror(errno));
	REQUIRE(cfg_load(argv[1], &cfg) == 0, "cfg_load(%s)", argv[1]);
	log_set_level(JP_LOG_DEBUG);
	REQUIRE(loop_new(&loop) == 0, "loop_new");
	REQUIRE(sinks_open(cfg, loop, &set) == 0, "sinks_open");
	st_run(loop, 100);	/* let a TCP connect complete */
	for (unsigned i = 0; i < n; i++) {
		char *ev = st_event(i, 50, &ts);

		sinks_write(set, ev, strlen(ev), &ts);
		fprintf(sent, "%s\n", ev);
		free(ev);
		if (i % 50 == 49)
			st_run(loop, 5);
	}
	fclose(sent);
	st_run(loop, 100);
	json_t *stats = sinks_stats(set);

	sinks_close(set, 5000);
	json_dumpf(stats, stdout, JSON_COMPACT);
	printf("\n");
	json_decref(stats);
	loop_free(loop);
	cfg_free(cfg);
	return 0;
}
