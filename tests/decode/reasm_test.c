// SPDX-License-Identifier: BSD-3-Clause
/*
 * fp_reasm against a model: a stream cut into random segments, delivered in random order with
 * repeats and overlaps, must come out byte for byte with the right ranges; a repeat with other
 * bytes is refused without changing anything; more holes than ranges are refused; bytes past
 * the limit are left out; the shared memory budget holds.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fp_reasm.h"

static int passed, failed;

static void check(bool ok, const char *what, int round)
{
	if (ok) {
		passed++;
		return;
	}
	failed++;
	printf("FAIL: %s (round %d)\n", what, round);
}

#define STREAM 3000

/* Bytes held per the model, and the ranges they form. */
static unsigned int model_ranges(const bool *have, uint32_t limit)
{
	unsigned int n = 0;

	for (uint32_t i = 0; i < limit; i++)
		if (have[i] && (i == 0 || !have[i - 1]))
			n++;
	return n;
}

static void random_delivery(int round, uint32_t limit)
{
	static uint8_t stream[STREAM];
	static bool have[STREAM], saved[STREAM];
	struct fp_reasm_pool pool = { .max = 1 << 20 };
	struct fp_reasm r = { 0 };
	uint32_t contig = 0;
	int err;

	for (int i = 0; i < STREAM; i++)
		stream[i] = (uint8_t)rand();
	memset(have, 0, sizeof(have));
	for (int seg = 0; seg < 40; seg++) {
		uint32_t off = (uint32_t)rand() % STREAM;
		uint32_t len = 1 + (uint32_t)rand() % 400;
		bool would_fit;
		struct fp_reasm before = r;

		if (off + len > STREAM)
			len = STREAM - off;
		/* does the model allow it: ranges after the add within the limit? */
		memcpy(saved, have, sizeof(have));
		for (uint32_t i = off; i < off + len && i < limit; i++)
			have[i] = true;
		would_fit = model_ranges(have, limit) <= FP_REASM_MAX_RANGES;
		err = fp_reasm_add(&r, &pool, limit, off, stream + off, len);
		if (!would_fit) {
			check(err == -ENOSPC, "too many holes refused", round);
			check(r.n_ranges == before.n_ranges, "refusal changes nothing", round);
			memcpy(have, saved, sizeof(have));
			continue;
		}
		check(err == 0, "a consistent segment is taken", round);
	}
	while (contig < limit && have[contig])
		contig++;
	check(fp_reasm_contig(&r) == contig, "contiguous length", round);
	check(r.n_ranges == model_ranges(have, limit), "range count", round);
	for (unsigned int i = 0; i < r.n_ranges; i++)
		check(!memcmp(r.buf + r.ranges[i].start, stream + r.ranges[i].start,
			      r.ranges[i].end - r.ranges[i].start), "bytes in place", round);
	check(fp_reasm_held(&r) <= limit, "nothing past the limit", round);

	/* a repeat of held bytes with one byte changed is refused and changes nothing */
	if (r.n_ranges) {
		uint32_t s = r.ranges[0].start, e = r.ranges[0].end;
		uint8_t other[STREAM];
		struct fp_reasm before = r;

		memcpy(other, stream, sizeof(other));
		other[s + (e - s) / 2] ^= 0x5a;
		err = fp_reasm_add(&r, &pool, limit, s, other + s, e - s);
		check(err == -EILSEQ, "conflicting bytes refused", round);
		check(r.n_ranges == before.n_ranges && !memcmp(r.ranges, before.ranges,
							       sizeof(r.ranges)),
		      "conflict changes nothing", round);
		check(r.buf[s + (e - s) / 2] == stream[s + (e - s) / 2], "held bytes kept", round);
	}
	fp_reasm_release(&r, &pool);
	check(pool.used == 0, "memory returned to the pool", round);
}

static void budget(void)
{
	struct fp_reasm_pool pool = { .max = 4096 };
	struct fp_reasm a = { 0 }, b = { 0 }, c = { 0 };
	uint8_t data[4096] = { 0 };

	check(fp_reasm_add(&a, &pool, 8192, 0, data, 2000) == 0, "first buffer fits", 0);
	check(fp_reasm_add(&b, &pool, 8192, 0, data, 2000) == 0, "second buffer fits", 0);
	check(fp_reasm_add(&c, &pool, 8192, 0, data, 100) == -ENOMEM, "budget refuses a third", 0);
	check(pool.used <= pool.max, "budget held", 0);
	fp_reasm_release(&a, &pool);
	check(fp_reasm_add(&c, &pool, 8192, 0, data, 100) == 0, "released memory is reused", 0);
	fp_reasm_release(&b, &pool);
	fp_reasm_release(&c, &pool);
	check(pool.used == 0, "all returned", 0);
}

int main(void)
{
	srand(20261122);
	for (int round = 0; round < 2000; round++)
		random_delivery(round, round % 3 ? STREAM : 1 + (uint32_t)rand() % STREAM);
	budget();
	printf("%d passed, %d failed\n", passed, failed);
	return failed ? 1 : 0;
}
