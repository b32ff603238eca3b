/*
 * http-test-util.c: the HTTP reader's transcript (see http-test-util.h).
 * OWNS nothing. THREAD: the test's.
 */
#include "http-test-util.h"

#include "http-request.h"

bool http_test_status_in_transcript = true;

static void request_line(const struct http_request *q, struct pb_buf *out)
{
	pb_buf_printf(out, "%s %s", http_verb_name(q->verb), q->path != NULL ? q->path : "*");
	if (q->query != NULL)
		pb_buf_printf(out, " q=%s", q->query);
	pb_buf_printf(out, " ka=%d f=%zu b=%zu", q->keep_alive ? 1 : 0, q->n_fields, q->body.len);
	if (q->body.len > 0)
		pb_buf_printf(out, " body=%.*s", (int)q->body.len, q->body.data);
	pb_buf_append_c(out, '\n');
}

/* Feeds piece[0..n) until it is used up or the reader stops. Returns -1 after an error. */
static int feed(struct http_reader *r, const char *piece, size_t n, struct pb_buf *out)
{
	while (n > 0) {
		size_t used = 0;
		enum http_read rr = http_reader_feed(r, piece, n, &used);
		piece += used;
		n -= used;
		if (rr == HTTP_READ_ERROR) {
			if (http_test_status_in_transcript)
				pb_buf_printf(out, "ERR %d\n", http_reader_status(r));
			else
				pb_buf_append_str(out, "ERR\n");
			return -1;
		}
		if (rr == HTTP_READ_MORE)
			return 0;
		request_line(http_reader_request(r), out);
		http_reader_next(r);
	}
	return 0;
}

void http_test_transcript(const char *in, size_t len, size_t (*chunker)(size_t, void *),
			  void *ctx, struct pb_buf *out)
{
	struct http_limits limits = { .max_head = HTTP_TEST_MAX_HEAD, .max_body = HTTP_TEST_MAX_BODY };
	struct http_reader *r = http_reader_new(&limits);
	size_t off = 0;
	int rc = 0;

	for (size_t i = 0; off < len && rc == 0; i++) {
		size_t n = chunker != NULL ? chunker(i, ctx) : len - off;
		if (n > len - off)
			n = len - off;
		rc = feed(r, in + off, n, out);
		off += n;
	}
	if (rc == 0 && http_reader_started(r))
		pb_buf_append_str(out, "MORE\n");
	http_reader_free(&r);
}
