/*
 * sys-actor.h: the node actor — status (uptime, actors, store size, the directory's counts) and
 * the owner of the settings documents (runtime/settings.def; library pb_store_settings).
 * OWNS: the settings in effect; nothing else durable but the settings documents it writes; the
 * start time. THREAD: its own actor thread.
 * At init it loads every settings document and publishes the snapshot (pb_settings_publish, and
 * the store's free-space reserve); each accepted change publishes a new one.
 * MESSAGES handled: SYS_STATUS_REQ (answered once the directory has counted the accounts and
 * domains: it sends DIR_COUNTS_REQ and handles its reply, DIR_COUNTS_REP; TEMP if none comes
 * within 10 s; the answer also carries what the gateways and spool shards last reported, the
 * disk figures and the recent warnings/errors: sys-reports.h); SYS_GATEWAY_STATS_EVT and
 * SYS_SPOOL_STATS_EVT (kept for the status); SYS_SETTING_GET_REQ (every key's value in effect, defaults included);
 * SYS_SETTING_PUT_REQ (a change merged into the document: only the keys given
 * change, null returns a key to its default; an unknown document or key, a wrong type or an
 * out-of-range value is refused naming the key and what is allowed, and nothing is written);
 * SYS_SERVER_SCRIPT_REQ (the server's user_redirect.lua read, stored or reset: sys-script.c);
 * SYS_CERT_INSTALL_REQ (a TLS certificate checked and written under DATA_DIR/tls-installed,
 * pairs no setting names pruned: sys-certs.c).
 */
#ifndef SYS_ACTOR_H
#define SYS_ACTOR_H

#include "pb-runtime.h"

struct pb_store;

struct sys_actor_args {
	struct pb_store *store; /* borrowed */
	uint64_t started_ms;    /* monotonic */
	const char *version;
	const char *data_dir;   /* where secret.key is (sys-secrets.h) and installed certificates
				 * go (sys-certs.c); NULL: secrets not sealed, no installing */
};

extern const struct pb_actor_def sys_actor_def;

/* The upgrade checkpoint: when the program version stored in args->store differs from
 * args->version, a checkpoint on the timeline ("checkpoint: before upgrade from A to B", by
 * "upgrade"), then the version stored. The daemon calls it before it starts any actor, so
 * before anything the new version changes at its start; no actor may be writing the settings
 * history then (sys is its one writer). Failures are logged. */
void sys_checkpoint_upgrade(const struct sys_actor_args *args);

#endif
