// SPDX-License-Identifier: BSD-3-Clause
/* First-bytes reassembly of one stream direction: see fp_reasm.h. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "fp_reasm.h"

#define FP_REASM_MIN_ALLOC 2048

static int fp_reasm_grow(struct fp_reasm *r, struct fp_reasm_pool *pool, uint32_t limit,
			 uint32_t need)
{
	uint32_t cap = r->cap ? r->cap : FP_REASM_MIN_ALLOC;
	uint8_t *buf;

	while (cap < need)
		cap *= 2;
	if (cap > limit)
		cap = limit;
	if (pool->used - r->cap + cap > pool->max)
		return -ENOMEM;
	buf = realloc(r->buf, cap);
	if (!buf)
		return -ENOMEM;
	pool->used = pool->used - r->cap + cap;
	r->buf = buf;
	r->cap = cap;
	return 0;
}

int fp_reasm_add(struct fp_reasm *r, struct fp_reasm_pool *pool, uint32_t limit, uint32_t off,
		 const uint8_t *data, size_t len)
{
	uint32_t end, s, e, lo, hi;
	unsigned int first, last;
	int err;

	if (off >= limit || len == 0)
		return 0;
	end = len > limit - off ? limit : off + (uint32_t)len;

	/* the ranges [first, last) touch [off, end): they merge into one */
	for (first = 0; first < r->n_ranges && r->ranges[first].end < off; first++)
		;
	for (last = first; last < r->n_ranges && r->ranges[last].start <= end; last++) {
		s = r->ranges[last].start;
		e = r->ranges[last].end;
		lo = s > off ? s : off;
		hi = e < end ? e : end;
		if (lo < hi && memcmp(r->buf + lo, data + (lo - off), hi - lo))
			return -EILSEQ;
	}
	if (first == last && r->n_ranges == FP_REASM_MAX_RANGES)
		return -ENOSPC;
	if (end > r->cap) {
		err = fp_reasm_grow(r, pool, limit, end);
		if (err)
			return err;
	}
	memcpy(r->buf + off, data, end - off);

	if (first == last) {		/* a new range between first - 1 and first */
		memmove(&r->ranges[first + 1], &r->ranges[first],
			(r->n_ranges - first) * sizeof(r->ranges[0]));
		r->ranges[first].start = off;
		r->ranges[first].end = end;
		r->n_ranges++;
		return 0;
	}
	if (r->ranges[first].start < off)
		off = r->ranges[first].start;
	if (r->ranges[last - 1].end > end)
		end = r->ranges[last - 1].end;
	r->ranges[first].start = off;
	r->ranges[first].end = end;
	memmove(&r->ranges[first + 1], &r->ranges[last],
		(r->n_ranges - last) * sizeof(r->ranges[0]));
	r->n_ranges -= last - first - 1;
	return 0;
}

void fp_reasm_release(struct fp_reasm *r, struct fp_reasm_pool *pool)
{
	pool->used -= r->cap;
	free(r->buf);
	memset(r, 0, sizeof(*r));
}
