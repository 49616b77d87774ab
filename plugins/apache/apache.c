// SPDX-License-Identifier: BSD-3-Clause
/* apache plugin: not implemented yet. It loads, says so, and captures nothing. */
#include <errno.h>
#include <ja4probe/plugin.h>

static int apache_init(const struct jp_host *host, const struct jp_config *config, void **state)
{
	(void)config;
	(void)state;
	host->log(host->ctx, JP_LOG_ERROR, "not implemented yet: this plugin captures nothing");
	return -ENOSYS;
}

static int apache_start(void *state) { (void)state; return -ENOSYS; }
static void apache_stop(void *state) { (void)state; }
static void apache_destroy(void *state) { (void)state; }

static const struct jp_config_key apache_keys[] = { { 0 } };

JP_PLUGIN_DEFINE(
	.name = "apache",
	.version = "0.0.0",
	.description = "plaintext HTTP requests from Apache httpd children (not implemented yet: captures nothing)",
	.config_keys = apache_keys,
	.init = apache_init, .start = apache_start, .stop = apache_stop, .destroy = apache_destroy);
