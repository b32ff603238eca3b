/*
 * test-imap-collect.c: the IMAP collector's pure parts — INTERNALDATE with its zone, flag
 * lists to bits and keywords (\Recent dropped, case, a keyword list cut at its bound), LIST
 * special-use attributes, the local name of a remote folder (delimiter, "/" in a component,
 * modified UTF-7, INBOX in any case, special use, a name we cannot hold), and the
 * protocol=imap definition (its ports, the checks, JSON round trip).
 * OWNS: nothing. THREAD: main only.
 */
#include "collector-def.h"
#include "imap-collect-client.h"
#include "imap-collect.h"
#include "pb-test.h"
#include "store-mail.h"

#include <stdlib.h>
#include <string.h>

static void test_dates(void)
{
	int64_t ms;

	CHECK_INT(imapc_parse_date("01-Jan-1970 00:00:00 +0000", &ms), 0);
	CHECK(ms == 0);
	CHECK_INT(imapc_parse_date("17-Jul-1996 02:44:25 -0700", &ms), 0);
	CHECK(ms == 837596665000LL);
	CHECK_INT(imapc_parse_date(" 7-Mar-2001 10:00:00 +0130", &ms), 0);
	CHECK(ms == 983953800000LL);
	CHECK_INT(imapc_parse_date("17-Jly-1996 02:44:25 -0700", &ms), -1);
	CHECK_INT(imapc_parse_date("17-Jul-1996 25:44:25 -0700", &ms), -1);
	CHECK_INT(imapc_parse_date("garbage", &ms), -1);
}

static void test_flags(void)
{
	char kw[IMAPC_KEYWORDS_MAX];
	uint32_t f;
	const char *s = "(\\Seen \\recent $Label1 \\FLAGGED Work \\Deleted \\Draft \\Answered)";

	imapc_parse_flags(s, strlen(s), &f, kw, sizeof(kw));
	CHECK_INT(f, PB_MSG_SEEN | PB_MSG_FLAGGED | PB_MSG_DELETED | PB_MSG_DRAFT |
		      PB_MSG_ANSWERED);
	CHECK_STR(kw, "$Label1 Work");
	imapc_parse_flags("()", 2, &f, kw, sizeof(kw));
	CHECK_INT(f, 0);
	CHECK_STR(kw, "");
	imapc_parse_flags("(aaaa bbbb cccc)", 16, &f, kw, 10); /* cut at a keyword */
	CHECK_STR(kw, "aaaa bbbb");
}

static void test_special_use(void)
{
	const char *a = "(\\HasNoChildren \\Sent)";
	CHECK_INT(imapc_special_use(a, strlen(a)), PB_SPECIAL_SENT);
	a = "(\\Junk)";
	CHECK_INT(imapc_special_use(a, strlen(a)), PB_SPECIAL_JUNK);
	a = "(\\HasNoChildren \\Sentinel)";
	CHECK_INT(imapc_special_use(a, strlen(a)), PB_SPECIAL_NONE);
	a = "(\\Archive \\HasChildren)";
	CHECK_INT(imapc_special_use(a, strlen(a)), PB_SPECIAL_ARCHIVE);
}

static void check_name(const char *remote, char delim, uint8_t special, const char *want)
{
	char *local = NULL;
	int rc = imap_collect_local_name(remote, delim, special, &local);
	if (want == NULL) {
		CHECK_INT(rc, -1);
		return;
	}
	CHECK_INT(rc, 0);
	CHECK_STR(local, want);
	free(local);
}

static void test_local_names(void)
{
	check_name("inbox", '.', 0, "INBOX");
	check_name("Projects.2026.Q1", '.', 0, "Projects/2026/Q1");
	check_name("a/b.c", '.', 0, "a_b/c");
	check_name("Projects/Old", '/', 0, "Projects/Old");
	check_name("Sent Messages", '.', PB_SPECIAL_SENT, "Sent");
	check_name("Gel&APY-schte", '/', PB_SPECIAL_TRASH, "Trash");
	check_name("Entw&APw-rfe", '/', 0, "Entw\xc3\xbc" "rfe");
	check_name("R&-D", '/', 0, "R&D");
	check_name("Stars*", '/', 0, NULL);
	check_name("a..b", '.', 0, NULL);
}

static void test_definition(void)
{
	struct collector_def d, back;
	const char *err;

	collector_def_init(&d, "old");
	CHECK_INT(collector_def_set(&d, "protocol=imap", &err), 0);
	CHECK_INT(collector_def_set(&d, "protocol=smtp", &err), -1);
	CHECK_INT(collector_def_set(&d, "server=isp.example", &err), 0);
	CHECK_INT(collector_def_set(&d, "user=me", &err), 0);
	CHECK_INT(collector_def_port(&d), 143);
	CHECK_INT(collector_def_set(&d, "tls=ssl", &err), 0);
	CHECK_INT(collector_def_port(&d), 993);
	CHECK_INT(collector_def_check(&d, &err), -1); /* route=user target= needed */
	CHECK_INT(collector_def_set(&d, "route=user", &err), 0);
	CHECK_INT(collector_def_set(&d, "target=bob", &err), 0);
	CHECK_INT(collector_def_check(&d, &err), 0);
	CHECK_INT(collector_def_set(&d, "auth=apop", &err), 0);
	CHECK_INT(collector_def_check(&d, &err), -1);
	CHECK_INT(collector_def_set(&d, "auth=plain", &err), 0);
	CHECK_INT(d.idle_s, COLLECTOR_IDLE_DEFAULT_S);
	CHECK_INT(collector_def_set(&d, "idle_s=30", &err), 0);
	CHECK_INT(collector_def_set(&d, "idle_s=3601", &err), -1);
	char *stored = collector_def_to_json(&d, true);
	CHECK_INT(collector_def_from_json("old", stored, &back, &err), 0);
	CHECK_INT(back.protocol, COLLECTOR_PROTO_IMAP);
	CHECK_INT(back.idle_s, 30);
	CHECK_INT(collector_def_port(&back), 993);
	free(stored);
	collector_def_free(&back);
	collector_def_free(&d);
}

static const struct pb_test_case cases[] = {
	{ "dates", test_dates },
	{ "flags", test_flags },
	{ "special_use", test_special_use },
	{ "local_names", test_local_names },
	{ "definition", test_definition },
};

PB_TEST_MAIN(cases)
