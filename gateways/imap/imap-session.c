/*
 * imap-session.c: one IMAP session (RFC 3501) on the session skeleton — its life (greeting
 * after the lockout guard's answer, autologout, shutdown, close), the input loop over the
 * command parser (commands, literals accepted or refused before the continuation, the lines
 * of an AUTHENTICATE exchange) and the command table. The commands are in imap-cmd-*.c.
 *
 * Commands run one at a time, in the order sent: a command that waits for an actor sets
 * busy and reading pauses until its continuation resumes the session, so pipelined commands
 * stay in the parser's bounded buffer and their answers in order.
 *
 * OWNS: struct imap_session. THREAD: the hub thread.
 * MESSAGES sent (typed client stubs): LOCKOUT_CHECK_IP_REQ (at accept), and those of the
 * commands (imap-cmd-*.c).
 */
#include "imap-session-int.h"
#include "imap-view.h"

#include "gw-guard.h"
#include "pb-log.h"
#include "pb-settings.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/* Input handed to the parser at once: run() drains it between pieces. */
#define IMAP_FEED_CHUNK 16384

static void run(struct imap_session *s);

static PB_PRINTF(3, 0) void write_line(struct imap_session *s, const char *prefix, const char *fmt,
					   va_list ap)
{
	pb_buf_reset(&s->out);
	pb_buf_append_str(&s->out, prefix);
	pb_buf_append_str(&s->out, " ");
	char line[1024];
	int n = vsnprintf(line, sizeof(line), fmt, ap);
	if (n < 0)
		n = 0;
	pb_buf_append(&s->out, line, (size_t)n < sizeof(line) ? (size_t)n : sizeof(line) - 1);
	pb_buf_append_str(&s->out, "\r\n");
	gw_write(s->gs, s->out.data, s->out.len);
}

void imap_tagged(struct imap_session *s, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	write_line(s, s->tag[0] != '\0' ? s->tag : "*", fmt, ap);
	va_end(ap);
}

void imap_untagged(struct imap_session *s, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	write_line(s, "*", fmt, ap);
	va_end(ap);
}

void imap_bye(struct imap_session *s, const char *text)
{
	imap_untagged(s, "BYE %s", text);
	s->closing = true;
	s->state = IMAP_ST_LOGOUT;
	gw_close(s->gs, true);
}

struct gw_pending imap_call_of(struct imap_session *s, gw_cont_fn *cont, uint64_t arg)
{
	return (struct gw_pending){ s->gs, cont, arg, IMAP_REQUEST_TIMEOUT_MS };
}

int imap_asked(struct imap_session *s, int rc)
{
	if (rc == 0)
		s->busy = true;
	else
		imap_tagged(s, "NO [UNAVAILABLE] Server busy, try again later");
	return rc;
}

void imap_job_begin(struct imap_session *s, void *job, void (*job_free)(void *job),
		    void (*job_drain)(struct imap_session *s))
{
	imap_job_end(s);
	s->job = job;
	s->job_free = job_free;
	s->job_drain = job_drain;
}

void imap_job_end(struct imap_session *s)
{
	if (s->job_free != NULL)
		s->job_free(s->job);
	s->job = NULL;
	s->job_free = NULL;
	s->job_drain = NULL;
}

bool imap_waiting(const struct imap_session *s)
{
	return s->busy || (s->login.active && !s->login.want_line);
}

void imap_touch(struct imap_session *s)
{
	uint32_t sec = s->srv->autologout_s != 0 ? s->srv->autologout_s : IMAP_AUTOLOGOUT_DEFAULT_S;
	gw_set_deadline(s->gs, sec * 1000ull);
}

void imap_resume(struct imap_session *s)
{
	if (s->closing || imap_waiting(s))
		return;
	gw_resume(s->gs);
	imap_touch(s);
	run(s);
}

/* ---- the command table ---- */

/* NOOP: in the selected state it is the moment to tell what changed. */
static void do_noop(void *session, const void *cmd)
{
	struct imap_session *s = session;

	if (s->state == IMAP_ST_SELECTED)
		imap_do_check(session, cmd);
	else
		imap_do_noop(session, cmd);
}

#define NOT_SELECTED "BAD No mailbox selected"
#define NOT_LOGGED_IN "BAD Command not permitted before login"
#define LOGGED_IN "BAD Command not permitted after login"

static const struct gw_command imap_commands[] = {
	{ IMAP_CMD_CAPABILITY, IMAP_IN_ANY, NULL, NULL, imap_do_capability },
	{ IMAP_CMD_NOOP, IMAP_IN_ANY, NULL, NULL, do_noop },
	{ IMAP_CMD_LOGOUT, IMAP_IN_ANY, NULL, NULL, imap_do_logout },
	{ IMAP_CMD_ID, IMAP_IN_ANY, NULL, NULL, imap_do_id },
	{ IMAP_CMD_STARTTLS, IMAP_IN_NOT_AUTH, LOGGED_IN, imap_check_starttls, imap_do_starttls },
	{ IMAP_CMD_LOGIN, IMAP_IN_NOT_AUTH, LOGGED_IN, imap_check_login, imap_do_login },
	{ IMAP_CMD_AUTHENTICATE, IMAP_IN_NOT_AUTH, LOGGED_IN, imap_check_authenticate,
	  imap_do_authenticate },
	{ IMAP_CMD_ENABLE, IMAP_IN_LOGGED_IN, NOT_LOGGED_IN, imap_check_enable, imap_do_enable },
	{ IMAP_CMD_NAMESPACE, IMAP_IN_LOGGED_IN, NOT_LOGGED_IN, NULL, imap_do_namespace },
	{ IMAP_CMD_COMPRESS, IMAP_IN_LOGGED_IN, NOT_LOGGED_IN, imap_check_compress,
	  imap_do_compress },
	{ IMAP_CMD_SELECT, IMAP_IN_LOGGED_IN, NOT_LOGGED_IN, imap_check_select, imap_do_select },
	{ IMAP_CMD_EXAMINE, IMAP_IN_LOGGED_IN, NOT_LOGGED_IN, imap_check_select, imap_do_select },
	{ IMAP_CMD_FETCH, IMAP_IN_SELECTED, NOT_SELECTED, imap_check_fetch, imap_do_fetch },
	{ IMAP_CMD_STORE, IMAP_IN_SELECTED, NOT_SELECTED, imap_check_store, imap_do_store },
	{ IMAP_CMD_SEARCH, IMAP_IN_SELECTED, NOT_SELECTED, imap_check_search, imap_do_search },
	{ IMAP_CMD_EXPUNGE, IMAP_IN_SELECTED, NOT_SELECTED, NULL, imap_do_expunge },
	{ IMAP_CMD_CLOSE, IMAP_IN_SELECTED, NOT_SELECTED, NULL, imap_do_close },
	{ IMAP_CMD_UNSELECT, IMAP_IN_SELECTED, NOT_SELECTED, NULL, imap_do_unselect },
	{ IMAP_CMD_CHECK, IMAP_IN_SELECTED, NOT_SELECTED, NULL, imap_do_check },
	{ IMAP_CMD_IDLE, IMAP_IN_LOGGED_IN, NOT_LOGGED_IN, NULL, imap_do_idle },
	{ IMAP_CMD_CREATE, IMAP_IN_LOGGED_IN, NOT_LOGGED_IN, imap_check_folder, imap_do_folder },
	{ IMAP_CMD_DELETE, IMAP_IN_LOGGED_IN, NOT_LOGGED_IN, imap_check_folder, imap_do_folder },
	{ IMAP_CMD_RENAME, IMAP_IN_LOGGED_IN, NOT_LOGGED_IN, imap_check_folder, imap_do_folder },
	{ IMAP_CMD_SUBSCRIBE, IMAP_IN_LOGGED_IN, NOT_LOGGED_IN, imap_check_folder, imap_do_folder },
	{ IMAP_CMD_UNSUBSCRIBE, IMAP_IN_LOGGED_IN, NOT_LOGGED_IN, imap_check_folder,
	  imap_do_folder },
	{ IMAP_CMD_LIST, IMAP_IN_LOGGED_IN, NOT_LOGGED_IN, imap_check_list, imap_do_list },
	{ IMAP_CMD_LSUB, IMAP_IN_LOGGED_IN, NOT_LOGGED_IN, imap_check_list, imap_do_list },
	{ IMAP_CMD_STATUS, IMAP_IN_LOGGED_IN, NOT_LOGGED_IN, imap_check_status, imap_do_status },
	{ IMAP_CMD_APPEND, IMAP_IN_LOGGED_IN, NOT_LOGGED_IN, NULL, imap_do_append },
	{ IMAP_CMD_COPY, IMAP_IN_SELECTED, NOT_SELECTED, imap_check_copy, imap_do_copy },
	{ IMAP_CMD_MOVE, IMAP_IN_SELECTED, NOT_SELECTED, imap_check_copy, imap_do_copy },
	{ IMAP_CMD_SORT, IMAP_IN_SELECTED, NOT_SELECTED, imap_check_sort, imap_do_sort },
	{ IMAP_CMD_THREAD, IMAP_IN_SELECTED, NOT_SELECTED, imap_check_sort, imap_do_sort },
	{ IMAP_CMD_GETQUOTA, IMAP_IN_LOGGED_IN, NOT_LOGGED_IN, NULL, imap_do_getquota },
	{ IMAP_CMD_GETQUOTAROOT, IMAP_IN_LOGGED_IN, NOT_LOGGED_IN, imap_check_getquotaroot,
	  imap_do_getquotaroot },
	{ IMAP_CMD_SETQUOTA, IMAP_IN_LOGGED_IN, NOT_LOGGED_IN, imap_check_setquota, NULL },
};

/* ---- input ---- */

/* A refused or malformed command: "tag BAD ..." (or "* BAD" when no tag could be read); past
 * IMAP_MAX_BAD_COMMANDS the session ends (a client that only errs is not a mail client). */
static void bad_command(struct imap_session *s, const char *tag, const char *text)
{
	snprintf(s->tag, sizeof(s->tag), "%s", tag != NULL ? tag : "*");
	imap_tagged(s, "%s", text);
	if (strncmp(text, "BAD", 3) == 0 && ++s->bad_commands >= IMAP_MAX_BAD_COMMANDS)
		imap_bye(s, "Too many invalid IMAP commands.");
}

static void handle_command(struct imap_session *s, const struct imap_cmd *cmd)
{
	snprintf(s->tag, sizeof(s->tag), "%s", cmd->tag);
	if (imap_view_gone_said(s, cmd)) /* the selected folder was deleted (imap-view-evt.c) */
		return;
	const char *refusal = gw_command_run(imap_commands, PB_N_ELEMENTS(imap_commands),
					     s->state, s, cmd->kind, cmd, "BAD Unknown command");
	if (refusal != NULL && s->state == IMAP_ST_NOT_AUTH && strcmp(refusal, NOT_SELECTED) == 0)
		refusal = NOT_LOGGED_IN; /* a selected-state command before login */
	if (refusal != NULL) {
		imap_searchres_refused(s, cmd); /* imap-searchres.c */
		bad_command(s, cmd->tag, refusal);
	}
}

/* Why a literal announced now is refused before its continuation (NULL: taken). Nothing is
 * allocated from the announced size: an inline literal is at most IMAP_LITERAL_INLINE_MAX
 * octets, APPEND's message at most the largest message (smtp.max_message_size). */
static const char *literal_refusal(const struct imap_session *s, const struct imap_literal *l)
{
	if (!l->stream)
		return l->fits ? NULL : "NO [TOOBIG] Literal too big";
	if (s->state != IMAP_ST_AUTH && s->state != IMAP_ST_SELECTED)
		return NOT_LOGGED_IN;
	if (l->size > s->srv->max_append)
		return "NO [TOOBIG] Message too big";
	return NULL;
}

static void on_literal(struct imap_session *s, const struct imap_event *ev)
{
	const char *why = literal_refusal(s, &ev->literal), *error;

	if (why == NULL && ev->literal.stream) {
		imap_append_literal(s, ev);
		return;
	}
	if (why == NULL && imap_parser_literal_accept(s->parser, &error) == 0) {
		if (ev->literal.sync)
			gw_write_str(s->gs, "+ OK\r\n");
		return;
	}
	imap_parser_literal_refuse(s->parser);
	imap_append_cancel(s);
	bad_command(s, ev->cmd.tag, why != NULL ? why : "NO [TOOBIG] Literal too big");
}

/* The client's response to an AUTHENTICATE challenge: false when none is buffered yet. */
static bool auth_line(struct imap_session *s)
{
	const char *line;
	size_t len;
	int rc = imap_parser_next_line(s->parser, &line, &len);

	if (rc == 0)
		return false;
	imap_touch(s);
	imap_auth_line(s, rc > 0 ? line : NULL);
	return true;
}

/* One event of the parser: false when it needs more input. */
static bool step(struct imap_session *s)
{
	struct imap_event ev;

	if (s->login.want_line)
		return auth_line(s);
	if (s->idling)
		return imap_idle_line(s);
	switch (imap_parser_next(s->parser, &ev)) {
	case IMAP_PARSE_NEED_MORE:
		return false;
	case IMAP_PARSE_BAD: {
		char text[128];
		snprintf(text, sizeof(text), "BAD Error in IMAP command: %s", ev.error);
		imap_append_cancel(s);
		bad_command(s, ev.cmd.tag, text);
		break;
	}
	case IMAP_PARSE_COMMAND:
		handle_command(s, &ev.cmd);
		break;
	case IMAP_PARSE_LITERAL:
		on_literal(s, &ev);
		break;
	case IMAP_PARSE_DATA: /* APPEND's message */
		imap_append_data(s, ev.data, ev.data_len);
		break;
	}
	imap_touch(s);
	return true;
}

/* Runs the pipelined commands in order, until one waits for an actor, the input runs out or
 * the output waiting for the peer passes NET_OUT_HIGH (drain runs the rest). */
static void run(struct imap_session *s)
{
	if (s->running)
		return;
	s->running = true;
	s->out_blocked = false;
	while (!s->closing && !imap_waiting(s)) {
		if (gw_output_pending(s->gs) >= NET_OUT_HIGH) {
			s->out_blocked = true;
			break;
		}
		if (!step(s))
			break;
	}
	if (imap_waiting(s))
		gw_pause(s->gs);
	s->running = false;
}

static void on_drain(void *session)
{
	struct imap_session *s = session;

	if (s->job_drain != NULL)
		s->job_drain(s);
	else if (s->out_blocked)
		run(s);
}

static void on_input(void *session, struct pb_buf *in)
{
	struct imap_session *s = session;
	bool zipped = gw_compress_active(s->gs);

	while (in->len > 0 && !s->closing) {
		if (gw_compress_active(s->gs) != zipped)
			return; /* COMPRESS began: the rest is compressed (the skeleton's) */
		size_t n = in->len < IMAP_FEED_CHUNK ? in->len : IMAP_FEED_CHUNK;
		if (imap_parser_feed(s->parser, in->data, n) < 0) {
			imap_bye(s, "Too much pipelined input.");
			break;
		}
		pb_buf_consume(in, n);
		run(s);
	}
	pb_buf_reset(in);
}

/* ---- lifecycle ---- */

static void greet(struct imap_session *s)
{
	pb_buf_reset(&s->out);
	pb_buf_append_str(&s->out, "* OK [CAPABILITY ");
	imap_capabilities(s, &s->out);
	pb_buf_append_str(&s->out, "] Pillarbox ready.\r\n");
	gw_write(s->gs, s->out.data, s->out.len);
}

/* The guard's answer at accept: a blocked address hears why and is closed; no answer greets. */
static void on_guard_checked(void *session, uint64_t arg, struct pb_msg *m)
{
	struct imap_session *s = session;

	if (gw_guard_blocked(m)) {
		pb_info("imap", "event=refused_blocked ip=%s", gw_peer(s->gs));
		imap_bye(s, LOCKOUT_BLOCKED_TEXT);
		return;
	}
	s->busy = false;
	greet(s);
	imap_resume(s);
}

static void *on_open(struct gw_session *gs, void *server)
{
	struct imap_session *s = xcalloc(1, sizeof(*s));
	const char *error;

	s->gs = gs;
	s->srv = server;
	s->parser = imap_parser_create();
	gw_login_init(&s->login, gs, "imap", &imap_login_ops, IMAP_REQUEST_TIMEOUT_MS);
	pb_buf_init(&s->out);
	imap_touch(s);
	if (gw_guard_check_ip(gs, on_guard_checked, 0, &error) == 0) {
		s->busy = true;
		gw_pause(gs);
		return s;
	}
	pb_warn("imap", "event=lockout_unreachable reason=%s", PB_LOGQ(error));
	greet(s);
	return s;
}

static void on_timeout(void *session)
{
	imap_bye(session, "Autologout; idle for too long");
}

static void on_event(void *session, struct pb_msg *m)
{
	if (m->type == MSG_MBOX_FOLDER_EVT)
		imap_on_folder_event(session, m);
}

static void on_close(void *session)
{
	struct imap_session *s = session;

	imap_view_unwatch(s);
	imap_job_end(s);
	imap_view_free(&s->view);
	mailbox_list_free(&s->listing);
	free(s->listing_folder);
	gw_login_deinit(&s->login);
	imap_parser_destroy(&s->parser);
	free(s->user);
	pb_buf_deinit(&s->out);
	free(s);
}

static void on_shutdown(void *session)
{
	struct imap_session *s = session;

	imap_untagged(s, "BYE Server shutting down.");
	s->closing = true;
}

static uint32_t max_connections(const struct pb_settings *s)
{
	return s->limits.imap_max_connections;
}

const struct gw_proto imap_proto = {
	.name = "imap",
	.busy = "* BYE Too many connections, try again later\r\n",
	.max_connections = max_connections,
	.open = on_open,
	.input = on_input,
	.timeout = on_timeout,
	.drain = on_drain,
	.shutdown = on_shutdown,
	.close = on_close,
	.event = on_event,
	.tick = imap_server_tick,
};
