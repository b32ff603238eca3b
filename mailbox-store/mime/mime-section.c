/*
 * mime-section.c: IMAP section numbers and BODY[section] specifiers to octet ranges
 * (RFC 3501 6.4.5). OWNS nothing. THREAD: any.
 */
#include "mime-imap.h"

#include <string.h>
#include <strings.h>

/* The part whose sub-parts number k is applied to, after selecting `part`. */
static const struct mime_part *mime_section_container(const struct mime_part *part)
{
	if ((part->flags & MIME_PART_FLAG_MESSAGE) != 0 && part->children != NULL)
		return part->children;
	return part;
}

/* Selects sub-part k of container. Returns NULL if there is none. */
static const struct mime_part *mime_section_child(const struct mime_part *container,
						  unsigned long k)
{
	if ((container->flags & MIME_PART_FLAG_MULTIPART) != 0) {
		const struct mime_part *c = container->children;
		for (unsigned long i = 1; c != NULL && i < k; i++)
			c = c->next;
		return k >= 1 ? c : NULL;
	}
	/* a non-multipart message has only a part 1: its body */
	if ((container->flags & MIME_PART_FLAG_MESSAGE_ROOT) != 0 &&
	    !mime_part_is(container, "multipart", NULL) && k == 1)
		return container;
	return NULL;
}

/* Parses the leading "n(.n)*" of s; *end_r is where it stopped (at ".KEYWORD" or end). */
static int mime_section_walk(const struct mime_message *msg, const char *s, const char **end_r,
			     const struct mime_part **part_r)
{
	const struct mime_part *container = msg->root, *part = msg->root;
	bool found = true;

	*end_r = s;
	while (*s >= '0' && *s <= '9') {
		unsigned long k = 0;
		for (; *s >= '0' && *s <= '9'; s++) {
			if (k > 100000000UL)
				return -1;
			k = k * 10 + (unsigned long)(*s - '0');
		}
		if (*s != '\0' && *s != '.')
			return -1;
		if (found) {
			part = mime_section_child(container, k);
			found = part != NULL;
			if (found)
				container = mime_section_container(part);
		}
		*end_r = s;
		if (*s == '.')
			s++;
		if (*s == '\0' && s[-1] == '.')
			return -1;
	}
	*part_r = part;
	return found ? 1 : 0;
}

int mime_part_find(const struct mime_message *msg, const char *path,
		   const struct mime_part **part_r)
{
	const char *end;
	int ret = mime_section_walk(msg, path, &end, part_r);

	if (ret >= 0 && *end != '\0')
		return -1;
	return ret;
}

static void mime_range_set(struct mime_section_range *r, uint64_t offset,
			   const struct mime_size *a, const struct mime_size *b)
{
	r->offset = offset;
	r->size = a->physical + (b != NULL ? b->physical : 0);
	r->virtual_size = a->virtual_size + (b != NULL ? b->virtual_size : 0);
}

/* Matches a keyword at s, ending at '\0', ' ' or '('. */
static bool mime_keyword(const char *s, const char *kw)
{
	size_t n = strlen(kw);
	return strncasecmp(s, kw, n) == 0 && (s[n] == '\0' || s[n] == ' ' || s[n] == '(');
}

enum mime_section_kw {
	MIME_KW_NONE,
	MIME_KW_HEADER,
	MIME_KW_TEXT,
	MIME_KW_FIELDS,
	MIME_KW_FIELDS_NOT,
	MIME_KW_MIME,
	MIME_KW_BAD,
};

static enum mime_section_kw mime_section_keyword(const char *kw)
{
	if (*kw == '\0')
		return MIME_KW_NONE;
	if (mime_keyword(kw, "HEADER"))
		return MIME_KW_HEADER;
	if (mime_keyword(kw, "TEXT"))
		return MIME_KW_TEXT;
	if (mime_keyword(kw, "HEADER.FIELDS"))
		return MIME_KW_FIELDS;
	if (mime_keyword(kw, "HEADER.FIELDS.NOT"))
		return MIME_KW_FIELDS_NOT;
	if (mime_keyword(kw, "MIME"))
		return MIME_KW_MIME;
	return MIME_KW_BAD;
}

/* The range of `kw` applied to part (a message root for HEADER, TEXT, HEADER.FIELDS). */
static void mime_section_range_of(const struct mime_part *part, enum mime_section_kw kw,
				  struct mime_section_range *r)
{
	switch (kw) {
	case MIME_KW_NONE:
		mime_range_set(r, mime_part_body_offset(part), &part->body, NULL);
		break;
	case MIME_KW_TEXT:
		mime_range_set(r, mime_part_body_offset(part), &part->body, NULL);
		break;
	default: /* HEADER, HEADER.FIELDS[.NOT], MIME */
		mime_range_set(r, part->offset, &part->header, NULL);
		r->header_fields = kw == MIME_KW_FIELDS || kw == MIME_KW_FIELDS_NOT;
		r->header_fields_not = kw == MIME_KW_FIELDS_NOT;
		break;
	}
}

int mime_section_locate(const struct mime_message *msg, const char *section,
			struct mime_section_range *range_r, const char **error_r)
{
	const struct mime_part *part = msg->root;
	const char *kw_start;
	int ret;

	memset(range_r, 0, sizeof(*range_r));
	ret = mime_section_walk(msg, section, &kw_start, &part);
	bool numbered = kw_start != section;
	if (ret >= 0 && *kw_start == '.')
		kw_start++;
	enum mime_section_kw kw = ret < 0 ? MIME_KW_BAD : mime_section_keyword(kw_start);
	if (kw == MIME_KW_BAD || (!numbered && kw == MIME_KW_MIME)) {
		*error_r = ret < 0 ? "bad section number" : "bad section keyword";
		return -1;
	}
	if (!numbered) { /* the message itself */
		if (kw == MIME_KW_NONE)
			mime_range_set(range_r, part->offset, &part->header, &part->body);
		else
			mime_section_range_of(part, kw, range_r);
		return 1;
	}
	if (ret == 0)
		return 0;
	if (kw == MIME_KW_NONE || kw == MIME_KW_MIME) {
		mime_section_range_of(part, kw, range_r);
		return 1;
	}
	/* HEADER, TEXT, HEADER.FIELDS of a part: only a parsed message/rfc822 has them */
	if ((part->flags & MIME_PART_FLAG_MESSAGE) == 0 || part->children == NULL)
		return 0;
	mime_section_range_of(part->children, kw, range_r);
	return 1;
}
