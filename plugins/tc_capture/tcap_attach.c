// SPDX-License-Identifier: BSD-3-Clause
/* tc_capture: interfaces and TC filters. */
#include <errno.h>
#include <net/if_arp.h>
#include <linux/netlink.h>
#include <linux/pkt_sched.h>
#include <linux/rtnetlink.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <bpf/libbpf.h>

#include "tcap_attach.h"

#define TCAP_LOG(host, lvl, ...) (host)->log((host)->ctx, lvl, __VA_ARGS__)

/* Ethernet-framed (data starts at the MAC header), raw IP, or a link we do not parse */
static int tcap_link_kind(int sock, const char *name, bool *raw)
{
	struct ifreq ifr = { 0 };

	strncpy(ifr.ifr_name, name, IF_NAMESIZE - 1);
	if (ioctl(sock, SIOCGIFHWADDR, &ifr) < 0)
		return -errno;
	switch (ifr.ifr_hwaddr.sa_family) {
	case ARPHRD_ETHER:
	case ARPHRD_LOOPBACK:	/* carries a zeroed Ethernet header */
		*raw = false;
		return 0;
	case ARPHRD_NONE:	/* tun, WireGuard */
	case ARPHRD_RAWIP:
	case ARPHRD_PPP:
	case ARPHRD_TUNNEL:
	case ARPHRD_TUNNEL6:
	case ARPHRD_SIT:
	case ARPHRD_IPGRE:
		*raw = true;
		return 0;
	default:
		return -EPROTONOSUPPORT;
	}
}

static int tcap_iface_add(const struct jp_host *host, int sock, const char *name, bool named,
			  struct tcap_iface *out, size_t *n)
{
	struct tcap_iface *ifc = &out[*n];
	int ret;

	memset(ifc, 0, sizeof(*ifc));
	ifc->ifindex = (int)if_nametoindex(name);
	if (!ifc->ifindex) {
		TCAP_LOG(host, JP_LOG_ERROR, "interfaces: %s: no such interface", name);
		return -ENODEV;
	}
	ret = tcap_link_kind(sock, name, &ifc->raw);
	if (ret) {
		/* a named interface must work; `all` just passes over what it cannot read */
		TCAP_LOG(host, named ? JP_LOG_ERROR : JP_LOG_INFO,
			 "interfaces: %s: link type not supported (%s)", name, strerror(-ret));
		return named ? ret : 0;
	}
	strncpy(ifc->name, name, IF_NAMESIZE - 1);
	(*n)++;
	return 0;
}

static bool tcap_iface_wanted_by_all(int sock, const char *name)
{
	struct ifreq ifr = { 0 };

	strncpy(ifr.ifr_name, name, IF_NAMESIZE - 1);
	if (ioctl(sock, SIOCGIFFLAGS, &ifr) < 0)
		return false;
	return (ifr.ifr_flags & IFF_UP) && !(ifr.ifr_flags & IFF_LOOPBACK);
}

int tcap_ifaces_all(const struct jp_host *host, struct tcap_iface **out, size_t *n)
{
	struct if_nameindex *sys;
	size_t i, n_sys = 0;
	int sock, ret = 0;

	*out = NULL;
	*n = 0;
	sock = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (sock < 0) {
		ret = -errno;
		TCAP_LOG(host, JP_LOG_ERROR, "interfaces: socket: %s", strerror(errno));
		return ret;
	}
	sys = if_nameindex();
	if (!sys) {
		ret = -errno;
		TCAP_LOG(host, JP_LOG_ERROR, "interfaces: if_nameindex: %s", strerror(errno));
		close(sock);
		return ret;
	}
	while (sys[n_sys].if_index)
		n_sys++;
	*out = calloc(n_sys + 1, sizeof(**out));
	if (!*out)
		ret = -ENOMEM;
	for (i = 0; i < n_sys && !ret; i++)
		if (tcap_iface_wanted_by_all(sock, sys[i].if_name))
			ret = tcap_iface_add(host, sock, sys[i].if_name, false, *out, n);
	if_freenameindex(sys);
	close(sock);
	if (ret) {
		free(*out);
		*out = NULL;
		*n = 0;
	}
	return ret;
}

int tcap_ifaces_resolve(const struct jp_host *host, const struct jp_config *cfg,
			struct tcap_iface **out, size_t *n, bool *all)
{
	size_t i, n_cfg = host->cfg_list_len(cfg, "interfaces");
	int sock, ret = 0;

	*out = NULL;
	*n = 0;
	*all = !n_cfg;
	for (i = 0; i < n_cfg; i++)
		*all |= !strcmp(host->cfg_list_string(cfg, "interfaces", i), "all");
	if (*all && n_cfg > 1) {
		TCAP_LOG(host, JP_LOG_ERROR, "interfaces: `all` cannot be combined with names");
		return -EINVAL;
	}
	if (*all) {
		ret = tcap_ifaces_all(host, out, n);
		if (!ret && !*n) {
			TCAP_LOG(host, JP_LOG_ERROR, "interfaces: no interface to capture on");
			free(*out);
			*out = NULL;
			ret = -ENODEV;
		}
		return ret;
	}
	sock = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (sock < 0) {
		ret = -errno;
		TCAP_LOG(host, JP_LOG_ERROR, "interfaces: socket: %s", strerror(errno));
		return ret;
	}
	*out = calloc(n_cfg, sizeof(**out));
	if (!*out)
		ret = -ENOMEM;
	for (i = 0; i < n_cfg && !ret; i++)
		ret = tcap_iface_add(host, sock, host->cfg_list_string(cfg, "interfaces", i), true,
				     *out, n);
	close(sock);
	if (ret) {
		free(*out);
		*out = NULL;
		*n = 0;
	}
	return ret;
}

static void tcap_hook_init(struct bpf_tc_hook *hook, int ifindex, enum bpf_tc_attach_point point)
{
	memset(hook, 0, sizeof(*hook));
	hook->sz = sizeof(*hook);
	hook->ifindex = ifindex;
	hook->attach_point = point;
}

static int tcap_filter_detach(int ifindex, enum bpf_tc_attach_point point)
{
	struct bpf_tc_hook hook;
	LIBBPF_OPTS(bpf_tc_opts, opts, .handle = TCAP_TC_HANDLE, .priority = TCAP_TC_PRIORITY);

	tcap_hook_init(&hook, ifindex, point);
	return bpf_tc_detach(&hook, &opts);
}

/*
 * Count the tcmsg replies of an rtnetlink dump (RTM_GETTFILTER, RTM_GETQDISC); with `match`,
 * only those of this ifindex and parent (a qdisc dump lists every device).
 * Returns the count, or a negative errno.
 */
static int tcap_nl_count(__u16 type, int ifindex, __u32 parent, bool match)
{
	struct {
		struct nlmsghdr nh;
		struct tcmsg tc;
	} req = {
		.nh = { .nlmsg_len = sizeof(req), .nlmsg_type = type,
			.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP, .nlmsg_seq = 1 },
		.tc = { .tcm_family = AF_UNSPEC, .tcm_ifindex = ifindex, .tcm_parent = parent },
	};
	char buf[16384];
	int sock, count = 0, ret = 0;
	bool done = false;

	sock = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	if (sock < 0)
		return -errno;
	if (send(sock, &req, sizeof(req), 0) < 0) {
		ret = -errno;
		goto out;
	}
	while (!done) {
		ssize_t len = recv(sock, buf, sizeof(buf), 0);
		struct nlmsghdr *nh;

		if (len < 0) {
			ret = -errno;
			goto out;
		}
		for (nh = (struct nlmsghdr *)buf; NLMSG_OK(nh, (size_t)len);
		     nh = NLMSG_NEXT(nh, len)) {
			if (nh->nlmsg_type == NLMSG_DONE) {
				done = true;
				break;
			}
			if (nh->nlmsg_type == NLMSG_ERROR) {
				struct nlmsgerr *e = NLMSG_DATA(nh);

				ret = nh->nlmsg_len >= NLMSG_LENGTH(sizeof(*e)) ? e->error : -EIO;
				goto out;
			}
			/* RTM_GETx is answered with RTM_NEWx */
			if (nh->nlmsg_type == type - 2 &&
			    nh->nlmsg_len >= NLMSG_LENGTH(sizeof(struct tcmsg))) {
				const struct tcmsg *tc = NLMSG_DATA(nh);

				count += !match || (tc->tcm_ifindex == ifindex &&
						    tc->tcm_parent == parent);
			}
		}
	}
out:
	close(sock);
	return ret ? ret : count;
}

/* filters on one clsact hook (libbpf queries one handle/priority only) */
static int tcap_count_filters(int ifindex, __u32 parent)
{
	return tcap_nl_count(RTM_GETTFILTER, ifindex, parent, false);
}

/* clsact (or ingress) present: asking first keeps libbpf's EEXIST/ENOENT noise out of the log */
static bool tcap_has_clsact(int ifindex)
{
	return tcap_nl_count(RTM_GETQDISC, ifindex, TC_H_CLSACT, true) > 0;
}

void tcap_sweep_stale(const struct jp_host *host)
{
	enum bpf_tc_attach_point points[] = { BPF_TC_INGRESS, BPF_TC_EGRESS };
	__u32 parents[] = { TC_H_MAKE(TC_H_CLSACT, TC_H_MIN_INGRESS),
			    TC_H_MAKE(TC_H_CLSACT, TC_H_MIN_EGRESS) };
	struct if_nameindex *sys = if_nameindex();
	size_t i, p;

	if (!sys)
		return;
	for (i = 0; sys[i].if_index; i++) {
		for (p = 0; p < 2; p++) {
			struct bpf_tc_hook hook;
			LIBBPF_OPTS(bpf_tc_opts, q, .handle = TCAP_TC_HANDLE,
				    .priority = TCAP_TC_PRIORITY);

			if (!tcap_has_clsact((int)sys[i].if_index) ||
			    tcap_count_filters((int)sys[i].if_index, parents[p]) <= 0)
				continue;
			tcap_hook_init(&hook, (int)sys[i].if_index, points[p]);
			if (bpf_tc_query(&hook, &q))
				continue;	/* no clsact, or no filter of ours */
			if (!tcap_filter_detach((int)sys[i].if_index, points[p]))
				TCAP_LOG(host, JP_LOG_INFO,
					 "%s: removed a stale %s filter (prog id %u)",
					 sys[i].if_name,
					 points[p] == BPF_TC_INGRESS ? "ingress" : "egress",
					 q.prog_id);
		}
	}
	if_freenameindex(sys);
}

static int tcap_filter_attach(const struct jp_host *host, const struct tcap_iface *ifc,
			      enum bpf_tc_attach_point point, int prog_fd)
{
	struct bpf_tc_hook hook;
	/* REPLACE: a filter of ours a killed instance left here gives way to this one */
	LIBBPF_OPTS(bpf_tc_opts, opts, .prog_fd = prog_fd, .flags = BPF_TC_F_REPLACE,
		    .handle = TCAP_TC_HANDLE, .priority = TCAP_TC_PRIORITY);
	int ret;

	tcap_hook_init(&hook, ifc->ifindex, point);
	ret = bpf_tc_attach(&hook, &opts);
	if (ret)
		TCAP_LOG(host, JP_LOG_ERROR, "%s: attaching the %s filter: %s", ifc->name,
			 point == BPF_TC_INGRESS ? "ingress" : "egress", strerror(-ret));
	return ret;
}

int tcap_attach(const struct jp_host *host, struct tcap_iface *ifc, int ingress_fd, int egress_fd)
{
	struct bpf_tc_hook hook;
	int ret;

	ifc->created_qdisc = false;
	if (!tcap_has_clsact(ifc->ifindex)) {
		tcap_hook_init(&hook, ifc->ifindex, BPF_TC_INGRESS);
		ret = bpf_tc_hook_create(&hook);
		if (ret && ret != -EEXIST) {
			TCAP_LOG(host, JP_LOG_ERROR, "%s: creating the clsact qdisc: %s", ifc->name,
				 strerror(-ret));
			return ret;
		}
		ifc->created_qdisc = !ret;
	}
	ret = tcap_filter_attach(host, ifc, BPF_TC_INGRESS, ingress_fd);
	if (ret)
		goto fail;
	ifc->ingress_on = true;
	if (egress_fd >= 0) {
		ret = tcap_filter_attach(host, ifc, BPF_TC_EGRESS, egress_fd);
		if (ret)
			goto fail;
		ifc->egress_on = true;
	}
	return 0;
fail:
	tcap_detach(host, ifc);
	return ret;
}

void tcap_detach(const struct jp_host *host, struct tcap_iface *ifc)
{
	struct bpf_tc_hook hook;
	int in, eg, ret;

	if (ifc->ingress_on && (ret = tcap_filter_detach(ifc->ifindex, BPF_TC_INGRESS)))
		TCAP_LOG(host, JP_LOG_WARN, "%s: detaching the ingress filter: %s", ifc->name,
			 strerror(-ret));
	if (ifc->egress_on && (ret = tcap_filter_detach(ifc->ifindex, BPF_TC_EGRESS)))
		TCAP_LOG(host, JP_LOG_WARN, "%s: detaching the egress filter: %s", ifc->name,
			 strerror(-ret));
	ifc->ingress_on = ifc->egress_on = false;
	if (!ifc->created_qdisc)
		return;
	ifc->created_qdisc = false;
	/* someone else may have put filters on our clsact meanwhile: then it stays */
	in = tcap_count_filters(ifc->ifindex, TC_H_MAKE(TC_H_CLSACT, TC_H_MIN_INGRESS));
	eg = tcap_count_filters(ifc->ifindex, TC_H_MAKE(TC_H_CLSACT, TC_H_MIN_EGRESS));
	if (in != 0 || eg != 0) {
		TCAP_LOG(host, JP_LOG_INFO, "%s: clsact kept (%s)", ifc->name,
			 in < 0 || eg < 0 ? "filters could not be listed" : "other filters use it");
		return;
	}
	tcap_hook_init(&hook, ifc->ifindex, BPF_TC_INGRESS | BPF_TC_EGRESS);
	ret = bpf_tc_hook_destroy(&hook);
	if (ret && ret != -ENOENT)
		TCAP_LOG(host, JP_LOG_WARN, "%s: removing the clsact qdisc: %s", ifc->name,
			 strerror(-ret));
}
