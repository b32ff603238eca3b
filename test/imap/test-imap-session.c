/*
 * test-imap-session.c: IMAP session logic through the fake transport (no sockets, no actors, a
 * fake clock): LOGINDISABLED and the plaintext refusals from a non-loopback peer in clear, a
 * literal over the limit refused before its continuation, the autologout, and in the selected
 * state the view kept by change events (EXPUNGE and EXISTS at NOOP, never before), a body
 * read that times out in the middle of its literal ending the connection, and a late reply
 * dropped.
 */
#include "gw-fake.h"
#include "imap-session.h"
#include "lockout-client.h"
#include "net-loop.h"
#include "pb-test.h"

#include <string.h>

static void server_init(struct imap_server *srv, bool plaintext)
{
	memset(srv, 0, sizeof(*srv));
	snprintf(srv->hostname, sizeof(srv->hostname), "imap.test");
	srv->allow_plaintext_auth = plaintext; /* the fake's peer, 192.0.2.1, is not loopback */
	srv->autologout_s = 1800;
	srv->max_append = 1024 * 1024;
}

static struct pb_msg *last_sent(struct gw_fake *f, enum pb_msg_type type)
{
	struct pb_msg *m = f->n_sent > 0 ? &f->sent[f->n_sent - 1] : NULL;
	CHECK(m != NULL && m->type == type);
	return m;
}

static void open_greeted(struct gw_fake *f, struct imap_server *srv, bool plaintext)
{
	server_init(srv, plaintext);
	gw_fake_open(f, &imap_proto, srv);
	CHECK_INT(gw_fake_guard(f, MSG_LOCKOUT_CHECK_IP_REQ, false, false), 0);
}

static void test_plaintext_refused_in_clear(void)
{
	struct imap_server srv;
	struct gw_fake f;

	open_greeted(&f, &srv, false);
	char *greeting = gw_fake_output(&f);
	CHECK(strstr(greeting, " AUTH=SCRAM-SHA-256 LOGINDISABLED] Pillarbox ready.\r\n") != NULL);
	CHECK(strstr(greeting, "AUTH=PLAIN") == NULL);
	free(greeting);
	const char *no = "a NO [PRIVACYREQUIRED] Plaintext authentication disallowed";
	CHECK(gw_fake_say(&f, "a LOGIN bob pw\r\n", no));
	CHECK(gw_fake_say(&f, "a AUTHENTICATE PLAIN AGJvYgBwdw==\r\n", no));
	CHECK(gw_fake_say(&f, "b AUTHENTICATE CRAM-MD5\r\n", "b NO Unsupported authentication"));
	gw_fake_input(&f, "c AUTHENTICATE SCRAM-SHA-256\r\n");
	CHECK(gw_fake_expect(&f, "+ \r\n"));
	CHECK(gw_fake_say(&f, "*\r\n", "c BAD Authentication cancelled\r\n"));
	CHECK(gw_fake_say(&f, "d SELECT INBOX\r\n", "d BAD Command not permitted before login"));
	gw_fake_free(&f);
}

static void test_literal_limit_and_autologout(void)
{
	struct imap_server srv;
	struct gw_fake f;

	open_greeted(&f, &srv, true);
	free(gw_fake_output(&f));
	CHECK(gw_fake_say(&f, "a LOGIN {70000}\r\n", "a NO [TOOBIG] Literal too big\r\n"));
	CHECK(gw_fake_say(&f, "b LOGIN {3}\r\n", "+ OK\r\n"));
	CHECK(gw_fake_say(&f, "bob {2}\r\n", "+ OK\r\n"));
	gw_fake_input(&f, "pw\r\n");
	CHECK_STR(last_sent(&f, MSG_AUTH_USER_VERIFY_REQ)->u.auth_user_verify_req.password, "pw");
	CHECK_INT(gw_fake_verified(&f, 0, 0, NULL), 0);
	CHECK_INT(gw_fake_guard(&f, MSG_LOCKOUT_LOGIN_REQ, false, false), 0);
	CHECK(gw_fake_expect(&f, "b NO [AUTHENTICATIONFAILED] Authentication failed.\r\n"));
	gw_fake_advance(&f, 1800 * 1000 - 1);
	CHECK(!f.closed);
	gw_fake_advance(&f, 1);
	CHECK(gw_fake_expect(&f, "* BYE Autologout; idle for too long\r\n"));
	CHECK(f.closed);
	gw_fake_free(&f);
}

/* Logs bob (user 5) in with LOGIN. */
static void login(struct gw_fake *f, struct imap_server *srv)
{
	struct pb_msg rep;

	open_greeted(f, srv, true);
	free(gw_fake_output(f));
	gw_fake_input(f, "l LOGIN bob pw\r\n");
	struct pb_msg *q = last_sent(f, MSG_AUTH_USER_VERIFY_REQ);
	pb_msg_init(&rep, MSG_AUTH_USER_VERIFY_REP);
	rep.u.auth_user_verify_rep.user_id = 5;
	rep.u.auth_user_verify_rep.user = xstrdup("bob");
	CHECK_INT(gw_fake_reply(f, q->corr, &rep), 0);
	CHECK_INT(gw_fake_guard(f, MSG_LOCKOUT_LOGIN_REQ, false, false), 0);
	CHECK(gw_fake_expect(f, "l OK [CAPABILITY IMAP4rev1"));
}

/* Answers the last MBOX_LIST_REQ with messages of uids[0..n) (flags 0, size 10 or size). */
static void list_reply_sized(struct gw_fake *f, const uint32_t *uids, size_t n, uint64_t size)
{
	struct pb_msg *q = last_sent(f, MSG_MBOX_LIST_REQ);
	struct pb_msg rep;

	CHECK_STR(q->u.mbox_list_req.folder, "INBOX");
	pb_msg_init(&rep, MSG_MBOX_LIST_REP);
	struct msg_mbox_list_rep *r = &rep.u.mbox_list_rep;
	r->uidvalidity = 7;
	r->uidnext = 20;
	r->error = xstrdup("");
	for (size_t i = 0; i < n; i++) {
		struct pb_rec_mbox_entry *e = pb_rec_mbox_entry_push(&r->entries);
		e->uid = uids[i];
		e->size = size;
		e->modseq = uids[i];
		e->blob_key = xstrdup("key");
	}
	CHECK_INT(gw_fake_reply(f, q->corr, &rep), 0);
}

static void list_reply(struct gw_fake *f, const uint32_t *uids, size_t n)
{
	list_reply_sized(f, uids, n, 10);
}

static void select_sized(struct gw_fake *f, const uint32_t *uids, size_t n, uint64_t size)
{
	gw_fake_input(f, "s SELECT inbox\r\n");
	list_reply_sized(f, uids, n, size);
	char *out = gw_fake_output(f);
	CHECK(strstr(out, "* FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft)\r\n") != NULL);
	CHECK(strstr(out, "* OK [UIDVALIDITY 7] UIDs valid\r\n") != NULL);
	CHECK(strstr(out, "s OK [READ-WRITE] Select completed.\r\n") != NULL);
	free(out);
	CHECK(strchr(last_sent(f, MSG_MBOX_WATCH_REQ)->u.mbox_watch_req.watcher, '#') != NULL);
}

static void select_inbox(struct gw_fake *f, const uint32_t *uids, size_t n)
{
	select_sized(f, uids, n, 10);
}

/* Answers a READER_READ_REQ with its range of text (the whole stored body). */
static void range_reply(struct gw_fake *f, struct pb_msg *req, const char *text, size_t total)
{
	CHECK_INT(gw_fake_read_reply(f, req, text, total), 0);
}

/* A body of four ranges: the first read ahead with its batch (FETCH_AHEAD octets), the others
 * in FETCH_CHUNK reads; past NET_OUT_HIGH each waits for the client to take the output; all of
 * it goes out, in order, as one literal. */
static void test_body_ranges_paced_by_drain(void)
{
	struct imap_server srv;
	struct gw_fake f;
	const uint32_t uids[] = { 11 };
	size_t total = 600 * 1024;
	char *body = xmalloc(total);

	for (size_t i = 0; i < total; i++)
		body[i] = (char)('a' + i % 26);
	login(&f, &srv);
	select_sized(&f, uids, 1, total);
	gw_fake_input(&f, "f FETCH 1 BODY.PEEK[]\r\n");
	struct pb_msg *q = last_sent(&f, MSG_READER_READ_MANY_REQ);
	CHECK_INT(q->u.reader_read_many_req.ranges.n, 1);
	CHECK_INT(q->u.reader_read_many_req.ranges.v[0].length, 64 * 1024);
	size_t sent = f.n_sent;
	f.backlog = NET_OUT_HIGH;
	CHECK_INT(gw_fake_read_many_reply(&f, q, body, total), 0);
	CHECK_INT(f.n_sent, sent); /* waits for the drain */
	gw_fake_drain(&f);
	q = last_sent(&f, MSG_READER_READ_REQ);
	CHECK_INT(q->u.reader_read_req.offset, 64 * 1024);
	CHECK_INT(q->u.reader_read_req.length, 256 * 1024);
	sent = f.n_sent;
	f.backlog = NET_OUT_HIGH;
	range_reply(&f, q, body, total);
	CHECK_INT(f.n_sent, sent);
	gw_fake_drain(&f);
	q = last_sent(&f, MSG_READER_READ_REQ);
	CHECK_INT(q->u.reader_read_req.offset, 320 * 1024);
	range_reply(&f, q, body, total);
	q = last_sent(&f, MSG_READER_READ_REQ);
	CHECK_INT(q->u.reader_read_req.offset, 576 * 1024);
	CHECK_INT(q->u.reader_read_req.length, total - 576 * 1024);
	range_reply(&f, q, body, total);
	char *out = gw_fake_output(&f);
	const char *head = "* 1 FETCH (BODY[] {614400}\r\n", *tail = ")\r\nf OK Fetch completed.\r\n";
	CHECK(strncmp(out, head, strlen(head)) == 0);
	CHECK(memcmp(out + strlen(head), body, total) == 0);
	CHECK_STR(out + strlen(head) + total, tail);
	free(out);
	free(body);
	gw_fake_free(&f);
}

static void changed(struct gw_fake *f, const char *folder)
{
	struct pb_msg ev;

	pb_msg_init(&ev, MSG_MBOX_CHANGED_EVT);
	ev.u.mbox_changed_evt.user_id = 5;
	ev.u.mbox_changed_evt.folder = xstrdup(folder);
	imap_proto.event(f->gs.session, &ev);
	pb_msg_free(&ev);
}

static void test_view_follows_changes_at_noop(void)
{
	struct imap_server srv;
	struct gw_fake f;
	const uint32_t before[] = { 11, 12, 13 }, after[] = { 12, 14 };

	login(&f, &srv);
	select_inbox(&f, before, 3);
	gw_fake_forget_sent(&f);
	changed(&f, "Other");
	CHECK(gw_fake_say(&f, "a NOOP\r\n", "a OK NOOP completed.\r\n")); /* not dirty: no list */
	CHECK_INT(f.n_sent, 0);
	changed(&f, "INBOX");
	CHECK(gw_fake_say(&f, "b SEARCH ALL\r\n", "* SEARCH 1 2 3\r\nb OK")); /* not told yet */
	gw_fake_input(&f, "c NOOP\r\n");
	list_reply(&f, after, 2);
	CHECK(gw_fake_expect(&f, "* 1 EXPUNGE\r\n* 2 EXPUNGE\r\n* 2 EXISTS\r\nc OK NOOP completed.\r\n"));
	CHECK(gw_fake_say(&f, "d UID SEARCH ALL\r\n", "* SEARCH 12 14\r\nd OK"));
	gw_fake_free(&f);
}

/* A read that times out before the batch is complete: nothing of it went out, the FETCH says
 * NO; one that times out inside a literal ends the connection. */
static void test_body_read_timeout_ends_connection(void)
{
	struct imap_server srv;
	struct gw_fake f;
	const uint32_t uids[] = { 11, 12 };
	size_t total = 100 * 1024;
	char *body = xcalloc(1, total);

	login(&f, &srv);
	select_sized(&f, uids, 2, total);
	gw_fake_input(&f, "e FETCH 1 BODY.PEEK[]\r\n");
	last_sent(&f, MSG_READER_READ_MANY_REQ);
	gw_fake_advance(&f, IMAP_REQUEST_TIMEOUT_MS + 1);
	CHECK(gw_fake_expect(&f, "e NO [UNAVAILABLE] Message bodies unavailable, try again later\r\n"));
	gw_fake_input(&f, "f FETCH 1 BODY.PEEK[]\r\n");
	CHECK_INT(gw_fake_read_many_reply(&f, last_sent(&f, MSG_READER_READ_MANY_REQ), body, total), 0);
	struct pb_msg *q = last_sent(&f, MSG_READER_READ_REQ);
	uint64_t corr = q->corr;
	free(gw_fake_output(&f));
	gw_fake_advance(&f, IMAP_REQUEST_TIMEOUT_MS + 1);
	CHECK(gw_fake_expect(&f, "* BYE Message body unavailable\r\n"));
	CHECK(f.closed);
	struct pb_msg rep;
	pb_msg_init(&rep, MSG_CORE_STATUS_REP);
	rep.u.core_status_rep.error = xstrdup("");
	CHECK_INT(gw_fake_reply(&f, corr, &rep), -1); /* late: dropped */
	free(body);
	gw_fake_free(&f);
}

static const struct pb_test_case cases[] = {
	{ "plaintext_refused_in_clear", test_plaintext_refused_in_clear },
	{ "literal_limit_and_autologout", test_literal_limit_and_autologout },
	{ "view_follows_changes_at_noop", test_view_follows_changes_at_noop },
	{ "body_read_timeout_ends_connection", test_body_read_timeout_ends_connection },
	{ "body_ranges_paced_by_drain", test_body_ranges_paced_by_drain },
};
PB_TEST_MAIN(cases)
