/*
 * mime-address.h: RFC 5322 address lists (From, To, Cc, Sender, Reply-To, Bcc) parsed into
 * display name, source route, mailbox and domain, with groups, comments, quoted local
 * parts and the obsolete syntax (routes, phrases with dots, CFWS between dots). Lenient
 * as Dovecot: a missing mailbox or domain is NULL (IMAP shows MISSING_MAILBOX /
 * MISSING_DOMAIN), garbage up to the next comma is skipped, an unclosed group is closed.
 * OWNS the lists it returns. THREAD: any.
 */
#ifndef MIME_ADDRESS_H
#define MIME_ADDRESS_H

#include "pb-buf.h"

#include <stddef.h>

enum mime_address_kind {
	MIME_ADDRESS_MAILBOX,     /* name, route, mailbox, domain */
	MIME_ADDRESS_GROUP_START, /* mailbox = the group's display name */
	MIME_ADDRESS_GROUP_END,   /* no fields */
};

/* Strings are raw header text with quoting undone: encoded-words are kept (IMAP ENVELOPE
 * shows them so); decode with mime_decode_header() or mime_address_list_format_utf8().
 * NULL when absent. */
struct mime_address {
	enum mime_address_kind kind;
	char *name;    /* display name, or the comment when there is no display name */
	char *route;   /* obsolete source route, "@a.example,@b.example" */
	char *mailbox; /* local part, unquoted */
	char *domain;  /* domain, or "[domain literal]" */
};

struct mime_address_list {
	struct mime_address *v;
	unsigned int n;
};

/* Parses an address-list header value (unfolded or not). Never fails: the list may be
 * empty. The caller frees it with mime_address_list_free(). At most MIME_ADDRESSES_MAX
 * entries are kept. */
#define MIME_ADDRESSES_MAX 10000
void mime_address_list_parse(const char *value, size_t len, struct mime_address_list *list_r);
void mime_address_list_free(struct mime_address_list *list);

/* Appends the list as decoded UTF-8 text for rules and display:
 * "Name <mailbox@domain>, mailbox@domain, Group: a@b, c@d;" — names decoded
 * (RFC 2047), a missing mailbox or domain left empty. */
void mime_address_list_format_utf8(const struct mime_address_list *list, struct pb_buf *out);

#endif
