/*
 * pop3-session.c: one POP3 session (RFC 1939, RFC 2449 extensions) and the POP3 server.
 * AUTHORIZATION: USER/PASS checked by the directory (an unknown user and a wrong password get
 * the same answer after the same work), then the maildrop lock (one session per maildrop:
 * -ERR [IN-USE]) and the INBOX listing. TRANSACTION: STAT LIST UIDL RETR TOP DELE RSET NOOP.
 * UPDATE: QUIT expunges the deleted messages in one atomic write; a dropped connection
 * deletes nothing.
 * OWNS: struct pop3_session (its maildrop listing and deletion marks). THREAD: the hub thread.
 * MESSAGES sent: DIR_USER_VERIFY_REQ, MBOX_LOCK_REQ, MBOX_LIST_REQ, MBOX_EXPUNGE_REQ, and
 * STORE_READ_REQ for bodies too large to read on the hub thread.
 */
#include "pop3-server.h"

#include "gw-hub.h"
#include "pb-log.h"
#include "pop3-parser.h"
#include "pop3-stuff.h"
#include "store.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#define POP3_IDLE_TIMEOUT_S 600 /* RFC 1939 3: at least 10 minutes */
#define POP3_REQUEST_TIMEOUT_S 60
#define POP3_LOCK_TTL_MS (4ull * 3600 * 1000)
#define POP3_READ_CHUNK 65536
/* Bodies up to this size are read on the hub thread (a few microseconds from RocksDB's
 * memtable or block cache); larger ones by a reader actor, so the loop never waits on disk. */
#define POP3_INLINE_READ_MAX (256 * 1024)

struct pop3_server {
	struct pb_store *store;
	struct gw_hub *hub;
	char hostname[256];
};

enum pop3_state { ST_AUTH, ST_TRANS, ST_UPDATE };
enum pop3_wait { W_NONE, W_VERIFY, W_LOCK, W_LIST, W_READ, W_EXPUNGE };

struct pop3_msg {
	uint32_t uid;
	uint64_t size;
	char blob_key[PB_BLOB_KEY_LEN + 1];
	bool deleted;
};

struct pop3_session {
	struct pop3_server *srv;
	struct net_conn *conn;
	struct pop3_parser *parser;
	enum pop3_state state;
	enum pop3_wait wait;
	bool closing, locked;
	bool running;     /* inside run(): a write that drains must not re-enter it */
	bool out_blocked; /* run() stopped at NET_OUT_HIGH; on_drain resumes it */
	char *user;      /* from USER */
	uint64_t user_id;
	char holder[48]; /* the lock holder name */
	uint32_t uidvalidity;
	struct pop3_msg *msgs;
	size_t n_msgs;
	struct pop3_msg *reading; /* the message a reader actor is fetching */
	int64_t reading_top;      /* its TOP line count, -1 for RETR */
	struct pb_buf out;
};

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
	net_conn_write(s->conn, line, (size_t)n + 2);
}

static void quit(struct pop3_session *s, const char *text)
{
	send_line(s, "%s", text);
	s->closing = true;
	net_conn_close(s->conn, true);
}

static void set_deadline(struct pop3_session *s, uint32_t seconds)
{
	net_conn_set_deadline(s->conn, net_loop_now(gw_hub_loop(s->srv->hub)) + seconds * 1000ull);
}

/* Sends a request and waits for its reply (reading paused). */
static void ask(struct pop3_session *s, struct pb_msg *m, enum pop3_wait wait)
{
	const char *error;

	if (gw_hub_request(s->srv->hub, s->conn, NULL, m, &error) < 0) {
		send_line(s, "-ERR [SYS/TEMP] Server busy, try again later");
		s->wait = W_NONE;
	} else {
		s->wait = wait;
		net_conn_pause(s->conn);
		set_deadline(s, POP3_REQUEST_TIMEOUT_S);
	}
	pb_msg_free(m);
}

/* Looks up message number n (1-based), answering the error itself. */
static struct pop3_msg *msg_get(struct pop3_session *s, uint32_t n)
{
	if (n == 0 || n > s->n_msgs) {
		send_line(s, "-ERR No such message");
		return NULL;
	}
	if (s->msgs[n - 1].deleted) {
		send_line(s, "-ERR Message %u already deleted", n);
		return NULL;
	}
	return &s->msgs[n - 1];
}

/* ---- AUTHORIZATION ---- */

static void cmd_capa(struct pop3_session *s)
{
	net_conn_write_str(s->conn, "+OK Capability list follows\r\nTOP\r\nUSER\r\nUIDL\r\n"
				    "RESP-CODES\r\nAUTH-RESP-CODE\r\nPIPELINING\r\n"
				    "EXPIRE NEVER\r\nIMPLEMENTATION Pillarbox\r\n.\r\n");
}

static void cmd_user(struct pop3_session *s, const struct pop3_cmd *cmd)
{
	free(s->user);
	s->user = xstrdup(cmd->arg);
	send_line(s, "+OK");
}

static void cmd_pass(struct pop3_session *s, const struct pop3_cmd *cmd)
{
	struct pb_msg m;

	if (s->user == NULL) {
		send_line(s, "-ERR No username given");
		return;
	}
	pb_msg_init(&m, MSG_DIR_USER_VERIFY_REQ);
	m.u.dir_user_verify_req.key = net_conn_id(s->conn);
	m.u.dir_user_verify_req.user = xstrdup(s->user);
	m.u.dir_user_verify_req.password = xstrdup(cmd->arg);
	ask(s, &m, W_VERIFY);
}

static void auth_state(struct pop3_session *s, const struct pop3_cmd *cmd)
{
	switch (cmd->verb) {
	case POP3_VERB_USER: cmd_user(s, cmd); break;
	case POP3_VERB_PASS: cmd_pass(s, cmd); break;
	case POP3_VERB_CAPA: cmd_capa(s); break;
	case POP3_VERB_QUIT: quit(s, "+OK Bye"); break;
	case POP3_VERB_APOP: send_line(s, "-ERR APOP is not supported"); break;
	case POP3_VERB_STLS: send_line(s, "-ERR STLS is not available"); break;
	case POP3_VERB_AUTH: send_line(s, "-ERR AUTH is not available, use USER and PASS"); break;
	case POP3_VERB_NOOP: send_line(s, "-ERR Not logged in"); break;
	default: send_line(s, "-ERR Unknown command or not allowed before login"); break;
	}
}

/* ---- TRANSACTION ---- */

static void cmd_stat(struct pop3_session *s)
{
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
static void cmd_list(struct pop3_session *s, const struct pop3_cmd *cmd, bool uidl)
{
	struct pop3_msg *m;

	if (cmd->has_msg) {
		if ((m = msg_get(s, cmd->msg)) == NULL)
			return;
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
	net_conn_write(s->conn, s->out.data, s->out.len);
}

/* Sends the body of m, byte-stuffed (RETR: top < 0; TOP: top lines). */
static void send_body(struct pop3_session *s, const struct pop3_msg *m, int64_t top,
		      const uint8_t *body, size_t len)
{
	struct pop3_stuff st;

	pb_buf_reset(&s->out);
	pb_buf_printf(&s->out, "+OK %llu octets\r\n", (unsigned long long)m->size);
	pop3_stuff_init(&st, top);
	for (size_t off = 0; off < len && !pop3_stuff_done(&st); off += POP3_READ_CHUNK) {
		size_t n = len - off < POP3_READ_CHUNK ? len - off : POP3_READ_CHUNK;
		pop3_stuff_feed(&st, body + off, n, &s->out);
	}
	pop3_stuff_finish(&st, &s->out);
	net_conn_write(s->conn, s->out.data, s->out.len);
	if (s->out.cap > 4 * POP3_READ_CHUNK)
		pb_buf_deinit(&s->out); /* do not keep a big message's worth of memory */
}

static void read_failed(struct pop3_session *s, const struct pop3_msg *m, const char *why)
{
	pb_error("pop3", "event=read_failed user=%s uid=%u reason=\"%s\"", s->user, m->uid, why);
	send_line(s, "-ERR [SYS/TEMP] Cannot read the message");
}

/* RETR (top < 0) and TOP: small bodies inline, large ones through a reader actor. */
static void cmd_retr(struct pop3_session *s, const struct pop3_cmd *cmd, int64_t top)
{
	struct pop3_msg *m = msg_get(s, cmd->msg);
	struct pb_buf body;
	struct pb_msg req;
	const char *error;

	if (m == NULL)
		return;
	if (m->size > POP3_INLINE_READ_MAX) {
		pb_msg_init(&req, MSG_STORE_READ_REQ);
		req.u.store_read_req.key = net_conn_id(s->conn);
		req.u.store_read_req.blob_key = xstrdup(m->blob_key);
		s->reading = m;
		s->reading_top = top;
		ask(s, &req, W_READ);
		return;
	}
	pb_buf_init(&body);
	int found = pb_store_blob_get(s->srv->store, m->blob_key, &body, &error);
	if (found <= 0)
		read_failed(s, m, found < 0 ? error : "body missing");
	else
		send_body(s, m, top, (const uint8_t *)body.data, body.len);
	pb_buf_deinit(&body);
}

static void on_read(struct pop3_session *s, struct pb_msg *m)
{
	if (m->type != MSG_STORE_READ_REP || pb_msg_status(m, NULL) != PB_OK)
		read_failed(s, s->reading, "the reader failed");
	else
		send_body(s, s->reading, s->reading_top, m->u.store_read_rep.body.data,
			  m->u.store_read_rep.body.len);
	s->reading = NULL;
}

static void cmd_quit_update(struct pop3_session *s)
{
	struct pb_msg m;
	bool any = false;

	pb_msg_init(&m, MSG_MBOX_EXPUNGE_REQ);
	m.u.mbox_expunge_req.user_id = s->user_id;
	m.u.mbox_expunge_req.folder = xstrdup("INBOX");
	for (size_t i = 0; i < s->n_msgs; i++) {
		if (s->msgs[i].deleted) {
			pb_u64v_push(&m.u.mbox_expunge_req.uids, s->msgs[i].uid);
			any = true;
		}
	}
	s->state = ST_UPDATE;
	if (!any) {
		pb_msg_free(&m);
		quit(s, "+OK Bye");
		return;
	}
	ask(s, &m, W_EXPUNGE);
}

static void trans_state(struct pop3_session *s, const struct pop3_cmd *cmd)
{
	struct pop3_msg *m;

	switch (cmd->verb) {
	case POP3_VERB_STAT: cmd_stat(s); break;
	case POP3_VERB_LIST: cmd_list(s, cmd, false); break;
	case POP3_VERB_UIDL: cmd_list(s, cmd, true); break;
	case POP3_VERB_RETR: cmd_retr(s, cmd, -1); break;
	case POP3_VERB_TOP: cmd_retr(s, cmd, cmd->lines); break;
	case POP3_VERB_DELE:
		if ((m = msg_get(s, cmd->msg)) != NULL) {
			m->deleted = true;
			send_line(s, "+OK Marked to be deleted");
		}
		break;
	case POP3_VERB_RSET:
		for (size_t i = 0; i < s->n_msgs; i++)
			s->msgs[i].deleted = false;
		send_line(s, "+OK");
		break;
	case POP3_VERB_NOOP: send_line(s, "+OK"); break;
	case POP3_VERB_CAPA: cmd_capa(s); break;
	case POP3_VERB_QUIT: cmd_quit_update(s); break;
	default: send_line(s, "-ERR Unknown command or not allowed after login"); break;
	}
}

/* ---- input ---- */

/*
 * Runs the pipelined commands in order. It stops while the output waiting for the peer is
 * above NET_OUT_HIGH: otherwise a few octets of "RETR 1" repeated would make the server
 * hold a copy of the message per command. Reading is paused meanwhile (net-loop), and
 * on_drain runs the rest once the peer has taken the output.
 */
static void run(struct pop3_session *s)
{
	struct pop3_cmd cmd;

	if (s->running)
		return;
	s->running = true;
	s->out_blocked = false;
	while (!s->closing && s->wait == W_NONE && s->state != ST_UPDATE) {
		if (net_conn_output_pending(s->conn) >= NET_OUT_HIGH) {
			s->out_blocked = true;
			break;
		}
		int rc = pop3_parser_next(s->parser, &cmd);
		if (rc == 0)
			break;
		set_deadline(s, POP3_IDLE_TIMEOUT_S);
		if (rc < 0) {
			send_line(s, "-ERR %s", cmd.error);
			continue;
		}
		if (s->state == ST_AUTH)
			auth_state(s, &cmd);
		else
			trans_state(s, &cmd);
	}
	s->running = false;
}

static void on_drain(void *session, struct net_conn *c)
{
	struct pop3_session *s = session;

	if (s->out_blocked)
		run(s);
}

static void on_input(void *session, struct net_conn *c)
{
	struct pop3_session *s = session;
	struct pb_buf *in = net_conn_input(c);

	if (pop3_parser_feed(s->parser, in->data, in->len) < 0) {
		pb_buf_reset(in);
		quit(s, "-ERR Too much pipelined input");
		return;
	}
	pb_buf_reset(in);
	run(s);
}

/* ---- replies ---- */

static void on_verified(struct pop3_session *s, struct pb_msg *m)
{
	struct pb_msg req;

	if (pb_msg_status(m, NULL) != PB_OK || m->type != MSG_DIR_USER_VERIFY_REP) {
		pb_log_security("pop3", "event=login_failed user=%s peer=%s", s->user,
				net_conn_peer(s->conn));
		send_line(s, pb_msg_status(m, NULL) == PB_ERR_AUTH ? "-ERR [AUTH] Authentication failed."
							  : "-ERR [SYS/TEMP] Try again later");
		return;
	}
	s->user_id = m->u.dir_user_verify_rep.user_id;
	pb_str_set(&s->user, m->u.dir_user_verify_rep.user);
	pb_msg_init(&req, MSG_MBOX_LOCK_REQ);
	req.u.mbox_lock_req.user_id = s->user_id;
	req.u.mbox_lock_req.holder = xstrdup(s->holder);
	req.u.mbox_lock_req.on = 1;
	req.u.mbox_lock_req.ttl_ms = POP3_LOCK_TTL_MS;
	ask(s, &req, W_LOCK);
}

static void on_locked(struct pop3_session *s, struct pb_msg *m)
{
	struct pb_msg req;

	if (pb_msg_status(m, NULL) != PB_OK) {
		send_line(s, pb_msg_status(m, NULL) == PB_ERR_EXISTS
				     ? "-ERR [IN-USE] Mailbox is locked by another POP3 session"
				     : "-ERR [SYS/TEMP] Try again later");
		return;
	}
	s->locked = true;
	pb_msg_init(&req, MSG_MBOX_LIST_REQ);
	req.u.mbox_list_req.user_id = s->user_id;
	req.u.mbox_list_req.folder = xstrdup("INBOX");
	ask(s, &req, W_LIST);
}

static void on_listed(struct pop3_session *s, struct pb_msg *m)
{
	if (pb_msg_status(m, NULL) != PB_OK || m->type != MSG_MBOX_LIST_REP) {
		send_line(s, "-ERR [SYS/TEMP] Cannot open the mailbox");
		return;
	}
	struct msg_mbox_list_rep *r = &m->u.mbox_list_rep;
	s->uidvalidity = r->uidvalidity;
	s->n_msgs = r->uids.n;
	s->msgs = xcalloc(s->n_msgs, sizeof(*s->msgs));
	for (size_t i = 0; i < s->n_msgs; i++) {
		s->msgs[i].uid = (uint32_t)r->uids.v[i];
		s->msgs[i].size = r->sizes.v[i];
		snprintf(s->msgs[i].blob_key, sizeof(s->msgs[i].blob_key), "%s", r->blob_keys.v[i]);
	}
	s->state = ST_TRANS;
	pb_log_security("pop3", "event=login user=%s peer=%s", s->user, net_conn_peer(s->conn));
	send_line(s, "+OK Logged in, %zu messages", s->n_msgs);
}

static void on_expunged(struct pop3_session *s, struct pb_msg *m)
{
	if (pb_msg_status(m, NULL) != PB_OK)
		quit(s, "-ERR [SYS/TEMP] Some deleted messages were not removed");
	else
		quit(s, "+OK Bye");
}

static void on_reply(void *session, struct net_conn *c, struct pb_msg *m)
{
	struct pop3_session *s = session;
	enum pop3_wait wait = s->wait;

	if (wait == W_NONE)
		return;
	s->wait = W_NONE;
	if (wait == W_VERIFY)
		on_verified(s, m);
	else if (wait == W_LOCK)
		on_locked(s, m);
	else if (wait == W_LIST)
		on_listed(s, m);
	else if (wait == W_READ)
		on_read(s, m);
	else
		on_expunged(s, m);
	if (s->closing || s->wait != W_NONE)
		return;
	net_conn_resume(c);
	set_deadline(s, POP3_IDLE_TIMEOUT_S);
	run(s);
}

/* ---- lifecycle ---- */

static void *on_accept(struct net_conn *c, void *listen_ctx)
{
	struct pop3_session *s = xcalloc(1, sizeof(*s));

	s->srv = listen_ctx;
	s->conn = c;
	s->parser = pop3_parser_create();
	snprintf(s->holder, sizeof(s->holder), "pop3/%llu", (unsigned long long)net_conn_id(c));
	pb_buf_init(&s->out);
	send_line(s, "+OK Pillarbox POP3 server ready");
	set_deadline(s, POP3_IDLE_TIMEOUT_S);
	return s;
}

static void on_timeout(void *session, struct net_conn *c)
{
	struct pop3_session *s = session;

	if (s->wait != W_NONE) {
		s->wait = W_NONE;
		send_line(s, "-ERR [SYS/TEMP] The server did not answer in time");
		if (s->state == ST_UPDATE) {
			s->closing = true;
			net_conn_close(c, true);
			return;
		}
		net_conn_resume(c);
		set_deadline(s, POP3_IDLE_TIMEOUT_S);
		run(s);
		return;
	}
	/* autologout: no UPDATE state, nothing is deleted (RFC 1939 3) */
	quit(s, "-ERR Autologout; idle for too long");
}

static void on_close(void *session, struct net_conn *c)
{
	struct pop3_session *s = session;
	struct pb_msg m;
	const char *error;

	if (s->locked) {
		pb_msg_init(&m, MSG_MBOX_LOCK_REQ);
		m.u.mbox_lock_req.user_id = s->user_id;
		m.u.mbox_lock_req.holder = xstrdup(s->holder);
		m.u.mbox_lock_req.on = 0;
		if (pb_cast(gw_hub_runtime(s->srv->hub), NULL, &m, &error) < 0)
			pb_warn("pop3", "event=unlock_failed user=%s reason=\"%s\"", s->user, error);
		pb_msg_free(&m);
	}
	pop3_parser_destroy(&s->parser);
	free(s->user);
	free(s->msgs);
	pb_buf_deinit(&s->out);
	free(s);
}

static void on_shutdown(void *session, struct net_conn *c)
{
	struct pop3_session *s = session;
	send_line(s, "-ERR Server shutting down");
	s->closing = true;
}

static bool busy(void *session)
{
	struct pop3_session *s = session;
	return s->wait != W_NONE;
}

static const struct net_proto pop3_proto = {
	.on_accept = on_accept,
	.on_input = on_input,
	.on_timeout = on_timeout,
	.on_close = on_close,
	.on_drain = on_drain,
};

static const struct gw_hub_def pop3_hub_def = {
	.name = "pop3",
	.proto = &pop3_proto,
	.on_reply = on_reply,
	.on_shutdown = on_shutdown,
	.busy = busy,
};

int pop3_server_start(struct pb_runtime *rt, struct pb_store *store, const struct pb_config *cfg,
		      const char *hostname, struct pop3_server **srv_r, char **error_r)
{
	struct pop3_server *srv = xcalloc(1, sizeof(*srv));
	struct gw_listen ls = { cfg->bindings[PB_SVC_POP3], cfg->n_bindings[PB_SVC_POP3], srv, "pop3" };

	srv->store = store;
	snprintf(srv->hostname, sizeof(srv->hostname), "%s", hostname);
	if (gw_hub_start(rt, &pop3_hub_def, &ls, 1, srv, &srv->hub, error_r) < 0) {
		free(srv);
		return -1;
	}
	*srv_r = srv;
	return 0;
}

void pop3_server_stop(struct pop3_server **srvp)
{
	struct pop3_server *srv = *srvp;
	if (srv == NULL)
		return;
	gw_hub_stop(&srv->hub);
	free(srv);
	*srvp = NULL;
}
