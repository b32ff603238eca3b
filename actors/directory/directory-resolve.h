/*
 * directory-resolve.h: the one place a login name or an address is mapped to its account.
 * An account is a name, and it has an address at every local domain: "bob", "BOB" and
 * "bob@Example.COM" (example.com local) all name bob; "bob@other.org" (not local) names
 * nobody. Every login goes through it (the auth shards' AUTH_USER_VERIFY_REQ: POP3 today,
 * IMAP, SMTP AUTH and webmail through the same request), and so do the directory's RCPT
 * check and the administration requests that name a user (show, del, passwd, rename...).
 * Aliases, lists and forwarding are the router's (a later issue), not this.
 * OWNS nothing. THREAD: any (it only reads the store).
 */
#ifndef DIRECTORY_RESOLVE_H
#define DIRECTORY_RESOLVE_H

#include "store-accounts.h"

/* The account local@domain reaches (domain NULL: the bare name local). Names and domains are
 * compared in any case. Returns 1 found (*u_r filled; the caller frees it with
 * pb_user_rec_free), 0 none (*code_r says why: PB_ERR_REFUSED "not a local domain", or
 * PB_ERR_NOTFOUND "no such user" — *error_r is that static text), -1 the store failed
 * (*error_r). */
int directory_resolve_address(struct pb_store *s, const char *local, const char *domain,
			      struct pb_user_rec *u_r, uint32_t *code_r, const char **error_r);

/* The account a login names: "name", or "name@domain" split at its last '@' (NULL: ""). Same
 * returns as directory_resolve_address. A caller facing a client (a login) must answer both
 * misses alike, so the client cannot learn which part was wrong. */
int directory_resolve_login(struct pb_store *s, const char *login, struct pb_user_rec *u_r,
			    uint32_t *code_r, const char **error_r);

#endif
