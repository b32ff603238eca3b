/*
 * statushub-log.h: the activity log the status hub keeps — the last STATUSHUB_LOG_MAX items,
 * each its wall-clock time and full text (admin guide 2.2.2: "The log shows the last 100
 * items"; a right click shows an item's time and full text), oldest dropped first.
 * Pure: no nng, no clock (times are given). THREAD: the owner's. OWNS the items' texts.
 */
#ifndef STATUSHUB_LOG_H
#define STATUSHUB_LOG_H

#include <stddef.h>
#include <stdint.h>

#define STATUSHUB_LOG_MAX 100
/* The longest text kept (octets; a longer one is cut at a character boundary). */
#define STATUSHUB_TEXT_MAX 1000

struct statushub_log_item {
	int64_t time_ms;
	char *text;
};

struct statushub_log {
	struct statushub_log_item items[STATUSHUB_LOG_MAX]; /* a ring */
	size_t first, n;
};

void statushub_log_init(struct statushub_log *l);
void statushub_log_deinit(struct statushub_log *l);
/* Adds an item (text copied, cut to STATUSHUB_TEXT_MAX; control characters become spaces),
 * dropping the oldest when full. Returns the item as kept (valid until the next add). */
const struct statushub_log_item *statushub_log_add(struct statushub_log *l, int64_t time_ms,
						   const char *text);
/* The i-th item, oldest first (i < l->n). */
const struct statushub_log_item *statushub_log_at(const struct statushub_log *l, size_t i);

#endif
