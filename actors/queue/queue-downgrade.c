/*
 * queue-downgrade.c: an 8-bit message made 7-bit (see queue-downgrade.h), over the MIME
 * parser's tree (mime-parser.h): the message is sliced by the parts' offsets, so what is not
 * converted goes out exactly as stored.
 * OWNS: nothing past the call. THREAD: any.
 */
#include "queue-downgrade.h"

#include "mime-header.h"
#include "mime-parser.h"

#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <strings.h>

#define QP_LINE_MAX 76

struct dg {
	const unsigned char *msg;
	size_t len;
	struct pb_buf *out;
	const char *error;
};

static bool has_8bit(const unsigned char *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i] >= 0x80)
			return true;
	return false;
}

/* One encoded token (1 or 3 octets) onto the current output line, after a soft break when
 * the line would pass QP_LINE_MAX with the '=' a break needs. */
static void qp_token(struct pb_buf *out, size_t *col, const char *tok, size_t n)
{
	if (*col + n > QP_LINE_MAX - 1) {
		pb_buf_append_str(out, "=\r\n");
		*col = 0;
	}
	pb_buf_append(out, tok, n);
	*col += n;
}

/* One line's content (no line break) encoded. */
static void qp_line(const unsigned char *p, size_t n, struct pb_buf *out)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t col = 0;

	for (size_t i = 0; i < n; i++) {
		unsigned char c = p[i];
		bool last = i + 1 == n;
		bool literal = (c >= 33 && c <= 126 && c != '=') || ((c == ' ' || c == '\t') && !last);
		char tok[3] = { (char)c, 0, 0 };
		if (!literal) {
			tok[0] = '=';
			tok[1] = hex[c >> 4];
			tok[2] = hex[c & 15];
		}
		qp_token(out, &col, tok, literal ? 1 : 3);
	}
}

void queue_downgrade_qp(const void *data, size_t len, struct pb_buf *out)
{
	const unsigned char *p = data;
	size_t at = 0;

	while (at < len) {
		const unsigned char *nl = memchr(p + at, '\n', len - at);
		size_t end = nl != NULL ? (size_t)(nl - p) : len;
		size_t content = end > at && nl != NULL && p[end - 1] == '\r' ? end - 1 : end;
		qp_line(p + at, content - at, out);
		if (nl != NULL)
			pb_buf_append_str(out, "\r\n");
		at = nl != NULL ? end + 1 : len;
	}
}

/* Copies msg[from, to) when it is 7-bit; else the error. 0 / -1. */
static int copy_7bit(struct dg *d, uint64_t from, uint64_t to, const char *what)
{
	if (to < from || to > d->len)
		return d->error = "the MIME structure is damaged", -1;
	if (has_8bit(d->msg + from, to - from))
		return d->error = what, -1;
	pb_buf_append(d->out, d->msg + from, to - from);
	return 0;
}

/* part's header with its Content-Transfer-Encoding set to cte (and, for a message (the top
 * one or an embedded one) without MIME-Version, the MIME fields that make it a MIME message). */
static void header_with_cte(struct dg *d, const struct mime_part *part, const char *cte)
{
	static const char *const drop[] = { "Content-Transfer-Encoding" };
	const unsigned char *h = d->msg + part->offset;
	struct pb_buf mv;

	pb_buf_init(&mv);
	bool mime = mime_header_get(h, part->header.physical, "MIME-Version", &mv) == 1;
	pb_buf_deinit(&mv);
	mime_header_filter(h, part->header.physical, drop, 1, true, d->out);
	d->out->len -= 2; /* the blank line the filter ended with: the new fields go first */
	bool root = (part->flags & MIME_PART_FLAG_MESSAGE_ROOT) != 0;
	if (root && !mime)
		pb_buf_append_str(d->out, "MIME-Version: 1.0\r\n");
	if (root && !mime && (part->flags & MIME_PART_FLAG_CONTENT_TYPE) == 0)
		pb_buf_append_str(d->out, "Content-Type: text/plain; charset=unknown-8bit\r\n");
	pb_buf_printf(d->out, "Content-Transfer-Encoding: %s\r\n\r\n", cte);
}

static bool plain_encoding(const struct mime_part *part)
{
	return part->encoding == NULL || strcasecmp(part->encoding, "7bit") == 0 ||
	       strcasecmp(part->encoding, "8bit") == 0;
}

static int part_out(struct dg *d, const struct mime_part *part);

/* A multipart: its header and the octets between its sub-parts as they are. */
static int multipart_out(struct dg *d, const struct mime_part *part)
{
	uint64_t at = mime_part_body_offset(part), end = at + part->body.physical;

	pb_buf_append(d->out, d->msg + part->offset, part->header.physical);
	for (const struct mime_part *c = part->children; c != NULL; c = c->next) {
		if (copy_7bit(d, at, c->offset, "8-bit octets in a multipart's boundary lines or "
						"preamble") < 0 ||
		    part_out(d, c) < 0)
			return -1;
		at = c->offset + c->header.physical + c->body.physical;
	}
	return copy_7bit(d, at, end, "8-bit octets in a multipart's epilogue");
}

/* A leaf: as it is when 7-bit, else quoted-printable when it may be. */
static int leaf_out(struct dg *d, const struct mime_part *part)
{
	const unsigned char *body = d->msg + mime_part_body_offset(part);

	if (!has_8bit(body, part->body.physical)) {
		pb_buf_append(d->out, d->msg + part->offset,
			      part->header.physical + part->body.physical);
		return 0;
	}
	if (!plain_encoding(part))
		return d->error = "8-bit octets in a binary or already encoded part", -1;
	if ((part->flags & MIME_PART_FLAG_NO_BODY) != 0)
		return d->error = "a part's header has no end", -1;
	header_with_cte(d, part, "quoted-printable");
	queue_downgrade_qp(body, part->body.physical, d->out);
	return 0;
}

static int part_out(struct dg *d, const struct mime_part *part)
{
	if ((part->flags & (MIME_PART_FLAG_HEADER_8BIT | MIME_PART_FLAG_HEADER_NUL)) != 0)
		return d->error = "8-bit octets in a header field (that needs SMTPUTF8, RFC 6532)",
		       -1;
	if ((part->flags & (MIME_PART_FLAG_DEPTH_LIMIT | MIME_PART_FLAG_HEADER_LIMIT)) != 0)
		return d->error = "the MIME structure is too deep or its header too large", -1;
	if (mime_part_body_offset(part) + part->body.physical > d->len)
		return d->error = "the MIME structure is damaged", -1;
	if ((part->flags & MIME_PART_FLAG_MULTIPART) != 0)
		return multipart_out(d, part);
	if ((part->flags & MIME_PART_FLAG_MESSAGE) != 0 && part->children != NULL) {
		/* message/rfc822 may only be 7bit, 8bit or binary (RFC 2046 5.2.1): 7bit now */
		if (!plain_encoding(part))
			return d->error = "8-bit octets in a binary embedded message", -1;
		header_with_cte(d, part, "7bit");
		return part_out(d, part->children);
	}
	return leaf_out(d, part);
}

int queue_downgrade(const void *msg, size_t len, struct pb_buf *out, const char **error_r)
{
	struct dg d = { msg, len, out, NULL };

	if (len > QUEUE_DOWNGRADE_MAX) {
		*error_r = "too large to convert";
		return -1;
	}
	struct mime_message *m = mime_message_parse(msg, len, NULL);
	int rc = (m->flags & MIME_MESSAGE_FLAG_PARTS_LIMIT) != 0
			 ? (d.error = "too many MIME parts", -1)
			 : part_out(&d, m->root);
	mime_message_free(&m);
	if (rc < 0)
		*error_r = d.error;
	return rc;
}
