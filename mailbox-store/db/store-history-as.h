/*
 * store-history-as.h: a record owner's request handled with its changes recorded as by the
 * client who asked (store-db.h pb_store_history_who), then back to "system" for what the owner
 * does on its own. Header-only: for actors, which link the runtime and the store.
 * THREAD: the owner's actor thread (the "who" is thread-local).
 */
#ifndef STORE_HISTORY_AS_H
#define STORE_HISTORY_AS_H

#include "pb-runtime.h"
#include "pb-settings-snapshot.h"
#include "store-db.h"

/* Calls handle(a, state, m) with the histories recording its changes as by `by` (the request's
 * by field; "" gives "system"), keeping as many as the settings say. handle's return. */
static inline int pb_store_history_as(struct pb_actor *a, void *state, struct pb_msg *m,
				      const char *by,
				      int (*handle)(struct pb_actor *, void *, struct pb_msg *))
{
	pb_store_history_who(by, pb_settings_history_keep(pb_actor_runtime(a)));
	int rc = handle(a, state, m);
	pb_store_history_who("", 0);
	return rc;
}

#endif
