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

/* id: 0 every entry (list), else that one with its recipients (show). */
static int list(struct cli *c, uint64_t id)
{
	struct pb_rec_queue_entry_list l = { 0 };
	const char *error;
	uint32_t code = 0;
	char arrival[32], next[32];

	int rc = queue_client_list(&c->t, id, &code, &l, &error);
	int exit_code = cli_outcome(c, rc, code, error, "cannot read the queue");
	for (uint32_t i = 0; exit_code == 0 && i < l.n; i++) {
		const struct pb_rec_queue_entry *e = &l.v[i];
		fmt_time(e->arrival_ms, arrival, sizeof(arrival));
		fmt_time(e->next_ms, next, sizeof(next));
		printf("%" PRIu64 " from=<%s> size=%" PRIu64 " rcpts=%u arrival=%s next=%s%s\n",
		       e->id, e->sender, e->size, e->rcpts, arrival, next,
		       e->held ? " HELD" : "");
		if (id != 0)
			fputs(e->detail, stdout);
	}
	if (exit_code == 0 && id == 0 && l.n == 0)
		printf("the queue is empty\n");
	pb_rec_queue_entry_list_clear(&l);
	return exit_code;
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

int cli_queue_list(struct cli *c, char **args, int nargs)
{
	return list(c, 0);
}

int cli_queue_show(struct cli *c, char **args, int nargs)
{
	uint64_t id;
	int rc = parse_id(args[0], &id);
	return rc != 0 ? rc : list(c, id);
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
