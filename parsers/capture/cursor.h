/* cursor.h - bounds-checked reads of packet bytes (tcpdump's GET_ macro habit).
 *
 * Every read of captured bytes goes through a cursor over [p, end).  A read that does not fit
 * returns false and reads nothing; the cursor then stays where it was and remembers it went
 * short (cur.short_read), so a dissector can report "[|proto]" instead of reading past caplen.
 * Lengths are always compared as  n <= (size_t)(end - p).
 */
#ifndef JTLSCOPE_PARSERS_CAPTURE_CURSOR_H
#define JTLSCOPE_PARSERS_CAPTURE_CURSOR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct cur {
	const uint8_t *p;
	const uint8_t *end;
	bool short_read;
};

static inline void cur_init(struct cur *c, const void *p, size_t n)
{
	c->p = p;
	c->end = c->p + n;
	c->short_read = false;
}

static inline size_t cur_left(const struct cur *c)
{
	return (size_t)(c->end - c->p);
}

static inline bool cur_has(struct cur *c, size_t n)
{
	if (n <= (size_t)(c->end - c->p))
		return true;
	c->short_read = true;
	return false;
}

static inline bool cur_skip(struct cur *c, size_t n)
{
	if (!cur_has(c, n))
		return false;
	c->p += n;
	return true;
}

static inline bool cur_u8(struct cur *c, uint8_t *v)
{
	if (!cur_has(c, 1))
		return false;
	*v = c->p[0];
	c->p += 1;
	return true;
}

static inline bool cur_be16(struct cur *c, uint16_t *v)
{
	if (!cur_has(c, 2))
		return false;
	*v = (uint16_t)((unsigned)c->p[0] << 8 | c->p[1]);
	c->p += 2;
	return true;
}

static inline bool cur_be24(struct cur *c, uint32_t *v)
{
	if (!cur_has(c, 3))
		return false;
	*v = (uint32_t)c->p[0] << 16 | (uint32_t)c->p[1] << 8 | c->p[2];
	c->p += 3;
	return true;
}

static inline bool cur_be32(struct cur *c, uint32_t *v)
{
	if (!cur_has(c, 4))
		return false;
	*v = (uint32_t)c->p[0] << 24 | (uint32_t)c->p[1] << 16 | (uint32_t)c->p[2] << 8 | c->p[3];
	c->p += 4;
	return true;
}

static inline bool cur_le32(struct cur *c, uint32_t *v)
{
	if (!cur_has(c, 4))
		return false;
	*v = (uint32_t)c->p[3] << 24 | (uint32_t)c->p[2] << 16 | (uint32_t)c->p[1] << 8 | c->p[0];
	c->p += 4;
	return true;
}

/* Borrow n bytes. */
static inline bool cur_bytes(struct cur *c, size_t n, const uint8_t **out)
{
	if (!cur_has(c, n))
		return false;
	*out = c->p;
	c->p += n;
	return true;
}

/* Split off the next n bytes as a sub-cursor (for length-prefixed structures). */
static inline bool cur_sub(struct cur *c, size_t n, struct cur *sub)
{
	if (!cur_has(c, n))
		return false;
	cur_init(sub, c->p, n);
	c->p += n;
	return true;
}

#endif
