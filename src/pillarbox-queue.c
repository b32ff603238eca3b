/*
 * pillarbox-queue.c: `pillarbox queue list|show|hold|release|retry|delete|flush` — the outbound
 * queue through the admin bridge (queue-client.h) — and `pillarbox etrn`, which a sender
 * thread of the daemon runs.
 * OWNS: nothing. THREAD: the CLI's one thread.
 */
#include "pillarbox-cli.h"

#include "queue-client.h"

#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static void fmt_time(int64_t ms, char *buf, size_t size)
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;

	if (ms <= 0) {
		snprintf(buf, size, "now");
		return;
	}
	gmtime_r(&t, &tm);
	strftime(buf, size, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* One line per entry; with its recipients when detail. */
static void print_entries(const struct pb_rec_queue_entry_list *l, bool detail)
{
	char arrival[32], next[32];

	for (uint32_t i = 0; i < l->n; i++) {
		const struct pb_rec_queue_entry *e = &l->v[i];
		fmt_time(e->arrival_ms, arrival, sizeof(arrival));
		fmt_time(e->next_ms, next, sizeof(next));
		printf("%" PRIu64 " from=<%s> size=%" PRIu64 " rcpts=%u arrival=%s next=%s%s\n",
		       e->id, e->sender, e->size, e->rcpts, arrival, next, e->held ? " HELD" : "");
		if (detail)
			fputs(e->detail, stdout);
	}
}

static int parse_id(const char *s, uint64_t *id_r)
{
	char *end;
	unsigned long long v = strtoull(s, &end, 10);

	if (*s == '\0' || *end != '\0' || v == 0) {
		fprintf(stderr, "pillarbox: '%s' is not a queue id (see pillarbox queue list)\n", s);
		return EXIT_USAGE;
	}
	*id_r = v;
	return 0;
}

/* --limit N and --after ID into *limit_r and *after_r. 0 or EXIT_USAGE. */
static int page_opts(const struct cli *c, uint32_t *limit_r, uint64_t *after_r)
{
	char *end;

	*limit_r = QUEUE_LIST_LIMIT_DEFAULT;
	*after_r = 0;
	if (c->limit != NULL) {
		unsigned long v = strtoul(c->limit, &end, 10);
		if (c->limit[0] < '0' || c->limit[0] > '9' || *end != '\0' || v < 1 ||
		    v > QUEUE_LIST_LIMIT_MAX) {
			fprintf(stderr, "pillarbox: --limit wants 1 to %d, not '%s'\n",
				QUEUE_LIST_LIMIT_MAX, c->limit);
			return EXIT_USAGE;
		}
		*limit_r = (uint32_t)v;
	}
	return c->after != NULL ? parse_id(c->after, after_r) : 0;
}

int cli_queue_list(struct cli *c, char **args, int nargs)
{
	struct pb_rec_queue_entry_list l = { 0 };
	const char *error;
	uint32_t code = 0, limit;
	uint64_t after;
	bool more = false;

	if (page_opts(c, &limit, &after) != 0)
		return EXIT_USAGE;
	int rc = queue_client_list(&c->t, after, limit, &code, &l, &more, &error);
	int exit_code = cli_outcome(c, rc, code, error, "cannot read the queue");
	if (exit_code == 0) {
		print_entries(&l, false);
		if (l.n == 0 && after == 0)
			printf("the queue is empty\n");
		else if (l.n == 0)
			printf("no entries after %" PRIu64 "\n", after);
		else if (more)
			printf("more: pillarbox queue list --after %" PRIu64 "%s%s\n",
			       l.v[l.n - 1].id, c->limit != NULL ? " --limit " : "",
			       c->limit != NULL ? c->limit : "");
	}
	pb_rec_queue_entry_list_clear(&l);
	return exit_code;
}

int cli_queue_show(struct cli *c, char **args, int nargs)
{
	struct pb_rec_queue_entry_list l = { 0 };
	const char *error;
	uint32_t code = 0;
	uint64_t id;

	if (parse_id(args[0], &id) != 0)
		return EXIT_USAGE;
	int rc = queue_client_show(&c->t, id, &code, &l, &error);
	int exit_code = cli_outcome(c, rc, code, error, "cannot read the queue");
	if (exit_code == 0)
		print_entries(&l, true);
	pb_rec_queue_entry_list_clear(&l);
	return exit_code;
}

/* hold, release, retry, delete ID; flush. */
static int op(struct cli *c, const char *what, char **args, int nargs, const char *done)
{
	uint64_t id = 0;
	const char *error;
	uint32_t code = 0;
	char msg[64];

	if (nargs > 0 && parse_id(args[0], &id) != 0)
		return EXIT_USAGE;
	int rc = queue_client_op(&c->t, what, id, &code, &error);
	snprintf(msg, sizeof(msg), "cannot %s", what);
	return cli_simple(c, rc, code, error, msg, done);
}

int cli_queue_hold(struct cli *c, char **args, int nargs)
{
	return op(c, "hold", args, nargs, "held");
}

int cli_queue_release(struct cli *c, char **args, int nargs)
{
	return op(c, "release", args, nargs, "released");
}

int cli_queue_retry(struct cli *c, char **args, int nargs)
{
	return op(c, "retry", args, nargs, "due now");
}

int cli_queue_delete(struct cli *c, char **args, int nargs)
{
	return op(c, "delete", args, nargs, "deleted");
}

int cli_queue_flush(struct cli *c, char **args, int nargs)
{
	return op(c, "flush", args, 0, "every entry due now");
}

/* An ETRN node: a domain, "@domain" or "#queue" — letters, digits and ".-_@#" only. */
static bool etrn_node_ok(const char *node)
{
	size_t n = strlen(node);
	return n > 0 && n <= 255 &&
	       strspn(node, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-_@#") == n;
}

/* etrn HOST[:PORT] DOMAIN: the server's reply printed; exit 0 when it is 2xx. */
int cli_etrn(struct cli *c, char **args, int nargs)
{
	const char *error;
	uint32_t code = 0;
	char *reply = NULL;

	if (!etrn_node_ok(args[1]) || strpbrk(args[0], " \r\n") != NULL) {
		fprintf(stderr, "pillarbox: '%s' is not a domain to ask for\n", args[1]);
		return EXIT_USAGE;
	}
	int rc = queue_client_etrn(&c->t, args[0], args[1], &code, &reply, &error);
	int exit_code = cli_outcome(c, rc, code, error, "cannot send ETRN");
	if (exit_code == 0) {
		printf("%s\n", reply);
		exit_code = reply[0] == '2' ? 0 : EXIT_REFUSED;
	}
	free(reply);
	return exit_code;
}
