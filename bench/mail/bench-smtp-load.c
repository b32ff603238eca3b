/*
 * bench-smtp-load.c: SMTP load generator for the mail-path benchmark. C connections, each one
 * SMTP session sending messages in a loop (MAIL, RCPT, DATA; no pipelining) to user%03d@domain,
 * round-robin over the users by a message counter shared by all connections, so N messages
 * over U users give N/U to each. Prints the accepted rate (250 after DATA) and, with -W, the
 * durably delivered rate: the command is run until it reports that every accepted message is
 * in a mailbox.
 *
 * Usage: bench-smtp-load -p port [-H host] [-c connections] [-n messages] [-s body_bytes]
 *          [-u users] [-d domain] [-U user_pattern] [-f sender] [-W count_command] [-T secs]
 * Output (one parsable line each):
 *   accepted N in S s = R msg/s
 *   rejected N failed N unsent N latency_ms p50 X p90 X p99 X max X
 *   delivered N in S s = R msg/s          (with -W; S counts from the first send)
 * Exit status 0 when every message was accepted (and delivered, with -W), else 1.
 *
 * Only libc and pthreads. OWNS: its sockets and the per-connection latency arrays.
 * THREAD: main parses, starts the workers and waits; each worker owns one connection.
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

#define MAX_CONNS 1024
#define MAX_RECONNECTS 5
#define MAX_LOGGED_ERRORS 10
#define LINE_MAX_LEN 2048
#define BODY_LINE 78 /* 76 characters + CRLF */

struct opts {
	const char *host, *port, *domain, *user_pattern, *sender, *wait_cmd;
	long conns, messages, size, users, wait_timeout_s;
};

struct shared {
	const struct opts *o;
	const char *body;
	atomic_long next, accepted, rejected, failed, logged;
	char run_tag[32];
};

struct worker {
	pthread_t tid;
	struct shared *sh;
	double *lat_ms;
	size_t n_lat, cap_lat;
};

static void *xmalloc_or_die(size_t n)
{
	void *p = malloc(n);

	if (p == NULL) {
		fprintf(stderr, "bench-smtp-load: out of memory\n");
		exit(2);
	}
	return p;
}

/* Prints at most MAX_LOGGED_ERRORS problems in a run, so a failing server does not flood. */
__attribute__((format(printf, 2, 3))) static void log_error(struct shared *sh, const char *fmt, ...)
{
	va_list ap;

	if (atomic_fetch_add(&sh->logged, 1) >= MAX_LOGGED_ERRORS)
		return;
	va_start(ap, fmt);
	fputs("bench-smtp-load: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
}

/*
 * Expands a user-name pattern for index idx: "%d" and "%0Nd" (N one digit) take the index,
 * "%%" is a percent sign; anything else is copied. Done by hand, not by printf, because the
 * pattern comes from the command line. Output is truncated to size - 1 bytes.
 */
/* Reads a whole (possibly multi-line) SMTP reply; returns its code, or -1. last_r gets the
 * last line for error messages. */
static int smtp_reply(struct bench_conn *c, char *last_r, size_t size)
{
	for (;;) {
		int len = bench_conn_read_line(c, last_r, size);
		if (len < 3)
			return -1;
		if (len == 3 || last_r[3] == ' ')
			return atoi(last_r);
		if (last_r[3] != '-')
			return -1;
	}
}

/* Sends a command line and reads the reply: the code, or -1 on I/O error. */
__attribute__((format(printf, 4, 5))) static int smtp_cmd(struct bench_conn *c, char *reply_r,
							  size_t size, const char *fmt, ...)
{
	char cmd[LINE_MAX_LEN];
	va_list ap;

	va_start(ap, fmt);
	int len = vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	if (len < 0 || (size_t)len >= sizeof(cmd) || bench_send_all(c, cmd, (size_t)len) < 0)
		return -1;
	return smtp_reply(c, reply_r, size);
}

/* Connects, reads the 220 greeting and says EHLO. 0 ready, -1 failed (logged). */
static int session_open(struct shared *sh, struct bench_conn *c)
{
	char reply[LINE_MAX_LEN];
	const char *error;

	if (bench_conn_open(c, sh->o->host, sh->o->port, &error) < 0) {
		log_error(sh, "connect %s:%s: %s", sh->o->host, sh->o->port, error);
		return -1;
	}
	if (smtp_reply(c, reply, sizeof(reply)) != 220) {
		log_error(sh, "greeting: %s", reply);
		bench_conn_close(c);
		return -1;
	}
	if (smtp_cmd(c, reply, sizeof(reply), "EHLO load.bench.test\r\n") != 250) {
		log_error(sh, "EHLO: %s", reply);
		bench_conn_close(c);
		return -1;
	}
	return 0;
}

/* Sends the header block and the shared body, then the end-of-data line. */
static int send_data(struct shared *sh, struct bench_conn *c, long idx, const char *rcpt)
{
	char head[1024];
	int len = snprintf(head, sizeof(head),
			   "From: Bench Load <%s>\r\nTo: <%s>\r\nSubject: bench message %ld\r\n"
			   "Date: Thu, 01 Jan 2026 00:00:00 +0000\r\n"
			   "Message-ID: <%ld.%s@load.bench.test>\r\n\r\n",
			   sh->o->sender, rcpt, idx, idx, sh->run_tag);

	if (len < 0 || (size_t)len >= sizeof(head) || bench_send_all(c, head, (size_t)len) < 0)
		return -1;
	if (bench_send_all(c, sh->body, (size_t)sh->o->size) < 0)
		return -1;
	return bench_send_all(c, ".\r\n", 3);
}

static void record_latency(struct worker *w, double ms)
{
	if (w->n_lat == w->cap_lat) {
		w->cap_lat = w->cap_lat == 0 ? 1024 : w->cap_lat * 2;
		w->lat_ms = realloc(w->lat_ms, w->cap_lat * sizeof(*w->lat_ms));
		if (w->lat_ms == NULL) {
			fprintf(stderr, "bench-smtp-load: out of memory\n");
			exit(2);
		}
	}
	w->lat_ms[w->n_lat++] = ms;
}

/* One transaction for message idx. 1 accepted, 0 refused (session still usable), -1 I/O. */
static int send_message(struct worker *w, struct bench_conn *c, long idx)
{
	struct shared *sh = w->sh;
	char rcpt[512], user[256], reply[LINE_MAX_LEN];
	double t0 = bench_now_s();
	int code;

	bench_expand_pattern(sh->o->user_pattern, idx % sh->o->users, user, sizeof(user));
	snprintf(rcpt, sizeof(rcpt), "%s@%s", user, sh->o->domain);
	code = smtp_cmd(c, reply, sizeof(reply), "MAIL FROM:<%s>\r\n", sh->o->sender);
	if (code == 250)
		code = smtp_cmd(c, reply, sizeof(reply), "RCPT TO:<%s>\r\n", rcpt);
	if (code == 250)
		code = smtp_cmd(c, reply, sizeof(reply), "DATA\r\n");
	if (code == 354)
		code = send_data(sh, c, idx, rcpt) < 0 ? -1 : smtp_reply(c, reply, sizeof(reply));
	if (code == 250) {
		record_latency(w, (bench_now_s() - t0) * 1000.0);
		return 1;
	}
	if (code < 0) {
		log_error(sh, "message %ld to %s: connection lost", idx, rcpt);
		return -1;
	}
	log_error(sh, "message %ld to %s: %s", idx, rcpt, reply);
	return smtp_cmd(c, reply, sizeof(reply), "RSET\r\n") == 250 ? 0 : -1;
}

/* Sends messages while the shared counter lasts. 0 when it ran out, -1 on a lost session. */
static int session_loop(struct worker *w, struct bench_conn *c)
{
	struct shared *sh = w->sh;

	for (;;) {
		long idx = atomic_fetch_add(&sh->next, 1);
		if (idx >= sh->o->messages)
			return 0;
		int rc = send_message(w, c, idx);
		if (rc > 0)
			atomic_fetch_add(&sh->accepted, 1);
		else if (rc == 0)
			atomic_fetch_add(&sh->rejected, 1);
		else {
			atomic_fetch_add(&sh->failed, 1);
			return -1;
		}
	}
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	struct bench_conn *c = xmalloc_or_die(sizeof(*c));
	char reply[LINE_MAX_LEN];

	for (int attempt = 0; attempt <= MAX_RECONNECTS; attempt++) {
		if (session_open(w->sh, c) < 0)
			continue;
		int rc = session_loop(w, c);
		if (rc == 0)
			(void)smtp_cmd(c, reply, sizeof(reply), "QUIT\r\n");
		bench_conn_close(c);
		if (rc == 0)
			break;
	}
	free(c);
	return NULL;
}

/* The body: size bytes of 76-character lines ending in CRLF, no line starting with '.'. */
static char *make_body(long size)
{
	char *b = xmalloc_or_die((size_t)size + 1);

	for (long i = 0; i < size; i++) {
		long col = i % BODY_LINE;
		b[i] = col == BODY_LINE - 2 ? '\r' : col == BODY_LINE - 1 ? '\n'
						: (char)('a' + (i / BODY_LINE + col) % 26);
	}
	b[size - 2] = '\r';
	b[size - 1] = '\n';
	if (size >= 3 && b[size - 3] == '\r')
		b[size - 3] = 'z';
	b[size] = '\0';
	return b;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* Merges the workers' latencies and prints the second result line. */
static void print_details(struct shared *sh, struct worker *w, long n)
{
	size_t total = 0, k = 0;
	double *all;

	for (long i = 0; i < n; i++)
		total += w[i].n_lat;
	all = xmalloc_or_die((total + 1) * sizeof(*all));
	for (long i = 0; i < n; i++) {
		if (w[i].n_lat > 0)
			memcpy(all + k, w[i].lat_ms, w[i].n_lat * sizeof(*all));
		k += w[i].n_lat;
		free(w[i].lat_ms);
	}
	qsort(all, total, sizeof(*all), cmp_double);
#define PCT(p) (total > 0 ? all[(size_t)((double)(total - 1) * (p))] : 0.0)
	long sent = atomic_load(&sh->accepted) + atomic_load(&sh->rejected) + atomic_load(&sh->failed);
	printf("rejected %ld failed %ld unsent %ld latency_ms p50 %.1f p90 %.1f p99 %.1f max %.1f\n",
	       atomic_load(&sh->rejected), atomic_load(&sh->failed), sh->o->messages - sent,
	       PCT(0.5), PCT(0.9), PCT(0.99), PCT(1.0));
#undef PCT
	free(all);
}

/* Runs the count command once; returns the number it prints, or -1. */
static long run_count(const char *cmd)
{
	FILE *f = popen(cmd, "r");
	long v = -1;

	if (f == NULL)
		return -1;
	if (fscanf(f, "%ld", &v) != 1)
		v = -1;
	if (pclose(f) != 0)
		v = -1;
	return v;
}

/* Polls the count command (every 20 ms) until it reaches target; returns the time, or -1. */
static double wait_delivered(const struct opts *o, long target, double deadline)
{
	struct timespec pause = { .tv_nsec = 20 * 1000 * 1000 };
	long last = -1;

	for (;;) {
		long v = run_count(o->wait_cmd);
		double t = bench_now_s();
		if (v >= target)
			return t;
		if (v >= 0)
			last = v;
		if (t > deadline) {
			fprintf(stderr, "bench-smtp-load: %ld of %ld delivered after %ld s; giving up\n",
				last, target, o->wait_timeout_s);
			return -1;
		}
		nanosleep(&pause, NULL);
	}
}

static void usage(void)
{
	fprintf(stderr,
		"usage: bench-smtp-load -p port [-H host] [-c connections] [-n messages] [-s body_bytes]\n"
		"         [-u users] [-d domain] [-U user_pattern] [-f sender] [-W count_command] [-T secs]\n"
		"  defaults: -H 127.0.0.1 -c 1 -n 1000 -s 1024 -u 100 -d bench.test -U user%%03d\n"
		"            -f bench@load.bench.test -T 600\n"
		"  -W: a shell command printing how many messages are in the mailboxes; it is run\n"
		"      before the load and then until it shows every accepted message delivered.\n");
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

	*o = (struct opts){ .host = "127.0.0.1", .domain = "bench.test", .user_pattern = "user%03d",
			    .sender = "bench@load.bench.test", .conns = 1, .messages = 1000,
			    .size = 1024, .users = 100, .wait_timeout_s = 600 };
	while ((ch = getopt(argc, argv, "H:p:c:n:s:u:d:U:f:W:T:")) != -1) {
		switch (ch) {
		case 'H': o->host = optarg; break;
		case 'p': o->port = optarg; break;
		case 'c': o->conns = num_arg(optarg, 1, MAX_CONNS); break;
		case 'n': o->messages = num_arg(optarg, 1, 100000000); break;
		case 's': o->size = num_arg(optarg, 2, 100L * 1024 * 1024); break;
		case 'u': o->users = num_arg(optarg, 1, 1000000); break;
		case 'd': o->domain = optarg; break;
		case 'U': o->user_pattern = optarg; break;
		case 'f': o->sender = optarg; break;
		case 'W': o->wait_cmd = optarg; break;
		case 'T': o->wait_timeout_s = num_arg(optarg, 1, 86400); break;
		default: usage();
		}
	}
	if (o->port == NULL || optind != argc)
		usage();
}

/* Starts the workers, waits for them, prints the accepted line; returns the start time. */
static double run_load(struct shared *sh, struct worker *w)
{
	const struct opts *o = sh->o;
	double t0 = bench_now_s();

	for (long i = 0; i < o->conns; i++) {
		w[i].sh = sh;
		if (pthread_create(&w[i].tid, NULL, worker_main, &w[i]) != 0) {
			fprintf(stderr, "bench-smtp-load: cannot start thread %ld\n", i);
			exit(2);
		}
	}
	for (long i = 0; i < o->conns; i++)
		pthread_join(w[i].tid, NULL);
	double secs = bench_now_s() - t0;
	long acc = atomic_load(&sh->accepted);
	printf("accepted %ld in %.3f s = %.1f msg/s\n", acc, secs, secs > 0 ? (double)acc / secs : 0);
	print_details(sh, w, o->conns);
	fflush(stdout);
	return t0;
}

int main(int argc, char **argv)
{
	struct opts o;
	struct shared sh = { .o = &o };
	long baseline = 0;

	parse_args(argc, argv, &o);
	snprintf(sh.run_tag, sizeof(sh.run_tag), "%ld.%ld", (long)getpid(), (long)time(NULL));
	if (o.wait_cmd != NULL && (baseline = run_count(o.wait_cmd)) < 0) {
		fprintf(stderr, "bench-smtp-load: the count command failed: %s\n", o.wait_cmd);
		return 2;
	}
	sh.body = make_body(o.size);
	printf("bench-smtp-load: %s:%s connections %ld messages %ld size %ld users %ld\n", o.host,
	       o.port, o.conns, o.messages, o.size, o.users);
	struct worker *w = calloc((size_t)o.conns, sizeof(*w));
	double t0 = run_load(&sh, w);
	free(w);
	free((void *)sh.body);
	long acc = atomic_load(&sh.accepted);
	int rc = acc == o.messages ? 0 : 1;
	if (o.wait_cmd != NULL) {
		double t = wait_delivered(&o, baseline + acc, bench_now_s() + (double)o.wait_timeout_s);
		if (t < 0)
			return 1;
		printf("delivered %ld in %.3f s = %.1f msg/s\n", acc, t - t0, (double)acc / (t - t0));
	}
	return rc;
}
