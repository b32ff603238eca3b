/*
 * directory-actor.h: the directory actor — accounts and local domains.
 * OWNS: the user and domain records in the store (every account change goes through it).
 * THREAD: its own actor thread.
 * MESSAGES handled: DIR_USER_{ADD,DEL,RENAME,PASSWD,LOOKUP,LIST,SHOW,COPY,BULK_ADD}_REQ,
 * DIR_RCPT_CHECK_REQ, DIR_DOMAIN_{ADD,DEL,LIST}_REQ. Sends: MBOX_PURGE_REQ (forced delete of a
 * non-empty mailbox).
 * The auth shards ("auth.0" .. "auth.N-1") answer AUTH_USER_VERIFY_REQ: they only read the
 * account records, so password checks run in parallel and never wait behind account changes.
 */
#ifndef DIRECTORY_ACTOR_H
#define DIRECTORY_ACTOR_H

#include "pb-runtime.h"

struct pb_store;

/* The definition to start with pb_runtime_start(rt, &directory_actor_def, store, ...);
 * the store is borrowed and must outlive the actor. */
extern const struct pb_actor_def directory_actor_def;

/* Starts n auth shards over store (borrowed) and declares their routing. 0 / -1. */
int auth_actors_start(struct pb_runtime *rt, struct pb_store *store, uint32_t n,
		      const char **error_r);

#endif
