/*
 * test-smtp-intrusion.c: what an SMTP session reports to intrusion protection, through the
 * fake transport (no sockets, no actors, a fake clock): input before the greeting (also
 * during the greeting delay on port 25, not on submission), commands pipelined without
 * PIPELINING (after HELO; not after EHLO), bad commands and unknown recipients past the free
 * ones, a message with a bare LF; and the guard's "blocked" answer closing the session with
 * the blocked text (after a commit in flight is answered, never during it).
 */
#include "gw-fake.h"
#include "gw-guard.h"
#include "pb-test.h"
#include "smtp-intrusion.h"
#include "smtp-session-test.h"

/* How many intrusion reports of event the session sent. */
static size_t reports(struct gw_fake *f, uint8_t event)
{
	size_t n = 0;

	for (size_t i = 0; i < f->n_sent; i++) {
		const struct pb_msg *m = &f->sent[i];
		if (m->type == MSG_LOCKOUT_INTRUSION_REQ && m->u.lockout_intrusion_req.event == event) {
			CHECK_STR(m->u.lockout_intrusion_req.ip, "192.0.2.1");
			CHECK_STR(m->u.lockout_intrusion_req.protocol, "smtp");
			CHECK_INT(m->u.lockout_intrusion_req.count, 1);
			n++;
		}
	}
	return n;
}

static void open_greeted(struct gw_fake *f, struct smtp_server *srv)
{
	server_init(srv);
	gw_fake_open(f, &smtp_proto, mx_port(srv));
	CHECK_INT(gw_fake_guard(f, MSG_LOCKOUT_CHECK_IP_REQ, false, false), 0);
	gw_fake_forget_sent(f);
	CHECK(gw_fake_expect(f, "220 mx.test ESMTP"));
}

static void test_early_talk(void)
{
	struct smtp_server srv;
	struct gw_fake f;

	server_init(&srv);
	gw_fake_open(&f, &smtp_proto, mx_port(&srv));
	gw_fake_input(&f, "EHLO early.test\r\n");
	gw_fake_input(&f, "NOOP\r\n");
	CHECK_INT(reports(&f, LOCKOUT_INTRUSION_EARLY_TALK), 1); /* once per connection */
	CHECK(gw_fake_expect(&f, ""));
	CHECK_INT(gw_fake_guard(&f, MSG_LOCKOUT_CHECK_IP_REQ, false, false), 0);
	CHECK(gw_fake_expect(&f, "220 mx.test ESMTP Pillarbox\r\n250-mx.test"));
	/* the EHLO was sent before the greeting, with NOOP behind it: pipelining too */
	CHECK_INT(reports(&f, LOCKOUT_INTRUSION_PIPELINING), 1);
	gw_fake_free(&f);

	open_greeted(&f, &srv); /* talking after the greeting is not early */
	CHECK(gw_fake_say(&f, "EHLO late.test\r\n", "250-mx.test"));
	CHECK_INT(f.n_sent, 0);
	gw_fake_free(&f);
}

static void test_greet_delay(void)
{
	struct smtp_server srv;
	struct gw_fake f;

	server_init(&srv);
	srv.greet_delay_ms = 500;
	gw_fake_open(&f, &smtp_proto, mx_port(&srv));
	CHECK_INT(gw_fake_guard(&f, MSG_LOCKOUT_CHECK_IP_REQ, false, false), 0);
	CHECK(gw_fake_expect(&f, ""));
	gw_fake_advance(&f, 499);
	gw_fake_input(&f, "EHLO early.test\r\n");
	CHECK(gw_fake_expect(&f, ""));
	CHECK_INT(reports(&f, LOCKOUT_INTRUSION_EARLY_TALK), 1);
	gw_fake_advance(&f, 1);
	CHECK(gw_fake_expect(&f, "220 mx.test ESMTP Pillarbox\r\n250-mx.test"));
	CHECK(gw_fake_say(&f, "NOOP\r\n", "250"));
	gw_fake_free(&f);

	/* submission greets at once */
	server_init(&srv);
	srv.greet_delay_ms = 500;
	gw_fake_open(&f, &smtp_proto, &srv.ports[SMTP_PORT_SUBMISSION]);
	CHECK_INT(gw_fake_guard(&f, MSG_LOCKOUT_CHECK_IP_REQ, false, false), 0);
	CHECK(gw_fake_expect(&f, "220 mx.test ESMTP"));
	gw_fake_free(&f);
}

static void test_pipelining_without_pipelining(void)
{
	struct smtp_server srv;
	struct gw_fake f;

	open_greeted(&f, &srv);
	CHECK(gw_fake_say(&f, "EHLO ok.test\r\n", "250-mx.test"));
	CHECK(gw_fake_say(&f, "RSET\r\nNOOP\r\nNOOP\r\n", "250 2.0.0 Ok\r\n250 2.0.0 Ok\r\n250"));
	CHECK_INT(f.n_sent, 0); /* after EHLO (PIPELINING seen): fine */
	gw_fake_free(&f);

	open_greeted(&f, &srv);
	CHECK(gw_fake_say(&f, "HELO old.test\r\n", "250 mx.test"));
	CHECK(gw_fake_say(&f, "NOOP\r\n", "250"));
	CHECK_INT(f.n_sent, 0); /* one command at a time */
	CHECK(gw_fake_say(&f, "RSET\r\nNOOP\r\n", "250 2.0.0 Ok\r\n250"));
	CHECK(gw_fake_say(&f, "RSET\r\nNOOP\r\n", "250 2.0.0 Ok\r\n250"));
	CHECK_INT(reports(&f, LOCKOUT_INTRUSION_PIPELINING), 1);
	CHECK_INT(f.n_sent, 1);
	gw_fake_free(&f);
}

static void test_bad_commands_past_the_free_ones(void)
{
	struct smtp_server srv;
	struct gw_fake f;

	open_greeted(&f, &srv);
	for (int i = 0; i < SMTP_INTRUSION_FREE; i++)
		CHECK(gw_fake_say(&f, "FROB\r\n", "500 5.5.2"));
	CHECK_INT(f.n_sent, 0);
	CHECK(gw_fake_say(&f, "MAIL FROM:<a@b>\r\n", "503 5.5.1"));
	CHECK(gw_fake_say(&f, "MAIL FROM:<a@b\r\n", "501"));
	CHECK_INT(reports(&f, LOCKOUT_INTRUSION_BAD_COMMAND), 2);
	gw_fake_free(&f);
}

static void rcpt_unknown(struct gw_fake *f)
{
	struct pb_msg rep;

	gw_fake_input(f, "RCPT TO:<nobody@localhost>\r\n");
	REQUIRE(f->n_sent > 0 && f->sent[f->n_sent - 1].type == MSG_DIR_RCPT_CHECK_REQ);
	pb_msg_init(&rep, MSG_CORE_STATUS_REP);
	rep.u.core_status_rep.code = PB_ERR_NOTFOUND;
	rep.u.core_status_rep.error = xstrdup("no such user");
	CHECK_INT(gw_fake_reply(f, f->sent[f->n_sent - 1].corr, &rep), 0);
	CHECK(gw_fake_expect(f, "550 5.1.1"));
}

/* Unknown recipients past the free ones; the guard's "blocked" closes the session. */
static void test_unknown_recipients_and_blocked_answer(void)
{
	struct smtp_server srv;
	struct gw_fake f;

	open_greeted(&f, &srv);
	CHECK(gw_fake_say(&f, "EHLO probe.test\r\n", "250-mx.test"));
	CHECK(gw_fake_say(&f, "MAIL FROM:<a@example.org>\r\n", "250"));
	for (int i = 0; i < SMTP_INTRUSION_FREE; i++)
		rcpt_unknown(&f);
	CHECK_INT(reports(&f, LOCKOUT_INTRUSION_UNKNOWN_RCPT), 0);
	rcpt_unknown(&f);
	CHECK_INT(reports(&f, LOCKOUT_INTRUSION_UNKNOWN_RCPT), 1);
	CHECK(!f.closed);
	CHECK_INT(gw_fake_guard(&f, MSG_LOCKOUT_INTRUSION_REQ, false, false), 0);
	CHECK(!f.closed);
	rcpt_unknown(&f);
	CHECK_INT(gw_fake_guard(&f, MSG_LOCKOUT_INTRUSION_REQ, true, false), 0);
	char *out = gw_fake_output(&f);
	CHECK_STR(out, "421 4.7.0 " LOCKOUT_BLOCKED_TEXT "\r\n");
	free(out);
	CHECK(f.closed);
	gw_fake_free(&f);
}

/* EHLO, a transaction to a known recipient, DATA answered 354. */
static void start_data(struct gw_fake *f, const char *ehlo)
{
	struct pb_msg rep;

	CHECK(gw_fake_say(f, ehlo, "250-mx.test"));
	CHECK(gw_fake_say(f, "MAIL FROM:<a@example.org>\r\n", "250"));
	gw_fake_input(f, "RCPT TO:<bob@localhost>\r\n");
	pb_msg_init(&rep, MSG_DIR_RCPT_CHECK_REP);
	rep.u.dir_rcpt_check_rep.user_id = 7;
	CHECK_INT(gw_fake_reply(f, f->sent[0].corr, &rep), 0);
	CHECK(gw_fake_say(f, "DATA\r\n", "250 2.1.5 Ok\r\n354"));
}

/* A bare LF in the content is reported as the content ends; "blocked" then waits for the
 * spool's answer to the message (the client must hear it), and closes after it. */
static void test_bare_lf_and_block_after_the_commit(void)
{
	struct smtp_server srv;
	struct gw_fake f;
	struct pb_msg rep;

	open_greeted(&f, &srv);
	start_data(&f, "EHLO lf.test\r\n");
	CHECK(gw_fake_say(&f, "Subject: x\r\n\r\nunix\ntext\r\n.\r\n", ""));
	CHECK_INT(reports(&f, LOCKOUT_INTRUSION_BARE_LF), 1);
	struct pb_msg *put = &f.sent[f.n_sent - 1];
	REQUIRE(put->type == MSG_SPOOL_PUT_REQ);
	uint64_t put_corr = put->corr;
	CHECK_INT(gw_fake_guard(&f, MSG_LOCKOUT_INTRUSION_REQ, true, false), 0);
	CHECK(!f.closed);
	CHECK(gw_fake_expect(&f, ""));
	pb_msg_init(&rep, MSG_SPOOL_PUT_REP);
	rep.u.spool_put_rep.spool_id = 5;
	CHECK_INT(gw_fake_reply(&f, put_corr, &rep), 0);
	CHECK(gw_fake_expect(&f, "250 2.0.0 Ok: queued as"));
	CHECK(f.closed);
	gw_fake_free(&f);

	open_greeted(&f, &srv); /* CR LF only: nothing */
	start_data(&f, "EHLO crlf.test\r\n");
	CHECK(gw_fake_say(&f, "Subject: x\r\n\r\ndos\r\ntext\r\n.\r\n", ""));
	CHECK_INT(reports(&f, LOCKOUT_INTRUSION_BARE_LF), 0);
	gw_fake_free(&f);
}

static const struct pb_test_case cases[] = {
	{ "early_talk", test_early_talk },
	{ "greet_delay", test_greet_delay },
	{ "pipelining_without_pipelining", test_pipelining_without_pipelining },
	{ "bad_commands_past_the_free_ones", test_bad_commands_past_the_free_ones },
	{ "unknown_recipients_and_blocked_answer", test_unknown_recipients_and_blocked_answer },
	{ "bare_lf_and_block_after_the_commit", test_bare_lf_and_block_after_the_commit },
};

PB_TEST_MAIN(cases)
