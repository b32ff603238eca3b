/*
 * mime-meta.h: what IMAP FETCH asks of a stored message, computed once from its parse and
 * kept beside the body (the store's "meta" record, keyed by the body's content address, so
 * every copy of a message shares it): ENVELOPE, BODYSTRUCTURE, BODY as sent, the sizes, and
 * the part tree's offsets in the parts form (mime-structure.h), enough to turn any
 * BODY[section]<partial> into octet ranges of the stored body without parsing it again.
 *
 * Versioned: MIME_META_VERSION names the parser and renderings that wrote a meta. Bump it
 * whenever the parser, mime-imap or this layout changes what a meta would hold; a meta with
 * another version decodes as stale (0) and its reader computes it again.
 *
 * Encoding: [u8 MIME_META_VERSION] then big-endian u64s: size, virtual size, header
 * physical / virtual / lines, body physical / virtual / lines, message flags; then
 * envelope, bodystructure, body and parts, each a u32 length and its octets.
 * OWNS: a struct mime_meta owns its strings. THREAD: any.
 */
#ifndef MIME_META_H
#define MIME_META_H

#include "mime-part.h"
#include "pb-buf.h"

#include <stdint.h>

#define MIME_META_VERSION 1

struct mime_meta {
	uint64_t size;         /* octets as stored */
	uint64_t virtual_size; /* RFC822.SIZE: bare LF counted as CRLF */
	struct mime_size header, body; /* of the top-level message */
	uint32_t flags;                /* enum mime_message_flags */
	/* The IMAP renderings of ENVELOPE, BODYSTRUCTURE and BODY, NUL-terminated (mime-imap.h
	 * never puts a NUL in them). */
	char *envelope, *bodystructure, *imap_body;
	/* mime_structure_encode_parts of the message */
	struct pb_buf parts;
};

/* Fills *meta_r from a parsed message (size: the stored octets it was parsed from). The
 * caller deinits it. */
void mime_meta_build(const struct mime_message *msg, uint64_t size, struct mime_meta *meta_r);
void mime_meta_deinit(struct mime_meta *meta);
/* Appends the encoded meta (current version) to out. */
void mime_meta_encode(const struct mime_meta *meta, struct pb_buf *out);
/* Decodes exactly len octets into *meta_r (deinit it after 1). Returns 1, 0 if it was written
 * by another MIME_META_VERSION (stale: compute it again), -1 with error_r (static text) if it
 * is malformed. */
int mime_meta_decode(const void *data, size_t len, struct mime_meta *meta_r,
		     const char **error_r);

#endif
