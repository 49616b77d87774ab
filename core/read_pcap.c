// SPDX-License-Identifier: BSD-3-Clause
/* --read-pcap: a capture file through the decoder (read_pcap.h). libpcap reads pcap and pcapng. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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

#define READ_BUFFER (1 << 20)

/*
 * The file as pcap_open_offline() opens it ("-" is stdin), but a file is read through buf
 * (READ_BUFFER bytes, which must outlive the pcap_t): with stdio's own 4 kB buffer, reading
 * took 8700 read() calls over a 35 MB capture, as much CPU as all of tcpdump's reading it.
 * stdin stays as it is: pcap_close() leaves it open, and a pipe gives 64 kB a read anyway.
 */
static pcap_t *read_pcap_open(const char *path, const struct jp_host *host, char *buf)
{
	char errbuf[PCAP_ERRBUF_SIZE] = "";
	bool is_stdin = !strcmp(path, "-");
	FILE *f = is_stdin ? stdin : fopen(path, "rb");
	pcap_t *pc = NULL;

	if (!f) {
		host->log(host->ctx, JP_LOG_ERROR, "%s: %s", path, strerror(errno));
		return NULL;
	}
	if (is_stdin || !setvbuf(f, buf, _IOFBF, READ_BUFFER))
		pc = pcap_fopen_offline_with_tstamp_precision(f, PCAP_TSTAMP_PRECISION_NANO,
							      errbuf);
	else
		snprintf(errbuf, sizeof(errbuf), "cannot set a read buffer");
	if (!pc) {
		host->log(host->ctx, JP_LOG_ERROR, "%s: %s", path, errbuf);
		if (!is_stdin)
			fclose(f);
	}
	return pc;
}

int read_pcap_run(const char *path, const struct jp_host *host,
		  const struct fp_decoder_config *cfg)
{
	char *buf = malloc(READ_BUFFER);
	struct fp_decoder *dec;
	pcap_t *pc;
	int err;

	if (!buf)
		return -ENOMEM;
	pc = read_pcap_open(path, host, buf);
	if (!pc) {
		free(buf);
		return -EIO;
	}
	dec = fp_decoder_new(host, cfg);
	if (!dec) {
		pcap_close(pc);
		free(buf);
		return -ENOMEM;
	}
	err = read_pcap_loop(pc, path, host, dec);
	fp_decoder_free(dec);		/* ends every flow: what is incomplete is counted */
	pcap_close(pc);
	free(buf);
	return err;
}
