/* pipeline.c - see pipeline.h.  A ring of PIPE_BATCHES batches between one producer thread and
 * the consumer; if the thread cannot be created the source runs inline in pipeline_next. */
#include "cli/pipeline.h"

#include <pthread.h>
#include <stdlib.h>

#include "common/util.h"

#define PIPE_BATCHES 4

struct pipeline {
	pipeline_next_fn next;
	void *src;
	bool stop_on_skip;
	pthread_t thr;
	bool threaded;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct sample_batch *b[PIPE_BATCHES];
	unsigned head, tail, full;  /* full batches: tail .. tail+full */
	bool done;
	enum jtl_status end;
	struct sample tmp;
};

/* Fill one batch from the source; returns false when the source has ended. */
static bool fill(struct pipeline *p, struct sample_batch *b, enum jtl_status *end)
{
	batch_reset(b);
	while (!batch_full(b)) {
		enum jtl_status st = p->next(p->src, &p->tmp);
		if (st == JTL_RECORD) {
			batch_push(b, &p->tmp);
			continue;
		}
		if (st == JTL_SKIPPED && !p->stop_on_skip)
			continue;
		*end = st;
		return false;
	}
	return true;
}

static void *run(void *arg)
{
	struct pipeline *p = arg;
	for (;;) {
		pthread_mutex_lock(&p->mu);
		while (p->full == PIPE_BATCHES)
			pthread_cond_wait(&p->cv, &p->mu);
		struct sample_batch *b = p->b[p->head];
		pthread_mutex_unlock(&p->mu);
		enum jtl_status end = JTL_END;
		bool more = fill(p, b, &end);
		pthread_mutex_lock(&p->mu);
		if (b->n) {
			p->head = (p->head + 1) % PIPE_BATCHES;
			p->full++;
		}
		if (!more) {
			p->done = true;
			p->end = end;
		}
		pthread_cond_broadcast(&p->cv);
		pthread_mutex_unlock(&p->mu);
		if (!more)
			return NULL;
	}
}

struct pipeline *pipeline_start(pipeline_next_fn next, void *src, bool stop_on_skip)
{
	struct pipeline *p = xcalloc(1, sizeof *p);
	p->next = next;
	p->src = src;
	p->stop_on_skip = stop_on_skip;
	p->end = JTL_END;
	for (unsigned i = 0; i < PIPE_BATCHES; i++) {
		p->b[i] = xmalloc(sizeof *p->b[i]);
		batch_init(p->b[i]);
	}
	pthread_mutex_init(&p->mu, NULL);
	pthread_cond_init(&p->cv, NULL);
	p->threaded = pthread_create(&p->thr, NULL, run, p) == 0;
	return p;
}

struct sample_batch *pipeline_next(struct pipeline *p)
{
	if (!p->threaded) {
		if (p->done)
			return NULL;
		enum jtl_status end = JTL_END;
		if (!fill(p, p->b[0], &end)) {
			p->done = true;
			p->end = end;
		}
		return p->b[0]->n ? p->b[0] : NULL;
	}
	pthread_mutex_lock(&p->mu);
	while (p->full == 0 && !p->done)
		pthread_cond_wait(&p->cv, &p->mu);
	struct sample_batch *b = p->full ? p->b[p->tail] : NULL;
	pthread_mutex_unlock(&p->mu);
	return b;
}

void pipeline_done(struct pipeline *p, struct sample_batch *b)
{
	(void)b;
	if (!p->threaded)
		return;
	pthread_mutex_lock(&p->mu);
	p->tail = (p->tail + 1) % PIPE_BATCHES;
	p->full--;
	pthread_cond_broadcast(&p->cv);
	pthread_mutex_unlock(&p->mu);
}

enum jtl_status pipeline_finish(struct pipeline *p)
{
	if (p->threaded) {
		/* drain what the producer still has so it can finish */
		struct sample_batch *b;
		while ((b = pipeline_next(p)))
			pipeline_done(p, b);
		pthread_join(p->thr, NULL);
	}
	enum jtl_status end = p->end;
	pthread_cond_destroy(&p->cv);
	pthread_mutex_destroy(&p->mu);
	for (unsigned i = 0; i < PIPE_BATCHES; i++) {
		batch_free(p->b[i]);
		free(p->b[i]);
	}
	free(p);
	return end;
}
