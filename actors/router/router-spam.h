/*
 * router-spam.h: spam scoring of a spool entry through rspamd (issue 13 item 8), for the router
 * pool: the router asks once per entry before resolving it, and the verdict goes into the
 * facts (router_facts.has_spam_score, spam_score, spam_quarantine) and the plan
 * (router_spam_apply: the trace line, local INBOX deliveries to Junk at the threshold).
 *
 * How the message reaches rspamd: read from the bodies store through the reader shards in
 * pieces of ROUTER_SPAM_PIECE octets (synchronous reader calls) and written to rspamd's socket
 * piece by piece behind an HTTP head with the exact Content-Length (the body's size from the
 * first read): at most one piece of the message is in memory, never the whole of it. A body
 * over spam.max_size_kb is not sent at all.
 *
 * Budget: one deadline of spam.timeout_ms covers the connect, the send and the reply (the
 * router shard waits for at most that; non-blocking socket and poll). rspamd down, slow,
 * answering garbage, or the body unreadable: not scored, one log line, and the message is
 * delivered as if spam scoring were off: never held, never lost. Consecutive failures open
 * the shard's circuit breaker (router-spam-breaker.h), so a silent rspamd costs a few
 * timeouts per cool-down, not one per message.
 *
 * OWNS: nothing between calls. THREAD: the router shard's (a caller of the reader).
 */
#ifndef ROUTER_SPAM_H
#define ROUTER_SPAM_H

#include "pb-runtime.h"
#include "router-spam-breaker.h"
#include "router-spam-proto.h"

#define ROUTER_SPAM_PIECE (64u * 1024u)

struct router_spam_verdict {
	bool asked;                     /* spam.enabled: the trace says what happened */
	bool scored;                    /* result holds rspamd's answer */
	struct router_spam_result result;
	uint32_t threshold;             /* spam.quarantine_score (0: rspamd's required_score) */
	char why[160];                  /* not scored: why, in words */
};

/* Scores the spool entry q (its body by q->blob_key) when spam.enabled is 1, per the settings
 * in effect; fills *v_r (never fails: what went wrong is in v_r->why and logged once).
 * b: the calling shard's circuit breaker (router-spam-breaker.h): while it is open rspamd is
 * not asked (v_r->why says so, no log line per message); its opening and closing are logged
 * once each (event=spam_breaker_open, event=spam_breaker_closed). */
void router_spam_score(struct pb_actor *a, const struct msg_router_resolve_req *q,
		       struct router_spam_breaker *b, struct router_spam_verdict *v_r);

#endif
