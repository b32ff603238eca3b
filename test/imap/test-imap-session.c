/*
 * test-imap-session.c: IMAP session logic through the fake transport (no sockets, no actors, a
 * fake clock): LOGINDISABLED and the plaintext refusals from a non-loopback peer in clear, a
 * literal over the limit refused before its continuation, the autologout, and in the selected
 * state the view kept by change events (EXPUNGE and EXISTS at NOOP, never before), a body
 * read that times out in the middle of its literal ending the connection, and a late reply
 * dropped; APPEND as owner uploads, COPY/MOVE with COPYUID, UID EXPUNGE.
 */
#include "gw-fake.h"
#include "imap-session.h"
#include "imap-view.h"
#include "mailbox-client.h"
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

/* The last message of type sent (the folder watch goes out just before SELECT's listing). */
static struct pb_msg *sent_of(struct gw_fake *f, enum pb_msg_type type)
{
	for (size_t i = f->n_sent; i > 0; i--)
		if (f->sent[i - 1].type == type)
			return &f->sent[i - 1];
	CHECK(!"sent");
	return NULL;
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
	struct pb_msg *w = sent_of(f, MSG_MBOX_FOLDER_WATCH_REQ), rep;
	CHECK(strchr(w->u.mbox_folder_watch_req.watcher, '#') != NULL);
	CHECK_STR(w->u.mbox_folder_watch_req.folder, "INBOX");
	pb_msg_init(&rep, MSG_MBOX_FOLDER_WATCH_REP);
	rep.u.mbox_folder_watch_rep.error = xstrdup("");
	rep.u.mbox_folder_watch_rep.folder_id = 3;
	CHECK_INT(gw_fake_reply(f, w->corr, &rep), 0);
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

/* A folder event of the watch (seq: the watch's count) for folder_id with uids. */
static void folder_event(struct gw_fake *f, uint32_t folder_id, uint64_t seq, uint32_t what,
			 const uint32_t *uids, size_t n)
{
	struct pb_msg ev;

	pb_msg_init(&ev, MSG_MBOX_FOLDER_EVT);
	ev.u.mbox_folder_evt.user_id = 5;
	ev.u.mbox_folder_evt.folder_id = folder_id;
	ev.u.mbox_folder_evt.folder = xstrdup("INBOX");
	ev.u.mbox_folder_evt.what = what;
	ev.u.mbox_folder_evt.seq = seq;
	for (size_t i = 0; i < n; i++)
		pb_u64v_push(&ev.u.mbox_folder_evt.uids, uids[i]);
	imap_proto.event(f->gs.session, &ev);
	pb_msg_free(&ev);
}

/* Events are applied exactly at NOOP: EXPUNGE by msn, one listing of the new uids only. */
static void test_view_follows_changes_at_noop(void)
{
	struct imap_server srv;
	struct gw_fake f;
	const uint32_t before[] = { 11, 12, 13 }, gone[] = { 11, 13 }, added[] = { 14 };

	login(&f, &srv);
	select_inbox(&f, before, 3);
	gw_fake_forget_sent(&f);
	folder_event(&f, 4, 1, MAILBOX_EVT_EXPUNGED, gone, 2); /* another folder's watch */
	CHECK(gw_fake_say(&f, "a NOOP\r\n", "a OK NOOP completed.\r\n")); /* nothing pending */
	CHECK_INT(f.n_sent, 0);
	folder_event(&f, 3, 1, MAILBOX_EVT_EXPUNGED, gone, 2);
	folder_event(&f, 3, 2, MAILBOX_EVT_APPENDED, added, 1);
	CHECK(gw_fake_say(&f, "b SEARCH ALL\r\n", "* SEARCH 1 2 3\r\nb OK")); /* not told yet */
	gw_fake_input(&f, "c NOOP\r\n");
	CHECK_INT(last_sent(&f, MSG_MBOX_LIST_REQ)->u.mbox_list_req.uid_first, 13);
	list_reply(&f, added, 1);
	CHECK(gw_fake_expect(&f, "* 1 EXPUNGE\r\n* 2 EXPUNGE\r\n* 2 EXISTS\r\nc OK NOOP completed.\r\n"));
	CHECK(gw_fake_say(&f, "d UID SEARCH ALL\r\n", "* SEARCH 12 14\r\nd OK"));
	gw_fake_free(&f);
}

/* Logs a second session in on srv, whose shared listings stay (login() sets srv afresh). */
static void login_as_well(struct gw_fake *f, struct imap_server *srv)
{
	struct imap_listings *keep = srv->listings;

	login(f, srv);
	srv->listings = keep;
}

/* Two sessions on one folder hold one listing (imap-view-share.c); the one told of an expunge
 * gets its own and the other keeps the shared one, numbering as it was told; once both were
 * told the same they share again, and the hub's registry goes with the last view. */
static void test_views_share_one_listing(void)
{
	struct imap_server srv;
	struct gw_fake a, b;
	const uint32_t uids[] = { 11, 12, 13 }, gone[] = { 12 };

	login(&a, &srv);
	select_inbox(&a, uids, 3);
	login_as_well(&b, &srv);
	select_inbox(&b, uids, 3);
	struct imap_view *va = ((struct imap_session *)a.gs.session)->view;
	struct imap_view *vb = ((struct imap_session *)b.gs.session)->view;
	CHECK(va->msgs == vb->msgs);
	CHECK_INT(imap_view_shared_by(va), 2);
	folder_event(&a, 3, 1, MAILBOX_EVT_EXPUNGED, gone, 1);
	folder_event(&b, 3, 1, MAILBOX_EVT_EXPUNGED, gone, 1);
	CHECK(gw_fake_say(&a, "n NOOP\r\n", "* 2 EXPUNGE\r\nn OK NOOP completed.\r\n"));
	CHECK(va->msgs != vb->msgs);
	CHECK_INT(IMAP_COUNT(va), 2);
	CHECK_INT(IMAP_COUNT(vb), 3);
	CHECK(gw_fake_say(&b, "f FETCH 3 (UID)\r\n", "* 3 FETCH (UID 13)\r\nf OK"));
	CHECK(gw_fake_say(&a, "g FETCH 2 (UID)\r\n", "* 2 FETCH (UID 13)\r\ng OK"));
	CHECK(gw_fake_say(&b, "n NOOP\r\n", "* 2 EXPUNGE\r\nn OK NOOP completed.\r\n"));
	CHECK(va->msgs == vb->msgs);
	CHECK_INT(imap_view_shared_by(vb), 2);
	gw_fake_free(&a);
	CHECK(srv.listings != NULL);
	gw_fake_free(&b);
	CHECK(srv.listings == NULL);
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

/* Answers the request corr with a bare status (CORE_STATUS_REP). */
static void status_reply(struct gw_fake *f, uint64_t corr, uint32_t code)
{
	struct pb_msg rep;

	pb_msg_init(&rep, MSG_CORE_STATUS_REP);
	rep.u.core_status_rep.code = code;
	rep.u.core_status_rep.error = xstrdup(code == PB_OK ? "" : "no");
	CHECK_INT(gw_fake_reply(f, corr, &rep), 0);
}

/* Answers the last MBOX_UPLOAD_BEGIN_REQ (of size) with upload id. */
static void begun(struct gw_fake *f, uint64_t size, uint64_t id)
{
	struct pb_msg *q = last_sent(f, MSG_MBOX_UPLOAD_BEGIN_REQ);
	struct pb_msg rep;

	CHECK_INT(q->u.mbox_upload_begin_req.size, size);
	CHECK_INT(q->u.mbox_upload_begin_req.limit, 1024 * 1024);
	pb_msg_init(&rep, MSG_MBOX_UPLOAD_BEGIN_REP);
	rep.u.mbox_upload_begin_rep.upload_id = id;
	rep.u.mbox_upload_begin_rep.error = xstrdup("");
	CHECK_INT(gw_fake_reply(f, q->corr, &rep), 0);
}

/* The last request is the chunk of upload id at offset holding text: answered OK. */
static void chunk_taken(struct gw_fake *f, uint64_t id, uint64_t offset, const char *text)
{
	struct pb_msg *q = last_sent(f, MSG_MBOX_UPLOAD_CHUNK_REQ);
	const struct msg_mbox_upload_chunk_req *c = &q->u.mbox_upload_chunk_req;

	CHECK_INT(c->upload_id, id);
	CHECK_INT(c->offset, offset);
	CHECK(c->data.len == strlen(text) && memcmp(c->data.data, text, c->data.len) == 0);
	status_reply(f, q->corr, PB_OK);
}

/* The last request commits the uploads ids[0..n) (the first with flags and kw, the others
 * with none) into INBOX, all in one request: answered with uids from uid on, or with code. */
static void committed(struct gw_fake *f, const uint64_t *ids, size_t n, uint32_t flags,
		      const char *kw, uint32_t uid, uint32_t code)
{
	struct pb_msg *q = last_sent(f, MSG_MBOX_UPLOAD_COMMIT_REQ);
	const struct msg_mbox_upload_commit_req *c = &q->u.mbox_upload_commit_req;
	struct pb_msg rep;

	CHECK_INT(c->uploads.n, n);
	for (size_t i = 0; i < n && i < c->uploads.n; i++) {
		CHECK_INT(c->uploads.v[i].upload_id, ids[i]);
		CHECK_INT(c->uploads.v[i].flags, i == 0 ? flags : 0);
		CHECK_STR(c->uploads.v[i].keywords, i == 0 ? kw : "");
	}
	CHECK_STR(c->folder, "INBOX");
	if (code != PB_OK) {
		status_reply(f, q->corr, code);
		return;
	}
	pb_msg_init(&rep, MSG_MBOX_UPLOAD_COMMIT_REP);
	rep.u.mbox_upload_commit_rep.uidvalidity = 7;
	for (size_t i = 0; i < n; i++)
		pb_u64v_push(&rep.u.mbox_upload_commit_rep.uids, uid + i);
	rep.u.mbox_upload_commit_rep.error = xstrdup("");
	CHECK_INT(gw_fake_reply(f, q->corr, &rep), 0);
}

/* APPEND: the literal refused past the limit before any "+" and no upload begun; else the
 * upload begins before the continuation, the octets go as chunks however they were read, the
 * commit carries flags and keywords; MULTIAPPEND with LITERAL+ answers APPENDUID of both; a
 * command gone bad after an upload began aborts it. */
static void test_append_uploads(void)
{
	struct imap_server srv;
	struct gw_fake f;

	login(&f, &srv);
	gw_fake_forget_sent(&f);
	CHECK(gw_fake_say(&f, "a APPEND INBOX {1048577}\r\n", "a NO [TOOBIG] Message too big\r\n"));
	CHECK_INT(f.n_sent, 0);
	gw_fake_input(&f, "b APPEND inbox (\\Seen $Work) {5}\r\n");
	char *out = gw_fake_output(&f);
	CHECK_STR(out, ""); /* no "+" before the owner's answer */
	free(out);
	begun(&f, 5, 9);
	CHECK(gw_fake_expect(&f, "+ OK\r\n"));
	gw_fake_input(&f, "he");
	CHECK_INT(f.n_sent, 1); /* gathered, not sent */
	gw_fake_input(&f, "llo\r\n");
	chunk_taken(&f, 9, 0, "hello");
	committed(&f, (const uint64_t[]){ 9 }, 1, 1, "$Work", 12, PB_OK);
	CHECK(gw_fake_expect(&f, "b OK [APPENDUID 7 12] Append completed.\r\n"));
	gw_fake_input(&f, "c APPEND INBOX {2+}\r\nab {3+}\r\nxyz\r\n");
	begun(&f, 2, 10);
	chunk_taken(&f, 10, 0, "ab");
	begun(&f, 3, 11);
	chunk_taken(&f, 11, 0, "xyz");
	committed(&f, (const uint64_t[]){ 10, 11 }, 2, 0, "", 13, PB_OK);
	CHECK(gw_fake_expect(&f, "c OK [APPENDUID 7 13:14] Append completed.\r\n"));
	gw_fake_input(&f, "e APPEND INBOX {2+}\r\nab {3+}\r\nxyz\r\n"); /* over the quota */
	begun(&f, 2, 16);
	chunk_taken(&f, 16, 0, "ab");
	begun(&f, 3, 17);
	chunk_taken(&f, 17, 0, "xyz");
	size_t sent = f.n_sent;
	committed(&f, (const uint64_t[]){ 16, 17 }, 2, 0, "", 0, PB_ERR_OVERQUOTA);
	CHECK(gw_fake_expect(&f, "e NO [OVERQUOTA] Mailbox quota exceeded\r\n"));
	CHECK_INT(f.n_sent, sent); /* consumed by the commit: nothing to abort */
	CHECK(gw_fake_say(&f, "f APPEND INBOX UTF8 (~{2}\r\n", /* before ENABLE UTF8=ACCEPT */
			  "f BAD UTF8 message data needs ENABLE UTF8=ACCEPT first\r\n"));
	CHECK_INT(f.n_sent, sent); /* no upload begun */
	gw_fake_input(&f, "d APPEND INBOX {2+}\r\nab (\\Bogus\r\n");
	begun(&f, 2, 15);
	chunk_taken(&f, 15, 0, "ab");
	struct pb_msg *abort = last_sent(&f, MSG_MBOX_UPLOAD_ABORT_REQ);
	CHECK_INT(abort->u.mbox_upload_abort_req.upload_id, 15);
	CHECK(gw_fake_expect(&f, "d BAD Error in IMAP command"));
	gw_fake_free(&f);
}

/* Answers the last MBOX_COPY_REQ: src uids copied to dst uids (n each), or code. */
static void copy_reply(struct gw_fake *f, bool move, const uint64_t *src, const uint64_t *dst,
		       size_t n, uint32_t code)
{
	struct pb_msg *q = last_sent(f, MSG_MBOX_COPY_REQ);
	struct pb_msg rep;

	CHECK_INT(q->u.mbox_copy_req.move, move);
	CHECK_STR(q->u.mbox_copy_req.dest, "Trash");
	if (code != PB_OK) {
		status_reply(f, q->corr, code);
		return;
	}
	pb_msg_init(&rep, MSG_MBOX_COPY_REP);
	rep.u.mbox_copy_rep.uidvalidity = 99;
	rep.u.mbox_copy_rep.error = xstrdup("");
	for (size_t i = 0; i < n; i++) {
		pb_u64v_push(&rep.u.mbox_copy_rep.src_uids, src[i]);
		pb_u64v_push(&rep.u.mbox_copy_rep.dst_uids, dst[i]);
	}
	CHECK_INT(gw_fake_reply(f, q->corr, &rep), 0);
}

/* COPY answers COPYUID in its OK; MOVE sends COPYUID untagged, then the EXPUNGEs by message
 * number, then OK; a missing target is TRYCREATE; UID EXPUNGE asks only for the set's uids
 * and tells the ones the owner removed. */
static void test_copy_move_uid_expunge(void)
{
	struct imap_server srv;
	struct gw_fake f;
	const uint32_t uids[] = { 11, 12, 13, 14 };
	const uint64_t src[] = { 11, 13, 14 }, dst[] = { 5, 6, 7 };

	login(&f, &srv);
	select_inbox(&f, uids, 4);
	gw_fake_input(&f, "a COPY 1,3:4 Trash\r\n");
	copy_reply(&f, false, src, dst, 3, PB_OK);
	CHECK(gw_fake_expect(&f, "a OK [COPYUID 99 11,13:14 5:7] Copy completed.\r\n"));
	gw_fake_input(&f, "b UID MOVE 13:* Trash\r\n");
	copy_reply(&f, true, src + 1, dst + 1, 2, PB_OK);
	CHECK(gw_fake_expect(&f, "* OK [COPYUID 99 13:14 6:7] Moved UIDs.\r\n* 3 EXPUNGE\r\n"
				 "* 3 EXPUNGE\r\nb OK Move completed.\r\n"));
	gw_fake_input(&f, "c MOVE 1 Trash\r\n");
	copy_reply(&f, true, NULL, NULL, 0, PB_ERR_NOTFOUND);
	CHECK(gw_fake_expect(&f, "c NO [TRYCREATE] Mailbox doesn't exist\r\n"));
	CHECK(gw_fake_say(&f, "d COPY 3 Trash\r\n", "d BAD Invalid messageset\r\n"));
	gw_fake_input(&f, "e UID EXPUNGE 12:20\r\n");
	struct pb_msg *q = last_sent(&f, MSG_MBOX_EXPUNGE_DELETED_REQ);
	CHECK_INT(q->u.mbox_expunge_deleted_req.all, 0);
	CHECK_INT(q->u.mbox_expunge_deleted_req.uids.n, 1);
	CHECK_INT(q->u.mbox_expunge_deleted_req.uids.v[0], 12);
	struct pb_msg rep;
	pb_msg_init(&rep, MSG_MBOX_EXPUNGE_DELETED_REP);
	rep.u.mbox_expunge_deleted_rep.error = xstrdup("");
	pb_u64v_push(&rep.u.mbox_expunge_deleted_rep.uids, 12);
	CHECK_INT(gw_fake_reply(&f, q->corr, &rep), 0);
	CHECK(gw_fake_expect(&f, "* 2 EXPUNGE\r\ne OK Expunge completed.\r\n"));
	CHECK(gw_fake_say(&f, "f UID SEARCH ALL\r\n", "* SEARCH 11\r\nf OK"));
	gw_fake_free(&f);
}

static const struct pb_test_case cases[] = {
	{ "plaintext_refused_in_clear", test_plaintext_refused_in_clear },
	{ "literal_limit_and_autologout", test_literal_limit_and_autologout },
	{ "view_follows_changes_at_noop", test_view_follows_changes_at_noop },
	{ "views_share_one_listing", test_views_share_one_listing },
	{ "body_read_timeout_ends_connection", test_body_read_timeout_ends_connection },
	{ "body_ranges_paced_by_drain", test_body_ranges_paced_by_drain },
	{ "append_uploads", test_append_uploads },
	{ "copy_move_uid_expunge", test_copy_move_uid_expunge },
};
PB_TEST_MAIN(cases)
