/*
 * test-imap-mailbox-name.c: modified UTF-7 both ways (RFC 3501 5.1.3 examples, surrogate
 * pairs, non-canonical forms refused) and the mailbox name check.
 */
#include "imap-mailbox-name.h"
#include "pb-test.h"

static const struct {
	const char *mutf7, *utf8;
} pairs[] = {
	{"INBOX", "INBOX"},
	{"~peter/mail/&U,BTFw-/&ZeVnLIqe-", "~peter/mail/\xe5\x8f\xb0\xe5\x8c\x97/\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e"},
	{"&AMk-t&AOk-", "\xc3\x89t\xc3\xa9"},
	{"Tom &- Jerry", "Tom & Jerry"},
	{"&2D3eAA-", "\xf0\x9f\x98\x80"}, /* U+1F600: a surrogate pair */
	{"Entw&APw-rfe", "Entw\xc3\xbcrfe"},
};

static void test_roundtrip(void)
{
	for (size_t i = 0; i < PB_N_ELEMENTS(pairs); i++) {
		struct pb_buf a, b;
		const char *error = NULL;
		pb_buf_init(&a);
		pb_buf_init(&b);
		CHECK_INT(imap_mutf7_to_utf8(pairs[i].mutf7, &a, &error), 0);
		pb_buf_append_c(&a, '\0');
		CHECK_STR(a.data, pairs[i].utf8);
		CHECK_INT(imap_utf8_to_mutf7(pairs[i].utf8, &b, &error), 0);
		pb_buf_append_c(&b, '\0');
		CHECK_STR(b.data, pairs[i].mutf7);
		pb_buf_deinit(&a);
		pb_buf_deinit(&b);
	}
}

static void test_bad_mutf7(void)
{
	static const char *const bad[] = {
		"&AMk",	     /* unterminated */
		"&AGE-",     /* "a" encoded: not canonical */
		"&AMk-&AOk-", /* two adjacent runs */
		"&2D0-",     /* a lone high surrogate */
		"&3gA-",     /* a lone low surrogate */
		"&A*k-",     /* not base64 */
		"&AMl-",     /* nonzero padding bits */
		"caf\xc3\xa9", /* 8-bit: UTF-8 is not modified UTF-7 */
		"a\tb",
	};
	for (size_t i = 0; i < PB_N_ELEMENTS(bad); i++) {
		struct pb_buf out;
		const char *error = NULL;
		pb_buf_init(&out);
		if (imap_mutf7_to_utf8(bad[i], &out, &error) == 0)
			fprintf(stderr, "  accepted: %s\n", bad[i]);
		CHECK(error != NULL);
		pb_buf_deinit(&out);
	}
	struct pb_buf out;
	const char *error = NULL;
	pb_buf_init(&out);
	CHECK_INT(imap_utf8_to_mutf7("caf\xc3", &out, &error), -1);
	CHECK_INT(imap_utf8_to_mutf7("\xed\xa0\x80", &out, &error), -1); /* surrogate in UTF-8 */
	CHECK_INT(imap_utf8_to_mutf7("\xc0\xaf", &out, &error), -1);	  /* overlong */
	pb_buf_deinit(&out);
}

static void test_name_check(void)
{
	static const char *const good[] = {"INBOX", "Archive/2024", "a.b", "..a", "Caf\xc3\xa9",
					   "Sent Items"};
	static const char *const bad[] = {"", "/etc", "~root", "a/../b", "..", "a/.", "a//b",
					  "a/", "a\x01", "a\x7f", "a\xc2\x85", "a*", "b%",
					  "\xff"};
	const char *error;

	for (size_t i = 0; i < PB_N_ELEMENTS(good); i++)
		CHECK_INT(imap_mailbox_name_check(good[i], &error), 0);
	for (size_t i = 0; i < PB_N_ELEMENTS(bad); i++) {
		error = NULL;
		if (imap_mailbox_name_check(bad[i], &error) == 0)
			fprintf(stderr, "  accepted: %s\n", bad[i]);
		CHECK(error != NULL);
	}
	char long_name[IMAP_MAILBOX_NAME_MAX + 2];
	memset(long_name, 'a', sizeof(long_name) - 1);
	long_name[sizeof(long_name) - 1] = '\0';
	CHECK_INT(imap_mailbox_name_check(long_name, &error), -1);
	long_name[IMAP_MAILBOX_NAME_MAX] = '\0';
	CHECK_INT(imap_mailbox_name_check(long_name, &error), 0);
}

static const struct pb_test_case tests[] = {
	{"roundtrip", test_roundtrip},
	{"bad_mutf7", test_bad_mutf7},
	{"name_check", test_name_check},
};

PB_TEST_MAIN(tests)
