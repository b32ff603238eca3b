/*
 * auth-secret.c: the auth shards' server secret (see auth-secret.h).
 * OWNS: the loaded secret. THREAD: any.
 */
#include "auth-secret.h"

#include "pb-alloc.h"
#include "store-settings.h"

#include <openssl/rand.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#define AUTH_SECRET_KEY "auth-secret"

static pthread_mutex_t secret_lock = PTHREAD_MUTEX_INITIALIZER;
static struct pb_store *secret_store; /* the store the secret was loaded from, or NULL */
static uint8_t secret[AUTH_SECRET_LEN];

/* Reads "\"<64 hex digits>\"" into secret. Returns 0 / -1. */
static int secret_parse(const char *json)
{
	if (strlen(json) != 2 * AUTH_SECRET_LEN + 2 || json[0] != '"')
		return -1;
	for (size_t i = 0; i < AUTH_SECRET_LEN; i++) {
		unsigned int b;
		if (sscanf(json + 1 + 2 * i, "%2x", &b) != 1)
			return -1;
		secret[i] = (uint8_t)b;
	}
	return 0;
}

/* Makes a new secret and stores it. Returns 0 / -1 (*error_r). */
static int secret_make(struct pb_store *store, const char **error_r)
{
	char json[2 * AUTH_SECRET_LEN + 3];

	if (RAND_bytes(secret, sizeof(secret)) != 1) {
		*error_r = "no random bytes for the auth secret";
		return -1;
	}
	json[0] = '"';
	for (size_t i = 0; i < AUTH_SECRET_LEN; i++)
		snprintf(json + 1 + 2 * i, 3, "%02x", secret[i]);
	json[2 * AUTH_SECRET_LEN + 1] = '"';
	json[2 * AUTH_SECRET_LEN + 2] = '\0';
	int rc = pb_store_setting_put(store, AUTH_SECRET_KEY, json, error_r);
	explicit_bzero(json, sizeof(json));
	return rc;
}

int auth_secret_get(struct pb_store *store, uint8_t secret_r[AUTH_SECRET_LEN],
		    const char **error_r)
{
	char *json = NULL;
	int rc = 0;

	pthread_mutex_lock(&secret_lock);
	if (secret_store != store) {
		int found = pb_store_setting_get(store, AUTH_SECRET_KEY, &json, error_r);
		if (found < 0)
			rc = -1;
		else if (found == 0 || secret_parse(json) < 0)
			rc = secret_make(store, error_r);
		secret_store = rc == 0 ? store : NULL;
	}
	if (rc == 0)
		memcpy(secret_r, secret, AUTH_SECRET_LEN);
	pthread_mutex_unlock(&secret_lock);
	if (json != NULL)
		explicit_bzero(json, strlen(json));
	free(json);
	return rc;
}
