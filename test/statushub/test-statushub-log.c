/*
 * test-statushub-log.c: the status hub's activity log — oldest first, the last 100 kept
 * (the 101st drops the first), texts cut at STATUSHUB_TEXT_MAX on a character boundary and
 * control characters made spaces. The API key table: a key made from given octets, found by
 * its hash only, labels and permissions checked, kept through its JSON record, removed.
 */
#include "pb-alloc.h"
#include "pb-test.h"
#include "statushub-apikeys.h"
#include "statushub-log.h"

#include <stdio.h>

static void test_order_and_wrap(void)
{
	struct statushub_log l;
	char text[32];

	statushub_log_init(&l);
	for (int i = 0; i < 250; i++) {
		snprintf(text, sizeof(text), "item %d", i);
		statushub_log_add(&l, 1000 + i, text);
		CHECK_INT(l.n, i + 1 < STATUSHUB_LOG_MAX ? i + 1 : STATUSHUB_LOG_MAX);
	}
	REQUIRE(l.n == STATUSHUB_LOG_MAX);
	CHECK_STR(statushub_log_at(&l, 0)->text, "item 150");
	CHECK_INT(statushub_log_at(&l, 0)->time_ms, 1150);
	CHECK_STR(statushub_log_at(&l, 99)->text, "item 249");
	for (size_t i = 1; i < l.n; i++)
		CHECK(statushub_log_at(&l, i)->time_ms == statushub_log_at(&l, i - 1)->time_ms + 1);
	statushub_log_deinit(&l);
}

static void test_text_cleaned(void)
{
	struct statushub_log l;
	char big[STATUSHUB_TEXT_MAX + 10];

	statushub_log_init(&l);
	CHECK_STR(statushub_log_add(&l, 1, "a\r\nb\tc\x1b")->text, "a  b c ");
	CHECK_STR(statushub_log_add(&l, 2, NULL)->text, "");
	/* "é" (2 octets) across the limit is not cut in half */
	memset(big, 'x', sizeof(big));
	big[STATUSHUB_TEXT_MAX - 1] = (char)0xc3;
	big[STATUSHUB_TEXT_MAX] = (char)0xa9;
	big[sizeof(big) - 1] = '\0';
	const char *kept = statushub_log_add(&l, 3, big)->text;
	CHECK_INT(strlen(kept), STATUSHUB_TEXT_MAX - 1);
	CHECK_INT(l.n, 3);
	statushub_log_deinit(&l);
}

static void test_api_keys(void)
{
	struct statushub_apikeys t = { 0 }, back = { 0 };
	uint8_t random[STATUSHUB_APIKEY_RANDOM];
	char key[STATUSHUB_APIKEY_LEN + 1], other[STATUSHUB_APIKEY_LEN + 1];
	const char *error = NULL;

	for (size_t i = 0; i < sizeof(random); i++)
		random[i] = (uint8_t)i;
	REQUIRE(statushub_apikeys_add(&t, "nagios", NULL, random, 1000, key, &error) == 0);
	CHECK_STR(key, "pbk_000102030405060708090a0b0c0d0e0f1011121314151617");
	CHECK_STR(t.v[0].permissions, "view_connection,view_totals,view_log");
	CHECK(strstr(t.v[0].hash, "0001020304") == NULL); /* the hash, not the key */
	random[0] = 0xff;
	CHECK_INT(statushub_apikeys_add(&t, "nagios", "all", random, 1, other, &error), -1);
	CHECK(strstr(error, "exists") != NULL);
	CHECK_INT(statushub_apikeys_add(&t, "bad label", "all", random, 1, other, &error), -1);
	CHECK_INT(statushub_apikeys_add(&t, "ops", "view_log,fly", random, 1, other, &error), -1);
	CHECK_INT(statushub_apikeys_add(&t, "ops", "shutdown connect", random, 2, other, &error), 0);
	CHECK_STR(t.v[1].permissions, "connect,shutdown");
	/* a web role rides among the names, kept as given; one at most, web_user with a name */
	char third[STATUSHUB_APIKEY_LEN + 1];
	random[0] = 0xfe;
	CHECK_INT(statushub_apikeys_add(&t, "ci", "view_log,web_user:ann", random, 3, third, &error), 0);
	CHECK_STR(t.v[2].permissions, "view_log,web_user:ann");
	CHECK_INT(statushub_apikeys_add(&t, "ci2", "web_admin,web_user:ann", random, 3, third, &error),
		  -1);
	CHECK_INT(statushub_apikeys_add(&t, "ci2", "web_user:", random, 3, third, &error), -1);
	CHECK_INT(statushub_apikeys_add(&t, "ci2", "web_admin", random, 3, third, &error), 0);
	CHECK_STR(t.v[3].permissions, "web_admin");
	statushub_apikeys_del(&t, "ci");
	statushub_apikeys_del(&t, "ci2");
	CHECK(statushub_apikeys_check(&t, key) == &t.v[0]);
	CHECK(statushub_apikeys_check(&t, other) == &t.v[1]);
	key[10] ^= 1;
	CHECK(statushub_apikeys_check(&t, key) == NULL);
	key[10] ^= 1;
	CHECK(statushub_apikeys_check(&t, "pbk_short") == NULL);
	CHECK(statushub_apikeys_check(&t, NULL) == NULL);
	char *json = statushub_apikeys_json(&t);
	CHECK(strstr(json, key) == NULL);
	statushub_apikeys_from_json(json, &back);
	free(json);
	REQUIRE(back.n == 2);
	CHECK(statushub_apikeys_check(&back, other) == &back.v[1]);
	CHECK_INT(back.v[0].created_ms, 1000);
	CHECK_INT(statushub_apikeys_del(&back, "nagios"), 0);
	CHECK_INT(statushub_apikeys_del(&back, "nagios"), -1);
	CHECK(statushub_apikeys_check(&back, key) == NULL);
	CHECK(statushub_apikeys_check(&back, other) != NULL);
	statushub_apikeys_free(&back);
	statushub_apikeys_from_json("{\"keys\":[{\"label\":\"x\"},7]}", &back); /* not well formed */
	CHECK_INT(back.n, 0);
	statushub_apikeys_from_json(NULL, &back);
	CHECK_INT(back.n, 0);
	statushub_apikeys_free(&t);
}

static const struct pb_test_case cases[] = {
	{ "order_and_wrap", test_order_and_wrap },
	{ "text_cleaned", test_text_cleaned },
	{ "api_keys", test_api_keys },
};

int main(void)
{
	return pb_test_run(cases, PB_N_ELEMENTS(cases));
}
