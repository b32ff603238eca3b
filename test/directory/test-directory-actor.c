/*
 * test-directory-actor.c: the directory actor over a real store in a temporary directory and a
 * fake mailbox owner (for forced deletes): typed requests in, replies asserted.
 */
#include "auth-client.h"
#include "directory-actor.h"
#include "directory-client.h"
#include "pb-test-port.h"
#include "pb-test-store.h"
#include "pb-test.h"

#include <stdatomic.h>
#include <stdlib.h>
#include <strings.h>
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
	struct pb_sync t;
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
	pb_sync_init_caller(&f->t, f->c, 10000);
}

static void teardown(struct fixture *f)
{
	pb_caller_destroy(&f->c);
	pb_runtime_destroy(&f->rt);
	pb_store_close(&f->store);
	store_test_rmrf(f->dir);
	free(f->dir);
}

static uint32_t add(struct fixture *f, const char *user, const char *pw)
{
	uint32_t code;
	const char *error;

	if (directory_client_user_add(&f->t, user, pw, NULL, NULL, &code, &error) < 0)
		PANIC("call failed: %s", error);
	return code;
}

static uint32_t verify(struct fixture *f, const char *user, const char *pw, uint64_t *id_r)
{
	uint32_t code;
	uint64_t id = 0;
	char *name = NULL;
	const char *error;

	if (auth_client_user_verify(&f->t, 7, user, pw, &code, &id, &name, &error) < 0)
		PANIC("call failed: %s", error);
	if (code == PB_OK)
		CHECK(strcasecmp(name, user) == 0);
	else
		CHECK_STR(error, "authentication failed");
	if (id_r != NULL)
		*id_r = id;
	free(name);
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
	const char *error;

	setup(&f);
	REQUIRE(pb_store_setting_put(f.store, "accounts", "{\"password_min_length\": 8}", &error) == 0);
	CHECK_INT(add(&f, "carol", "short7x"), PB_ERR_REFUSED);
	CHECK_INT(add(&f, "carol", "longer8x"), PB_OK);
	teardown(&f);
}

static void test_rcpt_check(void)
{
	struct fixture f;
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
		uint32_t code = 99;
		uint64_t id = 0;
		char *user = NULL;
		REQUIRE(directory_client_rcpt_check(&f.t, cases[i][0], cases[i][1], &code, &id, &user,
						    &error) == 0);
		CHECK_INT(code, atoi(cases[i][2]));
		CHECK(code == PB_OK ? user != NULL && id != 0 : user == NULL);
		if (i == 0)
			CHECK_STR(user, "dave");
		if (i == 1 || i == 2) /* postmaster goes to the administrator */
			CHECK_STR(user, "admin");
		free(user);
	}
	teardown(&f);
}

/* The gateways' way: send now, take the reply from an inbox later, decode it. */
static void test_async_rcpt_check_and_verify(void)
{
	struct fixture f;
	struct test_port port;
	struct pb_msg rep;
	const char *error;
	uint64_t id = 0, id2 = 0;
	char *user = NULL;

	setup(&f);
	test_port_open(&port, f.rt, "test-port");
	struct pb_sender s = test_port_sender(&port);
	REQUIRE(pb_store_domain_put(f.store, "example.com", &error) == 0);
	CHECK_INT(add(&f, "Erin", "secret1"), PB_OK);

	REQUIRE(directory_client_rcpt_check_send(&s, "ERIN", "Example.com", &error) == 0);
	REQUIRE(test_port_recv(&port, &rep));
	CHECK(rep.corr == port.last_corr);
	CHECK_INT(directory_client_rcpt_check_reply(&rep, &id, &user, &error), PB_OK);
	CHECK_STR(user, "erin");
	CHECK_STR(error, "");
	CHECK(id != 0);
	free(user);
	pb_msg_free(&rep);

	/* a failure comes back as CORE_STATUS_REP: the decoder gives its code and reason */
	user = NULL;
	REQUIRE(directory_client_rcpt_check_send(&s, "nobody", "example.com", &error) == 0);
	REQUIRE(test_port_recv(&port, &rep));
	CHECK_INT(rep.type, MSG_CORE_STATUS_REP);
	CHECK_INT(directory_client_rcpt_check_reply(&rep, &id, &user, &error), PB_ERR_NOTFOUND);
	CHECK_STR(error, "no such user");
	CHECK(user == NULL);
	/* ... and a reply to another request is not taken for this one */
	CHECK_INT(auth_client_user_verify_reply(&rep, &id, &user, &error), PB_ERR_NOTFOUND);
	pb_msg_free(&rep);

	REQUIRE(auth_client_user_verify_send(&s, 42, "erin", "secret1", &error) == 0);
	REQUIRE(test_port_recv(&port, &rep));
	CHECK_INT(auth_client_user_verify_reply(&rep, &id2, &user, &error), PB_OK);
	CHECK(id2 == id);
	CHECK_STR(user, "erin");
	CHECK_INT(directory_client_rcpt_check_reply(&rep, &id, &user, &error), PB_ERR_INTERNAL);
	CHECK_STR(error, "unexpected reply");
	free(user);
	pb_msg_free(&rep);
	test_port_close(&port);
	teardown(&f);
}

static void test_delete_rename_list(void)
{
	struct fixture f;
	struct directory_user_list list = { 0 };
	uint32_t code;
	const char *error;

	setup(&f);
	CHECK_INT(add(&f, "u1", "secret1"), PB_OK);
	CHECK_INT(add(&f, "u2", "secret1"), PB_OK);
	REQUIRE(directory_client_user_rename(&f.t, "u1", "u2", &code, &error) == 0);
	CHECK_INT(code, PB_ERR_EXISTS);
	CHECK_STR(error, "a user with the new name exists already");
	REQUIRE(directory_client_user_rename(&f.t, "u1", "U3", &code, &error) == 0);
	CHECK_INT(code, PB_OK);
	CHECK_INT(verify(&f, "u3", "secret1", NULL), PB_OK);
	CHECK_INT(verify(&f, "u1", "secret1", NULL), PB_ERR_AUTH);

	int before = atomic_load(&purges);
	REQUIRE(directory_client_user_del(&f.t, "u2", false, &code, &error) == 0);
	CHECK_INT(code, PB_OK);
	CHECK_INT(atomic_load(&purges), before + 2); /* before and after the account goes */
	REQUIRE(directory_client_user_del(&f.t, "u2", false, &code, &error) == 0);
	CHECK_INT(code, PB_ERR_NOTFOUND);

	REQUIRE(directory_client_user_list(&f.t, NULL, &code, &list, &error) == 0);
	CHECK_INT(code, PB_OK);
	REQUIRE(list.users.n == 1);
	CHECK_STR(list.users.v[0], "u3");
	CHECK_INT(list.messages.v[0], 0);
	directory_user_list_free(&list);
	teardown(&f);
}

static void test_show_copy_lookup(void)
{
	struct fixture f;
	struct directory_user_info info = { 0 };
	uint32_t code;
	uint64_t id = 0;
	char *name = NULL;
	const char *error;

	setup(&f);
	REQUIRE(directory_client_user_add(&f.t, "Src", "secret1", NULL, "{\"admin\":true}", &code,
					  &error) == 0);
	CHECK_INT(code, PB_OK);
	REQUIRE(directory_client_user_add(&f.t, "dst", "secret1", NULL, "[1]", &code, &error) == 0);
	CHECK_INT(code, PB_ERR_REFUSED);
	CHECK_STR(error, "the settings must be a JSON object");
	CHECK_INT(add(&f, "dst", "secret1"), PB_OK);
	REQUIRE(directory_client_user_copy(&f.t, "dst", "src", &code, &error) == 0);
	CHECK_INT(code, PB_OK);
	REQUIRE(directory_client_user_show(&f.t, "DST", &code, &info, &error) == 0);
	CHECK_INT(code, PB_OK);
	CHECK_STR(info.user, "dst");
	CHECK_STR(info.settings, "{\"admin\":true}");
	REQUIRE(directory_client_user_lookup(&f.t, "dst", &code, &id, &name, &error) == 0);
	CHECK_INT(code, PB_OK);
	CHECK(id == info.user_id);
	CHECK_STR(name, "dst");
	free(name);
	directory_user_info_free(&info);
	REQUIRE(directory_client_user_passwd(&f.t, "dst", "another1", &code, &error) == 0);
	CHECK_INT(code, PB_OK);
	CHECK_INT(verify(&f, "dst", "another1", NULL), PB_OK);
	REQUIRE(directory_client_user_passwd(&f.t, "dst", "abc", &code, &error) == 0);
	CHECK_INT(code, PB_ERR_REFUSED);
	REQUIRE(directory_client_user_passwd(&f.t, "ghost", "another1", &code, &error) == 0);
	CHECK_INT(code, PB_ERR_NOTFOUND);
	teardown(&f);
}

static void test_domains(void)
{
	struct fixture f;
	struct pb_strv domains = { 0 };
	uint32_t code;
	const char *error;

	setup(&f);
	REQUIRE(directory_client_domain_add(&f.t, "Example.ORG", &code, &error) == 0);
	CHECK_INT(code, PB_OK);
	REQUIRE(directory_client_domain_add(&f.t, "example.org", &code, &error) == 0);
	CHECK_INT(code, PB_ERR_EXISTS);
	REQUIRE(directory_client_domain_list(&f.t, &code, &domains, &error) == 0);
	CHECK_INT(code, PB_OK);
	REQUIRE(domains.n == 1);
	CHECK_STR(domains.v[0], "example.org");
	pb_strv_clear(&domains);
	REQUIRE(directory_client_domain_del(&f.t, "example.org", &code, &error) == 0);
	CHECK_INT(code, PB_OK);
	REQUIRE(directory_client_domain_del(&f.t, "example.org", &code, &error) == 0);
	CHECK_INT(code, PB_ERR_NOTFOUND);
	teardown(&f);
}

static void test_bulk_add(void)
{
	struct fixture f;
	struct pb_strv users = { 0 }, passwords = { 0 }, errors = { 0 };
	uint32_t code, added = 0;
	const char *error;

	setup(&f);
	const char *names[] = { "b1", "b2", "b 3", "b1" };
	for (size_t i = 0; i < 4; i++) {
		pb_strv_push(&users, names[i]);
		pb_strv_push(&passwords, "password");
	}
	REQUIRE(directory_client_user_bulk_add(&f.t, &users, &passwords, &code, &added, &errors,
					       &error) == 0);
	CHECK_INT(code, PB_OK);
	CHECK_INT(added, 2);
	REQUIRE(errors.n == 4);
	CHECK_STR(errors.v[0], "");
	CHECK(errors.v[2][0] != '\0');
	CHECK(strstr(errors.v[3], "exists") != NULL);
	pb_strv_clear(&errors);
	pb_strv_push(&users, "b5"); /* one password short */
	REQUIRE(directory_client_user_bulk_add(&f.t, &users, &passwords, &code, &added, &errors,
					       &error) == 0);
	CHECK_INT(code, PB_ERR_REFUSED);
	pb_strv_clear(&users);
	pb_strv_clear(&passwords);
	teardown(&f);
}

static const struct pb_test_case cases[] = {
	{ "add_verify_case_insensitive", test_add_verify_case_insensitive },
	{ "password_min_length_setting", test_password_min_length_setting },
	{ "rcpt_check", test_rcpt_check },
	{ "async_rcpt_check_and_verify", test_async_rcpt_check_and_verify },
	{ "show_copy_lookup", test_show_copy_lookup },
	{ "domains", test_domains },
	{ "delete_rename_list", test_delete_rename_list },
	{ "bulk_add", test_bulk_add },
};

PB_TEST_MAIN(cases)
