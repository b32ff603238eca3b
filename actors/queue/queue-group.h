/*
 * queue-group.h: which recipients of one queue entry share a transaction's envelope. A
 * recipient may carry its own envelope sender and header edits (a message rule's "Set forward
 * sender" and "Modify headers" on a forwarded copy: store-queue.h struct pb_queue_rcpt), so
 * one entry may hold several groups; the recipients of one next hop with the same sender and
 * the same edits go in one transaction, the others in transactions of their own (the body
 * stays one, shared: the edits are applied as it is sent, queue-smtp.h). Pure.
 * OWNS: nothing. THREAD: any.
 */
#ifndef QUEUE_GROUP_H
#define QUEUE_GROUP_H

#include "store-queue.h"

#include <stdbool.h>
#include <stddef.h>

/* The envelope sender r goes out from: its own, else the entry's ("" the null sender). */
const char *queue_rcpt_sender(const struct pb_queue_rec *q, const struct pb_queue_rcpt *r);
/* r's header edits, "" none. */
const char *queue_rcpt_edit(const struct pb_queue_rcpt *r);
/* Whether a and b (recipients of q) may share one envelope: the same sender (octet for
 * octet) and the same edits. */
bool queue_rcpt_same_group(const struct pb_queue_rec *q, const struct pb_queue_rcpt *a,
			   const struct pb_queue_rcpt *b);
/* Narrows pick (q->n flags: the recipients due for one next hop) to the first picked one's
 * group: the others are cleared (they go in a later transaction). Returns the index of that
 * first one (its sender and edits are the transaction's), or q->n when none is picked. */
size_t queue_group_pick(const struct pb_queue_rec *q, bool *pick);

#endif
