/*
 * test-monitor-conf.c: pillarbox-monitor's configuration file, parsed byte for byte: several
 * named servers with their keys, the first the default, comments; every wrong line named by
 * its number; a password in a file readable or writable by group or others refused (as ssh
 * refuses such a key), the same file without a password taken; an API key file's mode checked.
 */
#include "monitor-conf.h"
#include "pb-test.h"

#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int parse(const char *text, mode_t mode, struct monitor_conf *c, const char **error_r)
{
	static char err[400];
	return monitor_conf_parse(text, strlen(text), mode, c, err, sizeof(err), error_r);
}

static void test_servers(void)
{
	struct monitor_conf c;
	const char *error = NULL;
	const char *text = "# the office and home\n"
			   "[server office]\n host = mail.example.com \nport=5110\n"
			   "tls = starttls # on the one port\nuser = admin\npassword = p#ss word\n"
			   "\n[server home]\nhost=::1\ntls=implicit\ntls_verify=no\n"
			   "api_key_file = /k\nca_file=/ca.pem\n";

	CHECK_INT(parse(text, S_IFREG | 0600, &c, &error), 0);
	CHECK_INT((int)c.n, 2);
	const struct monitor_server *s = monitor_conf_find(&c, NULL);
	CHECK_STR(s->name, "office");
	CHECK_STR(s->host, "mail.example.com");
	CHECK_INT(s->port, 5110);
	CHECK_INT(s->tls, MONITOR_TLS_STARTTLS);
	CHECK(s->tls_verify);
	CHECK_STR(s->password, "p#ss word");
	s = monitor_conf_find(&c, "home");
	CHECK_STR(s->host, "::1");
	CHECK_INT(s->port, 5109);
	CHECK_INT(s->tls, MONITOR_TLS_IMPLICIT);
	CHECK(!s->tls_verify);
	CHECK_STR(s->api_key_file, "/k");
	CHECK_STR(s->ca_file, "/ca.pem");
	CHECK(monitor_conf_find(&c, "nosuch") == NULL);
	monitor_conf_clear(&c);
}

static void test_errors(void)
{
	static const struct {
		const char *text, *error;
	} cases[] = {
		{ "host = x\n", "line 1: a key before the first [server NAME]" },
		{ "[server a]\nport = 0\n", "line 2: port is a number from 1 to 65535" },
		{ "[server a]\nport = 65536\n", "line 2: port is a number from 1 to 65535" },
		{ "[server a]\nport = 5x\n", "line 2: port is a number from 1 to 65535" },
		{ "[server a]\ntls = yes\n", "line 2: tls is none, starttls or implicit" },
		{ "[server a]\ntls_verify = maybe\n", "line 2: tls_verify is yes or no" },
		{ "[server a]\ncolour = red\n", "line 2: unknown key" },
		{ "[server a]\njust words\n", "line 2: expected key = value" },
		{ "[server a]\n[server a]\n", "line 2: this server name is already used" },
		{ "[servers a]\n", "line 1: a section is [server NAME]" },
		{ "[server]\n", "line 1: a section is [server NAME]" },
		{ "[server a b]\n", "line 1: a server name is one word of at most 63 characters" },
	};
	struct monitor_conf c;
	const char *error;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		error = NULL;
		CHECK_INT(parse(cases[i].text, S_IFREG | 0600, &c, &error), -1);
		CHECK_STR(error, cases[i].error);
	}
	char err[64];
	CHECK_INT(monitor_conf_parse("[server a]\0", 11, 0600, &c, err, sizeof(err), &error), -1);
	CHECK_STR(error, "the file holds a NUL byte");
}

static void test_mode(void)
{
	struct monitor_conf c;
	const char *error = NULL;
	const char *pw = "[server a]\nuser = u\npassword = secret\n";
	const char *nopw = "[server a]\nuser = u\napi_key_file = /k\n";

	CHECK_INT(parse(pw, S_IFREG | 0644, &c, &error), -1);
	CHECK_STR(error, "it holds a password and is readable or writable by group or others "
			 "(mode 644): chmod 600 it");
	CHECK_INT(parse(pw, S_IFREG | 0620, &c, &error), -1);
	CHECK_INT(parse(pw, S_IFREG | 0600, &c, &error), 0);
	CHECK_INT(parse(pw, S_IFREG | 0400, &c, &error), 0);
	CHECK_INT(parse(nopw, S_IFREG | 0644, &c, &error), 0);
}

static void test_files(void)
{
	char dir[] = "/tmp/test-monitor-conf-XXXXXX", path[128], key[64], err[400];
	struct monitor_conf c;
	const char *error;

	CHECK(mkdtemp(dir) != NULL);
	snprintf(path, sizeof(path), "%s/monitor.conf", dir);
	CHECK_INT(monitor_conf_load(path, true, &c, err, sizeof(err), &error), 0);
	CHECK_INT((int)c.n, 0);
	CHECK_INT(monitor_conf_load(path, false, &c, err, sizeof(err), &error), -1);
	FILE *f = fopen(path, "w");
	fputs("[server a]\npassword = x\n", f);
	fclose(f);
	chmod(path, 0640);
	CHECK_INT(monitor_conf_load(path, false, &c, err, sizeof(err), &error), -1);
	CHECK(strstr(error, "(mode 640): chmod 600 it") != NULL);
	chmod(path, 0600);
	CHECK_INT(monitor_conf_load(path, false, &c, err, sizeof(err), &error), 0);
	CHECK_INT(monitor_read_secret_file(path, key, sizeof(key), err, sizeof(err), &error), 0);
	CHECK_STR(key, "[server a]");
	chmod(path, 0604);
	CHECK_INT(monitor_read_secret_file(path, key, sizeof(key), err, sizeof(err), &error), -1);
	unlink(path);
	rmdir(dir);
}

static const struct pb_test_case cases[] = {
	{ "servers", test_servers },
	{ "errors", test_errors },
	{ "mode", test_mode },
	{ "files", test_files },
};
PB_TEST_MAIN(cases)
