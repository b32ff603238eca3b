/*
 * sasl-server.h: the server side of one SASL exchange (library pb_sasl) — PLAIN (RFC 4616),
 * LOGIN (draft-murchison-sasl-login) and SCRAM-SHA-256 (RFC 5802, RFC 7677), shared by SMTP AUTH
 * (RFC 4954), POP3 AUTH (RFC 5034) and IMAP AUTHENTICATE. Pure: no I/O, no clock; randomness
 * (the SCRAM server nonce) comes from OpenSSL's RAND_bytes behind one function, or is fixed by a
 * test. Responses and challenges are the base64 text the protocols carry: "=" is an empty
 * initial response, "*" cancels.
 *
 * Why not GNU SASL: Debian 12 has libgsasl 2.2 with server-side SCRAM-SHA-256 over stored keys,
 * but it asks for credentials through a callback that must answer at once, inside gsasl_step;
 * here the credentials live on the auth shards, one message away, and a gateway must never
 * block on them. Its server nonce cannot be fixed (no RFC 7677 vector test), and it has no
 * notion of fake credentials for an unknown user. The mechanisms are small; the cryptography
 * is OpenSSL's (PKCS5_PBKDF2_HMAC, HMAC, EVP_Digest, CRYPTO_memcmp, RAND_bytes): nothing here is
 * hand-written crypto.
 *
 * How a gateway drives it (see the end of this header for each mechanism's sequence):
 *   s = sasl_server_create(mech); r = sasl_server_start(s, initial or NULL, &out, &err);
 *   loop on r:
 *     SASL_CHALLENGE        send out as a challenge ("334 out", "+ out"), read one line, then
 *                           r = sasl_server_step(s, line, &out, &err)
 *     SASL_VERIFY_PASSWORD  auth_client_user_verify_send(authcid, password) to the auth shard;
 *                           on its answer r = sasl_server_password_checked(s, ok, &out, &err)
 *     SASL_NEED_CREDENTIALS auth_client_scram_creds_send(authcid) to the auth shard; on its
 *                           answer r = sasl_server_scram_credentials(s, creds, &out, &err)
 *     SASL_SUCCESS          authenticated (take the account's id and canonical name from the
 *                           auth shard's answer); SASL_FAILED / SASL_REFUSED / SASL_TEMPFAIL end.
 *   sasl_server_destroy(&s) (wipes every secret).
 * OWNS: each struct sasl_server and its buffers. THREAD: one exchange, one thread at a time.
 */
#ifndef SASL_SERVER_H
#define SASL_SERVER_H

#include <stdbool.h>
#include <stddef.h>

/* Limits (bytes): authzid, authcid and password each; a decoded SCRAM message; a response
 * line as base64 (anything longer is refused before decoding). */
#define SASL_FIELD_MAX 1024
#define SASL_SCRAM_MSG_MAX 4096
#define SASL_RESPONSE_MAX 8192

enum sasl_mech {
	SASL_MECH_PLAIN,
	SASL_MECH_LOGIN,
	SASL_MECH_SCRAM_SHA_256,
};

enum sasl_result {
	SASL_CHALLENGE,        /* send *out_r (base64, may be "") and step with the reply */
	SASL_VERIFY_PASSWORD,  /* check sasl_server_password() of sasl_server_authcid() */
	SASL_NEED_CREDENTIALS, /* fetch the SCRAM credentials of sasl_server_authcid() */
	SASL_SUCCESS,          /* authenticated as sasl_server_authcid() */
	SASL_FAILED,           /* wrong credentials — an unknown user too (535, -ERR, NO) */
	SASL_REFUSED,          /* malformed, cancelled ("*") or not allowed (501, -ERR, BAD) */
	SASL_TEMPFAIL,         /* the server could not go on (no random bytes) (454, -ERR, NO) */
};

struct sasl_server;

/* Finds a mechanism by its name (any case: "PLAIN", "LOGIN", "SCRAM-SHA-256"). Returns 0 with
 * *mech_r, -1 if it is none of ours. */
int sasl_mech_lookup(const char *name, enum sasl_mech *mech_r);
/* The mechanism's name as advertised (static). */
const char *sasl_mech_name(enum sasl_mech mech);
/* True for mechanisms that send the password itself (PLAIN, LOGIN): offer them only under TLS
 * unless a setting allows them. */
bool sasl_mech_is_plaintext(enum sasl_mech mech);

/* A new exchange for mech (never NULL; free with sasl_server_destroy). */
struct sasl_server *sasl_server_create(enum sasl_mech mech);
/* Wipes the secrets, frees, sets *s to NULL (NULL-safe). */
void sasl_server_destroy(struct sasl_server **s);
/* Tests only: the SCRAM server nonce part instead of 32 random base64 characters (printable
 * ASCII without ','; copied). */
void sasl_server_set_nonce(struct sasl_server *s, const char *nonce);

/* Starts the exchange. initial: the initial response as the command carried it (base64, "="
 * for an empty one, "*" to cancel), or NULL if there was none. Returns the next step;
 * *out_r (CHALLENGE) is base64 owned by s until the next call; *error_r (FAILED, REFUSED,
 * TEMPFAIL) a static reason for the log, never a secret, never told to the client. */
enum sasl_result sasl_server_start(struct sasl_server *s, const char *initial,
				   const char **out_r, const char **error_r);
/* Takes the client's response line (base64, "" or "=" empty, "*" cancels; no CRLF). Returns
 * and fills as sasl_server_start. After an end (SUCCESS, FAILED, REFUSED, TEMPFAIL), or while a
 * verification is awaited, every call is REFUSED. */
enum sasl_result sasl_server_step(struct sasl_server *s, const char *response,
				  const char **out_r, const char **error_r);

/* The identity to verify (VERIFY_PASSWORD, NEED_CREDENTIALS) or that succeeded (SUCCESS):
 * the authcid / SCRAM user name, UTF-8, 1..SASL_FIELD_MAX bytes, owned by s; "" before. */
const char *sasl_server_authcid(const struct sasl_server *s);
/* The password to verify (VERIFY_PASSWORD only, else ""); owned by s, wiped by the next call. */
const char *sasl_server_password(const struct sasl_server *s);

/* The auth shard's answer to VERIFY_PASSWORD: ok or not. Returns SUCCESS or FAILED (REFUSED if
 * no verification was awaited). */
enum sasl_result sasl_server_password_checked(struct sasl_server *s, bool ok,
					      const char **out_r, const char **error_r);
/* The auth shard's answer to NEED_CREDENTIALS: the credentials text (sasl-scram-creds.h; real
 * or fake, the same to this code). Returns CHALLENGE with the server-first message, or
 * TEMPFAIL (unreadable credentials, no random bytes), REFUSED (none awaited). */
enum sasl_result sasl_server_scram_credentials(struct sasl_server *s, const char *creds,
					       const char **out_r, const char **error_r);

/*
 * The sequences a gateway sees (C: client line, S: server line; SMTP wording):
 *  AUTH PLAIN <b64>    start(initial) -> VERIFY_PASSWORD -> [auth round trip] ->
 *                      password_checked -> SUCCESS (235) / FAILED (535).
 *  AUTH PLAIN          start(NULL) -> CHALLENGE "" ("334 ") -> step(line) -> VERIFY_PASSWORD ...
 *  AUTH LOGIN          start(NULL) -> CHALLENGE "VXNlcm5hbWU6" -> step(user) -> CHALLENGE
 *                      "UGFzc3dvcmQ6" -> step(password) -> VERIFY_PASSWORD -> ... as PLAIN.
 *                      (AUTH LOGIN <b64 user> starts at the Password: challenge.)
 *  AUTH SCRAM-SHA-256 [<b64 client-first>]  start -> (CHALLENGE "" -> step(client-first) ->)
 *                      NEED_CREDENTIALS -> [auth round trip] -> scram_credentials -> CHALLENGE
 *                      server-first -> step(client-final) -> CHALLENGE server-final ("v=...":
 *                      the proof is verified here) -> step("") -> SUCCESS; a wrong proof is
 *                      FAILED at client-final, for a wrong password and an unknown user alike.
 */

#endif
