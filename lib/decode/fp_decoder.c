// SPDX-License-Identifier: BSD-3-Clause
/*
 * The decoder: packets -> flows -> the first message of each direction -> events. What it
 * guarantees and what it counts is described in <ja4probe/fp_decode.h>.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <ja4probe/fingerprint.h>
#include <ja4probe/fp_decode.h>

#include "fp_decode_event.h"
#include "fp_flow.h"
#include "fp_packet.h"
#include "fp_quic.h"
#include "fp_reasm.h"

#define FP_TLS_CONTENT_HANDSHAKE 0x16

struct fp_counters {
	uint64_t *packets, *not_tcp, *link_unsupported, *truncated_packets, *ip_fragments;
	uint64_t *flows, *flows_evicted, *flows_expired;
	uint64_t *reasm_conflicts, *reasm_gaps, *reasm_nomem, *midstream_skipped;
	uint64_t *hello_truncated, *parse_errors, *too_big, *errors, *quic_skipped;
};

struct fp_decoder {
	const struct jp_host *host;
	struct fp_decoder_config cfg;
	struct fp_flow_table flows;
	struct fp_reasm_pool pool;
	struct fp_counters c;
	uint64_t dummy_counter;		/* where a counter points when the host has none */
	/* parse results, too large for the stack of a callback */
	struct fp_tls_hello hello;
	struct fp_http_request req;
	struct fp_tcp_syn syn;
	struct fp_quic_initial quic;
};

/* What the packet being handled brings: the context an event needs. */
struct fp_seg {
	const struct timespec *ts;
	const struct fp_pkt *pkt;
};

enum fp_parse_next { FP_WAIT, FP_STOP };

static uint64_t *fp_counter(struct fp_decoder *d, const char *name)
{
	uint64_t *slot = d->host->counter ? d->host->counter(d->host->ctx, name) : NULL;

	return slot ? slot : &d->dummy_counter;
}

static void fp_counters_init(struct fp_decoder *d)
{
	struct fp_counters *c = &d->c;

	c->packets = fp_counter(d, "packets");
	c->not_tcp = fp_counter(d, "not_tcp");
	c->link_unsupported = fp_counter(d, "link_unsupported");
	c->truncated_packets = fp_counter(d, "truncated_packets");
	c->ip_fragments = fp_counter(d, "ip_fragments");
	c->flows = fp_counter(d, "flows");
	c->flows_evicted = fp_counter(d, "flows_evicted");
	c->flows_expired = fp_counter(d, "flows_expired");
	c->reasm_conflicts = fp_counter(d, "reasm_conflicts");
	c->reasm_gaps = fp_counter(d, "reasm_gaps");
	c->reasm_nomem = fp_counter(d, "reasm_nomem");
	c->midstream_skipped = fp_counter(d, "midstream_skipped");
	c->hello_truncated = fp_counter(d, "hello_truncated");
	c->parse_errors = fp_counter(d, "parse_errors");
	c->too_big = fp_counter(d, "too_big");
	c->errors = fp_counter(d, "errors");	/* an event the host or a builder refused */
	c->quic_skipped = fp_counter(d, "quic_skipped");
}

struct fp_decoder *fp_decoder_new(const struct jp_host *host, const struct fp_decoder_config *cfg)
{
	struct fp_decoder *d = calloc(1, sizeof(*d));

	if (!d) {
		host->log(host->ctx, JP_LOG_ERROR, "decoder: out of memory");
		return NULL;
	}
	d->host = host;
	d->cfg = *cfg;
	if (!d->cfg.max_flows)
		d->cfg.max_flows = 1;
	d->pool.max = (size_t)cfg->buffer_mib << 20;
	if (fp_flow_table_init(&d->flows, d->cfg.max_flows)) {
		host->log(host->ctx, JP_LOG_ERROR, "decoder: no memory for a table of %u flows",
			  d->cfg.max_flows);
		free(d);
		return NULL;
	}
	fp_counters_init(d);
	return d;
}

static void fp_dir_stop(struct fp_decoder *d, struct fp_dir *ds)
{
	if (ds->reasm) {
		fp_reasm_release(ds->reasm, &d->pool);
		free(ds->reasm);
		ds->reasm = NULL;
	}
	ds->state = FP_DIR_DONE;
}

/* A flow ends (evicted, expired, reset, end of capture): a message still incomplete is lost. */
static void fp_flow_finish(struct fp_decoder *d, struct fp_flow *f)
{
	int i;

	for (i = 0; i < 2; i++) {
		struct fp_dir *ds = &f->dir[i];

		if (ds->state == FP_DIR_READING && fp_reasm_held(ds->reasm) > ds->msg_off)
			(*d->c.hello_truncated)++;
		fp_dir_stop(d, ds);
	}
}

static void fp_flow_drop(struct fp_decoder *d, struct fp_flow *f)
{
	fp_flow_finish(d, f);
	fp_flow_remove(&d->flows, f);
}

void fp_decoder_flush(struct fp_decoder *d)
{
	struct fp_flow *f;

	for (f = d->flows.oldest; f; f = f->newer)
		fp_flow_finish(d, f);
	fp_flow_table_clear(&d->flows);
}

void fp_decoder_free(struct fp_decoder *d)
{
	if (!d)
		return;
	fp_decoder_flush(d);
	fp_flow_table_fini(&d->flows);
	fp_quic_fini(&d->quic);
	free(d);
}

static bool fp_port_wanted(const struct fp_decoder *d, const struct fp_pkt *p)
{
	size_t i;

	if (!d->cfg.n_ports)
		return true;
	for (i = 0; i < d->cfg.n_ports; i++)
		if (d->cfg.ports[i] == p->sport || d->cfg.ports[i] == p->dport)
			return true;
	return false;
}

static void fp_expire(struct fp_decoder *d, int64_t now_ns)
{
	int64_t idle = (int64_t)d->cfg.flow_timeout_s * 1000000000;

	if (!d->cfg.flow_timeout_s)
		return;
	while (d->flows.oldest && now_ns - d->flows.oldest->last_ns > idle) {
		fp_flow_drop(d, d->flows.oldest);
		(*d->c.flows_expired)++;
	}
}

static struct fp_flow *fp_flow_new(struct fp_decoder *d, const struct fp_flow_key *key,
				   uint32_t hash)
{
	struct fp_flow *f;

	while (d->flows.count >= d->cfg.max_flows) {
		fp_flow_drop(d, d->flows.oldest);
		(*d->c.flows_evicted)++;
	}
	f = fp_flow_add(&d->flows, key, hash);
	if (f)
		(*d->c.flows)++;
	return f;
}

static void fp_count_emit(struct fp_decoder *d, int err)
{
	if (err)
		(*d->c.errors)++;
}

/* "HTTP/1.x ..." head up to its blank line: its length, 0 while incomplete. */
static size_t fp_response_head_len(const uint8_t *buf, size_t len)
{
	size_t i;

	for (i = 0; i + 1 < len; i++) {
		if (buf[i] != '\n')
			continue;
		if (buf[i + 1] == '\n')
			return i + 2;
		if (i + 2 < len && buf[i + 1] == '\r' && buf[i + 2] == '\n')
			return i + 3;
	}
	return 0;
}

/* The result of a parser that did not finish: counted by what it means. */
static enum fp_parse_next fp_parse_failed(struct fp_decoder *d, struct fp_dir *ds, int rc,
					  bool looked_valid, size_t stream_len)
{
	if (rc == -EAGAIN) {
		if (stream_len < d->cfg.flow_bytes)
			return FP_WAIT;
		(*d->c.hello_truncated)++;
	} else if (rc == -E2BIG) {
		(*d->c.too_big)++;
	} else if (looked_valid) {
		(*d->c.parse_errors)++;
	} else if (ds->midstream) {
		(*d->c.midstream_skipped)++;
	}
	return FP_STOP;
}

/*
 * Read messages from the stream bytes [0, len) of one direction (contiguous from offset 0),
 * starting at ds->msg_off: a TLS hello ends the direction; an HTTP request head too, except
 * CONNECT, after which the tunnel's first bytes (a TLS ClientHello) are read the same way.
 */
static enum fp_parse_next fp_dir_parse(struct fp_decoder *d, struct fp_flow *f, int dir,
				       const uint8_t *stream, size_t len, const struct fp_seg *seg)
{
	struct fp_dir *ds = &f->dir[dir];
	const uint8_t *buf;
	size_t avail, consumed, head;
	int rc;

	for (;;) {
		if (ds->msg_off >= len)
			return FP_WAIT;
		buf = stream + ds->msg_off;
		avail = len - ds->msg_off;

		if (ds->skip_response) {
			if (avail < 5 || memcmp(buf, "HTTP/", 5)) {
				if (avail < 5 && !memcmp(buf, "HTTP/", avail))
					return FP_WAIT;
				ds->skip_response = false;
				continue;
			}
			head = fp_response_head_len(buf, avail);
			if (!head)
				return fp_parse_failed(d, ds, -EAGAIN, true, len);
			ds->msg_off += head;
			ds->skip_response = false;
			continue;
		}

		if (buf[0] == FP_TLS_CONTENT_HANDSHAKE) {
			rc = fp_tls_parse_hello(buf, avail, &d->hello, &consumed);
			if (rc)
				return fp_parse_failed(d, ds, rc, true, len);
			fp_count_emit(d, fp_decode_emit_tls(d->host, seg->ts, seg->pkt, &d->hello,
							    FP_TRANSPORT_TCP));
			return FP_STOP;
		}

		rc = fp_http_parse_request(buf, avail, &d->req);
		if (rc)
			return fp_parse_failed(d, ds, rc, fp_http_looks_like_request(buf, avail),
					       len);
		fp_count_emit(d, fp_decode_emit_http(d->host, seg->ts, seg->pkt, buf, &d->req,
						     &d->cfg.http));
		if (d->req.method.len != 7 || memcmp(buf + d->req.method.off, "CONNECT", 7))
			return FP_STOP;
		ds->msg_off += d->req.head_len;
		f->dir[!dir].skip_response = true;
	}
}

/* Place bytes at a stream offset; false when the direction had to stop (counted). */
static bool fp_dir_place(struct fp_decoder *d, struct fp_dir *ds, uint32_t off,
			 const uint8_t *data, size_t len)
{
	int rc = -ENOMEM;

	if (!ds->reasm)
		ds->reasm = calloc(1, sizeof(*ds->reasm));
	if (ds->reasm)
		rc = fp_reasm_add(ds->reasm, &d->pool, d->cfg.flow_bytes, off, data, len);
	if (!rc)
		return true;
	(*(rc == -EILSEQ ? d->c.reasm_conflicts :
	   rc == -ENOSPC ? d->c.reasm_gaps : d->c.reasm_nomem))++;
	fp_dir_stop(d, ds);
	return false;
}

/* Place a payload in its direction and read what became contiguous. */
static void fp_dir_data(struct fp_decoder *d, struct fp_flow *f, int dir, uint32_t seq,
			const uint8_t *data, size_t len, const struct fp_seg *seg)
{
	struct fp_dir *ds = &f->dir[dir];
	bool in_place = false;
	uint32_t before;
	int32_t off;

	if (ds->state == FP_DIR_DONE)
		return;
	if (ds->state == FP_DIR_NEW) {
		/* no ISN: the stream is read from this payload on, if it starts a message */
		if (!d->cfg.midstream) {
			(*d->c.midstream_skipped)++;
			ds->state = FP_DIR_DONE;
			return;
		}
		ds->state = FP_DIR_READING;
		ds->midstream = true;
		ds->base = seq;
	}
	off = (int32_t)(seq - ds->base);
	if (off < 0) {			/* starts before offset 0: keep the part after it */
		uint32_t early = ds->base - seq;

		if (early >= len)
			return;
		data += early;
		len -= early;
		off = 0;
	}
	if ((uint32_t)off >= d->cfg.flow_bytes)
		return;
	if (len > d->cfg.flow_bytes - (uint32_t)off)
		len = d->cfg.flow_bytes - (uint32_t)off;

	/* the common case: the whole message in one segment at offset 0, read in place */
	if (off == 0 && !fp_reasm_held(ds->reasm)) {
		if (fp_dir_parse(d, f, dir, data, len, seg) == FP_STOP) {
			fp_dir_stop(d, ds);
			return;
		}
		in_place = true;
	}

	before = fp_reasm_contig(ds->reasm);
	if (!fp_dir_place(d, ds, (uint32_t)off, data, len))
		return;
	if (!in_place && fp_reasm_contig(ds->reasm) > before &&
	    fp_dir_parse(d, f, dir, ds->reasm->buf, fp_reasm_contig(ds->reasm), seg) == FP_STOP)
		fp_dir_stop(d, ds);
}

/* A SYN or SYN-ACK: fixes the sender's ISN and emits tcp_syn / tcp_syn_ack once per ISN. */
static void fp_handle_syn(struct fp_decoder *d, struct fp_flow *f, int dir,
			  const struct fp_seg *seg)
{
	const struct fp_pkt *p = seg->pkt;
	struct fp_dir *ds = &f->dir[dir], *peer = &f->dir[!dir];

	if (ds->syn_seen && ds->isn == p->seq)
		return;			/* a retransmission */
	if (ds->syn_seen || (ds->state != FP_DIR_NEW && !(ds->isn_known && ds->isn == p->seq))) {
		/* a new connection on the same ports: the old one is over */
		fp_flow_finish(d, f);
		memset(f->dir, 0, sizeof(f->dir));
	}
	ds->syn_seen = true;
	ds->isn_known = true;
	ds->isn = p->seq;
	ds->base = p->seq + 1;
	ds->state = FP_DIR_READING;
	if ((p->flags & FP_TCP_ACK) && peer->state == FP_DIR_NEW) {
		/* the SYN-ACK acknowledges the client's ISN + 1: the client's stream starts there
		 * even when its SYN was not captured */
		peer->isn_known = true;
		peer->isn = p->ack - 1;
		peer->base = p->ack;
		peer->state = FP_DIR_READING;
	}

	if (fp_tcp_parse(p->tcp, p->tcp_hdr_len, &d->syn)) {
		(*d->c.parse_errors)++;
		return;
	}
	d->syn.ttl = p->ttl;
	d->syn.df = p->df;
	d->syn.ip_id = p->ip_id;
	fp_count_emit(d, fp_decode_emit_syn(d->host, seg->ts, p, &d->syn));
}

static void fp_count_status(struct fp_decoder *d, enum fp_pkt_status st)
{
	switch (st) {
	case FP_PKT_NOT_TCP:
		(*d->c.not_tcp)++;
		break;
	case FP_PKT_LINK_UNSUPPORTED:
		(*d->c.link_unsupported)++;
		break;
	case FP_PKT_TRUNCATED:
		(*d->c.truncated_packets)++;
		break;
	case FP_PKT_FRAGMENT:
		(*d->c.ip_fragments)++;
		break;
	case FP_PKT_TCP:
	case FP_PKT_UDP:
		break;
	}
}

/*
 * The packet's flow, made the newest; created when create is set (evicting the oldest when the
 * table is full). 0 with *out NULL when there is none to create; -ENOMEM (counted).
 */
static int fp_flow_get(struct fp_decoder *d, const struct fp_pkt *p, int64_t now_ns, bool create,
		       struct fp_flow **out, int *dir)
{
	struct fp_flow_key key;
	struct fp_flow *f;
	uint32_t hash;

	fp_flow_key_of(p, &key, dir);
	f = fp_flow_find(&d->flows, &key, &hash);

	if (f) {
		fp_flow_touch(&d->flows, f);
	} else if (create) {
		f = fp_flow_new(d, &key, hash);
		if (!f) {
			(*d->c.reasm_nomem)++;
			*out = NULL;
			return -ENOMEM;
		}
	}
	if (f)
		f->last_ns = now_ns;
	*out = f;
	return 0;
}

/*
 * Open a QUIC Initial: with the client's keys from its own DCID (a client's first Initial),
 * else with the keys from the flow's original DCID, the client's then the server's. Returns
 * the flow (NULL: not opened) and sets *dir to the sender's side.
 */
static struct fp_flow *fp_quic_open(struct fp_decoder *d, const struct fp_pkt *p, int64_t now_ns,
				    int *dir, int *err)
{
	struct fp_quic_initial *q = &d->quic;
	struct fp_flow *f;

	*err = fp_quic_open_initial(p->payload, p->payload_len, NULL, 0, false, q);
	if (!*err) {
		*err = fp_flow_get(d, p, now_ns, true, &f, dir);
		if (f && !f->quic_odcid_len) {
			memcpy(f->quic_odcid, q->dcid, q->dcid_len);
			f->quic_odcid_len = q->dcid_len;
		}
		return f;
	}
	*err = fp_flow_get(d, p, now_ns, false, &f, dir);
	if (!f || !f->quic_odcid_len)
		return NULL;
	*err = fp_quic_open_initial(p->payload, p->payload_len, f->quic_odcid, f->quic_odcid_len,
				    false, q);
	if (*err)
		*err = fp_quic_open_initial(p->payload, p->payload_len, f->quic_odcid,
					    f->quic_odcid_len, true, q);
	return *err ? NULL : f;
}

/*
 * A UDP datagram: a QUIC v1 Initial is decrypted and its CRYPTO frames placed by offset in the
 * sender's direction, until the ClientHello or ServerHello they carry is complete (JA4 and JA4S
 * with 'q').
 */
static int fp_quic_datagram(struct fp_decoder *d, const struct fp_seg *seg, int64_t now_ns)
{
	const struct fp_pkt *p = seg->pkt;
	struct fp_quic_initial *q = &d->quic;
	struct fp_flow *f;
	struct fp_dir *ds;
	uint32_t before;
	size_t i;
	int dir, rc;

	if (!fp_quic_is_initial(p->payload, p->payload_len)) {
		(*d->c.not_tcp)++;
		return 0;
	}
	f = fp_quic_open(d, p, now_ns, &dir, &rc);
	if (!f) {		/* before its client's first Initial, or damaged */
		(*d->c.quic_skipped)++;
		return rc == -ENOMEM ? rc : 0;
	}
	ds = &f->dir[dir];
	if (ds->state == FP_DIR_DONE)
		return 0;
	ds->state = FP_DIR_READING;
	before = fp_reasm_contig(ds->reasm);
	for (i = 0; i < q->n_crypto; i++) {
		if (q->crypto[i].off >= d->cfg.flow_bytes)
			break;		/* sorted: the rest lies beyond the limit too */
		if (!fp_dir_place(d, ds, (uint32_t)q->crypto[i].off, q->crypto[i].data,
				  q->crypto[i].len))
			return 0;
	}
	if (fp_reasm_contig(ds->reasm) == before)
		return 0;
	rc = fp_tls_parse_handshake(ds->reasm->buf, fp_reasm_contig(ds->reasm), &d->hello);
	if (!rc)
		fp_count_emit(d, fp_decode_emit_tls(d->host, seg->ts, p, &d->hello,
						    FP_TRANSPORT_QUIC));
	if (!rc || fp_parse_failed(d, ds, rc, true, fp_reasm_contig(ds->reasm)) == FP_STOP)
		fp_dir_stop(d, ds);
	return 0;
}

int fp_decoder_packet(struct fp_decoder *d, const struct timespec *ts, int dlt, const uint8_t *pkt,
		      size_t caplen)
{
	struct fp_pkt p;
	struct fp_seg seg = { .ts = ts, .pkt = &p };
	struct fp_flow *f;
	enum fp_pkt_status st;
	int dir, err;
	int64_t now_ns = (int64_t)ts->tv_sec * 1000000000 + ts->tv_nsec;

	(*d->c.packets)++;
	st = fp_pkt_decode(dlt, pkt, caplen, &p);
	if (st != FP_PKT_TCP && st != FP_PKT_UDP) {
		fp_count_status(d, st);
		return st == FP_PKT_LINK_UNSUPPORTED ? -EPROTONOSUPPORT : 0;
	}
	if (p.payload_cut)
		(*d->c.truncated_packets)++;
	if (!fp_port_wanted(d, &p))
		return 0;
	fp_expire(d, now_ns);

	if (st == FP_PKT_UDP)
		return fp_quic_datagram(d, &seg, now_ns);

	/* only a SYN or a payload opens a flow: a bare ACK or FIN has nothing to read */
	err = fp_flow_get(d, &p, now_ns, (p.flags & FP_TCP_SYN) || p.payload_len, &f, &dir);
	if (!f)
		return err;

	if (p.flags & FP_TCP_RST) {
		fp_flow_finish(d, f);
		return 0;
	}
	if (p.flags & FP_TCP_SYN)
		fp_handle_syn(d, f, dir, &seg);
	if (p.payload_len)
		fp_dir_data(d, f, dir, p.seq + !!(p.flags & FP_TCP_SYN), p.payload, p.payload_len,
			    &seg);
	return 0;
}
