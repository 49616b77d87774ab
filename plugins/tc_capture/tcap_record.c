// SPDX-License-Identifier: BSD-3-Clause
/* tc_capture: ring-buffer records to packets. */
#include <errno.h>
#include <linux/types.h>
#include <pcap/dlt.h>

#include "tc_capture.h"
#include "tcap_record.h"

int tcap_record_packet(const void *sample, size_t size, struct tcap_packet *out)
{
	const struct tcap_record *rec = sample;

	/* the kernel wrote it, but a length is checked before it is used all the same */
	if (size < sizeof(*rec) || rec->caplen > size - sizeof(*rec) || rec->caplen > rec->len)
		return -EBADMSG;
	out->boot_ns = rec->ts_ns;
	out->dlt = rec->link == TCAP_LINK_RAW ? DLT_RAW : DLT_EN10MB;
	out->data = rec->data;
	out->caplen = rec->caplen;
	return 0;
}
