/*
 * mime-imap.h: IMAP renderings of a parsed message (RFC 3501 / RFC 9051): ENVELOPE,
 * BODYSTRUCTURE (with extension data) and BODY, the string forms they use, and the lookup
 * of a section ("1.2.MIME", "2.HEADER", "3") to an octet range of the stored message.
 *
 * Output follows what Dovecot sends, which IMAP clients are proven against:
 * - strings are quoted, with \" and \\ escapes, or a literal {n}CRLF when they hold 8-bit
 *   octets, CR, LF or NUL, or more than 3 characters that need escaping;
 * - Subject and display names are cleaned "for humans": CR/LF/TAB become spaces, runs of
 *   whitespace one space, leading and trailing whitespace removed, and they are sent as a
 *   literal whenever the cleaning or escaping changed anything;
 * - Sender and Reply-To default to From; an empty address list is NIL; a missing mailbox
 *   or domain shows as MISSING_MAILBOX / MISSING_DOMAIN;
 * - body type, subtype, parameter names and values are sent as written; a text part
 *   without a charset gets ("charset" "us-ascii"); a missing Content-Transfer-Encoding is
 *   "7bit"; sizes are virtual (CRLF) octets;
 * - a multipart without sub-parts (no boundary, or depth limit) gets one empty text/plain
 *   body; a message/rfc822 that was not parsed gets an all-NIL envelope and an empty
 *   text/plain body.
 * OWNS nothing. THREAD: any (the message is only read).
 */
#ifndef MIME_IMAP_H
#define MIME_IMAP_H

#include "mime-part.h"
#include "pb-buf.h"

#include <stdbool.h>
#include <stdint.h>

/* Appends s (len octets) as an IMAP string: quoted or literal (see above). */
void mime_imap_append_string(struct pb_buf *out, const char *s, size_t len);
/* Appends NIL for NULL, else like mime_imap_append_string(). */
void mime_imap_append_nstring(struct pb_buf *out, const char *s);
/* Appends s cleaned for humans (see above); NIL for NULL. */
void mime_imap_append_nstring_human(struct pb_buf *out, const char *s);
/* Appends an address-list header value as an IMAP address list, or NIL. */
void mime_imap_append_addresses(struct pb_buf *out, const char *value);

/* Appends "(date subject from sender reply-to to cc bcc in-reply-to message-id)" for a
 * message root (the top part, or the child of a message/rfc822 part). For any other part,
 * or an unparsed message/rfc822, every field is NIL. */
void mime_imap_envelope(const struct mime_part *message_root, struct pb_buf *out);
/* Appends the body structure of part and its descendants, parenthesised, as
 * BODYSTRUCTURE (extended = true) or BODY (extended = false). For a message give its
 * root part. Recursion is bounded by the parse depth. */
void mime_imap_bodystructure(const struct mime_part *part, bool extended, struct pb_buf *out);

/* A section of the stored message: offset and length in physical octets, and the
 * length a server sends after converting bare LF to CRLF. */
struct mime_section_range {
	uint64_t offset;
	uint64_t size;
	uint64_t virtual_size;
	/* MIME_SECTION_HEADER_FIELDS(_NOT): the range is a header block the caller filters
	 * with mime_header_filter(). */
	bool header_fields;
	bool header_fields_not;
};

/* Finds the part a section path ("1", "2.1.3", "" = the message) names, following RFC
 * 3501 6.4.5: a part number inside a message/rfc822 counts in the embedded message; "1"
 * of a non-multipart message is its body. Returns 1 with part_r, 0 if there is no such
 * part, -1 if the path is not "n[.n]*". */
int mime_part_find(const struct mime_message *msg, const char *path,
		   const struct mime_part **part_r);
/* Locates a BODY[section] specifier without the brackets or partial: "", "HEADER",
 * "TEXT", "1.2", "1.2.MIME", "2.HEADER", "2.TEXT", "HEADER.FIELDS", "2.HEADER.FIELDS.NOT"
 * (the field list itself is left to the caller; only the keyword is read, up to a space
 * or '('). Keywords are case-insensitive. Returns 1 with range_r, 0 if the section does
 * not exist in this message (the server then returns an empty string), -1 with error_r
 * (static text) if the specifier is malformed. */
int mime_section_locate(const struct mime_message *msg, const char *section,
			struct mime_section_range *range_r, const char **error_r);

#endif
