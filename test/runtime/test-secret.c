/*
 * test-secret.c: secrets at rest (pb-secret.h) — the key made once with mode 0600 and read back,
 * seal/open round trips, a fresh nonce per seal, tampering and another key refused, plain text
 * taken as it is.
 * OWNS: a temporary directory. THREAD: main only.
 */
#include "pb-secret.h"

#include "pb-test.h"

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static void test_key_and_round_trip(void)
{
	char dir[] = "/tmp/pb-secret-XXXXXX";
	uint8_t k1[PB_SECRET_KEY_LEN], k2[PB_SECRET_KEY_LEN];
	const char *err = NULL;
	char path[64], *plain = NULL;
	struct stat st;

	REQUIRE(mkdtemp(dir) != NULL);
	CHECK_INT(pb_secret_key_load(dir, k1, &err), 0);
	CHECK_INT(pb_secret_key_load(dir, k2, &err), 0);
	CHECK(memcmp(k1, k2, sizeof(k1)) == 0); /* made once */
	snprintf(path, sizeof(path), "%s/secret.key", dir);
	CHECK_INT(stat(path, &st), 0);
	CHECK_INT(st.st_mode & 0777, 0600);
	char *a = pb_secret_seal(k1, "hunter2 with spaces");
	char *b = pb_secret_seal(k1, "hunter2 with spaces");
	CHECK(strncmp(a, "enc1:", 5) == 0);
	CHECK(strstr(a, "hunter2") == NULL);
	CHECK(strcmp(a, b) != 0); /* a fresh nonce each time */
	CHECK_INT(pb_secret_open(k1, a, &plain), 0);
	CHECK_STR(plain, "hunter2 with spaces");
	free(plain);
	a[10] ^= 1; /* tampered */
	CHECK_INT(pb_secret_open(k1, a, &plain), -1);
	k2[0] ^= 1; /* another key */
	CHECK_INT(pb_secret_open(k2, b, &plain), -1);
	CHECK_INT(pb_secret_open(k1, "enc1:!!", &plain), -1);
	CHECK_INT(pb_secret_open(k1, "enc1:", &plain), -1);
	CHECK_INT(pb_secret_open(k1, "plain text", &plain), 0);
	CHECK_STR(plain, "plain text");
	free(plain);
	char *empty = pb_secret_seal(k1, "");
	CHECK_STR(empty, "");
	free(empty);
	free(a);
	free(b);
	/* a key file of the wrong size is an error, not a key */
	CHECK_INT(truncate(path, 5), 0);
	CHECK_INT(pb_secret_key_load(dir, k1, &err), -1);
	CHECK(strstr(err, "secret.key") != NULL);
	unlink(path);
	rmdir(dir);
}

static const struct pb_test_case cases[] = {
	{ "key_and_round_trip", test_key_and_round_trip },
};

PB_TEST_MAIN(cases)
