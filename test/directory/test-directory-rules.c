/*
 * test-directory-rules.c: username, password and domain syntax; bulk CSV lines; password
 * hashing and verification.
 */
#include "directory-password.h"
#include "directory-rules.h"
#include "pb-alloc.h"
#include "pb-test.h"

static void test_usernames(void)
{
	static const char *const good[] = { "a", "alice", "Bob.Smith", "x_y-z", "0123456789",
					    "abcdefghijklmnopqrstuvwxyz012345" };
	static const char *const bad[] = { "", "with space", "tab\there", "a@b", "ümlaut",
					   "abcdefghijklmnopqrstuvwxyz0123456", "semi;colon",
					   "slash/", "quote\"" };
	const char *error;

	for (size_t i = 0; i < PB_N_ELEMENTS(good); i++) {
		if (directory_check_user(good[i], &error) != 0) {
			fprintf(stderr, "  good name refused: %s (%s)\n", good[i], error);
			CHECK(!"good name");
		}
	}
	for (size_t i = 0; i < PB_N_ELEMENTS(bad); i++) {
		if (directory_check_user(bad[i], &error) == 0) {
			fprintf(stderr, "  bad name accepted: %s\n", bad[i]);
			CHECK(!"bad name");
		}
	}
}

static void test_passwords(void)
{
	const char *error;
	char long_pw[130];

	CHECK(directory_check_password("abcde", 5, &error) == 0);
	CHECK(directory_check_password("abcd", 5, &error) == -1);
	CHECK(strstr(error, "shorter than 5") != NULL);
	CHECK(directory_check_password("abcd", 3, &error) == 0);
	CHECK(directory_check_password("has space", 5, &error) == 0); /* passphrases */
	CHECK(directory_check_password("tab\tinside", 5, &error) == -1);
	CHECK(directory_check_password("ünïcödé-ok", 5, &error) == 0);
	memset(long_pw, 'x', 129);
	long_pw[129] = '\0';
	CHECK(directory_check_password(long_pw, 5, &error) == -1);
	long_pw[128] = '\0';
	CHECK(directory_check_password(long_pw, 5, &error) == 0);
}

static void test_domains(void)
{
	const char *error;
	CHECK(directory_check_domain("example.com", &error) == 0);
	CHECK(directory_check_domain("localhost", &error) == 0);
	CHECK(directory_check_domain("a-b.c0", &error) == 0);
	CHECK(directory_check_domain("", &error) == -1);
	CHECK(directory_check_domain("-a.com", &error) == -1);
	CHECK(directory_check_domain("a-.com", &error) == -1);
	CHECK(directory_check_domain("a..com", &error) == -1);
	CHECK(directory_check_domain("a_b.com", &error) == -1);
	CHECK(directory_check_domain(".com", &error) == -1);
}

static void test_lower(void)
{
	char out[8];
	directory_lower("AbC.dE", out, sizeof(out));
	CHECK_STR(out, "abc.de");
	directory_lower("ABCDEFGHIJ", out, sizeof(out));
	CHECK_STR(out, "abcdefg");
}

static void test_csv_lines(void)
{
	char l1[] = "alice,secret1\r\n", l2[] = "  # comment", l3[] = "   ", l4[] = "nocomma";
	char l5[] = " bob , pw2 ", l6[] = "a,b,c";
	char *user, *pw, *wel;
	const char *error;

	CHECK(directory_parse_csv_line(l1, &user, &pw, &wel, &error) == 1);
	CHECK_STR(user, "alice");
	CHECK_STR(pw, "secret1");
	CHECK(directory_parse_csv_line(l2, &user, &pw, &wel, &error) == 0);
	CHECK(directory_parse_csv_line(l3, &user, &pw, &wel, &error) == 0);
	CHECK(directory_parse_csv_line(l4, &user, &pw, &wel, &error) == -1);
	CHECK(directory_parse_csv_line(l5, &user, &pw, &wel, &error) == 1);
	CHECK_STR(user, "bob");
	CHECK_STR(pw, "pw2");
	CHECK(wel == NULL);
	CHECK(directory_parse_csv_line(l6, &user, &pw, &wel, &error) == 1);
	CHECK_STR(wel, "c");
	char l7[] = "a,b,c,d", l8[] = "ann,pw, \"No\" ";
	CHECK(directory_parse_csv_line(l7, &user, &pw, &wel, &error) == -1);
	CHECK(directory_parse_csv_line(l8, &user, &pw, &wel, &error) == 1);
	CHECK_STR(wel, "No");
}

/* The welcome column (admin guide 4.2 "Send Welcome message to new user", per account). */
static void test_csv_welcome(void)
{
	enum directory_welcome w;
	const char *error;

	CHECK(directory_csv_welcome(NULL, &w, &error) == 0 && w == DIRECTORY_WELCOME_DEFAULT);
	CHECK(directory_csv_welcome("", &w, &error) == 0 && w == DIRECTORY_WELCOME_DEFAULT);
	CHECK(directory_csv_welcome("Default", &w, &error) == 0 && w == DIRECTORY_WELCOME_DEFAULT);
	CHECK(directory_csv_welcome("YES", &w, &error) == 0 && w == DIRECTORY_WELCOME_YES);
	CHECK(directory_csv_welcome("1", &w, &error) == 0 && w == DIRECTORY_WELCOME_YES);
	CHECK(directory_csv_welcome("no", &w, &error) == 0 && w == DIRECTORY_WELCOME_NO);
	CHECK(directory_csv_welcome("false", &w, &error) == 0 && w == DIRECTORY_WELCOME_NO);
	CHECK(directory_csv_welcome("maybe", &w, &error) == -1);
	CHECK(strstr(error, "yes, no") != NULL);
}

static void test_csv_quoted(void)
{
	char l1[] = "\"grace\",\"grace pass\"", l2[] = " \"h\" , \"a,\"\"b\"\"\" ";
	char l3[] = "\"open,pw", l4[] = "\"a\"x,pw", l5[] = "a\"b,pw", l6[] = "\"\",\"\"";
	char *user, *pw, *wel;
	const char *error;

	CHECK(directory_parse_csv_line(l1, &user, &pw, &wel, &error) == 1);
	CHECK_STR(user, "grace");
	CHECK_STR(pw, "grace pass");
	CHECK(directory_parse_csv_line(l2, &user, &pw, &wel, &error) == 1);
	CHECK_STR(user, "h");
	CHECK_STR(pw, "a,\"b\"");
	CHECK(directory_parse_csv_line(l3, &user, &pw, &wel, &error) == -1);
	CHECK_STR(error, "a quoted field without its closing quote");
	CHECK(directory_parse_csv_line(l4, &user, &pw, &wel, &error) == -1);
	CHECK(directory_parse_csv_line(l5, &user, &pw, &wel, &error) == -1);
	CHECK(directory_parse_csv_line(l6, &user, &pw, &wel, &error) == 1);
	CHECK_STR(user, "");
	CHECK(directory_csv_is_header("User", "PASSWORD"));
	CHECK(directory_csv_is_header("username", "password"));
	CHECK(!directory_csv_is_header("alice", "password"));
	CHECK(!directory_csv_is_header("user", "secret"));
}

static void test_hash_and_verify(void)
{
	const char *error;
	char *h1 = directory_password_hash("correct horse", &error);
	char *h2 = directory_password_hash("correct horse", &error);

	REQUIRE(h1 != NULL && h2 != NULL);
	CHECK(strncmp(h1, "$y$", 3) == 0);
	CHECK(strcmp(h1, h2) != 0); /* fresh salt each time */
	CHECK(directory_password_verify("correct horse", h1));
	CHECK(directory_password_verify("correct horse", h2));
	CHECK(!directory_password_verify("correct horsE", h1));
	CHECK(!directory_password_verify("", h1));
	CHECK(!directory_password_verify("correct horse", NULL));
	CHECK(!directory_password_verify("x", "not a hash"));
	free(h1);
	free(h2);
}

static void test_split_login(void)
{
	char local[DIRECTORY_USER_MAX + 1];
	const char *domain = "unset";

	CHECK(directory_split_login("bob", local, sizeof(local), &domain) == 0);
	CHECK_STR(local, "bob");
	CHECK(domain == NULL);
	CHECK(directory_split_login("Bob@Example.COM", local, sizeof(local), &domain) == 0);
	CHECK_STR(local, "Bob");
	CHECK_STR(domain, "Example.COM");
	CHECK(directory_split_login("a@b@example.com", local, sizeof(local), &domain) == 0);
	CHECK_STR(local, "a@b"); /* the last '@': not a name, so no account */
	CHECK_STR(domain, "example.com");
	CHECK(directory_split_login("@example.com", local, sizeof(local), &domain) == 0);
	CHECK_STR(local, "");
	CHECK(directory_split_login("bob@", local, sizeof(local), &domain) == 0);
	CHECK_STR(domain, "");
	/* 33 characters cannot be cut down to a 32-character account's name */
	CHECK(directory_split_login("abcdefghijklmnopqrstuvwxyz0123456@example.com", local,
				    sizeof(local), &domain) == -1);
	CHECK(directory_split_login("abcdefghijklmnopqrstuvwxyz012345@example.com", local,
				    sizeof(local), &domain) == 0);
}

static void test_domain_removable(void)
{
	char why[256];

	CHECK(directory_domain_removable("example.com", 1, 0, true, why, sizeof(why)) == -1);
	CHECK_STR(why, "example.com is the only local domain; add another first");
	CHECK(directory_domain_removable("example.com", 1, 3, true, why, sizeof(why)) == -1);
	CHECK(directory_domain_removable("example.com", 2, 0, false, why, sizeof(why)) == 0);
	CHECK(directory_domain_removable("example.com", 2, 3, false, why, sizeof(why)) == -1);
	CHECK(strstr(why, "3 users have an address at example.com") != NULL);
	CHECK(strstr(why, "use force") != NULL);
	CHECK(directory_domain_removable("example.com", 2, 1, false, why, sizeof(why)) == -1);
	CHECK(strstr(why, "1 user has an address") != NULL);
	CHECK(directory_domain_removable("example.com", 2, 3, true, why, sizeof(why)) == 0);
}

static const struct pb_test_case cases[] = {
	{ "split_login", test_split_login }, { "domain_removable", test_domain_removable },
	{ "usernames", test_usernames },   { "passwords", test_passwords },
	{ "domains", test_domains },       { "lower", test_lower },
	{ "csv_lines", test_csv_lines },   { "csv_quoted", test_csv_quoted },
	{ "csv_welcome", test_csv_welcome },
	{ "hash_and_verify", test_hash_and_verify },
};

PB_TEST_MAIN(cases)
