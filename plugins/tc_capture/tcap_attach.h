/* SPDX-License-Identifier: BSD-3-Clause */
/* tc_capture: which interfaces, and our TC filters on them (attach, detach, stale sweep). */
#ifndef TCAP_ATTACH_H
#define TCAP_ATTACH_H

#include <net/if.h>
#include <stdbool.h>
#include <stddef.h>

#include <ja4probe/plugin.h>

/*
 * Our filters carry this handle and priority on every hook, so a restart recognises (and
 * replaces or removes) the ones a killed instance left behind.
 */
#define TCAP_TC_HANDLE 0x4a34
#define TCAP_TC_PRIORITY 0x4a34

struct tcap_iface {
	int ifindex;
	char name[IF_NAMESIZE];
	bool raw;		/* no link-layer header: the _raw programs */
	bool created_qdisc;	/* clsact was ours to create, so ours to remove */
	bool ingress_on, egress_on;
};

/*
 * The interfaces named in `interfaces:` ("all", the default: every up, non-loopback
 * interface; "lo" only when named); *all says which. *out is malloc'd.
 */
int tcap_ifaces_resolve(const struct jp_host *host, const struct jp_config *cfg,
			struct tcap_iface **out, size_t *n, bool *all);

/* Every up, non-loopback interface now (none is not an error). *out is malloc'd. */
int tcap_ifaces_all(const struct jp_host *host, struct tcap_iface **out, size_t *n);

/* Remove filters of ours from every interface (left by an instance killed with SIGKILL). */
void tcap_sweep_stale(const struct jp_host *host);

/* egress_fd < 0: ingress only */
int tcap_attach(const struct jp_host *host, struct tcap_iface *ifc, int ingress_fd, int egress_fd);

/* Detach what tcap_attach attached; remove clsact when we created it and it is now empty. */
void tcap_detach(const struct jp_host *host, struct tcap_iface *ifc);

#endif /* TCAP_ATTACH_H */
