/*
 * mime-part.h: the parsed structure of one message: a tree of parts with their octet
 * offsets, sizes and line counts, their Content-* fields and, for every message (the top
 * one and each message/rfc822 body), the raw envelope fields. Built by mime-parser.h,
 * serialised by mime-structure.h, rendered by mime-imap.h. The tree never holds body data:
 * callers slice the message they keep with the offsets.
 *
 * Shape (as Dovecot's): a multipart part has its sub-parts as children; a message/rfc822
 * part has exactly one child, the embedded message, whose header is the embedded header
 * and whose body is the embedded body; every other part is a leaf.
 *
 * OWNS: a struct mime_message owns all its parts and strings. THREAD: the owner only
 * (read-only use from several threads is safe).
 */
#ifndef MIME_PART_H
#define MIME_PART_H

#include "mime-header.h"
#include "pb-buf.h"

#include <stdbool.h>
#include <stdint.h>

/* Sizes of a header or a body: octets as stored (physical), octets with every bare LF
 * counted as CRLF (what IMAP reports and serves), and LF count (IMAP "lines"). */
struct mime_size {
	uint64_t physical;
	uint64_t virtual_size;
	uint64_t lines;
};

enum mime_part_flags {
	/* a multipart with a usable boundary: children are its sub-parts */
	MIME_PART_FLAG_MULTIPART = 1u << 0,
	/* message/rfc822 whose body was parsed: exactly one child, the embedded message */
	MIME_PART_FLAG_MESSAGE = 1u << 1,
	/* the root of a message (top level or embedded): envelope fields are set */
	MIME_PART_FLAG_MESSAGE_ROOT = 1u << 2,
	/* the header ran over max_header_size: later fields were not interpreted */
	MIME_PART_FLAG_HEADER_LIMIT = 1u << 3,
	/* a multipart or message/rfc822 at max_depth: its body was not parsed */
	MIME_PART_FLAG_DEPTH_LIMIT = 1u << 4,
	/* a multipart that ended without its close delimiter "--boundary--" */
	MIME_PART_FLAG_NO_CLOSE = 1u << 5,
	/* the header had no blank line (ended by a boundary or the end of data) */
	MIME_PART_FLAG_NO_BODY = 1u << 6,
	/* the header held 8-bit bytes, or NUL bytes, or a line that is not a field */
	MIME_PART_FLAG_HEADER_8BIT = 1u << 7,
	MIME_PART_FLAG_HEADER_NUL = 1u << 8,
	MIME_PART_FLAG_HEADER_BAD_LINE = 1u << 9,
	/* a line read while this part was the current one ends in a bare LF */
	MIME_PART_FLAG_BARE_LF = 1u << 11,
	/* a Content-Type field was present (valid or not: only the first one counts) */
	MIME_PART_FLAG_CONTENT_TYPE = 1u << 10,
};

/* The envelope fields IMAP ENVELOPE shows, in its order. */
enum mime_envelope_field {
	MIME_ENV_DATE,
	MIME_ENV_SUBJECT,
	MIME_ENV_FROM,
	MIME_ENV_SENDER,
	MIME_ENV_REPLY_TO,
	MIME_ENV_TO,
	MIME_ENV_CC,
	MIME_ENV_BCC,
	MIME_ENV_IN_REPLY_TO,
	MIME_ENV_MESSAGE_ID,
	MIME_ENV_COUNT
};

struct mime_part {
	struct mime_part *parent, *next, *children, *last_child;
	unsigned int n_children;
	unsigned int depth; /* 0 for the top-level message */
	uint32_t flags;     /* enum mime_part_flags */

	uint64_t offset;         /* physical offset of the first header octet */
	struct mime_size header; /* including the blank line that ends it */
	struct mime_size body;   /* body offset = offset + header.physical */

	/* Content-* fields, the first of each kind, NULL when absent or unusable. type and
	 * subtype are as written; when NULL the default applies (mime_part_type()). */
	char *type, *subtype;
	struct mime_param_list params;
	char *id, *description, *encoding, *md5, *location;
	char *disposition;
	struct mime_param_list disposition_params;
	char **languages;
	unsigned int n_languages;

	/* MIME_PART_FLAG_MESSAGE_ROOT only: the first occurrence of each envelope field, raw
	 * (encoded-words kept), unfolded, NUL bytes as U+FFFD; NULL when absent. */
	char *envelope[MIME_ENV_COUNT];
};

enum mime_message_flags {
	/* the part limit was reached: boundaries after it were not recognised */
	MIME_MESSAGE_FLAG_PARTS_LIMIT = 1u << 0,
	/* some part hit max_depth or max_header_size (see the part flags) */
	MIME_MESSAGE_FLAG_DEPTH_LIMIT = 1u << 1,
	MIME_MESSAGE_FLAG_HEADER_LIMIT = 1u << 2,
};

struct mime_message {
	struct mime_part *root;
	unsigned int n_parts;
	uint32_t flags; /* enum mime_message_flags */
};

/* Frees the message and all its parts; sets *msg to NULL. NULL is allowed. */
void mime_message_free(struct mime_message **msg);
/* Allocates an empty part (all sizes 0, no fields) as the last child of parent (may be
 * NULL for a root). The caller owns a root; a child is owned through its parent. */
struct mime_part *mime_part_new(struct mime_part *parent);
/* Frees a part tree (a root, or a detached subtree). */
void mime_part_free_tree(struct mime_part *part);
/* Interprets one header field of the part (name without colon, value unfolded as the
 * parser reports it): the first Content-Type / -Transfer-Encoding / -ID / -Description /
 * -MD5 / -Disposition / -Language / -Location fills the part's fields; on a message root
 * the first of each envelope field is kept. Other fields are ignored. */
void mime_part_add_field(struct mime_part *part, const char *name, size_t name_len,
			 const char *value, size_t value_len);

/* The effective media type: the Content-Type as written, or the default when absent or
 * invalid: "text"/"plain", or "message"/"rfc822" inside multipart/digest. */
const char *mime_part_type(const struct mime_part *part);
const char *mime_part_subtype(const struct mime_part *part);
/* True if the effective type is type/subtype (case-insensitive; subtype NULL = any). */
bool mime_part_is(const struct mime_part *part, const char *type, const char *subtype);
/* The part's Content-Type charset parameter, or NULL. */
const char *mime_part_charset(const struct mime_part *part);
/* Physical offset of the body. */
static inline uint64_t mime_part_body_offset(const struct mime_part *part)
{
	return part->offset + part->header.physical;
}

/* Appends a Content-Type or Content-Disposition parameter decoded to UTF-8 (RFC 2231
 * "name*" preferred over "name", RFC 2047 words in plain values decoded). from_disposition
 * picks the list. Returns 1 if found, 0 if not. */
int mime_part_param_utf8(const struct mime_part *part, bool from_disposition, const char *name,
			 struct pb_buf *out);
/* The attachment file name in UTF-8: Content-Disposition filename, else Content-Type
 * name. Returns 1 if found, 0 if not. */
int mime_part_filename_utf8(const struct mime_part *part, struct pb_buf *out);
/* The part a reader sees as the message text (for Body rules, search, previews): the
 * first text leaf that is not an attachment, preferring text/plain over text/html
 * inside multipart/alternative; embedded messages are not entered. NULL if none. */
const struct mime_part *mime_message_text_part(const struct mime_message *msg);
/* Decodes a leaf part's body to text: transfer decoding, then for text parts the charset
 * to UTF-8 (other types are appended as octets). `message` is the whole message the part
 * was parsed from (len octets). Returns 0, or -1 with error_r (static text) if the body
 * lies outside the data or had encoding damage; best-effort output is appended anyway. */
int mime_part_decode_body(const struct mime_part *part, const void *message, size_t len,
			  struct pb_buf *out, const char **error_r);

#endif
