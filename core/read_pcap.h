/* SPDX-License-Identifier: BSD-3-Clause */
/* --read-pcap: a pcap or pcapng file through the same decoder as live capture. */
#ifndef JA4PROBE_READ_PCAP_H
#define JA4PROBE_READ_PCAP_H

#include <ja4probe/fp_decode.h>
#include <ja4probe/plugin.h>

struct cfg;
struct host;

/*
 * Read every packet of PATH into a decoder that emits through HOST, then end every flow
 * (an incomplete message is counted, not guessed). 0 on success; -EIO when the file could not
 * be read to its end (the events before the damage were emitted), -EPROTONOSUPPORT for a link
 * type the decoder does not read, -ENOMEM.
 */
int read_pcap_run(const char *path, const struct jp_host *host,
		  const struct fp_decoder_config *cfg);

/*
 * `ja4probe --read-pcap PATH`: open the outputs of cfg on host (host->loop and host->sinks,
 * which the caller closes and frees), validate the config's read_pcap: section against
 * fp_decoder_config_keys, read the file through a source named "read_pcap", then emit one
 * stats event with its counters. Returns the exit status: 0, 1 (runtime), 2 (config).
 */
int read_pcap_main(struct host *host, const struct cfg *cfg, const char *path);

#endif
