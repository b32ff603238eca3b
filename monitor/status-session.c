/*
 * status-session.c: one status session (docs/status-protocol.md) on the session skeleton —
 * JSON lines in and out: the greeting (after the lockout guard's word on the address), login
 * (status-login.c), and the requests: ping, logout, starttls (before login), snapshot
 * (status-snapshot.c), subscribe,
 * connect/hangup/pause/resume (the scheduler), shutdown/restart (the daemon's signals), im.
 * Each request carries an id echoed in its reply; up to STATUS_REQS_MAX wait for actors at
 * once. A client that leaves more than status.output_budget_kb unread is dropped with a log
 * line (its events are never queued in the server).
 * OWNS: struct status_session. THREAD: the hub's.
 * MESSAGES sent (through stubs): LOCKOUT_CHECK_IP_REQ, STATUS_SESSION_REQ (subscribe),
 * STATUS_SESSION_END_EVT, STATUS_IM_REQ, SCHED_CONTROL_REQ (and those of the login and the
 * snapshot). Received:
 * STATUS_PUSH_EVT (an event for the client).
 */
#include "status-session.h"

#include "gw-guard.h"
#include "mime-charset.h"
#include "pb-log.h"
#include "pb-settings.h"
#include "pillarbox-paths.h"
#include "scheduler-client.h"
#include "statushub-client.h"

#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The longest instant message (octets). */
#define STATUS_IM_MAX 4000

enum status_op {
	OP_LOGIN = STATUS_OP_LOGIN,
	OP_STARTTLS,
	OP_PING,
	OP_LOGOUT,
	OP_SNAPSHOT,
	OP_SUBSCRIBE,
	OP_CONNECT,
	OP_HANGUP,
	OP_PAUSE,
	OP_RESUME,
	OP_SHUTDOWN,
	OP_RESTART,
	OP_IM,
};

/* ---- output ---- */

/* Writes text and a LF, or drops the client when that would pass its output budget. Text that
 * is not UTF-8 (JSON must be, RFC 8259 8.1: the activity log quotes remote servers' replies, a
 * collector's error its server's words) goes with each bad sequence as U+FFFD; the JSON
 * around it is ASCII, so only strings change. */
static void send_text(struct status_session *s, const char *text)
{
	size_t len = strlen(text), pending = gw_output_pending(s->gs);
	struct pb_buf valid;

	if (s->closing)
		return;
	if (!mime_utf8_is_valid(text, len)) {
		pb_buf_init(&valid);
		mime_utf8_append_valid(&valid, text, len);
		pb_buf_append(&valid, "", 1);
		send_text(s, valid.data);
		pb_buf_deinit(&valid);
		return;
	}
	if (pending + len + 1 > s->srv->output_budget) {
		pb_warn("status", "event=slow_reader_dropped ip=%s user=%s pending=%zu budget=%zu",
			gw_peer(s->gs), PB_LOGQ(s->user != NULL ? s->user : ""), pending,
			s->srv->output_budget);
		s->closing = true;
		gw_close(s->gs, false);
		return;
	}
	gw_write(s->gs, text, len);
	gw_write(s->gs, "\n", 1);
}

void status_send(struct status_session *s, cJSON *o)
{
	char *text = cJSON_PrintUnformatted(o);

	cJSON_Delete(o);
	send_text(s, text);
	cJSON_free(text);
}

cJSON *status_reply_ok(const cJSON *id)
{
	cJSON *o = cJSON_CreateObject();

	cJSON_AddItemToObject(o, "id", id != NULL ? cJSON_Duplicate(id, true) : cJSON_CreateNull());
	cJSON_AddBoolToObject(o, "ok", true);
	return o;
}

void status_send_error(struct status_session *s, const cJSON *id, const char *text,
		       const char *perm)
{
	cJSON *o = cJSON_CreateObject();

	cJSON_AddItemToObject(o, "id", id != NULL ? cJSON_Duplicate(id, true) : cJSON_CreateNull());
	cJSON_AddBoolToObject(o, "ok", false);
	cJSON_AddStringToObject(o, "error", text);
	if (perm != NULL)
		cJSON_AddStringToObject(o, "permission", perm);
	status_send(s, o);
}

/* ---- requests waiting for actors ---- */

int status_req_take(struct status_session *s, int op, const cJSON *id)
{
	for (int i = 0; i < STATUS_REQS_MAX; i++) {
		struct status_req *r = &s->reqs[i];
		if (r->used)
			continue;
		memset(r, 0, sizeof(*r));
		r->used = true;
		r->op = op;
		r->id = id != NULL ? cJSON_Duplicate(id, true) : cJSON_CreateNull();
		r->reply = status_reply_ok(r->id);
		return i;
	}
	status_send_error(s, id, "busy: too many requests in flight", NULL);
	return -1;
}

static void req_free(struct status_req *r)
{
	cJSON_Delete(r->id);
	cJSON_Delete(r->reply);
	cJSON_Delete(r->progress);
	memset(r, 0, sizeof(*r));
}

void status_req_finish(struct status_session *s, int i, const char *failed)
{
	struct status_req *r = &s->reqs[i];

	if (failed != NULL) {
		status_send_error(s, r->id, failed, NULL);
	} else {
		status_send(s, r->reply);
		r->reply = NULL;
	}
	req_free(r);
}

struct gw_pending status_call_of(struct status_session *s, gw_cont_fn *cont, int i)
{
	return (struct gw_pending){ s->gs, cont, (uint64_t)i, STATUS_CALL_TIMEOUT_MS };
}

/* After a stub's send for slot i: nothing sent ends the request with a temporary error. */
static void asked(struct status_session *s, int i, int rc, const char *error)
{
	if (rc < 0)
		status_req_finish(s, i, error);
}

/* The common end of a call answered with a bare status: ok, or its error. */
static void finish_status(struct status_session *s, int i, struct pb_msg *m, uint32_t code,
			  const char *error)
{
	if (m == NULL)
		status_req_finish(s, i, "the server did not answer in time");
	else
		status_req_finish(s, i, code == PB_OK ? NULL : error);
}

/* ---- simple requests ---- */

static void do_ping(struct status_session *s, const cJSON *req, const cJSON *id)
{
	status_send(s, status_reply_ok(id));
}

static void do_logout(struct status_session *s, const cJSON *req, const cJSON *id)
{
	status_send(s, status_reply_ok(id));
	s->closing = true;
	gw_close(s->gs, true);
}

static void do_starttls(struct status_session *s, const cJSON *req, const cJSON *id)
{
	const char *error;

	if (s->user != NULL || s->login_slot >= 0 || gw_tls_active(s->gs) || !gw_tls_offered(s->gs)) {
		status_send_error(s, id, gw_tls_active(s->gs) ? "TLS is already on"
					 : s->user != NULL   ? "starttls is only allowed before login"
							     : "TLS is not available",
				  NULL);
		return;
	}
	cJSON *o = status_reply_ok(id);
	char *text = cJSON_PrintUnformatted(o);
	char *line = xasprintf("%s\n", text);
	cJSON_free(text);
	cJSON_Delete(o);
	pb_lines_discard(&s->in); /* anything pipelined after it was sent in clear */
	if (gw_starttls(s->gs, line, &error) < 0)
		status_send_error(s, id, error, NULL);
	free(line);
}

/* The topics a session may hear and the permission each needs. */
static const struct {
	const char *name;
	enum status_perm perm;
} topics[] = {
	{ "activity", STATUS_PERM_VIEW_LOG },
	{ "connection", STATUS_PERM_VIEW_CONNECTION },
	{ "queue", STATUS_PERM_VIEW_TOTALS },
	{ "inboxes", STATUS_PERM_VIEW_TOTALS },
	{ "users", STATUS_PERM_VIEW_USERS },
};

static void on_subscribed(void *session, uint64_t arg, struct pb_msg *m)
{
	const char *error = "";
	uint32_t code = m != NULL ? statushub_client_session_reply(m, &error) : PB_ERR_TEMP;
	finish_status(session, (int)arg, m, code, error);
}

/* The topics of a subscribe request into *names_r, or the error (perm_r: the permission
 * missing, else NULL). */
static const char *subscribe_topics(const struct status_session *s, const cJSON *list,
				    struct pb_strv *names_r, const char **perm_r)
{
	const cJSON *t;

	*perm_r = NULL;
	if (!cJSON_IsArray(list))
		return "subscribe needs \"topics\", a list of: activity, connection, queue, inboxes, users";
	cJSON_ArrayForEach(t, list)
	{
		size_t k = 0;
		while (k < PB_N_ELEMENTS(topics) &&
		       (!cJSON_IsString(t) || strcmp(t->valuestring, topics[k].name) != 0))
			k++;
		if (k == PB_N_ELEMENTS(topics))
			return "unknown topic: the topics are activity, connection, queue, inboxes, users";
		if ((s->perms & (1u << topics[k].perm)) == 0) {
			*perm_r = status_perm_name(topics[k].perm);
			return "permission denied";
		}
		pb_strv_push(names_r, topics[k].name);
	}
	return NULL;
}

static void do_subscribe(struct status_session *s, const cJSON *req, const cJSON *id)
{
	struct pb_strv names = { 0 };
	const char *perm, *error;
	const char *why = subscribe_topics(s, cJSON_GetObjectItemCaseSensitive(req, "topics"),
					   &names, &perm);
	int i = why == NULL ? status_req_take(s, OP_SUBSCRIBE, id) : -1;

	if (why != NULL) {
		char *text = perm != NULL ? xasprintf("%s: %s", why, perm) : xstrdup(why);
		status_send_error(s, id, text, perm);
		free(text);
	} else if (i >= 0) {
		cJSON *list = cJSON_AddArrayToObject(s->reqs[i].reply, "topics");
		for (uint32_t k = 0; k < names.n; k++)
			cJSON_AddItemToArray(list, cJSON_CreateString(names.v[k]));
		asked(s, i, status_hub_register(s, &names, on_subscribed, i, &error), error);
	}
	pb_strv_clear(&names);
}

static void on_controlled(void *session, uint64_t arg, struct pb_msg *m)
{
	const char *error = "";
	uint32_t code = m != NULL ? scheduler_client_control_reply(m, &error) : PB_ERR_TEMP;
	finish_status(session, (int)arg, m, code, error);
}

/* connect, hangup, pause, resume: SCHED_CONTROL_REQ for the request's "method". */
static void do_control(struct status_session *s, const cJSON *req, const cJSON *id, int op)
{
	static const uint8_t what[] = { [OP_CONNECT] = SCHED_CONTROL_NOW,
					[OP_HANGUP] = SCHED_CONTROL_HANGUP,
					[OP_PAUSE] = SCHED_CONTROL_PAUSE,
					[OP_RESUME] = SCHED_CONTROL_RESUME };
	const char *method = status_str_arg(req, "method"), *error;

	if (method == NULL || method[0] == '\0') {
		status_send_error(s, id, "this request needs \"method\", a connection method's name",
				  NULL);
		return;
	}
	int i = status_req_take(s, op, id);
	if (i < 0)
		return;
	pb_info("status", "event=control op=%d method=%s user=%s", op, PB_LOGQ(method),
		PB_LOGQ(s->user));
	struct gw_pending call = status_call_of(s, on_controlled, i);
	struct pb_sender tx = gw_sender(&call);
	asked(s, i, scheduler_client_control_send(&tx, method, what[op], &error), error);
}

static void do_connect(struct status_session *s, const cJSON *req, const cJSON *id)
{
	do_control(s, req, id, OP_CONNECT);
}

static void do_hangup(struct status_session *s, const cJSON *req, const cJSON *id)
{
	do_control(s, req, id, OP_HANGUP);
}

static void do_pause(struct status_session *s, const cJSON *req, const cJSON *id)
{
	do_control(s, req, id, OP_PAUSE);
}

static void do_resume(struct status_session *s, const cJSON *req, const cJSON *id)
{
	do_control(s, req, id, OP_RESUME);
}

/* shutdown and restart: the daemon's own clean stop, by the signal its main thread takes
 * (SIGTERM; SIGUSR1: stop the same way, then exit with code 75 for the service manager to
 * start it again: packaging/pillarbox.service.in has Restart=on-failure). */
static void stop_daemon(struct status_session *s, const cJSON *id, bool restart)
{
	pb_warn("status", "event=%s_requested user=%s ip=%s", restart ? "restart" : "shutdown",
		PB_LOGQ(s->user), gw_peer(s->gs));
	cJSON *o = status_reply_ok(id);
	cJSON_AddStringToObject(o, "action", restart ? "restart" : "shutdown");
	status_send(s, o);
	kill(getpid(), restart ? SIGUSR1 : SIGTERM);
}

static void do_shutdown(struct status_session *s, const cJSON *req, const cJSON *id)
{
	stop_daemon(s, id, false);
}

static void do_restart(struct status_session *s, const cJSON *req, const cJSON *id)
{
	stop_daemon(s, id, true);
}

static void on_im_sent(void *session, uint64_t arg, struct pb_msg *m)
{
	const char *error = "";
	uint32_t code = m != NULL ? statushub_client_im_reply(m, &error) : PB_ERR_TEMP;
	finish_status(session, (int)arg, m, code, error);
}

static void do_im(struct status_session *s, const cJSON *req, const cJSON *id)
{
	const char *to = status_str_arg(req, "to"), *text = status_str_arg(req, "text"), *error;

	if (to == NULL || text == NULL || to[0] == '\0' || strlen(text) > STATUS_IM_MAX) {
		status_send_error(s, id, "im needs \"to\" (a user) and \"text\" (at most 4000 octets)",
				  NULL);
		return;
	}
	int i = status_req_take(s, OP_IM, id);
	if (i < 0)
		return;
	struct gw_pending call = status_call_of(s, on_im_sent, i);
	struct pb_sender tx = gw_sender(&call);
	asked(s, i, statushub_client_im_send(&tx, s->user, to, text, &error), error);
}

static void do_snapshot(struct status_session *s, const cJSON *req, const cJSON *id)
{
	status_snapshot(s, id);
}

/* ---- dispatch ---- */

#define NO_PERM (-1)

static const struct status_op_row {
	const char *name;
	bool login;     /* only after login */
	int perm;       /* the permission it needs, NO_PERM none */
	void (*fn)(struct status_session *s, const cJSON *req, const cJSON *id);
} ops[] = {
	{ "login", false, NO_PERM, status_do_login },
	{ "starttls", false, NO_PERM, do_starttls },
	{ "ping", false, NO_PERM, do_ping },
	{ "logout", false, NO_PERM, do_logout },
	{ "snapshot", true, NO_PERM, do_snapshot },
	{ "subscribe", true, NO_PERM, do_subscribe },
	{ "connect", true, STATUS_PERM_CONNECT, do_connect },
	{ "hangup", true, STATUS_PERM_CONNECT, do_hangup },
	{ "pause", true, STATUS_PERM_CONNECT, do_pause },
	{ "resume", true, STATUS_PERM_CONNECT, do_resume },
	{ "shutdown", true, STATUS_PERM_SHUTDOWN, do_shutdown },
	{ "restart", true, STATUS_PERM_SHUTDOWN, do_restart },
	{ "im", true, STATUS_PERM_SEND_IM, do_im },
};

/* A bad request: the error, and past STATUS_MAX_BAD the end of the connection. */
static void bad_request(struct status_session *s, const cJSON *id, const char *text)
{
	status_send_error(s, id, text, NULL);
	if (++s->bad >= STATUS_MAX_BAD) {
		status_send_error(s, NULL, "too many bad requests", NULL);
		s->closing = true;
		gw_close(s->gs, true);
	}
}

static void run_request(struct status_session *s, const cJSON *req)
{
	const cJSON *id = cJSON_GetObjectItemCaseSensitive(req, "id");
	const char *op = status_str_arg(req, "op");
	size_t k = 0;

	while (op != NULL && k < PB_N_ELEMENTS(ops) && strcmp(ops[k].name, op) != 0)
		k++;
	if (op == NULL || k == PB_N_ELEMENTS(ops)) {
		bad_request(s, id, "unknown request: \"op\" must be one of login, starttls, ping, "
				   "logout, snapshot, subscribe, connect, hangup, pause, resume, "
				   "shutdown, restart, im");
		return;
	}
	if (ops[k].login && s->user == NULL) {
		bad_request(s, id, "not logged in");
		return;
	}
	if (ops[k].perm != NO_PERM && (s->perms & (1u << ops[k].perm)) == 0) {
		char *text = xasprintf("permission denied: %s", status_perm_name(ops[k].perm));
		status_send_error(s, id, text, status_perm_name(ops[k].perm));
		free(text);
		return;
	}
	ops[k].fn(s, req, id);
}

static void run_line(struct status_session *s, const char *line, size_t len)
{
	if (!mime_utf8_is_valid(line, len)) { /* RFC 8259 8.1; echoed, it would break the reply */
		bad_request(s, NULL, "a request is UTF-8 text");
		return;
	}
	cJSON *req = cJSON_ParseWithLength(line, len);

	if (!cJSON_IsObject(req))
		bad_request(s, NULL, "a request is one JSON object on one line");
	else
		run_request(s, req);
	cJSON_Delete(req);
}

static void on_input(void *session, struct pb_buf *in)
{
	struct status_session *s = session;
	char *line;
	size_t len;
	int rc;

	if (pb_lines_feed(&s->in, in->data, in->len) < 0) {
		pb_buf_reset(in);
		status_send_error(s, NULL, "too much input", NULL);
		s->closing = true;
		gw_close(s->gs, true);
		return;
	}
	pb_buf_reset(in);
	while (!s->closing && (rc = pb_lines_take(&s->in, STATUS_LINE_MAX, &line, &len)) != 0) {
		if (s->user != NULL)
			gw_set_deadline(s->gs, s->srv->idle_timeout_ms);
		if (rc < 0)
			bad_request(s, NULL, "request line too long");
		else if (len > 0)
			run_line(s, line, len);
	}
}

/* ---- lifecycle ---- */

static void greet(struct status_session *s)
{
	cJSON *o = cJSON_CreateObject();

	cJSON_AddStringToObject(o, "event", "hello");
	cJSON_AddStringToObject(o, "server", "Pillarbox");
	cJSON_AddStringToObject(o, "version", PILLARBOX_VERSION);
	cJSON_AddNumberToObject(o, "protocol", STATUS_PROTOCOL_VERSION);
	cJSON_AddBoolToObject(o, "starttls", gw_tls_offered(s->gs));
	status_send(s, o);
}

static void on_guard_checked(void *session, uint64_t arg, struct pb_msg *m)
{
	struct status_session *s = session;

	if (gw_guard_blocked(m)) {
		pb_info("status", "event=refused_blocked ip=%s", gw_peer(s->gs));
		status_send_error(s, NULL, LOCKOUT_BLOCKED_TEXT, NULL);
		s->closing = true;
		gw_close(s->gs, true);
		return;
	}
	greet(s);
	gw_resume(s->gs);
}

static void *on_open(struct gw_session *gs, void *server)
{
	struct status_session *s = xcalloc(1, sizeof(*s));
	const char *error;

	s->gs = gs;
	s->srv = server;
	s->login_slot = -1;
	pb_lines_init(&s->in, STATUS_LINE_MAX * 2);
	gw_event_address(gs, s->addr, sizeof(s->addr));
	gw_login_init(&s->login, gs, "status", &status_login_ops, STATUS_CALL_TIMEOUT_MS);
	gw_set_deadline(gs, s->srv->login_timeout_ms);
	if (gw_guard_check_ip(gs, on_guard_checked, 0, &error) == 0) {
		gw_pause(gs);
		return s;
	}
	pb_warn("status", "event=lockout_unreachable reason=%s", PB_LOGQ(error));
	greet(s);
	return s;
}

static void on_timeout(void *session)
{
	struct status_session *s = session;
	cJSON *o = cJSON_CreateObject();

	cJSON_AddStringToObject(o, "event", "bye");
	cJSON_AddStringToObject(o, "reason", s->user != NULL ? "idle timeout" : "login timeout");
	status_send(s, o);
	s->closing = true;
	gw_close(s->gs, true);
}

static void on_event(void *session, struct pb_msg *m)
{
	struct status_session *s = session;

	if (m->type == MSG_STATUS_PUSH_EVT && s->user != NULL && m->u.status_push_evt.json != NULL)
		send_text(s, m->u.status_push_evt.json);
}

static void on_shutdown(void *session)
{
	struct status_session *s = session;
	cJSON *o = cJSON_CreateObject();

	cJSON_AddStringToObject(o, "event", "bye");
	cJSON_AddStringToObject(o, "reason", "server shutting down");
	status_send(s, o);
	s->closing = true;
}

static void on_close(void *session)
{
	struct status_session *s = session;
	struct pb_sender tx = gw_cast_sender(s->gs);
	const char *error;

	if (s->registered && statushub_client_session_end(&tx, s->addr, &error) < 0)
		pb_warn("status", "event=unregister_failed reason=%s", PB_LOGQ(error));
	for (int i = 0; i < STATUS_REQS_MAX; i++)
		req_free(&s->reqs[i]);
	gw_login_deinit(&s->login);
	pb_lines_deinit(&s->in);
	free(s->user);
	free(s->key_label);
	free(s);
}

static uint32_t max_connections(const struct pb_settings *st)
{
	return st->limits.status_max_connections;
}

void status_server_tick(void *ctx, const struct pb_settings *st, uint64_t now_ms);

const struct gw_proto status_proto = {
	.name = "status",
	.busy = "{\"event\":\"bye\",\"reason\":\"too many connections, try again later\"}\n",
	.max_connections = max_connections,
	.open = on_open,
	.input = on_input,
	.timeout = on_timeout,
	.event = on_event,
	.shutdown = on_shutdown,
	.close = on_close,
	.tick = status_server_tick,
};
