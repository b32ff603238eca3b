/*
 * mime-html.c: HTML to plain text (see mime-html.h). OWNS nothing. THREAD: any.
 */
#include "mime-html.h"

#include "mime-charset.h"

#include <ctype.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

struct html_entity {
	const char *name;
	unsigned int cp;
};

static const struct html_entity html_entities[] = {
	{ "amp", '&' }, { "lt", '<' }, { "gt", '>' }, { "quot", '"' }, { "apos", '\'' },
	{ "nbsp", ' ' }, { "copy", 0xA9 }, { "reg", 0xAE }, { "euro", 0x20AC },
	{ "hellip", 0x2026 }, { "mdash", 0x2014 }, { "ndash", 0x2013 },
};

/* Decodes the reference at s (s[0] == '&'); returns the octets used (0: not one). */
static size_t html_entity(const char *s, size_t n, struct pb_buf *out)
{
	const char *semi = memchr(s, ';', n < 12 ? n : 12);

	if (semi == NULL)
		return 0;
	size_t len = (size_t)(semi - s) + 1;
	if (len > 3 && s[1] == '#') {
		bool hex = s[2] == 'x' || s[2] == 'X';
		char *end;
		unsigned long cp = strtoul(s + (hex ? 3 : 2), &end, hex ? 16 : 10);
		if (end != semi || end == s + (hex ? 3 : 2))
			return 0;
		mime_utf8_append_char(out, cp == 0 || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)
						   ? 0xFFFD : (unsigned int)cp);
		return len;
	}
	for (size_t i = 0; i < sizeof(html_entities) / sizeof(html_entities[0]); i++) {
		const char *name = html_entities[i].name;
		if (strlen(name) == len - 2 && strncmp(s + 1, name, len - 2) == 0) {
			mime_utf8_append_char(out, html_entities[i].cp);
			return len;
		}
	}
	return 0;
}

/* Whether the tag at s ("<name" or "</name") is `name` (followed by a non-name octet). */
static bool html_tag_is(const char *s, const char *e, const char *name)
{
	size_t n = strlen(name);

	s += s < e && *s == '/';
	return (size_t)(e - s) >= n && strncasecmp(s, name, n) == 0 &&
	       (s + n == e || !isalnum((unsigned char)s[n]));
}

static bool html_tag_breaks(const char *s, const char *e)
{
	static const char *const breaking[] = { "br", "p", "div", "li", "tr", "h1", "h2",
						"h3", "h4", "h5", "h6", "table", "blockquote" };

	for (size_t i = 0; i < sizeof(breaking) / sizeof(breaking[0]); i++)
		if (html_tag_is(s, e, breaking[i]))
			return true;
	return false;
}

/* Past the element whose content is skipped (script, style): after "</name>", or end. */
static const char *html_skip_content(const char *p, const char *end, const char *name)
{
	size_t n = strlen(name);

	for (; p + n + 2 <= end; p++)
		if (p[0] == '<' && p[1] == '/' && strncasecmp(p + 2, name, n) == 0) {
			const char *gt = memchr(p, '>', (size_t)(end - p));
			return gt != NULL ? gt + 1 : end;
		}
	return end;
}

/* Handles the markup at p (*p == '<'); returns where the text goes on. */
static const char *html_markup(const char *p, const char *end, struct pb_buf *out)
{
	if (end - p >= 4 && memcmp(p, "<!--", 4) == 0) {
		for (const char *q = p + 4; q + 3 <= end; q++)
			if (memcmp(q, "-->", 3) == 0)
				return q + 3;
		return end;
	}
	const char *gt = memchr(p, '>', (size_t)(end - p));
	const char *tag_end = gt != NULL ? gt : end;
	const char *name = p + 1;
	if (html_tag_breaks(name, tag_end))
		pb_buf_append_c(out, '\n');
	if (*name != '/' && (html_tag_is(name, tag_end, "script") ||
			     html_tag_is(name, tag_end, "style")))
		return html_skip_content(tag_end, end,
					 html_tag_is(name, tag_end, "script") ? "script" : "style");
	return gt != NULL ? gt + 1 : end;
}

void mime_html_to_text(const char *html, size_t len, struct pb_buf *out)
{
	const char *p = html, *end = html + len;
	bool space = false;

	while (p < end) {
		if (*p == '<') {
			p = html_markup(p, end, out);
			continue;
		}
		if (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n') {
			if (!space && out->len > 0 && out->data[out->len - 1] != '\n')
				pb_buf_append_c(out, ' ');
			space = true;
			p++;
			continue;
		}
		space = false;
		size_t used = *p == '&' ? html_entity(p, (size_t)(end - p), out) : 0;
		if (used == 0)
			pb_buf_append_c(out, *p);
		p += used > 0 ? used : 1;
	}
}
