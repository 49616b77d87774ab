/* SPDX-License-Identifier: BSD-3-Clause */
/* Logging to stderr (the journal under systemd): "ja4probe[: plugin]: level: message". */
#ifndef JA4PROBE_LOG_H
#define JA4PROBE_LOG_H

#include <stdarg.h>
#include <ja4probe/plugin.h>

void log_set_level(enum jp_log_level level);
enum jp_log_level log_get_level(void);
void log_msg(enum jp_log_level level, const char *fmt, ...) JP_PRINTF(2, 3);
/* origin: a plugin or sink name shown after the program name; NULL for the core */
void log_vmsg(enum jp_log_level level, const char *origin, const char *fmt, va_list ap);

void log_msg_origin(enum jp_log_level level, const char *origin, const char *fmt, ...)
	JP_PRINTF(3, 4);
/* libbpf's own messages (one libbpf is shared by every plugin) through this log, as "libbpf";
 * in libbpf_log.c, which only the daemon links */
void log_route_libbpf(void);

#define log_error(...) log_msg(JP_LOG_ERROR, __VA_ARGS__)
#define log_warn(...) log_msg(JP_LOG_WARN, __VA_ARGS__)
#define log_info(...) log_msg(JP_LOG_INFO, __VA_ARGS__)
#define log_debug(...) log_msg(JP_LOG_DEBUG, __VA_ARGS__)

#endif
