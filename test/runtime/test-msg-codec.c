/*
 * test-msg-codec.c: every message type in msg-types.def round-trips through the codec, and the
 * decoder rejects truncated, padded and corrupted input.
 */
#include "pb-msg.h"
#include "pb-test.h"

#include <string.h>

static uint64_t seed = 88172645463325252ull;

static uint64_t rnd(void)
{
	seed ^= seed << 13;
	seed ^= seed >> 7;
	seed ^= seed << 17;
	return seed;
}

static char *rnd_str(void)
{
	size_t len = rnd() % 40;
	char *s = xmalloc(len + 1);
	for (size_t i = 0; i < len; i++)
		s[i] = (char)(1 + rnd() % 255); /* any byte but NUL, UTF-8 or not */
	s[len] = '\0';
	return s;
}

static void fill_strv(struct pb_strv *sv)
{
	uint32_t n = (uint32_t)(rnd() % 5);
	for (uint32_t i = 0; i < n; i++) {
		char *s = rnd_str();
		pb_strv_push(sv, s);
		free(s);
	}
}

static void fill_u64v(struct pb_u64v *uv)
{
	uint32_t n = (uint32_t)(rnd() % 7);
	for (uint32_t i = 0; i < n; i++)
		pb_u64v_push(uv, rnd());
}

static void fill_bytes(struct pb_bytes *b)
{
	b->len = rnd() % 100;
	b->data = xmalloc(b->len + 1);
	for (size_t i = 0; i < b->len; i++)
		b->data[i] = (uint8_t)rnd(); /* NUL bytes allowed here */
}

#define F_U8(n) s->n = (uint8_t)rnd();
#define F_U32(n) s->n = (uint32_t)rnd();
#define F_U64(n) s->n = rnd();
#define F_KEY(n) s->n = rnd();
#define F_I64(n) s->n = (int64_t)rnd();
#define F_STR(n) s->n = rnd_str();
#define F_BYTES(n) fill_bytes(&s->n);
#define F_STRV(n) fill_strv(&s->n);
#define F_U64V(n) fill_u64v(&s->n);
#define F_LIST(n, r) fill_list_##r(&s->n);
#define RECORD(r, F)                                               \
	static void fill_rec_##r(struct pb_rec_##r *s)            \
	{                                                          \
		F                                                  \
	}                                                          \
	static void fill_list_##r(struct pb_rec_##r##_list *l)    \
	{                                                          \
		uint32_t n = (uint32_t)(rnd() % 12);               \
		for (uint32_t i = 0; i < n; i++)                   \
			fill_rec_##r(pb_rec_##r##_push(l));        \
	}
#define MSG(N, l, o, k, F)                           \
	static void fill_##l(struct msg_##l *s)     \
	{                                            \
		F                                    \
	}
#include "msg-types.def"
#undef MSG
#undef RECORD

static void fill(struct pb_msg *m, enum pb_msg_type t)
{
	pb_msg_init(m, t);
	m->corr = rnd();
	m->reply_to = rnd() % 2 ? xstrdup("reply.7") : NULL;
	switch (t) {
#define MSG(N, l, o, k, F)              \
	case MSG_##N:                   \
		fill_##l(&m->u.l);      \
		break;
#include "msg-types.def"
#undef MSG
	default:
		break;
	}
}

static void encode(const struct pb_msg *m, struct pb_buf *b)
{
	pb_buf_init(b);
	pb_msg_encode(m, b);
}

static void test_round_trip_every_type(void)
{
	for (int round = 0; round < 20; round++) {
		for (int t = MSG_NONE + 1; t < MSG_TYPE_COUNT; t++) {
			struct pb_msg m, d;
			struct pb_buf a, b;
			const char *error;

			fill(&m, (enum pb_msg_type)t);
			encode(&m, &a);
			REQUIRE(pb_msg_decode(a.data, a.len, &d, &error) == 0);
			CHECK_INT(d.type, t);
			CHECK(d.corr == m.corr);
			encode(&d, &b);
			CHECK_INT(a.len, b.len);
			CHECK(memcmp(a.data, b.data, a.len) == 0);
			char *json = pb_msg_to_json(&d);
			CHECK(strstr(json, pb_msg_name((enum pb_msg_type)t)) != NULL);
			free(json);
			pb_msg_free(&m);
			pb_msg_free(&d);
			pb_buf_deinit(&a);
			pb_buf_deinit(&b);
		}
	}
}

static void test_truncated_and_padded_rejected(void)
{
	for (int t = MSG_NONE + 1; t < MSG_TYPE_COUNT; t++) {
		struct pb_msg m, d;
		struct pb_buf a;
		const char *error;

		fill(&m, (enum pb_msg_type)t);
		encode(&m, &a);
		for (size_t cut = 0; cut < a.len; cut++) {
			int rc = pb_msg_decode(a.data, cut, &d, &error);
			CHECK(rc == -1);
			if (rc == 0)
				pb_msg_free(&d);
		}
		pb_buf_append_c(&a, 0);
		CHECK(pb_msg_decode(a.data, a.len, &d, &error) == -1);
		CHECK(strstr(error, "leftover") != NULL);
		pb_msg_free(&m);
		pb_buf_deinit(&a);
	}
}

static void test_bad_header_rejected(void)
{
	struct pb_msg m, d;
	struct pb_buf a;
	const char *error;

	fill(&m, MSG_TEST_TICK_EVT);
	encode(&m, &a);
	a.data[0] = 9; /* version */
	CHECK(pb_msg_decode(a.data, a.len, &d, &error) == -1);
	a.data[0] = PB_MSG_WIRE_VERSION;
	a.data[1] = 0xff; /* type */
	a.data[2] = 0xff;
	CHECK(pb_msg_decode(a.data, a.len, &d, &error) == -1);
	CHECK_STR(error, "unknown message type");
	pb_msg_free(&m);
	pb_buf_deinit(&a);
}

static void test_lying_lengths_rejected(void)
{
	struct pb_msg m, d;
	struct pb_buf a;
	const char *error;

	pb_msg_init(&m, MSG_DIR_DOMAIN_LIST_REP);
	pb_strv_push(&m.u.dir_domain_list_rep.domains, "example.com");
	encode(&m, &a);
	/* the count of the strv sits 4 + 4 bytes (code, empty error) after the 15-byte header */
	size_t count_at = 1 + 2 + 8 + 4 + 4 + 4;
	a.data[count_at] = (char)0xff;
	a.data[count_at + 1] = (char)0xff;
	CHECK(pb_msg_decode(a.data, a.len, &d, &error) == -1);
	pb_msg_free(&m);
	pb_buf_deinit(&a);
}

/* A list's count beyond what the bytes left could hold is refused before any allocation, and
 * a list whose count is one more than its records is a truncation. */
static void test_lying_list_count_rejected(void)
{
	struct pb_msg m, d;
	struct pb_buf a;
	const char *error;

	pb_msg_init(&m, MSG_TEST_PING_REQ);
	pb_rec_test_rec_push(&m.u.test_ping_req.recs)->e = xstrdup("x");
	encode(&m, &a);
	/* header 15; flag 1, n32 4, seq 8, delta 8, text 4, blob 4, list 4, nums 4 */
	size_t count_at = 15 + 1 + 4 + 8 + 8 + 4 + 4 + 4 + 4;
	CHECK_INT(a.data[count_at], 1);
	a.data[count_at] = 2;
	CHECK(pb_msg_decode(a.data, a.len, &d, &error) == -1);
	a.data[count_at + 3] = 0x7f;
	CHECK(pb_msg_decode(a.data, a.len, &d, &error) == -1);
	a.data[count_at] = 1;
	a.data[count_at + 3] = 0;
	REQUIRE(pb_msg_decode(a.data, a.len, &d, &error) == 0);
	CHECK_INT(d.u.test_ping_req.recs.n, 1);
	CHECK_STR(d.u.test_ping_req.recs.v[0].e, "x");
	char *json = pb_msg_to_json(&d);
	CHECK(strstr(json, "\"recs\":[{\"a\":0,\"b\":0,\"c\":0,\"d\":0,\"e\":\"x\"}]") != NULL);
	free(json);
	pb_msg_free(&d);
	pb_msg_free(&m);
	pb_buf_deinit(&a);
}

/* The table hash is stable within a build and depends on the table. */
static void test_table_hash(void)
{
	CHECK(pb_msg_table_hash() == pb_msg_table_hash());
	CHECK(pb_msg_table_hash() != 0);
}

static void test_nul_inside_string_rejected(void)
{
	struct pb_msg m, d;
	struct pb_buf a;
	const char *error;

	pb_msg_init(&m, MSG_DIR_USER_LOOKUP_REQ);
	m.u.dir_user_lookup_req.user = xstrdup("abc");
	encode(&m, &a);
	a.data[a.len - 2] = '\0';
	CHECK(pb_msg_decode(a.data, a.len, &d, &error) == -1);
	pb_msg_free(&m);
	pb_buf_deinit(&a);
}

static void test_names_and_routing_table(void)
{
	CHECK_STR(pb_msg_name(MSG_DIR_USER_ADD_REQ), "DIR_USER_ADD_REQ");
	CHECK_STR(pb_msg_owner(MSG_DIR_USER_ADD_REQ), "directory");
	CHECK_INT(pb_msg_kind(MSG_DIR_USER_ADD_REQ), PB_MSG_REQ);
	CHECK_INT(pb_msg_type_by_name("MBOX_APPEND_REQ"), MSG_MBOX_APPEND_REQ);
	CHECK_INT(pb_msg_type_by_name("NOPE"), MSG_NONE);
	/* every name is unique, and the kind matches the suffix */
	for (int t = MSG_NONE + 1; t < MSG_TYPE_COUNT; t++) {
		const char *name = pb_msg_name((enum pb_msg_type)t);
		CHECK_INT(pb_msg_type_by_name(name), t);
		size_t len = strlen(name);
		const char *suffix = pb_msg_kind((enum pb_msg_type)t) == PB_MSG_REQ ? "_REQ"
				     : pb_msg_kind((enum pb_msg_type)t) == PB_MSG_REP ? "_REP"
										    : "_EVT";
		CHECK(len > 4 && strcmp(name + len - 4, suffix) == 0);
	}
	/* every message of a sharded owner carries a shard key */
	for (int t = MSG_NONE + 1; t < MSG_TYPE_COUNT; t++) {
		struct pb_msg m;
		uint64_t key;
		if (strcmp(pb_msg_owner((enum pb_msg_type)t), "mailbox") != 0)
			continue;
		pb_msg_init(&m, (enum pb_msg_type)t);
		CHECK(pb_msg_shard_key(&m, &key));
	}
}

/* Every reply but TEST_PING_REP starts with code and error, which pb_msg_status relies on:
 * set them through the generic view and find them first in the encoded fields. */
static void test_replies_start_with_status(void)
{
	for (int t = MSG_NONE + 1; t < MSG_TYPE_COUNT; t++) {
		struct pb_msg m, d;
		struct pb_buf a;
		const char *error;
		if (pb_msg_kind((enum pb_msg_type)t) != PB_MSG_REP || t == MSG_TEST_PING_REP)
			continue;
		pb_msg_init(&m, (enum pb_msg_type)t);
		m.u.core_status_rep.code = 0x01020304;
		m.u.core_status_rep.error = xstrdup("why");
		encode(&m, &a);
		size_t at = 1 + 2 + 8 + 4; /* version, type, corr, empty reply_to */
		REQUIRE(a.len >= at + 4 + 4 + 3);
		CHECK(memcmp(a.data + at, "\x04\x03\x02\x01\x03\x00\x00\x00why", 11) == 0);
		REQUIRE(pb_msg_decode(a.data, a.len, &d, &error) == 0);
		CHECK_INT(pb_msg_status(&d, &error), 0x01020304);
		CHECK_STR(error, "why");
		pb_msg_free(&d);
		pb_msg_free(&m);
		pb_buf_deinit(&a);
	}
	struct pb_msg req;
	pb_msg_init(&req, MSG_SYS_STATUS_REQ);
	CHECK_INT(pb_msg_status(&req, NULL), PB_ERR_INTERNAL);
}

static void test_json_hides_passwords(void)
{
	struct pb_msg m;

	pb_msg_init(&m, MSG_DIR_USER_ADD_REQ);
	m.u.dir_user_add_req.user = xstrdup("alice");
	m.u.dir_user_add_req.password = xstrdup("s3cret-pw");
	char *json = pb_msg_to_json(&m);
	CHECK(strstr(json, "alice") != NULL);
	CHECK(strstr(json, "s3cret-pw") == NULL);
	free(json);
	pb_msg_free(&m);
}

/* Every request names its reply: a REP, either its own (same stem) or CORE_STATUS_REP; no other
 * kind of message has one. */
static void test_every_request_names_its_reply(void)
{
	int requests = 0;

	for (int t = MSG_NONE + 1; t < MSG_TYPE_COUNT; t++) {
		enum pb_msg_type rep = pb_msg_reply_type((enum pb_msg_type)t);
		const char *name = pb_msg_name((enum pb_msg_type)t);
		if (pb_msg_kind((enum pb_msg_type)t) != PB_MSG_REQ) {
			CHECK_INT(rep, MSG_NONE);
			continue;
		}
		requests++;
		if (rep == MSG_NONE || pb_msg_kind(rep) != PB_MSG_REP)
			fprintf(stderr, "  %s: no REPLY line naming a REP\n", name);
		REQUIRE(rep != MSG_NONE);
		CHECK_INT(pb_msg_kind(rep), PB_MSG_REP);
		const char *rname = pb_msg_name(rep);
		size_t stem = strlen(name) - strlen("REQ");
		CHECK(rep == MSG_CORE_STATUS_REP ||
		      (strncmp(rname, name, stem) == 0 && strcmp(rname + stem, "REP") == 0));
	}
	CHECK(requests > 20);
	CHECK_INT(pb_msg_reply_type(MSG_NONE), MSG_NONE);
	CHECK_INT(pb_msg_reply_type(MSG_TYPE_COUNT), MSG_NONE);
}

static const struct pb_test_case cases[] = {
	{ "every_request_names_its_reply", test_every_request_names_its_reply },
	{ "round_trip_every_type", test_round_trip_every_type },
	{ "truncated_and_padded_rejected", test_truncated_and_padded_rejected },
	{ "bad_header_rejected", test_bad_header_rejected },
	{ "lying_lengths_rejected", test_lying_lengths_rejected },
	{ "lying_list_count_rejected", test_lying_list_count_rejected },
	{ "table_hash", test_table_hash },
	{ "nul_inside_string_rejected", test_nul_inside_string_rejected },
	{ "names_and_routing_table", test_names_and_routing_table },
	{ "json_hides_passwords", test_json_hides_passwords },
	{ "replies_start_with_status", test_replies_start_with_status },
};

PB_TEST_MAIN(cases)
