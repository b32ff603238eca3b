/*
 * send-counter.h: how many messages each account sent lately, node-wide, for the sending
 * limits (send-policy.h: max_messages_per_hour, max_messages_per_day).
 *
 * Sliding windows in buckets: the hour is the current minute and the 59 before it (60 buckets
 * of one minute), the day the current hour and the 23 before it (24 buckets of one hour). A
 * message counts in a window until its bucket leaves it, so the window slides a minute (an
 * hour for the day) at a time: a limit of N per hour lets at most N messages through in any
 * 60 whole minutes.
 *
 * Bounded memory: at most `users` accounts are kept (about 350 octets each). A new one in a
 * full table replaces the account whose last message is oldest, which forgets that account's
 * counts (it may send up to its limits again); with the bound well above the number of
 * accounts sending in a day this does not happen.
 *
 * Times are whatever clock the caller passes in (now_ms, non-decreasing per account; an
 * earlier time counts in the current bucket). Pure: no clock, no I/O. OWNS: the table.
 * THREAD: its owner's.
 */
#ifndef SEND_COUNTER_H
#define SEND_COUNTER_H

#include <stdint.h>

enum send_counter_verdict {
	SEND_COUNTER_OK = 0,   /* one more message is within both limits */
	SEND_COUNTER_HOUR = 1, /* the hour's limit is reached */
	SEND_COUNTER_DAY = 2,  /* the day's limit is reached */
};

struct send_counter;

/* A new empty table for at most users accounts (at least 1). Never NULL. */
struct send_counter *send_counter_create(uint32_t users);
/* Frees *c and sets it NULL (NULL: nothing). */
void send_counter_destroy(struct send_counter **c);

/* Whether user may send one more message at now_ms under per_hour and per_day (0: no limit).
 * The hour's limit is named when both are reached. Changes nothing but expiry. */
enum send_counter_verdict send_counter_check(struct send_counter *c, uint64_t user,
					     uint32_t per_hour, uint32_t per_day, uint64_t now_ms);
/* Counts one message of user at now_ms. */
void send_counter_add(struct send_counter *c, uint64_t user, uint64_t now_ms);
/* The messages of user in the hour and the day windows at now_ms. */
uint32_t send_counter_hour(struct send_counter *c, uint64_t user, uint64_t now_ms);
uint32_t send_counter_day(struct send_counter *c, uint64_t user, uint64_t now_ms);

#endif
