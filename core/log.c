// SPDX-License-Identifier: BSD-3-Clause
#include <stdio.h>

#include "log.h"

static enum jp_log_level current_level = JP_LOG_INFO;

static const char *const level_names[] = {
	[JP_LOG_ERROR] = "error",
	[JP_LOG_WARN] = "warning",
	[JP_LOG_INFO] = "info",
	[JP_LOG_DEBUG] = "debug",
};

void log_set_level(enum jp_log_level level)
{
	current_level = level;
}

enum jp_log_level log_get_level(void)
{
	return current_level;
}

void log_vmsg(enum jp_log_level level, const char *origin, const char *fmt, va_list ap)
{
	if (level > current_level || level < JP_LOG_ERROR)
		return;
	/* one fprintf per piece would interleave with other writers of stderr: build the line */
	char line[2048];
	int n = snprintf(line, sizeof(line), "ja4probe%s%s: %s: ", origin ? ": " : "",
			 origin ? origin : "", level_names[level]);
	if (n < 0 || (size_t)n >= sizeof(line))
		n = 0;
	vsnprintf(line + n, sizeof(line) - n, fmt, ap);
	fprintf(stderr, "%s\n", line);
}

void log_msg_origin(enum jp_log_level level, const char *origin, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vmsg(level, origin, fmt, ap);
	va_end(ap);
}

void log_msg(enum jp_log_level level, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vmsg(level, NULL, fmt, ap);
	va_end(ap);
}
