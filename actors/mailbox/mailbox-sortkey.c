/*
 * mailbox-sortkey.c: the sort keys of mailbox-sortkey.h, with the MIME library's header
 * functions (mime_decode_header, mime_address_list_parse) the readers use for IMAP SORT.
 * OWNS: nothing. THREAD: the caller's.
 */
#include "mailbox-sortkey.h"

#include "mime-address.h"
#include "mime-decode.h"
#include "mime-structure.h"
#include "pb-buf.h"
#include "store-bodies.h"

#include <string.h>

_Static_assert(MAILBOX_SORT_KEY_LEN == PB_MSG_SORT_KEY_LEN, "a record holds an index key");

/* From's sort text: the first address's decoded display name, else its addr-spec. */
static void from_text(const char *raw, size_t len, struct pb_buf *out)
{
	struct mime_address_list l = { 0 };

	mime_address_list_parse(raw, len, &l);
	const struct mime_address *a = l.n > 0 ? &l.v[0] : NULL;
	if (a != NULL && a->name != NULL && a->name[0] != '\0')
		mime_decode_header(a->name, strlen(a->name), out);
	if (a != NULL && out->len == 0)
		pb_buf_printf(out, "%s@%s", a->mailbox != NULL ? a->mailbox : "",
			      a->domain != NULL ? a->domain : "");
	mime_address_list_free(&l);
}

void mailbox_sort_field_key(const char *raw, size_t len, bool from,
			    char key_r[MAILBOX_SORT_KEY_LEN])
{
	struct pb_buf text;

	pb_buf_init(&text);
	if (raw != NULL && from)
		from_text(raw, len, &text);
	else if (raw != NULL)
		mime_decode_header(raw, len, &text);
	pb_buf_append(&text, "", 1);
	mailbox_sort_key((const char *)text.data, key_r);
	pb_buf_deinit(&text);
}

void mailbox_sort_keys_fill(struct pb_store *s, struct pb_msg_rec *rec)
{
	struct pb_buf enc;
	struct mime_message *msg = NULL;
	const char *error;

	rec->has_sort_keys = false;
	pb_buf_init(&enc);
	if (pb_store_blob_structure(s, rec->blob_key, &enc, &error) == 1 &&
	    mime_structure_decode(enc.data, enc.len, &msg, &error) == 0) {
		const char *from = msg->root->envelope[MIME_ENV_FROM];
		const char *subject = msg->root->envelope[MIME_ENV_SUBJECT];
		mailbox_sort_field_key(from, from != NULL ? strlen(from) : 0, true, rec->sort_from);
		mailbox_sort_field_key(subject, subject != NULL ? strlen(subject) : 0, false,
				       rec->sort_subject);
		rec->has_sort_keys = true;
		mime_message_free(&msg);
	}
	pb_buf_deinit(&enc);
}
