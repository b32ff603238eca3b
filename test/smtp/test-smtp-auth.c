/*
 * test-smtp-auth.c: SMTP AUTH (RFC 4954), submission and relay control through the fake
 * transport. Submission (587/465) wants AUTH before MAIL (530); on 25 a recipient at a domain
 * that is not local is refused (550 5.7.1) unless the client authenticated or is in
 * smtp.relay_networks, and then taken (250) for the outbound queue. AUTH: EHLO's AUTH keyword (no
 * plaintext mechanism in clear from a non-loopback address: 538), PLAIN with an initial
 * response and LOGIN's 334 challenges, the password checked by the auth shard and the result
 * reported to the lockout guard before the client hears it (a locked account gets the
 * wrong-password 535, a blocked address then 421 and the close), AUTH twice and during a
 * transaction (503), "*" and bad base64 (501), and a late auth reply dropped (454 first).
 */
#include "gw-fake.h"
#include "gw-guard.h"
#include "pb-test.h"
#include "smtp-session-test.h"

static struct pb_msg *last_of(struct gw_fake *f, enum pb_msg_type type)
{
	for (size_t i = f->n_sent; i > 0; i--) {
		if (f->sent[i - 1].type == type)
			return &f->sent[i - 1];
	}
	return NULL;
}

static void open_port(struct gw_fake *f, struct smtp_server *srv, bool plaintext, int port)
{
	server_init(srv);
	srv->allow_plaintext_auth = plaintext;
	gw_fake_open(f, &smtp_proto, &srv->ports[port]);
	CHECK_INT(gw_fake_guard(f, MSG_LOCKOUT_CHECK_IP_REQ, false, false), 0);
	CHECK(gw_fake_expect(f, "220 mx.test ESMTP"));
	gw_fake_input(f, "EHLO client.test\r\n");
}

static void open_ehlo(struct gw_fake *f, struct smtp_server *srv, bool plaintext)
{
	open_port(f, srv, plaintext, SMTP_PORT_MX);
}

/* Answers the last password check: the account bob (id 5), or a wrong password. */
static void verify_answer(struct gw_fake *f, bool right)
{
	CHECK_INT(gw_fake_verified(f, 0, 5, right ? "bob" : NULL), 0);
}

static void test_ehlo_and_encryption_required(void)
{
	struct smtp_server srv;
	struct gw_fake f;

	open_ehlo(&f, &srv, false);
	char *ehlo = gw_fake_output(&f);
	CHECK(strstr(ehlo, "250-AUTH SCRAM-SHA-256\r\n") != NULL);
	free(ehlo);
	CHECK(gw_fake_say(&f, "AUTH PLAIN AGJvYgBwdw==\r\n",
			  "538 5.7.11 Encryption required for requested authentication mechanism"));
	CHECK(gw_fake_say(&f, "AUTH LOGIN\r\n", "538 5.7.11"));
	CHECK(gw_fake_say(&f, "AUTH CRAM-MD5\r\n", "504 5.5.4 Unrecognized authentication type"));
	CHECK(gw_fake_say(&f, "AUTH SCRAM-SHA-256\r\n", "334 \r\n"));
	CHECK(gw_fake_say(&f, "*\r\n", "501 5.7.0 Authentication aborted\r\n"));
	CHECK(gw_fake_say(&f, "NOOP\r\n", "250"));
	gw_fake_free(&f);

	open_ehlo(&f, &srv, true);
	ehlo = gw_fake_output(&f);
	CHECK(strstr(ehlo, "250-AUTH PLAIN LOGIN SCRAM-SHA-256\r\n") != NULL);
	free(ehlo);
	gw_fake_free(&f);
}

static void test_plain_login_twice_and_in_tx(void)
{
	struct smtp_server srv;
	struct gw_fake f;

	open_ehlo(&f, &srv, true);
	CHECK(gw_fake_expect(&f, "250-mx.test"));
	gw_fake_input(&f, "AUTH PLAIN AGJvYgBwdw==\r\nNOOP\r\n");
	struct pb_msg *q = last_of(&f, MSG_AUTH_USER_VERIFY_REQ);
	REQUIRE(q != NULL);
	CHECK_STR(q->u.auth_user_verify_req.user, "bob");
	CHECK_STR(q->u.auth_user_verify_req.password, "pw");
	verify_answer(&f, false);
	CHECK(gw_fake_expect(&f, "")); /* the guard is asked before the client hears */
	struct pb_msg *g = last_of(&f, MSG_LOCKOUT_LOGIN_REQ);
	REQUIRE(g != NULL);
	CHECK_STR(g->u.lockout_login_req.protocol, "smtp");
	CHECK_INT(g->u.lockout_login_req.result, LOCKOUT_LOGIN_BAD_PASSWORD);
	CHECK_INT(gw_fake_guard(&f, MSG_LOCKOUT_LOGIN_REQ, false, false), 0);
	CHECK(gw_fake_expect(&f, "535 5.7.8 Authentication credentials invalid\r\n250"));

	gw_fake_input(&f, "AUTH LOGIN\r\n");
	CHECK(gw_fake_expect(&f, "334 VXNlcm5hbWU6\r\n"));
	CHECK(gw_fake_say(&f, "Ym9i\r\n", "334 UGFzc3dvcmQ6\r\n"));
	gw_fake_input(&f, "cHc=\r\n");
	verify_answer(&f, true);
	CHECK_INT(last_of(&f, MSG_LOCKOUT_LOGIN_REQ)->u.lockout_login_req.result, LOCKOUT_LOGIN_OK);
	CHECK_INT(gw_fake_guard(&f, MSG_LOCKOUT_LOGIN_REQ, false, false), 0);
	CHECK(gw_fake_expect(&f, "235 2.7.0 Authentication successful\r\n"));
	CHECK(gw_fake_say(&f, "AUTH PLAIN AGJvYgBwdw==\r\n", "503 5.5.1 Error: already authenticated"));
	char *ehlo = (gw_fake_input(&f, "EHLO again.test\r\n"), gw_fake_output(&f));
	CHECK(strstr(ehlo, "AUTH") == NULL);
	free(ehlo);
	gw_fake_free(&f);

	open_ehlo(&f, &srv, true);
	CHECK(gw_fake_expect(&f, "250-mx.test"));
	CHECK(gw_fake_say(&f, "MAIL FROM:<a@example.org>\r\n", "250"));
	CHECK(gw_fake_say(&f, "AUTH PLAIN AGJvYgBwdw==\r\n",
			  "503 5.5.1 Error: MAIL transaction in progress"));
	gw_fake_free(&f);
}

/* A locked account gets the wrong-password reply with the right password; a blocked address
 * then hears 421 and is closed. */
static void test_locked_and_blocked(void)
{
	struct smtp_server srv;
	struct gw_fake f;

	open_ehlo(&f, &srv, true);
	CHECK(gw_fake_expect(&f, "250-mx.test"));
	gw_fake_input(&f, "AUTH PLAIN AGJvYgBwdw==\r\n");
	verify_answer(&f, true);
	CHECK_INT(gw_fake_guard(&f, MSG_LOCKOUT_LOGIN_REQ, false, true), 0);
	CHECK(gw_fake_expect(&f, "535 5.7.8 Authentication credentials invalid\r\n"));
	gw_fake_input(&f, "AUTH PLAIN AGJvYgBwdw==\r\n");
	verify_answer(&f, true);
	CHECK_INT(gw_fake_guard(&f, MSG_LOCKOUT_LOGIN_REQ, true, false), 0);
	char *out = gw_fake_output(&f);
	CHECK_STR(out, "535 5.7.8 Authentication credentials invalid\r\n"
		       "421 4.7.0 " LOCKOUT_BLOCKED_TEXT "\r\n");
	free(out);
	CHECK(f.closed);
	gw_fake_free(&f);
}

/* Bad base64 in a response is 501 5.5.2; a password check that times out is 454 and its late
 * answer is dropped. */
static void test_malformed_and_late_reply(void)
{
	struct smtp_server srv;
	struct gw_fake f;

	open_ehlo(&f, &srv, true);
	CHECK(gw_fake_expect(&f, "250-mx.test"));
	CHECK(gw_fake_say(&f, "AUTH PLAIN\r\n", "334 \r\n"));
	CHECK(gw_fake_say(&f, "!!!\r\n", "501 5.5.2 Cannot decode response"));
	CHECK(gw_fake_say(&f, "AUTH PLAIN AGJvYgBwdw==\r\n", ""));
	struct pb_msg *q = last_of(&f, MSG_AUTH_USER_VERIFY_REQ);
	REQUIRE(q != NULL);
	uint64_t corr = q->corr;
	gw_fake_advance(&f, SMTP_CHECK_TIMEOUT_MS + 1);
	CHECK(gw_fake_expect(&f, "454 4.7.0 Temporary authentication failure"));
	CHECK_INT(gw_fake_verified(&f, corr, 5, "bob"), -1);
	CHECK(gw_fake_expect(&f, ""));
	CHECK(gw_fake_say(&f, "NOOP\r\n", "250"));
	gw_fake_free(&f);
}

/* AUTH PLAIN as bob, answered yes by the shard and the guard. */
static void auth_bob(struct gw_fake *f)
{
	gw_fake_input(f, "AUTH PLAIN AGJvYgBwdw==\r\n");
	verify_answer(f, true);
	CHECK_INT(gw_fake_guard(f, MSG_LOCKOUT_LOGIN_REQ, false, false), 0);
	CHECK(gw_fake_expect(f, "235 2.7.0"));
}

/* Answers the last recipient check: the domain is not local. */
static void rcpt_not_local(struct gw_fake *f)
{
	struct pb_msg rep, *q = last_of(f, MSG_DIR_RCPT_CHECK_REQ);

	REQUIRE(q != NULL);
	pb_msg_init(&rep, MSG_DIR_RCPT_CHECK_REP);
	rep.u.dir_rcpt_check_rep.code = PB_ERR_REFUSED;
	rep.u.dir_rcpt_check_rep.error = xstrdup("not a local domain");
	CHECK_INT(gw_fake_reply(f, q->corr, &rep), 0);
}

/* Answers the mailbox owner's statistics that a MAIL just asked for (the quota check) of bob:
 * a 1 MB quota, the mailbox past quota.block_send_percent or not. */
static void quota_answer(struct gw_fake *f, bool blocked)
{
	struct pb_msg rep, *q = gw_fake_sent(f, f->n_sent - 1);

	REQUIRE(q->type == MSG_MBOX_STAT_REQ);
	CHECK(q->u.mbox_stat_req.user_id == 5);
	pb_msg_init(&rep, MSG_MBOX_STAT_REP);
	rep.u.mbox_stat_rep.error = xstrdup("");
	rep.u.mbox_stat_rep.exists = 1;
	rep.u.mbox_stat_rep.quota_bytes = 1048576;
	rep.u.mbox_stat_rep.blocked = blocked;
	CHECK_INT(gw_fake_reply(f, q->corr, &rep), 0);
}

/* Answers the last sending policy request (smtp-policy.c) of bob: MAIL FROM his own address
 * or not; internet_mail. When the MAIL goes on to the quota check, it is under quota. */
static void policy_answer(struct gw_fake *f, bool own, bool internet)
{
	struct pb_msg rep, *q = last_of(f, MSG_DIR_SEND_POLICY_REQ);
	size_t n = f->n_sent;

	REQUIRE(q != NULL);
	CHECK(q->u.dir_send_policy_req.user_id == 5);
	pb_msg_init(&rep, MSG_DIR_SEND_POLICY_REP);
	rep.u.dir_send_policy_rep.error = xstrdup("");
	rep.u.dir_send_policy_rep.own_sender = own;
	rep.u.dir_send_policy_rep.allow_bcc = 1;
	rep.u.dir_send_policy_rep.internet_mail = internet;
	CHECK_INT(gw_fake_reply(f, q->corr, &rep), 0);
	if (f->n_sent > n && gw_fake_sent(f, f->n_sent - 1)->type == MSG_MBOX_STAT_REQ)
		quota_answer(f, false);
}

static void test_submission_wants_auth(void)
{
	struct smtp_server srv;
	struct gw_fake f;

	open_port(&f, &srv, true, SMTP_PORT_SUBMISSION);
	CHECK(gw_fake_expect(&f, "250-mx.test"));
	CHECK(gw_fake_say(&f, "MAIL FROM:<bob@example.org>\r\n",
			  "530 5.7.0 Authentication required"));
	auth_bob(&f);
	CHECK(gw_fake_say(&f, "MAIL FROM:<bob@example.org>\r\n", "")); /* the directory first */
	CHECK_STR(last_of(&f, MSG_DIR_SEND_POLICY_REQ)->u.dir_send_policy_req.domain, "example.org");
	policy_answer(&f, true, true);
	CHECK(gw_fake_expect(&f, "250 2.1.0"));
	CHECK(gw_fake_say(&f, "RSET\r\n", "250"));
	gw_fake_input(&f, "MAIL FROM:<bob@example.org>\r\n"); /* past the quota's block level */
	struct pb_msg rep, *q = last_of(&f, MSG_DIR_SEND_POLICY_REQ);
	pb_msg_init(&rep, MSG_DIR_SEND_POLICY_REP);
	rep.u.dir_send_policy_rep.error = xstrdup("");
	rep.u.dir_send_policy_rep.own_sender = 1;
	CHECK_INT(gw_fake_reply(&f, q->corr, &rep), 0);
	CHECK(gw_fake_expect(&f, "")); /* the owner first */
	quota_answer(&f, true);
	CHECK(gw_fake_expect(&f, "552 5.2.2 Mailbox over quota (1 MB): sending is blocked"));
	gw_fake_free(&f);

	open_ehlo(&f, &srv, true); /* 25: anyone may send to local domains */
	CHECK(gw_fake_expect(&f, "250-mx.test"));
	CHECK(gw_fake_say(&f, "MAIL FROM:<a@example.org>\r\n", "250 2.1.0"));
	gw_fake_free(&f);
}

static void test_relay_control(void)
{
	struct smtp_server srv;
	struct gw_fake f;
	char *error = NULL;

	open_ehlo(&f, &srv, true); /* anyone: relay access denied */
	CHECK(gw_fake_expect(&f, "250-mx.test"));
	CHECK(gw_fake_say(&f, "MAIL FROM:<a@example.org>\r\n", "250"));
	gw_fake_input(&f, "RCPT TO:<x@elsewhere.example>\r\n");
	rcpt_not_local(&f);
	CHECK(gw_fake_expect(&f, "550 5.7.1 <x@elsewhere.example>: Relay access denied"));
	gw_fake_free(&f);

	open_ehlo(&f, &srv, true); /* authenticated: taken for the outbound queue */
	CHECK(gw_fake_expect(&f, "250-mx.test"));
	auth_bob(&f);
	gw_fake_input(&f, "MAIL FROM:<bob@example.org>\r\n");
	policy_answer(&f, true, true);
	CHECK(gw_fake_expect(&f, "250"));
	gw_fake_input(&f, "RCPT TO:<x@elsewhere.example>\r\n");
	rcpt_not_local(&f);
	CHECK(gw_fake_expect(&f, "250 2.1.5 Ok"));
	gw_fake_free(&f);

	open_ehlo(&f, &srv, true); /* a relay network (the fake's peer is 192.0.2.1) */
	CHECK_INT(pb_cidr_list_parse("192.0.2.0/24", &srv.settings.relay_networks.list, &error), 0);
	CHECK(gw_fake_expect(&f, "250-mx.test"));
	CHECK(gw_fake_say(&f, "MAIL FROM:<a@example.org>\r\n", "250"));
	gw_fake_input(&f, "RCPT TO:<x@elsewhere.example>\r\n");
	rcpt_not_local(&f);
	CHECK(gw_fake_expect(&f, "250 2.1.5 Ok"));
	gw_fake_free(&f);
}

/* An authenticated sender's policy: not his own address (553), local only (550 before any
 * relay answer), and a directory that does not answer in time (451, its late answer dropped). */
static void test_send_policy(void)
{
	struct smtp_server srv;
	struct gw_fake f;

	open_ehlo(&f, &srv, true);
	CHECK(gw_fake_expect(&f, "250-mx.test"));
	auth_bob(&f);
	gw_fake_input(&f, "MAIL FROM:<alice@example.org>\r\n");
	policy_answer(&f, false, true);
	CHECK(gw_fake_expect(&f, "553 5.7.1 Sender address not allowed for this account: "
				 "<alice@example.org>\r\n"));
	gw_fake_input(&f, "MAIL FROM:<>\r\n");
	CHECK_STR(last_of(&f, MSG_DIR_SEND_POLICY_REQ)->u.dir_send_policy_req.local, "");
	policy_answer(&f, true, false);
	CHECK(gw_fake_expect(&f, "250 2.1.0"));
	gw_fake_input(&f, "RCPT TO:<x@elsewhere.example>\r\n");
	rcpt_not_local(&f);
	CHECK(gw_fake_expect(&f, "550 5.7.1 This account may send to local addresses only\r\n"));
	CHECK(gw_fake_say(&f, "RSET\r\n", "250"));
	gw_fake_input(&f, "MAIL FROM:<bob@example.org>\r\n");
	struct pb_msg *q = last_of(&f, MSG_DIR_SEND_POLICY_REQ);
	REQUIRE(q != NULL);
	uint64_t corr = q->corr;
	gw_fake_advance(&f, SMTP_CHECK_TIMEOUT_MS + 1);
	CHECK(gw_fake_expect(&f, "451 4.3.0 Error: temporary failure, try again later\r\n"));
	struct pb_msg rep;
	pb_msg_init(&rep, MSG_DIR_SEND_POLICY_REP);
	rep.u.dir_send_policy_rep.error = xstrdup("");
	rep.u.dir_send_policy_rep.own_sender = 1;
	CHECK_INT(gw_fake_reply(&f, corr, &rep), -1);
	CHECK(gw_fake_say(&f, "RCPT TO:<a@example.org>\r\n", "503 5.5.1 Error: need MAIL command"));
	gw_fake_free(&f);
}

/* Answers the MAIL FROM check of an unauthenticated sender (a DIR_RCPT_CHECK_REQ): the
 * account user_id, or (0) not a local address. */
static void sender_answer(struct gw_fake *f, const char *local, uint64_t user_id)
{
	struct pb_msg rep, *q = gw_fake_sent(f, f->n_sent - 1);

	REQUIRE(q != NULL && q->type == MSG_DIR_RCPT_CHECK_REQ);
	CHECK_STR(q->u.dir_rcpt_check_req.local, local);
	pb_msg_init(&rep, MSG_DIR_RCPT_CHECK_REP);
	rep.u.dir_rcpt_check_rep.code = user_id != 0 ? PB_OK : PB_ERR_REFUSED;
	rep.u.dir_rcpt_check_rep.error = xstrdup(user_id != 0 ? "" : "not a local domain");
	rep.u.dir_rcpt_check_rep.user_id = user_id;
	rep.u.dir_rcpt_check_rep.user = xstrdup(user_id != 0 ? "bob" : "");
	CHECK_INT(gw_fake_reply(f, q->corr, &rep), 0);
}

/* The quota send block without AUTH (admin guide 4.8 NOTE: the user's own client sending
 * through the server), from a relay network (the fake's peer is 192.0.2.1): MAIL FROM a local
 * account's address whose mailbox is past the block level hears 452 4.2.2 without figures;
 * under it, a remote sender, the null sender, a directory that does not answer, and the
 * setting off all let the MAIL go on. */
static void test_quota_without_auth(void)
{
	struct smtp_server srv;
	struct gw_fake f;
	char *error = NULL;

	open_ehlo(&f, &srv, true);
	srv.quota_by_address = true;
	CHECK_INT(pb_cidr_list_parse("192.0.2.0/24", &srv.settings.relay_networks.list, &error), 0);
	CHECK(gw_fake_expect(&f, "250-mx.test"));
	CHECK(gw_fake_say(&f, "MAIL FROM:<bob@example.org>\r\n", "")); /* the directory first */
	sender_answer(&f, "bob", 5);
	CHECK(gw_fake_expect(&f, "")); /* then the owner */
	quota_answer(&f, true);
	CHECK(gw_fake_expect(&f, "452 4.2.2 Sending is blocked for this sender: the mailbox is "
				 "over its quota\r\n"));
	CHECK(gw_fake_say(&f, "MAIL FROM:<bob@example.org>\r\n", ""));
	sender_answer(&f, "bob", 5);
	quota_answer(&f, false);
	CHECK(gw_fake_expect(&f, "250 2.1.0"));
	CHECK(gw_fake_say(&f, "RSET\r\n", "250"));
	size_t n = f.n_sent;
	CHECK(gw_fake_say(&f, "MAIL FROM:<carol@remote.example>\r\n", ""));
	sender_answer(&f, "carol", 0);
	CHECK(gw_fake_expect(&f, "250 2.1.0"));
	CHECK_INT(f.n_sent, n + 1); /* no quota asked for a remote sender */
	CHECK(gw_fake_say(&f, "RSET\r\n", "250"));
	CHECK(gw_fake_say(&f, "MAIL FROM:<>\r\n", "250 2.1.0"));
	CHECK(gw_fake_say(&f, "RSET\r\n", "250"));
	CHECK(gw_fake_say(&f, "MAIL FROM:<bob@example.org>\r\n", ""));
	gw_fake_advance(&f, SMTP_CHECK_TIMEOUT_MS + 1);
	CHECK(gw_fake_expect(&f, "250 2.1.0")); /* unanswered: it goes on */
	CHECK(gw_fake_say(&f, "RSET\r\n", "250"));
	srv.quota_by_address = false;
	n = f.n_sent;
	CHECK(gw_fake_say(&f, "MAIL FROM:<bob@example.org>\r\n", "250 2.1.0"));
	CHECK_INT(f.n_sent, n);
	gw_fake_free(&f);
}

/* The same MAIL FROM without AUTH from a client outside the relay networks (mail from the
 * Internet, which may be forwarded mail keeping a local user's sender): never asked about,
 * never refused for quota, whatever that account's mailbox holds. */
static void test_quota_not_for_strangers(void)
{
	struct smtp_server srv;
	struct gw_fake f;
	char *error = NULL;

	open_ehlo(&f, &srv, true);
	srv.quota_by_address = true;
	CHECK_INT(pb_cidr_list_parse("198.51.100.0/24", &srv.settings.relay_networks.list, &error),
		  0);
	CHECK(gw_fake_expect(&f, "250-mx.test"));
	size_t n = f.n_sent;
	CHECK(gw_fake_say(&f, "MAIL FROM:<bob@example.org>\r\n", "250 2.1.0"));
	CHECK_INT(f.n_sent, n); /* no directory call, no quota asked */
	gw_fake_free(&f);
}

static const struct pb_test_case cases[] = {
	{ "quota_without_auth", test_quota_without_auth },
	{ "quota_not_for_strangers", test_quota_not_for_strangers },
	{ "send_policy", test_send_policy },
	{ "submission_wants_auth", test_submission_wants_auth },
	{ "relay_control", test_relay_control },
	{ "ehlo_and_encryption_required", test_ehlo_and_encryption_required },
	{ "plain_login_twice_and_in_tx", test_plain_login_twice_and_in_tx },
	{ "locked_and_blocked", test_locked_and_blocked },
	{ "malformed_and_late_reply", test_malformed_and_late_reply },
};

PB_TEST_MAIN(cases)
