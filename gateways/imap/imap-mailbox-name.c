/*
 * imap-mailbox-name.c: modified UTF-7 (RFC 3501 5.1.3) and mailbox name checks.
 * OWNS nothing. THREAD: any.
 *
 * Modified UTF-7: printable ASCII stands for itself except "&", written "&-"; anything else
 * is UTF-16 in modified base64 (",", not "/") between "&" and "-". Decoding is strict
 * (RFC 3501: "the encoded form MUST be canonical") so that one name has one spelling.
 */
#include "imap-mailbox-name.h"

#include <stdint.h>
#include <string.h>

static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+,";

static int b64_val(char c)
{
	const char *p = c == '\0' ? NULL : strchr(b64, c);
	return p == NULL ? -1 : (int)(p - b64);
}

static void put_utf8(struct pb_buf *out, uint32_t cp)
{
	char s[4];
	size_t n;

	if (cp < 0x80) {
		s[0] = (char)cp, n = 1;
	} else if (cp < 0x800) {
		s[0] = (char)(0xc0 | cp >> 6), s[1] = (char)(0x80 | (cp & 0x3f)), n = 2;
	} else if (cp < 0x10000) {
		s[0] = (char)(0xe0 | cp >> 12), s[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		s[2] = (char)(0x80 | (cp & 0x3f)), n = 3;
	} else {
		s[0] = (char)(0xf0 | cp >> 18), s[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
		s[2] = (char)(0x80 | ((cp >> 6) & 0x3f)), s[3] = (char)(0x80 | (cp & 0x3f)), n = 4;
	}
	pb_buf_append(out, s, n);
}

/* One shifted run "&...-" starting after the "&"; *in moves past the "-". */
static int decode_run(const char **in, struct pb_buf *out, const char **error_r)
{
	uint32_t bits = 0, hi = 0;
	int nbits = 0, units = 0;
	const char *s = *in;

	for (; *s != '-'; s++) {
		int v = b64_val(*s);
		if (v < 0)
			goto bad;
		bits = bits << 6 | (uint32_t)v;
		nbits += 6;
		if (nbits < 16)
			continue;
		nbits -= 16;
		uint32_t u = (bits >> nbits) & 0xffff;
		units++;
		if (hi != 0) {
			if (u < 0xdc00 || u > 0xdfff)
				goto bad;
			put_utf8(out, 0x10000 + ((hi - 0xd800) << 10) + (u - 0xdc00));
			hi = 0;
		} else if (u >= 0xd800 && u <= 0xdbff) {
			hi = u;
		} else if ((u >= 0xdc00 && u <= 0xdfff) || (u >= 0x20 && u <= 0x7e)) {
			goto bad; /* lone low surrogate, or printable ASCII that needed no shift */
		} else {
			put_utf8(out, u);
		}
	}
	if (units == 0 || hi != 0 || nbits >= 6 || (bits & ((1u << nbits) - 1)) != 0)
		goto bad; /* "&-" handled by the caller; leftover bits must be zero padding */
	*in = s + 1;
	return 0;
bad:
	*error_r = "invalid modified UTF-7 in mailbox name";
	return -1;
}

int imap_mutf7_to_utf8(const char *in, struct pb_buf *out, const char **error_r)
{
	while (*in != '\0') {
		unsigned char c = (unsigned char)*in;
		if (c < 0x20 || c >= 0x7f) {
			*error_r = "invalid character in mailbox name";
			return -1;
		}
		if (c != '&') {
			pb_buf_append_c(out, *in++);
		} else if (in[1] == '-') {
			pb_buf_append_c(out, '&');
			in += 2;
		} else {
			in++;
			if (strchr(in, '-') == NULL) {
				*error_r = "invalid modified UTF-7 in mailbox name";
				return -1;
			}
			if (decode_run(&in, out, error_r) < 0)
				return -1;
			if (*in == '&' && in[1] != '-') {
				*error_r = "invalid modified UTF-7 in mailbox name";
				return -1; /* two adjacent runs: not canonical */
			}
		}
	}
	return 0;
}

/* Reads one code point from *s (valid UTF-8 assumed checked). */
static int next_cp(const unsigned char **s, uint32_t *cp_r)
{
	const unsigned char *p = *s;
	uint32_t cp;
	int n;

	if (p[0] < 0x80)
		cp = p[0], n = 0;
	else if ((p[0] & 0xe0) == 0xc0)
		cp = p[0] & 0x1f, n = 1;
	else if ((p[0] & 0xf0) == 0xe0)
		cp = p[0] & 0x0f, n = 2;
	else if ((p[0] & 0xf8) == 0xf0)
		cp = p[0] & 0x07, n = 3;
	else
		return -1;
	for (int i = 1; i <= n; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return -1;
		cp = cp << 6 | (p[i] & 0x3f);
	}
	static const uint32_t min[4] = {0, 0x80, 0x800, 0x10000};
	if (cp < min[n] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return -1;
	*s = p + n + 1;
	*cp_r = cp;
	return 0;
}

bool imap_utf8_valid(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	uint32_t cp;

	while (*p != '\0') {
		if (next_cp(&p, &cp) < 0)
			return false;
	}
	return true;
}

static void flush_run(struct pb_buf *out, uint32_t *bits, int *nbits)
{
	if (*nbits > 0)
		pb_buf_append_c(out, b64[(*bits << (6 - *nbits)) & 0x3f]);
	pb_buf_append_c(out, '-');
	*bits = 0;
	*nbits = 0;
}

static void put_unit(struct pb_buf *out, uint32_t u, uint32_t *bits, int *nbits)
{
	*bits = *bits << 16 | u;
	*nbits += 16;
	while (*nbits >= 6) {
		*nbits -= 6;
		pb_buf_append_c(out, b64[(*bits >> *nbits) & 0x3f]);
	}
	*bits &= (1u << *nbits) - 1;
}

int imap_utf8_to_mutf7(const char *in, struct pb_buf *out, const char **error_r)
{
	const unsigned char *p = (const unsigned char *)in;
	uint32_t cp, bits = 0;
	int nbits = 0;
	bool shifted = false;

	while (*p != '\0') {
		if (next_cp(&p, &cp) < 0) {
			*error_r = "invalid UTF-8 in mailbox name";
			return -1;
		}
		if (cp >= 0x20 && cp <= 0x7e) {
			if (shifted)
				flush_run(out, &bits, &nbits);
			shifted = false;
			pb_buf_append_str(out, cp == '&' ? "&-" : (char[]){(char)cp, '\0'});
			continue;
		}
		if (!shifted)
			pb_buf_append_c(out, '&');
		shifted = true;
		if (cp >= 0x10000) {
			put_unit(out, 0xd800 + ((cp - 0x10000) >> 10), &bits, &nbits);
			put_unit(out, 0xdc00 + ((cp - 0x10000) & 0x3ff), &bits, &nbits);
		} else {
			put_unit(out, cp, &bits, &nbits);
		}
	}
	if (shifted)
		flush_run(out, &bits, &nbits);
	return 0;
}

static int check_components(const char *s, const char **error_r)
{
	const char *start = s;

	for (;;) {
		const char *end = strchr(start, IMAP_MAILBOX_SEP);
		size_t n = end == NULL ? strlen(start) : (size_t)(end - start);
		if (n == 0 || (n == 1 && start[0] == '.') || (n == 2 && memcmp(start, "..", 2) == 0)) {
			*error_r = "invalid mailbox name: empty, \".\" or \"..\" component";
			return -1;
		}
		if (end == NULL)
			return 0;
		start = end + 1;
	}
}

int imap_mailbox_name_check(const char *utf8, const char **error_r)
{
	const unsigned char *p = (const unsigned char *)utf8;
	uint32_t cp;

	if (*p == '\0' || strlen(utf8) > IMAP_MAILBOX_NAME_MAX) {
		*error_r = "invalid mailbox name: empty or too long";
		return -1;
	}
	if (*p == IMAP_MAILBOX_SEP || *p == '~') {
		*error_r = "invalid mailbox name: starts with \"/\" or \"~\"";
		return -1;
	}
	while (*p != '\0') {
		if (next_cp(&p, &cp) < 0 || cp < 0x20 || (cp >= 0x7f && cp < 0xa0) || cp == '*' ||
		    cp == '%') {
			*error_r = "invalid mailbox name: bad character";
			return -1;
		}
	}
	return check_components(utf8, error_r);
}
