/*
 * pop3-session.c: one POP3 session (RFC 1939, RFC 2449 extensions) on the session skeleton.
 * AUTHORIZATION: USER/PASS or AUTH (pop3-auth.c, over gateways/net/gw-login.h) checked by the
 * auth shards (an unknown user
 * and a wrong password get the same answer after the same work; USER/PASS and the plaintext
 * mechanisms only under TLS, from loopback or with security.allow_plaintext_auth), then the maildrop lock (one session per
 * maildrop: -ERR [IN-USE]) and the INBOX listing. TRANSACTION: STAT LIST UIDL RETR TOP DELE
 * RSET NOOP. UPDATE: QUIT expunges the deleted messages in one atomic write; a dropped
 * connection deletes nothing.
 * OWNS: struct pop3_session (its maildrop listing and deletion marks). THREAD: the hub thread.
 * The lockout guard is asked at accept (the greeting waits for it: a blocked address hears
 * -ERR [SYS/TEMP] and the connection ends) and after each password check (a locked account or
 * a blocked address fails the login with the wrong-password reply, whatever the password).
 * MESSAGES sent (through typed client stubs): LOCKOUT_CHECK_IP_REQ (and, through gw-login.c,
 * AUTH_USER_VERIFY_REQ, AUTH_SCRAM_CREDS_REQ, LOCKOUT_LOGIN_REQ), MBOX_LOCK_REQ,
 * MBOX_LIST_REQ, MBOX_EXPUNGE_REQ, READER_READ_REQ and READER_READ_MANY_REQ (pop3-retr.c;
 * DELE only marks: the one write is QUIT's expunge) — each a call with its
 * own continuation; a reply that comes after its call timed out is dropped by the skeleton, so
 * a late body can never answer a later RETR.
 *
 * RETR and TOP, and the read-ahead that spares them a reader round trip, are in pop3-retr.c.
 */
#include "pop3-session-int.h"

#include "gw-guard.h"
#include "mailbox-client.h"
#include "pb-log.h"
#include "pb-settings.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static void run(struct pop3_session *s);

void pop3_send_line(struct pop3_session *s, const char *fmt, ...)
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
void pop3_cut(struct pop3_session *s)
{
	s->closing = true;
	gw_close(s->gs, true);
}

void pop3_quit(struct pop3_session *s, const char *text)
{
	pop3_send_line(s, "%s", text);
	s->closing = true;
	gw_close(s->gs, true);
}

/* A call of this session whose reply runs cont(s, arg, reply); sent through a stub with
 * gw_sender(&call). */
struct gw_pending pop3_call_of(struct pop3_session *s, gw_cont_fn *cont, uint64_t arg)
{
	return (struct gw_pending){ s->gs, cont, arg, POP3_REQUEST_TIMEOUT_MS };
}

/* After a stub's send: waits for the reply, or answers -ERR when nothing was sent. */
static void asked(struct pop3_session *s, int rc)
{
	if (rc == 0)
		gw_pause(s->gs);
	else if (s->state == ST_UPDATE)
		pop3_quit(s, "-ERR [SYS/TEMP] Some deleted messages were not removed");
	else
		pop3_send_line(s, "-ERR [SYS/TEMP] Server busy, try again later");
}

/* After a continuation: read on (unless another call went out or the session ends). */
void pop3_resume(struct pop3_session *s)
{
	if (s->closing || pop3_waiting(s))
		return;
	gw_resume(s->gs);
	gw_set_deadline(s->gs, POP3_IDLE_TIMEOUT_S * 1000ull);
	run(s);
}

static bool timed_out(struct pop3_session *s, const struct pb_msg *m)
{
	if (m != NULL)
		return false;
	pop3_send_line(s, "-ERR [SYS/TEMP] The server did not answer in time");
	return true;
}

/* ---- AUTHORIZATION ---- */

static void do_capa(void *session, const void *cmd)
{
	struct pop3_session *s = session;
	gw_write_str(s->gs, "+OK Capability list follows\r\nTOP\r\n");
	if (pop3_plaintext_ok(s))
		gw_write_str(s->gs, "USER\r\n");
	pb_buf_reset(&s->out);
	pb_buf_append_str(&s->out, "SASL ");
	gw_login_mechs(&s->login, s->srv->allow_plaintext_auth, " ", &s->out);
	gw_write(s->gs, s->out.data, s->out.len);
	gw_write_str(s->gs, "\r\nUIDL\r\nRESP-CODES\r\nAUTH-RESP-CODE\r\nPIPELINING\r\n");
	if (s->state == ST_AUTH && gw_tls_offered(s->gs)) /* RFC 2595 4 */
		gw_write_str(s->gs, "STLS\r\n");
	gw_write_str(s->gs, "EXPIRE NEVER\r\nIMPLEMENTATION Pillarbox\r\n.\r\n");
}

static void do_user(void *session, const void *cmdp)
{
	struct pop3_session *s = session;
	const struct pop3_cmd *cmd = cmdp;
	pb_str_set(&s->user, cmd->arg);
	pop3_send_line(s, "+OK");
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
		pop3_send_line(s, "-ERR [SYS/TEMP] Cannot open the mailbox");
	} else {
		add_listed(s, arg, &r);
		mailbox_list_free(&r);
		if (r.next_uid != 0) {
			struct mailbox_list_query next = { .folder = "INBOX", .uid_first = r.next_uid };
			struct gw_pending call = pop3_call_of(s, on_listed, arg + 1);
			struct pb_sender tx = gw_sender(&call);
			asked(s, mailbox_client_list_send(&tx, s->user_id, &next, &error));
			pop3_resume(s);
			return;
		}
		s->state = ST_TRANS;
		pop3_send_line(s, "+OK Logged in, %zu messages", s->n_msgs);
		pop3_prefetch(s, 0);
	}
	pop3_resume(s);
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
		pop3_send_line(s, code == PB_ERR_EXISTS
				     ? "-ERR [IN-USE] Mailbox is locked by another POP3 session"
				     : "-ERR [SYS/TEMP] Try again later");
	} else {
		s->locked = true;
		struct gw_pending call = pop3_call_of(s, on_listed, 0);
		struct pb_sender tx = gw_sender(&call);
		asked(s, mailbox_client_list_send(&tx, s->user_id, NULL, &error)); /* INBOX */
	}
	pop3_resume(s);
}

void pop3_logged_in(struct pop3_session *s)
{
	const char *error;

	s->user_id = s->login.user_id;
	free(s->user);
	s->user = s->login.account;
	s->login.account = NULL;
	struct gw_pending call = pop3_call_of(s, on_locked, 0);
	struct pb_sender tx = gw_sender(&call);
	asked(s, mailbox_client_lock_send(&tx, s->user_id, s->holder, true, POP3_LOCK_TTL_MS,
					  &error));
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
	pop3_send_line(s, "+OK %llu %llu", (unsigned long long)n, (unsigned long long)bytes);
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
			pop3_send_line(s, "+OK %u %u.%u", cmd->msg, s->uidvalidity, m->uid);
		else
			pop3_send_line(s, "+OK %u %llu", cmd->msg, (unsigned long long)m->size);
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

static void do_dele(void *session, const void *cmdp)
{
	struct pop3_session *s = session;
	const struct pop3_cmd *cmd = cmdp;
	s->msgs[cmd->msg - 1].deleted = true;
	pop3_send_line(s, "+OK Marked to be deleted");
}

static void do_rset(void *session, const void *cmd)
{
	struct pop3_session *s = session;
	for (size_t i = 0; i < s->n_msgs; i++)
		s->msgs[i].deleted = false;
	pop3_send_line(s, "+OK");
}

static void do_noop(void *session, const void *cmd)
{
	pop3_send_line(session, "+OK");
}

static void on_expunged(void *session, uint64_t arg, struct pb_msg *m)
{
	struct pop3_session *s = session;
	const char *error;

	if (m == NULL || mailbox_client_expunge_reply(m, &error) != PB_OK)
		pop3_quit(s, "-ERR [SYS/TEMP] Some deleted messages were not removed");
	else
		pop3_quit(s, "+OK Bye");
}

static void do_quit(void *session, const void *cmd)
{
	struct pop3_session *s = session;
	struct pb_u64v uids = { 0 };
	const char *error;

	if (s->state == ST_AUTH) {
		pop3_quit(s, "+OK Bye");
		return;
	}
	for (size_t i = 0; i < s->n_msgs; i++) {
		if (s->msgs[i].deleted)
			pb_u64v_push(&uids, s->msgs[i].uid);
	}
	s->state = ST_UPDATE;
	if (uids.n == 0) {
		pop3_quit(s, "+OK Bye");
		return;
	}
	struct gw_pending call = pop3_call_of(s, on_expunged, 0);
	struct pb_sender tx = gw_sender(&call);
	asked(s, mailbox_client_expunge_send(&tx, s->user_id, "INBOX", uids.v, uids.n, &error));
	pb_u64v_clear(&uids);
}

static const char *check_stls(const void *session, const void *cmd)
{
	const struct pop3_session *s = session;
	if (gw_tls_active(s->gs))
		return "-ERR Command not permitted when TLS active";
	return gw_tls_offered(s->gs) ? NULL : "-ERR STLS is not available";
}

/* Every byte pipelined after STLS was sent in clear: dropped (CVE-2011-0411). */
static void do_stls(void *session, const void *cmd)
{
	struct pop3_session *s = session;
	const char *error;

	pop3_parser_discard_pending(s->parser);
	if (gw_starttls(s->gs, "+OK Begin TLS negotiation\r\n", &error) < 0)
		pop3_send_line(s, "-ERR [SYS/TEMP] %s", error);
}

/* The handshake after STLS ended: AUTHORIZATION afresh (RFC 2595 4), a USER forgotten. */
static void on_tls_started(void *session)
{
	struct pop3_session *s = session;
	pb_str_set(&s->user, NULL);
}

#define IN_AUTH (1u << ST_AUTH)
#define IN_TRANS (1u << ST_TRANS)
#define NOT_AUTH "-ERR Command not allowed before login"
#define NOT_TRANS "-ERR Command not allowed after login"

static const struct gw_command pop3_commands[] = {
	{ POP3_VERB_USER, IN_AUTH, NOT_TRANS, pop3_check_user, do_user },
	{ POP3_VERB_PASS, IN_AUTH, NOT_TRANS, pop3_check_pass, pop3_do_pass },
	{ POP3_VERB_APOP, 0, "-ERR APOP is not supported", NULL, NULL },
	{ POP3_VERB_STLS, IN_AUTH, NOT_TRANS, check_stls, do_stls },
	{ POP3_VERB_AUTH, IN_AUTH, NOT_TRANS, pop3_check_auth, pop3_do_auth },
	{ POP3_VERB_CAPA, IN_AUTH | IN_TRANS, NULL, NULL, do_capa },
	{ POP3_VERB_QUIT, IN_AUTH | IN_TRANS, NULL, NULL, do_quit },
	{ POP3_VERB_STAT, IN_TRANS, NOT_AUTH, NULL, do_stat },
	{ POP3_VERB_LIST, IN_TRANS, NOT_AUTH, check_msg, do_list },
	{ POP3_VERB_UIDL, IN_TRANS, NOT_AUTH, check_msg, do_list },
	{ POP3_VERB_RETR, IN_TRANS, NOT_AUTH, check_msg, pop3_do_retr },
	{ POP3_VERB_TOP, IN_TRANS, NOT_AUTH, check_msg, pop3_do_retr },
	{ POP3_VERB_DELE, IN_TRANS, NOT_AUTH, check_msg, do_dele },
	{ POP3_VERB_RSET, IN_TRANS, NOT_AUTH, NULL, do_rset },
	{ POP3_VERB_NOOP, IN_TRANS, "-ERR Not logged in", NULL, do_noop },
};

/* ---- input ---- */

/* A refused command: the answer, and past POP3_MAX_BAD_COMMANDS the end of the session (as
 * Dovecot: a client that only sends errors is not a mail client). */
static void bad_command(struct pop3_session *s, const char *prefix, const char *text)
{
	pop3_send_line(s, "%s%s", prefix, text);
	if (++s->bad_commands >= POP3_MAX_BAD_COMMANDS)
		pop3_quit(s, "-ERR Too many bad commands.");
}

static void handle_command(struct pop3_session *s, const struct pop3_cmd *cmd)
{
	const char *refusal = gw_command_run(pop3_commands, PB_N_ELEMENTS(pop3_commands),
					     s->state, s, cmd->verb, cmd, "-ERR Unknown command");
	if (refusal != NULL)
		bad_command(s, "", refusal);
}

/* The client's response to an AUTH challenge: false when none is buffered yet. */
static bool auth_line(struct pop3_session *s)
{
	const char *line;
	size_t len;
	int rc = pop3_parser_next_line(s->parser, &line, &len);

	if (rc == 0)
		return false;
	gw_set_deadline(s->gs, POP3_IDLE_TIMEOUT_S * 1000ull);
	pop3_auth_line(s, rc > 0 ? line : NULL);
	return true;
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
	while (!s->closing && !pop3_waiting(s) && !s->retr && s->state != ST_UPDATE) {
		if (gw_output_pending(s->gs) >= NET_OUT_HIGH) {
			s->out_blocked = true;
			break;
		}
		if (s->login.want_line) {
			if (!auth_line(s))
				break;
			continue;
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

	if (s->retr)
		pop3_retr_drain(s);
	else if (s->out_blocked)
		run(s);
}

static void on_input(void *session, struct pb_buf *in)
{
	struct pop3_session *s = session;

	if (pop3_parser_feed(s->parser, in->data, in->len) < 0) {
		pb_buf_reset(in);
		pop3_quit(s, "-ERR Too much pipelined input");
		return;
	}
	pb_buf_reset(in);
	run(s);
}

/* ---- lifecycle ---- */

/* The guard's answer at accept: a blocked address hears why and is closed; no answer greets. */
static void on_guard_checked(void *session, uint64_t arg, struct pb_msg *m)
{
	struct pop3_session *s = session;

	if (gw_guard_blocked(m)) {
		pb_info("pop3", "event=refused_blocked ip=%s", gw_peer(s->gs));
		pop3_quit(s, "-ERR [SYS/TEMP] " LOCKOUT_BLOCKED_TEXT);
		return;
	}
	pop3_send_line(s, "+OK Pillarbox POP3 server ready");
	pop3_resume(s);
}

static void *on_open(struct gw_session *gs, void *server)
{
	struct pop3_session *s = xcalloc(1, sizeof(*s));
	const char *error;

	s->gs = gs;
	s->srv = server;
	s->parser = pop3_parser_create();
	gw_event_address(gs, s->holder, sizeof(s->holder));
	gw_login_init(&s->login, gs, "pop3", &pop3_login_ops, POP3_REQUEST_TIMEOUT_MS);
	pb_buf_init(&s->out);
	gw_set_deadline(gs, POP3_IDLE_TIMEOUT_S * 1000ull);
	if (gw_guard_check_ip(gs, on_guard_checked, 0, &error) == 0) {
		gw_pause(gs);
		return s;
	}
	pb_warn("pop3", "event=lockout_unreachable reason=%s", PB_LOGQ(error));
	pop3_send_line(s, "+OK Pillarbox POP3 server ready");
	return s;
}

static void on_timeout(void *session)
{
	/* autologout: no UPDATE state, nothing is deleted (RFC 1939 3) */
	pop3_quit(session, "-ERR Autologout; idle for too long");
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
	gw_login_deinit(&s->login);
	gw_release(s->gs, s->retr_reserved);
	pop3_prefetch_deinit(s);
	pop3_parser_destroy(&s->parser);
	free(s->user);
	free(s->msgs);
	pb_buf_deinit(&s->out);
	free(s);
}

static void on_shutdown(void *session)
{
	struct pop3_session *s = session;
	pop3_send_line(s, "-ERR Server shutting down");
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
	.tls_started = on_tls_started,
	.tick = pop3_server_tick,
};
