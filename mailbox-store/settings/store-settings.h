/*
 * store-settings.h: settings documents, JSON text by key (library pb_store_settings). Owner:
 * sys, which validates, publishes and writes them. Conventions: store-db.h. THREAD: any.
 */
#ifndef PB_STORE_SETTINGS_H
#define PB_STORE_SETTINGS_H

#include "store-db.h"

/* ---- Settings documents: JSON text by key ("server", "smtp", "lockout", ...) ------------ */

#define PB_SETTING_KEY_MAX 128
#define PB_SETTING_VALUE_MAX (16u * 1024 * 1024)

/* Returns 1 with *json_r (NUL-terminated, caller frees), 0 if unset, -1 on error. */
int pb_store_setting_get(struct pb_store *s, const char *key, char **json_r,
			 const char **error_r);
/* Stores json (not parsed here; the caller validates) under key. Returns 0 / -1. */
int pb_store_setting_put(struct pb_store *s, const char *key, const char *json,
			 const char **error_r);
/* Returns 1 deleted, 0 absent, -1 error. */
int pb_store_setting_delete(struct pb_store *s, const char *key, const char **error_r);

#endif
