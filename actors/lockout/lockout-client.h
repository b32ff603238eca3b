/*
 * lockout-client.h: typed calls to the lockout guard "lockout" (see lockout-actor.h): what a
 * gateway asks before its greeting and after each login attempt, and what the CLI administers.
 *
 * Conventions (pb-client.h):
 *  - lockout_client_X(struct pb_sync *t, IN..., uint32_t *code_r, OUT_r..., error_r): 0 the
 *    guard answered (*code_r; OUT_r only on PB_OK; else *error_r its reason, kept in t until
 *    the next call), -1 no answer (*error_r static).
 *  - lockout_client_X_send(const struct pb_sender *s, IN..., error_r): 0 sent / -1 not.
 *  - lockout_client_X_reply(struct pb_msg *rep, OUT_r..., error_r): the pb_status of the
 *    answer; OUT_r moved out of rep on PB_OK; *error_r points into rep.
 *
 * A gateway:
 *  1. on accept, lockout_client_check_ip_send(s, ip); on the reply, lockout_client_check_ip_reply:
 *     blocked → send LOCKOUT_BLOCKED_TEXT in the protocol's error form ("421 4.7.0 ...",
 *     "-ERR [SYS/TEMP] ...", "* BYE ...", HTTP 403) instead of the greeting, and close. An
 *     answer that does not come (TEMP, timeout) is not a block: greet (fail open: the guard
 *     being slow must not close the server).
 *  2. after each password check, lockout_client_login_send(s, ip, user, protocol, result);
 *     on the reply: locked or blocked → the login fails (the same failure reply as a wrong
 *     password, so a locked account is not revealed; blocked: then LOCKOUT_BLOCKED_TEXT and
 *     close), whatever the password was. Otherwise the password check decides.
 * ip is the client's address in inet_ntop form (IPv4-mapped IPv6 counts as IPv4); user what
 * the client logged in as (the account name when known); protocol a short name: "smtp",
 * "pop3", "imap", "web", "admin" ("web" and "admin" from loopback are exempt unless
 * security.lock_loopback_admin).
 * THREAD: the caller's.
 */
#ifndef LOCKOUT_CLIENT_H
#define LOCKOUT_CLIENT_H

#include "pb-client.h"

/* What every protocol tells a blocked client (the reference's wording). */
#define LOCKOUT_BLOCKED_TEXT "Your connection has been blocked temporarily - try again later."

/* What a login attempt came to (the values of lockout-table.h's enum lockout_result). */
#define LOCKOUT_LOGIN_OK 0
#define LOCKOUT_LOGIN_BAD_PASSWORD 1
#define LOCKOUT_LOGIN_UNKNOWN_USER 2

/* Is ip blocked? *blocked_r, and *until_ms_r when the block ends (wall-clock ms; 0 forever). */
int lockout_client_check_ip(struct pb_sync *t, const char *ip, uint32_t *code_r, bool *blocked_r,
			    int64_t *until_ms_r, const char **error_r);
int lockout_client_check_ip_send(const struct pb_sender *s, const char *ip, const char **error_r);
uint32_t lockout_client_check_ip_reply(struct pb_msg *rep, bool *blocked_r, int64_t *until_ms_r,
				       const char **error_r);

/* The answer to a login report: refuse if locked or blocked. */
struct lockout_login_answer {
	bool locked;      /* the account is locked for this address */
	bool blocked;     /* the address is blocked */
	int64_t until_ms; /* when that ends (wall clock; 0 forever) */
};
/* Reports a login attempt (result LOCKOUT_LOGIN_*). REFUSED if ip is not an address. */
int lockout_client_login(struct pb_sync *t, const char *ip, const char *user, const char *protocol,
			 uint8_t result, uint32_t *code_r, struct lockout_login_answer *a_r,
			 const char **error_r);
int lockout_client_login_send(const struct pb_sender *s, const char *ip, const char *user,
			      const char *protocol, uint8_t result, const char **error_r);
uint32_t lockout_client_login_reply(struct pb_msg *rep, struct lockout_login_answer *a_r,
				    const char **error_r);

/* Intrusion protection (issue 10 item 5): what a client did, as intrusion-table.h's enum
 * intrusion_event (the guard weighs each with a setting security.intrusion_*). */
#define LOCKOUT_INTRUSION_EARLY_TALK 0   /* a command before the greeting */
#define LOCKOUT_INTRUSION_PIPELINING 1   /* commands before a reply without PIPELINING */
#define LOCKOUT_INTRUSION_UNKNOWN_RCPT 2 /* a recipient refused as unknown */
#define LOCKOUT_INTRUSION_AUTH_FAILURE 3 /* a failed AUTH */
#define LOCKOUT_INTRUSION_BARE_LF 4      /* a message with a bare LF or CR */
#define LOCKOUT_INTRUSION_BAD_COMMAND 5  /* an invalid or refused command past a few */
/* Reports count events (LOCKOUT_INTRUSION_*) of the client at ip over protocol ("smtp"). The
 * answer: *blocked_r when the address is blocked now (this report pushed it past the
 * threshold, or it was before; *until_ms_r as for check_ip): the session then sends
 * LOCKOUT_BLOCKED_TEXT in its protocol's form and closes. REFUSED if ip is not an address. */
int lockout_client_intrusion_send(const struct pb_sender *s, const char *ip, const char *protocol,
				  uint8_t event, uint32_t count, const char **error_r);
uint32_t lockout_client_intrusion_reply(struct pb_msg *rep, bool *blocked_r, int64_t *until_ms_r,
					const char **error_r);

/* Every account lock and block entry (the lists moved out: the caller clears them). */
int lockout_client_list(struct pb_sync *t, uint32_t *code_r, struct pb_rec_lockout_lock_list *locks_r,
			struct pb_rec_lockout_block_list *blocks_r, const char **error_r);

int lockout_client_list_send(const struct pb_sender *s, const char **error_r);
uint32_t lockout_client_list_reply(struct pb_msg *rep, struct pb_rec_lockout_lock_list *locks_r,
				   struct pb_rec_lockout_block_list *blocks_r, const char **error_r);

/* Lifts user's locks for ip (NULL or "": every address). NOTFOUND if there was none. */
int lockout_client_unlock(struct pb_sync *t, const char *user, const char *ip, uint32_t *code_r,
			  const char **error_r);
int lockout_client_unlock_send(const struct pb_sender *s, const char *user, const char *ip,
			       const char **error_r);
uint32_t lockout_client_unlock_reply(struct pb_msg *rep, const char **error_r);

/* Locks user for every address for minutes (0: until unlocked): each login as user is refused
 * (as a lock after failures is) until then or lockout_client_unlock(user, NULL). Listed with
 * ip "*". REFUSED for an empty user. In memory like every account lock: a restart lifts it. */
int lockout_client_lock(struct pb_sync *t, const char *user, uint32_t minutes, uint32_t *code_r,
			const char **error_r);

/* Blocks net (an address or CIDR network) for minutes (0: until removed). REFUSED for a bad
 * network or a list full of manual blocks. */
int lockout_client_block_add(struct pb_sync *t, const char *net, uint32_t minutes,
			     const char *reason, uint32_t *code_r, const char **error_r);
/* Removes the block of net. NOTFOUND if there is none, REFUSED for a bad network. */
int lockout_client_block_del(struct pb_sync *t, const char *net, uint32_t *code_r,
			     const char **error_r);

/* One user's locks and recent login events, oldest first (lists moved out). */
int lockout_client_user(struct pb_sync *t, const char *user, uint32_t *code_r,
			struct pb_rec_lockout_lock_list *locks_r,
			struct pb_rec_login_event_list *logins_r, const char **error_r);

/* The guard's counts since it started (LOCKOUT_STATS_REP): logins per protocol (moved out: the
 * caller clears it), accounts locked, addresses blocked automatically. */
int lockout_client_stats(struct pb_sync *t, uint32_t *code_r,
			 struct pb_rec_login_stat_list *logins_r, uint64_t *locks_r,
			 uint64_t *blocks_r, const char **error_r);

#endif
