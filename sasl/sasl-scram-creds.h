/*
 * sasl-scram-creds.h: SCRAM-SHA-256 credentials (RFC 5802 §3, RFC 7677) — what the account
 * record keeps beside the yescrypt hash so a SCRAM exchange never needs the password: salt,
 * iteration count, StoredKey = H(HMAC(SaltedPassword, "Client Key")) and ServerKey =
 * HMAC(SaltedPassword, "Server Key"). Stored and carried as text:
 *   "SCRAM-SHA-256$<iterations>:<base64 salt>$<base64 StoredKey>:<base64 ServerKey>"
 * (the format PostgreSQL uses). Part of pb_sasl; OpenSSL does the cryptography.
 *
 * SASLprep (RFC 4013): the client hashes SASLprep(password). For a password of printable
 * ASCII (0x20..0x7e) SASLprep changes nothing, so the keys are derived from it as is; any other
 * password (non-ASCII, control characters) is refused here rather than mis-derived (no
 * stringprep library is linked), and that account simply has no SCRAM credentials: SCRAM then
 * fails for it like a wrong password, while PLAIN and LOGIN work.
 * OWNS nothing. THREAD: any.
 */
#ifndef SASL_SCRAM_CREDS_H
#define SASL_SCRAM_CREDS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SASL_SCRAM_KEY_LEN 32       /* SHA-256 */
#define SASL_SCRAM_SALT_LEN 16      /* the salt we make */
#define SASL_SCRAM_SALT_MAX 64      /* the longest salt we read */
#define SASL_SCRAM_ITER_MIN 4096    /* RFC 7677 §4 */
#define SASL_SCRAM_ITER_MAX 1000000
/* RFC 7677's minimum and the common default (Dovecot, PostgreSQL): PBKDF2-SHA-256 with 4096
 * rounds already costs about as much as the yescrypt hash made beside it (~5-15 ms), and the
 * client pays it on every login. */
#define SASL_SCRAM_ITER_DEFAULT 4096

struct sasl_scram_creds {
	uint32_t iterations;
	size_t salt_len;
	unsigned char salt[SASL_SCRAM_SALT_MAX];
	unsigned char stored_key[SASL_SCRAM_KEY_LEN];
	unsigned char server_key[SASL_SCRAM_KEY_LEN];
};

/* True if SCRAM credentials can be derived from password (printable ASCII, 1..1024 bytes). */
bool sasl_scram_password_ok(const char *password);
/* Derives the credentials of password with salt and iterations (ITER_MIN..ITER_MAX). Returns
 * 0, or -1 with *error_r (a password SASLprep would change, bad parameters, OpenSSL failed). */
int sasl_scram_creds_derive(const char *password, const unsigned char *salt, size_t salt_len,
			    uint32_t iterations, struct sasl_scram_creds *creds_r,
			    const char **error_r);
/* The credentials of a new password: a fresh random salt (RAND_bytes), ITER_DEFAULT. Returns a
 * newly allocated text (the format above), or NULL with *error_r (see derive; no randomness). */
char *sasl_scram_creds_new(const char *password, const char **error_r);
/* Fake credentials for a name that has none (an unknown user, or an account without SCRAM
 * keys): salt and keys are HMAC-SHA-256 of the name (ASCII-lowercased) under secret, with
 * ITER_DEFAULT, so the same name always gets the same salt and nobody can tell it from a real
 * account's. Returns a newly allocated text. */
char *sasl_scram_creds_fake(const unsigned char *secret, size_t secret_len, const char *name);

/* The text of creds (newly allocated). */
char *sasl_scram_creds_format(const struct sasl_scram_creds *creds);
/* Reads the text form. Returns 0, or -1 with *error_r (malformed, out of range). */
int sasl_scram_creds_parse(const char *text, struct sasl_scram_creds *creds_r,
			   const char **error_r);

#endif
