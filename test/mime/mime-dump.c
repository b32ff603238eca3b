/*
 * mime-dump.c: the golden-file rendering of a parsed message (see mime-dump.h).
 * OWNS nothing. THREAD: any.
 */
#include "mime-dump.h"
#include "mime-address.h"
#include "mime-decode.h"
#include "mime-imap.h"

#include <stdio.h>
#include <string.h>

static void dump_line(struct pb_buf *out, const char *key, const struct pb_buf *value)
{
	pb_buf_append_str(out, key);
	pb_buf_append_c(out, ' ');
	for (size_t i = 0; i < value->len; i++) {
		if (value->data[i] == '\r' && i + 1 < value->len && value->data[i + 1] == '\n') {
			pb_buf_append_str(out, "<CRLF>");
			i++;
		} else {
			pb_buf_append_c(out, value->data[i]);
		}
	}
	pb_buf_append_c(out, '\n');
}

static void dump_sections(const struct mime_message *msg, const struct mime_part *container,
			  const char *prefix, struct pb_buf *out);

static void dump_section(const struct mime_message *msg, const char *spec, struct pb_buf *out)
{
	struct mime_section_range r;
	const char *error;
	int ret = mime_section_locate(msg, spec, &r, &error);

	if (ret > 0)
		pb_buf_printf(out, "SECTION %s %llu %llu %llu\n", spec[0] == '\0' ? "[]" : spec,
			      (unsigned long long)r.offset, (unsigned long long)r.size,
			      (unsigned long long)r.virtual_size);
	else
		pb_buf_printf(out, "SECTION %s %s\n", spec, ret == 0 ? "none" : error);
}

/* One part number: its MIME header, its body, and inside a message/rfc822 its HEADER,
 * TEXT and sub-parts. */
static void dump_part(const struct mime_message *msg, const struct mime_part *part,
		      const char *path, struct pb_buf *out)
{
	char spec[512];

	snprintf(spec, sizeof(spec), "%s.MIME", path);
	dump_section(msg, spec, out);
	dump_section(msg, path, out);
	if ((part->flags & MIME_PART_FLAG_MESSAGE) != 0) {
		snprintf(spec, sizeof(spec), "%s.HEADER", path);
		dump_section(msg, spec, out);
		snprintf(spec, sizeof(spec), "%s.TEXT", path);
		dump_section(msg, spec, out);
		dump_sections(msg, part->children, path, out);
	} else if ((part->flags & MIME_PART_FLAG_MULTIPART) != 0) {
		dump_sections(msg, part, path, out);
	}
}

static void dump_sections(const struct mime_message *msg, const struct mime_part *container,
			  const char *prefix, struct pb_buf *out)
{
	char path[512];
	unsigned int k = 1;

	if ((container->flags & MIME_PART_FLAG_MULTIPART) == 0) {
		/* a non-multipart message: part 1 is its body */
		if (mime_part_is(container, "multipart", NULL))
			return;
		snprintf(path, sizeof(path), "%s%s1", prefix, prefix[0] != '\0' ? "." : "");
		dump_part(msg, container, path, out);
		return;
	}
	for (const struct mime_part *c = container->children; c != NULL; c = c->next, k++) {
		snprintf(path, sizeof(path), "%s%s%u", prefix, prefix[0] != '\0' ? "." : "", k);
		dump_part(msg, c, path, out);
	}
}

static void dump_decoded(const struct mime_part *root, struct pb_buf *out)
{
	struct pb_buf v;
	static const struct {
		const char *key;
		enum mime_envelope_field field;
	} fields[] = { { "FROM", MIME_ENV_FROM }, { "TO", MIME_ENV_TO } };

	pb_buf_init(&v);
	const char *subject = root->envelope[MIME_ENV_SUBJECT];
	if (subject != NULL)
		mime_decode_header(subject, strlen(subject), &v);
	dump_line(out, "SUBJECT", &v);
	for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
		struct mime_address_list list = { NULL, 0 };
		const char *value = root->envelope[fields[i].field];
		pb_buf_reset(&v);
		if (value != NULL)
			mime_address_list_parse(value, strlen(value), &list);
		mime_address_list_format_utf8(&list, &v);
		mime_address_list_free(&list);
		dump_line(out, fields[i].key, &v);
	}
	pb_buf_deinit(&v);
}

void mime_dump(const struct mime_message *msg, const void *data, size_t len, struct pb_buf *out)
{
	struct pb_buf v;

	pb_buf_init(&v);
	mime_imap_envelope(msg->root, &v);
	dump_line(out, "ENVELOPE", &v);
	pb_buf_reset(&v);
	mime_imap_bodystructure(msg->root, true, &v);
	dump_line(out, "BODYSTRUCTURE", &v);
	pb_buf_reset(&v);
	mime_imap_bodystructure(msg->root, false, &v);
	dump_line(out, "BODY", &v);
	pb_buf_deinit(&v);
	dump_decoded(msg->root, out);
	pb_buf_printf(out, "PARTS %u FLAGS %u SIZE %zu\n", msg->n_parts, msg->flags, len);
	dump_section(msg, "", out);
	dump_section(msg, "HEADER", out);
	dump_section(msg, "TEXT", out);
	dump_sections(msg, msg->root, "", out);
}
