// SPDX-License-Identifier: BSD-3-Clause
/*
 * tc_capture plugin: TC programs copy the packets that open TCP connections and carry TLS
 * hellos or HTTP request heads, and QUIC client Initials, into a ring buffer; every record
 * goes, as a packet, through the shared decoder (the same path as --read-pcap), which emits
 * tcp_syn, tcp_syn_ack, tls_client_hello, tls_server_hello and http_request.
 *
 * open/load (init) -> attach + poll (start) -> detach (stop) -> destroy, libbpf-tools style.
 */
#include <errno.h>
#include <net/if.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <bpf/libbpf.h>
#include <ja4probe/fp_decode.h>
#include <ja4probe/plugin.h>

#include "pcpu_counters.h"
#include "rb_reader.h"
#include "tc_capture.h"
#include "tcap_attach.h"
#include "tcap_bpf.h"
#include "tcap_record.h"

#define TCAP_LOG(host, lvl, ...) (host)->log((host)->ctx, lvl, __VA_ARGS__)

struct tcap_state {
	const struct jp_host *host;
	struct tc_capture_bpf *skel;
	struct rb_reader reader;
	struct fp_decoder *dec;
	bool egress;
	uint64_t poll_ms;
	struct tcap_iface *ifaces;
	size_t n_ifaces;
	bool all;			/* interfaces: all; rescanned every rescan_s */
	uint64_t rescan_s;
	int rescan_id;
	uint64_t *counters[TCAP_CNT_MAX];
	uint64_t *lost, *errors;
	uint64_t lost_reported;
};

static int tcap_on_record(void *arg, void *data, size_t size)
{
	struct tcap_state *st = arg;
	struct tcap_packet pkt;
	struct timespec ts;

	if (tcap_record_packet(data, size, &pkt)) {
		(*st->errors)++;
		return 0;
	}
	rb_realtime(&st->reader, pkt.boot_ns, &ts);
	fp_decoder_packet(st->dec, &ts, pkt.dlt, pkt.data, pkt.caplen);
	return 0;
}

/* opt->ignore_src is malloc'd */
static int tcap_read_options(const struct jp_host *host, const struct jp_config *cfg,
			     struct tcap_options *opt, uint16_t *ports)
{
	int64_t kib = host->cfg_int(cfg, "ring_buffer_size");
	const char **ignore;
	size_t i;

	opt->n_ports = host->cfg_list_len(cfg, "ports");
	if (opt->n_ports > FP_DECODER_MAX_PORTS) {
		TCAP_LOG(host, JP_LOG_ERROR, "ports: %zu given, at most %d", opt->n_ports,
			 FP_DECODER_MAX_PORTS);
		return -EINVAL;
	}
	for (i = 0; i < opt->n_ports; i++)
		ports[i] = (uint16_t)host->cfg_list_int(cfg, "ports", i);
	opt->ports = ports;
	if (kib <= 0 || (kib & (kib - 1))) {
		TCAP_LOG(host, JP_LOG_ERROR, "ring_buffer_size: %lld KiB is not a power of two",
			 (long long)kib);
		return -EINVAL;
	}
	opt->ring_bytes = (uint32_t)kib * 1024;
	opt->n_ignore = host->cfg_list_len(cfg, "ignore_src");
	ignore = calloc(opt->n_ignore + 1, sizeof(*ignore));
	if (!ignore)
		return -ENOMEM;
	for (i = 0; i < opt->n_ignore; i++)
		ignore[i] = host->cfg_list_string(cfg, "ignore_src", i);
	opt->ignore_src = ignore;
	return 0;
}

static void tcap_destroy(void *state)
{
	struct tcap_state *st = state;

	if (!st)
		return;
	fp_decoder_free(st->dec);
	tc_capture_bpf__destroy(st->skel);
	free(st->ifaces);
	free(st);
}

static int tcap_init(const struct jp_host *host, const struct jp_config *cfg, void **state)
{
	uint16_t ports[FP_DECODER_MAX_PORTS];
	struct fp_decoder_config dcfg;
	struct tcap_options opt = { 0 };
	struct tcap_state *st;
	int ret, i;

	st = calloc(1, sizeof(*st));
	if (!st)
		return -ENOMEM;
	st->host = host;
	st->rescan_id = -1;
	st->egress = host->cfg_bool(cfg, "egress");
	st->poll_ms = (uint64_t)host->cfg_int(cfg, "poll_interval");
	st->rescan_s = (uint64_t)host->cfg_int(cfg, "rescan_interval");
	for (i = 0; i < TCAP_CNT_MAX; i++)
		st->counters[i] = host->counter(host->ctx, tcap_counter_names[i]);
	st->lost = host->counter(host->ctx, "lost");
	st->errors = host->counter(host->ctx, "errors");

	ret = tcap_ifaces_resolve(host, cfg, &st->ifaces, &st->n_ifaces, &st->all);
	if (ret)
		goto fail;
	ret = tcap_read_options(host, cfg, &opt, ports);
	if (ret)
		goto fail;
	ret = fp_decoder_config_from(host, cfg, &dcfg);
	if (ret)
		goto fail;
	st->dec = fp_decoder_new(host, &dcfg);
	if (!st->dec) {
		ret = -ENOMEM;
		goto fail;
	}
	ret = tcap_bpf_load(host, &opt, &st->skel);
	free((void *)opt.ignore_src);
	opt.ignore_src = NULL;
	if (ret)
		goto fail;
	*state = st;
	return 0;
fail:
	free((void *)opt.ignore_src);
	tcap_destroy(st);
	return ret;
}

static void tcap_stop(void *state)
{
	struct tcap_state *st = state;
	size_t i;

	if (st->rescan_id >= 0)
		st->host->remove_timer(st->host->ctx, st->rescan_id);
	st->rescan_id = -1;
	for (i = 0; i < st->n_ifaces; i++)
		tcap_detach(st->host, &st->ifaces[i]);
	/* after the filters went: what they captured is still delivered */
	rb_reader_stop(&st->reader);
	/* flows still waiting for bytes are counted now, in time for the last stats event */
	fp_decoder_flush(st->dec);
}

static int tcap_prog_fd(struct tcap_state *st, bool raw, bool egress)
{
	struct bpf_program *p;

	if (egress)
		p = raw ? st->skel->progs.tcap_egress_raw : st->skel->progs.tcap_egress;
	else
		p = raw ? st->skel->progs.tcap_ingress_raw : st->skel->progs.tcap_ingress;
	return bpf_program__fd(p);
}

static int tcap_attach_iface(struct tcap_state *st, struct tcap_iface *ifc)
{
	int ret = tcap_attach(st->host, ifc, tcap_prog_fd(st, ifc->raw, false),
			      st->egress ? tcap_prog_fd(st, ifc->raw, true) : -1);

	if (!ret)
		TCAP_LOG(st->host, JP_LOG_INFO, "%s: capturing ingress%s", ifc->name,
			 st->egress ? " and egress" : "");
	return ret;
}

static bool tcap_have_iface(const struct tcap_state *st, int ifindex)
{
	size_t i;

	for (i = 0; i < st->n_ifaces; i++)
		if (st->ifaces[i].ifindex == ifindex)
			return true;
	return false;
}

/* interfaces: all follows interfaces that come (containers, VPNs) and go */
static void tcap_on_rescan(void *arg)
{
	struct tcap_state *st = arg;
	struct tcap_iface *now, *grown;
	char name[IF_NAMESIZE];
	size_t i, n;

	for (i = 0; i < st->n_ifaces;) {
		if (if_indextoname((unsigned int)st->ifaces[i].ifindex, name)) {
			i++;
			continue;
		}
		TCAP_LOG(st->host, JP_LOG_INFO, "%s: gone", st->ifaces[i].name);
		st->ifaces[i] = st->ifaces[--st->n_ifaces];
	}
	if (tcap_ifaces_all(st->host, &now, &n))
		return;
	for (i = 0; i < n; i++) {
		if (tcap_have_iface(st, now[i].ifindex))
			continue;
		grown = realloc(st->ifaces, (st->n_ifaces + 1) * sizeof(*grown));
		if (!grown)
			break;
		st->ifaces = grown;
		st->ifaces[st->n_ifaces] = now[i];
		/* a failure is logged; the next rescan tries again */
		if (!tcap_attach_iface(st, &st->ifaces[st->n_ifaces]))
			st->n_ifaces++;
	}
	free(now);
}

static int tcap_start(void *state)
{
	struct tcap_state *st = state;
	const struct jp_host *host = st->host;
	size_t i;
	int ret;

	/* on failure the host calls tcap_stop(), which undoes whatever got attached */
	tcap_sweep_stale(host);
	ret = rb_reader_start(&st->reader, host, bpf_map__fd(st->skel->maps.tcap_events),
			      CLOCK_BOOTTIME, (unsigned int)st->poll_ms, tcap_on_record, st);
	if (ret)
		return ret;
	for (i = 0; i < st->n_ifaces; i++) {
		ret = tcap_attach_iface(st, &st->ifaces[i]);
		if (ret)
			return ret;
	}
	if (st->all && st->rescan_s) {
		ret = host->add_timer(host->ctx, st->rescan_s * 1000, tcap_on_rescan, st);
		if (ret < 0) {
			TCAP_LOG(host, JP_LOG_ERROR, "rescan timer: %s", strerror(-ret));
			return ret;
		}
		st->rescan_id = ret;
	}
	return 0;
}

static void tcap_collect_stats(void *state)
{
	struct tcap_state *st = state;
	uint64_t v[TCAP_CNT_MAX];
	int i;

	if (pcpu_counters_read(bpf_map__fd(st->skel->maps.tcap_counters), TCAP_CNT_MAX, v))
		return;
	for (i = 0; i < TCAP_CNT_MAX; i++)
		*st->counters[i] = v[i];
	/* a record the ring had no room for is an event lost */
	*st->lost += v[TCAP_CNT_LOST] - st->lost_reported;
	st->lost_reported = v[TCAP_CNT_LOST];
}

static const struct jp_config_key tcap_keys[] = {
	{ .name = "interfaces", .type = JP_CFG_STRING_LIST, .default_value = "[all]",
	  .description = "interfaces to capture on; `all`: every up interface but loopback "
			 "(`lo` only when named)" },
	{ .name = "egress", .type = JP_CFG_BOOL, .default_value = "false",
	  .description = "also capture outgoing SYN-ACKs and ServerHellos (JA4TS, JA4S)" },
	{ .name = "ports", .type = JP_CFG_INT_LIST, .default_value = "[80, 443, 8080, 8443]",
	  .description = "service ports (TCP; UDP for QUIC): connections to them are read; "
			 "[]: every port",
	  .min = 1, .max = 65535 },
	{ .name = "ignore_src", .type = JP_CFG_STRING_LIST, .default_value = "[]",
	  .description = "client addresses or CIDRs (IPv4, IPv6) whose connections are skipped" },
	{ .name = "ring_buffer_size", .type = JP_CFG_INT, .default_value = "4096",
	  .description = "KiB of the kernel-to-userspace ring buffer (a power of two)",
	  .min = 64, .max = 1048576 },
	{ .name = "rescan_interval", .type = JP_CFG_INT, .default_value = "5",
	  .description = "with `interfaces: all`, seconds between looks for interfaces that came "
			 "or went (0: never)",
	  .min = 0, .max = 3600 },
	{ .name = "poll_interval", .type = JP_CFG_INT, .default_value = "20",
	  .description = "milliseconds between ring buffer reads: the longest an event waits",
	  .min = 1, .max = 1000 },
	FP_DECODER_FLOW_KEYS,
	{ .name = NULL },
};

JP_PLUGIN_DEFINE(
	.name = "tc_capture",
	.version = "0.1.0",
	.description = "TCP SYN (JA4T), TLS and QUIC hellos (JA4, JA3, JA4S), plain HTTP (JA4H) "
		       "from TC",
	.config_keys = tcap_keys,
	.init = tcap_init,
	.start = tcap_start,
	.collect_stats = tcap_collect_stats,
	.stop = tcap_stop,
	.destroy = tcap_destroy);
