/*
 * directory-actor.h: the directory actor — accounts and local domains.
 * OWNS: the user and domain records in the store (every account change goes through it).
 * THREAD: its own actor thread.
 * MESSAGES handled: DIR_USER_{ADD,DEL,RENAME,PASSWD,VERIFY,LOOKUP,LIST,SHOW,COPY,BULK_ADD}_REQ,
 * DIR_DOMAIN_{ADD,DEL,LIST}_REQ. Sends: MBOX_PURGE_REQ (forced delete of a non-empty mailbox).
 */
#ifndef DIRECTORY_ACTOR_H
#define DIRECTORY_ACTOR_H

#include "pb-runtime.h"

struct pb_store;

/* The definition to start with pb_runtime_start(rt, &directory_actor_def, store, ...);
 * the store is borrowed and must outlive the actor. */
extern const struct pb_actor_def directory_actor_def;

#endif
