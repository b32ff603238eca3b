/*
 * web-session.c: one HTTP connection of the web gateway: requests read one after another
 * (pipelined ones wait in the session's own buffer, bounded), each answered in order; a body
 * larger than WEB_WRITE_CHUNK is written a piece at a time as the client reads it, with input
 * paused meanwhile. A request that never ends in web.request_timeout_s hears 408; an idle
 * connection closes after web.keepalive_timeout_s. A request the reader refuses hears its
 * status and the connection closes (the stream past it cannot be trusted).
 * OWNS: struct web_session. THREAD: the web hub's.
 * An API request (web-api.c) may wait for actors: input is paused meanwhile and its answer,
 * written from the call's continuation, lets the session go on with the next request.
 * A status stream (web-events.c) takes the connection over once its head is written: input
 * is read and dropped, the deadline is its ping, events go to it.
 * MESSAGES: the API's calls (web-api.c), through gw_call; STATUS_PUSH_EVT to a status stream.
 */
#include "web-session.h"

#include "http-response.h"
#include "pb-alloc.h"
#include "pb-log.h"
#include "pb-settings.h"
#include "web-auth.h"
#include "web-mail.h"
#include "web-stub.h"

#include <string.h>
#include <time.h>


static uint32_t max_connections(const struct pb_settings *s)
{
	return s->limits.web_max_connections;
}

static time_t now_s(void)
{
	return time(NULL);
}

/* The input a session holds at most: a whole request and a read's worth more. */
static size_t pending_cap(const struct web_session *ws)
{
	const struct http_limits *l = &ws->srv->limits;
	size_t body = l->max_upload > l->max_body ? l->max_upload : l->max_body;

	return l->max_head + body + 65536;
}

/* Whether the request may carry an upload's body (1): a login's cookie (an API key cannot be
 * checked before the body arrives; a stranger's body stays within web.max_body_kb: 0) whose
 * account has room for length octets and the disk too (else the refusal's status). */
static int upload_ok(void *ctx, const struct http_request *q, uint64_t length)
{
	struct web_session *ws = ctx;
	const struct web_login *l = web_auth_find(ws->srv->auth, http_request_field(q, "cookie"),
						  gw_now(ws->gs), ws->srv->login_idle_ms,
						  ws->srv->login_max_ms);

	if (l == NULL)
		return 0;
	int status = web_upload_begin(ws, l->user, length);
	return status != 0 ? status : 1;
}

static void *on_open(struct gw_session *gs, void *server)
{
	struct web_session *ws = xcalloc(1, sizeof(*ws));
	struct http_limits limits;

	ws->gs = gs;
	ws->srv = server;
	limits = ws->srv->limits;
	limits.upload_ok = upload_ok;
	limits.upload_ctx = ws;
	limits.body_sink = web_upload_sink;
	ws->reader = http_reader_new(&limits);
	pb_buf_init(&ws->pending);
	gw_login_init(&ws->login, gs, "web", &web_login_ops, WEB_CALL_TIMEOUT_MS);
	gw_set_deadline(gs, ws->srv->keepalive_timeout_ms);
	return ws;
}

/* Writes a response head. */
static void head_send(struct web_session *ws, const struct http_head *h)
{
	struct pb_buf out;

	pb_buf_init(&out);
	http_head_write(&out, h, now_s());
	gw_write(ws->gs, out.data, out.len);
	pb_buf_deinit(&out);
}

/* Answers with an error and, when the stream cannot go on, closes after it. */
static void reply_error(struct web_session *ws, int status, bool keep_alive, bool with_body,
			const char *allow)
{
	struct pb_buf out;

	pb_buf_init(&out);
	http_error_write(&out, status, keep_alive, gw_tls_active(ws->gs), with_body, allow, now_s());
	gw_write(ws->gs, out.data, out.len);
	pb_buf_deinit(&out);
	if (!keep_alive)
		ws->close_after = true;
}

/* Writes what the client may take of the body being sent; true when it is all written.
 * A write that empties the output calls on_drain at once (net-loop.c): `pushing` keeps that
 * nested call from writing (or finishing the response) a second time. */
/* Gives back the request's share of the in-flight budget (web_job_reserve). */
static void budget_give_back(struct web_session *ws)
{
	if (ws->reserved != 0)
		gw_release(ws->gs, ws->reserved);
	ws->reserved = 0;
}

static bool body_push(struct web_session *ws)
{
	ws->pushing = true;
	while (ws->body_off < ws->body_len && gw_output_pending(ws->gs) < WEB_WRITE_CHUNK) {
		size_t n = ws->body_len - ws->body_off;
		if (n > WEB_WRITE_CHUNK)
			n = WEB_WRITE_CHUNK;
		size_t off = ws->body_off;
		ws->body_off += n;
		gw_write(ws->gs, ws->body + off, n);
	}
	ws->pushing = false;
	if (ws->body_off < ws->body_len)
		return false;
	ws->body = NULL;
	free(ws->body_owned);
	ws->body_owned = NULL;
	budget_give_back(ws); /* the answer is written: what it held is free */
	return true;
}

/* A GET or HEAD of a static page: 200 (gzip when taken), 304 when the client's copy is
 * current, a redirect to the directory's index, or 404. */
static void serve_asset(struct web_session *ws, const struct http_request *q)
{
	const struct web_asset *a = web_assets_find(ws->srv->assets, q->path);
	bool head_only = q->verb == HTTP_VERB_HEAD;

	if (a == NULL) {
		char *dir = xasprintf("%s/", q->path);
		bool is_dir = web_assets_find(ws->srv->assets, dir) != NULL;
		if (is_dir) {
			struct http_head h = { .status = 301, .keep_alive = q->keep_alive,
					       .tls = gw_tls_active(ws->gs), .location = dir };
			head_send(ws, &h);
		} else {
			reply_error(ws, 404, q->keep_alive, !head_only, NULL);
		}
		free(dir);
		return;
	}
	bool gz = a->gz != NULL && http_accepts_gzip(http_request_field(q, "accept-encoding"));
	bool fresh = http_etag_matches(http_request_field(q, "if-none-match"), a->etag);
	struct http_head h = { .status = fresh ? 304 : 200, .content_type = a->type,
			       .length = gz ? a->gz_len : a->len, .keep_alive = q->keep_alive,
			       .tls = gw_tls_active(ws->gs), .etag = a->etag,
			       .encoding = gz && !fresh ? "gzip" : NULL, .vary_encoding = a->gz != NULL,
			       .cache_control = "no-cache" };
	head_send(ws, &h);
	if (fresh || head_only)
		return;
	ws->body = gz ? a->gz : a->data;
	ws->body_len = h.length;
	ws->body_off = 0;
}

/* Whether a Host field is a plain host[:port] (what a redirect may name). */
static bool host_ok(const char *host)
{
	if (host == NULL || host[0] == '\0' || strlen(host) > 255)
		return false;
	for (const char *p = host; *p != '\0'; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		      (*p >= '0' && *p <= '9') || strchr(".-:[]", *p) != NULL))
			return false;
	return true;
}

/* A clear request to a server with a real certificate: 308 to the same place over https. */
static void redirect_https(struct web_session *ws, const struct http_request *q)
{
	const char *host = http_request_field(q, "host");

	if (!host_ok(host)) {
		reply_error(ws, 400, false, true, NULL);
		return;
	}
	char *location = xasprintf("https://%s%s%s%s", host, q->path != NULL ? q->path : "/",
				   q->query != NULL ? "?" : "", q->query != NULL ? q->query : "");
	struct http_head h = { .status = 308, .keep_alive = q->keep_alive, .location = location };
	head_send(ws, &h);
	free(location);
}

static void handle(struct web_session *ws, const struct http_request *q)
{
	pb_debug("web", "event=request peer=%s method=%s path=%s", gw_peer(ws->gs),
		 http_verb_name(q->verb), PB_LOGQ(q->path != NULL ? q->path : "*"));
	if (!q->keep_alive)
		ws->close_after = true;
	if (ws->srv->redirect_https && !gw_tls_active(ws->gs)) {
		redirect_https(ws, q);
		return;
	}
	if (q->path != NULL && web_api_owns(q->path)) {
		web_api_handle(ws, q);
		return;
	}
	if (q->path == NULL || q->verb == HTTP_VERB_OPTIONS) {
		struct http_head h = { .status = 204, .keep_alive = q->keep_alive,
				       .tls = gw_tls_active(ws->gs), .allow = "GET, HEAD, OPTIONS" };
		head_send(ws, &h);
		return;
	}
	if (q->verb != HTTP_VERB_GET && q->verb != HTTP_VERB_HEAD) {
		reply_error(ws, 405, q->keep_alive, true, "GET, HEAD, OPTIONS");
		return;
	}
	serve_asset(ws, q);
}

/* After a response: close if it said so, else wait for the next request. Returns false when
 * the session stops reading (closing, or a body still being written). */
static bool response_done(struct web_session *ws)
{
	if (ws->body != NULL && !body_push(ws)) {
		gw_pause(ws->gs);
		gw_set_deadline(ws->gs, ws->srv->request_timeout_ms);
		return false;
	}
	if (ws->close_after) {
		ws->closing = true;
		gw_close(ws->gs, true);
		return false;
	}
	ws->request_timed = false;
	gw_set_deadline(ws->gs, ws->srv->keepalive_timeout_ms);
	return true;
}

/* Answers a request the reader refused, then closes: an upload's refusal as JSON with its
 * reason (ws->upload->refusal), any other with the status's text. */
static void refusal_send(struct web_session *ws, int status)
{
	if (ws->upload == NULL || ws->upload->refusal[0] == '\0') {
		reply_error(ws, status, false, true, NULL);
		return;
	}
	ws->close_after = true;
	web_reply_error(ws, status, ws->upload->refusal);
}

/* Reads and answers the requests waiting in pending, in order, until one is incomplete or a
 * response must wait for the client. */
static void process(struct web_session *ws)
{
	while (!ws->closing && ws->body == NULL && ws->pending.len > 0) {
		size_t used = 0;
		enum http_read r = http_reader_feed(ws->reader, ws->pending.data, ws->pending.len,
						    &used);
		pb_buf_consume(&ws->pending, used);
		if (r == HTTP_READ_ERROR) {
			pb_info("web", "event=bad_request peer=%s status=%d reason=%s", gw_peer(ws->gs),
				http_reader_status(ws->reader), PB_LOGQ(http_reader_error(ws->reader)));
			refusal_send(ws, http_reader_status(ws->reader));
			web_upload_done(ws);
			response_done(ws);
			return;
		}
		if (r == HTTP_READ_MORE) {
			if (http_reader_continue(ws->reader)) {
				static const char go_on[] = "HTTP/1.1 100 Continue\r\n\r\n";
				gw_write(ws->gs, go_on, sizeof(go_on) - 1);
			}
			if (!ws->request_timed && http_reader_started(ws->reader)) {
				ws->request_timed = true;
				gw_set_deadline(ws->gs, ws->srv->request_timeout_ms);
			}
			return;
		}
		ws->in_handle = true;
		handle(ws, http_reader_request(ws->reader));
		ws->in_handle = false;
		if (ws->waiting) {
			/* its answer comes from a call's continuation (web_reply_json) */
			gw_pause(ws->gs);
			return;
		}
		web_upload_done(ws);
		http_reader_next(ws->reader);
		if (!response_done(ws))
			return;
	}
}

void web_job_set(struct web_session *ws, void *job, void (*job_free)(void *job))
{
	if (ws->job != NULL)
		ws->job_free(ws->job);
	ws->job = job;
	ws->job_free = job_free;
}

/* Answers with a head h and body text (taken; NULL none), then goes on as web_reply_text. */
static void reply_send(struct web_session *ws, struct http_head *h, char *text)
{
	const struct http_request *q = http_reader_request(ws->reader);

	h->keep_alive = !ws->close_after;
	h->tls = gw_tls_active(ws->gs);
	head_send(ws, h);
	/* q NULL: a request the reader refused (refusal_send), never a HEAD */
	if (text != NULL && (q == NULL || q->verb != HTTP_VERB_HEAD)) {
		ws->body = ws->body_owned = text;
		ws->body_len = h->length;
		ws->body_off = 0;
	} else {
		free(text);
		budget_give_back(ws);
	}
	web_job_set(ws, NULL, NULL);
	bool later = ws->waiting && !ws->in_handle;
	ws->waiting = false;
	if (!later)
		return; /* the handler's own answer: process() goes on */
	/* answered from a continuation: the session goes on with the next request */
	free(ws->who.user);
	ws->who.user = NULL;
	web_upload_done(ws);
	http_reader_next(ws->reader);
	gw_resume(ws->gs);
	if (response_done(ws))
		process(ws);
}

void web_reply_text(struct web_session *ws, int status, const char *type, char *text,
		    const char *set_cookie, const char *allow)
{
	struct http_head h = { .status = status, .content_type = text != NULL ? type : NULL,
			       .length = text != NULL ? strlen(text) : 0,
			       .set_cookie = set_cookie, .allow = allow };
	reply_send(ws, &h, text);
}

void web_reply_bytes(struct web_session *ws, int status, const char *type, const void *data,
		     size_t len, const char *disposition)
{
	struct http_head h = { .status = status, .content_type = type, .length = len,
			       .disposition = disposition };
	char *copy = xmalloc(len + 1);

	memcpy(copy, data, len);
	reply_send(ws, &h, copy);
}

void web_reply_json(struct web_session *ws, int status, cJSON *body, const char *set_cookie)
{
	char *text = body != NULL ? cJSON_PrintUnformatted(body) : NULL;

	cJSON_Delete(body);
	web_reply_text(ws, status, "application/json", text, set_cookie, NULL);
}

void web_reply_error(struct web_session *ws, int status, const char *text)
{
	cJSON *o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "error", text);
	web_reply_json(ws, status, o, NULL);
}

void web_stream_begin(struct web_session *ws, const char *type)
{
	struct http_head h = { .status = 200, .content_type = type, .keep_alive = false,
			       .tls = gw_tls_active(ws->gs), .stream = true };

	head_send(ws, &h);
	ws->waiting = false;
	ws->close_after = true;
	free(ws->who.user);
	ws->who.user = NULL;
	gw_resume(ws->gs); /* what the client sends is dropped (on_input), its close is seen */
}

bool web_job_reserve(struct web_session *ws, size_t bytes)
{
	if (gw_reserve(ws->gs, bytes)) {
		ws->reserved += bytes;
		return true;
	}
	cJSON *o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "error", "the server is reading or sending too many messages "
					    "at once; try again in a moment");
	char *text = cJSON_PrintUnformatted(o);
	cJSON_Delete(o);
	struct http_head h = { .status = 503, .content_type = "application/json",
			       .length = strlen(text), .retry_after_s = WEB_BUSY_RETRY_S };
	pb_info("web", "event=budget_full bytes=%zu peer=%s", bytes, gw_peer(ws->gs));
	reply_send(ws, &h, text);
	return false;
}

struct pb_sender web_call_sender(struct web_session *ws, struct gw_pending *p, gw_cont_fn *cont)
{
	*p = (struct gw_pending){ ws->gs, cont, 0, WEB_CALL_TIMEOUT_MS };
	ws->waiting = true;
	return gw_sender(p);
}

static void on_input(void *session, struct pb_buf *in)
{
	struct web_session *ws = session;

	if (ws->closing || ws->events != NULL) {
		pb_buf_reset(in);
		return;
	}
	pb_buf_append(&ws->pending, in->data, in->len);
	pb_buf_reset(in);
	process(ws);
	/* a client sending more than one request can hold is read no further until it reads */
	if (!ws->closing && ws->pending.len > pending_cap(ws))
		gw_pause(ws->gs);
}

static void on_drain(void *session)
{
	struct web_session *ws = session;

	if (ws->body == NULL || ws->closing || ws->pushing)
		return;
	gw_set_deadline(ws->gs, ws->srv->request_timeout_ms);
	if (!body_push(ws))
		return;
	gw_resume(ws->gs);
	if (response_done(ws))
		process(ws);
}

static void on_timeout(void *session)
{
	struct web_session *ws = session;

	if (ws->closing)
		return;
	if (ws->events != NULL && !ws->waiting) {
		web_events_timeout(ws);
		return;
	}
	if (ws->events != NULL) {
		/* a call of the stream's under way: its own timeout answers it */
		gw_set_deadline(ws->gs, ws->srv->events_ping_ms);
		return;
	}
	ws->closing = true;
	if (ws->body == NULL && http_reader_started(ws->reader)) {
		pb_info("web", "event=request_timeout peer=%s", gw_peer(ws->gs));
		reply_error(ws, 408, false, true, NULL);
		gw_close(ws->gs, true);
		return;
	}
	gw_close(ws->gs, ws->body == NULL);
}

static void on_shutdown(void *session)
{
	struct web_session *ws = session;
	ws->closing = true;
}

static void on_event(void *session, struct pb_msg *m)
{
	struct web_session *ws = session;

	if (ws->events != NULL)
		web_events_event(ws, m);
}

static void on_close(void *session)
{
	struct web_session *ws = session;

	web_events_close(ws);
	http_reader_free(&ws->reader);
	web_upload_done(ws);
	pb_buf_deinit(&ws->pending);
	gw_login_deinit(&ws->login);
	free(ws->body_owned);
	free(ws->who.user);
	free(ws->arg);
	web_stub_free(&ws->stub);
	web_job_set(ws, NULL, NULL);
	budget_give_back(ws);
	free(ws);
}

void web_server_tick(void *server, const struct pb_settings *s, uint64_t now_ms);

const struct gw_proto web_proto = {
	.name = "web",
	.busy = "HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
	.max_connections = max_connections,
	.open = on_open,
	.input = on_input,
	.timeout = on_timeout,
	.drain = on_drain,
	.event = on_event,
	.shutdown = on_shutdown,
	.close = on_close,
	.tick = web_server_tick,
};
