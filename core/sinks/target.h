/* SPDX-License-Identifier: BSD-3-Clause */
/* Where a sink writes: stdout, a file, or a socket named by a URL; parsed and opened here. */
#ifndef JA4PROBE_SINK_TARGET_H
#define JA4PROBE_SINK_TARGET_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>

enum sink_target_kind {
	TARGET_STDOUT,		/* "-" */
	TARGET_FILE,		/* a path */
	TARGET_UNIX_STREAM,	/* unix:///PATH for a json sink */
	TARGET_UNIX_DGRAM,	/* unix:///PATH for a syslog sink (/dev/log) */
	TARGET_UDP,		/* udp://HOST:PORT */
	TARGET_TCP,		/* tcp://HOST:PORT */
};

struct sink_target {
	enum sink_target_kind kind;
	char *text;			/* as written in the config */
	char *path;			/* TARGET_FILE */
	struct sockaddr_storage addr;	/* sockets, resolved once at parse time */
	socklen_t addr_len;
};

/*
 * Parse TEXT; unix_kind says which socket type unix:// means for the calling sink type.
 * On failure returns a negative errno and writes what was wrong into err.
 */
int target_parse(const char *text, enum sink_target_kind unix_kind, struct sink_target *t,
		 char *err, size_t err_len);
void target_free(struct sink_target *t);

static inline bool target_is_socket(const struct sink_target *t)
{
	return t->kind >= TARGET_UNIX_STREAM;
}

static inline bool target_is_stream(const struct sink_target *t)
{
	return t->kind != TARGET_UNIX_DGRAM && t->kind != TARGET_UDP;
}

/* Files are opened O_APPEND and created 0640. Returns an fd or a negative errno. */
/* -EINVAL: not a regular file or character device (a FIFO would block the loop) */
int target_open_file(const struct sink_target *t);
/* What target_open_file()'s error means, with the fix where there is one. */
const char *target_open_strerror(int err);
/* A nonblocking socket with connect() started. Returns an fd or a negative errno;
 * *in_progress says the connect completes later (EPOLLOUT, then SO_ERROR). */
int target_connect(const struct sink_target *t, bool *in_progress);

#endif
