/*
 * reader-client.h: the typed client of the reader shards (ranged body reads), the only way
 * other modules ask them. A gateway sends one read at a time per response it streams,
 * asynchronously through its struct pb_sender and paced by its connection's drain, and decodes
 * the reply with reader_client_read_reply; tests and the CLI use the synchronous call.
 *
 * A read names the user (the shard key: reader shards are keyed by user), the body's store key
 * (from the mailbox listing), an offset and a length of 0..PB_CHUNK_MAX bytes. The reply gives
 * the body's total size, the bytes from offset (fewer than asked only at the end, none at or
 * past it) and eof: nothing follows them.
 *
 * READER_READ_MANY_REQ asks for several such ranges (of several bodies) at once and is answered
 * with one part per range, each with its own status: a read-ahead of several messages' first
 * ranges costs one hand-off each way.
 *
 * For IMAP FETCH and SEARCH (reader-client-imap.c): READER_META_REQ answers, for a page of
 * bodies, what FETCH asks without reading them (ENVELOPE, BODYSTRUCTURE, BODY, sizes, the part
 * tree), computed on first request and kept with the body; READER_SECTION_REQ turns
 * BODY[section] specifiers into octet ranges (and filters HEADER.FIELDS); READER_SEARCH_REQ
 * tells which text criteria each body matches; READER_BINARY_REQ decodes a BINARY[section]
 * (RFC 3516) piece by piece. Each request is bounded (keys, reply bytes,
 * work) and answers a prefix of its keys, at least one: the caller asks again for the rest.
 *
 * Status codes (enum pb_status): OK; NOTFOUND (no such body); REFUSED (length over
 * PB_CHUNK_MAX); INTERNAL (a store failure, a reply of the wrong type); TEMP (synchronous
 * calls: no reply).
 *
 * OWNS: nothing. THREAD: any; a pb_caller or pb_sender is used by its own thread.
 */
#ifndef READER_CLIENT_H
#define READER_CLIENT_H

#include "pb-client.h"
#include "pb-runtime.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* READER_READ_REQ through tx. blob_key is borrowed. 0 sent, -1 with error_r (nothing sent). */
int reader_client_read_send(const struct pb_sender *tx, uint64_t user_id, const char *blob_key,
			    uint64_t offset, uint32_t length, const char **error_r);
/* Decodes a reply (READER_READ_REP or CORE_STATUS_REP): returns the code; for PB_OK sets
 * *size_r, *data_r (points into rep: valid while rep is), *len_r and *eof_r. */
uint32_t reader_client_read_reply(const struct pb_msg *rep, uint64_t *size_r,
				  const uint8_t **data_r, size_t *len_r, bool *eof_r);
/* ---- several ranges in one hand-off (READER_READ_MANY_REQ) ---- */

/* At most this many ranges in one request; their lengths add up to at most PB_CHUNK_MAX. */
#define READER_MANY_MAX 256

struct reader_range {
	const char *blob_key; /* borrowed */
	uint64_t offset;
	uint32_t length;
};

/* One range's answer, as reader_client_read_reply gives it for a single read: code, and for
 * PB_OK size, data (points into the reply: valid while it is), len and eof. */
struct reader_part {
	uint32_t code;
	uint64_t size;
	const uint8_t *data;
	size_t len;
	bool eof;
};

/* READER_READ_MANY_REQ for ranges[0..n) (borrowed) through tx. 0 sent, -1 with error_r
 * (nothing sent): n is 0 or over READER_MANY_MAX, or the lengths add up to over PB_CHUNK_MAX. */
int reader_client_read_many_send(const struct pb_sender *tx, uint64_t user_id,
				 const struct reader_range *ranges, size_t n, const char **error_r);
/* Decodes the reply to a request of n ranges (READER_READ_MANY_REP or CORE_STATUS_REP):
 * returns the code of the whole (not PB_OK: no part is set; a reply whose part count is not n
 * is INTERNAL); for PB_OK fills parts_r[0..n), each with its own code (NOTFOUND: no such
 * body), its data pointing into rep. */
uint32_t reader_client_read_many_reply(const struct pb_msg *rep, size_t n,
				       struct reader_part *parts_r);

/* ---- IMAP FETCH meta (READER_META_REQ) ---- */

/* At most this many bodies in one request; the reply carries about READER_REPLY_BUDGET octets
 * of answers (always at least one answer). */
#define READER_META_MAX 256
#define READER_REPLY_BUDGET (1u << 20)

/* One body's meta. Strings and parts point into the reply: valid while it is. */
struct reader_meta {
	uint32_t code;                 /* PB_OK; NOTFOUND: no such body; INTERNAL */
	uint64_t size;                 /* octets as stored */
	uint64_t virtual_size;         /* RFC822.SIZE (bare LF counted as CRLF) */
	uint64_t header_size;          /* the top header's octets as stored, blank line included */
	uint64_t header_virtual_size;  /* RFC822.HEADER's size */
	uint64_t body_virtual_size;    /* RFC822.TEXT's size */
	uint64_t body_lines;
	const char *envelope;          /* "(date subject ...)", as FETCH ENVELOPE sends it */
	const char *bodystructure;     /* extended, as FETCH BODYSTRUCTURE sends it */
	const char *body;              /* as FETCH BODY sends it */
	const uint8_t *parts;          /* the part tree: mime_structure_decode_parts() gives a */
	size_t parts_len;              /* tree mime_section_locate() reads (mime-imap.h) */
};

/* READER_META_REQ for keys[0..n) (borrowed; 1..READER_META_MAX) through tx. 0 sent, -1 with
 * error_r (nothing sent). */
int reader_client_meta_send(const struct pb_sender *tx, uint64_t user_id,
			    const char *const *keys, size_t n, const char **error_r);
/* The same, answered with the sizes and ENVELOPE only: bodystructure and body are "", parts
 * empty (a FETCH that asks no BODY or BODYSTRUCTURE). */
int reader_client_meta_send_envelopes(const struct pb_sender *tx, uint64_t user_id,
				      const char *const *keys, size_t n, const char **error_r);
/* Decodes the reply to a request of n keys: returns the code of the whole (not PB_OK: nothing
 * set); for PB_OK fills metas_r[0..*n_done_r), the answers to keys[0..*n_done_r) (1..n; a
 * reply with none or more than n is INTERNAL). */
uint32_t reader_client_meta_reply(const struct pb_msg *rep, size_t n,
				  struct reader_meta *metas_r, size_t *n_done_r);

/* ---- BODY[section] ranges (READER_SECTION_REQ) ---- */

#define READER_SECTION_MAX 256
/* Field names of one HEADER.FIELDS[.NOT] at most */
#define READER_SECTION_FIELDS_MAX 256

struct reader_section_ask {
	const char *blob_key;       /* borrowed */
	const char *section;        /* inside the brackets, without the field list: "", "TEXT",
				     * "1.2", "1.2.MIME", "2.HEADER", "HEADER.FIELDS.NOT" */
	const char *const *fields;  /* HEADER.FIELDS[.NOT]: the names (borrowed), else NULL */
	size_t n_fields;
};

/* One section's answer. OK and exists: the section is [offset, offset + size) of the stored
 * body, virtual_size octets once bare LF are sent as CRLF; OK and !exists: no such part (IMAP
 * sends an empty string); for HEADER.FIELDS[.NOT] filtered is set and data/len are the octets
 * to send (the blank line included; they point into the reply), virtual_size their size with
 * CRLF. REFUSED: a malformed specifier; NOTFOUND: no such body. */
struct reader_section {
	uint32_t code;
	bool exists;
	uint64_t offset, size, virtual_size;
	bool filtered;
	const uint8_t *data;
	size_t len;
};

/* READER_SECTION_REQ for asks[0..n) (1..READER_SECTION_MAX) through tx. 0 / -1 (nothing
 * sent). */
int reader_client_section_send(const struct pb_sender *tx, uint64_t user_id,
			       const struct reader_section_ask *asks, size_t n,
			       const char **error_r);
/* Decodes the reply to n asks as reader_client_meta_reply does (a prefix). */
uint32_t reader_client_section_reply(const struct pb_msg *rep, size_t n,
				     struct reader_section *sections_r, size_t *n_done_r);

/* ---- BINARY[section] decoded (READER_BINARY_REQ) ---- */

/* One reply: exists false: no such part (IMAP sends an empty string); unknown_cte: the part's
 * Content-Transfer-Encoding is not one the readers decode (IMAP: NO [UNKNOWN-CTE]); else data
 * (points into the reply) the decoded octets asked, and the resume point of the octets after
 * them (next_offset, next_skip: give them to the next request); eof: none follow. decoded_size
 * and has_nul (a NUL anywhere in the decoded content) only when asked with want_size. */
struct reader_binary {
	bool exists, unknown_cte;
	uint64_t decoded_size;
	bool has_nul;
	const uint8_t *data;
	size_t len;
	uint64_t next_offset, next_skip;
	bool eof;
};

/* READER_BINARY_REQ through tx: of body blob_key's section (part numbers "1.2", or "" the
 * whole message; borrowed), up to length (0..PB_CHUNK_MAX) decoded octets from the resume
 * point (enc_offset, skip) — (0, n) is decoded offset n — and with want_size the decoded size
 * (the whole section is decoded: the request costs the section's size). 0 / -1 (nothing sent). */
int reader_client_binary_send(const struct pb_sender *tx, uint64_t user_id, const char *blob_key,
			      const char *section, uint64_t enc_offset, uint64_t skip,
			      uint32_t length, bool want_size, const char **error_r);
/* Decodes the reply: returns its code (NOTFOUND: no such body); for PB_OK fills *b_r. */
uint32_t reader_client_binary_reply(const struct pb_msg *rep, struct reader_binary *b_r);

/* ---- SEARCH text criteria (READER_SEARCH_REQ) ---- */

#define READER_SEARCH_MAX 256
/* criteria per request (one bit each in reader_search_hit.matched) and octets per value */
#define READER_SEARCH_CRITERIA_MAX 64
#define READER_SEARCH_VALUE_MAX 1024
/* About this many body octets are read per request (always at least one body whole). */
#define READER_SEARCH_BUDGET (16u << 20)

/* What a criterion looks at. Values are matched as case-insensitive substrings of decoded
 * text: header values RFC 2047-decoded, bodies transfer-decoded (QP, base64) and converted
 * from their charset to UTF-8. HEADER with an empty value matches when the field exists. */
enum reader_search_kind {
	READER_SEARCH_TEXT = 0, /* the top header's fields, or BODY */
	READER_SEARCH_BODY,     /* the text parts (text/ *) of the message, nested ones too */
	READER_SEARCH_HEADER,   /* the top header's field `header` */
	READER_SEARCH_SUBJECT,
	READER_SEARCH_FROM,
	READER_SEARCH_TO,
	READER_SEARCH_CC,
	READER_SEARCH_BCC,
	READER_SEARCH_KIND_COUNT
};

struct reader_search_key {
	enum reader_search_kind kind;
	const char *header; /* HEADER: the field name; else NULL (borrowed) */
	const char *value;  /* UTF-8, 0..READER_SEARCH_VALUE_MAX octets (borrowed) */
};

/* One body's answer: code (NOTFOUND: no such body), and bit i of matched set when criterion
 * i matched it. */
struct reader_search_hit {
	uint32_t code;
	uint64_t matched;
};

/* READER_SEARCH_REQ: keys[0..n) (1..READER_SEARCH_MAX) against criteria[0..n_criteria)
 * (1..READER_SEARCH_CRITERIA_MAX) through tx. 0 / -1 (nothing sent). */
int reader_client_search_send(const struct pb_sender *tx, uint64_t user_id,
			      const char *const *keys, size_t n,
			      const struct reader_search_key *criteria, size_t n_criteria,
			      const char **error_r);
/* Decodes the reply to n keys as reader_client_meta_reply does (a prefix). */
uint32_t reader_client_search_reply(const struct pb_msg *rep, size_t n,
				    struct reader_search_hit *hits_r, size_t *n_done_r);

/* Synchronous read into buf (the caller's, length bytes; waits up to 60 s): returns the code
 * (PB_ERR_TEMP when no reply came); for PB_OK sets *n_r, *size_r, *eof_r. *error_r (may be
 * NULL) the reason or "", valid until the next reader_client call on this thread. */
uint32_t reader_client_read(struct pb_caller *c, uint64_t user_id, const char *blob_key,
			    uint64_t offset, void *buf, uint32_t length, size_t *n_r,
			    uint64_t *size_r, bool *eof_r, const char **error_r);
/* The same read over a synchronous transport (the CLI's control socket: `rules dry-run
 * USER --folder F`), in pb-client.h's convention: 0 with *code_r (for PB_OK buf holds *n_r
 * <= length octets, and *size_r, *eof_r are set), or -1 (no answer). */
int reader_client_read_sync(struct pb_sync *t, uint64_t user_id, const char *blob_key,
			    uint64_t offset, void *buf, uint32_t length, uint32_t *code_r,
			    size_t *n_r, uint64_t *size_r, bool *eof_r, const char **error_r);

#endif
