// SPDX-License-Identifier: BSD-3-Clause
/* nginx plugin: not implemented yet. It loads, says so, and captures nothing. */
#include <errno.h>
#include <ja4probe/plugin.h>

static int nginx_init(const struct jp_host *host, const struct jp_config *config, void **state)
{
	(void)config;
	(void)state;
	host->log(host->ctx, JP_LOG_ERROR, "not implemented yet: this plugin captures nothing");
	return -ENOSYS;
}

static int nginx_start(void *state) { (void)state; return -ENOSYS; }
static void nginx_stop(void *state) { (void)state; }
static void nginx_destroy(void *state) { (void)state; }

static const struct jp_config_key nginx_keys[] = { { 0 } };

JP_PLUGIN_DEFINE(
	.name = "nginx",
	.version = "0.0.0",
	.description = "plaintext HTTP requests from nginx workers (not implemented yet: captures nothing)",
	.config_keys = nginx_keys,
	.init = nginx_init, .start = nginx_start, .stop = nginx_stop, .destroy = nginx_destroy);
