/*
 * mime-decode.c: RFC 2047 encoded-words, RFC 2231 values, quoted-printable and base64.
 * OWNS nothing. THREAD: any.
 */
#include "mime-decode.h"
#include "mime-charset.h"

#include <string.h>
#include <strings.h>

#define MIME_CHARSET_NAME_MAX 64

static int mime_hex_value(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

static int mime_base64_value(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

/* One parsed encoded-word: where its parts are in the input. */
struct mime_eword {
	const char *charset;
	size_t charset_len; /* without the RFC 2231 "*language" suffix */
	char encoding;      /* 'B' or 'Q' */
	const char *text;
	size_t text_len;
	size_t total_len; /* from "=?" to "?=" inclusive */
};

/* Recognises an encoded-word at s (which starts with "=?"). Returns false if it is not
 * one (then the bytes are plain text). */
static bool mime_eword_parse(const char *s, size_t n, struct mime_eword *w)
{
	size_t i = 2, limit = n < MIME_ENCODED_WORD_MAX ? n : MIME_ENCODED_WORD_MAX;

	w->charset = s + 2;
	while (i < limit && s[i] != '?' && s[i] != ' ' && s[i] != '\t')
		i++;
	if (i >= limit || s[i] != '?' || i == 2 || i - 2 > MIME_CHARSET_NAME_MAX)
		return false;
	const char *star = memchr(w->charset, '*', i - 2);
	w->charset_len = star != NULL ? (size_t)(star - w->charset) : i - 2;
	if (w->charset_len == 0 || i + 3 > limit || s[i + 2] != '?')
		return false;
	w->encoding = (char)(s[i + 1] & ~0x20);
	if (w->encoding != 'B' && w->encoding != 'Q')
		return false;
	i += 3;
	w->text = s + i;
	for (; i + 1 < limit; i++) {
		if (s[i] == '?' && s[i + 1] == '=') {
			w->text_len = (size_t)(s + i - w->text);
			w->total_len = i + 2;
			return true;
		}
		if (s[i] == '\r' || s[i] == '\n')
			return false;
	}
	return false;
}

static void mime_buf_truncate(struct pb_buf *b, size_t len)
{
	b->len = len;
	if (b->data != NULL)
		b->data[len] = '\0';
}

static void mime_q_decode(const char *s, size_t n, struct pb_buf *out)
{
	for (size_t i = 0; i < n; i++) {
		int hi, lo;

		if (s[i] == '_') {
			pb_buf_append_c(out, ' ');
		} else if (s[i] == '=' && i + 2 < n &&
			   (hi = mime_hex_value((unsigned char)s[i + 1])) >= 0 &&
			   (lo = mime_hex_value((unsigned char)s[i + 2])) >= 0) {
			pb_buf_append_c(out, (char)(hi * 16 + lo));
			i += 2;
		} else {
			pb_buf_append_c(out, s[i]);
		}
	}
}

/* Appends the encoded-word's octets to out. Returns false (and appends nothing) if the B
 * text is not base64. */
static bool mime_eword_decode(const struct mime_eword *w, struct pb_buf *out)
{
	unsigned int acc = 0, bits = 0;
	size_t start = out->len, i;

	if (w->encoding == 'Q') {
		mime_q_decode(w->text, w->text_len, out);
		return true;
	}
	for (i = 0; i < w->text_len && w->text[i] != '='; i++) {
		int v = mime_base64_value((unsigned char)w->text[i]);
		if (v < 0) {
			mime_buf_truncate(out, start);
			return false;
		}
		acc = (acc << 6) | (unsigned int)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			pb_buf_append_c(out, (char)((acc >> bits) & 0xFF));
		}
	}
	for (; i < w->text_len; i++) {
		if (w->text[i] != '=') {
			mime_buf_truncate(out, start);
			return false;
		}
	}
	return true;
}

/* Appends raw (not encoded-word) header text: unfolds, maps NUL to U+FFFD, keeps UTF-8,
 * converts 7-bit ISO-2022-JP, reads other 8-bit text as windows-1252. */
static void mime_decode_raw(const char *s, size_t n, struct pb_buf *out)
{
	bool high = false, esc = false, ctl = false;

	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c >= 0x80)
			high = true;
		else if (c == 0x1B && i + 1 < n && (s[i + 1] == '$' || s[i + 1] == '('))
			esc = true;
		else if (c == '\r' || c == '\n' || c == '\0')
			ctl = true;
	}
	if (ctl) {
		struct pb_buf tmp;
		pb_buf_init(&tmp);
		for (size_t i = 0; i < n; i++) {
			if (s[i] == '\0')
				pb_buf_append_str(&tmp, MIME_UTF8_REPLACEMENT);
			else if (s[i] != '\r' && s[i] != '\n')
				pb_buf_append_c(&tmp, s[i]);
		}
		mime_decode_raw(tmp.data, tmp.len, out);
		pb_buf_deinit(&tmp);
		return;
	}
	if (esc && !high)
		mime_charset_to_utf8("ISO-2022-JP", s, n, out);
	else if (high)
		mime_charset_to_utf8("unknown-8bit", s, n, out);
	else
		pb_buf_append(out, s, n);
}

/* Converts the pending octets of joined encoded-words and empties the pending buffer.
 * Controls that a word may smuggle in are kept out of the header text: CR and LF become
 * spaces, NUL becomes U+FFFD. */
static void mime_decode_flush(char *charset, struct pb_buf *pending, struct pb_buf *out)
{
	struct pb_buf tmp;

	if (charset[0] == '\0')
		return;
	pb_buf_init(&tmp);
	mime_charset_to_utf8(charset, pending->data != NULL ? pending->data : "", pending->len,
			     &tmp);
	for (size_t i = 0; i < tmp.len; i++) {
		if (tmp.data[i] == '\0')
			pb_buf_append_str(out, MIME_UTF8_REPLACEMENT);
		else
			pb_buf_append_c(out, tmp.data[i] == '\r' || tmp.data[i] == '\n' ? ' ' : tmp.data[i]);
	}
	pb_buf_deinit(&tmp);
	pb_buf_reset(pending);
	charset[0] = '\0';
}

static bool mime_all_lwsp(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (s[i] != ' ' && s[i] != '\t' && s[i] != '\r' && s[i] != '\n')
			return false;
	}
	return true;
}

/* Finds the next valid encoded-word at or after *pos; decodes its octets into word. */
static bool mime_eword_next(const char *s, size_t len, size_t *pos, struct mime_eword *w,
			    struct pb_buf *word)
{
	size_t i = *pos;

	while (i + 1 < len) {
		const char *q = memchr(s + i, '=', len - i);
		if (q == NULL)
			return false;
		i = (size_t)(q - s);
		if (i + 1 < len && s[i + 1] == '?' && mime_eword_parse(s + i, len - i, w)) {
			pb_buf_reset(word);
			if (mime_eword_decode(w, word)) {
				*pos = i;
				return true;
			}
		}
		i++;
	}
	return false;
}

void mime_decode_header(const void *value, size_t len, struct pb_buf *out)
{
	const char *s = value;
	char charset[MIME_CHARSET_NAME_MAX + 1] = "";
	struct pb_buf pending, word;
	size_t i = 0, text_start = 0;
	bool after_word = false;
	struct mime_eword w;

	if (len == 0)
		return;
	pb_buf_init(&pending);
	pb_buf_init(&word);
	while (mime_eword_next(s, len, &i, &w, &word)) {
		if (!after_word || !mime_all_lwsp(s + text_start, i - text_start)) {
			mime_decode_flush(charset, &pending, out);
			mime_decode_raw(s + text_start, i - text_start, out);
		}
		if (strlen(charset) != w.charset_len ||
		    strncasecmp(charset, w.charset, w.charset_len) != 0) {
			mime_decode_flush(charset, &pending, out);
			memcpy(charset, w.charset, w.charset_len);
			charset[w.charset_len] = '\0';
		}
		pb_buf_append(&pending, word.data, word.len);
		i += w.total_len;
		text_start = i;
		after_word = true;
	}
	mime_decode_flush(charset, &pending, out);
	mime_decode_raw(s + text_start, len - text_start, out);
	pb_buf_deinit(&pending);
	pb_buf_deinit(&word);
}

static void mime_percent_decode(const char *s, size_t n, struct pb_buf *out)
{
	for (size_t i = 0; i < n; i++) {
		int hi, lo;

		if (s[i] == '%' && i + 2 < n && (hi = mime_hex_value((unsigned char)s[i + 1])) >= 0 &&
		    (lo = mime_hex_value((unsigned char)s[i + 2])) >= 0) {
			pb_buf_append_c(out, (char)(hi * 16 + lo));
			i += 2;
		} else {
			pb_buf_append_c(out, s[i]);
		}
	}
}

void mime_decode_rfc2231(const char *value, size_t len, struct pb_buf *out)
{
	const char *q1 = memchr(value, '\'', len);
	const char *q2 = q1 == NULL ? NULL : memchr(q1 + 1, '\'', len - (size_t)(q1 + 1 - value));
	char charset[MIME_CHARSET_NAME_MAX + 1] = "", utf8[] = "utf-8";
	struct pb_buf raw;

	pb_buf_init(&raw);
	if (q2 != NULL && (size_t)(q1 - value) <= MIME_CHARSET_NAME_MAX) {
		memcpy(charset, value, (size_t)(q1 - value));
		charset[q1 - value] = '\0';
		mime_percent_decode(q2 + 1, len - (size_t)(q2 + 1 - value), &raw);
	} else {
		mime_percent_decode(value, len, &raw);
	}
	mime_decode_flush(charset[0] != '\0' ? charset : utf8, &raw, out);
	pb_buf_deinit(&raw);
}

void mime_decode_param(const char *name, const char *value, struct pb_buf *out)
{
	size_t n = strlen(name);

	if (n > 0 && name[n - 1] == '*')
		mime_decode_rfc2231(value, strlen(value), out);
	else
		mime_decode_header(value, strlen(value), out);
}

/* Length of the line at s (up to and excluding its line break) and of the break. */
static size_t mime_line_len(const char *s, size_t n, size_t *eol_len_r)
{
	const char *nl = memchr(s, '\n', n);
	size_t end = nl == NULL ? n : (size_t)(nl - s);

	*eol_len_r = nl == NULL ? 0 : 1;
	if (nl != NULL && end > 0 && s[end - 1] == '\r') {
		end--;
		*eol_len_r = 2;
	}
	return end;
}

/* Decodes one quoted-printable line (without its break). Returns true if it ends in a soft
 * line break. */
static bool mime_qp_line(const char *line, size_t n, struct pb_buf *out, bool *damaged)
{
	bool soft = false;

	while (n > 0 && (line[n - 1] == ' ' || line[n - 1] == '\t'))
		n--;
	if (n > 0 && line[n - 1] == '=') {
		soft = true;
		n--;
	}
	for (size_t i = 0; i < n; i++) {
		int hi, lo;

		if (line[i] == '=' && i + 2 < n &&
		    (hi = mime_hex_value((unsigned char)line[i + 1])) >= 0 &&
		    (lo = mime_hex_value((unsigned char)line[i + 2])) >= 0) {
			pb_buf_append_c(out, (char)(hi * 16 + lo));
			i += 2;
		} else {
			if (line[i] == '=')
				*damaged = true;
			pb_buf_append_c(out, line[i]);
		}
	}
	return soft;
}

int mime_decode_qp(const void *data, size_t len, struct pb_buf *out, const char **error_r)
{
	const char *s = data;
	size_t pos = 0;
	bool damaged = false;

	pb_buf_reserve(out, len);
	while (pos < len) {
		size_t eol, n = mime_line_len(s + pos, len - pos, &eol);

		if (!mime_qp_line(s + pos, n, out, &damaged))
			pb_buf_append(out, s + pos + n, eol);
		pos += n + eol;
	}
	if (damaged)
		*error_r = "bad quoted-printable escape";
	return damaged ? -1 : 0;
}

int mime_decode_base64(const void *data, size_t len, struct pb_buf *out, const char **error_r)
{
	const unsigned char *s = data;
	unsigned int acc = 0, bits = 0, group = 0;
	bool damaged = false;

	pb_buf_reserve(out, len / 4 * 3 + 3);
	for (size_t i = 0; i < len; i++) {
		int v = mime_base64_value(s[i]);
		if (v < 0) {
			if (s[i] == '=') {
				/* padding ends a group; another block may follow */
				if (group == 1)
					damaged = true;
				acc = bits = group = 0;
			} else if (s[i] != '\r' && s[i] != '\n' && s[i] != ' ' && s[i] != '\t') {
				damaged = true;
			}
			continue;
		}
		acc = (acc << 6) | (unsigned int)v;
		bits += 6;
		group = (group + 1) % 4;
		if (bits >= 8) {
			bits -= 8;
			pb_buf_append_c(out, (char)((acc >> bits) & 0xFF));
		}
	}
	if (group == 1)
		damaged = true;
	if (damaged)
		*error_r = "damaged base64";
	return damaged ? -1 : 0;
}

int mime_decode_transfer(const char *encoding, const void *data, size_t len, struct pb_buf *out,
			 const char **error_r)
{
	if (encoding != NULL && strcasecmp(encoding, "base64") == 0)
		return mime_decode_base64(data, len, out, error_r);
	if (encoding != NULL && strcasecmp(encoding, "quoted-printable") == 0)
		return mime_decode_qp(data, len, out, error_r);
	pb_buf_append(out, data, len);
	return 0;
}
