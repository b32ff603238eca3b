/*
 * pb-settings.h: the live settings, generated from settings.def — a typed struct per document
 * (struct pb_settings_smtp ...), struct pb_settings holding them all, the defaults, the
 * validation of a change (pb_settings_merge), the loading of a stored document and the JSON
 * rendering of the values in effect.
 *
 * A stored document holds only the keys an administrator set; every other key has its default,
 * so a default changed by a later version applies to whoever did not choose.
 * Pure code: no store, no nng, no clock. The current values of a running node are an
 * immutable snapshot in the runtime (pb-settings-snapshot.h).
 * OWNS: nothing. THREAD: any.
 */
#ifndef PB_SETTINGS_H
#define PB_SETTINGS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PB_SETTING_CTYPE_U32 uint32_t
#define PB_SETTING_CTYPE_U64 uint64_t

/* struct pb_settings_DOC { TYPE key; ... } for each document. */
#define PB_SETTINGS_DOC(doc, help) struct pb_settings_##doc {
#define PB_SETTING(doc, key, type, def, min, max, help) PB_SETTING_CTYPE_##type key;
#define PB_SETTINGS_DOC_END(doc) };
#include "settings.def"
#undef PB_SETTINGS_DOC
#undef PB_SETTING
#undef PB_SETTINGS_DOC_END

/* Every document: s->smtp.max_recipients, s->storage.min_free_mb, ... */
struct pb_settings {
#define PB_SETTINGS_DOC(doc, help) struct pb_settings_##doc doc;
#define PB_SETTING(doc, key, type, def, min, max, help)
#define PB_SETTINGS_DOC_END(doc)
#include "settings.def"
#undef PB_SETTINGS_DOC
#undef PB_SETTING
#undef PB_SETTINGS_DOC_END
};

enum pb_setting_type { PB_SETTING_U32, PB_SETTING_U64 };

/* One row of the table, for generic code (validation, rendering, the docs generator). */
struct pb_setting_desc {
	const char *doc, *key;
	enum pb_setting_type type;
	uint64_t def, min, max;
	const char *help;
	size_t offset; /* of the field in struct pb_settings */
};
struct pb_settings_doc_desc {
	const char *name, *help;
};
extern const struct pb_setting_desc pb_setting_descs[];
extern const size_t pb_n_settings;
extern const struct pb_settings_doc_desc pb_settings_docs[];
extern const size_t pb_n_settings_docs;

/* Every key at its default. */
void pb_settings_defaults(struct pb_settings *s);
/* The defaults, as a static object (never freed). */
const struct pb_settings *pb_settings_default(void);
/* True if doc names a document of the table. */
bool pb_settings_doc_known(const char *doc);
/* 0 if doc names a document of the table; else -1 with *error_r (allocated, the caller frees
 * it): 'unknown settings document "x" (known: smtp, ...)'. */
int pb_settings_check_doc(const char *doc, char **error_r);
/* The value of row d in s (widened to 64 bits). */
uint64_t pb_setting_value(const struct pb_settings *s, const struct pb_setting_desc *d);

/* Sets every key of document doc in s from the stored document json (NULL: none stored, so
 * every key takes its default). Stored values that fail validation (written by an older
 * version, or by hand) keep the default: returns how many there were, and when any, the first
 * problem in *problem_r (allocated; the caller frees it; NULL otherwise). Returns -1 with
 * *problem_r set if doc is unknown (s unchanged). */
int pb_settings_load(struct pb_settings *s, const char *doc, const char *json, char **problem_r);

/* Validates patch (a JSON object) against document doc and merges it into stored (the JSON
 * now in the store, NULL if none): the keys patch gives change, a key given as null returns to
 * its default, the others keep their stored value (stored values that fail validation are
 * dropped). On 0, *merged_r is the document to store (allocated, compact JSON of the explicit
 * keys only; the caller frees it). On -1 nothing is merged and *error_r (allocated, the caller
 * frees it) names the document, the key and what is allowed, e.g.
 * "smtp.max_recipients: expected an integer from 1 to 10000"; refused are an unknown document,
 * a patch that is not an object, an unknown key, a wrong type, an out-of-range value. */
int pb_settings_merge(const char *doc, const char *stored, const char *patch, char **merged_r,
		      char **error_r);

/* The values of document doc in s as a JSON object with every key (defaults included), one key
 * per line. Allocated (the caller frees it); NULL if doc is unknown. */
char *pb_settings_render(const struct pb_settings *s, const char *doc);

#endif
