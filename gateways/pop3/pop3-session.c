/*
 * pop3-session.c: one POP3 session (RFC 1939, RFC 2449 extensions) on the session skeleton.
 * AUTHORIZATION: USER/PASS checked by the auth shards (an unknown user and a wrong password
 * get the same answer after the same work), then the maildrop lock (one session per
 * maildrop: -ERR [IN-USE]) and the INBOX listing. TRANSACTION: STAT LIST UIDL RETR TOP DELE
 * RSET NOOP. UPDATE: QUIT expunges the deleted messages in one atomic write; a dropped
 * connection deletes nothing.
 * OWNS: struct pop3_session (its maildrop listing and deletion marks). THREAD: the hub thread.
 * MESSAGES sent (through typed client stubs): AUTH_USER_VERIFY_REQ, MBOX_LOCK_REQ,
 * MBOX_LIST_REQ, MBOX_EXPUNGE_REQ and READER_READ_REQ — each a call with its own
 * continuation; a reply that comes after its call timed out is dropped by the skeleton, so a
 * late body can never answer a later RETR.
 *
 * Why bodies are read by ranges: RETR asks a reader shard (keyed by the user) for one range of
 * POP3_READ_CHUNK octets at a time, and asks for the next only once the connection has taken
 * the output below its high-water mark; so a session holds about a chunk whatever the
 * message size, however slowly its client reads, and the hub never waits on the disk.
 */
#include "pop3-session.h"

#include "auth-client.h"
#include "mailbox-client.h"
#include "pb-log.h"
#include "pb-settings.h"
#include "pop3-parser.h"
#include "reader-client.h"
#include "pop3-stuff.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/* Octets of a stored message read per range. */
#define POP3_READ_CHUNK (256 * 1024)
#define POP3_BLOB_KEY_MAX 96

enum pop3_state { ST_AUTH, ST_TRANS, ST_UPDATE };

struct pop3_msg {
	uint32_t uid;
	uint64_t size;
	char blob_key[POP3_BLOB_KEY_MAX];
	bool deleted;
};

struct pop3_session {
	struct gw_session *gs;
	struct pop3_server *srv;
	struct pop3_parser *parser;
	enum pop3_state state;
	bool closing, locked;
	uint32_t bad_commands; /* refused or malformed commands so far */
	bool running;     /* inside run(): a write that drains must not re-enter it */
	bool out_blocked; /* run() stopped at NET_OUT_HIGH; drain resumes it */
	char *user;       /* from USER */
	uint64_t user_id;
	char holder[PB_MSG_MAX_ADDR]; /* the lock holder: the session's own address */
	uint32_t uidvalidity;
	struct pop3_msg *msgs;
	size_t n_msgs;
	/* RETR or TOP in progress: the message, how far it was read, its stuffing state */
	bool retr;
	bool retr_started; /* the +OK line went out */
	size_t retr_reserved; /* taken from the budget of bytes in flight */
	size_t retr_index;
	uint64_t retr_offset;
	struct pop3_stuff stuff;
	struct pb_buf out;
};

static void run(struct pop3_session *s);

static void send_line(struct pop3_session *s, const char *fmt, ...) PB_PRINTF(2, 3);

static void send_line(struct pop3_session *s, const char *fmt, ...)
{
	char line[512];
	va_list ap;

	va_start(ap, fmt);
	int n = vsnprintf(line, sizeof(line) - 2, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n > sizeof(line) - 3)
		n = (int)sizeof(line) - 3;
	memcpy(line + n, "\r\n", 2);
	gw_write(s->gs, line, (size_t)n + 2);
}

/* Ends the connection in the middle of a multi-line answer, which cannot turn into -ERR: the
 * client sees it cut short. */
static void cut(struct pop3_session *s)
{
	s->closing = true;
	gw_close(s->gs, true);
}

static void quit(struct pop3_session *s, const char *text)
{
	send_line(s, "%s", text);
	s->closing = true;
	gw_close(s->gs, true);
}

/* A call of this session whose reply runs cont(s, arg, reply); sent through a stub with
 * gw_sender(&call). */
static struct gw_pending call_of(struct pop3_session *s, gw_cont_fn *cont, uint64_t arg)
{
	return (struct gw_pending){ s->gs, cont, arg, POP3_REQUEST_TIMEOUT_MS };
}

/* After a stub's send: waits for the reply, or answers -ERR when nothing was sent. */
static void asked(struct pop3_session *s, int rc)
{
	if (rc == 0)
		gw_pause(s->gs);
	else if (s->state == ST_UPDATE)
		quit(s, "-ERR [SYS/TEMP] Some deleted messages were not removed");
	else
		send_line(s, "-ERR [SYS/TEMP] Server busy, try again later");
}

/* After a continuation: read on (unless another call went out or the session ends). */
static void resume(struct pop3_session *s)
{
	if (s->closing || s->gs->pending > 0)
		return;
	gw_resume(s->gs);
	gw_set_deadline(s->gs, POP3_IDLE_TIMEOUT_S * 1000ull);
	run(s);
}

static bool timed_out(struct pop3_session *s, const struct pb_msg *m)
{
	if (m != NULL)
		return false;
	send_line(s, "-ERR [SYS/TEMP] The server did not answer in time");
	return true;
}

/* ---- AUTHORIZATION ---- */

static void do_capa(void *session, const void *cmd)
{
	struct pop3_session *s = session;
	gw_write_str(s->gs, "+OK Capability list follows\r\nTOP\r\nUSER\r\nUIDL\r\n"
			    "RESP-CODES\r\nAUTH-RESP-CODE\r\nPIPELINING\r\n"
			    "EXPIRE NEVER\r\nIMPLEMENTATION Pillarbox\r\n.\r\n");
}

static void do_user(void *session, const void *cmdp)
{
	struct pop3_session *s = session;
	const struct pop3_cmd *cmd = cmdp;
	pb_str_set(&s->user, cmd->arg);
	send_line(s, "+OK");
}

/* Appends a page of the listing to the maildrop (the first page, page 0, starts it afresh). */
static void add_listed(struct pop3_session *s, uint64_t page, const struct mailbox_list *r)
{
	if (page == 0) {
		free(s->msgs);
		s->msgs = NULL;
		s->n_msgs = 0;
	}
	s->uidvalidity = r->uidvalidity;
	s->msgs = xrealloc(s->msgs, (s->n_msgs + r->entries.n + 1) * sizeof(*s->msgs));
	for (size_t i = 0; i < r->entries.n; i++) {
		struct pop3_msg *pm = &s->msgs[s->n_msgs++];
		*pm = (struct pop3_msg){ .uid = r->entries.v[i].uid, .size = r->entries.v[i].size };
		snprintf(pm->blob_key, sizeof(pm->blob_key), "%s", r->entries.v[i].blob_key);
	}
}

/* A page of the INBOX listing (MAILBOX_LIST_MAX entries at most; arg: the page number): the
 * next page is asked for until the listing ends, and only then is the user logged in. */
static void on_listed(void *session, uint64_t arg, struct pb_msg *m)
{
	struct pop3_session *s = session;
	struct mailbox_list r = { 0 };
	const char *error;

	if (timed_out(s, m)) {
	} else if (mailbox_client_list_reply(m, &r, &error) != PB_OK) {
		send_line(s, "-ERR [SYS/TEMP] Cannot open the mailbox");
	} else {
		add_listed(s, arg, &r);
		mailbox_list_free(&r);
		if (r.next_uid != 0) {
			struct mailbox_list_query next = { .folder = "INBOX", .uid_first = r.next_uid };
			struct gw_pending call = call_of(s, on_listed, arg + 1);
			struct pb_sender tx = gw_sender(&call);
			asked(s, mailbox_client_list_send(&tx, s->user_id, &next, &error));
			resume(s);
			return;
		}
		s->state = ST_TRANS;
		pb_log_security("pop3", "event=login user=%s peer=%s", PB_LOGQ(s->user),
				gw_peer(s->gs));
		send_line(s, "+OK Logged in, %zu messages", s->n_msgs);
	}
	resume(s);
}

static void on_locked(void *session, uint64_t arg, struct pb_msg *m)
{
	struct pop3_session *s = session;
	const char *error;
	uint32_t code;

	if (timed_out(s, m)) {
		/* the lock may have been taken: it is released when the session closes */
		s->locked = true;
	} else if ((code = mailbox_client_lock_reply(m, &error)) != PB_OK) {
		send_line(s, code == PB_ERR_EXISTS
				     ? "-ERR [IN-USE] Mailbox is locked by another POP3 session"
				     : "-ERR [SYS/TEMP] Try again later");
	} else {
		s->locked = true;
		struct gw_pending call = call_of(s, on_listed, 0);
		struct pb_sender tx = gw_sender(&call);
		asked(s, mailbox_client_list_send(&tx, s->user_id, NULL, &error)); /* INBOX */
	}
	resume(s);
}

static void on_verified(void *session, uint64_t arg, struct pb_msg *m)
{
	struct pop3_session *s = session;
	const char *error;
	char *user = NULL;
	uint64_t user_id = 0;
	uint32_t code = m != NULL ? auth_client_user_verify_reply(m, &user_id, &user, &error)
				  : PB_ERR_TEMP;

	if (code != PB_OK) {
		pb_log_security("pop3", "event=login_failed user=%s peer=%s reason=%s", PB_LOGQ(s->user),
				gw_peer(s->gs), code == PB_ERR_AUTH ? "bad_credentials" : "unavailable");
		send_line(s, code == PB_ERR_AUTH ? "-ERR [AUTH] Authentication failed."
						 : "-ERR [SYS/TEMP] Try again later");
		resume(s);
		return;
	}
	s->user_id = user_id;
	free(s->user);
	s->user = user;
	struct gw_pending call = call_of(s, on_locked, 0);
	struct pb_sender tx = gw_sender(&call);
	asked(s, mailbox_client_lock_send(&tx, s->user_id, s->holder, true, POP3_LOCK_TTL_MS,
					  &error));
	resume(s);
}

static const char *check_pass(const void *session, const void *cmd)
{
	const struct pop3_session *s = session;
	return s->user == NULL ? "-ERR No username given" : NULL;
}

static void do_pass(void *session, const void *cmdp)
{
	struct pop3_session *s = session;
	const struct pop3_cmd *cmd = cmdp;
	struct gw_pending call = call_of(s, on_verified, 0);
	struct pb_sender tx = gw_sender(&call);
	const char *error;

	asked(s, auth_client_user_verify_send(&tx, s->gs->id, s->user, cmd->arg, &error));
}

/* ---- TRANSACTION ---- */

/* A message number that names a message not deleted (LIST/UIDL with one, RETR, TOP, DELE). */
static const char *check_msg(const void *session, const void *cmdp)
{
	const struct pop3_session *s = session;
	const struct pop3_cmd *cmd = cmdp;

	if (!cmd->has_msg && (cmd->verb == POP3_VERB_LIST || cmd->verb == POP3_VERB_UIDL))
		return NULL;
	if (cmd->msg == 0 || cmd->msg > s->n_msgs)
		return "-ERR No such message";
	if (s->msgs[cmd->msg - 1].deleted)
		return "-ERR Message already deleted";
	return NULL;
}

static void do_stat(void *session, const void *cmd)
{
	struct pop3_session *s = session;
	uint64_t n = 0, bytes = 0;
	for (size_t i = 0; i < s->n_msgs; i++) {
		if (!s->msgs[i].deleted) {
			n++;
			bytes += s->msgs[i].size;
		}
	}
	send_line(s, "+OK %llu %llu", (unsigned long long)n, (unsigned long long)bytes);
}

/* LIST and UIDL: one message, or all that are not deleted. */
static void do_list(void *session, const void *cmdp)
{
	struct pop3_session *s = session;
	const struct pop3_cmd *cmd = cmdp;
	bool uidl = cmd->verb == POP3_VERB_UIDL;

	if (cmd->has_msg) {
		const struct pop3_msg *m = &s->msgs[cmd->msg - 1];
		if (uidl)
			send_line(s, "+OK %u %u.%u", cmd->msg, s->uidvalidity, m->uid);
		else
			send_line(s, "+OK %u %llu", cmd->msg, (unsigned long long)m->size);
		return;
	}
	pb_buf_reset(&s->out);
	pb_buf_append_str(&s->out, uidl ? "+OK Unique-ID listing follows\r\n" : "+OK Scan listing follows\r\n");
	for (size_t i = 0; i < s->n_msgs; i++) {
		if (s->msgs[i].deleted)
			continue;
		if (uidl)
			pb_buf_printf(&s->out, "%zu %u.%u\r\n", i + 1, s->uidvalidity, s->msgs[i].uid);
		else
			pb_buf_printf(&s->out, "%zu %llu\r\n", i + 1, (unsigned long long)s->msgs[i].size);
	}
	pb_buf_append_str(&s->out, ".\r\n");
	gw_write(s->gs, s->out.data, s->out.len);
}

static void read_next(struct pop3_session *s);

/* The end of a RETR/TOP: its share of the budget of bytes in flight goes back. */
static void retr_end(struct pop3_session *s)
{
	s->retr = false;
	gw_release(s->gs, s->retr_reserved);
	s->retr_reserved = 0;
}

/* A range of the message arrived: stuff it out, then read on when the output has drained. */
static void on_read(void *session, uint64_t arg, struct pb_msg *m)
{
	struct pop3_session *s = session;
	const struct pop3_msg *msg = &s->msgs[s->retr_index];
	uint64_t size;
	const uint8_t *data;
	size_t len;
	bool eof;
	uint32_t code = m != NULL ? reader_client_read_reply(m, &size, &data, &len, &eof)
				  : PB_ERR_TEMP;

	if (!s->retr) { /* not reachable: one read at a time, none after the end */
		resume(s);
		return;
	}
	if (code != PB_OK) {
		pb_error("pop3", "event=read_failed user=%s uid=%u offset=%llu reason=%s",
			 PB_LOGQ(s->user),
			 msg->uid, (unsigned long long)s->retr_offset,
			 m == NULL ? "timeout" : pb_status_name(code));
		retr_end(s);
		if (s->retr_started) /* a multi-line answer cannot turn into -ERR: cut it */
			cut(s);
		else
			send_line(s, "-ERR [SYS/TEMP] Cannot read the message");
		resume(s);
		return;
	}
	pb_buf_reset(&s->out);
	if (!s->retr_started)
		pb_buf_printf(&s->out, "+OK %llu octets\r\n", (unsigned long long)msg->size);
	s->retr_started = true;
	pop3_stuff_feed(&s->stuff, data, len, &s->out);
	s->retr_offset += len;
	if (eof || len == 0 || pop3_stuff_done(&s->stuff)) {
		pop3_stuff_finish(&s->stuff, &s->out);
		retr_end(s);
	}
	gw_write(s->gs, s->out.data, s->out.len);
	if (s->out.cap > 4 * POP3_READ_CHUNK)
		pb_buf_deinit(&s->out); /* do not keep more than a few ranges' worth */
	/* gw_write may have drained the output and run on_drain, which reads on itself */
	if (!s->retr)
		resume(s);
	else if (s->gs->pending == 0 && gw_output_pending(s->gs) < NET_OUT_HIGH)
		read_next(s);
	/* else on_drain reads on */
}

static void read_next(struct pop3_session *s)
{
	struct gw_pending call = call_of(s, on_read, s->retr_index);
	struct pb_sender tx = gw_sender(&call);
	const char *error;

	if (reader_client_read_send(&tx, s->user_id, s->msgs[s->retr_index].blob_key,
				    s->retr_offset, POP3_READ_CHUNK, &error) == 0) {
		gw_pause(s->gs);
		return;
	}
	pb_warn("pop3", "event=read_busy user=%s reason=%s", PB_LOGQ(s->user), PB_LOGQ(error));
	retr_end(s);
	if (s->retr_started)
		cut(s);
	else
		send_line(s, "-ERR [SYS/TEMP] Server busy, try again later");
}

/* RETR and TOP: the message is read range by range (see the top of this file). */
static void do_retr(void *session, const void *cmdp)
{
	struct pop3_session *s = session;
	const struct pop3_cmd *cmd = cmdp;

	/* what the transfer may hold at once: a range in flight and in hand, and the output */
	uint64_t size = s->msgs[cmd->msg - 1].size;
	size_t chunk = size < POP3_READ_CHUNK ? (size_t)size : POP3_READ_CHUNK;
	size_t need = 2 * chunk + (size < NET_OUT_HIGH / 2 ? 2 * (size_t)size + 16 : NET_OUT_HIGH);
	if (!gw_reserve(s->gs, need)) {
		send_line(s, "-ERR [SYS/TEMP] Too many transfers in progress, try again later");
		return;
	}
	s->retr_reserved = need;
	s->retr = true;
	s->retr_started = false;
	s->retr_index = cmd->msg - 1;
	s->retr_offset = 0;
	pop3_stuff_init(&s->stuff, cmd->verb == POP3_VERB_TOP ? (int64_t)cmd->lines : -1);
	read_next(s);
}

static void do_dele(void *session, const void *cmdp)
{
	struct pop3_session *s = session;
	const struct pop3_cmd *cmd = cmdp;
	s->msgs[cmd->msg - 1].deleted = true;
	send_line(s, "+OK Marked to be deleted");
}

static void do_rset(void *session, const void *cmd)
{
	struct pop3_session *s = session;
	for (size_t i = 0; i < s->n_msgs; i++)
		s->msgs[i].deleted = false;
	send_line(s, "+OK");
}

static void do_noop(void *session, const void *cmd)
{
	send_line(session, "+OK");
}

static void on_expunged(void *session, uint64_t arg, struct pb_msg *m)
{
	struct pop3_session *s = session;
	const char *error;

	if (m == NULL || mailbox_client_expunge_reply(m, &error) != PB_OK)
		quit(s, "-ERR [SYS/TEMP] Some deleted messages were not removed");
	else
		quit(s, "+OK Bye");
}

static void do_quit(void *session, const void *cmd)
{
	struct pop3_session *s = session;
	struct pb_u64v uids = { 0 };
	const char *error;

	if (s->state == ST_AUTH) {
		quit(s, "+OK Bye");
		return;
	}
	for (size_t i = 0; i < s->n_msgs; i++) {
		if (s->msgs[i].deleted)
			pb_u64v_push(&uids, s->msgs[i].uid);
	}
	s->state = ST_UPDATE;
	if (uids.n == 0) {
		quit(s, "+OK Bye");
		return;
	}
	struct gw_pending call = call_of(s, on_expunged, 0);
	struct pb_sender tx = gw_sender(&call);
	asked(s, mailbox_client_expunge_send(&tx, s->user_id, "INBOX", uids.v, uids.n, &error));
	pb_u64v_clear(&uids);
}

#define IN_AUTH (1u << ST_AUTH)
#define IN_TRANS (1u << ST_TRANS)
#define NOT_AUTH "-ERR Command not allowed before login"
#define NOT_TRANS "-ERR Command not allowed after login"

static const struct gw_command pop3_commands[] = {
	{ POP3_VERB_USER, IN_AUTH, NOT_TRANS, NULL, do_user },
	{ POP3_VERB_PASS, IN_AUTH, NOT_TRANS, check_pass, do_pass },
	{ POP3_VERB_APOP, 0, "-ERR APOP is not supported", NULL, NULL },
	{ POP3_VERB_STLS, 0, "-ERR STLS is not available", NULL, NULL },
	{ POP3_VERB_AUTH, 0, "-ERR AUTH is not available, use USER and PASS", NULL, NULL },
	{ POP3_VERB_CAPA, IN_AUTH | IN_TRANS, NULL, NULL, do_capa },
	{ POP3_VERB_QUIT, IN_AUTH | IN_TRANS, NULL, NULL, do_quit },
	{ POP3_VERB_STAT, IN_TRANS, NOT_AUTH, NULL, do_stat },
	{ POP3_VERB_LIST, IN_TRANS, NOT_AUTH, check_msg, do_list },
	{ POP3_VERB_UIDL, IN_TRANS, NOT_AUTH, check_msg, do_list },
	{ POP3_VERB_RETR, IN_TRANS, NOT_AUTH, check_msg, do_retr },
	{ POP3_VERB_TOP, IN_TRANS, NOT_AUTH, check_msg, do_retr },
	{ POP3_VERB_DELE, IN_TRANS, NOT_AUTH, check_msg, do_dele },
	{ POP3_VERB_RSET, IN_TRANS, NOT_AUTH, NULL, do_rset },
	{ POP3_VERB_NOOP, IN_TRANS, "-ERR Not logged in", NULL, do_noop },
};

/* ---- input ---- */

/* A refused command: the answer, and past POP3_MAX_BAD_COMMANDS the end of the session (as
 * Dovecot: a client that only sends errors is not a mail client). */
static void bad_command(struct pop3_session *s, const char *prefix, const char *text)
{
	send_line(s, "%s%s", prefix, text);
	if (++s->bad_commands >= POP3_MAX_BAD_COMMANDS)
		quit(s, "-ERR Too many bad commands.");
}

static void handle_command(struct pop3_session *s, const struct pop3_cmd *cmd)
{
	const char *refusal = gw_command_run(pop3_commands, PB_N_ELEMENTS(pop3_commands),
					     s->state, s, cmd->verb, cmd, "-ERR Unknown command");
	if (refusal != NULL)
		bad_command(s, "", refusal);
}

/*
 * Runs the pipelined commands in order. It stops while the output waiting for the peer is
 * above NET_OUT_HIGH: otherwise a few octets of "RETR 1" repeated would make the server
 * hold a copy of the message per command. Reading is paused meanwhile (net-loop), and
 * drain runs the rest once the peer has taken the output.
 */
static void run(struct pop3_session *s)
{
	struct pop3_cmd cmd;

	if (s->running)
		return;
	s->running = true;
	s->out_blocked = false;
	while (!s->closing && s->gs->pending == 0 && !s->retr && s->state != ST_UPDATE) {
		if (gw_output_pending(s->gs) >= NET_OUT_HIGH) {
			s->out_blocked = true;
			break;
		}
		int rc = pop3_parser_next(s->parser, &cmd);
		if (rc == 0)
			break;
		gw_set_deadline(s->gs, POP3_IDLE_TIMEOUT_S * 1000ull);
		if (rc < 0)
			bad_command(s, "-ERR ", cmd.error);
		else
			handle_command(s, &cmd);
	}
	s->running = false;
}

static void on_drain(void *session)
{
	struct pop3_session *s = session;

	if (s->retr && s->gs->pending == 0)
		read_next(s);
	else if (s->out_blocked)
		run(s);
}

static void on_input(void *session, struct pb_buf *in)
{
	struct pop3_session *s = session;

	if (pop3_parser_feed(s->parser, in->data, in->len) < 0) {
		pb_buf_reset(in);
		quit(s, "-ERR Too much pipelined input");
		return;
	}
	pb_buf_reset(in);
	run(s);
}

/* ---- lifecycle ---- */

static void *on_open(struct gw_session *gs, void *server)
{
	struct pop3_session *s = xcalloc(1, sizeof(*s));

	s->gs = gs;
	s->srv = server;
	s->parser = pop3_parser_create();
	gw_event_address(gs, s->holder, sizeof(s->holder));
	pb_buf_init(&s->out);
	send_line(s, "+OK Pillarbox POP3 server ready");
	gw_set_deadline(gs, POP3_IDLE_TIMEOUT_S * 1000ull);
	return s;
}

static void on_timeout(void *session)
{
	/* autologout: no UPDATE state, nothing is deleted (RFC 1939 3) */
	quit(session, "-ERR Autologout; idle for too long");
}

static void unlock(struct pop3_session *s)
{
	struct pb_sender tx = gw_cast_sender(s->gs);
	const char *error;

	if (mailbox_client_lock_send(&tx, s->user_id, s->holder, false, 0, &error) < 0)
		pb_warn("pop3", "event=unlock_failed user=%s reason=%s", PB_LOGQ(s->user),
			PB_LOGQ(error));
}

static void on_close(void *session)
{
	struct pop3_session *s = session;

	if (s->locked)
		unlock(s);
	gw_release(s->gs, s->retr_reserved);
	pop3_parser_destroy(&s->parser);
	free(s->user);
	free(s->msgs);
	pb_buf_deinit(&s->out);
	free(s);
}

static void on_shutdown(void *session)
{
	struct pop3_session *s = session;
	send_line(s, "-ERR Server shutting down");
	s->closing = true;
}

static uint32_t max_connections(const struct pb_settings *s)
{
	return s->limits.pop3_max_connections;
}

const struct gw_proto pop3_proto = {
	.name = "pop3",
	.busy = "-ERR [SYS/TEMP] Too many connections, try again later\r\n",
	.max_connections = max_connections,
	.open = on_open,
	.input = on_input,
	.timeout = on_timeout,
	.drain = on_drain,
	.shutdown = on_shutdown,
	.close = on_close,
};
