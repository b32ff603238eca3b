/*
 * mime-structure.c: binary encoding and decoding of the part tree (format in the header).
 * OWNS nothing. THREAD: any.
 */
#include "mime-structure.h"

#include <stdlib.h>
#include <string.h>

#define MIME_STRUCTURE_MAGIC "PBM\x01"
#define MIME_STRUCTURE_PARTS_MAGIC "PBP\x01"
#define MIME_STRUCTURE_MAGIC_LEN 4

static void mime_put_varint(struct pb_buf *out, uint64_t v)
{
	unsigned char b[10];
	size_t n = 0;

	do {
		b[n] = (unsigned char)(v & 0x7F);
		v >>= 7;
		if (v != 0)
			b[n] |= 0x80;
		n++;
	} while (v != 0);
	pb_buf_append(out, b, n);
}

static void mime_put_string(struct pb_buf *out, const char *s)
{
	if (s == NULL) {
		mime_put_varint(out, 0);
		return;
	}
	size_t n = strlen(s);
	mime_put_varint(out, (uint64_t)n + 1);
	pb_buf_append(out, s, n);
}

static void mime_put_params(struct pb_buf *out, const struct mime_param_list *list)
{
	mime_put_varint(out, list->n);
	for (unsigned int i = 0; i < list->n; i++) {
		mime_put_string(out, list->v[i].name);
		mime_put_string(out, list->v[i].value);
	}
}

static void mime_put_size(struct pb_buf *out, const struct mime_size *size)
{
	mime_put_varint(out, size->physical);
	mime_put_varint(out, size->virtual_size);
	mime_put_varint(out, size->lines);
}

/* The parts form keeps a part's type only when it is a multipart (what section numbering
 * reads); the full form keeps every field. */
static void mime_put_part(struct pb_buf *out, const struct mime_part *part, bool parts_only)
{
	mime_put_varint(out, part->flags);
	mime_put_varint(out, part->n_children);
	mime_put_varint(out, part->offset);
	mime_put_size(out, &part->header);
	mime_put_size(out, &part->body);
	if (parts_only) {
		bool multi = mime_part_is(part, "multipart", NULL);
		mime_put_string(out, multi ? part->type : NULL);
		mime_put_string(out, multi ? part->subtype : NULL);
		for (const struct mime_part *c = part->children; c != NULL; c = c->next)
			mime_put_part(out, c, true);
		return;
	}
	mime_put_string(out, part->type);
	mime_put_string(out, part->subtype);
	mime_put_params(out, &part->params);
	mime_put_string(out, part->id);
	mime_put_string(out, part->description);
	mime_put_string(out, part->encoding);
	mime_put_string(out, part->md5);
	mime_put_string(out, part->location);
	mime_put_string(out, part->disposition);
	mime_put_params(out, &part->disposition_params);
	mime_put_varint(out, part->n_languages);
	for (unsigned int i = 0; i < part->n_languages; i++)
		mime_put_string(out, part->languages[i]);
	if ((part->flags & MIME_PART_FLAG_MESSAGE_ROOT) != 0) {
		for (unsigned int i = 0; i < MIME_ENV_COUNT; i++)
			mime_put_string(out, part->envelope[i]);
	}
	for (const struct mime_part *c = part->children; c != NULL; c = c->next)
		mime_put_part(out, c, false);
}

void mime_structure_encode(const struct mime_message *msg, struct pb_buf *out)
{
	pb_buf_append(out, MIME_STRUCTURE_MAGIC, MIME_STRUCTURE_MAGIC_LEN);
	mime_put_varint(out, msg->flags);
	mime_put_varint(out, msg->n_parts);
	mime_put_part(out, msg->root, false);
}

void mime_structure_encode_parts(const struct mime_message *msg, struct pb_buf *out)
{
	pb_buf_append(out, MIME_STRUCTURE_PARTS_MAGIC, MIME_STRUCTURE_MAGIC_LEN);
	mime_put_varint(out, msg->flags);
	mime_put_varint(out, msg->n_parts);
	mime_put_part(out, msg->root, true);
}

struct mime_reader {
	const unsigned char *s;
	size_t len, pos;
	const char *error;
	unsigned int parts_left;
	bool parts_only; /* the parts form (mime_structure_encode_parts) */
};

static bool mime_get_varint(struct mime_reader *r, uint64_t *v_r)
{
	uint64_t v = 0;

	for (unsigned int shift = 0; shift < 64; shift += 7) {
		if (r->pos >= r->len) {
			r->error = "structure truncated";
			return false;
		}
		unsigned char b = r->s[r->pos++];
		if ((shift > 0 && b == 0) || (shift == 63 && b > 1))
			break; /* not the shortest form, or beyond 64 bits */
		v |= (uint64_t)(b & 0x7F) << shift;
		if ((b & 0x80) == 0) {
			*v_r = v;
			return true;
		}
	}
	r->error = "bad varint in structure";
	return false;
}

/* A count that must fit in what is left (each element takes at least one octet). */
static bool mime_get_count(struct mime_reader *r, unsigned int *n_r)
{
	uint64_t v;

	if (!mime_get_varint(r, &v))
		return false;
	if (v > r->len - r->pos || v > UINT32_MAX) {
		r->error = "bad count in structure";
		return false;
	}
	*n_r = (unsigned int)v;
	return true;
}

static bool mime_get_string(struct mime_reader *r, char **s_r)
{
	uint64_t v;

	*s_r = NULL;
	if (!mime_get_varint(r, &v))
		return false;
	if (v == 0)
		return true;
	if (v - 1 > r->len - r->pos) {
		r->error = "structure truncated";
		return false;
	}
	if (memchr(r->s + r->pos, '\0', (size_t)(v - 1)) != NULL) {
		r->error = "NUL in structure string";
		return false;
	}
	*s_r = xstrndup((const char *)r->s + r->pos, (size_t)(v - 1));
	r->pos += (size_t)(v - 1);
	return true;
}

static bool mime_get_params(struct mime_reader *r, struct mime_param_list *list)
{
	unsigned int n;

	if (!mime_get_count(r, &n))
		return false;
	list->v = n == 0 ? NULL : xcalloc(n, sizeof(*list->v));
	for (; list->n < n; list->n++) {
		if (!mime_get_string(r, &list->v[list->n].name) ||
		    !mime_get_string(r, &list->v[list->n].value)) {
			list->n++; /* free what was read */
			return false;
		}
		if (list->v[list->n].name == NULL || list->v[list->n].value == NULL) {
			list->n++;
			r->error = "NULL parameter in structure";
			return false;
		}
	}
	return true;
}

static bool mime_get_size(struct mime_reader *r, struct mime_size *size)
{
	return mime_get_varint(r, &size->physical) && mime_get_varint(r, &size->virtual_size) &&
	       mime_get_varint(r, &size->lines);
}

static bool mime_get_fields(struct mime_reader *r, struct mime_part *part)
{
	unsigned int n;

	if (r->parts_only) {
		if (!mime_get_string(r, &part->type) || !mime_get_string(r, &part->subtype))
			return false;
		if ((part->type == NULL) != (part->subtype == NULL)) {
			r->error = "type without subtype in structure";
			return false;
		}
		return true;
	}
	if (!mime_get_string(r, &part->type) || !mime_get_string(r, &part->subtype) ||
	    !mime_get_params(r, &part->params) || !mime_get_string(r, &part->id) ||
	    !mime_get_string(r, &part->description) || !mime_get_string(r, &part->encoding) ||
	    !mime_get_string(r, &part->md5) || !mime_get_string(r, &part->location) ||
	    !mime_get_string(r, &part->disposition) ||
	    !mime_get_params(r, &part->disposition_params) || !mime_get_count(r, &n))
		return false;
	if ((part->type == NULL) != (part->subtype == NULL)) {
		r->error = "type without subtype in structure";
		return false;
	}
	part->languages = n == 0 ? NULL : xcalloc(n, sizeof(char *));
	for (; part->n_languages < n; part->n_languages++) {
		if (!mime_get_string(r, &part->languages[part->n_languages]) ||
		    part->languages[part->n_languages] == NULL) {
			part->n_languages++;
			r->error = r->error != NULL ? r->error : "NULL language in structure";
			return false;
		}
	}
	if ((part->flags & MIME_PART_FLAG_MESSAGE_ROOT) == 0)
		return true;
	for (unsigned int i = 0; i < MIME_ENV_COUNT; i++) {
		if (!mime_get_string(r, &part->envelope[i]))
			return false;
	}
	return true;
}

/* Checks that the flags and the child count agree. */
static bool mime_part_shape_ok(struct mime_reader *r, const struct mime_part *part,
			       unsigned int n_children)
{
	bool ok;

	if ((part->flags & MIME_PART_FLAG_MESSAGE) != 0)
		ok = n_children == 1 && (part->flags & MIME_PART_FLAG_MULTIPART) == 0;
	else if ((part->flags & MIME_PART_FLAG_MULTIPART) != 0)
		ok = true;
	else
		ok = n_children == 0;
	if (!ok)
		r->error = "inconsistent part shape in structure";
	return ok;
}

static bool mime_get_part(struct mime_reader *r, struct mime_part *part)
{
	uint64_t flags;
	unsigned int n_children;

	if (r->parts_left == 0) {
		r->error = "more parts than declared in structure";
		return false;
	}
	r->parts_left--;
	if (part->depth > MIME_STRUCTURE_MAX_DEPTH) {
		r->error = "structure nested too deep";
		return false;
	}
	if (!mime_get_varint(r, &flags) || !mime_get_count(r, &n_children) ||
	    !mime_get_varint(r, &part->offset) || !mime_get_size(r, &part->header) ||
	    !mime_get_size(r, &part->body))
		return false;
	part->flags = (uint32_t)flags;
	if (flags > UINT32_MAX || !mime_part_shape_ok(r, part, n_children) ||
	    !mime_get_fields(r, part))
		return false;
	for (unsigned int i = 0; i < n_children; i++) {
		struct mime_part *c = mime_part_new(part);
		if (!mime_get_part(r, c))
			return false;
		if ((part->flags & MIME_PART_FLAG_MESSAGE) != 0 &&
		    (c->flags & MIME_PART_FLAG_MESSAGE_ROOT) == 0) {
			r->error = "message/rfc822 child is not a message in structure";
			return false;
		}
	}
	return true;
}

/* Decodes either form (magic: MIME_STRUCTURE_MAGIC or MIME_STRUCTURE_PARTS_MAGIC). */
static int mime_structure_decode_form(const void *data, size_t len, const char *magic,
				      struct mime_message **msg_r, const char **error_r)
{
	struct mime_reader r = { data, len, 0, NULL, 0, magic[2] == 'P' };
	struct mime_message *msg = xcalloc(1, sizeof(*msg));
	uint64_t flags, n_parts;

	msg->root = mime_part_new(NULL);
	if (len < MIME_STRUCTURE_MAGIC_LEN || memcmp(data, magic, MIME_STRUCTURE_MAGIC_LEN) != 0) {
		r.error = "not a structure (bad magic)";
	} else {
		r.pos = MIME_STRUCTURE_MAGIC_LEN;
		if (mime_get_varint(&r, &flags) && mime_get_varint(&r, &n_parts)) {
			if (n_parts == 0 || n_parts > len || flags > UINT32_MAX)
				r.error = "bad part count in structure";
			msg->flags = (uint32_t)flags;
			msg->n_parts = (unsigned int)n_parts;
			r.parts_left = (unsigned int)n_parts;
		}
		if (r.error == NULL && mime_get_part(&r, msg->root)) {
			if ((msg->root->flags & MIME_PART_FLAG_MESSAGE_ROOT) == 0)
				r.error = "root is not a message in structure";
			else if (r.parts_left != 0)
				r.error = "fewer parts than declared in structure";
			else if (r.pos != r.len)
				r.error = "trailing bytes after structure";
		} else if (r.error == NULL) {
			r.error = "bad structure";
		}
	}
	if (r.error != NULL) {
		mime_message_free(&msg);
		*error_r = r.error;
		return -1;
	}
	*msg_r = msg;
	return 0;
}

int mime_structure_decode(const void *data, size_t len, struct mime_message **msg_r,
			  const char **error_r)
{
	return mime_structure_decode_form(data, len, MIME_STRUCTURE_MAGIC, msg_r, error_r);
}

int mime_structure_decode_parts(const void *data, size_t len, struct mime_message **msg_r,
				const char **error_r)
{
	return mime_structure_decode_form(data, len, MIME_STRUCTURE_PARTS_MAGIC, msg_r, error_r);
}
