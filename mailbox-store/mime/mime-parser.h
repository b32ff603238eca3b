/*
 * mime-parser.h: streaming RFC 5322 / MIME parser. Bytes in (any chunking), events out
 * (part begins, header fields with folding undone, header end, body chunks, part ends),
 * and at the end a struct mime_message (mime-part.h) with every part's offsets, sizes and
 * line counts, so IMAP can serve BODY[1.2.MIME], BODY[2.HEADER], BODY[3]<0.1024> and
 * BODYSTRUCTURE without parsing again.
 *
 * Rules (as Dovecot reads mail):
 * - Lines end at LF; a CR before it belongs to the line break. Bare LF is accepted and
 *   counted as CRLF in the virtual sizes.
 * - A header ends at an empty line, at a boundary line of an enclosing multipart, or at the
 *   end of the data. A line without a colon is skipped (MIME_PART_FLAG_HEADER_BAD_LINE).
 * - A multipart (any subtype) with a boundary parameter of 1..MIME_BOUNDARY_MAX octets has sub-parts.
 *   A boundary line is a line that starts with "--boundary" (RFC 2046 forbids the
 *   boundary as a prefix of any line, so trailing text is ignored); "--boundary--" closes.
 *   The innermost open multipart is tried first, then the enclosing ones, so a missing
 *   close delimiter is ended by an outer boundary, or by the end of the data. The line
 *   break before a boundary line belongs to the boundary, not to the part before it.
 * - message/rfc822 with no transfer encoding (or 7bit, 8bit, binary) is parsed as an
 *   embedded message; with any other (base64, quoted-printable) it is a leaf.
 *
 * Limits (struct mime_limits) and their defined results, never an error:
 * - max_header_size: octets of one header block. Fields that end beyond it are neither
 *   reported nor interpreted; the header is still scanned to its end, offsets stay exact;
 *   MIME_PART_FLAG_HEADER_LIMIT and MIME_MESSAGE_FLAG_HEADER_LIMIT are set.
 * - max_depth: a multipart or message/rfc822 whose sub-parts would be deeper is kept as a
 *   leaf (MIME_PART_FLAG_DEPTH_LIMIT, MIME_MESSAGE_FLAG_DEPTH_LIMIT).
 * - max_parts: once the message has this many parts, boundaries are no longer recognised
 *   and no message/rfc822 is entered: the rest of the data is the body of the current
 *   part (MIME_MESSAGE_FLAG_PARTS_LIMIT).
 * Memory held: the input fed and not yet consumed (next() consumes all it can), one
 * header field (<= max_header_size), at most a line break plus 4 + MIME_BOUNDARY_MAX
 * octets of a line start between feeds, and the tree.
 *
 * OWNS its input buffer, the event data and, until taken, the message tree.
 * THREAD: one parser per thread at a time; no shared state.
 */
#ifndef MIME_PARSER_H
#define MIME_PARSER_H

#include "mime-part.h"

#include <stddef.h>

#define MIME_BOUNDARY_MAX 200
#define MIME_DEFAULT_MAX_HEADER_SIZE (1024 * 1024)
#define MIME_DEFAULT_MAX_DEPTH 100
#define MIME_DEFAULT_MAX_PARTS 10000

struct mime_limits {
	size_t max_header_size; /* octets per header block; 0 = default */
	unsigned int max_depth; /* nesting of multipart / message/rfc822; 0 = default */
	unsigned int max_parts; /* parts per message, the top one included; 0 = default */
};

enum mime_event_type {
	MIME_EVENT_PART_BEGIN, /* a part starts (its header follows) */
	MIME_EVENT_HEADER,     /* one header field of the part */
	MIME_EVENT_HEADER_END, /* the part's header is complete; its fields are interpreted */
	MIME_EVENT_BODY,       /* octets of the part's body (for a multipart: preamble,
				  epilogue; for message/rfc822 none: its child gets them) */
	MIME_EVENT_PART_END,   /* the part is complete: its sizes are final */
	MIME_EVENT_END,        /* the message is complete (after mime_parser_finish) */
};

struct mime_event {
	enum mime_event_type type;
	/* The part concerned (for MIME_EVENT_END the root); owned by the message. */
	struct mime_part *part;
	/* MIME_EVENT_HEADER: the field name (without colon, trailing whitespace removed) and
	 * value (unfolded: CR/LF removed, leading whitespace skipped). Not NUL-terminated. */
	const char *name;
	size_t name_len;
	const char *value;
	size_t value_len;
	/* MIME_EVENT_BODY: raw body octets. */
	const unsigned char *data;
	size_t data_len;
};

/* Creates a parser. limits may be NULL (defaults); zero fields take their default. */
struct mime_parser *mime_parser_create(const struct mime_limits *limits);
/* Frees the parser and the message if it was not taken; sets *p to NULL. */
void mime_parser_destroy(struct mime_parser **p);
/* Appends input (copied). Event data returned before becomes invalid. */
void mime_parser_feed(struct mime_parser *p, const void *data, size_t len);
/* Declares the end of the input. */
void mime_parser_finish(struct mime_parser *p);
/* Produces the next event into ev_r. Returns 1 (event ready; its pointers stay valid until
 * the next call to any mime_parser_* function), or 0 (more input is needed, or after
 * MIME_EVENT_END nothing is left). Never -1: malformed input is not an error (see above). */
int mime_parser_next(struct mime_parser *p, struct mime_event *ev_r);
/* After MIME_EVENT_END: hands over the message (the caller frees it with
 * mime_message_free). Returns NULL before the end or if already taken. */
struct mime_message *mime_parser_take_message(struct mime_parser *p);

/* Parses a whole message in memory (one feed, finish, drain). limits may be NULL.
 * Returns the message (never NULL); the caller frees it. */
struct mime_message *mime_message_parse(const void *data, size_t len,
					const struct mime_limits *limits);

#endif
