/*
 * collector-pool.c: cwork's pool bookkeeping (see collector-pool.h).
 * OWNS: struct cwork_pool. THREAD: any, under the caller's lock.
 */
#include "collector-pool.h"

#include "pb-alloc.h"

#include <string.h>

static bool on(const struct cwork_pool *p, const char *name)
{
	for (size_t i = 0; i < CWORK_POOL_MAX; i++)
		if (p->slots[i].busy && strcmp(p->slots[i].name, name) == 0)
			return true;
	return false;
}

static bool waiting(const struct cwork_pool *p, const char *name)
{
	for (size_t i = 0; i < p->n; i++)
		if (strcmp(p->q[i].name, name) == 0)
			return true;
	return false;
}

int cwork_pool_push(struct cwork_pool *p, struct cwork_job *job)
{
	if (job->reply_to == NULL)
		job->reply_to = xstrdup("");
	if (job->reply_to[0] == '\0' && (on(p, job->name) || waiting(p, job->name))) {
		free(job->reply_to);
		job->reply_to = NULL;
		return 0;
	}
	if (p->n == CWORK_QUEUE_MAX)
		return -1;
	p->q[p->n++] = *job;
	job->reply_to = NULL;
	return 1;
}

size_t cwork_pool_running(const struct cwork_pool *p)
{
	size_t n = 0;
	for (size_t i = 0; i < CWORK_POOL_MAX; i++)
		n += p->slots[i].busy;
	return n;
}

static void remove_at(struct cwork_pool *p, size_t at, struct cwork_job *job_r)
{
	*job_r = p->q[at];
	memmove(&p->q[at], &p->q[at + 1], sizeof(p->q[0]) * (p->n - at - 1));
	p->n--;
}

int cwork_pool_take(struct cwork_pool *p, uint32_t limit, struct cwork_job *job_r,
		    size_t *slot_r)
{
	if (cwork_pool_running(p) >= limit)
		return 0;
	for (size_t i = 0; i < p->n; i++) {
		if (on(p, p->q[i].name))
			continue;
		size_t s = 0;
		while (p->slots[s].busy)
			s++; /* running < limit <= CWORK_POOL_MAX: a free slot exists */
		remove_at(p, i, job_r);
		p->slots[s].busy = true;
		p->slots[s].stop = job_r->stop;
		memcpy(p->slots[s].name, job_r->name, sizeof(p->slots[s].name));
		*slot_r = s;
		return 1;
	}
	return 0;
}

void cwork_pool_done(struct cwork_pool *p, size_t slot)
{
	memset(&p->slots[slot], 0, sizeof(p->slots[slot]));
}

void cwork_pool_stop(struct cwork_pool *p, const char *name)
{
	for (size_t i = 0; i < CWORK_POOL_MAX; i++)
		if (p->slots[i].busy && strcmp(p->slots[i].name, name) == 0) {
			p->slots[i].stop = true;
			return;
		}
	for (size_t i = 0; i < p->n; i++)
		if (strcmp(p->q[i].name, name) == 0) {
			p->q[i].stop = true;
			return;
		}
}

bool cwork_pool_stopping(const struct cwork_pool *p, const char *name)
{
	for (size_t i = 0; i < CWORK_POOL_MAX; i++)
		if (p->slots[i].busy && strcmp(p->slots[i].name, name) == 0)
			return p->slots[i].stop;
	return false;
}

int cwork_pool_pop(struct cwork_pool *p, struct cwork_job *job_r)
{
	if (p->n == 0)
		return 0;
	remove_at(p, 0, job_r);
	return 1;
}
