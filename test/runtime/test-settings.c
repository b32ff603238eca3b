/*
 * test-settings.c: the settings table — validation and merging of a change (a table of cases:
 * every kind of refusal, range edges, merge, null back to the default), loading a stored
 * document (bad stored values keep the default), rendering every key, and the runtime's
 * reference-counted snapshot.
 */
#include "pb-settings-snapshot.h"
#include "pb-runtime.h"
#include "pb-test.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>

struct merge_case {
	const char *doc, *stored, *patch;
	const char *merged; /* expected stored document, or NULL: refused */
	const char *error;  /* expected refusal text (prefix) */
};

static const struct merge_case merge_cases[] = {
	/* accepted: only the given keys change */
	{ "smtp", NULL, "{}", "{}", NULL },
	{ "smtp", NULL, "{\"max_recipients\": 7}", "{\"max_recipients\":7}", NULL },
	{ "smtp", "{\"max_errors\":3}", "{\"max_recipients\": 7}",
	  "{\"max_recipients\":7,\"max_errors\":3}", NULL },
	{ "smtp", "{\"max_errors\":3,\"max_recipients\":9}", "{\"max_recipients\": null}",
	  "{\"max_errors\":3}", NULL },
	{ "smtp", NULL, "{\"max_recipients\": null}", "{}", NULL },
	/* range edges */
	{ "smtp", NULL, "{\"max_recipients\": 1}", "{\"max_recipients\":1}", NULL },
	{ "smtp", NULL, "{\"max_recipients\": 10000}", "{\"max_recipients\":10000}", NULL },
	{ "smtp", NULL, "{\"max_recipients\": 10001}", NULL,
	  "smtp.max_recipients: expected an integer from 1 to 10000" },
	{ "smtp", NULL, "{\"max_recipients\": 0}", NULL,
	  "smtp.max_recipients: expected an integer from 1 to 10000" },
	{ "smtp", NULL, "{\"max_message_size\": 1073741824}", "{\"max_message_size\":1073741824}",
	  NULL },
	{ "smtp", NULL, "{\"max_message_size\": 1073741825}", NULL,
	  "smtp.max_message_size: expected an integer from 1024 to 1073741824" },
	{ "smtp", NULL, "{\"max_message_size\": 0}", NULL,
	  "smtp.max_message_size: expected an integer from 1024 to 1073741824" },
	{ "smtp", NULL, "{\"max_message_size\": 1023}", NULL,
	  "smtp.max_message_size: expected an integer from 1024 to 1073741824" },
	{ "storage", NULL, "{\"min_free_mb\": 0}", "{\"min_free_mb\":0}", NULL },
	{ "storage", NULL, "{\"min_free_mb\": -1}", NULL,
	  "storage.min_free_mb: expected an integer from 0 to 1048576" },
	/* wrong types */
	{ "smtp", NULL, "{\"max_recipients\": \"lots\"}", NULL,
	  "smtp.max_recipients: expected an integer from 1 to 10000" },
	{ "smtp", NULL, "{\"max_recipients\": \"7\"}", NULL, "smtp.max_recipients: expected" },
	{ "smtp", NULL, "{\"max_recipients\": 7.5}", NULL, "smtp.max_recipients: expected" },
	{ "smtp", NULL, "{\"max_recipients\": true}", NULL, "smtp.max_recipients: expected" },
	{ "smtp", NULL, "{\"max_recipients\": [7]}", NULL, "smtp.max_recipients: expected" },
	{ "smtp", NULL, "{\"max_recipients\": 1e300}", NULL, "smtp.max_recipients: expected" },
	/* unknown keys and documents, not an object */
	{ "smtp", NULL, "{\"max_recipents\": 5}", NULL,
	  "smtp.max_recipents: unknown key (known: max_message_size, max_recipients, "
	  "command_timeout_s, data_timeout_s, max_errors)" },
	{ "accounts", NULL, "{\"max_recipients\": 5}", NULL, "accounts.max_recipients: unknown key" },
	{ "smpt", NULL, "{}", NULL,
	  "unknown settings document \"smpt\" (known: smtp, accounts, storage, maintenance, limits)" },
	{ "smtp", NULL, "[1,2]", NULL, "smtp: a settings change must be a JSON object" },
	{ "smtp", NULL, "{broken", NULL, "smtp: a settings change must be a JSON object" },
	{ "smtp", NULL, "-5", NULL, "smtp: a settings change must be a JSON object" },
	/* one bad key refuses the whole change */
	{ "smtp", "{\"max_errors\":3}", "{\"max_recipients\": 7, \"max_errors\": 0}", NULL,
	  "smtp.max_errors: expected an integer from 1 to 10000" },
	/* bad stored values (an older version, a hand edit) are dropped by the next change */
	{ "smtp", "{\"max_recipients\":\"lots\",\"typo\":1,\"max_errors\":3}", "{\"data_timeout_s\": 9}",
	  "{\"data_timeout_s\":9,\"max_errors\":3}", NULL },
	{ "smtp", "[]", "{\"max_errors\": 4}", "{\"max_errors\":4}", NULL },
};

static void test_merge_table(void)
{
	for (size_t i = 0; i < PB_N_ELEMENTS(merge_cases); i++) {
		const struct merge_case *c = &merge_cases[i];
		char *merged = NULL, *error = NULL;
		int rc = pb_settings_merge(c->doc, c->stored, c->patch, &merged, &error);

		if (c->merged != NULL) {
			CHECK_INT(rc, 0);
			CHECK_STR(merged, c->merged);
		} else {
			CHECK_INT(rc, -1);
			CHECK(merged == NULL);
			REQUIRE(error != NULL);
			if (strncmp(error, c->error, strlen(c->error)) != 0) {
				fprintf(stderr, "  case %zu: got \"%s\"\n", i, error);
				CHECK(!"refusal text");
			}
		}
		free(merged);
		free(error);
	}
}

static void test_defaults_match_the_table(void)
{
	struct pb_settings s;

	pb_settings_defaults(&s);
	CHECK_INT(s.smtp.max_message_size, 50ull * 1024 * 1024);
	CHECK_INT(s.smtp.max_recipients, 100);
	CHECK_INT(s.smtp.command_timeout_s, 300);
	CHECK_INT(s.smtp.data_timeout_s, 180);
	CHECK_INT(s.smtp.max_errors, 20);
	CHECK_INT(s.accounts.password_min_length, 5);
	CHECK_INT(s.storage.min_free_mb, 64);
	CHECK_INT(s.maintenance.interval_s, 3600);
	CHECK_INT(s.maintenance.dedupe_keep_days, 7);
	for (size_t i = 0; i < pb_n_settings; i++)
		CHECK_INT(pb_setting_value(&s, &pb_setting_descs[i]), pb_setting_descs[i].def);
}

static void test_load_keeps_defaults_for_bad_values(void)
{
	struct pb_settings s;
	char *problem = NULL;

	pb_settings_defaults(&s);
	s.smtp.max_errors = 99; /* a key the stored document leaves out returns to its default */
	CHECK_INT(pb_settings_load(&s, "smtp", "{\"max_recipients\":7,\"max_message_size\":0,"
					       "\"command_timeout_s\":\"x\",\"nope\":1}",
				   &problem),
		  3);
	CHECK_STR(problem, "smtp.max_message_size: expected an integer from 1024 to 1073741824");
	free(problem);
	CHECK_INT(s.smtp.max_recipients, 7);
	CHECK_INT(s.smtp.max_message_size, 52428800);
	CHECK_INT(s.smtp.command_timeout_s, 300);
	CHECK_INT(s.smtp.max_errors, 20);

	CHECK_INT(pb_settings_load(&s, "smtp", NULL, &problem), 0);
	CHECK(problem == NULL);
	CHECK_INT(s.smtp.max_recipients, 100);
	CHECK_INT(pb_settings_load(&s, "storage", "not json", &problem), 1);
	CHECK_STR(problem, "storage: the stored document is not a JSON object");
	free(problem);
	CHECK_INT(pb_settings_load(&s, "nope", "{}", &problem), -1);
	CHECK(problem != NULL && strstr(problem, "unknown settings document") != NULL);
	free(problem);
}

static void test_render_every_key(void)
{
	struct pb_settings s;

	pb_settings_defaults(&s);
	s.smtp.max_recipients = 7;
	char *json = pb_settings_render(&s, "smtp");
	CHECK_STR(json, "{\n  \"max_message_size\": 52428800,\n  \"max_recipients\": 7,\n"
			"  \"command_timeout_s\": 300,\n  \"data_timeout_s\": 180,\n"
			"  \"max_errors\": 20\n}");
	free(json);
	CHECK(pb_settings_render(&s, "nope") == NULL);
	/* what render prints is a valid change that sets the same values */
	json = pb_settings_render(&s, "maintenance");
	char *merged = NULL, *error = NULL;
	CHECK_INT(pb_settings_merge("maintenance", NULL, json, &merged, &error), 0);
	CHECK_STR(merged, "{\"interval_s\":3600,\"dedupe_keep_days\":7}");
	free(merged);
	free(json);
}

static void test_snapshot_publish_and_release(void)
{
	struct pb_runtime *rt = pb_runtime_create("t", NULL);
	struct pb_settings s;

	const struct pb_settings *before = pb_settings_acquire(rt);
	CHECK_INT(before->smtp.max_recipients, 100); /* the defaults before any publish */
	pb_settings_defaults(&s);
	s.smtp.max_recipients = 42;
	pb_settings_publish(rt, &s);
	s.smtp.max_recipients = 43; /* published by copy */
	const struct pb_settings *after = pb_settings_acquire(rt);
	CHECK_INT(after->smtp.max_recipients, 42);
	CHECK_INT(before->smtp.max_recipients, 100); /* a held snapshot never changes */
	CHECK(after != before);
	pb_settings_release(rt, before);
	pb_settings_release(rt, after);
	pb_settings_release(rt, NULL);
	pb_runtime_destroy(&rt); /* frees the current one; ASan reports a leak or double free */
}

struct racer {
	struct pb_runtime *rt;
	atomic_int torn;
};

static void *read_many(void *arg)
{
	struct racer *r = arg;
	for (int i = 0; i < 20000; i++) {
		const struct pb_settings *s = pb_settings_acquire(r->rt);
		/* the publisher keeps both keys equal: a reader never sees half a change */
		atomic_fetch_add(&r->torn, s->smtp.max_errors != s->smtp.max_recipients);
		pb_settings_release(r->rt, s);
	}
	return NULL;
}

static void test_snapshot_concurrent_readers(void)
{
	struct racer r = { pb_runtime_create("t", NULL), 0 };
	struct pb_settings s;
	pthread_t th[2];

	pb_settings_defaults(&s);
	s.smtp.max_errors = s.smtp.max_recipients;
	pb_settings_publish(r.rt, &s);
	for (int i = 0; i < 2; i++)
		pthread_create(&th[i], NULL, read_many, &r);
	for (uint32_t v = 1; v <= 2000; v++) {
		s.smtp.max_errors = s.smtp.max_recipients = v;
		pb_settings_publish(r.rt, &s);
	}
	for (int i = 0; i < 2; i++)
		pthread_join(th[i], NULL);
	CHECK_INT(atomic_load(&r.torn), 0);
	const struct pb_settings *last = pb_settings_acquire(r.rt);
	CHECK_INT(last->smtp.max_recipients, 2000);
	pb_settings_release(r.rt, last);
	pb_runtime_destroy(&r.rt);
}

static const struct pb_test_case cases[] = {
	{ "merge_table", test_merge_table },
	{ "defaults_match_the_table", test_defaults_match_the_table },
	{ "load_keeps_defaults_for_bad_values", test_load_keeps_defaults_for_bad_values },
	{ "render_every_key", test_render_every_key },
	{ "snapshot_publish_and_release", test_snapshot_publish_and_release },
	{ "snapshot_concurrent_readers", test_snapshot_concurrent_readers },
};

PB_TEST_MAIN(cases)
