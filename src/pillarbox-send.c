/*
 * pillarbox-send.c: the CLI's commands for an account's sending permissions (send-policy.h):
 * `user set NAME KEY VALUE`, `user unset NAME KEY`, and the lines `user show` prints; and
 * h-fwdext's `user copy-inbox NAME` (router-copyinbox.h).
 * The directory validates every value (the web API will send the same request); the CLI only
 * refuses an unknown key itself, as a usage error.
 * OWNS: nothing. THREAD: the CLI's.
 */
#include "directory-client.h"
#include "pillarbox-cli.h"
#include "router-client.h"
#include "send-policy.h"
#include "user-keys.h"

#include <stdio.h>
#include <string.h>

/* Prints text from column HELP_COLUMN, wrapped at HELP_WIDTH on spaces. */
#define HELP_COLUMN 27
#define HELP_WIDTH 96
static void print_wrapped(FILE *out, const char *text)
{
	while (strlen(text) > HELP_WIDTH - HELP_COLUMN) {
		int cut = HELP_WIDTH - HELP_COLUMN;
		while (cut > 0 && text[cut] != ' ')
			cut--;
		if (cut == 0)
			break;
		fprintf(out, "%.*s\n%*s", cut, text, HELP_COLUMN, "");
		text += cut + 1;
	}
	fprintf(out, "%s\n", text);
}

void cli_user_keys_help(FILE *out)
{
	const char *name, *help;

	fprintf(out, "KEY is one of (in brackets the default: a value, or the server setting it\n"
		     "comes from):\n");
	for (size_t i = 0; (name = user_key(i, &help)) != NULL; i++) {
		fprintf(out, "  %-*s", HELP_COLUMN - 2, name);
		print_wrapped(out, help);
	}
}

/* An unknown key: one line naming the keys, and EXIT_USAGE. */
static int bad_key(const char *key)
{
	const char *name, *help;

	fprintf(stderr, "pillarbox: unknown setting '%s' (the keys:", key);
	for (size_t i = 0; (name = user_key(i, &help)) != NULL; i++)
		fprintf(stderr, "%s %s", i ? "," : "", name);
	fprintf(stderr, ")\npillarbox: see 'pillarbox help user set'\n");
	return EXIT_USAGE;
}

int cli_user_set(struct cli *c, char **args, int nargs)
{
	const char *error;
	uint32_t code = 0;

	(void)nargs;
	if (!user_key_known(args[1]))
		return bad_key(args[1]);
	int rc = directory_client_user_set(&c->t, args[0], args[1], args[2], false, &code, &error);
	return cli_simple(c, rc, code, error, "cannot set the setting", "setting changed");
}

int cli_user_unset(struct cli *c, char **args, int nargs)
{
	const char *error;
	uint32_t code = 0;

	(void)nargs;
	if (!user_key_known(args[1]))
		return bad_key(args[1]);
	int rc = directory_client_user_set(&c->t, args[0], args[1], "", true, &code, &error);
	return cli_simple(c, rc, code, error, "cannot unset the setting",
			  "setting back to its default");
}

/* The most batches one `user copy-inbox` asks (ROUTER_COPY_INBOX_BATCH messages each). */
#define COPY_INBOX_MAX_BATCHES 100000

int cli_user_copy_inbox(struct cli *c, char **args, int nargs)
{
	struct router_copy_inbox_done done = { 0 };
	uint32_t uid = 1, copied = 0, skipped = 0, code = 0;
	const char *error = "";
	int rc = 0;

	(void)nargs;
	for (int i = 0; i < COPY_INBOX_MAX_BATCHES && uid != 0; i++) {
		rc = router_client_copy_inbox(&c->t, args[0], uid, &code, &done, &error);
		if (rc < 0 || code != PB_OK)
			break;
		copied += done.copied;
		skipped += done.skipped;
		uid = done.next_uid;
	}
	int ret = cli_outcome(c, rc, code, error, "cannot copy the INBOX to the assistants");
	if (copied + skipped > 0 || ret == 0)
		printf("%u copies sent to the assistants, %u made before%s\n", copied, skipped,
		       ret == 0 ? "" : " (stopped: run it again to go on)");
	return ret;
}

void cli_print_user_sending(const char *settings_json)
{
	struct send_policy p;
	struct pb_buf out;

	send_policy_from_json(settings_json, &p);
	pb_buf_init(&out);
	send_policy_format(&p, &out);
	printf("sending:\n");
	for (size_t i = 0, start = 0; i < out.len; i++) {
		if (out.data[i] == '\n') {
			printf("  %.*s\n", (int)(i - start), out.data + start);
			start = i + 1;
		}
	}
	pb_buf_deinit(&out);
	send_policy_deinit(&p);
}
