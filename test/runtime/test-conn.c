/*
 * test-conn.c: pb_conn against a loopback listener of the test: lines, then a literal read by
 * byte count that never takes the line after it (pb_conn_read), and pb_conn_poll — 0 while
 * nothing comes (the connection still usable), 1 once something is there or buffered. The
 * connect without waiting (pb_conn_start, pb_conn_connected): 0 while a black-holed port (a
 * full accept queue drops the SYN) never answers, 1 once connected to a listener, -1 with the
 * reason for a closed port. pb_conn_writev: 200 pieces (empty ones among them) through a
 * small send buffer, so sendmsg stops inside pieces, arrive whole and in order.
 * OWNS: its sockets and the reader thread of the writev case. THREAD: main, and that reader.
 */
#include "pb-conn.h"
#include "pb-test.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

/* A listener on 127.0.0.1 (any port): its fd and port. */
static int listener(uint16_t *port_r)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	socklen_t len = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	CHECK_INT(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	CHECK_INT(listen(fd, 1), 0);
	CHECK_INT(getsockname(fd, (struct sockaddr *)&a, &len), 0);
	*port_r = ntohs(a.sin_port);
	return fd;
}

static void say(int fd, const char *s)
{
	CHECK((size_t)write(fd, s, strlen(s)) == strlen(s));
}

static void test_literal_and_poll(void)
{
	struct pb_conn *c = NULL;
	const char *error;
	char line[64], lit[32];
	uint16_t port;
	size_t n, got = 0;

	int l = listener(&port);
	CHECK_INT(pb_conn_open("127.0.0.1", port, 5000, &c, &error), 0);
	int peer = accept(l, NULL, NULL);
	CHECK_INT(pb_conn_poll(c, 50, &error), 0); /* nothing yet */
	say(peer, "* 1 FETCH (BODY[] {12}\r\nLITERAL\r\n345)\r\n");
	CHECK_INT(pb_conn_poll(c, 5000, &error), 1);
	CHECK_INT(pb_conn_read_line(c, line, sizeof(line), 5000, &error), 0);
	CHECK_STR(line, "* 1 FETCH (BODY[] {12}");
	while (got < 12) {
		CHECK_INT(pb_conn_read(c, lit + got, 12 - got, 5000, &n, &error), 0);
		CHECK(n > 0 && n <= 12 - got);
		got += n;
	}
	CHECK(memcmp(lit, "LITERAL\r\n345", 12) == 0);
	CHECK_INT(pb_conn_poll(c, 0, &error), 1); /* ")" still buffered */
	CHECK_INT(pb_conn_read_line(c, line, sizeof(line), 5000, &error), 0);
	CHECK_STR(line, ")");
	CHECK_INT(pb_conn_poll(c, 30, &error), 0);
	close(peer);
	CHECK_INT(pb_conn_read(c, lit, sizeof(lit), 5000, &n, &error), -1); /* closed */
	pb_conn_close(&c);
	close(l);
}

/* Polls c's connect up to timeout_ms: pb_conn_connected's last answer. */
static int connect_wait(struct pb_conn *c, int timeout_ms, const char **error_r)
{
	int rc;

	for (int waited = 0; (rc = pb_conn_connected(c, error_r)) == 0 && waited < timeout_ms;
	     waited += 10) {
		struct pollfd p = { .fd = pb_conn_fd(c), .events = POLLOUT };
		(void)poll(&p, 1, 10);
	}
	return rc;
}

static void test_connect_without_waiting(void)
{
	struct pb_conn *c = NULL, *fill = NULL, *held = NULL;
	const char *error;
	uint16_t port;

	int l = listener(&port); /* backlog 1: two connections fill its accept queue */
	CHECK_INT(pb_conn_start("127.0.0.1", port, &c, &error), 0);
	CHECK_INT(connect_wait(c, 5000, &error), 1);
	CHECK_INT(pb_conn_write(c, "x", 1, 5000, &error), 0);
	CHECK_INT(pb_conn_start("127.0.0.1", port, &fill, &error), 0);
	CHECK_INT(connect_wait(fill, 5000, &error), 1);
	CHECK_INT(pb_conn_start("127.0.0.1", port, &held, &error), 0);
	CHECK_INT(connect_wait(held, 300, &error), 0); /* its SYN dropped: not over */
	pb_conn_close(&held);
	pb_conn_close(&fill);
	pb_conn_close(&c);
	close(l); /* the port closed: refused */
	CHECK_INT(pb_conn_start("127.0.0.1", port, &c, &error), 0);
	CHECK_INT(connect_wait(c, 5000, &error), -1);
	CHECK(strstr(error, "refused") != NULL);
	pb_conn_close(&c);
	CHECK_INT(pb_conn_start("no-such-host.invalid", port, &c, &error), -1);
	CHECK(c == NULL);
}

/* The writev case's reader: everything up to EOF into got. */
struct drain {
	int fd;
	char *got;
	size_t n, cap;
};

static void *drain_run(void *arg)
{
	struct drain *d = arg;
	ssize_t r;

	while ((r = read(d->fd, d->got + d->n, d->cap - d->n)) > 0)
		d->n += (size_t)r;
	return NULL;
}

static void test_writev(void)
{
	struct pb_conn *c = NULL;
	struct iovec v[200];
	const char *error;
	uint16_t port;
	size_t total = 0;
	int small = 4096;

	char *want = malloc(200 * 5000);
	for (size_t i = 0; i < 200; i++) { /* sizes 0 (every 7th) to 4,999 */
		size_t len = i % 7 == 0 ? 0 : (i * 937) % 5000;
		for (size_t k = 0; k < len; k++)
			want[total + k] = (char)('a' + (i + k) % 26);
		v[i] = (struct iovec){ .iov_base = want + total, .iov_len = len };
		total += len;
	}
	int l = listener(&port);
	CHECK_INT(pb_conn_open("127.0.0.1", port, 5000, &c, &error), 0);
	CHECK_INT(setsockopt(pb_conn_fd(c), SOL_SOCKET, SO_SNDBUF, &small, sizeof(small)), 0);
	struct drain d = { .fd = accept(l, NULL, NULL), .cap = total + 1 };
	d.got = malloc(d.cap);
	CHECK_INT(setsockopt(d.fd, SOL_SOCKET, SO_RCVBUF, &small, sizeof(small)), 0);
	pthread_t t;
	CHECK_INT(pthread_create(&t, NULL, drain_run, &d), 0);
	CHECK_INT(pb_conn_writev(c, v, 200, 10000, &error), 0);
	pb_conn_close(&c);
	CHECK_INT(pthread_join(t, NULL), 0);
	CHECK(d.n == total && memcmp(d.got, want, total) == 0);
	CHECK(total > 400000);
	close(d.fd);
	close(l);
	free(d.got);
	free(want);
}

static const struct pb_test_case cases[] = {
	{ "writev", test_writev },
	{ "literal_and_poll", test_literal_and_poll },
	{ "connect_without_waiting", test_connect_without_waiting },
};

PB_TEST_MAIN(cases)
