/*
 * mime-dump.h: renders what the golden files record about a parsed message: ENVELOPE,
 * BODYSTRUCTURE, BODY, decoded Subject / From / To, and the octet range of every section.
 * Used by test-mime-golden and by the mime-dump tool that drafts new .ref files.
 * OWNS nothing. THREAD: any.
 */
#ifndef MIME_DUMP_H
#define MIME_DUMP_H

#include "mime-part.h"
#include "pb-buf.h"

/* Appends the .ref text for msg (parsed from data, len octets) to out. Literal line breaks
 * inside IMAP strings are written as "<CRLF>" so each item stays on one line. */
void mime_dump(const struct mime_message *msg, const void *data, size_t len, struct pb_buf *out);

#endif
