/*
 * pillarbox-routes.c: the CLI's commands for the routing records the directory owns and for
 * the decision trace: `mapping add|del|list`, `alias add|del|list` (a mapping whose target is
 * an account), `list add|del|members|addmember|delmember` (distribution lists) and `trace
 * MESSAGE-ID`. The daemon checks every value; the CLI only shapes the requests.
 * OWNS: nothing. THREAD: the CLI's.
 */
#include "directory-client-routes.h"
#include "pillarbox-cli.h"
#include "spool-client.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

static const char *arg_or(char **args, int nargs, int i, const char *dflt)
{
	return i < nargs ? args[i] : dflt;
}

int cli_mapping_add(struct cli *c, char **args, int nargs)
{
	const char *error;
	uint32_t code = 0;
	int rc = directory_client_map_set(&c->t, false, args[0], args[1],
					  arg_or(args, nargs, 2, "always"), c->map_collector,
					  arg_or(args, nargs, 3, ""), &code, &error);
	return cli_simple(c, rc, code, error, "cannot add the mapping", "mapping added");
}

int cli_mapping_del(struct cli *c, char **args, int nargs)
{
	const char *error;
	uint32_t code = 0;
	(void)nargs;
	int rc = directory_client_map_set(&c->t, true, args[0], args[1], "", NULL, NULL, &code,
					  &error);
	return cli_simple(c, rc, code, error, "cannot delete the mapping", "mapping deleted");
}

/* Lists the mappings to target ("": all) as "ADDRESS -> TARGET (TYPE) COMMENT", or with a
 * mail-collector filter "ADDRESS -> TARGET (TYPE, collector NAME) COMMENT". */
static int map_list(struct cli *c, const char *target)
{
	struct pb_rec_route_map_list maps = { 0 };
	const char *error;
	uint32_t code = 0;

	int rc = directory_client_map_list(&c->t, target, &code, &maps, &error);
	int exit_code = cli_outcome(c, rc, code, error, "cannot list the mappings");
	for (size_t i = 0; exit_code == 0 && i < maps.n; i++) {
		const struct pb_rec_route_map *m = &maps.v[i];
		printf("%s -> %s (%s%s%s)%s%s\n", m->address, m->target, m->type,
		       m->collector[0] ? ", collector " : "", m->collector,
		       m->comment[0] ? " " : "", m->comment);
	}
	pb_rec_route_map_list_clear(&maps);
	return exit_code;
}

int cli_mapping_list(struct cli *c, char **args, int nargs)
{
	return map_list(c, arg_or(args, nargs, 0, ""));
}

int cli_alias_add(struct cli *c, char **args, int nargs)
{
	const char *error;
	uint32_t code = 0;
	int rc = directory_client_map_set(&c->t, false, args[1], args[0],
					  arg_or(args, nargs, 2, "always"), c->map_collector,
					  arg_or(args, nargs, 3, ""), &code, &error);
	return cli_simple(c, rc, code, error, "cannot add the alias", "alias added");
}

int cli_alias_del(struct cli *c, char **args, int nargs)
{
	const char *error;
	uint32_t code = 0;
	(void)nargs;
	int rc = directory_client_map_set(&c->t, true, args[1], args[0], "", NULL, NULL, &code,
					  &error);
	return cli_simple(c, rc, code, error, "cannot delete the alias", "alias deleted");
}

int cli_alias_list(struct cli *c, char **args, int nargs)
{
	(void)nargs;
	return map_list(c, args[0]);
}

int cli_list_add(struct cli *c, char **args, int nargs)
{
	const char *access = arg_or(args, nargs, 1, "internal");
	const char *error;
	uint32_t code = 0;

	if (strcasecmp(access, "internet") != 0 && strcasecmp(access, "internal") != 0) {
		fprintf(stderr, "pillarbox: the access is internet (anyone may write to the list) or "
				"internal (local senders only), not '%s'\n", access);
		return EXIT_USAGE;
	}
	int rc = directory_client_dlist_set(&c->t, "add", args[0], "",
					    strcasecmp(access, "internet") == 0,
					    arg_or(args, nargs, 2, ""), &code, &error);
	return cli_simple(c, rc, code, error, "cannot add the list", "list added");
}

static int list_op(struct cli *c, const char *op, const char *name, const char *member,
		   const char *what, const char *done)
{
	const char *error;
	uint32_t code = 0;
	int rc = directory_client_dlist_set(&c->t, op, name, member, false, "", &code, &error);
	return cli_simple(c, rc, code, error, what, done);
}

int cli_list_del(struct cli *c, char **args, int nargs)
{
	(void)nargs;
	return list_op(c, "del", args[0], "", "cannot delete the list", "list deleted");
}

int cli_list_addmember(struct cli *c, char **args, int nargs)
{
	(void)nargs;
	return list_op(c, "addmember", args[0], args[1], "cannot add the member", "member added");
}

int cli_list_delmember(struct cli *c, char **args, int nargs)
{
	(void)nargs;
	return list_op(c, "delmember", args[0], args[1], "cannot remove the member",
		       "member removed");
}

/* `list members NAME`: its access and comment, then one member a line; without NAME every
 * list on one line each. */
int cli_list_members(struct cli *c, char **args, int nargs)
{
	struct pb_rec_route_list_list lists = { 0 };
	const char *error;
	uint32_t code = 0;

	int rc = directory_client_dlist_list(&c->t, arg_or(args, nargs, 0, ""), &code, &lists,
					     &error);
	int exit_code = cli_outcome(c, rc, code, error, "cannot show the list");
	for (size_t i = 0; exit_code == 0 && i < lists.n; i++) {
		const struct pb_rec_route_list *l = &lists.v[i];
		printf("%s: %s, %u member(s)%s%s\n", l->name, l->internet ? "internet" : "internal",
		       l->members.n, l->comment[0] ? ", " : "", l->comment);
		for (uint32_t k = 0; nargs > 0 && k < l->members.n; k++)
			printf("  %s\n", l->members.v[k]);
	}
	pb_rec_route_list_list_clear(&lists);
	return exit_code;
}

int cli_trace(struct cli *c, char **args, int nargs)
{
	struct pb_strv lines = { 0 };
	const char *error;
	uint32_t code = 0;

	(void)nargs;
	int rc = spool_client_trace(&c->t, args[0], &code, &lines, &error);
	int exit_code = cli_outcome(c, rc, code, error, "no trace");
	for (uint32_t i = 0; exit_code == 0 && i < lines.n; i++)
		printf("%s\n", lines.v[i]);
	pb_strv_clear(&lines);
	return exit_code;
}
