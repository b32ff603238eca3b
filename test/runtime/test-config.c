/*
 * test-config.c: the bootstrap configuration file — defaults, port offset, repeated bindings,
 * and errors that name the file and line; the bindings and certificate stored in the settings
 * document "services" put in where the file names none (pb-config-stored.h).
 */
#include "pb-config.h"
#include "pb-config-stored.h"
#include "pb-alloc.h"
#include "pb-test.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char *write_tmp(const char *text)
{
	char *path = xstrdup("/tmp/pb-config-XXXXXX");
	int fd = mkstemp(path);
	FILE *f = fdopen(fd, "w");
	fputs(text, f);
	fclose(f);
	return path;
}

static void test_defaults_and_offset(void)
{
	struct pb_config cfg;
	pb_config_defaults(&cfg, 10000);
	CHECK_STR(cfg.data_dir, "./var");
	CHECK_INT(cfg.bindings[PB_SVC_SMTP][0].port, 10025);
	CHECK_INT(cfg.bindings[PB_SVC_SUBMISSION][0].port, 10587);
	CHECK_INT(cfg.bindings[PB_SVC_HTTP][0].port, 15108);
	CHECK_INT(cfg.bindings[PB_SVC_STATUS][0].port, 15109);
	CHECK_INT(cfg.n_bindings[PB_SVC_POP3], 1);
	pb_config_deinit(&cfg);
}

static void test_load_file(void)
{
	struct pb_config cfg;
	char *error = NULL;
	char *path = write_tmp("# comment\n\ndata_dir = /tmp/pbdata\n"
			       "smtp_listen = 127.0.0.1:2525\nsmtp_listen = [::1]:2526\n"
			       "pop3_listen = 1110\nlog_level = debug\nmailbox_shards = 8\n");
	pb_config_defaults(&cfg, 0);
	REQUIRE(pb_config_load(&cfg, path, &error) == 0);
	CHECK_STR(cfg.data_dir, "/tmp/pbdata");
	CHECK_INT(cfg.n_bindings[PB_SVC_SMTP], 2);
	CHECK_STR(cfg.bindings[PB_SVC_SMTP][0].host, "127.0.0.1");
	CHECK_INT(cfg.bindings[PB_SVC_SMTP][0].port, 2525);
	CHECK_STR(cfg.bindings[PB_SVC_SMTP][1].host, "::1");
	CHECK_INT(cfg.bindings[PB_SVC_SMTP][1].port, 2526);
	CHECK_STR(cfg.bindings[PB_SVC_POP3][0].host, "*");
	CHECK_INT(cfg.bindings[PB_SVC_POP3][0].port, 1110);
	CHECK_INT(cfg.mailbox_shards, 8);
	CHECK_STR(cfg.log_level, "debug");
	pb_config_deinit(&cfg);
	unlink(path);
	free(path);
}

static void expect_error(const char *text, const char *want)
{
	struct pb_config cfg;
	char *error = NULL;
	char *path = write_tmp(text);
	pb_config_defaults(&cfg, 0);
	CHECK(pb_config_load(&cfg, path, &error) == -1);
	char *full = xasprintf("%s:%s", path, want);
	if (error == NULL || strstr(error, full) == NULL) {
		fprintf(stderr, "  got \"%s\", want \"%s\"\n", error ? error : "(none)", full);
		CHECK(!"error names file and line");
	}
	free(full);
	free(error);
	pb_config_deinit(&cfg);
	unlink(path);
	free(path);
}

static void test_errors_name_file_and_line(void)
{
	expect_error("data_dir = x\nfrobnicate = 1\n", "2: unknown key 'frobnicate'");
	expect_error("\n\nsmtp_listen = 127.0.0.1:99999\n", "3: bad binding");
	expect_error("mailbox_shards = zero\n", "1: bad number");
	expect_error("log_level = loud\n", "1: bad log level");
	expect_error("just words\n", "1: expected 'key = value'");
	expect_error("data_dir =\n", "1: empty value");
	expect_error("node_name = a/b\n", "1: bad node name");
}

static void test_missing_file(void)
{
	struct pb_config cfg;
	char *error = NULL;
	pb_config_defaults(&cfg, 0);
	CHECK(pb_config_load(&cfg, "/nonexistent/pillarbox.conf", &error) == -1);
	CHECK(error != NULL && strstr(error, "/nonexistent/pillarbox.conf: cannot open") != NULL);
	free(error);
	pb_config_deinit(&cfg);
}

static void test_binding_parse(void)
{
	struct pb_binding b;
	CHECK(pb_binding_parse("0.0.0.0:25", &b) == 0 && b.port == 25);
	CHECK(pb_binding_parse("*:110", &b) == 0 && strcmp(b.host, "*") == 0);
	CHECK(pb_binding_parse("[::]:143", &b) == 0 && strcmp(b.host, "::") == 0);
	CHECK(pb_binding_parse("::1:25", &b) == -1);
	CHECK(pb_binding_parse("host:", &b) == -1);
	CHECK(pb_binding_parse("host:0", &b) == -1);
	CHECK(pb_binding_parse(":25", &b) == -1);
	CHECK(pb_binding_parse("127.0.0.1:+25", &b) == -1);
}

static void test_stored_bindings_parse(void)
{
	struct pb_binding b[PB_CONFIG_MAX_BINDINGS];
	const char *error;
	size_t n = 0;

	CHECK(pb_config_bindings_parse(" 127.0.0.1:25  [::1]:26 *:27 ", b, &n, &error) == 0);
	CHECK_INT(n, 3);
	CHECK(b[1].port == 26 && strcmp(b[1].host, "::1") == 0 && strcmp(b[2].host, "*") == 0);
	CHECK(pb_config_bindings_parse("", b, &n, &error) == -1);
	CHECK(pb_config_bindings_parse("127.0.0.1:25 nonsense", b, &n, &error) == -1);
	CHECK(pb_config_bindings_parse("1:1 1:2 1:3 1:4 1:5 1:6 1:7 1:8 1:9", NULL, &n, &error) == -1);
	CHECK_STR(error, "a service has at most 8 bindings");
	CHECK_INT(pb_service_by_name("http_listen"), PB_SVC_HTTP);
	CHECK_INT(pb_service_by_name("submissions"), PB_SVC_SMTPS);
	CHECK_INT(pb_service_by_name("gopher"), PB_SVC_COUNT);
}

/* The file's explicit values win; the stored ones fill the rest; a bad one is skipped. */
static void test_apply_stored(void)
{
	struct pb_config cfg;
	struct pb_settings_services sv = { 0 };
	char *error = NULL, *warnings = NULL;

	pb_config_defaults(&cfg, 0);
	CHECK(pb_config_set(&cfg, "smtp_listen", "127.0.0.1:2525", &error) == 0);
	snprintf(sv.smtp_listen, sizeof(sv.smtp_listen), "127.0.0.9:9");
	snprintf(sv.http_listen, sizeof(sv.http_listen), "127.0.0.1:8000 127.0.0.2:8001");
	snprintf(sv.pop3_listen, sizeof(sv.pop3_listen), "no-port");
	snprintf(sv.tls_certificate, sizeof(sv.tls_certificate), "/d/cert.pem");
	snprintf(sv.tls_key, sizeof(sv.tls_key), "/d/key.pem");
	pb_config_apply_stored(&cfg, &sv, &warnings);
	CHECK(cfg.n_bindings[PB_SVC_SMTP] == 1 && cfg.bindings[PB_SVC_SMTP][0].port == 2525);
	CHECK(cfg.n_bindings[PB_SVC_HTTP] == 2 && cfg.bindings[PB_SVC_HTTP][1].port == 8001);
	CHECK(cfg.n_bindings[PB_SVC_POP3] == 1 && cfg.bindings[PB_SVC_POP3][0].port == 110);
	CHECK(warnings != NULL && strstr(warnings, "pop3") != NULL);
	CHECK_STR(cfg.tls_certificate, "/d/cert.pem");
	CHECK_STR(cfg.tls_key, "/d/key.pem");
	free(warnings);
	pb_config_deinit(&cfg);

	pb_config_defaults(&cfg, 0); /* the file's certificate wins */
	CHECK(pb_config_set(&cfg, "tls_certificate", "/etc/c.pem", &error) == 0);
	CHECK(pb_config_set(&cfg, "tls_key", "/etc/k.pem", &error) == 0);
	pb_config_apply_stored(&cfg, &sv, &warnings);
	CHECK_STR(cfg.tls_certificate, "/etc/c.pem");
	CHECK(warnings != NULL);
	free(warnings);
	pb_config_deinit(&cfg);
}

static const struct pb_test_case cases[] = {
	{ "stored_bindings_parse", test_stored_bindings_parse },
	{ "apply_stored", test_apply_stored },
	{ "defaults_and_offset", test_defaults_and_offset },
	{ "load_file", test_load_file },
	{ "errors_name_file_and_line", test_errors_name_file_and_line },
	{ "missing_file", test_missing_file },
	{ "binding_parse", test_binding_parse },
};

PB_TEST_MAIN(cases)
