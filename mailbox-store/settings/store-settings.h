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

/* ---- The history of settings documents: every change sys makes, with who, when, and the
 * document before and after (as stored: secrets sealed), numbered 1, 2, ... in order. The
 * oldest are dropped past PB_SETTING_HISTORY_MAX. The history keys share the settings family
 * under a leading NUL, which no document key can have. ------------------------------------- */

#define PB_SETTING_HISTORY_MAX 1000

struct pb_setting_change {
	uint64_t seq;
	uint64_t at_ms;
	char *by;     /* who: "cli:root", "web:admin", "upgrade" */
	char *doc;    /* the document's key; "" for a checkpoint (no document changed) */
	char *before; /* the stored document before, NULL when it had never been set */
	char *after;  /* the stored document after (NULL for a checkpoint) */
	char *note;   /* "", or what the change was ("rollback of #12", "checkpoint before 0.2.0") */
};
void pb_setting_change_free(struct pb_setting_change *c);

/* Stores json under key and records the change (c: by, doc = key, before, note; seq and
 * at_ms are set here, at_ms from the wall clock) in one synced batch. json NULL records a
 * checkpoint only (c->doc ""). Returns 0 with *seq_r (may be NULL) / -1. The caller is the
 * only writer of the history (sys). */
int pb_store_setting_put_logged(struct pb_store *s, const char *key, const char *json,
				const struct pb_setting_change *c, uint64_t *seq_r,
				const char **error_r);
/* The changes with seq < before (0: from the newest), newest first, at most limit: *v_r
 * (free each with pb_setting_change_free, then the array) and *n_r. 0 / -1. */
int pb_store_setting_history(struct pb_store *s, uint64_t before, size_t limit,
			     struct pb_setting_change **v_r, size_t *n_r, const char **error_r);
/* One change by its number: 1 found (*c_r), 0 not kept (never made, or dropped), -1. */
int pb_store_setting_change_get(struct pb_store *s, uint64_t seq, struct pb_setting_change *c_r,
				const char **error_r);

#endif
