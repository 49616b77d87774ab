// SPDX-License-Identifier: BSD-3-Clause
/* The TCP flow table: see fp_flow.h. */
#include <endian.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>

#include "fp_flow.h"

/*
 * Flows are carved out of slabs: one mapping per FP_FLOW_SLAB flows instead of one malloc per
 * flow, and the table is freed slab by slab instead of flow by flow. A removed flow goes to
 * the spare list and is reused first; slabs are only freed with the whole table. A slab is
 * 1 MiB; after the first (which a decoder of few flows, e.g. each fuzz input's, touches only
 * in part) its pages are populated at once: touched one by one, they cost a page fault each
 * (40% of the page faults of a --read-pcap of many short flows).
 */
#define FP_FLOW_SLAB_BYTES (1u << 20)
#define FP_FLOW_SLAB ((FP_FLOW_SLAB_BYTES - sizeof(void *)) / sizeof(struct fp_flow))

struct fp_flow_slab {
	struct fp_flow_slab *next;
	struct fp_flow flows[FP_FLOW_SLAB];
};

int fp_flow_table_init(struct fp_flow_table *t, uint32_t max_flows)
{
	uint32_t n = 16;

	memset(t, 0, sizeof(*t));
	while (n < max_flows && n < (1u << 24))
		n <<= 1;
	t->buckets = calloc(n, sizeof(*t->buckets));
	if (!t->buckets)
		return -ENOMEM;
	t->mask = n - 1;
	return 0;
}

void fp_flow_table_clear(struct fp_flow_table *t)
{
	struct fp_flow_slab *s, *next;

	for (s = t->slabs; s; s = next) {
		next = s->next;
		munmap(s, sizeof(*s));
	}
	t->slabs = NULL;
	t->slab_used = 0;
	t->spare = t->newest = t->oldest = NULL;
	t->count = 0;
	memset(t->buckets, 0, ((size_t)t->mask + 1) * sizeof(*t->buckets));
}

void fp_flow_table_fini(struct fp_flow_table *t)
{
	if (t->buckets)
		fp_flow_table_clear(t);
	free(t->buckets);
	memset(t, 0, sizeof(*t));
}

static struct fp_flow *fp_flow_alloc(struct fp_flow_table *t)
{
	struct fp_flow *f = t->spare;
	struct fp_flow_slab *s;

	if (f) {
		t->spare = f->hnext;
		return f;
	}
	if (!t->slabs || t->slab_used == FP_FLOW_SLAB) {
		s = mmap(NULL, sizeof(*s), PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS | (t->slabs ? MAP_POPULATE : 0), -1, 0);
		if (s == MAP_FAILED)
			return NULL;
		s->next = t->slabs;
		t->slabs = s;
		t->slab_used = 0;
	}
	return &t->slabs->flows[t->slab_used++];
}

_Static_assert(sizeof(struct fp_flow_key) == 5 * sizeof(uint64_t), "the key is five words");

static inline uint64_t fp_load64(const void *p)
{
	uint64_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

/* A multiplicative mix of the key's five 64-bit words, with a shift after each multiply so
 * that every bit of a word reaches the low bits the bucket index takes. */
static uint32_t fp_flow_hash(const struct fp_flow_key *key)
{
	const uint8_t *k = (const uint8_t *)key;
	uint64_t h = 0x9e3779b97f4a7c15ull;

	for (size_t i = 0; i < sizeof(*key); i += 8) {
		h = (h ^ fp_load64(k + i)) * 0xff51afd7ed558ccdull;
		h ^= h >> 32;
	}
	return (uint32_t)h;
}

static inline bool fp_flow_key_eq(const struct fp_flow_key *a, const struct fp_flow_key *b)
{
	const uint8_t *x = (const uint8_t *)a, *y = (const uint8_t *)b;
	uint64_t d = 0;

	for (size_t i = 0; i < sizeof(*a); i += 8)
		d |= fp_load64(x + i) ^ fp_load64(y + i);
	return !d;
}

/* memcmp() order of two 16-byte addresses, without the call */
static int fp_addr_cmp(const uint8_t *a, const uint8_t *b)
{
	for (int i = 0; i < 16; i += 8) {
		uint64_t x = be64toh(fp_load64(a + i)), y = be64toh(fp_load64(b + i));

		if (x != y)
			return x < y ? -1 : 1;
	}
	return 0;
}

void fp_flow_key_of(const struct fp_pkt *p, struct fp_flow_key *key, int *dir)
{
	int c = fp_addr_cmp(p->src, p->dst);

	*dir = c > 0 || (c == 0 && p->sport > p->dport);
	key->family = (uint8_t)p->family;
	key->proto = p->proto;
	key->pad[0] = key->pad[1] = 0;
	memcpy(key->addr[*dir], p->src, 16);
	memcpy(key->addr[!*dir], p->dst, 16);
	key->port[*dir] = p->sport;
	key->port[!*dir] = p->dport;
}

struct fp_flow *fp_flow_find(struct fp_flow_table *t, const struct fp_flow_key *key,
			     uint32_t *hash)
{
	struct fp_flow *f = t->newest;

	if (f && fp_flow_key_eq(&f->key, key)) {
		*hash = f->hash;
		return f;
	}
	*hash = fp_flow_hash(key);
	for (f = t->buckets[*hash & t->mask]; f; f = f->hnext)
		if (f->hash == *hash && fp_flow_key_eq(&f->key, key))
			return f;
	return NULL;
}

static void fp_flow_unlink_age(struct fp_flow_table *t, struct fp_flow *f)
{
	if (f->newer)
		f->newer->older = f->older;
	else
		t->newest = f->older;
	if (f->older)
		f->older->newer = f->newer;
	else
		t->oldest = f->newer;
}

static void fp_flow_link_newest(struct fp_flow_table *t, struct fp_flow *f)
{
	f->newer = NULL;
	f->older = t->newest;
	if (t->newest)
		t->newest->newer = f;
	else
		t->oldest = f;
	t->newest = f;
}

struct fp_flow *fp_flow_add(struct fp_flow_table *t, const struct fp_flow_key *key, uint32_t hash)
{
	struct fp_flow *f = fp_flow_alloc(t);

	if (!f)
		return NULL;
	memset(f, 0, sizeof(*f));
	f->key = *key;
	f->hash = hash;
	f->hnext = t->buckets[hash & t->mask];
	t->buckets[hash & t->mask] = f;
	fp_flow_link_newest(t, f);
	t->count++;
	return f;
}

void fp_flow_touch(struct fp_flow_table *t, struct fp_flow *f)
{
	if (t->newest == f)
		return;
	fp_flow_unlink_age(t, f);
	fp_flow_link_newest(t, f);
}

void fp_flow_remove(struct fp_flow_table *t, struct fp_flow *f)
{
	struct fp_flow **pp = &t->buckets[f->hash & t->mask];

	while (*pp != f)
		pp = &(*pp)->hnext;
	*pp = f->hnext;
	fp_flow_unlink_age(t, f);
	t->count--;
	f->hnext = t->spare;
	t->spare = f;
}
