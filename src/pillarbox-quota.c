/*
 * pillarbox-quota.c: `pillarbox user quota NAME [--json]` (issue 13 item 6, admin guide 4.8):
 * an account's mailbox usage against its quota — bytes and messages over all folders, the
 * quota in effect (its own quota_mb, else quota.default_mb), the percentage, the highest
 * warning level reached (quota.warn1/2/3_percent) and whether SMTP sending is blocked
 * (quota.block_send_percent). `user show` prints the same as one line. Read only: the owner's
 * statistics (MBOX_STAT_REQ) and folder list (MBOX_FOLDERS_REQ), the quota settings.
 * OWNS: nothing. THREAD: the CLI's.
 */
#include "directory-client.h"
#include "mailbox-client.h"
#include "pb-settings.h"
#include "pillarbox-cli.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>

/* One account's usage as the CLI reports it. */
struct quota_usage {
	uint64_t bytes, messages, quota_bytes; /* quota_bytes 0: no quota */
	uint32_t level;                        /* 0 none, 1..3 the warning level reached */
	uint32_t level_pct;                    /* that level's percent (0: none) */
	double percent;                        /* of the quota; 0 without one */
	bool blocked;                          /* past quota.block_send_percent */
};

/* The highest warning level u's usage has reached under the settings s, as the owner counts
 * it (mailbox-quota.c: usage * 100 >= percent * limit). */
static void quota_level(const struct pb_settings *s, struct quota_usage *u)
{
	const uint32_t pct[4] = { 0, s->quota.warn1_percent, s->quota.warn2_percent,
				  s->quota.warn3_percent };

	u->percent = u->quota_bytes ? 100.0 * (double)u->bytes / (double)u->quota_bytes : 0;
	for (uint32_t i = 1; i <= 3 && u->quota_bytes != 0; i++) {
		if (pct[i] != 0 && u->bytes * 100 >= (uint64_t)pct[i] * u->quota_bytes) {
			u->level = i;
			u->level_pct = pct[i];
		}
	}
}

/* Reads user_id's usage: the owner's statistics, its folders' messages, the settings. 0, or
 * the exit code (reported). */
static int quota_read(struct cli *c, uint64_t user_id, struct quota_usage *u)
{
	struct pb_rec_mbox_folder_list folders = { 0 };
	struct mailbox_stat st = { 0 };
	const char *error;
	uint32_t code = 0;

	int rc = mailbox_client_stat(&c->t, user_id, &code, &st, &error);
	int exit_code = cli_outcome(c, rc, code, error, "cannot read the mailbox's usage");
	if (exit_code == 0) {
		rc = mailbox_client_folders(&c->t, user_id, NULL, &code, &folders, &error);
		exit_code = cli_outcome(c, rc, code, error, "cannot list the folders");
	}
	for (size_t i = 0; exit_code == 0 && i < folders.n; i++)
		u->messages += folders.v[i].messages;
	pb_rec_mbox_folder_list_clear(&folders);
	u->bytes = st.bytes;
	u->quota_bytes = st.quota_bytes;
	u->blocked = st.blocked;
	struct pb_settings *s = calloc(1, sizeof(*s));
	pb_settings_defaults(s);
	if (exit_code == 0)
		exit_code = cli_settings_fetch(c, "quota", s);
	if (exit_code == 0)
		quota_level(s, u);
	free(s);
	return exit_code;
}

/* "used 1234 bytes in 5 messages of 10485760 (0.0 %), warning level 1 (80 %)". */
static void quota_print_line(const struct quota_usage *u)
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

static void quota_print_json(const char *user, const struct quota_usage *u)
{
	cJSON *o = cJSON_CreateObject();

	cJSON_AddStringToObject(o, "user", user);
	cJSON_AddNumberToObject(o, "bytes", (double)u->bytes);
	cJSON_AddNumberToObject(o, "messages", (double)u->messages);
	if (u->quota_bytes != 0) {
		cJSON_AddNumberToObject(o, "quota_bytes", (double)u->quota_bytes);
		cJSON_AddNumberToObject(o, "percent", (double)(long long)(u->percent * 10) / 10);
	} else {
		cJSON_AddNullToObject(o, "quota_bytes");
		cJSON_AddNullToObject(o, "percent");
	}
	cJSON_AddNumberToObject(o, "level", u->level);
	cJSON_AddBoolToObject(o, "send_blocked", u->blocked);
	char *text = cJSON_PrintUnformatted(o);
	printf("%s\n", text);
	cJSON_free(text);
	cJSON_Delete(o);
}

int cli_user_quota_line(struct cli *c, uint64_t user_id)
{
	struct quota_usage u = { 0 };
	int exit_code = quota_read(c, user_id, &u);

	if (exit_code == 0) {
		printf("quota:    ");
		quota_print_line(&u);
	}
	return exit_code;
}

int cli_user_quota(struct cli *c, char **args, int nargs)
{
	struct quota_usage u = { 0 };
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
