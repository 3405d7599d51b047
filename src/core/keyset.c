/*
 * keyset.c - which strings have been seen, and how often: a scan while
 * few, a hash table (FNV-1a, open addressing) when many, so checking n keys
 * costs n lookups however many there are.  An object with a million keys
 * in a data file, or forty thousand tables in a project file, is checked
 * for duplicates in linear time.
 */
#include "core.h"

#include <stdlib.h>
#include <string.h>

static uint64_t hash_key(const char *s)
{
	uint64_t h = 1469598103934665603ull;
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ull;
	return h;
}

/* The slot holding `key`, or the empty one where it belongs. */
static struct keyset_slot *hash_slot(struct keyset *ks, const char *key)
{
	size_t i = (size_t)hash_key(key) & (ks->cap - 1);
	while (ks->slots[i].key && strcmp(ks->slots[i].key, key) != 0)
		i = (i + 1) & (ks->cap - 1);
	return &ks->slots[i];
}

static void rehash(struct keyset *ks, const struct keyset_slot *from, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (from[i].key)
			*hash_slot(ks, from[i].key) = from[i];
}

static void grow(struct keyset *ks)
{
	struct keyset_slot *old = ks->slots;
	size_t oldcap = ks->cap;
	ks->cap = ks->cap ? ks->cap * 2 : 64;
	ks->slots = xcalloc(ks->cap, sizeof *ks->slots);
	if (old)
		rehash(ks, old, oldcap);
	else
		rehash(ks, ks->few, ks->n);
	free(old);
}

size_t keyset_add(struct keyset *ks, const char *key)
{
	struct keyset_slot *slot = NULL;
	if (!ks->slots) {
		for (size_t i = 0; i < ks->n && !slot; i++)
			if (!strcmp(ks->few[i].key, key))
				slot = &ks->few[i];
		if (!slot && ks->n < ARRAY_LEN(ks->few))
			slot = &ks->few[ks->n];
		else if (!slot)
			grow(ks);
	}
	if (!slot) {
		if ((ks->n + 1) * 2 > ks->cap)
			grow(ks);
		slot = hash_slot(ks, key);
	}
	if (!slot->key) {
		slot->key = key;
		ks->n++;
	}
	return slot->count++;
}

void keyset_free(struct keyset *ks)
{
	free(ks->slots);
	memset(ks, 0, sizeof *ks);
}
