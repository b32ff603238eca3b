/*
 * fuzz-mime-header.c: libFuzzer target for header-value decoding: RFC 2047, RFC 2231,
 * Content-Type / -Disposition / -Language parsing, and the header-block helpers. The
 * decoded output must be valid UTF-8. OWNS nothing. THREAD: libFuzzer's.
 */
#include "mime-charset.h"
#include "mime-decode.h"
#include "mime-header.h"

#include <stdint.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *s = (const char *)data;
	struct pb_buf out;
	char *type = NULL, *subtype = NULL, *disp = NULL, **langs = NULL;
	struct mime_param_list params = { NULL, 0 };

	pb_buf_init(&out);
	mime_decode_header(s, size, &out);
	if (!mime_utf8_is_valid(out.data, out.len))
		abort();
	pb_buf_reset(&out);
	mime_decode_rfc2231(s, size, &out);
	if (!mime_utf8_is_valid(out.data, out.len))
		abort();
	if (mime_content_type_parse(s, size, &type, &subtype, &params) == 0) {
		for (unsigned int i = 0; i < params.n; i++) {
			pb_buf_reset(&out);
			mime_decode_param(params.v[i].name, params.v[i].value, &out);
		}
		free(type);
		free(subtype);
		mime_param_list_free(&params);
	}
	if (mime_content_disposition_parse(s, size, &disp, &params) == 0) {
		free(disp);
		mime_param_list_free(&params);
	}
	unsigned int n = mime_content_language_parse(s, size, &langs);
	for (unsigned int i = 0; i < n; i++)
		free(langs[i]);
	free(langs);
	free(mime_header_token_parse(s, size));
	static const char *const names[] = { "subject", "from" };
	pb_buf_reset(&out);
	mime_header_filter(s, size, names, 2, (size & 1) != 0, &out);
	pb_buf_deinit(&out);
	return 0;
}
