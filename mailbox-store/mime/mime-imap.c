/*
 * mime-imap.c: IMAP strings, ENVELOPE, BODYSTRUCTURE and BODY (see mime-imap.h).
 * OWNS nothing. THREAD: any.
 */
#include "mime-imap.h"
#include "mime-address.h"

#include <string.h>
#include <strings.h>

/* More quoted-specials than this and a literal is shorter (Dovecot's rule). */
#define MIME_IMAP_MAX_ESCAPES 3

static void mime_imap_literal(struct pb_buf *out, const char *s, size_t len)
{
	pb_buf_printf(out, "{%zu}\r\n", len);
	size_t start = out->len;
	pb_buf_append(out, s, len);
	for (size_t i = start; i < out->len; i++) {
		if (out->data[i] == '\0')
			out->data[i] = (char)0x80; /* NUL may not appear even in a literal */
	}
}

void mime_imap_append_string(struct pb_buf *out, const char *s, size_t len)
{
	unsigned int escapes = 0;

	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c >= 0x80 || c == '\r' || c == '\n' || c == '\0') {
			mime_imap_literal(out, s, len);
			return;
		}
		if (c == '"' || c == '\\')
			escapes++;
	}
	if (escapes > MIME_IMAP_MAX_ESCAPES) {
		mime_imap_literal(out, s, len);
		return;
	}
	pb_buf_reserve(out, len + escapes + 2);
	pb_buf_append_c(out, '"');
	for (size_t i = 0; i < len; i++) {
		if (s[i] == '"' || s[i] == '\\')
			pb_buf_append_c(out, '\\');
		pb_buf_append_c(out, s[i]);
	}
	pb_buf_append_c(out, '"');
}

void mime_imap_append_nstring(struct pb_buf *out, const char *s)
{
	if (s == NULL)
		pb_buf_append_str(out, "NIL");
	else
		mime_imap_append_string(out, s, strlen(s));
}

static bool mime_imap_is_lwsp(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* True if the human cleaning changes s, or s needs escaping or a literal. */
static bool mime_imap_human_modifies(const char *s)
{
	bool last_lwsp = true;

	for (; *s != '\0'; s++) {
		unsigned char c = (unsigned char)*s;
		if (mime_imap_is_lwsp((char)c)) {
			if (last_lwsp || c != ' ')
				return true;
			last_lwsp = true;
		} else {
			if (c == '"' || c == '\\' || c >= 0x80)
				return true;
			last_lwsp = false;
		}
	}
	return last_lwsp; /* trailing whitespace (or empty, handled by the caller) */
}

void mime_imap_append_nstring_human(struct pb_buf *out, const char *s)
{
	struct pb_buf clean;

	if (s == NULL) {
		pb_buf_append_str(out, "NIL");
		return;
	}
	if (*s != '\0' && !mime_imap_human_modifies(s)) {
		pb_buf_printf(out, "\"%s\"", s);
		return;
	}
	pb_buf_init(&clean);
	for (; *s != '\0'; s++) {
		if (!mime_imap_is_lwsp(*s))
			pb_buf_append_c(&clean, *s);
		else if (clean.len > 0 && clean.data[clean.len - 1] != ' ')
			pb_buf_append_c(&clean, ' ');
	}
	if (clean.len > 0 && clean.data[clean.len - 1] == ' ')
		clean.len--;
	if (clean.len == 0)
		pb_buf_append_str(out, "\"\"");
	else
		mime_imap_literal(out, clean.data, clean.len);
	pb_buf_deinit(&clean);
}

static void mime_imap_address(struct pb_buf *out, const struct mime_address *a)
{
	if (a->kind == MIME_ADDRESS_GROUP_END) {
		pb_buf_append_str(out, "(NIL NIL NIL NIL)");
		return;
	}
	if (a->kind == MIME_ADDRESS_GROUP_START) {
		pb_buf_append_str(out, "(NIL NIL ");
		mime_imap_append_nstring(out, a->mailbox != NULL ? a->mailbox : "");
		pb_buf_append_str(out, " NIL)");
		return;
	}
	pb_buf_append_c(out, '(');
	mime_imap_append_nstring_human(out, a->name);
	pb_buf_append_c(out, ' ');
	mime_imap_append_nstring(out, a->route);
	pb_buf_append_c(out, ' ');
	mime_imap_append_nstring(out, a->mailbox != NULL ? a->mailbox : "MISSING_MAILBOX");
	pb_buf_append_c(out, ' ');
	mime_imap_append_nstring(out, a->domain != NULL ? a->domain : "MISSING_DOMAIN");
	pb_buf_append_c(out, ')');
}

static void mime_imap_address_list(struct pb_buf *out, const struct mime_address_list *list)
{
	if (list->n == 0) {
		pb_buf_append_str(out, "NIL");
		return;
	}
	pb_buf_append_c(out, '(');
	for (unsigned int i = 0; i < list->n; i++)
		mime_imap_address(out, &list->v[i]);
	pb_buf_append_c(out, ')');
}

void mime_imap_append_addresses(struct pb_buf *out, const char *value)
{
	struct mime_address_list list = { NULL, 0 };

	if (value != NULL)
		mime_address_list_parse(value, strlen(value), &list);
	mime_imap_address_list(out, &list);
	mime_address_list_free(&list);
}

/* Sender and Reply-To: the field's addresses, or From's when absent or empty. */
static void mime_imap_address_default(struct pb_buf *out, const char *value, const char *from)
{
	struct mime_address_list list = { NULL, 0 };

	if (value != NULL)
		mime_address_list_parse(value, strlen(value), &list);
	if (list.n == 0 && from != NULL)
		mime_address_list_parse(from, strlen(from), &list);
	mime_imap_address_list(out, &list);
	mime_address_list_free(&list);
}

void mime_imap_envelope(const struct mime_part *root, struct pb_buf *out)
{
	char *const *env = root->envelope;

	if ((root->flags & MIME_PART_FLAG_MESSAGE_ROOT) == 0) {
		pb_buf_append_str(out, "(NIL NIL NIL NIL NIL NIL NIL NIL NIL NIL)");
		return;
	}
	pb_buf_append_c(out, '(');
	mime_imap_append_nstring(out, env[MIME_ENV_DATE]);
	pb_buf_append_c(out, ' ');
	mime_imap_append_nstring_human(out, env[MIME_ENV_SUBJECT]);
	pb_buf_append_c(out, ' ');
	mime_imap_append_addresses(out, env[MIME_ENV_FROM]);
	pb_buf_append_c(out, ' ');
	mime_imap_address_default(out, env[MIME_ENV_SENDER], env[MIME_ENV_FROM]);
	pb_buf_append_c(out, ' ');
	mime_imap_address_default(out, env[MIME_ENV_REPLY_TO], env[MIME_ENV_FROM]);
	for (unsigned int f = MIME_ENV_TO; f <= MIME_ENV_BCC; f++) {
		pb_buf_append_c(out, ' ');
		mime_imap_append_addresses(out, env[f]);
	}
	pb_buf_append_c(out, ' ');
	mime_imap_append_nstring(out, env[MIME_ENV_IN_REPLY_TO]);
	pb_buf_append_c(out, ' ');
	mime_imap_append_nstring(out, env[MIME_ENV_MESSAGE_ID]);
	pb_buf_append_c(out, ')');
}

static void mime_imap_params(struct pb_buf *out, const struct mime_param_list *params,
			     bool add_charset)
{
	if (params->n == 0 && !add_charset) {
		pb_buf_append_str(out, "NIL");
		return;
	}
	pb_buf_append_c(out, '(');
	for (unsigned int i = 0; i < params->n; i++) {
		if (i > 0)
			pb_buf_append_c(out, ' ');
		mime_imap_append_nstring(out, params->v[i].name);
		pb_buf_append_c(out, ' ');
		mime_imap_append_nstring(out, params->v[i].value);
	}
	if (add_charset)
		pb_buf_append_str(out, params->n > 0 ? " \"charset\" \"us-ascii\"" :
						       "\"charset\" \"us-ascii\"");
	pb_buf_append_c(out, ')');
}

/* body-ext tail shared by all kinds: disposition, language, location. */
static void mime_imap_ext_tail(struct pb_buf *out, const struct mime_part *part)
{
	pb_buf_append_c(out, ' ');
	if (part->disposition == NULL) {
		pb_buf_append_str(out, "NIL");
	} else {
		pb_buf_append_c(out, '(');
		mime_imap_append_nstring(out, part->disposition);
		pb_buf_append_c(out, ' ');
		mime_imap_params(out, &part->disposition_params, false);
		pb_buf_append_c(out, ')');
	}
	pb_buf_append_c(out, ' ');
	if (part->n_languages == 0) {
		pb_buf_append_str(out, "NIL");
	} else {
		pb_buf_append_c(out, '(');
		for (unsigned int i = 0; i < part->n_languages; i++) {
			if (i > 0)
				pb_buf_append_c(out, ' ');
			mime_imap_append_nstring(out, part->languages[i]);
		}
		pb_buf_append_c(out, ')');
	}
	pb_buf_append_c(out, ' ');
	mime_imap_append_nstring(out, part->location);
}

/* The empty text/plain body Dovecot shows where a body is required but none was parsed. */
static void mime_imap_empty_body(struct pb_buf *out, bool extended)
{
	pb_buf_append_str(out, "(\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 0 0");
	pb_buf_append_str(out, extended ? " NIL NIL NIL NIL)" : ")");
}

static void mime_imap_multipart(const struct mime_part *part, bool extended, struct pb_buf *out)
{
	pb_buf_append_c(out, '(');
	if (part->children == NULL)
		mime_imap_empty_body(out, extended);
	for (const struct mime_part *c = part->children; c != NULL; c = c->next)
		mime_imap_bodystructure(c, extended, out);
	pb_buf_append_c(out, ' ');
	mime_imap_append_nstring(out, mime_part_subtype(part));
	if (extended) {
		pb_buf_append_c(out, ' ');
		mime_imap_params(out, &part->params, false);
		mime_imap_ext_tail(out, part);
	}
	pb_buf_append_c(out, ')');
}

static void mime_imap_message_body(const struct mime_part *part, bool extended,
				   struct pb_buf *out)
{
	const struct mime_part *child = part->children;

	pb_buf_append_c(out, ' ');
	if ((part->flags & MIME_PART_FLAG_MESSAGE) != 0 && child != NULL) {
		mime_imap_envelope(child, out);
		pb_buf_append_c(out, ' ');
		mime_imap_bodystructure(child, extended, out);
	} else {
		pb_buf_append_str(out, "(NIL NIL NIL NIL NIL NIL NIL NIL NIL NIL) ");
		mime_imap_empty_body(out, extended);
	}
	pb_buf_printf(out, " %llu", (unsigned long long)part->body.lines);
}

void mime_imap_bodystructure(const struct mime_part *part, bool extended, struct pb_buf *out)
{
	bool text = mime_part_is(part, "text", NULL);

	if (mime_part_is(part, "multipart", NULL)) {
		mime_imap_multipart(part, extended, out);
		return;
	}
	pb_buf_append_c(out, '(');
	mime_imap_append_nstring(out, mime_part_type(part));
	pb_buf_append_c(out, ' ');
	mime_imap_append_nstring(out, mime_part_subtype(part));
	pb_buf_append_c(out, ' ');
	mime_imap_params(out, &part->params, text && mime_part_charset(part) == NULL);
	pb_buf_append_c(out, ' ');
	mime_imap_append_nstring(out, part->id);
	pb_buf_append_c(out, ' ');
	mime_imap_append_nstring(out, part->description);
	pb_buf_append_c(out, ' ');
	mime_imap_append_nstring(out, part->encoding != NULL ? part->encoding : "7bit");
	pb_buf_printf(out, " %llu", (unsigned long long)part->body.virtual_size);
	if (text)
		pb_buf_printf(out, " %llu", (unsigned long long)part->body.lines);
	else if (mime_part_is(part, "message", "rfc822"))
		mime_imap_message_body(part, extended, out);
	if (extended) {
		pb_buf_append_c(out, ' ');
		mime_imap_append_nstring(out, part->md5);
		mime_imap_ext_tail(out, part);
	}
	pb_buf_append_c(out, ')');
}
