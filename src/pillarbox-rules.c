/*
 * pillarbox-rules.c: the CLI's message rule commands (admin guide 4.14): `rules get [USER]`,
 * `rules set [USER] FILE|-` and `rules del [USER]` (no USER: the administrator's server-wide
 * set), JSON in and out (rules.h's format). The directory checks a set before keeping it.
 * `rules dry-run [USER] FILE|-` evaluates the stored sets over a message file, changing
 * nothing: the facts are built by router-facts.c and the rules run by rules_evaluate, as the
 * router does at delivery (the message taken as Incoming, "now" the CLI's clock); with a USER,
 * that account's routing scripts run on it too (pillarbox-rules-script.c). With
 * --folder or --last, over the account's stored mail instead (pillarbox-rules-mail.c).
 * OWNS: nothing. THREAD: the CLI's.
 */
#include "directory-client-routes.h"
#include "pb-alloc.h"
#include "pb-buf.h"
#include "pillarbox-cli.h"
#include "pillarbox-rules-script.h"
#include "router-facts.h"
#include "router-rules.h"
#include "rules.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#define CLI_RULES_MAX (1024 * 1024)

int cli_rules_get(struct cli *c, char **args, int nargs)
{
	const char *error;
	uint32_t code = 0;
	char *json = NULL;
	uint64_t id;

	int rc = directory_client_rules_get(&c->t, nargs > 0 ? args[0] : "", &code, &json, &id,
					    &error);
	int exit_code = cli_outcome(c, rc, code, error, "cannot read the rules");
	if (exit_code == 0)
		printf("%s\n", json);
	free(json);
	return exit_code;
}

/* Reads path ("-": standard input) to its end, keeping its first max octets (NUL-terminated,
 * *len_r of them) and counting all in *total_r. NULL when it cannot be read. */
static char *read_head(const char *path, size_t max, size_t *len_r, uint64_t *total_r)
{
	FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "r");
	struct pb_buf b;
	char chunk[4096];
	size_t n;

	if (f == NULL)
		return NULL;
	pb_buf_init(&b);
	*total_r = 0;
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0) {
		if (b.len < max)
			pb_buf_append(&b, chunk, n < max - b.len ? n : max - b.len);
		*total_r += n;
	}
	bool failed = ferror(f) != 0;
	if (f != stdin)
		fclose(f);
	if (failed) {
		pb_buf_deinit(&b);
		return NULL;
	}
	pb_buf_append_c(&b, '\0');
	char *text = pb_buf_steal(&b, len_r);
	(*len_r)--;
	return text;
}

/* Reads path whole, at most CLI_RULES_MAX octets. NULL when it cannot. */
static char *read_all(const char *path)
{
	size_t len;
	uint64_t total;
	char *text = read_head(path, CLI_RULES_MAX, &len, &total);

	if (text != NULL && total > CLI_RULES_MAX) {
		free(text);
		return NULL;
	}
	return text;
}

int cli_rules_set(struct cli *c, char **args, int nargs)
{
	const char *error, *path = args[nargs - 1];
	uint32_t code = 0;
	char *json = read_all(path);

	if (json == NULL) {
		fprintf(stderr, "pillarbox: cannot read %s (or it is over 1 MiB)\n", path);
		return EXIT_REFUSED;
	}
	int rc = directory_client_rules_set(&c->t, nargs > 1 ? args[0] : "", false, json, &code,
					    &error);
	free(json);
	return cli_simple(c, rc, code, error, "cannot set the rules", "rules set");
}

int cli_rules_del(struct cli *c, char **args, int nargs)
{
	const char *error;
	uint32_t code = 0;

	int rc = directory_client_rules_set(&c->t, nargs > 0 ? args[0] : "", true, "", &code,
					    &error);
	return cli_simple(c, rc, code, error, "cannot remove the rules", "rules removed");
}

int cli_rules_fetch_set(struct cli *c, const char *user, struct rules_set **set_r)
{
	const char *error;
	uint32_t code = 0;
	char *json = NULL;
	uint64_t id;

	*set_r = NULL;
	int rc = directory_client_rules_get(&c->t, user, &code, &json, &id, &error);
	if (rc == 0 && code == PB_ERR_NOTFOUND && strcmp(error, "no rules are set") == 0)
		return 0;
	int exit_code = cli_outcome(c, rc, code, error, "cannot read the rules");
	if (exit_code == 0 && rules_set_parse(json, strlen(json), set_r, &error) < 0) {
		fprintf(stderr, "pillarbox: the stored rules do not parse: %s\n", error);
		exit_code = EXIT_REFUSED;
	}
	free(json);
	return exit_code;
}

void cli_rules_print_decision(const struct rules_decision *d, const char *who)
{
	struct router_rules_outcome o;

	router_rules_outcome_build(d, who, &o);
	for (size_t i = 0; i < o.trace.n; i++)
		printf("%s\n", o.trace.v[i]);
	printf("matched:");
	for (size_t i = 0; i < d->n_matched; i++)
		printf("%s \"%s\"", i == 0 ? "" : ",", d->matched[i]);
	printf("%s\n", d->n_matched == 0 ? " none" : "");
	router_rules_outcome_free(&o);
}

void cli_rules_message_build(const void *data, size_t len, uint64_t size,
			     struct router_message *m_r)
{
	time_t now = time(NULL);
	struct tm tm;

	localtime_r(&now, &tm);
	router_message_build(data, len, size, RULES_TYPE_INCOMING, (int64_t)now,
			     (int)(tm.tm_gmtoff / 60), m_r);
}

/* The FILE form's scripts: USER's, run on m and reported. 0, or the exit code (reported). */
static int file_scripts(struct cli *c, const char *user, const struct router_message *m)
{
	struct cli_scripts s;
	struct router_lua_result res;

	int exit_code = cli_scripts_load(c, user, &s);
	if (exit_code == 0) {
		cli_scripts_run(&s, m, &res);
		cli_scripts_print(&s, &res);
		router_lua_result_free(&res);
	}
	cli_scripts_free(&s);
	return exit_code;
}

int cli_rules_dry_run(struct cli *c, char **args, int nargs)
{
	if (c->rules_folder != NULL || c->rules_last != NULL)
		return cli_rules_dry_run_mail(c, args, nargs);

	const char *user = nargs > 1 ? args[0] : "", *path = args[nargs - 1];
	struct rules_set *admin = NULL, *own = NULL;
	size_t len;
	uint64_t size;
	char *data = read_head(path, ROUTER_FACTS_READ_MAX, &len, &size);

	if (data == NULL) {
		fprintf(stderr, "pillarbox: cannot read %s\n", path);
		return EXIT_REFUSED;
	}
	int exit_code = cli_rules_fetch_set(c, "", &admin);
	if (exit_code == 0 && user[0] != '\0')
		exit_code = cli_rules_fetch_set(c, user, &own);
	if (exit_code == 0) {
		struct router_message m;
		struct rules_decision d;
		cli_rules_message_build(data, len, size, &m);
		rules_evaluate(admin, own, &m.facts, &d);
		cli_rules_print_decision(&d, user[0] != '\0' ? user : "(administrator)");
		rules_decision_deinit(&d);
		if (user[0] != '\0')
			exit_code = file_scripts(c, user, &m);
		router_message_free(&m);
	}
	rules_set_free(&admin);
	rules_set_free(&own);
	free(data);
	return exit_code;
}
