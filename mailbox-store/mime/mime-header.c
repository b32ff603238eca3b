/*
 * mime-header.c: Content-Type / Content-Disposition / Content-Language parsing with
 * RFC 2231 joining, and header-block helpers. OWNS nothing. THREAD: any.
 */
#include "mime-header.h"
#include "mime-charset.h"
#include "mime-lexer.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* A copy of a header string for the part tree: NUL bytes become U+FFFD. */
static char *mime_strdup_clean(const char *s, size_t len)
{
	if (memchr(s, '\0', len) == NULL)
		return xstrndup(s, len);
	struct pb_buf b;
	pb_buf_init(&b);
	for (size_t i = 0; i < len; i++) {
		if (s[i] == '\0')
			pb_buf_append_str(&b, MIME_UTF8_REPLACEMENT);
		else
			pb_buf_append_c(&b, s[i]);
	}
	return pb_buf_steal(&b, NULL);
}

static void mime_param_list_add(struct mime_param_list *list, const char *name, size_t name_len,
				const char *value, size_t value_len)
{
	list->v = xrealloc(list->v, sizeof(*list->v) * (list->n + 1));
	list->v[list->n].name = mime_strdup_clean(name, name_len);
	list->v[list->n].value = mime_strdup_clean(value, value_len);
	list->n++;
}

void mime_param_list_free(struct mime_param_list *list)
{
	for (unsigned int i = 0; i < list->n; i++) {
		free(list->v[i].name);
		free(list->v[i].value);
	}
	free(list->v);
	list->v = NULL;
	list->n = 0;
}

void mime_param_list_copy(struct mime_param_list *dst, const struct mime_param_list *src)
{
	dst->v = NULL;
	dst->n = 0;
	for (unsigned int i = 0; i < src->n; i++) {
		mime_param_list_add(dst, src->v[i].name, strlen(src->v[i].name), src->v[i].value,
				    strlen(src->v[i].value));
	}
}

const char *mime_param_list_get(const struct mime_param_list *list, const char *name)
{
	for (unsigned int i = 0; i < list->n; i++) {
		if (strcasecmp(list->v[i].name, name) == 0)
			return list->v[i].value;
	}
	return NULL;
}

/* An RFC 2231 parameter being joined: its sections by number. */
struct mime_param_group {
	char *base;
	struct {
		char *value;
		bool encoded;
	} sec[MIME_PARAM_SECTIONS_MAX];
	unsigned int n_sec; /* highest section number seen + 1 */
};

/* Splits "base*N*" into base length, section and encoded flag. Returns false if the name
 * is not an RFC 2231 name (then it is a plain parameter). */
static bool mime_param_2231_name(const char *name, size_t *base_len_r, unsigned int *sec_r,
				 bool *encoded_r)
{
	const char *star = strchr(name, '*');
	const char *p;
	unsigned long n = 0;

	if (star == NULL || star == name)
		return false;
	*base_len_r = (size_t)(star - name);
	p = star + 1;
	if (*p == '\0') {
		*sec_r = 0;
		*encoded_r = true;
		return true;
	}
	if (*p < '0' || *p > '9')
		return false;
	for (; *p >= '0' && *p <= '9'; p++) {
		n = n * 10 + (unsigned long)(*p - '0');
		if (n > 100000)
			return false;
	}
	*encoded_r = *p == '*';
	if (*encoded_r)
		p++;
	if (*p != '\0')
		return false;
	*sec_r = (unsigned int)n;
	return true;
}

static struct mime_param_group *mime_param_group_get(struct mime_param_group **groups,
						     unsigned int *n, const char *name, size_t len)
{
	for (unsigned int i = 0; i < *n; i++) {
		if (strlen((*groups)[i].base) == len && strncasecmp((*groups)[i].base, name, len) == 0)
			return &(*groups)[i];
	}
	*groups = xrealloc(*groups, sizeof(**groups) * (*n + 1));
	struct mime_param_group *g = &(*groups)[(*n)++];
	memset(g, 0, sizeof(*g));
	g->base = xstrndup(name, len);
	return g;
}

/* Appends the joined parameter of one group to the list and frees the group. */
static void mime_param_group_finish(struct mime_param_group *g, struct mime_param_list *out)
{
	struct pb_buf name, value;
	bool encoded = false;

	for (unsigned int i = 0; i < g->n_sec; i++)
		encoded = encoded || (g->sec[i].value != NULL && g->sec[i].encoded);
	if (g->n_sec == 0) {
		/* only sections beyond MIME_PARAM_SECTIONS_MAX: nothing to keep */
		free(g->base);
		return;
	}
	pb_buf_init(&name);
	pb_buf_init(&value);
	pb_buf_printf(&name, "%s%s", g->base, encoded ? "*" : "");
	if (encoded && (g->sec[0].value == NULL || !g->sec[0].encoded))
		pb_buf_append_str(&value, "''");
	for (unsigned int i = 0; i < g->n_sec; i++) {
		const char *v = g->sec[i].value;
		if (v == NULL)
			continue;
		for (; *v != '\0'; v++) {
			if (encoded && !g->sec[i].encoded && *v == '%')
				pb_buf_append_str(&value, "%25");
			else
				pb_buf_append_c(&value, *v);
		}
		free(g->sec[i].value);
	}
	mime_param_list_add(out, name.data, name.len, value.len > 0 ? value.data : "", value.len);
	pb_buf_deinit(&name);
	pb_buf_deinit(&value);
	free(g->base);
}

/* Reads one "name=value" at the lexer (after a ';'). Returns false if there is none. */
static bool mime_param_read(struct mime_lexer *lx, struct pb_buf *name, struct pb_buf *value)
{
	pb_buf_reset(name);
	pb_buf_reset(value);
	mime_lexer_skip_cfws(lx, NULL);
	if (!mime_lexer_token(lx, name))
		return false;
	mime_lexer_skip_cfws(lx, NULL);
	if (mime_lexer_peek(lx) != '=')
		return false;
	lx->pos++;
	mime_lexer_skip_cfws(lx, NULL);
	if (mime_lexer_peek(lx) == '"') {
		mime_lexer_quoted(lx, value);
		return true;
	}
	/* unquoted: lenient, tspecials such as '=' and '/' are taken (boundary=----=_Part) */
	while (!mime_lexer_eof(lx)) {
		char c = lx->s[lx->pos];
		if (c == ';' || c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '(' ||
		    c == '"')
			break;
		pb_buf_append_c(value, c);
		lx->pos++;
	}
	return true;
}

/* Parses "; name=value" pairs to the end of the value. */
static void mime_params_parse(struct mime_lexer *lx, struct mime_param_list *out)
{
	struct mime_param_group *groups = NULL;
	unsigned int n_groups = 0, n_raw = 0;
	struct pb_buf name, value;

	pb_buf_init(&name);
	pb_buf_init(&value);
	out->v = NULL;
	out->n = 0;
	while (n_raw < MIME_PARAMS_MAX) {
		mime_lexer_skip_to(lx, ";");
		if (mime_lexer_eof(lx))
			break;
		lx->pos++;
		if (!mime_param_read(lx, &name, &value))
			continue;
		n_raw++;
		size_t base_len;
		unsigned int sec;
		bool enc;
		if (!mime_param_2231_name(name.data, &base_len, &sec, &enc)) {
			mime_param_list_add(out, name.data, name.len, value.data ? value.data : "",
					    value.len);
			continue;
		}
		struct mime_param_group *g =
			mime_param_group_get(&groups, &n_groups, name.data, base_len);
		if (sec >= MIME_PARAM_SECTIONS_MAX || g->sec[sec].value != NULL)
			continue;
		g->sec[sec].value = mime_strdup_clean(value.data ? value.data : "", value.len);
		g->sec[sec].encoded = enc;
		if (sec + 1 > g->n_sec)
			g->n_sec = sec + 1;
	}
	for (unsigned int i = 0; i < n_groups; i++)
		mime_param_group_finish(&groups[i], out);
	free(groups);
	pb_buf_deinit(&name);
	pb_buf_deinit(&value);
}

int mime_content_type_parse(const char *value, size_t len, char **type_r, char **subtype_r,
			    struct mime_param_list *params_r)
{
	struct mime_lexer lx;
	struct pb_buf type, subtype;

	pb_buf_init(&type);
	pb_buf_init(&subtype);
	mime_lexer_init(&lx, value, len);
	mime_lexer_skip_cfws(&lx, NULL);
	bool ok = mime_lexer_token(&lx, &type);
	mime_lexer_skip_cfws(&lx, NULL);
	ok = ok && mime_lexer_peek(&lx) == '/';
	if (ok) {
		lx.pos++;
		mime_lexer_skip_cfws(&lx, NULL);
		ok = mime_lexer_token(&lx, &subtype);
	}
	if (!ok) {
		pb_buf_deinit(&type);
		pb_buf_deinit(&subtype);
		return -1;
	}
	*type_r = mime_strdup_clean(type.data, type.len);
	*subtype_r = mime_strdup_clean(subtype.data, subtype.len);
	pb_buf_deinit(&type);
	pb_buf_deinit(&subtype);
	mime_params_parse(&lx, params_r);
	return 0;
}

int mime_content_disposition_parse(const char *value, size_t len, char **disposition_r,
				   struct mime_param_list *params_r)
{
	struct mime_lexer lx;
	struct pb_buf disp;

	pb_buf_init(&disp);
	mime_lexer_init(&lx, value, len);
	mime_lexer_skip_cfws(&lx, NULL);
	if (!mime_lexer_token(&lx, &disp)) {
		pb_buf_deinit(&disp);
		return -1;
	}
	*disposition_r = mime_strdup_clean(disp.data, disp.len);
	pb_buf_deinit(&disp);
	mime_params_parse(&lx, params_r);
	return 0;
}

unsigned int mime_content_language_parse(const char *value, size_t len, char ***langs_r)
{
	struct mime_lexer lx;
	struct pb_buf tag;
	char **langs = NULL;
	unsigned int n = 0;

	pb_buf_init(&tag);
	mime_lexer_init(&lx, value, len);
	while (!mime_lexer_eof(&lx) && n < MIME_PARAMS_MAX) {
		mime_lexer_skip_cfws(&lx, NULL);
		pb_buf_reset(&tag);
		if (mime_lexer_token(&lx, &tag)) {
			langs = xrealloc(langs, sizeof(*langs) * (n + 1));
			langs[n++] = mime_strdup_clean(tag.data, tag.len);
		}
		mime_lexer_skip_to(&lx, ",");
		if (!mime_lexer_eof(&lx))
			lx.pos++;
	}
	pb_buf_deinit(&tag);
	*langs_r = langs;
	return n;
}

char *mime_header_token_parse(const char *value, size_t len)
{
	struct mime_lexer lx;
	struct pb_buf tok;
	char *ret = NULL;

	pb_buf_init(&tok);
	mime_lexer_init(&lx, value, len);
	mime_lexer_skip_cfws(&lx, NULL);
	if (mime_lexer_token(&lx, &tok))
		ret = mime_strdup_clean(tok.data, tok.len);
	pb_buf_deinit(&tok);
	return ret;
}

void mime_header_iter_init(struct mime_header_iter *it, const void *data, size_t len)
{
	it->data = data;
	it->len = len;
	it->pos = 0;
	pb_buf_init(&it->value);
}

void mime_header_iter_deinit(struct mime_header_iter *it)
{
	pb_buf_deinit(&it->value);
}

/* End of the line starting at pos (index after its LF, or the data's end). */
static size_t mime_header_line_end(const struct mime_header_iter *it, size_t pos)
{
	const char *nl = memchr(it->data + pos, '\n', it->len - pos);
	return nl == NULL ? it->len : (size_t)(nl - it->data) + 1;
}

int mime_header_iter_next(struct mime_header_iter *it, struct mime_header_field *field_r)
{
	for (;;) {
		size_t start = it->pos, end;
		const char *s = it->data;

		if (start >= it->len || s[start] == '\n' ||
		    (s[start] == '\r' && start + 1 < it->len && s[start + 1] == '\n'))
			return 0;
		end = mime_header_line_end(it, start);
		while (end < it->len && (s[end] == ' ' || s[end] == '\t'))
			end = mime_header_line_end(it, end);
		it->pos = end;
		const char *colon = memchr(s + start, ':', end - start);
		if (colon == NULL || colon == s + start)
			continue;
		field_r->name = s + start;
		field_r->name_len = (size_t)(colon - (s + start));
		while (field_r->name_len > 0 && (field_r->name[field_r->name_len - 1] == ' ' ||
						 field_r->name[field_r->name_len - 1] == '\t'))
			field_r->name_len--;
		if (field_r->name_len == 0 || memchr(field_r->name, '\n', field_r->name_len) != NULL)
			continue;
		pb_buf_reset(&it->value);
		const char *v = colon + 1;
		while (v < s + end && (*v == ' ' || *v == '\t'))
			v++;
		for (; v < s + end; v++) {
			if (*v != '\r' && *v != '\n')
				pb_buf_append_c(&it->value, *v);
		}
		field_r->value = it->value.data != NULL ? it->value.data : "";
		field_r->value_len = it->value.len;
		field_r->raw = s + start;
		field_r->raw_len = end - start;
		return 1;
	}
}

int mime_header_get(const void *data, size_t len, const char *name, struct pb_buf *value_r)
{
	struct mime_header_iter it;
	struct mime_header_field f;
	size_t nlen = strlen(name);
	int ret = 0;

	mime_header_iter_init(&it, data, len);
	while (mime_header_iter_next(&it, &f) > 0) {
		if (f.name_len == nlen && strncasecmp(f.name, name, nlen) == 0) {
			pb_buf_append(value_r, f.value, f.value_len);
			ret = 1;
			break;
		}
	}
	mime_header_iter_deinit(&it);
	return ret;
}

void mime_header_filter(const void *data, size_t len, const char *const *names, size_t n,
			bool not_, struct pb_buf *out)
{
	struct mime_header_iter it;
	struct mime_header_field f;

	mime_header_iter_init(&it, data, len);
	while (mime_header_iter_next(&it, &f) > 0) {
		bool found = false;
		for (size_t i = 0; i < n && !found; i++) {
			found = strlen(names[i]) == f.name_len &&
				strncasecmp(names[i], f.name, f.name_len) == 0;
		}
		if (found == not_)
			continue;
		pb_buf_append(out, f.raw, f.raw_len);
		if (f.raw_len == 0 || f.raw[f.raw_len - 1] != '\n')
			pb_buf_append_str(out, "\r\n");
	}
	pb_buf_append_str(out, "\r\n");
	mime_header_iter_deinit(&it);
}
