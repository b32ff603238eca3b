/*
 * smtp-session.c: one SMTP session (RFC 5321) — commands, the mail transaction, DATA and
 * BDAT content, recipient checks through the directory and the durable spool write that
 * comes before every "250 queued".
 * OWNS: struct smtp_session (parser, transaction, body buffer). THREAD: the hub thread.
 * MESSAGES sent: DIR_RCPT_CHECK_REQ, SPOOL_PUT_REQ; their replies arrive via on_reply.
 *
 * The session runs its input until it must ask an actor; then it pauses reading (pipelined
 * commands stay buffered in the parser, in order) and resumes when the reply comes.
 */
#include "smtp-session.h"

#include "pb-log.h"
#include "smtp-data.h"
#include "smtp-parser.h"
#include "store.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#define SMTP_REQUEST_TIMEOUT_MS 60000

enum smtp_mode { MODE_CMD, MODE_DATA, MODE_BDAT, MODE_WAIT };
enum smtp_wait { WAIT_NONE, WAIT_RCPT, WAIT_SPOOL };

struct smtp_session {
	struct smtp_server *srv;
	struct net_conn *conn;
	struct smtp_parser *parser;
	enum smtp_mode mode;
	enum smtp_wait wait;
	bool esmtp, greeted, closing;
	char helo[256];
	uint32_t errors;
	/* the mail transaction */
	bool in_tx, tx_smtputf8, bdat_discard;
	char *sender;
	struct pb_strv rcpts;
	struct pb_u64v rcpt_ids;
	char *checking; /* the recipient being checked */
	char tx_id[32];
	struct pb_buf body;
	struct smtp_data data;
	struct smtp_bdat bdat;
	struct pb_buf out; /* replies being built */
};

static void reply(struct smtp_session *s, int code, const char *enhanced, const char *text)
{
	pb_buf_reset(&s->out);
	smtp_reply_format(&s->out, code, enhanced, text);
	net_conn_write(s->conn, s->out.data, s->out.len);
}

static void reply_r(struct smtp_session *s, const struct smtp_reply *r)
{
	pb_buf_reset(&s->out);
	smtp_reply_append(&s->out, r);
	net_conn_write(s->conn, s->out.data, s->out.len);
	if (r->close) {
		s->closing = true;
		net_conn_close(s->conn, true);
	}
}

static void close_with(struct smtp_session *s, int code, const char *enhanced, const char *text)
{
	reply(s, code, enhanced, text);
	s->closing = true;
	net_conn_close(s->conn, true);
}

static void set_deadline(struct smtp_session *s, uint32_t seconds)
{
	net_conn_set_deadline(s->conn, net_loop_now(gw_hub_loop(s->srv->hub)) + seconds * 1000ull);
}

static void tx_reset(struct smtp_session *s)
{
	s->in_tx = s->tx_smtputf8 = s->bdat_discard = false;
	free(s->sender);
	s->sender = NULL;
	pb_strv_clear(&s->rcpts);
	pb_u64v_clear(&s->rcpt_ids);
	pb_buf_deinit(&s->body);
}

/* Counts a client error; too many ends the session (as Postfix's smtpd_hard_error_limit). */
static void client_error(struct smtp_session *s)
{
	if (++s->errors >= s->srv->settings.max_errors)
		close_with(s, 421, "4.7.0", "Error: too many errors");
}

/* ---- the trace headers and the spool write ---- */

static void rfc5322_date(char *buf, size_t size)
{
	time_t now = time(NULL);
	struct tm tm;
	gmtime_r(&now, &tm);
	strftime(buf, size, "%a, %d %b %Y %H:%M:%S +0000", &tm);
}

/* Return-Path: and Received: lead the stored message (RFC 5321 4.4). */
static void begin_body(struct smtp_session *s)
{
	char date[64];
	const char *with = s->tx_smtputf8 ? "UTF8SMTP" : s->esmtp ? "ESMTP" : "SMTP";

	rfc5322_date(date, sizeof(date));
	pb_buf_init(&s->body);
	pb_buf_printf(&s->body, "Return-Path: <%s>\r\n", s->sender);
	/* no reverse DNS yet: "unknown [ip]", as Postfix writes it without a PTR name */
	pb_buf_printf(&s->body, "Received: from %s (unknown [%s])\r\n\tby %s (Pillarbox) with %s id %s",
		      s->helo[0] ? s->helo : "unknown", net_conn_peer(s->conn), s->srv->hostname, with,
		      s->tx_id);
	if (s->rcpts.n == 1)
		pb_buf_printf(&s->body, "\r\n\tfor <%s>", s->rcpts.v[0]);
	pb_buf_printf(&s->body, "; %s\r\n", date);
}

static void spool_message(struct smtp_session *s)
{
	struct pb_msg m;
	const char *error;
	size_t len;

	pb_msg_init(&m, MSG_SPOOL_PUT_REQ);
	struct msg_spool_put_req *q = &m.u.spool_put_req;
	q->key = net_conn_id(s->conn);
	q->sender = xstrdup(s->sender);
	q->rcpts = s->rcpts;
	q->rcpt_ids = s->rcpt_ids;
	q->received_ms = (int64_t)pb_clock_wall_ms();
	q->body.data = (uint8_t *)pb_buf_steal(&s->body, &len);
	q->body.len = len;
	int rc = gw_hub_request(s->srv->hub, s->conn, NULL, &m, &error);
	/* the vectors are still the transaction's: detach them before freeing the message */
	memset(&q->rcpts, 0, sizeof(q->rcpts));
	memset(&q->rcpt_ids, 0, sizeof(q->rcpt_ids));
	pb_msg_free(&m);
	if (rc < 0) {
		pb_warn("smtp", "event=spool_busy id=%s reason=\"%s\"", s->tx_id, error);
		reply(s, 451, "4.3.0", "Error: queue is busy, try again later");
		tx_reset(s);
		return;
	}
	s->mode = MODE_WAIT;
	s->wait = WAIT_SPOOL;
	net_conn_pause(s->conn);
	set_deadline(s, SMTP_REQUEST_TIMEOUT_MS / 1000);
}

/* The content is complete: reject it or spool it. */
static void end_of_content(struct smtp_session *s, enum smtp_data_status status)
{
	s->mode = MODE_CMD;
	set_deadline(s, s->srv->settings.command_timeout_s);
	if (status != SMTP_DATA_OK) {
		reply_r(s, smtp_data_status_reply(status));
		pb_info("smtp", "event=rejected id=%s reason=%d", s->tx_id, (int)status);
		tx_reset(s);
		return;
	}
	spool_message(s);
}

/* ---- commands ---- */

static bool need_tx(struct smtp_session *s, bool need_rcpt)
{
	if (!s->in_tx) {
		reply(s, 503, "5.5.1", "Error: need MAIL command");
		client_error(s);
		return false;
	}
	if (need_rcpt && s->rcpts.n == 0) {
		reply(s, 554, "5.5.1", "Error: no valid recipients");
		client_error(s);
		return false;
	}
	return true;
}

static void cmd_helo(struct smtp_session *s, const struct smtp_cmd *cmd)
{
	struct smtp_ehlo_caps caps = {
		.size = true, .size_max = s->srv->settings.max_message_size, .pipelining = true,
		.enhancedstatuscodes = true, .eightbitmime = true, .smtputf8 = true,
		.chunking = true, .vrfy = true,
	};

	if (cmd->arg[0] == '\0') {
		reply(s, 501, "5.5.4", cmd->verb == SMTP_VERB_EHLO ? "Syntax: EHLO hostname"
								   : "Syntax: HELO hostname");
		client_error(s);
		return;
	}
	tx_reset(s);
	snprintf(s->helo, sizeof(s->helo), "%s", cmd->arg);
	s->greeted = true;
	s->esmtp = cmd->verb == SMTP_VERB_EHLO;
	if (!s->esmtp) {
		reply(s, 250, NULL, s->srv->hostname);
		return;
	}
	pb_buf_reset(&s->out);
	smtp_reply_ehlo(&s->out, s->srv->hostname, NULL, &caps);
	net_conn_write(s->conn, s->out.data, s->out.len);
}

static void cmd_mail(struct smtp_session *s, const struct smtp_cmd *cmd)
{
	uint64_t max = s->srv->settings.max_message_size;

	if (!s->greeted) {
		reply(s, 503, "5.5.1", "Error: send HELO/EHLO first");
		client_error(s);
	} else if (s->in_tx) {
		reply(s, 503, "5.5.1", "Error: nested MAIL command");
		client_error(s);
	} else if ((cmd->smtputf8 || cmd->body != SMTP_BODY_NONE || cmd->has_size) && !s->esmtp) {
		reply(s, 555, "5.5.4", "Error: MAIL parameters need EHLO");
		client_error(s);
	} else if (cmd->body == SMTP_BODY_BINARYMIME) {
		reply(s, 555, "5.5.4", "Unsupported option: BODY=BINARYMIME");
	} else if (cmd->path_utf8 && !cmd->smtputf8) {
		reply_r(s, &smtp_reply_need_smtputf8);
	} else if (cmd->has_size && max != 0 && cmd->size > max) {
		reply(s, 552, "5.3.4", "Message size exceeds fixed limit");
	} else if (cmd->has_size && !pb_store_has_room(s->srv->store, cmd->size)) {
		/* RFC 1870 6.1: the size is fine, the space is not (for now) */
		reply(s, 452, "4.3.1", "Insufficient system storage");
	} else {
		s->in_tx = true;
		s->tx_smtputf8 = cmd->smtputf8;
		s->sender = xstrdup(cmd->path);
		snprintf(s->tx_id, sizeof(s->tx_id), "%llX%llX",
			 (unsigned long long)(pb_clock_wall_ms() / 1000),
			 (unsigned long long)++s->srv->next_tx);
		reply(s, 250, "2.1.0", "Ok");
	}
}

static void cmd_rcpt(struct smtp_session *s, const struct smtp_cmd *cmd)
{
	struct pb_msg m;
	const char *error;

	if (!need_tx(s, false))
		return;
	if (cmd->path_utf8 && !s->tx_smtputf8) {
		reply_r(s, &smtp_reply_need_smtputf8);
		return;
	}
	if (s->rcpts.n >= s->srv->settings.max_recipients) {
		reply(s, 452, "4.5.3", "Error: too many recipients");
		return;
	}
	pb_msg_init(&m, MSG_DIR_RCPT_CHECK_REQ);
	m.u.dir_rcpt_check_req.local = xstrdup(cmd->addr.local);
	m.u.dir_rcpt_check_req.domain = xstrdup(cmd->addr.domain);
	if (gw_hub_request(s->srv->hub, s->conn, NULL, &m, &error) < 0) {
		reply(s, 451, "4.3.0", "Error: server busy, try again later");
	} else {
		free(s->checking);
		s->checking = xstrdup(cmd->path);
		s->mode = MODE_WAIT;
		s->wait = WAIT_RCPT;
		net_conn_pause(s->conn);
		set_deadline(s, SMTP_REQUEST_TIMEOUT_MS / 1000);
	}
	pb_msg_free(&m);
}

static void cmd_data(struct smtp_session *s, const struct smtp_cmd *cmd)
{
	if (!need_tx(s, true))
		return;
	if (cmd->arg[0] != '\0') {
		reply(s, 501, "5.5.4", "Syntax: DATA");
		return;
	}
	if (s->body.data != NULL) {
		/* RFC 3030 2: DATA after BDAT in the same transaction is 503 (RSET clears it) */
		reply(s, 503, "5.5.1", "Error: DATA after BDAT, send RSET");
		client_error(s);
		return;
	}
	begin_body(s);
	smtp_data_init(&s->data, s->srv->settings.max_message_size);
	s->mode = MODE_DATA;
	reply(s, 354, NULL, "End data with <CR><LF>.<CR><LF>");
	set_deadline(s, s->srv->settings.data_timeout_s);
}

static void cmd_bdat(struct smtp_session *s, const struct smtp_cmd *cmd)
{
	/* The chunk's octets follow the command whatever we answer: read them either way. */
	if (s->body.data == NULL || s->bdat_discard) {
		bool ok = s->in_tx && s->rcpts.n > 0;
		s->bdat_discard = !ok;
		if (ok) {
			begin_body(s);
			smtp_bdat_init(&s->bdat, s->srv->settings.max_message_size, false);
		} else {
			smtp_bdat_init(&s->bdat, 0, false);
		}
	}
	smtp_bdat_chunk(&s->bdat, cmd->chunk_size, cmd->last);
	s->mode = MODE_BDAT;
	set_deadline(s, s->srv->settings.data_timeout_s);
}

static void bdat_chunk_done(struct smtp_session *s)
{
	char text[64];

	s->mode = MODE_CMD;
	set_deadline(s, s->srv->settings.command_timeout_s);
	if (s->bdat_discard) {
		reply(s, s->in_tx ? 554 : 503, "5.5.1",
		      s->in_tx ? "Error: no valid recipients" : "Error: need MAIL command");
		if (s->bdat.last)
			s->bdat_discard = false;
		pb_buf_deinit(&s->body);
		client_error(s);
		return;
	}
	if (s->bdat.last) {
		enum smtp_data_status status = smtp_bdat_status(&s->bdat);
		/* BDAT content may stop mid-line; a stored message ends with CR LF (RFC 5322
		 * 2.1), or POP3 would send two octets more than its LIST size (the trace
		 * headers ahead of the content make len >= 2) */
		if (status == SMTP_DATA_OK &&
		    memcmp(s->body.data + s->body.len - 2, "\r\n", 2) != 0)
			pb_buf_append(&s->body, "\r\n", 2);
		end_of_content(s, status);
		return;
	}
	snprintf(text, sizeof(text), "Ok: %llu octets received",
		 (unsigned long long)s->bdat.check.size);
	reply(s, 250, "2.0.0", text);
}

static void cmd_simple(struct smtp_session *s, const struct smtp_cmd *cmd)
{
	switch (cmd->verb) {
	case SMTP_VERB_RSET:
		tx_reset(s);
		reply(s, 250, "2.0.0", "Ok");
		break;
	case SMTP_VERB_NOOP:
		reply(s, 250, "2.0.0", "Ok");
		break;
	case SMTP_VERB_QUIT:
		close_with(s, 221, "2.0.0", "Bye");
		break;
	case SMTP_VERB_HELP:
		reply(s, 214, "2.0.0", "Commands: EHLO HELO MAIL RCPT DATA BDAT RSET NOOP QUIT HELP VRFY");
		break;
	case SMTP_VERB_VRFY:
		/* no user enumeration (RFC 5321 3.5.3) */
		reply(s, 252, "2.0.0", "Cannot VRFY user, but will accept message and attempt delivery");
		break;
	case SMTP_VERB_EXPN:
		/* lists are not disclosed (RFC 5321 3.5.2: EXPN may be disabled) */
		reply(s, 502, "5.5.1", "Error: EXPN is disabled");
		break;
	case SMTP_VERB_STARTTLS:
		/* not advertised until a certificate is configured (RFC 3207 4) */
		reply(s, 454, "4.7.0", "TLS not available: no certificate is configured");
		break;
	case SMTP_VERB_AUTH:
		reply(s, 503, "5.5.1", "Error: authentication not enabled");
		break;
	default:
		reply(s, 500, "5.5.2", "Error: command not recognized");
		client_error(s);
		break;
	}
}

static void handle_command(struct smtp_session *s, const struct smtp_cmd *cmd)
{
	switch (cmd->verb) {
	case SMTP_VERB_EHLO:
	case SMTP_VERB_HELO: cmd_helo(s, cmd); break;
	case SMTP_VERB_MAIL: cmd_mail(s, cmd); break;
	case SMTP_VERB_RCPT: cmd_rcpt(s, cmd); break;
	case SMTP_VERB_DATA: cmd_data(s, cmd); break;
	case SMTP_VERB_BDAT: cmd_bdat(s, cmd); break;
	default: cmd_simple(s, cmd); break;
	}
}

/* ---- input ---- */

static bool run_content(struct smtp_session *s)
{
	const void *data;
	size_t len, used;

	smtp_parser_pending(s->parser, &data, &len);
	if (len == 0 && !(s->mode == MODE_BDAT && s->bdat.remaining == 0))
		return false;
	set_deadline(s, s->srv->settings.data_timeout_s);
	if (s->mode == MODE_DATA) {
		int done = smtp_data_feed(&s->data, data, len, &s->body, &used);
		smtp_parser_consume(s->parser, used);
		if (done)
			end_of_content(s, smtp_data_status(&s->data));
		return done != 0;
	}
	int done = smtp_bdat_feed(&s->bdat, data, len, &s->body, &used);
	smtp_parser_consume(s->parser, used);
	if (done)
		bdat_chunk_done(s);
	return done != 0;
}

static void run(struct smtp_session *s)
{
	struct smtp_cmd cmd;

	while (!s->closing && s->mode != MODE_WAIT) {
		if (s->mode == MODE_DATA || s->mode == MODE_BDAT) {
			if (!run_content(s))
				return;
			continue;
		}
		int rc = smtp_parser_next(s->parser, &cmd);
		if (rc == 0)
			return;
		set_deadline(s, s->srv->settings.command_timeout_s);
		if (rc < 0) {
			reply_r(s, &cmd.error);
			if (!s->closing)
				client_error(s);
			continue;
		}
		handle_command(s, &cmd);
	}
}

static void on_input(void *session, struct net_conn *c)
{
	struct smtp_session *s = session;
	struct pb_buf *in = net_conn_input(c);

	if (smtp_parser_feed(s->parser, in->data, in->len) < 0) {
		pb_buf_reset(in);
		close_with(s, 421, "4.7.0", "Error: too much pipelined input");
		return;
	}
	pb_buf_reset(in);
	run(s);
}

/* ---- replies from actors ---- */

static void rcpt_result(struct smtp_session *s, struct pb_msg *m)
{
	char text[600];
	uint32_t code = pb_msg_status(m, NULL);

	if (code == PB_OK && m->type != MSG_DIR_RCPT_CHECK_REP)
		code = PB_ERR_INTERNAL; /* an OK without the user id */
	if (code == PB_OK) {
		uint64_t id = m->u.dir_rcpt_check_rep.user_id;
		bool dup = false;
		for (uint32_t i = 0; i < s->rcpt_ids.n; i++)
			dup |= s->rcpt_ids.v[i] == id;
		if (!dup) {
			pb_strv_push(&s->rcpts, s->checking);
			pb_u64v_push(&s->rcpt_ids, id);
		}
		reply(s, 250, "2.1.5", "Ok");
	} else if (code == PB_ERR_NOTFOUND) {
		snprintf(text, sizeof(text),
			 "<%s>: Recipient address rejected: User unknown in local recipient table",
			 s->checking);
		reply(s, 550, "5.1.1", text);
		client_error(s); /* guessing addresses counts toward max_errors */
	} else if (code == PB_ERR_REFUSED) {
		snprintf(text, sizeof(text), "<%s>: Relay access denied", s->checking);
		reply(s, 550, "5.7.1", text);
		client_error(s);
	} else {
		reply(s, 451, "4.3.0", "Error: temporary failure, try again later");
	}
}

static void spool_result(struct smtp_session *s, struct pb_msg *m)
{
	char text[96];

	uint32_t code = pb_msg_status(m, NULL);

	if (m->type == MSG_SPOOL_PUT_REP && code == PB_OK) {
		snprintf(text, sizeof(text), "Ok: queued as %s", s->tx_id);
		reply(s, 250, "2.0.0", text);
		pb_info("smtp", "event=accepted id=%s spool_id=%llu from=<%s> rcpts=%u peer=%s",
			s->tx_id, (unsigned long long)m->u.spool_put_rep.spool_id, s->sender,
			s->rcpts.n, net_conn_peer(s->conn));
	} else if (code == PB_ERR_NOSPACE) {
		reply(s, 452, "4.3.1", "Insufficient system storage");
	} else {
		reply(s, 451, "4.3.0", "Error: queue file write error");
	}
	tx_reset(s);
}

void smtp_session_on_reply(void *session, struct net_conn *c, struct pb_msg *m)
{
	struct smtp_session *s = session;
	enum smtp_wait wait = s->wait;

	if (s->mode != MODE_WAIT)
		return; /* a reply that arrived after the session gave up waiting */
	s->mode = MODE_CMD;
	s->wait = WAIT_NONE;
	if (wait == WAIT_RCPT)
		rcpt_result(s, m);
	else
		spool_result(s, m);
	if (s->closing)
		return;
	net_conn_resume(c);
	set_deadline(s, s->srv->settings.command_timeout_s);
	run(s);
}

/* ---- lifecycle ---- */

static void *on_accept(struct net_conn *c, void *listen_ctx)
{
	struct smtp_session *s = xcalloc(1, sizeof(*s));
	char text[300];

	s->srv = listen_ctx;
	s->conn = c;
	s->parser = smtp_parser_create();
	pb_buf_init(&s->out);
	snprintf(text, sizeof(text), "%s ESMTP Pillarbox", s->srv->hostname);
	reply(s, 220, NULL, text);
	set_deadline(s, s->srv->settings.command_timeout_s);
	pb_debug("smtp", "event=connect peer=%s", net_conn_peer(c));
	return s;
}

static void on_timeout(void *session, struct net_conn *c)
{
	struct smtp_session *s = session;
	char text[300];

	if (s->mode == MODE_WAIT) {
		/* the actor did not answer: a temporary failure, and the session goes on */
		s->mode = MODE_CMD;
		s->wait = WAIT_NONE;
		reply(s, 451, "4.3.0", "Error: temporary failure, try again later");
		tx_reset(s);
		net_conn_resume(c);
		set_deadline(s, s->srv->settings.command_timeout_s);
		run(s);
		return;
	}
	snprintf(text, sizeof(text), "%s Error: timeout exceeded", s->srv->hostname);
	close_with(s, 421, "4.4.2", text);
}

static void on_close(void *session, struct net_conn *c)
{
	struct smtp_session *s = session;
	tx_reset(s);
	free(s->checking);
	smtp_parser_destroy(&s->parser);
	pb_buf_deinit(&s->out);
	free(s);
}

void smtp_session_on_shutdown(void *session, struct net_conn *c)
{
	struct smtp_session *s = session;
	char text[300];
	snprintf(text, sizeof(text), "%s Service shutting down, closing channel", s->srv->hostname);
	reply(s, 421, "4.3.2", text);
	s->closing = true;
}

bool smtp_session_busy(void *session)
{
	struct smtp_session *s = session;
	return s->mode == MODE_WAIT;
}

const struct net_proto smtp_session_proto = {
	.on_accept = on_accept,
	.on_input = on_input,
	.on_timeout = on_timeout,
	.on_close = on_close,
};
