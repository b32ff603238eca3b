/*
 * fuzz-mime-structure.c: libFuzzer target for the structure decoder on arbitrary bytes:
 * whatever decodes must render and re-encode to the same bytes. OWNS nothing.
 * THREAD: libFuzzer's.
 */
#include "mime-imap.h"
#include "mime-structure.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mime_message *msg = NULL;
	const char *error;
	struct pb_buf out;

	if (mime_structure_decode(data, size, &msg, &error) < 0)
		return 0;
	pb_buf_init(&out);
	mime_imap_envelope(msg->root, &out);
	mime_imap_bodystructure(msg->root, true, &out);
	pb_buf_reset(&out);
	mime_structure_encode(msg, &out);
	if (out.len != size || memcmp(out.data, data, size) != 0)
		abort();
	pb_buf_deinit(&out);
	mime_message_free(&msg);
	return 0;
}
