/*
 * pop3-stuff.c: byte-stuffing of RETR / TOP response bodies and the TOP cut.
 * OWNS: only the caller's small struct. THREAD: one session.
 *
 * The stored message is copied in runs up to each LF (memchr), so the cost is one pass
 * and a couple of appends per line; only line starts and line ends need a decision.
 */
#include "pop3-stuff.h"

#include <string.h>

void pop3_stuff_init(struct pop3_stuff *s, int64_t top_lines)
{
	memset(s, 0, sizeof(*s));
	s->top_lines = top_lines < 0 ? -1 : top_lines;
	s->line_start = true;
}

/* A stored LF ends the line: CR LF goes out (the CR is already out if it was stored).
 * Counts TOP's header/body boundary and body lines. */
static void end_line(struct pop3_stuff *s, struct pb_buf *out)
{
	bool empty = s->line_len == 0 || (s->line_len == 1 && s->prev_cr);

	pb_buf_append(out, s->prev_cr ? "\n" : "\r\n", s->prev_cr ? 1 : 2);
	s->line_start = true;
	s->line_len = 0;
	s->prev_cr = false;
	if (s->top_lines < 0)
		return;
	if (!s->in_body) {
		if (empty) {
			s->in_body = true;
			s->done = s->top_lines == 0;
		}
		return;
	}
	if (--s->top_lines == 0)
		s->done = true;
}

void pop3_stuff_feed(struct pop3_stuff *s, const void *data, size_t len, struct pb_buf *out)
{
	const char *p = data;
	size_t i = 0;

	ASSERT(!s->finished);
	while (i < len && !s->done) {
		if (s->line_start && p[i] == '.')
			pb_buf_append_c(out, '.');
		s->line_start = false;
		const char *nl = memchr(p + i, '\n', len - i);
		size_t end = nl != NULL ? (size_t)(nl - p) : len;
		if (end > i) {
			pb_buf_append(out, p + i, end - i);
			s->line_len += end - i;
			s->prev_cr = p[end - 1] == '\r';
			i = end;
		}
		if (nl != NULL) {
			end_line(s, out);
			i++;
		}
	}
}

bool pop3_stuff_done(const struct pop3_stuff *s)
{
	return s->done;
}

void pop3_stuff_finish(struct pop3_stuff *s, struct pb_buf *out)
{
	ASSERT(!s->finished);
	if (s->prev_cr)
		pb_buf_append_c(out, '\n');
	else if (!s->line_start)
		pb_buf_append(out, "\r\n", 2);
	pb_buf_append(out, ".\r\n", 3);
	s->finished = true;
}
