/*
 * user-keys.h: every per-account key `pillarbox user set` takes, with its one-line help — the
 * sending permissions (send-policy.h), the routing and autoreply keys (router-user.h), the
 * password keys (directory-client.h): the tables of the code that validates them, so a key
 * added there is listed by `pillarbox help user set` and GET /api/user-keys alike.
 * OWNS: nothing. THREAD: any.
 */
#ifndef USER_KEYS_H
#define USER_KEYS_H

#include <stdbool.h>
#include <stddef.h>

/* The i-th key (0, 1, ...; NULL past the last), its help in *help_r (static text: the default
 * in brackets, then what it does). */
const char *user_key(size_t i, const char **help_r);
/* Whether key is one of them. */
bool user_key_known(const char *key);

#endif
