/*
 * pb-secret.h: secrets at rest (library pb_secret) — short strings (a remote account's
 * password) sealed with AES-256-GCM under a key kept in the data directory (secret.key, 32
 * random bytes, mode 0600, made on first use), so the store alone does not give them away.
 * Sealed text: "enc1:" + base64(12-byte nonce | ciphertext | 16-byte tag).
 * OWNS: nothing (the key is the caller's). THREAD: any.
 */
#ifndef PB_SECRET_H
#define PB_SECRET_H

#include <stdbool.h>
#include <stdint.h>

#define PB_SECRET_KEY_LEN 32
#define PB_SECRET_PREFIX "enc1:"

/* Reads DIR/secret.key, making it first if missing. Returns 0 with key_r, or -1 with error_r
 * (thread-local text). */
int pb_secret_key_load(const char *dir, uint8_t key_r[PB_SECRET_KEY_LEN], const char **error_r);
/* plain sealed under key (xmalloc'd, caller frees); "" stays "" (nothing to hide). */
char *pb_secret_seal(const uint8_t key[PB_SECRET_KEY_LEN], const char *plain);
/* Opens sealed (a text without the prefix is taken as plain: written before sealing): 0 with
 * *plain_r (xmalloc'd; wipe and free), -1 (another key, tampered, malformed). */
int pb_secret_open(const uint8_t key[PB_SECRET_KEY_LEN], const char *sealed, char **plain_r);
/* Whether text is sealed. */
bool pb_secret_is_sealed(const char *text);

#endif
