// SPDX-License-Identifier: BSD-3-Clause
/* json: one event per line (the JSON text + "\n") to stdout, a file or a unix stream socket. */
#include "sink_impl.h"

static const struct jp_config_key json_schema[] = {
	{ .name = "path", .type = JP_CFG_STRING, .default_value = "-",
	  .description = "\"-\" for stdout, a file (created 0640, reopened on SIGHUP), or "
			 "unix:///PATH for a unix stream socket" },
	SINK_KEY_QUEUE_SIZE,
	{ 0 }
};

static int json_frame(struct sink *s, struct sink_buf *out, const char *json, size_t len,
		      const struct timespec *ts)
{
	(void)s;
	(void)ts;
	int rc = sink_buf_append(out, json, len);

	return rc ? rc : sink_buf_append(out, "\n", 1);
}

const struct sink_type sink_type_json = {
	.name = "json",
	.schema = json_schema,
	.target_key = "path",
	.unix_kind = TARGET_UNIX_STREAM,
	.target_kinds = 1 << TARGET_STDOUT | 1 << TARGET_FILE | 1 << TARGET_UNIX_STREAM,
	.frame = json_frame,
};
