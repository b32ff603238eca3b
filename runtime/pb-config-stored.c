/*
 * pb-config-stored.c: the stored bindings and certificate put into the bootstrap configuration
 * (see pb-config-stored.h). OWNS nothing. THREAD: start-up / any.
 */
#include "pb-config-stored.h"

#include "pb-alloc.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Each service's key in the "services" document. */
static const size_t listen_offset[PB_SVC_COUNT] = {
	[PB_SVC_SMTP] = offsetof(struct pb_settings_services, smtp_listen),
	[PB_SVC_SUBMISSION] = offsetof(struct pb_settings_services, submission_listen),
	[PB_SVC_SMTPS] = offsetof(struct pb_settings_services, submissions_listen),
	[PB_SVC_POP3] = offsetof(struct pb_settings_services, pop3_listen),
	[PB_SVC_POP3S] = offsetof(struct pb_settings_services, pop3s_listen),
	[PB_SVC_IMAP] = offsetof(struct pb_settings_services, imap_listen),
	[PB_SVC_IMAPS] = offsetof(struct pb_settings_services, imaps_listen),
	[PB_SVC_HTTP] = offsetof(struct pb_settings_services, http_listen),
	[PB_SVC_STATUS] = offsetof(struct pb_settings_services, status_listen),
	[PB_SVC_STATUSS] = offsetof(struct pb_settings_services, statuss_listen),
};

int pb_config_bindings_parse(const char *text, struct pb_binding *b_r, size_t *n_r,
			     const char **error_r)
{
	char word[128];
	size_t n = 0;

	for (const char *p = text + strspn(text, " "); *p != '\0'; p += strspn(p, " ")) {
		size_t len = strcspn(p, " ");
		struct pb_binding b;
		if (len >= sizeof(word))
			return *error_r = "a binding is host:port, [v6]:port or *:port", -1;
		memcpy(word, p, len);
		word[len] = '\0';
		p += len;
		if (pb_binding_parse(word, &b) < 0 || b.port == 0)
			return *error_r = "a binding is host:port, [v6]:port or *:port", -1;
		if (n == PB_CONFIG_MAX_BINDINGS)
			return *error_r = "a service has at most 8 bindings", -1;
		if (b_r != NULL)
			b_r[n] = b;
		n++;
	}
	if (n == 0)
		return *error_r = "give at least one binding", -1;
	*n_r = n;
	return 0;
}

enum pb_service pb_service_by_name(const char *name)
{
	size_t len = strlen(name);

	if (len > 7 && strcmp(name + len - 7, "_listen") == 0)
		len -= 7;
	for (int s = 0; s < PB_SVC_COUNT; s++) {
		const char *n = pb_service_name((enum pb_service)s);
		if (strlen(n) == len && strncmp(n, name, len) == 0)
			return (enum pb_service)s;
	}
	return PB_SVC_COUNT;
}

/* Appends a line to *warnings_r. */
static void warn(char **warnings_r, const char *what, const char *why)
{
	char *w = xasprintf("%s%sstored %s ignored: %s", *warnings_r != NULL ? *warnings_r : "",
			    *warnings_r != NULL ? "; " : "", what, why);
	free(*warnings_r);
	*warnings_r = w;
}

static void apply_bindings(struct pb_config *cfg, const struct pb_settings_services *sv,
			   char **warnings_r)
{
	for (int s = 0; s < PB_SVC_COUNT; s++) {
		const char *text = (const char *)sv + listen_offset[s], *error;
		struct pb_binding b[PB_CONFIG_MAX_BINDINGS];
		size_t n;
		if (cfg->explicit_bindings[s] || text[0] == '\0')
			continue;
		if (pb_config_bindings_parse(text, b, &n, &error) < 0) {
			warn(warnings_r, pb_service_name((enum pb_service)s), error);
			continue;
		}
		memcpy(cfg->bindings[s], b, n * sizeof(b[0]));
		cfg->n_bindings[s] = n;
	}
}

void pb_config_apply_stored(struct pb_config *cfg, const struct pb_settings_services *sv,
			    char **warnings_r)
{
	*warnings_r = NULL;
	apply_bindings(cfg, sv, warnings_r);
	if (cfg->tls_certificate != NULL || cfg->tls_key != NULL || sv->tls_certificate[0] == '\0')
		return;
	if (sv->tls_key[0] == '\0') {
		warn(warnings_r, "tls_certificate", "tls_key is not set");
		return;
	}
	cfg->tls_certificate = xstrdup(sv->tls_certificate);
	cfg->tls_key = xstrdup(sv->tls_key);
}
