/*
 * pillarbox-connection.c: the CLI's connection methods (through scheduler-client.h):
 * `connection add NAME [--every MIN] [--from HH:MM --to HH:MM] [--days DAYS] [--min-waiting N]
 * [--collectors a,b] [--send yes|no]`, `list`, `show`, `del`, `pause`, `resume`, `now` (connect
 * now), `hangup`; and the one line per method (and its JSON) that `pillarbox status` shows.
 * Times are shown on the local clock, as the schedule's windows are read.
 * OWNS: nothing. THREAD: the CLI's.
 */
#include "pillarbox-cli.h"
#include "sched-calc.h"
#include "scheduler-client.h"
#include "scheduler-json.h"

#include <cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* A wall-clock ms time on the local clock ("2026-11-30 09:10 CET"), or `none` for 0. */
static const char *local_text(int64_t ms, const char *none, char *buf, size_t size)
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;

	if (ms == 0)
		return none;
	localtime_r(&t, &tm);
	strftime(buf, size, "%Y-%m-%d %H:%M %Z", &tm);
	return buf;
}

/* A usage error of connection add: what was wrong (text, then value if not NULL). */
static void usage_line(const char *text, const char *value)
{
	fprintf(stderr, "pillarbox: %s%s%s%s\npillarbox: see: pillarbox help connection add\n", text,
		value != NULL ? " '" : "", value != NULL ? value : "", value != NULL ? "'" : "");
}

/* --every, --min-waiting: a whole number from min to max into *v_r. 0 or EXIT_USAGE. */
static int whole_opt(const char *option, const char *text, unsigned long min, unsigned long max,
		     uint32_t *v_r)
{
	char *end = NULL;
	unsigned long v = text[0] >= '0' && text[0] <= '9' ? strtoul(text, &end, 10) : 0;

	if (end == NULL || *end != '\0' || v < min || v > max) {
		fprintf(stderr, "pillarbox: %s wants a whole number from %lu to %lu, not '%s'\n"
				"pillarbox: see: pillarbox help connection add\n",
			option, min, max, text);
		return EXIT_USAGE;
	}
	*v_r = (uint32_t)v;
	return 0;
}

/* The window --from/--to (both or neither) into r. 0 or EXIT_USAGE. */
static int window_opt(const struct cli *c, struct pb_rec_sched_rule *r)
{
	const char *from = c->conn[CLI_CONN_FROM], *to = c->conn[CLI_CONN_TO];
	uint16_t f = 0, t = 0;

	if ((from == NULL) != (to == NULL)) {
		usage_line("--from and --to go together (a window of local time)", NULL);
		return EXIT_USAGE;
	}
	if (from != NULL && (sched_parse_hhmm(from, &f) < 0 || sched_parse_hhmm(to, &t) < 0)) {
		usage_line("--from and --to want HH:MM (00:00 to 24:00), not",
			   sched_parse_hhmm(from, &f) < 0 ? from : to);
		return EXIT_USAGE;
	}
	r->from_min = f;
	r->to_min = t;
	return 0;
}

/* The schedule rule the options give (defaults: every 10 minutes, all day, all days). */
static int rule_opts(const struct cli *c, struct pb_rec_sched_rule *r)
{
	const char *error;
	uint8_t days = SCHED_DAYS_ALL;

	*r = (struct pb_rec_sched_rule){ .every_min = 10 };
	if (c->conn[CLI_CONN_EVERY] != NULL &&
	    whole_opt("--every", c->conn[CLI_CONN_EVERY], 1, SCHED_EVERY_MAX, &r->every_min) != 0)
		return EXIT_USAGE;
	if (c->conn[CLI_CONN_MIN_WAITING] != NULL &&
	    whole_opt("--min-waiting", c->conn[CLI_CONN_MIN_WAITING], 0, SCHED_WAITING_MAX,
		      &r->min_waiting) != 0)
		return EXIT_USAGE;
	if (c->conn[CLI_CONN_DAYS] != NULL &&
	    sched_parse_days(c->conn[CLI_CONN_DAYS], &days, &error) < 0) {
		usage_line(error, NULL);
		return EXIT_USAGE;
	}
	r->days = days;
	return window_opt(c, r);
}

/* --send yes|no (default yes) and --collectors a,b into *send_r and coll. 0 or EXIT_USAGE. */
static int job_opts(const struct cli *c, bool *send_r, struct pb_strv *coll)
{
	const char *send = c->conn[CLI_CONN_SEND], *list = c->conn[CLI_CONN_COLLECTORS];

	if (send != NULL && strcmp(send, "yes") != 0 && strcmp(send, "no") != 0) {
		usage_line("--send wants yes or no, not", send);
		return EXIT_USAGE;
	}
	*send_r = send == NULL || strcmp(send, "yes") == 0;
	for (const char *p = list; p != NULL && *p != '\0';) {
		size_t len = strcspn(p, ",");
		char *name = xstrndup(p, len);
		pb_strv_push(coll, name);
		free(name);
		p += len + (p[len] == ',' ? 1 : 0);
	}
	return 0;
}

int cli_connection_add(struct cli *c, char **args, int nargs)
{
	struct pb_rec_sched_rule_list rules = { 0 };
	struct pb_strv coll = { 0 };
	bool send;
	const char *error;
	uint32_t code = 0;

	(void)nargs;
	int rc = rule_opts(c, pb_rec_sched_rule_push(&rules));
	if (rc == 0)
		rc = job_opts(c, &send, &coll);
	if (rc == 0) {
		rc = scheduler_client_add(&c->t, args[0], send, &coll, &rules, &code, &error);
		rc = cli_simple(c, rc, code, error, "cannot add the connection", "connection added");
	}
	pb_rec_sched_rule_list_clear(&rules);
	pb_strv_clear(&coll);
	return rc;
}

void cli_connection_line(const struct pb_rec_sched_method *m, char *buf, size_t size)
{
	char last[40], next[40];

	snprintf(buf, size, "%-16s %-8s last %s%s%s, next %s%s%s", m->name, scheduler_method_state(m),
		 local_text(m->last_start_ms, "never", last, sizeof(last)),
		 m->last_result[0] ? " " : "", m->last_result,
		 m->paused ? "none (paused)" : local_text(m->next_due_ms, "none", next, sizeof(next)),
		 m->last_error[0] ? "; last failure: " : "", m->last_error);
}

/* Fetches every method (name NULL) or one into *l. 0 or the exit code (reported). */
static int fetch(struct cli *c, const char *name, struct pb_rec_sched_method_list *l)
{
	const char *error;
	uint32_t code = 0;

	int rc = scheduler_client_list(&c->t, name, &code, l, &error);
	return cli_outcome(c, rc, code, error, "cannot list the connections");
}

int cli_connection_list(struct cli *c, char **args, int nargs)
{
	struct pb_rec_sched_method_list l = { 0 };
	char line[512];

	(void)args;
	(void)nargs;
	int rc = fetch(c, NULL, &l);
	if (rc == 0 && l.n == 0)
		printf("no connections\n");
	for (uint32_t i = 0; rc == 0 && i < l.n; i++) {
		cli_connection_line(&l.v[i], line, sizeof(line));
		printf("%s\n", line);
	}
	pb_rec_sched_method_list_clear(&l);
	return rc;
}

static void print_method(const struct pb_rec_sched_method *m)
{
	char a[40], b[40], rule[SCHED_RULE_TEXT_MAX];

	printf("connection:   %s\nstate:        %s", m->name, scheduler_method_state(m));
	if (m->running)
		printf(" (%u jobs to answer)", m->jobs_left);
	printf("\n");
	for (uint32_t i = 0; i < m->rules.n; i++) {
		scheduler_rule_text(&m->rules.v[i], rule, sizeof(rule));
		printf("schedule:     %s\n", rule);
	}
	printf("collectors:   ");
	for (uint32_t i = 0; i < m->collectors.n; i++)
		printf("%s%s", i ? ", " : "", m->collectors.v[i]);
	printf("%s\nsend queued:  %s\n", m->collectors.n ? "" : "none", m->send ? "yes" : "no");
	printf("last poll:    %s", local_text(m->last_start_ms, "never", a, sizeof(a)));
	if (m->last_end_ms != 0 && !m->running)
		printf(", ended %s: %s", local_text(m->last_end_ms, "", b, sizeof(b)), m->last_result);
	printf("\nnext poll:    %s\n", m->paused ? "none (paused)"
					       : local_text(m->next_due_ms, "none", a, sizeof(a)));
	printf("last failure: %s%s%s\n", local_text(m->last_error_ms, "none", a, sizeof(a)),
	       m->last_error[0] ? " " : "", m->last_error);
}

int cli_connection_show(struct cli *c, char **args, int nargs)
{
	struct pb_rec_sched_method_list l = { 0 };

	(void)nargs;
	int rc = fetch(c, args[0], &l);
	if (rc == 0 && l.n == 1)
		print_method(&l.v[0]);
	pb_rec_sched_method_list_clear(&l);
	return rc;
}

int cli_connection_del(struct cli *c, char **args, int nargs)
{
	const char *error;
	uint32_t code = 0;

	(void)nargs;
	int rc = scheduler_client_del(&c->t, args[0], &code, &error);
	return cli_simple(c, rc, code, error, "cannot delete the connection", "connection deleted");
}

/* pause, resume, now, hangup: what the refusal is prefixed with, done printed on success. */
static int control(struct cli *c, const char *name, uint8_t what, const char *refused,
		   const char *done)
{
	const char *error;
	uint32_t code = 0;

	int rc = scheduler_client_control(&c->t, name, what, &code, &error);
	return cli_simple(c, rc, code, error, refused, done);
}

int cli_connection_pause(struct cli *c, char **args, int nargs)
{
	(void)nargs;
	return control(c, args[0], SCHED_CONTROL_PAUSE, "cannot pause the connection", "connection paused");
}

int cli_connection_resume(struct cli *c, char **args, int nargs)
{
	(void)nargs;
	return control(c, args[0], SCHED_CONTROL_RESUME, "cannot resume the connection", "connection resumed");
}

int cli_connection_now(struct cli *c, char **args, int nargs)
{
	(void)nargs;
	return control(c, args[0], SCHED_CONTROL_NOW, "cannot connect the connection", "connecting now");
}

int cli_connection_hangup(struct cli *c, char **args, int nargs)
{
	(void)nargs;
	return control(c, args[0], SCHED_CONTROL_HANGUP, "cannot hang up the connection", "hung up");
}
