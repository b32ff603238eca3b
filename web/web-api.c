/*
 * web-api.c: the REST/JSON API under /api/ and the Prometheus /metrics — one table of routes
 * from which both the dispatch and the OpenAPI 3 document (GET /api/openapi.json,
 * docs/openapi.json) are made, so they cannot drift. Every schema names what it holds (ctest
 * openapi-schemas refuses a bare object or array), and test/e2e/test_web_openapi.py calls every
 * route of the document on a live daemon and checks each answer against it: a new route gets
 * its schemas here and a call (or a listed reason) there.
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
 * DIR_USER_SHOW_REQ, DIR_USER_LIST_REQ, LOCKOUT_LIST_REQ, SYS_STATUS_REQ, LOCKOUT_STATS_REQ,
 * QUEUE_STATS_REQ; the h-rest group's routes: web-rest.h.
 */
#include "web-api.h"
#include "directory-client-routes.h"
#include "web-mail.h"

#include "directory-client.h"
#include "gw-guard.h"
#include "gw-hub.h"
#include "http-response.h"
#include "pb-alloc.h"
#include "pb-log.h"
#include "lockout-client.h"
#include "queue-client.h"
#include "sys-client.h"
#include "web-prom.h"
#include "web-rest.h"
#include "web-self.h"

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
	"{\"type\":\"object\",\"required\":[\"user\",\"admin\",\"csrf\"],"                        \
	"\"properties\":{\"user\":{\"type\":\"string\"},"                                         \
	"\"admin\":{\"type\":\"boolean\"},\"csrf\":{\"type\":\"string\"}}}"
#define S_USER_ROW                                                                         \
	"{\"type\":\"object\",\"required\":[\"user\",\"messages\",\"bytes\",\"forwards\","   \
	"\"locked\"],"                                                                             \
	"\"properties\":{\"user\":{\"type\":\"string\"},"                                         \
	"\"messages\":{\"type\":\"integer\"},\"bytes\":{\"type\":\"integer\"},"            \
	"\"forwards\":{\"type\":\"boolean\"},\"locked\":{\"type\":\"boolean\"}}}"
#define S_USERS "{\"type\":\"array\",\"items\":" S_USER_ROW "}"
#define S_USER                                                                             \
	"{\"type\":\"object\",\"required\":[\"user\",\"id\",\"created_ms\",\"messages\",\"bytes\"," \
	"\"settings\",\"has_web_password\",\"can_change_main\"],"                               \
	"\"properties\":{\"user\":{\"type\":\"string\"},"                                         \
	"\"id\":{\"type\":\"integer\"},\"created_ms\":{\"type\":\"integer\"},"             \
	"\"messages\":{\"type\":\"integer\"},\"bytes\":{\"type\":\"integer\"},"            \
	"\"settings\":" S_SETTINGS_DOC ",\"has_web_password\":{\"type\":\"boolean\"},"      \
	"\"can_change_main\":{\"type\":\"boolean\"}}}"
/* welcome: the account gets the welcome message (true) or not (false); absent: welcome.enabled */
#define S_USER_IN                                                                          \
	"{\"type\":\"object\",\"required\":[\"user\",\"password\"],\"properties\":{"       \
	"\"user\":{\"type\":\"string\"},\"password\":{\"type\":\"string\"},"                    \
	"\"welcome\":{\"type\":\"boolean\"}}}"
#define S_PASSWORD_IN                                                                      \
	"{\"type\":\"object\",\"required\":[\"password\"],\"properties\":{"                  \
	"\"password\":{\"type\":\"string\"},\"which\":{\"enum\":[\"main\",\"web\"]}}}"
#define S_DOMAIN_IN                                                                        \
	"{\"type\":\"object\",\"required\":[\"domain\"],\"properties\":{"                    \
	"\"domain\":{\"type\":\"string\"}}}"
#define S_DOMAINS "{\"type\":\"array\",\"items\":{\"type\":\"string\"}}"


/* ---- h-rest's schemas (the REST API over the other objects, API keys, login history) ---- */
#define S_STR "{\"type\":\"string\"}"
#define S_MAPPING_IN                                                                       \
	"{\"type\":\"object\",\"required\":[\"address\",\"target\"],\"properties\":{"       \
	"\"address\":" S_STR ",\"target\":" S_STR ",\"type\":" S_STR ",\"collector\":" S_STR \
	",\"comment\":" S_STR "}}"
#define S_ALIAS_IN                                                                         \
	"{\"type\":\"object\",\"required\":[\"address\"],\"properties\":{"                  \
	"\"address\":" S_STR ",\"type\":" S_STR ",\"comment\":" S_STR "}}"
#define S_LIST_IN                                                                          \
	"{\"type\":\"object\",\"required\":[\"name\"],\"properties\":{\"name\":" S_STR      \
	",\"internet\":{\"type\":\"boolean\"},\"comment\":" S_STR "}}"
#define S_MEMBER_IN                                                                        \
	"{\"type\":\"object\",\"required\":[\"address\"],\"properties\":{\"address\":" S_STR "}}"
#define S_SCRIPT_IN                                                                        \
	"{\"type\":\"object\",\"required\":[\"script\"],\"properties\":{\"script\":" S_STR "}}"
#define S_CONNECTION_IN                                                                    \
	"{\"type\":\"object\",\"required\":[\"name\"],\"properties\":{\"name\":" S_STR      \
	",\"send\":{\"type\":\"boolean\"},\"collectors\":{\"type\":\"array\",\"items\":" S_STR \
	"},\"every_min\":{\"type\":\"integer\"},\"from\":" S_STR ",\"to\":" S_STR           \
	",\"days\":" S_STR ",\"min_waiting\":{\"type\":\"integer\"}}}"
#define S_COLLECTOR_IN                                                                     \
	"{\"type\":\"object\",\"required\":[\"name\"],\"properties\":{\"name\":" S_STR      \
	",\"settings\":" S_SETTINGS_DOC "}}"
#define S_QUEUE_PAGE                                                                       \
	"{\"type\":\"object\",\"required\":[\"entries\",\"more\"],"                               \
	"\"properties\":{\"entries\":" S_LIST_OF(S_QUEUE_ENTRY)                                   \
	",\"more\":{\"type\":\"boolean\"}}}"
#define S_BLOCK_IN                                                                         \
	"{\"type\":\"object\",\"required\":[\"net\"],\"properties\":{\"net\":" S_STR        \
	",\"reason\":" S_STR ",\"minutes\":{\"type\":\"integer\"}}}"
#define S_LOCK_IN "{\"type\":\"object\",\"properties\":{\"minutes\":{\"type\":\"integer\"}}}"
#define S_SERVER_SCRIPT                                                                    \
	"{\"type\":\"object\",\"required\":[\"source\",\"path\",\"script\",\"exists\"],"     \
	"\"properties\":{\"source\":{\"type\":\"string\",\"enum\":[\"file\",\"stored\","         \
	"\"installed\"]},\"path\":" S_STR ",\"script\":" S_STR                                \
	",\"exists\":{\"type\":\"boolean\"}}}"
#define S_EVENTS "{\"type\":\"string\",\"description\":\"text/event-stream\"}"
#define S_APIKEY_IN                                                                        \
	"{\"type\":\"object\",\"required\":[\"label\"],\"properties\":{\"label\":" S_STR    \
	",\"role\":{\"type\":\"string\",\"enum\":[\"admin\",\"user\"]},\"user\":" S_STR     \
	",\"permissions\":" S_STR "}}"
#define S_APIKEY_OUT                                                                       \
	"{\"type\":\"object\",\"required\":[\"label\",\"key\"],"                                  \
	"\"properties\":{\"label\":" S_STR ",\"key\":" S_STR "}}"
#define PAGED " (?limit=N&after=KEY: a page, sorted)"
/* ---- h-adm10b's schemas ---- */
#define S_RULE_PROPS                                                                       \
	"\"every_min\":{\"type\":\"integer\"},\"from\":" S_STR ",\"to\":" S_STR          \
	",\"days\":" S_STR ",\"min_waiting\":{\"type\":\"integer\"}"
#define S_CONNECTION_PATCH_IN                                                              \
	"{\"type\":\"object\",\"properties\":{\"send\":{\"type\":\"boolean\"},"          \
	"\"collectors\":{\"type\":\"array\",\"items\":" S_STR "},\"rules\":{\"type\":"   \
	"\"array\",\"items\":{\"type\":\"object\",\"properties\":{" S_RULE_PROPS "}}},"   \
	S_RULE_PROPS "}}"
#define S_LIST_PATCH_IN                                                                    \
	"{\"type\":\"object\",\"properties\":{\"internet\":{\"type\":\"boolean\"},"      \
	"\"comment\":" S_STR "}}"
#define S_BINDINGS_IN                                                                      \
	"{\"type\":\"object\",\"properties\":{\"bindings\":{\"type\":[\"array\",\"null\"]," \
	"\"items\":" S_STR "}}}"
/* the bindings stored ({"SERVICE_listen": "A B ..."}) and when they take effect */
#define S_BINDINGS_SET S_MAP_OF(S_STR)
#define S_CERTIFICATE_IN                                                                   \
	"{\"type\":\"object\",\"required\":[\"certificate\",\"key\"],\"properties\":{"   \
	"\"certificate\":" S_STR ",\"key\":" S_STR "}}"
#define S_CERTIFICATE_OUT                                                                  \
	"{\"type\":\"object\",\"properties\":{\"subject\":" S_STR ",\"issuer\":" S_STR    \
	",\"names\":" S_STR ",\"not_after\":{\"type\":\"integer\"},\"sha256\":" S_STR    \
	",\"self_signed\":{\"type\":\"boolean\"},\"file\":" S_STR                          \
	",\"takes_effect\":" S_STR "}}"
#define S_MAIL_FOLDERS                                                                     \
	"{\"type\":\"array\",\"items\":{\"type\":\"object\",\"properties\":{"               \
	"\"name\":{\"type\":\"string\"},\"special\":{\"type\":\"string\"},"                 \
	"\"messages\":{\"type\":\"integer\"},\"unseen\":{\"type\":\"integer\"},"            \
	"\"size\":{\"type\":\"integer\"}}}}"
#define S_MAIL_FLAGS "{\"type\":\"array\",\"items\":{\"type\":\"string\"}}"
#define S_MAIL_PAGE                                                                        \
	"{\"type\":\"object\",\"properties\":{\"total\":{\"type\":\"integer\"},"            \
	"\"next_cursor\":{\"type\":[\"string\",\"null\"]},"                                  \
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
	"\"size\":{\"type\":\"integer\"},\"arrived_ms\":{\"type\":\"integer\"},"            \
	"\"reply_to\":{\"type\":\"string\"},\"in_reply_to\":{\"type\":\"string\"},"         \
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
	"\"data\":{\"type\":\"string\",\"format\":\"byte\"}}}},"                         \
	"\"uploads\":{\"type\":\"array\",\"items\":{\"type\":\"string\"}}}}"
/* h-wmbig10: an attachment upload's answer */
#define S_MAIL_UPLOAD                                                                      \
	"{\"type\":\"object\",\"required\":[\"id\",\"name\",\"size\",\"type\"],\"properties\":{" \
	"\"id\":{\"type\":\"string\"},\"name\":{\"type\":\"string\"},"                    \
	"\"size\":{\"type\":\"integer\"},\"type\":{\"type\":\"string\"}}}"
#define S_MAIL_SENT                                                                        \
	"{\"type\":\"object\",\"properties\":{\"queued\":{\"type\":\"integer\","          \
	"\"description\":\"the spool id as a number (not exact past 2^53; see queued_id)\"},"   \
	"\"queued_id\":{\"type\":\"string\",\"description\":\"the spool id exactly, in "     \
	"decimal, as /api/queue's id and pillarbox trace spell it\"},"                      \
	"\"uid\":{\"type\":\"integer\"},\"copy_error\":{\"type\":\"string\"},"               \
	"\"replace_error\":{\"type\":\"string\"}}}"
#define S_MAIL_DRAFT_SAVED                                                                 \
	"{\"type\":\"object\",\"required\":[\"uid\"],\"properties\":{"                    \
	"\"uid\":{\"type\":\"integer\"},\"replace_error\":{\"type\":\"string\"}}}"
#define S_MAIL_MOVED                                                                       \
	"{\"type\":\"object\",\"properties\":{\"folder\":{\"type\":\"string\"},"            \
	"\"uid\":{\"type\":\"integer\"}}}"
/* ---- h-api10: the answers' schemas, one each, shared by the routes that answer the same
 * shape. An object names its properties (required: always there) or, for a map, its
 * additionalProperties; an array its items' — never a bare {"type":"object"} or array
 * (ctest openapi-schemas). ---- */
#define S_INT "{\"type\":\"integer\"}"
#define S_BOOL "{\"type\":\"boolean\"}"
#define S_STRS "{\"type\":\"array\",\"items\":" S_STR "}"
#define S_LIST_OF(item) "{\"type\":\"array\",\"items\":" item "}"
#define S_OBJECT(req, props)                                                               \
	"{\"type\":\"object\",\"required\":[" req "],\"properties\":{" props "}}"
#define S_MAP_OF(v) "{\"type\":\"object\",\"additionalProperties\":" v "}"
#define S_STR_OR_NULL "{\"type\":[\"string\",\"null\"]}"
#define S_BOOL_OR_NULL "{\"type\":[\"boolean\",\"null\"]}"
/* a setting's value: a settings document's (docs/settings.md) or an account's (`user set`) */
#define S_VALUE "{\"type\":[\"string\",\"integer\",\"boolean\"]}"
#define S_SETTINGS_DOC S_MAP_OF(S_VALUE)
#define S_STATUS                                                                           \
	S_OBJECT("\"version\",\"uptime_s\",\"users\",\"domains\",\"store_bytes\",\"disk_free\","  \
		 "\"received\",\"rcpts_refused\",\"rejected\",\"delivered\",\"deferred\","      \
		 "\"delivery_failed\",\"spool_depth\",\"services\"",                           \
		 "\"version\":" S_STR ",\"uptime_s\":" S_INT ",\"users\":" S_INT              \
		 ",\"domains\":" S_INT ",\"store_bytes\":" S_INT ",\"disk_free\":" S_INT      \
		 ",\"received\":" S_INT ",\"rcpts_refused\":" S_INT ",\"rejected\":" S_INT    \
		 ",\"delivered\":" S_INT ",\"deferred\":" S_INT ",\"delivery_failed\":" S_INT \
		 ",\"spool_depth\":" S_INT ",\"services\":"                                   \
		 S_LIST_OF(S_OBJECT("\"service\",\"sessions\"",                                \
				    "\"service\":" S_STR ",\"sessions\":" S_INT)))
/* a history's change: seq, when, by whom, the record (doc) and its state before and after
 * (null: none) */
#define S_HISTORY_OF(state)                                                                \
	S_LIST_OF(S_OBJECT("\"seq\",\"at_ms\",\"by\",\"doc\",\"note\",\"before\",\"after\"",      \
			   "\"seq\":" S_INT ",\"at_ms\":" S_INT ",\"by\":" S_STR ",\"doc\":" S_STR  \
			   ",\"note\":" S_STR ",\"before\":" state ",\"after\":" state))
#define S_SETTINGS_DOC_OR_NULL                                                             \
	"{\"type\":[\"object\",\"null\"],\"additionalProperties\":" S_VALUE "}"
/* the directory's records: user:NAME, mapping:ADDRESS,TARGET, list:NAME, rules:NAME, domain:D */
#define S_DIR_RECORD_OR_NULL                                                               \
	"{\"type\":[\"object\",\"null\"],\"additionalProperties\":false,\"properties\":{"     \
	"\"name\":" S_STR ",\"settings\":" S_SETTINGS_DOC ",\"webmail_main_denied\":" S_BOOL  \
	",\"address\":" S_STR ",\"target\":" S_STR ",\"type\":" S_INT ",\"collector\":" S_STR \
	",\"comment\":" S_STR ",\"internet\":" S_BOOL ",\"members\":" S_STRS                 \
	",\"domain\":" S_STR ",\"rules\":" S_RULE_LIST "}}"
#define S_CHANGED S_OBJECT("\"changed\"", "\"changed\":" S_INT)
/* a timeline entry's record: a settings document, a directory record, a collector, connection
 * method, block or API key as its kind records it (docs/operations.md "History"), or null */
#define S_ANY_RECORD_OR_NULL                                                               \
	"{\"type\":[\"object\",\"null\"],\"additionalProperties\":{\"description\":"         \
	"\"a field of the record, as its kind stores it\"}}"
#define S_TIMELINE                                                                         \
	S_LIST_OF(S_OBJECT("\"seq\",\"at_ms\",\"by\",\"doc\",\"note\",\"before\",\"after\","   \
			   "\"point\",\"kind\"",                                               \
			   "\"seq\":" S_INT ",\"at_ms\":" S_INT ",\"by\":" S_STR ",\"doc\":" S_STR  \
			   ",\"note\":" S_STR ",\"before\":" S_ANY_RECORD_OR_NULL ",\"after\":"       \
			   S_ANY_RECORD_OR_NULL ",\"point\":" S_STR ",\"kind\":{\"enum\":["            \
			   "\"settings\",\"directory\",\"collector\",\"connection\",\"block\","   \
			   "\"apikey\",\"checkpoint\"]}"))
#define S_POINT S_OBJECT("\"point\"", "\"point\":" S_STR)
#define S_SETTINGS_SCHEMA                                                                  \
	S_LIST_OF(S_OBJECT("\"doc\",\"help\",\"keys\"",                                      \
		"\"doc\":" S_STR ",\"help\":" S_STR ",\"keys\":" S_LIST_OF(S_OBJECT(           \
			"\"key\",\"type\",\"help\",\"default\"",                                  \
			"\"key\":" S_STR ",\"type\":{\"enum\":[\"integer\",\"networks\","       \
			"\"choice\",\"string\"]},\"help\":" S_STR ",\"default\":{\"type\":"     \
			"[\"string\",\"integer\"]},\"max_length\":" S_INT ",\"min\":" S_INT      \
			",\"max\":" S_INT ",\"choices\":" S_STR))))
/* a rule set (docs/operations.md, Rules); a value is text, a number or on/off by its action */
#define S_RULE_VALUE "{\"type\":[\"string\",\"number\",\"boolean\"]}"
#define S_RULE_LIST                                                                        \
	S_LIST_OF(S_OBJECT(                                                                \
		"\"conditions\",\"actions\"",                                                     \
		"\"name\":" S_STR ",\"enabled\":" S_BOOL ",\"match\":{\"enum\":[\"all\",\"any\"]}," \
		"\"types\":" S_STRS ",\"stop_after\":" S_BOOL ",\"conditions\":" S_LIST_OF(        \
			S_OBJECT("\"field\",\"match\"", "\"field\":" S_STR ",\"match\":" S_STR     \
				 ",\"value\":" S_RULE_VALUE ",\"i\":" S_BOOL ",\"n\":" S_BOOL))  \
		",\"actions\":" S_LIST_OF(S_OBJECT("\"action\"", "\"action\":" S_STR               \
						   ",\"value\":" S_RULE_VALUE))))
#define S_RULES S_OBJECT("\"rules\"", "\"rules\":" S_RULE_LIST)
#define S_NAMED(key)                                                                       \
	S_LIST_OF(S_OBJECT("\"name\",\"" key "\"", "\"name\":" S_STR ",\"" key "\":" S_STR))
#define S_RULES_NAMES                                                                      \
	S_OBJECT("\"fields\",\"matches\",\"actions\",\"types\"",                                \
		 "\"fields\":" S_NAMED("kind") ",\"matches\":" S_STRS                            \
		 ",\"actions\":" S_NAMED("value") ",\"types\":" S_STRS)
#define S_MAPPINGS                                                                         \
	S_LIST_OF(S_OBJECT("\"address\",\"target\",\"type\",\"collector\",\"comment\"",         \
			   "\"address\":" S_STR ",\"target\":" S_STR ",\"type\":" S_STR          \
			   ",\"collector\":" S_STR ",\"comment\":" S_STR))
#define S_DLIST                                                                            \
	S_OBJECT("\"name\",\"internet\",\"comment\",\"members\"",                              \
		 "\"name\":" S_STR ",\"internet\":" S_BOOL ",\"comment\":" S_STR                \
		 ",\"members\":" S_STRS)
/* an account's settings group: each key's value, null while it has the default */
#define P_FORWARDING                                                                       \
	"\"forward_to\":" S_STR_OR_NULL ",\"use_forwarding\":" S_BOOL_OR_NULL                 \
	",\"keep_copy\":" S_BOOL_OR_NULL ",\"assistants\":" S_STR_OR_NULL                     \
	",\"assistant_redirect\":" S_BOOL_OR_NULL
#define S_FORWARDING                                                                       \
	S_OBJECT("\"forward_to\",\"use_forwarding\",\"keep_copy\",\"assistants\","              \
		 "\"assistant_redirect\"", P_FORWARDING)
#define P_AUTOREPLY                                                                        \
	"\"autoreply\":" S_BOOL_OR_NULL ",\"autoreply_subject\":" S_STR_OR_NULL                \
	",\"autoreply_text\":" S_STR_OR_NULL ",\"autoreply_start\":" S_STR_OR_NULL             \
	",\"autoreply_end\":" S_STR_OR_NULL ",\"autoreply_days\":{\"type\":[\"integer\",\"null\"]}"
#define S_AUTOREPLY                                                                        \
	S_OBJECT("\"autoreply\",\"autoreply_subject\",\"autoreply_text\",\"autoreply_start\","  \
		 "\"autoreply_end\",\"autoreply_days\"", P_AUTOREPLY)
#define P_BLOCKED "\"blocked\":" S_STR_OR_NULL
#define S_BLOCKED S_OBJECT("\"blocked\"", P_BLOCKED)
#define P_SIGNATURE                                                                        \
	"\"signature_text\":" S_STR_OR_NULL ",\"signature_html\":" S_STR_OR_NULL               \
	",\"internal_signature_text\":" S_STR_OR_NULL ",\"internal_signature_html\":" S_STR_OR_NULL
#define S_SIGNATURE                                                                        \
	S_OBJECT("\"signature_text\",\"signature_html\",\"internal_signature_text\","           \
		 "\"internal_signature_html\"", P_SIGNATURE)
/* a change of some keys of a group (null: back to the default); no other key */
#define S_GROUP_PATCH(props)                                                               \
	"{\"type\":\"object\",\"minProperties\":1,\"additionalProperties\":false,"           \
	"\"properties\":{" props "}}"
#define S_SCRIPT S_OBJECT("\"script\"", "\"script\":" S_STR)
#define S_CONNECTION                                                                       \
	S_OBJECT("\"name\",\"state\",\"send\",\"collectors\",\"schedule\",\"rules\",\"last_start_ms\","   \
		 "\"last_end_ms\",\"last_result\",\"last_error\",\"last_error_ms\","              \
		 "\"next_due_ms\"",                                                               \
		 "\"name\":" S_STR ",\"state\":{\"enum\":[\"running\",\"paused\",\"active\"]},"  \
		 "\"send\":" S_BOOL ",\"collectors\":" S_STRS ",\"schedule\":" S_STRS            \
		 ",\"rules\":" S_LIST_OF("{\"type\":\"object\",\"properties\":{" S_RULE_PROPS "}}") \
		 ",\"last_start_ms\":" S_INT ",\"last_end_ms\":" S_INT ",\"last_result\":" S_STR \
		 ",\"last_error\":" S_STR ",\"last_error_ms\":" S_INT ",\"next_due_ms\":" S_INT)
#define S_COLLECTOR_RUN                                                                    \
	S_OBJECT("\"fetched\",\"too_big\",\"deleted\",\"waiting\"",                            \
		 "\"fetched\":" S_INT ",\"too_big\":" S_INT ",\"deleted\":" S_INT               \
		 ",\"waiting\":" S_INT)
/* status: its last run (absent before the first); progress: an IMAP collector's folders */
#define S_COLLECTOR                                                                        \
	S_OBJECT("\"name\",\"protocol\",\"server\",\"port\",\"tls\",\"user\",\"enabled\"",     \
		 "\"name\":" S_STR ",\"protocol\":" S_STR ",\"server\":" S_STR ",\"port\":" S_INT \
		 ",\"tls\":" S_STR ",\"tls_verify\":" S_BOOL ",\"tls_ca\":" S_STR                \
		 ",\"user\":" S_STR ",\"auth\":" S_STR ",\"route\":" S_STR ",\"target\":" S_STR  \
		 ",\"domains\":" S_STR ",\"fields\":" S_STR ",\"mappings\":" S_STR               \
		 ",\"default_mappings\":" S_BOOL ",\"max_kb\":" S_INT ",\"leave_days\":" S_INT   \
		 ",\"interval_min\":" S_INT ",\"idle_s\":" S_INT ",\"enabled\":" S_BOOL          \
		 ",\"status\":" S_OBJECT("\"last_run_ms\",\"result\"",                           \
			"\"last_run_ms\":" S_INT ",\"result\":" S_STR ",\"fetched\":" S_INT      \
			",\"too_big\":" S_INT ",\"deleted\":" S_INT ",\"waiting\":" S_INT        \
			",\"total_fetched\":" S_INT ",\"seen_uidls\":" S_INT)                    \
		 ",\"progress\":" S_OBJECT("\"folders\"", "\"folders\":" S_LIST_OF(S_OBJECT(     \
			"\"remote\",\"local\"", "\"remote\":" S_STR ",\"local\":" S_STR            \
			",\"uidvalidity\":" S_INT ",\"uidnext\":" S_INT ",\"done\":" S_INT       \
			",\"local_next\":" S_INT))))
#define S_QUEUE_ENTRY                                                                      \
	S_OBJECT("\"id\",\"sender\",\"arrival_ms\",\"next_ms\",\"held\",\"size\",\"rcpts\"",    \
		 "\"id\":{\"type\":\"string\",\"pattern\":\"^[0-9]+$\"},\"sender\":" S_STR       \
		 ",\"arrival_ms\":" S_INT ",\"next_ms\":" S_INT ",\"held\":" S_BOOL              \
		 ",\"size\":" S_INT ",\"rcpts\":" S_INT ",\"detail\":" S_STR)
#define S_LOCKS                                                                            \
	S_LIST_OF(S_OBJECT("\"user\",\"ip\",\"failures\",\"until_ms\"",                         \
			   "\"user\":" S_STR ",\"ip\":" S_STR ",\"failures\":" S_INT            \
			   ",\"until_ms\":" S_INT))
#define S_LOCKOUTS                                                                         \
	S_OBJECT("\"locks\",\"blocks\"", "\"locks\":" S_LOCKS ",\"blocks\":" S_LIST_OF(         \
		S_OBJECT("\"net\",\"reason\",\"protocol\",\"automatic\",\"created_ms\","          \
			 "\"until_ms\"",                                                          \
			 "\"net\":" S_STR ",\"reason\":" S_STR ",\"protocol\":" S_STR           \
			 ",\"automatic\":" S_BOOL ",\"created_ms\":" S_INT ",\"until_ms\":" S_INT)))
#define S_LOGINS                                                                           \
	S_OBJECT("\"logins\",\"locks\"", "\"logins\":" S_LIST_OF(S_OBJECT(                     \
		"\"time_ms\",\"ip\",\"protocol\",\"result\",\"refused\"",                         \
		"\"time_ms\":" S_INT ",\"ip\":" S_STR ",\"protocol\":" S_STR ",\"result\":" S_STR  \
		",\"refused\":" S_BOOL)) ",\"locks\":" S_LOCKS)
#define S_APIKEYS                                                                          \
	S_LIST_OF(S_OBJECT("\"label\",\"permissions\",\"role\",\"user\",\"created_ms\","        \
			   "\"last_used_ms\"",                                                   \
			   "\"label\":" S_STR ",\"permissions\":" S_STR                          \
			   ",\"role\":{\"enum\":[\"\",\"admin\",\"user\"]},\"user\":" S_STR      \
			   ",\"created_ms\":" S_INT ",\"last_used_ms\":" S_INT))
#define S_ACTIVITY                                                                         \
	S_LIST_OF(S_OBJECT("\"time_ms\",\"text\"", "\"time_ms\":" S_INT ",\"text\":" S_STR))
#define S_BINDINGS                                                                         \
	S_LIST_OF(S_OBJECT("\"service\",\"address\",\"port\",\"state\",\"tls\"",                \
			   "\"service\":" S_STR ",\"address\":" S_STR ",\"port\":" S_INT        \
			   ",\"state\":" S_STR ",\"tls\":" S_STR))
#define S_CERTIFICATES                                                                     \
	S_LIST_OF(S_OBJECT("\"subject\",\"issuer\",\"names\",\"not_after\",\"self_signed\","    \
			   "\"generated\",\"sha256\",\"services\"",                               \
			   "\"subject\":" S_STR ",\"issuer\":" S_STR ",\"names\":" S_STR         \
			   ",\"not_after\":" S_INT ",\"self_signed\":" S_BOOL                    \
			   ",\"generated\":" S_BOOL ",\"sha256\":" S_STR ",\"services\":" S_STRS))
/* this document: each path's operations by verb (as operation() makes them); a schema in it
 * is any JSON schema */
#define S_JSON_SCHEMA "{\"type\":\"object\",\"additionalProperties\":{}}"
#define S_CONTENT S_MAP_OF(S_OBJECT("\"schema\"", "\"schema\":" S_JSON_SCHEMA))
#define S_OPERATION                                                                        \
	S_OBJECT("\"tags\",\"summary\",\"description\",\"x-pillarbox-access\",\"responses\"",   \
		 "\"tags\":" S_STRS ",\"summary\":" S_STR ",\"description\":" S_STR              \
		 ",\"x-pillarbox-access\":{\"enum\":[\"public\",\"user\",\"self_or_admin\","    \
		 "\"admin\",\"metrics\"]},\"parameters\":" S_LIST_OF(S_OBJECT(                  \
			"\"name\",\"in\",\"required\",\"schema\"", "\"name\":" S_STR            \
			",\"in\":" S_STR ",\"required\":" S_BOOL ",\"schema\":" S_JSON_SCHEMA)) \
		 ",\"requestBody\":" S_OBJECT("\"required\",\"content\"",                        \
			"\"required\":" S_BOOL ",\"content\":" S_CONTENT)                       \
		 ",\"responses\":" S_MAP_OF(S_OBJECT("\"description\"",                         \
			"\"description\":" S_STR ",\"content\":" S_CONTENT)))
#define S_OPENAPI                                                                          \
	S_OBJECT("\"openapi\",\"info\",\"paths\"",                                             \
		 "\"openapi\":" S_STR ",\"info\":" S_OBJECT("\"title\",\"version\"",             \
			"\"title\":" S_STR ",\"version\":" S_STR)                               \
		 ",\"paths\":" S_MAP_OF(S_MAP_OF(S_OPERATION)))
/* ---- h-metrics8's schemas ---- */
#define S_SECLOG_PAGE                                                                      \
	"{\"type\":\"object\",\"required\":[\"lines\",\"next\"],"                                 \
	"\"properties\":{\"lines\":{\"type\":\"array\",\"items\":{"                               \
	"\"type\":\"object\",\"properties\":{\"offset\":{\"type\":\"integer\"},"          \
	"\"time_ms\":{\"type\":\"integer\"},\"module\":{\"type\":\"string\"},"            \
	"\"text\":{\"type\":\"string\"}}}},\"next\":{\"type\":\"integer\"}}}"

/* ---- h-webfix10's schemas ---- */
#define S_NUM_OR_NULL "{\"type\":[\"number\",\"null\"]}"
#define S_QUOTA_OUT                                                                        \
	"{\"type\":\"object\",\"required\":[\"user\",\"bytes\",\"messages\",\"quota_bytes\"," \
	"\"percent\",\"level\",\"send_blocked\"],\"properties\":{"        \
	"\"user\":" S_STR ",\"bytes\":{\"type\":\"integer\"},\"messages\":{\"type\":\"integer\"}," \
	"\"quota_bytes\":" S_NUM_OR_NULL ",\"percent\":" S_NUM_OR_NULL                         \
	",\"level\":{\"type\":\"integer\"},"         \
	"\"send_blocked\":{\"type\":\"boolean\"}}}"
#define S_USER_KEYS                                                                        \
	"{\"type\":\"array\",\"items\":{\"type\":\"object\",\"required\":[\"key\",\"help\"]," \
	"\"properties\":{\"key\":" S_STR ",\"help\":" S_STR "}}}"

/* ---- h-wmset's schemas ---- */
#define S_SELF_PASSWORD_IN                                                                 \
	"{\"type\":\"object\",\"required\":[\"current\",\"password\"],\"properties\":{"       \
	"\"current\":" S_STR ",\"password\":" S_STR ",\"which\":{\"enum\":[\"main\",\"web\"]}}}"
#define S_SELF_RECOVERY_IN                                                                 \
	"{\"type\":\"object\",\"required\":[\"current\",\"reset_email\"],\"properties\":{"    \
	"\"current\":" S_STR ",\"reset_email\":" S_STR "}}"
#define S_RECOVER_IN                                                                       \
	"{\"type\":\"object\",\"required\":[\"user\"],\"properties\":{\"user\":" S_STR        \
	",\"kind\":{\"type\":\"string\",\"enum\":[\"password\",\"unlock\"]}}}"
#define S_RECOVER_OUT "{\"type\":\"object\",\"properties\":{\"status\":" S_STR "}}"
#define S_RECOVER_RESET_IN                                                                 \
	"{\"type\":\"object\",\"required\":[\"token\",\"password\"],\"properties\":{"         \
	"\"token\":" S_STR ",\"password\":" S_STR "}}"
#define S_RECOVER_UNLOCK_IN                                                                \
	"{\"type\":\"object\",\"required\":[\"token\"],\"properties\":{\"token\":" S_STR "}}"

static const struct web_route routes[] = {
	{ HTTP_VERB_POST, "/api/login", WEB_PUBLIC, "session",
	  "Log in with an account's password; sets a new pb_session cookie (a fresh id: the login "
	  "the request's cookie named, if any, ends) and returns the login's CSRF token",
	  S_LOGIN_IN, S_ME, 200, api_login },
	{ HTTP_VERB_POST, "/api/logout", WEB_USER, "session", "End this login", NULL, NULL, 204,
	  api_logout },
	{ HTTP_VERB_GET, "/api/me", WEB_USER, "session", "Who is logged in, and the CSRF token",
	  NULL, S_ME, 200, api_me },
	{ HTTP_VERB_GET, "/api/status", WEB_ADMIN, "status",
	  "The node's status: version, uptime, counts, services, store and disk", NULL, S_STATUS,
	  200, api_status },
	{ HTTP_VERB_GET, "/api/users", WEB_ADMIN, "users",
	  "Every account with its inbox count and size, whether it forwards (Forward To in use, or "
	  "assistants) and whether it is locked after failed logins (GET /api/lockouts: from where)",
	  NULL, S_USERS, 200, api_users },
	{ HTTP_VERB_POST, "/api/users", WEB_ADMIN, "users", "Add an account", S_USER_IN, NULL,
	  201, web_api_user_add },
	{ HTTP_VERB_GET, "/api/users/{name}", WEB_SELF_OR_ADMIN, "users",
	  "One account: id, creation time, inbox count and size, settings", NULL, S_USER, 200,
	  api_user },
	{ HTTP_VERB_DELETE, "/api/users/{name}", WEB_ADMIN, "users",
	  "Delete an account (?force=1: also when its mailbox holds mail); its logins end", NULL,
	  NULL, 204, web_api_user_del },
	{ HTTP_VERB_PUT, "/api/users/{name}/password", WEB_ADMIN, "users",
	  "Set an account's password (the guide's password rules); its logins end. which: \"main\" "
	  "(the default) or \"web\", a separate web password (webmail logins take it, other "
	  "protocols the main one). An account changes its own with POST /api/mail/password, which "
	  "asks for the current one", S_PASSWORD_IN,
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
	  S_SETTINGS_DOC, 200, web_api_setting_get },
	{ HTTP_VERB_PATCH, "/api/settings/{name}", WEB_ADMIN, "settings",
	  "Change some keys of a settings document (validated; the rest stay)",
	  S_SETTINGS_DOC, NULL, 204, web_api_setting_put },
	{ HTTP_VERB_GET, "/api/settings-history", WEB_ADMIN, "settings",
	  "The settings history, newest first (?before=N&limit=M): who, when, the document "
	  "before and after (secrets masked)",
	  NULL, S_HISTORY_OF(S_SETTINGS_DOC_OR_NULL), 200,
	  web_api_setting_history },
	{ HTTP_VERB_POST, "/api/settings-history/{name}/rollback", WEB_ADMIN, "settings",
	  "Undo change {name} (its keys only), or with ?to=1 set every document changed since "
	  "back to its state then; itself a new change",
	  NULL, S_CHANGED,
	  200, web_api_setting_rollback },
	{ HTTP_VERB_GET, "/api/directory-history", WEB_ADMIN, "settings",
	  "The history of accounts' settings and mappings, newest first (?before=N&limit=M): who, "
	  "when, the record (user:NAME, mapping:ADDRESS,TARGET) before and after (no passwords)",
	  NULL, S_HISTORY_OF(S_DIR_RECORD_OR_NULL), 200,
	  web_api_directory_history },
	{ HTTP_VERB_POST, "/api/directory-history/{name}/rollback", WEB_ADMIN, "settings",
	  "Put the record of change {name} back as it was before it (refused if changed since), "
	  "or with ?to=1 every record changed since back to its state then; itself a new change. "
	  "Passwords are never rolled back; an account created or deleted is refused",
	  NULL, S_CHANGED,
	  200, web_api_directory_rollback },
	/* ---- h-ver10: the one timeline of every history (web-api-history.c) ---- */
	{ HTTP_VERB_GET, "/api/history", WEB_ADMIN, "settings",
	  "Every change of every setting, newest first (?limit=N of each kind, 1..200): kind "
	  "(settings, directory, collector, connection, block, apikey, checkpoint), point (N, dN, "
	  "cN, sN, bN, kN), who, when, the record before and after (never a secret)",
	  NULL, S_TIMELINE, 200, web_api_history },
	{ HTTP_VERB_POST, "/api/history/checkpoint", WEB_ADMIN, "settings",
	  "A checkpoint on the timeline ({\"note\": \"...\"}): its point to roll back to",
	  "{\"type\":\"object\",\"properties\":{\"note\":{\"type\":\"string\"}}}",
	  S_POINT, 201,
	  web_api_history_checkpoint },
	{ HTTP_VERB_POST, "/api/history/{name}/rollback-to", WEB_ADMIN, "settings",
	  "Everything back to point {name}: every kind's changes after it rolled back, newest "
	  "first, each a new change; refused naming the record that cannot be (API keys are never "
	  "rolled back)",
	  NULL, S_CHANGED,
	  200, web_api_history_rollback_to },
	{ HTTP_VERB_POST, "/api/history/{name}/rollback", WEB_ADMIN, "settings",
	  "Undo change {name} of a collector (cN: its password kept), connection method (sN) or "
	  "block (bN) alone; refused when the record changed again since. API keys never",
	  NULL, S_CHANGED,
	  200, web_api_history_rollback },
	/* ---- the admin UI's endpoints (h-admin, web-api-ui.c) ---- */
	{ HTTP_VERB_GET, "/api/settings", WEB_ADMIN, "settings",
	  "The settings schema: every document and key with its type, default, range and help",
	  NULL, S_SETTINGS_SCHEMA, 200,
	  web_api_settings_schema },
	{ HTTP_VERB_PATCH, "/api/users/{name}", WEB_ADMIN, "users",
	  "Set one of an account's settings as `pillarbox user set` (quota_mb, forward_to, "
	  "use_forwarding, autoreply*, sending permissions): {\"KEY\": value}, null the default",
	  "{\"type\":\"object\",\"minProperties\":1,\"maxProperties\":1,"
	  "\"additionalProperties\":{\"type\":[\"string\",\"integer\",\"boolean\",\"null\"]}}", NULL, 204,
	  web_api_user_patch },
	{ HTTP_VERB_POST, "/api/users/{name}/copy-inbox", WEB_ADMIN, "users",
	  "Copy the messages in the account's INBOX to its assistants, each once (guide 4.5): one "
	  "batch of at most 50 copies (messages times assistants); ask again with {\"from_uid\": next_uid} until next_uid "
	  "is 0",
	  "{\"type\":\"object\",\"properties\":{\"from_uid\":{\"type\":\"integer\"}}}",
	  S_OBJECT("\"copied\",\"skipped\",\"next_uid\"", "\"copied\":" S_INT
		   ",\"skipped\":" S_INT ",\"next_uid\":" S_INT), 200,
	  web_api_user_copy_inbox },
	{ HTTP_VERB_GET, "/api/users/{name}/rules", WEB_SELF_OR_ADMIN, "rules",
	  "An account's message rules (docs/operations.md; 404: none set)", NULL,
	  S_RULES, 200, web_api_user_rules_get },
	{ HTTP_VERB_PUT, "/api/users/{name}/rules", WEB_SELF_OR_ADMIN, "rules",
	  "Replace an account's message rules (checked: 400 with the reason)",
	  S_RULES, NULL, 204, web_api_user_rules_put },
	/* ---- end of the admin UI's endpoints ---- */
	/* ---- h-rulesui: the rule format's names, so rule editors offer them all ---- */
	{ HTTP_VERB_GET, "/api/rules/names", WEB_USER, "rules",
	  "Every condition field (with its kind), match type, action (with its value: switch, "
	  "number or text) and message type a rule set takes, in the server's own spelling",
	  NULL, S_RULES_NAMES, 200, web_api_rules_names },
	/* ---- end of h-rulesui ---- */
	/* ---- h-rest: the REST API over the other objects, API keys, login history ---- */
	{ HTTP_VERB_GET, "/api/mappings", WEB_ADMIN, "mappings",
	  "The mappings (?target=T: to one target)" PAGED "", NULL, S_MAPPINGS, 200,
	  web_rest_mappings_route },
	{ HTTP_VERB_POST, "/api/mappings", WEB_ADMIN, "mappings",
	  "Map an address (a wildcard or bare name) to a target (type: always, pop3, smtp, from; "
	  "collector: only mail a collector of that name brings; the same address and target: "
	  "replaced)", S_MAPPING_IN, NULL, 201,
	  web_rest_mapping_add_route },
	{ HTTP_VERB_DELETE, "/api/mappings", WEB_ADMIN, "mappings",
	  "Remove the mapping ?address=A&target=T", NULL, NULL, 204,
	  web_rest_mapping_del_route },
	{ HTTP_VERB_GET, "/api/aliases/{name}", WEB_SELF_OR_ADMIN, "mappings",
	  "An account's aliases (the mappings to it)" PAGED "", NULL, S_MAPPINGS, 200,
	  web_rest_aliases_route },
	{ HTTP_VERB_POST, "/api/aliases/{name}", WEB_ADMIN, "mappings",
	  "Give an account another address", S_ALIAS_IN, NULL, 201,
	  web_rest_alias_add_route },
	{ HTTP_VERB_DELETE, "/api/aliases/{name}", WEB_ADMIN, "mappings",
	  "Remove the alias ?address=A of an account", NULL, NULL, 204,
	  web_rest_alias_del_route },
	{ HTTP_VERB_GET, "/api/lists", WEB_ADMIN, "lists",
	  "The distribution lists with their members" PAGED "", NULL, S_LIST_OF(S_DLIST), 200,
	  web_rest_lists_route },
	{ HTTP_VERB_POST, "/api/lists", WEB_ADMIN, "lists",
	  "Add a distribution list (internet: takes mail from outside)", S_LIST_IN, NULL, 201,
	  web_rest_list_add_route },
	{ HTTP_VERB_GET, "/api/lists/{name}", WEB_ADMIN, "lists",
	  "One list with its members", NULL, S_DLIST, 200,
	  web_rest_list_route },
	{ HTTP_VERB_DELETE, "/api/lists/{name}", WEB_ADMIN, "lists",
	  "Remove a list", NULL, NULL, 204,
	  web_rest_list_del_route },
	{ HTTP_VERB_POST, "/api/lists/{name}/members", WEB_ADMIN, "lists",
	  "Add a member (an account, list or address)", S_MEMBER_IN, NULL, 201,
	  web_rest_member_add_route },
	{ HTTP_VERB_DELETE, "/api/lists/{name}/members", WEB_ADMIN, "lists",
	  "Remove the member ?address=A", NULL, NULL, 204,
	  web_rest_member_del_route },
	{ HTTP_VERB_GET, "/api/forwarding/{name}", WEB_SELF_OR_ADMIN, "mail",
	  "An account's forwarding and assistants (null: the default)", NULL, S_FORWARDING, 200,
	  web_rest_forwarding_route },
	{ HTTP_VERB_PATCH, "/api/forwarding/{name}", WEB_SELF_OR_ADMIN, "mail",
	  "Change forward_to, use_forwarding, keep_copy, assistants, assistant_redirect (null: the default)", S_GROUP_PATCH(P_FORWARDING), NULL, 204,
	  web_rest_forwarding_patch_route },
	{ HTTP_VERB_GET, "/api/autoreply/{name}", WEB_SELF_OR_ADMIN, "mail",
	  "An account's autoresponder (null: the default)", NULL, S_AUTOREPLY, 200,
	  web_rest_autoreply_route },
	{ HTTP_VERB_PATCH, "/api/autoreply/{name}", WEB_SELF_OR_ADMIN, "mail",
	  "Change autoreply, autoreply_subject, _text, _start, _end, _days (null: the default)", S_GROUP_PATCH(P_AUTOREPLY), NULL, 204,
	  web_rest_autoreply_patch_route },
	{ HTTP_VERB_GET, "/api/blocked-senders/{name}", WEB_SELF_OR_ADMIN, "mail",
	  "The senders whose mail an account does not receive", NULL, S_BLOCKED, 200,
	  web_rest_blocked_route },
	{ HTTP_VERB_PATCH, "/api/blocked-senders/{name}", WEB_SELF_OR_ADMIN, "mail",
	  "Set blocked (addresses or wildcards, ';' separated; null: none)", S_GROUP_PATCH(P_BLOCKED), NULL, 204,
	  web_rest_blocked_patch_route },
	{ HTTP_VERB_GET, "/api/signature/{name}", WEB_SELF_OR_ADMIN, "mail",
	  "An account's own signatures (null: none)", NULL, S_SIGNATURE, 200,
	  web_rest_signature_route },
	{ HTTP_VERB_PATCH, "/api/signature/{name}", WEB_SELF_OR_ADMIN, "mail",
	  "Change signature_text, signature_html, internal_signature_text, internal_signature_html "
	  "(null: none)", S_GROUP_PATCH(P_SIGNATURE), NULL, 204,
	  web_rest_signature_patch_route },
	{ HTTP_VERB_GET, "/api/rules", WEB_ADMIN, "rules",
	  "The server's message rules", NULL, S_RULES, 200,
	  web_rest_rules_route },
	{ HTTP_VERB_PUT, "/api/rules", WEB_ADMIN, "rules",
	  "Set the server's message rules (checked)", S_RULES, NULL, 204,
	  web_rest_rules_put_route },
	{ HTTP_VERB_DELETE, "/api/rules", WEB_ADMIN, "rules",
	  "Remove the server's message rules", NULL, NULL, 204,
	  web_rest_rules_del_route },
	{ HTTP_VERB_GET, "/api/rules/{name}", WEB_SELF_OR_ADMIN, "rules",
	  "An account's message rules", NULL, S_RULES, 200,
	  web_rest_rules_route },
	{ HTTP_VERB_PUT, "/api/rules/{name}", WEB_SELF_OR_ADMIN, "rules",
	  "Set an account's message rules (checked)", S_RULES, NULL, 204,
	  web_rest_rules_put_route },
	{ HTTP_VERB_DELETE, "/api/rules/{name}", WEB_SELF_OR_ADMIN, "rules",
	  "Remove an account's message rules", NULL, NULL, 204,
	  web_rest_rules_del_route },
	{ HTTP_VERB_GET, "/api/scripts/{name}", WEB_ADMIN, "rules",
	  "An account's routing script (Lua; \"\" none)", NULL, S_SCRIPT, 200,
	  web_rest_script_route },
	{ HTTP_VERB_PUT, "/api/scripts/{name}", WEB_ADMIN, "rules",
	  "Set an account's routing script (compiled first)", S_SCRIPT_IN, NULL, 204,
	  web_rest_script_put_route },
	{ HTTP_VERB_DELETE, "/api/scripts/{name}", WEB_ADMIN, "rules",
	  "Remove an account's routing script", NULL, NULL, 204,
	  web_rest_script_del_route },
	{ HTTP_VERB_GET, "/api/connections", WEB_ADMIN, "connectors",
	  "Connection methods with their schedules and last and next runs" PAGED "", NULL, S_LIST_OF(S_CONNECTION), 200,
	  web_rest_connections_route },
	{ HTTP_VERB_POST, "/api/connections", WEB_ADMIN, "connectors",
	  "Add a connection method (defaults: every 10 minutes, all day, every day, sending)", S_CONNECTION_IN, NULL, 201,
	  web_rest_connection_add_route },
	{ HTTP_VERB_GET, "/api/connections/{name}", WEB_ADMIN, "connectors",
	  "One connection method", NULL, S_CONNECTION, 200,
	  web_rest_connection_route },
	{ HTTP_VERB_DELETE, "/api/connections/{name}", WEB_ADMIN, "connectors",
	  "Delete a connection method (hangs it up first)", NULL, NULL, 204,
	  web_rest_connection_del_route },
	{ HTTP_VERB_POST, "/api/connections/{name}/pause", WEB_ADMIN, "connectors",
	  "Stop scheduled runs", NULL, NULL, 204,
	  web_rest_connection_pause_route },
	{ HTTP_VERB_POST, "/api/connections/{name}/resume", WEB_ADMIN, "connectors",
	  "Schedule it again", NULL, NULL, 204,
	  web_rest_connection_resume_route },
	{ HTTP_VERB_POST, "/api/connections/{name}/now", WEB_ADMIN, "connectors",
	  "Connect now", NULL, NULL, 204,
	  web_rest_connection_now_route },
	{ HTTP_VERB_POST, "/api/connections/{name}/hangup", WEB_ADMIN, "connectors",
	  "End a run in progress", NULL, NULL, 204,
	  web_rest_connection_hangup_route },
	{ HTTP_VERB_GET, "/api/collectors", WEB_ADMIN, "connectors",
	  "Mail collectors with their last run" PAGED "", NULL, S_LIST_OF(S_COLLECTOR), 200,
	  web_rest_collectors_route },
	{ HTTP_VERB_POST, "/api/collectors", WEB_ADMIN, "connectors",
	  "Add a mail collector (settings: the keys of `pillarbox collector add`)", S_COLLECTOR_IN, NULL, 201,
	  web_rest_collector_add_route },
	{ HTTP_VERB_GET, "/api/collectors/{name}", WEB_ADMIN, "connectors",
	  "One mail collector's settings and last run", NULL, S_COLLECTOR, 200,
	  web_rest_collector_route },
	{ HTTP_VERB_PATCH, "/api/collectors/{name}", WEB_ADMIN, "connectors",
	  "Change a mail collector's settings", S_SETTINGS_DOC, NULL, 204,
	  web_rest_collector_set_route },
	{ HTTP_VERB_DELETE, "/api/collectors/{name}", WEB_ADMIN, "connectors",
	  "Remove a mail collector and the UIDLs it has seen", NULL, NULL, 204,
	  web_rest_collector_del_route },
	{ HTTP_VERB_POST, "/api/collectors/{name}/run", WEB_ADMIN, "connectors",
	  "Collect now and answer at the run's end", NULL, S_COLLECTOR_RUN, 200,
	  web_rest_collector_run_route },
	{ HTTP_VERB_GET, "/api/queue", WEB_ADMIN, "queue",
	  "The outbound queue, lowest id first (?limit=N (100, at most 1000)&after=ID; each id a "
	  "decimal string: 64 bits)", NULL, S_QUEUE_PAGE, 200,
	  web_rest_queue_route },
	{ HTTP_VERB_POST, "/api/queue/flush", WEB_ADMIN, "queue",
	  "Make every entry that is not held due now", NULL, NULL, 204,
	  web_rest_queue_flush_route },
	{ HTTP_VERB_GET, "/api/queue/{name}", WEB_ADMIN, "queue",
	  "One queue entry with each recipient's state", NULL, S_QUEUE_ENTRY, 200,
	  web_rest_queue_entry_route },
	{ HTTP_VERB_DELETE, "/api/queue/{name}", WEB_ADMIN, "queue",
	  "Drop a queue entry's undelivered recipients (no DSN)", NULL, NULL, 204,
	  web_rest_queue_delete_route },
	{ HTTP_VERB_POST, "/api/queue/{name}/hold", WEB_ADMIN, "queue",
	  "Stop sending an entry until released", NULL, NULL, 204,
	  web_rest_queue_hold_route },
	{ HTTP_VERB_POST, "/api/queue/{name}/release", WEB_ADMIN, "queue",
	  "Send a held entry again, on its schedule", NULL, NULL, 204,
	  web_rest_queue_release_route },
	{ HTTP_VERB_POST, "/api/queue/{name}/retry", WEB_ADMIN, "queue",
	  "Make an entry due now", NULL, NULL, 204,
	  web_rest_queue_retry_route },
	{ HTTP_VERB_GET, "/api/lockouts", WEB_ADMIN, "lockouts",
	  "Account locks and blocked addresses, with reason and expiry", NULL, S_LOCKOUTS, 200,
	  web_rest_lockouts_route },
	{ HTTP_VERB_DELETE, "/api/lockouts/{name}", WEB_ADMIN, "lockouts",
	  "Lift an account's locks (?ip=A: for one address)", NULL, NULL, 204,
	  web_rest_unlock_route },
	{ HTTP_VERB_POST, "/api/blocks", WEB_ADMIN, "lockouts",
	  "Block an address or network (minutes 0 or absent: until removed)", S_BLOCK_IN, NULL, 201,
	  web_rest_block_add_route },
	{ HTTP_VERB_DELETE, "/api/blocks", WEB_ADMIN, "lockouts",
	  "Unblock ?net=ADDRESS-OR-CIDR", NULL, NULL, 204,
	  web_rest_block_del_route },
	{ HTTP_VERB_GET, "/api/users/{name}/logins", WEB_SELF_OR_ADMIN, "lockouts",
	  "An account's recent logins over every protocol, newest first (?limit=N), and its locks", NULL, S_LOGINS, 200,
	  web_rest_logins_route },
	{ HTTP_VERB_GET, "/api/apikeys", WEB_ADMIN, "apikeys",
	  "The API keys (labels, permissions, web role; never keys)" PAGED "", NULL, S_APIKEYS, 200,
	  web_rest_apikeys_route },
	{ HTTP_VERB_POST, "/api/apikeys", WEB_ADMIN, "apikeys",
	  "Make an API key (role admin, or user with user) for Authorization: Bearer; the key is in this answer only", S_APIKEY_IN, S_APIKEY_OUT, 201,
	  web_rest_apikey_add_route },
	{ HTTP_VERB_DELETE, "/api/apikeys/{name}", WEB_ADMIN, "apikeys",
	  "Revoke an API key", NULL, NULL, 204,
	  web_rest_apikey_del_route },
	{ HTTP_VERB_GET, "/api/activity", WEB_ADMIN, "logs",
	  "The activity log, newest first (?limit=N&before=TIME_MS)", NULL, S_ACTIVITY, 200, web_api_activity },
	{ HTTP_VERB_GET, "/api/bindings", WEB_ADMIN, "services",
	  "The service bindings: each listener's service, address, port, state and tls (implicit, "
	  "starttls, sniffed: clear and TLS on one port, or none)", NULL, S_BINDINGS, 200,
	  web_rest_bindings_route },
	{ HTTP_VERB_GET, "/api/certificates", WEB_ADMIN, "services",
	  "The TLS certificate the listeners present: subject, issuer, names, not_after, and the "
	  "services that present it", NULL, S_CERTIFICATES, 200,
	  web_rest_certificates_route },
	/* ---- end of h-rest ---- */
	/* ---- h-adm10b: editing connection methods and list properties; bindings and the
	 * certificate written (web-api-connectors.c, web-api-routes.c, web-api-services.c) ---- */
	{ HTTP_VERB_PATCH, "/api/connections/{name}", WEB_ADMIN, "connectors",
	  "Change a connection method: send, collectors, rules (the whole schedule: 1 to 8 rule "
	  "objects) or a rule's members (every_min, from, to, days, min_waiting: its first rule); "
	  "the rest stays", S_CONNECTION_PATCH_IN, NULL, 204,
	  web_rest_connection_patch_route },
	{ HTTP_VERB_PATCH, "/api/lists/{name}", WEB_ADMIN, "lists",
	  "Change a list's properties (internet: takes mail from outside; comment)",
	  S_LIST_PATCH_IN, NULL, 204,
	  web_rest_list_patch_route },
	{ HTTP_VERB_PUT, "/api/bindings/{name}", WEB_ADMIN, "services",
	  "Set a service's bindings (smtp, submission, submissions, pop3, pop3s, imap, imaps, "
	  "http, status, statuss; [] or null: the bootstrap file's or the default) in the "
	  "settings document services: takes effect at the next start",
	  S_BINDINGS_IN, S_BINDINGS_SET, 200,
	  web_rest_bindings_put_route },
	{ HTTP_VERB_POST, "/api/certificates", WEB_ADMIN, "services",
	  "Install a TLS certificate and its key (PEM; loaded and checked as the daemon does: the "
	  "key matches, not expired; kept in the data directory, mode 0600; the key never "
	  "answered): takes effect at the next start",
	  S_CERTIFICATE_IN, S_CERTIFICATE_OUT, 201,
	  web_rest_certificate_add_route },
	/* ---- end of h-adm10b ---- */
	/* ---- h-adm10a: the administrator's lock (lockout-client.h lockout_client_lock) ---- */
	{ HTTP_VERB_POST, "/api/users/{name}/lock", WEB_ADMIN, "lockouts",
	  "Lock an account for every address (the users list's padlock): each login is refused "
	  "until unlocked (DELETE /api/lockouts/{name}) or minutes pass (absent or 0: until "
	  "unlocked); a restart lifts it, as every account lock", S_LOCK_IN, NULL, 204,
	  web_rest_lock_route },
	{ HTTP_VERB_GET, "/api/scripts-server", WEB_ADMIN, "rules",
	  "The server's routing script user_redirect.lua (docs/routing-scripts.md) in effect: "
	  "source file (the path router.user_redirect names: edited there, not versioned), stored "
	  "(kept in the settings history) or installed (the program's copy, path); its text (\"\" "
	  "and exists false when a file is missing)", NULL, S_SERVER_SCRIPT, 200,
	  web_rest_server_script_route },
	{ HTTP_VERB_PUT, "/api/scripts-server", WEB_ADMIN, "rules",
	  "Store the server's routing script (compiled first: 400 \"user_redirect.lua:LINE: "
	  "...\"), recorded in the settings history (GET /api/settings-history, rollback); the "
	  "router uses it at once; 409 while router.user_redirect names a file; answers as GET",
	  S_SCRIPT_IN, S_SERVER_SCRIPT, 200, web_rest_server_script_put_route },
	{ HTTP_VERB_DELETE, "/api/scripts-server", WEB_ADMIN, "rules",
	  "Reset the server's routing script to the installed copy (recorded in the settings "
	  "history); 409 while router.user_redirect names a file; answers as GET", NULL,
	  S_SERVER_SCRIPT, 200, web_rest_server_script_delete_route },
	{ HTTP_VERB_GET, "/api/status/events", WEB_ADMIN, "status",
	  "The live status as server-sent events (text/event-stream) from the status hub: first "
	  "\"ready\", then activity, connection, progress and queue (data: the hub's JSON, "
	  "docs/status-protocol.md), a comment line every 15 s; at most 32 streams (503), a "
	  "client reading too slowly is dropped, the stream ends with its login",
	  NULL, S_EVENTS, 200, web_api_status_events },
	/* ---- end of h-adm10a ---- */
	/* ---- h-metrics8: the security log (web-api-logs.c) ---- */
	{ HTTP_VERB_GET, "/api/logs/security", WEB_ADMIN, "logs",
	  "The security log (logins, failed logins, lockouts, blocks, administrative changes), "
	  "newest first (?limit=N (100, at most 1000)&before=OFFSET (a page's next)&user=NAME&"
	  "ip=ADDRESS); at most 1 MiB read per page, so a page may be short: go on with next "
	  "(0: nothing older)",
	  NULL, S_SECLOG_PAGE, 200, web_api_security_log },
	/* ---- end of h-metrics8 ---- */
	/* ---- webmail (h-webmail: web-mail*.c): the logged-in account's own mailbox ---- */
	{ HTTP_VERB_GET, "/api/mail/folders", WEB_USER, "mail",
	  "Your folders with their message, unseen and byte counts", NULL, S_MAIL_FOLDERS, 200,
	  web_mail_folders },
	{ HTTP_VERB_GET, "/api/mail/folders/{folder}/messages", WEB_USER, "mail",
	  "A page of a folder's messages: ?limit=1..200&sort=date|arrival|from|subject|size&"
	  "order=desc|asc&cursor=C (C: the next_cursor of the page before; null after the last "
	  "page; total: the folder's messages; date and arrival are the order of delivery), or "
	  "&q=TEXT added (a search of headers and body in that order, paged by the same cursor; "
	  "a page reads at most 2000 messages, so it may hold fewer than limit matches, none "
	  "even, with a next_cursor; no total); a folder below another has its '/' "
	  "percent-encoded twice",
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
	  "text and inline attachments at most 1 MB; bigger files uploaded apart and named in "
	  "uploads, up to the account's max message size) through the submission path; a copy goes to Sent",
	  S_MAIL_SEND_IN, S_MAIL_SENT, 202, web_mail_send },
	{ HTTP_VERB_POST, "/api/mail/drafts", WEB_USER, "mail",
	  "Save a message as a draft in Drafts (the body as for sending)", S_MAIL_SEND_IN,
	  S_MAIL_SENT, 201, web_mail_draft },
	/* ---- h-wm10: drafts reopened (read as any message in Drafts), saved again, sent ---- */
	{ HTTP_VERB_PUT, "/api/mail/drafts/{uid}", WEB_USER, "mail",
	  "Save a draft again (the body as for sending): the new draft is stored, then the old "
	  "one (uid in Drafts) removed; answers the new uid", S_MAIL_SEND_IN, S_MAIL_DRAFT_SAVED,
	  201, web_mail_draft_put },
	{ HTTP_VERB_POST, "/api/mail/drafts/{uid}/send", WEB_USER, "mail",
	  "Send a draft (the body as for sending, the draft's edited fields) through the "
	  "submission path; once it is queued the draft (uid in Drafts) is removed",
	  S_MAIL_SEND_IN, S_MAIL_SENT, 202, web_mail_draft_send },
	/* ---- end of h-wm10 ---- */
	/* ---- h-wmbig10: attachments uploaded apart, named in "uploads" when sending ---- */
	{ HTTP_VERB_POST, WEB_UPLOAD_PATH, WEB_USER, "mail",
	  "Upload an attachment: the file's bytes as the body (its Content-Type; ?name=the file "
	  "name), at most web.max_upload_kb; kept until sent, removed, logged out or "
	  "web.upload_ttl_s old; per account at most web.uploads_per_user files and "
	  "web.uploads_user_kb (429)", NULL, S_MAIL_UPLOAD, 201, web_mail_upload },
	{ HTTP_VERB_DELETE, WEB_UPLOAD_PATH "/{id}", WEB_USER, "mail",
	  "Remove an upload of one's own", NULL, NULL, 204, web_mail_upload_del },
	/* ---- end of h-wmbig10 ---- */
	/* ---- end of webmail ---- */
	/* ---- h-wmset: webmail's self-service (web-self.c): password, recovery links ---- */
	{ HTTP_VERB_POST, "/api/mail/password", WEB_USER, "mail",
	  "Change your password: the current one is required; the new one must pass the "
	  "password policy (400 with the reason); every web login of the account ends. With a "
	  "separate web password, which \"web\" (the default) changes it (current: the web "
	  "password), \"main\" the main one (current: the main password; 403 when the account may "
	  "not: can_change_main of GET /api/users/{name}). A wrong current password counts as a "
	  "failed login for the lockout guard",
	  S_SELF_PASSWORD_IN, NULL, 204, web_self_password },
	{ HTTP_VERB_POST, "/api/mail/recovery", WEB_USER, "mail",
	  "Set your address for password resets (reset_email; \"\" none): the current password "
	  "is required", S_SELF_RECOVERY_IN, NULL, 204, web_self_recovery },
	{ HTTP_VERB_POST, "/api/recover", WEB_PUBLIC, "session",
	  "Forgotten password or locked account: mails a one-time link (web.reset_token_s) to "
	  "the account's reset_email. Always the same 202, whether the account exists or not; "
	  "429 past web.reset_user_per_hour (per name) or web.reset_ip_per_hour (per address)",
	  S_RECOVER_IN, S_RECOVER_OUT, 202, web_self_recover },
	{ HTTP_VERB_POST, "/api/recover/password", WEB_PUBLIC, "session",
	  "A password link's new password (the link works once; 400: not valid, or the policy's "
	  "reason, the link still valid)",
	  S_RECOVER_RESET_IN, NULL, 204, web_self_reset },
	{ HTTP_VERB_POST, "/api/recover/unlock", WEB_PUBLIC, "session",
	  "An unlock link lifts the account's locks for every address (the link works once)",
	  S_RECOVER_UNLOCK_IN, NULL, 204, web_self_unlock },
	/* ---- end of h-wmset ---- */
	/* ---- h-webfix10: an account's quota usage (mailbox-usage.h, as `user quota --json`) ---- */
	{ HTTP_VERB_GET, "/api/users/{name}/quota", WEB_SELF_OR_ADMIN, "users",
	  "An account's mailbox usage against its quota: bytes and messages over all folders, the "
	  "quota in effect (null: none), the percentage, the warning level reached (0-3) "
	  "and whether SMTP sending is blocked (quota.block_send_percent)",
	  NULL, S_QUOTA_OUT, 200, web_rest_quota_route },
	{ HTTP_VERB_GET, "/api/user-keys", WEB_ADMIN, "users",
	  "Every key of an account's settings (PATCH /api/users/{name}) with its one-line help: "
	  "the default in brackets, then what it does (as `pillarbox help user set`)",
	  NULL, S_USER_KEYS, 200, web_api_user_keys },
	/* ---- end of h-webfix10 ---- */
	{ HTTP_VERB_GET, "/api/openapi.json", WEB_PUBLIC, "meta", "This API's OpenAPI 3 document",
	  NULL, S_OPENAPI, 200, api_openapi },
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

/* Who a request is: a login's account (by cookie: csrf the login whose token a change must
 * carry; by API key: csrf NULL), or nobody (user NULL). */
struct web_caller {
	const char *user;
	bool admin;
	const struct web_login *csrf;
};

/* The refusal of route r for this request (status and text), or 0 when it may proceed. */
static int access_check(struct web_session *ws, const struct web_route *r,
			const struct http_request *q, const struct web_caller *c, const char **why_r)
{
	bool changes = q->verb != HTTP_VERB_GET && q->verb != HTTP_VERB_HEAD;

	if (r->access == WEB_METRICS && (metrics_peer(ws) || c->admin))
		return 0;
	if (r->access != WEB_PUBLIC && c->user == NULL)
		return *why_r = "log in first", 401;
	if (changes && c->csrf != NULL && r->access != WEB_PUBLIC &&
	    !web_auth_csrf_ok(c->csrf, http_request_field(q, "x-csrf-token")))
		return *why_r = "the X-CSRF-Token field is missing or wrong", 403;
	if (r->request != NULL) {
		const char *type = http_request_field(q, "content-type");
		if (type == NULL || strncasecmp(type, "application/json", 16) != 0)
			return *why_r = "the body must be application/json", 415;
	}
	bool self = c->user != NULL && ws->arg != NULL && strcasecmp(ws->arg, c->user) == 0;
	if ((r->access == WEB_ADMIN || r->access == WEB_METRICS) && !c->admin)
		return *why_r = "an administrator's right", 403;
	if (r->access == WEB_SELF_OR_ADMIN && !c->admin && !self)
		return *why_r = "an administrator's right, or your own account", 403;
	return 0;
}

/* Checks the caller's access to route r, then runs it. */
static void route_run(struct web_session *ws, const struct web_route *r,
		      const struct http_request *q, const struct web_caller *c)
{
	const char *why;
	int status = access_check(ws, r, q, c, &why);

	if (status != 0) {
		web_reply_error(ws, status, why);
		return;
	}
	if (c->user != NULL && ws->who.user == NULL)
		ws->who = (struct web_who){ xstrdup(c->user), c->csrf != NULL ? c->csrf->user_id : 0,
					    c->admin, c->csrf != NULL ? c->csrf->seq : 0 };
	/* who this request's account and mapping changes are by (the directory's history) */
	char by[DIRECTORY_BY_MAX + 1];
	snprintf(by, sizeof(by), "web:%s", ws->who.user != NULL ? ws->who.user : "?");
	directory_client_by(by);
	r->handle(ws, q);
}

void web_api_proceed(struct web_session *ws, const struct http_request *q)
{
	struct web_caller c = { ws->who.user, ws->who.admin, NULL };
	route_run(ws, ws->route, q, &c);
}

const char *web_bearer_key(const struct http_request *q)
{
	const char *v = http_request_field(q, "authorization");

	if (v == NULL || strncasecmp(v, "Bearer ", 7) != 0)
		return NULL;
	return v + 7 + strspn(v + 7, " ");
}

void web_api_handle(struct web_session *ws, const struct http_request *q)
{
	char allow[64];

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
	const char *key = web_bearer_key(q);
	if (l == NULL && key != NULL && r->access != WEB_PUBLIC) {
		ws->route = r; /* run once the key is checked (web-api-keys.c) */
		web_api_key_login(ws, key);
		return;
	}
	struct web_caller c = { l != NULL ? l->user : NULL, l != NULL && l->admin, l };
	route_run(ws, r, q, &c);
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
	/* A login replaces the one the request's cookie names (session fixation): an id the
	 * client held before never stays valid beside the new login, whose id is always fresh. */
	const struct web_login *old = web_auth_find(ws->srv->auth, http_request_field(q, "cookie"),
						    gw_now(ws->gs), UINT64_MAX, UINT64_MAX);
	if (old != NULL)
		web_auth_end(ws->srv->auth, old);
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
	const struct web_auth_limits lim = { .per_account = ws->srv->logins_per_account,
					     .idle_ms = ws->srv->login_idle_ms,
					     .max_ms = ws->srv->login_max_ms };
	const struct web_login *l = web_auth_add(ws->srv->auth, info.user, info.user_id, admin,
						 gw_now(ws->gs), &lim, &error);
	directory_user_info_free(&info);
	if (l == NULL) {
		web_reply_error(ws, 503, error);
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

	if (l != NULL) {
		web_uploads_drop_login(ws->srv->uploads, l->seq); /* this login's, not the account's */
		web_auth_end(ws->srv->auth, l);
	}
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

/* The Prometheus text exposition (format 0.0.4) of the node's status, into out. */
static void metrics_text(const struct sys_status *st, struct pb_buf *out)
{
	static const struct web_prom_row rows[] = {
#define ROW(n, t, h, f) { "pillarbox_" n, t, h, offsetof(struct sys_status, f), 1 }
		{ "pillarbox_uptime_seconds", "gauge", "Seconds since the daemon started.",
		  offsetof(struct sys_status, uptime_ms), 1000 },
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
	web_prom_rows(out, rows, PB_N_ELEMENTS(rows), st);
	WEB_PROM_LIST(out, "pillarbox_sessions", "gauge", "Open sessions per service.", "service",
		      st->services, service_stat, service, sessions);
	WEB_PROM_LIST(out, "pillarbox_actor_messages_total", "counter",
		      "Messages each actor handled.", "actor", st->actors, actor_stat, name, handled);
}

/* The lockout guard's counts (LOCKOUT_STATS_REP) as metrics, into out. */
static void login_metrics(const struct pb_rec_login_stat_list *l, uint64_t locks, uint64_t blocks,
			  struct pb_buf *out)
{
	WEB_PROM_LIST(out, "pillarbox_logins_total", "counter",
		      "Logins that succeeded, per protocol.", "protocol", *l, login_stat, protocol, ok);
	WEB_PROM_LIST(out, "pillarbox_login_failures_total", "counter",
		      "Logins that failed or were refused (locked, blocked), per protocol.",
		      "protocol", *l, login_stat, protocol, failed);
	web_prom_value(out, "pillarbox_lockouts_total", "counter",
		       "Accounts locked for an address.", locks);
	web_prom_value(out, "pillarbox_address_blocks_total", "counter",
		       "Addresses blocked automatically (failed logins, intrusion).", blocks);
}

/* /metrics: the node's status, then the guard's and the queue's counts (each left out when it
 * does not answer). */
static void metrics_run(struct web_session *ws, const struct http_request *q, struct pb_sync *t)
{
	struct sys_status st = { 0 };
	struct pb_rec_login_stat_list logins = { 0 };
	uint64_t locks = 0, blocks = 0;
	uint32_t code = 0, lcode = 0, qcode = 0;
	struct queue_client_stats qs = { 0 };
	const char *error;
	struct pb_buf out;

	int rc = sys_client_status(t, &code, &st, &error);
	int lrc = rc == 0 && code == PB_OK
			  ? lockout_client_stats(t, &lcode, &logins, &locks, &blocks, &error)
			  : -1;
	int qrc = rc == 0 && code == PB_OK ? queue_client_stats(t, &qcode, &qs, &error) : -1;
	if (web_stub_waits(ws)) {
		/* the run goes on when the answer comes */
	} else if (rc < 0 || code != PB_OK) {
		web_reply_error(ws, 503, "the status is not available now");
	} else {
		pb_buf_init(&out);
		metrics_text(&st, &out);
		web_metrics_lists(&st, &out);
		if (lrc == 0 && lcode == PB_OK)
			login_metrics(&logins, locks, blocks, &out);
		if (qrc == 0 && qcode == PB_OK)
			web_metrics_queue(&qs, &out);
		web_prom_value(&out, "pillarbox_message_bytes_in_flight", "gauge",
			       "Octets of messages the gateways hold now (limits.message_bytes_in_flight_mb).",
			       gw_hub_bytes_in_flight());
		web_reply_text(ws, 200, "text/plain; version=0.0.4; charset=utf-8",
			       pb_buf_steal(&out, NULL), NULL, NULL);
	}
	sys_status_free(&st);
	pb_rec_login_stat_list_clear(&logins);
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
	web_reply_json(ws, 200, status_json(&st), NULL);
	sys_status_free(&st);
}

static void api_status(struct web_session *ws, const struct http_request *q)
{
	struct gw_pending call;
	const char *error;
	struct pb_sender tx = web_call_sender(ws, &call, on_status);

	if (sys_client_status_send(&tx, &error) < 0)
		web_reply_busy(ws);
}

static void api_metrics(struct web_session *ws, const struct http_request *q)
{
	web_stub_run(ws, q, metrics_run);
}

/* ---- users ---- */

/* Whether user has a lock from any address. */
static bool is_locked(const struct pb_rec_lockout_lock_list *locks, const char *user)
{
	for (uint32_t i = 0; i < locks->n; i++)
		if (strcasecmp(locks->v[i].user, user) == 0)
			return true;
	return false;
}

static cJSON *users_json(const struct directory_user_list *list,
			 const struct pb_rec_lockout_lock_list *locks)
{
	cJSON *a = cJSON_CreateArray();
	for (uint32_t i = 0; i < list->users.n; i++) {
		const struct pb_rec_dir_user_entry *e = &list->users.v[i];
		cJSON *u = cJSON_CreateObject();
		cJSON_AddStringToObject(u, "user", e->user);
		cJSON_AddNumberToObject(u, "messages", (double)e->messages);
		cJSON_AddNumberToObject(u, "bytes", (double)e->bytes);
		cJSON_AddBoolToObject(u, "forwards", e->forwards != 0);
		cJSON_AddBoolToObject(u, "locked", is_locked(locks, e->user));
		cJSON_AddItemToArray(a, u);
	}
	return a;
}

/* The accounts (the directory), then the locks (the lockout guard): the grid's one request. */
static void users_run(struct web_session *ws, const struct http_request *q, struct pb_sync *t)
{
	struct directory_user_list list = { 0 };
	struct pb_rec_lockout_lock_list locks = { 0 };
	struct pb_rec_lockout_block_list blocks = { 0 };
	const char *error;
	uint32_t code = 0;

	int rc = directory_client_user_list(t, "", &code, &list, &error);
	if (!web_stub_failed(ws, rc, code, error)) {
		rc = lockout_client_list(t, &code, &locks, &blocks, &error);
		if (!web_stub_failed(ws, rc, code, error))
			web_reply_json(ws, 200, users_json(&list, &locks), NULL);
	}
	directory_user_list_free(&list);
	pb_rec_lockout_lock_list_clear(&locks);
	pb_rec_lockout_block_list_clear(&blocks);
}

static void api_users(struct web_session *ws, const struct http_request *q)
{
	web_stub_run(ws, q, users_run);
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
	cJSON_AddBoolToObject(o, "has_web_password", info.has_web_password);
	cJSON_AddBoolToObject(o, "can_change_main", info.can_change_main);
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

/* The access as a word, for tests that walk the document (x-pillarbox-access). */
static const char *access_name(enum web_access a)
{
	static const char *const name[] = {
		[WEB_PUBLIC] = "public",   [WEB_USER] = "user", [WEB_SELF_OR_ADMIN] = "self_or_admin",
		[WEB_ADMIN] = "admin", [WEB_METRICS] = "metrics",
	};
	return name[a];
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
	cJSON_AddStringToObject(op, "x-pillarbox-access", access_name(r->access));
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
	/* 3.1: its schemas are JSON Schema, whose type lists (["string", "null"]) they use */
	cJSON_AddStringToObject(doc, "openapi", "3.1.0");
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
