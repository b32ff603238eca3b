/*
 * test-spool-notice.c: the mailbox quota notices' text (spool-notice.h): the user's warning
 * and reminder subjects, the administrator's copy naming the account and leaving out the
 * user's advice and the sending block, the headers a System message carries (no Return-Path:
 * the delivery adds it), CR LF lines.
 */
#include "pb-test.h"
#include "spool-notice.h"

#include <string.h>

static char *build(const struct spool_notice *n, struct pb_buf *out)
{
	pb_buf_init(out);
	spool_notice_build(n, out);
	pb_buf_append_c(out, '\0');
	return out->data;
}

static void test_warning(void)
{
	struct spool_notice n = { NULL, 80, 900 * 1024, 1048576, 125, false, "mx.test", "quota.6.9.80",
				  0 };
	struct pb_buf b;
	const char *m = build(&n, &b);

	CHECK(strncmp(m, "From: Mail System <postmaster@mx.test>\r\n"
			 "Date: Thu, 01 Jan 1970 00:00:00 +0000\r\n", 79) == 0);
	CHECK(strstr(m, "Return-Path") == NULL);
	CHECK(strstr(m, "Message-ID: <quota.6.9.80@mx.test>\r\n") != NULL);
	CHECK(strstr(m, "Subject: Mailbox quota warning: 80% of your quota used\r\n") != NULL);
	CHECK(strstr(m, "Auto-Submitted: auto-generated\r\nX-Pillarbox-Generated: quota\r\n") != NULL);
	CHECK(strstr(m, "\r\n\r\nThe mailbox holds 900 KB, 87% of its quota of 1 MB.\r\n"
			"Incoming mail is still delivered. Please delete or archive messages you no "
			"longer need.\r\nAt 125% of the quota the account can no longer send "
			"mail.\r\n") != NULL);
	CHECK(m[strlen(m) - 1] == '\n');
	pb_buf_deinit(&b);
	n.remind = true;
	m = build(&n, &b);
	CHECK(strstr(m, "Subject: Mailbox quota reminder: 80% of your quota used\r\n") != NULL);
	pb_buf_deinit(&b);
}

static void test_admin_copy(void)
{
	struct spool_notice n = { "qw", 100, 1200 * 1024, 1048576, 0, false, "mx.test", "q", 0 };
	struct pb_buf b;
	const char *m = build(&n, &b);

	CHECK(strstr(m, "Subject: Mailbox quota: qw has reached 100% of its quota\r\n") != NULL);
	CHECK(strstr(m, "The mailbox of qw holds 1200 KB, 117% of its quota of 1 MB.\r\n"
			"Incoming mail is still delivered.\r\n") != NULL);
	CHECK(strstr(m, "Please delete") == NULL);
	CHECK(strstr(m, "can no longer send") == NULL);
	pb_buf_deinit(&b);
}

static const struct pb_test_case cases[] = {
	{ "warning", test_warning },
	{ "admin_copy", test_admin_copy },
};

PB_TEST_MAIN(cases)
