/*
 * imap-mailbox-arg.c: mailbox names from and to the client (see imap-mailbox-arg.h).
 * OWNS nothing. THREAD: any.
 */
#include "imap-mailbox-arg.h"

#include "imap-mailbox-name.h"
#include "pb-alloc.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Whether name's first component is INBOX in any case. */
static bool inbox_first(const char *name)
{
	return strncasecmp(name, "INBOX", 5) == 0 && (name[5] == '\0' || name[5] == '/');
}

int imap_mailbox_arg_decode(const char *name, bool utf8, bool trailing_sep, struct pb_buf *out,
			    const char **error_r)
{
	size_t len = strlen(name);

	pb_buf_reset(out);
	if (trailing_sep && len > 1 && name[len - 1] == IMAP_MAILBOX_SEP)
		len--;
	if (utf8) {
		pb_buf_append(out, name, len);
	} else {
		char *copy = xstrndup(name, len);
		int ret = imap_mutf7_to_utf8(copy, out, error_r);
		free(copy);
		if (ret < 0)
			return -1;
	}
	pb_buf_append_c(out, '\0');
	if (inbox_first(out->data))
		memcpy(out->data, "INBOX", 5);
	return imap_mailbox_name_check(out->data, error_r);
}

int imap_mailbox_arg_quote(const char *name, bool utf8, struct pb_buf *out)
{
	struct pb_buf enc;
	const char *error;

	if (utf8 && !imap_utf8_valid(name))
		return -1;
	pb_buf_init(&enc);
	if (!utf8 && imap_utf8_to_mutf7(name, &enc, &error) < 0) {
		pb_buf_deinit(&enc);
		return -1;
	}
	const char *s = utf8 ? name : enc.data;
	size_t n = utf8 ? strlen(name) : enc.len;
	pb_buf_append_c(out, '"');
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '"' || s[i] == '\\')
			pb_buf_append_c(out, '\\');
		pb_buf_append_c(out, s[i]);
	}
	pb_buf_append_c(out, '"');
	pb_buf_deinit(&enc);
	return 0;
}

bool imap_mailbox_arg_same(const char *a, const char *b)
{
	if (strcasecmp(a, "INBOX") == 0)
		return strcasecmp(b, "INBOX") == 0;
	return strcmp(a, b) == 0;
}
