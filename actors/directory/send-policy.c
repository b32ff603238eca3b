/*
 * send-policy.c: an account's sending permissions and their pure rules (see send-policy.h).
 * OWNS nothing beyond what it returns. THREAD: any.
 */
#include "send-policy.h"

#include "mime-address.h"
#include "mime-header.h"
#include "mime-match.h"
#include "pb-alloc.h"
#include "status-perms.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

enum key_type { KEY_BOOL, KEY_COUNT, KEY_SIZE, KEY_LIST, KEY_MB, KEY_PERMS, KEY_TEXT, KEY_HTML };

/* The index of the first signature key in keys[] (signature_text, _html, internal_...). */
#define SIG_KEY0 9

static const struct {
	const char *name;
	enum key_type type;
	const char *help; /* `pillarbox help user set`: one line, the default in brackets */
} keys[] = {
	{ "send_as_any", KEY_BOOL, "[false] may use any MAIL FROM, not only its own addresses" },
	{ "max_messages_per_hour", KEY_COUNT,
	  "[limits.user_messages_per_hour] messages per hour, 0 no limit" },
	{ "max_messages_per_day", KEY_COUNT,
	  "[limits.user_messages_per_day] messages per 24 hours, 0 no limit" },
	{ "forbidden_recipients", KEY_LIST,
	  "[] addresses it may not send to: wildcards, ',' separated ('*@rival.com,boss@*')" },
	{ "allow_bcc", KEY_BOOL, "[true] false: every recipient must be in To: or Cc:" },
	{ "internet_mail", KEY_BOOL, "[true] false: it may send to local domains only" },
	{ "max_message_size_kb", KEY_SIZE,
	  "[0] largest message it may send in kB, 0 no limit of its own" },
	{ "quota_mb", KEY_MB, "[quota.default_mb] mailbox quota in MB (1048576 bytes), 0 none" },
	/* the status server's (status-perms.h) */
	{ STATUS_PERMS_KEY, KEY_PERMS,
	  "[status.admin_/user_permissions] the status server's permissions (docs/status-"
	  "protocol.md), ',' separated: view_connection view_totals view_users view_log "
	  "connect shutdown receive_im send_im, all, none" },
	/* the account's own signatures (smtp-signature.c): from SIG_KEY0 on, in this order */
	{ "signature_text", KEY_TEXT,
	  "[none] its own signature on mail to remote recipients (\\n a new line; before the "
	  "domain's or the server's)" },
	{ "signature_html", KEY_HTML, "[signature_text] its own signature for HTML parts: HTML" },
	{ "internal_signature_text", KEY_TEXT,
	  "[none] its own signature on mail whose recipients are all local" },
	{ "internal_signature_html", KEY_HTML,
	  "[internal_signature_text] the internal signature for HTML parts: HTML" },
};

static int key_index(const char *key)
{
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		if (strcmp(keys[i].name, key) == 0)
			return (int)i;
	return -1;
}

bool send_policy_is_key(const char *key)
{
	return key != NULL && key_index(key) >= 0;
}

const char *send_policy_key(size_t i, const char **help_r)
{
	if (i >= sizeof(keys) / sizeof(keys[0]))
		return NULL;
	*help_r = keys[i].help;
	return keys[i].name;
}

void send_policy_init(struct send_policy *p)
{
	memset(p, 0, sizeof(*p));
	p->allow_bcc = p->internet_mail = true;
	p->per_hour = p->per_day = p->quota_mb = -1;
}

void send_policy_deinit(struct send_policy *p)
{
	pb_strv_clear(&p->forbidden);
	free(p->outgoing.text);
	free(p->outgoing.html);
	free(p->internal.text);
	free(p->internal.html);
	memset(&p->outgoing, 0, sizeof(p->outgoing));
	memset(&p->internal, 0, sizeof(p->internal));
}

/* A pattern as stored: 1..SEND_POLICY_PATTERN_MAX printable octets, no space, no comma, and a
 * wildcard (not a "/regex/", which mime_match would also take). NULL or why not. */
static const char *pattern_error(const char *s)
{
	size_t len = strlen(s);

	if (len == 0 || len > SEND_POLICY_PATTERN_MAX)
		return "forbidden_recipients: a pattern must be 1 to 320 characters";
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)s[i] <= ' ' || s[i] == ',' || s[i] == 0x7f)
			return "forbidden_recipients: a pattern may not hold spaces, commas or control characters";
	if (mime_match_is_regex(s))
		return "forbidden_recipients: patterns are wildcards (* and ?), not regular expressions";
	return NULL;
}

/* Why item cannot be a status_permissions value (an array of known names), or NULL. */
static const char *perms_error(const cJSON *item)
{
	const cJSON *e;
	uint32_t mask;
	const char *error = "status_permissions must be a list of permission names";

	if (!cJSON_IsArray(item))
		return error;
	cJSON_ArrayForEach(e, item)
	{
		if (!cJSON_IsString(e) || status_perms_parse(e->valuestring, &mask, &error) < 0)
			return error;
	}
	return NULL;
}

/* The JSON array of a status_permissions list as the CLI writes it ("view_log,send_im"; ""
 * none), NULL when a name is not one. */
static cJSON *perms_value(const char *value)
{
	uint32_t mask;
	const char *error;
	struct pb_buf names;

	if (status_perms_parse(value, &mask, &error) < 0)
		return NULL;
	pb_buf_init(&names);
	status_perms_format(mask, &names);
	cJSON *list = cJSON_CreateArray();
	char *save = NULL;
	for (char *w = strtok_r(names.len > 0 ? names.data : (char *)"", ",", &save); w != NULL;
	     w = strtok_r(NULL, ",", &save))
		cJSON_AddItemToArray(list, cJSON_CreateString(w));
	pb_buf_deinit(&names);
	return list;
}

/* Why item cannot be a signature text of at most max octets, or NULL. */
static const char *text_error(const cJSON *item, size_t max)
{
	if (!cJSON_IsString(item) || strlen(item->valuestring) > max)
		return "too long";
	for (const char *c = item->valuestring; *c != '\0'; c++)
		if (((unsigned char)*c < ' ' && *c != '\t' && *c != '\r' && *c != '\n') || *c == 0x7f)
			return "control characters";
	return NULL;
}

/* Why item cannot be the value of key type t (a JSON value), or NULL when it can. */
static const char *value_error(enum key_type t, const cJSON *item)
{
	const cJSON *e;
	double max = t == KEY_COUNT ? SEND_POLICY_COUNT_MAX
		   : t == KEY_MB    ? SEND_POLICY_QUOTA_MB_MAX
				    : SEND_POLICY_SIZE_KB_MAX;

	if (t == KEY_BOOL)
		return cJSON_IsBool(item) ? NULL : "must be true or false";
	if (t == KEY_PERMS)
		return perms_error(item);
	if (t == KEY_TEXT || t == KEY_HTML)
		return text_error(item, t == KEY_TEXT ? SEND_POLICY_SIG_TEXT_MAX : SEND_POLICY_SIG_HTML_MAX);
	if (t != KEY_LIST) {
		double v = cJSON_IsNumber(item) ? item->valuedouble : -1;
		if (v < 0 || v > max || v != (double)(uint64_t)v)
			return t == KEY_COUNT ? "must be a whole number from 0 to 1000000"
			       : t == KEY_MB  ? "must be a whole number of MB from 0 to 1048576"
					      : "must be a whole number of kB from 0 to 1048576";
		return NULL;
	}
	if (!cJSON_IsArray(item) || cJSON_GetArraySize(item) > SEND_POLICY_PATTERNS_MAX)
		return "must be a list of at most 1000 patterns";
	cJSON_ArrayForEach(e, item)
	{
		const char *why = cJSON_IsString(e) ? pattern_error(e->valuestring)
						    : "must be a list of patterns";
		if (why != NULL)
			return why;
	}
	return NULL;
}

/* Stores the signature key i (>= SIG_KEY0, valid) into p; "" is none. */
static void signature_take(struct send_policy *p, int i, const cJSON *item)
{
	struct send_signature *sig = i - SIG_KEY0 < 2 ? &p->outgoing : &p->internal;
	char **field = (i - SIG_KEY0) % 2 == 0 ? &sig->text : &sig->html;

	free(*field);
	*field = item->valuestring[0] != '\0' ? xstrdup(item->valuestring) : NULL;
}

/* Stores item (valid for key i) into p. */
static void policy_take(struct send_policy *p, int i, const cJSON *item)
{
	const cJSON *e;

	if (i >= SIG_KEY0)
		return signature_take(p, i, item);
	switch (i) {
	case 0: p->send_as_any = cJSON_IsTrue(item); break;
	case 1: p->per_hour = (int64_t)item->valuedouble; break;
	case 2: p->per_day = (int64_t)item->valuedouble; break;
	case 3:
		pb_strv_clear(&p->forbidden);
		cJSON_ArrayForEach(e, item) pb_strv_push(&p->forbidden, e->valuestring);
		break;
	case 4: p->allow_bcc = cJSON_IsTrue(item); break;
	case 5: p->internet_mail = cJSON_IsTrue(item); break;
	case 6: p->max_size_kb = (uint64_t)item->valuedouble; break;
	case 8: break; /* status_permissions: the status server reads it (status-perms.h) */
	default: p->quota_mb = (int64_t)item->valuedouble; break;
	}
}

void send_policy_from_json(const char *settings_json, struct send_policy *p_r)
{
	send_policy_init(p_r);
	cJSON *doc = cJSON_Parse(settings_json != NULL && settings_json[0] ? settings_json : "{}");
	if (!cJSON_IsObject(doc)) {
		cJSON_Delete(doc);
		return;
	}
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		const cJSON *item = cJSON_GetObjectItemCaseSensitive(doc, keys[i].name);
		if (item != NULL && value_error(keys[i].type, item) == NULL)
			policy_take(p_r, (int)i, item);
	}
	cJSON_Delete(doc);
}

/* The settings object to change: parsed, or a new {} (NULL when it is not an object). */
static cJSON *settings_doc(const char *settings_json, const char **error_r)
{
	cJSON *doc = cJSON_Parse(settings_json != NULL && settings_json[0] ? settings_json : "{}");

	if (!cJSON_IsObject(doc)) {
		cJSON_Delete(doc);
		*error_r = "the account's settings are not a JSON object";
		return NULL;
	}
	return doc;
}

int send_policy_parse_bool(const char *v, bool *b_r)
{
	static const char *const yes[] = { "true", "yes", "on", "1" }, *const no[] = { "false", "no", "off", "0" };

	for (size_t i = 0; i < 4; i++) {
		if (strcasecmp(v, yes[i]) == 0 || strcasecmp(v, no[i]) == 0) {
			*b_r = strcasecmp(v, yes[i]) == 0;
			return 0;
		}
	}
	return -1;
}

/* The JSON value of the CLI's text for key type t (NULL: not a value of that type). */
static cJSON *value_of(enum key_type t, const char *value)
{
	bool b;
	char *end;

	if (t == KEY_BOOL)
		return send_policy_parse_bool(value, &b) == 0 ? cJSON_CreateBool(b) : NULL;
	if (t == KEY_PERMS)
		return perms_value(value);
	if (t == KEY_TEXT || t == KEY_HTML)
		return cJSON_CreateString(value);
	if (t != KEY_LIST) {
		if (value[0] < '0' || value[0] > '9' || strlen(value) > 10)
			return NULL;
		unsigned long long n = strtoull(value, &end, 10);
		return *end == '\0' ? cJSON_CreateNumber((double)n) : NULL;
	}
	cJSON *list = cJSON_CreateArray();
	char *copy = xstrdup(value), *save = NULL;
	for (char *tok = strtok_r(copy, ",", &save); tok != NULL; tok = strtok_r(NULL, ",", &save)) {
		while (*tok == ' ')
			tok++;
		size_t n = strlen(tok);
		while (n > 0 && tok[n - 1] == ' ')
			tok[--n] = '\0';
		if (n > 0)
			cJSON_AddItemToArray(list, cJSON_CreateString(tok));
	}
	free(copy);
	return list;
}

/* The value error for the CLI, naming the key ("max_messages_per_hour must be ..."). */
static const char *named_error(int i, const char *why)
{
	if (keys[i].type == KEY_PERMS)
		return "status_permissions is a list of: view_connection, view_totals, view_users, "
		       "view_log, connect, shutdown, receive_im, send_im (or all, none)";
	if (strncmp(why, "forbidden_recipients", 20) == 0)
		return why;
	if (keys[i].type == KEY_TEXT || keys[i].type == KEY_HTML)
		return keys[i].type == KEY_TEXT
			       ? "signature texts are at most 2000 characters, without control characters"
			       : "signature HTML is at most 4000 characters, without control characters";
	switch (keys[i].type) {
	case KEY_BOOL: return i == 0 ? "send_as_any must be true or false"
			      : i == 4 ? "allow_bcc must be true or false"
				       : "internet_mail must be true or false";
	case KEY_COUNT: return i == 1 ? "max_messages_per_hour must be a whole number from 0 to 1000000"
				      : "max_messages_per_day must be a whole number from 0 to 1000000";
	case KEY_SIZE: return "max_message_size_kb must be a whole number of kB from 0 to 1048576";
	case KEY_MB: return "quota_mb must be a whole number of MB from 0 to 1048576";
	default: return "forbidden_recipients must be a comma-separated list of patterns";
	}
}

/* Prints doc into *json_r and frees it. 0. */
static int finish(cJSON *doc, char **json_r)
{
	char *text = cJSON_PrintUnformatted(doc);
	*json_r = xstrdup(text);
	cJSON_free(text);
	cJSON_Delete(doc);
	return 0;
}

int send_policy_set(const char *settings_json, const char *key, const char *value, char **json_r,
		    const char **error_r)
{
	int i = key != NULL ? key_index(key) : -1;

	if (i < 0) {
		*error_r = "unknown setting: the keys are send_as_any, max_messages_per_hour, "
			   "max_messages_per_day, forbidden_recipients, allow_bcc, internet_mail, "
			   "max_message_size_kb, quota_mb, status_permissions, signature_text, "
			   "signature_html, internal_signature_text, internal_signature_html";
		return -1;
	}
	cJSON *item = value_of(keys[i].type, value != NULL ? value : "");
	const char *why = item == NULL ? "bad value" : value_error(keys[i].type, item);
	if (why != NULL) {
		*error_r = named_error(i, why);
		cJSON_Delete(item);
		return -1;
	}
	cJSON *doc = settings_doc(settings_json, error_r);
	if (doc == NULL) {
		cJSON_Delete(item);
		return -1;
	}
	cJSON_DeleteItemFromObjectCaseSensitive(doc, key);
	cJSON_AddItemToObject(doc, key, item);
	return finish(doc, json_r);
}

int send_policy_unset(const char *settings_json, const char *key, char **json_r,
		      const char **error_r)
{
	if (key == NULL || key_index(key) < 0) {
		*error_r = "unknown setting: the keys are send_as_any, max_messages_per_hour, "
			   "max_messages_per_day, forbidden_recipients, allow_bcc, internet_mail, "
			   "max_message_size_kb, quota_mb, status_permissions, signature_text, "
			   "signature_html, internal_signature_text, internal_signature_html";
		return -1;
	}
	cJSON *doc = settings_doc(settings_json, error_r);
	if (doc == NULL)
		return -1;
	cJSON_DeleteItemFromObjectCaseSensitive(doc, key);
	return finish(doc, json_r);
}

int send_policy_check_json(const char *settings_json, const char **error_r)
{
	cJSON *doc = settings_doc(settings_json, error_r);
	int rc = 0;

	if (doc == NULL)
		return -1;
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]) && rc == 0; i++) {
		const cJSON *item = cJSON_GetObjectItemCaseSensitive(doc, keys[i].name);
		const char *why = item != NULL ? value_error(keys[i].type, item) : NULL;
		if (why != NULL) {
			*error_r = named_error((int)i, why);
			rc = -1;
		}
	}
	cJSON_Delete(doc);
	return rc;
}

static void format_count(struct pb_buf *out, const char *key, int64_t v, const char *setting)
{
	if (v < 0)
		pb_buf_printf(out, "%s: default (%s)\n", key, setting);
	else
		pb_buf_printf(out, "%s: %lld%s\n", key, (long long)v, v == 0 ? " (no limit)" : "");
}

/* "key: text" on one line (line breaks shown as \n), or "key: (none)". */
static void format_text(struct pb_buf *out, const char *key, const char *text)
{
	pb_buf_printf(out, "%s:%s", key, text == NULL ? " (none)" : " ");
	for (const char *c = text; c != NULL && *c != '\0'; c++)
		if (*c == '\n')
			pb_buf_printf(out, "\\n");
		else if (*c != '\r')
			pb_buf_printf(out, "%c", *c);
	pb_buf_printf(out, "\n");
}

void send_policy_format(const struct send_policy *p, struct pb_buf *out)
{
	pb_buf_printf(out, "send_as_any: %s\n", p->send_as_any ? "true" : "false");
	format_count(out, "max_messages_per_hour", p->per_hour, "limits.user_messages_per_hour");
	format_count(out, "max_messages_per_day", p->per_day, "limits.user_messages_per_day");
	pb_buf_printf(out, "forbidden_recipients:");
	for (uint32_t i = 0; i < p->forbidden.n; i++)
		pb_buf_printf(out, "%s%s", i == 0 ? " " : ", ", p->forbidden.v[i]);
	pb_buf_printf(out, "%s\n", p->forbidden.n == 0 ? " (none)" : "");
	pb_buf_printf(out, "allow_bcc: %s\ninternet_mail: %s\n", p->allow_bcc ? "true" : "false",
		      p->internet_mail ? "true" : "false");
	pb_buf_printf(out, "max_message_size_kb: %llu%s\n", (unsigned long long)p->max_size_kb,
		      p->max_size_kb == 0 ? " (no limit)" : "");
	format_count(out, "quota_mb", p->quota_mb, "quota.default_mb");
	format_text(out, "signature_text", p->outgoing.text);
	format_text(out, "signature_html", p->outgoing.html);
	format_text(out, "internal_signature_text", p->internal.text);
	format_text(out, "internal_signature_html", p->internal.html);
}

uint32_t send_policy_limit(int64_t own, uint32_t node_default)
{
	return own >= 0 ? (uint32_t)own : node_default;
}

const char *send_policy_forbidden(const struct pb_strv *patterns, const char *address)
{
	const char *error;

	for (uint32_t i = 0; i < patterns->n; i++) {
		struct mime_match *m;
		if (mime_match_compile(patterns->v[i], &m, &error) < 0)
			continue;
		int hit = mime_match_run(m, address, strlen(address), &error);
		mime_match_free(&m);
		if (hit > 0)
			return patterns->v[i];
	}
	return NULL;
}

/* Appends the addresses (mailbox@domain, lowercase) of one To: or Cc: value to seen. */
static void collect(const char *value, size_t len, struct pb_strv *seen)
{
	struct mime_address_list list;
	char addr[1024];

	mime_address_list_parse(value, len, &list);
	for (unsigned i = 0; i < list.n; i++) {
		const struct mime_address *a = &list.v[i];
		if (a->kind != MIME_ADDRESS_MAILBOX || a->mailbox == NULL || a->domain == NULL)
			continue;
		snprintf(addr, sizeof(addr), "%s@%s", a->mailbox, a->domain);
		pb_strv_push(seen, addr);
	}
	mime_address_list_free(&list);
}

static bool seen_has(const struct pb_strv *seen, const char *rcpt)
{
	for (uint32_t i = 0; i < seen->n; i++)
		if (strcasecmp(seen->v[i], rcpt) == 0)
			return true;
	return false;
}

const char *send_policy_bcc_missing(const char *header, size_t len, const char *const *rcpts,
				    size_t n)
{
	struct mime_header_iter it;
	struct mime_header_field f;
	struct pb_strv seen = { 0 };
	const char *missing = NULL;

	mime_header_iter_init(&it, header, len);
	while (mime_header_iter_next(&it, &f) > 0) {
		if (f.name_len == 2 && (strncasecmp(f.name, "To", 2) == 0 ||
					strncasecmp(f.name, "Cc", 2) == 0))
			collect(f.value, f.value_len, &seen);
	}
	mime_header_iter_deinit(&it);
	for (size_t i = 0; i < n && missing == NULL; i++)
		if (!seen_has(&seen, rcpts[i]))
			missing = rcpts[i];
	pb_strv_clear(&seen);
	return missing;
}

uint64_t send_policy_max_size(uint64_t own_kb, uint64_t max)
{
	if (own_kb == 0)
		return max;
	uint64_t own = own_kb * 1024;
	return max == 0 || own < max ? own : max;
}
