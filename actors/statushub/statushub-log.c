/*
 * statushub-log.c: the status hub's activity log (see statushub-log.h).
 * OWNS the items' texts. THREAD: the owner's.
 */
#include "statushub-log.h"

#include "pb-alloc.h"

#include <stdlib.h>
#include <string.h>

void statushub_log_init(struct statushub_log *l)
{
	memset(l, 0, sizeof(*l));
}

void statushub_log_deinit(struct statushub_log *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->items[(l->first + i) % STATUSHUB_LOG_MAX].text);
	memset(l, 0, sizeof(*l));
}

/* A copy of text cut to STATUSHUB_TEXT_MAX octets (not inside a UTF-8 sequence), control
 * characters made spaces. */
static char *clean_copy(const char *text)
{
	size_t len = strlen(text != NULL ? text : "");

	if (len > STATUSHUB_TEXT_MAX) {
		len = STATUSHUB_TEXT_MAX;
		while (len > 0 && ((unsigned char)text[len] & 0xc0) == 0x80)
			len--;
	}
	char *copy = xmalloc(len + 1);
	for (size_t i = 0; i < len; i++)
		copy[i] = (unsigned char)text[i] < 0x20 || text[i] == 0x7f ? ' ' : text[i];
	copy[len] = '\0';
	return copy;
}

const struct statushub_log_item *statushub_log_add(struct statushub_log *l, int64_t time_ms,
						   const char *text)
{
	struct statushub_log_item *it;

	if (l->n == STATUSHUB_LOG_MAX) {
		it = &l->items[l->first];
		free(it->text);
		l->first = (l->first + 1) % STATUSHUB_LOG_MAX;
	} else {
		it = &l->items[(l->first + l->n) % STATUSHUB_LOG_MAX];
		l->n++;
	}
	it->time_ms = time_ms;
	it->text = clean_copy(text);
	return it;
}

const struct statushub_log_item *statushub_log_at(const struct statushub_log *l, size_t i)
{
	return &l->items[(l->first + i) % STATUSHUB_LOG_MAX];
}
