// SPDX-License-Identifier: BSD-3-Clause
/*
 * libFuzzer target: the whole decoder (link layers, IP, TCP/UDP, flows, reassembly, QUIC,
 * parsers, event helpers) on a sequence of packets. Input: records of
 *   [link type selector: 1 byte][length: 2 bytes, big endian][packet]
 * A small flow table and byte limit make eviction and truncation paths run too.
 */
#include <stddef.h>
#include <stdint.h>

#include <ja4probe/fp_decode.h>

#include "null_host.h"

static const int links[] = { 1 /* EN10MB */, 113 /* SLL */, 276 /* SLL2 */, 12 /* RAW */,
			     0 /* NULL */, 108 /* LOOP */, 228 /* IPV4 */, 229 /* IPV6 */ };

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fp_decoder_config cfg;
	struct timespec ts = { .tv_sec = 1700000000 };
	struct fp_decoder *d;

	fp_decoder_config_default(&cfg);
	cfg.max_flows = 4;
	cfg.flow_bytes = 4096;
	cfg.buffer_mib = 1;
	cfg.flow_timeout_s = 5;
	d = fp_decoder_new(null_host(), &cfg);
	if (!d)
		return 0;
	while (size >= 3) {
		int link = links[data[0] % (sizeof(links) / sizeof(links[0]))];
		size_t len = (size_t)data[1] << 8 | data[2];

		data += 3;
		size -= 3;
		if (len > size)
			len = size;
		fp_decoder_packet(d, &ts, link, data, len);
		data += len;
		size -= len;
		ts.tv_nsec += 300000000;	/* 0.3 s: flows expire after 5 s of silence */
		if (ts.tv_nsec >= 1000000000) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000;
		}
	}
	fp_decoder_free(d);
	return 0;
}
