/*
 * pb-mq.h: an in-process message queue — the inbox of an actor, a caller's reply port or an
 * event loop's inbox. A bounded FIFO of byte strings (encoded messages) guarded by a mutex,
 * with a condition variable for blocking receivers and, when asked, an eventfd that is readable
 * exactly while the queue holds a message (for epoll).
 *
 * Why not nng's inproc transport: a message between two threads of one process went through
 * nng's push and pull sockets, its pipe and its task threads — three thread hand-offs and
 * about a hundred futex calls per delivered message in the mail benchmark. Messages between
 * processes (the CLI's bridge) and, later, between nodes stay on nng.
 *
 * OWNS the queued byte strings. THREAD: every function may be called from any thread; the
 * queue is freed when its last reference goes (pb_mq_unref).
 */
#ifndef PB_MQ_H
#define PB_MQ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct pb_mq;

enum pb_mq_result {
	PB_MQ_OK = 0,
	PB_MQ_FULL = -1,   /* a non-blocking push found the queue at its capacity */
	PB_MQ_CLOSED = -2, /* the receiver has closed it */
};

/* A queue holding at most capacity (>= 1) messages, with one reference (the receiver's).
 * pollable: make an eventfd for pb_mq_fd. Returns NULL only if the eventfd cannot be made. */
struct pb_mq *pb_mq_create(uint32_t capacity, bool pollable);
void pb_mq_ref(struct pb_mq *q);
/* Drops a reference; the last one frees the queue and whatever it still holds. */
void pb_mq_unref(struct pb_mq *q);
/* Copies len bytes into the queue. nonblock: PB_MQ_FULL at once when full; otherwise waits
 * for room. Returns PB_MQ_OK, PB_MQ_FULL or PB_MQ_CLOSED. */
int pb_mq_push(struct pb_mq *q, const void *data, size_t len, bool nonblock);
/* Takes the oldest message: *data_r (malloc'd, the caller frees it) and *len_r. Waits up to
 * timeout_ms (<0: forever, 0: not at all). Returns 1, 0 on timeout, -1 once closed. */
int pb_mq_pop(struct pb_mq *q, int timeout_ms, void **data_r, size_t *len_r);
/* Closes the queue: pushes fail with PB_MQ_CLOSED, pops return -1, waiters wake. What it
 * holds is freed with the last reference. */
void pb_mq_close(struct pb_mq *q);
/* The eventfd of a pollable queue (readable while a message is queued), or -1. */
int pb_mq_fd(const struct pb_mq *q);
/* The messages queued now, and the pushes refused because it was full so far. */
uint32_t pb_mq_depth(struct pb_mq *q);
uint64_t pb_mq_full_count(const struct pb_mq *q);

#endif
