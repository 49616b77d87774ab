// SPDX-License-Identifier: BSD-3-Clause
/* The decoder's configuration keys, shared by the offline reader and the capture plugins. */
#include <errno.h>
#include <string.h>

#include <ja4probe/fp_decode.h>

const struct jp_config_key fp_decoder_config_keys[] = {
	FP_DECODER_CONFIG_KEYS,
	{ .name = NULL },
};

void fp_decoder_config_default(struct fp_decoder_config *out)
{
	/* keep in step with the default_value texts of FP_DECODER_CONFIG_KEYS */
	*out = (struct fp_decoder_config){
		.max_flows = 65536,
		.flow_bytes = 16384,
		.flow_timeout_s = 120,
		.buffer_mib = 64,
		.midstream = true,
	};
}

int fp_decoder_config_from(const struct jp_host *host, const struct jp_config *c,
			   struct fp_decoder_config *out)
{
	size_t i, n;

	fp_decoder_config_default(out);
	if (!c)
		return 0;
	/* the host validated types and ranges against FP_DECODER_CONFIG_KEYS */
	out->max_flows = (uint32_t)host->cfg_int(c, "max_flows");
	out->flow_bytes = (uint32_t)host->cfg_int(c, "flow_bytes");
	out->flow_timeout_s = (uint32_t)host->cfg_int(c, "flow_timeout");
	out->buffer_mib = (uint32_t)host->cfg_int(c, "buffer_memory");
	out->midstream = host->cfg_bool(c, "midstream");
	out->http.ja4h_raw = host->cfg_bool(c, "http_raw");
	n = host->cfg_list_len(c, "ports");
	if (n > FP_DECODER_MAX_PORTS) {
		host->log(host->ctx, JP_LOG_ERROR, "ports: %zu ports given, at most %d allowed", n,
			  FP_DECODER_MAX_PORTS);
		return -EINVAL;
	}
	for (i = 0; i < n; i++)
		out->ports[i] = (uint16_t)host->cfg_list_int(c, "ports", i);
	out->n_ports = n;
	return 0;
}
