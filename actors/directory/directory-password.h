/*
 * directory-password.h: password hashing with libcrypt (yescrypt) and constant-time checks.
 * Passwords are never logged; buffers holding them are wiped by the callers.
 * THREAD: any (crypt_rn with a per-call data area).
 */
#ifndef DIRECTORY_PASSWORD_H
#define DIRECTORY_PASSWORD_H

#include <stdbool.h>

/* Hashes password with a fresh random salt. Returns a newly allocated "$y$..." string, or
 * NULL with error_r if libcrypt fails (no entropy). */
char *directory_password_hash(const char *password, const char **error_r);
/* Checks password against hash in constant time for a given hash. hash NULL: still does the
 * same work against a fixed dummy hash and returns false, so an unknown user costs the same
 * time as a wrong password. */
bool directory_password_verify(const char *password, const char *hash);

#endif
