/* batch.c - see batch.h. */
#include "parsers/batch.h"

#include <stdlib.h>
#include <string.h>

#include "common/util.h"

void batch_init(struct sample_batch *b)
{
	b->n = 0;
	b->used = 0;
	b->cap = 256u << 10;
	b->arena = xmalloc(b->cap);
}

void batch_free(struct sample_batch *b)
{
	free(b->arena);
	b->arena = NULL;
	b->cap = b->used = b->n = 0;
}

void batch_reset(struct sample_batch *b)
{
	b->n = 0;
	b->used = 0;
}

#define STRFIELDS(X) X(label) X(code) X(message) X(thread) X(data_type) X(failure) X(url) \
	X(hostname) X(filename) X(encoding) X(body) X(req_host) X(req_headers)

void batch_push(struct sample_batch *b, const struct sample *s)
{
	size_t need = 0;
#define SUM(f) need += s->f.n;
	STRFIELDS(SUM)
#undef SUM
	if (b->used + need > b->cap) {
		/* strings already in the arena are referenced by earlier samples: rebase them */
		size_t ncap = b->cap;
		while (b->used + need > ncap)
			ncap *= 2;
		char *old = b->arena;
		b->arena = xmalloc(ncap);
		memcpy(b->arena, old, b->used);
		b->cap = ncap;
		for (size_t i = 0; i < b->n; i++) {
#define REBASE(f) if (b->s[i].f.p && b->s[i].f.n) b->s[i].f.p = b->arena + (b->s[i].f.p - old);
			STRFIELDS(REBASE)
#undef REBASE
		}
		free(old);
	}
	struct sample *d = &b->s[b->n++];
	*d = *s;
#define COPY(f)                                                     \
	if (s->f.p && s->f.n) {                                     \
		memcpy(b->arena + b->used, s->f.p, s->f.n);         \
		d->f.p = b->arena + b->used;                        \
		b->used += s->f.n;                                  \
	} else if (s->f.p) {                                        \
		d->f.p = "";                                        \
	}
	STRFIELDS(COPY)
#undef COPY
}
