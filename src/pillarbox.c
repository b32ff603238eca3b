/*
 * pillarbox.c: the admin CLI. Talks to the running daemon over the control socket of the data
 * directory (ipc://DATA_DIR/control.sock) through the actors' typed client stubs.
 * Exit codes: 0 done, 1 refused (the daemon said no: bad name, exists, not found...), 2 the
 * daemon cannot be reached or the command line is wrong.
 * OWNS: the process. THREAD: single-threaded.
 */
#include "directory-client.h"
#include "directory-rules.h"
#include "pillarbox-paths.h"
#include "sys-client.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#define EXIT_REFUSED 1
#define EXIT_UNREACHABLE 2
#define BULK_BATCH 100

struct cli {
	char url[PATH_MAX + 16];
	const char *data_dir;
	uint32_t timeout_ms;
	struct pb_sync t; /* over the control socket */
};

static void usage(FILE *f)
{
	fprintf(f,
		"usage: pillarbox [--data-dir DIR] [--timeout SECONDS] COMMAND\n"
		"commands:\n"
		"  user add NAME [--copy-from USER]   add an account (password prompted or from stdin)\n"
		"  user del NAME [--force]            delete an account (--force: and its mail)\n"
		"  user list [PATTERN]                list accounts with inbox messages and size\n"
		"  user show NAME                     show one account\n"
		"  user passwd NAME                   set a password (prompted or from stdin)\n"
		"  user rename NAME NEW               rename an account\n"
		"  user copy-settings NAME FROM       copy another account's settings\n"
		"  user bulk-add FILE                 add accounts from CSV lines user,password (- for stdin)\n"
		"  domain add|del NAME                add or remove a local domain\n"
		"  domain list                        list local domains\n"
		"  setting show NAME                  every key of a settings document in effect (JSON)\n"
		"  setting set NAME JSON              change the keys given (null: back to the default);\n"
		"                                     every document and key: docs/settings.md\n"
		"  status                             uptime, actors and store size\n"
		"The data directory is --data-dir, else PILLARBOX_DATA_DIR, else ./var.\n");
}

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

static int user_add(struct cli *c, int argc, char **argv)
{
	const char *copy_from = NULL, *error;
	uint32_t code = 0;

	if (argc == 5 && strcmp(argv[3], "--copy-from") == 0)
		copy_from = argv[4];
	else if (argc != 3)
		return -1;
	char *password = get_password();
	if (password == NULL)
		return EXIT_REFUSED;
	int rc = directory_client_user_add(&c->t, argv[2], password, copy_from, NULL, &code, &error);
	wipe_free(password);
	char *done = xasprintf("added user %s", argv[2]);
	int exit_code = simple(c, rc, code, error, "cannot add the user", done);
	free(done);
	return exit_code;
}

static int user_passwd(struct cli *c, int argc, char **argv)
{
	const char *error;
	uint32_t code = 0;

	if (argc != 3)
		return -1;
	char *password = get_password();
	if (password == NULL)
		return EXIT_REFUSED;
	int rc = directory_client_user_passwd(&c->t, argv[2], password, &code, &error);
	wipe_free(password);
	return simple(c, rc, code, error, "cannot set the password", "password changed");
}

static int user_del(struct cli *c, int argc, char **argv)
{
	const char *error;
	uint32_t code = 0;
	bool force = argc == 4 && strcmp(argv[3], "--force") == 0;

	if (argc != 3 && !force)
		return -1;
	int rc = directory_client_user_del(&c->t, argv[2], force, &code, &error);
	return simple(c, rc, code, error, "cannot delete the user", "user deleted");
}

static int user_rename(struct cli *c, int argc, char **argv)
{
	const char *error;
	uint32_t code = 0;

	if (argc != 4)
		return -1;
	int rc = directory_client_user_rename(&c->t, argv[2], argv[3], &code, &error);
	return simple(c, rc, code, error, "cannot rename the user", "user renamed");
}

static int user_copy(struct cli *c, int argc, char **argv)
{
	const char *error;
	uint32_t code = 0;

	if (argc != 4)
		return -1;
	int rc = directory_client_user_copy(&c->t, argv[2], argv[3], &code, &error);
	return simple(c, rc, code, error, "cannot copy the settings", "settings copied");
}

static int user_list(struct cli *c, int argc, char **argv)
{
	struct directory_user_list l = { 0 };
	const char *error;
	uint32_t code = 0;

	if (argc > 3)
		return -1;
	int rc = directory_client_user_list(&c->t, argc == 3 ? argv[2] : "", &code, &l, &error);
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

static int user_show(struct cli *c, int argc, char **argv)
{
	struct directory_user_info r = { 0 };
	const char *error;
	uint32_t code = 0;

	if (argc != 3)
		return -1;
	int rc = directory_client_user_show(&c->t, argv[2], &code, &r, &error);
	int exit_code = outcome(c, rc, code, error, "cannot show the user");
	if (exit_code == 0) {
		time_t created = (time_t)(r.created_ms / 1000);
		char when[64];
		strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S UTC", gmtime(&created));
		printf("user:     %s\nid:       %llu\ncreated:  %s\nmessages: %llu (inbox)\n"
		       "size:     %llu bytes\nsettings: %s\n",
		       r.user, (unsigned long long)r.user_id, when, (unsigned long long)r.messages,
		       (unsigned long long)r.bytes, r.settings);
	}
	directory_user_info_free(&r);
	return exit_code;
}

/* A batch of the bulk file: users and passwords (wiped when sent), their line numbers. */
struct bulk_batch {
	struct pb_strv users, passwords;
	struct pb_u64v lines;
};

static void bulk_clear(struct bulk_batch *b)
{
	for (uint32_t i = 0; i < b->passwords.n; i++)
		explicit_bzero(b->passwords.v[i], strlen(b->passwords.v[i]));
	pb_strv_clear(&b->users);
	pb_strv_clear(&b->passwords);
	pb_u64v_clear(&b->lines);
}

/* Sends one batch of the bulk file and empties it; prints errors with their line numbers. */
static int bulk_send(struct cli *c, struct bulk_batch *b, uint32_t *added)
{
	struct pb_strv errors = { 0 };
	const char *error;
	uint32_t code = 0, n = 0;
	int rc = directory_client_user_bulk_add(&c->t, &b->users, &b->passwords, &code, &n, &errors,
						&error);
	int exit_code = outcome(c, rc, code, error, "bulk add");

	if (exit_code == 0) {
		*added += n;
		for (uint32_t i = 0; i < errors.n && i < b->lines.n; i++) {
			if (errors.v[i][0] != '\0') {
				fprintf(stderr, "\nline %llu: %s", (unsigned long long)b->lines.v[i],
					errors.v[i]);
				exit_code = EXIT_REFUSED;
			}
		}
	}
	pb_strv_clear(&errors);
	bulk_clear(b);
	return exit_code;
}

/* Reads one line of the bulk file into the batch; returns 0, or EXIT_REFUSED for a bad line. */
static int bulk_line(char *line, uint64_t lineno, struct bulk_batch *b, uint32_t *total)
{
	char *user, *password;
	const char *error;
	int r = directory_parse_csv_line(line, &user, &password, &error);

	if (r < 0) {
		fprintf(stderr, "\nline %llu: %s", (unsigned long long)lineno, error);
		return EXIT_REFUSED;
	}
	if (r > 0) {
		pb_strv_push(&b->users, user);
		pb_strv_push(&b->passwords, password);
		pb_u64v_push(&b->lines, lineno);
		(*total)++;
	}
	return 0;
}

static int user_bulk_add(struct cli *c, int argc, char **argv)
{
	struct bulk_batch b = { 0 };
	uint32_t added = 0, total = 0;
	uint64_t lineno = 0;
	int rc = 0;
	char *line;

	if (argc != 3)
		return -1;
	FILE *f = strcmp(argv[2], "-") == 0 ? stdin : fopen(argv[2], "r");
	if (f == NULL) {
		fprintf(stderr, "pillarbox: cannot open %s\n", argv[2]);
		return EXIT_REFUSED;
	}
	while ((line = read_line(f)) != NULL) {
		if (bulk_line(line, ++lineno, &b, &total) != 0)
			rc = EXIT_REFUSED;
		wipe_free(line);
		if (b.users.n == BULK_BATCH) {
			if (bulk_send(c, &b, &added) != 0)
				rc = EXIT_REFUSED;
			fprintf(stderr, "\rbulk add: %u added, %u read", added, total);
		}
	}
	if (f != stdin)
		fclose(f);
	if (b.users.n > 0 && bulk_send(c, &b, &added) != 0)
		rc = EXIT_REFUSED;
	bulk_clear(&b);
	fprintf(stderr, "%sbulk add: %u of %u users added\n", total > BULK_BATCH || rc ? "\n" : "",
		added, total);
	return rc;
}

static int domain_cmd(struct cli *c, int argc, char **argv)
{
	const char *error;
	uint32_t code = 0;

	if (argc == 2 && strcmp(argv[1], "list") == 0) {
		struct pb_strv domains = { 0 };
		int rc = directory_client_domain_list(&c->t, &code, &domains, &error);
		int exit_code = outcome(c, rc, code, error, "cannot list domains");
		for (uint32_t i = 0; exit_code == 0 && i < domains.n; i++)
			printf("%s\n", domains.v[i]);
		pb_strv_clear(&domains);
		return exit_code;
	}
	if (argc != 3)
		return -1;
	if (strcmp(argv[1], "add") == 0) {
		int rc = directory_client_domain_add(&c->t, argv[2], &code, &error);
		return simple(c, rc, code, error, "cannot add the domain", "domain added");
	}
	if (strcmp(argv[1], "del") == 0) {
		int rc = directory_client_domain_del(&c->t, argv[2], &code, &error);
		return simple(c, rc, code, error, "cannot delete the domain", "domain deleted");
	}
	return -1;
}

static int setting_cmd(struct cli *c, int argc, char **argv)
{
	const char *error;
	uint32_t code = 0;

	if (argc == 3 && strcmp(argv[1], "show") == 0) {
		char *json = NULL;
		int rc = sys_client_setting_get(&c->t, argv[2], &code, &json, &error);
		int exit_code = outcome(c, rc, code, error, "cannot read the settings");
		if (exit_code == 0)
			printf("%s\n", json);
		free(json);
		return exit_code;
	}
	if (argc == 4 && strcmp(argv[1], "set") == 0) {
		int rc = sys_client_setting_put(&c->t, argv[2], argv[3], &code, &error);
		return simple(c, rc, code, error, "cannot change the settings", "settings changed");
	}
	return -1;
}

static void print_status(const struct sys_status *r)
{
	uint64_t s = r->uptime_ms / 1000;

	printf("version:    %s\nuptime:     %llud %02llu:%02llu:%02llu\n"
	       "users:      %llu\ndomains:    %llu\nstore size: %llu bytes\n",
	       r->version, (unsigned long long)(s / 86400), (unsigned long long)(s / 3600 % 24),
	       (unsigned long long)(s / 60 % 60), (unsigned long long)(s % 60),
	       (unsigned long long)r->users, (unsigned long long)r->domains,
	       (unsigned long long)r->store_bytes);
	printf("%-20s %10s %10s %10s\n", "ACTOR", "HANDLED", "RESTARTS", "INBOX-FULL");
	for (uint32_t i = 0; i < r->actors.n; i++)
		printf("%-20s %10llu %10llu %10llu\n", r->actors.v[i].name,
		       (unsigned long long)r->actors.v[i].handled,
		       (unsigned long long)r->actors.v[i].restarts,
		       (unsigned long long)r->actors.v[i].inbox_full);
}

static int status_cmd(struct cli *c, int argc, char **argv)
{
	struct sys_status st = { 0 };
	const char *error;
	uint32_t code = 0;

	if (argc != 1)
		return -1;
	int rc = sys_client_status(&c->t, &code, &st, &error);
	int exit_code = outcome(c, rc, code, error, "cannot get the status");
	if (exit_code == 0)
		print_status(&st);
	sys_status_free(&st);
	return exit_code;
}

static int dispatch(struct cli *c, int argc, char **argv)
{
	static const struct {
		const char *group, *verb;
		int (*fn)(struct cli *, int, char **);
	} commands[] = {
		{ "user", "add", user_add },         { "user", "del", user_del },
		{ "user", "list", user_list },       { "user", "show", user_show },
		{ "user", "passwd", user_passwd },   { "user", "rename", user_rename },
		{ "user", "copy-settings", user_copy }, { "user", "bulk-add", user_bulk_add },
		{ "domain", NULL, domain_cmd },      { "setting", NULL, setting_cmd },
		{ "status", NULL, status_cmd },
	};
	for (size_t i = 0; i < PB_N_ELEMENTS(commands); i++) {
		if (strcmp(argv[0], commands[i].group) != 0)
			continue;
		if (commands[i].verb != NULL && (argc < 2 || strcmp(argv[1], commands[i].verb) != 0))
			continue;
		/* handlers see argv as "group verb args..." */
		int rc = commands[i].fn(c, argc, argv);
		if (rc >= 0)
			return rc;
		break;
	}
	usage(stderr);
	return EXIT_UNREACHABLE;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "data-dir", required_argument, NULL, 'd' },
		{ "timeout", required_argument, NULL, 't' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct cli c = { .data_dir = getenv("PILLARBOX_DATA_DIR"), .timeout_ms = 120000 };
	const char *error;
	int ch;

	while ((ch = getopt_long(argc, argv, "+d:t:h", opts, NULL)) != -1) {
		switch (ch) {
		case 'd': c.data_dir = optarg; break;
		case 't': c.timeout_ms = (uint32_t)strtoul(optarg, NULL, 10) * 1000; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return EXIT_UNREACHABLE;
		}
	}
	if (optind >= argc) {
		usage(stderr);
		return EXIT_UNREACHABLE;
	}
	if (c.data_dir == NULL || *c.data_dir == '\0')
		c.data_dir = "./var";
	if (pillarbox_control_url(c.data_dir, c.url, sizeof(c.url), &error) < 0) {
		fprintf(stderr, "pillarbox: %s: %s\npillarbox: start the daemon with scripts/run.sh, or "
				"point --data-dir (or PILLARBOX_DATA_DIR) at its data directory.\n",
			c.data_dir, error);
		return EXIT_UNREACHABLE;
	}
	pb_sync_init_remote(&c.t, c.url, c.timeout_ms);
	return dispatch(&c, argc - optind, argv + optind);
}
