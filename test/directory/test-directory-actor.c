/*
 * test-directory-actor.c: the directory actor over a real store in a temporary directory and a
 * fake mailbox owner (for forced deletes): typed requests in, replies asserted.
 */
#include "directory-actor.h"
#include "pb-settings-snapshot.h"
#include "pb-test.h"
#include "pb-test-store.h"

#include <stdatomic.h>
#include <stdlib.h>
#include <unistd.h>

static atomic_int purges;

static int fake_purge(struct pb_actor *a, void *state, struct pb_msg *m)
{
	atomic_fetch_add(&purges, 1);
	pb_reply_status(a, m, PB_OK, "");
	return 0;
}

static const struct pb_handler fake_mailbox_handlers[] = { { MSG_MBOX_PURGE_REQ, fake_purge } };
static const struct pb_actor_def fake_mailbox = {
	.name = "mailbox",
	.handlers = fake_mailbox_handlers,
	.n_handlers = 1,
};

struct fixture {
	char *dir;
	struct pb_store *store;
	struct pb_runtime *rt;
	struct pb_caller *c;
};

static void setup(struct fixture *f)
{
	const char *error;

	f->dir = store_test_tmpdir("dir");
	f->store = store_test_open(f->dir);
	f->rt = pb_runtime_create("t", NULL);
	if (pb_runtime_start(f->rt, &directory_actor_def, f->store, &error) < 0 ||
	    auth_actors_start(f->rt, f->store, 2, &error) < 0 ||
	    pb_runtime_start(f->rt, &fake_mailbox, NULL, &error) < 0)
		PANIC("cannot start: %s", error);
	f->c = pb_caller_create(f->rt);
}

static void teardown(struct fixture *f)
{
	pb_caller_destroy(&f->c);
	pb_runtime_destroy(&f->rt);
	store_test_done(&f->store, &f->dir);
}

/* Calls and returns the reply's code (both reply kinds start with code). */
static uint32_t call(struct fixture *f, struct pb_msg *req, struct pb_msg *rep_r)
{
	const char *error;
	if (pb_call(f->c, NULL, req, rep_r, 10000, &error) < 0)
		PANIC("call failed: %s", error);
	pb_msg_free(req);
	return rep_r->u.core_status_rep.code;
}

static uint32_t add(struct fixture *f, const char *user, const char *pw)
{
	struct pb_msg req, rep;
	pb_msg_init(&req, MSG_DIR_USER_ADD_REQ);
	req.u.dir_user_add_req.user = xstrdup(user);
	req.u.dir_user_add_req.password = xstrdup(pw);
	uint32_t code = call(f, &req, &rep);
	pb_msg_free(&rep);
	return code;
}

static uint32_t verify(struct fixture *f, const char *user, const char *pw, uint64_t *id_r)
{
	struct pb_msg req, rep;
	pb_msg_init(&req, MSG_DIR_USER_VERIFY_REQ);
	req.u.dir_user_verify_req.user = xstrdup(user);
	req.u.dir_user_verify_req.password = xstrdup(pw);
	uint32_t code = call(f, &req, &rep);
	if (id_r != NULL)
		*id_r = rep.u.dir_user_verify_rep.user_id;
	pb_msg_free(&rep);
	return code;
}

static void test_add_verify_case_insensitive(void)
{
	struct fixture f;
	uint64_t id = 0;

	setup(&f);
	CHECK_INT(add(&f, "Alice", "secret1"), PB_OK);
	CHECK_INT(add(&f, "ALICE", "secret2"), PB_ERR_EXISTS);
	CHECK_INT(add(&f, "bad name", "secret2"), PB_ERR_REFUSED);
	CHECK_INT(add(&f, "bob", "1234"), PB_ERR_REFUSED);
	CHECK_INT(verify(&f, "alice", "secret1", &id), PB_OK);
	CHECK(id != 0);
	CHECK_INT(verify(&f, "aLiCe", "secret1", NULL), PB_OK);
	CHECK_INT(verify(&f, "alice", "secret2", NULL), PB_ERR_AUTH);
	CHECK_INT(verify(&f, "nobody", "secret1", NULL), PB_ERR_AUTH);
	CHECK_INT(verify(&f, "not valid!", "secret1", NULL), PB_ERR_AUTH);
	teardown(&f);
}

static void test_password_min_length_setting(void)
{
	struct fixture f;
	struct pb_settings s;

	setup(&f);
	CHECK_INT(add(&f, "dave", "five5"), PB_OK); /* the default: 5 */
	pb_settings_defaults(&s);
	s.accounts.password_min_length = 8;
	pb_settings_publish(f.rt, &s);
	CHECK_INT(add(&f, "carol", "short7x"), PB_ERR_REFUSED);
	CHECK_INT(add(&f, "carol", "longer8x"), PB_OK);
	teardown(&f);
}

static void test_rcpt_check(void)
{
	struct fixture f;
	struct pb_msg req, rep;
	const char *error;

	setup(&f);
	REQUIRE(pb_store_domain_put(f.store, "example.com", &error) == 0);
	CHECK_INT(add(&f, "dave", "secret1"), PB_OK);
	CHECK_INT(add(&f, "admin", "secret1"), PB_OK);
	const char *cases[][3] = { { "Dave", "example.com", "0" },
				   { "PostMaster", "", "0" },
				   { "postmaster", "example.com", "0" },
				   { "postmaster", "elsewhere.org", "1" },
				   { "dave", "", "1" },
				   { "eve", "example.com", "2" },
				   { "dave", "elsewhere.org", "1" },
				   { "da ve", "example.com", "2" } };
	for (size_t i = 0; i < PB_N_ELEMENTS(cases); i++) {
		pb_msg_init(&req, MSG_DIR_RCPT_CHECK_REQ);
		req.u.dir_rcpt_check_req.local = xstrdup(cases[i][0]);
		req.u.dir_rcpt_check_req.domain = xstrdup(cases[i][1]);
		CHECK_INT(call(&f, &req, &rep), atoi(cases[i][2]));
		if (i == 0)
			CHECK_STR(rep.u.dir_rcpt_check_rep.user, "dave");
		if (i == 1 || i == 2) /* postmaster goes to the administrator */
			CHECK_STR(rep.u.dir_rcpt_check_rep.user, "admin");
		pb_msg_free(&rep);
	}
	teardown(&f);
}

static void test_delete_rename_list(void)
{
	struct fixture f;
	struct pb_msg req, rep;

	setup(&f);
	CHECK_INT(add(&f, "u1", "secret1"), PB_OK);
	CHECK_INT(add(&f, "u2", "secret1"), PB_OK);
	pb_msg_init(&req, MSG_DIR_USER_RENAME_REQ);
	req.u.dir_user_rename_req.user = xstrdup("u1");
	req.u.dir_user_rename_req.new_name = xstrdup("u2");
	CHECK_INT(call(&f, &req, &rep), PB_ERR_EXISTS);
	pb_msg_free(&rep);
	pb_msg_init(&req, MSG_DIR_USER_RENAME_REQ);
	req.u.dir_user_rename_req.user = xstrdup("u1");
	req.u.dir_user_rename_req.new_name = xstrdup("U3");
	CHECK_INT(call(&f, &req, &rep), PB_OK);
	pb_msg_free(&rep);
	CHECK_INT(verify(&f, "u3", "secret1", NULL), PB_OK);
	CHECK_INT(verify(&f, "u1", "secret1", NULL), PB_ERR_AUTH);

	int before = atomic_load(&purges);
	pb_msg_init(&req, MSG_DIR_USER_DEL_REQ);
	req.u.dir_user_del_req.user = xstrdup("u2");
	CHECK_INT(call(&f, &req, &rep), PB_OK);
	pb_msg_free(&rep);
	CHECK_INT(atomic_load(&purges), before + 2); /* before and after the account goes */

	pb_msg_init(&req, MSG_DIR_USER_LIST_REQ);
	CHECK_INT(call(&f, &req, &rep), PB_OK);
	CHECK_INT(rep.u.dir_user_list_rep.users.n, 1);
	CHECK_STR(rep.u.dir_user_list_rep.users.v[0], "u3");
	pb_msg_free(&rep);
	teardown(&f);
}

static void test_bulk_add(void)
{
	struct fixture f;
	struct pb_msg req, rep;

	setup(&f);
	pb_msg_init(&req, MSG_DIR_USER_BULK_ADD_REQ);
	const char *users[] = { "b1", "b2", "b 3", "b1" };
	for (size_t i = 0; i < 4; i++) {
		pb_strv_push(&req.u.dir_user_bulk_add_req.users, users[i]);
		pb_strv_push(&req.u.dir_user_bulk_add_req.passwords, "password");
	}
	CHECK_INT(call(&f, &req, &rep), PB_OK);
	CHECK_INT(rep.u.dir_user_bulk_add_rep.added, 2);
	REQUIRE(rep.u.dir_user_bulk_add_rep.errors.n == 4);
	CHECK_STR(rep.u.dir_user_bulk_add_rep.errors.v[0], "");
	CHECK(rep.u.dir_user_bulk_add_rep.errors.v[2][0] != '\0');
	CHECK(strstr(rep.u.dir_user_bulk_add_rep.errors.v[3], "exists") != NULL);
	pb_msg_free(&rep);
	teardown(&f);
}

static const struct pb_test_case cases[] = {
	{ "add_verify_case_insensitive", test_add_verify_case_insensitive },
	{ "password_min_length_setting", test_password_min_length_setting },
	{ "rcpt_check", test_rcpt_check },
	{ "delete_rename_list", test_delete_rename_list },
	{ "bulk_add", test_bulk_add },
};

PB_TEST_MAIN(cases)
