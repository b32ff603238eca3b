/*
 * reader-work.h: what the reader shard's files share (nobody else includes it): the shard's
 * state, the streaming parse of a stored body, FETCH metas and sections (reader-meta.c), text
 * search (reader-search.c). Pure of nng: the store and the MIME library only.
 * OWNS: nothing (struct reader_shard is owned by its shard). THREAD: the shard's.
 */
#ifndef READER_WORK_H
#define READER_WORK_H

#include "mime-meta.h"
#include "mime-parser.h"
#include "pb-msg.h"

#include <stdbool.h>
#include <stdint.h>

struct pb_store;

/* Bodies are read and parsed in pieces of this many octets: what parsing one costs in
 * memory beyond the parser's own bounded state (mime-parser.h), whatever its size. */
#define READER_PIECE (256u * 1024)

struct reader_envcache;

struct reader_shard {
	struct pb_store *store;          /* borrowed */
	uint8_t *scratch;                /* READER_PIECE octets */
	struct reader_envcache *envcache; /* ENVELOPE answers (reader-envcache.h) */
};

/* Called for every parser event; false stops the parse. */
typedef bool reader_event_fn(void *ctx, const struct mime_event *ev);

/* Feeds the stored body `key` to p piece by piece and hands every event to on_event (NULL:
 * drained unseen), finishing the input at the end. Returns 1 (parsed to the end, or stopped
 * by on_event), 0 unknown body, -1 error (error_r: the store's). *read_r: octets read. */
int reader_body_parse(struct reader_shard *sh, const char *key, struct mime_parser *p,
		      reader_event_fn *on_event, void *ctx, uint64_t *read_r,
		      const char **error_r);

/* The meta of body `key`: the stored one, or, if there is none or it is stale (another
 * MIME_META_VERSION) or unreadable, one computed by a streaming parse and stored with the
 * body. Returns 1 with *meta_r (deinit it), 0 unknown body, -1 error. *parsed_r: the octets
 * parsed (0 when the stored meta served). */
int reader_meta_get(struct reader_shard *sh, const char *key, struct mime_meta *meta_r,
		    uint64_t *parsed_r, const char **error_r);
/* Computes the meta of body `key` by a streaming parse without storing it: fills *meta_r
 * (deinit it) and appends its encoding (mime_meta_encode) to enc_r, for the caller to store
 * (pb_store_blob_meta_put_many). Returns 1, 0 unknown body, -1 error. *parsed_r as above. */
int reader_meta_compute(struct reader_shard *sh, const char *key, struct mime_meta *meta_r,
			uint64_t *parsed_r, struct pb_buf *enc_r, const char **error_r);
/* Answers one READER_SECTION_REQ ask into a (zeroed by the caller). */
void reader_section_answer(struct reader_shard *sh, const struct pb_rec_section_ask *q,
			   struct pb_rec_section_answer *a);

/* A search's criteria, prepared once per request (values case-folded). criteria (borrowed,
 * kept until destroy) must be checked by the caller: kinds valid, 1..64 of them, values at
 * most READER_SEARCH_VALUE_MAX octets. */
struct reader_search *reader_search_create(const struct pb_rec_search_key_list *criteria);
void reader_search_destroy(struct reader_search **s);
/* Matches body `key`, streaming: it stops reading as soon as every criterion matched, or the
 * top header is read and only header criteria are left. Returns 1 with *matched_r (bit i:
 * criterion i matched), 0 unknown body, -1 error. *read_r: the octets read. */
int reader_search_body(struct reader_shard *sh, struct reader_search *s, const char *key,
		       uint64_t *matched_r, uint64_t *read_r, const char **error_r);

/* ---- BINARY (reader-binary.c) ---- */

enum reader_cte { READER_CTE_IDENTITY = 0, READER_CTE_BASE64, READER_CTE_QP, READER_CTE_UNKNOWN };

/* The encoding a Content-Transfer-Encoding value (len octets, not NUL-terminated) names:
 * empty, 7bit, 8bit and binary are IDENTITY (case-insensitive; parameters and comments after
 * the token are ignored). */
enum reader_cte reader_cte_parse(const char *value, size_t len);
/* How many of data's len octets decode with nothing carried over to the next piece (see
 * reader-binary.c); all when final (the section's last piece) or when none would. */
size_t reader_cte_cut(enum reader_cte cte, const uint8_t *data, size_t len, bool final);
/* Appends data decoded by cte (UNKNOWN: copied) to out, best effort. */
void reader_cte_decode(enum reader_cte cte, const uint8_t *data, size_t len, struct pb_buf *out);
/* READER_BINARY_REQ's handler; state is the struct reader_shard. */
struct pb_actor;
int reader_on_binary(struct pb_actor *a, void *state, struct pb_msg *m);

/* The IMAP handlers (reader-imap.c): READER_META_REQ, READER_SECTION_REQ, READER_SEARCH_REQ;
 * state is the struct reader_shard. */
struct pb_actor;
int reader_on_meta(struct pb_actor *a, void *state, struct pb_msg *m);
int reader_on_section(struct pb_actor *a, void *state, struct pb_msg *m);
int reader_on_search(struct pb_actor *a, void *state, struct pb_msg *m);

#endif
