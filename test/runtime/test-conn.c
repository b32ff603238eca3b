/*
 * test-conn.c: pb_conn against a loopback listener of the test: lines, then a literal read by
 * byte count that never takes the line after it (pb_conn_read), and pb_conn_poll — 0 while
 * nothing comes (the connection still usable), 1 once something is there or buffered. The
 * connect without waiting (pb_conn_start, pb_conn_connected): 0 while a black-holed port (a
 * full accept queue drops the SYN) never answers, 1 once connected to a listener, -1 with the
 * reason for a closed port.
 * OWNS: its sockets. THREAD: main only.
 */
#include "pb-conn.h"
#include "pb-test.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
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

static const struct pb_test_case cases[] = {
	{ "literal_and_poll", test_literal_and_poll },
	{ "connect_without_waiting", test_connect_without_waiting },
};

PB_TEST_MAIN(cases)
