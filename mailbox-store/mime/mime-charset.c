/*
 * mime-charset.c: charset labels to UTF-8 through iconv, and UTF-8 validation.
 * OWNS nothing between calls (each conversion opens and closes its own iconv descriptor).
 * THREAD: any.
 */
#include "mime-charset.h"

#include "pb-alloc.h"

#include <ctype.h>
#include <errno.h>
#include <iconv.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define MIME_CHARSET_LABEL_MAX 64

/* Labels mail clients read differently from their literal meaning (WHATWG encoding
 * standard practice) or that glibc does not know under that name. "" = guess: UTF-8 if the
 * text is valid UTF-8, otherwise windows-1252. */
static const struct {
	const char *label;
	const char *iconv_name;
} mime_charset_aliases[] = {
	{ "us-ascii", "" },		{ "ascii", "" },
	{ "ansi_x3.4-1968", "" },	{ "unknown-8bit", "" },
	{ "x-unknown", "" },		{ "unknown", "" },
	{ "x-user-defined", "" },	{ "iso-8859-1", "CP1252" },
	{ "windows-1252", "CP1252" },	{ "cp1252", "CP1252" },
	{ "iso8859-1", "CP1252" },	{ "iso_8859-1", "CP1252" },
	{ "latin1", "CP1252" },		{ "l1", "CP1252" },
	{ "ks_c_5601-1987", "CP949" },	{ "ks_c_5601", "CP949" },
	{ "ksc5601", "CP949" },		{ "euc-kr", "CP949" },
	{ "korean", "CP949" },		{ "gb2312", "GB18030" },
	{ "gbk", "GB18030" },		{ "x-gbk", "GB18030" },
	{ "cp936", "GB18030" },		{ "euc-cn", "GB18030" },
	{ "shift_jis", "CP932" },	{ "shift-jis", "CP932" },
	{ "sjis", "CP932" },		{ "x-sjis", "CP932" },
	{ "ms_kanji", "CP932" },	{ "windows-31j", "CP932" },
	{ "iso-2022-jp", "ISO-2022-JP-2" }, { "iso-8859-8-i", "ISO-8859-8" },
	{ "iso-8859-6-i", "ISO-8859-6" }, { "iso-8859-11", "CP874" },
	{ "tis-620", "CP874" },		{ "windows-874", "CP874" },
	{ "x-mac-roman", "MACINTOSH" },	{ "big5", "BIG5-HKSCS" },
	{ "unicode-1-1-utf-7", "UTF-7" },
};

bool mime_charset_is_utf8(const char *charset)
{
	return charset == NULL || strcasecmp(charset, "utf-8") == 0 ||
	       strcasecmp(charset, "utf8") == 0;
}

/* Copies the label lowercased and trimmed into buf. Returns false if it is unusable. */
static bool mime_charset_label(const char *charset, char buf[MIME_CHARSET_LABEL_MAX + 1])
{
	size_t n = 0;

	while (*charset == ' ' || *charset == '\t' || *charset == '"')
		charset++;
	for (; *charset != '\0' && *charset != '"' && *charset != ' '; charset++) {
		if (n == MIME_CHARSET_LABEL_MAX)
			return false;
		buf[n++] = (char)tolower((unsigned char)*charset);
	}
	buf[n] = '\0';
	return n > 0;
}

/* Returns the iconv name for a label: NULL for UTF-8 (or no label), "" to guess (an alias
 * that says so, or a label too odd to look up). */
static const char *mime_charset_iconv_name(const char *charset, char buf[MIME_CHARSET_LABEL_MAX + 1])
{
	if (mime_charset_is_utf8(charset))
		return NULL;
	if (!mime_charset_label(charset, buf))
		return "";
	if (strcmp(buf, "utf-8") == 0 || strcmp(buf, "utf8") == 0)
		return NULL;
	for (size_t i = 0; i < PB_N_ELEMENTS(mime_charset_aliases); i++) {
		if (strcmp(buf, mime_charset_aliases[i].label) == 0)
			return mime_charset_aliases[i].iconv_name;
	}
	return buf;
}

bool mime_charset_is_known(const char *charset)
{
	char buf[MIME_CHARSET_LABEL_MAX + 1];
	const char *name = mime_charset_iconv_name(charset, buf);

	if (name == NULL)
		return true;
	if (*name == '\0')
		return mime_charset_label(charset, buf);
	iconv_t cd = iconv_open("UTF-8", name);
	if (cd == (iconv_t)-1)
		return false;
	iconv_close(cd);
	return true;
}

/* Runs the conversion; returns false if iconv cannot open the charset. */
static bool mime_charset_iconv(const char *name, const void *data, size_t len, struct pb_buf *out)
{
	iconv_t cd = iconv_open("UTF-8", name);
	char *in = (char *)data;
	size_t inleft = len;

	if (cd == (iconv_t)-1)
		return false;
	pb_buf_reserve(out, len + len / 2 + 16);
	for (;;) {
		char *o = out->data + out->len;
		size_t oleft = out->cap - out->len - 1;
		size_t r = in == NULL ? iconv(cd, NULL, NULL, &o, &oleft)
				      : iconv(cd, &in, &inleft, &o, &oleft);
		int err = errno;

		out->len = (size_t)(o - out->data);
		out->data[out->len] = '\0';
		if (r != (size_t)-1) {
			if (in == NULL)
				break;
			in = NULL; /* flush the shift state */
		} else if (err == E2BIG) {
			pb_buf_reserve(out, inleft + 64);
		} else if (err == EILSEQ && inleft > 0) {
			pb_buf_append_str(out, MIME_UTF8_REPLACEMENT);
			in++;
			inleft--;
		} else {
			/* EINVAL: truncated sequence at the end of the input */
			pb_buf_append_str(out, MIME_UTF8_REPLACEMENT);
			if (in == NULL)
				break;
			in = NULL;
			inleft = 0;
		}
	}
	iconv_close(cd);
	return true;
}

/* windows-1252 0x80..0x9F (0 = undefined); the rest is ISO-8859-1. Built in because it is
 * the fallback for every guess, and iconv_open costs more than the conversion. */
static const unsigned short mime_cp1252_high[32] = {
	0x20AC, 0, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021,
	0x02C6, 0x2030, 0x0160, 0x2039, 0x0152, 0, 0x017D, 0,
	0, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014,
	0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0, 0x017E, 0x0178,
};

static void mime_cp1252_to_utf8(const unsigned char *s, size_t len, struct pb_buf *out)
{
	pb_buf_reserve(out, len + len / 2);
	for (size_t i = 0; i < len; i++) {
		unsigned int c = s[i];
		if (c >= 0x80 && c < 0xA0)
			c = mime_cp1252_high[c - 0x80] != 0 ? mime_cp1252_high[c - 0x80] : 0xFFFD;
		mime_utf8_append_char(out, c);
	}
}

void mime_charset_to_utf8(const char *charset, const void *data, size_t len, struct pb_buf *out)
{
	char buf[MIME_CHARSET_LABEL_MAX + 1];
	const char *name = mime_charset_iconv_name(charset, buf);

	if (name != NULL && strcmp(name, "CP1252") == 0) {
		mime_cp1252_to_utf8(data, len, out);
		return;
	}
	size_t start = out->len;
	if (name != NULL && *name != '\0' && mime_charset_iconv(name, data, len, out)) {
		/* iconv can write what is not UTF-8 (code points past U+10FFFF from UCS-4 or
		 * UTF-32 input): what it wrote is checked, and repaired with U+FFFD if need be */
		if (!mime_utf8_is_valid(out->data + start, out->len - start)) {
			char *copy = xmemdup(out->data + start, out->len - start);
			size_t n = out->len - start;
			out->len = start;
			mime_utf8_append_valid(out, copy, n);
			free(copy);
		}
		return;
	}
	if (name != NULL && !mime_utf8_is_valid(data, len)) {
		/* a guessing alias or a label iconv does not know, on 8-bit text that is not
		 * UTF-8: read it as windows-1252 as mail clients do */
		mime_cp1252_to_utf8(data, len, out);
		return;
	}
	mime_utf8_append_valid(out, data, len);
}

size_t mime_utf8_decode_char(const unsigned char *s, size_t n, unsigned int *cp_r)
{
	unsigned int c = s[0], cp, min;
	size_t len;

	*cp_r = 0xFFFD;
	if (c < 0x80) {
		*cp_r = c;
		return 1;
	}
	if (c >= 0xC2 && c <= 0xDF) {
		len = 2; cp = c & 0x1F; min = 0x80;
	} else if (c >= 0xE0 && c <= 0xEF) {
		len = 3; cp = c & 0x0F; min = 0x800;
	} else if (c >= 0xF0 && c <= 0xF4) {
		len = 4; cp = c & 0x07; min = 0x10000;
	} else {
		return 0;
	}
	if (n < len)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xC0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3F);
	}
	if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
		return 0;
	*cp_r = cp;
	return len;
}

void mime_utf8_append_char(struct pb_buf *out, unsigned int cp)
{
	char b[4];

	/* Not a Unicode scalar value (a decoder's lone surrogate or a sum past U+10FFFF, e.g. from
	 * a hostile UTF-7 word): the replacement character, so the output stays valid UTF-8. */
	if (cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
		cp = 0xFFFD;
	if (cp < 0x80) {
		pb_buf_append_c(out, (char)cp);
	} else if (cp < 0x800) {
		b[0] = (char)(0xC0 | (cp >> 6));
		b[1] = (char)(0x80 | (cp & 0x3F));
		pb_buf_append(out, b, 2);
	} else if (cp < 0x10000) {
		b[0] = (char)(0xE0 | (cp >> 12));
		b[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
		b[2] = (char)(0x80 | (cp & 0x3F));
		pb_buf_append(out, b, 3);
	} else {
		b[0] = (char)(0xF0 | (cp >> 18));
		b[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
		b[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
		b[3] = (char)(0x80 | (cp & 0x3F));
		pb_buf_append(out, b, 4);
	}
}

bool mime_utf8_is_valid(const void *data, size_t len)
{
	const unsigned char *s = data;
	size_t i = 0;
	unsigned int cp;

	while (i < len) {
		if (s[i] < 0x80) {
			i++;
			continue;
		}
		size_t n = mime_utf8_decode_char(s + i, len - i, &cp);
		if (n == 0)
			return false;
		i += n;
	}
	return true;
}

void mime_utf8_append_valid(struct pb_buf *out, const void *data, size_t len)
{
	const unsigned char *s = data;
	size_t i = 0, run = 0;
	unsigned int cp;

	pb_buf_reserve(out, len);
	while (i < len) {
		if (s[i] < 0x80) {
			i++;
			continue;
		}
		size_t n = mime_utf8_decode_char(s + i, len - i, &cp);
		if (n > 0) {
			i += n;
			continue;
		}
		pb_buf_append(out, s + run, i - run);
		pb_buf_append_str(out, MIME_UTF8_REPLACEMENT);
		run = ++i;
	}
	pb_buf_append(out, s + run, len - run);
}
