/*
 * mime-part.c: the part tree: allocation, field interpretation, type defaults, decoding
 * helpers. OWNS the parts of a message. THREAD: the owner only.
 */
#include "mime-part.h"
#include "mime-charset.h"
#include "mime-decode.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

struct mime_part *mime_part_new(struct mime_part *parent)
{
	struct mime_part *part = xcalloc(1, sizeof(*part));

	part->parent = parent;
	if (parent != NULL) {
		part->depth = parent->depth + 1;
		if (parent->last_child == NULL)
			parent->children = part;
		else
			parent->last_child->next = part;
		parent->last_child = part;
		parent->n_children++;
	}
	return part;
}

static void mime_part_free_fields(struct mime_part *part)
{
	free(part->type);
	free(part->subtype);
	mime_param_list_free(&part->params);
	free(part->id);
	free(part->description);
	free(part->encoding);
	free(part->md5);
	free(part->location);
	free(part->disposition);
	mime_param_list_free(&part->disposition_params);
	for (unsigned int i = 0; i < part->n_languages; i++)
		free(part->languages[i]);
	free(part->languages);
	for (unsigned int i = 0; i < MIME_ENV_COUNT; i++)
		free(part->envelope[i]);
}

void mime_part_free_tree(struct mime_part *part)
{
	/* iterative over siblings, recursive over depth (bounded by max_depth) */
	while (part != NULL) {
		struct mime_part *next = part->next;
		mime_part_free_tree(part->children);
		mime_part_free_fields(part);
		free(part);
		part = next;
	}
}

void mime_message_free(struct mime_message **msg)
{
	if (*msg == NULL)
		return;
	mime_part_free_tree((*msg)->root);
	free(*msg);
	*msg = NULL;
}

static const char *const mime_envelope_names[MIME_ENV_COUNT] = {
	"Date", "Subject", "From", "Sender", "Reply-To", "To", "Cc", "Bcc", "In-Reply-To",
	"Message-ID",
};

static bool mime_name_is(const char *name, size_t len, const char *want)
{
	return strlen(want) == len && strncasecmp(name, want, len) == 0;
}

/* A trimmed copy of a value with NUL bytes as U+FFFD. */
static char *mime_value_dup(const char *value, size_t len, bool trim_end)
{
	struct pb_buf b;

	while (len > 0 && (*value == ' ' || *value == '\t')) {
		value++;
		len--;
	}
	while (trim_end && len > 0 && (value[len - 1] == ' ' || value[len - 1] == '\t'))
		len--;
	pb_buf_init(&b);
	pb_buf_append(&b, "", 0); /* allocated and terminated even when empty */
	for (size_t i = 0; i < len; i++) {
		if (value[i] == '\0')
			pb_buf_append_str(&b, MIME_UTF8_REPLACEMENT);
		else
			pb_buf_append_c(&b, value[i]);
	}
	return pb_buf_steal(&b, NULL);
}

static void mime_part_add_content_field(struct mime_part *part, const char *name, size_t name_len,
					const char *value, size_t value_len)
{
	if (mime_name_is(name, name_len, "Type")) {
		if ((part->flags & MIME_PART_FLAG_CONTENT_TYPE) != 0)
			return;
		part->flags |= MIME_PART_FLAG_CONTENT_TYPE;
		(void)mime_content_type_parse(value, value_len, &part->type, &part->subtype,
					      &part->params);
	} else if (mime_name_is(name, name_len, "Transfer-Encoding")) {
		if (part->encoding == NULL)
			part->encoding = mime_header_token_parse(value, value_len);
	} else if (mime_name_is(name, name_len, "ID")) {
		if (part->id == NULL)
			part->id = mime_value_dup(value, value_len, true);
	} else if (mime_name_is(name, name_len, "Description")) {
		if (part->description == NULL)
			part->description = mime_value_dup(value, value_len, true);
	} else if (mime_name_is(name, name_len, "MD5")) {
		if (part->md5 == NULL)
			part->md5 = mime_value_dup(value, value_len, true);
	} else if (mime_name_is(name, name_len, "Location")) {
		if (part->location == NULL)
			part->location = mime_value_dup(value, value_len, true);
	} else if (mime_name_is(name, name_len, "Disposition")) {
		if (part->disposition == NULL)
			(void)mime_content_disposition_parse(value, value_len, &part->disposition,
							     &part->disposition_params);
	} else if (mime_name_is(name, name_len, "Language")) {
		if (part->n_languages == 0)
			part->n_languages =
				mime_content_language_parse(value, value_len, &part->languages);
	}
}

void mime_part_add_field(struct mime_part *part, const char *name, size_t name_len,
			 const char *value, size_t value_len)
{
	if (name_len > 8 && strncasecmp(name, "Content-", 8) == 0) {
		mime_part_add_content_field(part, name + 8, name_len - 8, value, value_len);
		return;
	}
	if ((part->flags & MIME_PART_FLAG_MESSAGE_ROOT) == 0)
		return;
	for (unsigned int i = 0; i < MIME_ENV_COUNT; i++) {
		if (part->envelope[i] == NULL && mime_name_is(name, name_len, mime_envelope_names[i])) {
			part->envelope[i] = mime_value_dup(value, value_len, false);
			return;
		}
	}
}

static bool mime_part_in_digest(const struct mime_part *part)
{
	const struct mime_part *parent = part->parent;

	return parent != NULL && (parent->flags & MIME_PART_FLAG_MULTIPART) != 0 &&
	       parent->subtype != NULL && strcasecmp(parent->subtype, "digest") == 0;
}

const char *mime_part_type(const struct mime_part *part)
{
	if (part->type != NULL)
		return part->type;
	return mime_part_in_digest(part) ? "message" : "text";
}

const char *mime_part_subtype(const struct mime_part *part)
{
	if (part->type != NULL)
		return part->subtype;
	return mime_part_in_digest(part) ? "rfc822" : "plain";
}

bool mime_part_is(const struct mime_part *part, const char *type, const char *subtype)
{
	return strcasecmp(mime_part_type(part), type) == 0 &&
	       (subtype == NULL || strcasecmp(mime_part_subtype(part), subtype) == 0);
}

const char *mime_part_charset(const struct mime_part *part)
{
	return mime_param_list_get(&part->params, "charset");
}

static int mime_param_utf8(const struct mime_param_list *list, const char *name,
			   struct pb_buf *out)
{
	char *ext = xasprintf("%s*", name);
	const char *v = mime_param_list_get(list, ext);

	free(ext);
	if (v != NULL) {
		mime_decode_rfc2231(v, strlen(v), out);
		return 1;
	}
	v = mime_param_list_get(list, name);
	if (v == NULL)
		return 0;
	mime_decode_header(v, strlen(v), out);
	return 1;
}

int mime_part_param_utf8(const struct mime_part *part, bool from_disposition, const char *name,
			 struct pb_buf *out)
{
	return mime_param_utf8(from_disposition ? &part->disposition_params : &part->params, name,
			       out);
}

int mime_part_filename_utf8(const struct mime_part *part, struct pb_buf *out)
{
	if (mime_part_param_utf8(part, true, "filename", out) > 0)
		return 1;
	return mime_part_param_utf8(part, false, "name", out);
}

static bool mime_part_is_attachment(const struct mime_part *part)
{
	return part->disposition != NULL && strcasecmp(part->disposition, "attachment") == 0;
}

/* The text part under part, or NULL; want_plain: only text/plain qualifies. */
static const struct mime_part *mime_text_part_in(const struct mime_part *part, bool want_plain)
{
	if ((part->flags & MIME_PART_FLAG_MULTIPART) != 0) {
		bool alt = mime_part_is(part, "multipart", "alternative");
		const struct mime_part *found = NULL;
		for (const struct mime_part *c = part->children; c != NULL && found == NULL;
		     c = c->next)
			found = mime_text_part_in(c, want_plain || alt);
		for (const struct mime_part *c = part->children; c != NULL && found == NULL && alt;
		     c = c->next)
			found = mime_text_part_in(c, want_plain);
		return found;
	}
	if (part->children != NULL || mime_part_is_attachment(part) ||
	    !mime_part_is(part, "text", want_plain ? "plain" : NULL))
		return NULL;
	return part;
}

const struct mime_part *mime_message_text_part(const struct mime_message *msg)
{
	return mime_text_part_in(msg->root, false);
}

int mime_part_decode_body(const struct mime_part *part, const void *message, size_t len,
			  struct pb_buf *out, const char **error_r)
{
	uint64_t off = mime_part_body_offset(part), n = part->body.physical;
	const char *err = NULL;
	int ret = 0;

	if (off > len || n > len - off) {
		err = "part lies outside the message data";
		ret = -1;
		off = off > len ? len : off;
		n = len - off;
	}
	const char *body = (const char *)message + off;
	if (!mime_part_is(part, "text", NULL)) {
		if (mime_decode_transfer(part->encoding, body, n, out, &err) < 0)
			ret = -1;
	} else {
		struct pb_buf raw;
		pb_buf_init(&raw);
		if (mime_decode_transfer(part->encoding, body, n, &raw, &err) < 0)
			ret = -1;
		mime_charset_to_utf8(mime_part_charset(part), raw.data != NULL ? raw.data : "",
				     raw.len, out);
		pb_buf_deinit(&raw);
	}
	if (ret < 0)
		*error_r = err;
	return ret;
}
