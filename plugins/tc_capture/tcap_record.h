/* SPDX-License-Identifier: BSD-3-Clause */
/* tc_capture: a ring-buffer record, checked, as the packet a decoder or a pcap writer takes. */
#ifndef TCAP_RECORD_H
#define TCAP_RECORD_H

#include <stddef.h>
#include <stdint.h>

/* what a decoder takes (the record's ifindex and direction are not part of a packet) */
struct tcap_packet {
	uint64_t boot_ns;	/* CLOCK_BOOTTIME of the capture */
	int dlt;		/* pcap link type of data */
	const uint8_t *data;
	uint32_t caplen;
};

/* 0, or -EBADMSG when the sample is shorter than the record it claims to be. */
int tcap_record_packet(const void *sample, size_t size, struct tcap_packet *out);

#endif /* TCAP_RECORD_H */
