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

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct mime_signature {
	const char *text; /* plain text, lines separated by LF or CR LF; "" none */
	const char *html; /* an HTML fragment; NULL or "": the text, escaped, lines as <br> */
	/* NULL or "" none; else plain text put after the text (and after the HTML, escaped),
	 * an empty line between: a disclaimer that follows any signature */
	const char *disclaimer;
};

/* Writes msg with the signature put in into *out_r (initialised here, the caller's to
 * pb_buf_deinit) and returns the number of parts signed (>= 1); or returns 0 with *why_r (a
 * static string) and *out_r empty: the message is to be kept as it is. */
int mime_signature_insert(const char *msg, size_t len, const struct mime_signature *sig,
			  struct pb_buf *out_r, const char **why_r);

/* The same for a text not yet in a message (a composer that builds the MIME itself, e.g.
 * webmail, before it encodes the part): writes into *out_r (initialised here, the caller's to
 * pb_buf_deinit) text as it reads after the signature is put in: the octets
 * mime_signature_insert gives the body of a single-part 8bit text/plain; charset=utf-8
 * message holding text. Returns 1; or 0 with *why_r (static) and *out_r empty: the text is to
 * be kept as it is (inline PGP, the signature already there, no text set). */
int mime_signature_text(const char *text, size_t len, const struct mime_signature *sig,
			struct pb_buf *out_r, const char **why_r);

/* ---- the same over a stream (a message too large to hold whole) ----
 *
 * A plan is fed the message piece by piece (any cut), decides at the end which insertions
 * to make (the same parts, points and octets as mime_signature_insert, which is this plan
 * fed in one piece), and then rewrites the message as it is read again, piece by piece:
 * memory is the parser's tree and a window of the longest marker, never the message. Bounds
 * where a very unusual message could differ from the whole call: only the last 256
 * "</body>" tags of the message are remembered (an HTML part before them gets the
 * signature at its end), and the line end of at most 64 text parts. */
struct mime_signature_plan;

/* A plan for sig (copied: sig is the caller's). Never fails. */
struct mime_signature_plan *mime_signature_plan_create(const struct mime_signature *sig);
/* The next len octets of the message (data is the caller's, copied as needed). */
void mime_signature_plan_feed(struct mime_signature_plan *p, const void *data, size_t len);
/* Ends the message: returns the number of parts to sign (>= 1), or 0 with *why_r (static
 * text): the message is to be kept as it is. Again: the same answer. */
int mime_signature_plan_finish(struct mime_signature_plan *p, const char **why_r);
/* After a finish that returned >= 1: appends to out the next len octets of the message (the
 * same octets as were fed, read again from the start, in any cut) with the insertions that
 * fall in them; last: this is the message's last piece (an insertion at its very end goes
 * after it). */
void mime_signature_plan_apply(struct mime_signature_plan *p, const void *data, size_t len,
			       bool last, struct pb_buf *out);
/* After a finish that returned n >= 1, insertion i (0..n-1, in message order): returns its
 * octets (the plan's, valid until it is destroyed; no NUL inside) and their length in *len_r,
 * *at_r the offset in the message they go before; NULL when i >= n. What a store keeps to
 * apply the plan later, without the message (mime_signature_plan_load). */
const char *mime_signature_plan_insertion(const struct mime_signature_plan *p, size_t i,
					  uint64_t *at_r, size_t *len_r);
/* A finished plan of the n insertions text[i] at at[i] (as mime_signature_plan_insertion
 * gave them, in order), ready for mime_signature_plan_apply. NULL: n is 0 or over the
 * bound (MIME_SIGNATURE_MAX_INSERTS), or the offsets are out of order. */
#define MIME_SIGNATURE_MAX_INSERTS 8
struct mime_signature_plan *mime_signature_plan_load(const uint64_t *at, const char *const *text,
						     size_t n);
/* Frees the plan; sets *p to NULL (NULL allowed). */
void mime_signature_plan_destroy(struct mime_signature_plan **p);

#endif
