// SPDX-License-Identifier: BSD-3-Clause
/* ssl_uprobe plugin: not implemented yet. It loads, says so, and captures nothing. */
#include <errno.h>
#include <ja4probe/plugin.h>

static int ssl_uprobe_init(const struct jp_host *host, const struct jp_config *config, void **state)
{
	(void)config;
	(void)state;
	host->log(host->ctx, JP_LOG_ERROR, "not implemented yet: this plugin captures nothing");
	return -ENOSYS;
}

static int ssl_uprobe_start(void *state) { (void)state; return -ENOSYS; }
static void ssl_uprobe_stop(void *state) { (void)state; }
static void ssl_uprobe_destroy(void *state) { (void)state; }

static const struct jp_config_key ssl_uprobe_keys[] = { { 0 } };

JP_PLUGIN_DEFINE(
	.name = "ssl_uprobe",
	.version = "0.0.0",
	.description = "decrypted HTTP requests from OpenSSL uprobes (not implemented yet: captures nothing)",
	.config_keys = ssl_uprobe_keys,
	.init = ssl_uprobe_init, .start = ssl_uprobe_start, .stop = ssl_uprobe_stop, .destroy = ssl_uprobe_destroy);
