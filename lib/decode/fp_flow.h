/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The TCP flow table (decode-internal): a hash of flows keyed by their two endpoints in a
 * canonical order, and a list from the most to the least recently seen flow, so that the
 * decoder can evict the oldest flow when the table is full and expire idle ones.
 */
#ifndef FP_FLOW_H
#define FP_FLOW_H

#include <stdbool.h>
#include <stdint.h>

#include "fp_packet.h"
#include "fp_reasm.h"

/* decode-internal: not exported from the library */
#pragma GCC visibility push(hidden)

struct fp_flow_key {
	uint8_t family;
	uint8_t proto;		/* TCP or UDP (QUIC) */
	uint8_t pad[2];		/* zeroed: the key is hashed and compared as bytes */
	uint16_t port[2];
	uint8_t addr[2][16];	/* endpoint 0 sorts before endpoint 1 */
};

enum fp_dir_state {
	FP_DIR_NEW = 0,		/* no byte of this direction placed yet and no ISN known */
	FP_DIR_READING,		/* base known: collecting the first bytes */
	FP_DIR_DONE,		/* hello or head emitted, or given up (counted) */
};

struct fp_dir {
	uint8_t state;		/* enum fp_dir_state */
	bool syn_seen;		/* this side's SYN or SYN-ACK was seen */
	bool isn_known;		/* that, or the peer's SYN-ACK acknowledged it */
	bool midstream;		/* base is the first payload seen, not ISN + 1 */
	bool skip_response;	/* server side of a CONNECT: an HTTP response head comes first */
	uint32_t isn;
	uint32_t base;		/* sequence number of stream offset 0 */
	uint32_t msg_off;	/* stream offset where the message being read starts */
	/* allocated when bytes must be held: most messages are read in place from one
	 * segment, and a flow that only carries a pointer is half the size (fewer pages) */
	struct fp_reasm *reasm;
};

struct fp_flow {
	struct fp_flow *hnext;
	struct fp_flow *newer, *older;
	uint32_t hash;
	struct fp_flow_key key;
	int64_t last_ns;
	uint8_t quic_odcid_len;		/* QUIC: client's first DCID (Initial keys) */
	uint8_t quic_odcid[20];
	struct fp_dir dir[2];	/* indexed like key.addr: the data sent by that endpoint */
};

struct fp_flow_slab;

struct fp_flow_table {
	struct fp_flow **buckets;
	uint32_t mask;
	uint32_t count;
	struct fp_flow *newest, *oldest;
	struct fp_flow *spare;	/* removed flows kept for reuse */
	struct fp_flow_slab *slabs;	/* the flows' memory, the newest slab first */
	uint32_t slab_used;	/* flows handed out of the newest slab */
};

int fp_flow_table_init(struct fp_flow_table *t, uint32_t max_flows);
/* Forget every flow at once (their buffers must have been released by the caller). */
void fp_flow_table_clear(struct fp_flow_table *t);
/* Frees the table's memory; the flows' buffers must have been released by the caller. */
void fp_flow_table_fini(struct fp_flow_table *t);

/* The key of a packet's flow; *dir: the index of the packet's sender in the key. */
void fp_flow_key_of(const struct fp_pkt *p, struct fp_flow_key *key, int *dir);

/*
 * The flow of a key, or NULL; *hash is set for fp_flow_add(). The newest flow is tried
 * before the hash is computed: consecutive packets mostly belong to one flow.
 */
struct fp_flow *fp_flow_find(struct fp_flow_table *t, const struct fp_flow_key *key,
			     uint32_t *hash);
/* A new zeroed flow, the newest; NULL when out of memory. The caller keeps count <= max. */
struct fp_flow *fp_flow_add(struct fp_flow_table *t, const struct fp_flow_key *key, uint32_t hash);
void fp_flow_touch(struct fp_flow_table *t, struct fp_flow *f);
/* Unlink and recycle a flow whose buffers were released. */
void fp_flow_remove(struct fp_flow_table *t, struct fp_flow *f);

#pragma GCC visibility pop

#endif
