/* sample.c - see sample.h. */
#include "parsers/sample.h"

#include <string.h>

void sample_clear(struct sample *s)
{
	memset(s, 0, sizeof *s);
	s->success = true;
}

void sample_hash(struct sample *s)
{
	s->label_hash = s->label.p ? hash_bytes(s->label.p, s->label.n) : 0;
	s->thread_hash = s->thread.p ? hash_bytes(s->thread.p, s->thread.n) : 0;
}

int sample_status(const struct sample *s)
{
	if (!s->code.p || s->code.n != 3)
		return -1;
	int v = 0;
	for (size_t i = 0; i < 3; i++) {
		unsigned d = (unsigned)(unsigned char)s->code.p[i] - '0';
		if (d > 9)
			return -1;
		v = v * 10 + (int)d;
	}
	return v;
}
