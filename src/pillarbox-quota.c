/*
 * pillarbox-quota.c: `pillarbox user quota NAME [--json]` (issue 13 item 6, admin guide 4.8):
 * an account's mailbox usage against its quota — bytes and messages over all folders, the
 * quota in effect (its own quota_mb, else quota.default_mb), the percentage, the highest
 * warning level reached (quota.warn1/2/3_percent) and whether SMTP sending is blocked
 * (quota.block_send_percent). `user show` prints the same as one line. Read only, by
 * mailbox-usage.h (shared with GET /api/users/{name}/quota).
 * OWNS: nothing. THREAD: the CLI's.
 */
#include "directory-client.h"
#include "mailbox-usage.h"
#include "pillarbox-cli.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>

/* Reads user_id's usage (mailbox-usage.h). 0, or the exit code (reported). */
static int quota_read(struct cli *c, uint64_t user_id, struct mailbox_usage *u)
{
	const char *error = NULL;
	uint32_t code = 0;
	int rc = mailbox_usage_read(&c->t, user_id, u, &code, &error);

	return cli_outcome(c, rc, code, error, "cannot read the mailbox's usage");
}

/* "used 1234 bytes in 5 messages of 10485760 (0.0 %), warning level 1 (80 %)". */
static void quota_print_line(const struct mailbox_usage *u)
{
	printf("used %llu bytes in %llu messages", (unsigned long long)u->bytes,
	       (unsigned long long)u->messages);
	if (u->quota_bytes == 0) {
		printf(", no quota\n");
		return;
	}
	printf(" of %llu (%.1f %%), ", (unsigned long long)u->quota_bytes, u->percent);
	if (u->level == 0)
		printf("no warning level reached");
	else
		printf("warning level %u (%u %%) reached", u->level, u->level_pct);
	printf("%s\n", u->blocked ? ", sending blocked" : "");
}

static void quota_print_json(const char *user, const struct mailbox_usage *u)
{
	cJSON *o = mailbox_usage_json(user, u);
	char *text = cJSON_PrintUnformatted(o);

	printf("%s\n", text);
	cJSON_free(text);
	cJSON_Delete(o);
}

int cli_user_quota_line(struct cli *c, uint64_t user_id)
{
	struct mailbox_usage u = { 0 };
	int exit_code = quota_read(c, user_id, &u);

	if (exit_code == 0) {
		printf("quota:    ");
		quota_print_line(&u);
	}
	return exit_code;
}

int cli_user_quota(struct cli *c, char **args, int nargs)
{
	struct mailbox_usage u = { 0 };
	const char *error;
	uint32_t code = 0;
	uint64_t user_id = 0;
	char *name = NULL;

	(void)nargs;
	int rc = directory_client_user_lookup(&c->t, args[0], &code, &user_id, &name, &error);
	int exit_code = cli_outcome(c, rc, code, error, "cannot find the account");
	if (exit_code == 0)
		exit_code = quota_read(c, user_id, &u);
	if (exit_code == 0 && c->json) {
		quota_print_json(name, &u);
	} else if (exit_code == 0) {
		printf("%s: ", name);
		quota_print_line(&u);
	}
	free(name);
	return exit_code;
}
