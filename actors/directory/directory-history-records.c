/*
 * directory-history-records.c: the records of the directory's history (directory-history.c)
 * — each kind's JSON as the history keeps it, its current state and how it is put back:
 *   "user:NAME"      an account's settings (quota, forwarding, assistants, autoresponder,
 *                    routing script, sending permissions...) and webmail_main_denied; never
 *                    its password hashes or SCRAM keys, so no rollback touches a password.
 *                    Created or deleted: refused (user add / user del: a deleted account's
 *                    mail is purged, re-creating it would bring back an empty mailbox).
 *   "mapping:ADDRESS,TARGET"  one mapping (',' is in no address or target).
 *   "list:NAME"      a distribution list with its members.
 *   "rules:NAME"     an account's message rule set ("rules:(administrator)": the server's).
 *   "domain:NAME"    a local domain; putting one away follows directory_domain_removable
 *                    without force.
 * OWNS: nothing. THREAD: the directory actor's.
 */
#include "directory-private.h"

#include "directory-rules.h"
#include "store-accounts.h"
#include "store-routes.h"

#include <cjson/cJSON.h>
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* The administrator's rule set's name in "rules:NAME" (no account has parentheses). */
#define ADMIN_RULES "(administrator)"

static char *printed(cJSON *o)
{
	char *text = cJSON_PrintUnformatted(o);
	cJSON_Delete(o);
	return text;
}

char *directory_history_user_json(const struct pb_user_rec *u)
{
	cJSON *o = cJSON_CreateObject();
	cJSON *set = u->settings_json != NULL ? cJSON_Parse(u->settings_json) : NULL;

	cJSON_AddStringToObject(o, "name", u->name);
	cJSON_AddItemToObject(o, "settings", cJSON_IsObject(set) ? set : cJSON_CreateObject());
	if (!cJSON_IsObject(set))
		cJSON_Delete(set);
	cJSON_AddBoolToObject(o, "webmail_main_denied", u->webmail_main_denied);
	return printed(o);
}

char *directory_history_map_json(const struct pb_route_map *m)
{
	cJSON *o = cJSON_CreateObject();

	cJSON_AddStringToObject(o, "address", m->address);
	cJSON_AddStringToObject(o, "target", m->target);
	cJSON_AddNumberToObject(o, "type", m->type);
	cJSON_AddStringToObject(o, "collector", m->collector != NULL ? m->collector : "");
	cJSON_AddStringToObject(o, "comment", m->comment != NULL ? m->comment : "");
	return printed(o);
}


char *directory_history_list_json(const struct pb_route_list *l)
{
	cJSON *o = cJSON_CreateObject(), *members = cJSON_CreateArray();

	cJSON_AddStringToObject(o, "name", l->name);
	cJSON_AddBoolToObject(o, "internet", l->internet);
	cJSON_AddStringToObject(o, "comment", l->comment != NULL ? l->comment : "");
	for (size_t i = 0; i < l->n_members; i++)
		cJSON_AddItemToArray(members, cJSON_CreateString(l->members[i]));
	cJSON_AddItemToObject(o, "members", members);
	return printed(o);
}

char *directory_history_domain_json(const char *domain)
{
	cJSON *o = cJSON_CreateObject();

	cJSON_AddStringToObject(o, "domain", domain);
	return printed(o);
}

char *directory_history_record(const char *prefix, const char *name, const char *name2)
{
	char *r = name2 != NULL ? xasprintf("%s%s,%s", prefix, name, name2)
				: xasprintf("%s%s", prefix, name);

	for (char *p = r; *p != '\0'; p++)
		*p = (char)tolower((unsigned char)*p);
	return r;
}

char *directory_history_rules_record(const char *user)
{
	return directory_history_record("rules:", user[0] != '\0' ? user : ADMIN_RULES, NULL);
}

/* The current JSON of a mapping record "ADDRESS,TARGET" (*json_r NULL: absent). 0 / -1. */
static int map_state(struct directory *d, const char *key, char **json_r, const char **error_r)
{
	struct pb_route_map *v;
	size_t n;
	const char *comma = strchr(key, ',');

	*json_r = NULL;
	if (pb_store_route_maps(d->store, &v, &n, error_r) < 0)
		return -1;
	for (size_t i = 0; i < n && *json_r == NULL && comma != NULL; i++)
		if (strncasecmp(v[i].address, key, (size_t)(comma - key)) == 0 &&
		    v[i].address[comma - key] == '\0' && strcasecmp(v[i].target, comma + 1) == 0)
			*json_r = directory_history_map_json(&v[i]);
	pb_route_maps_free(v, n);
	return 0;
}
/* Puts a mapping back: json NULL deletes it. 0 / -1 (a put back: 0, -1 the store failed,
 * -2 refused, with *error_r). */
static int map_put_back(struct pb_actor *a, struct directory *d, const char *key,
			const char *json, const char **error_r)
{
	const char *comma = strchr(key, ',');
	char *address = xstrndup(key, comma != NULL ? (size_t)(comma - key) : strlen(key));
	int rc = -1;

	if (json == NULL) {
		rc = pb_store_route_map_delete(d->store, address, comma != NULL ? comma + 1 : "",
					       error_r) < 0 ? -1 : 0;
	} else {
		cJSON *o = cJSON_Parse(json);
		const cJSON *t = cJSON_GetObjectItemCaseSensitive(o, "type");
		struct pb_route_map m = {
			address, (char *)(comma != NULL ? comma + 1 : ""),
			cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, "collector")),
			cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, "comment")),
			(uint8_t)(cJSON_IsNumber(t) ? t->valueint : 0)
		};
		rc = pb_store_route_map_put(d->store, &m, error_r);
		cJSON_Delete(o);
	}
	free(address);
	return rc;
}

/* Puts an account's settings back (the account exists now and in json), its quota given to
 * its mailbox owner. 0 / -1. */
static int user_put_back(struct pb_actor *a, struct directory *d, const char *name,
			 const char *json, const char **error_r)
{
	struct pb_user_rec u;
	int found = pb_store_user_get(d->store, name, &u, error_r);

	if (found <= 0) {
		*error_r = found == 0 ? "the account is gone" : *error_r;
		return found == 0 ? -2 : -1;
	}
	cJSON *o = cJSON_Parse(json);
	const cJSON *set = cJSON_GetObjectItemCaseSensitive(o, "settings");
	free(u.settings_json);
	u.settings_json = cJSON_IsObject(set) && set->child != NULL ? cJSON_PrintUnformatted(set)
								    : NULL;
	u.webmail_main_denied =
		cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(o, "webmail_main_denied"));
	cJSON_Delete(o);
	int rc = pb_store_user_put(d->store, &u, error_r);
	if (rc == 0)
		directory_quota_cast(a, &u);
	pb_user_rec_free(&u);
	return rc;
}


static int user_state(struct directory *d, const char *name, char **json_r,
		      const char **error_r)
{
	struct pb_user_rec u;
	int found = pb_store_user_get(d->store, name, &u, error_r);

	if (found == 1) {
		*json_r = directory_history_user_json(&u);
		pb_user_rec_free(&u);
	}
	return found < 0 ? -1 : 0;
}

static int list_state(struct directory *d, const char *name, char **json_r,
		      const char **error_r)
{
	struct pb_route_list l;
	int found = pb_store_route_list_get(d->store, name, &l, error_r);

	if (found == 1) {
		*json_r = directory_history_list_json(&l);
		pb_route_list_clear(&l);
	}
	return found < 0 ? -1 : 0;
}

static int list_put_back(struct pb_actor *a, struct directory *d, const char *name,
			 const char *json, const char **error_r)
{
	if (json == NULL)
		return pb_store_route_list_delete(d->store, name, error_r) < 0 ? -1 : 0;
	cJSON *o = cJSON_Parse(json);
	const cJSON *members = cJSON_GetObjectItemCaseSensitive(o, "members"), *m;
	const char *comment = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, "comment"));
	struct pb_route_list l = {
		(char *)name, (char *)(comment != NULL ? comment : ""),
		cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(o, "internet")), NULL, 0
	};
	l.members = xcalloc((size_t)cJSON_GetArraySize(members) + 1, sizeof(char *));
	cJSON_ArrayForEach(m, members) {
		if (cJSON_IsString(m))
			l.members[l.n_members++] = m->valuestring;
	}
	int rc = pb_store_route_list_put(d->store, &l, error_r);
	free(l.members);
	cJSON_Delete(o);
	return rc;
}

/* The owner id of a rule set's name: 1 (*id_r), 0 no such account, -1. */
static int rules_owner(struct directory *d, const char *name, uint64_t *id_r,
		       const char **error_r)
{
	struct pb_user_rec u;

	*id_r = 0;
	if (strcmp(name, ADMIN_RULES) == 0)
		return 1;
	int found = pb_store_user_get(d->store, name, &u, error_r);
	if (found == 1) {
		*id_r = u.id;
		pb_user_rec_free(&u);
	}
	return found;
}

static int rules_state(struct directory *d, const char *name, char **json_r,
		       const char **error_r)
{
	uint64_t id;
	int found = rules_owner(d, name, &id, error_r);

	if (found == 1)
		found = pb_store_route_rules_get(d->store, id, json_r, error_r);
	return found < 0 ? -1 : 0;
}

static int rules_put_back(struct pb_actor *a, struct directory *d, const char *name,
			  const char *json, const char **error_r)
{
	uint64_t id;
	int found = rules_owner(d, name, &id, error_r);

	if (found <= 0) {
		*error_r = found == 0 ? "the account is gone" : *error_r;
		return found == 0 ? -2 : -1;
	}
	if (json == NULL)
		return pb_store_route_rules_delete(d->store, id, error_r) < 0 ? -1 : 0;
	return pb_store_route_rules_put(d->store, id, json, error_r);
}

static int domain_state(struct directory *d, const char *name, char **json_r,
			const char **error_r)
{
	int found = pb_store_domain_exists(d->store, name, error_r);

	if (found == 1)
		*json_r = directory_history_domain_json(name);
	return found < 0 ? -1 : 0;
}

static int domain_put_back(struct pb_actor *a, struct directory *d, const char *name,
			   const char *json, const char **error_r)
{
	uint64_t users = 0, domains = 0;
	char why[256];

	if (json != NULL)
		return pb_store_domain_put(d->store, name, error_r);
	if (directory_count(d, &users, &domains, error_r) < 0)
		return -1;
	if (directory_domain_removable(name, domains, users, false, why, sizeof(why)) < 0) {
		*error_r = "a local domain that accounts have addresses at, or the last one, is "
			   "not removed by a rollback (domain del --force)";
		return -2;
	}
	return pb_store_domain_delete(d->store, name, error_r) < 0 ? -1 : 0;
}

/* The kinds of record: "PREFIX:NAME". */
static const struct record_kind {
	const char *prefix;
	int (*state)(struct directory *d, const char *name, char **json_r, const char **error_r);
	int (*put)(struct pb_actor *a, struct directory *d, const char *name, const char *json,
		   const char **error_r);
} kinds[] = {
	{ "user:", user_state, user_put_back },
	{ "mapping:", map_state, map_put_back },
	{ "list:", list_state, list_put_back },
	{ "rules:", rules_state, rules_put_back },
	{ "domain:", domain_state, domain_put_back },
};

static const struct record_kind *kind_of(const char *record)
{
	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
		if (strncmp(record, kinds[i].prefix, strlen(kinds[i].prefix)) == 0)
			return &kinds[i];
	return NULL;
}

int directory_history_state(struct directory *d, const char *record, char **json_r,
			    const char **error_r)
{
	const struct record_kind *k = kind_of(record);

	*json_r = NULL;
	if (k == NULL) {
		*error_r = "not a record the directory keeps";
		return -1;
	}
	return k->state(d, record + strlen(k->prefix), json_r, error_r);
}

uint32_t directory_history_put(struct pb_actor *a, struct directory *d, const char *record,
			       const char *now, const char *json, const char **why_r,
			       const char **error_r)
{
	const struct record_kind *k = kind_of(record);

	if (k == NULL || (k->state == user_state && (now == NULL || json == NULL))) {
		*why_r = k == NULL ? "not a record the directory keeps"
				   : "an account created or deleted is not rolled back: use user "
				     "add or user del";
		return PB_ERR_REFUSED;
	}
	int rc = k->put(a, d, record + strlen(k->prefix), json, error_r);
	if (rc == -2)
		*why_r = *error_r;
	return rc == 0 ? PB_OK : rc == -2 ? PB_ERR_REFUSED : PB_ERR_INTERNAL;
}
