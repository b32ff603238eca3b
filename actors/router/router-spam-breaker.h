/*
 * router-spam-breaker.h: the circuit breaker of the rspamd client (router-spam.c, issue 13
 * R4). Each router shard scores synchronously, up to spam.timeout_ms per message; an rspamd
 * that accepts connections and never answers would hold every message that long. So, after
 * spam.breaker_failures consecutive failures (down, silent, unreadable reply) the breaker
 * OPENS: rspamd is not asked for spam.breaker_cooldown_s and messages are delivered unscored
 * at once. When the cool-down is over it is HALF-OPEN: one message probes rspamd; an answer
 * CLOSES it, a failure opens it again for another cool-down.
 *
 * Pure: the time is passed in (monotonic milliseconds), the limits too (the settings may
 * change between messages). The caller logs the transitions the calls return, once each.
 * One breaker per router shard (the shard's own state, DESIGN.md rule 1): with
 * ROUTER_SHARDS shards a dead rspamd costs at most ROUTER_SHARDS * failures timeouts per
 * cool-down, not one per message.
 * THREAD: the owner's. OWNS: nothing beyond the struct.
 */
#ifndef ROUTER_SPAM_BREAKER_H
#define ROUTER_SPAM_BREAKER_H

#include <stdbool.h>
#include <stdint.h>

struct router_spam_breaker {
	uint32_t failures;     /* consecutive, while closed */
	bool open;             /* not asking (until open_until_ms, then one probe) */
	uint64_t open_until_ms;
	char rspamd[256];      /* the spam.rspamd it counts for (router-spam.c starts afresh
				* when the setting names another) */
};

/* What a result did to the breaker, for the caller's one log line. */
enum router_spam_breaker_change {
	ROUTER_SPAM_BREAKER_SAME,
	ROUTER_SPAM_BREAKER_OPENED,  /* closed until now: the failures reached the limit (a
				      * failed probe keeps it open, SAME: no second line) */
	ROUTER_SPAM_BREAKER_CLOSED,  /* the probe was answered */
};

/* Whether rspamd may be asked now: closed, or open with the cool-down over (the probe). */
bool router_spam_breaker_allow(const struct router_spam_breaker *b, uint64_t now_ms);

/* Records one ask's outcome (ok: rspamd answered) at now_ms; failures: the limit
 * (spam.breaker_failures, 0 taken as 1), cooldown_ms: how long it stays open. Returns the
 * change. */
enum router_spam_breaker_change router_spam_breaker_result(struct router_spam_breaker *b,
							    bool ok, uint64_t now_ms,
							    uint32_t failures,
							    uint64_t cooldown_ms);

#endif
