/*
 * test-smtp-session.c: SMTP session logic through the fake transport (no sockets, no actors,
 * a fake clock): the command table's state refusals, recipient checks answered by their own
 * replies, and the spool write's timeout.
 *
 * The regressions: a recipient check that timed out must never answer a later recipient
 * (the first hub matched replies by session, so `RCPT intern` took the late answer for `ceo`
 * and the intern's mail was stored in ceo's mailbox); a spool write that did not answer in
 * time must never be answered 451 (it may still land) nor let its late reply acknowledge
 * the next message.
 *
 * The spool hand-offs: a message that ends before its first 256 KiB chunk is full is one
 * SPOOL_PUT_REQ (envelope and content), with no upload begun; from a whole chunk on, the
 * upload begins then and streams. A transaction reset before its end sent nothing to undo.
 */
#include "gw-fake.h"
#include "gw-guard.h"
#include "pb-test.h"
#include "smtp-intrusion.h"
#include "smtp-session-test.h"

static void rcpt_ok(struct gw_fake *f, size_t i, uint64_t user_id)
{
	struct pb_msg rep;
	pb_msg_init(&rep, MSG_DIR_RCPT_CHECK_REP);
	rep.u.dir_rcpt_check_rep.user_id = user_id;
	CHECK_INT(gw_fake_reply(f, gw_fake_sent(f, i)->corr, &rep), 0);
}

static void open_session(struct gw_fake *f, struct smtp_server *srv)
{
	server_init(srv);
	gw_fake_open(f, &smtp_proto, mx_port(srv));
	CHECK_INT(gw_fake_guard(f, MSG_LOCKOUT_CHECK_IP_REQ, false, false), 0);
	gw_fake_forget_sent(f);
	CHECK(gw_fake_expect(f, "220 mx.test ESMTP"));
	CHECK(gw_fake_say(f, "EHLO client.test\r\n", "250-mx.test"));
}

/* Answers the session's last request (a spool step) with code, the way the spool would. */
static int spool_answer(struct gw_fake *f, uint32_t code)
{
	struct pb_msg *q = &f->sent[f->n_sent - 1], rep;

	if (code != PB_OK || q->type == MSG_SPOOL_ROOM_REQ) {
		pb_msg_init(&rep, MSG_CORE_STATUS_REP);
		rep.u.core_status_rep.code = code;
		rep.u.core_status_rep.error = xstrdup("test");
	} else if (q->type == MSG_SPOOL_BEGIN_REQ) {
		pb_msg_init(&rep, MSG_SPOOL_BEGIN_REP);
		rep.u.spool_begin_rep.upload_id = 77;
	} else if (q->type == MSG_SPOOL_CHUNK_REQ) {
		pb_msg_init(&rep, MSG_SPOOL_CHUNK_REP);
		rep.u.spool_chunk_rep.received = q->u.spool_chunk_req.offset + q->u.spool_chunk_req.data.len;
	} else if (q->type == MSG_SPOOL_PUT_REQ) {
		pb_msg_init(&rep, MSG_SPOOL_PUT_REP);
		rep.u.spool_put_rep.spool_id = 5;
	} else {
		CHECK(q->type == MSG_SPOOL_COMMIT_REQ);
		pb_msg_init(&rep, MSG_SPOOL_COMMIT_REP);
		rep.u.spool_commit_rep.spool_id = 5;
	}
	return gw_fake_reply(f, q->corr, &rep);
}

static enum pb_msg_type last_type(struct gw_fake *f)
{
	return f->n_sent > 0 ? f->sent[f->n_sent - 1].type : MSG_NONE;
}

/* Stores what the session sends (opening the upload if it asked, then one chunk in flight
 * at a time), collecting the content (with the piece the commit carries, or the whole of a
 * put), until it commits or puts; returns the number of chunks. */
static size_t store_chunks(struct gw_fake *f, struct pb_buf *content)
{
	size_t n = 0;
	if (last_type(f) == MSG_SPOOL_BEGIN_REQ)
		CHECK_INT(spool_answer(f, PB_OK), 0);
	while (last_type(f) == MSG_SPOOL_CHUNK_REQ) {
		struct msg_spool_chunk_req *c = &f->sent[f->n_sent - 1].u.spool_chunk_req;
		CHECK_INT(c->offset, content->len);
		/* a chunk is 256 KiB, or up to two octets more: a CR LF the decoder held back */
		CHECK(c->data.len > 0 && c->data.len <= 256 * 1024 + 2);
		CHECK_INT(c->upload_id, 77);
		pb_buf_append(content, c->data.data, c->data.len);
		size_t before = f->n_sent;
		CHECK_INT(spool_answer(f, PB_OK), 0);
		n++;
		if (f->n_sent == before)
			break; /* waiting for more input */
	}
	if (last_type(f) == MSG_SPOOL_COMMIT_REQ) {
		struct msg_spool_commit_req *c = &f->sent[f->n_sent - 1].u.spool_commit_req;
		CHECK_INT(c->size, content->len + c->data.len);
		pb_buf_append(content, c->data.data, c->data.len);
	} else if (last_type(f) == MSG_SPOOL_PUT_REQ) {
		struct msg_spool_put_req *q = &f->sent[f->n_sent - 1].u.spool_put_req;
		CHECK_INT(n, 0);
		CHECK(q->data.len < 256 * 1024);
		pb_buf_append(content, q->data.data, q->data.len);
	}
	return n;
}

static void test_late_rcpt_reply_never_answers_another(void)
{
	struct smtp_server srv;
	struct gw_fake f;
	struct pb_msg rep;

	open_session(&f, &srv);
	CHECK(gw_fake_say(&f, "MAIL FROM:<boss@example.org>\r\n", "250 2.1.0"));
	gw_fake_input(&f, "RCPT TO:<ceo@localhost>\r\n");
	REQUIRE(f.n_sent == 1 && f.sent[0].type == MSG_DIR_RCPT_CHECK_REQ);
	CHECK_STR(f.sent[0].u.dir_rcpt_check_req.local, "ceo");
	CHECK(f.paused);
	/* the directory stalls past the deadline */
	gw_fake_advance(&f, SMTP_CHECK_TIMEOUT_MS + 1);
	CHECK(gw_fake_expect(&f, "451 4.3.0"));
	CHECK(!f.paused);
	CHECK(gw_fake_say(&f, "RCPT TO:<intern@localhost>\r\n", ""));
	REQUIRE(f.n_sent == 2);
	CHECK_STR(f.sent[1].u.dir_rcpt_check_req.local, "intern");
	CHECK(f.sent[1].corr != f.sent[0].corr);
	/* ceo's late answer arrives now: dropped, it answers nothing */
	pb_msg_init(&rep, MSG_DIR_RCPT_CHECK_REP);
	rep.u.dir_rcpt_check_rep.user_id = 100;
	CHECK_INT(gw_fake_reply(&f, f.sent[0].corr, &rep), -1);
	CHECK(gw_fake_expect(&f, ""));
	/* intern's own answer */
	rcpt_ok(&f, 1, 200);
	CHECK(gw_fake_expect(&f, "250 2.1.5"));
	CHECK(gw_fake_say(&f, "DATA\r\n", "354"));
	CHECK(gw_fake_say(&f, "hi\r\n.\r\n", ""));
	REQUIRE(last_type(&f) == MSG_SPOOL_PUT_REQ);
	struct msg_spool_put_req *q = &f.sent[2].u.spool_put_req;
	REQUIRE(q->rcpt_ids.n == 1);
	CHECK_INT(q->rcpt_ids.v[0], 200);
	CHECK_STR(q->rcpts.v[0], "intern@localhost");
	gw_fake_free(&f);
}

/* A transaction: MAIL, and RCPT answered (user 7). */
static void open_tx(struct gw_fake *f)
{
	CHECK(gw_fake_say(f, "MAIL FROM:<a@example.org>\r\n", "250"));
	gw_fake_input(f, "RCPT TO:<bob@localhost>\r\n");
	rcpt_ok(f, f->n_sent - 1, 7);
	CHECK(gw_fake_expect(f, "250 2.1.5"));
}

/* MAIL, RCPT, DATA (nothing goes to the spool yet), then the content. */
static void send_message(struct gw_fake *f, const char *content)
{
	open_tx(f);
	size_t sent = f->n_sent;
	CHECK(gw_fake_say(f, "DATA\r\n", "354"));
	CHECK_INT(f->n_sent, sent);
	gw_fake_input(f, content);
}

static void test_spool_timeout_closes_never_451(void)
{
	struct smtp_server srv;
	struct gw_fake f;
	struct pb_buf content;

	open_session(&f, &srv);
	send_message(&f, "Subject: x\r\n\r\nbody\r\n.\r\n");
	pb_buf_init(&content);
	CHECK_INT(store_chunks(&f, &content), 0); /* a small message: one put */
	CHECK(strstr(content.data, "body") != NULL);
	pb_buf_deinit(&content);
	REQUIRE(last_type(&f) == MSG_SPOOL_PUT_REQ);
	CHECK(f.gs.must_finish); /* a stopping hub waits for this one */
	size_t commit = f.n_sent - 1;
	/* the session's own idle deadline does not cut the wait short */
	gw_fake_advance(&f, srv.settings.command_timeout_s * 1000ull + 1);
	CHECK(gw_fake_expect(&f, ""));
	CHECK(!f.closed);
	gw_fake_advance(&f, SMTP_SPOOL_TIMEOUT_MS);
	char *out = gw_fake_output(&f);
	CHECK(strncmp(out, "421 4.3.0", 9) == 0);
	CHECK(strstr(out, "451") == NULL);
	free(out);
	CHECK(f.closed);
	CHECK(!f.gs.must_finish);
	/* the late answer is dropped, and nothing tried to undo the commit */
	CHECK_INT(spool_answer(&f, PB_OK), -1);
	CHECK_INT(f.n_sent, commit + 1);
	CHECK(gw_fake_expect(&f, ""));
	gw_fake_free(&f);
}

static void test_commit_reply_acknowledges_its_own_message(void)
{
	struct smtp_server srv;
	struct gw_fake f;
	struct pb_buf content;

	open_session(&f, &srv);
	pb_buf_init(&content);
	send_message(&f, "Subject: x\r\n\r\nbody\r\n.\r\n");
	store_chunks(&f, &content);
	size_t commit1 = f.n_sent - 1;
	CHECK_INT(spool_answer(&f, PB_ERR_TEMP), 0);
	CHECK(gw_fake_expect(&f, "451 4.3.0"));
	/* a second delivery of the same (already answered) reply is a stray */
	struct pb_msg rep;
	pb_msg_init(&rep, MSG_SPOOL_PUT_REP);
	CHECK_INT(gw_fake_reply(&f, f.sent[commit1].corr, &rep), -1);
	CHECK(gw_fake_expect(&f, ""));
	send_message(&f, "Subject: y\r\n\r\nbody\r\n.\r\n");
	pb_buf_reset(&content);
	store_chunks(&f, &content);
	CHECK(strstr(content.data, "Subject: y") != NULL);
	CHECK_INT(spool_answer(&f, PB_OK), 0);
	CHECK(gw_fake_expect(&f, "250 2.0.0 Ok: queued"));
	pb_buf_deinit(&content);
	gw_fake_free(&f);
}

/* A 1 MB message goes out in chunks of at most 256 KiB, one in flight at a time, and the
 * session never holds more than a chunk of it. */
static void test_big_message_streams_in_chunks(void)
{
	struct smtp_server srv;
	struct gw_fake f;
	struct pb_buf content, input;

	open_session(&f, &srv);
	pb_buf_init(&content);
	pb_buf_init(&input);
	pb_buf_append_str(&input, "Subject: big\r\n\r\n");
	for (int i = 0; i < 16000; i++)
		pb_buf_printf(&input, "line %05d of a big message, padded to sixty octets....\r\n", i);
	size_t body_len = input.len;
	pb_buf_append_str(&input, ".\r\n");
	send_message(&f, input.data);
	size_t n = store_chunks(&f, &content);
	CHECK(n >= 3);
	REQUIRE(last_type(&f) == MSG_SPOOL_COMMIT_REQ);
	CHECK_INT(f.sent[f.n_sent - 1].u.spool_commit_req.size, content.len);
	/* the stored content: the trace headers, then exactly what the client sent */
	CHECK(strncmp(content.data, "Return-Path: <a@example.org>\r\nReceived: ", 40) == 0);
	CHECK(content.len > body_len &&
	      memcmp(content.data + content.len - body_len, input.data, body_len) == 0);
	CHECK_INT(spool_answer(&f, PB_OK), 0);
	CHECK(gw_fake_expect(&f, "250 2.0.0"));
	pb_buf_deinit(&content);
	pb_buf_deinit(&input);
	gw_fake_free(&f);
}

/* The disk fills midway: the rest of the content is read and dropped, the upload aborted, and
 * the client hears 452 after its end of data. */
static void test_upload_failure_midway(void)
{
	struct smtp_server srv;
	struct gw_fake f;
	struct pb_buf input;

	open_session(&f, &srv);
	pb_buf_init(&input);
	pb_buf_append_str(&input, "Subject: big\r\n\r\n");
	for (int i = 0; i < 16000; i++)
		pb_buf_append_str(&input, "0123456789012345678901234567890123456789012345678901234567\r\n");
	pb_buf_append_str(&input, ".\r\n");
	send_message(&f, input.data);
	REQUIRE(last_type(&f) == MSG_SPOOL_BEGIN_REQ); /* the first chunk is full */
	CHECK_INT(spool_answer(&f, PB_OK), 0);
	REQUIRE(last_type(&f) == MSG_SPOOL_CHUNK_REQ);
	size_t before = f.n_sent;
	CHECK_INT(spool_answer(&f, PB_ERR_NOSPACE), 0);
	/* no chunk more; an abort (one-way) and the verdict */
	for (size_t i = before; i < f.n_sent; i++)
		CHECK(f.sent[i].type == MSG_SPOOL_ABORT_REQ && f.sent[i].reply_to == NULL);
	CHECK_INT(f.n_sent, before + 1);
	CHECK(gw_fake_expect(&f, "452 4.3.1"));
	CHECK(gw_fake_say(&f, "RSET\r\n", "250"));
	pb_buf_deinit(&input);
	gw_fake_free(&f);
}

/* Sends a message of 360 kB (more than a chunk) with DATA; input keeps it (deinit it). */
static void send_big_message(struct gw_fake *f, struct pb_buf *input)
{
	pb_buf_init(input);
	for (int i = 0; i < 6000; i++)
		pb_buf_append_str(input, "0123456789012345678901234567890123456789012345678901234567\r\n");
	pb_buf_append_str(input, ".\r\n");
	send_message(f, input->data);
}

/* A big message whose upload the spool refuses at its first chunk: the content is read and
 * dropped, the verdict comes after its end; a small one refused at its put likewise. */
static void test_begin_refused(void)
{
	struct smtp_server srv;
	struct gw_fake f;
	struct pb_buf input;

	open_session(&f, &srv);
	send_big_message(&f, &input);
	REQUIRE(last_type(&f) == MSG_SPOOL_BEGIN_REQ);
	CHECK(f.paused); /* a whole chunk waits for the upload */
	size_t sent = f.n_sent;
	CHECK_INT(spool_answer(&f, PB_ERR_NOSPACE), 0);
	CHECK(gw_fake_expect(&f, "452 4.3.1"));
	CHECK_INT(f.n_sent, sent);
	CHECK(gw_fake_say(&f, "NOOP\r\n", "250"));
	send_message(&f, "Subject: x\r\n\r\nbody\r\n.\r\n");
	REQUIRE(last_type(&f) == MSG_SPOOL_PUT_REQ);
	CHECK_INT(spool_answer(&f, PB_ERR_NOSPACE), 0);
	CHECK(gw_fake_expect(&f, "452 4.3.1"));
	CHECK(gw_fake_say(&f, "NOOP\r\n", "250"));
	pb_buf_deinit(&input);
	gw_fake_free(&f);
}

/* A begin the spool does not answer in time: the content is read and dropped, the client
 * hears 451 after its end, and an abort by key (one-way) drops the upload should the late
 * begin still open it (its reply is dropped). */
static void test_begin_timeout_drops_by_key(void)
{
	struct smtp_server srv;
	struct gw_fake f;
	struct pb_buf input;

	open_session(&f, &srv);
	send_big_message(&f, &input);
	REQUIRE(last_type(&f) == MSG_SPOOL_BEGIN_REQ);
	size_t begin = f.n_sent - 1;
	gw_fake_advance(&f, SMTP_CHECK_TIMEOUT_MS + 1);
	REQUIRE(f.n_sent == begin + 2 && last_type(&f) == MSG_SPOOL_ABORT_REQ);
	CHECK_INT(f.sent[begin + 1].u.spool_abort_req.upload_id, 0);
	CHECK(f.sent[begin + 1].reply_to == NULL);
	CHECK(gw_fake_expect(&f, "451 4.3.0"));
	struct pb_msg rep;
	pb_msg_init(&rep, MSG_SPOOL_BEGIN_REP);
	rep.u.spool_begin_rep.upload_id = 78;
	CHECK_INT(gw_fake_reply(&f, f.sent[begin].corr, &rep), -1);
	CHECK(gw_fake_say(&f, "NOOP\r\n", "250"));
	CHECK_INT(f.n_sent, begin + 2);
	pb_buf_deinit(&input);
	gw_fake_free(&f);
}

/* A message under a chunk is ONE request to the spool: SPOOL_PUT_REQ with the envelope (the
 * msgid the 250 names) and the content, no upload; the budget of bytes in flight is held
 * until its answer. (Before: a begin at DATA and a commit, two hand-offs more.) */
static void test_small_message_is_one_put(void)
{
	struct smtp_server srv;
	struct gw_fake f;
	char want[96];

	open_session(&f, &srv);
	f.budget = 1024 * 1024;
	send_message(&f, "Subject: one\r\n\r\nbody\r\n.\r\nNOOP\r\n");
	REQUIRE(f.n_sent == 2 && last_type(&f) == MSG_SPOOL_PUT_REQ);
	struct msg_spool_put_req *q = &f.sent[1].u.spool_put_req;
	CHECK_INT(q->key, f.gs.id);
	CHECK_STR(q->sender, "a@example.org");
	REQUIRE(q->rcpts.n == 1 && q->rcpt_ids.n == 1);
	CHECK_STR(q->rcpts.v[0], "bob@localhost");
	CHECK_INT(q->rcpt_ids.v[0], 7);
	CHECK(q->received_ms > 0);
	CHECK(q->data.len > 30 &&
	      strncmp((char *)q->data.data, "Return-Path: <a@example.org>\r\n", 30) == 0);
	CHECK(q->data.len >= 22 &&
	      memcmp(q->data.data + q->data.len - 22, "Subject: one\r\n\r\nbody\r\n", 22) == 0);
	CHECK(f.paused && f.gs.must_finish);
	CHECK(f.budget_used > 0);
	snprintf(want, sizeof(want), "250 2.0.0 Ok: queued as %s\r\n250 2.0.0 Ok", q->msgid);
	CHECK_INT(spool_answer(&f, PB_OK), 0);
	CHECK(gw_fake_expect(&f, want)); /* and the pipelined NOOP */
	CHECK_INT(f.budget_used, 0);
	CHECK_INT(f.n_sent, 2);
	gw_fake_free(&f);
}

/* Content making n octets with the trace headers (hdr octets): lines of 60 octets, then a
 * last line that makes up n exactly. */
static void make_content(struct pb_buf *input, size_t hdr, size_t n)
{
	pb_buf_reset(input);
	while (hdr + input->len + 60 + 62 <= n)
		pb_buf_append_str(input, "0123456789012345678901234567890123456789012345678901234567\r\n");
	while (hdr + input->len + 2 < n)
		pb_buf_append(input, "y", 1);
	pb_buf_append_str(input, "\r\n");
}

/* The length of the trace headers, from a small message's put (they and "x\r\n"). */
static size_t trace_length(struct gw_fake *f)
{
	send_message(f, "x\r\n.\r\n");
	CHECK(last_type(f) == MSG_SPOOL_PUT_REQ);
	if (last_type(f) != MSG_SPOOL_PUT_REQ)
		return 0;
	size_t len = f->sent[f->n_sent - 1].u.spool_put_req.data.len - 3;
	CHECK_INT(spool_answer(f, PB_OK), 0);
	CHECK(gw_fake_expect(f, "250 2.0.0 Ok: queued"));
	return len;
}

/* A message of exactly one chunk, and of a chunk and one octet: the upload begins when the
 * chunk is full and streams (begin, the chunk, the commit with the rest); so does a BDAT LAST
 * whose content ends with the chunk just full. */
static void test_one_chunk_streams(void)
{
	struct smtp_server srv;
	struct gw_fake f;
	struct pb_buf input, content;
	const size_t chunk = 256 * 1024;
	char cmd[64];

	open_session(&f, &srv);
	pb_buf_init(&input);
	pb_buf_init(&content);
	for (size_t extra = 0; extra < 2; extra++) {
		make_content(&input, trace_length(&f), chunk + extra);
		pb_buf_append_str(&input, ".\r\n");
		size_t before = f.n_sent;
		send_message(&f, input.data);
		REQUIRE(f.n_sent == before + 2 && last_type(&f) == MSG_SPOOL_BEGIN_REQ);
		pb_buf_reset(&content);
		CHECK_INT(store_chunks(&f, &content), 1);
		REQUIRE(last_type(&f) == MSG_SPOOL_COMMIT_REQ);
		CHECK_INT(content.len, chunk + extra);
		CHECK_INT(spool_answer(&f, PB_OK), 0);
		CHECK(gw_fake_expect(&f, "250 2.0.0 Ok: queued"));
	}
	make_content(&input, trace_length(&f), chunk);
	open_tx(&f);
	snprintf(cmd, sizeof(cmd), "BDAT %zu LAST\r\n", input.len);
	gw_fake_input(&f, cmd);
	gw_fake_input(&f, input.data);
	REQUIRE(last_type(&f) == MSG_SPOOL_BEGIN_REQ);
	pb_buf_reset(&content);
	CHECK_INT(store_chunks(&f, &content), 0);
	REQUIRE(last_type(&f) == MSG_SPOOL_COMMIT_REQ);
	CHECK_INT(content.len, chunk);
	CHECK_INT(spool_answer(&f, PB_OK), 0);
	CHECK(gw_fake_expect(&f, "250 2.0.0 Ok: queued"));
	pb_buf_deinit(&input);
	pb_buf_deinit(&content);
	gw_fake_free(&f);
}

/* RSET or QUIT before the content ended: nothing was sent to the spool, so nothing is aborted
 * (before, BDAT had begun an upload that RSET then aborted). */
static void test_reset_before_the_end_sends_nothing(void)
{
	struct smtp_server srv;
	struct gw_fake f;

	open_session(&f, &srv);
	f.budget = 1024 * 1024;
	for (int quit = 0; quit < 2; quit++) {
		open_tx(&f);
		size_t sent = f.n_sent;
		CHECK(gw_fake_say(&f, "BDAT 12\r\nSubject: z\r\n", "250 2.0.0 Ok: 12 octets"));
		CHECK(f.budget_used > 0);
		CHECK(gw_fake_say(&f, quit ? "QUIT\r\n" : "RSET\r\n", quit ? "221" : "250"));
		CHECK_INT(f.n_sent, sent);
		if (!quit)
			CHECK_INT(f.budget_used, 0);
	}
	gw_fake_free(&f);
}

static void test_bdat_streams_and_discards(void)
{
	struct smtp_server srv;
	struct gw_fake f;
	struct pb_buf content;

	open_session(&f, &srv);
	/* without a transaction the chunk is read and dropped, never buffered */
	gw_fake_input(&f, "BDAT 100000 LAST\r\n");
	char *junk = xmalloc(100001);
	memset(junk, 'x', 100000);
	junk[100000] = '\0';
	gw_fake_input(&f, junk);
	free(junk);
	CHECK(gw_fake_expect(&f, "503 5.5.1"));
	CHECK_INT(f.n_sent, 0);
	CHECK(gw_fake_say(&f, "MAIL FROM:<a@example.org>\r\n", "250"));
	gw_fake_input(&f, "RCPT TO:<bob@localhost>\r\n");
	rcpt_ok(&f, 0, 7);
	CHECK(gw_fake_expect(&f, "250 2.1.5"));
	CHECK(gw_fake_say(&f, "BDAT 12\r\nSubject: z\r\n", "250 2.0.0 Ok: 12 octets"));
	CHECK_INT(f.n_sent, 1); /* nothing at the spool before the end */
	/* LAST without a final CRLF: the stored message gets one */
	CHECK(gw_fake_say(&f, "BDAT 6 LAST\r\n\r\nbody", ""));
	pb_buf_init(&content);
	store_chunks(&f, &content);
	CHECK(content.len > 14 && memcmp(content.data + content.len - 14, "Subject: z\r\n\r\nbody\r\n", 14) != 0);
	CHECK(content.len > 20 && memcmp(content.data + content.len - 20, "Subject: z\r\n\r\nbody\r\n", 20) == 0);
	CHECK_INT(spool_answer(&f, PB_OK), 0);
	CHECK(gw_fake_expect(&f, "250 2.0.0 Ok: queued"));
	pb_buf_deinit(&content);
	gw_fake_free(&f);
}

/* True if content (the stored message) ends with tail. */
static bool ends_with(const struct pb_buf *content, const char *tail)
{
	size_t n = strlen(tail);
	return content->len >= n && memcmp(content->data + content->len - n, tail, n) == 0;
}

/* smtp.bare_newlines and smtp.max_line_length as the session reads them at DATA and BDAT:
 * by default a bare LF is stored as CR LF ("\n.\n" stays content) and a 10,000-octet line
 * passes; "reject" gives today's 550; a smaller line limit gives a 500 naming it. */
static void test_bare_newlines_and_line_limit(void)
{
	struct smtp_server srv;
	struct gw_fake f;
	struct pb_buf content;
	char *line = xmalloc(10001 + 8);

	memset(line, 'h', 10000);
	memcpy(line + 10000, "\r\n.\r\n", 6);
	open_session(&f, &srv);
	pb_buf_init(&content);
	send_message(&f, "Subject: unix\n\nline\n.\nMAIL FROM:<x@evil.example>\n..dot\r\n.\r\n");
	store_chunks(&f, &content);
	CHECK(ends_with(&content, "Subject: unix\r\n\r\nline\r\n\r\nMAIL FROM:<x@evil.example>\r\n"
				  ".dot\r\n"));
	CHECK_INT(spool_answer(&f, PB_OK), 0);
	CHECK(gw_fake_expect(&f, "250 2.0.0 Ok: queued"));
	/* BDAT: the same normalization, across a chunk boundary */
	CHECK(gw_fake_say(&f, "MAIL FROM:<a@example.org>\r\n", "250"));
	gw_fake_input(&f, "RCPT TO:<bob@localhost>\r\n");
	rcpt_ok(&f, f.n_sent - 1, 7);
	CHECK(gw_fake_expect(&f, "250 2.1.5"));
	gw_fake_input(&f, "BDAT 2\r\na\r"); /* nothing at the spool before the end */
	CHECK(gw_fake_expect(&f, "250 2.0.0 Ok: 2 octets"));
	CHECK(gw_fake_say(&f, "BDAT 4 LAST\r\n\nb\nc", ""));
	pb_buf_reset(&content);
	store_chunks(&f, &content);
	CHECK(ends_with(&content, "\r\na\r\nb\r\nc\r\n"));
	CHECK_INT(spool_answer(&f, PB_OK), 0);
	CHECK(gw_fake_expect(&f, "250 2.0.0 Ok: queued"));
	/* a long line is stored whole */
	send_message(&f, line);
	pb_buf_reset(&content);
	store_chunks(&f, &content);
	CHECK(content.len > 10002 && memcmp(content.data + content.len - 10002, line, 10002) == 0);
	CHECK_INT(spool_answer(&f, PB_OK), 0);
	CHECK(gw_fake_expect(&f, "250 2.0.0 Ok: queued"));
	/* strict: the bare LF refuses the message; a limit of 1000 refuses the long line */
	snprintf(srv.settings.bare_newlines, sizeof(srv.settings.bare_newlines), "reject");
	send_message(&f, "Subject: unix\n\nline\r\n.\r\n");
	CHECK(gw_fake_expect(&f, "550 5.5.2 Bare LF or CR in message is not allowed"));
	srv.settings.max_line_length = 1000;
	send_message(&f, line);
	CHECK(gw_fake_expect(&f, "500 5.5.2 Line too long: the limit is 1000 octets per line"));
	CHECK(gw_fake_say(&f, "NOOP\r\n", "250"));
	free(line);
	pb_buf_deinit(&content);
	gw_fake_free(&f);
}

static void test_state_refusals(void)
{
	struct smtp_server srv;
	struct gw_fake f;

	server_init(&srv);
	gw_fake_open(&f, &smtp_proto, mx_port(&srv));
	CHECK_INT(gw_fake_guard(&f, MSG_LOCKOUT_CHECK_IP_REQ, false, false), 0);
	gw_fake_forget_sent(&f);
	CHECK(gw_fake_expect(&f, "220"));
	CHECK(gw_fake_say(&f, "MAIL FROM:<a@b>\r\n", "503 5.5.1 Error: send HELO/EHLO first"));
	CHECK(gw_fake_say(&f, "RCPT TO:<a@b>\r\n", "503 5.5.1 Error: need MAIL command"));
	CHECK(gw_fake_say(&f, "DATA\r\n", "503 5.5.1 Error: need MAIL command"));
	CHECK(gw_fake_say(&f, "EHLO\r\n", "501 5.5.4 Syntax: EHLO hostname"));
	CHECK(gw_fake_say(&f, "HELO x\r\n", "250 mx.test"));
	CHECK(gw_fake_say(&f, "MAIL FROM:<a@b> SIZE=10\r\n", "555 5.5.4"));
	CHECK(gw_fake_say(&f, "MAIL FROM:<a@b>\r\n", "250"));
	CHECK(gw_fake_say(&f, "MAIL FROM:<a@b>\r\n", "503 5.5.1 Error: nested MAIL command"));
	CHECK(gw_fake_say(&f, "DATA\r\n", "554 5.5.1 Error: no valid recipients"));
	CHECK(gw_fake_say(&f, "EXPN staff\r\n", "502 5.5.1"));
	CHECK(gw_fake_say(&f, "STARTTLS\r\n", "454 4.7.0"));
	CHECK(gw_fake_say(&f, "FOO\r\n", "500 5.5.2"));
	/* no actor is asked but intrusion protection: each refusal past the free ones (10 here) */
	CHECK_INT(f.n_sent, 10 - SMTP_INTRUSION_FREE);
	for (size_t i = 0; i < f.n_sent; i++) {
		CHECK_INT(f.sent[i].type, MSG_LOCKOUT_INTRUSION_REQ);
		CHECK_INT(f.sent[i].u.lockout_intrusion_req.event, LOCKOUT_INTRUSION_BAD_COMMAND);
	}
	gw_fake_free(&f);
}

/* A declared SIZE: over the limit is 552 at once; else the spool says whether it has room. */
static void test_size_and_room(void)
{
	struct smtp_server srv;
	struct gw_fake f;

	open_session(&f, &srv);
	srv.settings.max_message_size = 1000;
	CHECK(gw_fake_say(&f, "MAIL FROM:<a@b> SIZE=1001\r\n", "552 5.3.4"));
	CHECK_INT(f.n_sent, 0);
	CHECK(gw_fake_say(&f, "MAIL FROM:<a@b> SIZE=10\r\n", ""));
	REQUIRE(last_type(&f) == MSG_SPOOL_ROOM_REQ);
	CHECK_INT(f.sent[0].u.spool_room_req.size, 10);
	CHECK_INT(spool_answer(&f, PB_ERR_NOSPACE), 0);
	CHECK(gw_fake_expect(&f, "452 4.3.1"));
	CHECK(gw_fake_say(&f, "RCPT TO:<a@b>\r\n", "503 5.5.1 Error: need MAIL command"));
	gw_fake_input(&f, "MAIL FROM:<a@b> SIZE=10\r\n");
	CHECK_INT(spool_answer(&f, PB_OK), 0);
	CHECK(gw_fake_expect(&f, "250 2.1.0"));
	CHECK(gw_fake_say(&f, "MAIL FROM:<a@b>\r\n", "503 5.5.1 Error: nested MAIL command"));
	gw_fake_free(&f);
}

static void test_too_many_errors(void)
{
	struct smtp_server srv;
	struct gw_fake f;

	open_session(&f, &srv);
	srv.settings.max_errors = 3;
	CHECK(gw_fake_say(&f, "FOO\r\n", "500"));
	CHECK(gw_fake_say(&f, "FOO\r\n", "500"));
	CHECK(!f.closed);
	gw_fake_input(&f, "FOO\r\n");
	char *out = gw_fake_output(&f);
	CHECK(strstr(out, "421 4.7.0 Error: too many errors") != NULL);
	free(out);
	CHECK(f.closed);
	gw_fake_free(&f);
}

static void test_busy_inbox_is_451(void)
{
	struct smtp_server srv;
	struct gw_fake f;

	open_session(&f, &srv);
	CHECK(gw_fake_say(&f, "MAIL FROM:<a@b>\r\n", "250"));
	f.refuse_sends = true;
	CHECK(gw_fake_say(&f, "RCPT TO:<bob@localhost>\r\n", "451 4.3.0"));
	CHECK(f.gs.pending == 0);
	gw_fake_free(&f);
}

/* The node's budget of bytes in flight: a message takes its share while it is received and
 * gives it back at the end; past the budget DATA gets 452 and the session goes on. */
static void test_bytes_in_flight_budget(void)
{
	struct smtp_server srv;
	struct gw_fake f;
	struct pb_buf content;

	open_session(&f, &srv);
	pb_buf_init(&content);
	f.budget = 1024 * 1024;
	send_message(&f, "Subject: x\r\n\r\nbody\r\n.\r\n");
	CHECK(f.budget_used > 0);
	store_chunks(&f, &content);
	CHECK_INT(spool_answer(&f, PB_OK), 0);
	CHECK(gw_fake_expect(&f, "250 2.0.0 Ok: queued"));
	CHECK_INT(f.budget_used, 0);
	/* no room: 452 at DATA, nothing sent to the spool, the session serves on */
	f.budget = 1000;
	open_tx(&f);
	size_t sent = f.n_sent;
	CHECK(gw_fake_say(&f, "DATA\r\n", "452 4.3.1"));
	CHECK_INT(f.n_sent, sent);
	CHECK_INT(f.budget_used, 0);
	CHECK(gw_fake_say(&f, "NOOP\r\n", "250"));
	pb_buf_deinit(&content);
	gw_fake_free(&f);
}

/* The greeting waits for the lockout guard: a blocked address hears 421 and nothing else,
 * commands sent early wait; a guard that does not answer in time greets, its late answer
 * dropped. */
static void test_guard_at_accept(void)
{
	struct smtp_server srv;
	struct gw_fake f;

	server_init(&srv);
	gw_fake_open(&f, &smtp_proto, mx_port(&srv));
	CHECK_INT(f.n_sent, 1);
	CHECK_STR(gw_fake_sent(&f, 0)->u.lockout_check_ip_req.ip, "192.0.2.1");
	gw_fake_input(&f, "EHLO early.test\r\n");
	CHECK(gw_fake_expect(&f, ""));
	CHECK_INT(gw_fake_guard(&f, MSG_LOCKOUT_CHECK_IP_REQ, true, false), 0);
	char *out = gw_fake_output(&f);
	CHECK_STR(out, "421 4.7.0 " LOCKOUT_BLOCKED_TEXT "\r\n");
	free(out);
	CHECK(f.closed);
	gw_fake_free(&f);

	server_init(&srv);
	gw_fake_open(&f, &smtp_proto, mx_port(&srv));
	gw_fake_input(&f, "EHLO early.test\r\n");
	gw_fake_advance(&f, GW_GUARD_TIMEOUT_MS + 1);
	CHECK(gw_fake_expect(&f, "220 mx.test ESMTP Pillarbox\r\n250-mx.test"));
	CHECK_INT(gw_fake_guard(&f, MSG_LOCKOUT_CHECK_IP_REQ, true, false), -1);
	CHECK(!f.closed);
	CHECK(gw_fake_say(&f, "NOOP\r\n", "250"));
	gw_fake_free(&f);
}

static const struct pb_test_case cases[] = {
	{ "guard_at_accept", test_guard_at_accept },
	{ "bytes_in_flight_budget", test_bytes_in_flight_budget },
	{ "late_rcpt_reply_never_answers_another", test_late_rcpt_reply_never_answers_another },
	{ "spool_timeout_closes_never_451", test_spool_timeout_closes_never_451 },
	{ "commit_reply_acknowledges_its_own_message", test_commit_reply_acknowledges_its_own_message },
	{ "big_message_streams_in_chunks", test_big_message_streams_in_chunks },
	{ "upload_failure_midway", test_upload_failure_midway },
	{ "begin_refused", test_begin_refused },
	{ "small_message_is_one_put", test_small_message_is_one_put },
	{ "begin_timeout_drops_by_key", test_begin_timeout_drops_by_key },
	{ "one_chunk_streams", test_one_chunk_streams },
	{ "reset_before_the_end_sends_nothing", test_reset_before_the_end_sends_nothing },
	{ "bdat_streams_and_discards", test_bdat_streams_and_discards },
	{ "bare_newlines_and_line_limit", test_bare_newlines_and_line_limit },
	{ "state_refusals", test_state_refusals },
	{ "size_and_room", test_size_and_room },
	{ "too_many_errors", test_too_many_errors },
	{ "busy_inbox_is_451", test_busy_inbox_is_451 },
};
PB_TEST_MAIN(cases)
