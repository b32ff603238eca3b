/*
 * pillarbox-cli.h: the admin CLI's command line — the command table with its help, the parsing
 * (options anywhere on the line), and the commands themselves (pillarbox.c), which see only
 * their positional arguments, counted already.
 * OWNS: nothing. THREAD: the CLI's one thread.
 */
#ifndef PILLARBOX_CLI_H
#define PILLARBOX_CLI_H

#include "pb-client.h"
#include "sys-client.h"

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>

#define EXIT_REFUSED 1     /* the daemon (or a check before asking it) said no */
#define EXIT_UNREACHABLE 2 /* the daemon cannot be reached, or failed for now */
#define EXIT_USAGE 64      /* the command line is wrong (sysexits EX_USAGE) */

struct cli {
	char url[PATH_MAX + 16];
	const char *data_dir;
	char config_data_dir[PATH_MAX]; /* data_dir read from the bootstrap file */
	uint32_t timeout_ms;
	bool force, dry_run, explain, json;
	const char *copy_from;
	struct pb_sync t; /* over the control socket */
};

/* The commands (pillarbox.c): args are the positional arguments after the command's words,
 * nargs within the table's bounds. Return the exit code. */
int cli_user_add(struct cli *c, char **args, int nargs);
int cli_user_del(struct cli *c, char **args, int nargs);
int cli_user_list(struct cli *c, char **args, int nargs);
int cli_user_show(struct cli *c, char **args, int nargs);
int cli_user_passwd(struct cli *c, char **args, int nargs);
int cli_user_rename(struct cli *c, char **args, int nargs);
int cli_user_copy(struct cli *c, char **args, int nargs);
int cli_user_bulk_add(struct cli *c, char **args, int nargs);
int cli_domain_add(struct cli *c, char **args, int nargs);
int cli_domain_del(struct cli *c, char **args, int nargs);
int cli_domain_list(struct cli *c, char **args, int nargs);
int cli_setting_show(struct cli *c, char **args, int nargs);
int cli_setting_set(struct cli *c, char **args, int nargs);
int cli_status(struct cli *c, char **args, int nargs);
/* Prints a status (pillarbox-status.c): readable, or one JSON object. */
void cli_print_status(const struct sys_status *st, bool json);

#endif
