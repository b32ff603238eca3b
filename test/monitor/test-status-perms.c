/*
 * test-status-perms.c: the status server's eight permissions — parsing lists (names, all,
 * none, unknown names refused), formatting, an account's permissions from its settings (its
 * own list, else the administrator or user defaults), and the directory's validation of the
 * status_permissions key (send-policy.h) that `pillarbox user set` goes through.
 */
#include "pb-test.h"
#include "send-policy.h"
#include "status-perms.h"

#include <stdlib.h>

#define BIT(p) (1u << (p))

static void test_parse(void)
{
	uint32_t m = 99;
	const char *error = NULL;

	CHECK_INT(status_perms_parse("view_log, send_im", &m, &error), 0);
	CHECK_INT(m, BIT(STATUS_PERM_VIEW_LOG) | BIT(STATUS_PERM_SEND_IM));
	CHECK_INT(status_perms_parse("ALL", &m, &error), 0);
	CHECK_INT(m, STATUS_PERMS_ALL);
	CHECK_INT(status_perms_parse("", &m, &error), 0);
	CHECK_INT(m, 0);
	CHECK_INT(status_perms_parse("none", &m, &error), 0);
	CHECK_INT(m, 0);
	m = 7;
	CHECK_INT(status_perms_parse("view_log,reboot", &m, &error), -1);
	CHECK(error != NULL && strstr(error, "view_connection") != NULL);
	CHECK_INT(m, 7); /* untouched on failure */
	for (unsigned p = 0; p < STATUS_PERM_COUNT; p++) {
		CHECK_INT(status_perms_parse(status_perm_name(p), &m, &error), 0);
		CHECK_INT(m, BIT(p));
	}
	CHECK_STR(status_perm_name(STATUS_PERM_COUNT), "?");
}

static void test_format(void)
{
	struct pb_buf b;

	pb_buf_init(&b);
	status_perms_format(BIT(STATUS_PERM_CONNECT) | BIT(STATUS_PERM_VIEW_CONNECTION), &b);
	CHECK_STR(b.data, "view_connection,connect");
	pb_buf_reset(&b);
	status_perms_format(0, &b);
	CHECK_INT(b.len, 0);
	pb_buf_deinit(&b);
}

static void test_of_account(void)
{
	uint32_t adm = STATUS_PERMS_ALL, usr = BIT(STATUS_PERM_SEND_IM);
	bool admin = true;

	CHECK_INT(status_perms_of(NULL, adm, usr, &admin), usr);
	CHECK(!admin);
	CHECK_INT(status_perms_of("{\"admin\":true}", adm, usr, &admin), adm);
	CHECK(admin);
	/* an own list wins over the defaults, for an administrator too; [] is none */
	CHECK_INT(status_perms_of("{\"admin\":true,\"status_permissions\":[\"view_log\"]}", adm, usr,
				  NULL),
		  BIT(STATUS_PERM_VIEW_LOG));
	CHECK_INT(status_perms_of("{\"status_permissions\":[]}", adm, usr, NULL), 0);
	CHECK_INT(status_perms_of("{\"status_permissions\":[\"shutdown\",\"bogus\",3]}", adm, usr,
				  NULL),
		  BIT(STATUS_PERM_SHUTDOWN));
	CHECK_INT(status_perms_of("not json", adm, usr, &admin), usr);
}

static void test_user_set(void)
{
	char *json = NULL;
	const char *error = NULL;

	CHECK_INT(send_policy_set("{\"admin\":false}", STATUS_PERMS_KEY, "send_im view_log", &json,
				  &error),
		  0);
	CHECK_STR(json, "{\"admin\":false,\"status_permissions\":[\"view_log\",\"send_im\"]}");
	CHECK_INT(send_policy_check_json(json, &error), 0);
	free(json);
	json = NULL;
	CHECK_INT(send_policy_set("{}", STATUS_PERMS_KEY, "view_log,format_disk", &json, &error), -1);
	CHECK(json == NULL && strstr(error, "status_permissions") != NULL);
	CHECK_INT(send_policy_check_json("{\"status_permissions\":[\"nope\"]}", &error), -1);
	CHECK_INT(send_policy_check_json("{\"status_permissions\":\"view_log\"}", &error), -1);
	CHECK_INT(send_policy_unset("{\"status_permissions\":[]}", STATUS_PERMS_KEY, &json, &error), 0);
	CHECK_STR(json, "{}");
	free(json);
	/* the sending policy does not take it for one of its own keys */
	struct send_policy p;
	send_policy_from_json("{\"status_permissions\":[\"shutdown\"]}", &p);
	CHECK_INT(p.quota_mb, -1);
	send_policy_deinit(&p);
}

/* An API key's web role rides in its list: the status permissions skip it, the web reads it. */
static void test_web_role(void)
{
	uint32_t m = 0;
	const char *error = NULL;
	bool admin = true;
	char *user = NULL;

	CHECK_INT(status_perms_parse("view_log,web_user:ann", &m, &error), 0);
	CHECK_INT(m, BIT(STATUS_PERM_VIEW_LOG));
	CHECK_INT(status_perms_web_role("view_log", &admin, &user, &error), 0);
	CHECK(!admin && user == NULL);
	CHECK_INT(status_perms_web_role("view_log,web_user:ann", &admin, &user, &error), 1);
	CHECK(!admin);
	CHECK_STR(user, "ann");
	free(user);
	CHECK_INT(status_perms_web_role("web_admin", &admin, &user, &error), 1);
	CHECK(admin && user == NULL);
	CHECK_INT(status_perms_web_role("web_admin web_user:ann", &admin, &user, &error), -1);
	CHECK(!admin && user == NULL);
	CHECK_INT(status_perms_web_role("web_user:", &admin, &user, &error), -1);
	char *list = status_perms_with_web_role("", "user", "ann", &error);
	CHECK_STR(list, "none,web_user:ann");
	free(list);
	list = status_perms_with_web_role("view_log", "admin", NULL, &error);
	CHECK_STR(list, "view_log,web_admin");
	free(list);
	list = status_perms_with_web_role("view_log", NULL, NULL, &error);
	CHECK_STR(list, "view_log");
	free(list);
	CHECK(status_perms_with_web_role("", "user", NULL, &error) == NULL);
	CHECK(status_perms_with_web_role("", "admin", "ann", &error) == NULL);
	CHECK(status_perms_with_web_role("", "root", NULL, &error) == NULL);
	CHECK(status_perms_with_web_role("", "user", "a,b", &error) == NULL);
}

static const struct pb_test_case cases[] = {
	{ "web_role", test_web_role },
	{ "parse", test_parse },
	{ "format", test_format },
	{ "of_account", test_of_account },
	{ "user_set", test_user_set },
};

int main(void)
{
	return pb_test_run(cases, PB_N_ELEMENTS(cases));
}
