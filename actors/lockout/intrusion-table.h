/*
 * intrusion-table.h: the lockout guard's intrusion protection (the reference's "suspicious
 * behaviour", issue 10 item 5), pure logic: a suspicion score per IP address.
 *
 * A gateway reports what a client did (an intrusion_event: talking before the greeting,
 * pipelining without PIPELINING, an unknown recipient, a failed AUTH, a bare LF in the
 * content, a bad command past a few); each event adds its weight (policy.weight, 0: ignored)
 * to the address's score. Past policy.threshold the address is blocked through the guard's
 * own block list (lockout_table_block_add: automatic, protocol as reported, for block_ms,
 * reason naming the events, "intrusion: early_talk x1 unknown_rcpt x10"), so the block is
 * listed, persisted, expired and lifted as every other block, and the next connection hears
 * LOCKOUT_BLOCKED_TEXT before any command.
 *
 * Why a decaying score and not a window of events: the score leaks threshold points per
 * period_ms (linearly, computed when the address is next seen), so a client must misbehave
 * at a sustained rate of about threshold points per period to be blocked. That needs one
 * number and one time per address (a window needs every event's time, and events have
 * different weights), and it has no cliff where old events all fall out at once. The counts
 * of each event behind the score (for the reason) start again when it has leaked to zero.
 *
 * The never-block list and the loopback rule are the lockout table's (lockout_table_exempt,
 * lockout_table_never_blocks): an address on the never-block list, or an exempt one, is not
 * even scored. An address already blocked is answered blocked and not scored.
 *
 * Bounded memory: at most max_ips addresses are scored; a full table reuses the least
 * recently seen one (an attacker with more addresses than that can push out the scores of
 * others; each of its own addresses is scored alone anyway).
 * Times are whatever clock the caller passes in (now_ms). Pure code: no clock, no I/O, no
 * nng, no store. OWNS: the table. THREAD: its owner's (the lockout actor).
 */
#ifndef INTRUSION_TABLE_H
#define INTRUSION_TABLE_H

#include "lockout-table.h"

#include <stdbool.h>
#include <stdint.h>

/* What a client did (the values of lockout-client.h's LOCKOUT_INTRUSION_*). */
enum intrusion_event {
	INTRUSION_EARLY_TALK = 0,   /* sent a command before the greeting */
	INTRUSION_PIPELINING = 1,   /* sent commands before a reply without PIPELINING */
	INTRUSION_UNKNOWN_RCPT = 2, /* a recipient refused as unknown (550 5.1.1) */
	INTRUSION_AUTH_FAILURE = 3, /* a failed AUTH (the lockout table counts it as a login) */
	INTRUSION_BARE_LF = 4,      /* a message whose content held a bare LF or CR */
	INTRUSION_BAD_COMMAND = 5,  /* an invalid or refused command past a few per session */
	INTRUSION_N_EVENTS
};
/* The most events one report may carry (a larger count is cut to it). */
#define INTRUSION_COUNT_MAX 1000

struct intrusion_policy {
	uint32_t threshold; /* score that blocks (0: intrusion protection off) */
	uint64_t period_ms; /* the score leaks threshold points per period (at least 1) */
	uint64_t block_ms;  /* how long the block lasts */
	uint32_t weight[INTRUSION_N_EVENTS]; /* points per event (0: the event is ignored) */
	bool score_loopback; /* also score loopback clients (127.0.0.0/8, ::1): off by default */
};

struct intrusion_table;

/* The event's short name, as in reasons and logs ("early_talk", "pipelining",
 * "unknown_rcpt", "auth_failure", "bare_lf", "bad_command"); NULL for another value. */
const char *intrusion_event_name(unsigned event);

/* A new empty table scoring at most max_ips addresses (at least 1), with policy p (copied).
 * Never NULL. */
struct intrusion_table *intrusion_table_create(uint32_t max_ips, const struct intrusion_policy *p);
/* Frees *t and sets it NULL (NULL: nothing). */
void intrusion_table_destroy(struct intrusion_table **t);
/* Replaces the policy (a settings change); scores already there stay. */
void intrusion_table_set_policy(struct intrusion_table *t, const struct intrusion_policy *p);

/* Reports count (at most INTRUSION_COUNT_MAX) events from ip over protocol ("smtp") at now,
 * and fills *v_r (only blocked, blocked_now and until_ms are used): blocked when the address
 * is blocked in guard (now or before). When this report blocked it (v_r->blocked_now), the
 * new entry of guard's block list is *blocked_r (the caller persists and logs it), else
 * *blocked_r is NULL. Returns 0, or -1 with *error_r (static) if ip is not an address or
 * event is not an intrusion_event. */
int intrusion_table_report(struct intrusion_table *t, struct lockout_table *guard, const char *ip,
			   const char *protocol, unsigned event, uint32_t count, uint64_t now_ms,
			   struct lockout_verdict *v_r, const struct lockout_block **blocked_r,
			   const char **error_r);

/* The score of ip at now (after its leak), 0 for an address not scored. */
uint32_t intrusion_table_score(const struct intrusion_table *t, const char *ip, uint64_t now_ms);

#endif
