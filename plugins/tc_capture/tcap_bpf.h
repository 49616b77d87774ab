/* SPDX-License-Identifier: BSD-3-Clause */
/* tc_capture: open, configure and load the BPF object; shared by the plugin and its tests. */
#ifndef TCAP_BPF_H
#define TCAP_BPF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <ja4probe/plugin.h>

#include "tc_capture.skel.h"

#define TCAP_MAX_IGNORE 4096	/* entries of the tcap_ignore LPM trie */

struct tcap_options {
	const uint16_t *ports;		/* service ports; n_ports == 0: every port */
	size_t n_ports;
	const char *const *ignore_src;	/* CIDRs or addresses, IPv4 or IPv6 */
	size_t n_ignore;
	uint32_t ring_bytes;		/* a power of two, at least one page */
};

/* Open, size, load and fill the maps. The skeleton is destroyed on failure. */
int tcap_bpf_load(const struct jp_host *host, const struct tcap_options *opt,
		  struct tc_capture_bpf **out);

/* Counter names for the stats event, indexed by enum tcap_counter. */
extern const char *const tcap_counter_names[];

#endif /* TCAP_BPF_H */
