/*
 * test-store-basic.c: the store's open/close/size, users (put, get, by id, rename, delete,
 * iterate), counters, domains and settings, and that all of it survives a reopen; user records
 * with SCRAM credentials (v2) and without them as written before (v1).
 * OWNS: a temporary database per case. THREAD: main only.
 */
#include "store-accounts.h"
#include "store-internal.h"
#include "store-settings.h"
#include "pb-test-store.h"

static void put_user(struct pb_store *s, uint64_t id, const char *name, const char *pw)
{
	struct pb_user_rec u = { .id = id, .pw_hash = (char *)pw, .created_ms = 1000 + id };
	const char *err = NULL;

	snprintf(u.name, sizeof(u.name), "%s", name);
	if (pb_store_user_put(s, &u, &err) < 0)
		fprintf(stderr, "user_put %s: %s\n", name, err);
}

static void test_open_close_reopen(void)
{
	char *dir = store_test_tmpdir("open");
	struct pb_store *s = NULL;
	const char *err = NULL;
	struct pb_store_options noc = { .create_if_missing = false };
	uint64_t size = 0;

	/* Without create_if_missing an empty directory is an error, not a crash. */
	CHECK_INT(pb_store_open(dir, &noc, &s, &err), -1);
	CHECK(err != NULL && strstr(err, "open") != NULL);
	CHECK(s == NULL);
	s = store_test_open(dir);
	CHECK_INT(pb_store_size(s, &size, &err), 0);
	pb_store_close(&s);
	CHECK(s == NULL);
	pb_store_close(&s); /* NULL is fine */
	/* A second open of the same directory while open fails (RocksDB LOCK). */
	s = store_test_open(dir);
	struct pb_store *s2 = NULL;
	CHECK_INT(pb_store_open(dir, &noc, &s2, &err), -1);
	CHECK(s2 == NULL);
	pb_store_close(&s);
	CHECK_INT(pb_store_open(dir, &noc, &s, &err), 0);
	pb_store_close(&s);
	store_test_rmrf(dir);
	free(dir);
}

static void test_users(void)
{
	char *dir = store_test_tmpdir("users");
	struct pb_store *s = store_test_open(dir);
	struct pb_user_rec u;
	const char *err = NULL;

	put_user(s, 1, "Alice", "$y$hash1");
	put_user(s, 2, "bob", NULL);
	CHECK_INT(pb_store_user_get(s, "ALICE", &u, &err), 1);
	CHECK_STR(u.name, "alice");
	CHECK_INT(u.id, 1);
	CHECK_INT(u.created_ms, 1001);
	CHECK_STR(u.pw_hash, "$y$hash1");
	CHECK(u.settings_json == NULL);
	pb_user_rec_free(&u);
	CHECK(u.pw_hash == NULL);
	CHECK_INT(pb_store_user_get(s, "carol", &u, &err), 0);
	CHECK_INT(pb_store_user_get(s, "", &u, &err), 0);
	CHECK_INT(pb_store_user_get_by_id(s, 2, &u, &err), 1);
	CHECK_STR(u.name, "bob");
	CHECK(u.pw_hash == NULL);
	pb_user_rec_free(&u);
	CHECK_INT(pb_store_user_get_by_id(s, 3, &u, &err), 0);

	/* Replace keeps the id index; a different name cannot take an existing id. */
	struct pb_user_rec r = { .id = 2, .pw_hash = "h2", .settings_json = "{\"q\":1}" };
	snprintf(r.name, sizeof(r.name), "BOB");
	CHECK_INT(pb_store_user_put(s, &r, &err), 0);
	CHECK_INT(pb_store_user_get(s, "bob", &u, &err), 1);
	CHECK_STR(u.settings_json, "{\"q\":1}");
	pb_user_rec_free(&u);
	snprintf(r.name, sizeof(r.name), "mallory");
	CHECK_INT(pb_store_user_put(s, &r, &err), -1);
	CHECK(err != NULL && strstr(err, "belongs to bob") != NULL);
	CHECK_INT(pb_store_user_get(s, "mallory", &u, &err), 0);

	/* Names: empty and over 32 bytes refused. */
	snprintf(r.name, sizeof(r.name), "%s", "");
	r.id = 9;
	CHECK_INT(pb_store_user_put(s, &r, &err), -1);
	pb_store_close(&s);
	store_test_rmrf(dir);
	free(dir);
}

static void test_user_rename_delete(void)
{
	char *dir = store_test_tmpdir("rename");
	struct pb_store *s = store_test_open(dir);
	struct pb_user_rec u;
	const char *err = NULL;

	put_user(s, 10, "ann", "h");
	put_user(s, 11, "ben", "h");
	CHECK_INT(pb_store_user_rename(s, "ann", "Anna", &err), 0);
	CHECK_INT(pb_store_user_get(s, "ann", &u, &err), 0);
	CHECK_INT(pb_store_user_get(s, "anna", &u, &err), 1);
	CHECK_INT(u.id, 10);
	CHECK_STR(u.pw_hash, "h");
	pb_user_rec_free(&u);
	CHECK_INT(pb_store_user_get_by_id(s, 10, &u, &err), 1);
	CHECK_STR(u.name, "anna");
	pb_user_rec_free(&u);
	/* Onto an existing user, from a missing one: refused, nothing changes. */
	CHECK_INT(pb_store_user_rename(s, "anna", "ben", &err), -1);
	CHECK(strstr(err, "exists") != NULL);
	CHECK_INT(pb_store_user_rename(s, "zed", "zoe", &err), -1);
	CHECK_INT(pb_store_user_get(s, "anna", &u, &err), 1);
	pb_user_rec_free(&u);
	/* Case-only rename of the same user is a no-op success. */
	CHECK_INT(pb_store_user_rename(s, "anna", "ANNA", &err), 0);

	CHECK_INT(pb_store_user_delete(s, "Ben", &err), 1);
	CHECK_INT(pb_store_user_delete(s, "ben", &err), 0);
	CHECK_INT(pb_store_user_get(s, "ben", &u, &err), 0);
	CHECK_INT(pb_store_user_get_by_id(s, 11, &u, &err), 0);
	/* The freed id may be given to a new name. */
	put_user(s, 11, "bea", "h");
	CHECK_INT(pb_store_user_get_by_id(s, 11, &u, &err), 1);
	CHECK_STR(u.name, "bea");
	pb_user_rec_free(&u);
	pb_store_close(&s);
	store_test_rmrf(dir);
	free(dir);
}

struct iter_ctx {
	char names[8][PB_USER_NAME_MAX + 1];
	int n, stop_at;
};

static int iter_cb(const struct pb_user_rec *u, void *ctx)
{
	struct iter_ctx *c = ctx;

	if (c->n < 8)
		snprintf(c->names[c->n], sizeof(c->names[0]), "%s", u->name);
	c->n++;
	return c->n == c->stop_at;
}

static void test_user_iter(void)
{
	char *dir = store_test_tmpdir("iter");
	struct pb_store *s = store_test_open(dir);
	struct iter_ctx c = { .stop_at = -1 };
	const char *err = NULL;

	put_user(s, 3, "carl", NULL);
	put_user(s, 1, "Abe", NULL);
	put_user(s, 2, "bo", NULL);
	CHECK_INT(pb_store_user_iter(s, iter_cb, &c, &err), 0);
	CHECK_INT(c.n, 3);
	CHECK_STR(c.names[0], "abe");
	CHECK_STR(c.names[1], "bo");
	CHECK_STR(c.names[2], "carl");
	memset(&c, 0, sizeof(c));
	c.stop_at = 2;
	CHECK_INT(pb_store_user_iter(s, iter_cb, &c, &err), 0);
	CHECK_INT(c.n, 2);
	pb_store_close(&s);
	store_test_rmrf(dir);
	free(dir);
}

static void test_counters(void)
{
	char *dir = store_test_tmpdir("ctr");
	struct pb_store *s = store_test_open(dir);
	const char *err = NULL;
	uint64_t v = 0;

	CHECK_INT(pb_store_counter_next(s, "user-id", &v, &err), 0);
	CHECK_INT(v, 1);
	CHECK_INT(pb_store_counter_next(s, "user-id", &v, &err), 0);
	CHECK_INT(v, 2);
	CHECK_INT(pb_store_counter_next(s, "other", &v, &err), 0);
	CHECK_INT(v, 1);
	CHECK_INT(pb_store_counter_next(s, "", &v, &err), -1);
	pb_store_close(&s);
	s = store_test_open(dir);
	CHECK_INT(pb_store_counter_next(s, "user-id", &v, &err), 0);
	CHECK_INT(v, 3);
	pb_store_close(&s);
	store_test_rmrf(dir);
	free(dir);
}

static int domain_cb(const char *d, void *ctx)
{
	struct pb_buf *b = ctx;

	pb_buf_printf(b, "%s;", d);
	return 0;
}

static void test_domains(void)
{
	char *dir = store_test_tmpdir("dom");
	struct pb_store *s = store_test_open(dir);
	const char *err = NULL;
	struct pb_buf b;

	CHECK_INT(pb_store_domain_put(s, "Example.COM", &err), 0);
	CHECK_INT(pb_store_domain_put(s, "b.example", &err), 0);
	CHECK_INT(pb_store_domain_put(s, "example.com", &err), 0); /* idempotent */
	CHECK_INT(pb_store_domain_put(s, "", &err), -1);
	CHECK_INT(pb_store_domain_exists(s, "EXAMPLE.com", &err), 1);
	CHECK_INT(pb_store_domain_exists(s, "example.org", &err), 0);
	pb_buf_init(&b);
	CHECK_INT(pb_store_domain_iter(s, domain_cb, &b, &err), 0);
	CHECK_STR(b.data, "b.example;example.com;");
	CHECK_INT(pb_store_domain_delete(s, "example.com", &err), 1);
	CHECK_INT(pb_store_domain_delete(s, "example.com", &err), 0);
	CHECK_INT(pb_store_domain_exists(s, "example.com", &err), 0);
	pb_buf_deinit(&b);
	pb_store_close(&s);
	store_test_rmrf(dir);
	free(dir);
}

static void test_settings(void)
{
	char *dir = store_test_tmpdir("set");
	struct pb_store *s = store_test_open(dir);
	const char *err = NULL;
	char *json = NULL;

	CHECK_INT(pb_store_setting_get(s, "smtp", &json, &err), 0);
	CHECK_INT(pb_store_setting_put(s, "smtp", "{\"port\":25}", &err), 0);
	CHECK_INT(pb_store_setting_put(s, "server", "{}", &err), 0);
	CHECK_INT(pb_store_setting_get(s, "smtp", &json, &err), 1);
	CHECK_STR(json, "{\"port\":25}");
	free(json);
	CHECK_INT(pb_store_setting_put(s, "smtp", "{\"port\":587}", &err), 0);
	CHECK_INT(pb_store_setting_get(s, "smtp", &json, &err), 1);
	CHECK_STR(json, "{\"port\":587}");
	free(json);
	CHECK_INT(pb_store_setting_put(s, "", "{}", &err), -1);
	CHECK_INT(pb_store_setting_put(s, "x", NULL, &err), -1);
	CHECK_INT(pb_store_setting_delete(s, "server", &err), 1);
	CHECK_INT(pb_store_setting_delete(s, "server", &err), 0);
	CHECK_INT(pb_store_setting_get(s, "server", &json, &err), 0);
	pb_store_close(&s);
	store_test_rmrf(dir);
	free(dir);
}

/* Everything written before a close is there after reopening. */
static void test_reopen_keeps_everything(void)
{
	char *dir = store_test_tmpdir("reopen");
	struct pb_store *s = store_test_open(dir);
	const char *err = NULL;
	struct pb_user_rec u;
	char *json = NULL;

	for (int i = 0; i < 50; i++) {
		char name[16];
		snprintf(name, sizeof(name), "user%02d", i);
		put_user(s, (uint64_t)i + 100, name, "pw");
	}
	CHECK_INT(pb_store_domain_put(s, "keep.example", &err), 0);
	CHECK_INT(pb_store_setting_put(s, "lockout", "{\"tries\":3}", &err), 0);
	pb_store_close(&s);
	s = store_test_open(dir);
	for (int i = 0; i < 50; i++) {
		char name[16];
		snprintf(name, sizeof(name), "user%02d", i);
		CHECK_INT(pb_store_user_get(s, name, &u, &err), 1);
		CHECK_INT(u.id, i + 100);
		pb_user_rec_free(&u);
	}
	CHECK_INT(pb_store_domain_exists(s, "keep.example", &err), 1);
	CHECK_INT(pb_store_setting_get(s, "lockout", &json, &err), 1);
	CHECK_STR(json, "{\"tries\":3}");
	free(json);
	uint64_t size = 0;
	CHECK_INT(pb_store_size(s, &size, &err), 0);
	CHECK(size > 0);
	pb_store_close(&s);
	store_test_rmrf(dir);
	free(dir);
}

/* v2 keeps scram and carries it through a rename; a v1 record (no scram) still loads. */
static void test_user_scram_and_v1(void)
{
	char *dir = store_test_tmpdir("scram");
	struct pb_store *s = store_test_open(dir);
	struct pb_user_rec u, r = { .id = 5, .pw_hash = "$y$h", .scram = "SCRAM-SHA-256$4096:x" };
	struct pb_buf v1;
	const char *err = NULL;

	snprintf(r.name, sizeof(r.name), "dora");
	CHECK_INT(pb_store_user_put(s, &r, &err), 0);
	CHECK_INT(pb_store_user_rename(s, "dora", "dot", &err), 0);
	CHECK_INT(pb_store_user_get(s, "dot", &u, &err), 1);
	CHECK_STR(u.scram, "SCRAM-SHA-256$4096:x");
	CHECK_STR(u.pw_hash, "$y$h");
	pb_user_rec_free(&u);
	CHECK(u.scram == NULL);

	pb_buf_init(&v1); /* [1][id][created][pw_hash][settings_json], as before scram */
	store_enc_u8(&v1, STORE_V1);
	store_enc_u64(&v1, 6);
	store_enc_u64(&v1, 77);
	store_enc_str(&v1, "$y$old");
	store_enc_str(&v1, "{}");
	CHECK_INT(store_put1(s, STORE_CF_USERS, "olde", 4, v1.data, v1.len, &err), 0);
	CHECK_INT(pb_store_user_get(s, "olde", &u, &err), 1);
	CHECK_INT(u.id, 6);
	CHECK_INT(u.created_ms, 77);
	CHECK_STR(u.pw_hash, "$y$old");
	CHECK_STR(u.settings_json, "{}");
	CHECK(u.scram == NULL);
	pb_user_rec_free(&u);
	/* a v1 record with trailing bytes is corrupt, not v2 */
	store_enc_str(&v1, "extra");
	CHECK_INT(store_put1(s, STORE_CF_USERS, "olde", 4, v1.data, v1.len, &err), 0);
	CHECK_INT(pb_store_user_get(s, "olde", &u, &err), -1);
	pb_buf_deinit(&v1);
	pb_store_close(&s);
	store_test_rmrf(dir);
	free(dir);
}

/* v3 keeps the web password and the webmail flag through a rename; a v2 record loads with
 * none and the flag at its default. */
static void test_user_web_password_and_v2(void)
{
	char *dir = store_test_tmpdir("webpw");
	struct pb_store *s = store_test_open(dir);
	struct pb_user_rec u, r = { .id = 5, .pw_hash = "$y$m", .web_pw_hash = "$y$w",
				    .webmail_main_denied = true };
	struct pb_buf v2;
	const char *err = NULL;

	snprintf(r.name, sizeof(r.name), "wendy");
	CHECK_INT(pb_store_user_put(s, &r, &err), 0);
	CHECK_INT(pb_store_user_rename(s, "wendy", "wen", &err), 0);
	CHECK_INT(pb_store_user_get(s, "wen", &u, &err), 1);
	CHECK_STR(u.web_pw_hash, "$y$w");
	CHECK_STR(u.pw_hash, "$y$m");
	CHECK(u.webmail_main_denied);
	pb_user_rec_free(&u);
	CHECK(u.web_pw_hash == NULL);

	pb_buf_init(&v2); /* [2][id][created][pw_hash][settings_json][scram], before web_pw_hash */
	store_enc_u8(&v2, STORE_V2);
	store_enc_u64(&v2, 6);
	store_enc_u64(&v2, 77);
	store_enc_str(&v2, "$y$old");
	store_enc_str(&v2, "{}");
	store_enc_str(&v2, "SCRAM");
	CHECK_INT(store_put1(s, STORE_CF_USERS, "olde", 4, v2.data, v2.len, &err), 0);
	CHECK_INT(pb_store_user_get(s, "olde", &u, &err), 1);
	CHECK_STR(u.scram, "SCRAM");
	CHECK(u.web_pw_hash == NULL);
	CHECK(!u.webmail_main_denied);
	pb_user_rec_free(&u);
	pb_buf_deinit(&v2);
	pb_store_close(&s);
	store_test_rmrf(dir);
	free(dir);
}

static const struct pb_test_case cases[] = {
	{ "user_scram_and_v1", test_user_scram_and_v1 },
	{ "user_web_password_and_v2", test_user_web_password_and_v2 },
	{ "open_close_reopen", test_open_close_reopen },
	{ "users", test_users },
	{ "user_rename_delete", test_user_rename_delete },
	{ "user_iter", test_user_iter },
	{ "counters", test_counters },
	{ "domains", test_domains },
	{ "settings", test_settings },
	{ "reopen_keeps_everything", test_reopen_keeps_everything },
};

PB_TEST_MAIN(cases)
