/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The first bytes of one direction of a TCP stream, placed by offset (decode-internal).
 * Segments may come in any order, repeat, or overlap; the buffer remembers which byte ranges
 * it holds. Overlapping bytes must equal the bytes already held: a difference means the
 * stream is ambiguous (a retransmission with other content, an evasion attempt) and is
 * reported instead of being resolved by a guess.
 */
#ifndef FP_REASM_H
#define FP_REASM_H

#include <stddef.h>
#include <stdint.h>

/* decode-internal: not exported from the library */
#pragma GCC visibility push(hidden)

#define FP_REASM_MAX_RANGES 8

/* Memory shared by the buffers of one decoder, so that the sum stays bounded. */
struct fp_reasm_pool {
	size_t used, max;
};

struct fp_reasm {
	uint8_t *buf;
	uint32_t cap;
	uint8_t n_ranges;
	struct {
		uint32_t start, end;
	} ranges[FP_REASM_MAX_RANGES];	/* sorted, disjoint, not adjacent */
};

/*
 * Place len bytes at offset off; bytes at or beyond limit are left out. Returns 0,
 * -EILSEQ when overlapping bytes differ, -ENOSPC when the holes would exceed
 * FP_REASM_MAX_RANGES ranges, -ENOMEM when the pool or malloc has no room. Nothing is
 * changed on error.
 */
int fp_reasm_add(struct fp_reasm *r, struct fp_reasm_pool *pool, uint32_t limit, uint32_t off,
		 const uint8_t *data, size_t len);

/* Bytes held without a hole from offset 0. r may be NULL: nothing held. */
static inline uint32_t fp_reasm_contig(const struct fp_reasm *r)
{
	return r && r->n_ranges && r->ranges[0].start == 0 ? r->ranges[0].end : 0;
}

/* The end of the last range held; r may be NULL: nothing held. */
static inline uint32_t fp_reasm_held(const struct fp_reasm *r)
{
	return r && r->n_ranges ? r->ranges[r->n_ranges - 1].end : 0;
}

void fp_reasm_release(struct fp_reasm *r, struct fp_reasm_pool *pool);

#pragma GCC visibility pop

#endif
