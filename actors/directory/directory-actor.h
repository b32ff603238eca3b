/*
 * directory-actor.h: the directory actor — accounts and local domains.
 * OWNS: the user and domain records in the store (every account change goes through it).
 * THREAD: its own actor thread.
 * MESSAGES handled: DIR_USER_{ADD,DEL,RENAME,PASSWD,LOOKUP,LIST,SHOW,COPY,BULK_ADD}_REQ,
 * DIR_RCPT_CHECK_REQ, DIR_DOMAIN_{ADD,DEL,LIST}_REQ; the replies to its own requests
 * (AUTH_PASSWORD_HASH_REP, CORE_STATUS_REP). Sends: AUTH_PASSWORD_HASH_REQ (add, passwd, bulk
 * add: the yescrypt work runs on the auth shards) and MBOX_PURGE_REQ (after a delete), without
 * waiting: the request is answered when the reply comes (directory-ops.h), and meanwhile the
 * directory answers everything else, every SMTP RCPT among them.
 * The auth shards ("auth.0" .. "auth.N-1") answer AUTH_USER_VERIFY_REQ, AUTH_PASSWORD_HASH_REQ
 * (the yescrypt hash and the SCRAM keys of a new password) and AUTH_SCRAM_CREDS_REQ: they only
 * read the account records (and, once, write the secret fake SCRAM credentials come from:
 * auth-secret.h), so password work runs in parallel and never waits behind account changes.
 */
#ifndef DIRECTORY_ACTOR_H
#define DIRECTORY_ACTOR_H

#include "pb-runtime.h"

struct pb_store;

/* The definition to start with pb_runtime_start(rt, &directory_actor_def, store, ...);
 * the store is borrowed and must outlive the actor. */
extern const struct pb_actor_def directory_actor_def;

/* The auth shards' definition, started as shards ("auth.0".."auth.N-1") with
 * pb_runtime_start_shards(rt, &auth_actor_def, n, store, ...); the store is borrowed. */
extern const struct pb_actor_def auth_actor_def;

#endif
