/*
 * pillarbox-rules.c: the CLI's message rule commands (admin guide 4.14): `rules get [USER]`,
 * `rules set [USER] FILE|-` and `rules del [USER]` (no USER: the administrator's server-wide
 * set), JSON in and out (rules.h's format). The directory checks a set before keeping it.
 * OWNS: nothing. THREAD: the CLI's.
 */
#include "directory-client-routes.h"
#include "pb-alloc.h"
#include "pb-buf.h"
#include "pillarbox-cli.h"

#include <stdio.h>
#include <string.h>

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

/* Reads path ("-": standard input) whole, at most CLI_RULES_MAX octets. NULL when it cannot. */
static char *read_all(const char *path)
{
	FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "r");
	struct pb_buf b;
	char chunk[4096];
	size_t n;

	if (f == NULL)
		return NULL;
	pb_buf_init(&b);
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0 && b.len <= CLI_RULES_MAX)
		pb_buf_append(&b, chunk, n);
	if (f != stdin)
		fclose(f);
	if (b.len > CLI_RULES_MAX) {
		pb_buf_deinit(&b);
		return NULL;
	}
	pb_buf_append_c(&b, '\0');
	return pb_buf_steal(&b, NULL);
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
