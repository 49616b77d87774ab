// SPDX-License-Identifier: BSD-3-Clause
/* tc_capture: the BPF object's load-time settings and filter maps. */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/types.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "tc_capture.h"
#include "tcap_bpf.h"

#define TCAP_LOG(host, lvl, ...) (host)->log((host)->ctx, lvl, __VA_ARGS__)

const char *const tcap_counter_names[TCAP_CNT_MAX] = {
	[TCAP_CNT_PACKETS] = "tc_packets",
	[TCAP_CNT_IPV4] = "tc_ipv4",
	[TCAP_CNT_IPV6] = "tc_ipv6",
	[TCAP_CNT_TCP] = "tc_tcp",
	[TCAP_CNT_SYN] = "tc_syn",
	[TCAP_CNT_SYN_ACK] = "tc_syn_ack",
	[TCAP_CNT_TLS] = "tc_tls",
	[TCAP_CNT_HTTP] = "tc_http",
	[TCAP_CNT_SUBMITTED] = "tc_submitted",
	[TCAP_CNT_LOST] = "tc_lost",
	[TCAP_CNT_TRUNCATED] = "tc_truncated",
	[TCAP_CNT_IGNORED_SRC] = "tc_ignored_src",
	[TCAP_CNT_IGNORED_PORT] = "tc_ignored_port",
	[TCAP_CNT_MALFORMED] = "tc_malformed",
	[TCAP_CNT_QUIC] = "tc_quic",
	[TCAP_CNT_FLOW_FULL] = "tc_flow_full",
};

/* "192.0.2.0/24", "2001:db8::/32", or a single address; IPv4 as IPv4-mapped IPv6 */
static int tcap_parse_cidr(const char *text, struct tcap_lpm_key *key)
{
	char addr[INET6_ADDRSTRLEN + 1];
	const char *slash = strchr(text, '/');
	size_t alen = slash ? (size_t)(slash - text) : strlen(text);
	unsigned long plen;
	struct in_addr v4;
	char *end;
	int max;

	if (alen == 0 || alen >= sizeof(addr))
		return -EINVAL;
	memcpy(addr, text, alen);
	addr[alen] = '\0';
	memset(key, 0, sizeof(*key));
	if (inet_pton(AF_INET, addr, &v4) == 1) {
		key->addr[10] = 0xff;
		key->addr[11] = 0xff;
		memcpy(key->addr + 12, &v4, 4);
		max = 32;
	} else if (inet_pton(AF_INET6, addr, key->addr) == 1) {
		max = 128;
	} else {
		return -EINVAL;
	}
	plen = (unsigned long)max;
	if (slash) {
		errno = 0;
		plen = strtoul(slash + 1, &end, 10);
		if (errno || end == slash + 1 || *end || plen > (unsigned long)max)
			return -EINVAL;
	}
	key->prefixlen = (__u32)plen + (max == 32 ? 96 : 0);
	return 0;
}

static int tcap_fill_maps(const struct jp_host *host, const struct tcap_options *opt,
			  struct tc_capture_bpf *skel)
{
	int ports_fd = bpf_map__fd(skel->maps.tcap_ports);
	int ignore_fd = bpf_map__fd(skel->maps.tcap_ignore);
	__u8 on = 1;
	size_t i;

	for (i = 0; i < opt->n_ports; i++) {
		__u32 port = opt->ports[i];

		if (bpf_map_update_elem(ports_fd, &port, &on, BPF_ANY)) {
			int ret = -errno;

			TCAP_LOG(host, JP_LOG_ERROR, "ports: adding %u: %s", port, strerror(-ret));
			return ret;
		}
	}
	for (i = 0; i < opt->n_ignore; i++) {
		struct tcap_lpm_key key;

		if (tcap_parse_cidr(opt->ignore_src[i], &key)) {
			TCAP_LOG(host, JP_LOG_ERROR, "ignore_src: `%s` is not an address or CIDR",
				 opt->ignore_src[i]);
			return -EINVAL;
		}
		if (bpf_map_update_elem(ignore_fd, &key, &on, BPF_ANY)) {
			int ret = -errno;

			TCAP_LOG(host, JP_LOG_ERROR, "ignore_src: adding %s: %s",
				 opt->ignore_src[i], strerror(-ret));
			return ret;
		}
	}
	return 0;
}

int tcap_bpf_load(const struct jp_host *host, const struct tcap_options *opt,
		  struct tc_capture_bpf **out)
{
	struct tc_capture_bpf *skel;
	int ret;

	*out = NULL;
	if (opt->n_ignore > TCAP_MAX_IGNORE) {
		TCAP_LOG(host, JP_LOG_ERROR, "ignore_src: %zu entries, at most %d", opt->n_ignore,
			 TCAP_MAX_IGNORE);
		return -E2BIG;
	}
	skel = tc_capture_bpf__open();
	if (!skel) {
		ret = -errno;
		TCAP_LOG(host, JP_LOG_ERROR, "opening the BPF object: %s", strerror(errno));
		return ret;
	}
	skel->rodata->tcap_all_ports = opt->n_ports == 0;
	skel->rodata->tcap_have_ignore = opt->n_ignore > 0;
	/* wake the reader only when a burst fills a quarter of the ring before its next poll */
	skel->rodata->tcap_wakeup_shift = (__u32)__builtin_ctz(opt->ring_bytes / 4);
	ret = bpf_map__set_max_entries(skel->maps.tcap_events, opt->ring_bytes);
	if (ret) {
		TCAP_LOG(host, JP_LOG_ERROR, "ring_buffer_size %u: %s", opt->ring_bytes,
			 strerror(-ret));
		goto fail;
	}
	ret = tc_capture_bpf__load(skel);
	if (ret) {
		TCAP_LOG(host, JP_LOG_ERROR, "loading the BPF programs: %s", strerror(-ret));
		goto fail;
	}
	ret = tcap_fill_maps(host, opt, skel);
	if (ret)
		goto fail;
	*out = skel;
	return 0;
fail:
	tc_capture_bpf__destroy(skel);
	return ret;
}
