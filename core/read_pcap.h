/* SPDX-License-Identifier: BSD-3-Clause */
/* --read-pcap: a pcap or pcapng file through the same decoder as live capture. */
#ifndef JA4PROBE_READ_PCAP_H
#define JA4PROBE_READ_PCAP_H

#include <ja4probe/fp_decode.h>
#include <ja4probe/plugin.h>

/*
 * Read every packet of PATH into a decoder that emits through HOST, then end every flow
 * (an incomplete message is counted, not guessed). 0 on success; -EIO when the file could not
 * be read to its end (the events before the damage were emitted), -EPROTONOSUPPORT for a link
 * type the decoder does not read, -ENOMEM.
 */
int read_pcap_run(const char *path, const struct jp_host *host,
		  const struct fp_decoder_config *cfg);

#endif
