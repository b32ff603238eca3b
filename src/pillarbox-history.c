/*
 * pillarbox-history.c: `pillarbox setting history|diff|rollback|rollback-to` — the settings
 * history sys keeps (every change with who, when, before and after; sys-history.c), read and
 * rolled back through the admin bridge (sys-client.h); and who the CLI's changes are by. The
 * server script's changes (document router-script) are shown as changed lines.
 * OWNS: nothing. THREAD: the CLI's one thread.
 */
#include "pillarbox-cli.h"

#include "pb-alloc.h"
#include "sys-client.h"

#include <cjson/cJSON.h>
#include <inttypes.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

const char *cli_who(void)
{
	static char who[64];
	struct passwd *pw = getpwuid(geteuid());

	snprintf(who, sizeof(who), "cli:%s", pw != NULL ? pw->pw_name : "?");
	return who;
}

/* The keys whose values differ between two documents (JSON objects as text; "" is none), one
 * "  key: old -> new" line each ("(default)" for a key not set). */
void cli_print_diff(const char *before, const char *after)
{
	cJSON *b = cJSON_Parse(before[0] != '\0' ? before : "{}");
	cJSON *a = cJSON_Parse(after[0] != '\0' ? after : "{}");
	const cJSON *k;

	for (int pass = 0; pass < 2; pass++) {
		const cJSON *walk = pass == 0 ? a : b, *cmp = pass == 0 ? b : a;
		cJSON_ArrayForEach(k, walk) {
			const cJSON *other = cJSON_GetObjectItemCaseSensitive(cmp, k->string);
			if (pass == 1 && other != NULL)
				continue; /* printed in the first pass */
			if (other != NULL && cJSON_Compare(other, k, 1))
				continue;
			char *kv = cJSON_PrintUnformatted(k);
			char *ov = other != NULL ? cJSON_PrintUnformatted(other) : NULL;
			printf("    %s: %s -> %s\n", k->string,
			       pass == 0 ? (ov != NULL ? ov : "(default)") : kv,
			       pass == 0 ? kv : "(default)");
			free(kv);
			free(ov);
		}
	}
	cJSON_Delete(a);
	cJSON_Delete(b);
}

/* The "text" of a stored server script document (JSON as text; "" or {}: the installed copy),
 * split into lines (v). */
static void script_lines(const char *json, struct pb_strv *v)
{
	cJSON *o = cJSON_Parse(json[0] != '\0' ? json : "{}");
	const cJSON *t = cJSON_GetObjectItemCaseSensitive(o, "text");
	const char *p = cJSON_IsString(t) ? t->valuestring : NULL;

	while (p != NULL && *p != '\0') {
		const char *nl = strchr(p, '\n');
		size_t len = nl != NULL ? (size_t)(nl - p) : strlen(p);
		char *line = xstrndup(p, len);
		pb_strv_push(v, line);
		free(line);
		p += len + (nl != NULL);
	}
	cJSON_Delete(o);
}

/* The server script's change (the document router-script, actors/sys/sys-script.c) as lines:
 * the lines both texts share at the start and at the end left out, then "    - old line" and
 * "    + new line" for the rest; "(installed copy)" for a side without a stored text. */
static void print_script_diff(const char *before, const char *after)
{
	struct pb_strv b = { 0 }, a = { 0 };
	uint32_t head = 0, tail = 0;

	script_lines(before, &b);
	script_lines(after, &a);
	while (head < b.n && head < a.n && strcmp(b.v[head], a.v[head]) == 0)
		head++;
	while (tail < b.n - head && tail < a.n - head &&
	       strcmp(b.v[b.n - 1 - tail], a.v[a.n - 1 - tail]) == 0)
		tail++;
	if (b.n == 0 || a.n == 0)
		printf("    text: %s -> %s\n", b.n ? "stored" : "(installed copy)",
		       a.n ? "stored" : "(installed copy)");
	if (head > 0 || tail > 0)
		printf("    (%u lines alike at the start, %u at the end)\n", head, tail);
	for (uint32_t i = head; i < b.n - tail; i++)
		printf("    - %s\n", b.v[i]);
	for (uint32_t i = head; i < a.n - tail; i++)
		printf("    + %s\n", a.v[i]);
	pb_strv_clear(&b);
	pb_strv_clear(&a);
}

void cli_print_change(const struct pb_rec_setting_change *c, const char *prefix)
{
	time_t t = (time_t)(c->at_ms / 1000);
	struct tm tm;
	char when[32];

	localtime_r(&t, &tm);
	strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S", &tm);
	printf("#%s%" PRIu64 "  %s  %s  %s%s%s\n", prefix, c->seq, when, c->by[0] ? c->by : "?",
	       c->doc[0] != '\0' ? c->doc : "(checkpoint)", c->note[0] != '\0' ? "  " : "", c->note);
	if (c->doc[0] != '\0' && strncmp(c->doc, "user:", 5) == 0)
		cli_print_user_diff(c->had_before ? c->before : "", c->after);
	else if (strcmp(c->doc, "router-script") == 0)
		print_script_diff(c->had_before ? c->before : "", c->after);
	else if (c->doc[0] != '\0')
		cli_print_diff(c->had_before ? c->before : "", c->after);
}

int cli_setting_history(struct cli *c, char **args, int nargs)
{
	struct pb_rec_setting_change_list v = { 0 };
	const char *error;
	uint32_t code = 0;
	uint32_t limit = nargs > 0 ? (uint32_t)strtoul(args[0], NULL, 10) : 20;

	int rc = sys_client_setting_history(&c->t, 0, limit > 0 ? limit : 20, &code, &v, &error);
	int exit_code = cli_outcome(c, rc, code, error, "cannot read the settings history");
	if (exit_code == 0 && v.n == 0)
		fprintf(stderr, "pillarbox: no settings changes yet\n");
	for (uint32_t i = 0; exit_code == 0 && i < v.n; i++)
		cli_print_change(&v.v[i], "");
	pb_rec_setting_change_list_clear(&v);
	return exit_code;
}

/* Reads the history back to change `from` (exclusive), newest first, page by page. */
static int history_since(struct cli *c, uint64_t from, struct pb_rec_setting_change_list *all)
{
	uint64_t before = 0;
	const char *error;
	uint32_t code = 0;

	for (;;) {
		struct pb_rec_setting_change_list page = { 0 };
		int rc = sys_client_setting_history(&c->t, before, SYS_HISTORY_PAGE, &code, &page,
						    &error);
		int exit_code = cli_outcome(c, rc, code, error, "cannot read the settings history");
		bool more = exit_code == 0 && page.n == SYS_HISTORY_PAGE;
		for (uint32_t i = 0; exit_code == 0 && i < page.n; i++) {
			if (page.v[i].seq <= from) {
				more = false;
				break;
			}
			struct pb_rec_setting_change *d = pb_rec_setting_change_push(all);
			*d = page.v[i];
			memset(&page.v[i], 0, sizeof(page.v[i]));
			before = d->seq;
		}
		pb_rec_setting_change_list_clear(&page);
		if (exit_code != 0 || !more)
			return exit_code;
	}
}

int cli_setting_diff(struct cli *c, char **args, int nargs)
{
	uint64_t from = strtoull(args[0], NULL, 10);
	uint64_t to = nargs > 1 ? strtoull(args[1], NULL, 10) : UINT64_MAX;
	struct pb_rec_setting_change_list all = { 0 };

	if (to < from) {
		uint64_t t = to;
		to = from;
		from = t;
	}
	int exit_code = history_since(c, from, &all);
	/* each document changed in (from, to]: its state before the first, after the last */
	for (uint32_t i = all.n; exit_code == 0 && i-- > 0;) {
		const struct pb_rec_setting_change *first = &all.v[i], *last = NULL;
		if (first->seq > to || first->doc[0] == '\0')
			continue;
		bool seen = false;
		for (uint32_t j = i + 1; j < all.n && !seen; j++)
			seen = strcmp(all.v[j].doc, first->doc) == 0;
		if (seen)
			continue; /* an older change of this document came first */
		for (uint32_t j = 0; j <= i; j++)
			if (all.v[j].seq <= to && strcmp(all.v[j].doc, first->doc) == 0) {
				last = &all.v[j];
				break;
			}
		printf("%s (#%" PRIu64 " .. #%" PRIu64 "):\n", first->doc, first->seq, last->seq);
		if (strcmp(first->doc, "router-script") == 0)
			print_script_diff(first->had_before ? first->before : "", last->after);
		else
			cli_print_diff(first->had_before ? first->before : "", last->after);
	}
	pb_rec_setting_change_list_clear(&all);
	return exit_code;
}

static int rollback(struct cli *c, const char *seq, bool to_point)
{
	const char *error;
	uint32_t code = 0, changed = 0;
	int rc = sys_client_setting_rollback(&c->t, strtoull(seq, NULL, 10), to_point, cli_who(),
					     &code, &changed, &error);
	int exit_code = cli_outcome(c, rc, code, error, "cannot roll the settings back");
	if (exit_code == 0)
		fprintf(stderr, "pillarbox: %u settings document%s put back\n", changed,
			changed == 1 ? "" : "s");
	return exit_code;
}

int cli_setting_rollback(struct cli *c, char **args, int nargs)
{
	return rollback(c, args[0], false);
}

int cli_setting_rollback_to(struct cli *c, char **args, int nargs)
{
	return rollback(c, args[0], true);
}
