/*
 * reader-search.c: IMAP SEARCH text criteria over a stored body, streaming (see
 * reader-work.h and reader-client.h for what each criterion looks at).
 *
 * How a body is searched: the parser's events come piece by piece. Top-header fields are
 * RFC 2047-decoded, case-folded and matched at once. The body octets of each text leaf are
 * collected up to READER_SEARCH_FLUSH octets, then cut after their last line break (so no
 * QP escape, base64 group or multibyte character is split), transfer-decoded, converted
 * to UTF-8, case-folded and matched; the last (longest needle - 1) folded octets are kept
 * before the next piece, so a match across two pieces is found. Memory: a few pieces of
 * READER_SEARCH_FLUSH (a line longer than READER_PIECE is cut where it stands).
 * OWNS: the prepared needles and the buffers of one body's run. THREAD: the shard's.
 */
#include "reader-work.h"

#include "mime-charset.h"
#include "mime-decode.h"
#include "mime-match.h"
#include "reader-client.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define READER_SEARCH_FLUSH (64u * 1024)

struct reader_search {
	const struct pb_rec_search_key_list *criteria;
	struct pb_buf needles[READER_SEARCH_CRITERIA_MAX]; /* folded values */
	uint64_t all, body_bits;                            /* every criterion; TEXT and BODY */
	size_t overlap;                                     /* longest body needle - 1 */
	/* one body's run */
	uint64_t matched;
	const struct mime_part *leaf; /* the text leaf being collected, or NULL */
	struct pb_buf raw, dec, text, folded, tmp;
};

/* The field a criterion kind looks at (NULL: TEXT, BODY; HEADER names its own). */
static const char *const kind_field[READER_SEARCH_KIND_COUNT] = {
	[READER_SEARCH_SUBJECT] = "Subject", [READER_SEARCH_FROM] = "From",
	[READER_SEARCH_TO] = "To",	     [READER_SEARCH_CC] = "Cc",
	[READER_SEARCH_BCC] = "Bcc",
};

struct reader_search *reader_search_create(const struct pb_rec_search_key_list *criteria)
{
	struct reader_search *s = xcalloc(1, sizeof(*s));

	s->criteria = criteria;
	for (uint32_t i = 0; i < criteria->n; i++) {
		const struct pb_rec_search_key *k = &criteria->v[i];
		pb_buf_init(&s->needles[i]);
		mime_match_fold_utf8(k->value, strlen(k->value), &s->needles[i]);
		s->all |= UINT64_C(1) << i;
		if (k->kind != READER_SEARCH_TEXT && k->kind != READER_SEARCH_BODY)
			continue;
		s->body_bits |= UINT64_C(1) << i;
		if (s->needles[i].len > s->overlap + 1)
			s->overlap = s->needles[i].len - 1;
	}
	pb_buf_init(&s->raw);
	pb_buf_init(&s->dec);
	pb_buf_init(&s->text);
	pb_buf_init(&s->folded);
	pb_buf_init(&s->tmp);
	return s;
}

void reader_search_destroy(struct reader_search **sp)
{
	struct reader_search *s = *sp;

	if (s == NULL)
		return;
	for (uint32_t i = 0; i < s->criteria->n; i++)
		pb_buf_deinit(&s->needles[i]);
	pb_buf_deinit(&s->raw);
	pb_buf_deinit(&s->dec);
	pb_buf_deinit(&s->text);
	pb_buf_deinit(&s->folded);
	pb_buf_deinit(&s->tmp);
	free(s);
	*sp = NULL;
}

static bool found_in(const struct pb_buf *hay, const struct pb_buf *needle)
{
	return needle->len == 0 || memmem(hay->data, hay->len, needle->data, needle->len) != NULL;
}

/* Whether criterion k looks at field name (len octets) of the top header. */
static bool field_is(const struct pb_rec_search_key *k, const char *name, size_t len)
{
	const char *want = k->kind == READER_SEARCH_HEADER ? k->header : kind_field[k->kind];

	return want != NULL && strlen(want) == len && strncasecmp(want, name, len) == 0;
}

/* A top-header field: decoded, folded, matched against the header criteria and TEXT. */
static void search_field(struct reader_search *s, const struct mime_event *ev)
{
	pb_buf_reset(&s->tmp);
	pb_buf_reset(&s->folded);
	mime_decode_header(ev->value, ev->value_len, &s->tmp);
	mime_match_fold_utf8(s->tmp.data, s->tmp.len, &s->folded);
	for (uint32_t i = 0; i < s->criteria->n; i++) {
		const struct pb_rec_search_key *k = &s->criteria->v[i];
		uint64_t bit = UINT64_C(1) << i;
		if ((s->matched & bit) != 0 || k->kind == READER_SEARCH_BODY)
			continue;
		if ((k->kind == READER_SEARCH_TEXT || field_is(k, ev->name, ev->name_len)) &&
		    found_in(&s->folded, &s->needles[i]))
			s->matched |= bit;
	}
	pb_buf_reset(&s->folded);
}

/* The length of b's prefix up to and including its last LF (all of it when final, or when
 * no LF came in more than READER_PIECE octets). */
static size_t cut_lines(const struct pb_buf *b, bool final)
{
	if (final || b->len > READER_PIECE)
		return b->len;
	for (size_t n = b->len; n > 0; n--) {
		if (b->data[n - 1] == '\n')
			return n;
	}
	return 0;
}

/* Matches the body criteria against s->folded, then keeps its last overlap octets. */
static void search_folded(struct reader_search *s)
{
	for (uint32_t i = 0; i < s->criteria->n; i++) {
		uint64_t bit = UINT64_C(1) << i;
		if ((s->body_bits & bit) != 0 && (s->matched & bit) == 0 &&
		    found_in(&s->folded, &s->needles[i]))
			s->matched |= bit;
	}
	if (s->folded.len > s->overlap)
		pb_buf_consume(&s->folded, s->folded.len - s->overlap);
}

/* Decodes what the leaf collected (whole lines; everything when final) and matches it. */
static void search_flush(struct reader_search *s, bool final)
{
	const char *error;
	size_t n = cut_lines(&s->raw, final);

	mime_decode_transfer(s->leaf->encoding, s->raw.data, n, &s->dec, &error);
	pb_buf_consume(&s->raw, n);
	n = cut_lines(&s->dec, final);
	pb_buf_reset(&s->text);
	mime_charset_to_utf8(mime_part_charset(s->leaf), s->dec.data, n, &s->text);
	pb_buf_consume(&s->dec, n);
	mime_match_fold_utf8(s->text.data, s->text.len, &s->folded);
	search_folded(s);
	if (final) {
		s->leaf = NULL;
		pb_buf_reset(&s->raw);
		pb_buf_reset(&s->dec);
		pb_buf_reset(&s->folded);
	}
}

/* Body octets: collected when they belong to a text leaf and a body criterion is open. */
static void search_body(struct reader_search *s, const struct mime_event *ev)
{
	const struct mime_part *part = ev->part;

	if ((part->flags & MIME_PART_FLAG_MULTIPART) != 0 || !mime_part_is(part, "text", NULL))
		return;
	if (s->leaf != part && s->leaf != NULL)
		search_flush(s, true);
	s->leaf = part;
	pb_buf_append(&s->raw, ev->data, ev->data_len);
	if (s->raw.len >= READER_SEARCH_FLUSH)
		search_flush(s, false);
}

/* reader_event_fn: false once nothing more can match. */
static bool search_event(void *ctx, const struct mime_event *ev)
{
	struct reader_search *s = ctx;
	bool top = ev->part != NULL && ev->part->parent == NULL;

	if (ev->type == MIME_EVENT_HEADER && top)
		search_field(s, ev);
	else if (ev->type == MIME_EVENT_BODY)
		search_body(s, ev);
	else if (ev->type == MIME_EVENT_PART_END && s->leaf == ev->part)
		search_flush(s, true);
	if (s->matched == s->all)
		return false;
	/* after the top header only body criteria can still match */
	return !(ev->type == MIME_EVENT_HEADER_END && top && (s->all & ~s->matched & s->body_bits) == 0);
}

int reader_search_body(struct reader_shard *sh, struct reader_search *s, const char *key,
		       uint64_t *matched_r, uint64_t *read_r, const char **error_r)
{
	struct mime_parser *p = mime_parser_create(NULL);

	s->matched = 0;
	s->leaf = NULL;
	int ret = reader_body_parse(sh, key, p, search_event, s, read_r, error_r);
	if (s->leaf != NULL) /* a leaf the data ended in without its PART_END */
		search_flush(s, true);
	pb_buf_reset(&s->raw);
	pb_buf_reset(&s->dec);
	pb_buf_reset(&s->folded);
	mime_parser_destroy(&p);
	*matched_r = s->matched;
	return ret;
}
