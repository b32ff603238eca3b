/*
 * test-sys-actor.c: the sys actor over a real store: at init it loads the stored settings
 * (bad stored values keep their default) and publishes them; a refused change writes and
 * publishes nothing; an accepted one is merged into the stored document, published as a new
 * snapshot and given to the store (its free-space reserve); a status has the account and
 * domain counts of a real directory (sys reads no account), and a temporary failure without one;
 * it also sums the gateways' and spool shards' last reports (a newer report replaces the
 * older), the store's disk figures and the log's recent warnings; the server script stored,
 * versioned and published with the settings; a TLS certificate installed (files 0600, a
 * mismatched pair refused, pairs no setting names pruned but the newest two).
 */
#include "directory-actor.h"
#include "pb-log.h"
#include "pb-settings-snapshot.h"
#include "pb-test.h"
#include "store-accounts.h"
#include "store-settings.h"
#include "store-spool.h" /* PB_SPOOL_MAX_RCPTS: a setting bounded by the spool's cap */
#include "pb-test-files.h"
#include "pb-test-store.h"
#include "pb-tls.h"
#include "sys-actor.h"
#include "sys-client.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <time.h>
#include <sys/statvfs.h>

struct fixture {
	char *dir;
	struct pb_store *store;
	struct pb_runtime *rt;
	struct pb_caller *c;
	struct sys_actor_args args;
};

/* Starts a runtime with sys on f's store, and a caller. */
static void start(struct fixture *f)
{
	const char *error;

	f->rt = pb_runtime_create("t", NULL);
	if (pb_runtime_start(f->rt, &sys_actor_def, &f->args, &error) < 0)
		PANIC("cannot start: %s", error);
	f->c = pb_caller_create(f->rt);
}

/* Opens a store, writes `smtp` as the stored smtp document (NULL: none), starts sys. */
static void setup(struct fixture *f, const char *smtp)
{
	const char *error;

	f->dir = store_test_tmpdir("sys");
	f->store = store_test_open(f->dir);
	if (smtp != NULL && pb_store_setting_put(f->store, "smtp", smtp, &error) < 0)
		PANIC("put: %s", error);
	f->args = (struct sys_actor_args){ f->store, 0, "test", NULL };
	start(f);
}

static void teardown(struct fixture *f)
{
	pb_caller_destroy(&f->c);
	pb_runtime_destroy(&f->rt);
	store_test_done(&f->store, &f->dir);
}

/* Sends a settings request; returns its status, with the reply's text in *text_r (allocated:
 * the error, or the document for a get). */
static uint32_t call(struct fixture *f, enum pb_msg_type type, const char *doc, const char *json,
		     char **text_r)
{
	struct pb_msg req, rep;
	const char *error;

	pb_msg_init(&req, type);
	if (type == MSG_SYS_SETTING_GET_REQ) {
		req.u.sys_setting_get_req.key = xstrdup(doc);
	} else {
		req.u.sys_setting_put_req.key = xstrdup(doc);
		req.u.sys_setting_put_req.json = xstrdup(json);
		req.u.sys_setting_put_req.by = xstrdup("test:me");
	}
	if (pb_call(f->c, NULL, &req, &rep, 10000, &error) < 0)
		PANIC("call: %s", error);
	pb_msg_free(&req);
	uint32_t code = pb_msg_status(&rep, &error);
	*text_r = xstrdup(code == PB_OK && rep.type == MSG_SYS_SETTING_GET_REP
				  ? rep.u.sys_setting_get_rep.json
				  : error);
	pb_msg_free(&rep);
	return code;
}

static char *stored(struct fixture *f, const char *doc)
{
	char *json = NULL;
	const char *error;
	int found = pb_store_setting_get(f->store, doc, &json, &error);
	if (found < 0)
		PANIC("get: %s", error);
	return found ? json : xstrdup("(none)");
}

static uint32_t snapshot_recipients(struct fixture *f)
{
	const struct pb_settings *s = pb_settings_acquire(f->rt);
	uint32_t v = s->smtp.max_recipients;
	pb_settings_release(f->rt, s);
	return v;
}

static void test_init_loads_and_publishes(void)
{
	struct fixture f;
	char *text;

	setup(&f, "{\"max_recipients\":7,\"max_errors\":\"lots\"}");
	/* the first answer comes after init: by then the snapshot is published */
	CHECK_INT(call(&f, MSG_SYS_SETTING_GET_REQ, "smtp", NULL, &text), PB_OK);
	CHECK(strstr(text, "\"max_recipients\": 7,") != NULL);
	CHECK(strstr(text, "\"max_errors\": 20,\n") != NULL); /* bad stored value: the default */
	CHECK(strstr(text, "\"max_message_size\": 52428800,") != NULL);
	free(text);
	CHECK_INT(snapshot_recipients(&f), 7);
	CHECK_INT(call(&f, MSG_SYS_SETTING_GET_REQ, "smpt", NULL, &text), PB_ERR_REFUSED);
	CHECK(strstr(text, "unknown settings document \"smpt\"") != NULL);
	free(text);
	teardown(&f);
}

static void test_refused_change_writes_nothing(void)
{
	static const char *const bad[][2] = {
		{ "{\"max_recipients\":\"lots\"}", "smtp.max_recipients: expected an integer from 1 to 10000" },
		{ "{\"max_recipents\":5}", "smtp.max_recipents: unknown key" },
		{ "{\"max_recipients\":10001}", "smtp.max_recipients: expected" },
		{ "{\"max_message_size\":0}", "smtp.max_message_size: expected an integer from 1024" },
		{ "{\"max_errors\":5,\"max_recipients\":-5}", "smtp.max_recipients: expected" },
		{ "-5", "smtp: a settings change must be a JSON object" },
	};
	struct fixture f;
	char *text;

	setup(&f, "{\"max_recipients\":7}");
	for (size_t i = 0; i < PB_N_ELEMENTS(bad); i++) {
		CHECK_INT(call(&f, MSG_SYS_SETTING_PUT_REQ, "smtp", bad[i][0], &text), PB_ERR_REFUSED);
		CHECK(strncmp(text, bad[i][1], strlen(bad[i][1])) == 0);
		free(text);
		text = stored(&f, "smtp");
		CHECK_STR(text, "{\"max_recipients\":7}");
		free(text);
		CHECK_INT(snapshot_recipients(&f), 7);
	}
	CHECK_INT(call(&f, MSG_SYS_SETTING_PUT_REQ, "nope", "{}", &text), PB_ERR_REFUSED);
	free(text);
	text = stored(&f, "nope");
	CHECK_STR(text, "(none)");
	free(text);
	teardown(&f);
}

static void test_accepted_change_merges_and_publishes(void)
{
	struct fixture f;
	char *text;

	setup(&f, "{\"max_recipients\":7}");
	const struct pb_settings *before = pb_settings_acquire(f.rt);
	CHECK_INT(call(&f, MSG_SYS_SETTING_PUT_REQ, "smtp", "{\"max_errors\": 3}", &text), PB_OK);
	free(text);
	const struct pb_settings *after = pb_settings_acquire(f.rt);
	CHECK_INT(after->smtp.max_errors, 3);
	CHECK_INT(after->smtp.max_recipients, 7); /* merged, not replaced */
	CHECK_INT(before->smtp.max_errors, 20);   /* the held snapshot stays as it was */
	pb_settings_release(f.rt, before);
	pb_settings_release(f.rt, after);
	text = stored(&f, "smtp");
	CHECK_STR(text, "{\"max_recipients\":7,\"max_errors\":3}");
	free(text);

	CHECK_INT(call(&f, MSG_SYS_SETTING_PUT_REQ, "smtp", "{\"max_recipients\": null}", &text),
		  PB_OK);
	free(text);
	CHECK_INT(snapshot_recipients(&f), 100);
	text = stored(&f, "smtp");
	CHECK_STR(text, "{\"max_errors\":3}");
	free(text);
	teardown(&f);
}

/* The store's free-space reserve follows storage.min_free_mb: a reserve larger than the disk's
 * free space leaves no room, and going back to the default does. */
static void test_store_reserve_follows_the_setting(void)
{
	struct fixture f;
	struct statvfs st;
	char *text;

	setup(&f, NULL);
	REQUIRE(statvfs(f.dir, &st) == 0);
	uint64_t free_mb = (uint64_t)st.f_bavail * st.f_frsize >> 20;
	REQUIRE(free_mb > 128 && free_mb < 1048576); /* the test needs a disk it can reason about */
	CHECK(pb_store_has_room(f.store, 1000));
	char *json = xasprintf("{\"min_free_mb\": %llu}", (unsigned long long)free_mb + 1024);
	CHECK_INT(call(&f, MSG_SYS_SETTING_PUT_REQ, "storage", json, &text), PB_OK);
	free(text);
	free(json);
	CHECK(!pb_store_has_room(f.store, 1000));
	CHECK_INT(call(&f, MSG_SYS_SETTING_PUT_REQ, "storage", "{\"min_free_mb\": null}", &text),
		  PB_OK);
	free(text);
	CHECK(pb_store_has_room(f.store, 1000));
	teardown(&f);
}

/* The spool refuses more recipients than PB_SPOOL_MAX_RCPTS: the setting may not allow more. */
static void test_max_recipients_within_the_spool_cap(void)
{
	for (size_t i = 0; i < pb_n_settings; i++) {
		const struct pb_setting_desc *d = &pb_setting_descs[i];
		if (strcmp(d->doc, "smtp") == 0 && strcmp(d->key, "max_recipients") == 0)
			CHECK(d->max <= PB_SPOOL_MAX_RCPTS);
	}
}

static void test_status_counts_from_the_directory(void)
{
	struct fixture f;
	struct sys_status st = { 0 };
	struct pb_sync t;
	uint32_t code = 99;
	const char *error;

	setup(&f, NULL);
	pb_sync_init_caller(&t, f.c, 10000);
	/* no directory yet: the status is a temporary failure, not made-up counts */
	REQUIRE(sys_client_status(&t, &code, &st, &error) == 0);
	CHECK_INT(code, PB_ERR_TEMP);
	for (uint64_t id = 1; id <= 3; id++) {
		struct pb_user_rec u = { .id = id };
		snprintf(u.name, sizeof(u.name), "u%llu", (unsigned long long)id);
		REQUIRE(pb_store_user_put(f.store, &u, &error) == 0);
	}
	REQUIRE(pb_store_domain_put(f.store, "example.org", &error) == 0);
	REQUIRE(pb_runtime_start(f.rt, &directory_actor_def, f.store, &error) == 0);
	REQUIRE(sys_client_status(&t, &code, &st, &error) == 0);
	CHECK_INT(code, PB_OK);
	CHECK_INT(st.users, 3);
	CHECK_INT(st.domains, 1);
	CHECK_STR(st.version, "test");
	CHECK(st.store_bytes > 0);
	sys_status_free(&st);
	teardown(&f);
}

/* A gateway's report: one listener on port, sessions open, received messages, and a TLS
 * certificate for tls_host (NULL: no TLS). */
static void report_gateway(struct fixture *f, const char *name, uint32_t port, uint64_t sessions,
			   uint64_t received, const char *tls_host)
{
	struct sys_gateway_stats gw = { .gateway = name, .received = received, .rcpts_refused = 1 };
	struct pb_rec_listener *l = pb_rec_listener_push(&gw.listeners);
	struct pb_rec_service_stat *sv = pb_rec_service_stat_push(&gw.services);
	const char *error;

	if (tls_host != NULL) {
		struct pb_rec_tls_cert *c = pb_rec_tls_cert_push(&gw.tls);
		c->subject = xstrdup(tls_host);
		c->names = xstrdup(tls_host);
		c->not_after = 1900000000;
		c->self_signed = c->generated = 1;
		c->sha256 = xstrdup("AB:CD");
		c->issuer = xstrdup("issuer.test");
	}

	l->service = xstrdup(name);
	l->address = xstrdup("127.0.0.1");
	l->port = port;
	l->state = xstrdup("listening");
	l->tls = xstrdup(tls_host != NULL ? "starttls" : "none");
	sv->service = xstrdup(name);
	sv->sessions = sessions;
	REQUIRE(sys_client_gateway_stats_cast(f->rt, &gw, &error) == 0);
	CHECK_INT(gw.listeners.n, 0); /* moved into the message */
	CHECK_INT(gw.tls.n, 0);
}

struct sums {
	struct fixture *f;
	struct sys_status st;
};

static bool reports_in(struct sums *s)
{
	struct pb_sync t;
	uint32_t code = 0;
	const char *error;

	sys_status_free(&s->st);
	pb_sync_init_caller(&t, s->f->c, 10000);
	return sys_client_status(&t, &code, &s->st, &error) == 0 && code == PB_OK &&
	       s->st.received == 7 && s->st.delivered == 5 && s->st.services.n == 2;
}

static void test_status_sums_the_reports(void)
{
	struct fixture f;
	struct sums s = { &f, { 0 } };
	const char *error;

	setup(&f, NULL);
	REQUIRE(pb_runtime_start(f.rt, &directory_actor_def, f.store, &error) == 0);
	pb_log_recent_clear();
	pb_warn("test", "event=boom reason=%s", PB_LOGQ("on purpose"));
	report_gateway(&f, "smtp", 2525, 0, 3, NULL);
	report_gateway(&f, "smtp", 2525, 2, 6, NULL); /* replaces the first */
	report_gateway(&f, "pop3", 1110, 1, 1, "pop.test");
	struct sys_spool_stats sp0 = { 0, 2, 1, 2, 4, 0 }, sp1 = { 1, 2, 0, 3, 0, 1 };
	REQUIRE(sys_client_spool_stats_cast(f.rt, &sp0, &error) == 0);
	REQUIRE(sys_client_spool_stats_cast(f.rt, &sp1, &error) == 0);
	bool in = false;
	for (int i = 0; i < 500 && !(in = reports_in(&s)); i++)
		usleep(10000); /* casts and the call take different pipes: poll for them */
	REQUIRE(in);
	CHECK_INT(s.st.listeners.n, 2);
	CHECK_INT(s.st.rcpts_refused, 2);
	CHECK_INT(s.st.spool_depth, 1);
	CHECK_INT(s.st.deferred, 4);
	CHECK_INT(s.st.delivery_failed, 1);
	uint64_t sessions = 0;
	for (uint32_t i = 0; i < s.st.services.n; i++)
		sessions += s.st.services.v[i].sessions;
	CHECK_INT(sessions, 3);
	CHECK(s.st.disk_free > 0 && s.st.disk_free != UINT64_MAX);
	CHECK(s.st.storage_left <= s.st.disk_free);
	bool boom = false;
	for (uint32_t i = 0; i < s.st.recent.n; i++)
		boom |= strcmp(s.st.recent.v[i].text, "event=boom reason=\"on purpose\"") == 0 &&
			strcmp(s.st.recent.v[i].level, "warn") == 0;
	CHECK(boom);
	/* the certificate, from the one gateway that has TLS */
	REQUIRE(s.st.tls.n == 1);
	CHECK_STR(s.st.tls.v[0].subject, "pop.test");
	CHECK_STR(s.st.tls.v[0].names, "pop.test");
	CHECK_INT(s.st.tls.v[0].not_after, 1900000000);
	CHECK(s.st.tls.v[0].self_signed && s.st.tls.v[0].generated);
	CHECK_STR(s.st.tls.v[0].sha256, "AB:CD");
	CHECK_STR(s.st.tls.v[0].issuer, "issuer.test");
	/* each listener's TLS mode, as its gateway reported it */
	for (uint32_t i = 0; i < s.st.listeners.n; i++)
		CHECK_STR(s.st.listeners.v[i].tls, s.st.listeners.v[i].port == 1110 ? "starttls" : "none");
	sys_status_free(&s.st);
	teardown(&f);
}

/* The settings history: each accepted change recorded with who and before/after, a refused one
 * not; one change rolled back (only its keys; refused once a later change altered them), then
 * everything back to a point, each itself recorded. */
static void test_history_and_rollback(void)
{
	struct fixture f;
	struct pb_sync t;
	struct pb_rec_setting_change_list v = { 0 };
	const char *error;
	uint32_t code, changed;
	char *text;

	setup(&f, NULL);
	pb_sync_init_caller(&t, f.c, 10000);
	CHECK_INT(call(&f, MSG_SYS_SETTING_PUT_REQ, "smtp", "{\"max_recipients\": 50}", &text), PB_OK);
	free(text);
	CHECK_INT(call(&f, MSG_SYS_SETTING_PUT_REQ, "smtp", "{\"max_recipients\": 0}", &text),
		  PB_ERR_REFUSED);
	free(text);
	CHECK_INT(sys_client_setting_put(&t, "smtp", "{\"command_timeout_s\": 100}", "cli:x", &code,
					 &error), 0);
	REQUIRE(sys_client_setting_history(&t, 0, 10, &code, &v, &error) == 0 && code == PB_OK);
	REQUIRE(v.n == 2);
	CHECK_INT(v.v[0].seq, 2);
	CHECK_STR(v.v[0].by, "cli:x");
	CHECK_STR(v.v[0].before, "{\"max_recipients\":50}");
	CHECK_STR(v.v[1].by, "test:me");
	CHECK_INT(v.v[1].had_before, 0);
	pb_rec_setting_change_list_clear(&v);
	/* undo #1: only max_recipients goes back */
	CHECK_INT(sys_client_setting_rollback(&t, 1, false, "cli:x", &code, &changed, &error), 0);
	CHECK_INT(code, PB_OK);
	CHECK_INT(changed, 1);
	CHECK_INT(snapshot_recipients(&f), 100);
	text = stored(&f, "smtp");
	CHECK_STR(text, "{\"command_timeout_s\":100}");
	free(text);
	/* #1's key was changed again (by the rollback, #3): undoing #1 again is refused */
	CHECK_INT(call(&f, MSG_SYS_SETTING_PUT_REQ, "smtp", "{\"max_recipients\": 70}", &text), PB_OK);
	free(text);
	CHECK_INT(sys_client_setting_rollback(&t, 1, false, "cli:x", &code, &changed, &error), 0);
	CHECK_INT(code, PB_ERR_REFUSED);
	CHECK(strstr(error, "smtp.max_recipients was changed again") != NULL);
	CHECK_INT(sys_client_setting_rollback(&t, 99, false, "cli:x", &code, &changed, &error), 0);
	CHECK_INT(code, PB_ERR_NOTFOUND);
	/* back to #1: smtp as it was then, whole */
	CHECK_INT(sys_client_setting_rollback(&t, 1, true, "cli:x", &code, &changed, &error), 0);
	CHECK_INT(code, PB_OK);
	CHECK_INT(snapshot_recipients(&f), 50);
	text = stored(&f, "smtp");
	CHECK_STR(text, "{\"max_recipients\":50}");
	free(text);
	REQUIRE(sys_client_setting_history(&t, 0, 1, &code, &v, &error) == 0 && v.n == 1);
	CHECK_STR(v.v[0].note, "rollback to #1");
	pb_rec_setting_change_list_clear(&v);
	teardown(&f);
}

/* The snapshot's stored server script, "(none)" without one (allocated). */
static char *snapshot_script(struct fixture *f)
{
	const struct pb_settings *s = pb_settings_acquire(f->rt);
	const char *text = pb_settings_server_script(s);
	char *copy = xstrdup(text != NULL ? text : "(none)");
	pb_settings_release(f->rt, s);
	return copy;
}

/* Stores, resets or reads the server script: its status; *source_r allocated on PB_OK. */
static uint32_t server_script(struct pb_sync *t, enum sys_server_script_op op, const char *text,
			      char **source_r)
{
	struct sys_server_script ss = { 0 };
	const char *error;
	uint32_t code = 0;

	if (sys_client_server_script(t, op, text, "cli:x", &code, &ss, &error) < 0)
		PANIC("call: %s", error);
	*source_r = xstrdup(code == PB_OK ? ss.source : error);
	sys_server_script_free(&ss);
	return code;
}

/* The server script (sys-script.c): stored with its history record and published with the
 * settings; a syntax error refused; rolled back (one change: the previous text; to a point
 * before it: none, the installed copy); kept across a restart; refused (EXISTS) while
 * router.user_redirect names a file. */
static void test_server_script_versioned(void)
{
	struct fixture f;
	struct pb_sync t;
	struct pb_rec_setting_change_list v = { 0 };
	const char *error;
	uint32_t code, changed;
	char *text;

	setup(&f, NULL);
	pb_sync_init_caller(&t, f.c, 10000);
	CHECK_INT(server_script(&t, SYS_SERVER_SCRIPT_PUT, "keep()\n", &text), PB_OK);
	CHECK_STR(text, "stored");
	free(text);
	CHECK_INT(server_script(&t, SYS_SERVER_SCRIPT_PUT, "keep(\n", &text), PB_ERR_REFUSED);
	CHECK(strncmp(text, "user_redirect.lua:", 18) == 0);
	free(text);
	CHECK_INT(server_script(&t, SYS_SERVER_SCRIPT_PUT, "log(1)\n", &text), PB_OK);
	free(text);
	text = snapshot_script(&f);
	CHECK_STR(text, "log(1)\n");
	free(text);
	REQUIRE(sys_client_setting_history(&t, 0, 10, &code, &v, &error) == 0 && v.n == 2);
	CHECK_STR(v.v[0].doc, "router-script");
	CHECK_STR(v.v[0].before, "{\"text\":\"keep()\\n\"}");
	CHECK_STR(v.v[0].after, "{\"text\":\"log(1)\\n\"}");
	CHECK_INT(v.v[1].had_before, 0);
	pb_rec_setting_change_list_clear(&v);
	CHECK_INT(sys_client_setting_rollback(&t, 2, false, "cli:x", &code, &changed, &error), 0);
	CHECK_INT(code, PB_OK);
	text = snapshot_script(&f);
	CHECK_STR(text, "keep()\n");
	free(text);
	/* a restart: the stored text is published again */
	pb_caller_destroy(&f.c);
	pb_runtime_destroy(&f.rt);
	start(&f);
	pb_sync_init_caller(&t, f.c, 10000);
	CHECK_INT(server_script(&t, SYS_SERVER_SCRIPT_GET, NULL, &text), PB_OK); /* init done */
	CHECK_STR(text, "stored");
	free(text);
	text = snapshot_script(&f);
	CHECK_STR(text, "keep()\n");
	free(text);
	CHECK_INT(sys_client_setting_rollback(&t, 0, true, "cli:x", &code, &changed, &error), 0);
	CHECK_INT(code, PB_OK);
	text = snapshot_script(&f);
	CHECK_STR(text, "(none)");
	free(text);
	CHECK_INT(server_script(&t, SYS_SERVER_SCRIPT_GET, NULL, &text), PB_OK);
	CHECK_STR(text, "installed");
	free(text);
	CHECK_INT(sys_client_setting_put(&t, "router", "{\"user_redirect\": \"/x/mine.lua\"}",
					 "cli:x", &code, &error), 0);
	CHECK_INT(server_script(&t, SYS_SERVER_SCRIPT_RESET, NULL, &text), PB_ERR_EXISTS);
	CHECK(strstr(text, "/x/mine.lua: edit that file") != NULL);
	free(text);
	CHECK_INT(server_script(&t, SYS_SERVER_SCRIPT_GET, NULL, &text), PB_OK);
	CHECK_STR(text, "file");
	free(text);
	teardown(&f);
}

/* A new program version records a checkpoint at its first start, once. */
static void test_checkpoint_at_upgrade(void)
{
	struct pb_setting_change *v;
	size_t n;
	const char *error;
	struct fixture f;

	setup(&f, NULL);
	sys_checkpoint_upgrade(&f.args); /* version "test": stored, no checkpoint (nothing before) */
	pb_caller_destroy(&f.c);
	pb_runtime_destroy(&f.rt);
	REQUIRE(pb_store_setting_history(f.store, 0, 10, &v, &n, &error) == 0);
	CHECK_INT(n, 0);
	free(v);
	for (int round = 0; round < 2; round++) {
		f.args.version = "test2";
		sys_checkpoint_upgrade(&f.args); /* what the daemon does before starting the actors */
	}
	REQUIRE(pb_store_setting_history(f.store, 0, 10, &v, &n, &error) == 0);
	CHECK_INT(n, 1);
	if (n == 1) {
		CHECK_STR(v[0].doc, "");
		CHECK_STR(v[0].by, "upgrade");
		CHECK_STR(v[0].note, "checkpoint: before upgrade from test to test2");
		pb_setting_change_free(&v[0]);
	}
	free(v);
	f.c = pb_caller_create(f.rt = pb_runtime_create("t", NULL));
	teardown(&f);
}

/* A self-signed pair for host made in f's directory: its PEM texts (allocated). */
static void make_pair(struct fixture *f, const char *host, char **cert_r, char **key_r)
{
	char *cp = xasprintf("%s/gen-%s-cert.pem", f->dir, host);
	char *kp = xasprintf("%s/gen-%s-key.pem", f->dir, host), *error = NULL;
	struct pb_buf c, k;

	if (pb_tls_selfsigned_write(host, cp, kp, &error) < 0)
		PANIC("generate: %s", error);
	pb_buf_init(&c);
	pb_buf_init(&k);
	REQUIRE(pb_test_read_file(cp, &c) == 0 && pb_test_read_file(kp, &k) == 0);
	*cert_r = xstrndup((const char *)c.data, c.len);
	*key_r = xstrndup((const char *)k.data, k.len);
	pb_buf_deinit(&c);
	pb_buf_deinit(&k);
	free(cp);
	free(kp);
}

/* Installs the pair: its status; on PB_OK *out_r filled, else out_r->subject is the error. */
static uint32_t cert_install(struct pb_sync *t, const char *cert, const char *key,
			     struct sys_cert_installed *out_r)
{
	const char *error;
	uint32_t code = 0;

	*out_r = (struct sys_cert_installed){ 0 };
	if (sys_client_cert_install(t, cert, key, "web:admin", &code, out_r, &error) < 0)
		PANIC("call: %s", error);
	if (code != PB_OK)
		out_r->subject = xstrdup(error);
	return code;
}

/* Gives the installed certificate at path the time sec (ordering the pairs for pruning). */
static void set_mtime(const char *path, time_t sec)
{
	struct timespec ts[2] = { { sec, 0 }, { sec, 0 } };

	REQUIRE(utimensat(AT_FDCWD, path, ts, 0) == 0);
}

static bool file_mode_is(const char *path, mode_t mode)
{
	struct stat st;

	return stat(path, &st) == 0 && (st.st_mode & 07777) == mode;
}

/* Starts sys on a new store whose directory is also the data directory. */
static void setup_data_dir(struct fixture *f, struct pb_sync *t)
{
	f->dir = store_test_tmpdir("sys");
	f->store = store_test_open(f->dir);
	f->args = (struct sys_actor_args){ f->store, 0, "test", f->dir };
	start(f);
	pb_sync_init_caller(t, f->c, 10000);
}

/* The entries of dir but . and .. */
static int dir_entries(const char *dir)
{
	DIR *d = opendir(dir);
	int n = 0;

	if (d == NULL)
		return -1;
	for (struct dirent *e; (e = readdir(d)) != NULL;)
		n += e->d_name[0] != '.';
	closedir(d);
	return n;
}

/* A certificate installed by the sys actor (sys-certs.c): the files 0600 under
 * DATA_DIR/tls-installed with the certificate's facts; a key of another certificate refused
 * and nothing of it left. */
static void test_cert_install(void)
{
	struct sys_cert_installed in, bad;
	char *cert[2], *key[2];
	struct fixture f;
	struct pb_sync t;

	setup_data_dir(&f, &t);
	make_pair(&f, "a.example.test", &cert[0], &key[0]);
	make_pair(&f, "b.example.test", &cert[1], &key[1]);
	REQUIRE(cert_install(&t, cert[0], key[0], &in) == PB_OK);
	char *dir = xasprintf("%s/tls-installed", f.dir);
	CHECK(strncmp(in.cert_path, dir, strlen(dir)) == 0);
	CHECK(file_mode_is(in.cert_path, 0600) && file_mode_is(in.key_path, 0600));
	CHECK_STR(in.subject, "a.example.test");
	CHECK_STR(in.issuer, "a.example.test");
	CHECK_STR(in.names, "a.example.test");
	CHECK(in.self_signed && strlen(in.sha256) == 95 && in.not_after > time(NULL));
	CHECK_INT(cert_install(&t, cert[1], key[0], &bad), PB_ERR_REFUSED);
	CHECK_INT(dir_entries(dir), 2);
	sys_cert_installed_free(&bad);
	sys_cert_installed_free(&in);
	for (int i = 0; i < 2; i++) {
		free(cert[i]);
		free(key[i]);
	}
	free(dir);
	teardown(&f);
}

/* Pruning: a named in the settings; b, c, d installed in turn (b, c given older times than
 * the next): b goes, a (named), c and d (the newest two) stay. */
static void test_cert_prune(void)
{
	const char *hosts[] = { "a.example.test", "b.example.test", "c.example.test",
				"d.example.test" };
	struct sys_cert_installed in[4];
	char *cert[4], *key[4], *text;
	struct fixture f;
	struct pb_sync t;

	setup_data_dir(&f, &t);
	for (int i = 0; i < 4; i++)
		make_pair(&f, hosts[i], &cert[i], &key[i]);
	REQUIRE(cert_install(&t, cert[0], key[0], &in[0]) == PB_OK);
	char *json = xasprintf("{\"tls_certificate\":\"%s\",\"tls_key\":\"%s\"}", in[0].cert_path,
			       in[0].key_path);
	CHECK_INT(call(&f, MSG_SYS_SETTING_PUT_REQ, "services", json, &text), PB_OK);
	free(text);
	free(json);
	set_mtime(in[0].cert_path, 1000);
	for (int i = 1; i < 4; i++) {
		REQUIRE(cert_install(&t, cert[i], key[i], &in[i]) == PB_OK);
		set_mtime(in[i].cert_path, 1000 + i);
	}
	CHECK(access(in[1].cert_path, F_OK) != 0 && access(in[1].key_path, F_OK) != 0);
	for (int i = 0; i < 4; i++) {
		if (i != 1)
			CHECK(access(in[i].cert_path, F_OK) == 0 && access(in[i].key_path, F_OK) == 0);
		sys_cert_installed_free(&in[i]);
		free(cert[i]);
		free(key[i]);
	}
	teardown(&f);
}

static const struct pb_test_case cases[] = {
	{ "cert_install", test_cert_install },
	{ "cert_prune", test_cert_prune },
	{ "history_and_rollback", test_history_and_rollback },
	{ "server_script_versioned", test_server_script_versioned },
	{ "checkpoint_at_upgrade", test_checkpoint_at_upgrade },
	{ "status_sums_the_reports", test_status_sums_the_reports },
	{ "status_counts_from_the_directory", test_status_counts_from_the_directory },
	{ "init_loads_and_publishes", test_init_loads_and_publishes },
	{ "refused_change_writes_nothing", test_refused_change_writes_nothing },
	{ "accepted_change_merges_and_publishes", test_accepted_change_merges_and_publishes },
	{ "store_reserve_follows_the_setting", test_store_reserve_follows_the_setting },
	{ "max_recipients_within_the_spool_cap", test_max_recipients_within_the_spool_cap },
};

PB_TEST_MAIN(cases)
