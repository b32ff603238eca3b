/*
 * pb-lines.c: line framing for the protocol parsers (see pb-lines.h). OWNS the buffer.
 * THREAD: the owner's.
 */
#include "pb-lines.h"

#include "pb-alloc.h"

#include <string.h>

#define LINES_INITIAL_CAP 512

void pb_lines_init(struct pb_lines *l, size_t max_input)
{
	memset(l, 0, sizeof(*l));
	l->cap = LINES_INITIAL_CAP;
	l->buf = xcalloc(1, l->cap);
	l->max_input = max_input;
}

void pb_lines_deinit(struct pb_lines *l)
{
	if (l->buf != NULL) {
		explicit_bzero(l->buf, l->cap);
		free(l->buf);
	}
	explicit_bzero(l, sizeof(*l));
}

/* Wipes the line handed out by the previous call (it may hold credentials). */
static void lines_release(struct pb_lines *l)
{
	if (l->wipe_len > 0) {
		explicit_bzero(l->buf + l->wipe_off, l->wipe_len);
		l->wipe_len = 0;
	}
	if (l->tail_len > 0 && !l->discarding) {
		explicit_bzero(l->tail, sizeof(l->tail));
		l->tail_len = 0;
	}
}

/* Keeps the last octets of n more dropped from an over-long line in l->tail. */
static void lines_keep_tail(struct pb_lines *l, const char *s, size_t n)
{
	if (n >= sizeof(l->tail)) {
		memcpy(l->tail, s + n - sizeof(l->tail), sizeof(l->tail));
		l->tail_len = sizeof(l->tail);
		return;
	}
	size_t keep = l->tail_len < sizeof(l->tail) - n ? l->tail_len : sizeof(l->tail) - n;
	memmove(l->tail, l->tail + l->tail_len - keep, keep);
	memcpy(l->tail + keep, s, n);
	l->tail_len = keep + n;
}

/* Drops n unparsed bytes, wiping them. */
static void lines_drop(struct pb_lines *l, size_t n)
{
	explicit_bzero(l->buf + l->pos, n);
	l->pos += n;
	l->scanned = 0;
}

/* Makes room for extra more bytes after the unparsed ones, moving them to the front. The
 * old memory is wiped before it is freed or reused. */
static void lines_make_room(struct pb_lines *l, size_t extra)
{
	size_t unparsed = l->len - l->pos;

	if (l->pos > 0) {
		memmove(l->buf, l->buf + l->pos, unparsed);
		explicit_bzero(l->buf + unparsed, l->len - unparsed);
		l->pos = 0;
		l->len = unparsed;
	}
	if (unparsed + extra <= l->cap)
		return;
	size_t cap = l->cap;
	while (cap < unparsed + extra)
		cap *= 2;
	char *nbuf = xcalloc(1, cap);
	memcpy(nbuf, l->buf, unparsed);
	explicit_bzero(l->buf, l->cap);
	free(l->buf);
	l->buf = nbuf;
	l->cap = cap;
}

int pb_lines_feed(struct pb_lines *l, const void *data, size_t len)
{
	lines_release(l);
	if (len > l->max_input - (l->len - l->pos))
		return -1;
	if (len == 0)
		return 0;
	lines_make_room(l, len);
	memcpy(l->buf + l->len, data, len);
	l->len += len;
	return 0;
}

int pb_lines_take(struct pb_lines *l, size_t max, char **line_r, size_t *len_r)
{
	lines_release(l);
	char *start = l->buf + l->pos;
	size_t avail = l->len - l->pos;

	if (l->discarding) {
		char *lf = memchr(start, '\n', avail);
		if (lf == NULL) {
			lines_keep_tail(l, start, avail);
			lines_drop(l, avail);
			return 0;
		}
		lines_keep_tail(l, start, (size_t)(lf - start));
		if (l->tail_len > 0 && l->tail[l->tail_len - 1] == '\r')
			l->tail_len--;
		lines_drop(l, (size_t)(lf - start) + 1);
		l->discarding = false;
		return -1;
	}
	size_t lim = avail < max ? avail : max;
	if (l->scanned > lim)
		l->scanned = 0;
	char *lf = memchr(start + l->scanned, '\n', lim - l->scanned);
	if (lf == NULL) {
		l->scanned = lim;
		if (avail < max)
			return 0;
		l->discarding = true;
		l->tail_len = 0;
		return pb_lines_take(l, max, line_r, len_r);
	}
	size_t total = (size_t)(lf - start) + 1, n = total - 1;
	if (n > 0 && start[n - 1] == '\r')
		n--;
	start[n] = '\0';
	l->wipe_off = l->pos;
	l->wipe_len = total;
	l->pos += total;
	l->scanned = 0;
	*line_r = start;
	*len_r = n;
	return 1;
}

size_t pb_lines_dropped_tail(const struct pb_lines *l, const char **tail_r)
{
	*tail_r = l->tail;
	return l->tail_len;
}

void pb_lines_pending(const struct pb_lines *l, const void **data_r, size_t *len_r)
{
	*data_r = l->buf + l->pos;
	*len_r = l->len - l->pos;
}

void pb_lines_consume(struct pb_lines *l, size_t n)
{
	lines_release(l);
	ASSERT(n <= l->len - l->pos);
	l->pos += n;
	l->scanned = 0;
}

void pb_lines_discard(struct pb_lines *l)
{
	lines_release(l);
	lines_drop(l, l->len - l->pos);
	l->discarding = false;
}
