/*
 * pb-settings.h: the live settings, generated from settings.def — a typed struct per document
 * (struct pb_settings_smtp ...), struct pb_settings holding them all, the defaults, the
 * validation of a change (pb_settings_merge), the loading of a stored document and the JSON
 * rendering of the values in effect. Keys are integers (U32, U64: min to max) or strings
 * (STR: at most max bytes, no control characters; CIDR_LIST: the same, and a list of IP
 * networks, see pb-cidr.h; CHOICE: one word of a fixed list, e.g. "normalize" or "reject").
 *
 * A stored document holds only the keys an administrator set; every other key has its default,
 * so a default changed by a later version applies to whoever did not choose.
 * Pure code: no store, no nng, no clock. The current values of a running node are an
 * immutable snapshot in the runtime (pb-settings-snapshot.h).
 * OWNS: nothing. THREAD: any.
 */
#ifndef PB_SETTINGS_H
#define PB_SETTINGS_H

#include "pb-cidr.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The field a TYPE of settings.def becomes in struct pb_settings_DOC. A string is a fixed
 * array (max bytes and the NUL), so a snapshot stays trivially copyable; a CIDR_LIST keeps its
 * text and the list parsed from it (kept in step by pb_settings_load, pb_settings_defaults and
 * pb_settings_publish, which call pb_settings_derive). */
#define PB_SETTING_CTYPE_U32 uint32_t
#define PB_SETTING_CTYPE_U64 uint64_t
#define PB_SETTING_FIELD_U32(key, max) uint32_t key
#define PB_SETTING_FIELD_U64(key, max) uint64_t key
#define PB_SETTING_FIELD_STR(key, max) char key[(max) + 1]
#define PB_SETTING_FIELD_CHOICE(key, max) char key[(max) + 1]
#define PB_SETTING_FIELD_CIDR_LIST(key, max)                                                 \
	struct {                                                                             \
		char text[(max) + 1];                                                        \
		struct pb_cidr_list list;                                                    \
	} key

/* struct pb_settings_DOC { TYPE key; ... } for each document. */
#define PB_SETTINGS_DOC(doc, help) struct pb_settings_##doc {
#define PB_SETTING(doc, key, type, def, min, max, help) PB_SETTING_FIELD_##type(key, max);
#define PB_SETTINGS_DOC_END(doc) };
#include "settings.def"
#undef PB_SETTINGS_DOC
#undef PB_SETTING
#undef PB_SETTINGS_DOC_END

/* Every document: s->smtp.max_recipients, s->storage.min_free_mb,
 * s->limits.trusted_networks.text and .list, ... */
struct pb_settings {
#define PB_SETTINGS_DOC(doc, help) struct pb_settings_##doc doc;
#define PB_SETTING(doc, key, type, def, min, max, help)
#define PB_SETTINGS_DOC_END(doc)
#include "settings.def"
#undef PB_SETTINGS_DOC
#undef PB_SETTING
#undef PB_SETTINGS_DOC_END
};

/* Integers (U32, U64) and strings (STR, CIDR_LIST: a string that must parse as a CIDR list,
 * CHOICE: a string that must be one of the row's choices). */
enum pb_setting_type {
	PB_SETTING_U32,
	PB_SETTING_U64,
	PB_SETTING_STR,
	PB_SETTING_CIDR_LIST,
	PB_SETTING_CHOICE,
};

/* One row of the table, for generic code (validation, rendering, the docs generator). */
struct pb_setting_desc {
	const char *doc, *key, *help;
	enum pb_setting_type type;
	uint64_t def;        /* integers: the default (strings: 0) */
	uint64_t min, max;   /* integers: the range; strings: min 0, max the longest in bytes */
	const char *def_str; /* strings: the default (integers: NULL) */
	size_t offset;       /* of the value (a string's text) in struct pb_settings */
	size_t list_offset;  /* CIDR_LIST: of the parsed struct pb_cidr_list (others: 0) */
	const char *choices; /* CHOICE: the allowed words, space separated (others: NULL) */
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
/* True for the string types (STR, CIDR_LIST, CHOICE). */
bool pb_setting_is_string(const struct pb_setting_desc *d);
/* The value of integer row d in s (widened to 64 bits); 0 for a string row. */
uint64_t pb_setting_value(const struct pb_settings *s, const struct pb_setting_desc *d);
/* The text of string row d in s (points into s); NULL for an integer row. */
const char *pb_setting_text(const struct pb_settings *s, const struct pb_setting_desc *d);
/* Parses every CIDR_LIST key's text into its list (a text that does not parse, which a
 * validated value never is, gives the empty list). pb_settings_load, pb_settings_defaults
 * and pb_settings_publish call it; call it after writing a text by hand. */
void pb_settings_derive(struct pb_settings *s);

/* True if ip (inet_ntop text; IPv4-mapped IPv6 counts as IPv4) is in limits.trusted_networks:
 * exempt from the per-IP connection limits. Cheap (no parsing, no allocation): read it from
 * the snapshot per connection. Same as pb_cidr_list_match(&s->limits.trusted_networks.list,
 * ip). */
bool pb_settings_trusted(const struct pb_settings *s, const char *ip);

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
 * a patch that is not an object, an unknown key, a wrong type, an out-of-range value, a string
 * too long or with control characters, and one its type's check refuses
 * ("limits.trusted_networks: '10.0.0.0/33': prefix longer than 32",
 * "smtp.bare_newlines: expected one of: normalize reject"). */
int pb_settings_merge(const char *doc, const char *stored, const char *patch, char **merged_r,
		      char **error_r);

/* The values of document doc in s as a JSON object with every key (defaults included), one key
 * per line. Allocated (the caller frees it); NULL if doc is unknown. */
char *pb_settings_render(const struct pb_settings *s, const char *doc);

/* A text setting (no control characters allowed) as the text it stands for: the two
 * characters backslash n a line break, two backslashes one. Allocated (the caller frees it). */
char *pb_settings_unescape(const char *text);

#endif
