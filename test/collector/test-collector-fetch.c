/*
 * test-collector-fetch.c: asking for a message told too big (collector-fetch.h) over a real
 * store: the reply address's form (collector-client.h); new tokens are well formed and never
 * repeat; a token's record asks for its own collector's UIDL only when the reply comes from an
 * account the notice went to; a forged token, another account, no account, a UIDL no longer
 * waiting, and the same UIDL at another collector are refused and mark nothing; the
 * administrator's path (collector_fetch_mark) the same function.
 * OWNS: a temporary database per case. THREAD: main only.
 */
#include "collector-client.h"
#include "collector-fetch.h"
#include "pb-test-store.h"

struct marks {
	const char *uidl;
	int state;
};

static int find_mark(const struct pb_seen *seen, void *ctx)
{
	struct marks *m = ctx;
	if (strcmp(seen->uidl, m->uidl) == 0)
		m->state = seen->state;
	return 0;
}

static int state_of(struct pb_store *s, const char *name, const char *uidl)
{
	struct marks m = { uidl, 0 };
	const char *err;
	CHECK_INT(pb_store_seen_iter(s, name, find_mark, &m, &err), 0);
	return m.state;
}

static void told(struct pb_store *s, const char *name, const char *uidl)
{
	struct pb_seen seen = { .state = PB_SEEN_NOTIFIED, .first_ms = 1000 };
	const char *err;

	snprintf(seen.uidl, sizeof(seen.uidl), "%s", uidl);
	CHECK_INT(pb_store_seen_put(s, name, &seen, &err), 0);
}

static void test_address(void)
{
	char token[COLLECTOR_FETCH_TOKEN_SIZE];

	CHECK(collector_fetch_address("collector-fetch+0123456789abcdef0123456789ABCDEF", token));
	CHECK_STR(token, "0123456789abcdef0123456789abcdef");
	CHECK(collector_fetch_address("Collector-Fetch+00000000000000000000000000000000", token));
	CHECK(!collector_fetch_address("collector-fetch+0123456789abcdef0123456789abcde", token));
	CHECK(!collector_fetch_address("collector-fetch+0123456789abcdef0123456789abcdef0", token));
	CHECK(!collector_fetch_address("collector-fetch+0123456789abcdef0123456789abcdeg", token));
	CHECK(!collector_fetch_address("collector-fetch0123456789abcdef0123456789abcdef", token));
	CHECK(!collector_fetch_address("bob", token));
	CHECK(!collector_fetch_address("", token));
}

static void test_token_new(void)
{
	char a[PB_COLLECTOR_TOKEN_LEN + 1], b[PB_COLLECTOR_TOKEN_LEN + 1];
	char local[80], back[COLLECTOR_FETCH_TOKEN_SIZE];

	collector_fetch_token_new(a);
	collector_fetch_token_new(b);
	CHECK(pb_collector_token_valid(a));
	CHECK(pb_collector_token_valid(b));
	CHECK(strcmp(a, b) != 0);
	snprintf(local, sizeof(local), "%s%s", COLLECTOR_FETCH_PREFIX, a);
	CHECK(collector_fetch_address(local, back));
	CHECK_STR(back, a);
}

static void test_by_token(void)
{
	char *dir = store_test_tmpdir("coll-fetch");
	struct pb_store *s = store_test_open(dir);
	const char *err = NULL;
	char token[PB_COLLECTOR_TOKEN_LEN + 1], forged[PB_COLLECTOR_TOKEN_LEN + 1];
	char name[PB_COLLECTOR_NAME_MAX + 1] = "";
	const uint64_t ids[] = { 7, 9 };

	told(s, "isp", "U1");
	told(s, "other", "U1"); /* the same UIDL at another collector */
	collector_fetch_token_new(token);
	CHECK_INT(collector_fetch_token_put(s, token, "isp", "U1", ids, 2, &err), 0);
	collector_fetch_token_new(forged);
	CHECK_INT(collector_fetch_by_token(s, forged, 7, name, &err), PB_ERR_NOTFOUND);
	CHECK_INT(collector_fetch_by_token(s, "not-a-token", 7, name, &err), PB_ERR_NOTFOUND);
	CHECK_INT(collector_fetch_by_token(s, token, 8, name, &err), PB_ERR_REFUSED);
	CHECK_INT(collector_fetch_by_token(s, token, 0, name, &err), PB_ERR_REFUSED);
	CHECK_INT(state_of(s, "isp", "U1"), PB_SEEN_NOTIFIED); /* nothing marked so far */
	CHECK_INT(collector_fetch_by_token(s, token, 9, name, &err), PB_OK);
	CHECK_STR(name, "isp");
	CHECK_INT(state_of(s, "isp", "U1"), PB_SEEN_REQUESTED);
	CHECK_INT(state_of(s, "other", "U1"), PB_SEEN_NOTIFIED); /* the other collector's stays */
	CHECK_INT(collector_fetch_by_token(s, token, 7, name, &err), PB_OK); /* asked twice */
	struct pb_seen done = { .uidl = "U1", .state = PB_SEEN_FETCHED, .first_ms = 1000 };
	CHECK_INT(pb_store_seen_put(s, "isp", &done, &err), 0);
	CHECK_INT(collector_fetch_by_token(s, token, 7, name, &err), PB_ERR_NOTFOUND);
	store_test_done(&s, &dir);
}

static void test_mark(void)
{
	char *dir = store_test_tmpdir("coll-mark");
	struct pb_store *s = store_test_open(dir);
	const char *err = NULL;

	told(s, "isp", "U2");
	CHECK_INT(collector_fetch_mark(s, "isp", "U3", &err), PB_ERR_NOTFOUND);
	CHECK_INT(collector_fetch_mark(s, "isp", "sp ace", &err), PB_ERR_REFUSED);
	CHECK_INT(collector_fetch_mark(s, "other", "U2", &err), PB_ERR_NOTFOUND);
	CHECK_INT(collector_fetch_mark(s, "isp", "U2", &err), PB_OK);
	CHECK_INT(state_of(s, "isp", "U2"), PB_SEEN_REQUESTED);
	store_test_done(&s, &dir);
}

static const struct pb_test_case cases[] = {
	{ "address", test_address },
	{ "token_new", test_token_new },
	{ "by_token", test_by_token },
	{ "mark", test_mark },
};

PB_TEST_MAIN(cases)
