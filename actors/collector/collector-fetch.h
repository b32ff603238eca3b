/*
 * collector-fetch.h: asking for a message told too big (collector-notice.h), by the
 * administrator (`pillarbox collector fetch NAME UIDL`, the "fetch" op) or by a reply to the
 * notice (the "reply" op, which the router sends for a recipient
 * collector-fetch+TOKEN@<local domain>: collector-client.h). Both mark the UIDL requested with
 * collector_fetch_mark; the next run of the collector downloads it and delivers it as any
 * message.
 *
 * A fetch token is 128 random bits (RAND_bytes) in lowercase hex, made for one notice and
 * stored with what it stands for — the collector, the UIDL and the accounts the notice went
 * to (store-collector.h 'f'). Knowing a token is needed, not enough: the reply must come from
 * one of those accounts (the router checks the sender is local and authenticated or on a
 * relay network, and passes its account). No server secret is kept: the token is looked up,
 * never derived.
 * OWNS: nothing. THREAD: any (the store is thread-safe).
 */
#ifndef COLLECTOR_FETCH_H
#define COLLECTOR_FETCH_H

#include "pb-msg.h"
#include "store-collector.h"

#include <stddef.h>
#include <stdint.h>

/* Marks uidl of collector name requested: PB_OK; NOTFOUND (no message told too big waits with
 * that UIDL), REFUSED (not a UIDL), TEMP (the store failed) with *error_r (static). */
uint32_t collector_fetch_mark(struct pb_store *store, const char *name, const char *uidl,
			      const char **error_r);

/* A new random token into token_r (size PB_COLLECTOR_TOKEN_LEN + 1). */
void collector_fetch_token_new(char *token_r);
/* Stores token's record: collector name, uidl, the n user ids told. 0 / -1 with *error_r. */
int collector_fetch_token_put(struct pb_store *store, const char *token, const char *name,
			      const char *uidl, const uint64_t *ids, size_t n,
			      const char **error_r);

/* A reply from user_id (0: none) to the notice of token: PB_OK (marked requested; the
 * collector's name in name_r, size PB_COLLECTOR_NAME_MAX + 1), NOTFOUND (no such token, or
 * its message no longer waits), REFUSED (the notice did not go to user_id), TEMP / INTERNAL,
 * with *error_r (static) for all but PB_OK. */
uint32_t collector_fetch_by_token(struct pb_store *store, const char *token, uint64_t user_id,
				  char *name_r, const char **error_r);

#endif
