/*
 * queue-actor.h: the outbound queue's actors. Shards "queue.N" own the entries id % N (resumed
 * from the store at start): they group due recipients by route, keep the per-destination
 * concurrency, back off, expire, and send DSNs through the spool. Senders "qsend.N" run the
 * SMTP transactions (blocking, on their own threads). Both take the store as arg.
 * OWNS: see the .c files. THREAD: each actor's own.
 */
#ifndef QUEUE_ACTOR_H
#define QUEUE_ACTOR_H

#include "pb-runtime.h"

extern const struct pb_actor_def queue_actor_def;
extern const struct pb_actor_def qsend_actor_def;

/* The sender threads the daemon starts (each one transaction at a time). */
#define QUEUE_SENDERS 8

#endif
