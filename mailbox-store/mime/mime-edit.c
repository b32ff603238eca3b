/*
 * mime-edit.c: a message's header edited (see mime-edit.h). OWNS nothing. THREAD: any.
 */
#include "mime-edit.h"

#include <stdbool.h>
#include <string.h>
#include <strings.h>

/* Where the line at p ends (past its LF, or end). */
static const char *edit_line_end(const char *p, const char *end)
{
	const char *lf = memchr(p, '\n', (size_t)(end - p));
	return lf != NULL ? lf + 1 : end;
}

static bool edit_blank(const char *p, const char *end)
{
	return p < end && (*p == '\n' || (*p == '\r' && p + 1 < end && p[1] == '\n'));
}

/* Whether the field at p (its first line) is named by one of edits' names. */
static bool edit_names_field(const char *edits, const char *p, const char *end)
{
	const char *colon = memchr(p, ':', (size_t)(end - p));

	if (colon == NULL)
		return false;
	size_t n = (size_t)(colon - p);
	while (n > 0 && (p[n - 1] == ' ' || p[n - 1] == '\t'))
		n--;
	for (const char *e = edits; *e != '\0';) {
		size_t line = strcspn(e, "\n"), name = strcspn(e, ":\n");
		if (name == n && n > 0 && strncasecmp(e, p, n) == 0)
			return true;
		e += line + (e[line] == '\n');
	}
	return false;
}

/* The fields edits adds ("Name: value" lines), each ending with eol. */
static size_t edit_add_fields(const char *edits, const char *eol, struct pb_buf *out)
{
	size_t applied = 0;

	for (const char *e = edits; *e != '\0';) {
		size_t line = strcspn(e, "\n"), name = strcspn(e, ":\n");
		if (line > 0)
			applied++;
		if (name < line && name > 0) {
			const char *v = e + name + 1, *ve = e + line;
			while (v < ve && (*v == ' ' || *v == '\t'))
				v++;
			while (ve > v && (ve[-1] == '\r' || ve[-1] == ' '))
				ve--;
			pb_buf_append(out, e, name);
			pb_buf_append_str(out, ": ");
			pb_buf_append(out, v, (size_t)(ve - v));
			pb_buf_append_str(out, eol);
		}
		e += line + (e[line] == '\n');
	}
	return applied;
}

size_t mime_header_edit(const void *message, size_t len, const char *edits, struct pb_buf *out)
{
	const char *p = message, *end = p + len;
	const char *first = edit_line_end(p, end);
	const char *eol = first > p + 1 && first[-1] == '\n' && first[-2] != '\r' ? "\n" : "\r\n";

	size_t applied = edit_add_fields(edits, eol, out);
	if (applied == 0) {
		pb_buf_append(out, message, len);
		return 0;
	}
	bool has_header = p < end && !edit_blank(p, end) && memchr(p, ':', (size_t)(first - p));
	if (!has_header && !edit_blank(p, end))
		pb_buf_append_str(out, eol);
	while (has_header && p < end && !edit_blank(p, end)) {
		const char *next = edit_line_end(p, end);
		while (next < end && (*next == ' ' || *next == '\t'))
			next = edit_line_end(next, end);
		if (!edit_names_field(edits, p, next))
			pb_buf_append(out, p, (size_t)(next - p));
		p = next;
	}
	pb_buf_append(out, p, (size_t)(end - p));
	return applied;
}
