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
 */
#include "gw-fake.h"
#include "pb-test.h"
#include "smtp-session.h"

static bool room = true;
static bool has_room(void *ctx, uint64_t size)
{
	return room;
}

static void server_init(struct smtp_server *srv)
{
	memset(srv, 0, sizeof(*srv));
	snprintf(srv->hostname, sizeof(srv->hostname), "mx.test");
	smtp_settings_defaults(&srv->settings);
	srv->has_room = has_room;
}

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
	gw_fake_open(f, &smtp_proto, srv);
	CHECK(gw_fake_expect(f, "220 mx.test ESMTP"));
	CHECK(gw_fake_say(f, "EHLO client.test\r\n", "250-mx.test"));
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
	CHECK(gw_fake_say(&f, "Subject: hi\r\n\r\nfor the intern\r\n.\r\n", ""));
	REQUIRE(f.n_sent == 3 && f.sent[2].type == MSG_SPOOL_PUT_REQ);
	struct msg_spool_put_req *q = &f.sent[2].u.spool_put_req;
	REQUIRE(q->rcpt_ids.n == 1);
	CHECK_INT(q->rcpt_ids.v[0], 200);
	CHECK_STR(q->rcpts.v[0], "intern@localhost");
	gw_fake_free(&f);
}

static void spool_reply(struct gw_fake *f, size_t i, uint32_t code, uint64_t spool_id)
{
	struct pb_msg rep;
	pb_msg_init(&rep, MSG_SPOOL_PUT_REP);
	rep.u.spool_put_rep.code = code;
	rep.u.spool_put_rep.error = xstrdup("");
	rep.u.spool_put_rep.spool_id = spool_id;
	gw_fake_reply(f, gw_fake_sent(f, i)->corr, &rep);
}

static void send_message(struct gw_fake *f, size_t rcpt_call)
{
	CHECK(gw_fake_say(f, "MAIL FROM:<a@example.org>\r\n", "250"));
	gw_fake_input(f, "RCPT TO:<bob@localhost>\r\n");
	rcpt_ok(f, rcpt_call, 7);
	CHECK(gw_fake_expect(f, "250 2.1.5"));
	CHECK(gw_fake_say(f, "DATA\r\n", "354"));
	gw_fake_input(f, "Subject: x\r\n\r\nbody\r\n.\r\n");
}

static void test_spool_timeout_closes_never_451(void)
{
	struct smtp_server srv;
	struct gw_fake f;

	open_session(&f, &srv);
	send_message(&f, 0);
	REQUIRE(f.n_sent == 2 && f.sent[1].type == MSG_SPOOL_PUT_REQ);
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
	/* the late answer is dropped */
	spool_reply(&f, 1, PB_OK, 1);
	CHECK_INT(f.dropped, 1);
	CHECK(gw_fake_expect(&f, ""));
	gw_fake_free(&f);
}

static void test_spool_reply_acknowledges_its_own_message(void)
{
	struct smtp_server srv;
	struct gw_fake f;

	open_session(&f, &srv);
	send_message(&f, 0);
	spool_reply(&f, 1, PB_ERR_TEMP, 0);
	CHECK(gw_fake_expect(&f, "451 4.3.0"));
	/* a second delivery of the same (already answered) reply is a stray */
	spool_reply(&f, 1, PB_OK, 1);
	CHECK_INT(f.dropped, 1);
	CHECK(gw_fake_expect(&f, ""));
	send_message(&f, 2);
	REQUIRE(f.n_sent == 4);
	spool_reply(&f, 3, PB_OK, 9);
	CHECK(gw_fake_expect(&f, "250 2.0.0 Ok: queued"));
	gw_fake_free(&f);
}

static void test_state_refusals(void)
{
	struct smtp_server srv;
	struct gw_fake f;

	server_init(&srv);
	gw_fake_open(&f, &smtp_proto, &srv);
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
	CHECK(f.n_sent == 0);
	gw_fake_free(&f);
}

static void test_size_and_room(void)
{
	struct smtp_server srv;
	struct gw_fake f;

	open_session(&f, &srv);
	srv.settings.max_message_size = 1000;
	CHECK(gw_fake_say(&f, "MAIL FROM:<a@b> SIZE=1001\r\n", "552 5.3.4"));
	room = false;
	CHECK(gw_fake_say(&f, "MAIL FROM:<a@b> SIZE=10\r\n", "452 4.3.1"));
	room = true;
	CHECK(gw_fake_say(&f, "MAIL FROM:<a@b> SIZE=10\r\n", "250"));
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

static const struct pb_test_case cases[] = {
	{ "late_rcpt_reply_never_answers_another", test_late_rcpt_reply_never_answers_another },
	{ "spool_timeout_closes_never_451", test_spool_timeout_closes_never_451 },
	{ "spool_reply_acknowledges_its_own_message", test_spool_reply_acknowledges_its_own_message },
	{ "state_refusals", test_state_refusals },
	{ "size_and_room", test_size_and_room },
	{ "too_many_errors", test_too_many_errors },
	{ "busy_inbox_is_451", test_busy_inbox_is_451 },
};
PB_TEST_MAIN(cases)
