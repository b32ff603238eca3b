/*
 * test-imap-list-match.c: LIST patterns ("*", "%", INBOX in any case, the reference) and the
 * mailbox names read from and written to the client (modified UTF-7, UTF-8, quoting).
 */
#include "imap-list-match.h"
#include "imap-mailbox-arg.h"
#include "imap-mailbox-name.h"
#include "pb-test.h"

#include <string.h>

static const struct {
	const char *pattern, *name;
	bool match;
} cases[] = {
	{"*", "INBOX", true},
	{"*", "a/b/c", true},
	{"%", "a", true},
	{"%", "a/b", false},
	{"a/%", "a/b", true},
	{"a/%", "a/b/c", false},
	{"a/*", "a/b/c", true},
	{"a/*", "a", false},
	{"a*", "a", true},
	{"a*", "ab/c", true},
	{"a%", "ab/c", false},
	{"%/%", "a/b", true},
	{"%/%", "a/b/c", false},
	{"inbox", "INBOX", true},
	{"Inbox/%", "INBOX/x", true},
	{"inb*", "INBOX", true},
	{"inbox", "Inboxes", false},
	{"sent", "Sent", false}, /* only INBOX is case-insensitive */
	{"Sent", "Sent", true},
	{"", "a", false},
	{"*a*a*a*a*a*a*a*a*a*b", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", false},
	{"*%*%*%", "x", true},
	{"a%c", "abc", true},
	{"a%c", "a/c", false},
	{"a*c", "a/c", true},
};

static void test_match(void)
{
	for (size_t i = 0; i < PB_N_ELEMENTS(cases); i++) {
		bool got = imap_list_match(cases[i].pattern, cases[i].name);
		if (got != cases[i].match)
			fprintf(stderr, "  %s vs %s: %d\n", cases[i].pattern, cases[i].name, got);
		CHECK(got == cases[i].match);
	}
}

static void test_pattern(void)
{
	struct pb_buf out;

	pb_buf_init(&out);
	CHECK_INT(imap_list_pattern("a/", "%", false, &out), 0);
	CHECK_STR(out.data, "a/%");
	CHECK_INT(imap_list_pattern("a/", "/x", false, &out), 0); /* absolute: no reference */
	CHECK_STR(out.data, "/x");
	CHECK_INT(imap_list_pattern("", "Entw&APw-rfe/*", false, &out), 0);
	CHECK_STR(out.data, "Entw\xc3\xbcrfe/*");
	CHECK_INT(imap_list_pattern("", "Entw\xc3\xbcrfe", true, &out), 0);
	CHECK_STR(out.data, "Entw\xc3\xbcrfe");
	CHECK_INT(imap_list_pattern("", "&AGE-", false, &out), -1);  /* not canonical */
	CHECK_INT(imap_list_pattern("", "caf\xc3", true, &out), -1); /* not UTF-8 */
	char big[IMAP_LIST_PATTERN_MAX + 2];
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	CHECK_INT(imap_list_pattern("", big, false, &out), -1);
	pb_buf_deinit(&out);
}

static void test_decode(void)
{
	struct pb_buf out;
	const char *error = NULL;

	pb_buf_init(&out);
	CHECK_INT(imap_mailbox_arg_decode("inbox", false, false, &out, &error), 0);
	CHECK_STR(out.data, "INBOX");
	CHECK_INT(imap_mailbox_arg_decode("iNbOx/Sub", false, false, &out, &error), 0);
	CHECK_STR(out.data, "INBOX/Sub");
	CHECK_INT(imap_mailbox_arg_decode("Inboxes", false, false, &out, &error), 0);
	CHECK_STR(out.data, "Inboxes");
	CHECK_INT(imap_mailbox_arg_decode("a/b/", false, true, &out, &error), 0);
	CHECK_STR(out.data, "a/b");
	CHECK_INT(imap_mailbox_arg_decode("a/b/", false, false, &out, &error), -1);
	CHECK_INT(imap_mailbox_arg_decode("&AMk-t&AOk-", false, false, &out, &error), 0);
	CHECK_STR(out.data, "\xc3\x89t\xc3\xa9");
	CHECK_INT(imap_mailbox_arg_decode("\xc3\x89t\xc3\xa9", true, false, &out, &error), 0);
	CHECK_STR(out.data, "\xc3\x89t\xc3\xa9");
	CHECK_INT(imap_mailbox_arg_decode("\xc3\x89t\xc3\xa9", false, false, &out, &error), -1);
	CHECK_INT(imap_mailbox_arg_decode("a/../b", false, false, &out, &error), -1);
	CHECK_INT(imap_mailbox_arg_decode("/", false, true, &out, &error), -1);
	CHECK_INT(imap_mailbox_arg_decode("x*", false, false, &out, &error), -1);
	pb_buf_deinit(&out);
}

static void test_quote(void)
{
	struct pb_buf out;

	pb_buf_init(&out);
	CHECK_INT(imap_mailbox_arg_quote("Tom & \"Jerry\\", false, &out), 0);
	pb_buf_append_c(&out, '\0');
	CHECK_STR(out.data, "\"Tom &- \\\"Jerry\\\\\"");
	pb_buf_reset(&out);
	CHECK_INT(imap_mailbox_arg_quote("\xc3\x89t\xc3\xa9", false, &out), 0);
	pb_buf_append_c(&out, '\0');
	CHECK_STR(out.data, "\"&AMk-t&AOk-\"");
	pb_buf_reset(&out);
	CHECK_INT(imap_mailbox_arg_quote("\xc3\x89t\xc3\xa9", true, &out), 0);
	pb_buf_append_c(&out, '\0');
	CHECK_STR(out.data, "\"\xc3\x89t\xc3\xa9\"");
	CHECK_INT(imap_mailbox_arg_quote("caf\xc3", true, &out), -1);
	CHECK_INT(imap_mailbox_arg_quote("caf\xc3", false, &out), -1);
	CHECK(imap_mailbox_arg_same("inbox", "INBOX"));
	CHECK(!imap_mailbox_arg_same("Sent", "sent"));
	pb_buf_deinit(&out);
}

static const struct pb_test_case tests[] = {
	{"match", test_match},
	{"pattern", test_pattern},
	{"decode", test_decode},
	{"quote", test_quote},
};

PB_TEST_MAIN(tests)
