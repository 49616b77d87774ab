// SPDX-License-Identifier: BSD-3-Clause
/* nginx plugin: plaintext HTTP requests as nginx workers read them (bpf/nginx.bpf.c); the
 * body is shared with the other server plugins (plugins/common/httpd_plugin.c). */
#include "../common/httpd_plugin.h"
#include "nginx.skel.h"

static const struct httpd_ops nginx_ops = {
	.server = "nginx",
	.elf_bytes = nginx_bpf__elf_bytes,
};

static const struct jp_config_key nginx_keys[] = {
	HTTPD_CONFIG_KEYS("[nginx]", "[/usr/sbin/nginx]"),
	{ .name = NULL },
};

HTTPD_PLUGIN_DEFINE("nginx", nginx_ops, nginx_keys,
		    "plaintext HTTP requests read by nginx workers (syscall tracepoints)");
