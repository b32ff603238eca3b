/*
 * test-sasl.c: the PLAIN and LOGIN mechanisms and the response framing — RFC 4616's examples
 * (the second is proxy authentication, which we refuse), a table of malformed responses (bad
 * base64, missing or extra NULs, empty and overlong fields, invalid UTF-8, cancel), LOGIN's
 * challenges with and without an initial response, calls out of turn, mechanism names.
 */
#include "pb-alloc.h"
#include "pb-test.h"
#include "sasl-private.h"
#include "sasl-server.h"

#include <stdlib.h>
#include <string.h>

static char *b64(const char *data, size_t len)
{
	return sasl_base64_encode(data, len);
}

static void test_plain_rfc4616(void)
{
	struct sasl_server *s = sasl_server_create(SASL_MECH_PLAIN);
	const char *out, *error;

	CHECK_INT(sasl_server_start(s, "AHRpbQB0YW5zdGFhZnRhbnN0YWFm", &out, &error),
		  SASL_VERIFY_PASSWORD);
	CHECK_STR(sasl_server_authcid(s), "tim");
	CHECK_STR(sasl_server_password(s), "tanstaaftanstaaf");
	CHECK_INT(sasl_server_step(s, "", &out, &error), SASL_REFUSED); /* awaiting the check */
	sasl_server_destroy(&s);
	CHECK(s == NULL);

	s = sasl_server_create(SASL_MECH_PLAIN);
	CHECK_INT(sasl_server_start(s, "AHRpbQB0YW5zdGFhZnRhbnN0YWFm", &out, &error),
		  SASL_VERIFY_PASSWORD);
	CHECK_INT(sasl_server_password_checked(s, true, &out, &error), SASL_SUCCESS);
	CHECK_STR(sasl_server_authcid(s), "tim");
	CHECK_STR(sasl_server_password(s), "");
	CHECK_INT(sasl_server_step(s, "", &out, &error), SASL_REFUSED); /* over */
	sasl_server_destroy(&s);

	/* RFC 4616 §4's second example: Kurt acting as Ursel. No proxy authentication here. */
	s = sasl_server_create(SASL_MECH_PLAIN);
	CHECK_INT(sasl_server_start(s, "VXJzZWwAS3VydAB4aXBqM3BsbXE=", &out, &error), SASL_REFUSED);
	CHECK(strstr(error, "proxy") != NULL);
	sasl_server_destroy(&s);
}

static void test_plain_challenge_and_failure(void)
{
	struct sasl_server *s = sasl_server_create(SASL_MECH_PLAIN);
	const char *out, *error;

	CHECK_INT(sasl_server_start(s, NULL, &out, &error), SASL_CHALLENGE);
	CHECK_STR(out, "");
	/* authzid equal to the authcid is allowed */
	CHECK_INT(sasl_server_step(s, "dGltAHRpbQBwdw==", &out, &error), SASL_VERIFY_PASSWORD);
	CHECK_STR(sasl_server_password(s), "pw");
	CHECK_INT(sasl_server_password_checked(s, false, &out, &error), SASL_FAILED);
	CHECK_STR(error, "authentication failed");
	CHECK_STR(sasl_server_password(s), "");
	CHECK_INT(sasl_server_password_checked(s, true, &out, &error), SASL_REFUSED);
	sasl_server_destroy(&s);
}

struct bad_case {
	enum sasl_mech mech;
	const char *response; /* as the initial response */
	const char *why;      /* a word of the reason */
};

static const struct bad_case bad_cases[] = {
	{ SASL_MECH_PLAIN, "AHRp!Q==", "base64" },
	{ SASL_MECH_PLAIN, "AHRpbQB0YW5zdGFhZnRhbnN0YWFm\r", "base64" },
	{ SASL_MECH_PLAIN, "AHRpbQB0 YW5zdGFhZnRhbnN0YWFm", "base64" },
	{ SASL_MECH_PLAIN, "AHRpbQB", "base64" },           /* not a multiple of 4 */
	{ SASL_MECH_PLAIN, "A=Rp", "base64" },              /* padding inside */
	{ SASL_MECH_PLAIN, "dGlt", "NUL" },                 /* "tim" */
	{ SASL_MECH_PLAIN, "dGltAHRpbQ==", "NUL" },         /* "tim\0tim" */
	{ SASL_MECH_PLAIN, "YQBiAGMAZA==", "NUL" },         /* a third NUL */
	{ SASL_MECH_PLAIN, "AABwdw==", "empty" },           /* empty authcid */
	{ SASL_MECH_PLAIN, "AHRpbQA=", "empty" },           /* empty password */
	{ SASL_MECH_PLAIN, "AHRpbf8AcHc=", "UTF-8" },       /* 0xff in the authcid */
	{ SASL_MECH_PLAIN, "=", "NUL" },                    /* empty initial response */
	{ SASL_MECH_PLAIN, "*", "cancelled" },
	{ SASL_MECH_LOGIN, "*", "cancelled" },
	{ SASL_MECH_LOGIN, "=", "empty" },
	{ SASL_MECH_LOGIN, "/w==", "UTF-8" },               /* 0xff */
	{ SASL_MECH_LOGIN, "dAB0", "UTF-8" },               /* t NUL t */
	{ SASL_MECH_SCRAM_SHA_256, "*", "cancelled" },
	{ SASL_MECH_SCRAM_SHA_256, "=", "empty" },
	{ SASL_MECH_SCRAM_SHA_256, "@@@@", "base64" },
};

static void test_malformed(void)
{
	for (size_t i = 0; i < PB_N_ELEMENTS(bad_cases); i++) {
		struct sasl_server *s = sasl_server_create(bad_cases[i].mech);
		const char *out, *error = NULL;
		enum sasl_result r = sasl_server_start(s, bad_cases[i].response, &out, &error);
		if (r != SASL_REFUSED || error == NULL || strstr(error, bad_cases[i].why) == NULL)
			fprintf(stderr, "  case %zu: %d %s\n", i, r, error ? error : "(none)");
		CHECK_INT(r, SASL_REFUSED);
		CHECK(error != NULL && strstr(error, bad_cases[i].why) != NULL);
		CHECK_INT(sasl_server_step(s, "dGlt", &out, &error), SASL_REFUSED);
		sasl_server_destroy(&s);
	}
}

/* Fields and responses one byte over their limits. */
static void test_overlong(void)
{
	char *field = xmalloc(SASL_FIELD_MAX + 2);
	const char *out, *error;

	memset(field, 'a', SASL_FIELD_MAX + 1);
	field[SASL_FIELD_MAX + 1] = '\0';
	for (size_t len = SASL_FIELD_MAX; len <= SASL_FIELD_MAX + 1; len++) {
		/* authcid of len bytes, password "pw" */
		char *msg = xmalloc(len + 4);
		msg[0] = '\0';
		memcpy(msg + 1, field, len);
		memcpy(msg + 1 + len, "\0pw", 3);
		char *text = b64(msg, len + 4);
		struct sasl_server *s = sasl_server_create(SASL_MECH_PLAIN);
		CHECK_INT(sasl_server_start(s, text, &out, &error),
			  len <= SASL_FIELD_MAX ? SASL_VERIFY_PASSWORD : SASL_REFUSED);
		sasl_server_destroy(&s);
		free(text);
		/* a LOGIN password of len bytes */
		text = b64(field, len);
		s = sasl_server_create(SASL_MECH_LOGIN);
		CHECK_INT(sasl_server_start(s, "dGlt", &out, &error), SASL_CHALLENGE);
		CHECK_INT(sasl_server_step(s, text, &out, &error),
			  len <= SASL_FIELD_MAX ? SASL_VERIFY_PASSWORD : SASL_REFUSED);
		sasl_server_destroy(&s);
		free(text);
		free(msg);
	}
	char *line = xmalloc(SASL_RESPONSE_MAX + 2);
	memset(line, 'A', SASL_RESPONSE_MAX + 1);
	line[SASL_RESPONSE_MAX + 1] = '\0';
	struct sasl_server *s = sasl_server_create(SASL_MECH_SCRAM_SHA_256);
	CHECK_INT(sasl_server_start(s, line, &out, &error), SASL_REFUSED);
	CHECK(strstr(error, "too long") != NULL);
	sasl_server_destroy(&s);
	/* a line within the limit whose decoded size is over SASL_SCRAM_MSG_MAX */
	line[SASL_RESPONSE_MAX] = '\0';
	s = sasl_server_create(SASL_MECH_SCRAM_SHA_256);
	CHECK_INT(sasl_server_start(s, line, &out, &error), SASL_REFUSED);
	CHECK_STR(error, "response is not base64 or too long");
	sasl_server_destroy(&s);
	free(line);
	free(field);
}

static void test_login(void)
{
	struct sasl_server *s = sasl_server_create(SASL_MECH_LOGIN);
	const char *out, *error;

	CHECK_INT(sasl_server_start(s, NULL, &out, &error), SASL_CHALLENGE);
	CHECK_STR(out, "VXNlcm5hbWU6"); /* Username: */
	CHECK_INT(sasl_server_step(s, "dGlt", &out, &error), SASL_CHALLENGE);
	CHECK_STR(out, "UGFzc3dvcmQ6"); /* Password: */
	CHECK_INT(sasl_server_step(s, "dGFuc3RhYWY=", &out, &error), SASL_VERIFY_PASSWORD);
	CHECK_STR(sasl_server_authcid(s), "tim");
	CHECK_STR(sasl_server_password(s), "tanstaaf");
	CHECK_INT(sasl_server_password_checked(s, true, &out, &error), SASL_SUCCESS);
	sasl_server_destroy(&s);

	/* AUTH LOGIN dGlt: the user name as the initial response, then Password:; "*" there */
	s = sasl_server_create(SASL_MECH_LOGIN);
	CHECK_INT(sasl_server_start(s, "dGlt", &out, &error), SASL_CHALLENGE);
	CHECK_STR(out, "UGFzc3dvcmQ6");
	CHECK_INT(sasl_server_step(s, "*", &out, &error), SASL_REFUSED);
	CHECK_STR(error, "authentication cancelled");
	CHECK_STR(sasl_server_authcid(s), "tim");
	CHECK_STR(sasl_server_password(s), "");
	sasl_server_destroy(&s);

	/* an empty password */
	s = sasl_server_create(SASL_MECH_LOGIN);
	CHECK_INT(sasl_server_start(s, "dGlt", &out, &error), SASL_CHALLENGE);
	CHECK_INT(sasl_server_step(s, "", &out, &error), SASL_REFUSED);
	sasl_server_destroy(&s);
}

static void test_out_of_turn(void)
{
	struct sasl_server *s = sasl_server_create(SASL_MECH_PLAIN);
	const char *out, *error;

	CHECK_INT(sasl_server_step(s, "AHRpbQB0YW5zdGFhZnRhbnN0YWFm", &out, &error), SASL_REFUSED);
	sasl_server_destroy(&s);
	s = sasl_server_create(SASL_MECH_PLAIN);
	CHECK_INT(sasl_server_scram_credentials(s, "x", &out, &error), SASL_REFUSED);
	sasl_server_destroy(&s);
	s = sasl_server_create(SASL_MECH_PLAIN);
	CHECK_INT(sasl_server_start(s, NULL, &out, &error), SASL_CHALLENGE);
	CHECK_INT(sasl_server_start(s, NULL, &out, &error), SASL_REFUSED);
	sasl_server_destroy(&s);
	sasl_server_destroy(&s); /* NULL-safe */
}

static void test_mech_names(void)
{
	enum sasl_mech m;

	CHECK_INT(sasl_mech_lookup("plain", &m), 0);
	CHECK_INT(m, SASL_MECH_PLAIN);
	CHECK_INT(sasl_mech_lookup("LOGIN", &m), 0);
	CHECK_INT(m, SASL_MECH_LOGIN);
	CHECK_INT(sasl_mech_lookup("Scram-Sha-256", &m), 0);
	CHECK_INT(m, SASL_MECH_SCRAM_SHA_256);
	CHECK_STR(sasl_mech_name(m), "SCRAM-SHA-256");
	CHECK_INT(sasl_mech_lookup("SCRAM-SHA-256-PLUS", &m), -1);
	CHECK_INT(sasl_mech_lookup("CRAM-MD5", &m), -1);
	CHECK(sasl_mech_is_plaintext(SASL_MECH_PLAIN));
	CHECK(sasl_mech_is_plaintext(SASL_MECH_LOGIN));
	CHECK(!sasl_mech_is_plaintext(SASL_MECH_SCRAM_SHA_256));
}

static void test_base64(void)
{
	struct pb_buf b;

	pb_buf_init(&b);
	CHECK_INT(sasl_base64_decode("dGlt", 3, &b), 0);
	CHECK_STR(b.data, "tim");
	CHECK_INT(sasl_base64_decode("dGlt", 2, &b), -1);
	CHECK_INT(sasl_base64_decode("dA==", 1, &b), 0);
	CHECK_INT(b.len, 1);
	CHECK_INT(sasl_base64_decode("dGk=", 2, &b), 0);
	CHECK_STR(b.data, "ti");
	CHECK_INT(sasl_base64_decode("", 0, &b), 0);
	CHECK_INT(b.len, 0);
	CHECK_INT(sasl_base64_decode("=", 0, &b), 0);
	CHECK_INT(sasl_base64_decode("====", 9, &b), -1);
	CHECK_INT(sasl_base64_decode("d===", 9, &b), -1);
	CHECK_INT(sasl_base64_decode("dA=A", 9, &b), -1);
	CHECK_INT(sasl_base64_decode("dGlt\n", 9, &b), -1);
	pb_buf_deinit(&b);
}

static const struct pb_test_case cases[] = {
	{ "plain_rfc4616", test_plain_rfc4616 },
	{ "plain_challenge_and_failure", test_plain_challenge_and_failure },
	{ "malformed", test_malformed },
	{ "overlong", test_overlong },
	{ "login", test_login },
	{ "out_of_turn", test_out_of_turn },
	{ "mech_names", test_mech_names },
	{ "base64", test_base64 },
};

PB_TEST_MAIN(cases)
