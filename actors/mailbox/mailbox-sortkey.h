/*
 * mailbox-sortkey.h: webmail's FROM and SUBJECT sort keys of a message (mailbox-sortidx.h's
 * keys): made once when the message is stored, from its body's structure record (the raw
 * From and Subject the body writer's parse kept: one small store lookup, no body read), and
 * kept in its message record (pb_msg_rec.sort_from/sort_subject), so building a folder's sort
 * index is a scan of its records. A record without them (stored before) has its keys made from
 * the body's header instead (mailbox-page.c), by the same mailbox_sort_field_key.
 * OWNS: nothing. THREAD: the caller's.
 */
#ifndef MAILBOX_SORTKEY_H
#define MAILBOX_SORTKEY_H

#include "mailbox-sortidx.h"
#include "store-mail.h"

#include <stdbool.h>
#include <stddef.h>

/* The key of a raw (unfolded) header field value raw[0..len) (NULL: the field is absent):
 * Subject decoded (RFC 2047); From's first address's decoded display name, else its
 * addr-spec; then folded by mailbox_sort_key. */
void mailbox_sort_field_key(const char *raw, size_t len, bool from,
			    char key_r[MAILBOX_SORT_KEY_LEN]);
/* Sets rec's sort keys (and has_sort_keys) from the structure record of its body
 * (rec->blob_key). A body without one, or a store failure, leaves rec without keys: its keys
 * are then read from the body when an index needs them. Never fails the caller's write. */
void mailbox_sort_keys_fill(struct pb_store *s, struct pb_msg_rec *rec);

#endif
