/*
 * collector-def.c: a mail collector's definition (see collector-def.h).
 * OWNS: nothing beyond the struct's strings. THREAD: any.
 */
#include "collector-def.h"

#include "pb-alloc.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static const char *const tls_names[] = { "none", "ssl", "stls" };
static const char *const auth_names[] = { "user", "apop", "plain", "cram-md5" };
static const char *const route_names[] = { "headers", "user", "smtp" };
static const char *const protocol_names[] = { "pop3", "imap" };

void collector_def_init(struct collector_def *d, const char *name)
{
	memset(d, 0, sizeof(*d));
	snprintf(d->name, sizeof(d->name), "%s", name);
	d->tls_verify = true;
	d->default_mappings = true;
	d->enabled = true;
	d->idle_s = COLLECTOR_IDLE_DEFAULT_S;
}

void collector_def_free(struct collector_def *d)
{
	free(d->server);
	free(d->user);
	free(d->target);
	free(d->domains);
	free(d->fields);
	free(d->mappings);
	free(d->tls_ca);
	if (d->password != NULL) {
		explicit_bzero(d->password, strlen(d->password));
		free(d->password);
	}
	memset(d, 0, sizeof(*d));
}

uint16_t collector_def_port(const struct collector_def *d)
{
	if (d->port != 0)
		return d->port;
	if (d->protocol == COLLECTOR_PROTO_IMAP)
		return d->tls == COLLECTOR_TLS_SSL ? 993 : 143;
	return d->tls == COLLECTOR_TLS_SSL ? 995 : 110;
}

/* The index of value in names, or -1. */
static int name_index(const char *const *names, size_t n, const char *value)
{
	for (size_t i = 0; i < n; i++)
		if (strcasecmp(names[i], value) == 0)
			return (int)i;
	return -1;
}

static int parse_bool(const char *v, bool *out)
{
	if (strcasecmp(v, "true") == 0 || strcasecmp(v, "yes") == 0 || strcasecmp(v, "on") == 0 ||
	    strcmp(v, "1") == 0)
		*out = true;
	else if (strcasecmp(v, "false") == 0 || strcasecmp(v, "no") == 0 ||
		 strcasecmp(v, "off") == 0 || strcmp(v, "0") == 0)
		*out = false;
	else
		return -1;
	return 0;
}

static int parse_u32(const char *v, uint32_t max, uint32_t *out)
{
	char *end;
	errno = 0;
	unsigned long n = strtoul(v, &end, 10);
	if (*v == '\0' || *end != '\0' || errno != 0 || n > max || v[0] == '-')
		return -1;
	*out = (uint32_t)n;
	return 0;
}

static void set_str(char **field, const char *v)
{
	free(*field);
	*field = xstrdup(v);
}

/* An enumerated key: 1 it was one (set, or -1 with error_r), 0 not one of them. */
static int set_enum(struct collector_def *d, const char *key, const char *v, const char **error_r)
{
	int i;

	if (strcmp(key, "tls") == 0) {
		if ((i = name_index(tls_names, 3, v)) < 0)
			return *error_r = "tls is none, ssl or stls", -1;
		d->tls = (uint8_t)i;
	} else if (strcmp(key, "auth") == 0) {
		if ((i = name_index(auth_names, 4, v)) < 0)
			return *error_r = "auth is user, apop, plain or cram-md5", -1;
		d->auth = (uint8_t)i;
	} else if (strcmp(key, "route") == 0) {
		if ((i = name_index(route_names, 3, v)) < 0)
			return *error_r = "route is headers, user or smtp", -1;
		d->route = (uint8_t)i;
	} else if (strcmp(key, "protocol") == 0) {
		if ((i = name_index(protocol_names, 2, v)) < 0)
			return *error_r = "protocol is pop3 or imap", -1;
		d->protocol = (uint8_t)i;
	} else {
		return 0;
	}
	return 1;
}

/* A number or boolean key: 1 set (or -1), 0 not one. */
static int set_scalar(struct collector_def *d, const char *key, const char *v,
		      const char **error_r)
{
	uint32_t n;

	if (strcmp(key, "port") == 0) {
		if (parse_u32(v, 65535, &n) < 0)
			return *error_r = "port is 0 (the default) to 65535", -1;
		d->port = (uint16_t)n;
	} else if (strcmp(key, "max_kb") == 0) {
		if (parse_u32(v, 4u << 20, &d->max_kb) < 0)
			return *error_r = "max_kb is 0 (no limit) to 4194304", -1;
	} else if (strcmp(key, "leave_days") == 0) {
		if (parse_u32(v, 3650, &d->leave_days) < 0)
			return *error_r = "leave_days is 0 to 3650", -1;
	} else if (strcmp(key, "interval_min") == 0) {
		if (parse_u32(v, 10080, &d->interval_min) < 0)
			return *error_r = "interval_min is 0 (never by itself) to 10080", -1;
	} else if (strcmp(key, "idle_s") == 0) {
		if (parse_u32(v, 3600, &d->idle_s) < 0)
			return *error_r = "idle_s is 0 (no IDLE) to 3600", -1;
	} else if (strcmp(key, "tls_verify") == 0 || strcmp(key, "default_mappings") == 0 ||
		   strcmp(key, "enabled") == 0) {
		bool *b = key[0] == 't' ? &d->tls_verify : key[0] == 'd' ? &d->default_mappings
									   : &d->enabled;
		if (parse_bool(v, b) < 0)
			return *error_r = "a boolean is true or false", -1;
	} else {
		return 0;
	}
	return 1;
}

/* A text key: 1 set, 0 not one. */
static int set_text(struct collector_def *d, const char *key, const char *v)
{
	char **field = strcmp(key, "server") == 0     ? &d->server
		       : strcmp(key, "user") == 0     ? &d->user
		       : strcmp(key, "password") == 0 ? &d->password
		       : strcmp(key, "target") == 0   ? &d->target
		       : strcmp(key, "domains") == 0  ? &d->domains
		       : strcmp(key, "fields") == 0   ? &d->fields
		       : strcmp(key, "mappings") == 0 ? &d->mappings
		       : strcmp(key, "tls_ca") == 0   ? &d->tls_ca
						      : NULL;
	if (field == NULL)
		return 0;
	if (field == &d->password && d->password != NULL)
		explicit_bzero(d->password, strlen(d->password));
	set_str(field, v);
	return 1;
}

int collector_def_set(struct collector_def *d, const char *kv, const char **error_r)
{
	char key[32];
	const char *eq = strchr(kv, '=');

	if (eq == NULL || eq == kv || (size_t)(eq - kv) >= sizeof(key)) {
		*error_r = "a setting is key=value";
		return -1;
	}
	snprintf(key, sizeof(key), "%.*s", (int)(eq - kv), kv);
	const char *v = eq + 1;
	int rc = set_enum(d, key, v, error_r);
	if (rc == 0)
		rc = set_scalar(d, key, v, error_r);
	if (rc == 0)
		rc = set_text(d, key, v);
	if (rc == 0)
		*error_r = "unknown key (see pillarbox help collector add)";
	return rc > 0 ? 0 : -1;
}

static bool empty(const char *s)
{
	return s == NULL || s[0] == '\0';
}

int collector_def_check(const struct collector_def *d, const char **error_r)
{
	if (empty(d->server))
		return *error_r = "server is required", -1;
	if (empty(d->user))
		return *error_r = "user is required", -1;
	if (d->route != COLLECTOR_ROUTE_HEADERS && empty(d->target))
		return *error_r = "route=user and route=smtp need a target", -1;
	if (d->route == COLLECTOR_ROUTE_SMTP && strchr(d->target, '@') == NULL)
		return *error_r = "route=smtp needs an address as target", -1;
	if (d->protocol == COLLECTOR_PROTO_IMAP && d->route != COLLECTOR_ROUTE_USER)
		return *error_r = "protocol=imap migrates into one user: route=user target=USER", -1;
	if (d->protocol == COLLECTOR_PROTO_IMAP && d->auth != COLLECTOR_AUTH_USER &&
	    d->auth != COLLECTOR_AUTH_PLAIN)
		return *error_r = "protocol=imap takes auth=user (LOGIN) or auth=plain", -1;
	if (d->route == COLLECTOR_ROUTE_HEADERS && empty(d->domains) && empty(d->mappings))
		return *error_r = "route=headers needs domains (Accepted Domains) or mappings", -1;
	return 0;
}

static void add_str(cJSON *o, const char *key, const char *v)
{
	cJSON_AddStringToObject(o, key, v != NULL ? v : "");
}

char *collector_def_to_json(const struct collector_def *d, bool with_password)
{
	cJSON *o = cJSON_CreateObject();

	add_str(o, "protocol", protocol_names[d->protocol]);
	add_str(o, "server", d->server);
	cJSON_AddNumberToObject(o, "port", collector_def_port(d));
	add_str(o, "tls", tls_names[d->tls]);
	cJSON_AddBoolToObject(o, "tls_verify", d->tls_verify);
	add_str(o, "tls_ca", d->tls_ca);
	add_str(o, "user", d->user);
	if (with_password)
		add_str(o, "password", d->password);
	add_str(o, "auth", auth_names[d->auth]);
	add_str(o, "route", route_names[d->route]);
	add_str(o, "target", d->target);
	add_str(o, "domains", d->domains);
	add_str(o, "fields", d->fields);
	add_str(o, "mappings", d->mappings);
	cJSON_AddBoolToObject(o, "default_mappings", d->default_mappings);
	cJSON_AddNumberToObject(o, "max_kb", d->max_kb);
	cJSON_AddNumberToObject(o, "leave_days", d->leave_days);
	cJSON_AddNumberToObject(o, "interval_min", d->interval_min);
	if (d->protocol == COLLECTOR_PROTO_IMAP)
		cJSON_AddNumberToObject(o, "idle_s", d->idle_s);
	cJSON_AddBoolToObject(o, "enabled", d->enabled);
	char *text = cJSON_PrintUnformatted(o);
	cJSON_Delete(o);
	char *out = xstrdup(text);
	cJSON_free(text);
	return out;
}

/* Sets key from a JSON member through collector_def_set (one path for every key). */
static int from_member(struct collector_def *d, const cJSON *m, const char **error_r)
{
	char buf[4096];
	char num[32];
	const char *v = NULL;

	if (cJSON_IsString(m))
		v = m->valuestring;
	else if (cJSON_IsBool(m))
		v = cJSON_IsTrue(m) ? "true" : "false";
	else if (cJSON_IsNumber(m))
		v = (snprintf(num, sizeof(num), "%.0f", m->valuedouble), num);
	if (v == NULL || snprintf(buf, sizeof(buf), "%s=%s", m->string, v) >= (int)sizeof(buf))
		return *error_r = "a stored setting is malformed", -1;
	int rc = collector_def_set(d, buf, error_r);
	explicit_bzero(buf, sizeof(buf));
	return rc;
}

int collector_def_from_json(const char *name, const char *json, struct collector_def *d,
			    const char **error_r)
{
	cJSON *o = cJSON_Parse(json);
	const cJSON *m;

	collector_def_init(d, name);
	if (!cJSON_IsObject(o)) {
		cJSON_Delete(o);
		return *error_r = "a stored collector is not JSON", -1;
	}
	cJSON_ArrayForEach(m, o) {
		if (from_member(d, m, error_r) < 0) {
			cJSON_Delete(o);
			return -1;
		}
	}
	cJSON_Delete(o);
	return 0;
}
