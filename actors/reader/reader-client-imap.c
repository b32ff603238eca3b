/*
 * reader-client-imap.c: the readers' typed client for IMAP FETCH and SEARCH: metas, section
 * ranges, text search (see reader-client.h). OWNS nothing. THREAD: any.
 */
#include "reader-client.h"

#include "pb-alloc.h"

#include <string.h>

/* The code of a reply that should be of type `type`. */
static uint32_t typed_status(const struct pb_msg *rep, enum pb_msg_type type)
{
	uint32_t code = pb_msg_status(rep, NULL);

	if (rep->type == MSG_CORE_STATUS_REP)
		return code == PB_OK ? PB_ERR_INTERNAL : code;
	return rep->type != type ? PB_ERR_INTERNAL : code;
}

/* The code of a reply of type `type` answering a prefix of n items with `got` answers. */
static uint32_t prefix_status(const struct pb_msg *rep, enum pb_msg_type type, uint32_t got,
			      size_t n, size_t *n_done_r)
{
	uint32_t code = typed_status(rep, type);

	*n_done_r = 0;
	if (code != PB_OK)
		return code;
	if (got == 0 || got > n)
		return PB_ERR_INTERNAL;
	*n_done_r = got;
	return PB_OK;
}

static void strv_set(struct pb_strv *v, const char *const *s, size_t n)
{
	v->v = xcalloc(n > 0 ? n : 1, sizeof(char *));
	for (size_t i = 0; i < n; i++)
		v->v[i] = xstrdup(s[i]);
	v->n = (uint32_t)n;
}

static int send_free(const struct pb_sender *tx, struct pb_msg *m, const char **error_r)
{
	int ret = tx->send(tx->ctx, NULL, m, error_r);

	pb_msg_free(m);
	return ret;
}

static int meta_send(const struct pb_sender *tx, uint64_t user_id, const char *const *keys,
		     size_t n, bool envelope_only, const char **error_r)
{
	struct pb_msg m;

	if (n == 0 || n > READER_META_MAX) {
		*error_r = "a meta request has 1 to 256 bodies";
		return -1;
	}
	pb_msg_init(&m, MSG_READER_META_REQ);
	m.u.reader_meta_req.user_id = user_id;
	m.u.reader_meta_req.envelope_only = envelope_only;
	strv_set(&m.u.reader_meta_req.blob_keys, keys, n);
	return send_free(tx, &m, error_r);
}

int reader_client_meta_send(const struct pb_sender *tx, uint64_t user_id,
			    const char *const *keys, size_t n, const char **error_r)
{
	return meta_send(tx, user_id, keys, n, false, error_r);
}

int reader_client_meta_send_envelopes(const struct pb_sender *tx, uint64_t user_id,
				      const char *const *keys, size_t n, const char **error_r)
{
	return meta_send(tx, user_id, keys, n, true, error_r);
}

uint32_t reader_client_meta_reply(const struct pb_msg *rep, size_t n,
				  struct reader_meta *metas_r, size_t *n_done_r)
{
	const struct pb_rec_read_meta_list *l = &rep->u.reader_meta_rep.metas;
	uint32_t code = prefix_status(rep, MSG_READER_META_REP,
				      rep->type == MSG_READER_META_REP ? l->n : 0, n, n_done_r);

	for (size_t i = 0; i < *n_done_r; i++) {
		const struct pb_rec_read_meta *r = &l->v[i];
		metas_r[i] = (struct reader_meta){ .code = r->code };
		if (r->code != PB_OK)
			continue;
		metas_r[i] = (struct reader_meta){ r->code, r->size, r->virtual_size,
						   r->header_size, r->header_virtual_size,
						   r->body_virtual_size, r->body_lines,
						   r->envelope, r->bodystructure, r->body,
						   r->parts.data, r->parts.len };
	}
	return code;
}

int reader_client_section_send(const struct pb_sender *tx, uint64_t user_id,
			       const struct reader_section_ask *asks, size_t n,
			       const char **error_r)
{
	struct pb_msg m;

	if (n == 0 || n > READER_SECTION_MAX) {
		*error_r = "a section request has 1 to 256 sections";
		return -1;
	}
	for (size_t i = 0; i < n; i++) {
		if (asks[i].n_fields > READER_SECTION_FIELDS_MAX) {
			*error_r = "a HEADER.FIELDS list has at most 256 names";
			return -1;
		}
	}
	pb_msg_init(&m, MSG_READER_SECTION_REQ);
	m.u.reader_section_req.user_id = user_id;
	for (size_t i = 0; i < n; i++) {
		struct pb_rec_section_ask *a =
			pb_rec_section_ask_push(&m.u.reader_section_req.sections);
		a->blob_key = xstrdup(asks[i].blob_key);
		a->section = xstrdup(asks[i].section);
		strv_set(&a->fields, asks[i].fields, asks[i].n_fields);
	}
	return send_free(tx, &m, error_r);
}

uint32_t reader_client_section_reply(const struct pb_msg *rep, size_t n,
				     struct reader_section *sections_r, size_t *n_done_r)
{
	const struct pb_rec_section_answer_list *l = &rep->u.reader_section_rep.answers;
	uint32_t code = prefix_status(rep, MSG_READER_SECTION_REP,
				      rep->type == MSG_READER_SECTION_REP ? l->n : 0, n, n_done_r);

	for (size_t i = 0; i < *n_done_r; i++) {
		const struct pb_rec_section_answer *a = &l->v[i];
		sections_r[i] = (struct reader_section){ a->code,	  a->exists != 0,
							 a->offset,	  a->size,
							 a->virtual_size, a->filtered != 0,
							 a->data.data,	  a->data.len };
	}
	return code;
}

int reader_client_search_send(const struct pb_sender *tx, uint64_t user_id,
			      const char *const *keys, size_t n,
			      const struct reader_search_key *criteria, size_t n_criteria,
			      const char **error_r)
{
	struct pb_msg m;

	if (n == 0 || n > READER_SEARCH_MAX || n_criteria == 0 ||
	    n_criteria > READER_SEARCH_CRITERIA_MAX) {
		*error_r = "a search has 1 to 256 bodies and 1 to 64 criteria";
		return -1;
	}
	for (size_t i = 0; i < n_criteria; i++) {
		if ((unsigned)criteria[i].kind >= READER_SEARCH_KIND_COUNT ||
		    strlen(criteria[i].value) > READER_SEARCH_VALUE_MAX ||
		    (criteria[i].kind == READER_SEARCH_HEADER) != (criteria[i].header != NULL)) {
			*error_r = "a search criterion is malformed or its value too long";
			return -1;
		}
	}
	pb_msg_init(&m, MSG_READER_SEARCH_REQ);
	m.u.reader_search_req.user_id = user_id;
	strv_set(&m.u.reader_search_req.blob_keys, keys, n);
	for (size_t i = 0; i < n_criteria; i++) {
		struct pb_rec_search_key *k =
			pb_rec_search_key_push(&m.u.reader_search_req.criteria);
		k->kind = (uint8_t)criteria[i].kind;
		k->header = xstrdup(criteria[i].header != NULL ? criteria[i].header : "");
		k->value = xstrdup(criteria[i].value);
	}
	return send_free(tx, &m, error_r);
}

uint32_t reader_client_search_reply(const struct pb_msg *rep, size_t n,
				    struct reader_search_hit *hits_r, size_t *n_done_r)
{
	const struct pb_rec_search_hit_list *l = &rep->u.reader_search_rep.hits;
	uint32_t code = prefix_status(rep, MSG_READER_SEARCH_REP,
				      rep->type == MSG_READER_SEARCH_REP ? l->n : 0, n, n_done_r);

	for (size_t i = 0; i < *n_done_r; i++)
		hits_r[i] = (struct reader_search_hit){ l->v[i].code, l->v[i].matched };
	return code;
}

int reader_client_binary_send(const struct pb_sender *tx, uint64_t user_id, const char *blob_key,
			      const char *section, uint64_t enc_offset, uint64_t skip,
			      uint32_t length, bool want_size, const char **error_r)
{
	struct pb_msg m;

	if (length > PB_CHUNK_MAX) {
		*error_r = "a binary read is at most 1 MiB";
		return -1;
	}
	pb_msg_init(&m, MSG_READER_BINARY_REQ);
	m.u.reader_binary_req = (struct msg_reader_binary_req){
		.user_id = user_id, .blob_key = xstrdup(blob_key), .section = xstrdup(section),
		.enc_offset = enc_offset, .skip = skip, .length = length, .want_size = want_size
	};
	return send_free(tx, &m, error_r);
}

uint32_t reader_client_binary_reply(const struct pb_msg *rep, struct reader_binary *b_r)
{
	const struct msg_reader_binary_rep *r = &rep->u.reader_binary_rep;
	uint32_t code = typed_status(rep, MSG_READER_BINARY_REP);

	if (code != PB_OK)
		return code;
	*b_r = (struct reader_binary){ .exists = r->exists != 0, .unknown_cte = r->unknown_cte != 0,
				       .decoded_size = r->decoded_size, .has_nul = r->has_nul != 0,
				       .data = r->data.data, .len = r->data.len,
				       .next_offset = r->next_offset, .next_skip = r->next_skip,
				       .eof = r->eof != 0 };
	return PB_OK;
}
