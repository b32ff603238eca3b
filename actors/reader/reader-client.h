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
 * Status codes (enum pb_status): OK; NOTFOUND (no such body); REFUSED (length over
 * PB_CHUNK_MAX); INTERNAL (a store failure, a reply of the wrong type); TEMP (synchronous
 * calls: no reply).
 *
 * OWNS: nothing. THREAD: any; a pb_caller or pb_sender is used by its own thread.
 */
#ifndef READER_CLIENT_H
#define READER_CLIENT_H

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
#define READER_MANY_MAX 64

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

/* Synchronous read into buf (the caller's, length bytes; waits up to 60 s): returns the code
 * (PB_ERR_TEMP when no reply came); for PB_OK sets *n_r, *size_r, *eof_r. *error_r (may be
 * NULL) the reason or "", valid until the next reader_client call on this thread. */
uint32_t reader_client_read(struct pb_caller *c, uint64_t user_id, const char *blob_key,
			    uint64_t offset, void *buf, uint32_t length, size_t *n_r,
			    uint64_t *size_r, bool *eof_r, const char **error_r);

#endif
