/*
 * pb-msg.h: typed messages generated from msg-types.def, their binary codec and JSON rendering.
 *
 * A message is { type, corr (correlation id), reply_to (symbolic address or ""), fields }.
 * Wire form (little-endian): u8 version, u16 type, u64 corr, str reply_to, then the fields in
 * table order. u8/u32/u64/i64 are fixed width; a str or bytes is u32 length + bytes; a strv is
 * u32 count + strs; a u64v is u32 count + u64s; a list (F_LIST) is u32 count + each record's
 * fields in order. The decoder consumes every byte exactly:
 * leftover or missing bytes are an error, so writer and reader cannot drift.
 * THREAD: pure functions; a struct pb_msg belongs to whoever holds it.
 */
#ifndef PB_MSG_H
#define PB_MSG_H

#include "pb-buf.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PB_MSG_WIRE_VERSION 1
/* Largest encoded message accepted by the decoder: bodies travel by store key, not inline. */
#define PB_MSG_MAX_SIZE (64u * 1024 * 1024)
#define PB_MSG_MAX_ADDR 256
/* Largest piece of a body one message carries (spool upload chunks, ranged reads). */
#define PB_CHUNK_MAX (1u << 20)

/* Result codes carried in replies (`code` fields). */
enum pb_status {
	PB_OK = 0,
	PB_ERR_REFUSED = 1,   /* permanent: bad input, policy, validation */
	PB_ERR_NOTFOUND = 2,  /* no such user/domain/folder/message */
	PB_ERR_EXISTS = 3,    /* already exists */
	PB_ERR_TEMP = 4,      /* temporary: busy, full inbox, timeout; try again */
	PB_ERR_INTERNAL = 5,  /* store failure or bug; logged */
	PB_ERR_AUTH = 6,      /* authentication failed */
	PB_ERR_NOSPACE = 7,   /* temporary: the store keeps its free-space reserve */
	PB_ERR_OVERQUOTA = 8, /* the user's own change would take the mailbox past its quota */
};
const char *pb_status_name(uint32_t code);

struct pb_bytes {
	uint8_t *data;
	size_t len;
};
struct pb_strv {
	char **v;
	uint32_t n;
};
struct pb_u64v {
	uint64_t *v;
	uint32_t n;
};

enum pb_msg_kind { PB_MSG_REQ, PB_MSG_REP, PB_MSG_EVT };

enum pb_msg_type {
	MSG_NONE = 0,
#define MSG(N, l, o, k, F) MSG_##N,
#include "msg-types.def"
#undef MSG
	MSG_TYPE_COUNT
};

#define F_U8(n) uint8_t n;
#define F_U32(n) uint32_t n;
#define F_U64(n) uint64_t n;
#define F_KEY(n) uint64_t n;
#define F_I64(n) int64_t n;
#define F_STR(n) char *n;
#define F_BYTES(n) struct pb_bytes n;
#define F_STRV(n) struct pb_strv n;
#define F_U64V(n) struct pb_u64v n;
#define F_LIST(n, r) struct pb_rec_##r##_list n;
#define RECORD(r, F)                                                                      \
	struct pb_rec_##r {                                                               \
		F                                                                         \
	};                                                                                \
	struct pb_rec_##r##_list {                                                        \
		struct pb_rec_##r *v;                                                     \
		uint32_t n, cap; /* records, and room for records in v */                  \
	};                                                                                \
	/* Appends a zeroed record to l and returns it (valid until the next push). */    \
	struct pb_rec_##r *pb_rec_##r##_push(struct pb_rec_##r##_list *l);                \
	/* Frees every record's owned fields and the array; leaves l empty. */            \
	void pb_rec_##r##_list_clear(struct pb_rec_##r##_list *l);                        \
	/* Moves src's records to *dst (which must be empty) and leaves src empty. */     \
	void pb_rec_##r##_list_move(struct pb_rec_##r##_list *dst, struct pb_rec_##r##_list *src);
#define MSG(N, l, o, k, F) \
	struct msg_##l {   \
		F          \
	};
#include "msg-types.def"
#include "msg-fields-undef.h"

struct pb_msg {
	enum pb_msg_type type;
	uint64_t corr;
	char *reply_to; /* owned; NULL means none */
	union {
#define MSG(N, l, o, k, F) struct msg_##l l;
#include "msg-types.def"
#undef MSG
	} u;
};

/* Starts a message of the given type with every field zero (strings NULL encode as ""). */
void pb_msg_init(struct pb_msg *m, enum pb_msg_type type);
/* A deep copy of m into *copy_r (the caller frees it with pb_msg_free), made through the
 * codec, so it is exactly what a receiver of m would get. Returns 0, or -1 for a message the
 * codec refuses (over PB_MSG_MAX_SIZE): nothing to free then. */
int pb_msg_copy(const struct pb_msg *m, struct pb_msg *copy_r);
/* Frees every owned field (strings, bytes, vectors, reply_to) and zeroes the message. */
void pb_msg_free(struct pb_msg *m);

/* Appends the wire form to out. Never fails for a valid type. */
void pb_msg_encode(const struct pb_msg *m, struct pb_buf *out);
/* Decodes exactly len bytes into m_r (which the caller frees with pb_msg_free on success).
 * Returns 0, or -1 with error_r (static text) for an unknown type, a bad version, truncated or
 * padded input, or a length beyond the limits; on error m_r holds nothing to free. */
int pb_msg_decode(const void *data, size_t len, struct pb_msg *m_r, const char **error_r);

const char *pb_msg_name(enum pb_msg_type type);     /* "DIR_USER_ADD_REQ"; "?" if unknown */
const char *pb_msg_owner(enum pb_msg_type type);    /* "directory"; "?" if unknown */
enum pb_msg_kind pb_msg_kind(enum pb_msg_type type);
bool pb_msg_type_valid(uint32_t type);
/* The type a request is answered with when it succeeds (its REPLY line in msg-types.def): its
 * own REP or CORE_STATUS_REP. A failure may always come back as CORE_STATUS_REP instead.
 * MSG_NONE for a type that is not a request. */
enum pb_msg_type pb_msg_reply_type(enum pb_msg_type type);
/* Returns true and the shard key (F_KEY field) if the message type has one. */
bool pb_msg_shard_key(const struct pb_msg *m, uint64_t *key_r);
/* Sets the shard key (F_KEY field): true, or false (unchanged) if the type has none. */
bool pb_msg_set_shard_key(struct pb_msg *m, uint64_t key);
/* The status of a reply: every REP type except TEST_PING_REP begins with F_U32(code)
 * F_STR(error) (test-msg-codec checks it), so its code and error are read through the union's
 * common initial sequence. Returns the code (PB_ERR_INTERNAL for a message that is not such a
 * reply) and sets *error_r (may be NULL) to the error text or "". */
uint32_t pb_msg_status(const struct pb_msg *m, const char **error_r);
/* A hash (FNV-1a 64) of the message table: the wire version and, in order, every message's
 * name, kind and field kinds and every REPLY line. Type ids are positions in the table, so two
 * builds can talk only when their hashes are equal; the CLI's bridge checks it (pb-bridge.c).
 * Computed from a string the compiler builds from msg-types.def. */
uint64_t pb_msg_table_hash(void);
/* Looks a type up by name; MSG_NONE if unknown. */
enum pb_msg_type pb_msg_type_by_name(const char *name);

/* Renders m as one line of JSON for logs: {"type":"...","corr":n,"fields":{...}}. Fields named
 * "password" are replaced by "***". The caller frees the result. */
char *pb_msg_to_json(const struct pb_msg *m);

/* Vector helpers: append a copy of s / v (the vector owns it). */
void pb_strv_push(struct pb_strv *sv, const char *s);
void pb_u64v_push(struct pb_u64v *uv, uint64_t v);
/* Frees a vector's contents and leaves it empty. */
void pb_strv_clear(struct pb_strv *sv);
void pb_u64v_clear(struct pb_u64v *uv);
/* Moves a vector's contents to *dst (which must be empty) and leaves src empty. */
void pb_strv_move(struct pb_strv *dst, struct pb_strv *src);
void pb_u64v_move(struct pb_u64v *dst, struct pb_u64v *src);
/* Replaces *dst with a copy of s (frees the old one). */
void pb_str_set(char **dst, const char *s);

/* Node-qualified addresses (the syntax is described in pb-runtime.h): "NODE/NAME".
 * PB_NODE_NAME_MAX bounds a node name, PB_MSG_MAX_ADDR any address in a message. */
#define PB_NODE_NAME_MAX 63
/* True if node is a valid node name: 1..PB_NODE_NAME_MAX of [A-Za-z0-9._-]. */
bool pb_node_name_valid(const char *node);
/* Splits addr at its first '/': *node_r (not NUL-terminated, *node_len_r bytes) and *name_r
 * (the rest). A bare name (no '/') gives node length 0 and the whole addr as name. Returns 0,
 * or -1 for an address with an invalid node part or an empty name. Pure; points into addr. */
int pb_addr_split(const char *addr, const char **node_r, size_t *node_len_r,
		  const char **name_r);

#endif
