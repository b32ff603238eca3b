/*
 * queue-group.c: the recipients of one entry that share an envelope (see queue-group.h).
 * OWNS: nothing. THREAD: any.
 */
#include "queue-group.h"

#include <string.h>

const char *queue_rcpt_sender(const struct pb_queue_rec *q, const struct pb_queue_rcpt *r)
{
	if (r->sender != NULL)
		return r->sender;
	return q->sender != NULL ? q->sender : "";
}

const char *queue_rcpt_edit(const struct pb_queue_rcpt *r)
{
	return r->edit != NULL ? r->edit : "";
}

bool queue_rcpt_same_group(const struct pb_queue_rec *q, const struct pb_queue_rcpt *a,
			   const struct pb_queue_rcpt *b)
{
	return strcmp(queue_rcpt_sender(q, a), queue_rcpt_sender(q, b)) == 0 &&
	       strcmp(queue_rcpt_edit(a), queue_rcpt_edit(b)) == 0;
}

size_t queue_group_pick(const struct pb_queue_rec *q, bool *pick)
{
	size_t first = q->n;

	for (size_t i = 0; i < q->n; i++) {
		if (!pick[i])
			continue;
		if (first == q->n)
			first = i;
		else
			pick[i] = queue_rcpt_same_group(q, &q->r[first], &q->r[i]);
	}
	return first;
}
