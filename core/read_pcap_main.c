// SPDX-License-Identifier: BSD-3-Clause
/* `ja4probe --read-pcap`: the daemon's outputs and stats around read_pcap_run() (read_pcap.h). */
#include <fcntl.h>
#include <unistd.h>

#include "config.h"
#include "host.h"
#include "loop.h"
#include "read_pcap.h"
#include "sinks/sink.h"

/* The stats event of the daemon (see main.c), with the reader as its one source. */
static void read_pcap_stats(struct host *host, struct jp_plugin_ctx *ctx)
{
	struct jp_event *ev = host_event_new(ctx, "stats", NULL);

	if (!ev)
		return;
	host_event_set_json(ev, "stats", json_pack("{s:{s:o}, s:o}", "plugins", ctx->name,
						   host_ctx_stats(ctx), "sinks",
						   sinks_stats(host->sinks)));
	host_event_emit(ev);
}

int read_pcap_main(struct host *host, const struct cfg *cfg, const char *path)
{
	struct jp_plugin_ctx ctx = { 0 };
	struct jp_config *keys = NULL;
	struct fp_decoder_config dcfg;
	int rc = 2;

	if (cfg_section_validate(cfg, cfg->read_pcap, "read_pcap", fp_decoder_config_keys, &keys))
		return rc;
	rc = 1;
	if (loop_new(&host->loop) || sinks_open(cfg, host->loop, &host->sinks) ||
	    host_ctx_init(&ctx, host, "read_pcap"))
		goto out;
	/*
	 * The sinks make stdout non-blocking so that the daemon's loop never waits. Reading a file
	 * nothing else waits for: a slow reader of stdout (| jq) should slow the reading down,
	 * not fill the output queue until events are dropped.
	 */
	int fl = fcntl(STDOUT_FILENO, F_GETFL);

	if (fl >= 0)
		fcntl(STDOUT_FILENO, F_SETFL, fl & ~O_NONBLOCK);
	if (fp_decoder_config_from(&ctx.services, keys, &dcfg)) {
		rc = 2;
		goto out;
	}
	rc = read_pcap_run(path, &ctx.services, &dcfg) ? 1 : 0;
	read_pcap_stats(host, &ctx);
out:
	if (ctx.name)
		host_ctx_free(&ctx);
	cfg_config_free(keys);
	return rc;
}
