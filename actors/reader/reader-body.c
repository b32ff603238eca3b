/*
 * reader-body.c: a stored body streamed through the MIME parser, READER_PIECE octets at a
 * time, so a 50 MB body costs one piece and the parser's bounded state, never the body (see
 * reader-work.h). OWNS nothing. THREAD: the shard's.
 */
#include "reader-work.h"

#include "store-bodies.h"

/* Drains p's events into on_event. False: on_event asked to stop. */
static bool body_drain(struct mime_parser *p, reader_event_fn *on_event, void *ctx)
{
	struct mime_event ev;

	while (mime_parser_next(p, &ev) > 0) {
		if (on_event != NULL && !on_event(ctx, &ev))
			return false;
	}
	return true;
}

int reader_body_parse(struct reader_shard *sh, const char *key, struct mime_parser *p,
		      reader_event_fn *on_event, void *ctx, uint64_t *read_r,
		      const char **error_r)
{
	uint64_t off = 0, size = 0;

	*read_r = 0;
	for (;;) {
		size_t n = 0;
		int found = pb_store_blob_read(sh->store, key, off, sh->scratch, READER_PIECE, &n,
					       &size, error_r);
		if (found <= 0)
			return found;
		off += n;
		*read_r = off;
		if (n > 0)
			mime_parser_feed(p, sh->scratch, n);
		if (!body_drain(p, on_event, ctx))
			return 1;
		if (n == 0 || off >= size)
			break;
	}
	mime_parser_finish(p);
	body_drain(p, on_event, ctx);
	return 1;
}
