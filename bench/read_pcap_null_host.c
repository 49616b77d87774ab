// SPDX-License-Identifier: BSD-3-Clause
/*
 * --read-pcap without the outputs: the same read_pcap_run(), decoder (link layers, flows,
 * reassembly, parsers, fingerprint builders through the fp_event helpers) and the real event
 * code, with a test host that drops each serialized event instead of writing it. bench/
 * read_pcap.py sets it beside the real `ja4probe --read-pcap` to show what the outputs cost.
 *
 * usage: read_pcap_null_host FILE
 */
#include <stdio.h>

#include "null_host.h"
#include "read_pcap.h"

int main(int argc, char **argv)
{
	struct fp_decoder_config cfg;
	int err;

	if (argc != 2) {
		fprintf(stderr, "usage: %s FILE\n", argv[0]);
		return 2;
	}
	fp_decoder_config_default(&cfg);
	err = read_pcap_run(argv[1], null_host(), &cfg);
	null_host_print(stdout);
	return err ? 1 : 0;
}
