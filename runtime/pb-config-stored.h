/*
 * pb-config-stored.h: the service bindings and the TLS certificate an administrator set in the
 * settings store (document "services", runtime/settings.def: the web API writes them), put into
 * the bootstrap configuration at start. Precedence: an explicit value of the bootstrap file
 * (a *_listen line, tls_certificate, tls_key) wins; else the stored one; else the default.
 * Also the check of a bindings value, shared with the web API that sets it.
 * Pure: no store, no nng. THREAD: start-up (apply) / any (check). OWNS: nothing.
 */
#ifndef PB_CONFIG_STORED_H
#define PB_CONFIG_STORED_H

#include "pb-config.h"
#include "pb-settings.h"

/* Parses a space-separated list of 1..PB_CONFIG_MAX_BINDINGS bindings into b_r (*n_r of
 * them; b_r may be NULL to check only). 0, or -1 with *error_r (static text). */
int pb_config_bindings_parse(const char *text, struct pb_binding *b_r, size_t *n_r,
			     const char **error_r);
/* The service of a settings key "NAME_listen" or of a name ("http"): PB_SVC_COUNT if none. */
enum pb_service pb_service_by_name(const char *name);
/* Puts sv's non-empty values into cfg where the bootstrap file set none. A bad stored value
 * is skipped with a line in *warnings_r (allocated, NULL when none; the caller frees). */
void pb_config_apply_stored(struct pb_config *cfg, const struct pb_settings_services *sv,
			    char **warnings_r);

#endif
