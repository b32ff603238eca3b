/*
 * lockout-table.h: the lockout guard's pure logic (the reference's policy, admin guide 4.13):
 *  - account lock for one IP: after policy.lock_after consecutive failed logins to a user from
 *    one address, that user is locked for that address alone for lock_ms (other addresses
 *    still log in); a success from it resets the count; a failure while locked starts the lock
 *    time again ("unlocks after 30 minutes as long as there are no further attempts"); a
 *    success while locked is refused and resets nothing;
 *  - IP block: block_failures failed logins from one address within block_period_ms (wrong
 *    passwords and unknown users alike) put the address on the block list for block_ms;
 *  - the block list: networks (manual, forever or until a time; or the automatic blocks above)
 *    with their reason, protocol and expiry; the never-block list (policy.never_block, the
 *    security.never_block setting) wins over failures: its addresses are never blocked
 *    automatically (a manual block of an address on it is still obeyed: the administrator
 *    asked for both);
 *  - loopback (127.0.0.0/8, ::1, mapped) logging in to the web or admin interface (protocol
 *    "web" or "admin") is exempt from counting unless policy.lock_loopback_admin.
 *
 * Bounded memory: at most limits.pairs (user, ip) counters, limits.ips per-address failure
 * windows and limits.blocks block entries. A full table evicts the least recently used
 * unlocked pair (or window); only if every pair is locked is the oldest lock evicted. What an
 * attacker gains by filling it: an attacker with many addresses can push out the failure
 * counts of other addresses (each gets its lock_after - 1 tries back), and, only after more
 * locks than limits.pairs, an existing lock. Each address is itself blocked after
 * block_failures, so this needs limits.pairs / block_failures addresses (hundreds for the
 * defaults); a botnet of that size gets its guesses anyway by spreading them thinly, so the
 * bound costs little and keeps the guard from growing without limit. Automatic blocks past
 * limits.blocks replace the one that expires soonest; manual ones are never evicted (adding
 * one to a full list of manual blocks is refused).
 *
 * Times are whatever clock the caller passes in (now_ms); until_ms 0 in a block means forever.
 * Users are compared in ASCII lowercase; names longer than LOCKOUT_USER_MAX are cut there.
 * Pure code: no clock, no I/O, no nng, no store. OWNS: the table. THREAD: its owner's.
 */
#ifndef LOCKOUT_TABLE_H
#define LOCKOUT_TABLE_H

#include "pb-cidr.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define LOCKOUT_USER_MAX 64
#define LOCKOUT_PROTOCOL_MAX 16
#define LOCKOUT_REASON_MAX 128
/* The address an administrator's lock (lockout_table_lock) is listed with: every one. */
#define LOCKOUT_ANY_IP "*"
/* The most failures an address's window keeps: the largest ip_block_failures. */
#define LOCKOUT_WINDOW_MAX 100

/* What a login attempt came to. */
enum lockout_result { LOCKOUT_SUCCESS = 0, LOCKOUT_BAD_PASSWORD = 1, LOCKOUT_UNKNOWN_USER = 2 };

struct lockout_policy {
	uint32_t lock_after; /* consecutive failures that lock (0: never) */
	uint64_t lock_ms;
	uint32_t block_failures; /* failures in the period that block (0: never; at most
				    LOCKOUT_WINDOW_MAX) */
	uint64_t block_period_ms, block_ms;
	bool lock_loopback_admin;
	struct pb_cidr_list never_block;
};

struct lockout_limits {
	uint32_t pairs, ips, blocks;
};

/* A block list entry. */
struct lockout_block {
	struct pb_cidr net;
	char text[PB_CIDR_TEXT_MAX]; /* canonical (pb_cidr_format): the entry's name */
	uint64_t created_ms, until_ms; /* until 0: forever */
	bool automatic;                /* added by failures, not by an administrator */
	char reason[LOCKOUT_REASON_MAX];
	char protocol[LOCKOUT_PROTOCOL_MAX];
};

/* An account lock as listed. */
struct lockout_lock {
	char user[LOCKOUT_USER_MAX + 1];
	char ip[PB_CIDR_TEXT_MAX];
	uint32_t failures;
	uint64_t until_ms;
};

/* The answer to a login report. */
struct lockout_verdict {
	bool locked;      /* the account is locked for this address: refuse the login */
	bool blocked;     /* the address is blocked: refuse and close */
	bool locked_now;  /* this report locked it (log it) */
	bool blocked_now; /* this report blocked the address (persist and log it) */
	uint64_t until_ms; /* of the lock or block that refuses */
};

struct lockout_table;

/* The key a user is kept under: ASCII lowercase, cut at LOCKOUT_USER_MAX (NULL: ""). */
void lockout_user_key(const char *user, char key_r[LOCKOUT_USER_MAX + 1]);

/* A new empty table with the given bounds (each at least 1) and policy p (copied). Never NULL. */
struct lockout_table *lockout_table_create(const struct lockout_limits *lim,
					   const struct lockout_policy *p);
/* Frees *t and sets it NULL (NULL: nothing). */
void lockout_table_destroy(struct lockout_table **t);
/* Replaces the policy (a settings change); counts and locks already there stay. */
void lockout_table_set_policy(struct lockout_table *t, const struct lockout_policy *p);

/* The block entry covering address ip at now (expired ones do not count), or NULL; also NULL
 * for text that is not an address. The pointer lives until the next change to the table. */
const struct lockout_block *lockout_table_blocked(const struct lockout_table *t, const char *ip,
						  uint64_t now_ms);

/* Whether host is on the never-block list (policy.never_block): it is never blocked
 * automatically (failed logins, suspicious behaviour); a manual block still applies. */
bool lockout_table_never_blocks(const struct lockout_table *t, const struct pb_cidr *host);
/* Whether what host does over protocol is not counted at all: loopback logging in to "web" or
 * "admin" unless policy.lock_loopback_admin (every other protocol counts from loopback too). */
bool lockout_table_exempt(const struct lockout_table *t, const struct pb_cidr *host,
			  const char *protocol);

/* Reports a login attempt by user from ip over protocol (any short name: "pop3", "smtp",
 * "imap", "web", "admin"...) and fills *v_r: whether to refuse it and what changed. A new
 * automatic block is *blocked_r (when v_r->blocked_now; the caller persists it).
 * Returns 0, or -1 with *error_r (static) if ip is not an address. */
int lockout_table_login(struct lockout_table *t, const char *ip, const char *user,
			const char *protocol, enum lockout_result result, uint64_t now_ms,
			struct lockout_verdict *v_r, const struct lockout_block **blocked_r,
			const char **error_r);

/* Adds (or replaces: same network) a block for net (an address or CIDR network, pb-cidr.h)
 * until until_ms (0: forever), and gives the entry in *entry_r. Returns 0, or -1 with
 * *error_r (allocated, caller frees) for a bad network or a list full of manual blocks. */
int lockout_table_block_add(struct lockout_table *t, const char *net, uint64_t created_ms,
			    uint64_t until_ms, bool automatic, const char *reason,
			    const char *protocol, const struct lockout_block **entry_r,
			    char **error_r);
/* Removes the block for net (written in any form pb-cidr accepts) and copies its canonical
 * name to text_r. Returns 1 removed, 0 no such entry, -1 not a network (*error_r allocated). */
int lockout_table_block_del(struct lockout_table *t, const char *net,
			    char text_r[PB_CIDR_TEXT_MAX], char **error_r);
/* The number of block entries, and the i-th (i below it; expired ones included until
 * lockout_table_expire removes them). */
size_t lockout_table_n_blocks(const struct lockout_table *t);
const struct lockout_block *lockout_table_block_at(const struct lockout_table *t, size_t i);
/* Removes the blocks expired at now, calling gone(ctx, entry) for each before it goes.
 * Returns how many went. */
size_t lockout_table_expire(struct lockout_table *t, uint64_t now_ms,
			    void (*gone)(void *ctx, const struct lockout_block *b), void *ctx);

/* The account locks in force at now, of user (NULL: everyone's; "bob" also matches logins
 * as "bob@domain"), up to max into out. Returns how many there are (may exceed max). */
size_t lockout_table_locks(const struct lockout_table *t, const char *user, uint64_t now_ms,
			   struct lockout_lock *out, size_t max);
/* Lifts user's locks (matched as above) for address ip (NULL: every address) and forgets
 * their counts. Returns how many locks were lifted (ip not an address: 0). */
size_t lockout_table_unlock(struct lockout_table *t, const char *user, const char *ip,
			    uint64_t now_ms);
/* An administrator's lock of user for every address until until_ms (0: until unlocked),
 * replacing that user's earlier one: each login as user (or user@domain) is refused, whatever
 * the password, counting nothing, until then or lockout_table_unlock with ip NULL. Listed by
 * lockout_table_locks with ip LOCKOUT_ANY_IP (and until_ms 0 for until unlocked). Takes a
 * pair slot like a lock after failures (evicted only when every slot is locked). Returns 0,
 * -1 for an empty user. */
int lockout_table_lock(struct lockout_table *t, const char *user, uint64_t until_ms,
		       uint64_t now_ms);

#endif
