/*
 * statushub-apikeys.h: the status server's API keys — what `pillarbox apikey add` makes for a
 * script or a monitoring system to log in with instead of an account's password. A key is
 * "pbk_" and 48 hex digits (24 random octets); only its SHA-256 is kept (a key has 192 bits
 * of entropy, so a fast hash cannot be searched as a password's could), with a label (its
 * name, 1-64 of letters, digits, . _ -) and its status permissions (status-perms.h, which an
 * API key has instead of an account's). The key itself is shown once, when it is made.
 * Kept as one JSON document (statushub_apikeys_json) the hub stores.
 * Pure (cJSON, OpenSSL's SHA-256): no store, no clock, no randomness (the caller gives the
 * octets). THREAD: the owner's. OWNS its entries.
 */
#ifndef STATUSHUB_APIKEYS_H
#define STATUSHUB_APIKEYS_H

#include <stddef.h>
#include <stdint.h>

#define STATUSHUB_APIKEYS_MAX 256
#define STATUSHUB_APIKEY_PREFIX "pbk_"
#define STATUSHUB_APIKEY_RANDOM 24
/* "pbk_" + 48 hex digits + NUL */
#define STATUSHUB_APIKEY_LEN (4 + 2 * STATUSHUB_APIKEY_RANDOM)

struct statushub_apikey {
	char *label;
	char hash[65];     /* SHA-256 of the key, hex */
	char *permissions; /* names, comma-separated */
	int64_t created_ms, last_used_ms;
};

struct statushub_apikeys {
	struct statushub_apikey *v;
	size_t n;
};

void statushub_apikeys_free(struct statushub_apikeys *t);
/* Reads the stored document (NULL: none). Entries that are not well formed are skipped. */
void statushub_apikeys_from_json(const char *json, struct statushub_apikeys *t_r);
/* The document to store (xmalloc'd). */
char *statushub_apikeys_json(const struct statushub_apikeys *t);

/* Adds a key labelled label with permissions (a list status_perms_parse takes; NULL or "":
 * view_connection, view_totals, view_log — what a monitoring script reads), made from random
 * (STATUSHUB_APIKEY_RANDOM octets), created at now_ms: 0 with key_r (STATUSHUB_APIKEY_LEN + 1
 * octets) the key to show once, or -1 with *error_r (static): a bad label or list, the label
 * taken, the table full. */
int statushub_apikeys_add(struct statushub_apikeys *t, const char *label, const char *permissions,
			  const uint8_t *random, int64_t now_ms, char *key_r, const char **error_r);
/* Removes the key labelled label: 0, or -1 when there is none. */
int statushub_apikeys_del(struct statushub_apikeys *t, const char *label);
/* The entry whose key is key (its hash compared in constant time), NULL if none. */
struct statushub_apikey *statushub_apikeys_check(struct statushub_apikeys *t, const char *key);

#endif
