/*
 * pillarbox-apikey.c: `pillarbox apikey add|list|del` — the status server's API keys through
 * the admin bridge (statushub-client.h). A new key is printed once; only its hash is kept.
 * --role admin|user [--user U] adds the key's web API role (status-perms.h).
 * OWNS: nothing. THREAD: the CLI's one thread.
 */
#include "pillarbox-cli.h"

#include "pb-alloc.h"
#include "status-perms.h"
#include "statushub-client.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

int cli_apikey_add(struct cli *c, char **args, int nargs)
{
	const char *error;
	uint32_t code = 0;
	char *key = NULL, *perms = status_perms_with_web_role(nargs > 1 ? args[1] : "", c->role,
							      c->user, &error);

	if (perms == NULL) {
		fprintf(stderr, "pillarbox: %s\n", error);
		return EXIT_USAGE;
	}
	int rc = statushub_client_apikey_add(&c->t, args[0], perms, &code, &key, &error);
	free(perms);
	int exit_code = cli_outcome(c, rc, code, error, "cannot add the API key");
	if (exit_code == 0) {
		printf("%s\n", key);
		fprintf(stderr, "pillarbox: API key '%s' added; it is shown only now: keep it\n",
			args[0]);
		explicit_bzero(key, strlen(key));
	}
	free(key);
	return exit_code;
}

int cli_apikey_list(struct cli *c, char **args, int nargs)
{
	struct pb_rec_status_apikey_list l = { 0 };
	const char *error;
	uint32_t code = 0;
	char when[32];

	int rc = statushub_client_apikey_list(&c->t, &code, &l, &error);
	int exit_code = cli_outcome(c, rc, code, error, "cannot list the API keys");
	for (uint32_t i = 0; exit_code == 0 && i < l.n; i++) {
		time_t t = (time_t)(l.v[i].created_ms / 1000);
		struct tm tm;
		gmtime_r(&t, &tm);
		strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
		printf("%s created=%s permissions=%s\n", l.v[i].label, when,
		       l.v[i].permissions[0] ? l.v[i].permissions : "none");
	}
	if (exit_code == 0 && l.n == 0)
		printf("no API keys\n");
	pb_rec_status_apikey_list_clear(&l);
	return exit_code;
}

int cli_apikey_del(struct cli *c, char **args, int nargs)
{
	const char *error;
	uint32_t code = 0;

	int rc = statushub_client_apikey_del(&c->t, args[0], &code, &error);
	return cli_simple(c, rc, code, error, "cannot remove the API key", "API key removed");
}
