/*
 * pillarbox-collector.c: `pillarbox collector add|set|del|list|show|run|fetch` — the mail
 * collectors through the admin bridge (collector-client.h). The password is never printed;
 * password=- reads it as one line of standard input (so it stays out of the process list).
 * OWNS: nothing. THREAD: the CLI's one thread.
 */
#include "pillarbox-cli.h"

#include "collector-client.h"

#include <cjson/cJSON.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* args with "password=-" replaced by the line read from stdin (wiped by args_free). */
static char **args_with_password(char **args, int nargs, int *wipe_r)
{
	char **v = calloc((size_t)nargs + 1, sizeof(char *));
	char line[1024];

	*wipe_r = -1;
	for (int i = 0; i < nargs; i++) {
		v[i] = args[i];
		if (strcmp(args[i], "password=-") != 0)
			continue;
		if (fgets(line, sizeof(line), stdin) == NULL)
			line[0] = '\0';
		line[strcspn(line, "\r\n")] = '\0';
		size_t n = strlen(line) + sizeof("password=");
		v[i] = malloc(n);
		snprintf(v[i], n, "password=%s", line);
		explicit_bzero(line, sizeof(line));
		*wipe_r = i;
	}
	return v;
}

static void args_free(char **v, int wipe)
{
	if (wipe >= 0) {
		explicit_bzero(v[wipe], strlen(v[wipe]));
		free(v[wipe]);
	}
	free(v);
}

static int op(struct cli *c, const char *what, const char *name, char **args, int nargs,
	      const char *done)
{
	const char *error;
	uint32_t code = 0;
	int wipe;
	char msg[64];

	char **v = args_with_password(args, nargs, &wipe);
	int rc = collector_client_op(&c->t, what, name, (const char *const *)v, (size_t)nargs, &code,
				     &error);
	args_free(v, wipe);
	snprintf(msg, sizeof(msg), "cannot %s the collector", what);
	return cli_simple(c, rc, code, error, msg, done);
}

int cli_collector_add(struct cli *c, char **args, int nargs)
{
	return op(c, "add", args[0], args + 1, nargs - 1, "added");
}

int cli_collector_set(struct cli *c, char **args, int nargs)
{
	return op(c, "set", args[0], args + 1, nargs - 1, "changed");
}

int cli_collector_del(struct cli *c, char **args, int nargs)
{
	return op(c, "del", args[0], NULL, 0, "deleted");
}

int cli_collector_fetch(struct cli *c, char **args, int nargs)
{
	return op(c, "fetch", args[0], args + 1, 1, "it is fetched at the next run");
}

static void fmt_time(double ms, char *buf, size_t size)
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;

	if (ms <= 0) {
		snprintf(buf, size, "never");
		return;
	}
	gmtime_r(&t, &tm);
	strftime(buf, size, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static const char *str(const cJSON *o, const char *key)
{
	const cJSON *v = cJSON_GetObjectItem(o, key);
	return cJSON_IsString(v) ? v->valuestring : "";
}

static double num(const cJSON *o, const char *key)
{
	const cJSON *v = cJSON_GetObjectItem(o, key);
	return cJSON_IsNumber(v) ? v->valuedouble : 0;
}

/* An IMAP collector's folders: remote -> local, UIDVALIDITY, the highest UID stored of the
 * remote's UIDNEXT. */
static void print_progress(const cJSON *progress)
{
	const cJSON *f;

	cJSON_ArrayForEach(f, cJSON_GetObjectItem(progress, "folders")) {
		printf("  folder %s -> %s: uidvalidity %.0f, uid %.0f of uidnext %.0f\n",
		       str(f, "remote"), str(f, "local"), num(f, "uidvalidity"), num(f, "done"),
		       num(f, "uidnext"));
	}
}

/* One collector: a line (list), or every setting then the status (show). */
static void print_item(const char *json, bool detail)
{
	cJSON *o = cJSON_Parse(json);
	const cJSON *st = cJSON_GetObjectItem(o, "status");
	char last[32];

	fmt_time(num(st, "last_run_ms"), last, sizeof(last));
	printf("%s %s@%s:%.0f route=%s last_run=%s result=%s fetched=%.0f total_fetched=%.0f\n",
	       str(o, "name"), str(o, "user"), str(o, "server"), num(o, "port"), str(o, "route"),
	       last, st != NULL ? str(st, "result") : "-", num(st, "fetched"),
	       num(st, "total_fetched"));
	if (detail) {
		const cJSON *m;
		cJSON_ArrayForEach(m, o) {
			if (strcmp(m->string, "status") == 0 || strcmp(m->string, "name") == 0 ||
			    strcmp(m->string, "progress") == 0)
				continue;
			char *v = cJSON_PrintUnformatted(m);
			printf("  %s: %s\n", m->string, v);
			cJSON_free(v);
		}
		printf("  last run: too_big %.0f, deleted %.0f, waiting %.0f; UIDLs remembered %.0f\n",
		       num(st, "too_big"), num(st, "deleted"), num(st, "waiting"),
		       num(st, "seen_uidls"));
		print_progress(cJSON_GetObjectItem(o, "progress"));
	}
	cJSON_Delete(o);
}

static int list(struct cli *c, const char *name)
{
	struct pb_strv items = { 0 };
	const char *error;
	uint32_t code = 0;

	int rc = collector_client_list(&c->t, name, &code, &items, &error);
	int exit_code = cli_outcome(c, rc, code, error, "cannot read the collectors");
	for (uint32_t i = 0; exit_code == 0 && i < items.n; i++) {
		if (c->json)
			printf("%s\n", items.v[i]);
		else
			print_item(items.v[i], name[0] != '\0');
	}
	if (exit_code == 0 && items.n == 0 && !c->json)
		printf("no mail collectors\n");
	pb_strv_clear(&items);
	return exit_code;
}

int cli_collector_list(struct cli *c, char **args, int nargs)
{
	return list(c, "");
}

int cli_collector_show(struct cli *c, char **args, int nargs)
{
	return list(c, args[0]);
}

int cli_collector_run(struct cli *c, char **args, int nargs)
{
	struct collector_client_result r = { 0 };
	const char *error;
	uint32_t code = 0;
	int64_t at_ms = 0;

	if (nargs > 1) {
		char *end;
		long long at = strtoll(args[1], &end, 10);
		if (*end != '\0' || at <= 0) {
			fprintf(stderr, "pillarbox: AT is a time in seconds since 1970, not '%s'\n",
				args[1]);
			return EXIT_USAGE;
		}
		at_ms = at * 1000;
	}
	int rc = collector_client_run(&c->t, args[0], at_ms, &code, &r, &error);
	int exit_code = cli_outcome(c, rc, code, error, "the collection failed");
	if (exit_code == 0)
		printf("fetched=%u too_big=%u deleted=%u waiting=%u\n", r.fetched, r.too_big,
		       r.deleted, r.waiting);
	return exit_code;
}

void cli_print_collectors_status(const struct pb_strv *items)
{
	char last[32];

	if (items == NULL) {
		printf("\nmail collectors: (no answer)\n");
		return;
	}
	printf("\nmail collectors: %u\n", items->n);
	for (uint32_t i = 0; i < items->n; i++) {
		cJSON *o = cJSON_Parse(items->v[i]);
		const cJSON *st = cJSON_GetObjectItem(o, "status");
		fmt_time(num(st, "last_run_ms"), last, sizeof(last));
		printf("  %-20s last run %s: %s, fetched %.0f (%.0f in all)\n", str(o, "name"), last,
		       st != NULL ? str(st, "result") : "-", num(st, "fetched"),
		       num(st, "total_fetched"));
		cJSON_Delete(o);
	}
}

void cli_json_collectors_status(cJSON *o, const struct pb_strv *items)
{
	if (items == NULL) {
		cJSON_AddNullToObject(o, "collectors");
		return;
	}
	cJSON *a = cJSON_AddArrayToObject(o, "collectors");
	for (uint32_t i = 0; i < items->n; i++)
		cJSON_AddItemToArray(a, cJSON_Parse(items->v[i]));
}
