/*
 * test-imap-parser.c: the IMAP command parser: a table of commands and errors, each fed
 * whole, byte by byte and split at every point; the table pipelined in random reads;
 * literals (inline, streamed, refused, skipped); every limit; resynchronisation after errors.
 */
#include "imap-parser.h"
#include "imap-test-util.h"
#include "pb-test.h"

struct parse_case {
	const char *in;
	const char *expected; /* the transcript without its "EOF" line */
};

#define LIT_ACCEPT(n) "LIT " #n " sync fits\nACCEPT\n"

static const struct parse_case cases[] = {
	/* simple commands, names in any case, the tag kept */
	{"a1 CAPABILITY\r\n", "CMD a1 CAPABILITY |  | \n"},
	{"A.2 noop\r\n", "CMD A.2 NOOP |  | \n"},
	{"x] LOGOUT\r\n", "CMD x] LOGOUT |  | \n"},
	{"t STARTTLS\n", "CMD t STARTTLS |  | \n"},
	{"t NOOP extra\r\n", "BAD \"t\" NOOP \"takes no arguments\"\n"},
	{"t IDLE\r\n", "CMD t IDLE |  | \n"},
	/* LOGIN: atoms, quoted strings with escapes, literals */
	{"l LOGIN alice secret\r\n", "CMD l LOGIN | alice secret | \"alice\" \"secret\"\n"},
	{"l LOGIN \"al ice\" \"p\\\"w\\\\d\"\r\n",
	 "CMD l LOGIN | \"al ice\" \"p\\\"w\\\\d\" | \"al ice\" \"p\\\"w\\\\d\"\n"},
	{"l LOGIN {5}\r\nalice {6+}\r\nsec\tet\r\n",
	 LIT_ACCEPT(5) "LIT 6 fits\nACCEPT\n"
		       "CMD l LOGIN | {5}\"alice\" {6}\"sec\\x09et\" | \"alice\" \"sec\\x09et\"\n"},
	{"l LOGIN alice\r\n", "BAD \"l\" LOGIN \"user name and password expected\"\n"},
	{"l LOGIN \"a\\x\" b\r\n", "BAD \"l\" LOGIN \"invalid escape in quoted string\"\n"},
	{"l LOGIN \"abc\r\n", "BAD \"l\" LOGIN \"unterminated quoted string\"\n"},
	/* AUTHENTICATE with SASL-IR */
	{"a AUTHENTICATE plain\r\n", "CMD a AUTHENTICATE | PLAIN | \"PLAIN\" NIL\n"},
	{"a AUTHENTICATE PLAIN AGFsaWNlAHNlY3JldA==\r\n",
	 "CMD a AUTHENTICATE | PLAIN AGFsaWNlAHNlY3JldA== | \"PLAIN\" \"AGFsaWNlAHNlY3JldA==\"\n"},
	{"a AUTHENTICATE PLAIN =\r\n", "CMD a AUTHENTICATE | PLAIN = | \"PLAIN\" \"=\"\n"},
	{"a AUTHENTICATE PLAIN a*b\r\n",
	 "BAD \"a\" AUTHENTICATE \"invalid base64 in initial response\"\n"},
	{"a AUTHENTICATE PL@IN\r\n", "BAD \"a\" AUTHENTICATE \"invalid mechanism\"\n"},
	/* ENABLE, ID, COMPRESS */
	{"e ENABLE condstore utf8=accept\r\n",
	 "CMD e ENABLE | CONDSTORE UTF8=ACCEPT | [\"CONDSTORE\" \"UTF8=ACCEPT\"]\n"},
	{"e ENABLE\r\n", "BAD \"e\" ENABLE \"capability names expected\"\n"},
	{"i ID NIL\r\n", "CMD i ID | NIL | \n"},
	{"i ID (\"name\" \"mutt\" \"version\" NIL)\r\n",
	 "CMD i ID | (\"name\" \"mutt\" \"version\" NIL) | \"name\"=\"mutt\" \"version\"=NIL \n"},
	{"i ID (\"name\")\r\n", "BAD \"i\" ID \"invalid ID parameter list\"\n"},
	{"c COMPRESS deflate\r\n", "CMD c COMPRESS | DEFLATE | \"DEFLATE\"\n"},
	/* mailbox commands */
	{"s SELECT INBOX\r\n", "CMD s SELECT | INBOX | \"INBOX\"\n"},
	{"s EXAMINE \"Sent Items\" (CONDSTORE)\r\n",
	 "CMD s EXAMINE | \"Sent Items\" (CONDSTORE) | \"Sent Items\" condstore\n"},
	{"s SELECT INBOX (QRESYNC (67890007 20050715194045000 41,43:211,214:541))\r\n",
	 "CMD s SELECT | INBOX (QRESYNC (67890007 20050715194045000 41,43:211,214:541)) | "
	 "\"INBOX\" qresync=67890007/20050715194045000 41,43:211,214:541\n"},
	{"s SELECT INBOX (QRESYNC (1 2 1:* (1:10 5:50)))\r\n",
	 "CMD s SELECT | INBOX (QRESYNC (1 2 1:* (1:10 5:50))) | \"INBOX\" qresync=1/2 1:* "
	 "match=1:10/5:50\n"},
	{"s SELECT INBOX (QRESYNC (0 2))\r\n", "BAD \"s\" SELECT \"invalid QRESYNC parameters\"\n"},
	{"s SELECT INBOX (FOO)\r\n", "BAD \"s\" SELECT \"invalid select parameter\"\n"},
	{"c CREATE &AMk-t&AOk-\r\n", "CMD c CREATE | &AMk-t&AOk- | \"&AMk-t&AOk-\"\n"},
	{"c CREATE Spam (USE (\\Junk))\r\n",
	 "CMD c CREATE | Spam (USE (\\Junk)) | \"Spam\" use=[\"\\\\Junk\"]\n"},
	{"c CREATE S (USE (\\Junk \\All))\r\n",
	 "CMD c CREATE | S (USE (\\Junk \\All)) | \"S\" use=[\"\\\\Junk\" \"\\\\All\"]\n"},
	{"c CREATE S (USE (\\Junk) USE (\\Sent))\r\n",
	 "BAD \"c\" CREATE \"unknown CREATE parameter\"\n"},
	{"c CREATE S (FOO (bar))\r\n", "BAD \"c\" CREATE \"unknown CREATE parameter\"\n"},
	{"c CREATE S (USE \\Junk)\r\n", "BAD \"c\" CREATE \"USE takes a list of attributes\"\n"},
	{"c CREATE S (USE (\\Junk)) x\r\n", "BAD \"c\" CREATE \"too many arguments\"\n"},
	{"c RENAME a b\r\n", "CMD c RENAME | a b | \"a\" \"b\"\n"},
	{"c RENAME a\r\n", "BAD \"c\" RENAME \"two mailbox names expected\"\n"},
	{"c DELETE nil\r\n", "CMD c DELETE | NIL | \"nil\"\n"},
	{"q GETQUOTAROOT INBOX\r\n", "CMD q GETQUOTAROOT | INBOX | \"INBOX\"\n"},
	/* LIST / LSUB / STATUS */
	{"l LIST \"\" *\r\n", "CMD l LIST | \"\" * | \"\" [\"*\"]\n"},
	{"l LIST ~/Mail/ %\r\n", "CMD l LIST | ~/Mail/ % | \"~/Mail/\" [\"%\"]\n"},
	{"l LIST (SUBSCRIBED RECURSIVEMATCH) \"\" (INBOX \"Sent*\") RETURN (CHILDREN STATUS "
	 "(MESSAGES UNSEEN))\r\n",
	 "CMD l LIST | (SUBSCRIBED RECURSIVEMATCH) \"\" (INBOX \"Sent*\") RETURN (CHILDREN STATUS "
	 "(MESSAGES UNSEEN)) | \"\" [\"INBOX\" \"Sent*\"] ext sel=5 ret=10 status=17\n"},
	{"l LIST (RECURSIVEMATCH) \"\" *\r\n",
	 "BAD \"l\" LIST \"RECURSIVEMATCH needs another selection option\"\n"},
	{"l LIST \"\" * RETURN (SPECIAL-USE)\r\n",
	 "CMD l LIST | \"\" * RETURN (SPECIAL-USE) | \"\" [\"*\"] ext sel=0 ret=4 status=0\n"},
	{"l LSUB \"\" %\r\n", "CMD l LSUB | \"\" % | \"\" [\"%\"]\n"},
	{"s STATUS INBOX (MESSAGES UIDNEXT HIGHESTMODSEQ)\r\n",
	 "CMD s STATUS | INBOX (MESSAGES UIDNEXT HIGHESTMODSEQ) | \"INBOX\" items=37\n"},
	{"s STATUS INBOX (BOGUS)\r\n", "BAD \"s\" STATUS \"invalid status item\"\n"},
	{"s STATUS INBOX ()\r\n", "BAD \"s\" STATUS \"status items expected\"\n"},
	/* FETCH */
	{"f FETCH 1:* ALL\r\n", "CMD f FETCH | 1:* ALL | 1:* a1 a2 a3 a4\n"},
	{"f FETCH 2,4:3,*:7 FAST\r\n", "CMD f FETCH | 2,4:3,*:7 FAST | 2,3:4,7:* a1 a2 a3\n"},
	{"f FETCH $ FULL\r\n", "CMD f FETCH | $ FULL | $ a1 a2 a3 a4 a6\n"},
	{"f UID FETCH 1:4 (FLAGS BODY.PEEK[HEADER.FIELDS (From \"To\")]<0.1024> UID)\r\n",
	 "CMD f UID FETCH | 1:4 (FLAGS BODY.PEEK[HEADER.FIELDS (From \"To\")]<0.1024> UID) | 1:4 "
	 "a1 a12p[s2[\"From\" \"To\"]]<0.1024> a7\n"},
	{"f FETCH 1 (BODY[1.2.MIME] BODY[3.TEXT] BODY[] BINARY.PEEK[1]<5.10> BINARY.SIZE[2] "
	 "RFC822.HEADER MODSEQ)\r\n",
	 "CMD f FETCH | 1 (BODY[1.2.MIME] BODY[3.TEXT] BODY[] BINARY.PEEK[1]<5.10> BINARY.SIZE[2] "
	 "RFC822.HEADER MODSEQ) | 1 a12[1.2.s5] a12[3.s4] a12[s0] a13p[1.s0]<5.10> a14[2.s0] a10 "
	 "a8\n"},
	{"f FETCH 1 body[header.fields.not (X-A)]\r\n",
	 "CMD f FETCH | 1 body[header.fields.not (X-A)] | 1 a12[s3[\"X-A\"]]\n"},
	{"f UID FETCH 1:* (FLAGS) (CHANGEDSINCE 12345 VANISHED)\r\n",
	 "CMD f UID FETCH | 1:* (FLAGS) (CHANGEDSINCE 12345 VANISHED) | 1:* a1 changedsince=12345 "
	 "vanished\n"},
	{"f FETCH 1:* (FLAGS) (CHANGEDSINCE 1 VANISHED)\r\n",
	 "BAD \"f\" FETCH \"invalid fetch modifier\"\n"},
	{"f FETCH 1 BODY[MIME]\r\n", "BAD \"f\" FETCH \"invalid fetch item\"\n"},
	{"f FETCH 1 BINARY[TEXT]\r\n", "BAD \"f\" FETCH \"invalid fetch item\"\n"},
	{"f FETCH 1 BODY[]<0.0>\r\n", "BAD \"f\" FETCH \"invalid fetch item\"\n"},
	{"f FETCH 1 BODY[HEADER\r\n", "BAD \"f\" FETCH \"missing \\\"]\\\"\"\n"},
	{"f FETCH 0 FLAGS\r\n", "BAD \"f\" FETCH \"invalid sequence set\"\n"},
	{"f FETCH 1,,2 FLAGS\r\n", "BAD \"f\" FETCH \"invalid sequence set\"\n"},
	{"f FETCH 4294967296 FLAGS\r\n", "BAD \"f\" FETCH \"invalid sequence set\"\n"},
	/* 4,294,967,295 is a number (clients send UID FETCH 1:4294967295), not "*" */
	{"f UID FETCH 1:4294967295,4294967295:*,4294967295 FLAGS\r\n",
	 "CMD f UID FETCH | 1:4294967295,4294967295:*,4294967295 FLAGS | "
	 "1:4294967295,4294967295:*,4294967295 a1\n"},
	{"f FETCH 1 (FLAGS\r\n", "BAD \"f\" FETCH \"missing \\\")\\\"\"\n"},
	{"f FETCH 1 FLAGS)\r\n", "BAD \"f\" FETCH \"unexpected \\\")\\\"\"\n"},
	{"f FETCH 1 BOGUS\r\n", "BAD \"f\" FETCH \"invalid fetch item\"\n"},
	/* STORE */
	{"s STORE 1:3 +FLAGS.SILENT (\\Seen $Junk)\r\n",
	 "CMD s STORE | 1:3 +FLAGS.SILENT (\\Seen $Junk) | 1:3 op=2 silent [\"\\\\Seen\" "
	 "\"$Junk\"]\n"},
	{"s UID STORE 5 (UNCHANGEDSINCE 320162338) -FLAGS \\Deleted \\Seen\r\n",
	 "CMD s UID STORE | 5 (UNCHANGEDSINCE 320162338) -FLAGS \\Deleted \\Seen | 5 op=3 "
	 "[\"\\\\Deleted\" \"\\\\Seen\"] unchangedsince=320162338\n"},
	{"s STORE 1 FLAGS ()\r\n", "CMD s STORE | 1 FLAGS () | 1 op=1 []\n"},
	{"s STORE 1 FLAGS (\\*)\r\n", "BAD \"s\" STORE \"invalid flag\"\n"},
	{"s STORE 1 XFLAGS (\\Seen)\r\n", "BAD \"s\" STORE \"invalid store item\"\n"},
	/* SEARCH / SORT / THREAD */
	{"s SEARCH UNSEEN\r\n", "CMD s SEARCH | UNSEEN |  k1(k19)\n"},
	{"s UID SEARCH RETURN (MIN COUNT) CHARSET UTF-8 OR (FROM \"smith\" SINCE 1-Feb-1994) NOT "
	 "2:4 HEADER X-Spam yes LARGER 100 KEYWORD $Junk MODSEQ 5 UID $\r\n",
	 "CMD s UID SEARCH | RETURN (MIN COUNT) CHARSET UTF-8 OR (FROM \"smith\" SINCE 1-Feb-1994) "
	 "NOT 2:4 HEADER X-Spam yes LARGER 100 KEYWORD $Junk MODSEQ 5 UID $ |  charset=\"UTF-8\" "
	 "return=9 k1(k2(k1(k25:\"smith\" k32:1994-02-01T00:00:00+0@760060800) k3(k5:2:4)) "
	 "k29:\"X-Spam\":\"yes\" k36:100 k20:\"$Junk\" k38:5 k6:$)\n"},
	{"s SEARCH RETURN () ALL\r\n", "CMD s SEARCH | RETURN () ALL |  return=4 k1(k4)\n"},
	{"s SEARCH MODSEQ \"/flags/\\\\draft\" all 620162338\r\n",
	 "CMD s SEARCH | MODSEQ \"/flags/\\\\draft\" all 620162338 |  k1(k38:620162338)\n"},
	{"s SEARCH SENTON 31-Feb-2020\r\n", "BAD \"s\" SEARCH \"invalid date\"\n"},
	{"s SEARCH OR SEEN\r\n", "BAD \"s\" SEARCH \"search key expected after NOT/OR\"\n"},
	{"s SEARCH\r\n", "BAD \"s\" SEARCH \"search keys expected\"\n"},
	{"s SEARCH BOGUS\r\n", "BAD \"s\" SEARCH \"invalid search key\"\n"},
	{"s SEARCH KEYWORD \\Seen\r\n", "BAD \"s\" SEARCH \"invalid keyword\"\n"},
	{"s SEARCH TEXT {4}\r\nr\xc3\xa9s\r\n",
	 LIT_ACCEPT(4) "CMD s SEARCH | TEXT {4}\"r\\xc3\\xa9s\" |  k1(k27:\"r\\xc3\\xa9s\")\n"},
	{"s UID SORT (REVERSE DATE SUBJECT) UTF-8 ALL\r\n",
	 "CMD s UID SORT | (REVERSE DATE SUBJECT) UTF-8 ALL | -3+6 charset=\"UTF-8\" k1(k4)\n"},
	{"s SORT (REVERSE) UTF-8 ALL\r\n", "BAD \"s\" SORT \"invalid sort criteria\"\n"},
	{"s SORT RETURN (MIN ALL SAVE) (DISPLAYFROM) UTF-8 ALL\r\n",
	 "CMD s SORT | RETURN (MIN ALL SAVE) (DISPLAYFROM) UTF-8 ALL | +8 charset=\"UTF-8\" return=21 "
	 "k1(k4)\n"},
	{"s SORT RETURN (FOO) (DATE) UTF-8 ALL\r\n", "BAD \"s\" SORT \"invalid RETURN option\"\n"},
	{"s THREAD REFERENCES US-ASCII SINCE 1-Jan-2024\r\n",
	 "CMD s THREAD | REFERENCES US-ASCII SINCE 1-Jan-2024 | alg=2 charset=\"US-ASCII\" "
	 "k1(k32:2024-01-01T00:00:00+0@1704067200)\n"},
	{"s THREAD ORDEREDSUBJECT\r\n", "BAD \"s\" THREAD \"charset expected\"\n"},
	/* COPY, MOVE, EXPUNGE */
	{"c UID COPY 1:5 Trash\r\n", "CMD c UID COPY | 1:5 Trash | 1:5 \"Trash\"\n"},
	{"c MOVE 2 \"Junk\"\r\n", "CMD c MOVE | 2 \"Junk\" | 2 \"Junk\"\n"},
	{"e EXPUNGE\r\n", "CMD e EXPUNGE |  | \n"},
	{"e UID EXPUNGE 3:5\r\n", "CMD e UID EXPUNGE | 3:5 | 3:5\n"},
	{"e EXPUNGE 3\r\n", "BAD \"e\" EXPUNGE \"takes no arguments\"\n"},
	/* APPEND: the message streamed, MULTIAPPEND, LITERAL+, BINARY */
	{"a APPEND INBOX (\\Seen) \" 7-Feb-1994 21:52:25 -0800\" {5}\r\nHello\r\n",
	 "LIT 5 sync stream msg[\"\\\\Seen\"] 1994-02-07T21:52:25-480@760686745 size=5\nACCEPT\n"
	 "DATA 5 sum=42628b2\n"
	 "CMD a APPEND | INBOX (\\Seen) \" 7-Feb-1994 21:52:25 -0800\" <stream 5> | \"INBOX\" "
	 "msg[\"\\\\Seen\"] 1994-02-07T21:52:25-480@760686745 size=5\n"},
	{"a APPEND {5+}\r\nDraft {3+}\r\nabc ~{2}\r\nxy\r\n",
	 "LIT 5 fits\nACCEPT\nLIT 3 stream msg size=3\nACCEPT\nDATA 3 sum=17862\n"
	 "LIT 2 sync binary stream msg size=2 binary\nACCEPT\nDATA 2 sum=f01\n"
	 "CMD a APPEND | {5}\"Draft\" <stream 3> <stream 2> | \"Draft\" msg size=3 msg size=2 "
	 "binary\n"},
	/* UTF8 message data (RFC 6855 4), MULTIAPPEND with a plain one; only a literal8 */
	{"a APPEND INBOX (\\Seen) UTF8 (~{2+}\r\nhi) {1+}\r\nx\r\n",
	 "LIT 2 binary stream msg[\"\\\\Seen\"] size=2 binary utf8\nACCEPT\nDATA 2 sum=d01\n"
	 "LIT 1 stream msg size=1\nACCEPT\nDATA 1 sum=78\n"
	 "CMD a APPEND | INBOX (\\Seen) UTF8 (<stream 2>) <stream 1> | \"INBOX\" "
	 "msg[\"\\\\Seen\"] size=2 binary utf8 msg size=1\n"},
	{"a APPEND INBOX UTF8 ({2+}\r\nhi)\r\n",
	 "LIT 2 fits\nACCEPT\nBAD \"a\" APPEND \"invalid UTF8 message data\"\n"},
	{"a APPEND INBOX {2000000+}\r\n" /* refused: its octets (none sent here) are skipped */,
	 "LIT 2000000 stream msg size=2000000\nREFUSE\n"},
	{"a APPEND INBOX \"bad date\" {5}\r\n",
	 "BAD \"a\" APPEND \"invalid date-time\"\n"},
	{"a APPEND INBOX\r\n", "BAD \"a\" APPEND \"message literal expected\"\n"},
	/* inline literal too big: refused before any octet; the command is dropped */
	{"l LOGIN {65537}\r\nb NOOP\r\n", "LIT 65537 sync\nREFUSE\nCMD b NOOP |  | \n"},
	{"l LOGIN {99999999999999999999999}\r\nb NOOP\r\n",
	 "BAD \"l\" LOGIN \"invalid literal announcement\"\nCMD b NOOP |  | \n"},
	{"l LOGIN {5x}\r\nb NOOP\r\n",
	 "BAD \"l\" LOGIN \"invalid literal announcement\"\nCMD b NOOP |  | \n"},
	{"l LOGIN {5} x\r\n", "BAD \"l\" LOGIN \"invalid literal announcement\"\n"},
	{"l LOGIN {3}\r\na\0b c\r\nb NOOP\r\n",
	 LIT_ACCEPT(3) "BAD \"l\" LOGIN \"NUL in literal\"\nCMD b NOOP |  | \n"},
	/* errors in the head, and the {n+} of a bad line skipped */
	{"BOGUS\r\n", "BAD NIL - \"invalid tag\"\n"},
	{"+a NOOP\r\n", "BAD NIL - \"invalid tag\"\n"},
	{"a XYZZY\r\n", "BAD \"a\" - \"unknown command\"\n"},
	{"a UID NOOP\r\n", "BAD \"a\" NOOP \"command has no UID form\"\n"},
	{"a XYZZY {5+}\r\na NOOP\r\nb NOOP\r\n", "BAD \"a\" - \"unknown command\"\nCMD b NOOP |  | \n"},
	{"a NOOP\x01\r\nb NOOP\r\n", "BAD NIL - \"invalid characters in command\"\nCMD b NOOP |  | \n"},
	{"a FETCH 1 FL\tAGS\r\n", "BAD \"a\" FETCH \"invalid characters in command\"\n"},
	{"\r\n\r\nb NOOP\r\n", "CMD b NOOP |  | \n"},
	{"b FETCH 1 (FLAGS)(UID)\r\n", "BAD \"b\" FETCH \"missing space between arguments\"\n"},
};

static size_t split_at;
static size_t chunk_split(size_t i, void *ctx)
{
	return i == 0 ? split_at : SIZE_MAX;
}

/* Whole, byte by byte and cut at every point: the same transcript. */
static void check_case(const char *in, size_t len, const char *expected)
{
	struct pb_buf want, got;

	pb_buf_init(&want);
	pb_buf_init(&got);
	pb_buf_append_str(&want, expected);
	pb_buf_append_str(&want, "EOF pending=0\n");
	imap_test_transcript(in, len, NULL, NULL, &got);
	if (got.data == NULL || strcmp(got.data, want.data) != 0)
		fprintf(stderr, "  input: %s", in);
	CHECK_STR(got.data, want.data);
	pb_buf_reset(&got);
	imap_test_transcript(in, len, pb_test_chunk_bytes, NULL, &got);
	CHECK_STR(got.data, want.data);
	for (split_at = 1; split_at < len; split_at++) {
		pb_buf_reset(&got);
		imap_test_transcript(in, len, chunk_split, NULL, &got);
		if (got.data == NULL || strcmp(got.data, want.data) != 0) {
			fprintf(stderr, "  split at %zu: %s", split_at, in);
			CHECK_STR(got.data, want.data);
			break;
		}
	}
	pb_buf_deinit(&want);
	pb_buf_deinit(&got);
}

static size_t case_len(const struct parse_case *c)
{
	/* inputs with a NUL: the length runs to the last "\r\n" */
	size_t n = strlen(c->in);
	if (strstr(c->in, "{3}\r\na") != NULL)
		n += 1 + strlen(c->in + n + 1);
	return n;
}

static void test_table(void)
{
	for (size_t i = 0; i < PB_N_ELEMENTS(cases); i++)
		check_case(cases[i].in, case_len(&cases[i]), cases[i].expected);
}

/* The whole table in one stream, in random reads: the concatenated transcripts. */
static void test_pipelined(void)
{
	struct pb_buf in, want, got;
	uint64_t seed = 0x853c49e6748fea9bu;

	pb_buf_init(&in);
	pb_buf_init(&want);
	pb_buf_init(&got);
	for (size_t i = 0; i < PB_N_ELEMENTS(cases); i++) {
		if (strstr(cases[i].in, "2000000+") != NULL)
			continue; /* its skipped octets would swallow the next case */
		pb_buf_append(&in, cases[i].in, case_len(&cases[i]));
		pb_buf_append_str(&want, cases[i].expected);
	}
	pb_buf_append_str(&want, "EOF pending=0\n");
	for (int round = 0; round < 5; round++) {
		pb_buf_reset(&got);
		imap_test_transcript(in.data, in.len, round == 0 ? NULL : pb_test_chunk_random, &seed,
				     &got);
		CHECK_STR(got.data, want.data);
	}
	pb_buf_deinit(&in);
	pb_buf_deinit(&want);
	pb_buf_deinit(&got);
}

static char *repeat(const char *head, const char *unit, size_t n, const char *tail)
{
	struct pb_buf b;

	pb_buf_init(&b);
	pb_buf_append_str(&b, head);
	for (size_t i = 0; i < n; i++)
		pb_buf_append_str(&b, unit);
	pb_buf_append_str(&b, tail);
	return pb_buf_steal(&b, NULL);
}

static void check_one(const char *in, const char *expected)
{
	struct pb_buf got;
	uint64_t seed = 7;

	pb_buf_init(&got);
	imap_test_transcript(in, strlen(in), pb_test_chunk_random, &seed, &got);
	CHECK_STR(got.data, expected);
	pb_buf_deinit(&got);
}

static void test_line_limit(void)
{
	/* IMAP_LINE_MAX octets with CRLF pass; one more is refused, the next command runs */
	char *ok = repeat("a LOGIN u ", "p", IMAP_LINE_MAX - 12, "\r\n");
	char *too_long = repeat("a LOGIN u ", "p", IMAP_LINE_MAX - 11, "\r\nb NOOP\r\n");
	char *huge = repeat("a LOGIN u ", "p", 300000, "\r\nb NOOP\r\n");
	struct pb_buf got;

	pb_buf_init(&got);
	imap_test_transcript(ok, strlen(ok), NULL, NULL, &got);
	CHECK(strncmp(got.data, "CMD a LOGIN", 11) == 0);
	check_one(too_long, "BAD NIL - \"line too long\"\nCMD b NOOP |  | \nEOF pending=0\n");
	check_one(huge, "BAD NIL - \"line too long\"\nCMD b NOOP |  | \nEOF pending=0\n");
	pb_buf_deinit(&got);
	free(ok);
	free(too_long);
	free(huge);
}

/* An over-long line ending in {n+}: the n octets follow whatever the reply, so they are
 * skipped, never read as commands (a message appended after a long flag list ran as IMAP);
 * likewise the over-long rest of a line dropped after a failed literal. */
static void test_line_limit_nonsync_skipped(void)
{
	char *first = repeat("a APPEND INBOX (", "k ", IMAP_LINE_MAX, ") {17+}\r\n"
			     "x DELETE INBOX\r\n\r\nb NOOP\r\n");
	char *sync = repeat("a APPEND INBOX (", "k ", IMAP_LINE_MAX, ") {17}\r\nb NOOP\r\n");
	char *rest = repeat(" ", "p", IMAP_LINE_MAX, " {17+}\r\nx DELETE INBOX\r\n\r\nb NOOP\r\n");
	struct pb_buf in, got;

	check_one(first, "BAD NIL - \"line too long\"\nCMD b NOOP |  | \nEOF pending=0\n");
	check_one(sync, "BAD NIL - \"line too long\"\nCMD b NOOP |  | \nEOF pending=0\n");
	pb_buf_init(&in);
	pb_buf_init(&got);
	pb_buf_append(&in, "a LOGIN {3}\r\nu\0v", 17); /* NUL in the literal: the line dropped */
	pb_buf_append_str(&in, rest);
	imap_test_transcript(in.data, in.len, NULL, NULL, &got);
	CHECK(strstr(got.data, "\"NUL in literal\"\nCMD b NOOP |  | \nEOF pending=0\n") != NULL);
	CHECK(strstr(got.data, "CMD x") == NULL);
	pb_buf_deinit(&in);
	pb_buf_deinit(&got);
	free(first);
	free(sync);
	free(rest);
}

static void test_depth_limit(void)
{
	char *ok = repeat("a ID ", "(", IMAP_DEPTH_MAX, "\r\n");
	char *deep = repeat("a SEARCH ", "(", IMAP_DEPTH_MAX + 1, "ALL\r\nb NOOP\r\n");

	check_one(deep, "BAD \"a\" SEARCH \"lists nested too deep\"\nCMD b NOOP |  | \n"
			"EOF pending=0\n");
	/* at the limit the tokenizer goes on (the error is the unclosed list, not depth) */
	check_one(ok, "BAD \"a\" ID \"missing \\\")\\\"\"\nEOF pending=0\n");
	free(ok);
	free(deep);
}

static void test_args_limit(void)
{
	char *ok = repeat("a STORE 1 FLAGS (", "k ", IMAP_ARGS_MAX - 4, ")\r\n");
	char *many = repeat("a STORE 1 FLAGS (", "k ", IMAP_ARGS_MAX, ")\r\nb NOOP\r\n");
	struct pb_buf got;

	pb_buf_init(&got);
	imap_test_transcript(ok, strlen(ok), NULL, NULL, &got);
	CHECK(strncmp(got.data, "CMD a STORE", 11) == 0);
	check_one(many, "BAD \"a\" STORE \"too many arguments\"\nCMD b NOOP |  | \nEOF pending=0\n");
	pb_buf_deinit(&got);
	free(ok);
	free(many);
}

/* Inline literals add up: past IMAP_COMMAND_MAX the next literal no longer fits. */
static void test_command_limit(void)
{
	struct pb_buf in, got;
	char *lit = repeat("", "x", 60000, "");

	pb_buf_init(&in);
	pb_buf_init(&got);
	pb_buf_append_str(&in, "a SEARCH");
	for (int i = 0; i < 5; i++)
		pb_buf_printf(&in, " TEXT {60000}\r\n%s", lit);
	pb_buf_append_str(&in, "\r\nb NOOP\r\n");
	imap_test_transcript(in.data, in.len, NULL, NULL, &got);
	CHECK(strstr(got.data, "LIT 60000 sync\nREFUSE\n") != NULL);
	CHECK(strstr(got.data, "CMD b NOOP") != NULL);
	CHECK(strstr(got.data, "CMD a") == NULL);
	pb_buf_deinit(&in);
	pb_buf_deinit(&got);
	free(lit);
}

/* A refused {n+}: its octets are skipped, the rest of its line too; even a huge one is
 * never buffered. */
static void test_refused_nonsync_skipped(void)
{
	char *in = repeat("a APPEND INBOX {2000001+}\r\n", "z", 2000001,
			  " trailing\r\nb NOOP\r\n");
	check_one(in, "LIT 2000001 stream msg size=2000001\nREFUSE\nCMD b NOOP |  | \n"
		      "EOF pending=0\n");
	free(in);
}

/* A streamed literal's octets come out as DATA events, up to the input buffer at a time. */
static void test_stream_large(void)
{
	char *in = repeat("a APPEND INBOX {500000}\r\n", "0123456789", 50000, "\r\nb NOOP\r\n");
	struct pb_buf got;

	pb_buf_init(&got);
	imap_test_transcript(in, strlen(in), NULL, NULL, &got);
	CHECK(strstr(got.data, "DATA 500000 ") != NULL);
	CHECK(strstr(got.data, "CMD a APPEND | INBOX <stream 500000> | \"INBOX\" msg size=500000\n"
			       "CMD b NOOP") != NULL);
	pb_buf_deinit(&got);
	free(in);
}

/* The feed limit: nothing taken past IMAP_PARSER_INPUT_MAX until the parser is drained. */
static void test_feed_limit(void)
{
	struct imap_parser *p = imap_parser_create();
	char *big = repeat("", "x", IMAP_PARSER_INPUT_MAX, "");
	struct imap_event ev;

	CHECK_INT(imap_parser_feed(p, big, IMAP_PARSER_INPUT_MAX), 0);
	CHECK_INT(imap_parser_feed(p, "x", 1), -1);
	CHECK_INT(imap_parser_next(p, &ev), IMAP_PARSE_NEED_MORE); /* drops the long line */
	CHECK_INT(imap_parser_feed(p, "\r\na NOOP\r\n", 10), 0);
	CHECK_INT(imap_parser_next(p, &ev), IMAP_PARSE_BAD);
	CHECK_STR(ev.error, "line too long");
	CHECK_INT(imap_parser_next(p, &ev), IMAP_PARSE_COMMAND);
	CHECK_INT(ev.cmd.kind, IMAP_CMD_NOOP);
	imap_parser_destroy(&p);
	CHECK(p == NULL);
	free(big);
}

/* STARTTLS: plaintext sent after it is dropped, a half-read command too. */
static void test_discard_pending(void)
{
	struct imap_parser *p = imap_parser_create();
	struct imap_event ev;
	const char *error;
	const char *in = "a STARTTLS\r\nb LOGIN {3}\r\n";

	imap_parser_feed(p, in, strlen(in));
	CHECK_INT(imap_parser_next(p, &ev), IMAP_PARSE_COMMAND);
	CHECK_INT(imap_parser_next(p, &ev), IMAP_PARSE_LITERAL);
	CHECK_INT(imap_parser_literal_accept(p, &error), 0);
	imap_parser_feed(p, "abc c NOOP\r\n", 12);
	imap_parser_discard_pending(p);
	imap_parser_feed(p, "d NOOP\r\n", 8);
	CHECK_INT(imap_parser_next(p, &ev), IMAP_PARSE_COMMAND);
	CHECK_STR(ev.cmd.tag, "d");
	imap_parser_destroy(&p);
}

/* An inline literal that does not fit cannot be accepted (the session must refuse it). */
static void test_accept_too_big(void)
{
	struct imap_parser *p = imap_parser_create();
	struct imap_event ev;
	const char *error = NULL;

	imap_parser_feed(p, "a LOGIN {70000}\r\n", 17);
	CHECK_INT(imap_parser_next(p, &ev), IMAP_PARSE_LITERAL);
	CHECK(!ev.literal.fits);
	CHECK_INT(imap_parser_literal_accept(p, &error), -1);
	CHECK_STR(error, "literal too big");
	imap_parser_literal_refuse(p);
	CHECK_INT(imap_parser_next(p, &ev), IMAP_PARSE_NEED_MORE);
	imap_parser_destroy(&p);
}

/* AUTHENTICATE's responses and IDLE's DONE are raw lines between commands: the same fed
 * whole or byte by byte; an over-long one is dropped to its end and reported once. */
static void test_next_line(void)
{
	static const char in[] = "a AUTHENTICATE PLAIN\r\nAGJvYgBwdw==\r\nb IDLE\r\nDONE\r\n";

	for (int bytewise = 0; bytewise < 2; bytewise++) {
		struct imap_parser *p = imap_parser_create();
		struct imap_event ev;
		const char *line = NULL;
		size_t len, fed = 0, n = bytewise ? 1 : sizeof(in) - 1;
		int steps[] = { IMAP_PARSE_COMMAND, 1, IMAP_PARSE_COMMAND, 1 }, rc;
		const char *want[] = { "a", "AGJvYgBwdw==", "b", "DONE" };

		for (int i = 0; i < 4; i++) {
			while ((rc = i % 2 == 0 ? imap_parser_next(p, &ev)
						: imap_parser_next_line(p, &line, &len)) == 0) {
				CHECK(fed < sizeof(in) - 1);
				imap_parser_feed(p, in + fed, n);
				fed += n;
			}
			CHECK_INT(rc, steps[i]);
			CHECK_STR(i % 2 == 0 ? ev.cmd.tag : line, want[i]);
		}
		imap_parser_destroy(&p);
	}
	struct imap_parser *p = imap_parser_create();
	char *big = xmalloc(IMAP_LINE_MAX + 3);
	const char *line;
	size_t len;
	memset(big, 'x', IMAP_LINE_MAX);
	memcpy(big + IMAP_LINE_MAX, "\r\n", 3);
	CHECK_INT(imap_parser_feed(p, big, IMAP_LINE_MAX + 2), 0);
	CHECK_INT(imap_parser_next_line(p, &line, &len), -1);
	imap_parser_feed(p, "*\r\n", 3);
	CHECK_INT(imap_parser_next_line(p, &line, &len), 1);
	CHECK_STR(line, "*");
	imap_parser_destroy(&p);
	free(big);
}

static const struct pb_test_case tests[] = {
	{"table", test_table},
	{"pipelined", test_pipelined},
	{"line_limit", test_line_limit},
	{"line_limit_nonsync_skipped", test_line_limit_nonsync_skipped},
	{"depth_limit", test_depth_limit},
	{"args_limit", test_args_limit},
	{"command_limit", test_command_limit},
	{"refused_nonsync_skipped", test_refused_nonsync_skipped},
	{"stream_large", test_stream_large},
	{"feed_limit", test_feed_limit},
	{"discard_pending", test_discard_pending},
	{"accept_too_big", test_accept_too_big},
	{"next_line", test_next_line},
};

PB_TEST_MAIN(tests)
