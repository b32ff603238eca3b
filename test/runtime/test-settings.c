/*
 * test-settings.c: the settings table — validation and merging of a change (a table of cases:
 * every kind of refusal, range edges, merge, null back to the default), loading a stored
 * document (bad stored values keep the default), rendering every key, and the runtime's
 * reference-counted snapshot.
 */
#include "pb-alloc.h"
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
	  "command_timeout_s, data_timeout_s, max_errors, bare_newlines, max_line_length, "
	  "relay_networks)" },
	{ "accounts", NULL, "{\"max_recipients\": 5}", NULL, "accounts.max_recipients: unknown key" },
	{ "smpt", NULL, "{}", NULL,
	  /* a prefix: the list grows with every document */
	  "unknown settings document \"smpt\" (known: smtp, accounts, quota, " },
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
	/* a string key (CIDR_LIST): merged as a JSON string, escaped, null back to the default */
	{ "limits", NULL, "{\"trusted_networks\": \"10.0.0.0/8, ::1\"}",
	  "{\"trusted_networks\":\"10.0.0.0/8, ::1\"}", NULL },
	{ "limits", NULL, "{\"trusted_networks\": \"\"}", "{\"trusted_networks\":\"\"}", NULL },
	{ "limits", "{\"trusted_networks\":\"10.0.0.0/8\",\"ip_max_connections\":5}",
	  "{\"trusted_networks\": null}", "{\"ip_max_connections\":5}", NULL },
	{ "limits", "{\"trusted_networks\":\"10.0.0.0/8\"}", "{\"ip_max_connections\": 5}",
	  "{\"ip_max_connections\":5,\"trusted_networks\":\"10.0.0.0/8\"}", NULL },
	{ "limits", NULL, "{\"trusted_networks\": \"10.0.0.0/8\", \"trusted_networks\": \"::1\"}",
	  "{\"trusted_networks\":\"::1\"}", NULL },
	/* string refusals: wrong type, too long, control characters, what the list check refuses */
	{ "limits", NULL, "{\"trusted_networks\": \"10.0.0.0/33\"}", NULL,
	  "limits.trusted_networks: '10.0.0.0/33': prefix longer than 32" },
	{ "limits", NULL, "{\"trusted_networks\": \"127.0.0.1 10.1.2.3/8\"}", NULL,
	  "limits.trusted_networks: '10.1.2.3/8': host bits set under the prefix (the network is "
	  "10.0.0.0/8)" },
	{ "limits", NULL, "{\"trusted_networks\": \"localhost\"}", NULL,
	  "limits.trusted_networks: 'localhost': not an IPv4 or IPv6 address" },
	{ "limits", NULL, "{\"trusted_networks\": 10}", NULL,
	  "limits.trusted_networks: expected a string of at most 255 bytes" },
	{ "limits", NULL, "{\"trusted_networks\": [\"10.0.0.0/8\"]}", NULL,
	  "limits.trusted_networks: expected a string of at most 255 bytes" },
	{ "limits", NULL, "{\"trusted_networks\": true}", NULL,
	  "limits.trusted_networks: expected a string" },
	{ "limits", NULL, "{\"trusted_networks\": \"10.0.0.0/8\\n::1\"}", NULL,
	  "limits.trusted_networks: control characters are not allowed" },
	{ "limits", NULL, "{\"trusted_networks\": \"10.0.0.0/8\\u007f\"}", NULL,
	  "limits.trusted_networks: control characters are not allowed" },
	{ "limits", NULL, "{\"ip_max_connections\": \"5\"}", NULL,
	  "limits.ip_max_connections: expected an integer from 0 to 65536" },
	/* a CHOICE key: one of its words, nothing else (not a prefix, not a longer word) */
	{ "smtp", NULL, "{\"bare_newlines\": \"reject\"}", "{\"bare_newlines\":\"reject\"}", NULL },
	{ "smtp", NULL, "{\"bare_newlines\": \"normalize\"}", "{\"bare_newlines\":\"normalize\"}",
	  NULL },
	{ "smtp", "{\"bare_newlines\":\"reject\"}", "{\"bare_newlines\": null}", "{}", NULL },
	{ "smtp", NULL, "{\"bare_newlines\": \"yes\"}", NULL,
	  "smtp.bare_newlines: expected one of: normalize reject" },
	{ "smtp", NULL, "{\"bare_newlines\": \"rej\"}", NULL,
	  "smtp.bare_newlines: expected one of: normalize reject" },
	{ "smtp", NULL, "{\"bare_newlines\": \"normalize reject\"}", NULL,
	  "smtp.bare_newlines: expected one of" },
	{ "smtp", NULL, "{\"bare_newlines\": \"\"}", NULL, "smtp.bare_newlines: expected one of" },
	{ "smtp", NULL, "{\"bare_newlines\": 1}", NULL, "smtp.bare_newlines: expected one of" },
	{ "smtp", NULL, "{\"max_line_length\": 999}", NULL,
	  "smtp.max_line_length: expected an integer from 1000 to 1073741824" },
	/* one bad string refuses the whole change */
	{ "limits", NULL, "{\"ip_max_connections\": 5, \"trusted_networks\": \"::/129\"}", NULL,
	  "limits.trusted_networks: '::/129': prefix longer than 128" },
	/* a bad stored string is dropped by the next change */
	{ "limits", "{\"trusted_networks\":\"bad\",\"ip_max_connections\":5}",
	  "{\"smtp_max_connections\": 9}", "{\"smtp_max_connections\":9,\"ip_max_connections\":5}",
	  NULL },
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
	CHECK_STR(s.smtp.bare_newlines, "normalize");
	CHECK_INT(s.smtp.max_line_length, 1048576);
	CHECK_INT(s.accounts.password_min_length, 5);
	CHECK_INT(s.storage.min_free_mb, 64);
	CHECK_INT(s.maintenance.interval_s, 3600);
	CHECK_INT(s.maintenance.dedupe_keep_days, 7);
	CHECK_STR(s.limits.trusted_networks.text, "127.0.0.0/8 ::1/128");
	CHECK_INT(s.limits.trusted_networks.list.n, 2); /* parsed */
	for (size_t i = 0; i < pb_n_settings; i++) {
		const struct pb_setting_desc *d = &pb_setting_descs[i];
		if (!pb_setting_is_string(d)) {
			CHECK_INT(pb_setting_value(&s, d), d->def);
			CHECK(pb_setting_text(&s, d) == NULL);
			continue;
		}
		CHECK_INT(pb_setting_value(&s, d), 0);
		CHECK_STR(pb_setting_text(&s, d), d->def_str);
		/* every string default passes its own validation */
		char *patch = xasprintf("{\"%s\": \"%s\"}", d->key, d->def_str);
		char *merged = NULL, *error = NULL;
		CHECK_INT(pb_settings_merge(d->doc, NULL, patch, &merged, &error), 0);
		if (error != NULL)
			fprintf(stderr, "  %s.%s default: %s\n", d->doc, d->key, error);
		free(merged);
		free(error);
		free(patch);
	}
}

/* The longest string a STR key takes, one byte more, and what loading a value does. */
static void test_string_length_and_load(void)
{
	const struct pb_setting_desc *d = NULL;
	char *merged = NULL, *error = NULL;
	struct pb_settings s;

	for (size_t i = 0; i < pb_n_settings; i++) {
		if (strcmp(pb_setting_descs[i].key, "trusted_networks") == 0)
			d = &pb_setting_descs[i];
	}
	REQUIRE(d != NULL && d->type == PB_SETTING_CIDR_LIST && d->max == 255);
	CHECK_INT(sizeof(s.limits.trusted_networks.text), d->max + 1);
	/* 255 bytes: spaces (separators) and one address at the end */
	char text[256];
	memset(text, ' ', 255);
	text[255] = '\0';
	memcpy(text + 247, "10.0.0.2", 8);
	REQUIRE(strlen(text) == 255);
	char *patch = xasprintf("{\"trusted_networks\": \"%s\"}", text);
	CHECK_INT(pb_settings_merge("limits", NULL, patch, &merged, &error), 0);
	pb_settings_defaults(&s);
	CHECK_INT(pb_settings_load(&s, "limits", merged, &error), 0);
	CHECK_STR(s.limits.trusted_networks.text, text);
	CHECK(pb_settings_trusted(&s, "10.0.0.2"));
	CHECK(!pb_settings_trusted(&s, "127.0.0.1")); /* the default no longer applies */
	free(patch);
	free(merged);
	merged = NULL;
	patch = xasprintf("{\"trusted_networks\": \"%s \"}", text);
	CHECK_INT(pb_settings_merge("limits", NULL, patch, &merged, &error), -1);
	CHECK_STR(error, "limits.trusted_networks: expected a string of at most 255 bytes");
	CHECK(merged == NULL);
	free(error);
	free(patch);

	/* a stored value that no longer passes keeps the default, list included */
	CHECK_INT(pb_settings_load(&s, "limits", "{\"trusted_networks\":\"10.0.0.0/33\"}", &error),
		  1);
	CHECK_STR(error, "limits.trusted_networks: '10.0.0.0/33': prefix longer than 32");
	free(error);
	CHECK_STR(s.limits.trusted_networks.text, "127.0.0.0/8 ::1/128");
	CHECK(pb_settings_trusted(&s, "127.0.0.1"));
	CHECK(pb_settings_trusted(&s, "::1"));
	CHECK(pb_settings_trusted(&s, "::ffff:127.1.2.3"));
	CHECK(!pb_settings_trusted(&s, "10.0.0.2"));
	/* null in the store (and no document) is the default too */
	CHECK_INT(pb_settings_load(&s, "limits", "{\"trusted_networks\":\"::2\"}", &error), 0);
	CHECK(pb_settings_trusted(&s, "::2") && !pb_settings_trusted(&s, "::1"));
	CHECK_INT(pb_settings_load(&s, "limits", NULL, &error), 0);
	CHECK(pb_settings_trusted(&s, "::1") && !pb_settings_trusted(&s, "::2"));
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
			"  \"max_errors\": 20,\n  \"bare_newlines\": \"normalize\",\n"
			"  \"max_line_length\": 1048576,\n  \"relay_networks\": \"\"\n}");
	free(json);
	CHECK(pb_settings_render(&s, "nope") == NULL);
	/* what render prints is a valid change that sets the same values */
	json = pb_settings_render(&s, "maintenance");
	char *merged = NULL, *error = NULL;
	CHECK_INT(pb_settings_merge("maintenance", NULL, json, &merged, &error), 0);
	CHECK_STR(merged, "{\"interval_s\":3600,\"dedupe_keep_days\":7}");
	free(merged);
	free(json);

	/* a string is rendered quoted, and the rendering is a valid change that sets it again */
	CHECK_INT(pb_settings_load(&s, "limits", "{\"trusted_networks\":\"10.0.0.0/8, ::1\"}",
				   &error),
		  0);
	json = pb_settings_render(&s, "limits");
	CHECK_STR(json, "{\n  \"smtp_max_connections\": 1000,\n  \"pop3_max_connections\": 1000,\n"
			"  \"imap_max_connections\": 1000,\n"
			"  \"status_max_connections\": 100,\n"
			"  \"web_max_connections\": 1000,\n"
			"  \"ip_max_connections\": 50,\n  \"ip_connections_per_minute\": 600,\n"
			"  \"message_bytes_in_flight_mb\": 256,\n"
			"  \"reader_envelope_cache_mb\": 16,\n"
			"  \"trusted_networks\": \"10.0.0.0/8, ::1\",\n"
			"  \"user_messages_per_hour\": 0,\n  \"user_messages_per_day\": 0\n}");
	CHECK_INT(pb_settings_merge("limits", NULL, json, &merged, &error), 0);
	CHECK(merged != NULL && strstr(merged, "\"trusted_networks\":\"10.0.0.0/8, ::1\",") != NULL);
	free(merged);
	free(json);
}

/* A string is taken as JSON decodes it (escapes included) and stored re-encoded; the
 * quote a CIDR list refuses is named as it was given. */
static void test_string_json_forms(void)
{
	char *merged = NULL, *error = NULL;

	CHECK_INT(pb_settings_merge("limits", NULL, "{\"trusted_networks\": \"::1\\u0020\"}", &merged,
				    &error),
		  0);
	CHECK_STR(merged, "{\"trusted_networks\":\"::1 \"}");
	free(merged);
	CHECK_INT(pb_settings_merge("limits", NULL, "{\"trusted_networks\": \"::1\\\"\"}", &merged,
				    &error),
		  -1);
	CHECK_STR(error, "limits.trusted_networks: '::1\"': not an IPv4 or IPv6 address");
	free(error);
}

/* The snapshot's lists follow their text however the settings were made. */
static void test_snapshot_parses_lists(void)
{
	struct pb_runtime *rt = pb_runtime_create("t", NULL);
	struct pb_settings s;

	const struct pb_settings *def = pb_settings_acquire(rt);
	CHECK(pb_settings_trusted(def, "127.0.0.1")); /* the defaults before any publish */
	CHECK(!pb_settings_trusted(def, "192.0.2.1"));
	pb_settings_release(rt, def);
	pb_settings_defaults(&s);
	snprintf(s.limits.trusted_networks.text, sizeof(s.limits.trusted_networks.text),
		 "192.0.2.0/24"); /* written by hand, list not parsed */
	pb_settings_publish(rt, &s);
	const struct pb_settings *now = pb_settings_acquire(rt);
	CHECK(pb_settings_trusted(now, "192.0.2.1"));
	CHECK(!pb_settings_trusted(now, "127.0.0.1"));
	pb_settings_release(rt, now);
	pb_runtime_destroy(&rt);
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

/* The stored server script rides with the snapshots: published with the current settings,
 * kept by a later settings publish, dropped by publishing NULL; a held snapshot keeps its own. */
static void test_snapshot_server_script(void)
{
	struct pb_runtime *rt = pb_runtime_create("t", NULL);
	struct pb_settings s;

	const struct pb_settings *none = pb_settings_acquire(rt);
	CHECK(pb_settings_server_script(none) == NULL);
	pb_settings_defaults(&s);
	s.smtp.max_recipients = 42;
	pb_settings_publish(rt, &s);
	char text[] = "keep()\n";
	pb_settings_publish_server_script(rt, text);
	text[0] = 'X'; /* published by copy */
	const struct pb_settings *one = pb_settings_acquire(rt);
	CHECK_STR(pb_settings_server_script(one), "keep()\n");
	CHECK_INT(one->smtp.max_recipients, 42); /* with the current settings */
	s.smtp.max_recipients = 43;
	pb_settings_publish(rt, &s);
	const struct pb_settings *two = pb_settings_acquire(rt);
	CHECK_STR(pb_settings_server_script(two), "keep()\n"); /* kept by a settings change */
	CHECK_INT(two->smtp.max_recipients, 43);
	pb_settings_publish_server_script(rt, NULL);
	const struct pb_settings *three = pb_settings_acquire(rt);
	CHECK(pb_settings_server_script(three) == NULL);
	CHECK_STR(pb_settings_server_script(one), "keep()\n"); /* held: unchanged */
	CHECK(pb_settings_server_script(none) == NULL);
	pb_settings_release(rt, none);
	pb_settings_release(rt, one);
	pb_settings_release(rt, two);
	pb_settings_release(rt, three);
	pb_runtime_destroy(&rt);
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
	{ "string_length_and_load", test_string_length_and_load },
	{ "render_every_key", test_render_every_key },
	{ "string_json_forms", test_string_json_forms },
	{ "snapshot_parses_lists", test_snapshot_parses_lists },
	{ "snapshot_publish_and_release", test_snapshot_publish_and_release },
	{ "snapshot_server_script", test_snapshot_server_script },
	{ "snapshot_concurrent_readers", test_snapshot_concurrent_readers },
};

PB_TEST_MAIN(cases)
