/*
 * pb-msg.c: the codec, names and JSON rendering generated from msg-types.def.
 * OWNS nothing beyond the messages passed in. THREAD: any (pure functions).
 *
 * Why one X-macro expansion per operation: encode, decode, free and JSON must visit the
 * same fields in the same order, and a field added to the table is then handled by all four
 * without anyone writing it four times.
 */
#include "pb-msg.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <string.h>

struct pb_msg_info {
	const char *name;
	const char *owner;
	enum pb_msg_kind kind;
};

static const struct pb_msg_info msg_info[MSG_TYPE_COUNT] = {
	[MSG_NONE] = { "NONE", "?", PB_MSG_EVT },
#define MSG(N, l, o, k, F) [MSG_##N] = { #N, #o, PB_MSG_##k },
#include "msg-types.def"
#undef MSG
};

/* The reply type of each request (REPLY lines); MSG_NONE for anything else. A REQ named twice
 * is a compile error (-Woverride-init). */
static const enum pb_msg_type reply_types[MSG_TYPE_COUNT] = {
#define MSG(N, l, o, k, F)
#define REPLY(q, p) [MSG_##q] = MSG_##p,
#include "msg-types.def"
#undef REPLY
#undef MSG
};

enum pb_msg_type pb_msg_reply_type(enum pb_msg_type type)
{
	return pb_msg_type_valid(type) ? reply_types[type] : MSG_NONE;
}

bool pb_msg_type_valid(uint32_t type)
{
	return type > MSG_NONE && type < MSG_TYPE_COUNT;
}

const char *pb_msg_name(enum pb_msg_type type)
{
	return pb_msg_type_valid(type) ? msg_info[type].name : "?";
}

const char *pb_msg_owner(enum pb_msg_type type)
{
	return pb_msg_type_valid(type) ? msg_info[type].owner : "?";
}

enum pb_msg_kind pb_msg_kind(enum pb_msg_type type)
{
	return pb_msg_type_valid(type) ? msg_info[type].kind : PB_MSG_EVT;
}

uint32_t pb_msg_status(const struct pb_msg *m, const char **error_r)
{
	bool status_reply = pb_msg_kind(m->type) == PB_MSG_REP && m->type != MSG_TEST_PING_REP;
	const char *error = status_reply ? m->u.core_status_rep.error : "not a status reply";

	if (error_r != NULL)
		*error_r = error != NULL ? error : "";
	return status_reply ? m->u.core_status_rep.code : PB_ERR_INTERNAL;
}

enum pb_msg_type pb_msg_type_by_name(const char *name)
{
	for (int t = MSG_NONE + 1; t < MSG_TYPE_COUNT; t++) {
		if (strcmp(msg_info[t].name, name) == 0)
			return (enum pb_msg_type)t;
	}
	return MSG_NONE;
}

const char *pb_status_name(uint32_t code)
{
	static const char *const names[] = { "ok", "refused", "not found", "exists",
					     "temporary failure", "internal error",
					     "authentication failed", "insufficient storage",
					     "over quota" };
	return code < PB_N_ELEMENTS(names) ? names[code] : "unknown";
}

/* ---- the table's hash ---- */

/* The whole table as one string literal, built at compile time: each message's name, kind and
 * field kinds in order, and each REPLY line. */
#define F_U8(n) "u8,"
#define F_U32(n) "u32,"
#define F_U64(n) "u64,"
#define F_KEY(n) "key,"
#define F_I64(n) "i64,"
#define F_STR(n) "str,"
#define F_BYTES(n) "bytes,"
#define F_STRV(n) "strv,"
#define F_U64V(n) "u64v,"
#define F_LIST(n, r) "list(" #r "),"
#define RECORD(r, F) "record " #r " " F ";"
#define MSG(N, l, o, k, F) #N " " #k " " F ";"
#define REPLY(q, p) #q ">" #p ";"
static const char table_text[] =
#include "msg-types.def"
	;
#undef REPLY
#include "msg-fields-undef.h"

uint64_t pb_msg_table_hash(void)
{
	uint64_t h = 0xcbf29ce484222325ull; /* FNV-1a 64 */

	h = (h ^ PB_MSG_WIRE_VERSION) * 0x100000001b3ull;
	for (size_t i = 0; i < sizeof(table_text) - 1; i++)
		h = (h ^ (uint8_t)table_text[i]) * 0x100000001b3ull;
	return h;
}

/* ---- encoding ---- */

/* Appends the low n bytes of v, little-endian. */
static void put_le(struct pb_buf *b, uint64_t v, int n)
{
	uint8_t x[8];
	for (int i = 0; i < n; i++)
		x[i] = (uint8_t)(v >> (8 * i));
	pb_buf_append(b, x, (size_t)n);
}

#define put_u8(b, v) put_le(b, v, 1)
#define put_u16(b, v) put_le(b, v, 2)
#define put_u32(b, v) put_le(b, v, 4)
#define put_u64(b, v) put_le(b, v, 8)

/* A field over PB_MSG_MAX_SIZE is cut to PB_MSG_MAX_SIZE + 1 octets: the whole encoding is
 * then over the bound too, which every sender checks (pb_runtime_send_bytes: "message too
 * large") and the decoder refuses, so no such message travels and nothing aborts. */
static void put_mem(struct pb_buf *b, const void *p, size_t len)
{
	size_t n = len <= PB_MSG_MAX_SIZE ? len : (size_t)PB_MSG_MAX_SIZE + 1;
	put_u32(b, (uint32_t)n);
	pb_buf_append(b, p, n);
}

static void put_str(struct pb_buf *b, const char *s)
{
	put_mem(b, s != NULL ? s : "", s != NULL ? strlen(s) : 0);
}

static void put_strv(struct pb_buf *b, const struct pb_strv *sv)
{
	put_u32(b, sv->n);
	for (uint32_t i = 0; i < sv->n; i++)
		put_str(b, sv->v[i]);
}

static void put_u64v(struct pb_buf *b, const struct pb_u64v *uv)
{
	put_u32(b, uv->n);
	for (uint32_t i = 0; i < uv->n; i++)
		put_u64(b, uv->v[i]);
}

#define F_U8(n) put_u8(b, s->n);
#define F_U32(n) put_u32(b, s->n);
#define F_U64(n) put_u64(b, s->n);
#define F_KEY(n) put_u64(b, s->n);
#define F_I64(n) put_u64(b, (uint64_t)s->n);
#define F_STR(n) put_str(b, s->n);
#define F_BYTES(n) put_mem(b, s->n.data, s->n.len);
#define F_STRV(n) put_strv(b, &s->n);
#define F_U64V(n) put_u64v(b, &s->n);
#define F_LIST(n, r) enc_list_##r(b, &s->n);
#define RECORD(r, F)                                                                     \
	static void enc_rec_##r(struct pb_buf *b, const struct pb_rec_##r *s)           \
	{                                                                                \
		F                                                                        \
	}                                                                                \
	static void enc_list_##r(struct pb_buf *b, const struct pb_rec_##r##_list *l)   \
	{                                                                                \
		put_u32(b, l->n);                                                        \
		for (uint32_t i = 0; i < l->n; i++)                                      \
			enc_rec_##r(b, &l->v[i]);                                        \
	}
#define MSG(N, l, o, k, F)                                                    \
	static void enc_##l(struct pb_buf *b, const struct msg_##l *s)       \
	{                                                                     \
		F                                                             \
	}
#include "msg-types.def"
#undef MSG
#undef RECORD

void pb_msg_encode(const struct pb_msg *m, struct pb_buf *b)
{
	put_u8(b, PB_MSG_WIRE_VERSION);
	put_u16(b, (uint16_t)m->type);
	put_u64(b, m->corr);
	put_str(b, m->reply_to);
	switch (m->type) {
#define MSG(N, l, o, k, F)              \
	case MSG_##N:                   \
		enc_##l(b, &m->u.l);    \
		break;
#include "msg-types.def"
#undef MSG
	default:
		PANIC("encoding message of unknown type %d", (int)m->type);
	}
}
#include "msg-fields-undef.h"

/* ---- decoding ---- */

/* The fewest bytes each record takes on the wire (a string at least its length). */
#define F_U8(n) +1
#define F_U32(n) +4
#define F_U64(n) +8
#define F_KEY(n) +8
#define F_I64(n) +8
#define F_STR(n) +4
#define F_BYTES(n) +4
#define F_STRV(n) +4
#define F_U64V(n) +4
#define F_LIST(n, r) +4
#define RECORD(r, F)                   \
	enum { rec_min_##r = 0 F };    \
	_Static_assert(rec_min_##r > 0, "a record needs at least one field");
#define MSG(N, l, o, k, F)
#include "msg-types.def"
#include "msg-fields-undef.h"

struct dec {
	const uint8_t *p;
	size_t left;
};

static int get_raw(struct dec *d, void *out, size_t n)
{
	if (d->left < n)
		return -1;
	memcpy(out, d->p, n);
	d->p += n;
	d->left -= n;
	return 0;
}

/* Reads n little-endian bytes into *v. 0, or -1 if fewer are left. */
static int get_le(struct dec *d, int n, uint64_t *v)
{
	uint8_t x[8];
	if (get_raw(d, x, (size_t)n) < 0)
		return -1;
	*v = 0;
	for (int i = n - 1; i >= 0; i--)
		*v = (*v << 8) | x[i];
	return 0;
}

/* Typed wrappers: the value is assigned only when the read succeeded. */
#define GET_LE(d, n, type, dst)                                                        \
	({                                                                             \
		uint64_t v_;                                                           \
		int rc_ = get_le(d, n, &v_);                                           \
		if (rc_ == 0)                                                          \
			*(dst) = (type)v_;                                             \
		rc_;                                                                   \
	})
#define get_u8(d, dst) GET_LE(d, 1, uint8_t, dst)
#define get_u16(d, dst) GET_LE(d, 2, uint16_t, dst)
#define get_u32(d, dst) GET_LE(d, 4, uint32_t, dst)
#define get_u64(d, dst) GET_LE(d, 8, uint64_t, dst)
#define get_i64(d, dst) GET_LE(d, 8, int64_t, dst)

/* A length-prefixed run: the bytes are copied with a NUL after them. */
static int get_mem(struct dec *d, uint8_t **data_r, size_t *len_r)
{
	uint32_t len;
	if (get_u32(d, &len) < 0 || len > d->left)
		return -1;
	*data_r = xmalloc((size_t)len + 1);
	memcpy(*data_r, d->p, len);
	(*data_r)[len] = '\0';
	*len_r = len;
	d->p += len;
	d->left -= len;
	return 0;
}

static int get_str(struct dec *d, char **s)
{
	size_t len;
	uint8_t *data;
	if (get_mem(d, &data, &len) < 0)
		return -1;
	if (memchr(data, '\0', len) != NULL) {
		free(data);
		return -1; /* a string never holds NUL: it would be cut silently */
	}
	*s = (char *)data;
	return 0;
}

static int get_bytes(struct dec *d, struct pb_bytes *b)
{
	return get_mem(d, &b->data, &b->len);
}

static int get_strv(struct dec *d, struct pb_strv *sv)
{
	uint32_t n = 0; /* gcc -O2 cannot see that get_u32 sets it when it returns 0 */
	/* each entry takes at least its 4-byte length: a count beyond that is a lie */
	if (get_u32(d, &n) < 0 || n > d->left / 4)
		return -1;
	sv->v = xcalloc(n, sizeof(char *));
	for (sv->n = 0; sv->n < n; sv->n++) {
		if (get_str(d, &sv->v[sv->n]) < 0)
			return -1;
	}
	return 0;
}

static int get_u64v(struct dec *d, struct pb_u64v *uv)
{
	uint32_t n = 0;
	if (get_u32(d, &n) < 0 || n > d->left / 8)
		return -1;
	uv->v = xcalloc(n, sizeof(uint64_t));
	for (uv->n = 0; uv->n < n; uv->n++) {
		if (get_u64(d, &uv->v[uv->n]) < 0)
			return -1;
	}
	return 0;
}

#define F_U8(n) if (get_u8(d, &s->n) < 0) return -1;
#define F_U32(n) if (get_u32(d, &s->n) < 0) return -1;
#define F_U64(n) if (get_u64(d, &s->n) < 0) return -1;
#define F_KEY(n) if (get_u64(d, &s->n) < 0) return -1;
#define F_I64(n) if (get_i64(d, &s->n) < 0) return -1;
#define F_STR(n) if (get_str(d, &s->n) < 0) return -1;
#define F_BYTES(n) if (get_bytes(d, &s->n) < 0) return -1;
#define F_STRV(n) if (get_strv(d, &s->n) < 0) return -1;
#define F_U64V(n) if (get_u64v(d, &s->n) < 0) return -1;
#define F_LIST(n, r) if (dec_list_##r(d, &s->n) < 0) return -1;
/* A list's count is bounded by what is left: each record takes at least rec_min bytes. A
 * record that fails half-way is counted, so freeing the list frees its decoded fields. */
#define RECORD(r, F)                                                                   \
	static int dec_rec_##r(struct dec *d, struct pb_rec_##r *s)                   \
	{                                                                              \
		F return 0;                                                            \
	}                                                                              \
	static int dec_list_##r(struct dec *d, struct pb_rec_##r##_list *l)           \
	{                                                                              \
		uint32_t n = 0;                                                        \
		if (get_u32(d, &n) < 0 || n > d->left / rec_min_##r)                   \
			return -1;                                                     \
		l->v = xcalloc(n, sizeof(*l->v));                                      \
		l->cap = n;                                                            \
		for (l->n = 0; l->n < n; l->n++) {                                     \
			if (dec_rec_##r(d, &l->v[l->n]) < 0) {                         \
				l->n++;                                                \
				return -1;                                             \
			}                                                              \
		}                                                                      \
		return 0;                                                              \
	}
#define MSG(N, l, o, k, F)                                           \
	static int dec_##l(struct dec *d, struct msg_##l *s)        \
	{                                                            \
		F return 0;                                          \
	}
#include "msg-types.def"
#include "msg-fields-undef.h"

static int dec_fields(struct dec *d, struct pb_msg *m)
{
	switch (m->type) {
#define MSG(N, l, o, k, F)                    \
	case MSG_##N:                         \
		return dec_##l(d, &m->u.l);
#include "msg-types.def"
#undef MSG
	default:
		return -1;
	}
}

int pb_msg_decode(const void *data, size_t len, struct pb_msg *m_r, const char **error_r)
{
	struct dec d = { data, len };
	uint8_t version;
	uint16_t type;

	memset(m_r, 0, sizeof(*m_r));
	if (len > PB_MSG_MAX_SIZE) {
		*error_r = "message too large";
		return -1;
	}
	if (get_u8(&d, &version) < 0 || get_u16(&d, &type) < 0 || get_u64(&d, &m_r->corr) < 0) {
		*error_r = "truncated message header";
		return -1;
	}
	if (version != PB_MSG_WIRE_VERSION) {
		*error_r = "unsupported message version";
		return -1;
	}
	if (!pb_msg_type_valid(type)) {
		*error_r = "unknown message type";
		return -1;
	}
	m_r->type = (enum pb_msg_type)type;
	if (get_str(&d, &m_r->reply_to) < 0 || strlen(m_r->reply_to) > PB_MSG_MAX_ADDR ||
	    dec_fields(&d, m_r) < 0) {
		pb_msg_free(m_r);
		*error_r = "truncated or malformed message fields";
		return -1;
	}
	if (d.left != 0) {
		pb_msg_free(m_r);
		*error_r = "leftover bytes after message fields";
		return -1;
	}
	return 0;
}

/* ---- lifecycle ---- */

void pb_msg_init(struct pb_msg *m, enum pb_msg_type type)
{
	memset(m, 0, sizeof(*m));
	m->type = type;
}

/* Makes room for record n + 1 (zeroed) in *v of *cap records of size each (doubling). */
static void list_grow(void **v, uint32_t n, uint32_t *cap, size_t size)
{
	if (n == *cap) {
		*cap = *cap != 0 ? *cap * 2 : 8;
		*v = xrealloc(*v, size * *cap);
	}
	memset((uint8_t *)*v + size * n, 0, size);
}

void pb_strv_clear(struct pb_strv *sv)
{
	for (uint32_t i = 0; i < sv->n; i++)
		free(sv->v[i]);
	free(sv->v);
	sv->v = NULL;
	sv->n = 0;
}

void pb_u64v_clear(struct pb_u64v *uv)
{
	free(uv->v);
	uv->v = NULL;
	uv->n = 0;
}

#define F_U8(n)
#define F_U32(n)
#define F_U64(n)
#define F_KEY(n)
#define F_I64(n)
#define F_STR(n) free(s->n);
#define F_BYTES(n) free(s->n.data);
#define F_STRV(n) pb_strv_clear(&s->n);
#define F_U64V(n) pb_u64v_clear(&s->n);
#define F_LIST(n, r) pb_rec_##r##_list_clear(&s->n);
#define RECORD(r, F)                                                                    \
	static void free_rec_##r(struct pb_rec_##r *s)                                 \
	{                                                                               \
		F                                                                       \
	}                                                                               \
	void pb_rec_##r##_list_clear(struct pb_rec_##r##_list *l)                      \
	{                                                                               \
		for (uint32_t i = 0; i < l->n; i++)                                     \
			free_rec_##r(&l->v[i]);                                         \
		free(l->v);                                                             \
		memset(l, 0, sizeof(*l));                                               \
	}                                                                               \
	struct pb_rec_##r *pb_rec_##r##_push(struct pb_rec_##r##_list *l)              \
	{                                                                               \
		list_grow((void **)&l->v, l->n, &l->cap, sizeof(*l->v));                \
		return &l->v[l->n++];                                                   \
	}                                                                               \
	void pb_rec_##r##_list_move(struct pb_rec_##r##_list *dst,                     \
				    struct pb_rec_##r##_list *src)                     \
	{                                                                               \
		*dst = *src;                                                            \
		memset(src, 0, sizeof(*src));                                           \
	}
#define MSG(N, l, o, k, F)                                 \
	static void free_##l(struct msg_##l *s)           \
	{                                                  \
		F                                          \
	}
#include "msg-types.def"
#undef MSG
#undef RECORD

void pb_msg_free(struct pb_msg *m)
{
	switch (m->type) {
#define MSG(N, l, o, k, F)              \
	case MSG_##N:                   \
		free_##l(&m->u.l);      \
		break;
#include "msg-types.def"
#undef MSG
	default:
		break;
	}
	free(m->reply_to);
	memset(m, 0, sizeof(*m));
}
#include "msg-fields-undef.h"

/* ---- JSON ---- */

static void json_str(cJSON *o, const char *name, const char *s)
{
	bool secret = strcmp(name, "password") == 0 || strcmp(name, "passwords") == 0;
	cJSON_AddStringToObject(o, name, secret ? "***" : (s != NULL ? s : ""));
}

static void json_strv(cJSON *o, const char *name, const struct pb_strv *sv)
{
	cJSON *a = cJSON_AddArrayToObject(o, name);
	bool secret = strcmp(name, "passwords") == 0 || strcmp(name, "hashes") == 0;
	for (uint32_t i = 0; i < sv->n; i++)
		cJSON_AddItemToArray(a, cJSON_CreateString(secret ? "***" : sv->v[i]));
}

static void json_u64v(cJSON *o, const char *name, const struct pb_u64v *uv)
{
	cJSON *a = cJSON_AddArrayToObject(o, name);
	for (uint32_t i = 0; i < uv->n; i++)
		cJSON_AddItemToArray(a, cJSON_CreateNumber((double)uv->v[i]));
}

#define F_U8(n) cJSON_AddNumberToObject(o, #n, s->n);
#define F_U32(n) cJSON_AddNumberToObject(o, #n, s->n);
#define F_U64(n) cJSON_AddNumberToObject(o, #n, (double)s->n);
#define F_KEY(n) cJSON_AddNumberToObject(o, #n, (double)s->n);
#define F_I64(n) cJSON_AddNumberToObject(o, #n, (double)s->n);
#define F_STR(n) json_str(o, #n, s->n);
#define F_BYTES(n) cJSON_AddNumberToObject(o, #n "_len", (double)s->n.len);
#define F_STRV(n) json_strv(o, #n, &s->n);
#define F_U64V(n) json_u64v(o, #n, &s->n);
#define F_LIST(n, r) json_list_##r(o, #n, &s->n);
#define RECORD(r, F)                                                                   \
	static void json_rec_##r(cJSON *o, const struct pb_rec_##r *s)                \
	{                                                                              \
		F                                                                      \
	}                                                                              \
	static void json_list_##r(cJSON *o, const char *name,                         \
				  const struct pb_rec_##r##_list *l)                  \
	{                                                                              \
		cJSON *a = cJSON_AddArrayToObject(o, name);                            \
		for (uint32_t i = 0; i < l->n; i++) {                                  \
			cJSON *e = cJSON_CreateObject();                               \
			json_rec_##r(e, &l->v[i]);                                     \
			cJSON_AddItemToArray(a, e);                                    \
		}                                                                      \
	}
#define MSG(N, l, o_, k, F)                                        \
	static void json_##l(cJSON *o, const struct msg_##l *s)   \
	{                                                          \
		F                                                  \
	}
#include "msg-types.def"
#include "msg-fields-undef.h"

char *pb_msg_to_json(const struct pb_msg *m)
{
	cJSON *root = cJSON_CreateObject();
	cJSON_AddStringToObject(root, "type", pb_msg_name(m->type));
	cJSON_AddNumberToObject(root, "corr", (double)m->corr);
	if (m->reply_to != NULL && m->reply_to[0] != '\0')
		cJSON_AddStringToObject(root, "reply_to", m->reply_to);
	cJSON *o = cJSON_AddObjectToObject(root, "fields");
	switch (m->type) {
#define MSG(N, l, o_, k, F)             \
	case MSG_##N:                   \
		json_##l(o, &m->u.l);   \
		break;
#include "msg-types.def"
#undef MSG
	default:
		break;
	}
	char *text = cJSON_PrintUnformatted(root);
	cJSON_Delete(root);
	char *copy = xstrdup(text);
	cJSON_free(text);
	return copy;
}

/* ---- shard keys ---- */

#define F_U8(n)
#define F_U32(n)
#define F_U64(n)
#define F_KEY(n) return &s->n;
#define F_I64(n)
#define F_STR(n)
#define F_BYTES(n)
#define F_STRV(n)
#define F_U64V(n)
#define F_LIST(n, r)
#define MSG(N, l, o, k, F)                                                  \
	static uint64_t *key_##l(struct msg_##l *s)                         \
	{                                                                   \
		F (void)s; return NULL;                                     \
	}
#include "msg-types.def"
#include "msg-fields-undef.h"

/* m's F_KEY field, or NULL when its type has none. */
static uint64_t *key_field(struct pb_msg *m)
{
	switch (m->type) {
#define MSG(N, l, o, k, F)              \
	case MSG_##N:                   \
		return key_##l(&m->u.l);
#include "msg-types.def"
#undef MSG
	default:
		return NULL;
	}
}

bool pb_msg_shard_key(const struct pb_msg *m, uint64_t *key_r)
{
	const uint64_t *k = key_field((struct pb_msg *)m); /* only read */

	if (k != NULL)
		*key_r = *k;
	return k != NULL;
}

bool pb_msg_set_shard_key(struct pb_msg *m, uint64_t key)
{
	uint64_t *k = key_field(m);

	if (k != NULL)
		*k = key;
	return k != NULL;
}

/* ---- helpers ---- */

void pb_strv_push(struct pb_strv *sv, const char *s)
{
	sv->v = xrealloc(sv->v, sizeof(char *) * (sv->n + 1));
	sv->v[sv->n++] = xstrdup(s != NULL ? s : "");
}

void pb_u64v_push(struct pb_u64v *uv, uint64_t v)
{
	uv->v = xrealloc(uv->v, sizeof(uint64_t) * (uv->n + 1));
	uv->v[uv->n++] = v;
}

void pb_strv_move(struct pb_strv *dst, struct pb_strv *src)
{
	*dst = *src;
	memset(src, 0, sizeof(*src));
}

void pb_u64v_move(struct pb_u64v *dst, struct pb_u64v *src)
{
	*dst = *src;
	memset(src, 0, sizeof(*src));
}

void pb_str_set(char **dst, const char *s)
{
	char *copy = s != NULL ? xstrdup(s) : NULL;
	free(*dst);
	*dst = copy;
}

/* ---- addresses ---- */

static bool node_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '.' || c == '_' || c == '-';
}

static bool node_valid(const char *node, size_t len)
{
	if (len == 0 || len > PB_NODE_NAME_MAX)
		return false;
	for (size_t i = 0; i < len; i++) {
		if (!node_char(node[i]))
			return false;
	}
	return true;
}

bool pb_node_name_valid(const char *node)
{
	return node != NULL && node_valid(node, strlen(node));
}

int pb_addr_split(const char *addr, const char **node_r, size_t *node_len_r,
		  const char **name_r)
{
	const char *slash = strchr(addr, '/');

	*node_r = addr;
	*node_len_r = slash != NULL ? (size_t)(slash - addr) : 0;
	*name_r = slash != NULL ? slash + 1 : addr;
	if (slash != NULL && !node_valid(addr, *node_len_r))
		return -1;
	return (*name_r)[0] != '\0' ? 0 : -1;
}

int pb_msg_copy(const struct pb_msg *m, struct pb_msg *copy_r)
{
	struct pb_buf b;
	const char *error;

	pb_buf_init(&b);
	pb_msg_encode(m, &b);
	int rc = pb_msg_decode(b.data, b.len, copy_r, &error);
	pb_buf_deinit(&b);
	return rc;
}
