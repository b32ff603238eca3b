/*
 * test-mime-imap.c: IMAP string forms, ENVELOPE defaults, BODYSTRUCTURE details, and the
 * section numbers of RFC 3501 6.4.5 resolved to octet ranges (the RFC's own example).
 * OWNS nothing. THREAD: main only.
 */
#include "mime-imap.h"
#include "mime-parser.h"
#include "pb-test.h"

static void str_case(const char *in, const char *want, bool human)
{
	struct pb_buf out;

	pb_buf_init(&out);
	if (human)
		mime_imap_append_nstring_human(&out, in);
	else
		mime_imap_append_nstring(&out, in);
	CHECK_STR(out.data, want);
	pb_buf_deinit(&out);
}

static void test_strings(void)
{
	str_case(NULL, "NIL", false);
	str_case("", "\"\"", false);
	str_case("plain", "\"plain\"", false);
	str_case("a\"b\\c", "\"a\\\"b\\\\c\"", false);
	str_case("\"\"\"\"", "{4}\r\n\"\"\"\"", false);
	str_case("caf\xC3\xA9", "{5}\r\ncaf\xC3\xA9", false);
	str_case("two\r\nlines", "{10}\r\ntwo\r\nlines", false);
	/* for humans: Dovecot's cleaning, literal when anything changed */
	str_case(NULL, "NIL", true);
	str_case("", "\"\"", true);
	str_case(" \t ", "\"\"", true);
	str_case("fine text", "\"fine text\"", true);
	str_case(" foo  \t bar ", "{7}\r\nfoo bar", true);
	str_case("tab\there", "{8}\r\ntab here", true);
	str_case("hello\"world", "{11}\r\nhello\"world", true);
	str_case("caf\xC3\xA9", "{5}\r\ncaf\xC3\xA9", true);
}

static void test_envelope_defaults(void)
{
	static const char m[] = "From: A <a@x>\r\nSender: \r\nReply-To: r@x\r\nSubject: hi\r\n"
				"Bcc: , ,\r\nMessage-ID: <id@x>\r\n\r\n";
	struct mime_message *msg = mime_message_parse(m, strlen(m), NULL);
	struct pb_buf out;

	pb_buf_init(&out);
	mime_imap_envelope(msg->root, &out);
	CHECK_STR(out.data, "(NIL \"hi\" ((\"A\" NIL \"a\" \"x\")) ((\"A\" NIL \"a\" \"x\")) "
			    "((NIL NIL \"r\" \"x\")) NIL NIL NIL NIL \"<id@x>\")");
	pb_buf_reset(&out);
	/* a part that is not a message root */
	mime_message_free(&msg);
	msg = mime_message_parse("Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\n\r\nx\r\n", 52,
				 NULL);
	mime_imap_envelope(msg->root->children, &out);
	CHECK_STR(out.data, "(NIL NIL NIL NIL NIL NIL NIL NIL NIL NIL)");
	mime_message_free(&msg);
	pb_buf_deinit(&out);
}

/* The example structure of RFC 3501 section 6.4.5; each leaf body names its section. */
static const char rfc3501_msg[] =
	"Subject: top\r\nContent-Type: MULTIPART/MIXED; boundary=\"L0\"\r\n\r\n"
	"--L0\r\nContent-Type: TEXT/PLAIN\r\n\r\nbody-1\r\n"
	"--L0\r\nContent-Type: APPLICATION/OCTET-STREAM\r\n\r\nbody-2\r\n"
	"--L0\r\nContent-Type: MESSAGE/RFC822\r\n\r\n"
	"Subject: three\r\nContent-Type: MULTIPART/MIXED; boundary=\"L3\"\r\n\r\n"
	"--L3\r\nContent-Type: TEXT/PLAIN\r\n\r\nbody-3.1\r\n"
	"--L3\r\nContent-Type: APPLICATION/OCTET-STREAM\r\n\r\nbody-3.2\r\n"
	"--L3--\r\n"
	"--L0\r\nContent-Type: MULTIPART/MIXED; boundary=\"L4\"\r\n\r\n"
	"--L4\r\nContent-Type: IMAGE/GIF\r\n\r\nbody-4.1\r\n"
	"--L4\r\nContent-Type: MESSAGE/RFC822\r\n\r\n"
	"Subject: four-two\r\nContent-Type: MULTIPART/MIXED; boundary=\"L42\"\r\n\r\n"
	"--L42\r\nContent-Type: TEXT/PLAIN\r\n\r\nbody-4.2.1\r\n"
	"--L42\r\nContent-Type: MULTIPART/ALTERNATIVE; boundary=\"L422\"\r\n\r\n"
	"--L422\r\nContent-Type: TEXT/PLAIN\r\n\r\nbody-4.2.2.1\r\n"
	"--L422\r\nContent-Type: TEXT/RICHTEXT\r\n\r\nbody-4.2.2.2\r\n"
	"--L422--\r\n"
	"--L42--\r\n"
	"--L4--\r\n"
	"--L0--\r\n";

/* Returns the section's octets as a string ("(none)" / "(error)"). */
static const char *section(const struct mime_message *msg, const char *spec, struct pb_buf *buf)
{
	struct mime_section_range r;
	const char *error;
	int ret = mime_section_locate(msg, spec, &r, &error);

	pb_buf_reset(buf);
	if (ret <= 0)
		return ret == 0 ? "(none)" : "(error)";
	pb_buf_append(buf, rfc3501_msg + r.offset, r.size);
	return buf->data != NULL ? buf->data : "";
}

static void test_sections_rfc3501(void)
{
	struct mime_message *msg = mime_message_parse(rfc3501_msg, strlen(rfc3501_msg), NULL);
	struct pb_buf b;
	static const char *const leaves[] = { "1", "2", "3.1", "3.2", "4.1", "4.2.1", "4.2.2.1",
					      "4.2.2.2" };

	pb_buf_init(&b);
	for (size_t i = 0; i < PB_N_ELEMENTS(leaves); i++) {
		char want[32];
		snprintf(want, sizeof(want), "body-%s", leaves[i]);
		CHECK_STR(section(msg, leaves[i], &b), want);
	}
	CHECK_STR(section(msg, "HEADER", &b),
		  "Subject: top\r\nContent-Type: MULTIPART/MIXED; boundary=\"L0\"\r\n\r\n");
	CHECK(strncmp(section(msg, "TEXT", &b), "--L0\r\n", 6) == 0);
	CHECK_INT(strlen(section(msg, "", &b)), strlen(rfc3501_msg));
	CHECK_STR(section(msg, "3.HEADER", &b),
		  "Subject: three\r\nContent-Type: MULTIPART/MIXED; boundary=\"L3\"\r\n\r\n");
	CHECK(strncmp(section(msg, "3", &b), "Subject: three\r\n", 16) == 0);
	CHECK(strncmp(section(msg, "3.TEXT", &b), "--L3\r\n", 6) == 0);
	CHECK_STR(section(msg, "4.1.MIME", &b), "Content-Type: IMAGE/GIF\r\n\r\n");
	CHECK_STR(section(msg, "4.2.MIME", &b), "Content-Type: MESSAGE/RFC822\r\n\r\n");
	CHECK(strncmp(section(msg, "4.2.HEADER", &b), "Subject: four-two\r\n", 19) == 0);
	CHECK(strncmp(section(msg, "4.2.TEXT", &b), "--L42\r\n", 7) == 0);
	CHECK(strncmp(section(msg, "4.2.2", &b), "--L422\r\n", 8) == 0);
	CHECK_STR(section(msg, "4.2.2.2.MIME", &b), "Content-Type: TEXT/RICHTEXT\r\n\r\n");
	CHECK_STR(section(msg, "3.header.fields (Subject)", &b),
		  "Subject: three\r\nContent-Type: MULTIPART/MIXED; boundary=\"L3\"\r\n\r\n");
	/* sections that do not exist */
	static const char *const none[] = { "5", "0", "1.1", "2.HEADER", "4.3", "4.1.TEXT",
					    "4.2.3", "3.1.1", "5.HEADER", "5.MIME", "9.1.TEXT" };
	for (size_t i = 0; i < PB_N_ELEMENTS(none); i++)
		CHECK_STR(section(msg, none[i], &b), "(none)");
	static const char *const bad[] = { "1..2", "1.", "X", "1.FOO", "MIME", "1.2a", ".1",
					   "HEADER.FIELDSX", "5.FOO", "TEXTX" };
	for (size_t i = 0; i < PB_N_ELEMENTS(bad); i++)
		CHECK_STR(section(msg, bad[i], &b), "(error)");

	const struct mime_part *part;
	CHECK_INT(mime_part_find(msg, "4.2.2.1", &part), 1);
	CHECK_STR(mime_part_subtype(part), "PLAIN");
	CHECK_INT(mime_part_find(msg, "", &part), 1);
	CHECK(part == msg->root);
	CHECK_INT(mime_part_find(msg, "9", &part), 0);
	CHECK_INT(mime_part_find(msg, "1.MIME", &part), -1);
	mime_message_free(&msg);
	pb_buf_deinit(&b);
}

static void test_sections_single_part(void)
{
	static const char m[] = "From: a@b\r\nSubject: s\r\n\r\nthe body\r\n";
	struct mime_message *msg = mime_message_parse(m, strlen(m), NULL);
	struct mime_section_range r;
	const char *error;

	CHECK_INT(mime_section_locate(msg, "1", &r, &error), 1);
	CHECK_INT(r.offset, 25);
	CHECK_INT(r.size, 10);
	CHECK_INT(mime_section_locate(msg, "1.MIME", &r, &error), 1);
	CHECK_INT(r.offset, 0);
	CHECK_INT(r.size, 25);
	CHECK_INT(mime_section_locate(msg, "2", &r, &error), 0);
	CHECK_INT(mime_section_locate(msg, "1.TEXT", &r, &error), 0);
	CHECK_INT(mime_section_locate(msg, "HEADER.FIELDS.NOT (From)", &r, &error), 1);
	CHECK(r.header_fields && r.header_fields_not);
	CHECK_INT(r.size, 25);
	CHECK_INT(mime_section_locate(msg, "header.fields (From)", &r, &error), 1);
	CHECK(r.header_fields && !r.header_fields_not);
	mime_message_free(&msg);
}

static void test_bodystructure_details(void)
{
	static const char m[] =
		"Content-Type: multipart/mixed; boundary=d\r\n\r\n"
		"--d\r\nContent-Type: text/html\r\nContent-Language: en-GB, cy\r\n"
		"Content-Location: http://x.example/a\r\nContent-MD5: Q2hlY2s=\r\n"
		"Content-Disposition: inline; filename=a.html\r\nContent-ID: <a@x>\r\n"
		"Content-Description: caf\xC3\xA9\r\n\r\n<p>\r\n"
		"--d\r\nContent-Type: message/rfc822\r\nContent-Transfer-Encoding: base64\r\n\r\nAAAA\r\n"
		"--d--\r\n";
	struct mime_message *msg = mime_message_parse(m, strlen(m), NULL);
	struct pb_buf out;

	pb_buf_init(&out);
	mime_imap_bodystructure(msg->root, true, &out);
	CHECK_STR(out.data,
		  "((\"text\" \"html\" (\"charset\" \"us-ascii\") \"<a@x>\" {5}\r\ncaf\xC3\xA9 \"7bit\" 3 0 "
		  "\"Q2hlY2s=\" (\"inline\" (\"filename\" \"a.html\")) (\"en-GB\" \"cy\") "
		  "\"http://x.example/a\")"
		  "(\"message\" \"rfc822\" NIL NIL NIL \"base64\" 4 (NIL NIL NIL NIL NIL NIL NIL NIL NIL NIL) "
		  "(\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 0 0 NIL NIL NIL NIL) 0 "
		  "NIL NIL NIL NIL) \"mixed\" (\"boundary\" \"d\") NIL NIL NIL)");
	pb_buf_reset(&out);
	mime_imap_bodystructure(msg->root, false, &out);
	CHECK_STR(out.data,
		  "((\"text\" \"html\" (\"charset\" \"us-ascii\") \"<a@x>\" {5}\r\ncaf\xC3\xA9 \"7bit\" 3 0)"
		  "(\"message\" \"rfc822\" NIL NIL NIL \"base64\" 4 (NIL NIL NIL NIL NIL NIL NIL NIL NIL NIL) "
		  "(\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 0 0) 0) \"mixed\")");
	mime_message_free(&msg);
	pb_buf_deinit(&out);
}

static const struct pb_test_case tests[] = {
	{ "strings", test_strings },
	{ "envelope_defaults", test_envelope_defaults },
	{ "sections_rfc3501", test_sections_rfc3501 },
	{ "sections_single_part", test_sections_single_part },
	{ "bodystructure_details", test_bodystructure_details },
};

PB_TEST_MAIN(tests)
