/*
 * auth-client.h: typed calls to the auth shards ("auth.0" .. "auth.N-1", hosted with the
 * directory: see directory-actor.h), which check passwords (AUTH_USER_VERIFY_*), hash new
 * ones (AUTH_PASSWORD_HASH_*) so that the slow yescrypt work never runs on the directory, and
 * give a SCRAM exchange its credentials (AUTH_SCRAM_CREDS_*; sasl-server.h drives the exchange).
 *
 * Conventions (pb-client.h):
 *  - auth_client_X(struct pb_sync *t, IN..., uint32_t *code_r, OUT_r..., error_r): 0 the shard
 *    answered (*code_r; OUT_r the caller's, only on PB_OK; else *error_r its reason, kept in t),
 *    -1 no answer (*error_r).
 *  - auth_client_X_send(const struct pb_sender *s, IN..., error_r): 0 sent / -1 not.
 *  - auth_client_X_reply(struct pb_msg *rep, OUT_r..., error_r): the pb_status of the answer
 *    (its REP or CORE_STATUS_REP); OUT_r moved out of rep on PB_OK; *error_r points into rep.
 * key spreads requests over the shards (a connection id, so one client's tries stay in order).
 * Passwords are copied into the request and wiped there after sending; the caller wipes its own.
 * THREAD: the caller's.
 */
#ifndef AUTH_CLIENT_H
#define AUTH_CLIENT_H

#include "pb-client.h"

/* Checks user's password: PB_OK (*user_id_r, *user_r: the account's canonical name) or
 * PB_ERR_AUTH "authentication failed" (an unknown user takes as long as a wrong password).
 * web: a web login — the account's separate web password when it has one, else the main one;
 * !web: the main password only. */
int auth_client_user_verify(struct pb_sync *t, uint64_t key, const char *user,
			    const char *password, bool web, uint32_t *code_r, uint64_t *user_id_r,
			    char **user_r, const char **error_r);
int auth_client_user_verify_send(const struct pb_sender *s, uint64_t key, const char *user,
				 const char *password, bool web, const char **error_r);
uint32_t auth_client_user_verify_reply(struct pb_msg *rep, uint64_t *user_id_r, char **user_r,
				       const char **error_r);

/* Hashes each of passwords (n of them) with a fresh salt: on PB_OK creds_r holds n records,
 * creds_r->v[i] for passwords[i] (the caller's): .hash "$y$...", .scram the SCRAM-SHA-256
 * credentials (sasl-scram-creds.h) or "" when that password cannot have them;
 * PB_ERR_INTERNAL if libcrypt or OpenSSL failed. Slow on purpose (~19 ms each): the directory
 * sends it and goes on answering. */
int auth_client_password_hash(struct pb_sync *t, uint64_t key, const char *const *passwords,
			      uint32_t n, uint32_t *code_r, struct pb_rec_pw_cred_list *creds_r,
			      const char **error_r);
int auth_client_password_hash_send(const struct pb_sender *s, uint64_t key,
				   const char *const *passwords, uint32_t n, const char **error_r);
uint32_t auth_client_password_hash_reply(struct pb_msg *rep, struct pb_rec_pw_cred_list *creds_r,
					 const char **error_r);

/* The SCRAM credentials for user (a login: name or address), for sasl_server_scram_credentials:
 * PB_OK with *creds_r (the caller frees; a secret: wipe it), and *user_id_r and *user_r (the
 * canonical name, the caller's) — 0 and "" for an unknown user or an account without SCRAM
 * keys, whose credentials are fake but alike, so the exchange fails at the proof like a wrong
 * password. Use *user_id_r only once the proof verified; tell the client nothing of it.
 * PB_ERR_INTERNAL if the store failed. */
int auth_client_scram_creds(struct pb_sync *t, uint64_t key, const char *user, uint32_t *code_r,
			    uint64_t *user_id_r, char **user_r, char **creds_r,
			    const char **error_r);
int auth_client_scram_creds_send(const struct pb_sender *s, uint64_t key, const char *user,
				 const char **error_r);
uint32_t auth_client_scram_creds_reply(struct pb_msg *rep, uint64_t *user_id_r, char **user_r,
				       char **creds_r, const char **error_r);

#endif
