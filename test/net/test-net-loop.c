/*
 * test-net-loop.c: the gateways' event loop over real loopback sockets: accept, input,
 * output (pipelined answers in one send), deadlines (also for a connection left in a high slot
 * after others closed),
 * close after flush, a peer that reads nothing (output held bounded, close bounded in time), and stale ids after a slot is reused.
 */
#include "net-loop.h"
#include "pb-test.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

static uint64_t fake_now;
static uint64_t clock_fn(void *ctx)
{
	return fake_now;
}

struct sess {
	struct net_conn *c;
	int inputs, timeouts;
	bool closed;
};

static struct sess sessions[128];
static int n_sessions;

static bool refuse_all;

static void *on_accept(struct net_conn *c, void *ctx)
{
	if (refuse_all)
		return NULL;
	struct sess *s = &sessions[n_sessions++];
	memset(s, 0, sizeof(*s));
	s->c = c;
	net_conn_write_str(c, "hello\r\n");
	return s;
}

static void on_input(void *session, struct net_conn *c)
{
	struct sess *s = session;
	struct pb_buf *in = net_conn_input(c);
	s->inputs++;
	if (strstr(in->data, "quit") != NULL) {
		net_conn_write_str(c, "bye\r\n");
		net_conn_close(c, true);
	} else {
		net_conn_write(c, in->data, in->len); /* echo */
	}
	pb_buf_reset(in);
}

static void on_timeout(void *session, struct net_conn *c)
{
	struct sess *s = session;
	s->timeouts++;
	net_conn_write_str(c, "timeout\r\n");
	net_conn_close(c, true);
}

static void on_close(void *session, struct net_conn *c)
{
	((struct sess *)session)->closed = true;
}

static const struct net_proto proto = { on_accept, on_input, on_timeout, on_close, NULL,
					"busy\r\n", 0 };

/* Answers each line of its input with a write of its own (a pipelined batch of commands),
 * and counts the drains: one per send that empties the output. */
static int drains;

static void on_input_lines(void *session, struct net_conn *c)
{
	struct pb_buf *in = net_conn_input(c);
	char *line = in->data, *end;

	while ((end = strstr(line, "\r\n")) != NULL) {
		net_conn_write(c, line, (size_t)(end + 2 - line));
		line = end + 2;
	}
	pb_buf_reset(in);
}

static void on_drain_count(void *session, struct net_conn *c)
{
	drains++;
}

static const struct net_proto line_proto = { on_accept, on_input_lines, on_timeout, on_close,
					     on_drain_count, "busy\r\n", 0 };

static int listen_port_of(struct net_loop *l, const struct net_proto *p)
{
	const char *error;
	for (int port = 23000; port < 23100; port++) {
		if (net_loop_listen(l, "127.0.0.1", (uint16_t)port, p, NULL, &error) == 0)
			return port;
	}
	return -1;
}

static int listen_port(struct net_loop *l)
{
	return listen_port_of(l, &proto);
}

static int dial(int port)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
	inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		PANIC("connect");
	return fd;
}

/* Runs the loop until fd has want (a substring) to read, or 200 rounds pass. */
static bool read_until(struct net_loop *l, int fd, const char *want)
{
	char buf[256] = "";
	size_t got = 0;
	for (int i = 0; i < 200 && strstr(buf, want) == NULL; i++) {
		net_loop_run_once(l, 10);
		ssize_t n = recv(fd, buf + got, sizeof(buf) - 1 - got, MSG_DONTWAIT);
		if (n > 0)
			got += (size_t)n;
		buf[got] = '\0';
	}
	return strstr(buf, want) != NULL;
}

static void test_echo_and_close_after_flush(void)
{
	struct net_loop *l = net_loop_create(clock_fn, NULL);
	int port = listen_port(l);
	REQUIRE(port > 0);
	n_sessions = 0;
	int fd = dial(port);
	CHECK(read_until(l, fd, "hello"));
	REQUIRE(send(fd, "ping\r\n", 6, 0) == 6);
	CHECK(read_until(l, fd, "ping"));
	REQUIRE(send(fd, "quit\r\n", 6, 0) == 6);
	CHECK(read_until(l, fd, "bye"));
	for (int i = 0; i < 50 && !sessions[0].closed; i++)
		net_loop_run_once(l, 10);
	CHECK(sessions[0].closed);
	CHECK_INT(net_loop_conn_count(l), 0);
	close(fd);
	net_loop_destroy(&l);
}

/* The answers written while one read of pipelined commands is handled go out in one send. */
static void test_pipelined_answers_in_one_send(void)
{
	struct net_loop *l = net_loop_create(clock_fn, NULL);
	int port = listen_port_of(l, &line_proto);
	REQUIRE(port > 0);
	n_sessions = 0;
	int fd = dial(port);
	CHECK(read_until(l, fd, "hello"));
	drains = 0;
	REQUIRE(send(fd, "one\r\ntwo\r\nthree\r\n", 17, 0) == 17);
	CHECK(read_until(l, fd, "three"));
	CHECK_INT(drains, 1);
	close(fd);
	net_loop_destroy(&l);
}

static void test_deadline_in_a_high_slot(void)
{
	struct net_loop *l = net_loop_create(clock_fn, NULL);
	int port = listen_port(l);
	int fds[80];
	REQUIRE(port > 0);
	n_sessions = 0;
	fake_now = 1000;
	for (int i = 0; i < 80; i++) {
		fds[i] = dial(port);
		CHECK(read_until(l, fds[i], "hello"));
	}
	/* all but the last close: it stays alone in slot 79, above any bound derived from the
	 * number of live connections */
	for (int i = 0; i < 79; i++)
		close(fds[i]);
	for (int i = 0; i < 100 && net_loop_conn_count(l) > 1; i++)
		net_loop_run_once(l, 10);
	CHECK_INT(net_loop_conn_count(l), 1);
	struct sess *last = &sessions[79];
	uint64_t id = net_conn_id(last->c);
	net_conn_set_deadline(last->c, 5000);
	fake_now = 4999;
	net_loop_run_once(l, 0);
	CHECK_INT(last->timeouts, 0);
	fake_now = 5000;
	CHECK(read_until(l, fds[79], "timeout"));
	CHECK_INT(last->timeouts, 1);
	for (int i = 0; i < 50 && !last->closed; i++)
		net_loop_run_once(l, 10);
	CHECK(last->closed);
	CHECK(net_loop_find(l, id) == NULL); /* a late reply finds nothing */
	close(fds[79]);
	net_loop_destroy(&l);
}

/* A peer that pipelines commands and reads none of the answers: once they stop going out,
 * reading stops past NET_OUT_HIGH; the answers held do not grow with what it sends. */
static void test_output_bounded_for_a_peer_that_reads_nothing(void)
{
	struct net_loop *l = net_loop_create(clock_fn, NULL);
	int port = listen_port_of(l, &line_proto);
	REQUIRE(port > 0);
	n_sessions = 0;
	int fd = dial(port);
	int small = 4096;
	setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &small, sizeof(small));
	CHECK(read_until(l, fd, "hello"));
	char lines[8192];
	for (size_t i = 0; i + 8 <= sizeof(lines); i += 8)
		memcpy(lines + i, "012345\r\n", 8);
	size_t sent = 0, limit = 64u << 20, most = 0;
	for (int i = 0; i < 20000 && sent < limit; i++) {
		ssize_t n = send(fd, lines, sizeof(lines), MSG_DONTWAIT);
		if (n > 0)
			sent += (size_t)n;
		net_loop_run_once(l, 0);
		size_t pending = net_conn_output_pending(sessions[0].c);
		if (pending > most)
			most = pending;
	}
	CHECK(sent < limit); /* the client was made to wait */
	CHECK(most <= NET_OUT_HIGH + 2 * NET_READ_CHUNK);
	close(fd);
	net_loop_destroy(&l);
}

/* A connection closed after its last words, to a peer that reads none of them (a zero
 * window held open), goes away NET_CLOSE_LINGER_MS later instead of holding its descriptor
 * forever; a deadline the session sets meanwhile does not put that off. */
static void test_close_lingers_for_a_peer_that_reads_nothing(void)
{
	struct net_loop *l = net_loop_create(clock_fn, NULL);
	int port = listen_port(l);
	REQUIRE(port > 0);
	n_sessions = 0;
	fake_now = 1000;
	int fd = dial(port);
	int small = 4096;
	setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &small, sizeof(small));
	CHECK(read_until(l, fd, "hello"));
	struct sess *s = &sessions[0];
	size_t big = 32u << 20; /* far past what the two sockets' buffers hold */
	char *junk = xmalloc(big);
	memset(junk, 'x', big);
	net_conn_write(s->c, junk, big);
	free(junk);
	net_conn_close(s->c, true);
	net_conn_set_deadline(s->c, 0);
	for (int i = 0; i < 20; i++)
		net_loop_run_once(l, 5);
	REQUIRE(net_conn_output_pending(s->c) > 0);
	fake_now = 1000 + NET_CLOSE_LINGER_MS - 1;
	net_loop_run_once(l, 0);
	CHECK(!s->closed);
	fake_now = 1000 + NET_CLOSE_LINGER_MS;
	for (int i = 0; i < 5 && !s->closed; i++)
		net_loop_run_once(l, 5);
	CHECK(s->closed);
	CHECK_INT(s->timeouts, 0);
	CHECK_INT(net_loop_conn_count(l), 0);
	close(fd);
	net_loop_destroy(&l);
}

/* A session that refuses at accept: the client hears the proto's busy line. */
static void test_refused_at_accept_hears_busy(void)
{
	struct net_loop *l = net_loop_create(clock_fn, NULL);
	int port = listen_port(l);
	REQUIRE(port > 0);
	n_sessions = 0;
	refuse_all = true;
	int fd = dial(port);
	CHECK(read_until(l, fd, "busy\r\n"));
	CHECK_INT(net_loop_conn_count(l), 0);
	refuse_all = false;
	close(fd);
	net_loop_destroy(&l);
}

/* A busy "line" of bytes with a NUL in it (implicit TLS: a TLS alert record) goes out whole,
 * busy_len bytes, and the connection is closed after it, even when the client had sent
 * something already (its ClientHello: read and dropped, so no reset overtakes the alert). */
static void test_refused_hears_binary_busy(void)
{
	static const char alert[7] = { 0x15, 0x03, 0x03, 0x00, 0x02, 0x02, 0x50 };
	const struct net_proto tls_proto = { on_accept, on_input, on_timeout, on_close, NULL,
					     alert, sizeof(alert) };
	struct net_loop *l = net_loop_create(clock_fn, NULL);
	int port = listen_port_of(l, &tls_proto);
	char buf[64];
	size_t got = 0;
	ssize_t n = 1;

	REQUIRE(port > 0);
	refuse_all = true;
	int fd = dial(port);
	REQUIRE(send(fd, "\x16\x03\x01 hello", 10, 0) == 10);
	for (int i = 0; i < 200 && n != 0; i++) {
		net_loop_run_once(l, 10);
		n = recv(fd, buf + got, sizeof(buf) - got, MSG_DONTWAIT);
		if (n > 0)
			got += (size_t)n;
	}
	CHECK_INT(n, 0); /* closed in order: no reset */
	CHECK_INT(got, sizeof(alert));
	CHECK(memcmp(buf, alert, sizeof(alert)) == 0);
	refuse_all = false;
	close(fd);
	net_loop_destroy(&l);
}

/* Out of descriptors: the refused client hears the busy line (the spare descriptor), the
 * loop does not spin, and clients are served again once descriptors are back. */
static void test_out_of_descriptors(void)
{
	struct net_loop *l = net_loop_create(clock_fn, NULL);
	int port = listen_port(l);
	struct rlimit old, low;
	int clients[3];
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };

	REQUIRE(port > 0);
	n_sessions = 0;
	inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
	for (int i = 0; i < 3; i++)
		clients[i] = socket(AF_INET, SOCK_STREAM, 0);
	/* no descriptor left for accept: the limit is the lowest free descriptor */
	int probe = dup(0);
	REQUIRE(probe >= 0);
	close(probe);
	REQUIRE(getrlimit(RLIMIT_NOFILE, &old) == 0);
	low = old;
	low.rlim_cur = (rlim_t)probe;
	REQUIRE(setrlimit(RLIMIT_NOFILE, &low) == 0);
	for (int i = 0; i < 2; i++) {
		REQUIRE(connect(clients[i], (struct sockaddr *)&sa, sizeof(sa)) == 0);
		CHECK(read_until(l, clients[i], "busy\r\n"));
	}
	CHECK_INT(n_sessions, 0);
	REQUIRE(setrlimit(RLIMIT_NOFILE, &old) == 0);
	/* descriptors are back: a client is served (after a pause of the listeners, if any) */
	REQUIRE(connect(clients[2], (struct sockaddr *)&sa, sizeof(sa)) == 0);
	fake_now += NET_ACCEPT_PAUSE_MS;
	CHECK(read_until(l, clients[2], "hello"));
	CHECK_INT(n_sessions, 1);
	for (int i = 0; i < 3; i++)
		close(clients[i]);
	net_loop_destroy(&l);
}

/* Ids come back in replies and event addresses, so any 64-bit value may be looked up: a slot
 * past the table (the id's low 16 bits can reach 65535, the table has NET_MAX_CONNS) finds
 * nothing instead of reading past the array (ASan caught the old code). */
static void test_find_any_id(void)
{
	struct net_loop *l = net_loop_create(clock_fn, NULL);
	uint64_t ids[] = { 0, 1, NET_MAX_CONNS - 1, NET_MAX_CONNS, 0xffff, 0x10000ffffull,
			   UINT64_MAX };
	for (size_t i = 0; i < PB_N_ELEMENTS(ids); i++)
		CHECK(net_loop_find(l, ids[i]) == NULL);
	net_loop_destroy(&l);
}

/* Sessions of the growth test: counted, none kept in sessions[]. */
static int grown_open;
static void *on_accept_counted(struct net_conn *c, void *ctx)
{
	grown_open++;
	net_conn_write_str(c, "hello\r\n");
	return &grown_open;
}

static void on_close_counted(void *session, struct net_conn *c)
{
	grown_open--;
}

static const struct net_proto counted_proto = { on_accept_counted, on_input, on_timeout,
						on_close_counted, NULL, "busy\r\n", 0 };

/* The slot table is no fixed array: past NET_INITIAL_CONNS it grows, every connection stays
 * addressable by its id, and a slot freed low is taken again before the table grows more. */
static void test_table_grows(void)
{
	enum { N = NET_INITIAL_CONNS + 40 };
	struct net_loop *l = net_loop_create(clock_fn, NULL);
	int port = listen_port_of(l, &counted_proto);
	static int fds[N];
	static uint64_t ids[N];
	REQUIRE(port > 0);
	for (int i = 0; i < N; i++) {
		fds[i] = dial(port);
		REQUIRE(fds[i] >= 0);
		CHECK(read_until(l, fds[i], "hello"));
	}
	CHECK_INT(net_loop_conn_count(l), N);
	CHECK_INT(grown_open, N);
	close(fds[3]);
	for (int i = 0; i < 100 && net_loop_conn_count(l) == N; i++)
		net_loop_run_once(l, 10);
	fds[3] = dial(port);
	CHECK(read_until(l, fds[3], "hello"));
	CHECK_INT(net_loop_conn_count(l), N);
	for (uint64_t slot = 0; slot < N; slot++) { /* ids hold the slot in their low 16 bits */
		for (uint32_t gen = 1; gen <= 2 && ids[slot] == 0; gen++)
			if (net_loop_find(l, ((uint64_t)gen << 16) | slot) != NULL)
				ids[slot] = ((uint64_t)gen << 16) | slot;
		CHECK(ids[slot] != 0);
	}
	CHECK(ids[3] >> 16 == 2); /* slot 3 was taken again */
	CHECK(net_loop_find(l, N) == NULL);
	for (int i = 0; i < N; i++)
		close(fds[i]);
	net_loop_destroy(&l);
	CHECK_INT(grown_open, 0);
}

/* Keeps its input until a line ends, noting the largest buffer capacity it saw. */
static size_t in_cap_max;

static void on_input_keep(void *session, struct net_conn *c)
{
	struct pb_buf *in = net_conn_input(c);

	if (in->cap > in_cap_max)
		in_cap_max = in->cap;
	if (strstr(in->data, "\r\n") != NULL) {
		net_conn_write(c, in->data, in->len);
		pb_buf_reset(in);
	}
}

static const struct net_proto keep_proto = { on_accept, on_input_keep, on_timeout, on_close,
					     NULL, "busy\r\n", 0 };

/* A connection's input buffer is as large as what it holds (a few reads of a short command
 * here), not NET_READ_CHUNK or more for every read: such a buffer, made and given back at each
 * read, was an mmap and a munmap per read. */
static void test_input_sized_by_content(void)
{
	struct net_loop *l = net_loop_create(clock_fn, NULL);
	int port = listen_port_of(l, &keep_proto);
	REQUIRE(port > 0);
	n_sessions = 0;
	in_cap_max = 0;
	int fd = dial(port);
	CHECK(read_until(l, fd, "hello"));
	REQUIRE(send(fd, "EHLO ", 5, 0) == 5);
	for (int i = 0; i < 20; i++)
		net_loop_run_once(l, 5);
	REQUIRE(send(fd, "client.example\r\n", 16, 0) == 16);
	CHECK(read_until(l, fd, "EHLO client.example"));
	CHECK(in_cap_max > 0 && in_cap_max <= NET_IDLE_BUF);
	close(fd);
	net_loop_destroy(&l);
}

static const struct pb_test_case cases[] = {
	{ "input_sized_by_content", test_input_sized_by_content },
	{ "table_grows", test_table_grows },
	{ "find_any_id", test_find_any_id },
	{ "refused_at_accept_hears_busy", test_refused_at_accept_hears_busy },
	{ "refused_hears_binary_busy", test_refused_hears_binary_busy },
	{ "out_of_descriptors", test_out_of_descriptors },
	{ "echo_and_close_after_flush", test_echo_and_close_after_flush },
	{ "pipelined_answers_in_one_send", test_pipelined_answers_in_one_send },
	{ "deadline_in_a_high_slot", test_deadline_in_a_high_slot },
	{ "output_bounded_for_a_peer_that_reads_nothing",
	  test_output_bounded_for_a_peer_that_reads_nothing },
	{ "close_lingers_for_a_peer_that_reads_nothing",
	  test_close_lingers_for_a_peer_that_reads_nothing },
};

PB_TEST_MAIN(cases)
