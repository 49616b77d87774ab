// SPDX-License-Identifier: BSD-3-Clause
/* apache plugin: plaintext HTTP requests as Apache httpd children read them
 * (bpf/apache.bpf.c); the body is shared with the other server plugins
 * (plugins/common/httpd_plugin.c). */
#include "../common/httpd_plugin.h"
#include "apache.skel.h"

static const struct httpd_ops apache_ops = {
	.server = "apache",
	.elf_bytes = apache_bpf__elf_bytes,
};

static const struct jp_config_key apache_keys[] = {
	HTTPD_CONFIG_KEYS("[apache2, httpd]", "[/usr/sbin/apache2]"),
	{ .name = NULL },
};

HTTPD_PLUGIN_DEFINE("apache", apache_ops, apache_keys,
		    "plaintext HTTP requests read by Apache httpd children (syscall tracepoints)");
