/*
 * statushub-keys.c: the status hub's API keys (statushub-apikeys.h) — made with fresh random
 * octets (OpenSSL's RAND_bytes), written to the store (one settings-column record the hub owns,
 * STATUSHUB_KEYS_RECORD) before the key is shown, listed without their hashes, removed, and
 * checked at a status login. Every change goes to the security log (never a key) and to the
 * API keys' history (store-db.h, kind PB_HISTORY_APIKEY: label and permissions, never a hash;
 * record only: a deleted key's hash never comes back, so nothing rolls a key back).
 * OWNS: struct statushub's keys. THREAD: the hub's actor thread.
 * MESSAGES handled: STATUS_APIKEY_{ADD,LIST,DEL,CHECK}_REQ.
 */
#include "statushub-private.h"

#include "pb-alloc.h"
#include "pb-log.h"
#include "store-history-as.h"
#include "store-settings.h"

#include <cjson/cJSON.h>

#include <openssl/rand.h>
#include <stdlib.h>
#include <string.h>

int statushub_keys_load(struct statushub *h, const char **error_r)
{
	char *json = NULL;

	if (h->store == NULL)
		return 0;
	if (pb_store_setting_get(h->store, STATUSHUB_KEYS_RECORD, &json, error_r) < 0)
		return -1;
	statushub_apikeys_from_json(json, &h->keys);
	free(json);
	return 0;
}

/* The history's JSON of key k (label, permissions; never its hash), allocated; NULL for NULL. */
static char *key_history_json(const struct statushub_apikey *k)
{
	if (k == NULL)
		return NULL;
	cJSON *o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "label", k->label);
	cJSON_AddStringToObject(o, "permissions", k->permissions != NULL ? k->permissions : "");
	char *text = cJSON_PrintUnformatted(o);
	cJSON_Delete(o);
	return text;
}

/* Writes the keys, the change of the key labelled label (before: as it was, NULL none) in the
 * API keys' history in the same write (store-db.h): 0, or -1 with error_r. */
static int keys_store(struct statushub *h, const char *label,
		      const struct statushub_apikey *before, const char **error_r)
{
	if (h->store == NULL)
		return 0;
	const struct statushub_apikey *now = NULL;
	for (size_t i = 0; i < h->keys.n && now == NULL; i++)
		if (strcmp(h->keys.v[i].label, label) == 0)
			now = &h->keys.v[i];
	char *record = xasprintf("apikey:%s", label);
	char *hb = key_history_json(before), *ha = key_history_json(now);
	pb_store_history_arm(PB_HISTORY_APIKEY, record, hb, ha);
	char *json = statushub_apikeys_json(&h->keys);
	int rc = pb_store_setting_put(h->store, STATUSHUB_KEYS_RECORD, json, error_r);
	pb_store_history_disarm();
	free(json);
	free(record);
	free(hb);
	free(ha);
	return rc;
}

static int apikey_add(struct pb_actor *a, void *state, struct pb_msg *m)
{
	struct statushub *h = state;
	const struct msg_status_apikey_add_req *q = &m->u.status_apikey_add_req;
	uint8_t random[STATUSHUB_APIKEY_RANDOM];
	char key[STATUSHUB_APIKEY_LEN + 1];
	const char *error;

	if (RAND_bytes(random, sizeof(random)) != 1)
		return pb_reply_status(a, m, PB_ERR_TEMP, "no random octets"), 0;
	int rc = statushub_apikeys_add(&h->keys, q->label, q->permissions, random,
				       (int64_t)pb_clock_wall_ms(), key, &error);
	explicit_bzero(random, sizeof(random));
	if (rc < 0) {
		bool taken = strstr(error, "exists") != NULL;
		return pb_reply_status(a, m, taken ? PB_ERR_EXISTS : PB_ERR_REFUSED, error), 0;
	}
	if (keys_store(h, q->label, NULL, &error) < 0) {
		statushub_apikeys_del(&h->keys, q->label);
		explicit_bzero(key, sizeof(key));
		return pb_reply_status(a, m, PB_ERR_INTERNAL, error), 0;
	}
	pb_log_security("statushub", "event=apikey_added label=%s permissions=%s",
			PB_LOGQ(q->label), PB_LOGQ(h->keys.v[h->keys.n - 1].permissions));
	struct pb_msg rep;
	pb_msg_init(&rep, MSG_STATUS_APIKEY_ADD_REP);
	rep.u.status_apikey_add_rep.key = xstrdup(key);
	explicit_bzero(key, sizeof(key));
	pb_reply(a, m, &rep);
	explicit_bzero(rep.u.status_apikey_add_rep.key, STATUSHUB_APIKEY_LEN);
	pb_msg_free(&rep);
	return 0;
}

int statushub_on_apikey_list(struct pb_actor *a, void *state, struct pb_msg *m)
{
	struct statushub *h = state;
	struct pb_msg rep;

	pb_msg_init(&rep, MSG_STATUS_APIKEY_LIST_REP);
	for (size_t i = 0; i < h->keys.n; i++) {
		struct pb_rec_status_apikey *r = pb_rec_status_apikey_push(&rep.u.status_apikey_list_rep.keys);
		r->label = xstrdup(h->keys.v[i].label);
		r->permissions = xstrdup(h->keys.v[i].permissions);
		r->created_ms = h->keys.v[i].created_ms;
		r->last_used_ms = h->keys.v[i].last_used_ms;
	}
	pb_reply(a, m, &rep);
	pb_msg_free(&rep);
	return 0;
}

static int apikey_del(struct pb_actor *a, void *state, struct pb_msg *m)
{
	struct statushub *h = state;
	const char *label = m->u.status_apikey_del_req.label, *error;
	struct statushub_apikeys before = { 0 };

	char *json = statushub_apikeys_json(&h->keys);
	statushub_apikeys_from_json(json, &before);
	free(json);
	const struct statushub_apikey *was = NULL;
	for (size_t i = 0; i < before.n && was == NULL; i++)
		if (strcmp(before.v[i].label, label) == 0)
			was = &before.v[i];
	if (statushub_apikeys_del(&h->keys, label) < 0) {
		statushub_apikeys_free(&before);
		return pb_reply_status(a, m, PB_ERR_NOTFOUND, "no API key with that label"), 0;
	}
	if (keys_store(h, label, was, &error) < 0) { /* not removed: the table as it was */
		statushub_apikeys_free(&h->keys);
		h->keys = before;
		return pb_reply_status(a, m, PB_ERR_INTERNAL, error), 0;
	}
	statushub_apikeys_free(&before);
	pb_log_security("statushub", "event=apikey_removed label=%s", PB_LOGQ(label));
	return pb_reply_status(a, m, PB_OK, ""), 0;
}

/* The keys' changes are recorded in their history as by who asked (store-history-as.h). */
int statushub_on_apikey_add(struct pb_actor *a, void *state, struct pb_msg *m)
{
	return pb_store_history_as(a, state, m, m->u.status_apikey_add_req.by, apikey_add);
}

int statushub_on_apikey_del(struct pb_actor *a, void *state, struct pb_msg *m)
{
	return pb_store_history_as(a, state, m, m->u.status_apikey_del_req.by, apikey_del);
}

int statushub_on_apikey_check(struct pb_actor *a, void *state, struct pb_msg *m)
{
	struct statushub *h = state;
	struct statushub_apikey *k = statushub_apikeys_check(&h->keys, m->u.status_apikey_check_req.key);
	struct pb_msg rep;

	if (k == NULL)
		return pb_reply_status(a, m, PB_ERR_AUTH, "no such API key"), 0;
	k->last_used_ms = (int64_t)pb_clock_wall_ms();
	pb_msg_init(&rep, MSG_STATUS_APIKEY_CHECK_REP);
	rep.u.status_apikey_check_rep.label = xstrdup(k->label);
	rep.u.status_apikey_check_rep.permissions = xstrdup(k->permissions);
	pb_reply(a, m, &rep);
	pb_msg_free(&rep);
	return 0;
}
