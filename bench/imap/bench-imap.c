/*
 * bench-imap.c: the IMAP load generator of the IMAP benchmark (bench/imap/run.sh) — the same
 * commands against Pillarbox and Dovecot, timed on the client's clock.
 *
 * Usage: bench-imap HOST PORT USER PASS MODE [ARGS]
 *   append N SIZE   APPEND N generated messages of about SIZE octets to INBOX on one
 *                   connection (LITERAL+ when the server offers it, else synchronising
 *                   literals); message i is the same on every server and every run
 *   fetch-env       SELECT INBOX, then FETCH 1:* (FLAGS ENVELOPE)
 *   fetch-body      SELECT INBOX, then FETCH 1:* BODY.PEEK[]
 *   search WORD     SELECT INBOX, then SEARCH TEXT WORD (one message in 100 holds WORD)
 *   write N SIZE DIR  no connection: writes the messages append sends, DIR/msg-I.eml each
 *                   (run.sh delivers them by SMTP to a server without APPEND)
 *   idle N          N connections, each LOGIN + SELECT INBOX + IDLE (32 logging in at once);
 *                   prints "idle ready" and
 *                   holds them until stdin reaches EOF, then DONE + LOGOUT on each
 * Each mode prints one line "MODE key value ..." (seconds on the monotonic clock, the command's
 * own time: login and SELECT excluded) and exits 0, or prints why and exits 1.
 *
 * Only libc (bench-net.c): it runs against any server. Responses are read line by line with
 * their literals skipped, so a FETCH of every body is counted but not kept.
 * OWNS: its connections. THREAD: single-threaded.
 */
#include "bench-net.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#define LINE_MAX_ (64 * 1024)
#define SEARCH_EVERY 100

struct resp {
	long untagged;  /* responses starting "* " */
	long literals;  /* octets in literals */
	bool ok;        /* the tagged status was OK */
	char last[256]; /* the tagged line */
};

static char line[LINE_MAX_];

static int fail(const char *what, const char *why)
{
	fprintf(stderr, "bench-imap: %s: %s\n", what, why);
	return 1;
}

/* The literal a line announces at its end ("{123}" or "{123+}"): its length, or -1. */
static long literal_at_end(const char *l, int len)
{
	if (len < 3 || l[len - 1] != '}')
		return -1;
	int i = len - 2;
	if (l[i] == '+')
		i--;
	while (i >= 0 && l[i] >= '0' && l[i] <= '9')
		i--;
	if (i < 0 || l[i] != '{' || i == len - 2)
		return -1;
	return strtol(l + i + 1, NULL, 10);
}

/* Reads up to and including the tagged response of tag (or, tag NULL, one line). */
static int read_resp(struct bench_conn *c, const char *tag, struct resp *r)
{
	size_t tlen = tag != NULL ? strlen(tag) : 0;
	bool fresh = true;

	memset(r, 0, sizeof(*r));
	for (;;) {
		int len = bench_conn_read_line(c, line, sizeof(line));
		if (len < 0)
			return -1;
		if (fresh && len >= 2 && line[0] == '*' && line[1] == ' ')
			r->untagged++;
		long lit = literal_at_end(line, len);
		if (lit >= 0) {
			if (bench_conn_skip(c, (size_t)lit) < 0)
				return -1;
			r->literals += lit;
			fresh = false; /* the response goes on after the literal */
			continue;
		}
		fresh = true;
		if (tag == NULL || (strncmp(line, tag, tlen) == 0 && line[tlen] == ' ')) {
			snprintf(r->last, sizeof(r->last), "%.255s", line);
			r->ok = strncmp(line + tlen, " OK", 3) == 0;
			return 0;
		}
	}
}

static int command(struct bench_conn *c, const char *tag, const char *cmd, struct resp *r)
{
	char buf[1024];
	int n = snprintf(buf, sizeof(buf), "%s %s\r\n", tag, cmd);

	if (bench_send_all(c, buf, (size_t)n) < 0 || read_resp(c, tag, r) < 0)
		return -1;
	return r->ok ? 0 : -1;
}

/* Connects, reads the greeting, logs in and (select) selects INBOX. *literal_plus_r: the
 * server offers LITERAL+ (asked after login). */
static int open_session(struct bench_conn *c, char **argv, bool select, bool *literal_plus_r)
{
	const char *error;
	struct resp r;
	char cmd[512];

	if (bench_conn_open(c, argv[1], argv[2], &error) < 0)
		return fail("connect", error);
	if (read_resp(c, NULL, &r) < 0 || strncmp(line, "* OK", 4) != 0)
		return fail("greeting", line);
	snprintf(cmd, sizeof(cmd), "LOGIN \"%s\" \"%s\"", argv[3], argv[4]);
	if (command(c, "l", cmd, &r) < 0)
		return fail("login", r.last);
	if (literal_plus_r != NULL) {
		if (bench_send_all(c, "c CAPABILITY\r\n", 14) < 0 ||
		    bench_conn_read_line(c, line, sizeof(line)) < 0)
			return fail("capability", "no answer");
		*literal_plus_r = strstr(line, "LITERAL+") != NULL;
		if (read_resp(c, "c", &r) < 0)
			return fail("capability", "no tagged answer");
	}
	if (select && command(c, "s", "SELECT INBOX", &r) < 0)
		return fail("select", r.last);
	return 0;
}

static const char *const words[] = {
	"report", "budget", "meeting", "invoice", "delivery", "schedule", "contract", "review",
	"quarter", "project", "customer", "shipment", "payment", "forecast", "summary", "agenda",
};

/* Message i of about size octets into buf (NUL-terminated); returns its length. */
static size_t make_message(char *buf, size_t cap, long i, size_t size)
{
	unsigned long x = (unsigned long)i * 2654435761u + 12345u;
	size_t n = (size_t)snprintf(buf, cap,
		"From: Sender %ld <sender%ld@example.org>\r\n"
		"To: Reader <reader@bench.test>, Other <other%ld@example.com>\r\n"
		"Subject: The %s %s number %ld\r\n"
		"Date: Sun, 29 Nov 2026 10:%02ld:%02ld +0000\r\n"
		"Message-ID: <bench.%ld@example.org>\r\n"
		"MIME-Version: 1.0\r\n"
		"Content-Type: text/plain; charset=us-ascii\r\n\r\n",
		i % 50, i % 50, i % 7, words[i % 16], words[(i / 16) % 16], i, (i / 60) % 60,
		i % 60, i);
	if (i % SEARCH_EVERY == 0)
		n += (size_t)snprintf(buf + n, cap - n, "The password is zanzibar.\r\n");
	size_t col = 0;
	while (n + 16 < size && n + 16 < cap) {
		x = x * 6364136223846793005ul + 1442695040888963407ul;
		const char *w = words[(x >> 33) % 16];
		n += (size_t)snprintf(buf + n, cap - n, "%s ", w);
		col += strlen(w) + 1;
		if (col > 64) {
			memcpy(buf + n, "\r\n", 3);
			n += 2;
			col = 0;
		}
	}
	memcpy(buf + n, "\r\n", 3);
	return n + 2;
}

static int do_append(char **argv, long count, size_t size)
{
	struct bench_conn *c = malloc(sizeof(*c));
	char *msg = malloc(size + 4096), head[128];
	bool lplus = false;
	struct resp r;

	if (c == NULL || msg == NULL || open_session(c, argv, false, &lplus) != 0)
		return 1;
	double t0 = bench_now_s();
	for (long i = 0; i < count; i++) {
		size_t len = make_message(msg, size + 4096, i, size);
		int hl = snprintf(head, sizeof(head), "a APPEND INBOX {%zu%s}\r\n", len,
				  lplus ? "+" : "");
		if (bench_send_all(c, head, (size_t)hl) < 0)
			return fail("append", "connection lost");
		if (!lplus && (bench_conn_read_line(c, line, sizeof(line)) < 0 || line[0] != '+'))
			return fail("append: no continuation", line);
		if (bench_send_all(c, msg, len) < 0 || bench_send_all(c, "\r\n", 2) < 0 ||
		    read_resp(c, "a", &r) < 0 || !r.ok)
			return fail("append", r.last);
	}
	double secs = bench_now_s() - t0;
	printf("append msgs %ld size %zu literal_plus %d secs %.3f msgs_per_s %.1f\n", count, size,
	       lplus, secs, count / secs);
	return 0;
}

/* The messages of append, one file each, for a loader that does not speak IMAP. */
static int do_write(long count, size_t size, const char *dir)
{
	char *msg = malloc(size + 4096), path[4096];

	for (long i = 0; msg != NULL && i < count; i++) {
		size_t len = make_message(msg, size + 4096, i, size);
		snprintf(path, sizeof(path), "%s/msg-%ld.eml", dir, i);
		FILE *f = fopen(path, "wb");
		if (f == NULL || fwrite(msg, 1, len, f) != len || fclose(f) != 0)
			return fail("write", strerror(errno));
	}
	free(msg);
	printf("write msgs %ld size %zu\n", count, size);
	return 0;
}

static int do_timed(char **argv, const char *mode, const char *cmd)
{
	struct bench_conn *c = malloc(sizeof(*c));
	struct resp r;

	if (c == NULL || open_session(c, argv, true, NULL) != 0)
		return 1;
	double t0 = bench_now_s();
	if (command(c, "f", cmd, &r) < 0)
		return fail(mode, r.last);
	double secs = bench_now_s() - t0;
	printf("%s responses %ld literal_octets %ld secs %.3f\n", mode, r.untagged, r.literals,
	       secs);
	command(c, "z", "LOGOUT", &r);
	bench_conn_close(c);
	free(c);
	return 0;
}

static int do_search(char **argv, const char *word)
{
	struct bench_conn *c = malloc(sizeof(*c));
	char cmd[256];
	struct resp r;

	if (c == NULL || open_session(c, argv, true, NULL) != 0)
		return 1;
	snprintf(cmd, sizeof(cmd), "f SEARCH TEXT %s\r\n", word);
	double t0 = bench_now_s();
	if (bench_send_all(c, cmd, strlen(cmd)) < 0 ||
	    bench_conn_read_line(c, line, sizeof(line)) < 0 || strncmp(line, "* SEARCH", 8) != 0)
		return fail("search", line);
	long hits = 0;
	for (const char *p = line + 8; *p != '\0'; p++)
		hits += *p == ' ';
	if (read_resp(c, "f", &r) < 0 || !r.ok)
		return fail("search", r.last);
	double secs = bench_now_s() - t0;
	printf("search word %s hits %ld secs %.3f\n", word, hits, secs);
	return 0;
}

/* Sessions logged in at once while the idle mode opens them: logins are the slow part
 * (a password hash each), and the servers check several in parallel. */
#define IDLE_WAVE 32

/* Brings the k connections of cs from connected to IDLE, every step pipelined over all of
 * them: the greetings, LOGIN, then SELECT INBOX + IDLE. Returns 0, or 1 (printed why). */
static int idle_wave(struct bench_conn *cs, long k, char **argv)
{
	char cmd[512];
	struct resp r;
	int n = snprintf(cmd, sizeof(cmd), "l LOGIN \"%s\" \"%s\"\r\n", argv[3], argv[4]);

	for (long i = 0; i < k; i++)
		if (read_resp(&cs[i], NULL, &r) < 0 || strncmp(line, "* OK", 4) != 0)
			return fail("idle: greeting", line);
	for (long i = 0; i < k; i++)
		if (bench_send_all(&cs[i], cmd, (size_t)n) < 0)
			return fail("idle", "connection lost");
	for (long i = 0; i < k; i++) {
		if (read_resp(&cs[i], "l", &r) < 0 || !r.ok)
			return fail("idle: login", r.last);
		if (bench_send_all(&cs[i], "s SELECT INBOX\r\ni IDLE\r\n", 24) < 0)
			return fail("idle", "connection lost");
	}
	for (long i = 0; i < k; i++) {
		if (read_resp(&cs[i], "s", &r) < 0 || !r.ok)
			return fail("idle: select", r.last);
		if (bench_conn_read_line(&cs[i], line, sizeof(line)) < 0 || line[0] != '+')
			return fail("idle: no continuation", line);
	}
	return 0;
}

/* Opens n IDLE sessions (IDLE_WAVE at a time), holds them until stdin ends, then closes them
 * cleanly. */
static int do_idle(char **argv, long n)
{
	struct bench_conn *cs = calloc(IDLE_WAVE, sizeof(*cs));
	int *fds = calloc((size_t)n, sizeof(int));
	struct rlimit rl = { (rlim_t)n + 64, (rlim_t)n + 64 };
	const char *error;

	if (cs == NULL || fds == NULL)
		return fail("idle", "out of memory");
	if (setrlimit(RLIMIT_NOFILE, &rl) < 0)
		return fail("idle: raise the descriptor limit", strerror(errno));
	double t0 = bench_now_s();
	for (long done = 0; done < n;) {
		long k = n - done < IDLE_WAVE ? n - done : IDLE_WAVE;
		for (long i = 0; i < k; i++)
			if (bench_conn_open(&cs[i], argv[1], argv[2], &error) < 0)
				return fail("idle: connect", error);
		if (idle_wave(cs, k, argv) != 0)
			return 1;
		for (long i = 0; i < k; i++) /* nothing more is read: "+ idling" ended the buffer */
			fds[done++] = cs[i].fd;
	}
	printf("idle ready %ld secs %.3f\n", n, bench_now_s() - t0);
	fflush(stdout);
	while (fgetc(stdin) != EOF)
		;
	for (long i = 0; i < n; i++) {
		cs[0].fd = fds[i];
		cs[0].start = cs[0].end = 0;
		bench_send_all(&cs[0], "DONE\r\nz LOGOUT\r\n", 16);
		bench_conn_close(&cs[0]);
	}
	return 0;
}

int main(int argc, char **argv)
{
	if (argc < 6) {
		fprintf(stderr, "usage: bench-imap HOST PORT USER PASS "
				"append N SIZE | fetch-env | fetch-body | search WORD | idle N\n");
		return 2;
	}
	const char *mode = argv[5];
	if (strcmp(mode, "append") == 0 && argc == 8)
		return do_append(argv, atol(argv[6]), (size_t)atol(argv[7]));
	if (strcmp(mode, "write") == 0 && argc == 9)
		return do_write(atol(argv[6]), (size_t)atol(argv[7]), argv[8]);
	if (strcmp(mode, "fetch-env") == 0)
		return do_timed(argv, mode, "FETCH 1:* (FLAGS ENVELOPE)");
	if (strcmp(mode, "fetch-body") == 0)
		return do_timed(argv, mode, "FETCH 1:* BODY.PEEK[]");
	if (strcmp(mode, "search") == 0 && argc == 7)
		return do_search(argv, argv[6]);
	if (strcmp(mode, "idle") == 0 && argc == 7)
		return do_idle(argv, atol(argv[6]));
	fprintf(stderr, "bench-imap: bad mode or arguments: %s\n", mode);
	return 2;
}
