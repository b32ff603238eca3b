/*
 * pb-config.c: bootstrap configuration file reader. OWNS the struct pb_config it fills.
 * THREAD: start-up only.
 */
#include "pb-config.h"

#include "pb-alloc.h"
#include "pb-msg.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const struct {
	const char *name;
	uint16_t port;
} services[PB_SVC_COUNT] = {
	[PB_SVC_SMTP] = { "smtp", 25 },     [PB_SVC_SUBMISSION] = { "submission", 587 },
	[PB_SVC_SMTPS] = { "submissions", 465 }, [PB_SVC_POP3] = { "pop3", 110 },
	[PB_SVC_POP3S] = { "pop3s", 995 },  [PB_SVC_IMAP] = { "imap", 143 },
	[PB_SVC_IMAPS] = { "imaps", 993 },  [PB_SVC_HTTP] = { "http", 5108 },
	[PB_SVC_STATUS] = { "status", 5109 }, [PB_SVC_STATUSS] = { "statuss", 5110 },
};

const char *pb_service_name(enum pb_service svc)
{
	return svc < PB_SVC_COUNT ? services[svc].name : "?";
}

uint16_t pb_service_default_port(enum pb_service svc)
{
	return svc < PB_SVC_COUNT ? services[svc].port : 0;
}

void pb_config_defaults(struct pb_config *cfg, uint32_t port_offset)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->data_dir = xstrdup("./var");
	cfg->hostname = NULL;
	cfg->log_level = xstrdup("info");
	cfg->node_name = xstrdup("node1");
	cfg->mailbox_shards = 4;
	cfg->port_offset = port_offset;
	for (int s = 0; s < PB_SVC_COUNT; s++) {
		snprintf(cfg->bindings[s][0].host, sizeof(cfg->bindings[s][0].host), "*");
		cfg->bindings[s][0].port = (uint16_t)(services[s].port + port_offset);
		cfg->n_bindings[s] = 1;
	}
}

void pb_config_deinit(struct pb_config *cfg)
{
	free(cfg->data_dir);
	free(cfg->hostname);
	free(cfg->tls_certificate);
	free(cfg->tls_key);
	free(cfg->tls_certificate_at);
	free(cfg->tls_key_at);
	free(cfg->log_file);
	free(cfg->security_log_file);
	free(cfg->log_level);
	free(cfg->cluster_etcd);
	free(cfg->user);
	free(cfg->node_name);
	memset(cfg, 0, sizeof(*cfg));
}

static int parse_port(const char *s, uint16_t *port_r)
{
	char *end;
	errno = 0;
	unsigned long v = strtoul(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || v == 0 || v > 65535 || !isdigit((unsigned char)*s))
		return -1;
	*port_r = (uint16_t)v;
	return 0;
}

int pb_binding_parse(const char *s, struct pb_binding *b_r)
{
	const char *colon;
	size_t hostlen;

	memset(b_r, 0, sizeof(*b_r));
	if (s[0] == '[') {
		const char *close = strchr(s, ']');
		if (close == NULL || close[1] != ':')
			return -1;
		hostlen = (size_t)(close - s - 1);
		if (hostlen == 0 || hostlen >= sizeof(b_r->host))
			return -1;
		memcpy(b_r->host, s + 1, hostlen);
		return parse_port(close + 2, &b_r->port);
	}
	colon = strrchr(s, ':');
	if (colon == NULL) {
		snprintf(b_r->host, sizeof(b_r->host), "*");
		return parse_port(s, &b_r->port);
	}
	hostlen = (size_t)(colon - s);
	if (hostlen == 0 || hostlen >= sizeof(b_r->host) || memchr(s, ':', hostlen) != NULL)
		return -1;
	memcpy(b_r->host, s, hostlen);
	return parse_port(colon + 1, &b_r->port);
}

static int set_binding(struct pb_config *cfg, enum pb_service svc, const char *value, char **error_r)
{
	struct pb_binding b;
	if (pb_binding_parse(value, &b) < 0) {
		*error_r = xasprintf("bad binding '%s' (want host:port, [v6]:port or *:port)", value);
		return -1;
	}
	if (!cfg->explicit_bindings[svc]) {
		cfg->explicit_bindings[svc] = true;
		cfg->n_bindings[svc] = 0;
	}
	if (cfg->n_bindings[svc] >= PB_CONFIG_MAX_BINDINGS) {
		*error_r = xasprintf("too many bindings for %s (at most %d)", services[svc].name,
				     PB_CONFIG_MAX_BINDINGS);
		return -1;
	}
	cfg->bindings[svc][cfg->n_bindings[svc]++] = b;
	return 0;
}

static int set_uint(uint32_t *dst, const char *value, uint32_t min, uint32_t max, char **error_r)
{
	char *end;
	errno = 0;
	unsigned long v = strtoul(value, &end, 10);
	if (errno != 0 || end == value || *end != '\0' || v < min || v > max ||
	    !isdigit((unsigned char)*value)) {
		*error_r = xasprintf("bad number '%s' (want %u..%u)", value, min, max);
		return -1;
	}
	*dst = (uint32_t)v;
	return 0;
}

static int set_string(char **dst, const char *value, char **error_r)
{
	if (*value == '\0') {
		*error_r = xstrdup("empty value");
		return -1;
	}
	free(*dst);
	*dst = xstrdup(value);
	return 0;
}

int pb_config_set(struct pb_config *cfg, const char *key, const char *value, char **error_r)
{
	char svc_name[32];
	const char *suffix = strstr(key, "_listen");

	if (suffix != NULL && suffix[7] == '\0' && (size_t)(suffix - key) < sizeof(svc_name)) {
		memcpy(svc_name, key, (size_t)(suffix - key));
		svc_name[suffix - key] = '\0';
		for (int s = 0; s < PB_SVC_COUNT; s++) {
			if (strcmp(svc_name, services[s].name) == 0)
				return set_binding(cfg, (enum pb_service)s, value, error_r);
		}
	}
	if (strcmp(key, "data_dir") == 0)
		return set_string(&cfg->data_dir, value, error_r);
	if (strcmp(key, "hostname") == 0)
		return set_string(&cfg->hostname, value, error_r);
	if (strcmp(key, "tls_certificate") == 0) {
		free(cfg->tls_certificate_at); /* the loader notes the line again */
		cfg->tls_certificate_at = NULL;
		return set_string(&cfg->tls_certificate, value, error_r);
	}
	if (strcmp(key, "tls_key") == 0) {
		free(cfg->tls_key_at);
		cfg->tls_key_at = NULL;
		return set_string(&cfg->tls_key, value, error_r);
	}
	if (strcmp(key, "log_file") == 0)
		return set_string(&cfg->log_file, value, error_r);
	if (strcmp(key, "security_log_file") == 0)
		return set_string(&cfg->security_log_file, value, error_r);
	if (strcmp(key, "cluster_etcd") == 0)
		return set_string(&cfg->cluster_etcd, value, error_r);
	if (strcmp(key, "user") == 0)
		return set_string(&cfg->user, value, error_r);
	if (strcmp(key, "node_name") == 0) {
		if (!pb_node_name_valid(value)) {
			*error_r = xasprintf("bad node name '%s' (want 1 to %d of A-Z a-z 0-9 . _ -)",
					     value, PB_NODE_NAME_MAX);
			return -1;
		}
		return set_string(&cfg->node_name, value, error_r);
	}
	if (strcmp(key, "log_level") == 0) {
		if (strcmp(value, "debug") != 0 && strcmp(value, "info") != 0 &&
		    strcmp(value, "warn") != 0 && strcmp(value, "error") != 0) {
			*error_r = xasprintf("bad log level '%s' (want debug, info, warn or error)", value);
			return -1;
		}
		return set_string(&cfg->log_level, value, error_r);
	}
	if (strcmp(key, "mailbox_shards") == 0)
		return set_uint(&cfg->mailbox_shards, value, 1, 64, error_r);
	*error_r = xasprintf("unknown key '%s'", key);
	return -1;
}

static char *trim(char *s)
{
	while (isspace((unsigned char)*s))
		s++;
	char *e = s + strlen(s);
	while (e > s && isspace((unsigned char)e[-1]))
		*--e = '\0';
	return s;
}

/* Where a TLS file was named ("PATH:LINE"), so the errors found when it is loaded (later, by
 * the TLS engine) can point at the line. */
static void note_where(struct pb_config *cfg, const char *key, const char *path, unsigned lineno)
{
	char **at = strcmp(key, "tls_certificate") == 0 ? &cfg->tls_certificate_at
		    : strcmp(key, "tls_key") == 0	  ? &cfg->tls_key_at
							  : NULL;
	if (at != NULL) {
		free(*at);
		*at = xasprintf("%s:%u", path, lineno);
	}
}

static int load_line(struct pb_config *cfg, char *line, const char *path, unsigned lineno,
		     char **reason_r)
{
	char *s = trim(line);
	if (*s == '\0' || *s == '#')
		return 0;
	char *eq = strchr(s, '=');
	if (eq == NULL) {
		*reason_r = xstrdup("expected 'key = value'");
		return -1;
	}
	*eq = '\0';
	const char *key = trim(s);
	if (pb_config_set(cfg, key, trim(eq + 1), reason_r) < 0)
		return -1;
	note_where(cfg, key, path, lineno);
	return 0;
}

int pb_config_load(struct pb_config *cfg, const char *path, char **error_r)
{
	FILE *f = fopen(path, "r");
	char line[1024];
	unsigned lineno = 0;

	if (f == NULL) {
		*error_r = xasprintf("%s: cannot open: %s", path, strerror(errno));
		return -1;
	}
	while (fgets(line, sizeof(line), f) != NULL) {
		char *reason = NULL;
		lineno++;
		if (strchr(line, '\n') == NULL && !feof(f))
			reason = xstrdup("line too long");
		if (reason == NULL && load_line(cfg, line, path, lineno, &reason) == 0)
			continue;
		*error_r = xasprintf("%s:%u: %s", path, lineno, reason);
		free(reason);
		fclose(f);
		return -1;
	}
	fclose(f);
	return 0;
}
