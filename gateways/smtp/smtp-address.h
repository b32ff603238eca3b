/*
 * smtp-address.h: RFC 5321 / RFC 6531 mailbox syntax: split "local@domain", unquote the
 * local part, lowercase the domain, validate both; write an address back in canonical form.
 * Pure: no DNS, no allocation (fixed-size results). OWNS nothing. THREAD: any.
 */
#ifndef SMTP_ADDRESS_H
#define SMTP_ADDRESS_H

#include "pb-buf.h"

#include <stdbool.h>
#include <stddef.h>

/* A domain (RFC 5321 4.5.3.1.2). */
#define SMTP_DOMAIN_MAX 255
/* A label of a domain (RFC 1035). */
#define SMTP_LABEL_MAX 63
/* A whole mailbox as it can appear on a command line. RFC 5321 allows 64 octets of local
 * part, but like Postfix we accept longer ones (VERP senders exceed it); the command line
 * limit bounds them. */
#define SMTP_MAILBOX_MAX 510

/* A parsed mailbox. */
struct smtp_address {
	/* The local part with quotes and quoted-pair backslashes removed: the address
	 * "John\ Doe"@x and John\ Doe's dot-string twin compare equal by this field. */
	char local[SMTP_MAILBOX_MAX + 1];
	/* The domain, ASCII letters lowercased (U-labels are left as sent), or an address
	 * literal with its brackets ("[192.0.2.1]", "[ipv6:2001:db8::1]"). "" only for the
	 * bare "postmaster" of RFC 5321 4.1.1.3. */
	char domain[SMTP_DOMAIN_MAX + 1];
	bool utf8;	   /* some byte is non-ASCII (valid UTF-8): needs SMTPUTF8 */
	bool needs_quotes; /* local is not a dot-string: quote it when writing it back */
	bool literal;	   /* domain is an address literal */
};

/* Parses the mailbox s[0..len) (no angle brackets): Local-part "@" (Domain /
 * address-literal), where Local-part is a Dot-string or a Quoted-string, and atoms, quoted
 * text and domain labels may hold UTF-8 (RFC 6531; reported in utf8, the caller decides
 * whether SMTPUTF8 allows it). When allow_postmaster, the bare word "postmaster" (any case)
 * is accepted with an empty domain. Returns 0 with *addr_r filled, or -1 with *error_r (static
 * text: "missing @", "bad local part", "bad domain", "invalid UTF-8", "too long"). */
int smtp_address_parse(const char *s, size_t len, bool allow_postmaster,
		       struct smtp_address *addr_r, const char **error_r);

/* Appends the canonical form "local@domain" to out, quoting the local part when needed
 * (quoted-pairs for '"' and '\\'). */
void smtp_address_render(const struct smtp_address *a, struct pb_buf *out);

/* True if s[0..len) is a Domain: dot-separated labels of letters, digits and inner
 * hyphens (UTF-8 letters allowed: U-labels), each 1..63 octets, 255 octets in all, no
 * trailing dot. */
bool smtp_address_domain_valid(const char *s, size_t len);

/* True if s[0..len) is an address literal with brackets: "[IPv4]", "[IPv6:addr]" (the tag
 * in any case) or a General-address-literal "[tag:content]". */
bool smtp_address_literal_valid(const char *s, size_t len);

/* True if s[0..len) is well-formed UTF-8 (no overlong forms, no surrogates, <= U+10FFFF).
 * NUL bytes count as valid here; callers reject them separately. */
bool smtp_utf8_valid(const char *s, size_t len);

/* Length of the well-formed UTF-8 sequence starting at s (at most len bytes available),
 * or 0 if it is not one. */
size_t smtp_utf8_seq_len(const unsigned char *s, size_t len);

#endif
