/*
 * bench-pop3.c: POP3 load generators for the mail-path benchmark, built twice:
 *
 *   bench-pop3-drain -p port [-H host] [-c clients] [-u users] [-U user_pattern]
 *                    [-P password_pattern] [-e expected_per_user]
 *     Each client takes users from a shared counter and drains each mailbox: USER, PASS,
 *     STAT, UIDL, RETR of every message (read to the terminating dot line), DELE of every
 *     message, QUIT (deletions count only once QUIT is answered +OK). Prints
 *       drained M messages B bytes U users in S s = R msg/s R2 users/s
 *       failed_users F mismatched_users X
 *     (-e: a user whose STAT count differs from it is "mismatched"; its mail is still drained.)
 *
 *   bench-pop3-login -p port [-H host] [-c clients] [-t seconds] [-u users] [-U ..] [-P ..]
 *     Each client loops USER, PASS, QUIT on a new connection, users round-robin, for -t
 *     seconds. Prints
 *       logins N in S s = R logins/s failed F
 *
 * Patterns: "%d" / "%0Nd" take the user index (0 .. users-1), "%%" is a percent sign;
 * defaults user%03d and bench-pass-%03d. Exit status 0 when nothing failed, else 1.
 * Only libc and pthreads. OWNS: its sockets. THREAD: main starts and joins the clients; each
 * client thread owns one connection at a time.
 */
#include "bench-net.h"

#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#ifndef BENCH_POP3_LOGIN
#define BENCH_POP3_LOGIN 0
#endif

#define MAX_CLIENTS 1024
#define MAX_LOGGED_ERRORS 10
#define LINE_MAX_LEN 8192

struct opts {
	const char *host, *port, *user_pattern, *password_pattern;
	long clients, users, expected, seconds;
};

struct shared {
	const struct opts *o;
	double deadline;
	atomic_long next, users_done, messages, bytes, failed, mismatched, logged;
};

static const char *prog = BENCH_POP3_LOGIN ? "bench-pop3-login" : "bench-pop3-drain";

__attribute__((format(printf, 2, 3))) static void log_error(struct shared *sh, const char *fmt, ...)
{
	va_list ap;

	if (atomic_fetch_add(&sh->logged, 1) >= MAX_LOGGED_ERRORS)
		return;
	va_start(ap, fmt);
	fprintf(stderr, "%s: ", prog);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
}

/* Sends a command (unless fmt is NULL: just reads, for the greeting) and reads the status
 * line into reply_r. 1 for +OK, 0 for -ERR or anything else, -1 on I/O error. */
__attribute__((format(printf, 4, 5))) static int pop3_cmd(struct bench_conn *c, char *reply_r,
							  size_t size, const char *fmt, ...)
{
	char cmd[LINE_MAX_LEN];
	va_list ap;

	if (fmt != NULL) {
		va_start(ap, fmt);
		int len = vsnprintf(cmd, sizeof(cmd), fmt, ap);
		va_end(ap);
		if (len < 0 || (size_t)len >= sizeof(cmd) || bench_send_all(c, cmd, (size_t)len) < 0)
			return -1;
	}
	if (bench_conn_read_line(c, reply_r, size) < 0)
		return -1;
	return strncmp(reply_r, "+OK", 3) == 0 ? 1 : 0;
}

/* Reads a multi-line body to the lone "." line. Returns the lines read (dot-stuffing undone
 * in the byte count: bytes_r counts the message as stored, with CRLF), or -1. */
static long read_multiline(struct bench_conn *c, long *bytes_r)
{
	char line[LINE_MAX_LEN];
	long lines = 0;

	*bytes_r = 0;
	for (;;) {
		int len = bench_conn_read_line(c, line, sizeof(line));
		if (len < 0)
			return -1;
		if (len == 1 && line[0] == '.')
			return lines;
		*bytes_r += len + 2 - (line[0] == '.' ? 1 : 0);
		lines++;
	}
}

/* Connects and logs user idx in (greeting, USER, PASS). 1 logged in, 0 refused, -1 I/O. */
static int pop3_login(struct shared *sh, struct bench_conn *c, long idx, char *reply, size_t size)
{
	char user[256], pass[256];
	const char *error;
	int rc;

	bench_expand_pattern(sh->o->user_pattern, idx, user, sizeof(user));
	bench_expand_pattern(sh->o->password_pattern, idx, pass, sizeof(pass));
	if (bench_conn_open(c, sh->o->host, sh->o->port, &error) < 0) {
		log_error(sh, "connect %s:%s: %s", sh->o->host, sh->o->port, error);
		return -1;
	}
	rc = pop3_cmd(c, reply, size, NULL);
	if (rc == 1)
		rc = pop3_cmd(c, reply, size, "USER %s\r\n", user);
	if (rc == 1)
		rc = pop3_cmd(c, reply, size, "PASS %s\r\n", pass);
	explicit_bzero(pass, sizeof(pass));
	if (rc != 1)
		log_error(sh, "login %s: %s", user, rc < 0 ? "connection lost" : reply);
	return rc;
}

/* STAT then UIDL; the UIDL listing must have as many lines as STAT counted. */
static int stat_uidl(struct shared *sh, struct bench_conn *c, long *count_r)
{
	char reply[LINE_MAX_LEN];
	long bytes, size;

	if (pop3_cmd(c, reply, sizeof(reply), "STAT\r\n") != 1 ||
	    sscanf(reply, "+OK %ld %ld", count_r, &size) != 2) {
		log_error(sh, "STAT: %s", reply);
		return -1;
	}
	if (pop3_cmd(c, reply, sizeof(reply), "UIDL\r\n") != 1) {
		log_error(sh, "UIDL: %s", reply);
		return -1;
	}
	long lines = read_multiline(c, &bytes);
	if (lines != *count_r) {
		log_error(sh, "UIDL listed %ld messages, STAT said %ld", lines, *count_r);
		return -1;
	}
	return 0;
}

/* RETR every message, then DELE every message. Returns the bytes retrieved, or -1. */
static long retr_dele_all(struct shared *sh, struct bench_conn *c, long count)
{
	char reply[LINE_MAX_LEN];
	long total = 0, bytes;

	for (long i = 1; i <= count; i++) {
		if (pop3_cmd(c, reply, sizeof(reply), "RETR %ld\r\n", i) != 1 ||
		    read_multiline(c, &bytes) < 0) {
			log_error(sh, "RETR %ld: %s", i, reply);
			return -1;
		}
		total += bytes;
	}
	for (long i = 1; i <= count; i++) {
		if (pop3_cmd(c, reply, sizeof(reply), "DELE %ld\r\n", i) != 1) {
			log_error(sh, "DELE %ld: %s", i, reply);
			return -1;
		}
	}
	return total;
}

/* Drains one user's mailbox; the counts are added only once QUIT commits the deletions. */
static int drain_user(struct shared *sh, struct bench_conn *c, long idx)
{
	char reply[LINE_MAX_LEN];
	long count = 0, bytes = -1;

	if (pop3_login(sh, c, idx, reply, sizeof(reply)) != 1) {
		bench_conn_close(c);
		return -1;
	}
	if (stat_uidl(sh, c, &count) == 0)
		bytes = retr_dele_all(sh, c, count);
	if (bytes >= 0 && pop3_cmd(c, reply, sizeof(reply), "QUIT\r\n") != 1) {
		log_error(sh, "QUIT: %s", reply);
		bytes = -1;
	}
	bench_conn_close(c);
	if (bytes < 0)
		return -1;
	if (sh->o->expected >= 0 && count != sh->o->expected)
		atomic_fetch_add(&sh->mismatched, 1);
	atomic_fetch_add(&sh->messages, count);
	atomic_fetch_add(&sh->bytes, bytes);
	atomic_fetch_add(&sh->users_done, 1);
	return 0;
}

static void *drain_client(void *arg)
{
	struct shared *sh = arg;
	struct bench_conn *c = malloc(sizeof(*c));

	if (c == NULL)
		abort();
	for (;;) {
		long idx = atomic_fetch_add(&sh->next, 1);
		if (idx >= sh->o->users)
			break;
		if (drain_user(sh, c, idx) < 0)
			atomic_fetch_add(&sh->failed, 1);
	}
	free(c);
	return NULL;
}

static void *login_client(void *arg)
{
	struct shared *sh = arg;
	struct bench_conn *c = malloc(sizeof(*c));
	char reply[LINE_MAX_LEN];

	if (c == NULL)
		abort();
	while (bench_now_s() < sh->deadline) {
		long idx = atomic_fetch_add(&sh->next, 1) % sh->o->users;
		int rc = pop3_login(sh, c, idx, reply, sizeof(reply));
		if (rc == 1)
			rc = pop3_cmd(c, reply, sizeof(reply), "QUIT\r\n");
		bench_conn_close(c);
		atomic_fetch_add(rc == 1 ? &sh->users_done : &sh->failed, 1);
	}
	free(c);
	return NULL;
}

static void usage(void)
{
	if (BENCH_POP3_LOGIN)
		fprintf(stderr, "usage: bench-pop3-login -p port [-H host] [-c clients] [-t seconds]\n"
				"         [-u users] [-U user_pattern] [-P password_pattern]\n"
				"  defaults: -H 127.0.0.1 -c 1 -t 10 -u 100\n");
	else
		fprintf(stderr, "usage: bench-pop3-drain -p port [-H host] [-c clients] [-u users]\n"
				"         [-U user_pattern] [-P password_pattern] [-e expected_per_user]\n"
				"  defaults: -H 127.0.0.1 -c 1 -u 100\n");
	fprintf(stderr, "  patterns: %%d or %%0Nd is the user index; defaults user%%03d and "
			"bench-pass-%%03d\n");
	exit(2);
}

static long num_arg(const char *s, long min, long max)
{
	char *end;
	long v = strtol(s, &end, 10);

	if (*s == '\0' || *end != '\0' || v < min || v > max)
		usage();
	return v;
}

static void parse_args(int argc, char **argv, struct opts *o)
{
	int ch;

	*o = (struct opts){ .host = "127.0.0.1", .user_pattern = "user%03d",
			    .password_pattern = "bench-pass-%03d", .clients = 1, .users = 100,
			    .expected = -1, .seconds = 10 };
	while ((ch = getopt(argc, argv, "H:p:c:u:U:P:e:t:")) != -1) {
		switch (ch) {
		case 'H': o->host = optarg; break;
		case 'p': o->port = optarg; break;
		case 'c': o->clients = num_arg(optarg, 1, MAX_CLIENTS); break;
		case 'u': o->users = num_arg(optarg, 1, 10000000); break;
		case 'U': o->user_pattern = optarg; break;
		case 'P': o->password_pattern = optarg; break;
		case 'e': o->expected = num_arg(optarg, 0, 100000000); break;
		case 't': o->seconds = num_arg(optarg, 1, 86400); break;
		default: usage();
		}
	}
	if (o->port == NULL || optind != argc)
		usage();
}

static void print_result(struct shared *sh, double secs)
{
	long done = atomic_load(&sh->users_done), failed = atomic_load(&sh->failed);

	if (BENCH_POP3_LOGIN) {
		printf("logins %ld in %.3f s = %.1f logins/s failed %ld\n", done, secs,
		       (double)done / secs, failed);
		return;
	}
	long msgs = atomic_load(&sh->messages);
	printf("drained %ld messages %ld bytes %ld users in %.3f s = %.1f msg/s %.1f users/s\n",
	       msgs, atomic_load(&sh->bytes), done, secs, (double)msgs / secs, (double)done / secs);
	printf("failed_users %ld mismatched_users %ld\n", failed, atomic_load(&sh->mismatched));
}

int main(int argc, char **argv)
{
	struct opts o;
	struct shared sh = { .o = &o };
	pthread_t *tids;

	parse_args(argc, argv, &o);
	tids = calloc((size_t)o.clients, sizeof(*tids));
	double t0 = bench_now_s();
	sh.deadline = t0 + (double)o.seconds;
	for (long i = 0; i < o.clients; i++) {
		if (pthread_create(&tids[i], NULL, BENCH_POP3_LOGIN ? login_client : drain_client,
				   &sh) != 0) {
			fprintf(stderr, "%s: cannot start thread %ld\n", prog, i);
			return 2;
		}
	}
	for (long i = 0; i < o.clients; i++)
		pthread_join(tids[i], NULL);
	print_result(&sh, bench_now_s() - t0);
	free(tids);
	return atomic_load(&sh.failed) == 0 && atomic_load(&sh.mismatched) == 0 ? 0 : 1;
}
