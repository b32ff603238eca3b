/*
 * fuzz-mime-address.c: libFuzzer target for the address-list parser, its IMAP rendering
 * and its UTF-8 formatting (which must be valid UTF-8). OWNS nothing. THREAD: libFuzzer's.
 */
#include "mime-address.h"
#include "mime-charset.h"
#include "mime-imap.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mime_address_list list;
	struct pb_buf out;
	char *s = xstrndup((const char *)data, size); /* header values never hold NUL */

	pb_buf_init(&out);
	mime_address_list_parse(s, strlen(s), &list);
	if (list.n > MIME_ADDRESSES_MAX)
		abort();
	mime_address_list_format_utf8(&list, &out);
	mime_address_list_free(&list);
	if (!mime_utf8_is_valid(out.data, out.len))
		abort();
	pb_buf_reset(&out);
	mime_imap_append_addresses(&out, s);
	pb_buf_deinit(&out);
	free(s);
	return 0;
}
