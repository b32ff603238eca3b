/*
 * web-events.c: GET /api/status/events — the live status as server-sent events
 * (text/event-stream), fed by the status hub's pushes: the session registers with the hub as a
 * status session does (monitor/status-session.c: its event address and the topics activity,
 * connection, queue) and writes each STATUS_PUSH_EVT as "event: NAME\ndata: JSON\n\n" (NAME
 * the JSON's "event": activity, connection, progress, queue; statushub-actor.c lists them).
 * Bounded: at most WEB_EVENTS_MAX streams at once (503 past it); a stream whose client reads
 * more slowly than events come (more than WEB_EVENTS_BUFFER_MAX octets unread) is dropped,
 * never queued without bound. Every web.events_ping_s a comment line, and the login is checked
 * then without renewing it: a stream ends when its login does (logout, idle or age expiry); a
 * stream opened with an API key has the key checked again by the status hub (a call like any
 * other: the hub thread never waits) and ends once the key is gone (the hub's PB_ERR_AUTH; no
 * answer in time keeps it going). The first event is "ready" (data {"topics": [...]}), once
 * the hub has the session.
 * OWNS: struct web_events (one per streaming session). THREAD: the web hub's.
 * MESSAGES: sends STATUS_SESSION_REQ, STATUS_SESSION_END_EVT and the API key's check;
 * handles STATUS_PUSH_EVT.
 */
#include "web-api.h"

#include "pb-alloc.h"
#include "pb-log.h"
#include "statushub-client.h"

#include <stdio.h>
#include <string.h>

struct web_events {
	char addr[128];                  /* the event address the hub pushes to */
	char token[WEB_TOKEN_HEX + 1];   /* the cookie login's ("": an API key's stream) */
	char *key;                       /* an API key's stream: the key, else NULL */
	bool registered;                 /* the hub has it: unregister at the end */
};

static const char *const topic_names[] = { "activity", "connection", "queue" };

/* Writes text (taken) to the stream; drops the stream instead when its unread output would
 * pass the bound. */
static void stream_write(struct web_session *ws, char *text)
{
	size_t len = strlen(text);

	if (gw_output_pending(ws->gs) + len > WEB_EVENTS_BUFFER_MAX) {
		pb_info("web", "event=status_stream_dropped peer=%s reason=slow_reader", gw_peer(ws->gs));
		ws->closing = true;
		gw_close(ws->gs, false);
	} else {
		gw_write(ws->gs, text, len);
	}
	free(text);
}

static void event_write(struct web_session *ws, const char *name, const char *json)
{
	stream_write(ws, xasprintf("event: %s\ndata: %s\n\n", name, json));
}

/* The hub's answer to the registration: the stream's head and its "ready" event, or 503. */
static void on_registered(void *session, uint64_t arg, struct pb_msg *m)
{
	struct web_session *ws = session;
	const char *error = "the status hub did not answer";
	uint32_t code = m != NULL ? statushub_client_session_reply(m, &error) : PB_ERR_TEMP;

	if (code != PB_OK) {
		web_events_close(ws);
		web_reply_error(ws, 503, error);
		return;
	}
	ws->events->registered = true;
	web_stream_begin(ws, "text/event-stream");
	gw_set_deadline(ws->gs, ws->srv->events_ping_ms);
	event_write(ws, "ready", "{\"topics\":[\"activity\",\"connection\",\"queue\"]}");
}

void web_api_status_events(struct web_session *ws, const struct http_request *q)
{
	struct pb_strv topics = { 0 };
	struct gw_pending call;
	const char *error;

	if (ws->srv->events_n >= WEB_EVENTS_MAX) {
		web_reply_error(ws, 503, "too many status streams open: try again later");
		return;
	}
	ws->events = xcalloc(1, sizeof(*ws->events));
	ws->srv->events_n++;
	gw_event_address(ws->gs, ws->events->addr, sizeof(ws->events->addr));
	if (web_cookie_get(http_request_field(q, "cookie"), "pb_session", ws->events->token,
			   sizeof(ws->events->token)) < 0)
		ws->events->token[0] = '\0';
	if (ws->events->token[0] == '\0' && web_bearer_key(q) != NULL)
		ws->events->key = xstrdup(web_bearer_key(q));
	for (size_t i = 0; i < PB_N_ELEMENTS(topic_names); i++)
		pb_strv_push(&topics, topic_names[i]);
	struct pb_sender tx = web_call_sender(ws, &call, on_registered);
	if (statushub_client_session_send(&tx, ws->events->addr, ws->who.user, false, &topics,
					  &error) < 0) {
		web_events_close(ws);
		web_reply_busy(ws);
	}
	pb_strv_clear(&topics);
}

void web_events_event(struct web_session *ws, struct pb_msg *m)
{
	if (m->type != MSG_STATUS_PUSH_EVT || ws->closing || !ws->events->registered)
		return;
	cJSON *o = cJSON_Parse(m->u.status_push_evt.json);
	const char *name = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, "event"));
	/* the hub's names are plain words; anything else would break the stream's framing */
	if (name != NULL && name[0] != '\0' && strspn(name, "abcdefghijklmnopqrstuvwxyz_") == strlen(name))
		event_write(ws, name, m->u.status_push_evt.json);
	cJSON_Delete(o);
}

/* Ends the stream: its login or key is gone (why). */
static void stream_end(struct web_session *ws, const char *why)
{
	pb_info("web", "event=status_stream_ended peer=%s reason=%s", gw_peer(ws->gs), why);
	ws->closing = true;
	gw_close(ws->gs, true);
}

static void ping(struct web_session *ws)
{
	stream_write(ws, xstrdup(": ping\n\n"));
	gw_set_deadline(ws->gs, ws->srv->events_ping_ms);
}

/* The hub's answer on the stream's key: the stream ends when the key is no more. */
static void on_key_rechecked(void *session, uint64_t arg, struct pb_msg *m)
{
	struct web_session *ws = session;
	char *label = NULL, *perms = NULL;
	const char *error;
	uint32_t code = m != NULL ? statushub_client_apikey_check_reply(m, &label, &perms, &error)
				  : PB_ERR_TEMP;

	free(label);
	free(perms);
	ws->waiting = false;
	if (ws->closing)
		return;
	if (code == PB_ERR_AUTH)
		stream_end(ws, "key_deleted");
	else
		ping(ws);
}

void web_events_timeout(struct web_session *ws)
{
	struct web_events *e = ws->events;
	struct gw_pending call;
	const char *error;

	if (e->token[0] != '\0' &&
	    !web_auth_alive(ws->srv->auth, e->token, gw_now(ws->gs), ws->srv->login_idle_ms,
			    ws->srv->login_max_ms)) {
		stream_end(ws, "login_ended");
		return;
	}
	if (e->key == NULL) {
		ping(ws);
		return;
	}
	struct pb_sender tx = web_call_sender(ws, &call, on_key_rechecked);
	if (statushub_client_apikey_check_send(&tx, e->key, &error) < 0) {
		ws->waiting = false;
		ping(ws); /* the hub is busy: checked at the next ping */
		return;
	}
	gw_set_deadline(ws->gs, ws->srv->events_ping_ms);
}

void web_events_close(struct web_session *ws)
{
	struct pb_sender tx = gw_cast_sender(ws->gs);
	const char *error;

	if (ws->events == NULL)
		return;
	if (ws->events->registered && statushub_client_session_end(&tx, ws->events->addr, &error) < 0)
		pb_warn("web", "event=status_unregister_failed reason=%s", PB_LOGQ(error));
	ws->srv->events_n--;
	if (ws->events->key != NULL)
		explicit_bzero(ws->events->key, strlen(ws->events->key));
	free(ws->events->key);
	free(ws->events);
	ws->events = NULL;
}
