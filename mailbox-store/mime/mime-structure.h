/*
 * mime-structure.h: a compact binary form of a parsed message's part tree, so the store
 * keeps it beside the message and never parses twice. Everything in struct mime_message is
 * kept (offsets, sizes, lines, flags, Content-* fields, envelope fields); decoding gives a
 * tree equal to the one encoded.
 *
 * Format (version 1): "PBM\x01", then varints (LEB128, shortest form only) and strings (varint length + 1, 0
 * for NULL, then the octets): message flags, part count, then the parts in pre-order, each
 * with its flags, child count, offset, header and body sizes (physical, virtual, lines),
 * type, subtype, params, id, description, encoding, md5, location, disposition,
 * disposition params, languages, and the envelope fields for a message root.
 *
 * The parts form ("PBP\x01", mime_structure_encode_parts) is the same without the fields:
 * per part its flags, child count, offset, sizes, and type / subtype only for a multipart.
 * It is what section numbering and ranges need (mime_part_find, mime_section_locate give on
 * it what they give on the full tree) in a few octets per part.
 * OWNS nothing. THREAD: any.
 */
#ifndef MIME_STRUCTURE_H
#define MIME_STRUCTURE_H

#include "mime-part.h"
#include "pb-buf.h"

#include <stddef.h>

/* Nesting accepted when decoding (the parser's max_depth is at most this in practice). */
#define MIME_STRUCTURE_MAX_DEPTH 1000

/* Appends the encoded form of msg to out. */
void mime_structure_encode(const struct mime_message *msg, struct pb_buf *out);
/* Decodes data (exactly len octets: trailing bytes are an error). Returns 0 with a newly
 * allocated message (the caller frees it with mime_message_free), or -1 with error_r
 * (static text) if the data is truncated, malformed or inconsistent (a multipart flag
 * without children, a message/rfc822 without exactly one message root child, nesting
 * over MIME_STRUCTURE_MAX_DEPTH, a part count that does not match). */
int mime_structure_decode(const void *data, size_t len, struct mime_message **msg_r,
			  const char **error_r);

/* Appends the parts form of msg to out. */
void mime_structure_encode_parts(const struct mime_message *msg, struct pb_buf *out);
/* Decodes the parts form, as mime_structure_decode() does the full one: the message has no
 * Content-* or envelope fields except a multipart's type and subtype. 0 / -1. */
int mime_structure_decode_parts(const void *data, size_t len, struct mime_message **msg_r,
				const char **error_r);

#endif
