/*
 * sys-private.h: what the sys actor's files share (sys-actor.c: status and settings documents;
 * sys-history.c: the settings history, rollback and the upgrade checkpoint). Nobody outside
 * actors/sys includes it.
 * OWNS: the types. THREAD: the sys actor's.
 */
#ifndef SYS_PRIVATE_H
#define SYS_PRIVATE_H

#include "pb-secret.h"
#include "pb-settings.h"
#include "sys-actor.h"
#include "sys-reports.h"
#include "sys-secrets.h"

#define SYS_TIMER_STATUS 1
#define SYS_STATUS_TIMEOUT_MS 10000
#define SYS_STATUS_PENDING_MAX 16

/* A status request waiting for the directory's counts; its answer is ready but for them. */
struct sys_status_wait {
	uint64_t id; /* corr of the counts request */
	uint64_t deadline_ms;
	struct pb_msg req, rep;
};

struct sys {
	struct sys_actor_args *args;
	struct pb_settings current; /* what the runtime's snapshot holds */
	struct sys_status_wait waits[SYS_STATUS_PENDING_MAX];
	size_t n_waits;
	uint64_t next_id;
	struct sys_reports reports; /* the gateways' and spool shards' last reports */
	uint8_t key[PB_SECRET_KEY_LEN]; /* seals secret settings at rest (sys-secrets.h) */
	bool have_key;
};

/* The secret settings of doc's text json sealed, opened or masked (json freed). */
char *sys_secrets_of(struct sys *sys, const char *doc, char *json, enum sys_secrets_mode mode);
/* Stores the validated document merged (plain; taken and freed) as doc's, with its history
 * record (by, note), then loads and publishes it. 0, or -1 with error_r (nothing changed). */
int sys_settings_apply(struct pb_actor *a, struct sys *sys, const char *doc, char *merged,
		       const char *by, const char *note, const char **error_r);

/* sys-history.c */
int sys_on_setting_history(struct pb_actor *a, void *state, struct pb_msg *m);
int sys_on_setting_rollback(struct pb_actor *a, void *state, struct pb_msg *m);
int sys_on_checkpoint(struct pb_actor *a, void *state, struct pb_msg *m);
/* sys-seclog.c: SYS_SECURITY_LOG_REQ */
int sys_on_security_log(struct pb_actor *a, void *state, struct pb_msg *m);
/* sys-script.c: SYS_SERVER_SCRIPT_REQ; the stored server script as a settings document */
int sys_on_server_script(struct pb_actor *a, void *state, struct pb_msg *m);
/* sys-certs.c: SYS_CERT_INSTALL_REQ; the pairs under DATA_DIR/tls-installed */
int sys_on_cert_install(struct pb_actor *a, void *state, struct pb_msg *m);
/* The settings document the stored server script is kept in: {"text": "..."}, or {} (none:
 * the installed copy applies). Not in the schema: sys_script_doc says when a document is it. */
#define SYS_SCRIPT_DOC "router-script"
bool sys_script_doc(const char *doc);
/* At start: publishes the stored script with the settings (a bad one is logged, and the
 * installed copy applies). Always 0. */
int sys_script_load(struct pb_actor *a, struct sys *sys);
/* Stores json (a SYS_SCRIPT_DOC document: checked, its text compiled) with its history record
 * (by, note), then publishes it. 0, or -1 with *error_r allocated (nothing changed). */
int sys_script_apply(struct pb_actor *a, struct sys *sys, const char *json, const char *by,
		     const char *note, char **error_r);

#endif
