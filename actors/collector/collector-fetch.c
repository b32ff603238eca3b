/*
 * collector-fetch.c: asking for a message told too big (see collector-fetch.h).
 * OWNS: nothing. THREAD: any.
 */
#include "collector-fetch.h"
#include "collector-client.h"

#include "pb-alloc.h"

#include <cjson/cJSON.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <string.h>

_Static_assert(COLLECTOR_FETCH_TOKEN_SIZE == PB_COLLECTOR_TOKEN_LEN + 1,
	       "the client's token size is the store's");

struct fetch_find {
	const char *uidl;
	struct pb_seen found;
};

static int fetch_find_cb(const struct pb_seen *seen, void *ctx)
{
	struct fetch_find *f = ctx;
	if (strcmp(seen->uidl, f->uidl) != 0)
		return 0;
	f->found = *seen;
	return 1;
}

uint32_t collector_fetch_mark(struct pb_store *store, const char *name, const char *uidl,
			      const char **error_r)
{
	struct fetch_find f = { .uidl = uidl };

	if (!pb_collector_uidl_valid(uidl))
		return *error_r = "not a UIDL", PB_ERR_REFUSED;
	if (pb_store_seen_iter(store, name, fetch_find_cb, &f, error_r) < 0)
		return PB_ERR_TEMP;
	if (f.found.state != PB_SEEN_NOTIFIED && f.found.state != PB_SEEN_REQUESTED)
		return *error_r = "no message waiting with that UIDL (too big and told)",
		       PB_ERR_NOTFOUND;
	f.found.state = PB_SEEN_REQUESTED;
	if (pb_store_seen_put(store, name, &f.found, error_r) < 0)
		return PB_ERR_TEMP;
	return PB_OK;
}

void collector_fetch_token_new(char *token_r)
{
	uint8_t raw[PB_COLLECTOR_TOKEN_LEN / 2];

	if (RAND_bytes(raw, sizeof(raw)) != 1)
		PANIC("RAND_bytes failed");
	for (size_t i = 0; i < sizeof(raw); i++)
		snprintf(token_r + 2 * i, 3, "%02x", raw[i]);
	explicit_bzero(raw, sizeof(raw));
}

int collector_fetch_token_put(struct pb_store *store, const char *token, const char *name,
			      const char *uidl, const uint64_t *ids, size_t n,
			      const char **error_r)
{
	cJSON *o = cJSON_CreateObject(), *users = cJSON_AddArrayToObject(o, "users");

	cJSON_AddStringToObject(o, "collector", name);
	cJSON_AddStringToObject(o, "uidl", uidl);
	for (size_t i = 0; i < n; i++) /* ids are < 2^53: exact as JSON numbers */
		cJSON_AddItemToArray(users, cJSON_CreateNumber((double)ids[i]));
	char *json = cJSON_PrintUnformatted(o);
	cJSON_Delete(o);
	int rc = pb_store_fetch_token_put(store, token, json, error_r);
	cJSON_free(json);
	return rc;
}

/* Whether the record's "users" holds user_id. */
static bool told(const cJSON *users, uint64_t user_id)
{
	const cJSON *u;

	cJSON_ArrayForEach(u, users)
		if (user_id != 0 && cJSON_IsNumber(u) && (uint64_t)u->valuedouble == user_id)
			return true;
	return false;
}

uint32_t collector_fetch_by_token(struct pb_store *store, const char *token, uint64_t user_id,
				  char *name_r, const char **error_r)
{
	char *json;

	int found = pb_store_fetch_token_get(store, token, &json, error_r);
	if (found <= 0)
		return found < 0 ? PB_ERR_TEMP : (*error_r = "no such fetch token", PB_ERR_NOTFOUND);
	cJSON *o = cJSON_Parse(json);
	free(json);
	const char *name = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, "collector"));
	const char *uidl = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, "uidl"));
	uint32_t code;
	if (name == NULL || uidl == NULL || !pb_collector_name_valid(name)) {
		code = PB_ERR_INTERNAL;
		*error_r = "the fetch token's record is damaged";
	} else if (!told(cJSON_GetObjectItemCaseSensitive(o, "users"), user_id)) {
		code = PB_ERR_REFUSED;
		*error_r = "the notice with that token was not sent to this sender";
	} else {
		code = collector_fetch_mark(store, name, uidl, error_r);
		snprintf(name_r, PB_COLLECTOR_NAME_MAX + 1, "%s", name);
	}
	cJSON_Delete(o);
	return code;
}
