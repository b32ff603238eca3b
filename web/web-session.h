/*
 * web-session.h: what the web gateway's files share (web-session.c: the connection and its
 * requests; web-api.c: the REST API's routes; web-auth.c: logins; web-server.c: start, stop and
 * the settings). Nobody outside web/ includes it.
 * OWNS: the types. THREAD: the web hub's.
 */
#ifndef WEB_SESSION_H
#define WEB_SESSION_H

#include "gw-login.h"
#include "pb-cidr.h"
#include "gw-session.h"
#include "http-request.h"
#include "pb-settings.h"
#include "web-assets.h"
#include "web-auth.h"
#include "web-reset.h"

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stdint.h>

/* A body larger than this is written a piece at a time as the client reads. */
#define WEB_WRITE_CHUNK (64u * 1024)
/* Each call to an actor. */
#define WEB_CALL_TIMEOUT_MS 10000
/* Status streams (web-events.c): at most this many at once, each dropped past this many
 * unread octets (a comment line and a login or key check every web.events_ping_s). */
#define WEB_EVENTS_MAX 32
#define WEB_EVENTS_BUFFER_MAX (256u * 1024)
/* Retry-After of a 503 for the in-flight budget (web_job_reserve). */
#define WEB_BUSY_RETRY_S 5

/* What the hub's tick copies from the settings (web.*, limits.*), and what the gateway lends. */
struct web_server {
	struct pb_runtime *rt;           /* the daemon's (its counters); NULL in tests */
	const struct web_assets *assets; /* read-only, outlives the hub */
	struct web_auth *auth;           /* the logins (the hub thread's), outlives the hub */
	bool redirect_https;             /* a real certificate: clear requests go to https:// */
	bool allow_plaintext_auth;       /* security.allow_plaintext_auth: login over clear HTTP */
	struct http_limits limits;
	uint32_t request_timeout_ms, keepalive_timeout_ms;
	uint64_t login_idle_ms, login_max_ms;
	uint32_t logins_per_account;     /* web.logins_per_account (web-auth.h) */
	struct pb_cidr_list metrics_networks; /* may read /metrics without a login */
	/* webmail's self-service recovery (web-self.c) */
	struct web_reset *reset;         /* its links and counters (the hub thread's) */
	char public_url[256];            /* the links' base: web.public_url, else default_url */
	char default_url[256];           /* https://hostname:port of the first binding */
	uint64_t reset_ttl_ms;
	uint32_t reset_user_per_hour, reset_ip_per_hour;
	uint32_t events_n;               /* status streams open (web-events.c) */
	/* webmail's attachment uploads (web-mail-upload.c) */
	struct web_uploads *uploads;     /* the hub thread's, outlives the hub */
	uint32_t uploads_per_user;       /* web.uploads_per_user */
	uint64_t uploads_user_bytes;     /* web.uploads_user_kb */
	uint64_t uploads_disk_floor;     /* storage.min_free_mb: the free space uploads leave */
	uint64_t upload_ttl_ms;          /* web.upload_ttl_s */
	uint64_t events_ping_ms;         /* web.events_ping_s */
	uint64_t max_message_size;       /* smtp.max_message_size: the server's */
	uint32_t max_recipients;         /* smtp.max_recipients: a webmail message's, as SMTP's */
	struct pb_settings_signature signature; /* signature.*: mail sent from webmail */
};

/* Who the request under way is (copied from the login: the table may move meanwhile). */
struct web_who {
	char *user;     /* NULL: nobody logged in */
	uint64_t user_id;
	bool admin;
	uint64_t login; /* the cookie's login (web_login.seq), 0: an API key */
};

struct web_stub;   /* web-stub.h */
struct web_events; /* web-events.c */

struct web_session {
	struct gw_session *gs;
	struct web_server *srv;
	struct http_reader *reader;
	struct pb_buf pending;  /* input not read yet (pipelined requests) */
	const char *body;       /* a body being written a piece at a time */
	char *body_owned;       /* ... when it is ours to free (an API answer) */
	size_t body_len, body_off;
	bool request_timed;     /* the request under way has its deadline armed */
	bool close_after;       /* close once the response is written */
	bool closing;
	bool pushing;           /* inside body_push: a drain from our own write is ignored */
	bool waiting;           /* a request waits for actors: its answer comes from a call */
	bool in_handle;         /* inside the request's handler: an answer now is synchronous */
	struct web_who who;     /* the request under way's login */
	char *arg;              /* the route's {name}, decoded; NULL none */
	void *job;              /* the request's own state across its actor calls (web-mail.c), */
	void (*job_free)(void *job); /* freed when it is answered or the session closes */
	size_t reserved;        /* the request's share of the in-flight budget (web_job_reserve) */
	struct gw_login login;  /* POST /api/login under way */
	struct web_stub *stub;  /* the replies of stub calls under way (web-stub.h), NULL none */
	const void *route;      /* the route waiting for its API key's check (web-api.c) */
	struct web_events *events; /* a status stream (GET /api/status/events), NULL none */
	struct web_upload_tmp *upload; /* an upload's body as it arrived (web-mail.h), NULL none */
};

extern const struct gw_proto web_proto;

/* ---- for the API (web-session.c) ---- */
/* Answers the request under way with status and a body of media type `type` (text: taken, NUL
 * terminated; NULL: none), then the session reads the next request (or closes). set_cookie:
 * a Set-Cookie value or NULL; allow: an Allow value (405) or NULL. */
void web_reply_text(struct web_session *ws, int status, const char *type, char *text,
		    const char *set_cookie, const char *allow);
/* The same with len octets of data (copied: may hold NUL) and, when not NULL, a
 * Content-Disposition value (attachment downloads). */
void web_reply_bytes(struct web_session *ws, int status, const char *type, const void *data,
		     size_t len, const char *disposition);
/* Gives the request under way a job (see struct web_session), freeing one it had. */
void web_job_set(struct web_session *ws, void *job, void (*job_free)(void *job));
/* The same with a JSON body (taken; NULL: none). */
void web_reply_json(struct web_session *ws, int status, cJSON *body, const char *set_cookie);
/* The same with {"error": text}. */
void web_reply_error(struct web_session *ws, int status, const char *text);
/* Ends the request under way with a 200 head of media type `type` and no length: the body is
 * what the session writes next, until the connection closes (a stream: web-events.c). The
 * session reads no further requests: input is read and dropped (so a close is seen). */
void web_stream_begin(struct web_session *ws, const char *type);
/* Takes bytes more of the node's budget of message bytes in flight
 * (limits.message_bytes_in_flight_mb, shared with SMTP, POP3 and IMAP: gw_reserve) for the
 * request under way — what its job will buffer of a message and the answer made of it — given
 * back once the answer is written whole (or the session closes). Past the budget answers 503
 * with Retry-After and {"error": ...} and returns false (the caller returns: its job is freed). */
bool web_job_reserve(struct web_session *ws, size_t bytes);
/* A struct pb_sender for a client stub's call whose answer goes to cont (the request waits). */
struct pb_sender web_call_sender(struct web_session *ws, struct gw_pending *p, gw_cont_fn *cont);

/* ---- status streams (web-events.c) ---- */
/* GET /api/status/events: registers with the status hub, then streams its pushes. */
void web_api_status_events(struct web_session *ws, const struct http_request *q);
/* An event for the streaming session (STATUS_PUSH_EVT; others ignored). */
void web_events_event(struct web_session *ws, struct pb_msg *m);
/* The stream's deadline: its login checked, a comment line written, the deadline set again. */
void web_events_timeout(struct web_session *ws);
/* The stream ends: unregistered from the hub, freed (ws->events NULL; none: nothing). */
void web_events_close(struct web_session *ws);

/* ---- the API (web-api.c) ---- */
/* Whether path is the API's ("/api/..." or "/metrics"). */
bool web_api_owns(const char *path);
/* Handles an API request: answers at once or later (ws->waiting). */
void web_api_handle(struct web_session *ws, const struct http_request *q);
/* The OpenAPI 3 document of every route (the caller frees it). */
char *web_api_openapi(void);
extern const struct gw_login_ops web_login_ops;

#endif
