/*
 * test-mime-structure.c: the binary structure form rejects truncated, extended, corrupted
 * and over-deep input without crashing, and round-trips what the parser produced.
 * OWNS nothing. THREAD: main only.
 */
#include "mime-imap.h"
#include "mime-parser.h"
#include "mime-structure.h"
#include "pb-test.h"

static const char sample[] =
	"From: A <a@x>\r\nSubject: s\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n"
	"--b\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Language: en\r\n\r\nhi\r\n"
	"--b\r\nContent-Type: message/rfc822\r\nContent-Disposition: attachment; filename=x.eml\r\n\r\n"
	"Subject: inner\r\n\r\ninner body\r\n--b--\r\n";

static void test_truncation_and_trailing(void)
{
	struct mime_message *msg = mime_message_parse(sample, strlen(sample), NULL), *back;
	struct pb_buf enc;
	const char *error;

	pb_buf_init(&enc);
	mime_structure_encode(msg, &enc);
	for (size_t n = 0; n < enc.len; n++) {
		back = NULL;
		error = NULL;
		CHECK_INT(mime_structure_decode(enc.data, n, &back, &error), -1);
		CHECK(back == NULL && error != NULL);
	}
	CHECK_INT(mime_structure_decode(enc.data, enc.len, &back, &error), 0);
	CHECK_INT(back->n_parts, msg->n_parts);
	mime_message_free(&back);
	pb_buf_append_c(&enc, 0);
	CHECK_INT(mime_structure_decode(enc.data, enc.len, &back, &error), -1);
	CHECK_STR(error, "trailing bytes after structure");
	CHECK_INT(mime_structure_decode("XXXX", 4, &back, &error), -1);
	mime_message_free(&msg);
	pb_buf_deinit(&enc);
}

/* Every single-byte change either fails or decodes to something renderable. */
static void test_corruption(void)
{
	struct mime_message *msg = mime_message_parse(sample, strlen(sample), NULL), *back;
	struct pb_buf enc, out;
	const char *error;
	int ok = 0, failed = 0;

	pb_buf_init(&enc);
	pb_buf_init(&out);
	mime_structure_encode(msg, &enc);
	for (size_t i = 4; i < enc.len; i++) {
		static const unsigned char deltas[] = { 1, 0x80, 0xFF, 0x7F };
		for (size_t d = 0; d < sizeof(deltas); d++) {
			char saved = enc.data[i];
			enc.data[i] = (char)(enc.data[i] ^ deltas[d]);
			back = NULL;
			if (mime_structure_decode(enc.data, enc.len, &back, &error) == 0) {
				pb_buf_reset(&out);
				mime_imap_bodystructure(back->root, true, &out);
				mime_imap_envelope(back->root, &out);
				mime_message_free(&back);
				ok++;
			} else {
				failed++;
			}
			enc.data[i] = saved;
		}
	}
	CHECK(ok > 0 && failed > 0);
	mime_message_free(&msg);
	pb_buf_deinit(&enc);
	pb_buf_deinit(&out);
}

static void test_depth(void)
{
	struct mime_limits limits = { .max_depth = MIME_STRUCTURE_MAX_DEPTH + 5 };
	struct pb_buf m, enc;
	struct mime_message *msg, *back = NULL;
	const char *error = NULL;

	pb_buf_init(&m);
	pb_buf_init(&enc);
	for (int i = 0; i < MIME_STRUCTURE_MAX_DEPTH + 3; i++)
		pb_buf_append_str(&m, "Content-Type: message/rfc822\r\n\r\n");
	msg = mime_message_parse(m.data, m.len, &limits);
	CHECK_INT(msg->n_parts, MIME_STRUCTURE_MAX_DEPTH + 4);
	mime_structure_encode(msg, &enc);
	CHECK_INT(mime_structure_decode(enc.data, enc.len, &back, &error), -1);
	CHECK_STR(error, "structure nested too deep");
	mime_message_free(&msg);

	/* at the default parser depth it round-trips */
	msg = mime_message_parse(m.data, m.len, NULL);
	pb_buf_reset(&enc);
	mime_structure_encode(msg, &enc);
	CHECK_INT(mime_structure_decode(enc.data, enc.len, &back, &error), 0);
	CHECK_INT(back->n_parts, MIME_DEFAULT_MAX_DEPTH + 1);
	mime_message_free(&back);
	mime_message_free(&msg);
	pb_buf_deinit(&m);
	pb_buf_deinit(&enc);
}

static const struct pb_test_case tests[] = {
	{ "truncation_and_trailing", test_truncation_and_trailing },
	{ "corruption", test_corruption },
	{ "depth", test_depth },
};

PB_TEST_MAIN(tests)
