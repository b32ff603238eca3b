/*
 * mime-address.c: RFC 5322 address-list parsing (with the obsolete syntax) and UTF-8
 * formatting. OWNS nothing between calls. THREAD: any.
 */
#include "mime-address.h"
#include "mime-charset.h"
#include "mime-decode.h"
#include "mime-lexer.h"

#include <stdlib.h>
#include <string.h>

struct mime_addr_parser {
	struct mime_lexer lx;
	struct mime_address_list *list;
	struct pb_buf name, comment, local, domain, route;
};

static char *mime_addr_dup(const struct pb_buf *b, bool keep_empty)
{
	if (b->len == 0 && !keep_empty)
		return NULL;
	return xstrndup(b->data != NULL ? b->data : "", b->len);
}

static void mime_addr_add(struct mime_addr_parser *ap, enum mime_address_kind kind,
			  const struct pb_buf *name, bool route, const struct pb_buf *mailbox,
			  const struct pb_buf *domain)
{
	struct mime_address_list *list = ap->list;

	if (list->n >= MIME_ADDRESSES_MAX)
		return;
	list->v = xrealloc(list->v, sizeof(*list->v) * (list->n + 1));
	struct mime_address *a = &list->v[list->n++];
	a->kind = kind;
	a->name = name != NULL ? mime_addr_dup(name, false) : NULL;
	a->route = route ? mime_addr_dup(&ap->route, false) : NULL;
	a->mailbox = mailbox != NULL ? mime_addr_dup(mailbox, false) : NULL;
	a->domain = domain != NULL ? mime_addr_dup(domain, false) : NULL;
}

/* Skips CFWS; returns true if anything was skipped. */
static bool mime_addr_cfws(struct mime_addr_parser *ap, struct pb_buf *comment)
{
	size_t before = ap->lx.pos;

	mime_lexer_skip_cfws(&ap->lx, comment);
	return ap->lx.pos > before;
}

/* A phrase (display name): words and dots, whitespace runs become one space. */
static bool mime_addr_phrase(struct mime_addr_parser *ap)
{
	bool any = false;

	for (;;) {
		bool space = mime_addr_cfws(ap, &ap->comment) && ap->name.len > 0;
		int c = mime_lexer_peek(&ap->lx);
		size_t mark = ap->name.len;

		if (space)
			pb_buf_append_c(&ap->name, ' ');
		if (c == '"') {
			mime_lexer_quoted(&ap->lx, &ap->name);
		} else if (c == '.') {
			pb_buf_append_c(&ap->name, '.');
			ap->lx.pos++;
		} else if (!mime_lexer_atom(&ap->lx, &ap->name)) {
			ap->name.len = mark; /* drop the space */
			if (ap->name.data != NULL)
				ap->name.data[mark] = '\0';
			return any;
		}
		any = true;
	}
}

/* local-part: words separated by dots, CFWS allowed around them (obs-local-part). */
static void mime_addr_local(struct mime_addr_parser *ap)
{
	pb_buf_reset(&ap->local);
	for (;;) {
		mime_addr_cfws(ap, &ap->comment);
		if (mime_lexer_peek(&ap->lx) == '"')
			mime_lexer_quoted(&ap->lx, &ap->local);
		else if (!mime_lexer_atom(&ap->lx, &ap->local))
			break;
		mime_addr_cfws(ap, &ap->comment);
		if (mime_lexer_peek(&ap->lx) != '.')
			break;
		pb_buf_append_c(&ap->local, '.');
		ap->lx.pos++;
	}
}

/* domain: dot-atom (CFWS allowed around dots) or a domain literal. */
static void mime_addr_domain(struct mime_addr_parser *ap, struct pb_buf *out)
{
	pb_buf_reset(out);
	mime_addr_cfws(ap, &ap->comment);
	if (mime_lexer_domain_literal(&ap->lx, out))
		return;
	while (mime_lexer_atom(&ap->lx, out)) {
		mime_addr_cfws(ap, &ap->comment);
		if (mime_lexer_peek(&ap->lx) != '.')
			break;
		pb_buf_append_c(out, '.');
		ap->lx.pos++;
		mime_addr_cfws(ap, &ap->comment);
	}
}

/* addr-spec: local-part ["@" domain] */
static void mime_addr_spec(struct mime_addr_parser *ap)
{
	mime_addr_local(ap);
	pb_buf_reset(&ap->domain);
	if (mime_lexer_peek(&ap->lx) == '@') {
		ap->lx.pos++;
		mime_addr_domain(ap, &ap->domain);
	}
}

/* obs-route: "@" domain *("," [CFWS] ["@" domain]) ":" */
static void mime_addr_route(struct mime_addr_parser *ap)
{
	struct pb_buf dom;

	pb_buf_init(&dom);
	while (mime_lexer_peek(&ap->lx) == '@' || mime_lexer_peek(&ap->lx) == ',') {
		if (ap->lx.s[ap->lx.pos++] == ',') {
			mime_addr_cfws(ap, &ap->comment);
			continue;
		}
		mime_addr_domain(ap, &dom);
		if (ap->route.len > 0)
			pb_buf_append_c(&ap->route, ',');
		pb_buf_append_c(&ap->route, '@');
		pb_buf_append(&ap->route, dom.data, dom.len);
		mime_addr_cfws(ap, &ap->comment);
	}
	if (mime_lexer_peek(&ap->lx) == ':')
		ap->lx.pos++;
	pb_buf_deinit(&dom);
}

/* angle-addr after the '<': [obs-route] addr-spec ">" */
static void mime_addr_angle(struct mime_addr_parser *ap, bool has_phrase)
{
	ap->lx.pos++;
	pb_buf_reset(&ap->route);
	mime_addr_cfws(ap, &ap->comment);
	if (mime_lexer_peek(&ap->lx) == '@')
		mime_addr_route(ap);
	mime_addr_spec(ap);
	mime_addr_cfws(ap, &ap->comment);
	if (mime_lexer_peek(&ap->lx) == '>')
		ap->lx.pos++;
	mime_addr_cfws(ap, &ap->comment);
	const struct pb_buf *name = has_phrase ? &ap->name : &ap->comment;
	mime_addr_add(ap, MIME_ADDRESS_MAILBOX, name, true, &ap->local, &ap->domain);
}

/* Skips what is left of an address up to the next separator (',' or, in a group, ';'). */
static void mime_addr_skip_rest(struct mime_addr_parser *ap, bool in_group)
{
	mime_lexer_skip_to(&ap->lx, in_group ? ",;" : ",");
}

/* One mailbox (name-addr or addr-spec). Returns false if there was nothing there. Always
 * ends at a separator, the end, or (outside a group) the ':' of a group. */
static bool mime_addr_mailbox(struct mime_addr_parser *ap, bool in_group)
{
	size_t start = ap->lx.pos, phrase_end;
	bool has_phrase;

	pb_buf_reset(&ap->name);
	pb_buf_reset(&ap->comment);
	has_phrase = mime_addr_phrase(ap);
	mime_addr_cfws(ap, &ap->comment);
	phrase_end = ap->lx.pos;
	int c = mime_lexer_peek(&ap->lx);
	if (c == '<') {
		mime_addr_angle(ap, has_phrase);
		mime_addr_skip_rest(ap, in_group);
		return true;
	}
	if (c == ':' && has_phrase && !in_group)
		return false; /* a group: the caller handles it */
	ap->lx.pos = start;
	pb_buf_reset(&ap->comment);
	pb_buf_reset(&ap->route);
	mime_addr_spec(ap);
	mime_addr_cfws(ap, &ap->comment);
	if (ap->local.len == 0 && ap->domain.len == 0 && ap->lx.pos == start)
		return false;
	c = mime_lexer_peek(&ap->lx);
	if (has_phrase && ap->domain.len == 0 && c >= 0 && c != ',' && c != ';') {
		/* words and no address ("To: Bob Smith"): a name only, as Dovecot */
		mime_addr_add(ap, MIME_ADDRESS_MAILBOX, &ap->name, false, NULL, NULL);
		if (ap->lx.pos < phrase_end)
			ap->lx.pos = phrase_end;
	} else {
		mime_addr_add(ap, MIME_ADDRESS_MAILBOX, &ap->comment, false, &ap->local,
			      &ap->domain);
	}
	mime_addr_skip_rest(ap, in_group);
	return true;
}

/* group: display-name ":" [mailbox-list] ";" — called at the ':' */
static void mime_addr_group(struct mime_addr_parser *ap)
{
	ap->lx.pos++;
	mime_addr_add(ap, MIME_ADDRESS_GROUP_START, NULL, false, &ap->name, NULL);
	for (;;) {
		mime_addr_cfws(ap, NULL);
		int c = mime_lexer_peek(&ap->lx);
		if (c == ';' || c < 0) {
			if (c == ';')
				ap->lx.pos++;
			break;
		}
		if (c == ',') {
			ap->lx.pos++;
			continue;
		}
		size_t before = ap->lx.pos;
		if (!mime_addr_mailbox(ap, true))
			mime_addr_skip_rest(ap, true);
		if (ap->lx.pos == before)
			ap->lx.pos++;
	}
	mime_addr_add(ap, MIME_ADDRESS_GROUP_END, NULL, false, NULL, NULL);
}

void mime_address_list_parse(const char *value, size_t len, struct mime_address_list *list_r)
{
	struct mime_addr_parser ap;

	memset(&ap, 0, sizeof(ap));
	list_r->v = NULL;
	list_r->n = 0;
	ap.list = list_r;
	mime_lexer_init(&ap.lx, value, len);
	for (;;) {
		mime_addr_cfws(&ap, NULL);
		if (mime_lexer_eof(&ap.lx))
			break;
		size_t before = ap.lx.pos;
		if (mime_lexer_peek(&ap.lx) == ',') {
			ap.lx.pos++;
			continue;
		}
		if (!mime_addr_mailbox(&ap, false) && mime_lexer_peek(&ap.lx) == ':')
			mime_addr_group(&ap);
		if (mime_lexer_peek(&ap.lx) != ',' && !mime_lexer_eof(&ap.lx))
			mime_lexer_skip_to(&ap.lx, ",");
		if (ap.lx.pos == before)
			ap.lx.pos++;
	}
	pb_buf_deinit(&ap.name);
	pb_buf_deinit(&ap.comment);
	pb_buf_deinit(&ap.local);
	pb_buf_deinit(&ap.domain);
	pb_buf_deinit(&ap.route);
}

void mime_address_list_free(struct mime_address_list *list)
{
	for (unsigned int i = 0; i < list->n; i++) {
		free(list->v[i].name);
		free(list->v[i].route);
		free(list->v[i].mailbox);
		free(list->v[i].domain);
	}
	free(list->v);
	list->v = NULL;
	list->n = 0;
}

static void mime_address_format_one(const struct mime_address *a, struct pb_buf *out)
{
	bool named = a->name != NULL && a->name[0] != '\0';
	bool addr = a->mailbox != NULL || a->domain != NULL;

	if (named) {
		mime_decode_header(a->name, strlen(a->name), out);
		if (!addr)
			return;
		pb_buf_append_str(out, " <");
	}
	/* raw 8-bit in an address (RFC 6532 or not): kept if UTF-8, else windows-1252 */
	if (a->mailbox != NULL)
		mime_charset_to_utf8("unknown-8bit", a->mailbox, strlen(a->mailbox), out);
	if (a->domain != NULL) {
		pb_buf_append_c(out, '@');
		mime_charset_to_utf8("unknown-8bit", a->domain, strlen(a->domain), out);
	}
	if (named)
		pb_buf_append_c(out, '>');
}

void mime_address_list_format_utf8(const struct mime_address_list *list, struct pb_buf *out)
{
	bool first = true;

	for (unsigned int i = 0; i < list->n; i++) {
		const struct mime_address *a = &list->v[i];

		if (a->kind == MIME_ADDRESS_GROUP_END) {
			pb_buf_append_c(out, ';');
			first = false;
			continue;
		}
		if (!first)
			pb_buf_append_str(out, a->kind == MIME_ADDRESS_GROUP_START ||
						       i == 0 || list->v[i - 1].kind != MIME_ADDRESS_GROUP_START
					       ? ", " : " ");
		first = false;
		if (a->kind == MIME_ADDRESS_GROUP_START) {
			const char *g = a->mailbox != NULL ? a->mailbox : "";
			mime_decode_header(g, strlen(g), out);
			pb_buf_append_c(out, ':');
			continue;
		}
		mime_address_format_one(a, out);
	}
}
