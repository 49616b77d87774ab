// SPDX-License-Identifier: BSD-3-Clause
/*
 * tcap_testrun CAPTURE...: every frame of each capture through the real tc_capture BPF
 * programs with BPF_PROG_TEST_RUN, the records they put in the ring buffer fed to one decoder
 * (as the plugin does), the capture's own frames fed to another (as --read-pcap does); the two
 * must emit the same events, time stamps included (a record is fed with its frame's time).
 * So the kernel side neither loses nor invents a byte any fingerprint needs.
 *
 * A capture holds both directions: a frame from the side that sent the connection's SYN goes
 * through the ingress program, one from the other side through the egress program, as on a
 * server with `egress: true` and `ports: []` (without a SYN in the capture, the side with the
 * higher port is the client). Frames of non-Ethernet captures (BSD loopback, Linux cooked, raw
 * IP) get an Ethernet header, since a TC program sees Ethernet frames.
 * Prints one line per capture and closes with "N passed, M failed".
 *
 * tcap_testrun --events CAPTURE: the decoder's events of the capture, as JSON lines.
 */
#include <errno.h>
#include <linux/types.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
/* libpcap's classic-BPF header clashes with linux/bpf.h; no pcap filter is compiled here */
#define PCAP_DONT_INCLUDE_PCAP_BPF_H
#include <ja4probe/fp_decode.h>
#include <pcap/dlt.h>
#include <pcap/pcap.h>

#include "tc_capture.h"
#include "tcap_bpf.h"
#include "test_host.h"
#include "tcap_record.h"

#define ETH_HLEN 14
#define MAX_FRAME 65536

struct run {
	struct fp_decoder *dec;		/* fed the BPF records */
	const struct pcap_pkthdr *hdr;	/* of the frame being run */
	unsigned long records, bad;
	struct tr_endpoint *clients;	/* who sent each SYN seen */
	size_t n_clients;
};

struct tr_endpoint {
	uint8_t addr[16];
	uint16_t port;
};

static int tr_on_record(void *arg, void *data, size_t size)
{
	struct run *r = arg;
	struct tcap_packet pkt;
	struct timespec ts;

	if (tcap_record_packet(data, size, &pkt) || pkt.dlt != DLT_EN10MB) {
		r->bad++;
		return 0;
	}
	r->records++;
	/* opened with nanosecond precision: tv_usec holds nanoseconds */
	ts.tv_sec = r->hdr->ts.tv_sec;
	ts.tv_nsec = r->hdr->ts.tv_usec;
	fp_decoder_packet(r->dec, &ts, pkt.dlt, pkt.data, pkt.caplen);
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

static bool tr_known_client(const struct run *r, const struct tr_endpoint *e)
{
	size_t i;

	for (i = 0; i < r->n_clients; i++)
		if (r->clients[i].port == e->port && !memcmp(r->clients[i].addr, e->addr, 16))
			return true;
	return false;
}

/*
 * Is this Ethernet frame from a client? TCP/UDP over IPv4 or IPv6;
 * anything else goes in as ingress, where the program leaves it alone all the same.
 */
static bool tr_from_client(struct run *r, const uint8_t *f, uint32_t len)
{
	struct tr_endpoint src = { 0 }, dst = { 0 }, *c;
	uint32_t off = ETH_HLEN, l4;
	uint16_t type = (uint16_t)(f[12] << 8 | f[13]);
	uint8_t proto;

	while ((type == 0x8100 || type == 0x88a8) && off + 4 <= len) {
		type = (uint16_t)(f[off + 2] << 8 | f[off + 3]);
		off += 4;
	}
	if (type == 0x0800 && off + 20 <= len) {
		proto = f[off + 9];
		memcpy(src.addr, f + off + 12, 4);
		memcpy(dst.addr, f + off + 16, 4);
		l4 = off + (f[off] & 0x0f) * 4u;
	} else if (type == 0x86dd && off + 40 <= len) {
		proto = f[off + 6];
		memcpy(src.addr, f + off + 8, 16);
		memcpy(dst.addr, f + off + 24, 16);
		l4 = off + 40;
		/* hop-by-hop, routing, destination options */
		while ((proto == 0 || proto == 43 || proto == 60) && l4 + 2 <= len) {
			proto = f[l4];
			l4 += (f[l4 + 1] + 1) * 8u;
		}
	} else {
		return true;
	}
	if ((proto != 6 && proto != 17) || l4 + 14 > len)
		return true;
	src.port = (uint16_t)(f[l4] << 8 | f[l4 + 1]);
	dst.port = (uint16_t)(f[l4 + 2] << 8 | f[l4 + 3]);
	if (proto == 6 && (f[l4 + 13] & 0x12) == 0x02) {	/* SYN without ACK */
		if (!tr_known_client(r, &src)) {
			c = realloc(r->clients, (r->n_clients + 1) * sizeof(*c));
			if (!c)
				abort();
			r->clients = c;
			r->clients[r->n_clients++] = src;
		}
		return true;
	}
	if (tr_known_client(r, &src))
		return true;
	if (tr_known_client(r, &dst))
		return false;
	return src.port > dst.port;
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

struct bpf_side {
	struct tc_capture_bpf *skel;
	struct ring_buffer *rb;
};

static int tr_side_open(const struct jp_host *host, struct bpf_side *side, struct run *r)
{
	struct tcap_options opt = { .ring_bytes = 4 << 20 };	/* ports: [], every port */

	if (tcap_bpf_load(host, &opt, &side->skel))
		return -1;
	side->rb = tr_ring(side->skel, r);
	return side->rb ? 0 : -1;
}

static void tr_side_close(struct bpf_side *side)
{
	ring_buffer__free(side->rb);
	tc_capture_bpf__destroy(side->skel);
}

/* Events of both paths equal, in order? Prints what differs. */
static bool tr_compare(const char *name, const struct th_host *ref, const struct th_host *bpf)
{
	size_t i, n = th_count(ref) > th_count(bpf) ? th_count(ref) : th_count(bpf);
	bool same = th_count(ref) == th_count(bpf);

	for (i = 0; i < n; i++) {
		const char *a = th_line(ref, i), *b = th_line(bpf, i);

		if (a && b && !strcmp(a, b))
			continue;
		same = false;
		printf("%s: event %zu differs\n  capture: %s\n  via BPF: %s\n", name, i,
		       a ? a : "(none)", b ? b : "(none)");
	}
	return same;
}

static int tr_capture(const char *path, const struct fp_decoder_config *dcfg, bool *same)
{
	static uint8_t buf[MAX_FRAME];
	struct th_host *ref_host = th_new("tc_capture", true);
	struct th_host *bpf_host = th_new("tc_capture", true);	/* same "plugin" in both */
	struct fp_decoder *ref = fp_decoder_new(th_services(ref_host), dcfg);
	struct bpf_side side = { 0 };
	struct run r = { .dec = fp_decoder_new(th_services(bpf_host), dcfg) };
	char err[PCAP_ERRBUF_SIZE];
	unsigned long frames = 0, skipped = 0;
	struct pcap_pkthdr *hdr;
	const u_char *data;
	pcap_t *pc = NULL;
	int ret = -1, rc, dlt;

	if (!ref || !r.dec)
		goto out;
	pc = pcap_open_offline_with_tstamp_precision(path, PCAP_TSTAMP_PRECISION_NANO, err);
	if (!pc) {
		fprintf(stderr, "tcap_testrun: %s: %s\n", path, err);
		goto out;
	}
	dlt = pcap_datalink(pc);
	if (tr_side_open(th_services(bpf_host), &side, &r))
		goto out;
	while ((rc = pcap_next_ex(pc, &hdr, &data)) == 1) {
		uint32_t len = hdr->caplen;
		const uint8_t *frame = tr_to_ethernet(dlt, data, &len, buf);
		struct timespec ts = { hdr->ts.tv_sec, hdr->ts.tv_usec };

		frames++;
		fp_decoder_packet(ref, &ts, dlt, data, hdr->caplen);
		if (!frame || len < ETH_HLEN) {
			skipped++;
			continue;
		}
		r.hdr = hdr;
		if (tr_run_prog(tr_from_client(&r, frame, len) ? side.skel->progs.tcap_ingress :
				side.skel->progs.tcap_egress, side.rb, frame, len))
			goto out;
	}
	if (rc == PCAP_ERROR) {
		fprintf(stderr, "tcap_testrun: %s: %s\n", path, pcap_geterr(pc));
		goto out;
	}
	/* the end of the capture ends every flow on both sides */
	fp_decoder_flush(ref);
	fp_decoder_flush(r.dec);
	*same = !r.bad && tr_compare(path, ref_host, bpf_host);
	printf("%s: %s: %lu frames (%lu not runnable), %lu copied by BPF, %zu events from the "
	       "capture, %zu via BPF\n", *same ? "ok" : "FAIL", path, frames, skipped, r.records,
	       th_count(ref_host), th_count(bpf_host));
	ret = 0;
out:
	tr_side_close(&side);
	free(r.clients);
	if (pc)
		pcap_close(pc);
	fp_decoder_free(ref);
	fp_decoder_free(r.dec);
	th_free(ref_host);
	th_free(bpf_host);
	return ret;
}

/*
 * --events CAPTURE: the decoder's events of the capture alone, one JSON line each: what the
 * fingerprint library makes of the bytes on the wire (the live test's expectation).
 */
static int tr_events(const char *path, const struct fp_decoder_config *dcfg)
{
	struct th_host *h = th_new("tc_capture", true);
	struct fp_decoder *dec = fp_decoder_new(th_services(h), dcfg);
	char err[PCAP_ERRBUF_SIZE];
	struct pcap_pkthdr *hdr;
	const u_char *data;
	pcap_t *pc;
	size_t i;
	int rc;

	pc = dec ? pcap_open_offline_with_tstamp_precision(path, PCAP_TSTAMP_PRECISION_NANO, err)
		 : NULL;
	if (!pc) {
		fprintf(stderr, "tcap_testrun: %s: %s\n", path, dec ? err : "no decoder");
		fp_decoder_free(dec);
		th_free(h);
		return 1;
	}
	while ((rc = pcap_next_ex(pc, &hdr, &data)) == 1) {
		struct timespec ts = { hdr->ts.tv_sec, hdr->ts.tv_usec };

		fp_decoder_packet(dec, &ts, pcap_datalink(pc), data, hdr->caplen);
	}
	fp_decoder_flush(dec);
	for (i = 0; i < th_count(h); i++)
		puts(th_line(h, i));
	pcap_close(pc);
	fp_decoder_free(dec);
	th_free(h);
	return rc == PCAP_ERROR ? 1 : 0;
}

int main(int argc, char **argv)
{
	struct fp_decoder_config dcfg;
	int i, passed = 0, failed = 0;

	if (argc < 2) {
		fprintf(stderr, "usage: tcap_testrun CAPTURE...\n"
				"       tcap_testrun --events CAPTURE\n");
		return 2;
	}
	fp_decoder_config_default(&dcfg);
	if (argc == 3 && !strcmp(argv[1], "--events"))
		return tr_events(argv[2], &dcfg);
	/* compare every field there is */
	dcfg.http = (struct fp_http_options){ .ja4h_raw = true, .cookie = true,
					      .authorization = true };
	for (i = 1; i < argc; i++) {
		bool same = false;

		if (tr_capture(argv[i], &dcfg, &same) || !same)
			failed++;
		else
			passed++;
	}
	printf("%d passed, %d failed\n", passed, failed);
	return failed ? 1 : 0;
}
