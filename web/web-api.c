/*
 * web-api.c: the REST/JSON API under /api/ and the Prometheus /metrics — one table of routes
 * from which both the dispatch and the OpenAPI 3 document (GET /api/openapi.json,
 * docs/openapi.json) are made, so they cannot drift.
 *
 * Every request: the route (404 JSON for none, 405 with Allow for a known path with another
 * method), who it is (the pb_session cookie: web-auth.h), then the route's access (401 without
 * a login, 403 without the right), then for a request that changes something (not GET/HEAD)
 * made with the cookie the X-CSRF-Token field (403), and a body that must be JSON
 * (Content-Type application/json: a cross-site form cannot send one without asking, 415).
 * Handlers reach actors only through their client stubs (gw_call), never the store.
 *
 * OWNS: nothing beyond the session's request fields. THREAD: the web hub's.
 * The administration endpoints are in web-api-admin.c.
 * MESSAGES sent (through stubs): AUTH_USER_VERIFY_REQ and LOCKOUT_LOGIN_REQ (gw-login.c),
 * DIR_USER_SHOW_REQ, DIR_USER_LIST_REQ, SYS_STATUS_REQ.
 */
#include "web-api.h"
#include "web-mail.h"

#include "directory-client.h"
#include "gw-guard.h"
#include "http-response.h"
#include "pb-alloc.h"
#include "pb-log.h"
#include "sys-client.h"

#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

enum web_access {
	WEB_PUBLIC,        /* anyone */
	WEB_USER,          /* any login */
	WEB_SELF_OR_ADMIN, /* the account named by {name}, or an administrator */
	WEB_ADMIN,         /* an administrator */
	WEB_METRICS,       /* web.metrics_networks, or an administrator */
};

struct web_route {
	enum http_verb verb;
	const char *path; /* "/api/users/{name}": a {name} segment matches one segment */
	enum web_access access;
	const char *tag, *summary;
	const char *request;  /* the JSON schema of the body (OpenAPI), NULL: none */
	const char *response; /* the JSON schema of a 2xx answer, NULL: none */
	int ok_status;
	void (*handle)(struct web_session *ws, const struct http_request *q);
};

static void api_login(struct web_session *ws, const struct http_request *q);
static void api_logout(struct web_session *ws, const struct http_request *q);
static void api_me(struct web_session *ws, const struct http_request *q);
static void api_status(struct web_session *ws, const struct http_request *q);
static void api_users(struct web_session *ws, const struct http_request *q);
static void api_user(struct web_session *ws, const struct http_request *q);
static void api_openapi(struct web_session *ws, const struct http_request *q);
static void api_metrics(struct web_session *ws, const struct http_request *q);

#define S_ERROR "{\"type\":\"object\",\"properties\":{\"error\":{\"type\":\"string\"}}}"
#define S_LOGIN_IN                                                                         \
	"{\"type\":\"object\",\"required\":[\"user\",\"password\"],\"properties\":{"       \
	"\"user\":{\"type\":\"string\"},\"password\":{\"type\":\"string\"}}}"
#define S_ME                                                                               \
	"{\"type\":\"object\",\"properties\":{\"user\":{\"type\":\"string\"},"             \
	"\"admin\":{\"type\":\"boolean\"},\"csrf\":{\"type\":\"string\"}}}"
#define S_USER_ROW                                                                         \
	"{\"type\":\"object\",\"properties\":{\"user\":{\"type\":\"string\"},"             \
	"\"messages\":{\"type\":\"integer\"},\"bytes\":{\"type\":\"integer\"}}}"
#define S_USERS "{\"type\":\"array\",\"items\":" S_USER_ROW "}"
#define S_USER                                                                             \
	"{\"type\":\"object\",\"properties\":{\"user\":{\"type\":\"string\"},"             \
	"\"id\":{\"type\":\"integer\"},\"created_ms\":{\"type\":\"integer\"},"             \
	"\"messages\":{\"type\":\"integer\"},\"bytes\":{\"type\":\"integer\"},"            \
	"\"settings\":{\"type\":\"object\"}}}"
#define S_STATUS "{\"type\":\"object\"}"
#define S_USER_IN S_LOGIN_IN
#define S_PASSWORD_IN                                                                      \
	"{\"type\":\"object\",\"required\":[\"password\"],\"properties\":{"                  \
	"\"password\":{\"type\":\"string\"}}}"
#define S_DOMAIN_IN                                                                        \
	"{\"type\":\"object\",\"required\":[\"domain\"],\"properties\":{"                    \
	"\"domain\":{\"type\":\"string\"}}}"
#define S_DOMAINS "{\"type\":\"array\",\"items\":{\"type\":\"string\"}}"

#define S_MAIL_FOLDERS                                                                     \
	"{\"type\":\"array\",\"items\":{\"type\":\"object\",\"properties\":{"               \
	"\"name\":{\"type\":\"string\"},\"special\":{\"type\":\"string\"},"                 \
	"\"messages\":{\"type\":\"integer\"},\"unseen\":{\"type\":\"integer\"},"            \
	"\"size\":{\"type\":\"integer\"}}}}"
#define S_MAIL_FLAGS "{\"type\":\"array\",\"items\":{\"type\":\"string\"}}"
#define S_MAIL_PAGE                                                                        \
	"{\"type\":\"object\",\"properties\":{\"total\":{\"type\":\"integer\"},"            \
	"\"messages\":{\"type\":\"array\",\"items\":{\"type\":\"object\",\"properties\":{"  \
	"\"uid\":{\"type\":\"integer\"},\"from\":{\"type\":\"string\"},"                    \
	"\"subject\":{\"type\":\"string\"},\"date\":{\"type\":\"string\"},"                 \
	"\"arrived_ms\":{\"type\":\"integer\"},\"size\":{\"type\":\"integer\"},"            \
	"\"flags\":" S_MAIL_FLAGS "}}}}}"
#define S_MAIL_MESSAGE                                                                     \
	"{\"type\":\"object\",\"properties\":{\"uid\":{\"type\":\"integer\"},"              \
	"\"from\":{\"type\":\"string\"},\"to\":{\"type\":\"string\"},"                      \
	"\"cc\":{\"type\":\"string\"},\"subject\":{\"type\":\"string\"},"                   \
	"\"date\":{\"type\":\"string\"},\"message_id\":{\"type\":\"string\"},"              \
	"\"text\":{\"type\":\"string\"},\"html\":{\"type\":\"string\"},"                    \
	"\"flags\":" S_MAIL_FLAGS ",\"attachments\":{\"type\":\"array\",\"items\":{"          \
	"\"type\":\"object\",\"properties\":{\"part\":{\"type\":\"string\"},"               \
	"\"name\":{\"type\":\"string\"},\"type\":{\"type\":\"string\"},"                    \
	"\"size\":{\"type\":\"integer\"}}}}}}"
#define S_MAIL_FLAGS_IN                                                                    \
	"{\"type\":\"object\",\"properties\":{\"seen\":{\"type\":\"boolean\"},"             \
	"\"answered\":{\"type\":\"boolean\"},\"flagged\":{\"type\":\"boolean\"},"           \
	"\"deleted\":{\"type\":\"boolean\"},\"draft\":{\"type\":\"boolean\"}}}"
#define S_MAIL_MOVE_IN                                                                     \
	"{\"type\":\"object\",\"required\":[\"to\"],\"properties\":{"                      \
	"\"to\":{\"type\":\"string\"}}}"
#define S_MAIL_SEND_IN                                                                     \
	"{\"type\":\"object\",\"properties\":{\"to\":{\"type\":\"string\"},"                \
	"\"cc\":{\"type\":\"string\"},\"subject\":{\"type\":\"string\"},"                   \
	"\"text\":{\"type\":\"string\"},\"in_reply_to\":{\"type\":\"string\"},"             \
	"\"attachments\":{\"type\":\"array\",\"items\":{\"type\":\"object\",\"properties\":{" \
	"\"name\":{\"type\":\"string\"},\"type\":{\"type\":\"string\"},"                    \
	"\"data\":{\"type\":\"string\",\"format\":\"byte\"}}}}}}"
#define S_MAIL_SENT                                                                        \
	"{\"type\":\"object\",\"properties\":{\"queued\":{\"type\":\"integer\"},"           \
	"\"uid\":{\"type\":\"integer\"}}}"
#define S_MAIL_MOVED                                                                       \
	"{\"type\":\"object\",\"properties\":{\"folder\":{\"type\":\"string\"},"            \
	"\"uid\":{\"type\":\"integer\"}}}"

static const struct web_route routes[] = {
	{ HTTP_VERB_POST, "/api/login", WEB_PUBLIC, "session",
	  "Log in with an account's password; sets the pb_session cookie and returns the CSRF token",
	  S_LOGIN_IN, S_ME, 200, api_login },
	{ HTTP_VERB_POST, "/api/logout", WEB_USER, "session", "End this login", NULL, NULL, 204,
	  api_logout },
	{ HTTP_VERB_GET, "/api/me", WEB_USER, "session", "Who is logged in, and the CSRF token",
	  NULL, S_ME, 200, api_me },
	{ HTTP_VERB_GET, "/api/status", WEB_ADMIN, "status",
	  "The node's status: version, uptime, counts, services, store and disk", NULL, S_STATUS,
	  200, api_status },
	{ HTTP_VERB_GET, "/api/users", WEB_ADMIN, "users",
	  "Every account with its inbox count and size", NULL, S_USERS, 200, api_users },
	{ HTTP_VERB_POST, "/api/users", WEB_ADMIN, "users", "Add an account", S_USER_IN, NULL,
	  201, web_api_user_add },
	{ HTTP_VERB_GET, "/api/users/{name}", WEB_SELF_OR_ADMIN, "users",
	  "One account: id, creation time, inbox count and size, settings", NULL, S_USER, 200,
	  api_user },
	{ HTTP_VERB_DELETE, "/api/users/{name}", WEB_ADMIN, "users",
	  "Delete an account (?force=1: also when its mailbox holds mail); its logins end", NULL,
	  NULL, 204, web_api_user_del },
	{ HTTP_VERB_PUT, "/api/users/{name}/password", WEB_SELF_OR_ADMIN, "users",
	  "Set an account's password (the guide's password rules); its logins end", S_PASSWORD_IN,
	  NULL, 204, web_api_user_password },
	{ HTTP_VERB_GET, "/api/domains", WEB_ADMIN, "domains", "The local domains", NULL, S_DOMAINS,
	  200, web_api_domains },
	{ HTTP_VERB_POST, "/api/domains", WEB_ADMIN, "domains", "Add a local domain", S_DOMAIN_IN,
	  NULL, 201, web_api_domain_add },
	{ HTTP_VERB_DELETE, "/api/domains/{name}", WEB_ADMIN, "domains",
	  "Remove a local domain (?force=1: also when accounts have addresses at it)", NULL, NULL,
	  204, web_api_domain_del },
	{ HTTP_VERB_GET, "/api/settings/{name}", WEB_ADMIN, "settings",
	  "A settings document (docs/settings.md) with every key's value in effect", NULL,
	  "{\"type\":\"object\"}", 200, web_api_setting_get },
	{ HTTP_VERB_PATCH, "/api/settings/{name}", WEB_ADMIN, "settings",
	  "Change some keys of a settings document (validated; the rest stay)",
	  "{\"type\":\"object\"}", NULL, 204, web_api_setting_put },
	{ HTTP_VERB_GET, "/api/settings-history", WEB_ADMIN, "settings",
	  "The settings history, newest first (?before=N&limit=M): who, when, the document "
	  "before and after (secrets masked)",
	  NULL, "{\"type\":\"array\",\"items\":{\"type\":\"object\"}}", 200,
	  web_api_setting_history },
	{ HTTP_VERB_POST, "/api/settings-history/{name}/rollback", WEB_ADMIN, "settings",
	  "Undo change {name} (its keys only), or with ?to=1 set every document changed since "
	  "back to its state then; itself a new change",
	  NULL, "{\"type\":\"object\",\"properties\":{\"changed\":{\"type\":\"integer\"}}}",
	  200, web_api_setting_rollback },
	/* ---- webmail (h-webmail: web-mail*.c): the logged-in account's own mailbox ---- */
	{ HTTP_VERB_GET, "/api/mail/folders", WEB_USER, "mail",
	  "Your folders with their message, unseen and byte counts", NULL, S_MAIL_FOLDERS, 200,
	  web_mail_folders },
	{ HTTP_VERB_GET, "/api/mail/folders/{folder}/messages", WEB_USER, "mail",
	  "A page of a folder's messages (?limit=1..200&after=UID&sort=date|size|uid&order="
	  "desc|asc&q=TEXT: a search of headers and body) and the number selected (total; not "
	  "with sort=uid&order=asc and no q, which lists the page alone); a folder below another "
	  "has its '/' percent-encoded twice",
	  NULL, S_MAIL_PAGE, 200, web_mail_list },
	{ HTTP_VERB_GET, "/api/mail/folders/{folder}/messages/{uid}", WEB_USER, "mail",
	  "One message: headers, its text and HTML (unsanitised: show it sandboxed), attachments",
	  NULL, S_MAIL_MESSAGE, 200, web_mail_read },
	{ HTTP_VERB_GET, "/api/mail/folders/{folder}/messages/{uid}/parts/{part}", WEB_USER,
	  "mail", "An attachment's content (application/octet-stream, Content-Disposition: "
	  "attachment)", NULL, NULL, 200, web_mail_part },
	{ HTTP_VERB_PATCH, "/api/mail/folders/{folder}/messages/{uid}", WEB_USER, "mail",
	  "Set or clear a message's flags", S_MAIL_FLAGS_IN, NULL, 204, web_mail_flags },
	{ HTTP_VERB_POST, "/api/mail/folders/{folder}/messages/{uid}/move", WEB_USER, "mail",
	  "Move a message to another folder; answers its new uid", S_MAIL_MOVE_IN,
	  S_MAIL_MOVED, 200, web_mail_move },
	{ HTTP_VERB_DELETE, "/api/mail/folders/{folder}/messages/{uid}", WEB_USER, "mail",
	  "Delete a message: to Trash, or from Trash for good", NULL, NULL, 204,
	  web_mail_delete },
	{ HTTP_VERB_POST, "/api/mail/send", WEB_USER, "mail",
	  "Send a message (to and cc: comma-separated addresses; attachments' data base64; "
	  "at most 1 MB in all) through the submission path; a copy goes to Sent",
	  S_MAIL_SEND_IN, S_MAIL_SENT, 202, web_mail_send },
	{ HTTP_VERB_POST, "/api/mail/drafts", WEB_USER, "mail",
	  "Save a message as a draft in Drafts (the body as for sending)", S_MAIL_SEND_IN,
	  S_MAIL_SENT, 201, web_mail_draft },
	/* ---- end of webmail ---- */
	{ HTTP_VERB_GET, "/api/openapi.json", WEB_PUBLIC, "meta", "This API's OpenAPI 3 document",
	  NULL, "{\"type\":\"object\"}", 200, api_openapi },
	{ HTTP_VERB_GET, "/metrics", WEB_METRICS, "meta",
	  "Prometheus metrics (text format 0.0.4) for web.metrics_networks or an administrator",
	  NULL, NULL, 200, api_metrics },
};

int web_status_of(uint32_t code, int ok)
{
	switch (code) {
	case PB_OK:
		return ok;
	case PB_ERR_REFUSED:
		return 400;
	case PB_ERR_NOTFOUND:
		return 404;
	case PB_ERR_EXISTS:
		return 409;
	case PB_ERR_AUTH:
		return 401;
	case PB_ERR_OVERQUOTA:
		return 413;
	case PB_ERR_TEMP:
	case PB_ERR_NOSPACE:
		return 503;
	default:
		return 500;
	}
}

const char *web_body_str(const cJSON *body, const char *name)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(body, name);
	return cJSON_IsString(v) ? v->valuestring : NULL;
}

void web_reply_busy(struct web_session *ws)
{
	web_reply_error(ws, 503, "server busy, try again later");
}

bool web_api_owns(const char *path)
{
	return strncmp(path, "/api/", 5) == 0 || strcmp(path, "/api") == 0 ||
	       strcmp(path, "/metrics") == 0;
}

/* Whether path matches pattern, each {x} segment matching one segment of path; the first
 * one's text goes to *arg_r (allocated; the handler reads later ones from the path). */
static bool path_match(const char *pattern, const char *path, char **arg_r)
{
	*arg_r = NULL;
	for (const char *brace; (brace = strchr(pattern, '{')) != NULL;) {
		size_t pre = (size_t)(brace - pattern);
		const char *seg = path + pre, *slash;
		if (strncmp(pattern, path, pre) != 0)
			break;
		slash = strchr(seg, '/');
		size_t seg_len = slash != NULL ? (size_t)(slash - seg) : strlen(seg);
		if (seg_len == 0)
			break;
		if (*arg_r == NULL)
			*arg_r = xstrndup(seg, seg_len);
		pattern = strchr(brace, '}') + 1;
		path = seg + seg_len;
	}
	if (strchr(pattern, '{') == NULL && strcmp(pattern, path) == 0)
		return true;
	free(*arg_r);
	*arg_r = NULL;
	return false;
}

/* The route for q, or NULL with *allow_r the methods the path has ("" if none). */
static const struct web_route *route_find(const struct http_request *q, char **arg_r,
					  char allow_r[64])
{
	allow_r[0] = '\0';
	for (size_t i = 0; i < PB_N_ELEMENTS(routes); i++) {
		char *arg;
		if (!path_match(routes[i].path, q->path, &arg))
			continue;
		bool verb_ok = routes[i].verb == q->verb ||
			       (routes[i].verb == HTTP_VERB_GET && q->verb == HTTP_VERB_HEAD);
		if (verb_ok) {
			*arg_r = arg;
			return &routes[i];
		}
		free(arg);
		size_t n = strlen(allow_r);
		snprintf(allow_r + n, 64 - n, "%s%s", n > 0 ? ", " : "",
			 http_verb_name(routes[i].verb));
	}
	return NULL;
}

static bool metrics_peer(const struct web_session *ws)
{
	return pb_cidr_list_match(&ws->srv->metrics_networks, gw_peer(ws->gs));
}

/* The refusal of route r for this request (status and text), or 0 when it may proceed. */
static int access_check(struct web_session *ws, const struct web_route *r,
			const struct http_request *q, const struct web_login *l, const char **why_r)
{
	bool changes = q->verb != HTTP_VERB_GET && q->verb != HTTP_VERB_HEAD;

	if (r->access == WEB_METRICS && (metrics_peer(ws) || (l != NULL && l->admin)))
		return 0;
	if (r->access != WEB_PUBLIC && l == NULL)
		return *why_r = "log in first", 401;
	if (changes && l != NULL && r->access != WEB_PUBLIC &&
	    !web_auth_csrf_ok(l, http_request_field(q, "x-csrf-token")))
		return *why_r = "the X-CSRF-Token field is missing or wrong", 403;
	if (r->request != NULL) {
		const char *type = http_request_field(q, "content-type");
		if (type == NULL || strncasecmp(type, "application/json", 16) != 0)
			return *why_r = "the body must be application/json", 415;
	}
	bool self = l != NULL && ws->arg != NULL && strcasecmp(ws->arg, l->user) == 0;
	if ((r->access == WEB_ADMIN || r->access == WEB_METRICS) && !l->admin)
		return *why_r = "an administrator's right", 403;
	if (r->access == WEB_SELF_OR_ADMIN && !l->admin && !self)
		return *why_r = "an administrator's right, or your own account", 403;
	return 0;
}

void web_api_handle(struct web_session *ws, const struct http_request *q)
{
	char allow[64];
	const char *why;

	free(ws->arg);
	ws->arg = NULL;
	free(ws->who.user);
	ws->who = (struct web_who){ 0 };
	const struct web_route *r = route_find(q, &ws->arg, allow);
	if (r == NULL) {
		if (allow[0] == '\0') {
			web_reply_error(ws, 404, "no such endpoint");
			return;
		}
		web_reply_text(ws, 405, "application/json",
			       xstrdup("{\"error\":\"method not allowed\"}"), NULL, allow);
		return;
	}
	const struct web_login *l = web_auth_find(ws->srv->auth, http_request_field(q, "cookie"),
						  gw_now(ws->gs), ws->srv->login_idle_ms,
						  ws->srv->login_max_ms);
	int status = access_check(ws, r, q, l, &why);
	if (status != 0) {
		web_reply_error(ws, status, why);
		return;
	}
	if (l != NULL)
		ws->who = (struct web_who){ xstrdup(l->user), l->user_id, l->admin };
	r->handle(ws, q);
}

/* ---- session ---- */

static const char *cookie_attrs(const struct web_session *ws)
{
	return gw_tls_active(ws->gs) ? "; Path=/; HttpOnly; SameSite=Strict; Secure"
				     : "; Path=/; HttpOnly; SameSite=Strict";
}

static cJSON *me_json(const char *user, bool admin, const char *csrf)
{
	cJSON *o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "user", user);
	cJSON_AddBoolToObject(o, "admin", admin);
	cJSON_AddStringToObject(o, "csrf", csrf);
	return o;
}

static void api_login(struct web_session *ws, const struct http_request *q)
{
	cJSON *in = cJSON_ParseWithLength(q->body.data, q->body.len);
	const cJSON *u = cJSON_GetObjectItemCaseSensitive(in, "user");
	const cJSON *p = cJSON_GetObjectItemCaseSensitive(in, "password");

	if (!cJSON_IsString(u) || !cJSON_IsString(p) || u->valuestring[0] == '\0') {
		cJSON_Delete(in);
		web_reply_error(ws, 400, "the body must be {\"user\": ..., \"password\": ...}");
		return;
	}
	if (!gw_plaintext_auth_allowed(ws->gs, ws->srv->allow_plaintext_auth)) {
		cJSON_Delete(in);
		web_reply_error(ws, 403, "log in over HTTPS");
		return;
	}
	ws->waiting = true;
	gw_login_password(&ws->login, u->valuestring, p->valuestring);
	cJSON_Delete(in);
}

static void on_login_shown(void *session, uint64_t arg, struct pb_msg *m)
{
	struct web_session *ws = session;
	struct directory_user_info info = { 0 };
	const char *error;

	if (m == NULL || directory_client_user_show_reply(m, &info, &error) != PB_OK) {
		web_reply_busy(ws);
		return;
	}
	cJSON *settings = cJSON_Parse(info.settings != NULL ? info.settings : "{}");
	bool admin = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(settings, "admin"));
	cJSON_Delete(settings);
	const struct web_login *l =
		web_auth_add(ws->srv->auth, info.user, info.user_id, admin, gw_now(ws->gs));
	directory_user_info_free(&info);
	if (l == NULL) {
		web_reply_busy(ws);
		return;
	}
	char *cookie = xasprintf("pb_session=%s%s", l->token, cookie_attrs(ws));
	pb_info("web", "event=login user=%s peer=%s admin=%d", PB_LOGQ(l->user), gw_peer(ws->gs),
		admin ? 1 : 0);
	web_reply_json(ws, 200, me_json(l->user, l->admin, l->csrf), cookie);
	free(cookie);
}

static void on_login_done(void *session, enum gw_login_end end)
{
	struct web_session *ws = session;
	struct gw_pending call;
	const char *error;

	if (end != GW_LOGIN_OK) {
		bool temp = end == GW_LOGIN_TEMP || end == GW_LOGIN_BUSY;
		if (end == GW_LOGIN_BLOCKED)
			ws->close_after = true;
		web_reply_error(ws, temp ? 503 : 401,
				temp ? "server busy, try again later" : "Invalid Logon");
		return;
	}
	struct pb_sender tx = web_call_sender(ws, &call, on_login_shown);
	if (directory_client_user_show_send(&tx, ws->login.account, &error) < 0)
		web_reply_busy(ws);
}

static void on_challenge(void *session, const char *b64)
{
	/* password logins have no challenge */
}

const struct gw_login_ops web_login_ops = { .challenge = on_challenge, .done = on_login_done };

static void api_logout(struct web_session *ws, const struct http_request *q)
{
	const struct web_login *l = web_auth_find(ws->srv->auth, http_request_field(q, "cookie"),
						  gw_now(ws->gs), UINT64_MAX, UINT64_MAX);
	char *cookie = xasprintf("pb_session=%s; Max-Age=0", cookie_attrs(ws));

	if (l != NULL)
		web_auth_end(ws->srv->auth, l);
	web_reply_json(ws, 204, NULL, cookie);
	free(cookie);
}

static void api_me(struct web_session *ws, const struct http_request *q)
{
	const struct web_login *l = web_auth_find(ws->srv->auth, http_request_field(q, "cookie"),
						  gw_now(ws->gs), UINT64_MAX, UINT64_MAX);
	if (l == NULL) {
		web_reply_error(ws, 401, "log in first");
		return;
	}
	web_reply_json(ws, 200, me_json(l->user, l->admin, l->csrf), NULL);
}

/* ---- status and metrics: the sys actor's status ---- */

static cJSON *status_json(const struct sys_status *st)
{
	cJSON *o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "version", st->version != NULL ? st->version : "");
	cJSON_AddNumberToObject(o, "uptime_s", (double)(st->uptime_ms / 1000));
	cJSON_AddNumberToObject(o, "users", (double)st->users);
	cJSON_AddNumberToObject(o, "domains", (double)st->domains);
	cJSON_AddNumberToObject(o, "store_bytes", (double)st->store_bytes);
	cJSON_AddNumberToObject(o, "disk_free", (double)st->disk_free);
	cJSON_AddNumberToObject(o, "received", (double)st->received);
	cJSON_AddNumberToObject(o, "rcpts_refused", (double)st->rcpts_refused);
	cJSON_AddNumberToObject(o, "rejected", (double)st->rejected);
	cJSON_AddNumberToObject(o, "delivered", (double)st->delivered);
	cJSON_AddNumberToObject(o, "deferred", (double)st->deferred);
	cJSON_AddNumberToObject(o, "delivery_failed", (double)st->delivery_failed);
	cJSON_AddNumberToObject(o, "spool_depth", (double)st->spool_depth);
	cJSON *services = cJSON_AddArrayToObject(o, "services");
	for (uint32_t i = 0; i < st->services.n; i++) {
		cJSON *s = cJSON_CreateObject();
		cJSON_AddStringToObject(s, "service", st->services.v[i].service);
		cJSON_AddNumberToObject(s, "sessions", (double)st->services.v[i].sessions);
		cJSON_AddItemToArray(services, s);
	}
	return o;
}

/* One metric: its help, type and value lines. */
static void metric(struct pb_buf *out, const char *name, const char *type, const char *help,
		   uint64_t value)
{
	pb_buf_printf(out, "# HELP %s %s\n# TYPE %s %s\n%s %llu\n", name, help, name, type, name,
		      (unsigned long long)value);
}

/* The Prometheus text exposition (format 0.0.4) of the node's status. */
static char *metrics_text(const struct sys_status *st)
{
	static const struct {
		const char *name, *type, *help;
		size_t offset;
	} rows[] = {
#define ROW(n, t, h, f) { "pillarbox_" n, t, h, offsetof(struct sys_status, f) }
		ROW("uptime_seconds", "gauge", "Seconds since the daemon started.", uptime_ms),
		ROW("messages_received_total", "counter", "Messages accepted over SMTP.", received),
		ROW("recipients_refused_total", "counter", "SMTP recipients refused.", rcpts_refused),
		ROW("messages_rejected_total", "counter", "SMTP messages refused whole.", rejected),
		ROW("deliveries_total", "counter", "Local deliveries made.", delivered),
		ROW("deliveries_deferred_total", "counter", "Local deliveries deferred.", deferred),
		ROW("deliveries_failed_total", "counter", "Local deliveries failed.", delivery_failed),
		ROW("spool_depth", "gauge", "Accepted messages not yet delivered.", spool_depth),
		ROW("store_bytes", "gauge", "Size of the store on disk.", store_bytes),
		ROW("disk_free_bytes", "gauge", "Free space where the store lives.", disk_free),
		ROW("users", "gauge", "Accounts.", users),
		ROW("domains", "gauge", "Local domains.", domains),
#undef ROW
	};
	struct pb_buf out;

	pb_buf_init(&out);
	for (size_t i = 0; i < PB_N_ELEMENTS(rows); i++) {
		uint64_t v = *(const uint64_t *)((const char *)st + rows[i].offset);
		if (rows[i].offset == offsetof(struct sys_status, uptime_ms))
			v /= 1000;
		metric(&out, rows[i].name, rows[i].type, rows[i].help, v);
	}
	pb_buf_append_str(&out, "# HELP pillarbox_sessions Open sessions per service.\n"
				"# TYPE pillarbox_sessions gauge\n");
	for (uint32_t i = 0; i < st->services.n; i++)
		pb_buf_printf(&out, "pillarbox_sessions{service=\"%s\"} %llu\n",
			      st->services.v[i].service,
			      (unsigned long long)st->services.v[i].sessions);
	pb_buf_append_str(&out, "# HELP pillarbox_actor_messages_total Messages each actor handled.\n"
				"# TYPE pillarbox_actor_messages_total counter\n");
	for (uint32_t i = 0; i < st->actors.n; i++)
		pb_buf_printf(&out, "pillarbox_actor_messages_total{actor=\"%s\"} %llu\n",
			      st->actors.v[i].name, (unsigned long long)st->actors.v[i].handled);
	return pb_buf_steal(&out, NULL);
}

static void on_status(void *session, uint64_t arg, struct pb_msg *m)
{
	struct web_session *ws = session;
	struct sys_status st = { 0 };
	const char *error;

	if (m == NULL || sys_client_status_reply(m, &st, &error) != PB_OK) {
		sys_status_free(&st);
		web_reply_error(ws, 503, "the status is not available now");
		return;
	}
	if (arg == 1)
		web_reply_text(ws, 200, "text/plain; version=0.0.4; charset=utf-8",
			       metrics_text(&st), NULL, NULL);
	else
		web_reply_json(ws, 200, status_json(&st), NULL);
	sys_status_free(&st);
}

/* Asks sys for its status; arg 1: answer as metrics. */
static void ask_status(struct web_session *ws, uint64_t arg)
{
	struct gw_pending call;
	const char *error;
	struct pb_sender tx = web_call_sender(ws, &call, on_status);

	call.arg = arg;
	if (sys_client_status_send(&tx, &error) < 0)
		web_reply_busy(ws);
}

static void api_status(struct web_session *ws, const struct http_request *q)
{
	ask_status(ws, 0);
}

static void api_metrics(struct web_session *ws, const struct http_request *q)
{
	ask_status(ws, 1);
}

/* ---- users ---- */

static void on_users(void *session, uint64_t arg, struct pb_msg *m)
{
	struct web_session *ws = session;
	struct directory_user_list list = { 0 };
	const char *error;

	if (m == NULL || directory_client_user_list_reply(m, &list, &error) != PB_OK) {
		directory_user_list_free(&list);
		web_reply_busy(ws);
		return;
	}
	cJSON *a = cJSON_CreateArray();
	for (uint32_t i = 0; i < list.users.n; i++) {
		cJSON *u = cJSON_CreateObject();
		cJSON_AddStringToObject(u, "user", list.users.v[i].user);
		cJSON_AddNumberToObject(u, "messages", (double)list.users.v[i].messages);
		cJSON_AddNumberToObject(u, "bytes", (double)list.users.v[i].bytes);
		cJSON_AddItemToArray(a, u);
	}
	directory_user_list_free(&list);
	web_reply_json(ws, 200, a, NULL);
}

static void api_users(struct web_session *ws, const struct http_request *q)
{
	struct gw_pending call;
	const char *error;
	struct pb_sender tx = web_call_sender(ws, &call, on_users);

	if (directory_client_user_list_send(&tx, "", &error) < 0)
		web_reply_busy(ws);
}

static void on_user(void *session, uint64_t arg, struct pb_msg *m)
{
	struct web_session *ws = session;
	struct directory_user_info info = { 0 };
	const char *error = "no answer";
	uint32_t code = m != NULL ? directory_client_user_show_reply(m, &info, &error) : PB_ERR_TEMP;

	if (code != PB_OK) {
		directory_user_info_free(&info);
		web_reply_error(ws, code == PB_ERR_NOTFOUND ? 404 : 503,
				code == PB_ERR_NOTFOUND ? "no such user" : "server busy, try again later");
		return;
	}
	cJSON *o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "user", info.user);
	cJSON_AddNumberToObject(o, "id", (double)info.user_id);
	cJSON_AddNumberToObject(o, "created_ms", (double)info.created_ms);
	cJSON_AddNumberToObject(o, "messages", (double)info.messages);
	cJSON_AddNumberToObject(o, "bytes", (double)info.bytes);
	cJSON *settings = cJSON_Parse(info.settings != NULL ? info.settings : "{}");
	cJSON_AddItemToObject(o, "settings", settings != NULL ? settings : cJSON_CreateObject());
	directory_user_info_free(&info);
	web_reply_json(ws, 200, o, NULL);
}

static void api_user(struct web_session *ws, const struct http_request *q)
{
	struct gw_pending call;
	const char *error;
	struct pb_sender tx = web_call_sender(ws, &call, on_user);

	if (directory_client_user_show_send(&tx, ws->arg, &error) < 0)
		web_reply_busy(ws);
}

/* ---- the OpenAPI document ---- */

static const char *access_text(enum web_access a)
{
	static const char *const text[] = {
		[WEB_PUBLIC] = "anyone",
		[WEB_USER] = "any logged-in account",
		[WEB_SELF_OR_ADMIN] = "the account itself or an administrator",
		[WEB_ADMIN] = "an administrator",
		[WEB_METRICS] = "web.metrics_networks or an administrator",
	};
	return text[a];
}

static cJSON *json_content(const char *schema)
{
	cJSON *c = cJSON_CreateObject();
	cJSON *t = cJSON_AddObjectToObject(c, "application/json");
	cJSON_AddItemToObject(t, "schema", cJSON_Parse(schema));
	return c;
}

static cJSON *operation(const struct web_route *r)
{
	cJSON *op = cJSON_CreateObject();
	cJSON *tags = cJSON_AddArrayToObject(op, "tags");
	cJSON_AddItemToArray(tags, cJSON_CreateString(r->tag));
	cJSON_AddStringToObject(op, "summary", r->summary);
	char *desc = xasprintf("Who may call it: %s.", access_text(r->access));
	cJSON_AddStringToObject(op, "description", desc);
	free(desc);
	cJSON *params = NULL;
	for (const char *b = strchr(r->path, '{'); b != NULL; b = strchr(b + 1, '{')) {
		if (params == NULL)
			params = cJSON_AddArrayToObject(op, "parameters");
		cJSON *p = cJSON_CreateObject();
		char *name = xstrndup(b + 1, (size_t)(strchr(b, '}') - b - 1));
		cJSON_AddStringToObject(p, "name", name);
		free(name);
		cJSON_AddStringToObject(p, "in", "path");
		cJSON_AddBoolToObject(p, "required", 1);
		cJSON_AddItemToObject(p, "schema", cJSON_Parse("{\"type\":\"string\"}"));
		cJSON_AddItemToArray(params, p);
	}
	if (r->request != NULL) {
		cJSON *body = cJSON_AddObjectToObject(op, "requestBody");
		cJSON_AddBoolToObject(body, "required", 1);
		cJSON_AddItemToObject(body, "content", json_content(r->request));
	}
	cJSON *resp = cJSON_AddObjectToObject(op, "responses");
	char code[8];
	snprintf(code, sizeof(code), "%d", r->ok_status);
	cJSON *ok = cJSON_AddObjectToObject(resp, code);
	cJSON_AddStringToObject(ok, "description", http_status_text(r->ok_status));
	if (r->response != NULL)
		cJSON_AddItemToObject(ok, "content", json_content(r->response));
	cJSON *def = cJSON_AddObjectToObject(resp, "default");
	cJSON_AddStringToObject(def, "description", "An error, with its reason");
	cJSON_AddItemToObject(def, "content", json_content(S_ERROR));
	return op;
}

static const char *verb_lower(enum http_verb v)
{
	static const char *const names[] = { "get", "head", "post", "put", "patch", "delete",
					     "options" };
	return names[v];
}

char *web_api_openapi(void)
{
	cJSON *doc = cJSON_CreateObject();
	cJSON_AddStringToObject(doc, "openapi", "3.0.3");
	cJSON *info = cJSON_AddObjectToObject(doc, "info");
	cJSON_AddStringToObject(info, "title", "Pillarbox administration API");
	cJSON_AddStringToObject(info, "version", "1");
	cJSON *paths = cJSON_AddObjectToObject(doc, "paths");
	for (size_t i = 0; i < PB_N_ELEMENTS(routes); i++) {
		cJSON *item = cJSON_GetObjectItemCaseSensitive(paths, routes[i].path);
		if (item == NULL)
			item = cJSON_AddObjectToObject(paths, routes[i].path);
		cJSON_AddItemToObject(item, verb_lower(routes[i].verb), operation(&routes[i]));
	}
	char *text = cJSON_Print(doc);
	cJSON_Delete(doc);
	return text;
}

static void api_openapi(struct web_session *ws, const struct http_request *q)
{
	char *text = web_api_openapi();
	web_reply_json(ws, 200, cJSON_Parse(text), NULL);
	free(text);
}
