/*
 * router-spam-breaker.c: the rspamd client's circuit breaker (see router-spam-breaker.h).
 * OWNS: nothing beyond the struct. THREAD: the owner's.
 */
#include "router-spam-breaker.h"

bool router_spam_breaker_allow(const struct router_spam_breaker *b, uint64_t now_ms)
{
	return !b->open || now_ms >= b->open_until_ms;
}

enum router_spam_breaker_change router_spam_breaker_result(struct router_spam_breaker *b,
							    bool ok, uint64_t now_ms,
							    uint32_t failures,
							    uint64_t cooldown_ms)
{
	if (ok) {
		bool was_open = b->open;
		b->failures = 0;
		b->open = false;
		return was_open ? ROUTER_SPAM_BREAKER_CLOSED : ROUTER_SPAM_BREAKER_SAME;
	}
	if (b->open) { /* the probe failed: another cool-down, no new log line */
		b->open_until_ms = now_ms + cooldown_ms;
		return ROUTER_SPAM_BREAKER_SAME;
	}
	if (++b->failures < (failures > 0 ? failures : 1))
		return ROUTER_SPAM_BREAKER_SAME;
	b->open = true;
	b->open_until_ms = now_ms + cooldown_ms;
	return ROUTER_SPAM_BREAKER_OPENED;
}
