/*
 * reader-binary.c: IMAP FETCH BINARY[section] (RFC 3516) in the reader: a section's content
 * with its Content-Transfer-Encoding removed, decoded READER_PIECE octets at a time (never the
 * whole part in memory), from a resume point the previous reply gave; with the decoded size
 * and whether it holds a NUL (the gateway then sends a literal8).
 *
 * Pieces are cut where decoding can stop and start again with nothing carried over: base64
 * after a whole group of four characters, quoted-printable after a line break (or, in a piece
 * with none, before a trailing "=", "=X" or whitespace), identity anywhere. A READER_PIECE
 * always holds such a cut but in damaged input (no whole base64 group in 256 KiB): then the
 * whole piece is decoded as it is, best effort, like any damage. A resume point is
 * (the encoded offset of a cut, decoded octets of that piece already sent): reading from a cut
 * is deterministic, so the same piece decodes to the same octets again.
 *
 * Which content: BINARY[] is the whole message as stored; a multipart or message/rfc822 part
 * has no transfer encoding of its own (RFC 2045 6.4: only 7bit, 8bit, binary), so its content
 * is sent as it is; any other part is decoded by the Content-Transfer-Encoding of its header
 * (none, 7bit, 8bit, binary: as it is; base64; quoted-printable; anything else: unknown).
 * OWNS nothing. THREAD: the shard's.
 */
#include "reader-work.h"

#include "mime-decode.h"
#include "mime-header.h"
#include "mime-imap.h"
#include "mime-structure.h"
#include "pb-log.h"
#include "pb-runtime.h"
#include "reader-client.h"
#include "store-bodies.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Octets of a part header read for its Content-Transfer-Encoding at most. */
#define BINARY_HEADER_MAX (64 * 1024)

enum reader_cte reader_cte_parse(const char *value, size_t len)
{
	static const struct {
		const char *name;
		enum reader_cte cte;
	} known[] = { { "7bit", READER_CTE_IDENTITY },	     { "8bit", READER_CTE_IDENTITY },
		      { "binary", READER_CTE_IDENTITY },     { "base64", READER_CTE_BASE64 },
		      { "quoted-printable", READER_CTE_QP } };
	size_t i = 0, n;

	while (i < len && (value[i] == ' ' || value[i] == '\t' || value[i] == '\r' ||
			   value[i] == '\n'))
		i++;
	for (n = 0; i + n < len && value[i + n] > ' ' && value[i + n] != '(' &&
		    value[i + n] != ';';
	     n++)
		;
	if (n == 0)
		return READER_CTE_IDENTITY; /* empty: the default, 7bit */
	for (size_t k = 0; k < sizeof(known) / sizeof(known[0]); k++)
		if (strlen(known[k].name) == n && strncasecmp(value + i, known[k].name, n) == 0)
			return known[k].cte;
	return READER_CTE_UNKNOWN;
}

static bool is_b64(uint8_t c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
	       c == '+' || c == '/' || c == '=';
}

/* The end of the last whole group of four base64 characters in data. */
static size_t cut_base64(const uint8_t *data, size_t len)
{
	size_t chars = 0, cut = 0;

	for (size_t i = 0; i < len; i++) {
		if (is_b64(data[i]) && ++chars % 4 == 0)
			cut = i + 1;
	}
	return cut;
}

/* After the last LF; without one, before a trailing escape, whitespace and CR (the decoder
 * drops whitespace at a line's end, and takes the end of its input for one): the whitespace
 * is left for the next piece only when something is left before it. */
static size_t cut_qp(const uint8_t *data, size_t len)
{
	size_t cut = len, bare;

	for (size_t i = len; i > 0; i--)
		if (data[i - 1] == '\n')
			return i;
	if (cut > 0 && data[cut - 1] == '=')
		cut--;
	else if (cut > 1 && data[cut - 2] == '=')
		cut -= 2;
	for (bare = cut; bare > 0 && (data[bare - 1] == ' ' || data[bare - 1] == '\t' ||
				      data[bare - 1] == '\r');)
		bare--;
	return bare > 0 ? bare : cut;
}

size_t reader_cte_cut(enum reader_cte cte, const uint8_t *data, size_t len, bool final)
{
	size_t cut = len;

	if (final || cte == READER_CTE_IDENTITY)
		return len;
	cut = cte == READER_CTE_BASE64 ? cut_base64(data, len) : cut_qp(data, len);
	return cut > 0 ? cut : len; /* nothing decodable: the whole piece, to go on */
}

void reader_cte_decode(enum reader_cte cte, const uint8_t *data, size_t len, struct pb_buf *out)
{
	const char *error;

	if (cte == READER_CTE_BASE64)
		(void)mime_decode_base64(data, len, out, &error); /* best effort, as readers do */
	else if (cte == READER_CTE_QP)
		(void)mime_decode_qp(data, len, out, &error);
	else
		pb_buf_append(out, data, len);
}

/* ---- where the section is ---- */

struct bin_range {
	uint64_t offset, size; /* the encoded content in the stored body */
	enum reader_cte cte;
};

/* The transfer encoding of a leaf part, from its header. */
static uint32_t part_cte(struct reader_shard *sh, const char *key, const struct mime_part *p,
			 enum reader_cte *cte_r)
{
	static const char *const name[] = { "Content-Transfer-Encoding" };
	size_t want = p->header.physical < BINARY_HEADER_MAX ? (size_t)p->header.physical
							     : BINARY_HEADER_MAX;
	uint8_t *buf = xmalloc(want > 0 ? want : 1);
	struct pb_buf out;
	uint64_t size;
	size_t n = 0;
	const char *error;

	int found = pb_store_blob_read(sh->store, key, p->offset, buf, want, &n, &size, &error);
	if (found <= 0) {
		free(buf);
		return found < 0 ? PB_ERR_INTERNAL : PB_ERR_NOTFOUND;
	}
	pb_buf_init(&out);
	mime_header_filter(buf, n, name, 1, false, &out);
	const char *colon = memchr(out.data, ':', out.len);
	*cte_r = colon == NULL ? READER_CTE_IDENTITY
			       : reader_cte_parse(colon + 1,
						  out.len - (size_t)(colon + 1 - (char *)out.data));
	pb_buf_deinit(&out);
	free(buf);
	return PB_OK;
}

/* Locates section in msg: PB_OK with *exists_r and, when it exists, *r. */
static uint32_t locate_in(struct reader_shard *sh, const char *key, const struct mime_message *msg,
			  const char *section, bool *exists_r, struct bin_range *r)
{
	const struct mime_part *part;
	struct mime_section_range range;
	const char *error;

	int ret = mime_part_find(msg, section, &part);
	if (ret < 0)
		return PB_ERR_REFUSED;
	*exists_r = ret == 1 && mime_section_locate(msg, section, &range, &error) == 1;
	if (!*exists_r)
		return PB_OK;
	r->offset = range.offset;
	r->size = range.size;
	r->cte = READER_CTE_IDENTITY;
	if (part->flags & (MIME_PART_FLAG_MULTIPART | MIME_PART_FLAG_MESSAGE))
		return PB_OK;
	return part_cte(sh, key, part, &r->cte);
}

/* The section's encoded range and encoding. PB_OK (with *exists_r), NOTFOUND, REFUSED (not
 * a part path), INTERNAL. */
static uint32_t binary_locate(struct reader_shard *sh, const char *key, const char *section,
			      bool *exists_r, struct bin_range *r)
{
	struct mime_meta meta;
	struct mime_message *msg;
	const char *error = NULL;
	uint64_t parsed;
	uint32_t code = PB_ERR_INTERNAL;

	int found = reader_meta_get(sh, key, &meta, &parsed, &error);
	if (found <= 0) {
		if (found < 0)
			pb_error("reader", "event=meta_failed key=%s reason=\"%s\"", key, error);
		return found < 0 ? PB_ERR_INTERNAL : PB_ERR_NOTFOUND;
	}
	if (section[0] == '\0') {
		*exists_r = true;
		*r = (struct bin_range){ 0, meta.size, READER_CTE_IDENTITY };
		code = PB_OK;
	} else if (mime_structure_decode_parts(meta.parts.data, meta.parts.len, &msg, &error) == 0) {
		code = locate_in(sh, key, msg, section, exists_r, r);
		mime_message_free(&msg);
	}
	mime_meta_deinit(&meta);
	return code;
}

/* ---- decoding ---- */

/* What a request wants and what it got so far. */
struct bin_walk {
	uint64_t skip;	 /* decoded octets still to drop */
	size_t want;	 /* decoded octets to return */
	bool want_size;	 /* decode to the end for size and nul */
	struct pb_buf *out;
	uint64_t size;
	bool nul, stopped;
	uint64_t next_off, next_skip;
};

/* Takes the decoded octets of the piece at pos (cut octets long). */
static void walk_take(struct bin_walk *w, const struct pb_buf *dec, uint64_t pos, size_t cut)
{
	size_t used = dec->len;

	if (w->want_size) {
		w->size += dec->len;
		w->nul |= dec->len > 0 && memchr(dec->data, '\0', dec->len) != NULL;
	}
	if (w->stopped)
		return;
	if (w->skip >= dec->len) {
		w->skip -= dec->len;
	} else {
		size_t from = (size_t)w->skip, take = dec->len - from;
		take = take < w->want - w->out->len ? take : w->want - w->out->len;
		pb_buf_append(w->out, dec->data + from, take);
		w->skip = 0;
		used = from + take;
	}
	if (w->out->len < w->want)
		return;
	w->stopped = true;
	w->next_off = used < dec->len ? pos : pos + cut;
	w->next_skip = used < dec->len ? used : 0;
}

/* Decodes r from encoded offset pos on into w. PB_OK, or INTERNAL / NOTFOUND. */
static uint32_t binary_walk(struct reader_shard *sh, const char *key, const struct bin_range *r,
			    uint64_t pos, struct bin_walk *w)
{
	struct pb_buf dec;
	uint32_t code = PB_OK;

	pb_buf_init(&dec);
	w->stopped = w->want == 0 && w->skip == 0;
	w->next_off = pos;
	while (pos < r->size && (w->want_size || !w->stopped)) {
		size_t n = 0, want = r->size - pos < READER_PIECE ? (size_t)(r->size - pos) : READER_PIECE;
		uint64_t size;
		const char *error = "";
		int found = pb_store_blob_read(sh->store, key, r->offset + pos, sh->scratch, want, &n,
					       &size, &error);
		if (found <= 0 || n < want) {
			pb_error("reader", "event=binary_read_failed key=%s reason=\"%s\"", key, error);
			code = found == 0 ? PB_ERR_NOTFOUND : PB_ERR_INTERNAL;
			break;
		}
		size_t cut = reader_cte_cut(r->cte, sh->scratch, n, pos + n == r->size);
		pb_buf_reset(&dec);
		reader_cte_decode(r->cte, sh->scratch, cut, &dec);
		walk_take(w, &dec, pos, cut);
		pos += cut;
	}
	if (!w->stopped) {
		w->next_off = r->size;
		w->next_skip = 0;
	}
	pb_buf_deinit(&dec);
	return code;
}

static void binary_answer(struct reader_shard *sh, const struct msg_reader_binary_req *q,
			  struct msg_reader_binary_rep *a)
{
	struct bin_range r;
	bool exists = false;
	struct pb_buf out;

	a->code = binary_locate(sh, q->blob_key, q->section, &exists, &r);
	a->exists = exists;
	if (a->code != PB_OK || !exists)
		return;
	if (r.cte == READER_CTE_UNKNOWN) {
		a->unknown_cte = 1;
		return;
	}
	pb_buf_init(&out);
	struct bin_walk w = { .skip = q->skip, .want = q->length, .want_size = q->want_size != 0,
			      .out = &out };
	a->code = binary_walk(sh, q->blob_key, &r, q->enc_offset < r.size ? q->enc_offset : r.size,
			      &w);
	a->decoded_size = w.size;
	a->has_nul = w.nul;
	a->next_offset = w.next_off;
	a->next_skip = w.next_skip;
	a->eof = w.next_off >= r.size;
	a->data.len = out.len;
	a->data.data = (uint8_t *)pb_buf_steal(&out, NULL);
}

int reader_on_binary(struct pb_actor *a, void *state, struct pb_msg *m)
{
	const struct msg_reader_binary_req *q = &m->u.reader_binary_req;
	struct pb_msg rep;

	if (q->length > PB_CHUNK_MAX) {
		pb_reply_status(a, m, PB_ERR_REFUSED, "a binary read is at most 1 MiB");
		return 0;
	}
	pb_msg_init(&rep, MSG_READER_BINARY_REP);
	rep.u.reader_binary_rep.error = xstrdup("");
	binary_answer(state, q, &rep.u.reader_binary_rep);
	if (rep.u.reader_binary_rep.code == PB_OK)
		pb_reply(a, m, &rep);
	else
		pb_reply_status(a, m, rep.u.reader_binary_rep.code,
				rep.u.reader_binary_rep.code == PB_ERR_NOTFOUND ? "no such body"
										: "the section could not be decoded");
	pb_msg_free(&rep);
	return 0;
}
