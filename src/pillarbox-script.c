/*
 * pillarbox-script.c: the CLI's `script get|set|del USER [FILE|-]`, an account's routing
 * script (docs/routing-scripts.md). The daemon compiles a script before it stores it and
 * refuses one that does not compile, with its "NAME:LINE: reason". And `script server
 * get|set FILE|-|reset`, the server's user_redirect.lua (actors/sys/sys-script.c: stored with
 * the settings history, unless router.user_redirect names a file).
 * OWNS: nothing. THREAD: the CLI's.
 */
#include "directory-client-routes.h"
#include "pb-lua.h"
#include "pillarbox-cli.h"
#include "sys-client.h"

#include <stdio.h>
#include <string.h>

/* Reads FILE (or standard input for "-"): at most PB_LUA_MAX_SCRIPT bytes of text. The text
 * (caller frees) or NULL, said on stderr. */
static char *read_script(const char *path)
{
	char *text, *error;
	size_t len;

	if (pb_lua_script_read(strcmp(path, "-") == 0 ? "/dev/stdin" : path, &text, &len,
			       &error) < 0) {
		fprintf(stderr, "%s\n", error);
		free(error);
		return NULL;
	}
	if (memchr(text, '\0', len) != NULL) {
		fprintf(stderr, "%s: not a text\n", path);
		free(text);
		return NULL;
	}
	return text;
}

int cli_script_get(struct cli *c, char **args, int nargs)
{
	const char *error;
	char *text = NULL;
	uint32_t code = 0;
	(void)nargs;

	int rc = directory_client_script(&c->t, "get", args[0], NULL, &code, &text, &error);
	int exit_code = cli_outcome(c, rc, code, error, "cannot read the script");
	if (exit_code == 0)
		fputs(text, stdout);
	free(text);
	return exit_code;
}

int cli_script_set(struct cli *c, char **args, int nargs)
{
	const char *error;
	uint32_t code = 0;
	char *text = read_script(nargs > 1 ? args[1] : "-");

	if (text == NULL)
		return EXIT_REFUSED;
	int rc = directory_client_script(&c->t, "set", args[0], text, &code, NULL, &error);
	free(text);
	return cli_simple(c, rc, code, error, "cannot set the script", "script set");
}

int cli_script_del(struct cli *c, char **args, int nargs)
{
	const char *error;
	uint32_t code = 0;
	(void)nargs;

	int rc = directory_client_script(&c->t, "del", args[0], NULL, &code, NULL, &error);
	return cli_simple(c, rc, code, error, "cannot delete the script", "script deleted");
}

/* Prints the server script in effect: a "# source: ..." line on stderr, the text on stdout. */
static void print_server_script(const struct sys_server_script *ss)
{
	if (ss->path[0] != '\0')
		fprintf(stderr, "# source: %s (%s)%s\n", ss->source, ss->path,
			ss->exists ? "" : ": missing");
	else
		fprintf(stderr, "# source: %s\n", ss->source);
	fputs(ss->text, stdout);
}

int cli_script_server(struct cli *c, char **args, int nargs)
{
	enum sys_server_script_op op = SYS_SERVER_SCRIPT_GET;
	struct sys_server_script ss = { 0 };
	const char *error;
	char *text = NULL;
	uint32_t code = 0;

	if (strcmp(args[0], "set") == 0) {
		op = SYS_SERVER_SCRIPT_PUT;
		if ((text = read_script(nargs > 1 ? args[1] : "-")) == NULL)
			return EXIT_REFUSED;
	} else if (strcmp(args[0], "reset") == 0) {
		op = SYS_SERVER_SCRIPT_RESET;
	} else if (strcmp(args[0], "get") != 0 || nargs > 1) {
		fprintf(stderr, "usage: pillarbox script server get | set [FILE|-] | reset\n");
		return EXIT_USAGE;
	}
	int rc = sys_client_server_script(&c->t, op, text, cli_who(), &code, &ss, &error);
	free(text);
	int exit_code = cli_outcome(c, rc, code, error, "cannot change the server script");
	if (exit_code == 0 && op == SYS_SERVER_SCRIPT_GET)
		print_server_script(&ss);
	else if (exit_code == 0)
		printf("server script %s (now: %s)\n", op == SYS_SERVER_SCRIPT_PUT ? "stored" : "reset",
		       ss.source);
	sys_server_script_free(&ss);
	return exit_code;
}
