/*
 * imap-fetch-parse.c: the typed layer of FETCH (RFC 3501 6.4.5, RFC 9051 6.4.5, RFC 3516
 * BINARY, RFC 7162 CHANGEDSINCE/VANISHED): macros expanded, BODY[section]<partial> taken
 * apart into part numbers, specifier and header-field names.
 * OWNS nothing. THREAD: the parser's.
 */
#include "imap-parser-private.h"

#include <string.h>
#include <strings.h>

#define FETCH_ITEMS_MAX 64

struct simple_att {
	const char *name;
	enum imap_fetch_att att;
};

static const struct simple_att simple_atts[] = {
	{"FLAGS", IMAP_FETCH_FLAGS},
	{"INTERNALDATE", IMAP_FETCH_INTERNALDATE},
	{"RFC822.SIZE", IMAP_FETCH_RFC822_SIZE},
	{"ENVELOPE", IMAP_FETCH_ENVELOPE},
	{"BODYSTRUCTURE", IMAP_FETCH_BODYSTRUCTURE},
	{"BODY", IMAP_FETCH_BODY},
	{"UID", IMAP_FETCH_UID},
	{"MODSEQ", IMAP_FETCH_MODSEQ},
	{"RFC822", IMAP_FETCH_RFC822},
	{"RFC822.HEADER", IMAP_FETCH_RFC822_HEADER},
	{"RFC822.TEXT", IMAP_FETCH_RFC822_TEXT},
};

/* "<offset.length>" at s, to the end. */
static int parse_partial(const char *s, struct imap_fetch_item *it)
{
	char buf[48];
	uint64_t off, len;
	size_t n = strlen(s);

	if (n < 5 || n >= sizeof(buf) || s[0] != '<' || s[n - 1] != '>')
		return -1;
	memcpy(buf, s + 1, n - 2);
	buf[n - 2] = '\0';
	char *dot = strchr(buf, '.');
	if (dot == NULL)
		return -1;
	*dot = '\0';
	if (imap_parse_number(buf, UINT32_MAX, &off) < 0 ||
	    imap_parse_number(dot + 1, UINT32_MAX, &len) < 0 || len == 0)
		return -1;
	it->partial = true;
	it->offset = (uint32_t)off;
	it->length = (uint32_t)len;
	return 0;
}

/* part numbers "1.2.3" from *s, each followed by "." or the end. */
static int parse_parts(struct imap_cursor *c, char **s, struct imap_fetch_item *it)
{
	uint32_t *parts = imap_cursor_alloc(c, IMAP_SECTION_DEPTH_MAX, sizeof(*parts));

	if (parts == NULL)
		return -1;
	while (**s >= '1' && **s <= '9') {
		uint64_t n = 0;
		for (; **s >= '0' && **s <= '9'; (*s)++) {
			n = n * 10 + (uint64_t)(**s - '0');
			if (n > UINT32_MAX)
				return -1;
		}
		if (it->n_parts == IMAP_SECTION_DEPTH_MAX)
			return -1;
		parts[it->n_parts++] = (uint32_t)n;
		if (**s != '.')
			break;
		(*s)++;
	}
	it->parts = parts;
	return 0;
}

/* " (name name ...)" after HEADER.FIELDS[.NOT]: astrings, as the tokenizer reads them. */
static int parse_field_names(struct imap_cursor *c, const char *s, struct imap_fetch_item *it)
{
	struct imap_tokenizer *t = imap_cursor_alloc(c, 1, sizeof(*t));
	struct imap_lit_announce lit;
	const char *error;

	if (t == NULL || *s++ != ' ' || *s != '(')
		return -1;
	if (imap_tokenize(t, c->arena, s, strlen(s), &lit, &error) != 0 || t->depth != 0 ||
	    t->stack[0].n != 1 || t->stack[0].v[0].type != IMAP_ARG_LIST)
		return -1;
	struct imap_cursor sub;
	imap_take_list(&(struct imap_cursor){.a = t->stack[0].v, .n = 1, .arena = c->arena}, "",
		       &sub);
	const char **fields = imap_cursor_alloc(c, sub.n, sizeof(*fields));
	if (fields == NULL || sub.n == 0)
		return -1;
	for (unsigned i = 0; i < sub.n; i++) {
		if (imap_take_astring(&sub, "", &fields[i]) < 0 || fields[i][0] == '\0')
			return -1;
	}
	it->fields = fields;
	it->n_fields = sub.n;
	return 0;
}

/* The text inside [...] (NUL-terminated copy). BINARY takes part numbers only. */
static int parse_section(struct imap_cursor *c, char *s, struct imap_fetch_item *it)
{
	static const struct {
		const char *name;
		enum imap_section_spec spec;
	} specs[] = {
		{"HEADER.FIELDS.NOT", IMAP_SECTION_HEADER_FIELDS_NOT},
		{"HEADER.FIELDS", IMAP_SECTION_HEADER_FIELDS},
		{"HEADER", IMAP_SECTION_HEADER},
		{"TEXT", IMAP_SECTION_TEXT},
		{"MIME", IMAP_SECTION_MIME},
	};

	if (parse_parts(c, &s, it) < 0)
		return -1;
	if (*s == '\0')
		return 0;
	if (it->att != IMAP_FETCH_BODY_SECTION)
		return -1;
	for (size_t i = 0; i < sizeof(specs) / sizeof(specs[0]); i++) {
		size_t n = strlen(specs[i].name);
		if (strncasecmp(s, specs[i].name, n) != 0)
			continue;
		it->spec = specs[i].spec;
		if (it->spec == IMAP_SECTION_MIME && it->n_parts == 0)
			return -1;
		if (it->spec == IMAP_SECTION_HEADER_FIELDS || it->spec == IMAP_SECTION_HEADER_FIELDS_NOT)
			return parse_field_names(c, s + n, it);
		return s[n] == '\0' ? 0 : -1;
	}
	return -1;
}

/* BODY[..]<..>, BODY.PEEK[..], BINARY[..], BINARY.PEEK[..], BINARY.SIZE[..]. */
static int parse_section_att(struct imap_cursor *c, const char *s, struct imap_fetch_item *it)
{
	const char *open = strchr(s, '['), *close = strrchr(s, ']');
	size_t prefix = (size_t)(open - s);

	if (close == NULL || close < open)
		return -1;
	if (prefix == 4 && strncasecmp(s, "BODY", 4) == 0) {
		it->att = IMAP_FETCH_BODY_SECTION;
	} else if (prefix == 9 && strncasecmp(s, "BODY.PEEK", 9) == 0) {
		it->att = IMAP_FETCH_BODY_SECTION;
		it->peek = true;
	} else if (prefix == 6 && strncasecmp(s, "BINARY", 6) == 0) {
		it->att = IMAP_FETCH_BINARY;
	} else if (prefix == 11 && strncasecmp(s, "BINARY.PEEK", 11) == 0) {
		it->att = IMAP_FETCH_BINARY;
		it->peek = true;
	} else if (prefix == 11 && strncasecmp(s, "BINARY.SIZE", 11) == 0) {
		it->att = IMAP_FETCH_BINARY_SIZE;
	} else {
		return -1;
	}
	char *inner = imap_cursor_alloc(c, (size_t)(close - open), 1);
	if (inner == NULL)
		return -1;
	memcpy(inner, open + 1, (size_t)(close - open - 1));
	if (parse_section(c, inner, it) < 0)
		return -1;
	if (close[1] == '\0')
		return 0;
	return it->att == IMAP_FETCH_BINARY_SIZE ? -1 : parse_partial(close + 1, it);
}

static int parse_item(struct imap_cursor *c, const char *s, struct imap_fetch_item *it)
{
	memset(it, 0, sizeof(*it));
	if (strchr(s, '[') != NULL)
		return parse_section_att(c, s, it);
	for (size_t i = 0; i < sizeof(simple_atts) / sizeof(simple_atts[0]); i++) {
		if (strcasecmp(s, simple_atts[i].name) == 0) {
			it->att = simple_atts[i].att;
			return 0;
		}
	}
	return -1;
}

/* ALL, FAST, FULL (RFC 3501 6.4.5). */
static int expand_macro(struct imap_cursor *c, const char *s, struct imap_fetch *f)
{
	static const enum imap_fetch_att all[] = {IMAP_FETCH_FLAGS, IMAP_FETCH_INTERNALDATE,
						  IMAP_FETCH_RFC822_SIZE, IMAP_FETCH_ENVELOPE,
						  IMAP_FETCH_BODY};
	unsigned n = imap_eq(s, "FAST") ? 3 : imap_eq(s, "ALL") ? 4 : imap_eq(s, "FULL") ? 5 : 0;

	if (n == 0)
		return 0;
	struct imap_fetch_item *items = imap_cursor_alloc(c, n, sizeof(*items));
	if (items == NULL)
		return -1;
	for (unsigned i = 0; i < n; i++)
		items[i].att = all[i];
	f->macro_fast = n == 3;
	f->macro_all = n == 4;
	f->macro_full = n == 5;
	f->items = items;
	f->n_items = n;
	return 1;
}

static int parse_items(struct imap_cursor *c, struct imap_fetch *f)
{
	const struct imap_arg *a = imap_cursor_peek(c);
	struct imap_cursor sub;
	const char *s;

	if (a != NULL && a->type == IMAP_ARG_ATOM) {
		int ret = expand_macro(c, a->str, f);
		if (ret != 0) {
			c->i++;
			return ret;
		}
		imap_cursor_init(&sub, a, 1, c->arena);
		c->i++;
	} else if (imap_take_list(c, "fetch items expected", &sub) < 0) {
		return -1;
	}
	if (sub.n == 0 || sub.n > FETCH_ITEMS_MAX)
		return imap_fail(c, "fetch items expected");
	struct imap_fetch_item *items = imap_cursor_alloc(c, sub.n, sizeof(*items));
	if (items == NULL)
		return -1;
	for (unsigned i = 0; i < sub.n; i++) {
		if (imap_take_atom(&sub, "invalid fetch item", &s) < 0 ||
		    parse_item(c, s, &items[i]) < 0)
			return imap_fail(c, "invalid fetch item");
	}
	f->items = items;
	f->n_items = sub.n;
	return 0;
}

/* (CHANGEDSINCE modseq [VANISHED]) (RFC 7162 3.1.4.1, 3.2.6). */
static int parse_modifiers(struct imap_cursor *c, bool uid, struct imap_fetch *f)
{
	struct imap_cursor sub;
	const char *s;

	if (imap_take_list(c, "invalid fetch modifiers", &sub) < 0)
		return -1;
	while (!imap_cursor_end(&sub)) {
		if (imap_take_atom(&sub, "", &s) < 0)
			return imap_fail(c, "invalid fetch modifier");
		if (imap_eq(s, "CHANGEDSINCE") && !f->has_changedsince) {
			if (imap_take_number(&sub, "", INT64_MAX, &f->changedsince) < 0 ||
			    f->changedsince == 0)
				return imap_fail(c, "invalid CHANGEDSINCE");
			f->has_changedsince = true;
		} else if (imap_eq(s, "VANISHED") && uid && !f->vanished) {
			f->vanished = true;
		} else {
			return imap_fail(c, "invalid fetch modifier");
		}
	}
	if (f->vanished && !f->has_changedsince)
		return imap_fail(c, "VANISHED needs CHANGEDSINCE");
	return 0;
}

int imap_parse_fetch(struct imap_cursor *c, struct imap_cmd *cmd)
{
	struct imap_fetch *f = &cmd->u.fetch;

	if (imap_take_seqset(c, "sequence set expected", &f->set) < 0 || parse_items(c, f) < 0)
		return -1;
	if (!imap_cursor_end(c) && parse_modifiers(c, cmd->uid, f) < 0)
		return -1;
	return imap_take_end(c, "too many arguments");
}
