// SPDX-License-Identifier: BSD-3-Clause
/*
 * tcap_testrun IN OUT: every frame of the capture IN through the real tc_capture BPF programs
 * with BPF_PROG_TEST_RUN, and the records they put in the ring buffer written, as packets with
 * the frame's timestamp, to the pcap OUT. A capture holds both directions and does not say
 * which side was "ours", so two instances (each with its own flow table) see every frame: one
 * through the ingress program, one through the egress program, as a host with `egress: true`
 * and `ports: []` would; a frame either copied goes out once.
 *
 * `ja4probe --read-pcap OUT` must then give the events `ja4probe --read-pcap IN` gives: the
 * kernel side neither lost nor invented a byte any fingerprint needs.
 * Frames of non-Ethernet captures (BSD loopback, Linux cooked, raw IP) get an Ethernet header,
 * since a TC program sees Ethernet frames.
 */
#include <errno.h>
#include <linux/types.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
/* libpcap's classic-BPF header clashes with linux/bpf.h; no pcap filter is compiled here */
#define PCAP_DONT_INCLUDE_PCAP_BPF_H
#include <pcap/dlt.h>
#include <pcap/pcap.h>

#include "tc_capture.h"
#include "tcap_bpf.h"
#include "tcap_record.h"

#define ETH_HLEN 14
#define MAX_FRAME 65536

struct run {
	pcap_dumper_t *out;
	const struct pcap_pkthdr *hdr;	/* of the frame being run */
	bool written;			/* that frame is in OUT already */
	unsigned long records, bad;
};

static void tr_log(struct jp_plugin_ctx *ctx, enum jp_log_level level, const char *fmt, ...)
{
	va_list ap;

	(void)ctx;
	(void)level;
	va_start(ap, fmt);
	fputs("tcap_testrun: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
}

static int tr_on_record(void *arg, void *data, size_t size)
{
	struct run *r = arg;
	struct tcap_packet pkt;
	struct pcap_pkthdr h;

	if (tcap_record_packet(data, size, &pkt) || pkt.dlt != DLT_EN10MB) {
		r->bad++;
		return 0;
	}
	if (r->written)
		return 0;
	r->written = true;
	h.ts = r->hdr->ts;
	h.caplen = pkt.caplen;
	h.len = pkt.len;
	pcap_dump((u_char *)r->out, &h, pkt.data);
	r->records++;
	return 0;
}

/* The frame as Ethernet: *len bytes at the returned pointer (buf is used when it must) */
static const uint8_t *tr_to_ethernet(int dlt, const uint8_t *pkt, uint32_t *len, uint8_t *buf)
{
	uint16_t type;
	size_t skip;

	switch (dlt) {
	case DLT_EN10MB:
		return pkt;
	case DLT_NULL:
	case DLT_LOOP:
		skip = 4;
		break;
	case DLT_LINUX_SLL:
		skip = 16;
		break;
	case DLT_RAW:
		skip = 0;
		break;
	default:
		return NULL;
	}
	if (*len <= skip || *len - skip + ETH_HLEN > MAX_FRAME)
		return NULL;
	/* the IP version says the ethertype, whatever family numbering the capture used */
	type = (pkt[skip] >> 4) == 6 ? 0x86dd : 0x0800;
	memset(buf, 0, ETH_HLEN);
	buf[12] = (uint8_t)(type >> 8);
	buf[13] = (uint8_t)type;
	memcpy(buf + ETH_HLEN, pkt + skip, *len - skip);
	*len = *len - skip + ETH_HLEN;
	return buf;
}

static int tr_run_prog(struct bpf_program *prog, struct ring_buffer *rb, const uint8_t *frame,
		       uint32_t len)
{
	LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = frame, .data_size_in = len, .repeat = 1);
	int ret = bpf_prog_test_run_opts(bpf_program__fd(prog), &o);

	if (ret) {
		fprintf(stderr, "tcap_testrun: BPF_PROG_TEST_RUN %s: %s\n",
			bpf_program__name(prog), strerror(errno));
		return ret;
	}
	ret = ring_buffer__consume(rb);
	return ret < 0 ? ret : 0;
}

static struct ring_buffer *tr_ring(struct tc_capture_bpf *skel, struct run *r)
{
	struct ring_buffer *rb;

	rb = ring_buffer__new(bpf_map__fd(skel->maps.tcap_events), tr_on_record, r, NULL);
	if (!rb)
		fprintf(stderr, "tcap_testrun: ring buffer: %s\n", strerror(errno));
	return rb;
}

int main(int argc, char **argv)
{
	static uint8_t buf[MAX_FRAME];
	struct jp_host host = { .struct_size = sizeof(host), .log = tr_log };
	struct tcap_options opt = { .ring_bytes = 4 << 20 };
	char err[PCAP_ERRBUF_SIZE];
	struct tc_capture_bpf *in_skel = NULL, *eg_skel = NULL;
	struct ring_buffer *in_rb = NULL, *eg_rb = NULL;
	struct pcap_pkthdr *hdr;
	const u_char *data;
	struct run r = { 0 };
	unsigned long frames = 0, skipped = 0;
	pcap_t *in = NULL, *dead = NULL;
	int ret = 1, rc, dlt;

	if (argc != 3) {
		fprintf(stderr, "usage: tcap_testrun IN.pcap OUT.pcap\n");
		return 2;
	}
	in = pcap_open_offline_with_tstamp_precision(argv[1], PCAP_TSTAMP_PRECISION_NANO, err);
	if (!in) {
		fprintf(stderr, "tcap_testrun: %s: %s\n", argv[1], err);
		return 1;
	}
	dlt = pcap_datalink(in);
	dead = pcap_open_dead_with_tstamp_precision(DLT_EN10MB, MAX_FRAME,
						    PCAP_TSTAMP_PRECISION_NANO);
	r.out = dead ? pcap_dump_open(dead, argv[2]) : NULL;
	if (!r.out) {
		fprintf(stderr, "tcap_testrun: %s: %s\n", argv[2], dead ? pcap_geterr(dead) : "");
		goto out;
	}
	if (tcap_bpf_load(&host, &opt, &in_skel) || tcap_bpf_load(&host, &opt, &eg_skel))
		goto out;
	in_rb = tr_ring(in_skel, &r);
	eg_rb = tr_ring(eg_skel, &r);
	if (!in_rb || !eg_rb)
		goto out;
	while ((rc = pcap_next_ex(in, &hdr, &data)) == 1) {
		uint32_t len = hdr->caplen;
		const uint8_t *frame = tr_to_ethernet(dlt, data, &len, buf);

		frames++;
		if (!frame || len < ETH_HLEN) {
			skipped++;
			continue;
		}
		r.hdr = hdr;
		r.written = false;
		if (tr_run_prog(in_skel->progs.tcap_ingress, in_rb, frame, len) ||
		    tr_run_prog(eg_skel->progs.tcap_egress, eg_rb, frame, len))
			goto out;
	}
	if (rc == PCAP_ERROR) {
		fprintf(stderr, "tcap_testrun: %s: %s\n", argv[1], pcap_geterr(in));
		goto out;
	}
	fprintf(stderr, "tcap_testrun: %s: %lu frames, %lu not runnable, %lu records, %lu bad\n",
		argv[1], frames, skipped, r.records, r.bad);
	ret = r.bad ? 1 : 0;
out:
	ring_buffer__free(in_rb);
	ring_buffer__free(eg_rb);
	tc_capture_bpf__destroy(in_skel);
	tc_capture_bpf__destroy(eg_skel);
	if (r.out)
		pcap_dump_close(r.out);
	if (dead)
		pcap_close(dead);
	pcap_close(in);
	return ret;
}
