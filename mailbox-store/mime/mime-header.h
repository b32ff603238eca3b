/*
 * mime-header.h: header fields. Parsing of the structured MIME fields (Content-Type,
 * Content-Disposition with RFC 2045 parameters and RFC 2231 continuations,
 * Content-Language), and helpers over a complete header block in memory (iterate fields,
 * get one, filter for IMAP HEADER.FIELDS). OWNS nothing beyond the values it returns.
 * THREAD: any.
 */
#ifndef MIME_HEADER_H
#define MIME_HEADER_H

#include "pb-buf.h"

#include <stdbool.h>
#include <stddef.h>

/* Parameters kept per Content-Type / Content-Disposition; more are dropped. */
#define MIME_PARAMS_MAX 64
/* RFC 2231 continuation sections kept per parameter; later sections are dropped. */
#define MIME_PARAM_SECTIONS_MAX 100

/* One parameter. RFC 2231 sections are already joined: "name*0", "name*1*"... become
 * "name" (no encoded section) or "name*" whose value is "charset'language'%XX..."
 * (Dovecot's form, which IMAP clients decode). Both strings are NUL-terminated; NUL bytes
 * of the header were replaced by U+FFFD. */
struct mime_param {
	char *name;
	char *value;
};

struct mime_param_list {
	struct mime_param *v;
	unsigned int n;
};

/* Parses a Content-Type value: "type/subtype *(; param)". Comments and whitespace are
 * allowed anywhere; an unquoted value runs to ';' or whitespace. Parameters are returned
 * in header order, plain ones first, then joined RFC 2231 ones in order of first
 * appearance. Returns 0 and newly allocated type_r, subtype_r (as written, not
 * lowercased) and params_r (free with mime_param_list_free), or -1 if there is no valid
 * type/subtype (RFC 2045: the caller then uses text/plain; nothing is allocated). */
int mime_content_type_parse(const char *value, size_t len, char **type_r, char **subtype_r,
			    struct mime_param_list *params_r);
/* Parses a Content-Disposition value: "token *(; param)". Returns 0 with a newly
 * allocated disposition_r and params_r, or -1 if there is no token. */
int mime_content_disposition_parse(const char *value, size_t len, char **disposition_r,
				   struct mime_param_list *params_r);
/* Parses a Content-Language value (comma-separated tags, comments allowed) into a newly
 * allocated array of strings. Returns the count (0: nothing allocated). */
unsigned int mime_content_language_parse(const char *value, size_t len, char ***langs_r);
/* Parses a one-token value (Content-Transfer-Encoding): the token with comments and
 * whitespace removed, newly allocated, or NULL if there is none. */
char *mime_header_token_parse(const char *value, size_t len);

void mime_param_list_free(struct mime_param_list *list);
void mime_param_list_copy(struct mime_param_list *dst, const struct mime_param_list *src);
/* Returns the value of the first parameter with this name (case-insensitive), or NULL. */
const char *mime_param_list_get(const struct mime_param_list *list, const char *name);

/* One field of a header block. name/raw point into the block; value is unfolded (CR and
 * LF removed, leading whitespace skipped, trailing kept) and points into the iterator,
 * valid until the next call. */
struct mime_header_field {
	const char *name;
	size_t name_len;
	const char *value;
	size_t value_len;
	const char *raw; /* the whole field with its line breaks */
	size_t raw_len;
};

/* Iterates the fields of a complete header block (up to its blank line, or the end of
 * the data). Lines without a colon are skipped. */
struct mime_header_iter {
	const char *data;
	size_t len;
	size_t pos;
	struct pb_buf value;
};

void mime_header_iter_init(struct mime_header_iter *it, const void *data, size_t len);
/* Returns 1 with the next field in field_r, or 0 at the end of the header. */
int mime_header_iter_next(struct mime_header_iter *it, struct mime_header_field *field_r);
void mime_header_iter_deinit(struct mime_header_iter *it);

/* Finds the first field `name` (case-insensitive) in a header block. Returns 1 and appends
 * its unfolded value to value_r, or 0 if absent. */
int mime_header_get(const void *data, size_t len, const char *name, struct pb_buf *value_r);
/* IMAP HEADER.FIELDS / HEADER.FIELDS.NOT: appends to out the raw fields of the header block
 * whose names are (not_) in names[0..n), in order, then the terminating blank line. */
void mime_header_filter(const void *data, size_t len, const char *const *names, size_t n,
			bool not_, struct pb_buf *out);

#endif
