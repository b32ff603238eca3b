/*
 * pillarbox-autoreply.c: `pillarbox autoreply show|set|off USER`, a friendlier face on the
 * account's autoreply_* settings (router-generate.h). Every change goes through the one writer
 * of an account's settings, DIR_USER_SET_REQ (as `user set`), key by key, the switch last so
 * the reply is on only once its text and dates are in; the directory validates each value.
 * OWNS: nothing. THREAD: the CLI's.
 */
#include "directory-client.h"
#include "pillarbox-cli.h"
#include "router-generate.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* One key through the user set path; 0, or the exit code (the reason printed). */
static int set_key(struct cli *c, const char *user, const char *key, const char *value)
{
	const char *error;
	uint32_t code = 0;

	int rc = directory_client_user_set(&c->t, user, key, value, false, &code, &error);
	if (rc == 0 && code == PB_OK)
		return 0;
	return cli_outcome(c, rc, code, error, key);
}

/* The text of --text-file (- : standard input), at most ROUTER_AUTOREPLY_TEXT_MAX bytes, into
 * *text_r (caller frees). 0, or EXIT_USAGE (said why). */
static int read_text(const char *path, char **text_r)
{
	FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
	if (f == NULL) {
		fprintf(stderr, "pillarbox: cannot read --text-file %s\n", path);
		return EXIT_USAGE;
	}
	char *text = xmalloc(ROUTER_AUTOREPLY_TEXT_MAX + 2);
	size_t n = fread(text, 1, ROUTER_AUTOREPLY_TEXT_MAX + 1, f);
	if (f != stdin)
		fclose(f);
	if (n > ROUTER_AUTOREPLY_TEXT_MAX) {
		free(text);
		fprintf(stderr, "pillarbox: --text-file %s is longer than %d bytes\n", path,
			ROUTER_AUTOREPLY_TEXT_MAX);
		return EXIT_USAGE;
	}
	text[n] = '\0';
	*text_r = text;
	return 0;
}

int cli_autoreply_set(struct cli *c, char **args, int nargs)
{
	const char *keys[] = { "autoreply_subject", "autoreply_start", "autoreply_end",
			       "autoreply_days" };
	const char *values[] = { c->ar_subject, c->conn[CLI_CONN_FROM], c->ar_until,
				 c->conn[CLI_CONN_DAYS] };
	char *text = NULL;
	int rc = 0;

	(void)nargs;
	if (c->ar_text_file != NULL && (rc = read_text(c->ar_text_file, &text)) != 0)
		return rc;
	if (text != NULL)
		rc = set_key(c, args[0], "autoreply_text", text);
	for (size_t i = 0; rc == 0 && i < PB_N_ELEMENTS(keys); i++)
		if (values[i] != NULL)
			rc = set_key(c, args[0], keys[i], values[i]);
	free(text);
	if (rc == 0)
		rc = set_key(c, args[0], "autoreply", "true");
	if (rc == 0)
		printf("autoreply on for %s\n", args[0]);
	return rc;
}

int cli_autoreply_off(struct cli *c, char **args, int nargs)
{
	(void)nargs;
	int rc = set_key(c, args[0], "autoreply", "false");
	if (rc == 0)
		printf("autoreply off for %s (its text and dates are kept)\n", args[0]);
	return rc;
}

/* The value of key in doc as text ("" absent; numbers and booleans as written). */
static void print_key(const cJSON *doc, const char *label, const char *key, const char *dflt)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(doc, key);

	if (cJSON_IsString(v))
		printf("%-9s %s\n", label, v->valuestring);
	else if (cJSON_IsBool(v))
		printf("%-9s %s\n", label, cJSON_IsTrue(v) ? "on" : "off");
	else if (cJSON_IsNumber(v))
		printf("%-9s %.0f\n", label, v->valuedouble);
	else
		printf("%-9s %s\n", label, dflt);
}

int cli_autoreply_show(struct cli *c, char **args, int nargs)
{
	struct directory_user_info r = { 0 };
	const char *error;
	uint32_t code = 0;
	char days[16];

	(void)nargs;
	int rc = directory_client_user_show(&c->t, args[0], &code, &r, &error);
	int exit_code = cli_outcome(c, rc, code, error, "cannot show the user");
	if (exit_code == 0) {
		cJSON *doc = cJSON_Parse(r.settings != NULL ? r.settings : "{}");
		snprintf(days, sizeof(days), "%d", ROUTER_AUTOREPLY_DAYS_DEFAULT);
		print_key(doc, "autoreply:", "autoreply", "off");
		print_key(doc, "subject:", "autoreply_subject", "(Auto: and the original's)");
		print_key(doc, "from:", "autoreply_start", "(no bound)");
		print_key(doc, "until:", "autoreply_end", "(no bound)");
		print_key(doc, "days:", "autoreply_days", days);
		print_key(doc, "text:", "autoreply_text", "");
		cJSON_Delete(doc);
	}
	directory_user_info_free(&r);
	return exit_code;
}
