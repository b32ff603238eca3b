/*
 * fuzz-mime-transfer.c: libFuzzer target for quoted-printable and base64 decoding and the
 * charset conversion (the first octet picks the charset). Conversion output must be valid
 * UTF-8; decoders never write more than their input allows. OWNS nothing.
 * THREAD: libFuzzer's.
 */
#include "mime-charset.h"
#include "mime-decode.h"

#include <stdint.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const charsets[] = { "utf-8", "us-ascii", "iso-8859-1", "windows-1251",
						"koi8-r", "iso-2022-jp", "shift_jis", "gb2312",
						"ks_c_5601-1987", "utf-16", "utf-7", "big5",
						"x-unknown", NULL, "iso-8859-8-i", "euc-jp" };
	struct pb_buf out;
	const char *error;

	if (size == 0)
		return 0;
	const char *charset = charsets[data[0] % 16];
	data++;
	size--;
	pb_buf_init(&out);
	(void)mime_decode_qp(data, size, &out, &error);
	if (out.len > size)
		abort();
	pb_buf_reset(&out);
	(void)mime_decode_base64(data, size, &out, &error);
	if (out.len > size / 4 * 3 + 3)
		abort();
	pb_buf_reset(&out);
	mime_charset_to_utf8(charset, data, size, &out);
	if (!mime_utf8_is_valid(out.data, out.len))
		abort();
	pb_buf_deinit(&out);
	return 0;
}
