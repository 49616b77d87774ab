// SPDX-License-Identifier: BSD-3-Clause
/* --read-pcap: a capture file through the decoder (read_pcap.h). libpcap reads pcap and pcapng. */
#include <errno.h>
#include <pcap/pcap.h>

#include "read_pcap.h"

static int read_pcap_loop(pcap_t *pc, const char *path, const struct jp_host *host,
			  struct fp_decoder *dec)
{
	int dlt = pcap_datalink(pc);
	struct pcap_pkthdr *hdr;
	const u_char *data;
	struct timespec ts;
	int rc, err;

	while ((rc = pcap_next_ex(pc, &hdr, &data)) == 1) {
		/* opened with nanosecond precision: tv_usec holds nanoseconds */
		ts.tv_sec = hdr->ts.tv_sec;
		ts.tv_nsec = hdr->ts.tv_usec;
		err = fp_decoder_packet(dec, &ts, dlt, data, hdr->caplen);
		if (err == -EPROTONOSUPPORT) {
			host->log(host->ctx, JP_LOG_ERROR, "%s: link type %s (%d) is not supported",
				  path, pcap_datalink_val_to_name(dlt) ?: "?", dlt);
			return err;
		}
		if (err)
			return err;
	}
	if (rc == PCAP_ERROR) {
		host->log(host->ctx, JP_LOG_ERROR, "%s: %s", path, pcap_geterr(pc));
		(*host->counter(host->ctx, "errors"))++;
		return -EIO;
	}
	return 0;
}

int read_pcap_run(const char *path, const struct jp_host *host,
		  const struct fp_decoder_config *cfg)
{
	char errbuf[PCAP_ERRBUF_SIZE] = "";
	struct fp_decoder *dec;
	pcap_t *pc;
	int err;

	pc = pcap_open_offline_with_tstamp_precision(path, PCAP_TSTAMP_PRECISION_NANO, errbuf);
	if (!pc) {
		host->log(host->ctx, JP_LOG_ERROR, "%s", errbuf);	/* names the file */
		return -EIO;
	}
	dec = fp_decoder_new(host, cfg);
	if (!dec) {
		pcap_close(pc);
		return -ENOMEM;
	}
	err = read_pcap_loop(pc, path, host, dec);
	fp_decoder_free(dec);		/* ends every flow: what is incomplete is counted */
	pcap_close(pc);
	return err;
}
