// SPDX-License-Identifier: BSD-3-Clause
#include <errno.h>
#include <linux/capability.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "log.h"
#include "preflight.h"

#define TRACEFS "/sys/kernel/tracing"

static bool has_capability(const struct __user_cap_data_struct data[2], int cap)
{
	return data[cap / 32].effective & (1u << (cap % 32));
}

static int check_privileges(void)
{
	struct __user_cap_header_struct header = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct data[2] = { 0 };
	static const struct {
		int cap;
		const char *name;
	} needed[] = {
		{ CAP_BPF, "CAP_BPF" },
		{ CAP_PERFMON, "CAP_PERFMON" },
		{ CAP_NET_ADMIN, "CAP_NET_ADMIN" },
	};

	if (syscall(SYS_capget, &header, data) < 0) {
		int err = -errno;

		log_error("capget: %s", strerror(-err));
		return err;
	}
	if (has_capability(data, CAP_SYS_ADMIN))
		return 0;
	for (size_t i = 0; i < sizeof(needed) / sizeof(needed[0]); i++) {
		if (!has_capability(data, needed[i].cap)) {
			log_error("missing privilege %s: run ja4probe as root, or grant it "
				  "CAP_BPF, CAP_PERFMON and CAP_NET_ADMIN "
				  "(e.g. AmbientCapabilities= in the systemd unit)",
				  needed[i].name);
			return -EPERM;
		}
	}
	return 0;
}

static int check_btf(void)
{
	if (access("/sys/kernel/btf/vmlinux", R_OK) == 0)
		return 0;
	log_error("no kernel BTF at /sys/kernel/btf/vmlinux: ja4probe needs a kernel built with "
		  "CONFIG_DEBUG_INFO_BTF=y (Debian's kernels have it)");
	return -ENOENT;
}

static int check_tracefs(void)
{
	struct stat st;

	if (stat(TRACEFS "/events", &st) == 0)
		return 0;
	if (stat("/sys/kernel/debug/tracing/events", &st) == 0)
		return 0;	/* libbpf falls back to the debugfs copy */
	if (mount("tracefs", TRACEFS, "tracefs", 0, NULL) == 0) {
		log_info("mounted tracefs at " TRACEFS);
		return 0;
	}
	int err = errno;

	/* uprobes and tracepoints attach through perf events, which do not need tracefs; only
	 * the tracepoint ids are read from it. Say what is missing without failing the start. */
	log_warn("tracefs is not mounted and mounting it failed (%s): run "
		 "'mount -t tracefs tracefs " TRACEFS "' as root; plugins that use tracepoints "
		 "will fail to attach",
		 strerror(err));
	return 0;
}

int preflight_check(void)
{
	int err = check_privileges();

	if (!err)
		err = check_btf();
	if (!err)
		err = check_tracefs();
	return err;
}
