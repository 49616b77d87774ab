// SPDX-License-Identifier: BSD-3-Clause
/* TCP header and options of a SYN or SYN-ACK, for JA4T/JA4TS and the tcp events. */
#include <errno.h>
#include <string.h>

#include "fp_internal.h"

#define TCP_HDR_MIN 20
#define TCP_FLAG_SYN 0x02
#define TCP_FLAG_ACK 0x10
#define TCPOPT_EOL 0
#define TCPOPT_NOP 1
#define TCPOPT_MSS 2
#define TCPOPT_WSCALE 3

/*
 * Options are read kind by kind to the end of the header. EOL and NOP are one byte; we do
 * not stop at EOL: the padding after it is listed too, one 0 per byte, as FoxIO's Rust
 * and Wireshark implementations do ("...-4-0-0").
 */
static int tcp_parse_options(const uint8_t *o, size_t len, struct fp_tcp_syn *out)
{
	size_t i = 0;

	while (i < len) {
		uint8_t kind = o[i], olen;

		out->options[out->n_options++] = kind;
		if (kind == TCPOPT_EOL || kind == TCPOPT_NOP) {
			i++;
			continue;
		}
		if (len - i < 2)
			return -EBADMSG;
		olen = o[i + 1];
		if (olen < 2 || olen > len - i)
			return -EBADMSG;
		if (kind == TCPOPT_MSS) {
			if (olen != 4)
				return -EBADMSG;
			out->mss = o[i + 2] << 8 | o[i + 3];
		} else if (kind == TCPOPT_WSCALE) {
			if (olen != 3)
				return -EBADMSG;
			out->wscale = o[i + 2];
		}
		i += olen;
	}
	return 0;
}

int fp_tcp_parse(const uint8_t *tcp, size_t len, struct fp_tcp_syn *out)
{
	size_t hdr_len;

	memset(out, 0, sizeof(*out));
	out->mss = -1;
	out->wscale = -1;
	if (len < TCP_HDR_MIN)
		return -EAGAIN;
	hdr_len = (size_t)(tcp[12] >> 4) * 4;
	if (hdr_len < TCP_HDR_MIN)
		return -EBADMSG;
	if (len < hdr_len)
		return -EAGAIN;
	out->src_port = (uint16_t)(tcp[0] << 8 | tcp[1]);
	out->dst_port = (uint16_t)(tcp[2] << 8 | tcp[3]);
	out->syn = tcp[13] & TCP_FLAG_SYN;
	out->ack = tcp[13] & TCP_FLAG_ACK;
	out->window = (uint16_t)(tcp[14] << 8 | tcp[15]);
	return tcp_parse_options(tcp + TCP_HDR_MIN, hdr_len - TCP_HDR_MIN, out);
}
