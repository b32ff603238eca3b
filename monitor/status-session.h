/*
 * status-session.h: what the status server's files share (status-session.c: the connection,
 * input and the requests; status-login.c: login; status-snapshot.c: the snapshot; status-server.c:
 * start and the settings). Nobody outside monitor/ includes it.
 * OWNS: the types. THREAD: the status hub's.
 */
#ifndef STATUS_SESSION_H
#define STATUS_SESSION_H

#include "gw-login.h"
#include "gw-session.h"
#include "pb-lines.h"
#include "queue-client.h"
#include "status-perms.h"

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stdint.h>

/* The protocol's version, in the greeting. */
#define STATUS_PROTOCOL_VERSION 1
/* The longest request line (octets, LF included); a longer one is refused and skipped. */
#define STATUS_LINE_MAX 16384
/* Requests a session may have waiting for actors at once; past it "busy". */
#define STATUS_REQS_MAX 8
/* Each call's deadline. */
#define STATUS_CALL_TIMEOUT_MS 10000
/* Bad requests before the connection is closed. */
#define STATUS_MAX_BAD 20
/* The text of a failed login (admin guide 2.2.5). */
#define STATUS_INVALID_LOGON "ERR Invalid Logon"

/* What the server's tick copies from the settings (status.*, limits.*). */
struct status_server {
	uint32_t login_timeout_ms, idle_timeout_ms;
	size_t output_budget;
	uint32_t admin_perms, user_perms;
	bool allow_plaintext_auth;
	uint32_t warned_admin, warned_user; /* a bad permissions setting, warned once */
};

/* A request waiting for actors: its id (a copy of the client's), the reply it builds and the
 * calls it still waits for. */
struct status_req {
	bool used;
	int op;
	cJSON *id;
	cJSON *reply;
	uint32_t waiting;
	struct pb_client_fanout queue_fanout; /* snapshot: the queue shards asked */
	struct queue_client_stats queue;
	cJSON *progress; /* snapshot: the hub's jobs in progress, for "connection" (NULL none) */
	uint64_t sending; /* snapshot: the queue's transactions in flight (the hub's sum) */
};

struct status_session {
	struct gw_session *gs;
	struct status_server *srv;
	struct pb_lines in;
	struct gw_login login;
	int login_slot;         /* the request slot of the login under way (-1 none) */
	char addr[PB_MSG_MAX_ADDR]; /* the session's event address */
	char *user;             /* logged in: the account's name, or "apikey:LABEL" */
	char *key_label;        /* an API key login under way: the key's label once checked */
	bool admin;
	uint32_t perms;
	bool registered;        /* the status hub was asked to know it (ended at the close) */
	bool closing;
	uint32_t bad;
	struct status_req reqs[STATUS_REQS_MAX];
};

/* ---- status-session.c ---- */
/* Writes one JSON object as a line (o freed), or drops a client past its output budget. */
void status_send(struct status_session *s, cJSON *o);
/* A reply to request id (copied): {"id":..,"ok":true} plus what the caller adds. */
cJSON *status_reply_ok(const cJSON *id);
/* Sends {"id":..,"ok":false,"error":text} (and "permission": perm when perm is not NULL). */
void status_send_error(struct status_session *s, const cJSON *id, const char *text,
		       const char *perm);
/* A free request slot holding a copy of id, or -1 (the client hears "busy"). */
int status_req_take(struct status_session *s, int op, const cJSON *id);
/* Ends slot i: sends its reply (or, when failed is not NULL, that error) and frees it. */
void status_req_finish(struct status_session *s, int i, const char *failed);
/* A call of this session for request slot i (gw_sender(&call) is the stub's sender). */
struct gw_pending status_call_of(struct status_session *s, gw_cont_fn *cont, int i);

/* ---- status-login.c ---- */
#define STATUS_OP_LOGIN 0
extern const struct gw_login_ops status_login_ops;
/* The "login" request (password or API key). */
void status_do_login(struct status_session *s, const cJSON *req, const cJSON *id);
/* Registers (again) with the status hub: the session's user, topics (NULL none) and IM
 * permission; cont(session, i, reply) follows. 0, or -1 with error_r when nothing was sent. */
int status_hub_register(struct status_session *s, const struct pb_strv *topics, gw_cont_fn *cont,
			int i, const char **error_r);
/* The string argument name of a request, NULL when absent or not a string. */
const char *status_str_arg(const cJSON *req, const char *name);

/* ---- status-snapshot.c ---- */
/* The "snapshot" request: asks the owners what the permissions allow and replies once they
 * answered (a part whose owner did not answer says "unavailable"). */
void status_snapshot(struct status_session *s, const cJSON *id);

/* ---- status-server.c ---- */
extern const struct gw_proto status_proto;

#endif
