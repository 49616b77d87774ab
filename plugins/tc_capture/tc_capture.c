// SPDX-License-Identifier: BSD-3-Clause
/* tc_capture plugin: not implemented yet. It loads, says so, and captures nothing. */
#include <errno.h>
#include <ja4probe/plugin.h>

static int tc_capture_init(const struct jp_host *host, const struct jp_config *config, void **state)
{
	(void)config;
	(void)state;
	host->log(host->ctx, JP_LOG_ERROR, "not implemented yet: this plugin captures nothing");
	return -ENOSYS;
}

static int tc_capture_start(void *state) { (void)state; return -ENOSYS; }
static void tc_capture_stop(void *state) { (void)state; }
static void tc_capture_destroy(void *state) { (void)state; }

static const struct jp_config_key tc_capture_keys[] = { { 0 } };

JP_PLUGIN_DEFINE(
	.name = "tc_capture",
	.version = "0.0.0",
	.description = "TCP SYN (JA4T), TLS ClientHello (JA4, JA3) and plain HTTP (JA4H) from TC (not implemented yet: captures nothing)",
	.config_keys = tc_capture_keys,
	.init = tc_capture_init, .start = tc_capture_start, .stop = tc_capture_stop, .destroy = tc_capture_destroy);
