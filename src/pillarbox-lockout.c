/*
 * pillarbox-lockout.c: the CLI's lockout commands (through lockout-client.h and, for the
 * never-block list, the settings document security): `lockout list`, `lockout unlock USER
 * [--ip IP]`, `block add|del|list`, `neverblock add|del|list`, `user logins NAME`, and the
 * locks `user show` prints.
 * The never-block list is the setting security.never_block (sys owns settings; the guard reads
 * the snapshot): `neverblock add/del` read the list in effect, change it and write it back,
 * so it is also editable with `setting set` and in the web UI later. The block list is the
 * guard's own (it changes as logins fail), so it has its own messages.
 * OWNS: nothing. THREAD: the CLI's.
 */
#include "lockout-client.h"
#include "pb-settings.h"
#include "pillarbox-cli.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* A wall-clock ms time as "2026-11-29 14:05:00 UTC", or "never" for 0 (forever). */
static const char *when(int64_t ms, char *buf, size_t size)
{
	time_t t = (time_t)(ms / 1000);

	if (ms == 0)
		return "never";
	strftime(buf, size, "%Y-%m-%d %H:%M:%S UTC", gmtime(&t));
	return buf;
}

static void print_locks(const struct pb_rec_lockout_lock_list *l, bool with_user)
{
	char buf[64];

	if (l->n == 0) {
		printf("no account locks\n");
		return;
	}
	printf("%s%-39s %8s  %s\n", with_user ? "USER                             " : "",
	       "LOCKED FOR ADDRESS", "FAILURES", "UNTIL");
	for (uint32_t i = 0; i < l->n; i++) {
		if (with_user)
			printf("%-32s ", l->v[i].user);
		printf("%-39s %8u  %s\n", l->v[i].ip, l->v[i].failures,
		       when(l->v[i].until_ms, buf, sizeof(buf)));
	}
}

static void print_blocks(const struct pb_rec_lockout_block_list *l)
{
	char until[64];

	if (l->n == 0) {
		printf("no blocked addresses\n");
		return;
	}
	printf("%-39s %-23s %-8s %s\n", "BLOCKED", "UNTIL", "PROTOCOL", "REASON");
	for (uint32_t i = 0; i < l->n; i++)
		printf("%-39s %-23s %-8s %s%s\n", l->v[i].net, when(l->v[i].until_ms, until, sizeof(until)),
		       l->v[i].protocol, l->v[i].automatic ? "" : "manual: ", l->v[i].reason);
}

/* Fetches every lock and block; prints the locks (with_locks) and the blocks. */
static int list_all(struct cli *c, bool with_locks)
{
	struct pb_rec_lockout_lock_list locks = { 0 };
	struct pb_rec_lockout_block_list blocks = { 0 };
	const char *error;
	uint32_t code = 0;

	int rc = lockout_client_list(&c->t, &code, &locks, &blocks, &error);
	int exit_code = cli_outcome(c, rc, code, error, "cannot list the locks and blocks");
	if (exit_code == 0 && with_locks) {
		print_locks(&locks, true);
		printf("\n");
	}
	if (exit_code == 0)
		print_blocks(&blocks);
	pb_rec_lockout_lock_list_clear(&locks);
	pb_rec_lockout_block_list_clear(&blocks);
	return exit_code;
}

int cli_lockout_list(struct cli *c, char **args, int nargs)
{
	return list_all(c, true);
}

int cli_block_list(struct cli *c, char **args, int nargs)
{
	return list_all(c, false);
}

int cli_lockout_unlock(struct cli *c, char **args, int nargs)
{
	const char *error;
	uint32_t code = 0;

	int rc = lockout_client_unlock(&c->t, args[0], c->ip, &code, &error);
	return cli_simple(c, rc, code, error, "cannot unlock", "unlocked");
}

int cli_block_add(struct cli *c, char **args, int nargs)
{
	const char *error;
	uint32_t code = 0;

	int rc = lockout_client_block_add(&c->t, args[0], c->minutes, nargs > 1 ? args[1] : "",
					  &code, &error);
	return cli_simple(c, rc, code, error, "cannot block", "blocked");
}

int cli_block_del(struct cli *c, char **args, int nargs)
{
	const char *error;
	uint32_t code = 0;

	int rc = lockout_client_block_del(&c->t, args[0], &code, &error);
	return cli_simple(c, rc, code, error, "cannot unblock", "unblocked");
}

/* Prints user's locks (for `user show`). */
int cli_print_user_locks(struct cli *c, const char *user)
{
	struct pb_rec_lockout_lock_list locks = { 0 };
	struct pb_rec_login_event_list logins = { 0 };
	const char *error;
	uint32_t code = 0;

	int rc = lockout_client_user(&c->t, user, &code, &locks, &logins, &error);
	int exit_code = cli_outcome(c, rc, code, error, "cannot read the account's locks");
	if (exit_code == 0 && locks.n > 0) {
		printf("locked:   for the addresses below (others can still log in)\n");
		print_locks(&locks, false);
	} else if (exit_code == 0) {
		printf("locked:   no\n");
	}
	pb_rec_lockout_lock_list_clear(&locks);
	pb_rec_login_event_list_clear(&logins);
	return exit_code;
}

int cli_user_logins(struct cli *c, char **args, int nargs)
{
	struct pb_rec_lockout_lock_list locks = { 0 };
	struct pb_rec_login_event_list logins = { 0 };
	const char *error;
	uint32_t code = 0;
	char buf[64];

	int rc = lockout_client_user(&c->t, args[0], &code, &locks, &logins, &error);
	int exit_code = cli_outcome(c, rc, code, error, "cannot read the logins");
	if (exit_code == 0 && logins.n == 0)
		printf("no logins recorded since the daemon started\n");
	else if (exit_code == 0)
		printf("%-23s %-39s %-8s %s\n", "TIME", "ADDRESS", "PROTOCOL", "RESULT");
	for (uint32_t i = 0; exit_code == 0 && i < logins.n; i++) {
		const struct pb_rec_login_event *e = &logins.v[i];
		printf("%-23s %-39s %-8s %s%s\n", when(e->time_ms, buf, sizeof(buf)), e->ip,
		       e->protocol, e->result, e->refused ? " (refused: locked or blocked)" : "");
	}
	pb_rec_lockout_lock_list_clear(&locks);
	pb_rec_login_event_list_clear(&logins);
	return exit_code;
}

/* ---- the never-block list: the setting security.never_block ------------------------------- */

/* The list in effect into text_r (allocated). 0 or the exit code. */
static int neverblock_get(struct cli *c, char **text_r)
{
	struct pb_settings *s = xmalloc(sizeof(*s));

	pb_settings_defaults(s);
	int exit_code = cli_settings_fetch(c, "security", s);
	*text_r = exit_code == 0 ? xstrdup(s->security.never_block.text) : NULL;
	free(s);
	return exit_code;
}

/* The list text with net's canonical entry added (add) or removed; NULL (reported) if it is
 * already there / not there, or net is no network. */
static char *neverblock_edit(const char *text, const char *net, bool add)
{
	struct pb_cidr want, have;
	char canon[PB_CIDR_TEXT_MAX], item[PB_CIDR_TEXT_MAX], *error = NULL, *copy = xstrdup(text);
	char *out = xstrdup(""), *save = NULL;
	bool found = false;

	if (pb_cidr_parse_one(net, &want, &error) < 0) {
		fprintf(stderr, "pillarbox: %s\n", error);
		free(error);
		free(copy);
		free(out);
		return NULL;
	}
	pb_cidr_format(&want, canon);
	for (char *w = strtok_r(copy, " \t\r\n,", &save); w != NULL; w = strtok_r(NULL, " \t\r\n,", &save)) {
		bool same = pb_cidr_parse_one(w, &have, &error) == 0 &&
			    (pb_cidr_format(&have, item), strcmp(item, canon) == 0);
		free(error);
		error = NULL;
		found |= same;
		if (same && !add)
			continue;
		char *next = xasprintf("%s%s%s", out, out[0] ? " " : "", w);
		free(out);
		out = next;
	}
	free(copy);
	if (found == add) {
		fprintf(stderr, "pillarbox: %s is %s the never-block list\n", canon,
			add ? "already on" : "not on");
		free(out);
		return NULL;
	}
	if (add) {
		char *next = xasprintf("%s%s%s", out, out[0] ? " " : "", canon);
		free(out);
		out = next;
	}
	return out;
}

static int neverblock_change(struct cli *c, const char *net, bool add)
{
	const char *error;
	uint32_t code = 0;
	char *text = NULL;
	int exit_code = neverblock_get(c, &text);

	if (exit_code != 0)
		return exit_code;
	char *edited = neverblock_edit(text, net, add);
	free(text);
	if (edited == NULL)
		return EXIT_REFUSED;
	char *json = xasprintf("{\"never_block\": \"%s\"}", edited); /* addresses need no escaping */
	free(edited);
	int rc = sys_client_setting_put(&c->t, "security", json, cli_who(), &code, &error);
	free(json);
	return cli_simple(c, rc, code, error, "cannot change the never-block list",
			  add ? "added to the never-block list" : "removed from the never-block list");
}

int cli_neverblock_add(struct cli *c, char **args, int nargs)
{
	return neverblock_change(c, args[0], true);
}

int cli_neverblock_del(struct cli *c, char **args, int nargs)
{
	return neverblock_change(c, args[0], false);
}

int cli_neverblock_list(struct cli *c, char **args, int nargs)
{
	char *text = NULL, *save = NULL;
	int exit_code = neverblock_get(c, &text);
	bool any = false;

	for (char *w = exit_code == 0 ? strtok_r(text, " \t\r\n,", &save) : NULL; w != NULL;
	     w = strtok_r(NULL, " \t\r\n,", &save)) {
		printf("%s\n", w);
		any = true;
	}
	if (exit_code == 0 && !any)
		fprintf(stderr, "pillarbox: the never-block list is empty\n");
	free(text);
	return exit_code;
}
