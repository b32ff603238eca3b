/*
 * mime-signature.h: a signature (or disclaimer) put into a message's text (issue 13 item 7):
 * plain text into text/plain parts ("-- " line, then the text), HTML into text/html parts
 * (before </body>, else at the end), in the right MIME part:
 *   - a single-part text/plain or text/html message: that part;
 *   - multipart/alternative: every text/plain and text/html alternative (both versions);
 *   - multipart/mixed, /related (any other multipart): its first part, looked into the same
 *     way (the message text; attachments after it are left alone);
 *   - never an attachment (Content-Disposition: attachment), a message/rfc822, a base64 part
 *     (the text would need re-encoding: left as is), or a part whose charset cannot carry a
 *     non-ASCII signature (only us-ascii and utf-8 do).
 * Quoted-printable parts get the signature quoted-printable encoded.
 * Left untouched, with the reason: a signed message (multipart/signed, application/pkcs7-mime
 * or x-pkcs7-mime S/MIME, an inline "-----BEGIN PGP SIGNED MESSAGE-----"): any change would
 * break the signature; a message whose text already holds the signature (added once, not
 * again when a signed message is forwarded or replied to with its text quoted as is); a
 * message with no part to put it in.
 *
 * Pure: bytes in, bytes out; no clock, no store. THREAD: any. OWNS: nothing it does not return.
 */
#ifndef MIME_SIGNATURE_H
#define MIME_SIGNATURE_H

#include "pb-buf.h"

#include <stddef.h>

struct mime_signature {
	const char *text; /* plain text, lines separated by LF or CR LF; "" none */
	const char *html; /* an HTML fragment; NULL or "": the text, escaped, lines as <br> */
};

/* Writes msg with the signature put in into *out_r (initialised here, the caller's to
 * pb_buf_deinit) and returns the number of parts signed (>= 1); or returns 0 with *why_r (a
 * static string) and *out_r empty: the message is to be kept as it is. */
int mime_signature_insert(const char *msg, size_t len, const struct mime_signature *sig,
			  struct pb_buf *out_r, const char **why_r);

#endif
