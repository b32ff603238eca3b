/*
 * pillarbox-dirhistory.c: `pillarbox history|history diff|history rollback|history
 * rollback-to|history checkpoint` — one timeline of every setting (sys-timeline.h): the
 * settings documents' (#N), the directory's (#dN), the collectors' (#cN), the connection
 * methods' (#sN), the blocks' (#bN) and the API keys' (#kN), merged by time; one change rolled
 * back by its owner (sys-client.h, directory-client-routes.h), everything to a point across
 * every kind (sys_timeline_rollback_to); checkpoints on the timeline.
 * OWNS: nothing. THREAD: the CLI's one thread.
 */
#include "pillarbox-cli.h"

#include "directory-client-routes.h"
#include "pb-alloc.h"
#include "sys-client.h"
#include "sys-timeline.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void cli_print_user_diff(const char *before, const char *after)
{
	cJSON *b = cJSON_Parse(before[0] != '\0' ? before : "{}");
	cJSON *a = cJSON_Parse(after[0] != '\0' ? after : "{}");
	cJSON *bs = cJSON_DetachItemFromObjectCaseSensitive(b, "settings");
	cJSON *as = cJSON_DetachItemFromObjectCaseSensitive(a, "settings");
	char *bt = bs != NULL ? cJSON_PrintUnformatted(bs) : xstrdup("");
	char *at = as != NULL ? cJSON_PrintUnformatted(as) : xstrdup("");
	char *bo = cJSON_PrintUnformatted(b), *ao = cJSON_PrintUnformatted(a);

	if (before[0] == '\0' || after[0] == '\0')
		printf("    (%s)\n", before[0] == '\0' ? "created" : "deleted");
	cli_print_diff(bt, at);
	cli_print_diff(bo != NULL ? bo : "", ao != NULL ? ao : "");
	free(bt);
	free(at);
	free(bo);
	free(ao);
	cJSON_Delete(bs);
	cJSON_Delete(as);
	cJSON_Delete(a);
	cJSON_Delete(b);
}

int cli_history(struct cli *c, char **args, int nargs)
{
	struct sys_timeline tl;
	const char *error;
	uint32_t code = 0;
	uint32_t limit = nargs > 0 ? (uint32_t)strtoul(args[0], NULL, 10) : 20;

	limit = limit > 0 && limit <= SYS_HISTORY_PAGE ? limit : 20;
	int rc = sys_timeline_read(&c->t, limit, &tl, &code, &error);
	int exit_code = cli_outcome(c, rc, code, error, "cannot read the history");
	for (size_t k = 0; exit_code == 0 && k < tl.n && k < limit; k++)
		cli_print_change(tl.v[k].c, sys_timeline_kind_prefix(tl.v[k].kind));
	if (exit_code == 0 && tl.n == 0)
		fprintf(stderr, "pillarbox: no changes yet\n");
	if (rc == 0 && code == PB_OK)
		sys_timeline_free(&tl);
	return exit_code;
}

/* "dN": the directory's change N (*dir_r true); "N": the settings'. 0, or -1 when bad. */
static int parse_seq(const char *arg, bool *dir_r, uint64_t *seq_r)
{
	char *end;

	*dir_r = arg[0] == 'd';
	const char *num = *dir_r ? arg + 1 : arg;
	*seq_r = strtoull(num, &end, 10);
	return num[0] >= '0' && num[0] <= '9' && *end == '\0' ? 0 : -1;
}

static int history_rollback(struct cli *c, const char *arg, bool to_point)
{
	const char *error;
	uint32_t code = 0, changed = 0;
	uint64_t seq;
	bool dir;

	if (parse_seq(arg, &dir, &seq) < 0) {
		fprintf(stderr, "pillarbox: a change is N (settings) or dN (directory)\n");
		return 2;
	}
	if (!dir)
		return to_point ? cli_setting_rollback_to(c, (char **)&arg, 1)
				: cli_setting_rollback(c, (char **)&arg, 1);
	int rc = directory_client_rollback(&c->t, seq, to_point, cli_who(), &code, &changed,
					   &error);
	int exit_code = cli_outcome(c, rc, code, error, "cannot roll the directory back");
	if (exit_code == 0)
		fprintf(stderr, "pillarbox: %u record%s put back\n", changed,
			changed == 1 ? "" : "s");
	return exit_code;
}

int cli_history_rollback(struct cli *c, char **args, int nargs)
{
	char kind, *why = NULL;
	uint64_t seq;
	const char *error;
	uint32_t code = 0;

	(void)nargs;
	if (sys_timeline_point(args[0], &kind, &seq) < 0 || kind == 0 || kind == 'd')
		return history_rollback(c, args[0], false);
	int rc = sys_timeline_rollback_one(&c->t, kind, seq, cli_who(), &code, &why, &error);
	int exit_code = cli_outcome(c, rc, code, why != NULL ? why : error,
				    "cannot roll that change back");
	if (exit_code == 0)
		fprintf(stderr, "pillarbox: 1 record put back\n");
	free(why);
	return exit_code;
}

int cli_history_rollback_to(struct cli *c, char **args, int nargs)
{
	char kind, *why = NULL;
	uint64_t seq;
	const char *error;
	uint32_t code = 0, changed = 0;

	(void)nargs;
	if (sys_timeline_point(args[0], &kind, &seq) < 0) {
		fprintf(stderr, "pillarbox: a point is N, dN, cN, sN, bN or kN (pillarbox history)\n");
		return 2;
	}
	if (seq == 0 && (kind == 0 || kind == 'd')) /* before every change of that history */
		return history_rollback(c, args[0], true);
	int rc = sys_timeline_rollback_to(&c->t, kind, seq, cli_who(), &code, &changed, &why,
					  &error);
	int exit_code = cli_outcome(c, rc, code, why != NULL ? why : error,
				    "cannot roll back to that point");
	if (exit_code == 0)
		fprintf(stderr, "pillarbox: %u record%s put back\n", changed,
			changed == 1 ? "" : "s");
	free(why);
	return exit_code;
}

int cli_history_checkpoint(struct cli *c, char **args, int nargs)
{
	const char *error;
	uint32_t code = 0;
	uint64_t seq = 0;

	int rc = sys_client_checkpoint(&c->t, nargs > 0 ? args[0] : "", cli_who(), &code, &seq,
				       &error);
	int exit_code = cli_outcome(c, rc, code, error, "cannot take a checkpoint");
	if (exit_code == 0)
		printf("checkpoint #%llu (pillarbox history rollback-to %llu comes back to it)\n",
		       (unsigned long long)seq, (unsigned long long)seq);
	return exit_code;
}

/* Change (kind, seq) of the timeline. NULL if not among those read. */
static const struct pb_rec_setting_change *find(const struct sys_timeline *tl, char kind,
						uint64_t seq)
{
	for (size_t i = 0; i < tl->n; i++)
		if (tl->v[i].kind == kind && tl->v[i].c->seq == seq)
			return tl->v[i].c;
	return NULL;
}

int cli_history_diff(struct cli *c, char **args, int nargs)
{
	struct sys_timeline tl;
	const char *error;
	uint32_t code = 0;
	uint64_t a, b;
	char ka, kb;

	(void)nargs;
	if (sys_timeline_point(args[0], &ka, &a) < 0 || sys_timeline_point(args[1], &kb, &b) < 0 ||
	    ka != kb) {
		fprintf(stderr, "pillarbox: compare two changes of one history: dA dB, cA cB, sA sB, "
				"bA bB, kA kB (settings: setting diff)\n");
		return 2;
	}
	int rc = sys_timeline_read(&c->t, SYS_HISTORY_PAGE, &tl, &code, &error);
	int exit_code = cli_outcome(c, rc, code, error, "cannot read the history");
	if (exit_code != 0)
		return exit_code;
	const struct pb_rec_setting_change *ca = find(&tl, ka, a), *cb = find(&tl, kb, b);
	if (ca == NULL || cb == NULL) {
		fprintf(stderr, "pillarbox: no change %s%llu in the history\n",
			sys_timeline_kind_prefix(ka), (unsigned long long)(ca == NULL ? a : b));
		exit_code = 1;
	} else {
		const char *p = sys_timeline_kind_prefix(ka);
		printf("%s (#%s%llu) .. %s (#%s%llu):\n", ca->doc, p, (unsigned long long)a, cb->doc,
		       p, (unsigned long long)b);
		if (strncmp(ca->doc, "user:", 5) == 0)
			cli_print_user_diff(ca->after, cb->after);
		else
			cli_print_diff(ca->after, cb->after);
	}
	sys_timeline_free(&tl);
	return exit_code;
}
