// SPDX-License-Identifier: BSD-3-Clause
/*
 * The plugins link libbpf, and dlopen() gives them all the one copy the daemon loaded: its print
 * callback is process-wide, so the host sets it once, and libbpf's warnings reach the log with
 * its level and prefix instead of going to stderr raw (its info and debug lines, with -vv).
 */
#include <stdio.h>
#include <string.h>
#include <bpf/libbpf.h>

#include "log.h"

static int libbpf_log(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	char line[2048];
	size_t n;

	vsnprintf(line, sizeof(line), fmt, ap);
	n = strlen(line);
	if (n && line[n - 1] == '\n')	/* libbpf ends its lines; the log adds its own */
		line[n - 1] = 0;
	const char *text = strncmp(line, "libbpf: ", 8) ? line : line + 8; /* it names itself */

	log_msg_origin(level == LIBBPF_WARN ? JP_LOG_WARN : JP_LOG_DEBUG, "libbpf", "%s", text);
	return 0;
}

void log_route_libbpf(void)
{
	libbpf_set_print(libbpf_log);
}
