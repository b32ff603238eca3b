/*
 * test-pop3-session.c: POP3 session logic through the fake transport (no sockets, no
 * actors, a fake clock): login (verify, lock, list), the command table's state refusals,
 * body reads and their timeouts, QUIT's expunge.
 *
 * The regression: a body read that timed out must never answer a later RETR (the first hub
 * matched replies by session: `RETR 2` returned message 1's body, and the client's DELE 2 +
 * QUIT deleted message 2 unread). The read-ahead (pop3-retr.c) keeps to the same rule: a range
 * read ahead is only served for the message it was read for, and one that comes after the
 * session moved on is dropped.
 */
#include "gw-fake.h"
#include "gw-guard.h"
#include "pb-test.h"
#include "pop3-session.h"

static void server_init(struct pop3_server *srv)
{
	memset(srv, 0, sizeof(*srv));
	snprintf(srv->hostname, sizeof(srv->hostname), "pop.test");
	srv->allow_plaintext_auth = true; /* the fake's peer, 192.0.2.1, is not loopback */
}

static struct pb_msg *last_sent(struct gw_fake *f, enum pb_msg_type type)
{
	struct pb_msg *m = f->n_sent > 0 ? &f->sent[f->n_sent - 1] : NULL;
	CHECK(m != NULL && m->type == type);
	return m;
}

static void reply_status(struct gw_fake *f, struct pb_msg *req, uint32_t code)
{
	struct pb_msg rep;
	pb_msg_init(&rep, MSG_CORE_STATUS_REP);
	rep.u.core_status_rep.code = code;
	rep.u.core_status_rep.error = xstrdup("");
	CHECK_INT(gw_fake_reply(f, req->corr, &rep), 0);
}

static const char *const keys[] = { "key-one",   "key-two",   "key-three",  "key-four",
				     "key-five",  "key-six",   "key-seven",  "key-eight",
				     "key-nine",  "key-ten",   "key-eleven", "key-twelve" };

/* Message index i's body key: keys[i], then "key-13" and on. */
static const char *key_of(size_t i)
{
	static char more[4 * POP3_PREFETCH_DEPTH][16];

	if (i < PB_N_ELEMENTS(keys))
		return keys[i];
	ASSERT(i < PB_N_ELEMENTS(keys) + PB_N_ELEMENTS(more));
	snprintf(more[i - PB_N_ELEMENTS(keys)], sizeof(more[0]), "key-%zu", i + 1);
	return more[i - PB_N_ELEMENTS(keys)];
}

/* The last READER_READ_REQ sent for a body key (NULL if none). */
static struct pb_msg *read_of(struct gw_fake *f, const char *key)
{
	for (size_t i = f->n_sent; i > 0; i--) {
		struct pb_msg *m = &f->sent[i - 1];
		if (m->type == MSG_READER_READ_REQ && strcmp(m->u.reader_read_req.blob_key, key) == 0)
			return m;
	}
	return NULL;
}

/* The last READER_READ_MANY_REQ (a read-ahead batch) with a range of a body key (NULL if
 * none). */
static struct pb_msg *batch_of(struct gw_fake *f, const char *key)
{
	for (size_t i = f->n_sent; i > 0; i--) {
		struct pb_msg *m = &f->sent[i - 1];
		if (m->type != MSG_READER_READ_MANY_REQ)
			continue;
		const struct pb_rec_read_range_list *l = &m->u.reader_read_many_req.ranges;
		for (uint32_t j = 0; j < l->n; j++) {
			if (strcmp(l->v[j].blob_key, key) == 0)
				return m;
		}
	}
	return NULL;
}

/* Logs in with n messages of the given sizes (uids 11, 12, ...; body keys from keys[]) and a
 * budget of bytes in flight (0: none). */
static void login_budget(struct gw_fake *f, struct pop3_server *srv, const uint64_t *sizes,
			 size_t n, size_t budget)
{
	struct pb_msg rep;

	server_init(srv);
	gw_fake_open(f, &pop3_proto, srv);
	CHECK_INT(gw_fake_guard(f, MSG_LOCKOUT_CHECK_IP_REQ, false, false), 0);
	f->budget = budget;
	CHECK(gw_fake_expect(f, "+OK Pillarbox POP3 server ready"));
	CHECK(gw_fake_say(f, "USER bob\r\n", "+OK"));
	gw_fake_input(f, "PASS secret\r\n");
	struct pb_msg *q = last_sent(f, MSG_AUTH_USER_VERIFY_REQ);
	CHECK_STR(q->u.auth_user_verify_req.password, "secret");
	pb_msg_init(&rep, MSG_AUTH_USER_VERIFY_REP);
	rep.u.auth_user_verify_rep.user_id = 5;
	rep.u.auth_user_verify_rep.user = xstrdup("bob");
	CHECK_INT(gw_fake_reply(f, q->corr, &rep), 0);
	q = last_sent(f, MSG_LOCKOUT_LOGIN_REQ);
	CHECK_STR(q->u.lockout_login_req.user, "bob");
	CHECK_STR(q->u.lockout_login_req.protocol, "pop3");
	CHECK_INT(q->u.lockout_login_req.result, LOCKOUT_LOGIN_OK);
	CHECK_INT(gw_fake_guard(f, MSG_LOCKOUT_LOGIN_REQ, false, false), 0);
	q = last_sent(f, MSG_MBOX_LOCK_REQ);
	CHECK_INT(q->u.mbox_lock_req.user_id, 5);
	reply_status(f, q, PB_OK);
	q = last_sent(f, MSG_MBOX_LIST_REQ);
	pb_msg_init(&rep, MSG_MBOX_LIST_REP);
	struct msg_mbox_list_rep *r = &rep.u.mbox_list_rep;
	r->uidvalidity = 3;
	for (size_t i = 0; i < n; i++) {
		struct pb_rec_mbox_entry *e = pb_rec_mbox_entry_push(&r->entries);
		e->uid = (uint32_t)(11 + i);
		e->size = sizes[i];
		e->modseq = 1 + i;
		e->blob_key = xstrdup(key_of(i));
	}
	CHECK_INT(gw_fake_reply(f, q->corr, &rep), 0);
	CHECK(gw_fake_expect(f, "+OK Logged in"));
}

static void login(struct gw_fake *f, struct pop3_server *srv, const uint64_t *sizes, size_t n)
{
	login_budget(f, srv, sizes, n, 0);
}

/* Answers a READER_READ_REQ with a range of text (the whole stored message). */
static void range_reply(struct gw_fake *f, struct pb_msg *req, const char *text)
{
	gw_fake_read_reply(f, req, text, strlen(text));
}

/* A stored body for batch_reply: text NULL means there is no such body. */
struct body {
	const char *key, *text;
};

/* Answers a READER_READ_MANY_REQ as the reader would: one part per range, from the bodies
 * whose keys it names (NOTFOUND for the others). Returns what gw_fake_reply returns. */
static int batch_reply(struct gw_fake *f, struct pb_msg *req, const struct body *bodies,
		       size_t n)
{
	const struct pb_rec_read_range_list *l = &req->u.reader_read_many_req.ranges;
	struct pb_msg rep;

	pb_msg_init(&rep, MSG_READER_READ_MANY_REP);
	rep.u.reader_read_many_rep.error = xstrdup("");
	for (uint32_t j = 0; j < l->n; j++) {
		struct pb_rec_read_part *p =
			pb_rec_read_part_push(&rep.u.reader_read_many_rep.parts);
		const char *text = NULL;
		for (size_t b = 0; b < n && text == NULL; b++)
			text = strcmp(bodies[b].key, l->v[j].blob_key) == 0 ? bodies[b].text : NULL;
		p->code = text != NULL ? PB_OK : PB_ERR_NOTFOUND;
		if (text == NULL)
			continue;
		size_t total = strlen(text), off = l->v[j].offset < total ? l->v[j].offset : total;
		size_t len = total - off < l->v[j].length ? total - off : l->v[j].length;
		p->size = total;
		p->data.len = len;
		p->data.data = xmalloc(len + 1);
		memcpy(p->data.data, text + off, len);
		p->eof = off + len == total;
	}
	return gw_fake_reply(f, req->corr, &rep);
}

static void test_late_body_never_answers_another_retr(void)
{
	struct pop3_server srv;
	struct gw_fake f;
	uint64_t sizes[] = { 30, 30 };

	login(&f, &srv, sizes, 2);
	/* both are read ahead at login, in one batch; RETR 1 waits for it */
	struct pb_msg *batch = batch_of(&f, "key-one");
	REQUIRE(batch != NULL && batch == batch_of(&f, "key-two"));
	size_t sent = f.n_sent;
	gw_fake_input(&f, "RETR 1\r\n");
	CHECK_INT(f.n_sent, sent);
	gw_fake_advance(&f, POP3_REQUEST_TIMEOUT_MS + 1);
	CHECK(gw_fake_expect(&f, "-ERR [SYS/TEMP]"));
	gw_fake_input(&f, "RETR 2\r\n");
	struct pb_msg *read2 = last_sent(&f, MSG_READER_READ_REQ);
	CHECK_STR(read2->u.reader_read_req.blob_key, "key-two");
	/* the late batch, message 1's body and message 2's read ahead: dropped */
	const struct body late[] = { { "key-one", "Subject: one\r\n\r\nmessage one\r\n" },
				     { "key-two", "Subject: two\r\n\r\nmessage two, late\r\n" } };
	CHECK_INT(batch_reply(&f, batch, late, 2), -1);
	CHECK_INT(f.dropped, 1);
	CHECK(gw_fake_expect(&f, ""));
	range_reply(&f, read2, "Subject: two\r\n\r\nmessage two\r\n");
	char *out = gw_fake_output(&f);
	CHECK(strstr(out, "message two") != NULL);
	CHECK(strstr(out, "message one") == NULL && strstr(out, "late") == NULL);
	free(out);
	CHECK(gw_fake_say(&f, "DELE 2\r\n", "+OK"));
	gw_fake_input(&f, "QUIT\r\n");
	struct pb_msg *ex = last_sent(&f, MSG_MBOX_EXPUNGE_REQ);
	REQUIRE(ex->u.mbox_expunge_req.uids.n == 1);
	CHECK_INT(ex->u.mbox_expunge_req.uids.v[0], 12);
	reply_status(&f, ex, PB_OK);
	CHECK(gw_fake_expect(&f, "+OK Bye"));
	CHECK(f.closed);
	gw_fake_free(&f);
}

static void test_states_and_small_bodies(void)
{
	struct pop3_server srv;
	struct gw_fake f;
	uint64_t sizes[] = { 30 };

	server_init(&srv);
	gw_fake_open(&f, &pop3_proto, &srv);
	CHECK_INT(gw_fake_guard(&f, MSG_LOCKOUT_CHECK_IP_REQ, false, false), 0);
	CHECK(gw_fake_expect(&f, "+OK"));
	CHECK(gw_fake_say(&f, "STAT\r\n", "-ERR Command not allowed before login"));
	CHECK(gw_fake_say(&f, "PASS x\r\n", "-ERR No username given"));
	CHECK(gw_fake_say(&f, "APOP a 0123456789abcdef0123456789abcdef\r\n", "-ERR APOP is not supported"));
	CHECK(gw_fake_say(&f, "BOGUS\r\n", "-ERR"));
	CHECK(f.n_sent == 1); /* the accept check only */
	gw_fake_free(&f);

	login(&f, &srv, sizes, 1);
	CHECK(gw_fake_say(&f, "USER x\r\n", "-ERR Command not allowed after login"));
	CHECK(gw_fake_say(&f, "STAT\r\n", "+OK 1 30"));
	CHECK(gw_fake_say(&f, "RETR 2\r\n", "-ERR No such message"));
	gw_fake_input(&f, "RETR 1\r\n"); /* adopts its read-ahead */
	const struct body small[] = { { "key-one", "Subject: small\r\n\r\n.dot\r\n" } };
	batch_reply(&f, batch_of(&f, "key-one"), small, 1);
	CHECK(gw_fake_expect(&f, "+OK 30 octets\r\nSubject: small\r\n\r\n..dot\r\n.\r\n"));
	CHECK(gw_fake_say(&f, "DELE 1\r\n", "+OK"));
	CHECK(gw_fake_say(&f, "RETR 1\r\n", "-ERR Message already deleted"));
	CHECK(gw_fake_say(&f, "RSET\r\n", "+OK"));
	CHECK(gw_fake_say(&f, "LIST\r\n", "+OK Scan listing follows\r\n1 30\r\n.\r\n"));
	CHECK(gw_fake_say(&f, "UIDL 1\r\n", "+OK 1 3.11"));
	/* QUIT with nothing deleted needs no expunge */
	size_t sent = f.n_sent;
	CHECK(gw_fake_say(&f, "QUIT\r\n", "+OK Bye"));
	CHECK_INT(f.n_sent, sent);
	gw_fake_free(&f);
}

static void test_wrong_password_and_in_use(void)
{
	struct pop3_server srv;
	struct gw_fake f;
	struct pb_msg rep;

	server_init(&srv);
	gw_fake_open(&f, &pop3_proto, &srv);
	CHECK_INT(gw_fake_guard(&f, MSG_LOCKOUT_CHECK_IP_REQ, false, false), 0);
	CHECK(gw_fake_expect(&f, "+OK"));
	CHECK(gw_fake_say(&f, "USER bob\r\n", "+OK"));
	gw_fake_input(&f, "PASS wrong\r\n");
	reply_status(&f, last_sent(&f, MSG_AUTH_USER_VERIFY_REQ), PB_ERR_AUTH);
	CHECK_INT(last_sent(&f, MSG_LOCKOUT_LOGIN_REQ)->u.lockout_login_req.result,
		  LOCKOUT_LOGIN_BAD_PASSWORD);
	CHECK_INT(gw_fake_guard(&f, MSG_LOCKOUT_LOGIN_REQ, false, false), 0);
	CHECK(gw_fake_expect(&f, "-ERR [AUTH] Authentication failed."));
	gw_fake_input(&f, "PASS right\r\n");
	pb_msg_init(&rep, MSG_AUTH_USER_VERIFY_REP);
	rep.u.auth_user_verify_rep.user_id = 5;
	rep.u.auth_user_verify_rep.user = xstrdup("bob");
	gw_fake_reply(&f, last_sent(&f, MSG_AUTH_USER_VERIFY_REQ)->corr, &rep);
	CHECK_INT(gw_fake_guard(&f, MSG_LOCKOUT_LOGIN_REQ, false, false), 0);
	reply_status(&f, last_sent(&f, MSG_MBOX_LOCK_REQ), PB_ERR_EXISTS);
	CHECK(gw_fake_expect(&f, "-ERR [IN-USE]"));
	CHECK(gw_fake_say(&f, "STAT\r\n", "-ERR Command not allowed before login"));
	gw_fake_free(&f);
}

static void test_expunge_timeout(void)
{
	struct pop3_server srv;
	struct gw_fake f;
	uint64_t sizes[] = { 30 };

	login(&f, &srv, sizes, 1);
	CHECK(gw_fake_say(&f, "DELE 1\r\n", "+OK"));
	gw_fake_input(&f, "QUIT\r\n");
	last_sent(&f, MSG_MBOX_EXPUNGE_REQ);
	gw_fake_advance(&f, POP3_REQUEST_TIMEOUT_MS + 1);
	CHECK(gw_fake_expect(&f, "-ERR [SYS/TEMP] Some deleted messages were not removed"));
	CHECK(f.closed);
	gw_fake_free(&f);
}

/* A big message is read range by range, the next range only once the output drained, and a
 * read that fails midway cuts the connection rather than sending -ERR inside the body. */
static void test_ranges_paced_by_drain(void)
{
	struct pop3_server srv;
	struct gw_fake f;
	uint64_t sizes[] = { 600 * 1024 };
	char *text = xmalloc(600 * 1024 + 1);

	for (size_t i = 0; i < 600 * 1024; i++)
		text[i] = (i % 60 == 58) ? '\r' : (i % 60 == 59) ? '\n' : 'a';
	text[600 * 1024] = '\0';
	login(&f, &srv, sizes, 1);
	gw_fake_input(&f, "RETR 1\r\n");
	struct pb_msg *r1 = last_sent(&f, MSG_READER_READ_REQ);
	CHECK_INT(r1->u.reader_read_req.offset, 0);
	CHECK_INT(r1->u.reader_read_req.user_id, 5);
	size_t before = f.n_sent;
	f.backlog = 2 * 1024 * 1024; /* the client is slow */
	range_reply(&f, r1, text);
	CHECK_INT(f.n_sent, before); /* no next read while the output is backed up */
	char *out = gw_fake_output(&f);
	CHECK(strncmp(out, "+OK 614400 octets\r\n", 19) == 0);
	free(out);
	/* a command pipelined meanwhile waits for the end of the answer */
	gw_fake_input(&f, "NOOP\r\n");
	CHECK(gw_fake_expect(&f, ""));
	gw_fake_drain(&f);
	struct pb_msg *r2 = last_sent(&f, MSG_READER_READ_REQ);
	CHECK(r2 != r1 && r2->u.reader_read_req.offset == r1->u.reader_read_req.length);
	range_reply(&f, r2, text);
	struct pb_msg *r3 = last_sent(&f, MSG_READER_READ_REQ);
	CHECK(r3 != r2);
	range_reply(&f, r3, text);
	out = gw_fake_output(&f);

	CHECK(strstr(out, ".\r\n+OK\r\n") != NULL); /* the end, then the NOOP's answer */
	free(out);
	/* now a read that fails midway */
	gw_fake_input(&f, "RETR 1\r\n");
	range_reply(&f, last_sent(&f, MSG_READER_READ_REQ), text);
	free(gw_fake_output(&f));
	gw_fake_advance(&f, POP3_REQUEST_TIMEOUT_MS + 1);
	CHECK(f.closed);
	out = gw_fake_output(&f);
	CHECK(strstr(out, "-ERR") == NULL);
	free(out);
	free(text);
	gw_fake_free(&f);
}

/* A client that only sends bad commands is shown the door after POP3_MAX_BAD_COMMANDS. */
static void test_bad_command_limit(void)
{
	struct pop3_server srv;
	struct gw_fake f;

	server_init(&srv);
	gw_fake_open(&f, &pop3_proto, &srv);
	CHECK_INT(gw_fake_guard(&f, MSG_LOCKOUT_CHECK_IP_REQ, false, false), 0);
	CHECK(gw_fake_expect(&f, "+OK"));
	for (int i = 1; i < POP3_MAX_BAD_COMMANDS; i++) {
		CHECK(gw_fake_say(&f, i % 2 ? "BOGUS\r\n" : "STAT\r\n", "-ERR"));
		CHECK(!f.closed);
	}
	gw_fake_input(&f, "RETR x\r\n");
	char *out = gw_fake_output(&f);
	CHECK(strstr(out, "-ERR Too many bad commands.\r\n") != NULL);
	free(out);
	CHECK(f.closed);
	gw_fake_free(&f);
}

/* RETR takes its share of the budget of bytes in flight and gives it back at the end; past the
 * budget it is a temporary error and the session goes on. */
static void test_bytes_in_flight_budget(void)
{
	struct pop3_server srv;
	struct gw_fake f;
	uint64_t sizes[] = { 30 };

	login(&f, &srv, sizes, 1);
	f.budget = 1000;
	gw_fake_input(&f, "RETR 1\r\n");
	CHECK(f.budget_used > 0);
	const struct body small[] = { { "key-one", "Subject: small\r\n\r\n.dot\r\n" } };
	batch_reply(&f, batch_of(&f, "key-one"), small, 1);
	CHECK(gw_fake_expect(&f, "+OK 30 octets"));
	CHECK_INT(f.budget_used, 0);
	f.budget = 10;
	size_t sent = f.n_sent;
	CHECK(gw_fake_say(&f, "RETR 1\r\n", "-ERR [SYS/TEMP] Too many transfers"));
	CHECK_INT(f.n_sent, sent);
	CHECK(gw_fake_say(&f, "NOOP\r\n", "+OK"));
	gw_fake_free(&f);
}

/* Ranges asked for (single reads and the ranges of batches) since request number `from`. */
static size_t reads_since(struct gw_fake *f, size_t from)
{
	size_t n = 0;
	for (size_t i = from; i < f->n_sent; i++) {
		n += f->sent[i].type == MSG_READER_READ_REQ;
		if (f->sent[i].type == MSG_READER_READ_MANY_REQ)
			n += f->sent[i].u.reader_read_many_req.ranges.n;
	}
	return n;
}

/* Requests sent since request number `from`. */
static size_t calls_since(struct gw_fake *f, size_t from)
{
	return f->n_sent - from;
}

static const struct body three[] = { { "key-one", "Subject: 1\r\n\r\nmessage one\r\n" },
				     { "key-two", "Subject: 2\r\n\r\nmessage two\r\n" },
				     { "key-three", "Subject: 3\r\n\r\nmessage three\r\n" } };

/* After login the next messages' first ranges are read ahead in one batch whose one reply
 * fills every slot; a RETR of one of them is served from its own range with no round trip,
 * never from another message's, and the budget taken for them all goes back. */
static void test_read_ahead_served_for_its_message(void)
{
	struct pop3_server srv;
	struct gw_fake f;
	uint64_t sizes[] = { 30, 30, 30 };

	login_budget(&f, &srv, sizes, 3, 100000);
	CHECK_INT(reads_since(&f, 0), 3);
	struct pb_msg *batch = batch_of(&f, "key-one");
	REQUIRE(batch != NULL && batch == last_sent(&f, MSG_READER_READ_MANY_REQ));
	CHECK_INT(batch->u.reader_read_many_req.user_id, 5);
	CHECK(f.budget_used > 0);
	CHECK_INT(batch_reply(&f, batch, three, 3), 0);
	size_t sent = f.n_sent;
	gw_fake_input(&f, "RETR 1\r\n");
	char *out = gw_fake_output(&f);
	CHECK(strncmp(out, "+OK 30 octets\r\nSubject: 1\r\n", 27) == 0);
	CHECK(strstr(out, "message two") == NULL);
	free(out);
	CHECK(gw_fake_say(&f, "TOP 2 0\r\n", "+OK 30 octets\r\nSubject: 2\r\n\r\n.\r\n"));
	CHECK(gw_fake_say(&f, "RETR 3\r\nNOOP\r\n",
			  "+OK 30 octets\r\nSubject: 3\r\n\r\nmessage three\r\n.\r\n+OK\r\n"));
	CHECK_INT(f.n_sent, sent);
	CHECK_INT(f.budget_used, 0);
	CHECK(gw_fake_say(&f, "RETR 1\r\n", ""));
	CHECK_INT(reads_since(&f, sent), 1); /* what was served is not kept */
	gw_fake_free(&f);
}

/* RETRs pipelined while the batch is in flight: the first adopts the batch and waits, and its
 * one reply serves them all in order, with nothing more asked. */
static void test_read_ahead_batch_adopted(void)
{
	struct pop3_server srv;
	struct gw_fake f;
	uint64_t sizes[] = { 30, 30, 30 };

	login(&f, &srv, sizes, 3);
	size_t sent = f.n_sent;
	gw_fake_input(&f, "RETR 1\r\nRETR 2\r\nNOOP\r\n");
	CHECK(gw_fake_expect(&f, ""));
	CHECK_INT(f.n_sent, sent);
	CHECK_INT(batch_reply(&f, batch_of(&f, "key-two"), three, 3), 0);
	CHECK(gw_fake_expect(&f, "+OK 30 octets\r\nSubject: 1\r\n\r\nmessage one\r\n.\r\n"
				 "+OK 30 octets\r\nSubject: 2\r\n\r\nmessage two\r\n.\r\n+OK\r\n"));
	CHECK_INT(f.n_sent, sent);
	CHECK(gw_fake_say(&f, "RETR 3\r\n", "+OK 30 octets\r\nSubject: 3\r\n\r\nmessage three"));
	CHECK_INT(f.n_sent, sent);
	gw_fake_free(&f);
}

/* The window is refilled once a quarter of it has been served, in one batch for the missing
 * quarter, not a read per RETR. */
static void test_read_ahead_refills_by_quarter(void)
{
	enum { N = POP3_PREFETCH_DEPTH + POP3_PREFETCH_DEPTH / 4, Q = POP3_PREFETCH_DEPTH / 4 };
	struct pop3_server srv;
	struct gw_fake f;
	uint64_t sizes[N];
	struct body bodies[N];
	char texts[N][64];

	for (size_t i = 0; i < N; i++) {
		sizes[i] = 64;
		snprintf(texts[i], sizeof(texts[i]), "Subject: %zu\r\n\r\nmessage %zu\r\n", i + 1,
			 i + 1);
		bodies[i] = (struct body){ key_of(i), texts[i] };
	}
	login(&f, &srv, sizes, N);
	/* the guard at accept, verify, the guard's login report, lock, list and one batch */
	CHECK_INT(calls_since(&f, 0), 5 + 1);
	CHECK_INT(reads_since(&f, 0), POP3_PREFETCH_DEPTH);
	CHECK_INT(batch_reply(&f, batch_of(&f, "key-one"), bodies, N), 0);
	size_t sent = f.n_sent;
	for (size_t i = 1; i < Q; i++) {
		char cmd[32];
		snprintf(cmd, sizeof(cmd), "RETR %zu\r\n", i);
		CHECK(gw_fake_say(&f, cmd, "+OK 64 octets\r\nSubject: "));
		CHECK_INT(f.n_sent, sent);
	}
	/* the quarter: the next quarter window in one batch */
	char cmd[32];
	snprintf(cmd, sizeof(cmd), "RETR %d\r\n", Q);
	CHECK(gw_fake_say(&f, cmd, "+OK 64 octets\r\nSubject: "));
	CHECK_INT(calls_since(&f, sent), 1);
	struct pb_msg *refill = last_sent(&f, MSG_READER_READ_MANY_REQ);
	REQUIRE(refill->u.reader_read_many_req.ranges.n == Q);
	CHECK_STR(refill->u.reader_read_many_req.ranges.v[0].blob_key,
		  key_of(POP3_PREFETCH_DEPTH));
	CHECK_STR(refill->u.reader_read_many_req.ranges.v[Q - 1].blob_key, key_of(N - 1));
	CHECK_INT(batch_reply(&f, refill, bodies, N), 0);
	for (size_t i = Q + 1; i <= N; i++) {
		snprintf(cmd, sizeof(cmd), "RETR %zu\r\n", i);
		gw_fake_input(&f, cmd);
		char *out = gw_fake_output(&f);
		CHECK(strstr(out, texts[i - 1]) != NULL);
		free(out);
	}
	CHECK_INT(calls_since(&f, sent), 1);
	gw_fake_free(&f);
}

/* One body of a batch is missing: the others are served from it, and the missing one gets the
 * normal error when it is RETRed — whether the RETR waited for the batch or came after it. */
static void test_read_ahead_missing_body(void)
{
	struct pop3_server srv;
	struct gw_fake f;
	uint64_t sizes[] = { 30, 30, 30 };
	const struct body no_two[] = { three[0], three[2] };

	for (int adopted = 0; adopted < 2; adopted++) {
		login(&f, &srv, sizes, 3);
		struct pb_msg *batch = batch_of(&f, "key-two");
		REQUIRE(batch != NULL);
		size_t sent = f.n_sent;
		if (adopted) {
			gw_fake_input(&f, "RETR 2\r\n");
			CHECK_INT(batch_reply(&f, batch, no_two, 2), 0);
		} else {
			CHECK_INT(batch_reply(&f, batch, no_two, 2), 0);
			gw_fake_input(&f, "RETR 2\r\n"); /* reads for itself */
			struct pb_msg *read2 = last_sent(&f, MSG_READER_READ_REQ);
			CHECK_STR(read2->u.reader_read_req.blob_key, "key-two");
			reply_status(&f, read2, PB_ERR_NOTFOUND);
		}
		CHECK(gw_fake_expect(&f, "-ERR [SYS/TEMP] Cannot read the message\r\n"));
		CHECK_INT(reads_since(&f, sent), adopted ? 0 : 1);
		/* 1 and 3 from the batch, with no read of their own (2, next, is asked again) */
		CHECK(gw_fake_say(&f, "RETR 1\r\n", "+OK 30 octets\r\nSubject: 1\r\n"));
		CHECK(gw_fake_say(&f, "RETR 3\r\n", "+OK 30 octets\r\nSubject: 3\r\n"));
		CHECK(read_of(&f, "key-one") == NULL && read_of(&f, "key-three") == NULL);
		gw_fake_free(&f);
	}
}

/* A batch whose slots were given to other messages while its reply was on the way: its late
 * reply is dropped, and the messages it was read for are read again when asked for. */
static void test_read_ahead_late_reply_dropped(void)
{
	struct pop3_server srv;
	struct gw_fake f;
	enum { N = POP3_PREFETCH_DEPTH + 2 };
	uint64_t sizes[N];
	char cmd[32];

	for (size_t i = 0; i < N; i++)
		sizes[i] = 64; /* at least each text below */
	login(&f, &srv, sizes, N);
	CHECK_INT(reads_since(&f, 0), POP3_PREFETCH_DEPTH); /* messages 1..DEPTH */
	struct pb_msg *first = batch_of(&f, "key-one");
	REQUIRE(first != NULL && first == batch_of(&f, key_of(POP3_PREFETCH_DEPTH - 1)));
	/* RETR N is read for itself; after it nothing is left ahead: 1..DEPTH are discarded */
	snprintf(cmd, sizeof(cmd), "RETR %d\r\n", N);
	gw_fake_input(&f, cmd);
	range_reply(&f, last_sent(&f, MSG_READER_READ_REQ), "Subject: N\r\n\r\nmessage N\r\n");
	CHECK(gw_fake_expect(&f, "+OK 64 octets\r\nSubject: N"));
	/* RETR 1 is read for itself too; after it 2..DEPTH+1 are read ahead again */
	size_t sent = f.n_sent;
	gw_fake_input(&f, "RETR 1\r\n");
	struct pb_msg *read1 = last_sent(&f, MSG_READER_READ_REQ);
	CHECK_STR(read1->u.reader_read_req.blob_key, "key-one");
	range_reply(&f, read1, "Subject: 1\r\n\r\nmessage one, fresh\r\n");
	CHECK(gw_fake_expect(&f, "+OK 64 octets\r\nSubject: 1\r\n\r\nmessage one, fresh"));
	CHECK_INT(calls_since(&f, sent), 2);
	CHECK_INT(reads_since(&f, sent), 1 + POP3_PREFETCH_DEPTH);
	struct pb_msg *again = batch_of(&f, "key-two");
	CHECK(again != first);
	/* the first batch comes now: its call ends, its data is dropped */
	const struct body stale[] = { { "key-one", "Subject: 1\r\n\r\nmessage one, stale\r\n" },
				      { "key-two", "Subject: 2\r\n\r\nmessage two, stale\r\n" } };
	CHECK_INT(batch_reply(&f, first, stale, 2), 0);
	CHECK_INT(f.dropped, 0); /* its call was pending: the session itself dropped it */
	CHECK(gw_fake_expect(&f, ""));
	sent = f.n_sent;
	gw_fake_input(&f, "RETR 2\r\n");
	CHECK_INT(f.n_sent, sent); /* it waits for its own read-ahead */
	CHECK(gw_fake_expect(&f, ""));
	const struct body fresh[] = { { "key-two", "Subject: 2\r\n\r\nmessage two, fresh\r\n" } };
	batch_reply(&f, again, fresh, 1);
	char *out = gw_fake_output(&f);
	CHECK(strstr(out, "message two, fresh") != NULL && strstr(out, "stale") == NULL);
	free(out);
	gw_fake_free(&f);
}

/* Read-ahead stays within the budget of bytes in flight and gives way to a RETR that needs it;
 * a large message is not read ahead. */
static void test_read_ahead_bounded(void)
{
	struct pop3_server srv;
	struct gw_fake f;
	uint64_t sizes[] = { 30, 30, 30 };
	uint64_t large[] = { POP3_PREFETCH_MAX + 1, 30 };

	login_budget(&f, &srv, sizes, 3, 300); /* room for two 30-octet transfers */
	CHECK(batch_of(&f, "key-one") != NULL && batch_of(&f, "key-two") != NULL);
	CHECK(batch_of(&f, "key-three") == NULL);
	CHECK_INT(reads_since(&f, 0), 2);
	gw_fake_input(&f, "RETR 3\r\n");
	struct pb_msg *r3 = read_of(&f, "key-three");
	REQUIRE(r3 != NULL);
	range_reply(&f, r3, "Subject: 3\r\n\r\nmessage three\r\n");
	CHECK(gw_fake_expect(&f, "+OK 30 octets\r\nSubject: 3"));
	CHECK_INT(f.budget_used, 0);
	gw_fake_free(&f);

	login(&f, &srv, large, 2);
	CHECK_INT(reads_since(&f, 0), 0);
	gw_fake_free(&f);
}

/* Opens a session whose accept check the guard has not answered yet. */
static void open_unguarded(struct gw_fake *f, struct pop3_server *srv)
{
	server_init(srv);
	gw_fake_open(f, &pop3_proto, srv);
	struct pb_msg *q = last_sent(f, MSG_LOCKOUT_CHECK_IP_REQ);
	CHECK_STR(q->u.lockout_check_ip_req.ip, "192.0.2.1");
}

/* The greeting waits for the guard: a blocked address hears why and nothing else; a guard
 * that does not answer in time is not a block, and its late answer is dropped. */
static void test_guard_at_accept(void)
{
	struct pop3_server srv;
	struct gw_fake f;

	open_unguarded(&f, &srv);
	gw_fake_input(&f, "CAPA\r\n"); /* held until the answer */
	CHECK(gw_fake_expect(&f, ""));
	CHECK_INT(gw_fake_guard(&f, MSG_LOCKOUT_CHECK_IP_REQ, true, false), 0);
	char *out = gw_fake_output(&f);
	CHECK_STR(out, "-ERR [SYS/TEMP] " LOCKOUT_BLOCKED_TEXT "\r\n");
	free(out);
	CHECK(f.closed);
	gw_fake_free(&f);

	open_unguarded(&f, &srv);
	gw_fake_input(&f, "NOOP\r\n");
	gw_fake_advance(&f, GW_GUARD_TIMEOUT_MS + 1);
	CHECK(gw_fake_expect(&f, "+OK Pillarbox POP3 server ready\r\n-ERR Not logged in\r\n"));
	CHECK_INT(gw_fake_guard(&f, MSG_LOCKOUT_CHECK_IP_REQ, true, false), -1);
	CHECK(!f.closed);
	CHECK(gw_fake_say(&f, "NOOP\r\n", "-ERR Not logged in"));
	gw_fake_free(&f);
}

/* Answers the last password check: the account bob (id 5), or a wrong password. */
static void verify_answer(struct gw_fake *f, bool right)
{
	CHECK_INT(gw_fake_verified(f, 0, 5, right ? "bob" : NULL), 0);
}

/* Sends USER bob / PASS and answers the password check: right or wrong. */
static void pass_checked(struct gw_fake *f, bool right)
{
	CHECK(gw_fake_say(f, "USER bob\r\n", "+OK"));
	gw_fake_input(f, "PASS pw\r\n");
	verify_answer(f, right);
}

/* A locked account fails with the wrong-password reply even with the right password; a
 * blocked address is then told so and closed; a guard that does not answer lets the
 * password decide. */
static void test_guard_at_login(void)
{
	struct pop3_server srv;
	struct gw_fake f;

	login(&f, &srv, NULL, 0); /* the right password, the guard says yes */
	gw_fake_free(&f);

	server_init(&srv);
	gw_fake_open(&f, &pop3_proto, &srv);
	CHECK_INT(gw_fake_guard(&f, MSG_LOCKOUT_CHECK_IP_REQ, false, false), 0);
	CHECK(gw_fake_expect(&f, "+OK"));
	pass_checked(&f, false);
	CHECK(gw_fake_expect(&f, "")); /* the guard is asked first */
	CHECK_INT(gw_fake_guard(&f, MSG_LOCKOUT_LOGIN_REQ, false, false), 0);
	CHECK(gw_fake_expect(&f, "-ERR [AUTH] Authentication failed.\r\n"));
	size_t sent = f.n_sent;
	pass_checked(&f, true);
	CHECK_INT(gw_fake_guard(&f, MSG_LOCKOUT_LOGIN_REQ, false, true), 0);
	CHECK(gw_fake_expect(&f, "-ERR [AUTH] Authentication failed.\r\n"));
	for (size_t i = sent; i < f.n_sent; i++)
		CHECK(f.sent[i].type != MSG_MBOX_LOCK_REQ);
	CHECK(gw_fake_say(&f, "STAT\r\n", "-ERR Command not allowed before login"));
	pass_checked(&f, true);
	gw_fake_advance(&f, GW_GUARD_TIMEOUT_MS + 1); /* no answer: the password decides */
	CHECK_INT(gw_fake_guard(&f, MSG_LOCKOUT_LOGIN_REQ, true, true), -1);
	CHECK(last_sent(&f, MSG_MBOX_LOCK_REQ) != NULL);
	gw_fake_free(&f);

	server_init(&srv);
	gw_fake_open(&f, &pop3_proto, &srv);
	CHECK_INT(gw_fake_guard(&f, MSG_LOCKOUT_CHECK_IP_REQ, false, false), 0);
	CHECK(gw_fake_expect(&f, "+OK"));
	pass_checked(&f, true);
	CHECK_INT(gw_fake_guard(&f, MSG_LOCKOUT_LOGIN_REQ, true, false), 0);
	char *out = gw_fake_output(&f);
	CHECK_STR(out, "-ERR [AUTH] Authentication failed.\r\n"
		       "-ERR [SYS/TEMP] " LOCKOUT_BLOCKED_TEXT "\r\n");
	free(out);
	CHECK(f.closed);
	gw_fake_free(&f);
}

/* A session greeted, the accept check answered; plaintext logins allowed or not. */
static void open_greeted(struct gw_fake *f, struct pop3_server *srv, bool plaintext)
{
	server_init(srv);
	srv->allow_plaintext_auth = plaintext;
	gw_fake_open(f, &pop3_proto, srv);
	CHECK_INT(gw_fake_guard(f, MSG_LOCKOUT_CHECK_IP_REQ, false, false), 0);
	CHECK(gw_fake_expect(f, "+OK Pillarbox POP3 server ready"));
}

/* Without TLS from a non-loopback address: USER, PASS, AUTH PLAIN and LOGIN refused with
 * Dovecot's words, CAPA offers SCRAM only; SCRAM goes ahead. */
static void test_plaintext_refused_in_clear(void)
{
	struct pop3_server srv;
	struct gw_fake f;

	open_greeted(&f, &srv, false);
	char *capa = gw_fake_output(&f);
	free(capa);
	gw_fake_input(&f, "CAPA\r\n");
	capa = gw_fake_output(&f);
	CHECK(strstr(capa, "\r\nSASL SCRAM-SHA-256\r\n") != NULL);
	CHECK(strstr(capa, "\r\nUSER\r\n") == NULL);
	free(capa);
	const char *no = "-ERR [AUTH] Plaintext authentication disallowed on non-secure (SSL/TLS) "
			 "connections.\r\n";
	CHECK(gw_fake_say(&f, "USER bob\r\n", no));
	CHECK(gw_fake_say(&f, "PASS x\r\n", no));
	CHECK(gw_fake_say(&f, "AUTH PLAIN AGJvYgBwdw==\r\n", no));
	CHECK(gw_fake_say(&f, "AUTH LOGIN\r\n", no));
	CHECK(gw_fake_say(&f, "AUTH\r\n", "+OK\r\nSCRAM-SHA-256\r\n.\r\n"));
	CHECK(gw_fake_say(&f, "AUTH CRAM-MD5\r\n", "-ERR Unsupported authentication mechanism."));
	gw_fake_input(&f, "AUTH SCRAM-SHA-256\r\n");
	CHECK(gw_fake_expect(&f, "+ \r\n"));
	CHECK(gw_fake_say(&f, "*\r\n", "-ERR Authentication cancelled\r\n"));
	CHECK(gw_fake_say(&f, "NOOP\r\n", "-ERR Not logged in"));
	gw_fake_free(&f);
}

/* AUTH PLAIN with an initial response and AUTH LOGIN's two challenges: the password checked by
 * the shard, the result reported to the guard, then logged in; AUTH after login refused. */
static void test_auth_plain_and_login(void)
{
	struct pop3_server srv;
	struct gw_fake f;

	open_greeted(&f, &srv, true);
	CHECK(gw_fake_say(&f, "CAPA\r\n", "+OK"));
	gw_fake_input(&f, "AUTH PLAIN AGJvYgBwdw==\r\n"); /* \0bob\0pw */
	struct pb_msg *q = last_sent(&f, MSG_AUTH_USER_VERIFY_REQ);
	CHECK_STR(q->u.auth_user_verify_req.user, "bob");
	CHECK_STR(q->u.auth_user_verify_req.password, "pw");
	verify_answer(&f, false);
	CHECK_INT(last_sent(&f, MSG_LOCKOUT_LOGIN_REQ)->u.lockout_login_req.result,
		  LOCKOUT_LOGIN_BAD_PASSWORD);
	CHECK_INT(gw_fake_guard(&f, MSG_LOCKOUT_LOGIN_REQ, false, false), 0);
	CHECK(gw_fake_expect(&f, "-ERR [AUTH] Authentication failed.\r\n"));
	CHECK(gw_fake_say(&f, "PASS pw\r\n", "-ERR No username given")); /* AUTH set no USER */

	gw_fake_input(&f, "AUTH LOGIN\r\n");
	CHECK(gw_fake_expect(&f, "+ VXNlcm5hbWU6\r\n"));
	CHECK(gw_fake_say(&f, "Ym9i\r\n", "+ UGFzc3dvcmQ6\r\n"));
	gw_fake_input(&f, "cHc=\r\n");
	verify_answer(&f, true);
	struct pb_msg *g = last_sent(&f, MSG_LOCKOUT_LOGIN_REQ);
	CHECK_STR(g->u.lockout_login_req.user, "bob");
	CHECK_INT(g->u.lockout_login_req.result, LOCKOUT_LOGIN_OK);
	CHECK_INT(gw_fake_guard(&f, MSG_LOCKOUT_LOGIN_REQ, false, false), 0);
	reply_status(&f, last_sent(&f, MSG_MBOX_LOCK_REQ), PB_OK);
	struct pb_msg rep;
	pb_msg_init(&rep, MSG_MBOX_LIST_REP);
	CHECK_INT(gw_fake_reply(&f, last_sent(&f, MSG_MBOX_LIST_REQ)->corr, &rep), 0);
	CHECK(gw_fake_expect(&f, "+OK Logged in, 0 messages"));
	CHECK(gw_fake_say(&f, "AUTH PLAIN AGJvYgBwdw==\r\n", "-ERR Command not allowed after login"));
	gw_fake_free(&f);
}

/* A locked account fails AUTH PLAIN with the wrong-password reply; malformed base64 is refused;
 * a password check that times out ends the exchange and its late answer is dropped. */
static void test_auth_locked_malformed_late(void)
{
	struct pop3_server srv;
	struct gw_fake f;

	open_greeted(&f, &srv, true);
	gw_fake_input(&f, "AUTH PLAIN AGJvYgBwdw==\r\n");
	verify_answer(&f, true);
	CHECK_INT(gw_fake_guard(&f, MSG_LOCKOUT_LOGIN_REQ, false, true), 0);
	CHECK(gw_fake_expect(&f, "-ERR [AUTH] Authentication failed.\r\n"));
	CHECK(gw_fake_say(&f, "AUTH PLAIN !!!\r\n", "-ERR invalid base64 in initial response"));
	CHECK(gw_fake_say(&f, "AUTH PLAIN\r\n", "+ \r\n"));
	CHECK(gw_fake_say(&f, "!!!\r\n", "-ERR Malformed authentication data\r\n"));
	gw_fake_input(&f, "AUTH PLAIN\r\n");
	CHECK(gw_fake_expect(&f, "+ \r\n"));
	gw_fake_input(&f, "AGJvYgBwdw==\r\n");
	struct pb_msg *q = last_sent(&f, MSG_AUTH_USER_VERIFY_REQ);
	uint64_t corr = q->corr;
	gw_fake_advance(&f, POP3_REQUEST_TIMEOUT_MS + 1);
	CHECK(gw_fake_expect(&f, "-ERR [SYS/TEMP] Try again later\r\n"));
	CHECK_INT(gw_fake_verified(&f, corr, 5, "bob"), -1);
	CHECK(gw_fake_say(&f, "STAT\r\n", "-ERR Command not allowed before login"));
	gw_fake_free(&f);
}

static const struct pb_test_case cases[] = {
	{ "plaintext_refused_in_clear", test_plaintext_refused_in_clear },
	{ "auth_plain_and_login", test_auth_plain_and_login },
	{ "auth_locked_malformed_late", test_auth_locked_malformed_late },
	{ "guard_at_accept", test_guard_at_accept },
	{ "guard_at_login", test_guard_at_login },
	{ "read_ahead_served_for_its_message", test_read_ahead_served_for_its_message },
	{ "read_ahead_batch_adopted", test_read_ahead_batch_adopted },
	{ "read_ahead_refills_by_quarter", test_read_ahead_refills_by_quarter },
	{ "read_ahead_missing_body", test_read_ahead_missing_body },
	{ "read_ahead_late_reply_dropped", test_read_ahead_late_reply_dropped },
	{ "read_ahead_bounded", test_read_ahead_bounded },
	{ "bytes_in_flight_budget", test_bytes_in_flight_budget },
	{ "bad_command_limit", test_bad_command_limit },
	{ "ranges_paced_by_drain", test_ranges_paced_by_drain },
	{ "late_body_never_answers_another_retr", test_late_body_never_answers_another_retr },
	{ "states_and_small_bodies", test_states_and_small_bodies },
	{ "wrong_password_and_in_use", test_wrong_password_and_in_use },
	{ "expunge_timeout", test_expunge_timeout },
};
PB_TEST_MAIN(cases)
