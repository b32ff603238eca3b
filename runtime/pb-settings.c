/*
 * pb-settings.c: the settings table (settings.def) as data, and the generic code over it:
 * defaults, validation and merging of a change, loading a stored document, rendering.
 * OWNS: nothing (the tables are constant). THREAD: any.
 *
 * A document's values pass through a struct overlay: for each row of the table, whether the
 * document sets it and to what (an integer, or a string the overlay owns). Stored JSON -> overlay (leniently: bad stored values are
 * skipped and reported), patch -> the same overlay (strictly: the first bad value refuses the
 * whole patch), overlay -> JSON to store, overlay -> the typed struct.
 */
#include "pb-settings.h"

#include "pb-alloc.h"
#include "pb-buf.h"

#include <cjson/cJSON.h>
#include <inttypes.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

enum {
#define PB_SETTINGS_DOC(doc, help)
#define PB_SETTING(doc, key, type, def, min, max, help) SETTING_##doc##_##key,
#define PB_SETTINGS_DOC_END(doc)
#include "settings.def"
#undef PB_SETTINGS_DOC
#undef PB_SETTING
#undef PB_SETTINGS_DOC_END
	N_SETTINGS
};

/* The rest of a row's struct pb_setting_desc, by TYPE. */
#define DESC_U32(doc, key, def, min, max)                                                    \
	PB_SETTING_U32, def, min, max, NULL, offsetof(struct pb_settings, doc.key), 0, NULL
#define DESC_U64(doc, key, def, min, max)                                                    \
	PB_SETTING_U64, def, min, max, NULL, offsetof(struct pb_settings, doc.key), 0, NULL
#define DESC_STR(doc, key, def, min, max)                                                    \
	PB_SETTING_STR, 0, min, max, def, offsetof(struct pb_settings, doc.key), 0, NULL
/* CHOICE: the min column holds the choices (a string literal), max the longest in bytes. */
#define DESC_CHOICE(doc, key, def, min, max)                                                 \
	PB_SETTING_CHOICE, 0, 0, max, def, offsetof(struct pb_settings, doc.key), 0, min
#define DESC_CIDR_LIST(doc, key, def, min, max)                                              \
	PB_SETTING_CIDR_LIST, 0, min, max, def, offsetof(struct pb_settings, doc.key.text),  \
		offsetof(struct pb_settings, doc.key.list), NULL

const struct pb_setting_desc pb_setting_descs[] = {
#define PB_SETTINGS_DOC(doc, help)
#define PB_SETTING(doc, key, type, def, min, max, help)                                      \
	{ #doc, #key, help, DESC_##type(doc, key, def, min, max) },
#define PB_SETTINGS_DOC_END(doc)
#include "settings.def"
#undef PB_SETTINGS_DOC
#undef PB_SETTING
#undef PB_SETTINGS_DOC_END
};
const size_t pb_n_settings = N_SETTINGS;

const struct pb_settings_doc_desc pb_settings_docs[] = {
#define PB_SETTINGS_DOC(doc, help) { #doc, help },
#define PB_SETTING(doc, key, type, def, min, max, help)
#define PB_SETTINGS_DOC_END(doc)
#include "settings.def"
#undef PB_SETTINGS_DOC
#undef PB_SETTING
#undef PB_SETTINGS_DOC_END
};
const size_t pb_n_settings_docs = PB_N_ELEMENTS(pb_settings_docs);

/* A field's initializer, by TYPE (a CIDR_LIST's list is filled by pb_settings_derive). */
#define INIT_U32(def) def
#define INIT_U64(def) def
#define INIT_STR(def) def
#define INIT_CHOICE(def) def
#define INIT_CIDR_LIST(def) { .text = def }

/* The defaults as written in the table, lists not parsed: see pb_settings_default. */
static const struct pb_settings settings_table_defaults = {
#define PB_SETTINGS_DOC(doc, help)
#define PB_SETTING(doc, key, type, def, min, max, help) .doc.key = INIT_##type(def),
#define PB_SETTINGS_DOC_END(doc)
#include "settings.def"
#undef PB_SETTINGS_DOC
#undef PB_SETTING
#undef PB_SETTINGS_DOC_END
};

/* A default outside its own range, or a range a field cannot hold, does not compile; nor
 * does a string default longer than its max, or a string with a min (unused: 0). A string
 * default that its type's check refuses fails the unit test. */
#define ASSERT_INT(type, def, min, max)                                                      \
	((uint64_t)(min) <= (uint64_t)(def) && (uint64_t)(def) <= (uint64_t)(max) &&           \
	 (uint64_t)(max) <= (uint64_t)(PB_SETTING_CTYPE_##type)~0ull &&                         \
	 (uint64_t)(max) <= (1ull << 53))
#define ASSERT_STRING(def, min, max) ((min) == 0 && sizeof(def) - 1 <= (max) && (max) <= 4096)
#define ASSERT_U32(def, min, max) ASSERT_INT(U32, def, min, max)
#define ASSERT_U64(def, min, max) ASSERT_INT(U64, def, min, max)
#define ASSERT_STR(def, min, max) ASSERT_STRING(def, min, max)
#define ASSERT_CIDR_LIST(def, min, max) ASSERT_STRING(def, min, max)
#define ASSERT_CHOICE(def, min, max) ASSERT_STRING(def, 0, max) && sizeof(min) > 1
#define PB_SETTINGS_DOC(doc, help)
#define PB_SETTING(doc, key, type, def, min, max, help)                                      \
	_Static_assert(ASSERT_##type(def, min, max),                                          \
		       #doc "." #key ": default out of range, or range too wide for its type");
#define PB_SETTINGS_DOC_END(doc)
#include "settings.def"
#undef PB_SETTINGS_DOC
#undef PB_SETTING
#undef PB_SETTINGS_DOC_END

struct overlay {
	bool set[N_SETTINGS];
	uint64_t v[N_SETTINGS]; /* integer rows */
	char *text[N_SETTINGS]; /* string rows (allocated) */
};

static void overlay_deinit(struct overlay *o)
{
	for (size_t i = 0; i < N_SETTINGS; i++)
		free(o->text[i]);
}

/* The defaults with every CIDR_LIST parsed: built once, then constant. */
static struct pb_settings settings_defaults;
static pthread_once_t settings_defaults_once = PTHREAD_ONCE_INIT;

static void settings_defaults_init(void)
{
	settings_defaults = settings_table_defaults;
	pb_settings_derive(&settings_defaults);
}

void pb_settings_defaults(struct pb_settings *s)
{
	*s = *pb_settings_default();
}

const struct pb_settings *pb_settings_default(void)
{
	pthread_once(&settings_defaults_once, settings_defaults_init);
	return &settings_defaults;
}

bool pb_settings_doc_known(const char *doc)
{
	for (size_t i = 0; doc != NULL && i < pb_n_settings_docs; i++) {
		if (strcmp(pb_settings_docs[i].name, doc) == 0)
			return true;
	}
	return false;
}

bool pb_setting_is_string(const struct pb_setting_desc *d)
{
	return d->type == PB_SETTING_STR || d->type == PB_SETTING_CIDR_LIST ||
	       d->type == PB_SETTING_CHOICE;
}

uint64_t pb_setting_value(const struct pb_settings *s, const struct pb_setting_desc *d)
{
	const char *p = (const char *)s + d->offset;
	uint32_t v32;
	uint64_t v64;

	if (pb_setting_is_string(d))
		return 0;
	if (d->type == PB_SETTING_U32) {
		memcpy(&v32, p, sizeof(v32));
		return v32;
	}
	memcpy(&v64, p, sizeof(v64));
	return v64;
}

const char *pb_setting_text(const struct pb_settings *s, const struct pb_setting_desc *d)
{
	return pb_setting_is_string(d) ? (const char *)s + d->offset : NULL;
}

void pb_settings_derive(struct pb_settings *s)
{
	for (size_t i = 0; i < N_SETTINGS; i++) {
		const struct pb_setting_desc *d = &pb_setting_descs[i];
		char *error = NULL;

		if (d->type != PB_SETTING_CIDR_LIST)
			continue;
		struct pb_cidr_list *l = (struct pb_cidr_list *)((char *)s + d->list_offset);
		if (pb_cidr_list_parse(pb_setting_text(s, d), l, &error) < 0)
			free(error); /* l is empty */
	}
}

bool pb_settings_trusted(const struct pb_settings *s, const char *ip)
{
	return pb_cidr_list_match(&s->limits.trusted_networks.list, ip);
}

/* Sets row i of s to what o gives it, or to its default. */
static void set_value(struct pb_settings *s, size_t i, const struct overlay *o)
{
	const struct pb_setting_desc *d = &pb_setting_descs[i];
	char *p = (char *)s + d->offset;
	uint64_t v = o->set[i] ? o->v[i] : d->def;
	uint32_t v32 = (uint32_t)v;

	if (pb_setting_is_string(d))
		snprintf(p, d->max + 1, "%s", o->set[i] ? o->text[i] : d->def_str);
	else if (d->type == PB_SETTING_U32)
		memcpy(p, &v32, sizeof(v32));
	else
		memcpy(p, &v, sizeof(v));
}

/* The row of doc.key, or -1. */
static int find_key(const char *doc, const char *key)
{
	for (size_t i = 0; i < N_SETTINGS; i++) {
		if (strcmp(pb_setting_descs[i].doc, doc) == 0 && strcmp(pb_setting_descs[i].key, key) == 0)
			return (int)i;
	}
	return -1;
}

/* "smtp.max_recipents: unknown key (known: max_message_size, ...)" */
static char *unknown_key(const char *doc, const char *key)
{
	struct pb_buf b;
	const char *sep = "";

	pb_buf_init(&b);
	pb_buf_printf(&b, "%s.%s: unknown key (known: ", doc, key);
	for (size_t i = 0; i < N_SETTINGS; i++) {
		if (strcmp(pb_setting_descs[i].doc, doc) == 0) {
			pb_buf_printf(&b, "%s%s", sep, pb_setting_descs[i].key);
			sep = ", ";
		}
	}
	pb_buf_append_c(&b, ')');
	return pb_buf_steal(&b, NULL);
}

int pb_settings_check_doc(const char *doc, char **error_r)
{
	struct pb_buf b;

	if (pb_settings_doc_known(doc))
		return 0;
	pb_buf_init(&b);
	pb_buf_printf(&b, "unknown settings document \"%s\" (known:", doc != NULL ? doc : "");
	for (size_t i = 0; i < pb_n_settings_docs; i++)
		pb_buf_printf(&b, "%s %s", i > 0 ? "," : "", pb_settings_docs[i].name);
	pb_buf_append_c(&b, ')');
	*error_r = pb_buf_steal(&b, NULL);
	return -1;
}

/* Validates one JSON value for integer row d. 0, or -1 with *error_r (allocated). */
static int check_integer(const struct pb_setting_desc *d, const cJSON *item, char **error_r)
{
	double x = item->valuedouble;

	if (!cJSON_IsNumber(item) || x != floor(x) || x < (double)d->min || x > (double)d->max) {
		*error_r = xasprintf("%s.%s: expected an integer from %" PRIu64 " to %" PRIu64, d->doc,
				     d->key, d->min, d->max);
		return -1;
	}
	return 0;
}

static bool has_control(const char *s)
{
	for (; *s != '\0'; s++) {
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return true;
	}
	return false;
}

/* True if v is one of the space-separated words of choices. */
static bool is_choice(const char *choices, const char *v)
{
	size_t n = strchr(v, ' ') == NULL ? strlen(v) : 0; /* one word, not several */

	for (const char *p = choices; n > 0 && (p = strstr(p, v)) != NULL; p += n) {
		if ((p == choices || p[-1] == ' ') && (p[n] == ' ' || p[n] == '\0'))
			return true;
	}
	return false;
}

/* Validates one JSON value for string row d: a string of at most max bytes, no control
 * characters, and what its type checks. 0, or -1 with *error_r (allocated). */
static int check_string(const struct pb_setting_desc *d, const cJSON *item, char **error_r)
{
	const char *v = cJSON_IsString(item) ? item->valuestring : NULL;
	struct pb_cidr_list list;
	char *why;

	if (d->type == PB_SETTING_CHOICE && (v == NULL || !is_choice(d->choices, v))) {
		*error_r = xasprintf("%s.%s: expected one of: %s", d->doc, d->key, d->choices);
		return -1;
	}
	if (v == NULL || strlen(v) > d->max) {
		*error_r = xasprintf("%s.%s: expected a string of at most %" PRIu64 " bytes", d->doc,
				     d->key, d->max);
		return -1;
	}
	if (has_control(v)) {
		*error_r = xasprintf("%s.%s: control characters are not allowed", d->doc, d->key);
		return -1;
	}
	if (d->type == PB_SETTING_CIDR_LIST && pb_cidr_list_parse(v, &list, &why) < 0) {
		*error_r = xasprintf("%s.%s: %s", d->doc, d->key, why);
		free(why);
		return -1;
	}
	return 0;
}

/* Applies one member of a document to o: null unsets, a valid value sets. 0, or -1 with
 * *error_r (allocated). */
static int overlay_member(const char *doc, const cJSON *item, struct overlay *o, char **error_r)
{
	int i = find_key(doc, item->string);

	if (i < 0) {
		*error_r = unknown_key(doc, item->string);
		return -1;
	}
	const struct pb_setting_desc *d = &pb_setting_descs[i];
	o->set[i] = false;
	free(o->text[i]);
	o->text[i] = NULL;
	if (cJSON_IsNull(item))
		return 0;
	bool string = pb_setting_is_string(d);
	if ((string ? check_string(d, item, error_r) : check_integer(d, item, error_r)) < 0)
		return -1;
	o->set[i] = true;
	if (string)
		o->text[i] = xstrdup(item->valuestring);
	else
		o->v[i] = (uint64_t)item->valuedouble;
	return 0;
}

/* Overlays the members of obj on o. strict: stop at the first problem (-1, *error_r).
 * Otherwise skip bad members and return how many there were, the first one in *error_r. */
static int overlay_parse(const char *doc, const cJSON *obj, bool strict, struct overlay *o,
			 char **error_r)
{
	int problems = 0;
	const cJSON *item;
	char *error;

	cJSON_ArrayForEach(item, obj)
	{
		if (overlay_member(doc, item, o, &error) == 0)
			continue;
		if (strict) {
			*error_r = error;
			return -1;
		}
		if (problems++ == 0)
			*error_r = error;
		else
			free(error);
	}
	return problems;
}

/* s as a JSON string: quoted, escaped. */
static void append_json_string(struct pb_buf *b, const char *s)
{
	cJSON *str = cJSON_CreateString(s);
	char *text = cJSON_PrintUnformatted(str);

	pb_buf_append_str(b, text);
	cJSON_free(text);
	cJSON_Delete(str);
}

/* The explicit keys of doc in o as JSON: compact ({"k":1,"l":2}) or one key per line. */
static char *overlay_render(const char *doc, const struct overlay *o, bool pretty)
{
	struct pb_buf b;
	const char *sep = pretty ? "\n  " : "";

	pb_buf_init(&b);
	pb_buf_append_c(&b, '{');
	for (size_t i = 0; i < N_SETTINGS; i++) {
		if (!o->set[i] || strcmp(pb_setting_descs[i].doc, doc) != 0)
			continue;
		pb_buf_printf(&b, "%s\"%s\":%s", sep, pb_setting_descs[i].key, pretty ? " " : "");
		if (pb_setting_is_string(&pb_setting_descs[i]))
			append_json_string(&b, o->text[i]);
		else
			pb_buf_printf(&b, "%" PRIu64, o->v[i]);
		sep = pretty ? ",\n  " : ",";
	}
	pb_buf_append_str(&b, pretty && b.len > 1 ? "\n}" : "}");
	return pb_buf_steal(&b, NULL);
}

/* Parses a stored document leniently into o; returns the number of problems (*problem_r). */
static int overlay_load(const char *doc, const char *json, struct overlay *o, char **problem_r)
{
	memset(o, 0, sizeof(*o));
	if (json == NULL)
		return 0;
	cJSON *obj = cJSON_Parse(json);
	int problems;
	if (cJSON_IsObject(obj)) {
		problems = overlay_parse(doc, obj, false, o, problem_r);
	} else {
		*problem_r = xasprintf("%s: the stored document is not a JSON object", doc);
		problems = 1;
	}
	cJSON_Delete(obj);
	return problems;
}

int pb_settings_load(struct pb_settings *s, const char *doc, const char *json, char **problem_r)
{
	struct overlay o;

	*problem_r = NULL;
	if (pb_settings_check_doc(doc, problem_r) < 0)
		return -1;
	int problems = overlay_load(doc, json, &o, problem_r);
	for (size_t i = 0; i < N_SETTINGS; i++) {
		if (strcmp(pb_setting_descs[i].doc, doc) == 0)
			set_value(s, i, &o);
	}
	overlay_deinit(&o);
	pb_settings_derive(s);
	return problems;
}

int pb_settings_merge(const char *doc, const char *stored, const char *patch, char **merged_r,
		      char **error_r)
{
	struct overlay o;
	char *problem = NULL;

	if (pb_settings_check_doc(doc, error_r) < 0)
		return -1;
	cJSON *obj = cJSON_Parse(patch != NULL ? patch : "");
	if (!cJSON_IsObject(obj)) {
		cJSON_Delete(obj);
		*error_r = xasprintf("%s: a settings change must be a JSON object of keys and values",
				     doc);
		return -1;
	}
	overlay_load(doc, stored, &o, &problem);
	free(problem); /* bad stored values are dropped: the merged document replaces them */
	int rc = overlay_parse(doc, obj, true, &o, error_r);
	cJSON_Delete(obj);
	if (rc == 0)
		*merged_r = overlay_render(doc, &o, false);
	overlay_deinit(&o);
	return rc < 0 ? -1 : 0;
}

char *pb_settings_render(const struct pb_settings *s, const char *doc)
{
	struct overlay o;

	if (!pb_settings_doc_known(doc))
		return NULL;
	memset(&o, 0, sizeof(o));
	for (size_t i = 0; i < N_SETTINGS; i++) {
		const struct pb_setting_desc *d = &pb_setting_descs[i];
		if (strcmp(d->doc, doc) != 0)
			continue;
		o.set[i] = true;
		o.v[i] = pb_setting_value(s, d);
		if (pb_setting_is_string(d))
			o.text[i] = xstrdup(pb_setting_text(s, d));
	}
	char *json = overlay_render(doc, &o, true);
	overlay_deinit(&o);
	return json;
}

char *pb_settings_unescape(const char *text)
{
	char *out = xstrdup(text), *w = out;

	for (const char *p = text; *p != '\0'; p++) {
		if (p[0] == '\\' && (p[1] == 'n' || p[1] == '\\'))
			*w++ = *++p == 'n' ? '\n' : '\\';
		else
			*w++ = *p;
	}
	*w = '\0';
	return out;
}
