/*
 * test-mime-parser.c: the streaming parser alone: offsets and line counts, the event
 * sequence, the named limits and their defined results, odd line endings, part helpers.
 * OWNS nothing. THREAD: main only.
 */
#include "mime-imap.h"
#include "mime-parser.h"
#include "pb-test.h"

static struct mime_message *parse_str(const char *s, const struct mime_limits *limits)
{
	return mime_message_parse(s, strlen(s), limits);
}

static void test_simple_offsets(void)
{
	struct mime_message *msg = parse_str("Subject: x\r\n\r\nbody\r\n", NULL);
	const struct mime_part *r = msg->root;

	CHECK_INT(msg->n_parts, 1);
	CHECK_INT(r->offset, 0);
	CHECK_INT(r->header.physical, 14);
	CHECK_INT(r->header.lines, 2);
	CHECK_INT(mime_part_body_offset(r), 14);
	CHECK_INT(r->body.physical, 6);
	CHECK_INT(r->body.virtual_size, 6);
	CHECK_INT(r->body.lines, 1);
	CHECK_STR(r->envelope[MIME_ENV_SUBJECT], "x");
	CHECK(r->flags & MIME_PART_FLAG_MESSAGE_ROOT);
	mime_message_free(&msg);
	CHECK(msg == NULL);
}

static void test_bare_lf_virtual_sizes(void)
{
	struct mime_message *msg = parse_str("Subject: x\n\nline1\nline2\r\n", NULL);
	const struct mime_part *r = msg->root;

	CHECK_INT(r->header.physical, 12);
	CHECK_INT(r->header.virtual_size, 14);
	CHECK_INT(r->body.physical, 13);
	CHECK_INT(r->body.virtual_size, 14);
	CHECK_INT(r->body.lines, 2);
	CHECK(r->flags & MIME_PART_FLAG_BARE_LF);
	mime_message_free(&msg);
}

static const char multipart_msg[] =
	"Content-Type: multipart/mixed; boundary=\"xx\"\r\n"
	"\r\n"
	"pre\r\n"
	"--xx\r\n"
	"Content-Type: text/plain\r\n"
	"\r\n"
	"one\r\n"
	"--xx\r\n"
	"\r\n"
	"two\r\n"
	"\r\n"
	"--xx--\r\n"
	"epi\r\n";

static void test_event_sequence(void)
{
	struct mime_parser *p = mime_parser_create(NULL);
	struct mime_event ev;
	struct pb_buf seq;
	const char *letters = "(HE.)$";

	pb_buf_init(&seq);
	mime_parser_feed(p, multipart_msg, strlen(multipart_msg));
	while (mime_parser_next(p, &ev) > 0)
		pb_buf_append_c(&seq, letters[ev.type]);
	CHECK(mime_parser_take_message(p) == NULL); /* END not reached without finish */
	mime_parser_finish(p);
	while (mime_parser_next(p, &ev) > 0)
		pb_buf_append_c(&seq, letters[ev.type]);
	/* root: header field, header end, preamble; part 1; part 2; epilogue; ends */
	CHECK_STR(seq.data, "(HE.(HE.)(E.).)$");
	struct mime_message *msg = mime_parser_take_message(p);
	REQUIRE(msg != NULL);
	CHECK(mime_parser_take_message(p) == NULL);
	CHECK_INT(msg->n_parts, 3);
	const struct mime_part *one = msg->root->children, *two = one->next;
	CHECK_INT(one->offset, 59);
	CHECK_INT(one->header.physical, 28);
	CHECK_INT(one->body.physical, 3); /* the CRLF before "--xx" is the boundary's */
	CHECK_INT(two->header.physical, 2);
	CHECK_INT(two->body.physical, 5); /* "two\r\n": the next CRLF is the boundary's */
	CHECK_INT(two->body.lines, 1);
	CHECK_INT(msg->root->header.physical, 48);
	CHECK_INT(msg->root->body.physical, strlen(multipart_msg) - 48);
	CHECK(!(msg->root->flags & MIME_PART_FLAG_NO_CLOSE));
	mime_message_free(&msg);
	mime_parser_destroy(&p);
	CHECK(p == NULL);
	pb_buf_deinit(&seq);
}

static void test_header_events(void)
{
	static const char m[] = "Subject: a\r\n b\r\nX-Empty:\r\nTo :  c@d \r\nno colon\r\n\r\n";
	struct mime_parser *p = mime_parser_create(NULL);
	struct mime_event ev;
	struct pb_buf got;

	pb_buf_init(&got);
	mime_parser_feed(p, m, strlen(m));
	mime_parser_finish(p);
	while (mime_parser_next(p, &ev) > 0) {
		if (ev.type == MIME_EVENT_HEADER)
			pb_buf_printf(&got, "[%.*s|%.*s]", (int)ev.name_len, ev.name, (int)ev.value_len,
				      ev.value);
	}
	CHECK_STR(got.data, "[Subject|a b][X-Empty|][To|c@d ]");
	struct mime_message *msg = mime_parser_take_message(p);
	CHECK(msg->root->flags & MIME_PART_FLAG_HEADER_BAD_LINE);
	mime_message_free(&msg);
	mime_parser_destroy(&p);
	pb_buf_deinit(&got);
}

static void test_header_limit(void)
{
	struct pb_buf m;
	struct mime_limits limits = { .max_header_size = 1000 };

	pb_buf_init(&m);
	for (int i = 0; i < 20; i++)
		pb_buf_printf(&m, "X-Field-%02d: %080d\r\n", i, i); /* 94 octets each */
	pb_buf_append_str(&m, "Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\n\r\nx\r\n");
	struct mime_message *msg = mime_message_parse(m.data, m.len, &limits);
	const struct mime_part *r = msg->root;
	CHECK(r->flags & MIME_PART_FLAG_HEADER_LIMIT);
	CHECK(msg->flags & MIME_MESSAGE_FLAG_HEADER_LIMIT);
	CHECK(r->type == NULL); /* Content-Type was past the limit: not interpreted */
	CHECK_INT(r->n_children, 0);
	CHECK_INT(r->header.physical, 20 * 94 + 45);
	CHECK_INT(r->body.physical, m.len - (20 * 94 + 45));
	mime_message_free(&msg);

	/* one field longer than the limit, fed byte by byte */
	struct mime_parser *p = mime_parser_create(&limits);
	struct mime_event ev;
	int headers = 0;
	pb_buf_reset(&m);
	pb_buf_append_str(&m, "Subject: ");
	for (int i = 0; i < 5000; i++)
		pb_buf_append_c(&m, 'a');
	pb_buf_append_str(&m, "\r\nFrom: a@b\r\n\r\nbody");
	for (size_t i = 0; i < m.len; i++) {
		mime_parser_feed(p, m.data + i, 1);
		while (mime_parser_next(p, &ev) > 0)
			headers += ev.type == MIME_EVENT_HEADER;
	}
	mime_parser_finish(p);
	while (mime_parser_next(p, &ev) > 0)
		headers += ev.type == MIME_EVENT_HEADER;
	CHECK_INT(headers, 0); /* From: ends beyond the limit too */
	msg = mime_parser_take_message(p);
	CHECK(msg->root->envelope[MIME_ENV_SUBJECT] == NULL);
	CHECK_INT(msg->root->body.physical, 4);
	mime_message_free(&msg);
	mime_parser_destroy(&p);
	pb_buf_deinit(&m);
}

static void nested_multiparts(struct pb_buf *m, int levels)
{
	for (int i = 0; i < levels; i++)
		pb_buf_printf(m, "Content-Type: multipart/mixed; boundary=b%d-\r\n\r\n--b%d-\r\n", i, i);
	pb_buf_append_str(m, "\r\ndeep\r\n");
}

static void test_depth_limit(void)
{
	struct mime_limits limits = { .max_depth = 10 };
	struct pb_buf m, bs;

	pb_buf_init(&m);
	pb_buf_init(&bs);
	nested_multiparts(&m, 50);
	struct mime_message *msg = mime_message_parse(m.data, m.len, &limits);
	CHECK_INT(msg->n_parts, 11);
	CHECK(msg->flags & MIME_MESSAGE_FLAG_DEPTH_LIMIT);
	const struct mime_part *part = msg->root;
	while (part->children != NULL)
		part = part->children;
	CHECK_INT(part->depth, 10);
	CHECK(part->flags & MIME_PART_FLAG_DEPTH_LIMIT);
	CHECK_INT(mime_part_body_offset(part) + part->body.physical, m.len);
	mime_imap_bodystructure(msg->root, true, &bs);
	CHECK(strstr(bs.data, "(\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 0 0") != NULL);
	mime_message_free(&msg);

	/* the default limit takes 50 levels */
	msg = mime_message_parse(m.data, m.len, NULL);
	CHECK_INT(msg->n_parts, 51);
	CHECK(!(msg->flags & MIME_MESSAGE_FLAG_DEPTH_LIMIT));
	mime_message_free(&msg);

	/* message/rfc822 nesting counts too */
	pb_buf_reset(&m);
	for (int i = 0; i < 20; i++)
		pb_buf_append_str(&m, "Content-Type: message/rfc822\r\n\r\n");
	pb_buf_append_str(&m, "Subject: inner\r\n\r\nx");
	limits.max_depth = 5;
	msg = mime_message_parse(m.data, m.len, &limits);
	CHECK_INT(msg->n_parts, 6); /* each embedded message is the next message/rfc822 */
	CHECK(msg->flags & MIME_MESSAGE_FLAG_DEPTH_LIMIT);
	mime_message_free(&msg);
	pb_buf_deinit(&m);
	pb_buf_deinit(&bs);
}

static void test_parts_limit(void)
{
	struct mime_limits limits = { .max_parts = 20 };
	struct pb_buf m;

	pb_buf_init(&m);
	pb_buf_append_str(&m, "Content-Type: multipart/mixed; boundary=p\r\n\r\n");
	for (int i = 0; i < 100; i++)
		pb_buf_printf(&m, "--p\r\n\r\npart %d\r\n", i);
	pb_buf_append_str(&m, "--p--\r\n");
	struct mime_message *msg = mime_message_parse(m.data, m.len, &limits);
	CHECK_INT(msg->n_parts, 20);
	CHECK_INT(msg->root->n_children, 19);
	CHECK(msg->flags & MIME_MESSAGE_FLAG_PARTS_LIMIT);
	CHECK(msg->root->flags & MIME_PART_FLAG_NO_CLOSE);
	const struct mime_part *last = msg->root->last_child;
	CHECK_INT(mime_part_body_offset(last) + last->body.physical, m.len);
	mime_message_free(&msg);

	msg = mime_message_parse(m.data, m.len, NULL);
	CHECK_INT(msg->n_parts, 101);
	CHECK(!(msg->root->flags & MIME_PART_FLAG_NO_CLOSE));
	mime_message_free(&msg);
	pb_buf_deinit(&m);
}

static void test_boundary_length(void)
{
	struct pb_buf m, b;

	for (int len = MIME_BOUNDARY_MAX; len <= MIME_BOUNDARY_MAX + 1; len++) {
		pb_buf_init(&m);
		pb_buf_init(&b);
		for (int i = 0; i < len; i++)
			pb_buf_append_c(&b, (char)('a' + i % 26));
		pb_buf_printf(&m, "Content-Type: multipart/mixed; boundary=\"%s\"\r\n\r\n--%s\r\n\r\nx\r\n--%s--\r\n",
			      b.data, b.data, b.data);
		struct mime_message *msg = mime_message_parse(m.data, m.len, NULL);
		CHECK_INT(msg->root->n_children, len <= MIME_BOUNDARY_MAX ? 1 : 0);
		mime_message_free(&msg);
		pb_buf_deinit(&m);
		pb_buf_deinit(&b);
	}
}

static void test_long_body_line_chunked(void)
{
	struct pb_buf m;
	struct mime_parser *p = mime_parser_create(NULL);
	struct mime_event ev;
	uint64_t body = 0;

	pb_buf_init(&m);
	pb_buf_append_str(&m, "Content-Type: multipart/mixed; boundary=z\r\n\r\n--z\r\n\r\n");
	for (int i = 0; i < 300000; i++)
		pb_buf_append_str(&m, i % 7 == 0 ? "-" : "ab\r");
	pb_buf_append_str(&m, "\r\n--z--\r\n");
	for (size_t pos = 0; pos < m.len; pos += 4096) {
		size_t n = m.len - pos < 4096 ? m.len - pos : 4096;
		mime_parser_feed(p, m.data + pos, n);
		while (mime_parser_next(p, &ev) > 0) {
			if (ev.type == MIME_EVENT_BODY && ev.part->parent != NULL)
				body += ev.data_len;
		}
	}
	mime_parser_finish(p);
	while (mime_parser_next(p, &ev) > 0)
		;
	struct mime_message *msg = mime_parser_take_message(p);
	REQUIRE(msg != NULL && msg->root->children != NULL);
	CHECK_INT(msg->root->children->body.physical, m.len - 52 - 9);
	CHECK_INT(body, msg->root->children->body.physical);
	CHECK_INT(msg->root->children->body.lines, 0);
	mime_message_free(&msg);
	mime_parser_destroy(&p);
	pb_buf_deinit(&m);
}

static void test_odd_headers(void)
{
	static const char m[] = "Subject: nul\0byte\r\nFrom: x@y\rz\r\n";
	struct mime_message *msg = mime_message_parse(m, sizeof(m) - 1, NULL);
	const struct mime_part *r = msg->root;

	CHECK_STR(r->envelope[MIME_ENV_SUBJECT], "nul\xEF\xBF\xBD" "byte");
	CHECK(r->flags & MIME_PART_FLAG_HEADER_NUL);
	CHECK(r->flags & MIME_PART_FLAG_NO_BODY);
	CHECK_INT(r->header.physical, sizeof(m) - 1);
	CHECK_INT(r->body.physical, 0);
	mime_message_free(&msg);

	msg = parse_str("", NULL);
	CHECK_INT(msg->n_parts, 1);
	CHECK_INT(msg->root->header.physical, 0);
	mime_message_free(&msg);

	msg = parse_str("Subject: only", NULL);
	CHECK_STR(msg->root->envelope[MIME_ENV_SUBJECT], "only");
	CHECK_INT(msg->root->header.physical, 13);
	mime_message_free(&msg);
}

static void test_message_rfc822(void)
{
	struct mime_message *msg = parse_str("Content-Type: message/rfc822\r\n\r\n"
					     "Subject: inner\r\n\r\ntext\r\n", NULL);
	const struct mime_part *r = msg->root, *c = r->children;

	CHECK(r->flags & MIME_PART_FLAG_MESSAGE);
	REQUIRE(c != NULL);
	CHECK(c->flags & MIME_PART_FLAG_MESSAGE_ROOT);
	CHECK_STR(c->envelope[MIME_ENV_SUBJECT], "inner");
	CHECK_INT(c->offset, mime_part_body_offset(r));
	CHECK_INT(r->body.lines, 3);
	mime_message_free(&msg);

	msg = parse_str("Content-Type: message/rfc822\r\nContent-Transfer-Encoding: base64\r\n\r\n"
			"U3ViamVjdDogeAoKeQo=\r\n", NULL);
	CHECK(!(msg->root->flags & MIME_PART_FLAG_MESSAGE));
	CHECK(msg->root->children == NULL);
	mime_message_free(&msg);
}

static void test_decode_body_and_filename(void)
{
	static const char m[] =
		"Content-Type: multipart/mixed; boundary=q\r\n\r\n"
		"--q\r\nContent-Type: text/plain; charset=iso-8859-1\r\n"
		"Content-Transfer-Encoding: quoted-printable\r\n\r\nK=F6ln=\r\n ist sch=F6n\r\n"
		"--q\r\nContent-Type: application/pdf; name=\"=?utf-8?B?w7xiZXIucGRm?=\"\r\n"
		"Content-Transfer-Encoding: base64\r\n\r\nJVBERg==\r\n"
		"--q\r\nContent-Type: text/plain; name*0*=utf-8''%E2%82%AC; name*1=\".txt\"\r\n"
		"Content-Disposition: attachment; filename=\"plain.txt\"\r\n\r\nx\r\n--q--\r\n";
	struct mime_message *msg = mime_message_parse(m, strlen(m), NULL);
	const struct mime_part *a = msg->root->children, *b = a->next, *c = b->next;
	struct pb_buf out;
	const char *error = NULL;

	pb_buf_init(&out);
	CHECK_INT(mime_part_decode_body(a, m, strlen(m), &out, &error), 0);
	CHECK_STR(out.data, "K\xC3\xB6ln ist sch\xC3\xB6n");
	pb_buf_reset(&out);
	CHECK_INT(mime_part_decode_body(b, m, strlen(m), &out, &error), 0);
	CHECK_INT(out.len, 4);
	CHECK(memcmp(out.data, "%PDF", 4) == 0);
	pb_buf_reset(&out);
	CHECK_INT(mime_part_filename_utf8(b, &out), 1);
	CHECK_STR(out.data, "\xC3\xBC" "ber.pdf");
	pb_buf_reset(&out);
	CHECK_INT(mime_part_param_utf8(c, false, "name", &out), 1);
	CHECK_STR(out.data, "\xE2\x82\xAC.txt");
	pb_buf_reset(&out);
	CHECK_INT(mime_part_filename_utf8(c, &out), 1);
	CHECK_STR(out.data, "plain.txt");
	pb_buf_reset(&out);
	CHECK_INT(mime_part_filename_utf8(a, &out), 0);
	/* data shorter than the part: an error, best effort */
	CHECK_INT(mime_part_decode_body(b, m, 100, &out, &error), -1);
	mime_message_free(&msg);
	pb_buf_deinit(&out);
}

static void test_text_part(void)
{
	static const char nested[] =
		"Content-Type: multipart/mixed; boundary=m\r\n\r\n"
		"--m\r\nContent-Type: multipart/related; boundary=r\r\n\r\n"
		"--r\r\nContent-Type: multipart/alternative; boundary=a\r\n\r\n"
		"--a\r\nContent-Type: text/html\r\n\r\n<p>html</p>\r\n"
		"--a\r\nContent-Type: text/plain\r\n\r\nplain\r\n--a--\r\n--r--\r\n"
		"--m\r\nContent-Type: text/plain\r\nContent-Disposition: attachment\r\n\r\natt\r\n--m--\r\n";
	static const char html_only[] =
		"Content-Type: multipart/alternative; boundary=a\r\n\r\n"
		"--a\r\nContent-Type: image/png\r\n\r\nx\r\n"
		"--a\r\nContent-Type: text/html\r\n\r\n<p>h</p>\r\n--a--\r\n";
	static const char attachment_only[] =
		"Content-Type: text/plain\r\nContent-Disposition: attachment\r\n\r\nx\r\n";
	struct mime_message *msg = parse_str(nested, NULL);
	const struct mime_part *t = mime_message_text_part(msg);

	REQUIRE(t != NULL);
	CHECK_INT(t->body.physical, 5);
	CHECK_STR(mime_part_subtype(t), "plain");
	mime_message_free(&msg);
	msg = parse_str(html_only, NULL);
	t = mime_message_text_part(msg);
	REQUIRE(t != NULL);
	CHECK_STR(mime_part_subtype(t), "html");
	mime_message_free(&msg);
	msg = parse_str(attachment_only, NULL);
	CHECK(mime_message_text_part(msg) == NULL);
	mime_message_free(&msg);
	msg = parse_str("Subject: no content type\r\n\r\nbody\r\n", NULL);
	CHECK(mime_message_text_part(msg) == msg->root);
	mime_message_free(&msg);
}

static const struct pb_test_case tests[] = {
	{ "simple_offsets", test_simple_offsets },
	{ "bare_lf_virtual_sizes", test_bare_lf_virtual_sizes },
	{ "event_sequence", test_event_sequence },
	{ "header_events", test_header_events },
	{ "header_limit", test_header_limit },
	{ "depth_limit", test_depth_limit },
	{ "parts_limit", test_parts_limit },
	{ "boundary_length", test_boundary_length },
	{ "long_body_line_chunked", test_long_body_line_chunked },
	{ "odd_headers", test_odd_headers },
	{ "message_rfc822", test_message_rfc822 },
	{ "decode_body_and_filename", test_decode_body_and_filename },
	{ "text_part", test_text_part },
};

PB_TEST_MAIN(tests)
