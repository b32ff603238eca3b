/*
 * sys-secrets.c: secret settings sealed, opened, masked (see sys-secrets.h).
 * OWNS: nothing. THREAD: sys's.
 */
#include "sys-secrets.h"

#include "pb-alloc.h"
#include "pb-log.h"

#include <cjson/cJSON.h>
#include <string.h>

static const struct {
	const char *doc, *key;
} secrets[] = {
	{ "outbound", "auth_password" },
};

/* The new value of a secret, or NULL to drop it. */
static char *apply_one(const char *doc, const char *key, const char *v,
		       enum sys_secrets_mode mode, const uint8_t *k)
{
	char *out = NULL;

	if (mode == SYS_SECRETS_MASK)
		return xstrdup(v[0] != '\0' ? SYS_SECRET_MASK : "");
	if (k == NULL)
		return xstrdup(v);
	if (mode == SYS_SECRETS_SEAL)
		return pb_secret_is_sealed(v) ? xstrdup(v) : pb_secret_seal(k, v);
	if (pb_secret_open(k, v, &out) < 0) {
		pb_error("sys", "event=secret_unreadable document=%s key=%s reason=\"another "
				"secret.key, or the value was altered\"", doc, key);
		return NULL;
	}
	return out;
}

char *sys_secrets_apply(const char *doc, const char *json, enum sys_secrets_mode mode,
			const uint8_t *key)
{
	cJSON *o = cJSON_Parse(json);
	bool changed = false;

	for (size_t i = 0; o != NULL && cJSON_IsObject(o) && i < PB_N_ELEMENTS(secrets); i++) {
		if (strcmp(secrets[i].doc, doc) != 0)
			continue;
		cJSON *v = cJSON_GetObjectItemCaseSensitive(o, secrets[i].key);
		if (!cJSON_IsString(v))
			continue;
		char *nv = apply_one(doc, secrets[i].key, v->valuestring, mode, key);
		if (nv == NULL)
			cJSON_DeleteItemFromObjectCaseSensitive(o, secrets[i].key);
		else
			cJSON_ReplaceItemInObjectCaseSensitive(o, secrets[i].key, cJSON_CreateString(nv));
		if (nv != NULL)
			explicit_bzero(nv, strlen(nv));
		free(nv);
		changed = true;
	}
	char *out = changed ? cJSON_PrintUnformatted(o) : xstrdup(json);
	cJSON_Delete(o);
	return out;
}
