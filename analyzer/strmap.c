/* strmap.c - see strmap.h. */
#include "analyzer/strmap.h"

#include <stdlib.h>
#include <string.h>

#include "common/util.h"

void strmap_init(struct strmap *m)
{
	memset(m, 0, sizeof *m);
}

void strmap_free(struct strmap *m)
{
	for (size_t i = 0; i < m->n; i++)
		free(m->keys[i]);
	free(m->keys);
	free(m->lens);
	free(m->hashes);
	free(m->slots);
	memset(m, 0, sizeof *m);
}

static size_t lookup(const struct strmap *m, const char *p, size_t n, uint64_t h)
{
	if (!m->nslots)
		return SIZE_MAX;
	size_t mask = m->nslots - 1;
	for (size_t i = (size_t)h & mask;; i = (i + 1) & mask) {
		uint32_t s = m->slots[i];
		if (!s)
			return SIZE_MAX;
		size_t id = s - 1;
		if (m->hashes[id] == h && m->lens[id] == n && memcmp(m->keys[id], p, n) == 0)
			return id;
	}
}

size_t strmap_find(const struct strmap *m, const char *p, size_t n)
{
	return lookup(m, p, n, hash_bytes(p, n));
}

static void rehash(struct strmap *m, size_t nslots)
{
	free(m->slots);
	m->slots = xcalloc(nslots, sizeof *m->slots);
	m->nslots = nslots;
	for (size_t id = 0; id < m->n; id++) {
		size_t i = (size_t)m->hashes[id] & (nslots - 1);
		while (m->slots[i])
			i = (i + 1) & (nslots - 1);
		m->slots[i] = (uint32_t)(id + 1);
	}
}

size_t strmap_find_h(const struct strmap *m, const char *p, size_t n, uint64_t h)
{
	return lookup(m, p, n, h);
}

size_t strmap_intern(struct strmap *m, const char *p, size_t n, int *added)
{
	return strmap_intern_h(m, p, n, hash_bytes(p, n), added);
}

size_t strmap_intern_h(struct strmap *m, const char *p, size_t n, uint64_t h, int *added)
{
	size_t id = lookup(m, p, n, h);
	if (added)
		*added = 0;
	if (id != SIZE_MAX)
		return id;
	if ((m->n + 1) * 2 > m->nslots)
		rehash(m, m->nslots ? m->nslots * 2 : 64);
	if (m->n == m->cap) {
		size_t c1 = m->cap, c2 = m->cap, c3 = m->cap;
		void *v = m->keys;
		xgrow(&v, &c1, m->n + 1, sizeof *m->keys);
		m->keys = v;
		v = m->lens;
		xgrow(&v, &c2, m->n + 1, sizeof *m->lens);
		m->lens = v;
		v = m->hashes;
		xgrow(&v, &c3, m->n + 1, sizeof *m->hashes);
		m->hashes = v;
		m->cap = c1;
	}
	id = m->n++;
	m->keys[id] = xstrndup(p ? p : "", n);
	m->lens[id] = n;
	m->hashes[id] = h;
	size_t i = (size_t)h & (m->nslots - 1);
	while (m->slots[i])
		i = (i + 1) & (m->nslots - 1);
	m->slots[i] = (uint32_t)(id + 1);
	if (added)
		*added = 1;
	return id;
}
