/*
 * lockout-history.h: each user's recent logins and failures (time, address, protocol,
 * result), for `pillarbox user logins NAME`. Pure and bounded: the last
 * LOCKOUT_HISTORY_PER_USER events of at most `users` users; a new user past that replaces the
 * one whose last event is oldest. Kept in memory by the lockout actor, so it starts empty at
 * each start (as the account locks do): a write to the store per login would cost a synced
 * write on the hottest path for a convenience view, and the security log keeps every event
 * for good.
 * Users are compared in ASCII lowercase. OWNS: struct lockout_history. THREAD: its owner's.
 */
#ifndef LOCKOUT_HISTORY_H
#define LOCKOUT_HISTORY_H

#include "lockout-table.h"

#define LOCKOUT_HISTORY_PER_USER 20

struct lockout_event {
	uint64_t time_ms; /* the caller's clock (the actor: wall-clock) */
	char ip[PB_CIDR_TEXT_MAX];
	char protocol[LOCKOUT_PROTOCOL_MAX];
	enum lockout_result result;
	bool refused; /* refused by a lock or a block (whatever the password) */
};

struct lockout_history;

/* A new empty history for at most users users (at least 1). Never NULL. */
struct lockout_history *lockout_history_create(uint32_t users);
/* Frees *h and sets it NULL (NULL: nothing). */
void lockout_history_destroy(struct lockout_history **h);
/* Records ev (copied) for user. */
void lockout_history_add(struct lockout_history *h, const char *user,
			 const struct lockout_event *ev);
/* Copies user's events (exactly that name, any case), oldest first, up to max into out.
 * Returns how many were copied. */
size_t lockout_history_get(const struct lockout_history *h, const char *user,
			   struct lockout_event *out, size_t max);
/* The text of a result for listings: "ok", "bad password", "unknown user". */
const char *lockout_result_name(enum lockout_result r);

#endif
