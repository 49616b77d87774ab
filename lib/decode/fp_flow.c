// SPDX-License-Identifier: BSD-3-Clause
/* The TCP flow table: see fp_flow.h. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "fp_flow.h"

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

void fp_flow_table_fini(struct fp_flow_table *t)
{
	struct fp_flow *f, *next;

	for (f = t->newest; f; f = next) {
		next = f->older;
		free(f);
	}
	for (f = t->spare; f; f = next) {
		next = f->hnext;
		free(f);
	}
	free(t->buckets);
	memset(t, 0, sizeof(*t));
}

/* A multiplicative mix of the key's 32-bit words (the key is 40 bytes). */
static uint32_t fp_flow_hash(const struct fp_flow_key *key)
{
	uint32_t w[sizeof(*key) / 4];
	uint64_t h = 0x9e3779b97f4a7c15ull;
	size_t i;

	memcpy(w, key, sizeof(w));
	for (i = 0; i < sizeof(w) / 4; i++)
		h = (h ^ w[i]) * 0xff51afd7ed558ccdull;
	return (uint32_t)(h ^ h >> 32);
}

uint32_t fp_flow_key_of(const struct fp_pkt *p, struct fp_flow_key *key, int *dir)
{
	int c = memcmp(p->src, p->dst, 16);

	*dir = c > 0 || (c == 0 && p->sport > p->dport);
	memset(key, 0, sizeof(*key));
	key->family = (uint8_t)p->family;
	key->proto = p->proto;
	memcpy(key->addr[*dir], p->src, 16);
	memcpy(key->addr[!*dir], p->dst, 16);
	key->port[*dir] = p->sport;
	key->port[!*dir] = p->dport;
	return fp_flow_hash(key);
}

struct fp_flow *fp_flow_find(struct fp_flow_table *t, const struct fp_flow_key *key,
			     uint32_t hash)
{
	struct fp_flow *f;

	for (f = t->buckets[hash & t->mask]; f; f = f->hnext)
		if (f->hash == hash && !memcmp(&f->key, key, sizeof(*key)))
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
	struct fp_flow *f = t->spare;

	if (f)
		t->spare = f->hnext;
	else
		f = malloc(sizeof(*f));
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
