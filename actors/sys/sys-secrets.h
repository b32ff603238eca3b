/*
 * sys-secrets.h: the settings that are secrets (outbound.auth_password): sealed in the stored
 * document (pb-secret.h), opened when loaded, and masked wherever a document is shown or logged.
 * OWNS: nothing. THREAD: sys's.
 */
#ifndef SYS_SECRETS_H
#define SYS_SECRETS_H

#include "pb-secret.h"

#include <stdint.h>

enum sys_secrets_mode {
	SYS_SECRETS_SEAL, /* for the store */
	SYS_SECRETS_OPEN, /* from the store (a value that does not open is dropped, logged) */
	SYS_SECRETS_MASK, /* for the CLI, the web UI, the logs: "********" when set */
};

/* Document doc (a JSON object) with its secret values sealed, opened or masked; key may be NULL
 * (no key: seal and open leave values as they are). Returns a new text (xmalloc'd), or a copy
 * of json when it is not an object or doc has no secret. */
char *sys_secrets_apply(const char *doc, const char *json, enum sys_secrets_mode mode,
			const uint8_t *key);

#define SYS_SECRET_MASK "********"

#endif
