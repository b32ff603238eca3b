/*
 * store-accounts.h: user accounts, the monotonic counters (user ids) and local domains (library
 * pb_store_accounts). Owner: the directory (and the auth shards, which read accounts).
 * Conventions (threads, durability, errors): store-db.h.
 * THREAD: any; pb_store_counter_next has a single writer per counter name (it is also locked
 * inside, so breaking this costs only speed).
 */
#ifndef PB_STORE_ACCOUNTS_H
#define PB_STORE_ACCOUNTS_H

#include "store-db.h"

/* ---- Users ----------------------------------------------------------------------------- */

#define PB_USER_NAME_MAX 32

/* A user account. The store keys it by name, lowercased (ASCII) by the store; the name must be
 * 1..PB_USER_NAME_MAX bytes (the directory checks the character rules). id is unique and never
 * reused (take it from pb_store_counter_next(s, "user-id", ...)). pw_hash, settings_json and
 * scram may be NULL; all are owned by the record (free with pb_user_rec_free). scram is the
 * account's SCRAM-SHA-256 credentials (sasl-scram-creds.h), set with the password; records
 * written before it existed (v1) load with scram NULL, and that account has no SCRAM until its
 * password is set again. web_pw_hash (NULL: none, the account uses pw_hash on the web too) is
 * the separate web password's yescrypt hash (admin guide 4.4 "Have different 'Main Password'
 * and 'Web Password'"); webmail_main_denied: with a web password, webmail may not change the
 * main one (the guide's "User can change Main Password through WebMail" unchecked; false by
 * default). Both come with v3 records; older ones load with NULL / false. */
struct pb_user_rec {
	uint64_t id;
	char name[PB_USER_NAME_MAX + 1];
	char *pw_hash;
	uint64_t created_ms;
	char *settings_json;
	char *scram;
	char *web_pw_hash;
	bool webmail_main_denied;
};

/* Frees the owned strings and sets them to NULL (the struct itself is the caller's). */
void pb_user_rec_free(struct pb_user_rec *u);

/* Looks a user up by name (any case). Returns 1 and fills *u_r (caller frees with
 * pb_user_rec_free), 0 if there is none, -1 on error. */
int pb_store_user_get(struct pb_store *s, const char *name, struct pb_user_rec *u_r,
		      const char **error_r);
/* Same, by id (a secondary index kept in the same batches as the record). */
int pb_store_user_get_by_id(struct pb_store *s, uint64_t id, struct pb_user_rec *u_r,
			    const char **error_r);
/* Creates or replaces the record of u->name (and its id index) in one synced batch. Fails if
 * u->id already belongs to another name, or the name is empty or too long. Returns 0 / -1. */
int pb_store_user_put(struct pb_store *s, const struct pb_user_rec *u, const char **error_r);
/* The same, for a new account, with its welcome message due (welcome_address non-NULL: the
 * address it goes to): a generated-message marker (store-db.h pb_gen_mark, kind
 * PB_GEN_WELCOME) written in the same synced batch, which the spool takes with the welcome's
 * entry (store-spool.h pb_store_gen_made), so a crash loses neither. */
int pb_store_user_put_welcome(struct pb_store *s, const struct pb_user_rec *u,
			      const char *welcome_address, const char **error_r);
/* Renames in one atomic synced batch (the record moves key, its id index follows, the id and
 * so the folders and messages stay). Fails if old_name does not exist or new_name does (a
 * case-only change of the same user is allowed). Returns 0 / -1. */
int pb_store_user_rename(struct pb_store *s, const char *old_name, const char *new_name,
			 const char **error_r);
/* Deletes the account record and its id index only (see pb_store_user_purge for the mail),
 * and its generated-message markers (a welcome or quota notice not made yet is never made).
 * Returns 1 deleted, 0 absent, -1 error. */
int pb_store_user_delete(struct pb_store *s, const char *name, const char **error_r);
/* Calls cb for every user, sorted by name; the record is only valid during the call. cb
 * returns nonzero to stop (then this returns 0). Returns 0 / -1. */
int pb_store_user_iter(struct pb_store *s, int (*cb)(const struct pb_user_rec *u, void *ctx),
		       void *ctx, const char **error_r);

/* A persistent monotonic counter by name (e.g. "user-id"): the first value is 1. Synced.
 * Returns 0 with *value_r, or -1. Name: 1..128 bytes. */
int pb_store_counter_next(struct pb_store *s, const char *name, uint64_t *value_r,
			  const char **error_r);

/* ---- Local domains (stored lowercased; 1..253 bytes) ------------------------------------- */

/* Adds a domain (idempotent). Returns 0 / -1. */
int pb_store_domain_put(struct pb_store *s, const char *domain, const char **error_r);
/* Returns 1 deleted, 0 absent, -1 error. */
int pb_store_domain_delete(struct pb_store *s, const char *domain, const char **error_r);
/* Returns 1 present, 0 absent, -1 error (any case). */
int pb_store_domain_exists(struct pb_store *s, const char *domain, const char **error_r);
/* Calls cb for every domain in sorted order; cb returns nonzero to stop. Returns 0 / -1. */
int pb_store_domain_iter(struct pb_store *s, int (*cb)(const char *domain, void *ctx),
			 void *ctx, const char **error_r);

#endif
