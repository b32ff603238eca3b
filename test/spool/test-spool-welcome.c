/*
 * test-spool-welcome.c: the welcome message's text (spool-welcome.h): the variables replaced
 * in any case, other percent signs kept, the header and CR LF lines of the message.
 */
#include "pb-test.h"
#include "spool-welcome.h"

#include <string.h>

static void expand(const char *tmpl, const char *want)
{
	struct pb_buf out;

	pb_buf_init(&out);
	spool_welcome_expand(tmpl, "ann", "ann@example.com", &out);
	pb_buf_append_c(&out, '\0');
	CHECK_STR(out.data, want);
	pb_buf_deinit(&out);
}

static void test_expand(void)
{
	expand("Hello %username%!", "Hello ann!");
	expand("%ADDRESS% at %Domain%", "ann@example.com at example.com");
	expand("100% sure, %user% %username", "100% sure, %user% %username");
	expand("", "");
	expand("%username%%username%", "annann");
}

static void test_build(void)
{
	struct spool_welcome w = { "ann", "ann@example.com", "Welcome, %username%\r\nBcc: x",
				   "Hi %username%,\nline two\r\nend", "mx.test", "welcome-5", 0 };
	struct pb_buf out;

	pb_buf_init(&out);
	spool_welcome_build(&w, &out);
	pb_buf_append_c(&out, '\0');
	const char *m = out.data;
	static const char head[] = "From: Mail System <postmaster@example.com>\r\n"
				   "To: <ann@example.com>\r\n";
	CHECK(strncmp(m, head, sizeof(head) - 1) == 0);
	CHECK(strstr(m, "Subject: Welcome, ann\r\nDate: Thu, 01 Jan 1970 00:00:00 +0000\r\n") != NULL);
	CHECK(strstr(m, "Bcc") == NULL); /* the subject is one line */
	CHECK(strstr(m, "Message-ID: <welcome-5@mx.test>\r\n") != NULL);
	CHECK(strstr(m, "Auto-Submitted: auto-generated\r\n") != NULL);
	CHECK(strstr(m, "\r\n\r\nHi ann,\r\nline two\r\nend\r\n") != NULL);
	CHECK(m[strlen(m) - 1] == '\n' && strstr(m, "end\r\n") == m + strlen(m) - 5);
	pb_buf_deinit(&out);
}

static const struct pb_test_case cases[] = {
	{ "expand", test_expand },
	{ "build", test_build },
};

PB_TEST_MAIN(cases)
