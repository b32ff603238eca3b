/*
 * maint-client.h: typed calls to the maintenance actor (see maint-actor.h).
 *
 * Conventions (pb-client.h):
 *  - maint_client_X(struct pb_sync *t, uint32_t *code_r, error_r): 0 the actor answered
 *    (*code_r; on another code than PB_OK *error_r its reason, kept in t), -1 no answer.
 *  - maint_client_X_send(const struct pb_sender *s, error_r): 0 sent / -1 not.
 *  - maint_client_X_reply(struct pb_msg *rep, error_r): the pb_status of the answer;
 *    *error_r points into rep.
 * THREAD: the caller's.
 */
#ifndef MAINT_CLIENT_H
#define MAINT_CLIENT_H

#include "pb-client.h"

/* Runs a maintenance round now (sweep, blob GC, dedupe pruning); answered when it is done. */
int maint_client_run(struct pb_sync *t, uint32_t *code_r, const char **error_r);
int maint_client_run_send(const struct pb_sender *s, const char **error_r);
uint32_t maint_client_run_reply(struct pb_msg *rep, const char **error_r);

#endif
