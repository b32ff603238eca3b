/*
 * sys-client.h: typed calls to the node actor "sys" (status and settings documents; see
 * sys-actor.h).
 *
 * Conventions (pb-client.h):
 *  - sys_client_X(struct pb_sync *t, IN..., uint32_t *code_r, OUT_r..., error_r): 0 the actor
 *    answered (*code_r; OUT_r the caller's, only on PB_OK; else *error_r its reason, kept in t
 *    until the next call), -1 no answer (*error_r static).
 *  - sys_client_X_send(const struct pb_sender *s, IN..., error_r): 0 sent / -1 not.
 *  - sys_client_X_reply(struct pb_msg *rep, OUT_r..., error_r): the pb_status of the answer
 *    (its REP or CORE_STATUS_REP); OUT_r moved out of rep on PB_OK; *error_r points into rep.
 *  - sys_client_X_cast(struct pb_runtime *rt, ...): a one-way report to sys; 0 sent / -1 not
 *    (sys absent, its inbox full: the next report replaces a lost one).
 * THREAD: the caller's (the casts: any).
 */
#ifndef SYS_CLIENT_H
#define SYS_CLIENT_H

#include "pb-client.h"

/* The node's status; actors.v[i] = { name, restarts, handled, inbox_full, queued } per actor;
 * latency.v[i] one latency histogram of this node's (pb-latency.h) per enum pb_latency; the rest
 * as SYS_STATUS_REP in msg-types.def (what the gateways and spool shards last reported). */
struct sys_status {
	char *version;
	uint64_t uptime_ms, store_bytes, users, domains;
	struct pb_rec_actor_stat_list actors;
	struct pb_rec_listener_list listeners;
	struct pb_rec_service_stat_list services;
	uint64_t received, rcpts_refused, rejected, delivered, deferred, delivery_failed;
	uint64_t spool_depth, disk_free, storage_left;
	struct pb_rec_log_line_list recent;
	struct pb_rec_tls_cert_list tls; /* 0 or 1: the certificate new TLS connections get */
	struct pb_rec_latency_list latency;
	struct pb_rec_refusal_list refusals; /* this node's SMTP refusals, one per reason */
	struct pb_rec_inbox_stat_list hubs;  /* this node's gateway hubs' inboxes, by protocol */
	struct pb_rec_source_count_list received_by; /* messages accepted by source (smtp, ...) */
};
void sys_status_free(struct sys_status *st);

int sys_client_status(struct pb_sync *t, uint32_t *code_r, struct sys_status *st_r,
		      const char **error_r);
int sys_client_status_send(const struct pb_sender *s, const char **error_r);
uint32_t sys_client_status_reply(struct pb_msg *rep, struct sys_status *st_r, const char **error_r);

/* A gateway's report (SYS_GATEWAY_STATS_EVT): its listeners and sessions per service and the
 * certificate of its TLS listeners (the lists moved into the message: empty after the call,
 * sent or not), and its counts since it started. */
struct sys_gateway_stats {
	const char *gateway;
	struct pb_rec_listener_list listeners;
	struct pb_rec_service_stat_list services;
	struct pb_rec_tls_cert_list tls;
	uint64_t received, rcpts_refused, rejected;
};
int sys_client_gateway_stats_cast(struct pb_runtime *rt, struct sys_gateway_stats *st,
				  const char **error_r);

/* A spool shard's report (SYS_SPOOL_STATS_EVT). */
struct sys_spool_stats {
	uint32_t shard, shards;
	uint64_t depth, delivered, deferred, failed;
};
int sys_client_spool_stats_cast(struct pb_runtime *rt, const struct sys_spool_stats *st,
				const char **error_r);

/* A settings document by name ("smtp", "accounts"...): *json_r the JSON object ("{}" if unset).
 * REFUSED for a bad name. */
int sys_client_setting_get(struct pb_sync *t, const char *key, uint32_t *code_r, char **json_r,
			   const char **error_r);
int sys_client_setting_get_send(const struct pb_sender *s, const char *key, const char **error_r);
uint32_t sys_client_setting_get_reply(struct pb_msg *rep, char **json_r, const char **error_r);

/* Merges json (a JSON object of some of the document's keys) into a settings document: REFUSED
 * with the reason when the result is not valid (nothing changes). by: who, for the history
 * ("cli:root", "web:admin"). */
int sys_client_setting_put(struct pb_sync *t, const char *key, const char *json, const char *by,
			   uint32_t *code_r, const char **error_r);
int sys_client_setting_put_send(const struct pb_sender *s, const char *key, const char *json,
				const char *by, const char **error_r);
uint32_t sys_client_setting_put_reply(struct pb_msg *rep, const char **error_r);

/* The most changes one history answer holds. */
#define SYS_HISTORY_PAGE 200
/* The settings history, newest first, numbered below before (0: from the newest), at most
 * limit: changes_r (the caller clears it with pb_rec_setting_change_list_clear). */
int sys_client_setting_history(struct pb_sync *t, uint64_t before, uint32_t limit,
			       uint32_t *code_r, struct pb_rec_setting_change_list *changes_r,
			       const char **error_r);
int sys_client_setting_history_send(const struct pb_sender *s, uint64_t before, uint32_t limit,
				    const char **error_r);
uint32_t sys_client_setting_history_reply(struct pb_msg *rep,
					  struct pb_rec_setting_change_list *changes_r,
					  const char **error_r);
/* Another history for the timeline (kind: store-db.h PB_HISTORY_*, 'c' 's' 'b' 'k'; 0 the
 * settings': sys_client_setting_history), as sys_client_setting_history. */
int sys_client_history(struct pb_sync *t, char kind, uint64_t before, uint32_t limit,
		       uint32_t *code_r, struct pb_rec_setting_change_list *changes_r,
		       const char **error_r);
/* Records a checkpoint on the timeline (SYS_CHECKPOINT_REQ): *seq_r its number (#N, a point
 * to roll back to). REFUSED for a note longer than 200 bytes. */
int sys_client_checkpoint(struct pb_sync *t, const char *note, const char *by, uint32_t *code_r,
			  uint64_t *seq_r, const char **error_r);
/* Undoes change seq (to_point false) or every change after it (true): NOTFOUND when seq is not
 * kept, REFUSED when a document's old state is no longer valid (nothing changes then).
 * *changed_r: how many documents were put back. */
int sys_client_setting_rollback(struct pb_sync *t, uint64_t seq, bool to_point, const char *by,
				uint32_t *code_r, uint32_t *changed_r, const char **error_r);
int sys_client_setting_rollback_send(const struct pb_sender *s, uint64_t seq, bool to_point,
				     const char *by, const char **error_r);
uint32_t sys_client_setting_rollback_reply(struct pb_msg *rep, uint32_t *changed_r,
					   const char **error_r);

/* The server's routing script (SYS_SERVER_SCRIPT_REQ; actors/sys/sys-script.c). */
enum sys_server_script_op {
	SYS_SERVER_SCRIPT_GET = 0,
	SYS_SERVER_SCRIPT_PUT = 1,   /* store text (compiled first: REFUSED "user_redirect.lua:LINE:") */
	SYS_SERVER_SCRIPT_RESET = 2, /* back to the installed copy */
};
/* What is in effect: source "file" (router.user_redirect), "stored" or "installed"; path the
 * file read ("" when stored); text ("" and exists false when the file is missing). */
struct sys_server_script {
	char *source, *path, *text;
	bool exists;
};
void sys_server_script_free(struct sys_server_script *s);
/* Reads (GET: text ignored), stores text (PUT) or resets (RESET) the server's script; by: who,
 * for the settings history. EXISTS when router.user_redirect names a file (PUT, RESET). On
 * PB_OK *out_r is filled (free with sys_server_script_free). */
int sys_client_server_script(struct pb_sync *t, enum sys_server_script_op op, const char *text,
			     const char *by, uint32_t *code_r, struct sys_server_script *out_r,
			     const char **error_r);

/* Installing a TLS certificate (SYS_CERT_INSTALL_REQ; actors/sys/sys-certs.c): where its files
 * went and what it is (struct pb_tls_cert_info's facts). */
#define SYS_CERT_PEM_MAX (64 * 1024) /* a certificate's PEM, its chain included */
#define SYS_KEY_PEM_MAX (16 * 1024)  /* a private key's PEM */
struct sys_cert_installed {
	char *cert_path, *key_path;     /* under DATA_DIR/tls-installed */
	char *subject, *issuer, *names; /* CNs and the subjectAltName DNS names */
	int64_t not_after;              /* seconds since the epoch */
	char *sha256;                   /* "AB:CD:..." */
	bool self_signed;
};
void sys_cert_installed_free(struct sys_cert_installed *c);
/* Checks the PEM pair cert (the chain after it) and key as the daemon loads it and for expiry,
 * writes it under DATA_DIR/tls-installed (0600) and prunes installed pairs no setting names
 * (the newest two kept); by: who, for the security log. It does not change the settings: name
 * *out_r's files in the document "services". REFUSED with the reason (not PEM, the key does
 * not match, expired, too long), INTERNAL when the files cannot be written. On PB_OK *out_r is
 * filled (free with sys_cert_installed_free). */
int sys_client_cert_install(struct pb_sync *t, const char *cert, const char *key, const char *by,
			    uint32_t *code_r, struct sys_cert_installed *out_r,
			    const char **error_r);

/* The security log read back (SYS_SECURITY_LOG_REQ): the lines ending at or before byte
 * offset before (0: the end), newest first, at most limit (1..1000), with user=user and ip= or
 * peer= ip when those are not NULL; lines_r the caller clears (pb_rec_security_line_list_clear),
 * *next_r the before of the next page (0: none left). NOTFOUND when the log is not a file. */
int sys_client_security_log(struct pb_sync *t, uint64_t before, uint32_t limit, const char *user,
			    const char *ip, uint32_t *code_r,
			    struct pb_rec_security_line_list *lines_r, uint64_t *next_r,
			    const char **error_r);

#endif
