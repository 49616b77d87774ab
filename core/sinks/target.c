// SPDX-License-Identifier: BSD-3-Clause
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/un.h>
#include <sys/stat.h>
#include <unistd.h>

#include "target.h"

#define FILE_MODE 0640	/* events name hosts and clients: not world-readable */

static int parse_unix(const char *path, struct sink_target *t, char *err, size_t err_len)
{
	struct sockaddr_un *sun = (struct sockaddr_un *)&t->addr;

	if (path[0] != '/') {
		snprintf(err, err_len, "expected an absolute path after unix://");
		return -EINVAL;
	}
	if (strlen(path) >= sizeof(sun->sun_path)) {
		snprintf(err, err_len, "socket path longer than %zu bytes",
			 sizeof(sun->sun_path) - 1);
		return -ENAMETOOLONG;
	}
	sun->sun_family = AF_UNIX;
	strcpy(sun->sun_path, path);
	t->addr_len = sizeof(*sun);
	return 0;
}

/* HOST:PORT or [V6ADDR]:PORT, resolved now: the loop must never wait for DNS. */
static int parse_inet(const char *hostport, int socktype, struct sink_target *t, char *err,
		      size_t err_len)
{
	char host[256];
	const char *port;
	size_t host_len;

	if (hostport[0] == '[') {
		const char *end = strchr(hostport, ']');

		if (!end || end[1] != ':')
			goto bad;
		hostport++;
		host_len = end - hostport;
		port = end + 2;
	} else {
		const char *colon = strrchr(hostport, ':');

		if (!colon)
			goto bad;
		host_len = colon - hostport;
		port = colon + 1;
	}
	if (host_len == 0 || host_len >= sizeof(host) || !port[0])
		goto bad;
	memcpy(host, hostport, host_len);
	host[host_len] = '\0';

	struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = socktype };
	struct addrinfo *res;
	int rc = getaddrinfo(host, port, &hints, &res);

	if (rc) {
		snprintf(err, err_len, "cannot resolve %s port %s: %s", host, port,
			 gai_strerror(rc));
		return -EHOSTUNREACH;
	}
	memcpy(&t->addr, res->ai_addr, res->ai_addrlen);
	t->addr_len = res->ai_addrlen;
	freeaddrinfo(res);
	return 0;
bad:
	snprintf(err, err_len, "expected HOST:PORT or [IPV6]:PORT");
	return -EINVAL;
}

int target_parse(const char *text, enum sink_target_kind unix_kind, struct sink_target *t,
		 char *err, size_t err_len)
{
	int rc = 0;

	memset(t, 0, sizeof(*t));
	t->text = strdup(text);
	if (!t->text)
		return -ENOMEM;
	if (strcmp(text, "-") == 0) {
		t->kind = TARGET_STDOUT;
	} else if (strncmp(text, "unix://", 7) == 0) {
		t->kind = unix_kind;
		rc = parse_unix(text + 7, t, err, err_len);
	} else if (strncmp(text, "udp://", 6) == 0) {
		t->kind = TARGET_UDP;
		rc = parse_inet(text + 6, SOCK_DGRAM, t, err, err_len);
	} else if (strncmp(text, "tcp://", 6) == 0) {
		t->kind = TARGET_TCP;
		rc = parse_inet(text + 6, SOCK_STREAM, t, err, err_len);
	} else if (strstr(text, "://")) {
		snprintf(err, err_len, "unknown scheme: expected unix://, udp:// or tcp://");
		rc = -EINVAL;
	} else if (!text[0]) {
		snprintf(err, err_len, "empty path");
		rc = -EINVAL;
	} else {
		t->kind = TARGET_FILE;
		t->path = t->text;
	}
	if (rc) {
		free(t->text);
		t->text = NULL;
	}
	return rc;
}

void target_free(struct sink_target *t)
{
	free(t->text);
	memset(t, 0, sizeof(*t));
}

/*
 * Regular files (and character devices such as /dev/null) never make a write wait. A FIFO
 * would block open() and then the loop, so it is refused: "-" with a pipe on stdout, or a
 * unix:// socket, are the non-blocking ways to feed another process. O_NONBLOCK keeps a FIFO
 * from blocking the open() itself.
 */
int target_open_file(const struct sink_target *t)
{
	int fd = open(t->path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOCTTY | O_NONBLOCK,
		      FILE_MODE);
	struct stat st;

	if (fd < 0)
		return errno == ENXIO ? -EINVAL : -errno; /* ENXIO: a FIFO nobody reads */
	if (fstat(fd, &st) < 0 || !(S_ISREG(st.st_mode) || S_ISCHR(st.st_mode))) {
		close(fd);
		return -EINVAL;
	}
	return fd;
}

const char *target_open_strerror(int err)
{
	if (err == -EINVAL)
		return "not a regular file: for a pipe use path \"-\" with stdout redirected, for "
		       "a reading process a unix:// socket";
	return strerror(-err);
}

int target_connect(const struct sink_target *t, bool *in_progress)
{
	int type = target_is_stream(t) ? SOCK_STREAM : SOCK_DGRAM;
	int fd = socket(t->addr.ss_family, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

	*in_progress = false;
	if (fd < 0)
		return -errno;
	if (connect(fd, (const struct sockaddr *)&t->addr, t->addr_len) == 0)
		return fd;
	if (errno == EINPROGRESS) {
		*in_progress = true;
		return fd;
	}
	int err = -errno;

	close(fd);
	return err;
}
