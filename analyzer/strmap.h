/* strmap.h - interned byte strings -> dense ids (open addressing).  Keys are copied; ids are
 * stable and handed out in insertion order. */
#ifndef JTLSCOPE_ANALYZER_STRMAP_H
#define JTLSCOPE_ANALYZER_STRMAP_H

#include <stddef.h>
#include <stdint.h>

struct strmap {
	uint32_t *slots;     /* id + 1, 0 = empty */
	size_t nslots;
	char **keys;
	size_t *lens;
	uint64_t *hashes;
	size_t n, cap;
};

void strmap_init(struct strmap *m);
void strmap_free(struct strmap *m);
/* Id of key, or SIZE_MAX when absent. */
size_t strmap_find(const struct strmap *m, const char *p, size_t n);
/* The same with the key's hash_bytes() already known (h must equal it). */
size_t strmap_find_h(const struct strmap *m, const char *p, size_t n, uint64_t h);
size_t strmap_intern_h(struct strmap *m, const char *p, size_t n, uint64_t h, int *added);
/* Id of key, inserting it when absent (*added set to 1 then). */
size_t strmap_intern(struct strmap *m, const char *p, size_t n, int *added);
static inline const char *strmap_key(const struct strmap *m, size_t id) { return m->keys[id]; }
static inline size_t strmap_len(const struct strmap *m, size_t id) { return m->lens[id]; }

#endif
