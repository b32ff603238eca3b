/*
 * lockout-actor.h: the lockout guard, one per node (DESIGN.md): failed-login counters,
 * account locks per address, IP blocks, the block list (lockout-table.h has the policy) and
 * each user's recent login events (lockout-history.h), and intrusion protection: a suspicion
 * score per address from what gateways report (intrusion-table.h), which past its threshold
 * adds an automatic block to the same list.
 * Durable: the block list (manual and automatic blocks, library pb_store_lockout), loaded at
 * init, so IP blocks survive a restart; account locks and counts live in memory only and a
 * restart clears them (the reference's behaviour). The never-block list is the setting
 * security.never_block (owned by sys, read from the snapshot).
 * Settings (the snapshot, read per message): security.lock_after_failures, lock_minutes,
 * ip_block_failures, ip_block_period_minutes, ip_block_minutes, never_block,
 * lock_loopback_admin, intrusion_threshold, intrusion_period_minutes, intrusion_block_minutes
 * and the intrusion_* weights.
 * Every lock, block, unblock and refused login goes to the security log with the address and
 * protocol (never a password).
 * Clocks: the table runs on the runtime's clock (injectable); stored and reported times are
 * wall-clock ms, converted at the edges.
 * OWNS: struct lockout (the table, the history, the intrusion scores). THREAD: its actor thread.
 * MESSAGES handled: LOCKOUT_CHECK_IP_REQ, LOCKOUT_LOGIN_REQ, LOCKOUT_LIST_REQ,
 * LOCKOUT_UNLOCK_REQ, LOCKOUT_LOCK_REQ, LOCKOUT_BLOCK_ADD_REQ, LOCKOUT_BLOCK_DEL_REQ, LOCKOUT_USER_REQ,
 * LOCKOUT_INTRUSION_REQ; a
 * timer each minute removes expired blocks (from the store too). Sends nothing.
 */
#ifndef LOCKOUT_ACTOR_H
#define LOCKOUT_ACTOR_H

#include "pb-runtime.h"

struct pb_store;

extern const struct pb_actor_def lockout_actor_def; /* arg: the store (borrowed) */

#endif
