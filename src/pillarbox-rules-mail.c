/*
 * pillarbox-rules-mail.c: `rules dry-run USER --folder F --last N [--json]` (issue 13 item 9):
 * the administrator's rules, then USER's, evaluated over the last N messages of USER's folder F
 * as they are stored, one report per message, changing nothing. The mail is read through the
 * typed stubs only (the mailbox owner's listing, the reader's ranged read), never the store:
 * the listing gives each message's uid, size, flags and keywords (the Marked Read, Flagged and
 * Keyword conditions see them), the reader its first ROUTER_FACTS_READ_MAX octets, the same
 * read as delivery, from which router-facts.c builds the same facts. Then the routing
 * scripts (the server's user_redirect.lua and USER's own) run on the same message in the
 * delivery's sandbox and what they would decide is reported too (pillarbox-rules-script.c).
 *
 * Bounded memory: the listing is paged (MAILBOX_LIST_MAX entries a page) and only the uids of
 * the last N are kept (a ring of at most 1000); then those are listed again and each message
 * is read, evaluated, printed and let go before the next: one message's facts at a time, in
 * one reused 256 KiB buffer. Only reads are sent (MBOX_LIST_REQ, READER_READ_REQ).
 * OWNS: nothing. THREAD: the CLI's.
 */
#include "directory-client.h"
#include "mailbox-client.h"
#include "pb-alloc.h"
#include "pillarbox-cli.h"
#include "pillarbox-rules-script.h"
#include "reader-client.h"
#include "router-facts.h"
#include "router-rules.h"
#include "rules.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <string.h>

#define DRY_RUN_LAST_DEFAULT 20
#define DRY_RUN_LAST_MAX 1000

/* One dry-run over stored mail: what was asked and what it reads with. */
struct mail_run {
	struct cli *c;
	const char *user, *folder;
	uint64_t user_id;
	const struct rules_set *admin, *own;
	struct cli_scripts scripts;
	uint32_t uids[DRY_RUN_LAST_MAX]; /* a ring: the last n_last uids listed */
	uint32_t n_last, n_seen;
	uint8_t *buf; /* ROUTER_FACTS_READ_MAX octets, reused */
};

/* Pass one: pages through the folder keeping the uids of its last n_last messages. 0, or the
 * exit code (reported). */
static int collect_uids(struct mail_run *r)
{
	struct mailbox_list_query q = { .folder = r->folder, .limit = MAILBOX_LIST_MAX };
	const char *error;
	uint32_t code = 0;

	for (;;) {
		struct mailbox_list l;
		memset(&l, 0, sizeof(l));
		int rc = mailbox_client_list(&r->c->t, r->user_id, &q, &code, &l, &error);
		int exit_code = cli_outcome(r->c, rc, code, error, "cannot list the folder");
		for (size_t i = 0; exit_code == 0 && i < l.entries.n; i++)
			r->uids[r->n_seen++ % r->n_last] = l.entries.v[i].uid;
		uint32_t next = l.next_uid;
		mailbox_list_free(&l);
		if (exit_code != 0 || next == 0)
			return exit_code;
		q.uid_first = next;
	}
}

/* The entry's keywords ("a b c") split in place into words (at most max). */
static size_t split_keywords(char *text, const char **words, size_t max)
{
	size_t n = 0;

	for (char *save = NULL, *w = strtok_r(text, " ", &save); w != NULL && n < max;
	     w = strtok_r(NULL, " ", &save))
		words[n++] = w;
	return n;
}

/* Prints one message's report, readable or as one JSON line. */
static void print_report(const struct mail_run *r, uint32_t uid, const char *subject,
			 const struct rules_decision *d, const struct router_lua_result *lua)
{
	if (!r->c->json) {
		printf("message uid %u: subject \"%s\"\n", uid, subject != NULL ? subject : "");
		cli_rules_print_decision(d, r->user);
		cli_scripts_print(&r->scripts, lua);
		return;
	}
	char *decision = rules_decision_print(d);
	cJSON *o = cJSON_CreateObject();
	cJSON_AddNumberToObject(o, "uid", uid);
	if (subject != NULL)
		cJSON_AddStringToObject(o, "subject", subject);
	else
		cJSON_AddNullToObject(o, "subject");
	cJSON_AddItemToObject(o, "decision", cJSON_Parse(decision));
	cJSON_AddItemToObject(o, "scripts", cli_scripts_json(&r->scripts, lua));
	char *line = cJSON_PrintUnformatted(o);
	printf("%s\n", line);
	cJSON_free(line);
	cJSON_Delete(o);
	free(decision);
}

/* Reads, evaluates and reports one message. 0, or the exit code (reported). */
static int run_one(struct mail_run *r, const struct pb_rec_mbox_entry *e)
{
	uint32_t want = e->size < ROUTER_FACTS_READ_MAX ? (uint32_t)e->size : ROUTER_FACTS_READ_MAX;
	uint32_t code = 0;
	uint64_t size = 0;
	size_t len = 0;
	bool eof;
	const char *error, *keywords[64];
	char *kw = xstrdup(e->keywords != NULL ? e->keywords : "");

	int rc = reader_client_read_sync(&r->c->t, r->user_id, e->blob_key, 0, r->buf, want, &code,
					 &len, &size, &eof, &error);
	int exit_code = cli_outcome(r->c, rc, code, error, "cannot read a message");
	if (exit_code == 0) {
		struct router_message m;
		struct rules_decision d;
		struct router_lua_result lua;
		cli_rules_message_build(r->buf, len, e->size, &m);
		m.facts.seen = (e->flags & ROUTER_FLAG_SEEN) != 0;
		m.facts.flagged = (e->flags & ROUTER_FLAG_FLAGGED) != 0;
		m.facts.keywords = keywords;
		m.facts.n_keywords = split_keywords(kw, keywords, PB_N_ELEMENTS(keywords));
		rules_evaluate(r->admin, r->own, &m.facts, &d);
		cli_scripts_run(&r->scripts, &m, &lua);
		print_report(r, e->uid, m.subject, &d, &lua);
		router_lua_result_free(&lua);
		rules_decision_deinit(&d);
		router_message_free(&m);
	}
	free(kw);
	return exit_code;
}

/* Pass two: lists the kept uids' range again and runs each that is still there. */
static int run_kept(struct mail_run *r)
{
	uint32_t first = r->uids[r->n_seen > r->n_last ? r->n_seen % r->n_last : 0];
	uint32_t last = r->uids[(r->n_seen - 1) % r->n_last];
	struct mailbox_list_query q = { .folder = r->folder, .uid_first = first, .uid_last = last,
					.limit = MAILBOX_LIST_MAX };
	const char *error;
	uint32_t code = 0;

	for (int exit_code = 0;;) {
		struct mailbox_list l;
		memset(&l, 0, sizeof(l));
		int rc = mailbox_client_list(&r->c->t, r->user_id, &q, &code, &l, &error);
		exit_code = cli_outcome(r->c, rc, code, error, "cannot list the folder");
		for (size_t i = 0; exit_code == 0 && i < l.entries.n; i++)
			exit_code = run_one(r, &l.entries.v[i]);
		q.uid_first = l.next_uid;
		mailbox_list_free(&l);
		if (exit_code != 0 || q.uid_first == 0)
			return exit_code;
	}
	return 0;
}

/* --last's value, and the folder. 0 or EXIT_USAGE (reported). */
static int parse_args(struct mail_run *r, int nargs)
{
	const char *last = r->c->rules_last;
	char *end = NULL;
	unsigned long v = last == NULL ? DRY_RUN_LAST_DEFAULT
		     : last[0] >= '0' && last[0] <= '9' ? strtoul(last, &end, 10) : 0;

	if (nargs != 1) {
		fprintf(stderr, "pillarbox: rules dry-run with --folder or --last takes one USER "
				"(usage: pillarbox rules dry-run USER --folder F --last N)\n");
		return EXIT_USAGE;
	}
	if (v < 1 || v > DRY_RUN_LAST_MAX || (end != NULL && *end != '\0')) {
		fprintf(stderr, "pillarbox: --last wants a whole number of messages from 1 to %d, "
				"not '%s'\n", DRY_RUN_LAST_MAX, last);
		return EXIT_USAGE;
	}
	r->n_last = (uint32_t)v;
	r->folder = r->c->rules_folder != NULL ? r->c->rules_folder : "INBOX";
	return 0;
}

int cli_rules_dry_run_mail(struct cli *c, char **args, int nargs)
{
	struct mail_run *r = xcalloc(1, sizeof(*r));
	struct rules_set *admin = NULL, *own = NULL;
	const char *error;
	uint32_t code = 0;
	char *name = NULL;

	r->c = c;
	r->user = args[0];
	int exit_code = parse_args(r, nargs);
	if (exit_code == 0) {
		int rc = directory_client_user_lookup(&c->t, r->user, &code, &r->user_id, &name,
						      &error);
		exit_code = cli_outcome(c, rc, code, error, "cannot find the account");
	}
	if (exit_code == 0)
		exit_code = cli_rules_fetch_set(c, "", &admin);
	if (exit_code == 0)
		exit_code = cli_rules_fetch_set(c, r->user, &own);
	if (exit_code == 0)
		exit_code = cli_scripts_load(c, r->user, &r->scripts);
	r->admin = admin;
	r->own = own;
	if (exit_code == 0)
		exit_code = collect_uids(r);
	if (exit_code == 0 && r->n_seen > 0) {
		r->buf = xmalloc(ROUTER_FACTS_READ_MAX);
		exit_code = run_kept(r);
	}
	rules_set_free(&admin);
	rules_set_free(&own);
	cli_scripts_free(&r->scripts);
	free(name);
	free(r->buf);
	free(r);
	return exit_code;
}
