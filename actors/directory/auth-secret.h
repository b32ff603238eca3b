/*
 * auth-secret.h: the server secret the auth shards make fake SCRAM credentials with (an unknown
 * user must get the same salt every time, from every shard, across restarts: RFC 5802 §9). 32
 * random bytes made at first use and kept in the store's settings column under "auth-secret"
 * (a hex JSON string; not a settings document: sys never publishes it).
 * OWNS: the process's copy, loaded once per store (tests open several). THREAD: any (a mutex
 * guards the load).
 */
#ifndef AUTH_SECRET_H
#define AUTH_SECRET_H

#include <stdint.h>

struct pb_store;

#define AUTH_SECRET_LEN 32

/* Fills secret_r with the secret, reading or making it on the first call. Returns 0, or -1
 * with *error_r (the store failed, no random bytes); the next call tries again. */
int auth_secret_get(struct pb_store *store, uint8_t secret_r[AUTH_SECRET_LEN],
		    const char **error_r);

#endif
