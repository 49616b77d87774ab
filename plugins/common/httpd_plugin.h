/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The body shared by the HTTP server plugins (nginx, apache): each plugin is its BPF object
 * (bpf/<name>.bpf.c, which names the read syscalls its server uses) plus an httpd_ops naming
 * it; everything else is here:
 *   init   open the plugin's BPF object, size its maps from the config, load it, fill the
 *          process filter (comm / exe) and the capture config
 *   start  attach the process-following programs, watch the running server processes found
 *          in /proc, attach the syscall programs, consume the ring buffer on a timer (and on
 *          the forced wakeup BPF sends when the ring is a quarter full)
 *   records -> http_stream (lib/decode) -> http_request / http_response events
 *
 * A new server family: copy plugins/nginx/, change the names, the defaults and its .bpf.c.
 */
#ifndef JA4PROBE_HTTPD_PLUGIN_H
#define JA4PROBE_HTTPD_PLUGIN_H

#include <stddef.h>
#include <ja4probe/plugin.h>

struct httpd_ops {
	const char *server;				/* the events' "server" */
	const void *(*elf_bytes)(size_t *size);		/* the skeleton's <name>_bpf__elf_bytes */
};

int httpd_init(const struct httpd_ops *ops, const struct jp_host *host,
	       const struct jp_config *config, void **state);
int httpd_start(void *state);
void httpd_collect_stats(void *state);
void httpd_stop(void *state);
void httpd_destroy(void *state);

/* The config keys every server plugin has; comm_default / exe_default are YAML lists. */
#define HTTPD_CONFIG_KEYS(comm_default, exe_default)                                        \
	{ .name = "comm", .type = JP_CFG_STRING_LIST, .default_value = comm_default,        \
	  .description = "process names (comm) of the server: they and their children are "  \
			 "watched" },                                                          \
	{ .name = "exe", .type = JP_CFG_STRING_LIST, .default_value = exe_default,          \
	  .description = "executable paths of the server (matched by inode and by path)" },   \
	{ .name = "capture_bytes", .type = JP_CFG_INT, .default_value = "8192",             \
	  .description = "bytes of one read copied from the kernel at most (Apache reads "    \
			 "8000 at a time)", .min = 64, .max = 16384 },                         \
	{ .name = "max_head", .type = JP_CFG_INT, .default_value = "16384",                 \
	  .description = "bytes of a request head reassembled over several reads at most",    \
	  .min = 256, .max = 16384 },                                                         \
	{ .name = "max_connections", .type = JP_CFG_INT, .default_value = "65536",          \
	  .description = "connections whose state is kept at once (least recent dropped)",    \
	  .min = 16, .max = 4194304 },                                                        \
	{ .name = "capture_responses", .type = JP_CFG_BOOL, .default_value = "false",       \
	  .description = "hook write/writev too: http_response events with the status and "   \
			 "the latency" },                                                      \
	{ .name = "http_raw", .type = JP_CFG_BOOL, .default_value = "false",                \
	  .description = "add ja4h_r and ja4h_ro (they carry cookie values)" },                \
	{ .name = "ring_buffer_kb", .type = JP_CFG_INT, .default_value = "4096",            \
	  .description = "KiB of the kernel-to-userspace ring buffer (rounded up to a power " \
			 "of two)", .min = 64, .max = 1048576 },                               \
	{ .name = "poll_interval_ms", .type = JP_CFG_INT, .default_value = "20",            \
	  .description = "how often the ring buffer is read (no wakeup per event)",           \
	  .min = 1, .max = 1000 }

/* The descriptor of a server plugin named name, with its ops and key table. */
#define HTTPD_PLUGIN_DEFINE(pname, pops, pkeys, pdescription)                               \
	static int httpd_plugin_init(const struct jp_host *host,                             \
				     const struct jp_config *config, void **state)          \
	{                                                                                    \
		return httpd_init(&(pops), host, config, state);                             \
	}                                                                                    \
	JP_PLUGIN_DEFINE(.name = pname, .version = "1.0.0", .description = pdescription,     \
			 .config_keys = pkeys, .init = httpd_plugin_init,                    \
			 .start = httpd_start, .collect_stats = httpd_collect_stats,         \
			 .stop = httpd_stop, .destroy = httpd_destroy)

#endif /* JA4PROBE_HTTPD_PLUGIN_H */
