/*
 * mime-edit.h: a message's header edited as the message rules' "Modify headers" action asks
 * (admin guide 4.14): each edit is "Name: value" (every field of that name removed, then
 * "Name: value" added at the top of the header) or "Name" (every field of that name removed,
 * continuation lines included). Names compare case-insensitively; the body is kept octet for
 * octet; the added fields end with the line ending the message uses (CRLF unless its first
 * line ends with a bare LF). OWNS nothing. THREAD: any.
 */
#ifndef MIME_EDIT_H
#define MIME_EDIT_H

#include "pb-buf.h"

#include <stddef.h>

/* Appends message (len octets) with its header edited by edits (one edit per line, '\n'
 * separated, empty lines ignored) to out. Returns how many edits were applied (0: out is the
 * message as it was). Never fails: a message without a header gets the added fields before
 * it and a blank line. */
size_t mime_header_edit(const void *message, size_t len, const char *edits, struct pb_buf *out);

#endif
