/*
 * smtp-address.c: mailbox syntax (RFC 5321 4.1.2, RFC 6531 3.3) and UTF-8 checks.
 * OWNS nothing. THREAD: any.
 */
#include "smtp-address.h"

#include <arpa/inet.h>
#include <stdint.h>
#include <string.h>
#include <strings.h>

size_t smtp_utf8_seq_len(const unsigned char *s, size_t len)
{
	uint32_t cp, min;
	size_t n;

	if (len == 0)
		return 0;
	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf) {
		n = 2, cp = s[0] & 0x1f, min = 0x80;
	} else if ((s[0] & 0xf0) == 0xe0) {
		n = 3, cp = s[0] & 0x0f, min = 0x800;
	} else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		n = 4, cp = s[0] & 0x07, min = 0x10000;
	} else {
		return 0;
	}
	if (len < n)
		return 0;
	for (size_t i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return n;
}

bool smtp_utf8_valid(const char *s, size_t len)
{
	const unsigned char *u = (const unsigned char *)s;

	for (size_t i = 0; i < len;) {
		size_t n = smtp_utf8_seq_len(u + i, len - i);
		if (n == 0)
			return false;
		i += n;
	}
	return true;
}

static bool is_alnum(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

/* atext of RFC 5322 3.2.3, ASCII part. */
static bool is_atext(unsigned char c)
{
	return is_alnum(c) || (c != '\0' && strchr("!#$%&'*+-/=?^_`{|}~", c) != NULL);
}

bool smtp_address_domain_valid(const char *s, size_t len)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t label = 0;
	bool hyphen = false;

	if (len == 0 || len > SMTP_DOMAIN_MAX)
		return false;
	for (size_t i = 0; i < len; i++) {
		if (u[i] == '.') {
			if (label == 0 || hyphen)
				return false;
			label = 0;
			continue;
		}
		size_t n = 1;
		if (u[i] >= 0x80) {
			n = smtp_utf8_seq_len(u + i, len - i);
			if (n == 0)
				return false;
		} else if (u[i] == '-') {
			if (label == 0)
				return false;
		} else if (!is_alnum(u[i])) {
			return false;
		}
		hyphen = u[i] == '-';
		label += n;
		i += n - 1;
		if (label > SMTP_LABEL_MAX)
			return false;
	}
	return label > 0 && !hyphen;
}

/* General-address-literal: Standardized-tag ":" 1*dcontent (RFC 5321 4.1.3). */
static bool general_literal_valid(const char *s, size_t taglen, const char *content)
{
	if (taglen == 0 || !is_alnum((unsigned char)s[0]) || s[taglen - 1] == '-')
		return false;
	for (size_t i = 0; i < taglen; i++) {
		if (!is_alnum((unsigned char)s[i]) && s[i] != '-')
			return false;
	}
	if (content[0] == '\0')
		return false;
	for (const unsigned char *c = (const unsigned char *)content; *c != '\0'; c++) {
		if (!((*c >= 33 && *c <= 90) || (*c >= 94 && *c <= 126)))
			return false;
	}
	return true;
}

bool smtp_address_literal_valid(const char *s, size_t len)
{
	char in[SMTP_DOMAIN_MAX + 1];
	unsigned char addr[16];

	if (len < 3 || len - 2 > SMTP_DOMAIN_MAX || s[0] != '[' || s[len - 1] != ']')
		return false;
	memcpy(in, s + 1, len - 2);
	in[len - 2] = '\0';
	if (strlen(in) != len - 2)
		return false; /* NUL inside */
	char *colon = strchr(in, ':');
	if (colon == NULL)
		return inet_pton(AF_INET, in, addr) == 1;
	size_t taglen = (size_t)(colon - in);
	if (taglen == 4 && strncasecmp(in, "IPv6", 4) == 0)
		return inet_pton(AF_INET6, colon + 1, addr) == 1;
	return general_literal_valid(in, taglen, colon + 1);
}

/* Appends one UTF-8 character or ASCII byte of s at *i to the local part; advances *i.
 * Returns -1 if the byte starts no valid sequence. */
static int local_take(const char *s, size_t len, size_t *i, struct smtp_address *a,
		      size_t *out)
{
	size_t n = smtp_utf8_seq_len((const unsigned char *)s + *i, len - *i);

	if (n == 0)
		return -1;
	if (n > 1)
		a->utf8 = true;
	memcpy(a->local + *out, s + *i, n);
	*out += n;
	*i += n;
	return 0;
}

/* Quoted-string = DQUOTE *QcontentSMTP DQUOTE; s[0] is the opening quote. Writes the
 * unquoted text to a->local. Returns the index after the closing quote, or 0 on error. */
static size_t parse_quoted(const char *s, size_t len, struct smtp_address *a, const char **error_r)
{
	size_t i = 1, out = 0;

	while (i < len && s[i] != '"') {
		unsigned char c = (unsigned char)s[i];
		if (c == '\\') {
			if (++i >= len || s[i] < 32 || s[i] > 126)
				break;
			a->local[out++] = s[i++];
		} else if (c >= 0x80) {
			if (local_take(s, len, &i, a, &out) < 0) {
				*error_r = "invalid UTF-8";
				return 0;
			}
		} else if (c >= 32 && c <= 126) {
			a->local[out++] = s[i++];
		} else {
			break;
		}
	}
	if (i >= len || s[i] != '"') {
		*error_r = "bad local part";
		return 0;
	}
	a->local[out] = '\0';
	return i + 1;
}

/* True if the NUL-terminated s is a Dot-string: atoms of atext (or UTF-8) joined by
 * single dots. */
static bool dot_string_valid(const char *s)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t atom = 0;

	for (; *u != '\0'; u++) {
		if (*u == '.') {
			if (atom == 0)
				return false;
			atom = 0;
		} else if (*u >= 0x80 || is_atext(*u)) {
			atom++; /* UTF-8 validity was checked when the local part was read */
		} else {
			return false;
		}
	}
	return atom > 0;
}

/* Dot-string local part: the bytes before the first '@'. Returns the index of the end
 * (the '@' or len), or 0 on error. */
static size_t parse_dot_string(const char *s, size_t len, struct smtp_address *a,
			       const char **error_r)
{
	size_t i = 0, out = 0;

	while (i < len && s[i] != '@') {
		if ((unsigned char)s[i] < 0x80) {
			a->local[out++] = s[i++];
		} else if (local_take(s, len, &i, a, &out) < 0) {
			*error_r = "invalid UTF-8";
			return 0;
		}
	}
	a->local[out] = '\0';
	if (!dot_string_valid(a->local)) {
		*error_r = "bad local part";
		return 0;
	}
	return i;
}

/* Validates and copies the domain part, lowercasing ASCII letters. */
static int parse_domain(const char *s, size_t len, struct smtp_address *a, const char **error_r)
{
	a->literal = len > 0 && s[0] == '[';
	bool ok = a->literal ? smtp_address_literal_valid(s, len)
			     : smtp_address_domain_valid(s, len);
	if (!ok) {
		*error_r = !a->literal && !smtp_utf8_valid(s, len) ? "invalid UTF-8" : "bad domain";
		return -1;
	}
	for (size_t i = 0; i < len; i++) {
		char c = s[i];
		a->domain[i] = c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
		if ((unsigned char)c >= 0x80)
			a->utf8 = true;
	}
	a->domain[len] = '\0';
	return 0;
}

int smtp_address_parse(const char *s, size_t len, bool allow_postmaster,
		       struct smtp_address *addr_r, const char **error_r)
{
	struct smtp_address *a = addr_r;
	size_t end;

	memset(a, 0, sizeof(*a));
	if (len > SMTP_MAILBOX_MAX) {
		*error_r = "too long";
		return -1;
	}
	if (memchr(s, '\0', len) != NULL) {
		*error_r = "bad local part";
		return -1;
	}
	if (allow_postmaster && len == 10 && strncasecmp(s, "postmaster", 10) == 0) {
		memcpy(a->local, s, len);
		return 0;
	}
	if (len > 0 && s[0] == '"') {
		end = parse_quoted(s, len, a, error_r);
		a->needs_quotes = end != 0 && !dot_string_valid(a->local);
	} else {
		end = parse_dot_string(s, len, a, error_r);
	}
	if (end == 0)
		return -1;
	if (end >= len || s[end] != '@') {
		*error_r = "missing @";
		return -1;
	}
	return parse_domain(s + end + 1, len - end - 1, a, error_r);
}

void smtp_address_render(const struct smtp_address *a, struct pb_buf *out)
{
	if (!a->needs_quotes) {
		pb_buf_append_str(out, a->local);
	} else {
		pb_buf_append_c(out, '"');
		for (const char *c = a->local; *c != '\0'; c++) {
			if (*c == '"' || *c == '\\')
				pb_buf_append_c(out, '\\');
			pb_buf_append_c(out, *c);
		}
		pb_buf_append_c(out, '"');
	}
	if (a->domain[0] != '\0') {
		pb_buf_append_c(out, '@');
		pb_buf_append_str(out, a->domain);
	}
}
