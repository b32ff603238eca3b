/*
 * fuzz-mime-parser.c: libFuzzer target for the streaming parser and everything that reads
 * its tree. The first octet picks the chunking and the limits. Checks, besides sanitizer
 * findings: feeding in chunks gives the same tree as one feed (compared through the
 * structure encoding), the structure round-trips, ranges stay inside the data and inside
 * their parent. OWNS nothing. THREAD: libFuzzer's.
 */
#include "mime-imap.h"
#include "mime-parser.h"
#include "mime-structure.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static void check_ranges(const struct mime_part *part, uint64_t start, uint64_t end)
{
	uint64_t p_end = mime_part_body_offset(part) + part->body.physical;

	if (part->offset < start || p_end > end || part->header.virtual_size < part->header.physical ||
	    part->body.virtual_size < part->body.physical)
		abort();
	for (const struct mime_part *c = part->children; c != NULL; c = c->next)
		check_ranges(c, mime_part_body_offset(part), p_end);
}

static struct mime_message *parse_chunked(const uint8_t *data, size_t size, size_t chunk,
					  const struct mime_limits *limits)
{
	struct mime_parser *p = mime_parser_create(limits);
	struct mime_event ev;

	for (size_t pos = 0; pos < size; pos += chunk) {
		mime_parser_feed(p, data + pos, size - pos < chunk ? size - pos : chunk);
		while (mime_parser_next(p, &ev) > 0)
			;
	}
	mime_parser_finish(p);
	while (mime_parser_next(p, &ev) > 0)
		;
	struct mime_message *msg = mime_parser_take_message(p);
	mime_parser_destroy(&p);
	if (msg == NULL)
		abort();
	return msg;
}

static void render(const struct mime_message *msg)
{
	static const char *const specs[] = { "", "HEADER", "TEXT", "1", "1.MIME", "2", "1.1",
					     "2.HEADER", "2.TEXT", "1.2.3", "3.1.MIME" };
	struct pb_buf out;
	struct mime_section_range r;
	const char *error;

	pb_buf_init(&out);
	mime_imap_envelope(msg->root, &out);
	mime_imap_bodystructure(msg->root, true, &out);
	mime_imap_bodystructure(msg->root, false, &out);
	for (size_t i = 0; i < sizeof(specs) / sizeof(specs[0]); i++)
		(void)mime_section_locate(msg, specs[i], &r, &error);
	pb_buf_deinit(&out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const size_t chunks[] = { 1, 2, 3, 7, 64, 4096 };
	struct mime_limits limits = { 0 };
	struct pb_buf a, b;
	const char *error;

	if (size == 0)
		return 0;
	uint8_t ctl = data[0];
	data++;
	size--;
	if (ctl & 0x80) {
		limits.max_header_size = 64 + (ctl & 0x0F) * 16;
		limits.max_depth = 1 + (ctl & 0x07);
		limits.max_parts = 2 + (ctl & 0x1F);
	}
	struct mime_message *one = mime_message_parse(data, size, &limits);
	struct mime_message *chunked = parse_chunked(data, size, chunks[ctl % 6], &limits);
	pb_buf_init(&a);
	pb_buf_init(&b);
	mime_structure_encode(one, &a);
	mime_structure_encode(chunked, &b);
	if (a.len != b.len || memcmp(a.data, b.data, a.len) != 0)
		abort(); /* chunking changed the result */
	struct mime_message *back = NULL;
	if (mime_structure_decode(a.data, a.len, &back, &error) < 0)
		abort();
	pb_buf_reset(&b);
	mime_structure_encode(back, &b);
	if (a.len != b.len || memcmp(a.data, b.data, a.len) != 0)
		abort();
	check_ranges(one->root, 0, size);
	render(one);
	mime_message_free(&back);
	mime_message_free(&one);
	mime_message_free(&chunked);
	pb_buf_deinit(&a);
	pb_buf_deinit(&b);
	return 0;
}
