/*
 * pillarbox.c: the admin CLI. Talks to the running daemon over the control socket of the data
 * directory (ipc://DATA_DIR/control.sock) with the same typed messages the actors use.
 * Exit codes: 0 done, 1 refused (the daemon said no: bad name, exists, not found...), 2 the
 * daemon cannot be reached or the command line is wrong.
 * OWNS: the process. THREAD: single-threaded.
 */
#include "directory-rules.h"
#include "pb-msg.h"
#include "pb-runtime.h"
#include "pillarbox-paths.h"

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

/* Sends req and receives the reply; on failure prints what to do and exits 2. */
static void call(struct cli *c, struct pb_msg *req, struct pb_msg *rep_r)
{
	const char *error;

	if (pb_remote_call(c->url, req, rep_r, c->timeout_ms, &error) < 0) {
		fprintf(stderr,
			"pillarbox: cannot reach the daemon at %s: %s\n"
			"pillarbox: is pillarboxd running with this data directory? Start it with "
			"scripts/run.sh, or point --data-dir (or PILLARBOX_DATA_DIR) at its data directory.\n",
			c->url, error);
		exit(EXIT_UNREACHABLE);
	}
	pb_msg_free(req);
}

static int check_status(const struct pb_msg *rep, const char *what)
{
	const char *error;
	uint32_t code = pb_msg_status(rep, &error);

	if (code == PB_OK)
		return 0;
	fprintf(stderr, "pillarbox: %s: %s\n", what, error && *error ? error : pb_status_name(code));
	return code == PB_ERR_TEMP || code == PB_ERR_INTERNAL ? EXIT_UNREACHABLE : EXIT_REFUSED;
}

static int simple(struct cli *c, struct pb_msg *req, const char *what, const char *done)
{
	struct pb_msg rep;
	call(c, req, &rep);
	int rc = check_status(&rep, what);
	if (rc == 0 && done != NULL)
		printf("%s\n", done);
	pb_msg_free(&rep);
	return rc;
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

static int user_add(struct cli *c, int argc, char **argv)
{
	const char *copy_from = NULL;
	struct pb_msg req;

	if (argc == 5 && strcmp(argv[3], "--copy-from") == 0)
		copy_from = argv[4];
	else if (argc != 3)
		return -1;
	char *password = get_password();
	if (password == NULL)
		return EXIT_REFUSED;
	pb_msg_init(&req, MSG_DIR_USER_ADD_REQ);
	req.u.dir_user_add_req.user = xstrdup(argv[2]);
	req.u.dir_user_add_req.password = password;
	req.u.dir_user_add_req.copy_from = xstrdup(copy_from ? copy_from : "");
	char *done = xasprintf("added user %s", argv[2]);
	int rc = simple(c, &req, "cannot add the user", done);
	free(done);
	return rc;
}

static int user_passwd(struct cli *c, int argc, char **argv)
{
	struct pb_msg req;

	if (argc != 3)
		return -1;
	char *password = get_password();
	if (password == NULL)
		return EXIT_REFUSED;
	pb_msg_init(&req, MSG_DIR_USER_PASSWD_REQ);
	req.u.dir_user_passwd_req.user = xstrdup(argv[2]);
	req.u.dir_user_passwd_req.password = password;
	return simple(c, &req, "cannot set the password", "password changed");
}

static int user_del(struct cli *c, int argc, char **argv)
{
	struct pb_msg req;
	bool force = argc == 4 && strcmp(argv[3], "--force") == 0;

	if (argc != 3 && !force)
		return -1;
	pb_msg_init(&req, MSG_DIR_USER_DEL_REQ);
	req.u.dir_user_del_req.user = xstrdup(argv[2]);
	req.u.dir_user_del_req.force = force;
	return simple(c, &req, "cannot delete the user", "user deleted");
}

static int user_rename(struct cli *c, int argc, char **argv)
{
	struct pb_msg req;

	if (argc != 4)
		return -1;
	pb_msg_init(&req, MSG_DIR_USER_RENAME_REQ);
	req.u.dir_user_rename_req.user = xstrdup(argv[2]);
	req.u.dir_user_rename_req.new_name = xstrdup(argv[3]);
	return simple(c, &req, "cannot rename the user", "user renamed");
}

static int user_copy(struct cli *c, int argc, char **argv)
{
	struct pb_msg req;

	if (argc != 4)
		return -1;
	pb_msg_init(&req, MSG_DIR_USER_COPY_REQ);
	req.u.dir_user_copy_req.user = xstrdup(argv[2]);
	req.u.dir_user_copy_req.from = xstrdup(argv[3]);
	return simple(c, &req, "cannot copy the settings", "settings copied");
}

static int user_list(struct cli *c, int argc, char **argv)
{
	struct pb_msg req, rep;

	if (argc > 3)
		return -1;
	pb_msg_init(&req, MSG_DIR_USER_LIST_REQ);
	req.u.dir_user_list_req.pattern = xstrdup(argc == 3 ? argv[2] : "");
	call(c, &req, &rep);
	int rc = check_status(&rep, "cannot list users");
	if (rc == 0) {
		struct msg_dir_user_list_rep *r = &rep.u.dir_user_list_rep;
		printf("%-32s %10s %14s\n", "USER", "MESSAGES", "SIZE");
		for (uint32_t i = 0; i < r->users.n; i++)
			printf("%-32s %10llu %14llu\n", r->users.v[i],
			       (unsigned long long)r->messages.v[i], (unsigned long long)r->bytes.v[i]);
	}
	pb_msg_free(&rep);
	return rc;
}

static int user_show(struct cli *c, int argc, char **argv)
{
	struct pb_msg req, rep;

	if (argc != 3)
		return -1;
	pb_msg_init(&req, MSG_DIR_USER_SHOW_REQ);
	req.u.dir_user_show_req.user = xstrdup(argv[2]);
	call(c, &req, &rep);
	int rc = check_status(&rep, "cannot show the user");
	if (rc == 0) {
		struct msg_dir_user_show_rep *r = &rep.u.dir_user_show_rep;
		time_t created = (time_t)(r->created_ms / 1000);
		char when[64];
		strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S UTC", gmtime(&created));
		printf("user:     %s\nid:       %llu\ncreated:  %s\nmessages: %llu (inbox)\n"
		       "size:     %llu bytes\nsettings: %s\n",
		       r->user, (unsigned long long)r->user_id, when,
		       (unsigned long long)r->messages, (unsigned long long)r->bytes, r->settings);
	}
	pb_msg_free(&rep);
	return rc;
}

/* Sends one batch of the bulk file; prints errors with their line numbers. */
static int bulk_send(struct cli *c, struct pb_msg *req, const struct pb_u64v *lines,
		     uint32_t *added)
{
	struct pb_msg rep;
	int rc;

	call(c, req, &rep);
	if ((rc = check_status(&rep, "bulk add")) == 0) {
		struct msg_dir_user_bulk_add_rep *r = &rep.u.dir_user_bulk_add_rep;
		*added += r->added;
		for (uint32_t i = 0; i < r->errors.n && i < lines->n; i++) {
			if (r->errors.v[i][0] != '\0') {
				fprintf(stderr, "\nline %llu: %s", (unsigned long long)lines->v[i],
					r->errors.v[i]);
				rc = EXIT_REFUSED;
			}
		}
	}
	pb_msg_free(&rep);
	return rc;
}

static int user_bulk_add(struct cli *c, int argc, char **argv)
{
	struct pb_msg req;
	struct pb_u64v lines = { 0 };
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
	pb_msg_init(&req, MSG_DIR_USER_BULK_ADD_REQ);
	while ((line = read_line(f)) != NULL) {
		char *user, *password;
		const char *error;
		lineno++;
		int r = directory_parse_csv_line(line, &user, &password, &error);
		if (r < 0) {
			fprintf(stderr, "\nline %llu: %s", (unsigned long long)lineno, error);
			rc = EXIT_REFUSED;
		} else if (r > 0) {
			pb_strv_push(&req.u.dir_user_bulk_add_req.users, user);
			pb_strv_push(&req.u.dir_user_bulk_add_req.passwords, password);
			pb_u64v_push(&lines, lineno);
			total++;
		}
		explicit_bzero(line, strlen(line));
		free(line);
		if (req.u.dir_user_bulk_add_req.users.n == BULK_BATCH) {
			if (bulk_send(c, &req, &lines, &added) != 0)
				rc = EXIT_REFUSED;
			fprintf(stderr, "\rbulk add: %u added, %u read", added, total);
			pb_msg_init(&req, MSG_DIR_USER_BULK_ADD_REQ);
			lines.n = 0;
		}
	}
	if (f != stdin)
		fclose(f);
	if (req.u.dir_user_bulk_add_req.users.n > 0 && bulk_send(c, &req, &lines, &added) != 0)
		rc = EXIT_REFUSED;
	else
		pb_msg_free(&req);
	free(lines.v);
	fprintf(stderr, "%sbulk add: %u of %u users added\n", total > BULK_BATCH || rc ? "\n" : "",
		added, total);
	return rc;
}

static int domain_cmd(struct cli *c, int argc, char **argv)
{
	struct pb_msg req, rep;

	if (argc == 2 && strcmp(argv[1], "list") == 0) {
		pb_msg_init(&req, MSG_DIR_DOMAIN_LIST_REQ);
		call(c, &req, &rep);
		int rc = check_status(&rep, "cannot list domains");
		for (uint32_t i = 0; rc == 0 && i < rep.u.dir_domain_list_rep.domains.n; i++)
			printf("%s\n", rep.u.dir_domain_list_rep.domains.v[i]);
		pb_msg_free(&rep);
		return rc;
	}
	if (argc != 3)
		return -1;
	if (strcmp(argv[1], "add") == 0) {
		pb_msg_init(&req, MSG_DIR_DOMAIN_ADD_REQ);
		req.u.dir_domain_add_req.domain = xstrdup(argv[2]);
		return simple(c, &req, "cannot add the domain", "domain added");
	}
	if (strcmp(argv[1], "del") == 0) {
		pb_msg_init(&req, MSG_DIR_DOMAIN_DEL_REQ);
		req.u.dir_domain_del_req.domain = xstrdup(argv[2]);
		return simple(c, &req, "cannot delete the domain", "domain deleted");
	}
	return -1;
}

static int setting_cmd(struct cli *c, int argc, char **argv)
{
	struct pb_msg req, rep;

	if (argc == 3 && strcmp(argv[1], "show") == 0) {
		pb_msg_init(&req, MSG_SYS_SETTING_GET_REQ);
		req.u.sys_setting_get_req.key = xstrdup(argv[2]);
		call(c, &req, &rep);
		int rc = check_status(&rep, "cannot read the settings");
		if (rc == 0)
			printf("%s\n", rep.u.sys_setting_get_rep.json);
		pb_msg_free(&rep);
		return rc;
	}
	if (argc == 4 && strcmp(argv[1], "set") == 0) {
		pb_msg_init(&req, MSG_SYS_SETTING_PUT_REQ);
		req.u.sys_setting_put_req.key = xstrdup(argv[2]);
		req.u.sys_setting_put_req.json = xstrdup(argv[3]);
		return simple(c, &req, "cannot change the settings", "settings changed");
	}
	return -1;
}

static int status_cmd(struct cli *c, int argc, char **argv)
{
	struct pb_msg req, rep;

	if (argc != 1)
		return -1;
	pb_msg_init(&req, MSG_SYS_STATUS_REQ);
	call(c, &req, &rep);
	int rc = check_status(&rep, "cannot get the status");
	if (rc == 0) {
		struct msg_sys_status_rep *r = &rep.u.sys_status_rep;
		uint64_t s = r->uptime_ms / 1000;
		printf("version:    %s\nuptime:     %llud %02llu:%02llu:%02llu\n"
		       "users:      %llu\ndomains:    %llu\nstore size: %llu bytes\n",
		       r->version, (unsigned long long)(s / 86400), (unsigned long long)(s / 3600 % 24),
		       (unsigned long long)(s / 60 % 60), (unsigned long long)(s % 60),
		       (unsigned long long)r->users, (unsigned long long)r->domains,
		       (unsigned long long)r->store_bytes);
		printf("%-20s %10s %10s %10s\n", "ACTOR", "HANDLED", "RESTARTS", "INBOX-FULL");
		for (uint32_t i = 0; i < r->actors.n; i++)
			printf("%-20s %10llu %10llu %10llu\n", r->actors.v[i],
			       (unsigned long long)r->handled.v[i], (unsigned long long)r->restarts.v[i],
			       (unsigned long long)r->inbox_full.v[i]);
	}
	pb_msg_free(&rep);
	return rc;
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
	return dispatch(&c, argc - optind, argv + optind);
}
