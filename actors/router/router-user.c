/*
 * router-user.c: an account's routing settings (see router-user.h).
 * OWNS nothing beyond what it returns. THREAD: any.
 */
#include "router-user.h"

#include "pb-alloc.h"
#include "router-generate.h"
#include "smtp-address.h"

#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* KEY_TARGETS: text the router splits into targets (router_split_list; target_ok). */
enum key_kind { KEY_BOOL, KEY_TEXT, KEY_TARGETS, KEY_KB, KEY_ACTION };

static const struct {
	const char *name;
	enum key_kind kind;
	const char *help; /* `pillarbox help user set`: one line, the default in brackets */
} keys[] = {
	{ "forward_to", KEY_TARGETS, "[] Forward To: addresses or local names, ';' separated" },
	{ "use_forwarding", KEY_BOOL, "[false] Forward To takes effect" },
	{ "keep_copy", KEY_BOOL, "[false] forwarding keeps a copy here (else it redirects)" },
	{ "assistants", KEY_TARGETS, "[] the assistants (guide 4.5), ';' separated; ignored when an "
				  "assistant is the sender" },
	{ "assistant_redirect", KEY_BOOL,
	  "[false] redirect to the assistants (else copy); switches Forward To off" },
	{ "default_addresses", KEY_BOOL,
	  "[true] false: no name@every-local-domain (aliases and lists still reach it)" },
	{ "blocked", KEY_TEXT, "[] senders whose mail it does not receive (guide 4.11): addresses "
			       "or wildcards, ';' separated ('a@x.com;*@spam.example')" },
	{ "reset_email", KEY_TEXT, "[] the one address webmail's forgotten-password and unlock "
				   "links are mailed to (guide 2.1.1)" },
	/* h-fwdext: size dependent forwarding, Copy Sent Messages To, quarantine (guide 4.5) */
	{ "size_over_kb", KEY_KB, "[0] if the message is at least N kB (1024 bytes), 0 off, ..." },
	{ "size_over_action", KEY_ACTION, "[copy] ... copy or redirect it ..." },
	{ "size_over_to", KEY_TARGETS, "[] ... to these addresses (';'); empty: the row is off" },
	{ "size_under_kb", KEY_KB, "[0] if the message is at most N kB, 0 off, ..." },
	{ "size_under_action", KEY_ACTION, "[copy] ... copy or redirect it ..." },
	{ "size_under_to", KEY_TARGETS, "[] ... to these addresses (';'); empty: the row is off" },
	{ "copy_sent_to", KEY_TARGETS, "[] a copy of every message it sends goes to these (';')" },
	{ "no_forward_quarantined", KEY_BOOL,
	  "[false] no forwards, assistants or size forwarding for quarantined mail" },
};

static int key_index(const char *key)
{
	for (size_t i = 0; key != NULL && i < PB_N_ELEMENTS(keys); i++)
		if (strcmp(keys[i].name, key) == 0)
			return (int)i;
	return -1;
}

bool router_user_is_key(const char *key)
{
	return key_index(key) >= 0 || router_autoreply_is_key(key);
}

const char *router_user_key(size_t i, const char **help_r)
{
	if (i < PB_N_ELEMENTS(keys)) {
		*help_r = keys[i].help;
		return keys[i].name;
	}
	return router_autoreply_key(i - PB_N_ELEMENTS(keys), help_r);
}

/* Whether value is "" or one address local@domain: printable ASCII without spaces, quotes,
 * angle brackets, ';' or ',', one '@' with text on both sides, at most 254 octets. */
static bool one_address(const char *value)
{
	const char *at = strchr(value, '@');

	if (value[0] == '\0')
		return true;
	if (strlen(value) > 254 || at == NULL || at == value || at[1] == '\0' ||
	    strchr(at + 1, '@') != NULL)
		return false;
	for (const unsigned char *p = (const unsigned char *)value; *p != '\0'; p++)
		if (*p <= ' ' || *p >= 0x7f || strchr("\"<>;,()[]\\", *p) != NULL)
			return false;
	return true;
}

/* Whether one target, as router_split_list gives it (trimmed, no ';' or ','), is what the
 * router resolves: an address local@domain (RFC 5321 / 6531 mailbox syntax, split at its last
 * '@' as the router does) or a bare local name (an account, list or mapping at a local
 * domain), which must be a valid local part. */
static bool target_ok(const char *t)
{
	struct smtp_address a;
	const char *why;

	if (strchr(t, '@') != NULL)
		return smtp_address_parse(t, strlen(t), false, &a, &why) == 0;
	char *full = xasprintf("%s@local.invalid", t);
	bool ok = smtp_address_parse(full, strlen(full), false, &a, &why) == 0;
	free(full);
	return ok;
}

/* Whether value (valid UTF-8, no control characters) splits, as the router splits it, into
 * targets that are each target_ok ("" or only separators: none). */
static bool targets_ok(const char *value)
{
	struct pb_strv v = { 0 };
	bool ok = true;

	router_split_list(value, &v);
	for (uint32_t i = 0; i < v.n && ok; i++)
		ok = target_ok(v.v[i]);
	pb_strv_clear(&v);
	return ok;
}

/* h-fwdext: a size in KiB (0 to ROUTER_USER_KB_MAX, digits only) or an action ("copy" or
 * "redirect", any case, stored lowercase); NULL with *error_r. */
static cJSON *size_value(int i, const char *value, const char **error_r)
{
	if (keys[i].kind == KEY_ACTION) {
		if (strcasecmp(value, "copy") == 0 || strcasecmp(value, "redirect") == 0)
			return cJSON_CreateString(strcasecmp(value, "copy") == 0 ? "copy" : "redirect");
		*error_r = "size_over_action and size_under_action are copy or redirect";
		return NULL;
	}
	size_t n = strspn(value, "0123456789");
	if (n > 0 && n <= 7 && value[n] == '\0' && strtoul(value, NULL, 10) <= ROUTER_USER_KB_MAX)
		return cJSON_CreateNumber((double)strtoul(value, NULL, 10));
	*error_r = "size_over_kb and size_under_kb are a size in kB, 0 to 4194304";
	return NULL;
}

/* The JSON value of the CLI's text for key i, or NULL with *error_r. */
static cJSON *value_of(int i, const char *value, const char **error_r)
{
	static const char *const yes[] = { "true", "yes", "on", "1" };
	static const char *const no[] = { "false", "no", "off", "0" };

	if (strcmp(keys[i].name, "reset_email") == 0) {
		if (one_address(value))
			return cJSON_CreateString(value);
		*error_r = "reset_email is one address, name@domain (\"\": none)";
		return NULL;
	}
	if (keys[i].kind == KEY_KB || keys[i].kind == KEY_ACTION)
		return size_value(i, value, error_r);
	if (keys[i].kind == KEY_TEXT || keys[i].kind == KEY_TARGETS) {
		bool ok = strlen(value) <= ROUTER_USER_TEXT_MAX &&
			  smtp_utf8_valid(value, strlen(value));
		for (const unsigned char *p = (const unsigned char *)value; ok && *p != '\0'; p++)
			ok = *p >= ' ' && *p != 0x7f;
		if (ok && keys[i].kind == KEY_TARGETS && !targets_ok(value)) {
			*error_r = "forward_to, assistants, size_over_to, size_under_to and "
				   "copy_sent_to are email addresses (name@domain) or local names, "
				   "separated by ';' or ','";
			return NULL;
		}
		if (ok)
			return cJSON_CreateString(value);
		*error_r = "forward_to, assistants, blocked, size_over_to, size_under_to and "
			   "copy_sent_to are addresses separated by ';' (at most 4000 characters, "
			   "UTF-8, no control characters)";
		return NULL;
	}
	for (size_t k = 0; k < PB_N_ELEMENTS(yes); k++) {
		if (strcasecmp(value, yes[k]) == 0 || strcasecmp(value, no[k]) == 0)
			return cJSON_CreateBool(strcasecmp(value, yes[k]) == 0);
	}
	*error_r = "use_forwarding, keep_copy, assistant_redirect, default_addresses and "
		   "no_forward_quarantined must be true or false";
	return NULL;
}

/* Parses settings_json (an object), changes key (item NULL: removes it), prints. */
static int rewrite(const char *settings_json, const char *key, cJSON *item, char **json_r,
		   const char **error_r)
{
	cJSON *doc = cJSON_Parse(settings_json != NULL && settings_json[0] ? settings_json : "{}");

	if (!cJSON_IsObject(doc)) {
		cJSON_Delete(doc);
		cJSON_Delete(item);
		*error_r = "the account's settings are not a JSON object";
		return -1;
	}
	cJSON_DeleteItemFromObjectCaseSensitive(doc, key);
	if (item != NULL)
		cJSON_AddItemToObject(doc, key, item);
	char *text = cJSON_PrintUnformatted(doc);
	*json_r = xstrdup(text);
	cJSON_free(text);
	cJSON_Delete(doc);
	return 0;
}

int router_user_set(const char *settings_json, const char *key, const char *value,
		    char **json_r, const char **error_r)
{
	int i = key_index(key);
	char *json;

	if (router_autoreply_is_key(key)) {
		if (router_autoreply_value(key, value, &json, error_r) < 0)
			return -1;
		cJSON *item = cJSON_Parse(json);
		free(json);
		return rewrite(settings_json, key, item, json_r, error_r);
	}
	if (i < 0) {
		*error_r = "not a routing setting";
		return -1;
	}
	cJSON *item = value_of(i, value != NULL ? value : "", error_r);
	return item == NULL ? -1 : rewrite(settings_json, key, item, json_r, error_r);
}

int router_user_unset(const char *settings_json, const char *key, char **json_r,
		      const char **error_r)
{
	if (key_index(key) < 0 && !router_autoreply_is_key(key)) {
		*error_r = "not a routing setting";
		return -1;
	}
	return rewrite(settings_json, key, NULL, json_r, error_r);
}

int router_user_set_script(const char *settings_json, const char *text, char **json_r,
			   const char **error_r)
{
	cJSON *item = text != NULL && text[0] != '\0' ? cJSON_CreateString(text) : NULL;
	return rewrite(settings_json, ROUTER_USER_SCRIPT_KEY, item, json_r, error_r);
}

char *router_user_settings_shown(const char *settings_json)
{
	const char *json = settings_json != NULL && settings_json[0] ? settings_json : "{}";
	cJSON *doc = cJSON_Parse(json);
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(doc, ROUTER_USER_SCRIPT_KEY);

	if (!cJSON_IsString(v)) {
		cJSON_Delete(doc);
		return xstrdup(json);
	}
	char *note = xasprintf("(%zu bytes: pillarbox script get)", strlen(v->valuestring));
	cJSON_ReplaceItemInObjectCaseSensitive(doc, ROUTER_USER_SCRIPT_KEY, cJSON_CreateString(note));
	free(note);
	char *text = cJSON_PrintUnformatted(doc);
	char *out = xstrdup(text);
	cJSON_free(text);
	cJSON_Delete(doc);
	return out;
}

static char *text_of(const cJSON *doc, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(doc, key);
	return xstrdup(cJSON_IsString(v) ? v->valuestring : "");
}

static bool bool_of(const cJSON *doc, const char *key, bool dflt)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(doc, key);
	return cJSON_IsBool(v) ? cJSON_IsTrue(v) : dflt;
}

static uint32_t kb_of(const cJSON *doc, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(doc, key);
	return cJSON_IsNumber(v) && v->valuedouble >= 0 && v->valuedouble <= ROUTER_USER_KB_MAX
		       ? (uint32_t)v->valuedouble : 0;
}

static bool redirect_of(const cJSON *doc, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(doc, key);
	return cJSON_IsString(v) && strcmp(v->valuestring, "redirect") == 0;
}

/* h-fwdext's keys (size dependent forwarding, copy sent, quarantine) into u_r. */
static void load_fwdext(const cJSON *doc, struct router_user *u_r)
{
	u_r->size_over_kb = kb_of(doc, "size_over_kb");
	u_r->size_under_kb = kb_of(doc, "size_under_kb");
	u_r->size_over_redirect = redirect_of(doc, "size_over_action");
	u_r->size_under_redirect = redirect_of(doc, "size_under_action");
	u_r->size_over_to = text_of(doc, "size_over_to");
	u_r->size_under_to = text_of(doc, "size_under_to");
	u_r->copy_sent_to = text_of(doc, "copy_sent_to");
	u_r->no_forward_quarantined = bool_of(doc, "no_forward_quarantined", false);
}

void router_user_load(const char *settings_json, uint64_t id, const char *name,
		      struct router_user *u_r)
{
	cJSON *doc = cJSON_Parse(settings_json != NULL && settings_json[0] ? settings_json : "{}");

	memset(u_r, 0, sizeof(*u_r));
	u_r->id = id;
	u_r->name = xstrdup(name);
	u_r->forward_to = text_of(doc, "forward_to");
	u_r->assistants = text_of(doc, "assistants");
	u_r->blocked = text_of(doc, "blocked");
	u_r->script = text_of(doc, ROUTER_USER_SCRIPT_KEY);
	u_r->use_forwarding = bool_of(doc, "use_forwarding", false);
	u_r->keep_copy = bool_of(doc, "keep_copy", false);
	u_r->assistant_redirect = bool_of(doc, "assistant_redirect", false);
	u_r->defaults_disabled = !bool_of(doc, "default_addresses", true);
	load_fwdext(doc, u_r);
	cJSON_Delete(doc);
}

void router_user_clear(struct router_user *u)
{
	free((char *)u->name);
	free((char *)u->forward_to);
	free((char *)u->assistants);
	free((char *)u->blocked);
	free((char *)u->script);
	free((char *)u->size_over_to);
	free((char *)u->size_under_to);
	free((char *)u->copy_sent_to);
	memset(u, 0, sizeof(*u));
}
