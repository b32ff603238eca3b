/*
 * web-reset.h: the one-time links of webmail's self-service recovery — "forgotten password"
 * and "unlock my account" (issue 15 items 4 and 5; web-self.c mails them) — and the rate
 * limits on asking for one.
 *
 * A token is 32 random octets (64 hex digits), given once (in the mail) and kept only as its
 * SHA-256: the table never holds a usable token. Each has a kind, an account and an expiry
 * (web.reset_token_s); taking it (web_reset_take) removes it, so it works once. Asking for a
 * link is counted per key (the name asked for, and the client's address) in a window of an
 * hour; past the limit the ask is refused. Both tables are bounded (WEB_RESET_MAX): a full
 * token table drops the entry nearest its expiry, a full counter table the oldest window.
 *
 * Kept in memory, in the web hub (a restart forgets the tokens: the links die with it).
 * OWNS: the tables. THREAD: the web hub's (one thread: no lock).
 */
#ifndef WEB_RESET_H
#define WEB_RESET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define WEB_RESET_MAX 1024
#define WEB_RESET_TOKEN_HEX 64
#define WEB_RESET_WINDOW_MS 3600000u

enum web_reset_kind {
	WEB_RESET_PASSWORD, /* the link sets a new password */
	WEB_RESET_UNLOCK,   /* the link lifts the account's locks */
};

struct web_reset;

struct web_reset *web_reset_new(void);
void web_reset_free(struct web_reset **r);

/* Counts one ask under key (copied; compared in any case) at now_ms: true when it is within
 * limit asks in the current window, false (not counted) past it. */
bool web_reset_allow(struct web_reset *r, const char *key, uint32_t limit, uint64_t now_ms);

/* A new token of kind for user (copied), valid until now_ms + ttl_ms: its text into token_r.
 * 0, or -1 when no random token could be made. */
int web_reset_add(struct web_reset *r, enum web_reset_kind kind, const char *user,
		  uint64_t now_ms, uint64_t ttl_ms, char token_r[WEB_RESET_TOKEN_HEX + 1]);

/* Finds the token of kind whose text is token: its account (allocated, the caller frees it);
 * with take the token is gone (so it works once), without it stays (to take once what it
 * allows is done). NULL when there is none, it expired (then it is gone) or token is not a
 * token's form. */
char *web_reset_find(struct web_reset *r, enum web_reset_kind kind, const char *token,
		     uint64_t now_ms, bool take);

/* How many tokens are held (expired ones included until they are next looked at). */
size_t web_reset_count(const struct web_reset *r);

#endif
