/*
 * pillarbox-maint.c: `pillarbox maint run`: a maintenance round and the daily job now
 * (maint-actor.h), answered when done. OWNS: nothing. THREAD: the CLI's.
 */
#include "maint-client.h"
#include "pillarbox-cli.h"

int cli_maint_run(struct cli *c, char **args, int nargs)
{
	const char *error;
	uint32_t code = 0;

	(void)args;
	(void)nargs;
	int rc = maint_client_run(&c->t, &code, &error);
	return cli_simple(c, rc, code, error, "cannot run maintenance", "maintenance done");
}
