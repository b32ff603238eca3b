/*
 * pillarbox.c: the admin CLI. Talks to the running daemon over the control socket of the data
 * directory (ipc://DATA_DIR/control.sock) through the actors' typed client stubs.
 * Exit codes: 0 done, 1 refused (the daemon said no: bad name, exists, not found...), 2 the
 * daemon cannot be reached (or could not do it now: a temporary failure; a message-table
 * mismatch with the daemon), 64 the command line is wrong (sysexits EX_USAGE).
 * The command table, its help and the option parsing are in pillarbox-cli.c.
 * OWNS: the process. THREAD: single-threaded.
 */
#include "directory-client.h"
#include "directory-rules.h"
#include "pb-buf.h"
#include "pb-settings.h"
#include "pillarbox-cli.h"
#include "scheduler-client.h"
#include "queue-client.h"
#include "collector-client.h"
#include "pillarbox-paths.h"
#include "sys-client.h"

#include <errno.h>
#include <search.h>
#include <stdio.h>
#include <string.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#define BULK_BATCH 100

/* The end of every request: rc -1 (no answer) prints what to do and exits 2; otherwise the
 * daemon's code: 0 for OK, else prints its reason and returns the exit code. */
static int outcome(struct cli *c, int rc, uint32_t code, const char *error, const char *what)
{
	if (rc < 0 && strncmp(error, PB_REMOTE_TABLE_MISMATCH, strlen(PB_REMOTE_TABLE_MISMATCH)) == 0) {
		fprintf(stderr, "pillarbox: %s\n", error);
		exit(EXIT_UNREACHABLE);
	}
	if (rc < 0) {
		fprintf(stderr,
			"pillarbox: cannot reach the daemon at %s: %s\n"
			"pillarbox: is pillarboxd running with this data directory? Start it with "
			"scripts/run.sh, or point --data-dir (or PILLARBOX_DATA_DIR) at its data directory.\n",
			c->url, error);
		exit(EXIT_UNREACHABLE);
	}
	if (code == PB_OK)
		return 0;
	fprintf(stderr, "pillarbox: %s: %s\n", what, error && *error ? error : pb_status_name(code));
	return code == PB_ERR_TEMP || code == PB_ERR_INTERNAL ? EXIT_UNREACHABLE : EXIT_REFUSED;
}

/* outcome() for a request answered with a bare status; prints done on success. */
static int simple(struct cli *c, int rc, uint32_t code, const char *error, const char *what,
		  const char *done)
{
	int exit_code = outcome(c, rc, code, error, what);
	if (exit_code == 0 && done != NULL)
		printf("%s\n", done);
	return exit_code;
}

static char *read_line(FILE *f)
{
	char *line = NULL;
	size_t cap = 0;
	ssize_t n = getline(&line, &cap, f);
	if (n < 0) {
		free(line);
		return NULL;
	}
	while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
		line[--n] = '\0';
	return line;
}

static char *prompt_hidden(const char *prompt)
{
	struct termios old, quiet;
	FILE *tty = fopen("/dev/tty", "r+");
	char *line;

	if (tty == NULL)
		return NULL;
	fputs(prompt, tty);
	fflush(tty);
	tcgetattr(fileno(tty), &old);
	quiet = old;
	quiet.c_lflag &= ~(tcflag_t)ECHO;
	tcsetattr(fileno(tty), TCSAFLUSH, &quiet);
	line = read_line(tty);
	tcsetattr(fileno(tty), TCSAFLUSH, &old);
	fputs("\n", tty);
	fclose(tty);
	return line;
}

/* A password: prompted twice without echo on a terminal, else one line of stdin. */
static char *get_password(void)
{
	if (!isatty(STDIN_FILENO)) {
		char *p = read_line(stdin);
		if (p == NULL)
			fprintf(stderr, "pillarbox: expected the password on standard input\n");
		return p;
	}
	char *a = prompt_hidden("Password: ");
	char *b = a != NULL ? prompt_hidden("Again: ") : NULL;
	if (a == NULL || b == NULL || strcmp(a, b) != 0) {
		fprintf(stderr, "pillarbox: the passwords do not match\n");
		if (a != NULL)
			explicit_bzero(a, strlen(a));
		free(a);
		a = NULL;
	}
	if (b != NULL)
		explicit_bzero(b, strlen(b));
	free(b);
	return a;
}

static void wipe_free(char *secret)
{
	explicit_bzero(secret, strlen(secret));
	free(secret);
}

int cli_user_add(struct cli *c, char **args, int nargs)
{
	const char *error;
	uint32_t code = 0;

	(void)nargs;
	char *password = get_password();
	if (password == NULL)
		return EXIT_REFUSED;
	int rc = directory_client_user_add(&c->t, args[0], password, c->copy_from, NULL,
					   (enum directory_welcome)c->welcome, &code, &error);
	wipe_free(password);
	char *done = xasprintf("added user %s", args[0]);
	int exit_code = simple(c, rc, code, error, "cannot add the user", done);
	free(done);
	return exit_code;
}

int cli_user_passwd(struct cli *c, char **args, int nargs)
{
	const char *error;
	uint32_t code = 0;

	(void)nargs;
	char *password = get_password();
	if (password == NULL)
		return EXIT_REFUSED;
	int rc = directory_client_user_passwd(&c->t, args[0], password,
					      c->web ? DIR_PASSWD_WEB : DIR_PASSWD_MAIN, &code, &error);
	wipe_free(password);
	return simple(c, rc, code, error, "cannot set the password",
		      c->web ? "web password changed" : "password changed");
}

int cli_user_del(struct cli *c, char **args, int nargs)
{
	const char *error;
	uint32_t code = 0;

	(void)nargs;
	int rc = directory_client_user_del(&c->t, args[0], c->force, &code, &error);
	return simple(c, rc, code, error, "cannot delete the user", "user deleted");
}

int cli_user_rename(struct cli *c, char **args, int nargs)
{
	const char *error;
	uint32_t code = 0;

	(void)nargs;
	int rc = directory_client_user_rename(&c->t, args[0], args[1], &code, &error);
	return simple(c, rc, code, error, "cannot rename the user", "user renamed");
}

int cli_user_copy(struct cli *c, char **args, int nargs)
{
	const char *error;
	uint32_t code = 0;

	(void)nargs;
	int rc = directory_client_user_copy(&c->t, args[0], args[1], &code, &error);
	return simple(c, rc, code, error, "cannot copy the settings", "settings copied");
}

int cli_user_list(struct cli *c, char **args, int nargs)
{
	struct directory_user_list l = { 0 };
	const char *error;
	uint32_t code = 0;

	int rc = directory_client_user_list(&c->t, nargs == 1 ? args[0] : "", &code, &l, &error);
	int exit_code = outcome(c, rc, code, error, "cannot list users");
	if (exit_code == 0) {
		printf("%-32s %10s %14s\n", "USER", "MESSAGES", "SIZE");
		for (uint32_t i = 0; i < l.users.n; i++)
			printf("%-32s %10llu %14llu\n", l.users.v[i].user,
			       (unsigned long long)l.users.v[i].messages,
			       (unsigned long long)l.users.v[i].bytes);
	}
	directory_user_list_free(&l);
	return exit_code;
}

int cli_user_show(struct cli *c, char **args, int nargs)
{
	struct directory_user_info r = { 0 };
	const char *error;
	uint32_t code = 0;

	(void)nargs;
	int rc = directory_client_user_show(&c->t, args[0], &code, &r, &error);
	int exit_code = outcome(c, rc, code, error, "cannot show the user");
	if (exit_code == 0) {
		time_t created = (time_t)(r.created_ms / 1000);
		char when[64];
		strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S UTC", gmtime(&created));
		printf("user:     %s\nid:       %llu\ncreated:  %s\nmessages: %llu (inbox)\n"
		       "size:     %llu bytes\nsettings: %s\nweb password: %s\n"
		       "webmail can change the main password: %s\n",
		       r.user, (unsigned long long)r.user_id, when, (unsigned long long)r.messages,
		       (unsigned long long)r.bytes, r.settings,
		       r.has_web_password ? "separate" : "none (the main one)",
		       r.can_change_main ? "yes" : "no");
		cli_print_user_sending(r.settings);
		exit_code = cli_user_quota_line(c, r.user_id);
	}
	if (exit_code == 0) {
		exit_code = cli_print_user_locks(c, r.user);
	}
	directory_user_info_free(&r);
	return exit_code;
}

int cli_domain_list(struct cli *c, char **args, int nargs)
{
	struct pb_strv domains = { 0 };
	const char *error;
	uint32_t code = 0;

	(void)args;
	(void)nargs;
	int rc = directory_client_domain_list(&c->t, &code, &domains, &error);
	int exit_code = outcome(c, rc, code, error, "cannot list domains");
	for (uint32_t i = 0; exit_code == 0 && i < domains.n; i++)
		printf("%s\n", domains.v[i]);
	if (exit_code == 0 && domains.n == 0)
		fprintf(stderr, "pillarbox: no local domain (add one with: pillarbox domain add NAME)\n");
	pb_strv_clear(&domains);
	return exit_code;
}

int cli_domain_add(struct cli *c, char **args, int nargs)
{
	const char *error;
	uint32_t code = 0;

	(void)nargs;
	int rc = directory_client_domain_add(&c->t, args[0], &code, &error);
	return simple(c, rc, code, error, "cannot add the domain", "domain added");
}

int cli_domain_del(struct cli *c, char **args, int nargs)
{
	const char *error;
	uint32_t code = 0;

	(void)nargs;
	int rc = directory_client_domain_del(&c->t, args[0], c->force, &code, &error);
	return simple(c, rc, code, error, "cannot delete the domain", "domain deleted");
}

/* The values in effect of document doc, read into *s (the daemon renders every key). */
static int settings_fetch(struct cli *c, const char *doc, struct pb_settings *s)
{
	const char *error;
	uint32_t code = 0;
	char *json = NULL, *problem = NULL;
	int rc = sys_client_setting_get(&c->t, doc, &code, &json, &error);
	int exit_code = outcome(c, rc, code, error, "cannot read the settings");

	if (exit_code == 0 && pb_settings_load(s, doc, json, &problem) != 0) {
		fprintf(stderr, "pillarbox: %s: %s\n", doc, problem ? problem : "unexpected answer");
		exit_code = EXIT_UNREACHABLE;
	}
	free(problem);
	free(json);
	return exit_code;
}

/* One key: "doc.key = value (default D)" and its help, indented. */
static void setting_row(const struct pb_settings *s, const struct pb_setting_desc *d)
{
	const struct pb_settings *def = pb_settings_default();

	if (pb_setting_is_string(d)) {
		const char *v = pb_setting_text(s, d), *dv = pb_setting_text(def, d);
		printf("%s.%s = \"%s\"%s (default \"%s\"%s%s)\n", d->doc, d->key, v,
		       strcmp(v, dv) != 0 ? " [changed]" : "", dv,
		       d->choices != NULL ? ", one of: " : "", d->choices != NULL ? d->choices : "");
	} else {
		uint64_t v = pb_setting_value(s, d), dv = pb_setting_value(def, d);
		printf("%s.%s = %llu%s (default %llu, from %llu to %llu)\n", d->doc, d->key,
		       (unsigned long long)v, v != dv ? " [changed]" : "", (unsigned long long)dv,
		       (unsigned long long)d->min, (unsigned long long)d->max);
	}
	printf("    %s\n", d->help);
}

/* The table of every key of doc (NULL: of every document) with its value, default and help. */
static int settings_explain(struct cli *c, const char *doc)
{
	struct pb_settings *s = xmalloc(sizeof(*s));
	int exit_code = 0;

	for (size_t i = 0; exit_code == 0 && i < pb_n_settings_docs; i++) {
		const char *name = pb_settings_docs[i].name;
		if (doc != NULL && strcmp(doc, name) != 0)
			continue;
		pb_settings_defaults(s);
		exit_code = settings_fetch(c, name, s);
		if (exit_code != 0)
			break;
		printf("%s# %s: %s\n", i > 0 && doc == NULL ? "\n" : "", name, pb_settings_docs[i].help);
		for (size_t k = 0; k < pb_n_settings; k++)
			if (strcmp(pb_setting_descs[k].doc, name) == 0)
				setting_row(s, &pb_setting_descs[k]);
	}
	free(s);
	return exit_code;
}

int cli_setting_show(struct cli *c, char **args, int nargs)
{
	const char *error;
	uint32_t code = 0;
	char *json = NULL, *unknown = NULL;

	if (nargs == 1 && pb_settings_check_doc(args[0], &unknown) < 0) {
		fprintf(stderr, "pillarbox: cannot read the settings: %s\n", unknown);
		free(unknown);
		return EXIT_REFUSED;
	}
	if (nargs == 0 || c->explain)
		return settings_explain(c, nargs == 1 ? args[0] : NULL);
	int rc = sys_client_setting_get(&c->t, args[0], &code, &json, &error);
	int exit_code = outcome(c, rc, code, error, "cannot read the settings");
	if (exit_code == 0)
		printf("%s\n", json);
	free(json);
	return exit_code;
}

int cli_setting_set(struct cli *c, char **args, int nargs)
{
	const char *error;
	uint32_t code = 0;

	(void)nargs;
	int rc = sys_client_setting_put(&c->t, args[0], args[1], cli_who(), &code, &error);
	return simple(c, rc, code, error, "cannot change the settings", "settings changed");
}

int cli_status(struct cli *c, char **args, int nargs)
{
	struct sys_status st = { 0 };
	const char *error;
	uint32_t code = 0;

	(void)args;
	(void)nargs;
	int rc = sys_client_status(&c->t, &code, &st, &error);
	int exit_code = outcome(c, rc, code, error, "cannot get the status");
	struct pb_rec_sched_method_list conns = { 0 };
	if (exit_code == 0 && (scheduler_client_list(&c->t, NULL, &code, &conns, &error) < 0 ||
			       code != PB_OK))
		fprintf(stderr, "pillarbox: cannot list the connections: %s\n", error);
	struct queue_client_stats q;
	uint32_t qcode = PB_ERR_TEMP;
	if (exit_code == 0 && queue_client_stats(&c->t, &qcode, &q, &error) < 0)
		qcode = PB_ERR_TEMP;
	struct pb_strv coll = { 0 };
	uint32_t ccode = PB_ERR_TEMP;
	if (exit_code == 0 && collector_client_list(&c->t, "", &ccode, &coll, &error) < 0)
		ccode = PB_ERR_TEMP;
	if (exit_code == 0)
		cli_print_status(&st, qcode == PB_OK ? &q : NULL, &conns, ccode == PB_OK ? &coll : NULL,
				 c->json);
	pb_rec_sched_method_list_clear(&conns);
	pb_strv_clear(&coll);
	sys_status_free(&st);
	return exit_code;
}

/* A bulk add in progress. Records go to the daemon in batches; every refusal, found here
 * (syntax) or by the daemon, is printed in file order with its line. A dry run checks each
 * record here with the daemon's own rules (directory-rules.h, the password length in effect,
 * the users that exist, the names earlier in the file) and sends nothing. */
struct bulk {
	struct cli *c;
	const char *file;
	struct pb_strv users, passwords; /* the batch's records to send (passwords wiped) */
	struct pb_buf welcome;           /* theirs: an enum directory_welcome octet each */
	struct pb_strv local;            /* per line of the batch: "" (sent) or why it was not */
	struct pb_u64v lines;            /* per line of the batch: its number in the file */
	uint32_t added, total, refused;
	bool record_seen, progress;
	void *existing, *seen; /* dry run: lowercase names (tsearch trees) */
	unsigned min_len;      /* dry run: accounts.password_min_length in effect */
};

static int name_cmp(const void *a, const void *b)
{
	return strcmp(a, b);
}

static void bulk_report(struct bulk *b, uint64_t line, const char *reason)
{
	fprintf(stderr, "%spillarbox: %s:%llu: %s\n", b->progress ? "\n" : "", b->file,
		(unsigned long long)line, reason);
	b->progress = false;
	b->refused++;
}

static void bulk_clear(struct bulk *b)
{
	for (uint32_t i = 0; i < b->passwords.n; i++)
		explicit_bzero(b->passwords.v[i], strlen(b->passwords.v[i]));
	pb_strv_clear(&b->users);
	pb_strv_clear(&b->passwords);
	b->welcome.len = 0;
	pb_strv_clear(&b->local);
	pb_u64v_clear(&b->lines);
}

/* Sends the batch's records (if any), then reports the batch's refusals in line order. */
static int bulk_send(struct bulk *b)
{
	struct pb_strv errors = { 0 };
	const char *error;
	uint32_t code = 0, n = 0, sent = 0;
	int exit_code = 0;

	if (b->users.n > 0) {
		int rc = directory_client_user_bulk_add(&b->c->t, &b->users, &b->passwords,
							(const uint8_t *)b->welcome.data, &code, &n,
							&errors, &error);
		exit_code = outcome(b->c, rc, code, error, "bulk add");
		b->added += exit_code == 0 ? n : 0;
	}
	for (uint32_t i = 0; exit_code == 0 && i < b->lines.n; i++) {
		const char *why = b->local.v[i];
		if (why[0] == '\0')
			why = sent < errors.n ? errors.v[sent++] : "";
		if (why[0] != '\0')
			bulk_report(b, b->lines.v[i], why);
	}
	pb_strv_clear(&errors);
	bulk_clear(b);
	return exit_code;
}

/* Dry run: why the daemon would refuse this record, or NULL (then it is remembered). */
static const char *bulk_check(struct bulk *b, const char *user, const char *password)
{
	char lower[DIRECTORY_USER_MAX + 1];
	const char *error;

	if (directory_check_user(user, &error) < 0 ||
	    directory_check_password(password, b->min_len, &error) < 0)
		return error;
	directory_lower(user, lower, sizeof(lower));
	if (tfind(lower, &b->existing, name_cmp) != NULL)
		return "a user with this name exists already";
	if (tfind(lower, &b->seen, name_cmp) != NULL)
		return "a user with this name is on an earlier line";
	(void)tsearch(xstrdup(lower), &b->seen, name_cmp);
	return NULL;
}

/* One line of the file: skipped (blank, comment, the header row), checked (dry run) or added
 * to the batch. */
static void bulk_line(struct bulk *b, char *line, uint64_t lineno)
{
	char *user, *password, *welcome_text;
	const char *error;
	enum directory_welcome welcome = DIRECTORY_WELCOME_DEFAULT;
	int r = directory_parse_csv_line(line, &user, &password, &welcome_text, &error);
	bool first = !b->record_seen;

	if (r == 0)
		return;
	b->record_seen = true;
	if (r > 0 && first && directory_csv_is_header(user, password)) {
		fprintf(stderr, "pillarbox: %s:%llu: a header row, skipped\n", b->file,
			(unsigned long long)lineno);
		return;
	}
	b->total++;
	if (r > 0 && directory_csv_welcome(welcome_text, &welcome, &error) < 0)
		r = -1;
	if (b->c->dry_run) {
		const char *why = r < 0 ? error : bulk_check(b, user, password);
		if (why != NULL)
			bulk_report(b, lineno, why);
		return;
	}
	pb_strv_push(&b->local, r < 0 ? error : "");
	pb_u64v_push(&b->lines, lineno);
	if (r > 0) {
		pb_strv_push(&b->users, user);
		pb_strv_push(&b->passwords, password);
		pb_buf_append_c(&b->welcome, (char)welcome);
	}
}

/* Dry run: the password length in effect and the users that exist. */
static int bulk_dry_run_prepare(struct bulk *b)
{
	struct pb_settings *s = xmalloc(sizeof(*s));
	struct directory_user_list l = { 0 };
	const char *error;
	uint32_t code = 0;

	pb_settings_defaults(s);
	int exit_code = settings_fetch(b->c, "accounts", s);
	b->min_len = s->accounts.password_min_length;
	free(s);
	if (exit_code != 0)
		return exit_code;
	int rc = directory_client_user_list(&b->c->t, "", &code, &l, &error);
	exit_code = outcome(b->c, rc, code, error, "cannot list users");
	for (uint32_t i = 0; exit_code == 0 && i < l.users.n; i++)
		(void)tsearch(xstrdup(l.users.v[i].user), &b->existing, name_cmp);
	directory_user_list_free(&l);
	return exit_code;
}

static int bulk_read(struct bulk *b, FILE *f)
{
	uint64_t lineno = 0;
	char *line;
	int exit_code = 0;

	while (exit_code == 0 && (line = read_line(f)) != NULL) {
		bulk_line(b, line, ++lineno);
		wipe_free(line);
		if (b->users.n == BULK_BATCH || b->lines.n == BULK_BATCH) {
			exit_code = bulk_send(b);
			fprintf(stderr, "\rbulk add: %u added, %u read", b->added, b->total);
			b->progress = true; /* the next line starts on a new line */
		}
	}
	if (exit_code == 0 && b->lines.n > 0)
		exit_code = bulk_send(b);
	return exit_code;
}

int cli_user_bulk_add(struct cli *c, char **args, int nargs)
{
	struct bulk b = { .c = c, .file = strcmp(args[0], "-") == 0 ? "stdin" : args[0] };
	int exit_code = 0;

	(void)nargs;
	FILE *f = strcmp(args[0], "-") == 0 ? stdin : fopen(args[0], "r");
	if (f == NULL) {
		fprintf(stderr, "pillarbox: cannot open %s: %s\n", args[0], strerror(errno));
		return EXIT_REFUSED;
	}
	if (c->dry_run)
		exit_code = bulk_dry_run_prepare(&b);
	if (exit_code == 0)
		exit_code = bulk_read(&b, f);
	if (f != stdin)
		fclose(f);
	bulk_clear(&b);
	pb_buf_deinit(&b.welcome);
	tdestroy(b.existing, free);
	tdestroy(b.seen, free);
	if (exit_code != 0)
		return exit_code;
	if (c->dry_run)
		fprintf(stderr, "bulk add --dry-run: %u of %u users would be added (%u refused); "
				"nothing was changed\n",
			b.total - b.refused, b.total, b.refused);
	else
		fprintf(stderr, "%sbulk add: %u of %u users added (%u refused)\n",
			b.progress ? "\n" : "", b.added, b.total, b.refused);
	return b.refused > 0 ? EXIT_REFUSED : 0;
}

int cli_outcome(struct cli *c, int rc, uint32_t code, const char *error, const char *what)
{
	return outcome(c, rc, code, error, what);
}

int cli_simple(struct cli *c, int rc, uint32_t code, const char *error, const char *what,
	       const char *done)
{
	return simple(c, rc, code, error, what, done);
}

int cli_settings_fetch(struct cli *c, const char *doc, struct pb_settings *s)
{
	return settings_fetch(c, doc, s);
}
