/*
 * statushub-apikeys.c: the status server's API keys (see statushub-apikeys.h).
 * OWNS its entries. THREAD: the owner's.
 */
#include "statushub-apikeys.h"

#include "pb-alloc.h"
#include "status-perms.h"

#include <cjson/cJSON.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DEFAULT_PERMS "view_connection,view_totals,view_log"

void statushub_apikeys_free(struct statushub_apikeys *t)
{
	for (size_t i = 0; i < t->n; i++) {
		free(t->v[i].label);
		free(t->v[i].permissions);
	}
	free(t->v);
	t->v = NULL;
	t->n = 0;
}

static void hex(const uint8_t *in, size_t n, char *out)
{
	for (size_t i = 0; i < n; i++)
		snprintf(out + 2 * i, 3, "%02x", in[i]);
}

static void key_hash(const char *key, char out[65])
{
	uint8_t md[32];
	unsigned int n = 0;

	EVP_Digest(key, strlen(key), md, &n, EVP_sha256(), NULL);
	hex(md, sizeof(md), out);
}

static bool label_ok(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > 64)
		return false;
	for (size_t i = 0; i < n; i++) {
		char ch = s[i];
		if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
		      ch == '.' || ch == '_' || ch == '-'))
			return false;
	}
	return true;
}

static struct statushub_apikey *push(struct statushub_apikeys *t)
{
	t->v = xrealloc(t->v, (t->n + 1) * sizeof(*t->v));
	memset(&t->v[t->n], 0, sizeof(t->v[t->n]));
	return &t->v[t->n++];
}

static const char *str_of(const cJSON *o, const char *name)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, name);
	return cJSON_IsString(v) ? v->valuestring : NULL;
}

void statushub_apikeys_from_json(const char *json, struct statushub_apikeys *t_r)
{
	cJSON *doc = json != NULL ? cJSON_Parse(json) : NULL;
	const cJSON *e;

	memset(t_r, 0, sizeof(*t_r));
	cJSON_ArrayForEach(e, cJSON_GetObjectItemCaseSensitive(doc, "keys"))
	{
		const char *label = str_of(e, "label"), *hash = str_of(e, "sha256");
		const char *perms = str_of(e, "permissions");
		if (label == NULL || hash == NULL || strlen(hash) != 64 || perms == NULL ||
		    t_r->n == STATUSHUB_APIKEYS_MAX)
			continue;
		struct statushub_apikey *k = push(t_r);
		k->label = xstrdup(label);
		memcpy(k->hash, hash, 65);
		k->permissions = xstrdup(perms);
		k->created_ms = (int64_t)cJSON_GetNumberValue(cJSON_GetObjectItem(e, "created_ms"));
	}
	cJSON_Delete(doc);
}

char *statushub_apikeys_json(const struct statushub_apikeys *t)
{
	cJSON *doc = cJSON_CreateObject();
	cJSON *list = cJSON_AddArrayToObject(doc, "keys");

	for (size_t i = 0; i < t->n; i++) {
		cJSON *e = cJSON_CreateObject();
		cJSON_AddStringToObject(e, "label", t->v[i].label);
		cJSON_AddStringToObject(e, "sha256", t->v[i].hash);
		cJSON_AddStringToObject(e, "permissions", t->v[i].permissions);
		cJSON_AddNumberToObject(e, "created_ms", (double)t->v[i].created_ms);
		cJSON_AddItemToArray(list, e);
	}
	char *text = cJSON_PrintUnformatted(doc);
	char *out = xstrdup(text);
	cJSON_free(text);
	cJSON_Delete(doc);
	return out;
}

static int find(const struct statushub_apikeys *t, const char *label)
{
	for (size_t i = 0; i < t->n; i++) {
		if (strcmp(t->v[i].label, label) == 0)
			return (int)i;
	}
	return -1;
}

int statushub_apikeys_add(struct statushub_apikeys *t, const char *label, const char *permissions,
			  const uint8_t *random, int64_t now_ms, char *key_r, const char **error_r)
{
	uint32_t mask;
	struct pb_buf names;

	if (permissions == NULL || permissions[0] == '\0')
		permissions = DEFAULT_PERMS;
	if (label == NULL || !label_ok(label)) {
		*error_r = "a label is 1 to 64 letters, digits, '.', '_' or '-'";
		return -1;
	}
	bool web_admin;
	char *web_user;
	int role = status_perms_web_role(permissions, &web_admin, &web_user, error_r);
	if (role < 0 || status_perms_parse(permissions, &mask, error_r) < 0) {
		free(web_user);
		return -1;
	}
	if (find(t, label) >= 0 || t->n == STATUSHUB_APIKEYS_MAX) {
		*error_r = t->n == STATUSHUB_APIKEYS_MAX ? "too many API keys (256)"
							 : "an API key with that label exists";
		free(web_user);
		return -1;
	}
	memcpy(key_r, STATUSHUB_APIKEY_PREFIX, 4);
	hex(random, STATUSHUB_APIKEY_RANDOM, key_r + 4);
	struct statushub_apikey *k = push(t);
	k->label = xstrdup(label);
	key_hash(key_r, k->hash);
	pb_buf_init(&names);
	status_perms_format(mask, &names);
	if (role == 1) /* the web role is kept among the names */
		pb_buf_printf(&names, "%s%s%s", names.len > 0 ? "," : "",
			      web_admin ? STATUS_WEB_ADMIN : STATUS_WEB_USER,
			      web_admin ? "" : web_user);
	free(web_user);
	k->permissions = xstrdup(names.len > 0 ? names.data : "");
	pb_buf_deinit(&names);
	k->created_ms = now_ms;
	return 0;
}

int statushub_apikeys_del(struct statushub_apikeys *t, const char *label)
{
	int i = label != NULL ? find(t, label) : -1;

	if (i < 0)
		return -1;
	free(t->v[i].label);
	free(t->v[i].permissions);
	t->v[i] = t->v[--t->n];
	return 0;
}

struct statushub_apikey *statushub_apikeys_check(struct statushub_apikeys *t, const char *key)
{
	char hash[65];
	struct statushub_apikey *found = NULL;

	if (key == NULL || strncmp(key, STATUSHUB_APIKEY_PREFIX, 4) != 0 ||
	    strlen(key) != STATUSHUB_APIKEY_LEN)
		return NULL;
	key_hash(key, hash);
	for (size_t i = 0; i < t->n; i++) {
		if (CRYPTO_memcmp(hash, t->v[i].hash, 64) == 0)
			found = &t->v[i];
	}
	return found;
}
