/*
 * collector-secret.h: remote account passwords encrypted at rest (AES-256-GCM, OpenSSL EVP)
 * with a key kept in a file of the data directory (32 random bytes, mode 0600, made once at
 * first use), so a copy of the store alone does not give the passwords away. The stored form
 * is "enc:" + hex(12-byte IV | ciphertext | 16-byte tag). Until the lead unifies it with a
 * project-wide secrets module (the outbound queue's smart-host passwords want the same).
 * OWNS: nothing (the key is read per call and wiped). THREAD: any.
 */
#ifndef COLLECTOR_SECRET_H
#define COLLECTOR_SECRET_H

#include <stdbool.h>

/* The key file's name in the data directory. */
#define COLLECTOR_SECRET_FILE "collector-secret.key"

/* Whether text is the encrypted form. */
bool collector_secret_is_sealed(const char *text);
/* Encrypts plain with the key of key_path (made when missing): *sealed_r (xmalloc'd). 0 / -1
 * with error_r (static text). */
int collector_secret_seal(const char *key_path, const char *plain, char **sealed_r,
			  const char **error_r);
/* Decrypts: *plain_r (xmalloc'd; wipe and free it after use). 0 / -1 (wrong key, tampered). */
int collector_secret_open(const char *key_path, const char *sealed, char **plain_r,
			  const char **error_r);

#endif
