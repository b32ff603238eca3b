/*
 * pb-mq.c: the in-process message queue (pb-mq.h).
 * OWNS the ring of queued byte strings, under q->lock. THREAD: any.
 */
#include "pb-mq.h"

#include "pb-alloc.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

struct mq_item {
	void *data;
	size_t len;
};

struct pb_mq {
	pthread_mutex_t lock;
	pthread_cond_t readable; /* a message arrived, or closed */
	pthread_cond_t writable; /* room was made, or closed */
	struct mq_item *ring;
	uint32_t capacity, head, count;
	uint32_t pop_waiters, push_waiters;
	bool closed;
	int fd; /* eventfd, or -1 */
	atomic_uint refs;
	atomic_uint_fast64_t full; /* pushes refused: full */
};

struct pb_mq *pb_mq_create(uint32_t capacity, bool pollable)
{
	struct pb_mq *q = xcalloc(1, sizeof(*q));
	pthread_condattr_t ca;

	q->fd = -1;
	if (pollable && (q->fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) < 0) {
		free(q);
		return NULL;
	}
	q->capacity = capacity != 0 ? capacity : 1;
	q->ring = xcalloc(q->capacity, sizeof(*q->ring));
	pthread_mutex_init(&q->lock, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&q->readable, &ca);
	pthread_cond_init(&q->writable, &ca);
	pthread_condattr_destroy(&ca);
	atomic_init(&q->refs, 1);
	return q;
}

void pb_mq_ref(struct pb_mq *q)
{
	atomic_fetch_add_explicit(&q->refs, 1, memory_order_relaxed);
}

void pb_mq_unref(struct pb_mq *q)
{
	if (q == NULL || atomic_fetch_sub_explicit(&q->refs, 1, memory_order_acq_rel) != 1)
		return;
	for (uint32_t i = 0; i < q->count; i++)
		free(q->ring[(q->head + i) % q->capacity].data);
	free(q->ring);
	if (q->fd >= 0)
		close(q->fd);
	pthread_cond_destroy(&q->readable);
	pthread_cond_destroy(&q->writable);
	pthread_mutex_destroy(&q->lock);
	free(q);
}

/* The eventfd follows the queue's emptiness: set on the first message, cleared on the last. */
static void fd_signal(struct pb_mq *q, bool readable)
{
	uint64_t v = 1;

	if (q->fd < 0)
		return;
	if (readable)
		(void)!write(q->fd, &v, sizeof(v));
	else
		(void)!read(q->fd, &v, sizeof(v));
}

/* An absolute CLOCK_MONOTONIC time timeout_ms from now. */
static struct timespec deadline_after(int timeout_ms)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	ts.tv_sec += timeout_ms / 1000;
	ts.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
	if (ts.tv_nsec >= 1000000000L) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000L;
	}
	return ts;
}

int pb_mq_push(struct pb_mq *q, const void *data, size_t len, bool nonblock)
{
	void *copy = xmalloc(len != 0 ? len : 1);

	memcpy(copy, data, len);
	pthread_mutex_lock(&q->lock);
	while (!q->closed && q->count == q->capacity && !nonblock) {
		q->push_waiters++;
		pthread_cond_wait(&q->writable, &q->lock);
		q->push_waiters--;
	}
	int rc = q->closed ? PB_MQ_CLOSED : q->count == q->capacity ? PB_MQ_FULL : PB_MQ_OK;
	if (rc == PB_MQ_OK) {
		q->ring[(q->head + q->count) % q->capacity] = (struct mq_item){ copy, len };
		if (q->count++ == 0)
			fd_signal(q, true);
		if (q->pop_waiters > 0)
			pthread_cond_signal(&q->readable);
	}
	pthread_mutex_unlock(&q->lock);
	if (rc == PB_MQ_FULL)
		atomic_fetch_add_explicit(&q->full, 1, memory_order_relaxed);
	if (rc != PB_MQ_OK)
		free(copy);
	return rc;
}

/* Waits, with q->lock held, until a message, closing or the deadline. */
static void wait_readable(struct pb_mq *q, int timeout_ms)
{
	struct timespec until = deadline_after(timeout_ms > 0 ? timeout_ms : 0);

	while (!q->closed && q->count == 0 && timeout_ms != 0) {
		q->pop_waiters++;
		int rc = timeout_ms < 0 ? pthread_cond_wait(&q->readable, &q->lock)
				      : pthread_cond_timedwait(&q->readable, &q->lock, &until);
		q->pop_waiters--;
		if (rc == ETIMEDOUT)
			break;
	}
}

int pb_mq_pop(struct pb_mq *q, int timeout_ms, void **data_r, size_t *len_r)
{
	int rc = 0;

	pthread_mutex_lock(&q->lock);
	wait_readable(q, timeout_ms);
	if (q->closed) {
		rc = -1;
	} else if (q->count > 0) {
		struct mq_item *it = &q->ring[q->head];
		*data_r = it->data;
		*len_r = it->len;
		it->data = NULL;
		q->head = (q->head + 1) % q->capacity;
		if (--q->count == 0)
			fd_signal(q, false);
		if (q->push_waiters > 0)
			pthread_cond_signal(&q->writable);
		rc = 1;
	}
	pthread_mutex_unlock(&q->lock);
	return rc;
}

void pb_mq_close(struct pb_mq *q)
{
	pthread_mutex_lock(&q->lock);
	q->closed = true;
	pthread_cond_broadcast(&q->readable);
	pthread_cond_broadcast(&q->writable);
	pthread_mutex_unlock(&q->lock);
}

int pb_mq_fd(const struct pb_mq *q)
{
	return q->fd;
}

uint32_t pb_mq_depth(struct pb_mq *q)
{
	pthread_mutex_lock(&q->lock);
	uint32_t n = q->count;
	pthread_mutex_unlock(&q->lock);
	return n;
}

uint64_t pb_mq_full_count(const struct pb_mq *q)
{
	return atomic_load_explicit(&q->full, memory_order_relaxed);
}
